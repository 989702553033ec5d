/* The TOML subset of include/patience/toml.h: one recursive-descent pass
 * that builds the tree as it reads. The tree is freeable after every step,
 * so any error just frees the root. */
#include "patience/toml.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decimal.h"
#include "lib/parse_message.h"
#include "patience/error.h"

/* Parsing and freeing recurse once per level, so nesting is bounded. */
#define TOML_MAX_DEPTH 64
/* Tables with this many keys are looked up through the parser's index. */
#define INDEX_MIN 8

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* How a table came to be; TOML's rules for reopening a table depend on it. */
enum table_kind {
	KIND_VALUE,    /* key = value; an inline table becomes KIND_INLINE */
	KIND_IMPLICIT, /* parent named in a header: [a.b] implies a */
	KIND_HEADER,   /* defined by its own [header] */
	KIND_DOTTED,   /* created by a dotted key: a.b = 1 creates a */
	KIND_INLINE,   /* { ... }: complete as written */
};

/* An index slot maps (table, key) to the entry's position. A table is known
 * by its first key's string, which stays put while the tree grows. */
struct index_slot {
	const char *owner, *key;
	size_t pos;
};

struct parser {
	const char *p, *end;
	int line;
	pt_toml_value *root, *section; /* section: the table of the last header */
	int section_depth;
	size_t section_name_len;
	const char *what; /* "key" or "table" once a name is known, for messages */
	char name[128];   /* dotted name of that key or table */
	size_t name_len;  /* logical length; beyond the buffer the name is cut */
	char *err;
	size_t err_len;
	struct index_slot *slots; /* open addressing, at most half full */
	size_t n_slots, used;
};

static int parse_value(struct parser *ps, pt_toml_value *v, int depth);

/* ---- the tree ---- */

/* The public tree has no room for a table's kind, so every key is allocated
 * one byte longer and the kind lives just past its terminating NUL. */
static enum table_kind entry_kind(const pt_toml_entry *e)
{
	return (enum table_kind)e->key[strlen(e->key) + 1];
}

static void set_entry_kind(pt_toml_entry *e, enum table_kind kind)
{
	e->key[strlen(e->key) + 1] = (char)kind;
}

/* Arrays and tables store no capacity: it is count rounded up to a power of
 * two (at least 4), so they grow when count is 0 or reaches such a power. */
static void *grow(void *items, size_t count, size_t size)
{
	if (count != 0 && (count < 4 || (count & (count - 1)) != 0))
		return items;
	size_t cap = count < 4 ? 4 : count * 2;
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(items, cap * size);
}

static uint64_t slot_hash(const char *owner, const char *key)
{
	uint64_t h = (uint64_t)(uintptr_t)owner * 0x9E3779B97F4A7C15u;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001B3u; /* FNV-1a */
	return h;
}

static struct index_slot *index_probe(const struct parser *ps, const char *owner,
				      const char *key)
{
	size_t mask = ps->n_slots - 1;
	for (size_t i = (size_t)slot_hash(owner, key) & mask;; i = (i + 1) & mask) {
		struct index_slot *s = &ps->slots[i];
		if (!s->owner || (s->owner == owner && strcmp(s->key, key) == 0))
			return s;
	}
}

static bool index_grow(struct parser *ps)
{
	size_t n_old = ps->n_slots;
	struct index_slot *old = ps->slots;
	size_t n = n_old ? n_old * 2 : 64;
	if (n > SIZE_MAX / sizeof *old || !(ps->slots = calloc(n, sizeof *old))) {
		ps->slots = old;
		return false;
	}
	ps->n_slots = n;
	for (size_t i = 0; i < n_old; i++)
		if (old[i].owner)
			*index_probe(ps, old[i].owner, old[i].key) = old[i];
	free(old);
	return true;
}

static bool index_put(struct parser *ps, const pt_toml_value *t, size_t pos)
{
	if (2 * (ps->used + 1) > ps->n_slots && !index_grow(ps))
		return false;
	const char *owner = t->as.table.entries[0].key, *key = t->as.table.entries[pos].key;
	*index_probe(ps, owner, key) = (struct index_slot){ owner, key, pos };
	ps->used++;
	return true;
}

