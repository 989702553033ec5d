/* The config files as the daemon reads them: the shared settings table
 * checks every key (so a misspelt one is an error here as in patience),
 * and the [rate_limiting.resources] entries become config limits.
 *
 * Without --config or PATIENCE_CONFIG_FILE the daemon reads
 * /etc/patience/config.toml, then the user's
 * $XDG_CONFIG_HOME/patience/config.toml (each or its config.yaml); not the
 * project files of the current directory, which mean nothing to a daemon
 * started from anywhere. */
#include "daemon/daemon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"
#include "patience/settings.h"
#include "patience/toml.h"

/* Adds or replaces (a later file wins) the entry of e.pattern (not copied). */
static int put_limit(pt_daemon_config *c, const pt_config_limit *e)
{
	pt_config_limit *l;
	for (size_t i = 0; i < c->n_limits; i++) {
		if (strcmp(c->limits[i].pattern, e->pattern) == 0) {
			c->limits[i].limit = e->limit;
			c->limits[i].window_ms = e->window_ms;
			c->limits[i].burst = e->burst;
			c->limits[i].concurrency = e->concurrency;
			return PT_OK;
		}
	}
	l = realloc(c->limits, (c->n_limits + 1) * sizeof *l);
	if (!l)
		return PT_ENOMEM;
	c->limits = l;
	l += c->n_limits;
	*l = *e;
	if (!(l->pattern = strdup(e->pattern)))
		return PT_ENOMEM;
	c->n_limits++;
	return PT_OK;
}

/* One entry, already checked by the settings layer; only N's cap is ours. */
static int read_entry(pt_daemon_config *c, const pt_toml_entry *e, const char *path,
		      char *err, size_t err_len)
{
	const pt_toml_value *limit = pt_toml_get(&e->value, "limit");
	const pt_toml_value *window = pt_toml_get(&e->value, "window");
	const pt_toml_value *conc = pt_toml_get(&e->value, "concurrency");
	pt_config_limit entry = {.pattern = e->key};
	if (conc && conc->type == PT_TOML_INTEGER)
		entry.concurrency = conc->as.integer;
	if (limit && limit->type == PT_TOML_INTEGER && window && window->type == PT_TOML_STRING &&
	    pt_duration_parse(window->as.string, &entry.window_ms) == PT_OK) {
		const pt_toml_value *burst = pt_toml_get(&e->value, "burst");
		entry.limit = limit->as.integer;
		entry.burst = burst && burst->type == PT_TOML_INTEGER ? burst->as.integer : 0;
	}
	if (!entry.limit && !entry.concurrency)
		return PT_OK;
	if (entry.limit > PT_LIMIT_MAX) {
		snprintf(err, err_len, "%s:%d: key \"rate_limiting.resources.%s\": limit above %"
			 PRId64, path, limit->line, e->key, PT_LIMIT_MAX);
		return PT_EINVAL;
	}
	int rc = put_limit(c, &entry);
	if (rc != PT_OK)
		snprintf(err, err_len, "out of memory");
	return rc;
}

static int read_limits(pt_daemon_config *c, const pt_toml_value *root, const char *path,
		       char *err, size_t err_len)
{
	const pt_toml_value *rl = pt_toml_get(root, "rate_limiting");
	const pt_toml_value *res = rl && rl->type == PT_TOML_TABLE ? pt_toml_get(rl, "resources")
								   : NULL;
	for (size_t i = 0; res && res->type == PT_TOML_TABLE && i < res->as.table.count; i++) {
		int rc = read_entry(c, &res->as.table.entries[i], path, err, err_len);
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}

/* One file: its settings checked by the shared table, then its limits. */
static int load_file(void *ctx, const char *path, char *err, size_t err_len)
{
	pt_daemon_config *c = ctx;
	pt_toml_value *root;
	int rc = pt_config_read_file(path, &root, err, err_len);
	if (rc != PT_OK)
		return rc;
	rc = pt_config_apply_toml(&c->settings, root, path, err, err_len);
	if (rc == PT_OK)
		rc = read_limits(c, root, path, err, err_len);
	pt_toml_free(root);
	return rc;
}

void pt_daemon_config_search(pt_config_search *s, const char *flag_file)
{
	static const char *const prefixes[] = {"PATIENCE"};
	*s = (pt_config_search){flag_file, prefixes, 1, false};
}

int pt_daemon_config_load(pt_daemon_config *c, const char *explicit_file, char *err,
			  size_t err_len)
{
	pt_config_search search;
	memset(c, 0, sizeof *c);
	if (pt_settings_config_init(&c->settings) != PT_OK)
		return snprintf(err, err_len, "out of memory"), PT_ENOMEM;
	pt_daemon_config_search(&search, explicit_file);
	int rc = pt_config_search_read(&search, load_file, c, err, err_len);
	if (rc != PT_OK)
		pt_daemon_config_release(c);
	return rc;
}

void pt_daemon_config_release(pt_daemon_config *c)
{
	pt_config_release(&c->settings);
	pt_config_limits_free(c->limits, c->n_limits);
	c->limits = NULL;
	c->n_limits = 0;
}
