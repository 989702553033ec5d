/* YAML config files: the tree pt_yaml_parse builds (scalars typed by the
 * YAML 1.2 core schema, nesting, lines), every error with its line, the
 * spec's tools: layout. A .yaml file applied to the settings: test_config.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "patience/error.h"
#include "patience/yaml_config.h"

static pt_toml_value *parse_ok(const char *yaml)
{
	pt_toml_value *root = NULL;
	char err[256] = "";
	int rc = pt_yaml_parse(yaml, strlen(yaml), &root, err, sizeof err);
	if (rc != PT_OK)
		fail_msg("%s: %s", yaml, err);
	assert_int_equal(root->type, PT_TOML_TABLE);
	return root;
}

/* The error text of a file that must not parse. */
static const char *parse_error(const char *yaml)
{
	static char err[256];
	pt_toml_value *root = (pt_toml_value *)1;
	assert_int_equal(pt_yaml_parse(yaml, strlen(yaml), &root, err, sizeof err), PT_EINVAL);
	assert_null(root);
	return err;
}

static const pt_toml_value *get(const pt_toml_value *t, const char *key, pt_toml_type type)
{
	const pt_toml_value *v = pt_toml_get(t, key);
	if (!v)
		fail_msg("no key \"%s\"", key);
	assert_int_equal(v->type, type);
	return v;
}

static void test_plain_scalars_are_typed(void **state)
{
	pt_toml_value *root = parse_ok("i: 42\nn: -7\np: +3\nz: 007\n"
				       "f: 1.5\ng: .5\nh: 1e3\nk: 2.\n"
				       "t: true\nT: True\nF: FALSE\n"
				       "s: hello world\nyes: yes\nno: no\non: on\nhex: 0x10\n"
				       "under: 1_000\ninf: .inf\nd: 1.5s\n");
	assert_int_equal(get(root, "i", PT_TOML_INTEGER)->as.integer, 42);
	assert_int_equal(get(root, "n", PT_TOML_INTEGER)->as.integer, -7);
	assert_int_equal(get(root, "p", PT_TOML_INTEGER)->as.integer, 3);
	assert_int_equal(get(root, "z", PT_TOML_INTEGER)->as.integer, 7);
	assert_true(get(root, "f", PT_TOML_FLOAT)->as.floating == 1.5);
	assert_true(get(root, "g", PT_TOML_FLOAT)->as.floating == 0.5);
	assert_true(get(root, "h", PT_TOML_FLOAT)->as.floating == 1000.0);
	assert_true(get(root, "k", PT_TOML_FLOAT)->as.floating == 2.0);
	assert_true(get(root, "t", PT_TOML_BOOLEAN)->as.boolean);
	assert_true(get(root, "T", PT_TOML_BOOLEAN)->as.boolean);
	assert_false(get(root, "F", PT_TOML_BOOLEAN)->as.boolean);
	/* Not YAML 1.1: yes, no, on and off are words, and so is what is not
	 * a decimal number. */
	assert_string_equal(get(root, "s", PT_TOML_STRING)->as.string, "hello world");
	assert_string_equal(get(root, "yes", PT_TOML_STRING)->as.string, "yes");
	assert_string_equal(get(root, "no", PT_TOML_STRING)->as.string, "no");
	assert_string_equal(get(root, "on", PT_TOML_STRING)->as.string, "on");
	assert_string_equal(get(root, "hex", PT_TOML_STRING)->as.string, "0x10");
	assert_string_equal(get(root, "under", PT_TOML_STRING)->as.string, "1_000");
	assert_string_equal(get(root, "inf", PT_TOML_STRING)->as.string, ".inf");
	assert_string_equal(get(root, "d", PT_TOML_STRING)->as.string, "1.5s");
	pt_toml_free(root);
}