/* Small tables are searched; big ones (a fuzzer's, say) go through the index,
 * so that parsing stays linear in the number of keys. */
static pt_toml_entry *table_find(const struct parser *ps, const pt_toml_value *t,
				 const char *key)
{
	size_t count = t->as.table.count;
	if (count >= INDEX_MIN) {
		const struct index_slot *s = index_probe(ps, t->as.table.entries[0].key, key);
		return s->owner ? &t->as.table.entries[s->pos] : NULL;
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(t->as.table.entries[i].key, key) == 0)
			return &t->as.table.entries[i];
	return NULL;
}

/* Indexes a table's newest entry, or all of them once there are enough. */
static bool table_index(struct parser *ps, const pt_toml_value *t)
{
	size_t count = t->as.table.count;
	if (count < INDEX_MIN)
		return true;
	for (size_t i = count == INDEX_MIN ? 0 : count - 1; i < count; i++)
		if (!index_put(ps, t, i))
			return false;
	return true;
}

/* A new entry: an empty table, or for KIND_VALUE a placeholder to fill. */
static pt_toml_entry *table_add(struct parser *ps, pt_toml_value *t, const char *key,
				enum table_kind kind)
{
	pt_toml_entry *entries = grow(t->as.table.entries, t->as.table.count, sizeof *entries);
	if (!entries)
		return NULL;
	t->as.table.entries = entries;
	size_t len = strlen(key);
	char *copy = malloc(len + 2);
	if (!copy)
		return NULL;
	memcpy(copy, key, len + 1);
	copy[len + 1] = (char)kind;
	pt_toml_entry *e = &entries[t->as.table.count++];
	e->key = copy;
	e->value = (pt_toml_value){ .type = kind == KIND_VALUE ? PT_TOML_BOOLEAN : PT_TOML_TABLE,
				    .line = ps->line };
	return table_index(ps, t) ? e : NULL;
}

static pt_toml_value *array_add(pt_toml_value *a, int line)
{
	pt_toml_value *items = grow(a->as.array.items, a->as.array.count, sizeof *items);
	if (!items)
		return NULL;
	a->as.array.items = items;
	pt_toml_value *v = &items[a->as.array.count++];
	*v = (pt_toml_value){ .type = PT_TOML_BOOLEAN, .line = line };
	return v;
}

/* ---- messages ---- */

static void name_putc(struct parser *ps, char c)
{
	if (ps->name_len < sizeof ps->name - 1) {
		ps->name[ps->name_len] = c;
		ps->name[ps->name_len + 1] = '\0';
	}
	ps->name_len++;
}

/* Control characters could come from escapes; messages end up on terminals. */
static void name_add(struct parser *ps, const char *part)
{
	if (ps->name_len > 0)
		name_putc(ps, '.');
	for (; *part; part++)
		name_putc(ps, (unsigned char)*part < 0x20 || *part == 0x7f ? '?' : *part);
}

static void name_cut(struct parser *ps, size_t len)
{
	ps->name_len = len;
	if (len < sizeof ps->name)
		ps->name[len] = '\0';
}

static PRINTF_LIKE(2, 3) int fail(struct parser *ps, const char *fmt, ...)
{
	char name[sizeof ps->name + 3];
	snprintf(name, sizeof name, "%s%s", ps->name, ps->name_len >= sizeof ps->name ? "..." : "");
	va_list ap;
	va_start(ap, fmt);
	int rc = pt_parse_fail(ps->err, ps->err_len, ps->line, ps->what, name, fmt, ap);
	va_end(ap);
	return rc;
}

static int oom(struct parser *ps)
{
	return pt_parse_oom(ps->err, ps->err_len);
}

