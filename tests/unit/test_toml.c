/* Unit tests for the TOML subset parser (include/patience/toml.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "patience/error.h"
#include "patience/toml.h"

/* ---- helpers ---- */

static pt_toml_value *parse_len(const char *text, size_t len)
{
	pt_toml_value *root = NULL;
	char err[256];
	int rc = pt_toml_parse(text, len, &root, err, sizeof err);
	if (rc != PT_OK)
		print_error("unexpected error for [%s]: %s\n", text, err);
	assert_int_equal(rc, PT_OK);
	assert_string_equal(err, "");
	assert_non_null(root);
	assert_int_equal(root->type, PT_TOML_TABLE);
	return root;
}

static pt_toml_value *parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void expect_error_len(const char *text, size_t len, const char *message)
{
	pt_toml_value *root = (pt_toml_value *)&root; /* must be reset to NULL */
	char err[256];
	int rc = pt_toml_parse(text, len, &root, err, sizeof err);
	if (rc == PT_OK)
		print_error("expected an error for [%s]\n", text);
	assert_int_equal(rc, PT_EINVAL);
	assert_null(root);
	assert_string_equal(err, message);
}

static void expect_error(const char *text, const char *message)
{
	expect_error_len(text, strlen(text), message);
}

/* Follows a dotted path of plain key names ("a.b.c") from table. */
static const pt_toml_value *at(const pt_toml_value *table, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const pt_toml_value *v = table;
	for (char *part = strtok(buf, "."); part; part = strtok(NULL, ".")) {
		v = pt_toml_get(v, part);
		if (!v)
			print_error("no key %s in %s\n", part, path);
		assert_non_null(v);
	}
	return v;
}

static const char *str_at(const pt_toml_value *t, const char *path)
{
	const pt_toml_value *v = at(t, path);
	assert_int_equal(v->type, PT_TOML_STRING);
	return v->as.string;
}

static int64_t int_at(const pt_toml_value *t, const char *path)
{
	const pt_toml_value *v = at(t, path);
	assert_int_equal(v->type, PT_TOML_INTEGER);
	return v->as.integer;
}

static double float_at(const pt_toml_value *t, const char *path)
{
	const pt_toml_value *v = at(t, path);
	assert_int_equal(v->type, PT_TOML_FLOAT);
	return v->as.floating;
}

static int64_t parse_int(const char *literal)
{
	char doc[128];
	snprintf(doc, sizeof doc, "v = %s", literal);
	pt_toml_value *root = parse(doc);
	int64_t n = int_at(root, "v");
	pt_toml_free(root);
	return n;
}

static double parse_float(const char *literal)
{
	char doc[128];
	snprintf(doc, sizeof doc, "v = %s", literal);
	pt_toml_value *root = parse(doc);
	double d = float_at(root, "v");
	pt_toml_free(root);
	return d;
}

static void expect_value_error(const char *literal, const char *message)
{
	char doc[128], want[256];
	snprintf(doc, sizeof doc, "v = %s", literal);
	snprintf(want, sizeof want, "line 1: key \"v\": %s", message);
	expect_error(doc, want);
}

static void expect_str(const char *literal, const char *want)
{
	char doc[128];
	snprintf(doc, sizeof doc, "v = %s\n", literal);
	pt_toml_value *root = parse(doc);
	assert_string_equal(str_at(root, "v"), want);
	pt_toml_free(root);
}

/* ---- documents ---- */

static void test_empty_documents(void **state)
{
	const char *docs[] = { "", "\n\n", "# only a comment", "  \t\n# c\r\n\n", "\xEF\xBB\xBF" };
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		pt_toml_value *root = parse(docs[i]);
		assert_int_equal(root->as.table.count, 0);
		pt_toml_free(root);
	}
	pt_toml_value *root = parse_len(NULL, 0);
	assert_int_equal(root->as.table.count, 0);
	pt_toml_free(root);
}

static const char design_example[] =
	"[daemon]\n"
	"socket_path = \"/run/user/1000/patience/daemon.sock\"\n"
	"log_level = \"info\"\n"
	"metrics_listen = \"127.0.0.1:9464\"\n"
	"backend = \"redis://127.0.0.1:6379/0\"      # omit for the embedded default\n"
	"\n"
	"[rate_limiting]\n"
	"default_algorithm = \"diophantine\"          # or \"gcra\", \"fixed-window\"\n"
	"coordination_enabled = true\n"
	"\n"
	"[rate_limiting.resources]\n"
	"\"api:external:api.github.com\" = { limit = 5000, window = \"1h\" }\n"
	"\"database:postgres:prod_db\"   = { limit = 100, window = \"1m\" }\n"
	"\n"
	"[patience]\n"
	"default_strategy = \"exponential\"\n"
	"max_attempts = 10\n"
	"\n"
	"[repeater]\n"
	"default_interval = \"30s\"\n"
	"default_timeout = \"60s\"\n"
	"continue_on_error = true\n";

static void test_design_example(void **state)
{
	pt_toml_value *root = parse(design_example);
	assert_int_equal(root->as.table.count, 4);
	assert_string_equal(root->as.table.entries[0].key, "daemon");
	assert_string_equal(root->as.table.entries[3].key, "repeater");
	assert_string_equal(str_at(root, "daemon.log_level"), "info");
	assert_int_equal(at(root, "daemon.backend")->line, 5);
	assert_true(at(root, "rate_limiting.coordination_enabled")->as.boolean);
	const pt_toml_value *res = at(root, "rate_limiting.resources");
	assert_int_equal(res->line, 11);
	assert_int_equal(res->as.table.count, 2);
	const pt_toml_value *gh = pt_toml_get(res, "api:external:api.github.com");
	assert_non_null(gh);
	assert_int_equal(gh->type, PT_TOML_TABLE);
	assert_int_equal(gh->line, 12);
	assert_int_equal(int_at(gh, "limit"), 5000);
	assert_string_equal(str_at(gh, "window"), "1h");
	assert_int_equal(int_at(root, "patience.max_attempts"), 10);
	assert_int_equal(at(root, "repeater")->line, 19);
	assert_true(at(root, "repeater.continue_on_error")->as.boolean);
	pt_toml_free(root);
}

static void test_go_patience_top_level_keys(void **state)
{
	pt_toml_value *root = parse("attempts = 5\n"
				    "delay = \"1s\"\n"
				    "backoff = \"exponential\"\n"
				    "multiplier = 2.0\n"
				    "success_pattern = '(?i)deployed\\s+ok'\n"
				    "case_insensitive = false\n");
	assert_int_equal(int_at(root, "attempts"), 5);
	assert_true(float_at(root, "multiplier") == 2.0);
	assert_string_equal(str_at(root, "success_pattern"), "(?i)deployed\\s+ok");
	assert_int_equal(at(root, "case_insensitive")->type, PT_TOML_BOOLEAN);
	assert_int_equal(at(root, "case_insensitive")->line, 6);
	pt_toml_free(root);
}

