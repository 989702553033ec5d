/* Which config files a program reads (docs/CONFIG.md, Files): the one file
 * named by --config or by a PREFIX_CONFIG_FILE variable, else the default
 * locations, weakest first. A default location is a TOML file or the YAML
 * file beside it (config.toml or config.yaml), never both. */
#ifndef PATIENCE_CONFIG_SEARCH_H
#define PATIENCE_CONFIG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* Reads one file for the caller: PT_OK; PT_ENOENT when it does not exist
 * (err untouched); another error with err filled. */
typedef int pt_config_file_reader(void *ctx, const char *path, char *err, size_t err_len);

typedef struct pt_config_search {
	const char *flag_file; /* --config FILE, or NULL */
	/* The variables PREFIX_CONFIG_FILE to look at, strongest first:
	 * {"RPR", "PATIENCE"} for rpr. Not owned. */
	const char *const *prefixes;
	size_t n_prefixes;
	/* Also the project files of the current directory: patience.toml
	 * (or .yaml), then .patience.toml (or .yaml). */
	bool project_files;
} pt_config_search;

/* The file named instead of the default locations: flag_file, else the
 * first variable set and not empty; NULL when none. by (if given) gets
 * "--config" or the variable's name. */
const char *pt_config_named_file(const pt_config_search *s, char *by, size_t by_len);

/* Calls read on the named file, or else on the file of each default
 * location that has one: /etc/patience/config.toml,
 * $XDG_CONFIG_HOME/patience/config.toml ($HOME/.config/... when
 * XDG_CONFIG_HOME is unset or empty; none without HOME), then the project
 * files, each or its .yaml. Stops at the first error: a named file that
 * does not exist (PT_ENOENT, "config file \"F\" does not exist"), a
 * location with both files (PT_EINVAL, "both A and B exist: keep one"),
 * a path too long (PT_ERANGE), or read's. */
int pt_config_search_read(const pt_config_search *s, pt_config_file_reader *read, void *ctx,
			  char *err, size_t err_len);

#endif
