/* The config files patience and rpr read (patience/config_search.h): the
 * one named by --config or a *_CONFIG_FILE variable, else
 * /etc/patience/config.toml, $XDG_CONFIG_HOME/patience/config.toml (or
 * ~/.config/...), ./patience.toml, ./.patience.toml, each or the .yaml
 * beside it. */
#ifndef PT_TOOLS_CONFIG_FILES_H
#define PT_TOOLS_CONFIG_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "patience/config.h"

/* Apply them to cfg. flag_file: --config's FILE or NULL; prefixes: the
 * variables' (PATIENCE_CONFIG_FILE for {"PATIENCE"}), strongest first.
 * Returns 0, or -1 after printing "TOOL: why" on stderr. */
int config_files_load(pt_config *cfg, const char *flag_file, const char *const *prefixes,
		      size_t n_prefixes, const char *tool);

/* --debug-config: every setting of cfg with its value and where it came
 * from, on stderr ("[config]   key = value (origin)"). */
void config_debug_settings(const pt_config *cfg);
/* --debug-config: one line of what the settings mean for the run,
 * "[config]   what  text". */
void config_debug_meaning(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "(key, origin)" of setting s, for a meaning line. */
void config_debug_origin(const pt_config *cfg, const pt_setting *s, char *buf, size_t len);

/* "(why)" of a run's resource: the resource_id setting's origin when set
 * (a profile's id says itself), else how it is derived. */
void config_debug_resource_origin(const pt_config *cfg, const char *own_detection_key,
				  char *buf, size_t len);
/* --debug-config's limit line for a run without a limit of its own: the
 * daemon's (when daemon), and the config files' entry for resource. */
void config_debug_daemon_limit(const pt_config *cfg, const char *resource, bool daemon);

#endif
