/* YAML config files into the config tree (patience/yaml_config.h). libyaml's
 * event parser does the syntax; this file walks its events depth first and
 * builds the tree as it goes. The tree is freeable after every step, so any
 * error just frees the root. */
#include "patience/yaml_config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/decimal.h"
#include "lib/parse_message.h"
#include "patience/error.h"

/* Building and freeing the tree recurse once per level, so nesting is
 * bounded, as in TOML. */
#define YAML_MAX_DEPTH 64

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

struct reader {
	yaml_parser_t lib;
	yaml_event_t ev; /* the event at hand, when have_ev */
	bool have_ev;
	const char *text;
	size_t len;
	/* The keys from the root down to the value at hand, for messages. */
	const char *keys[YAML_MAX_DEPTH + 2];
	int n_keys;
	char *err;
	size_t err_len;
};

/* ---- messages ---- */

/* The dotted key into buf, control characters made '?' (they could come
 * from escapes and would reach a terminal), cut short with "...". */
static void key_name(const struct reader *r, char *buf, size_t len)
{
	size_t n = 0, room = len - 4; /* what "..." and the NUL leave */
	bool cut = false;
	for (int k = 0; k < r->n_keys && !cut; k++) {
		const char *c = r->keys[k];
		if (k > 0 && n < room)
			buf[n++] = '.';
		for (; *c && n < room; c++)
			buf[n++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
		cut = *c != '\0' || n == room;
	}
	memcpy(buf + n, cut ? "..." : "", cut ? 4 : 1);
}

static PRINTF_LIKE(3, 4) int fail(struct reader *r, int line, const char *fmt, ...)
{
	char name[128];
	key_name(r, name, sizeof name);
	va_list ap;
	va_start(ap, fmt);
	int rc = pt_parse_fail(r->err, r->err_len, line, name[0] ? "key" : NULL, name, fmt, ap);
	va_end(ap);
	return rc;
}

static int oom(struct reader *r)
{
	return pt_parse_oom(r->err, r->err_len);
}

static int line_of(yaml_mark_t mark)
{
	return mark.line >= INT_MAX ? INT_MAX : (int)mark.line + 1;
}

static int event_line(const struct reader *r)
{
	return line_of(r->ev.start_mark);
}

/* libyaml's reader reports a byte offset, not a line. */
static int line_at(const struct reader *r, size_t offset)
{
	int line = 1;
	for (size_t i = 0; i < offset && i < r->len; i++)
		line += r->text[i] == '\n';
	return line;
}

/* The last line an editor shows: libyaml places an error at the end of
 * the stream on the line after it. */
static int last_line(const struct reader *r)
{
	int line = line_at(r, r->len);
	return line > 1 && r->text[r->len - 1] == '\n' ? line - 1 : line;
}

/* What libyaml found wrong, as "line N: context: problem". */
static int syntax_error(struct reader *r)
{
	const yaml_parser_t *p = &r->lib;
	if (p->error == YAML_MEMORY_ERROR)
		return oom(r);
	int line = p->error == YAML_READER_ERROR ? line_at(r, p->problem_offset)
						 : line_of(p->problem_mark);
	if (line > last_line(r))
		line = last_line(r);
	r->n_keys = 0; /* the key at hand may be long past */
	if (p->context)
		return fail(r, line, "%s: %s", p->context, p->problem ? p->problem : "invalid YAML");
	return fail(r, line, "%s", p->problem ? p->problem : "invalid YAML");
}

/* ---- events ---- */

static int next(struct reader *r)
{
	if (r->have_ev)
		yaml_event_delete(&r->ev);
	r->have_ev = false;
	if (!yaml_parser_parse(&r->lib, &r->ev))
		return syntax_error(r);
	r->have_ev = true;
	return PT_OK;
}

static const char *node_kind(yaml_event_type_t type)
{
	switch (type) {
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_SEQUENCE_START_EVENT: return "a sequence";
	case YAML_SCALAR_EVENT: return "a single value";
	default: return "no value";
	}
}

/* Anchors, aliases and tags would make a value mean something its text
 * does not show; patience's settings never need them. */
static int refuse_decorations(struct reader *r)
{
	const yaml_event_t *e = &r->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	if (e->type == YAML_SCALAR_EVENT) {
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
	} else if (e->type == YAML_SEQUENCE_START_EVENT) {
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
	} else if (e->type == YAML_MAPPING_START_EVENT) {
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
	}
	if (anchor || e->type == YAML_ALIAS_EVENT)
		return fail(r, event_line(r),
			    "anchors (&) and aliases (*) are not supported: write the value out");
	if (tag)
		return fail(r, event_line(r), "tags (!) are not supported: quote a string");
	return PT_OK;
}

/* ---- scalars ---- */

static bool is_one_of(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(s, *words, n) == 0)
			return true;
	return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};