static void test_quoted_and_block_scalars_are_strings(void **state)
{
	pt_toml_value *root = parse_ok("a: \"5\"\nb: 'true'\nc: \"\"\nd: '~'\n"
				       "e: \"tab\\there\"\nf: |\n  one\n  two\ng: >-\n  folded\n  line\n");
	assert_string_equal(get(root, "a", PT_TOML_STRING)->as.string, "5");
	assert_string_equal(get(root, "b", PT_TOML_STRING)->as.string, "true");
	assert_string_equal(get(root, "c", PT_TOML_STRING)->as.string, "");
	assert_string_equal(get(root, "d", PT_TOML_STRING)->as.string, "~");
	assert_string_equal(get(root, "e", PT_TOML_STRING)->as.string, "tab\there");
	assert_string_equal(get(root, "f", PT_TOML_STRING)->as.string, "one\ntwo\n");
	assert_string_equal(get(root, "g", PT_TOML_STRING)->as.string, "folded line");
	pt_toml_free(root);
}

static void test_nesting_and_lines(void **state)
{
	pt_toml_value *root = parse_ok("# a comment\n"
				       "daemon:\n"
				       "  log_level: debug\n"
				       "rate_limiting:\n"
				       "  resources:\n"
				       "    \"api:external:x\": {limit: 5, window: 1m}\n"
				       "profiles:\n"
				       "  mine:\n"
				       "    limits:\n"
				       "      - 60/1m\n"
				       "      - 1000/1d@calendar\n"
				       "flow: [1, [2, 3]]\n");
	const pt_toml_value *daemon = get(root, "daemon", PT_TOML_TABLE);
	assert_int_equal(daemon->line, 2); /* a table's line is its key's */
	const pt_toml_value *level = get(daemon, "log_level", PT_TOML_STRING);
	assert_string_equal(level->as.string, "debug");
	assert_int_equal(level->line, 3);
	const pt_toml_value *res = get(get(root, "rate_limiting", PT_TOML_TABLE), "resources",
				       PT_TOML_TABLE);
	const pt_toml_value *x = get(res, "api:external:x", PT_TOML_TABLE);
	assert_int_equal(get(x, "limit", PT_TOML_INTEGER)->as.integer, 5);
	assert_string_equal(get(x, "window", PT_TOML_STRING)->as.string, "1m");
	const pt_toml_value *limits = get(get(get(root, "profiles", PT_TOML_TABLE), "mine",
					      PT_TOML_TABLE),
					  "limits", PT_TOML_ARRAY);
	assert_int_equal(limits->as.array.count, 2);
	assert_string_equal(limits->as.array.items[1].as.string, "1000/1d@calendar");
	assert_int_equal(limits->as.array.items[1].line, 11);
	const pt_toml_value *flow = get(root, "flow", PT_TOML_ARRAY);
	assert_int_equal(flow->as.array.items[1].type, PT_TOML_ARRAY);
	assert_int_equal(flow->as.array.items[1].as.array.items[1].as.integer, 3);
	assert_string_equal(root->as.table.entries[0].key, "daemon"); /* file order */
	pt_toml_free(root);
}

/* libyaml's own words may change between its versions; the line is ours. */
static void assert_syntax_error(const char *yaml, const char *line, const char *words)
{
	const char *err = parse_error(yaml);
	if (strncmp(err, line, strlen(line)) != 0 || !strstr(err, words))
		fail_msg("\"%s\" is not \"%s...%s...\"", err, line, words);
}

static void test_empty_documents(void **state)
{
	static const char *const empties[] = {"", "# nothing yet\n", "---\n", "---\n# x\n...\n",
					      "\xEF\xBB\xBF", "\n\n"};
	for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
		pt_toml_value *root = parse_ok(empties[i]);
		assert_int_equal(root->as.table.count, 0);
		pt_toml_free(root);
	}
	/* A byte-order mark is skipped, and lines still count from it. */
	pt_toml_value *root = parse_ok("\xEF\xBB\xBF" "a: 1\nb: 2\n");
	assert_int_equal(get(root, "a", PT_TOML_INTEGER)->as.integer, 1);
	assert_int_equal(get(root, "b", PT_TOML_INTEGER)->line, 2);
	pt_toml_free(root);
	/* UTF-8 only: a UTF-16 file is not guessed at. */
	assert_syntax_error("\xFF\xFE" "a\0:\0 \0" "1\0", "line 1: ", "UTF-8");
}