/* ---- strings ---- */

static void test_basic_strings(void **state)
{
	expect_str("\"\"", "");
	expect_str("\"plain text\"", "plain text");
	expect_str("\"a\\bb\\tc\\nd\\fe\\rf\"", "a\bb\tc\nd\fe\rf");
	expect_str("\"q\\\"q \\\\ back\"", "q\"q \\ back");
	expect_str("\"tab\tinside\"", "tab\tinside");
	expect_str("\"# not a comment\"", "# not a comment");
	expect_str("\"'single' inside\"", "'single' inside");
	expect_str("\"caf\xC3\xA9 \xE2\x82\xAC\"", "caf\xC3\xA9 \xE2\x82\xAC");
}

static void test_literal_strings(void **state)
{
	expect_str("''", "");
	expect_str("'C:\\Users\\nodejs'", "C:\\Users\\nodejs");
	expect_str("'<\\i\\c*\\s*>'", "<\\i\\c*\\s*>");
	expect_str("'\"double\" inside'", "\"double\" inside");
	expect_str("'tab\tinside'", "tab\tinside");
}

static void test_unicode_escapes(void **state)
{
	expect_str("\"\\u0041\"", "A");
	expect_str("\"\\u00e9\"", "\xC3\xA9");
	expect_str("\"\\u00E9\"", "\xC3\xA9");
	expect_str("\"\\u07FF\"", "\xDF\xBF");
	expect_str("\"\\u20AC\"", "\xE2\x82\xAC");
	expect_str("\"\\uFFFF\"", "\xEF\xBF\xBF");
	expect_str("\"\\U0001F600\"", "\xF0\x9F\x98\x80");
	expect_str("\"\\U0010FFFF\"", "\xF4\x8F\xBF\xBF");
	expect_str("\"\\U00000041x\"", "Ax");
	expect_str("\"a\\u00e9b\\u20acc\"", "a\xC3\xA9" "b\xE2\x82\xAC" "c");
}

static void test_bad_escapes(void **state)
{
	expect_value_error("\"\\x41\"", "invalid escape \\x in a string");
	expect_value_error("\"\\e\"", "invalid escape \\e in a string");
	expect_value_error("\"\\ \"", "invalid escape in a string");
	expect_value_error("\"\\u12\"", "\\u needs 4 hex digits");
	expect_value_error("\"\\u12G4\"", "\\u needs 4 hex digits");
	expect_value_error("\"\\U0001F60\"", "\\U needs 8 hex digits");
	expect_value_error("\"\\uD800\"", "\\uD800 is not a Unicode scalar value");
	expect_value_error("\"\\uDFFF\"", "\\uDFFF is not a Unicode scalar value");
	expect_value_error("\"\\U00110000\"", "\\U00110000 is not a Unicode scalar value");
	expect_value_error("\"\\UFFFFFFFF\"", "\\UFFFFFFFF is not a Unicode scalar value");
	expect_value_error("\"\\u0000\"", "\\u0000 (NUL) is not allowed in a string");
	expect_value_error("\"\\U00000000\"", "\\U00000000 (NUL) is not allowed in a string");
}

static void test_control_characters_in_strings(void **state)
{
	expect_value_error("\"a\x01" "b\"", "control character U+0001 in a string");
	expect_value_error("\"a\x1F\"", "control character U+001F in a string");
	expect_value_error("\"a\x7F\"", "control character U+007F in a string");
	expect_value_error("'a\x08'", "control character U+0008 in a string");
	expect_value_error("\"a\rb\"", "control character U+000D in a string");
	expect_value_error("'a\x1B[31m'", "control character U+001B in a string");
}

static void test_unterminated_strings(void **state)
{
	expect_error("a = \"abc", "line 1: key \"a\": unterminated string");
	expect_error("a = \"abc\nb = 1\"", "line 1: key \"a\": unterminated string");
	expect_error("a = \"abc\r\n\"", "line 1: key \"a\": unterminated string");
	expect_error("a = 'abc", "line 1: key \"a\": unterminated string");
	expect_error("x = 1\na = 'abc\n'", "line 2: key \"a\": unterminated string");
	expect_error("a = \"abc\\\"", "line 1: key \"a\": unterminated string");
	expect_error("a = \"abc\\", "line 1: key \"a\": unterminated string");
	expect_error("a = \"abc\\\nd\"", "line 1: key \"a\": unterminated string");
	expect_error("\"abc = 1", "line 1: unterminated string");
}

/* ---- numbers and booleans ---- */

static void test_integers(void **state)
{
	assert_int_equal(parse_int("0"), 0);
	assert_int_equal(parse_int("+0"), 0);
	assert_int_equal(parse_int("-0"), 0);
	assert_int_equal(parse_int("42"), 42);
	assert_int_equal(parse_int("+99"), 99);
	assert_int_equal(parse_int("-17"), -17);
	assert_int_equal(parse_int("1_000"), 1000);
	assert_int_equal(parse_int("5_349_221"), 5349221);
	assert_int_equal(parse_int("1_2_3_4_5"), 12345);
	assert_true(parse_int("9223372036854775807") == INT64_MAX);
	assert_true(parse_int("-9223372036854775808") == INT64_MIN);
	assert_true(parse_int("9_223_372_036_854_775_807") == INT64_MAX);
}

static void test_bad_integers(void **state)
{
	expect_value_error("9223372036854775808", "integer 9223372036854775808 is out of range");
	expect_value_error("-9223372036854775809", "integer -9223372036854775809 is out of range");
	expect_value_error("99999999999999999999999",
			   "integer 99999999999999999999999 is out of range");
	expect_value_error("01", "leading zeros are not allowed (01)");
	expect_value_error("-01", "leading zeros are not allowed (-01)");
	expect_value_error("+007", "leading zeros are not allowed (+007)");
	expect_value_error("0_0", "leading zeros are not allowed (0_0)");
	expect_value_error("1__000", "invalid value \"1__000\"");
	expect_value_error("1_", "invalid value \"1_\"");
	expect_value_error("_1", "invalid value \"_1\"");
	expect_value_error("1_000_", "invalid value \"1_000_\"");
	expect_value_error("+", "invalid value \"+\"");
	expect_value_error("-", "invalid value \"-\"");
	expect_value_error("++1", "invalid value \"++1\"");
	expect_value_error("1-2", "invalid value \"1-2\"");
	expect_value_error("1x", "invalid value \"1x\"");
	expect_value_error("1 2", "unexpected '2' after the value");
	expect_value_error("12abc", "invalid value \"12abc\"");
}