enum number_shape { NOT_A_NUMBER, INTEGER, FLOAT };

static size_t count_digits(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* The core schema's decimal forms: [-+]?[0-9]+ is an integer, and
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? a float. */
static enum number_shape number_shape(const char *s, size_t n)
{
	size_t i = n > 0 && (s[0] == '-' || s[0] == '+');
	size_t whole = count_digits(s + i, n - i), fraction = 0;
	i += whole;
	bool point = i < n && s[i] == '.';
	if (point) {
		fraction = count_digits(s + i + 1, n - i - 1);
		i += 1 + fraction;
	}
	if (whole == 0 && fraction == 0)
		return NOT_A_NUMBER;
	bool exponent = i < n && (s[i] == 'e' || s[i] == 'E');
	if (exponent) {
		i += 1 + (i + 1 < n && (s[i + 1] == '-' || s[i + 1] == '+'));
		size_t digits = count_digits(s + i, n - i);
		if (digits == 0)
			return NOT_A_NUMBER;
		i += digits;
	}
	if (i != n)
		return NOT_A_NUMBER;
	return point || exponent ? FLOAT : INTEGER;
}

/* A bad token is shown in messages, up to a point. */
#define SHOWN(s, n) ((n) > 40 ? 40 : (int)(n)), (s), ((n) > 40 ? "..." : "")

static int take_number(struct reader *r, const char *s, size_t n, enum number_shape shape,
		       pt_toml_value *v)
{
	int rc = shape == INTEGER ? pt_decimal_to_int64(s, n, &v->as.integer)
				  : pt_decimal_to_double(s, n, &v->as.floating);
	if (rc == PT_ENOMEM)
		return oom(r);
	if (rc != PT_OK)
		return fail(r, event_line(r), "number %.*s%s is out of range", SHOWN(s, n));
	v->type = shape == INTEGER ? PT_TOML_INTEGER : PT_TOML_FLOAT;
	return PT_OK;
}

static int take_string(struct reader *r, const char *s, size_t n, pt_toml_value *v)
{
	if (memchr(s, '\0', n))
		return fail(r, event_line(r), "a string may not hold NUL (\\0)");
	char *copy = malloc(n + 1);
	if (!copy)
		return oom(r);
	memcpy(copy, s, n);
	copy[n] = '\0';
	v->type = PT_TOML_STRING;
	v->as.string = copy;
	return PT_OK;
}

/* A plain scalar is typed by its text; a quoted or block one is a string. */
static int read_scalar(struct reader *r, pt_toml_value *v)
{
	const char *s = (const char *)r->ev.data.scalar.value;
	size_t n = r->ev.data.scalar.length;
	if (r->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return take_string(r, s, n, v);
	if (is_one_of(s, n, null_words))
		return fail(r, event_line(r), "expected a value");
	if (is_one_of(s, n, true_words) || is_one_of(s, n, false_words)) {
		v->type = PT_TOML_BOOLEAN;
		v->as.boolean = is_one_of(s, n, true_words);
		return PT_OK;
	}
	enum number_shape shape = number_shape(s, n);
	if (shape != NOT_A_NUMBER)
		return take_number(r, s, n, shape, v);
	return take_string(r, s, n, v);
}

/* ---- collections ---- */

static int read_node(struct reader *r, pt_toml_value *v, int line, int depth);

/* Grows *items (count used, *cap allocated) by one slot of size bytes. */
static bool make_room(void **items, size_t count, size_t *cap, size_t size)
{
	if (count < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : 4;
	void *grown = want <= SIZE_MAX / size ? realloc(*items, want * size) : NULL;
	if (!grown)
		return false;
	*items = grown;
	*cap = want;
	return true;
}

static int by_key_then_place(const void *a, const void *b)
{
	const pt_toml_entry *x = *(const pt_toml_entry *const *)a;
	const pt_toml_entry *y = *(const pt_toml_entry *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x > y) - (x < y);
}

/* The first key of t (in table order) that an earlier one repeats, or NULL;
 * *earlier gets that one. Sorted, equal keys are neighbours: O(n log n),
 * so that a huge mapping stays fast. */
static int find_repeated(const pt_toml_value *t, const pt_toml_entry **again,
			 const pt_toml_entry **earlier)
{
	size_t n = t->as.table.count;
	*again = NULL;
	if (n < 2)
		return PT_OK;
	const pt_toml_entry **sorted = malloc(n * sizeof *sorted);
	if (!sorted)
		return PT_ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &t->as.table.entries[i];
	qsort(sorted, n, sizeof *sorted, by_key_then_place);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0 && (!*again || sorted[i] < *again)) {
			*again = sorted[i];
			*earlier = sorted[i - 1];
		}
	free(sorted);
	return PT_OK;
}

/* YAML says a mapping's keys are unique; libyaml leaves that to us. */
static int check_unique(struct reader *r, const pt_toml_value *t)
{
	const pt_toml_entry *again, *earlier;
	if (find_repeated(t, &again, &earlier) != PT_OK)
		return oom(r);
	if (!again)
		return PT_OK;
	int first = again->value.line < earlier->value.line ? again->value.line
							     : earlier->value.line;
	int last = again->value.line < earlier->value.line ? earlier->value.line
							    : again->value.line;
	r->keys[r->n_keys++] = again->key;
	return fail(r, last, "defined twice (first on line %d)", first);
}

/* The key at hand must be a string: quoted, or plain text that is not a
 * number, a boolean or null. */
static int check_key(struct reader *r)
{
	int rc = refuse_decorations(r);
	if (rc != PT_OK)
		return rc;
	if (r->ev.type != YAML_SCALAR_EVENT)
		return fail(r, event_line(r), "a mapping key must be a string, not %s",
			    node_kind(r->ev.type));
	const char *s = (const char *)r->ev.data.scalar.value;
	size_t n = r->ev.data.scalar.length;
	if (memchr(s, '\0', n))
		return fail(r, event_line(r), "a key may not hold NUL (\\0)");
	bool plain = r->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (plain && (is_one_of(s, n, null_words) || is_one_of(s, n, true_words) ||
		      is_one_of(s, n, false_words) || number_shape(s, n) != NOT_A_NUMBER))
		return fail(r, event_line(r), "mapping key %.*s%s is not a string: quote it",
			    SHOWN(s, n));
	return PT_OK;
}

/* A new entry of t keyed by the scalar at hand, its value a placeholder. */
static pt_toml_entry *add_entry(struct reader *r, pt_toml_value *t, size_t *cap)
{
	size_t n = r->ev.data.scalar.length;
	char *key = malloc(n + 1);
	if (!key || !make_room((void **)&t->as.table.entries, t->as.table.count, cap,
			       sizeof *t->as.table.entries)) {
		free(key);
		return NULL;
	}
	memcpy(key, r->ev.data.scalar.value, n);
	key[n] = '\0';
	pt_toml_entry *e = &t->as.table.entries[t->as.table.count++];
	*e = (pt_toml_entry){ .key = key, .value = { .type = PT_TOML_BOOLEAN } };
	return e;
}

static int read_entry(struct reader *r, pt_toml_value *t, size_t *cap, int depth)
{
	int line = event_line(r);
	int rc = check_key(r);
	if (rc != PT_OK)
		return rc;
	pt_toml_entry *e = add_entry(r, t, cap);
	if (!e)
		return oom(r);
	r->keys[r->n_keys++] = e->key;
	rc = next(r);
	if (rc == PT_OK)
		rc = read_node(r, &e->value, line, depth);
	r->n_keys--;
	return rc;
}

static int read_mapping(struct reader *r, pt_toml_value *t, int depth)
{
	size_t cap = 0;
	t->type = PT_TOML_TABLE;
	t->as.table.entries = NULL;
	t->as.table.count = 0;
	for (;;) {
		int rc = next(r);
		if (rc == PT_OK && r->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (rc == PT_OK)
			rc = read_entry(r, t, &cap, depth);
		if (rc != PT_OK)
			return rc;
	}
	return check_unique(r, t);
}

static int read_sequence(struct reader *r, pt_toml_value *a, int depth)
{
	size_t cap = 0;
	a->type = PT_TOML_ARRAY;
	a->as.array.items = NULL;
	a->as.array.count = 0;
	for (;;) {
		int rc = next(r);
		if (rc != PT_OK)
			return rc;
		if (r->ev.type == YAML_SEQUENCE_END_EVENT)
			return PT_OK;
		if (!make_room((void **)&a->as.array.items, a->as.array.count, &cap,
			       sizeof *a->as.array.items))
			return oom(r);
		pt_toml_value *item = &a->as.array.items[a->as.array.count++];
		*item = (pt_toml_value){ .type = PT_TOML_BOOLEAN };
		if ((rc = read_node(r, item, event_line(r), depth)) != PT_OK)
			return rc;
	}
}

/* The node that starts with the event at hand into *v, which sits depth
 * levels below the root. */
static int read_node(struct reader *r, pt_toml_value *v, int line, int depth)
{
	int rc = refuse_decorations(r);
	if (rc != PT_OK)
		return rc;
	v->line = line;
	if (r->ev.type == YAML_SCALAR_EVENT)
		return read_scalar(r, v);
	if (depth >= YAML_MAX_DEPTH)
		return fail(r, event_line(r), "nested deeper than %d levels", YAML_MAX_DEPTH);
	if (r->ev.type == YAML_SEQUENCE_START_EVENT)
		return read_sequence(r, v, depth + 1);
	return read_mapping(r, v, depth + 1);
}

/* ---- the document ---- */

/* The top level: a mapping, or nothing at all ("---" and comments). */
static int read_top(struct reader *r, pt_toml_value *root)
{
	int rc = refuse_decorations(r);
	if (rc != PT_OK)
		return rc;
	if (r->ev.type == YAML_MAPPING_START_EVENT)
		return read_mapping(r, root, 1);
	if (r->ev.type == YAML_SCALAR_EVENT && r->ev.data.scalar.length == 0 &&
	    r->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return PT_OK;
	return fail(r, event_line(r), "the top level must be a mapping of keys to values, not %s",
		    node_kind(r->ev.type));
}

static int read_stream(struct reader *r, pt_toml_value *root)
{
	int rc = next(r); /* the stream's start */
	if (rc == PT_OK)
		rc = next(r);
	if (rc != PT_OK || r->ev.type == YAML_STREAM_END_EVENT)
		return rc; /* an empty file */
	if ((rc = next(r)) != PT_OK || (rc = read_top(r, root)) != PT_OK)
		return rc;
	if ((rc = next(r)) != PT_OK || (rc = next(r)) != PT_OK) /* the document's end */
		return rc;
	if (r->ev.type == YAML_DOCUMENT_START_EVENT)
		return fail(r, event_line(r), "a second document: a config file holds one");
	return PT_OK;
}

/* ---- tools: {patience: ..., repeater: ...} ---- */

static pt_toml_entry *find_entry(pt_toml_value *t, const char *key)
{
	for (size_t i = 0; i < t->as.table.count; i++)
		if (strcmp(t->as.table.entries[i].key, key) == 0)
			return &t->as.table.entries[i];
	return NULL;
}

/* tools must be a mapping of mappings named patience or repeater, and a
 * top-level table of the same name, if any, a mapping too. */
static int check_tools(struct reader *r, pt_toml_value *root, pt_toml_entry *tools)
{
	r->keys[r->n_keys++] = tools->key;
	if (tools->value.type != PT_TOML_TABLE)
		return fail(r, tools->value.line, "expected a mapping of patience or repeater");
	for (size_t i = 0; i < tools->value.as.table.count; i++) {
		const pt_toml_entry *tool = &tools->value.as.table.entries[i];
		r->keys[r->n_keys++] = tool->key;
		if (strcmp(tool->key, "patience") != 0 && strcmp(tool->key, "repeater") != 0)
			return fail(r, tool->value.line, "unknown tool: expected patience or repeater");
		if (tool->value.type != PT_TOML_TABLE)
			return fail(r, tool->value.line, "expected a mapping");
		const pt_toml_entry *top = find_entry(root, tool->key);
		r->n_keys = 1;
		if (top && top->value.type != PT_TOML_TABLE) {
			r->keys[0] = top->key;
			return fail(r, top->value.line, "expected a mapping, as tools.%s is", top->key);
		}
	}
	r->n_keys = 0;
	return PT_OK;
}

/* The entries of from's table appended to into's, from left empty. */
static int merge_table(struct reader *r, pt_toml_entry *into, pt_toml_value *from)
{
	pt_toml_value *t = &into->value;
	size_t n = t->as.table.count + from->as.table.count;
	if (from->as.table.count == 0) /* tools: {patience: {}} */
		return PT_OK;
	pt_toml_entry *grown = realloc(t->as.table.entries, n * sizeof *grown);
	if (!grown)
		return oom(r);
	memcpy(grown + t->as.table.count, from->as.table.entries,
	       from->as.table.count * sizeof *grown);
	t->as.table.entries = grown;
	t->as.table.count = n;
	free(from->as.table.entries);
	*from = (pt_toml_value){ .type = PT_TOML_TABLE };
	r->keys[r->n_keys++] = into->key;
	int rc = check_unique(r, t);
	r->n_keys--;
	return rc;
}

/* The tools entry (root's at) becomes its tables, in its place: the
 * entries after it stay after them, as they are in the file. */
static void replace_tools(pt_toml_value *root, size_t at, pt_toml_entry *tools)
{
	pt_toml_entry *entries = root->as.table.entries;
	size_t n_tools = tools->value.as.table.count, count = root->as.table.count;
	memmove(entries + at + n_tools, entries + at + 1, (count - at - 1) * sizeof *entries);
	if (n_tools > 0) /* tools: {} has no entries, not even their array */
		memcpy(entries + at, tools->value.as.table.entries, n_tools * sizeof *entries);
	root->as.table.count = count - 1 + n_tools;
	free(tools->value.as.table.entries);
	free(tools->key);
}

/* A tool whose table is also at the top level is merged into it, and left
 * an empty table; the rest move to the top level in tools' place. */
static int fold_tools(struct reader *r, pt_toml_value *root)
{
	pt_toml_entry *tools = find_entry(root, "tools");
	if (!tools)
		return PT_OK;
	int rc = check_tools(r, root, tools);
	pt_toml_value *tables = &tools->value;
	for (size_t i = 0; rc == PT_OK && i < tables->as.table.count; i++) {
		pt_toml_entry *tool = &tables->as.table.entries[i], *top = find_entry(root, tool->key);
		if (top)
			rc = merge_table(r, top, &tool->value);
	}
	if (rc != PT_OK)
		return rc;
	size_t kept = 0, at = (size_t)(tools - root->as.table.entries);
	for (size_t i = 0; i < tables->as.table.count; i++) {
		pt_toml_entry *tool = &tables->as.table.entries[i];
		if (find_entry(root, tool->key))
			free(tool->key); /* merged: its table is empty */
		else
			tables->as.table.entries[kept++] = *tool;
	}
	tables->as.table.count = kept;
	pt_toml_entry copy = *tools;
	pt_toml_entry *entries = realloc(root->as.table.entries,
					 (root->as.table.count + kept) * sizeof *entries);
	if (!entries)
		return oom(r); /* root still holds tools, as it now is */
	root->as.table.entries = entries;
	replace_tools(root, at, &copy);
	return PT_OK;
}

int pt_yaml_parse(const char *text, size_t len, pt_toml_value **root_out, char *err,
		  size_t err_len)
{
	struct reader r = { .text = text ? text : "", .len = len, .err = err, .err_len = err_len };
	if (err && err_len > 0)
		err[0] = '\0';
	if (!root_out || (!text && len > 0))
		return PT_EINVAL;
	*root_out = NULL;
	/* A byte-order mark, as some editors write: libyaml skips it only when
	 * it guesses the encoding, and UTF-8 is not to be guessed. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		r.text += 3;
		r.len -= 3;
	}
	if (len > INT_MAX)
		return fail(&r, 1, "input larger than 2 GiB");
	pt_toml_value *root = calloc(1, sizeof *root);
	if (!root || !yaml_parser_initialize(&r.lib))
		return free(root), oom(&r);
	root->type = PT_TOML_TABLE;
	root->line = 1;
	yaml_parser_set_input_string(&r.lib, (const unsigned char *)r.text, r.len);
	yaml_parser_set_encoding(&r.lib, YAML_UTF8_ENCODING);
	int rc = read_stream(&r, root);
	if (rc == PT_OK)
		rc = fold_tools(&r, root);
	if (r.have_ev)
		yaml_event_delete(&r.ev);
	yaml_parser_delete(&r.lib);
	if (rc != PT_OK) {
		pt_toml_free(root);
		return rc;
	}
	*root_out = root;
	return PT_OK;
}
