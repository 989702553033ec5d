/* See patience/config_search.h. */
#include "patience/config_search.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "patience/error.h"

const char *pt_config_named_file(const pt_config_search *s, char *by, size_t by_len)
{
	char name[128];
	if (s->flag_file) {
		if (by)
			snprintf(by, by_len, "--config");
		return s->flag_file;
	}
	for (size_t i = 0; i < s->n_prefixes; i++) {
		snprintf(name, sizeof name, "%s_CONFIG_FILE", s->prefixes[i]);
		const char *value = getenv(name);
		if (!value || !value[0])
			continue;
		if (by)
			snprintf(by, by_len, "%s", name);
		return value;
	}
	return NULL;
}

/* Unlike a default file, a named one must be there. */
static int read_named(const char *path, const char *by, pt_config_file_reader *read, void *ctx,
		      char *err, size_t err_len)
{
	int rc = read(ctx, path, err, err_len);
	if (rc == PT_ENOENT && strcmp(by, "--config") == 0)
		snprintf(err, err_len, "config file \"%s\" does not exist", path);
	else if (rc == PT_ENOENT)
		snprintf(err, err_len, "config file \"%s\" named by %s does not exist", path, by);
	return rc;
}

/* One location: dir/stem.toml or dir/stem.yaml ("" dir: the current one). */
static int read_location(const char *dir, const char *stem, pt_config_file_reader *read,
			 void *ctx, char *err, size_t err_len)
{
	char toml[PATH_MAX], yaml[PATH_MAX];
	const char *sep = dir[0] ? "/" : "";
	int n = snprintf(toml, sizeof toml, "%s%s%s.toml", dir, sep, stem);
	int m = snprintf(yaml, sizeof yaml, "%s%s%s.yaml", dir, sep, stem);
	if (n < 0 || m < 0 || (size_t)n >= sizeof toml || (size_t)m >= sizeof yaml) {
		snprintf(err, err_len, "config directory \"%.200s...\" is too long", dir);
		return PT_ERANGE;
	}
	bool has_toml = access(toml, F_OK) == 0, has_yaml = access(yaml, F_OK) == 0;
	if (has_toml && has_yaml) {
		snprintf(err, err_len, "both %s and %s exist: keep one", toml, yaml);
		return PT_EINVAL;
	}
	int rc = read(ctx, has_yaml ? yaml : toml, err, err_len);
	return rc == PT_ENOENT ? PT_OK : rc;
}

/* $XDG_CONFIG_HOME/patience, else $HOME/.config/patience; false without
 * either. */
static bool user_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && xdg[0])
		n = snprintf(buf, len, "%s/patience", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/patience", home);
	else
		return false;
	return n >= 0 && (size_t)n < len;
}

int pt_config_search_read(const pt_config_search *s, pt_config_file_reader *read, void *ctx,
			  char *err, size_t err_len)
{
	char by[128], user[PATH_MAX];
	const char *named = pt_config_named_file(s, by, sizeof by);
	if (named)
		return read_named(named, by, read, ctx, err, err_len);
	const char *dirs[] = {"/etc/patience", user_dir(user, sizeof user) ? user : NULL, "", ""};
	const char *stems[] = {"config", "config", "patience", ".patience"};
	for (size_t i = 0; i < (s->project_files ? 4 : 2); i++) {
		int rc = dirs[i] ? read_location(dirs[i], stems[i], read, ctx, err, err_len) : PT_OK;
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}