static void test_floats(void **state)
{
	assert_true(parse_float("1.5") == 1.5);
	assert_true(parse_float("+1.0") == 1.0);
	assert_true(parse_float("-0.25") == -0.25);
	assert_true(parse_float("3.1415") == 3.1415);
	assert_true(parse_float("1e3") == 1000.0);
	assert_true(parse_float("1E3") == 1000.0);
	assert_true(parse_float("1e+3") == 1000.0);
	assert_true(parse_float("1e-3") == 0.001);
	assert_true(parse_float("5e+22") == 5e22);
	assert_true(parse_float("6.626e-34") == 6.626e-34);
	assert_true(parse_float("-2E-2") == -0.02);
	assert_true(parse_float("1e06") == 1e6); /* exponents may have leading zeros */
	assert_true(parse_float("224_617.445_991_228") == 224617.445991228);
	assert_true(parse_float("1_0e1_0") == 10e10);
	assert_true(parse_float("0.0") == 0.0);
	assert_true(parse_float("0e0") == 0.0);
	assert_true(signbit(parse_float("-0.0")));
	assert_false(signbit(parse_float("+0.0")));
	assert_true(parse_float("1e-400") >= 0.0); /* underflow is fine */
	assert_true(parse_float("1.7976931348623157e308") == 1.7976931348623157e308);
}

static void test_special_floats(void **state)
{
	assert_true(isinf(parse_float("inf")) && parse_float("inf") > 0);
	assert_true(isinf(parse_float("+inf")) && parse_float("+inf") > 0);
	assert_true(isinf(parse_float("-inf")) && parse_float("-inf") < 0);
	assert_true(isnan(parse_float("nan")));
	assert_true(isnan(parse_float("+nan")));
	assert_true(isnan(parse_float("-nan")));
}

static void test_bad_floats(void **state)
{
	expect_value_error("1.", "invalid value \"1.\"");
	expect_value_error(".5", "invalid value \".5\"");
	expect_value_error("-.5", "invalid value \"-.5\"");
	expect_value_error("1e", "invalid value \"1e\"");
	expect_value_error("1e+", "invalid value \"1e+\"");
	expect_value_error("1.e5", "invalid value \"1.e5\"");
	expect_value_error("1.5.5", "invalid value \"1.5.5\"");
	expect_value_error("1e5e5", "invalid value \"1e5e5\"");
	expect_value_error("1e5.5", "invalid value \"1e5.5\"");
	expect_value_error("1._5", "invalid value \"1._5\"");
	expect_value_error("1_.5", "invalid value \"1_.5\"");
	expect_value_error("1.5_", "invalid value \"1.5_\"");
	expect_value_error("1e_5", "invalid value \"1e_5\"");
	expect_value_error("01.5", "leading zeros are not allowed (01)");
	expect_value_error("00e1", "leading zeros are not allowed (00)");
	expect_value_error("1e400", "float 1e400 is out of range");
	expect_value_error("-1e400", "float -1e400 is out of range");
	expect_value_error("infinity", "invalid value \"infinity\" (strings need quotes)");
	expect_value_error("Inf", "invalid value \"Inf\" (strings need quotes)");
	expect_value_error("NaN", "invalid value \"NaN\" (strings need quotes)");
	expect_value_error("nan1", "invalid value \"nan1\" (strings need quotes)");
	expect_value_error("++inf", "invalid value \"++inf\"");
}

static void test_booleans(void **state)
{
	pt_toml_value *root = parse("t = true\nf = false\n");
	assert_int_equal(at(root, "t")->type, PT_TOML_BOOLEAN);
	assert_true(at(root, "t")->as.boolean);
	assert_false(at(root, "f")->as.boolean);
	pt_toml_free(root);
	expect_value_error("True", "invalid value \"True\" (strings need quotes)");
	expect_value_error("FALSE", "invalid value \"FALSE\" (strings need quotes)");
	expect_value_error("truee", "invalid value \"truee\" (strings need quotes)");
	expect_value_error("yes", "invalid value \"yes\" (strings need quotes)");
}

/* ---- keys ---- */

static void test_bare_keys(void **state)
{
	pt_toml_value *root = parse("key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4\n"
				    "ABCxyz_-09 = 5\n- = 6\n_ = 7\ntrue = 8\ninf = 9\n");
	assert_int_equal(root->as.table.count, 9);
	assert_int_equal(int_at(root, "bare-key"), 3);
	assert_int_equal(int_at(root, "1234"), 4);
	assert_int_equal(int_at(root, "ABCxyz_-09"), 5);
	assert_int_equal(int_at(root, "-"), 6);
	assert_int_equal(int_at(root, "true"), 8);
	pt_toml_free(root);
	expect_error("caf\xC3\xA9 = 1", "line 1: key \"caf\": expected '=' after the key, "
					  "found byte 0xC3");
	expect_error("\xC3\xA9 = 1", "line 1: expected a key, found byte 0xC3");
	expect_error("a b = 1", "line 1: key \"a\": expected '=' after the key, found 'b'");
	expect_error("a$b = 1", "line 1: key \"a\": expected '=' after the key, found '$'");
	expect_error("= 1", "line 1: expected a key, found '='");
	expect_error("a+b = 1", "line 1: key \"a\": expected '=' after the key, found '+'");
	expect_error("a", "line 1: key \"a\": expected '=' after the key, found end of input");
	expect_error("a\nb = 1", "line 1: key \"a\": expected '=' after the key, "
				 "found end of line");
}

static void test_quoted_keys(void **state)
{
	pt_toml_value *root = parse("\"127.0.0.1\" = 1\n"
				    "\"character encoding\" = 2\n"
				    "\"\xCA\x8E\xC7\x9D\xCA\x9E\" = 3\n"
				    "'key2' = 4\n"
				    "'quoted \"value\"' = 5\n"
				    "\"tab\\there\" = 6\n"
				    "\"\" = 7\n");
	assert_int_equal(pt_toml_get(root, "127.0.0.1")->as.integer, 1);
	assert_int_equal(pt_toml_get(root, "character encoding")->as.integer, 2);
	assert_int_equal(pt_toml_get(root, "\xCA\x8E\xC7\x9D\xCA\x9E")->as.integer, 3);
	assert_int_equal(pt_toml_get(root, "key2")->as.integer, 4);
	assert_int_equal(pt_toml_get(root, "quoted \"value\"")->as.integer, 5);
	assert_int_equal(pt_toml_get(root, "tab\there")->as.integer, 6);
	assert_int_equal(pt_toml_get(root, "")->as.integer, 7);
	pt_toml_free(root);

	root = parse("'' = 'empty literal key'\n");
	assert_string_equal(pt_toml_get(root, "")->as.string, "empty literal key");
	pt_toml_free(root);

	expect_error("\"a\\u0000b\" = 1", "line 1: \\u0000 (NUL) is not allowed in a string");
	expect_error("\"a\" = 1\n'a' = 2", "line 2: key \"a\": defined twice (first on line 1)");
	expect_error("a = 1\n\"a\" = 2", "line 2: key \"a\": defined twice (first on line 1)");
}

