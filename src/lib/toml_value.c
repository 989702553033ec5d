/* The tree that pt_toml_parse builds: freeing it and reading it. */
#include <stdlib.h>
#include <string.h>

#include "patience/toml.h"

static void value_release(pt_toml_value *v)
{
	switch (v->type) {
	case PT_TOML_STRING:
		free(v->as.string);
		break;
	case PT_TOML_ARRAY:
		for (size_t i = 0; i < v->as.array.count; i++)
			value_release(&v->as.array.items[i]);
		free(v->as.array.items);
		break;
	case PT_TOML_TABLE:
		for (size_t i = 0; i < v->as.table.count; i++) {
			free(v->as.table.entries[i].key);
			value_release(&v->as.table.entries[i].value);
		}
		free(v->as.table.entries);
		break;
	default:
		break;
	}
}

void pt_toml_release(pt_toml_value *v)
{
	value_release(v);
	v->type = PT_TOML_TABLE;
	v->as.table.entries = NULL;
	v->as.table.count = 0;
}

void pt_toml_free(pt_toml_value *root)
{
	if (!root)
		return;
	value_release(root);
	free(root);
}

const pt_toml_value *pt_toml_get(const pt_toml_value *table, const char *key)
{
	if (!table || !key || table->type != PT_TOML_TABLE)
		return NULL;
	for (size_t i = 0; i < table->as.table.count; i++)
		if (strcmp(table->as.table.entries[i].key, key) == 0)
			return &table->as.table.entries[i].value;
	return NULL;
}

const char *pt_toml_type_name(pt_toml_type type)
{
	switch (type) {
	case PT_TOML_STRING: return "string";
	case PT_TOML_INTEGER: return "integer";
	case PT_TOML_FLOAT: return "float";
	case PT_TOML_BOOLEAN: return "boolean";
	case PT_TOML_ARRAY: return "array";
	case PT_TOML_TABLE: return "table";
	}
	return "unknown";
}
