/* A strict parser for the subset of TOML v1.0 that patience's config needs:
 * comments, bare and quoted keys, dotted keys, [tables], [dotted.tables],
 * basic strings (with \" \\ \n \t \r \b \f \uXXXX \UXXXXXXXX escapes),
 * literal strings, integers (decimal with optional sign and _ separators),
 * floats (decimal, exponent, inf, nan), booleans, arrays (possibly nested,
 * multi-line, trailing comma) and inline tables. Not supported, and reported
 * as errors naming the line: multi-line strings, dates and times, arrays of
 * tables ([[x]]), hex/octal/binary integers. Redefining a key or a table is
 * an error, as TOML requires.
 *
 * The tree is the config files' tree, whatever their format: the YAML
 * parser (patience/yaml_config.h) builds the same one, and
 * pt_config_apply_toml applies either. */
#ifndef PATIENCE_TOML_H
#define PATIENCE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pt_toml_type {
	PT_TOML_STRING,
	PT_TOML_INTEGER,
	PT_TOML_FLOAT,
	PT_TOML_BOOLEAN,
	PT_TOML_ARRAY,
	PT_TOML_TABLE,
} pt_toml_type;

typedef struct pt_toml_value pt_toml_value;
typedef struct pt_toml_entry pt_toml_entry;

struct pt_toml_value {
	pt_toml_type type;
	int line; /* 1-based line where the value (or table header) appears */
	union {
		char *string;  /* NUL-terminated UTF-8; embedded NUL is rejected */
		int64_t integer;
		double floating;
		bool boolean;
		struct {
			pt_toml_value *items;
			size_t count;
		} array;
		struct {
			pt_toml_entry *entries; /* in the order they were defined */
			size_t count;
		} table;
	} as;
};

struct pt_toml_entry {
	char *key;
	pt_toml_value value;
};

/* Parse text[0..len) into *root_out, a PT_TOML_TABLE the caller frees with
 * pt_toml_free. On error returns PT_EINVAL (or PT_ENOMEM), *root_out is NULL,
 * and err (if given) holds "line N: what is wrong", naming the key when
 * there is one, e.g. "line 3: key \"attempts\": expected a value". */
int pt_toml_parse(const char *text, size_t len, pt_toml_value **root_out, char *err,
		  size_t err_len);
void pt_toml_free(pt_toml_value *root);
/* Frees what v holds, not v itself (a value inside another's storage); v
 * is left an empty table. */
void pt_toml_release(pt_toml_value *v);

/* The value under key in table (one level, no dots), or NULL. */
const pt_toml_value *pt_toml_get(const pt_toml_value *table, const char *key);
/* "string", "integer", ... for messages. */
const char *pt_toml_type_name(pt_toml_type type);

#endif