/* s fit for a message: control characters replaced, long keys cut. */
static const char *clean(const char *s, char buf[40])
{
	size_t i = 0;
	for (; s[i] && i < 36; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

static const char *article(pt_toml_type type)
{
	return type == PT_TOML_INTEGER || type == PT_TOML_ARRAY ? "an" : "a";
}

/* ---- the cursor ---- */

static bool at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static int peek(const struct parser *ps)
{
	return at_end(ps) ? -1 : (unsigned char)*ps->p;
}

static size_t newline_len(const struct parser *ps)
{
	if (peek(ps) == '\n')
		return 1;
	if (peek(ps) == '\r' && ps->end - ps->p >= 2 && ps->p[1] == '\n')
		return 2;
	return 0;
}

/* What the cursor is on, for "expected X, found Y". */
static const char *found(const struct parser *ps, char buf[16])
{
	int c = peek(ps);
	if (c < 0)
		return "end of input";
	if (newline_len(ps))
		return "end of line";
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02X", (unsigned)c);
	return buf;
}

static void skip_ws(struct parser *ps)
{
	while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int skip_comment(struct parser *ps)
{
	if (peek(ps) != '#')
		return PT_OK;
	for (ps->p++; !at_end(ps) && !newline_len(ps); ps->p++)
		if (is_control((unsigned char)*ps->p))
			return fail(ps, "control character U+%04X in a comment",
				    (unsigned char)*ps->p);
	return PT_OK;
}

/* Whitespace, comments and newlines, as between statements and array items. */
static int skip_blank(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		int rc = skip_comment(ps);
		if (rc)
			return rc;
		size_t n = newline_len(ps);
		if (n == 0)
			return PT_OK;
		ps->p += n;
		ps->line++;
	}
}

/* After a key/value pair or a header: a comment, then a newline or the end. */
static int end_line(struct parser *ps, const char *after)
{
	char fb[16];
	skip_ws(ps);
	int rc = skip_comment(ps);
	if (rc)
		return rc;
	size_t n = newline_len(ps);
	if (n == 0 && !at_end(ps))
		return fail(ps, "unexpected %s after %s", found(ps, fb), after);
	ps->p += n;
	ps->line += n > 0;
	return PT_OK;
}

/* ---- encoding ---- */

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, cp = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, cp = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	size_t len = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	for (size_t i = len - 1; i > 0; i--, cp >>= 6)
		out[i] = (char)(0x80 | (cp & 0x3F));
	out[0] = (char)(((0xFF00 >> len) & 0xFF) | cp); /* len one bits, then a zero */
	return len;
}

/* TOML documents are UTF-8; checking once up front keeps NUL bytes and bad
 * sequences out of every string and comment. */
static int check_encoding(struct parser *ps)
{
	for (const char *s = ps->p; s < ps->end;) {
		size_t len = utf8_len((const unsigned char *)s, (size_t)(ps->end - s));
		if (*s == '\0' || len == 0)
			return fail(ps, *s ? "invalid UTF-8" : "NUL byte in the input");
		ps->line += *s == '\n';
		s += len;
	}
	ps->line = 1;
	return PT_OK;
}

/* ---- strings ---- */

/* The closing quote of the one-line string at the cursor, or NULL. */
static const char *string_end(const struct parser *ps)
{
	char quote = *ps->p;
	for (const char *q = ps->p + 1; q < ps->end && *q != '\n'; q++) {
		if (*q == quote)
			return q;
		if (quote == '"' && *q == '\\' && q + 1 < ps->end && q[1] != '\n')
			q++;
	}
	return NULL;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static int decode_unicode(struct parser *ps, const char *close, char *buf, size_t *len)
{
	int digits = ps->p[1] == 'u' ? 4 : 8;
	uint32_t cp = 0;
	for (int i = 0; i < digits; i++) {
		const char *h = ps->p + 2 + i;
		if (h >= close || hex_digit(*h) < 0)
			return fail(ps, "\\%c needs %d hex digits", ps->p[1], digits);
		cp = cp << 4 | (uint32_t)hex_digit(*h);
	}
	if (cp == 0)
		return fail(ps, "%.*s (NUL) is not allowed in a string", digits + 2, ps->p);
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return fail(ps, "%.*s is not a Unicode scalar value", digits + 2, ps->p);
	*len += utf8_encode(cp, buf + *len);
	ps->p += 2 + digits;
	return PT_OK;
}

static int decode_escape(struct parser *ps, const char *close, char *buf, size_t *len)
{
	static const char simple[] = "b\bt\tn\nf\fr\r\"\"\\\\";
	char c = ps->p[1];
	if (c == 'u' || c == 'U')
		return decode_unicode(ps, close, buf, len);
	for (const char *m = simple; *m; m += 2) {
		if (*m == c) {
			buf[(*len)++] = m[1];
			ps->p += 2;
			return PT_OK;
		}
	}
	if (c > 0x20 && c < 0x7f)
		return fail(ps, "invalid escape \\%c in a string", c);
	return fail(ps, "invalid escape in a string");
}

/* A basic "..." or literal '...' string at the cursor, decoded into *out.
 * The decoded text is never longer than the quoted source. */
static int parse_string(struct parser *ps, char **out)
{
	char quote = *ps->p;
	const char *close = string_end(ps);
	*out = NULL;
	if (!close)
		return fail(ps, "unterminated string");
	char *buf = malloc((size_t)(close - ps->p));
	if (!buf)
		return oom(ps);
	size_t len = 0;
	int rc = PT_OK;
	for (ps->p++; ps->p < close && !rc;) {
		unsigned char c = (unsigned char)*ps->p;
		if (is_control(c))
			rc = fail(ps, "control character U+%04X in a string", c);
		else if (c == '\\' && quote == '"')
			rc = decode_escape(ps, close, buf, &len);
		else
			buf[len++] = *ps->p++;
	}
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	ps->p = close + 1;
	*out = buf;
	return PT_OK;
}

/* ---- numbers, booleans ---- */

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of digits with single underscores between them ("1_000"), or 0. */
static size_t scan_digits(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_digit(s[i])) {
		i++;
		if (i + 1 < n && s[i] == '_' && is_digit(s[i + 1]))
			i++;
	}
	return i;
}

/* A bad token is shown in messages, up to a point. */
#define SHOWN(s, n) ((n) > 40 ? 40 : (int)(n)), (s), ((n) > 40 ? "..." : "")

static int bad_value(struct parser *ps, const char *s, size_t n)
{
	if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
		return fail(ps, "invalid value \"%.*s%s\" (strings need quotes)", SHOWN(s, n));
	return fail(ps, "invalid value \"%.*s%s\"", SHOWN(s, n));
}

static int to_integer(struct parser *ps, const char *s, size_t n, pt_toml_value *v)
{
	if (pt_decimal_to_int64(s, n, &v->as.integer) != PT_OK)
		return fail(ps, "integer %.*s%s is out of range", SHOWN(s, n));
	v->type = PT_TOML_INTEGER;
	return PT_OK;
}

static int to_float(struct parser *ps, const char *s, size_t n, pt_toml_value *v)
{
	int rc = pt_decimal_to_double(s, n, &v->as.floating);
	if (rc == PT_ENOMEM)
		return oom(ps);
	if (rc == PT_EINVAL)
		return bad_value(ps, s, n);
	if (rc == PT_ERANGE)
		return fail(ps, "float %.*s%s is out of range", SHOWN(s, n));
	v->type = PT_TOML_FLOAT;
	return PT_OK;
}

/* Decimal integers and floats; underscores only between digits. */
static int parse_number(struct parser *ps, const char *s, size_t n, pt_toml_value *v)
{
	size_t i = s[0] == '+' || s[0] == '-';
	if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0))
		return to_float(ps, s, n, v);
	size_t k = scan_digits(s + i, n - i);
	if (k == 0)
		return bad_value(ps, s, n);
	if (s[i] == '0' && k > 1)
		return fail(ps, "leading zeros are not allowed (%.*s)", (int)(i + k), s);
	bool is_float = false;
	i += k;
	if (i < n && s[i] == '.') {
		if ((k = scan_digits(s + i + 1, n - i - 1)) == 0)
			return bad_value(ps, s, n);
		i += 1 + k;
		is_float = true;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i += 1 + (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'));
		if ((k = scan_digits(s + i, n - i)) == 0)
			return bad_value(ps, s, n);
		i += k;
		is_float = true;
	}
	if (i != n)
		return bad_value(ps, s, n);
	return is_float ? to_float(ps, s, n, v) : to_integer(ps, s, n, v);
}