static void test_dotted_keys(void **state)
{
	pt_toml_value *root = parse("name = \"Orange\"\n"
				    "physical.color = \"orange\"\n"
				    "physical.shape = \"round\"\n"
				    "site.\"google.com\" = true\n"
				    "a . b\t.  c = 1\n"
				    "a.b.d = 2\n"
				    "a.e = 3\n"
				    "3.14159 = \"pi\"\n");
	assert_string_equal(str_at(root, "physical.color"), "orange");
	assert_string_equal(str_at(root, "physical.shape"), "round");
	assert_int_equal(at(root, "physical")->line, 2);
	assert_true(pt_toml_get(at(root, "site"), "google.com")->as.boolean);
	assert_int_equal(int_at(root, "a.b.c"), 1);
	assert_int_equal(int_at(root, "a.b.d"), 2);
	assert_int_equal(int_at(root, "a.e"), 3);
	assert_string_equal(str_at(root, "3.14159"), "pi");
	assert_int_equal(at(root, "a")->as.table.count, 2);
	pt_toml_free(root);

	expect_error("a = 1\na.b = 2", "line 2: key \"a.b\": \"a\" is already an integer (line 1)");
	expect_error("a.b = 1\na = 2", "line 2: key \"a\": defined twice (first on line 1)");
	expect_error("a.b = 1\na.b = 2", "line 2: key \"a.b\": defined twice (first on line 1)");
	expect_error("a.b = 1\na.b.c = 2",
		     "line 2: key \"a.b.c\": \"b\" is already an integer (line 1)");
	expect_error("a.b = 's'\na.b.c = 2",
		     "line 2: key \"a.b.c\": \"b\" is already a string (line 1)");
	expect_error("a. = 1", "line 1: key \"a\": expected a key, found '='");
	expect_error("a..b = 1", "line 1: key \"a\": expected a key, found '.'");
	expect_error(".a = 1", "line 1: expected a key, found '.'");
}

/* ---- tables ---- */

static void test_tables(void **state)
{
	pt_toml_value *root = parse("top = 0\n"
				    "[table-1]\n"
				    "key1 = \"some string\"\n"
				    "key2 = 123\n"
				    "\n"
				    "[table-2]\n"
				    "key1 = \"another string\"\n"
				    "[dog.\"tater.man\"]\n"
				    "type.name = \"pug\"\n"
				    "[ j . \"k\" . 'l' ]\n"
				    "\t[indented]\n"
				    "\t  x = 1\n"
				    "[empty]\n");
	assert_int_equal(root->as.table.count, 7);
	assert_int_equal(int_at(root, "top"), 0);
	assert_int_equal(int_at(root, "table-1.key2"), 123);
	assert_int_equal(at(root, "table-1")->line, 2);
	assert_string_equal(str_at(root, "table-2.key1"), "another string");
	const pt_toml_value *tater = pt_toml_get(at(root, "dog"), "tater.man");
	assert_non_null(tater);
	assert_string_equal(str_at(tater, "type.name"), "pug");
	assert_int_equal(at(root, "j.k.l")->type, PT_TOML_TABLE);
	assert_int_equal(at(root, "j.k.l")->line, 10);
	assert_int_equal(int_at(root, "indented.x"), 1);
	assert_int_equal(at(root, "empty")->as.table.count, 0);
	pt_toml_free(root);
}

static void test_implicit_tables(void **state)
{
	/* [x.y.z.w] implies x, x.y and x.z; defining them afterwards is fine */
	pt_toml_value *root = parse("[x.y.z.w]\n"
				    "a = 1\n"
				    "[x]\n"
				    "b = 2\n"
				    "[x.y]\n"
				    "c = 3\n");
	assert_int_equal(int_at(root, "x.y.z.w.a"), 1);
	assert_int_equal(int_at(root, "x.b"), 2);
	assert_int_equal(int_at(root, "x.y.c"), 3);
	assert_int_equal(at(root, "x")->line, 3); /* where it was defined */
	assert_int_equal(at(root, "x.y")->line, 5);
	assert_int_equal(at(root, "x.y.z")->line, 1);
	pt_toml_free(root);

	/* super-table after sub-table, and sub-tables of a dotted-key table */
	root = parse("[fruit.apple]\n"
		     "[animal]\n"
		     "[fruit.orange]\n"
		     "[fruit]\n"
		     "banana.color = 'yellow'\n"
		     "[fruit.banana.texture]\n"
		     "smooth = true\n");
	assert_true(at(root, "fruit.banana.texture.smooth")->as.boolean);
	assert_string_equal(str_at(root, "fruit.banana.color"), "yellow");
	pt_toml_free(root);

	root = parse("a.b.c = 1\n[a.d]\ne = 2\n");
	assert_int_equal(int_at(root, "a.d.e"), 2);
	pt_toml_free(root);
}

static void test_table_redefinition(void **state)
{
	expect_error("[a]\nb = 1\n\n[a]\nc = 2", "line 4: table \"a\": defined twice "
						  "(first on line 1)");
	expect_error("[a.b]\n[a.b]", "line 2: table \"a.b\": defined twice (first on line 1)");
	expect_error("[a.b]\n[a]\n[a]", "line 3: table \"a\": defined twice (first on line 2)");
	expect_error("[a]\n['a']", "line 2: table \"a\": defined twice (first on line 1)");
	expect_error("[a]\nb = 1\n[a.b]", "line 3: table \"a.b\": \"b\" is already an "
					  "integer (line 2)");
	expect_error("[a]\nb = [1]\n[a.b.c]", "line 3: table \"a.b.c\": \"b\" is already an "
					      "array (line 2)");
	expect_error("a = 'x'\n[a]", "line 2: table \"a\": \"a\" is already a string (line 1)");
	/* tables made by dotted keys cannot be reopened by a header */
	expect_error("[fruit]\napple.color = 'red'\n[fruit.apple]",
		     "line 3: table \"fruit.apple\": already defined by dotted keys on line 2");
	expect_error("[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]",
		     "line 3: table \"fruit.apple.taste\": already defined by dotted keys on "
		     "line 2");
	expect_error("a.b = 1\n[a]", "line 2: table \"a\": already defined by dotted keys on "
				     "line 1");
	/* nor can dotted keys add to a table a header made (or implied) */
	expect_error("[a.b.c]\nz = 9\n[a]\nb.c.t = 1",
		     "line 4: key \"a.b.c.t\": table \"b\" (line 1) comes from a header; "
		     "dotted keys cannot add to it");
	expect_error("[a.b]\n[a]\nb.x = 1",
		     "line 3: key \"a.b.x\": table \"b\" (line 1) comes from a header; dotted "
		     "keys cannot add to it");
	/* a key that names an existing table */
	expect_error("[a.b]\n[a]\nb = 1", "line 3: key \"a.b\": defined twice (first on line 1)");
}