static void test_null_is_an_error(void **state)
{
	assert_string_equal(parse_error("a: 1\nb: ~\n"), "line 2: key \"b\": expected a value");
	assert_string_equal(parse_error("a: null\n"), "line 1: key \"a\": expected a value");
	assert_string_equal(parse_error("a: NULL\n"), "line 1: key \"a\": expected a value");
	assert_string_equal(parse_error("daemon:\n  log_level:\n"),
			    "line 2: key \"daemon.log_level\": expected a value");
	assert_string_equal(parse_error("l:\n  - 1\n  -\n"), "line 3: key \"l\": expected a value");
}

static void test_errors_name_their_line(void **state)
{
	assert_string_equal(parse_error("a: 1\nb: 2\na: 3\n"),
			    "line 3: key \"a\": defined twice (first on line 1)");
	assert_string_equal(parse_error("d:\n  x: 1\n  x: 2\n"),
			    "line 3: key \"d.x\": defined twice (first on line 2)");
	assert_string_equal(parse_error("a: 1\nb: &anchor 2\n"),
			    "line 2: key \"b\": anchors (&) and aliases (*) are not supported: "
			    "write the value out");
	assert_string_equal(parse_error("a: &x {b: 1}\n"),
			    "line 1: key \"a\": anchors (&) and aliases (*) are not supported: "
			    "write the value out");
	assert_non_null(strstr(parse_error("a: x\nb: *x\n"), "line 2: key \"b\": anchors"));
	assert_string_equal(parse_error("\na: !!str 5\n"),
			    "line 2: key \"a\": tags (!) are not supported: quote a string");
	assert_string_equal(parse_error("a: 1\n---\nb: 2\n"),
			    "line 2: a second document: a config file holds one");
	assert_string_equal(parse_error("a: 1\n5: x\n"),
			    "line 2: mapping key 5 is not a string: quote it");
	assert_string_equal(parse_error("true: x\n"),
			    "line 1: mapping key true is not a string: quote it");
	assert_string_equal(parse_error("d:\n  ? [a, b]\n  : x\n"),
			    "line 2: key \"d\": a mapping key must be a string, not a sequence");
	assert_string_equal(parse_error("- a\n- b\n"),
			    "line 1: the top level must be a mapping of keys to values, not a sequence");
	assert_string_equal(parse_error("just text\n"),
			    "line 1: the top level must be a mapping of keys to values, not a single "
			    "value");
	assert_string_equal(parse_error("a: \"x\\0y\"\n"),
			    "line 1: key \"a\": a string may not hold NUL (\\0)");
	assert_string_equal(parse_error("a: 99999999999999999999\n"),
			    "line 1: key \"a\": number 99999999999999999999 is out of range");
	assert_string_equal(parse_error("a: 1e999\n"), "line 1: key \"a\": number 1e999 is out of range");
}

static void test_syntax_errors_name_their_line(void **state)
{
	assert_syntax_error("a: 1\nb: c: d\n", "line 2: ", "mapping values are not allowed");
	assert_syntax_error("a:\n  b: [1, 2\n", "line 2: ", "flow sequence");
	assert_syntax_error("a: 1\nb: \"open\n", "line 2: ", "unexpected end of stream");
	assert_syntax_error("a: 1\nb: \xff\n", "line 2: ", "UTF-8");
	assert_syntax_error("a: 1\n\tb: 2\n", "line 2: ", "tab");
}

/* "a: " and levels nested sequences around 1. */
static void nested(char *buf, size_t len, int levels)
{
	size_t n = (size_t)snprintf(buf, len, "a: ");
	for (int i = 0; i < levels; i++)
		buf[n++] = '[';
	buf[n++] = '1';
	for (int i = 0; i < levels; i++)
		buf[n++] = ']';
	snprintf(buf + n, len - n, "\n");
}