static bool is_token_char(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	       c == '-' || c == '+' || c == '.' || c == ':';
}

/* 1979-05-27 or 07:32:00 starts a date or a time. */
static bool looks_like_date(const char *s, size_t n)
{
	if (n >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
	    s[4] == '-')
		return true;
	return n >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

/* An unquoted value: boolean, integer or float. */
static int parse_scalar(struct parser *ps, pt_toml_value *v)
{
	char fb[16];
	const char *s = ps->p;
	while (!at_end(ps) && is_token_char(*ps->p))
		ps->p++;
	size_t n = (size_t)(ps->p - s);
	if (n == 0)
		return fail(ps, "expected a value, found %s", found(ps, fb));
	if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
		v->type = PT_TOML_BOOLEAN;
		v->as.boolean = n == 4;
		return PT_OK;
	}
	if (looks_like_date(s, n))
		return fail(ps, "dates and times are not supported");
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return fail(ps, "hexadecimal, octal and binary integers are not supported");
	return parse_number(ps, s, n, v);
}

/* ---- keys ---- */

struct key_path {
	char *parts[TOML_MAX_DEPTH];
	int n;
};

static void key_path_release(struct key_path *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->parts[i]);
	k->n = 0;
}

static bool is_bare_key_char(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '-';
}

static int parse_key_part(struct parser *ps, char **out)
{
	char fb[16];
	if (peek(ps) == '"' || peek(ps) == '\'')
		return parse_string(ps, out);
	const char *start = ps->p;
	while (!at_end(ps) && is_bare_key_char(*ps->p))
		ps->p++;
	if (ps->p == start)
		return fail(ps, "expected a key, found %s", found(ps, fb));
	*out = strndup(start, (size_t)(ps->p - start));
	return *out ? PT_OK : oom(ps);
}