static void test_table_header_syntax(void **state)
{
	expect_error("[]", "line 1: expected a key, found ']'");
	expect_error("[a", "line 1: table \"a\": expected ']' after the table name, found end "
			   "of input");
	expect_error("[a\nb = 1", "line 1: table \"a\": expected ']' after the table name, "
				  "found end of line");
	expect_error("[a b]", "line 1: table \"a\": expected ']' after the table name, found "
			      "'b'");
	expect_error("[a.]", "line 1: table \"a\": expected a key, found ']'");
	expect_error("[a] b = 1", "line 1: table \"a\": unexpected 'b' after the table header");
	expect_error("[a]]", "line 1: table \"a\": unexpected ']' after the table header");
	expect_error("[\"a]", "line 1: unterminated string");
}

/* ---- arrays ---- */

static void test_arrays(void **state)
{
	pt_toml_value *root = parse("integers = [ 1, 2, 3 ]\n"
				    "colors = [ \"red\", 'yellow', \"green\" ]\n"
				    "nested = [ [ 1, 2 ], [3, 4, 5] ]\n"
				    "nested_mixed = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
				    "mixed = [ 0.1, 0, true, \"s\", {x = 1}, [] ]\n"
				    "empty = []\n"
				    "empty2 = [ \n ]\n"
				    "one = [1,]\n");
	const pt_toml_value *a = at(root, "integers");
	assert_int_equal(a->type, PT_TOML_ARRAY);
	assert_int_equal(a->as.array.count, 3);
	assert_int_equal(a->as.array.items[2].as.integer, 3);
	assert_string_equal(at(root, "colors")->as.array.items[1].as.string, "yellow");
	const pt_toml_value *n = at(root, "nested");
	assert_int_equal(n->as.array.count, 2);
	assert_int_equal(n->as.array.items[1].type, PT_TOML_ARRAY);
	assert_int_equal(n->as.array.items[1].as.array.items[2].as.integer, 5);
	const pt_toml_value *m = at(root, "mixed");
	assert_int_equal(m->as.array.count, 6);
	assert_int_equal(m->as.array.items[0].type, PT_TOML_FLOAT);
	assert_int_equal(m->as.array.items[2].type, PT_TOML_BOOLEAN);
	assert_int_equal(m->as.array.items[4].type, PT_TOML_TABLE);
	assert_int_equal(int_at(&m->as.array.items[4], "x"), 1);
	assert_int_equal(m->as.array.items[5].as.array.count, 0);
	assert_int_equal(at(root, "empty")->as.array.count, 0);
	assert_int_equal(at(root, "empty2")->as.array.count, 0);
	assert_int_equal(at(root, "one")->as.array.count, 1);
	pt_toml_free(root);
}

static void test_multiline_arrays(void **state)
{
	pt_toml_value *root = parse("a = [ # opening comment\n"
				    "  1, # one\n"
				    "  # a comment line\n"
				    "\n"
				    "  2\n"
				    "  , 3,\n"
				    "  [\n"
				    "    'x', # inner\n"
				    "  ],\n"
				    "]   # after\n"
				    "b = 1\n");
	const pt_toml_value *a = at(root, "a");
	assert_int_equal(a->as.array.count, 4);
	assert_int_equal(a->line, 1);
	assert_int_equal(a->as.array.items[0].line, 2);
	assert_int_equal(a->as.array.items[1].line, 5);
	assert_int_equal(a->as.array.items[2].line, 6);
	assert_int_equal(a->as.array.items[3].line, 7);
	assert_string_equal(a->as.array.items[3].as.array.items[0].as.string, "x");
	assert_int_equal(a->as.array.items[3].as.array.items[0].line, 8);
	assert_int_equal(at(root, "b")->line, 11);
	pt_toml_free(root);
}

static void test_bad_arrays(void **state)
{
	expect_error("a = [1, 2", "line 1: key \"a\": unterminated array (opened on line 1)");
	expect_error("a = [1,\n2,\n", "line 3: key \"a\": unterminated array (opened on line 1)");
	expect_error("a = [\n# only a comment", "line 2: key \"a\": unterminated array (opened "
						"on line 1)");
	expect_error("a = [1 2]", "line 1: key \"a\": expected ',' or ']' in the array, "
				  "found '2'");
	expect_error("a = [1,,2]", "line 1: key \"a\": expected a value, found ','");
	expect_error("a = [,]", "line 1: key \"a\": expected a value, found ','");
	expect_error("a = [1}", "line 1: key \"a\": expected ',' or ']' in the array, "
				"found '}'");
	expect_error("a = [\n  1,\n  2 3\n]", "line 3: key \"a\": expected ',' or ']' in the "
					      "array, found '3'");
	expect_error("a = [1]]", "line 1: key \"a\": unexpected ']' after the value");
	expect_error("a = [1, bad]", "line 1: key \"a\": invalid value \"bad\" (strings need "
				     "quotes)");
}

/* ---- inline tables ---- */

static void test_inline_tables(void **state)
{
	pt_toml_value *root = parse("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
				    "point = {x=1,y=2}\n"
				    "animal = { type.name = \"pug\", type.size = 's' }\n"
				    "empty = {}\n"
				    "empty2 = {   }\n"
				    "deep = { a = { b = { c = [1, {d = true}] } } }\n");
	assert_string_equal(str_at(root, "name.last"), "Preston-Werner");
	assert_int_equal(at(root, "name")->as.table.count, 2);
	assert_int_equal(int_at(root, "point.y"), 2);
	assert_string_equal(str_at(root, "animal.type.name"), "pug");
	assert_string_equal(str_at(root, "animal.type.size"), "s");
	assert_int_equal(at(root, "empty")->type, PT_TOML_TABLE);
	assert_int_equal(at(root, "empty")->as.table.count, 0);
	assert_int_equal(at(root, "empty2")->as.table.count, 0);
	const pt_toml_value *c = at(root, "deep.a.b.c");
	assert_int_equal(c->as.array.count, 2);
	assert_true(pt_toml_get(&c->as.array.items[1], "d")->as.boolean);
	pt_toml_free(root);
}

