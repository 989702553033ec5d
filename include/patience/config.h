/* Layered configuration driven by one settings table: every setting has a
 * key (in the TOML file), an environment variable, a type, a default and an
 * optional validator. Layers are applied from weakest to strongest (defaults,
 * files, environment, flags); each value remembers where it came from, for
 * --debug-config. */
#ifndef PATIENCE_CONFIG_H
#define PATIENCE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "patience/toml.h"

typedef enum pt_setting_type {
	PT_SETTING_INTEGER,  /* int64 within [min, max] */
	PT_SETTING_FLOAT,    /* double within [min, max] */
	PT_SETTING_BOOLEAN,  /* true/false (env and flags: also 1/0, yes/no, on/off) */
	PT_SETTING_DURATION, /* "1.5s" (a number is seconds) */
	PT_SETTING_STRING,
} pt_setting_type;

typedef struct pt_setting_def {
	const char *key;   /* "max_delay", or "table.key" for a key in a [table] */
	const char *env;   /* environment variable suffix after PATIENCE_ / RPR_, or NULL */
	pt_setting_type type;
	const char *default_text; /* NULL: unset unless given */
	double min, max;          /* integers and floats; ignored when min > max */
	/* Extra check of a string/duration value; returns 0 or -1 and fills err
	 * with what is expected ("one of fixed, linear, ..."). */
	int (*validate)(const char *text, char *err, size_t err_len);
	const char *help;
	const char *alias_of; /* a file key that sets another setting ("patience.max_attempts") */
} pt_setting_def;

typedef enum pt_source {
	PT_SOURCE_UNSET,
	PT_SOURCE_DEFAULT,
	PT_SOURCE_FILE,
	PT_SOURCE_ENV,
	PT_SOURCE_FLAG,
} pt_source;

typedef struct pt_setting {
	char *text; /* canonical text of the value, owned; NULL when unset */
	union {
		int64_t integer;
		double floating;
		bool boolean;
		int64_t ms;
	} as;
	pt_source source;
	char *origin; /* "default", "/path/file.toml:3", "env PATIENCE_X", "flag --x" */
} pt_setting;

/* A table whose keys are not settings but names ("rate_limiting.resources":
 * any resource id; "profiles": any profile name). check reads entry key = v
 * of a file, and may keep it in ctx; it returns PT_OK, or an error with err
 * filled and *line set to the line at fault (preset to v's). */
typedef struct pt_free_table {
	const char *name;
	int (*check)(const char *key, const pt_toml_value *v, void *ctx, int *line, char *err,
		     size_t err_len);
	void *ctx;
} pt_free_table;

#define PT_CONFIG_FREE_TABLES 4

typedef struct pt_config {
	const pt_setting_def *defs; /* not owned */
	size_t count;
	pt_setting *values; /* count values, owned */
	pt_free_table free_tables[PT_CONFIG_FREE_TABLES];
	size_t n_free_tables;
} pt_config;

/* Applies the defaults. Returns PT_OK, PT_ENOMEM or PT_EINVAL (a default
 * that fails its own validation: a bug in the table). */
int pt_config_init(pt_config *c, const pt_setting_def *defs, size_t count);
void pt_config_release(pt_config *c);

/* Register a free table (see pt_free_table). PT_OK, or PT_ERANGE when
 * there are PT_CONFIG_FREE_TABLES already. */
int pt_config_add_free_table(pt_config *c, const pt_free_table *t);
/* The registered table called name, or NULL. */
const pt_free_table *pt_config_free_table(const pt_config *c, const char *name);

/* Index of key in the table, or -1. */
int pt_config_find(const pt_config *c, const char *key);

/* Set setting i from text. On a bad value returns PT_EINVAL and writes
 * "invalid value \"x\": expected ..." to err. */
int pt_config_set(pt_config *c, size_t i, const char *text, pt_source source,
		  const char *origin, char *err, size_t err_len);

/* Apply a parsed config file (TOML or YAML) read from path. Errors name file, line and
 * key: "path:3: key \"attempts\": expected an integer". */
int pt_config_apply_toml(pt_config *c, const pt_toml_value *root, const char *path,
			 char *err, size_t err_len);

/* Read path into a tree the caller frees with pt_toml_free: YAML when its
 * name ends in .yaml or .yml (patience/yaml_config.h), else TOML. PT_OK;
 * PT_ENOENT when it does not exist (not an error for the search path, and
 * err is left alone); PT_EIO when it cannot be read; PT_ERANGE when it is
 * larger than 1 MiB; PT_EINVAL with "path:line: ..." when it does not
 * parse. */
int pt_config_read_file(const char *path, pt_toml_value **root_out, char *err, size_t err_len);

/* Read the file (pt_config_read_file) and apply it. */
int pt_config_load_file(pt_config *c, const char *path, char *err, size_t err_len);

/* Apply the environment: for each setting with an env name, PREFIX_NAME for
 * every prefix in order (later prefixes are weaker: {"RPR", "PATIENCE"}). */
int pt_config_apply_env(pt_config *c, const char *const *prefixes, size_t n_prefixes,
			char *err, size_t err_len);

const pt_setting *pt_config_get(const pt_config *c, const char *key);
/* A tool's own form of a shared setting ("repeater.defaults.daemon_enabled"
 * for "daemon_enabled"): whichever was set in the stronger layer, the
 * tool's own on a tie. */
const pt_setting *pt_config_pick(const pt_config *c, const char *key, const char *own_key);

#endif
