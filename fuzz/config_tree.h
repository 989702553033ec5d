/* What the config parsers (TOML's and YAML's) promise of the tree they
 * return, checked by walking it: every string readable, every type known,
 * every line at least 1, each key of a table found under its own name and
 * no other entry's (keys are unique). Aborts otherwise. For the harnesses
 * only. */
#ifndef PT_FUZZ_CONFIG_TREE_H
#define PT_FUZZ_CONFIG_TREE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/toml.h"

/* Returns how many values and bytes it saw, so that nothing is optimized
 * away. */
static size_t config_tree_walk(const pt_toml_value *v)
{
	size_t n = 1;
	if (v->line < 1)
		abort();
	switch (v->type) {
	case PT_TOML_STRING:
		return n + strlen(v->as.string);
	case PT_TOML_ARRAY:
		for (size_t i = 0; i < v->as.array.count; i++)
			n += config_tree_walk(&v->as.array.items[i]);
		return n;
	case PT_TOML_TABLE:
		for (size_t i = 0; i < v->as.table.count; i++) {
			const pt_toml_entry *e = &v->as.table.entries[i];
			if (pt_toml_get(v, e->key) != &e->value)
				abort();
			n += strlen(e->key) + config_tree_walk(&e->value);
		}
		return n;
	case PT_TOML_INTEGER:
	case PT_TOML_FLOAT:
	case PT_TOML_BOOLEAN:
		return n;
	}
	abort();
}

typedef int config_parser(const char *text, size_t len, pt_toml_value **root_out, char *err,
			  size_t err_len);

/* Feeds data to parse and checks what the API promises: on success a table
 * comes back, the error buffer is empty and the tree walks (then also, if
 * given, checks more of it); on failure no tree and a "line N: ..."
 * message. */
static void config_tree_fuzz(config_parser *parse, const uint8_t *data, size_t size,
			     void (*also)(const pt_toml_value *root))
{
	pt_toml_value *root = NULL;
	char err[256];
	int rc = parse((const char *)data, size, &root, err, sizeof err);
	if (rc == PT_OK) {
		if (!root || root->type != PT_TOML_TABLE || err[0] != '\0')
			abort();
		config_tree_walk(root);
		if (also)
			also(root);
		pt_toml_free(root);
	} else if (root || (rc == PT_EINVAL && strncmp(err, "line ", 5) != 0)) {
		abort();
	}
}

#endif