static void test_bad_inline_tables(void **state)
{
	expect_error("a = {x = 1,}", "line 1: key \"a\": trailing comma in an inline table");
	expect_error("a = {x = 1", "line 1: key \"a\": unterminated inline table (it must end "
				   "on its line)");
	expect_error("a = {x = 1,\ny = 2}", "line 1: key \"a\": unterminated inline table (it "
					    "must end on its line)");
	expect_error("a = {\n}", "line 1: key \"a\": unterminated inline table (it must end on "
				 "its line)");
	expect_error("a = {x = 1 # c\n}", "line 1: key \"a\": unterminated inline table (it "
					  "must end on its line)");
	expect_error("a = {x = 1 y = 2}", "line 1: key \"a\": expected ',' or '}' in the inline "
					  "table, found 'y'");
	expect_error("a = {,}", "line 1: key \"a\": expected a key, found ','");
	expect_error("a = {x = 1, x = 2}", "line 1: key \"a.x\": defined twice (first on line 1)");
	expect_error("a = {x.y = 1, x = 2}", "line 1: key \"a.x\": defined twice (first on "
					     "line 1)");
	expect_error("a = {x = {}, x.y = 2}", "line 1: key \"a.x.y\": \"x\" is an inline table "
					      "(line 1) and cannot be extended");
	expect_error("a = {x = 1}\n[a]", "line 2: table \"a\": \"a\" is an inline table (line 1) "
					 "and cannot be extended");
	expect_error("a = {x = 1}\n[a.b]", "line 2: table \"a.b\": \"a\" is an inline table "
					   "(line 1) and cannot be extended");
	expect_error("a = {x = 1}\na.y = 2", "line 2: key \"a.y\": \"a\" is an inline table "
					     "(line 1) and cannot be extended");
	expect_error("[t]\na = {b = {c = nope}}", "line 2: key \"t.a.b.c\": invalid value "
						  "\"nope\" (strings need quotes)");
}

/* ---- comments, whitespace, line endings ---- */

static void test_comments_everywhere(void **state)
{
	pt_toml_value *root = parse("# leading comment\n"
				    "a = 1 # after a value\n"
				    "[t] # after a header\n"
				    "b = \"# in a string\" #\n"
				    "c = [ # in an array\n"
				    "  1, # after an item\n"
				    "] # \"quotes\" [brackets] {braces} = # \xE2\x82\xAC \ttab\n"
				    "#[not.a.table]\n"
				    "   # indented comment\n"
				    "d = 2 # no newline at the end");
	assert_int_equal(int_at(root, "a"), 1);
	assert_string_equal(str_at(root, "t.b"), "# in a string");
	assert_int_equal(at(root, "t.c")->as.array.count, 1);
	assert_null(pt_toml_get(root, "not"));
	assert_int_equal(int_at(root, "t.d"), 2);
	assert_int_equal(at(root, "t.d")->line, 10);
	pt_toml_free(root);
	expect_error("a = 1\n# bell \x07 here", "line 2: control character U+0007 in a comment");
	expect_error("# del \x7F", "line 1: control character U+007F in a comment");
	expect_error("# cr \r alone", "line 1: control character U+000D in a comment");
	expect_error("a = 1 # esc \x1B[0m",
		     "line 1: key \"a\": control character U+001B in a comment");
}

static void test_crlf(void **state)
{
	pt_toml_value *root = parse("# comment\r\n"
				    "a = 1\r\n"
				    "\r\n"
				    "[t]\r\n"
				    "b = [\r\n"
				    "  'x', # c\r\n"
				    "  'y',\r\n"
				    "]\r\n"
				    "c = \"z\"\r\n");
	assert_int_equal(at(root, "a")->line, 2);
	assert_int_equal(at(root, "t")->line, 4);
	assert_int_equal(at(root, "t.b")->as.array.items[1].line, 7);
	assert_string_equal(str_at(root, "t.c"), "z");
	assert_int_equal(at(root, "t.c")->line, 9);
	pt_toml_free(root);
	expect_error("a = 1\r\nb = 2\rc = 3", "line 2: key \"b\": unexpected byte 0x0D after "
					      "the value");
	expect_error("a = 1\r\n\r", "line 2: expected a key, found byte 0x0D");
	expect_error("a = 1\r\nb = 2\r\n[x\r\n", "line 3: table \"x\": expected ']' after the "
						 "table name, found end of line");
}

static void test_whitespace(void **state)
{
	pt_toml_value *root = parse("\t a\t=\t1 \t\n  b=2\n[ t ]\n\tc =\"x\"\t");
	assert_int_equal(int_at(root, "a"), 1);
	assert_int_equal(int_at(root, "b"), 2);
	assert_string_equal(str_at(root, "t.c"), "x");
	pt_toml_free(root);
	expect_error("a = \n1", "line 1: key \"a\": expected a value, found end of line");
	expect_error("a\n= 1", "line 1: key \"a\": expected '=' after the key, found end of line");
	expect_error("a = 1 b = 2", "line 1: key \"a\": unexpected 'b' after the value");
	expect_error("a = 'x' 'y'", "line 1: key \"a\": unexpected ''' after the value");
	expect_error("a = \"x\"y", "line 1: key \"a\": unexpected 'y' after the value");
	expect_error("a = @", "line 1: key \"a\": expected a value, found '@'");
	expect_error("a =", "line 1: key \"a\": expected a value, found end of input");
	expect_error("a = \xC2\xA0" "1", "line 1: key \"a\": expected a value, found byte 0xC2");
}

/* ---- encoding ---- */

static void test_nul_and_utf8(void **state)
{
	expect_error_len("a = 1\nb = \"x\0y\"\n", 15, "line 2: NUL byte in the input");
	expect_error_len("\0", 1, "line 1: NUL byte in the input");
	expect_error_len("a = 1\n# \0", 9, "line 2: NUL byte in the input");
	expect_error("a = 1\n\nb = \"\xFF\"", "line 3: invalid UTF-8");
	expect_error("a = \"\xC0\x80\"", "line 1: invalid UTF-8");          /* overlong NUL */
	expect_error("a = \"\xE0\x80\xAF\"", "line 1: invalid UTF-8");      /* overlong '/' */
	expect_error("a = \"\xED\xA0\x80\"", "line 1: invalid UTF-8");      /* surrogate */
	expect_error("a = \"\xF4\x90\x80\x80\"", "line 1: invalid UTF-8");  /* > U+10FFFF */
	expect_error("a = \"\xE2\x82\"", "line 1: invalid UTF-8");          /* truncated */
	expect_error("# \x80", "line 1: invalid UTF-8");                    /* stray byte */
	expect_error("a = 1 # \xE2\x82", "line 1: invalid UTF-8");          /* cut at the end */

	pt_toml_value *root = parse("\xEF\xBB\xBF" "a = '\xF0\x9F\x98\x80'\n");
	assert_string_equal(str_at(root, "a"), "\xF0\x9F\x98\x80");
	pt_toml_free(root);
	expect_error("a = 1\n\xEF\xBB\xBF" "b = 2", "line 2: expected a key, found byte 0xEF");
}

/* ---- unsupported features ---- */

