/* The layers of pt_config that come from outside: config files (TOML or
 * YAML) and the environment. */
#include "patience/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/yaml_config.h"

#define CONFIG_FILE_MAX (1024 * 1024)

static bool type_fits(pt_setting_type want, pt_toml_type got)
{
	switch (want) {
	case PT_SETTING_INTEGER: return got == PT_TOML_INTEGER;
	case PT_SETTING_FLOAT: return got == PT_TOML_INTEGER || got == PT_TOML_FLOAT;
	case PT_SETTING_BOOLEAN: return got == PT_TOML_BOOLEAN;
	case PT_SETTING_DURATION:
		return got == PT_TOML_STRING || got == PT_TOML_INTEGER || got == PT_TOML_FLOAT;
	case PT_SETTING_STRING: return got == PT_TOML_STRING;
	}
	return false;
}

static const char *type_wanted(pt_setting_type t)
{
	switch (t) {
	case PT_SETTING_INTEGER: return "an integer";
	case PT_SETTING_FLOAT: return "a number";
	case PT_SETTING_BOOLEAN: return "true or false";
	case PT_SETTING_DURATION: return "a duration string such as \"1.5s\"";
	case PT_SETTING_STRING: return "a string";
	}
	return "a value";
}

static void scalar_text(const pt_toml_value *v, char *buf, size_t len)
{
	if (v->type == PT_TOML_INTEGER)
		snprintf(buf, len, "%" PRId64, v->as.integer);
	else if (v->type == PT_TOML_FLOAT)
		snprintf(buf, len, "%.15g", v->as.floating);
	else if (v->type == PT_TOML_BOOLEAN)
		snprintf(buf, len, "%s", v->as.boolean ? "true" : "false");
}

static int apply_value(pt_config *c, int i, const char *key, const pt_toml_value *v,
		       const char *path, char *err, size_t err_len)
{
	const pt_setting_def *d = &c->defs[i];
	char origin[512], num[64], detail[256];
	if (!type_fits(d->type, v->type)) {
		snprintf(err, err_len, "%s:%d: key \"%s\": expected %s, got %s", path, v->line,
			 key, type_wanted(d->type), pt_toml_type_name(v->type));
		return PT_EINVAL;
	}
	const char *text = v->type == PT_TOML_STRING ? v->as.string : num;
	if (v->type != PT_TOML_STRING)
		scalar_text(v, num, sizeof num);
	snprintf(origin, sizeof origin, "%s:%d", path, v->line);
	int rc = pt_config_set(c, (size_t)i, text, PT_SOURCE_FILE, origin, detail, sizeof detail);
	if (rc == PT_EINVAL)
		snprintf(err, err_len, "%s:%d: key \"%s\": %s", path, v->line, key, detail);
	return rc;
}

/* Is prefix ("daemon") the table part of some setting ("daemon.socket_path")? */
static bool is_known_table(const pt_config *c, const char *prefix)
{
	size_t n = strlen(prefix);
	if (pt_config_free_table(c, prefix))
		return true;
	for (size_t i = 0; i < c->count; i++)
		if (strncmp(c->defs[i].key, prefix, n) == 0 && c->defs[i].key[n] == '.')
			return true;
	return false;
}

static int apply_table(pt_config *c, const pt_toml_value *table, const char *prefix,
		       const char *path, char *err, size_t err_len);

static int apply_free_entry(const pt_free_table *t, const pt_toml_entry *e, const char *key,
			    const char *path, char *err, size_t err_len)
{
	char detail[256];
	int line = e->value.line;
	int rc = t->check(e->key, &e->value, t->ctx, &line, detail, sizeof detail);
	if (rc != PT_OK)
		snprintf(err, err_len, "%s:%d: key \"%s\": %s", path, line, key, detail);
	return rc;
}

static int apply_entry(pt_config *c, const pt_toml_entry *e, const char *prefix,
		       const char *path, char *err, size_t err_len)
{
	char key[512];
	if (prefix)
		snprintf(key, sizeof key, "%s.%s", prefix, e->key);
	else
		snprintf(key, sizeof key, "%s", e->key);
	int i = pt_config_find(c, key);
	if (i >= 0 && c->defs[i].alias_of)
		i = pt_config_find(c, c->defs[i].alias_of);
	if (i >= 0)
		return apply_value(c, i, key, &e->value, path, err, err_len);
	if (e->value.type == PT_TOML_TABLE && is_known_table(c, key))
		return apply_table(c, &e->value, key, path, err, err_len);
	const pt_free_table *t = prefix ? pt_config_free_table(c, prefix) : NULL;
	if (t)
		return apply_free_entry(t, e, key, path, err, err_len);
	snprintf(err, err_len, "%s:%d: unknown key \"%s\"", path, e->value.line, key);
	return PT_EINVAL;
}

