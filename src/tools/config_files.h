/* The config files every tool of the suite reads, weakest first:
 * /etc/patience/config.toml, $XDG_CONFIG_HOME/patience/config.toml (or
 * ~/.config/...), ./patience.toml, ./.patience.toml; or only an explicit
 * one (--config). */
#ifndef PT_TOOLS_CONFIG_FILES_H
#define PT_TOOLS_CONFIG_FILES_H

#include "patience/config.h"

/* Apply them to cfg. Returns 0, or -1 after printing "TOOL: why" on stderr. */
int config_files_load(pt_config *cfg, const char *explicit_file, const char *tool);

#endif