/* Nesting is bounded: 64 levels (the top-level mapping and 63 below it)
 * parse, 65 do not. */
static void test_nesting_depth(void **state)
{
	char doc[256];
	nested(doc, sizeof doc, 63);
	pt_toml_free(parse_ok(doc));
	nested(doc, sizeof doc, 64);
	assert_string_equal(parse_error(doc), "line 1: key \"a\": nested deeper than 64 levels");
}

static void test_tools_layout(void **state)
{
	pt_toml_value *root = parse_ok("attempts: 2\n"
				       "tools:\n"
				       "  patience:\n"
				       "    max_attempts: 5\n"
				       "  repeater:\n"
				       "    default_interval: 30s\n"
				       "last: 1\n");
	assert_null(pt_toml_get(root, "tools"));
	const pt_toml_value *p = get(root, "patience", PT_TOML_TABLE);
	assert_int_equal(get(p, "max_attempts", PT_TOML_INTEGER)->line, 4);
	get(get(root, "repeater", PT_TOML_TABLE), "default_interval", PT_TOML_STRING);
	/* In tools' place: after attempts, before last, as in the file. */
	assert_int_equal(root->as.table.count, 4);
	assert_string_equal(root->as.table.entries[0].key, "attempts");
	assert_string_equal(root->as.table.entries[1].key, "patience");
	assert_string_equal(root->as.table.entries[2].key, "repeater");
	assert_string_equal(root->as.table.entries[3].key, "last");
	pt_toml_free(root);
	/* Empty ones, which the fuzzer found: nothing to move or merge. */
	root = parse_ok("a: 1\ntools: {}\n");
	assert_int_equal(root->as.table.count, 1);
	pt_toml_free(root);
	root = parse_ok("patience: {}\ntools:\n  patience: {}\n  repeater: {}\n");
	assert_int_equal(root->as.table.count, 2);
	assert_int_equal(get(root, "repeater", PT_TOML_TABLE)->as.table.count, 0);
	pt_toml_free(root);
}

static void test_tools_merge_with_top_level(void **state)
{
	pt_toml_value *root = parse_ok("patience:\n  default_strategy: fib\n"
				       "tools:\n  patience:\n    max_attempts: 5\n");
	const pt_toml_value *p = get(root, "patience", PT_TOML_TABLE);
	assert_int_equal(p->as.table.count, 2);
	get(p, "default_strategy", PT_TOML_STRING);
	get(p, "max_attempts", PT_TOML_INTEGER);
	assert_int_equal(root->as.table.count, 1);
	pt_toml_free(root);
	assert_string_equal(parse_error("tools:\n  patience:\n    max_attempts: 5\n"
					"patience:\n  max_attempts: 6\n"),
			    "line 5: key \"patience.max_attempts\": defined twice (first on line 3)");
}

static void test_tools_errors(void **state)
{
	assert_string_equal(parse_error("tools:\n  patience: {}\n  rpr: {}\n"),
			    "line 3: key \"tools.rpr\": unknown tool: expected patience or repeater");
	assert_string_equal(parse_error("tools: [patience]\n"),
			    "line 1: key \"tools\": expected a mapping of patience or repeater");
	assert_string_equal(parse_error("tools:\n  repeater: 5\n"),
			    "line 2: key \"tools.repeater\": expected a mapping");
	assert_string_equal(parse_error("repeater: x\ntools:\n  repeater: {a: 1}\n"),
			    "line 1: key \"repeater\": expected a mapping, as tools.repeater is");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_scalars_are_typed),
		cmocka_unit_test(test_quoted_and_block_scalars_are_strings),
		cmocka_unit_test(test_nesting_and_lines),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_null_is_an_error),
		cmocka_unit_test(test_errors_name_their_line),
		cmocka_unit_test(test_syntax_errors_name_their_line),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_tools_layout),
		cmocka_unit_test(test_tools_merge_with_top_level),
		cmocka_unit_test(test_tools_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