static void test_unsupported_features(void **state)
{
	expect_error("a = 1\nb = 2\nc = \"\"\"multi\nline\"\"\"",
		     "line 3: key \"c\": multi-line strings are not supported");
	expect_error("a = 1\nb = 2\nc = '''multi'''",
		     "line 3: key \"c\": multi-line strings are not supported");
	expect_error("a = 1\n[t]\nc = [1,\n\"\"\"x\"\"\"]",
		     "line 4: key \"t.c\": multi-line strings are not supported");
	expect_error("a = 1\nb = 2\nd = 1979-05-27",
		     "line 3: key \"d\": dates and times are not supported");
	expect_error("a = 1\nb = 2\nd = 1979-05-27T07:32:00Z",
		     "line 3: key \"d\": dates and times are not supported");
	expect_error("a = 1\nb = 2\nd = 1979-05-27 07:32:00-08:00",
		     "line 3: key \"d\": dates and times are not supported");
	expect_error("a = 1\nb = 2\nd = 07:32:00",
		     "line 3: key \"d\": dates and times are not supported");
	expect_error("a = 1\nb = 2\nd = [\n1979-05-27]",
		     "line 4: key \"d\": dates and times are not supported");
	expect_error("a = 1\n\n[[products]]\nname = 'x'",
		     "line 3: arrays of tables ([[...]]) are not supported");
	expect_error("a = 1\nb = 2\nh = 0xDEADBEEF",
		     "line 3: key \"h\": hexadecimal, octal and binary integers are not supported");
	expect_error("a = 1\nb = 2\no = 0o755",
		     "line 3: key \"o\": hexadecimal, octal and binary integers are not supported");
	expect_error("a = 1\nb = 2\nb2 = 0b1101",
		     "line 3: key \"b2\": hexadecimal, octal and binary integers are not "
		     "supported");
}

/* ---- limits ---- */

static char *repeat(const char *prefix, const char *unit, int n, const char *suffix)
{
	size_t unit_len = strlen(unit), len = strlen(prefix);
	char *s = malloc(len + unit_len * (size_t)n + strlen(suffix) + 1);
	assert_non_null(s);
	strcpy(s, prefix);
	for (int i = 0; i < n; i++, len += unit_len)
		memcpy(s + len, unit, unit_len);
	strcpy(s + len, suffix);
	return s;
}

static void expect_depth(const char *prefix, const char *open, int n, const char *mid,
			 const char *close, bool ok)
{
	char *head = repeat(prefix, open, n, mid);
	char *doc = repeat(head, close, n, "");
	pt_toml_value *root = NULL;
	char err[256];
	int rc = pt_toml_parse(doc, strlen(doc), &root, err, sizeof err);
	if (ok) {
		assert_int_equal(rc, PT_OK);
		pt_toml_free(root);
	} else {
		assert_int_equal(rc, PT_EINVAL);
		assert_non_null(strstr(err, "nested deeper than 64 levels"));
	}
	free(head);
	free(doc);
}

static void test_nesting_limit(void **state)
{
	/* the key sits at depth 1, so 64 levels of arrays fit and 65 do not */
	expect_depth("a = ", "[", 64, "1", "]", true);
	expect_depth("a = ", "[", 65, "1", "]", false);
	expect_depth("a = ", "[", 100000, "", "]", false);
	expect_depth("", "x = {", 64, "", "}", true);
	expect_depth("", "x = {", 65, "", "}", false);
	expect_depth("a = ", "{x = [", 40000, "", "]}", false);
	expect_depth("", "k.", 63, "k = 1", "", true);
	expect_depth("", "k.", 64, "k = 1", "", false);
	expect_depth("", "k.", 10000, "k = 1", "", false);
	expect_depth("[", "t.", 63, "t]\n", "", true);
	expect_depth("[", "t.", 64, "t]\n", "", false);
}

static void test_nesting_limit_across_header(void **state)
{
	/* a header 40 deep plus a dotted key 30 deep is 70 levels */
	char *header = repeat("[", "t.", 39, "t]\n");
	char *doc = repeat(header, "k.", 29, "k = 1\n");
	pt_toml_value *root = NULL;
	char err[256];
	assert_int_equal(pt_toml_parse(doc, strlen(doc), &root, err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "line 2: key \""));
	assert_non_null(strstr(err, "\": nested deeper than 64 levels"));
	free(doc);
	doc = repeat(header, "k.", 23, "k = [1]\n");
	assert_int_equal(pt_toml_parse(doc, strlen(doc), &root, err, sizeof err), PT_OK);
	pt_toml_free(root);
	free(doc);
	free(header);
}

static void test_many_entries(void **state)
{
	size_t cap = 3000 * 24;
	char *doc = malloc(cap), *p = doc;
	assert_non_null(doc);
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "k%d = %d\n", i, i);
	p += sprintf(p, "arr = [");
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "%d,", i);
	sprintf(p, "]\n");
	pt_toml_value *root = parse(doc);
	assert_int_equal(root->as.table.count, 1001);
	assert_int_equal(int_at(root, "k999"), 999);
	assert_int_equal(at(root, "k999")->line, 1000);
	const pt_toml_value *arr = at(root, "arr");
	assert_int_equal(arr->as.array.count, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(arr->as.array.items[i].as.integer, i);
	pt_toml_free(root);
	free(doc);
}

/* Big tables go through the parser's index; it must agree with a search. */
static void test_big_tables(void **state)
{
	char *doc = malloc(200000), *p = doc;
	assert_non_null(doc);
	for (int i = 0; i < 2000; i++)
		p += sprintf(p, "[t%d]\nk = %d\n", i, i);
	strcpy(p, "[t1500]\n");
	expect_error(doc, "line 4001: table \"t1500\": defined twice (first on line 3001)");
	strcpy(p, "[t1999.k.x]\n");
	expect_error(doc, "line 4001: table \"t1999.k.x\": \"k\" is already an integer "
			  "(line 4000)");
	strcpy(p, "[t2000]\nk = 1\n");
	pt_toml_value *root = parse(doc);
	assert_int_equal(root->as.table.count, 2001);
	assert_int_equal(int_at(root, "t1234.k"), 1234);
	pt_toml_free(root);

	/* many keys in one inline table, twice in one array: no false duplicates */
	p = doc + sprintf(doc, "a = [");
	for (int j = 0; j < 2; j++) {
		p += sprintf(p, "{");
		for (int i = 0; i < 100; i++)
			p += sprintf(p, "k%d = %d, ", i, i);
		p += sprintf(p, "x.y = 1, x.z = 2}, ");
	}
	p += sprintf(p, "]\n");
	root = parse(doc);
	const pt_toml_value *a = at(root, "a");
	assert_int_equal(a->as.array.count, 2);
	assert_int_equal(int_at(&a->as.array.items[1], "k99"), 99);
	assert_int_equal(int_at(&a->as.array.items[1], "x.z"), 2);
	pt_toml_free(root);
	sprintf(p - 5, ", k42 = 0}]"); /* replaces the final "}, ]\n" */
	expect_error(doc, "line 1: key \"a.k42\": defined twice (first on line 1)");
	free(doc);
}

/* ---- messages and the error buffer ---- */

