#include "config_files.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "patience/config_search.h"
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
