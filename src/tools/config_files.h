/* The config files patience and rpr read (patience/config_search.h): the
 * one named by --config or a *_CONFIG_FILE variable, else
 * /etc/patience/config.toml, $XDG_CONFIG_HOME/patience/config.toml (or
 * ~/.config/...), ./patience.toml, ./.patience.toml, each or the .yaml
 * beside it. */
#ifndef PT_TOOLS_CONFIG_FILES_H
#define PT_TOOLS_CONFIG_FILES_H

#include <stddef.h>

#include "patience/config.h"

/* Apply them to cfg. flag_file: --config's FILE or NULL; prefixes: the
 * variables' (PATIENCE_CONFIG_FILE for {"PATIENCE"}), strongest first.
 * Returns 0, or -1 after printing "TOOL: why" on stderr. */
int config_files_load(pt_config *cfg, const char *flag_file, const char *const *prefixes,
		      size_t n_prefixes, const char *tool);

#endif