static int apply_table(pt_config *c, const pt_toml_value *table, const char *prefix,
		       const char *path, char *err, size_t err_len)
{
	for (size_t i = 0; i < table->as.table.count; i++) {
		int rc = apply_entry(c, &table->as.table.entries[i], prefix, path, err, err_len);
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}

int pt_config_apply_toml(pt_config *c, const pt_toml_value *root, const char *path,
			 char *err, size_t err_len)
{
	return apply_table(c, root, NULL, path, err, err_len);
}

static char *read_file(const char *path, size_t *len_out, int *rc)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*rc = errno == ENOENT ? PT_ENOENT : PT_EIO;
		return NULL;
	}
	char *buf = malloc(CONFIG_FILE_MAX + 1);
	size_t len = buf ? fread(buf, 1, CONFIG_FILE_MAX + 1, f) : 0;
	bool failed = !buf || ferror(f);
	fclose(f);
	if (failed || len > CONFIG_FILE_MAX) {
		free(buf);
		*rc = !buf ? PT_ENOMEM : failed ? PT_EIO : PT_ERANGE;
		return NULL;
	}
	*len_out = len;
	return buf;
}

/* YAML by its name, as the user sees it; TOML otherwise. */
static bool is_yaml_name(const char *path)
{
	size_t n = strlen(path);
	return (n >= 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n >= 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* "line 3: ..." from a parser reads "path:3: ..." like every other config
 * error. */
static void parse_error(const char *path, const char *detail, char *err, size_t err_len)
{
	int line, skip = 0;
	if (sscanf(detail, "line %d: %n", &line, &skip) == 1 && skip > 0)
		snprintf(err, err_len, "%s:%d: %s", path, line, detail + skip);
	else
		snprintf(err, err_len, "%s: %s", path, detail);
}

int pt_config_read_file(const char *path, pt_toml_value **root_out, char *err, size_t err_len)
{
	size_t len;
	int rc;
	char *text = read_file(path, &len, &rc);
	*root_out = NULL;
	if (!text) {
		if (rc == PT_EIO)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		else if (rc == PT_ERANGE)
			snprintf(err, err_len, "%s: larger than 1 MiB, not a config file", path);
		else if (rc == PT_ENOMEM)
			snprintf(err, err_len, "%s: out of memory", path);
		return rc;
	}
	char detail[256];
	if (is_yaml_name(path))
		rc = pt_yaml_parse(text, len, root_out, detail, sizeof detail);
	else
		rc = pt_toml_parse(text, len, root_out, detail, sizeof detail);
	free(text);
	if (rc != PT_OK)
		parse_error(path, detail, err, err_len);
	return rc;
}

int pt_config_load_file(pt_config *c, const char *path, char *err, size_t err_len)
{
	pt_toml_value *root;
	int rc = pt_config_read_file(path, &root, err, err_len);
	if (rc != PT_OK)
		return rc;
	rc = pt_config_apply_toml(c, root, path, err, err_len);
	pt_toml_free(root);
	return rc;
}

/* The first prefix that has the variable set wins. */
static int apply_env_setting(pt_config *c, size_t i, const char *const *prefixes,
			     size_t n_prefixes, char *err, size_t err_len)
{
	char name[128], origin[160], detail[256];
	for (size_t p = 0; p < n_prefixes; p++) {
		snprintf(name, sizeof name, "%s_%s", prefixes[p], c->defs[i].env);
		const char *value = getenv(name);
		if (!value)
			continue;
		snprintf(origin, sizeof origin, "env %s", name);
		int rc = pt_config_set(c, i, value, PT_SOURCE_ENV, origin, detail, sizeof detail);
		if (rc == PT_EINVAL)
			snprintf(err, err_len, "environment %s: %s", name, detail);
		return rc;
	}
	return PT_OK;
}

int pt_config_apply_env(pt_config *c, const char *const *prefixes, size_t n_prefixes,
			char *err, size_t err_len)
{
	for (size_t i = 0; i < c->count; i++) {
		if (!c->defs[i].env)
			continue;
		int rc = apply_env_setting(c, i, prefixes, n_prefixes, err, err_len);
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}
