#include "config_files.h"

#include <stdio.h>
#include <stdlib.h>

#include "patience/error.h"

static int load_optional(pt_config *cfg, const char *path, const char *tool)
{
	char err[768];
	int rc = pt_config_load_file(cfg, path, err, sizeof err);
	if (rc == PT_OK || rc == PT_ENOENT)
		return 0;
	fprintf(stderr, "%s: %s\n", tool, err);
	return -1;
}

int config_files_load(pt_config *cfg, const char *explicit_file, const char *tool)
{
	char err[768], user[4096];
	if (explicit_file) {
		int rc = pt_config_load_file(cfg, explicit_file, err, sizeof err);
		if (rc == PT_ENOENT)
			fprintf(stderr, "%s: config file \"%s\" does not exist\n", tool, explicit_file);
		else if (rc != PT_OK)
			fprintf(stderr, "%s: %s\n", tool, err);
		return rc == PT_OK ? 0 : -1;
	}
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(user, sizeof user, "%s/patience/config.toml", xdg);
	else
		snprintf(user, sizeof user, "%s/.config/patience/config.toml", home ? home : "");
	const char *paths[] = {"/etc/patience/config.toml", user, "patience.toml", ".patience.toml"};
	for (size_t i = 0; i < 4; i++)
		if (load_optional(cfg, paths[i], tool))
			return -1;
	return 0;
}
