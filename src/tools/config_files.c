#include "config_files.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "patience/config_search.h"
#include "patience/duration.h"
#include "patience/settings.h"
#include "patience/error.h"

static int load_file(void *cfg, const char *path, char *err, size_t err_len)
{
	return pt_config_load_file(cfg, path, err, err_len);
}

int config_files_load(pt_config *cfg, const char *flag_file, const char *const *prefixes,
		      size_t n_prefixes, const char *tool)
{
	char err[768];
	pt_config_search search = {flag_file, prefixes, n_prefixes, true};
	if (pt_config_search_read(&search, load_file, cfg, err, sizeof err) == PT_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", tool, err);
	return -1;
}

void config_debug_settings(const pt_config *cfg)
{
	int wide = 0;
	for (size_t i = 0; i < cfg->count; i++)
		if ((int)strlen(cfg->defs[i].key) > wide)
			wide = (int)strlen(cfg->defs[i].key);
	fprintf(stderr, "[config] settings (value, then where it came from):\n");
	for (size_t i = 0; i < cfg->count; i++) {
		const pt_setting *v = &cfg->values[i];
		if (cfg->defs[i].alias_of)
			continue;
		fprintf(stderr, "[config]   %-*s = %-14s (%s)\n", wide, cfg->defs[i].key,
			v->text ? v->text : "(unset)", v->origin ? v->origin : "unset");
	}
}

void config_debug_meaning(const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[config]   %-10s ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void config_debug_origin(const pt_config *cfg, const pt_setting *s, char *buf, size_t len)
{
	size_t i = (size_t)(s - cfg->values);
	snprintf(buf, len, "(%s = %s, %s)", cfg->defs[i].key, s->text ? s->text : "unset",
		 s->origin ? s->origin : "unset");
}

void config_debug_resource_origin(const pt_config *cfg, const char *own_detection_key,
				  char *buf, size_t len)
{
	const pt_setting *id = pt_config_get(cfg, "resource_id");
	const pt_setting *d = pt_config_pick(cfg, "resource_detection", own_detection_key);
	if (id->text)
		config_debug_origin(cfg, id, buf, len);
	else
		snprintf(buf, len, "(derived from the command; %s = %s, %s)",
			 cfg->defs[d - cfg->values].key, d->text, d->origin ? d->origin : "unset");
}

void config_debug_daemon_limit(const pt_config *cfg, const char *resource, bool daemon)
{
	const pt_resource_limits *kept = pt_settings_resource_limits(cfg);
	const pt_resource_limit_entry *e = kept && resource ? pt_resource_limits_match(kept, resource)
							   : NULL;
	char window[32];
	if (!daemon) {
		config_debug_meaning("limit", "none");
		return;
	}
	if (!e) {
		config_debug_meaning("limit", "none of its own: the daemon's for the resource, if any");
		return;
	}
	pt_duration_format(e->window_ms, window, sizeof window);
	config_debug_meaning("limit", "none of its own: the daemon's for the resource; this "
			     "config gives \"%s\" %lld per %s", e->pattern, (long long)e->limit,
			     window);
}