/* A dotted key; once its first part is read, messages name it as what. */
static int parse_key(struct parser *ps, struct key_path *k, const char *what)
{
	k->n = 0;
	for (;;) {
		skip_ws(ps);
		if (k->n == TOML_MAX_DEPTH)
			return fail(ps, "nested deeper than %d levels", TOML_MAX_DEPTH);
		int rc = parse_key_part(ps, &k->parts[k->n]);
		if (rc)
			return rc;
		name_add(ps, k->parts[k->n++]);
		ps->what = what;
		skip_ws(ps);
		if (peek(ps) != '.')
			return PT_OK;
		ps->p++;
	}
}

/* ---- tables ---- */

static int not_a_table(struct parser *ps, const pt_toml_entry *e)
{
	char kb[40];
	return fail(ps, "\"%s\" is already %s %s (line %d)", clean(e->key, kb),
		    article(e->value.type), pt_toml_type_name(e->value.type), e->value.line);
}

static int inline_is_sealed(struct parser *ps, const pt_toml_entry *e)
{
	char kb[40];
	return fail(ps, "\"%s\" is an inline table (line %d) and cannot be extended",
		    clean(e->key, kb), e->value.line);
}

/* A header may pass through any table but an inline one, and may define a
 * table only once; tables implied by earlier headers count as undefined. */
static int reopen_table(struct parser *ps, pt_toml_entry *e, bool last)
{
	if (e->value.type != PT_TOML_TABLE)
		return not_a_table(ps, e);
	enum table_kind kind = entry_kind(e);
	if (kind == KIND_INLINE)
		return inline_is_sealed(ps, e);
	if (!last)
		return PT_OK;
	if (kind == KIND_DOTTED)
		return fail(ps, "already defined by dotted keys on line %d", e->value.line);
	if (kind != KIND_IMPLICIT)
		return fail(ps, "defined twice (first on line %d)", e->value.line);
	set_entry_kind(e, KIND_HEADER);
	e->value.line = ps->line;
	return PT_OK;
}

static int open_table(struct parser *ps, const struct key_path *k)
{
	pt_toml_value *t = ps->root;
	for (int i = 0; i < k->n; i++) {
		bool last = i == k->n - 1;
		pt_toml_entry *e = table_find(ps, t, k->parts[i]);
		if (!e) {
			e = table_add(ps, t, k->parts[i], last ? KIND_HEADER : KIND_IMPLICIT);
			if (!e)
				return oom(ps);
		} else {
			int rc = reopen_table(ps, e, last);
			if (rc)
				return rc;
		}
		t = &e->value;
	}
	ps->section = t;
	ps->section_depth = k->n;
	ps->section_name_len = ps->name_len;
	return PT_OK;
}