static void test_messages_name_the_key(void **state)
{
	expect_error("a = 1\nb = 2\nattempts =", "line 3: key \"attempts\": expected a value, "
						 "found end of input");
	expect_error("[daemon]\nlog_level = info", "line 2: key \"daemon.log_level\": invalid "
						   "value \"info\" (strings need quotes)");
	expect_error("[rate_limiting.resources]\n\"api:x\" = { limit = 5000, window = 1h }",
		     "line 2: key \"rate_limiting.resources.api:x.window\": invalid value "
		     "\"1h\"");
	expect_error("[a]\nb.c = [\n 1,\n 01]", "line 4: key \"a.b.c\": leading zeros are not "
						"allowed (01)");
	/* control characters in key names are not echoed */
	expect_error("\"a\\nb\" = x", "line 1: key \"a?b\": invalid value \"x\" (strings need "
				      "quotes)");
	expect_error("\"a\\u001bb\".c = 1\n\"a\\u001bb\" = 2",
		     "line 2: key \"a?b\": defined twice (first on line 1)");
	expect_error("\"\\t\" = 1\n\"\\t\".x = 2",
		     "line 2: key \"?.x\": \"?\" is already an integer (line 1)");
}

static void test_long_names_are_cut(void **state)
{
	char *key = repeat("", "abcdefghij", 30, "");
	char *doc = repeat(key, "", 0, " = oops");
	char err[256];
	pt_toml_value *root;
	assert_int_equal(pt_toml_parse(doc, strlen(doc), &root, err, sizeof err), PT_EINVAL);
	assert_memory_equal(err, "line 1: key \"abcdefghij", 22);
	assert_non_null(strstr(err, "...\": invalid value"));
	free(doc);
	doc = repeat("x = 1\n[", "abcdefghijk.", 30, "z]\n");
	assert_int_equal(pt_toml_parse(doc, strlen(doc), &root, err, sizeof err), PT_OK);
	pt_toml_free(root);
	free(doc);
	/* a long part in "is already" messages is cut too */
	doc = repeat(key, "", 0, " = 1\n");
	char *doc2 = repeat(doc, key, 1, ".x = 2\n");
	assert_int_equal(pt_toml_parse(doc2, strlen(doc2), &root, err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, ": \"abcdefghijabcdefghijabcdefghijabcdef...\" is already an "
				    "integer (line 1)"));
	free(doc2);
	free(doc);
	free(key);
}

static void test_error_buffer(void **state)
{
	pt_toml_value *root = (pt_toml_value *)&root;
	assert_int_equal(pt_toml_parse("a = ", 4, &root, NULL, 0), PT_EINVAL);
	assert_null(root);
	char small[12];
	assert_int_equal(pt_toml_parse("a = ", 4, &root, small, sizeof small), PT_EINVAL);
	assert_string_equal(small, "line 1: key");
	char tiny[1] = { 'x' };
	assert_int_equal(pt_toml_parse("a = ", 4, &root, tiny, sizeof tiny), PT_EINVAL);
	assert_int_equal(tiny[0], '\0');
	char err[64] = "stale";
	assert_int_equal(pt_toml_parse("a = 1", 5, &root, err, sizeof err), PT_OK);
	assert_string_equal(err, "");
	pt_toml_free(root);
	/* the length is honoured: text past it is not read */
	assert_int_equal(pt_toml_parse("a = 1garbage", 5, &root, err, sizeof err), PT_OK);
	assert_int_equal(int_at(root, "a"), 1);
	pt_toml_free(root);
}

static void test_bad_arguments(void **state)
{
	char err[64];
	pt_toml_value *root = (pt_toml_value *)&root;
	assert_int_equal(pt_toml_parse("a = 1", 5, NULL, err, sizeof err), PT_EINVAL);
	assert_int_equal(pt_toml_parse(NULL, 5, &root, err, sizeof err), PT_EINVAL);
	pt_toml_free(NULL);
}

/* ---- accessors ---- */

static void test_get(void **state)
{
	pt_toml_value *root = parse("a = 1\n[t]\nb = 'x'\n");
	assert_int_equal(pt_toml_get(root, "a")->as.integer, 1);
	assert_null(pt_toml_get(root, "b"));
	assert_null(pt_toml_get(root, "t.b")); /* one level, no dots */
	assert_null(pt_toml_get(root, "A"));   /* case-sensitive */
	assert_string_equal(pt_toml_get(pt_toml_get(root, "t"), "b")->as.string, "x");
	assert_null(pt_toml_get(pt_toml_get(root, "a"), "x")); /* not a table */
	assert_null(pt_toml_get(NULL, "a"));
	assert_null(pt_toml_get(root, NULL));
	pt_toml_free(root);
}

static void test_type_names(void **state)
{
	assert_string_equal(pt_toml_type_name(PT_TOML_STRING), "string");
	assert_string_equal(pt_toml_type_name(PT_TOML_INTEGER), "integer");
	assert_string_equal(pt_toml_type_name(PT_TOML_FLOAT), "float");
	assert_string_equal(pt_toml_type_name(PT_TOML_BOOLEAN), "boolean");
	assert_string_equal(pt_toml_type_name(PT_TOML_ARRAY), "array");
	assert_string_equal(pt_toml_type_name(PT_TOML_TABLE), "table");
	assert_string_equal(pt_toml_type_name((pt_toml_type)99), "unknown");
}

static void test_entry_order_and_lines(void **state)
{
	pt_toml_value *root = parse("z = 1\ny = 2\n[m]\n[a]\nx.q = 3\n");
	const char *want[] = { "z", "y", "m", "a" };
	int lines[] = { 1, 2, 3, 4 };
	assert_int_equal(root->as.table.count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(root->as.table.entries[i].key, want[i]);
		assert_int_equal(root->as.table.entries[i].value.line, lines[i]);
	}
	assert_int_equal(at(root, "a.x")->line, 5);
	assert_int_equal(at(root, "a.x.q")->line, 5);
	pt_toml_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_go_patience_top_level_keys),
		cmocka_unit_test(test_basic_strings),
		cmocka_unit_test(test_literal_strings),
		cmocka_unit_test(test_unicode_escapes),
		cmocka_unit_test(test_bad_escapes),
		cmocka_unit_test(test_control_characters_in_strings),
		cmocka_unit_test(test_unterminated_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_bad_integers),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_special_floats),
		cmocka_unit_test(test_bad_floats),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_bare_keys),
		cmocka_unit_test(test_quoted_keys),
		cmocka_unit_test(test_dotted_keys),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_implicit_tables),
		cmocka_unit_test(test_table_redefinition),
		cmocka_unit_test(test_table_header_syntax),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_multiline_arrays),
		cmocka_unit_test(test_bad_arrays),
		cmocka_unit_test(test_inline_tables),
		cmocka_unit_test(test_bad_inline_tables),
		cmocka_unit_test(test_comments_everywhere),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_nul_and_utf8),
		cmocka_unit_test(test_unsupported_features),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_nesting_limit_across_header),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_big_tables),
		cmocka_unit_test(test_messages_name_the_key),
		cmocka_unit_test(test_long_names_are_cut),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_entry_order_and_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
