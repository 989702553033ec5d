/* Feeds arbitrary bytes to the TOML parser. Beyond not crashing, checks what
 * the API promises: on success a table comes back and the error buffer is
 * empty; on failure no tree and a "line N: ..." message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the tree so that every string is read and every type is sane. */
static size_t walk(const pt_toml_value *v)
{
	size_t n = 1;
	switch (v->type) {
	case PT_TOML_STRING:
		return n + strlen(v->as.string);
	case PT_TOML_ARRAY:
		for (size_t i = 0; i < v->as.array.count; i++)
			n += walk(&v->as.array.items[i]);
		return n;
	case PT_TOML_TABLE:
		for (size_t i = 0; i < v->as.table.count; i++) {
			const pt_toml_entry *e = &v->as.table.entries[i];
			if (pt_toml_get(v, e->key) == NULL)
				abort();
			n += strlen(e->key) + walk(&e->value);
		}
		return n;
	case PT_TOML_INTEGER:
	case PT_TOML_FLOAT:
	case PT_TOML_BOOLEAN:
		return n;
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pt_toml_value *root = NULL;
	char err[256];
	int rc = pt_toml_parse((const char *)data, size, &root, err, sizeof err);
	if (rc == PT_OK) {
		if (!root || root->type != PT_TOML_TABLE || err[0] != '\0')
			abort();
		walk(root);
		pt_toml_free(root);
	} else if (root || (rc == PT_EINVAL && strncmp(err, "line ", 5) != 0)) {
		abort();
	}
	return 0;
}