static int parse_header(struct parser *ps)
{
	char fb[16];
	struct key_path k = { .n = 0 };
	ps->p++;
	if (peek(ps) == '[')
		return fail(ps, "arrays of tables ([[...]]) are not supported");
	name_cut(ps, 0);
	int rc = parse_key(ps, &k, "table");
	if (!rc && peek(ps) != ']')
		rc = fail(ps, "expected ']' after the table name, found %s", found(ps, fb));
	if (!rc) {
		ps->p++;
		rc = open_table(ps, &k);
	}
	key_path_release(&k);
	return rc ? rc : end_line(ps, "the table header");
}

/* Dotted keys may only add to tables that dotted keys created. */
static int enter_dotted(struct parser *ps, const pt_toml_entry *e)
{
	if (e->value.type != PT_TOML_TABLE)
		return not_a_table(ps, e);
	char kb[40];
	enum table_kind kind = entry_kind(e);
	if (kind == KIND_INLINE)
		return inline_is_sealed(ps, e);
	if (kind != KIND_DOTTED)
		return fail(ps, "table \"%s\" (line %d) comes from a header; "
			    "dotted keys cannot add to it", clean(e->key, kb), e->value.line);
	return PT_OK;
}

/* Walks or creates the tables of k's leading parts, then adds its last. */
static int place_key(struct parser *ps, pt_toml_value *t, const struct key_path *k,
		     pt_toml_entry **out)
{
	for (int i = 0; i < k->n - 1; i++) {
		pt_toml_entry *e = table_find(ps, t, k->parts[i]);
		if (e) {
			int rc = enter_dotted(ps, e);
			if (rc)
				return rc;
		} else if (!(e = table_add(ps, t, k->parts[i], KIND_DOTTED))) {
			return oom(ps);
		}
		t = &e->value;
	}
	pt_toml_entry *e = table_find(ps, t, k->parts[k->n - 1]);
	if (e)
		return fail(ps, "defined twice (first on line %d)", e->value.line);
	*out = table_add(ps, t, k->parts[k->n - 1], KIND_VALUE);
	return *out ? PT_OK : oom(ps);
}

/* key = value into table t, which sits depth levels below the root. */
static int parse_keyval(struct parser *ps, pt_toml_value *t, int depth)
{
	char fb[16];
	struct key_path k = { .n = 0 };
	pt_toml_entry *e = NULL;
	int rc = parse_key(ps, &k, "key");
	if (!rc && depth + k.n > TOML_MAX_DEPTH)
		rc = fail(ps, "nested deeper than %d levels", TOML_MAX_DEPTH);
	if (!rc && peek(ps) != '=')
		rc = fail(ps, "expected '=' after the key, found %s", found(ps, fb));
	if (!rc) {
		ps->p++;
		skip_ws(ps);
		rc = place_key(ps, t, &k, &e);
	}
	int value_depth = depth + k.n;
	key_path_release(&k);
	if (!rc)
		rc = parse_value(ps, &e->value, value_depth);
	if (!rc && e->value.type == PT_TOML_TABLE)
		set_entry_kind(e, KIND_INLINE);
	return rc;
}

/* ---- arrays and inline tables ---- */

/* The next array item or the closing bracket, past blank lines and comments. */
static int array_next(struct parser *ps, int open_line)
{
	int rc = skip_blank(ps);
	if (!rc && at_end(ps))
		rc = fail(ps, "unterminated array (opened on line %d)", open_line);
	return rc;
}

static int parse_array(struct parser *ps, pt_toml_value *v, int depth)
{
	char fb[16];
	int open_line = ps->line;
	v->type = PT_TOML_ARRAY;
	v->as.array.items = NULL;
	v->as.array.count = 0;
	if (depth > TOML_MAX_DEPTH)
		return fail(ps, "nested deeper than %d levels", TOML_MAX_DEPTH);
	ps->p++;
	for (;;) {
		int rc = array_next(ps, open_line);
		if (rc)
			return rc;
		if (peek(ps) == ']')
			break;
		pt_toml_value *item = array_add(v, ps->line);
		if (!item)
			return oom(ps);
		if ((rc = parse_value(ps, item, depth + 1)) || (rc = array_next(ps, open_line)))
			return rc;
		if (peek(ps) == ']')
			break;
		if (peek(ps) != ',')
			return fail(ps, "expected ',' or ']' in the array, found %s", found(ps, fb));
		ps->p++;
	}
	ps->p++;
	return PT_OK;
}

/* Inline tables stay on one line and take no trailing comma (TOML 1.0). */
static bool inline_cut_short(const struct parser *ps)
{
	return at_end(ps) || newline_len(ps) || peek(ps) == '#' || peek(ps) == '\r';
}

static int parse_inline_table(struct parser *ps, pt_toml_value *v, int depth)
{
	char fb[16];
	size_t name_len = ps->name_len;
	v->type = PT_TOML_TABLE;
	v->as.table.entries = NULL;
	v->as.table.count = 0;
	if (depth > TOML_MAX_DEPTH)
		return fail(ps, "nested deeper than %d levels", TOML_MAX_DEPTH);
	ps->p++;
	skip_ws(ps);
	for (bool first = true;; first = false) {
		if (inline_cut_short(ps))
			return fail(ps, "unterminated inline table (it must end on its line)");
		if (peek(ps) == '}' && !first)
			return fail(ps, "trailing comma in an inline table");
		if (peek(ps) == '}')
			break;
		int rc = parse_keyval(ps, v, depth);
		name_cut(ps, name_len);
		if (rc)
			return rc;
		skip_ws(ps);
		if (inline_cut_short(ps))
			return fail(ps, "unterminated inline table (it must end on its line)");
		if (peek(ps) == '}')
			break;
		if (peek(ps) != ',')
			return fail(ps, "expected ',' or '}' in the inline table, found %s",
				    found(ps, fb));
		ps->p++;
		skip_ws(ps);
	}
	ps->p++;
	return PT_OK;
}

/* A value at the cursor into *v, which sits depth levels below the root. */
static int parse_value(struct parser *ps, pt_toml_value *v, int depth)
{
	int c = peek(ps);
	v->line = ps->line;
	if (c == '"' || c == '\'') {
		if (ps->end - ps->p >= 3 && ps->p[1] == c && ps->p[2] == c)
			return fail(ps, "multi-line strings are not supported");
		v->type = PT_TOML_STRING;
		return parse_string(ps, &v->as.string);
	}
	if (c == '[')
		return parse_array(ps, v, depth);
	if (c == '{')
		return parse_inline_table(ps, v, depth);
	return parse_scalar(ps, v);
}

/* ---- the document ---- */

static int parse_document(struct parser *ps)
{
	int rc = check_encoding(ps);
	if (!rc && ps->end - ps->p >= 3 && memcmp(ps->p, "\xEF\xBB\xBF", 3) == 0)
		ps->p += 3; /* a byte-order mark, as some editors write */
	while (!rc) {
		name_cut(ps, ps->section_name_len);
		ps->what = NULL;
		rc = skip_blank(ps);
		if (rc || at_end(ps))
			break;
		if (peek(ps) == '[') {
			rc = parse_header(ps);
		} else {
			rc = parse_keyval(ps, ps->section, ps->section_depth);
			if (!rc)
				rc = end_line(ps, "the value");
		}
	}
	return rc;
}

int pt_toml_parse(const char *text, size_t len, pt_toml_value **root_out, char *err,
		  size_t err_len)
{
	struct parser ps = { .line = 1, .err = err, .err_len = err_len };
	if (err && err_len > 0)
		err[0] = '\0';
	if (!root_out || (!text && len > 0))
		return PT_EINVAL;
	*root_out = NULL;
	if (len > INT_MAX)
		return fail(&ps, "input larger than 2 GiB");
	ps.p = text ? text : "";
	ps.end = ps.p + len;
	ps.root = calloc(1, sizeof *ps.root);
	if (!ps.root)
		return oom(&ps);
	ps.root->type = PT_TOML_TABLE;
	ps.root->line = 1;
	ps.section = ps.root;
	int rc = parse_document(&ps);
	free(ps.slots);
	if (rc) {
		pt_toml_free(ps.root);
		return rc;
	}
	*root_out = ps.root;
	return PT_OK;
}
