/* Built-in profiles and those of the config file (see patience/profile.h). */
#include "patience/profile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/set_error.h"
#include "patience/duration.h"
#include "patience/error.h"

#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL
#define ONE_LIMIT(n, w) {.items = {{.count = (n), .window_ms = (w), .calendar = PT_CALENDAR_NONE}}, .count = 1}

#define GITHUB_SOURCE "GitHub Docs, \"Rate limits for the REST API\", as published in 2025: " \
		      "https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api"
#define DOCKER_SOURCE "Docker Docs, \"Docker Hub usage and limits\", as published in 2025: " \
		      "https://docs.docker.com/docker-hub/usage/"
#define GITLAB_SOURCE "GitLab, \"Automation check-in and rate limit changes on GitLab.com\", " \
		      "as published in 2020: https://about.gitlab.com/blog/2020/12/17/" \
		      "automation-check-in-and-rate-limit-changes-on-gitlab-dot-com/"

/* Only limits a service publishes, with where it says so: services change
 * them, and a user can check and override (config [profiles.NAME]). */
static const pt_profile builtin[] = {
	{.name = "github", .resource = "api:external:api.github.com",
	 .limits = ONE_LIMIT(5000, HOUR_MS),
	 .description = "GitHub REST API, authenticated: per user", .source = GITHUB_SOURCE},
	{.name = "github-anonymous", .resource = "api:external:api.github.com",
	 .limits = ONE_LIMIT(60, HOUR_MS),
	 .description = "GitHub REST API, unauthenticated: per IP address", .source = GITHUB_SOURCE},
	{.name = "github-search", .resource = "api:external:api.github.com/search",
	 .limits = ONE_LIMIT(30, MINUTE_MS),
	 .description = "GitHub search endpoints, authenticated (10/1m without)",
	 .source = GITHUB_SOURCE},
	{.name = "dockerhub", .resource = "registry:oci:docker.io",
	 .limits = ONE_LIMIT(10, HOUR_MS),
	 .description = "Docker Hub pulls, unauthenticated: per IPv4 address or IPv6 /64",
	 .source = DOCKER_SOURCE},
	{.name = "dockerhub-personal", .resource = "registry:oci:docker.io",
	 .limits = ONE_LIMIT(100, HOUR_MS),
	 .description = "Docker Hub pulls, Personal (authenticated) account",
	 .source = DOCKER_SOURCE},
	{.name = "gitlab", .resource = "api:external:gitlab.com",
	 .limits = ONE_LIMIT(2000, MINUTE_MS),
	 .description = "GitLab.com API, authenticated: per user", .source = GITLAB_SOURCE},
	{.name = "gitlab-anonymous", .resource = "api:external:gitlab.com",
	 .limits = ONE_LIMIT(500, MINUTE_MS),
	 .description = "GitLab.com, unauthenticated: per IP address", .source = GITLAB_SOURCE},
};

#define N_BUILTIN (sizeof builtin / sizeof builtin[0])

const pt_profile *pt_profiles_builtin(size_t *count)
{
	*count = N_BUILTIN;
	return builtin;
}

static const pt_profile *find_builtin(const char *name)
{
	for (size_t i = 0; i < N_BUILTIN; i++)
		if (strcmp(builtin[i].name, name) == 0)
			return &builtin[i];
	return NULL;
}

void pt_profile_set_init(pt_profile_set *s)
{
	memset(s, 0, sizeof *s);
}

void pt_profile_set_release(pt_profile_set *s)
{
	free(s->items);
	pt_profile_set_init(s);
}

static pt_profile *set_find(const pt_profile_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->count; i++)
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	return NULL;
}

int pt_profile_set_put(pt_profile_set *s, const pt_profile *p)
{
	pt_profile *old = set_find(s, p->name);
	if (old) {
		*old = *p;
		return PT_OK;
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		pt_profile *grown = realloc(s->items, cap * sizeof *grown);
		if (!grown)
			return PT_ENOMEM;
		s->items = grown;
		s->cap = cap;
	}
	s->items[s->count++] = *p;
	return PT_OK;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= PT_PROFILE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

/* Copy a string value into a field of cap bytes. */
static int take_string(const pt_toml_value *v, const char *key, char *field, size_t cap,
		       char *err, size_t err_len)
{
	if (v->type != PT_TOML_STRING || strlen(v->as.string) >= cap) {
		pt_set_error(err, err_len, "key \"%s\": expected a string of at most %zu bytes",
			     key, cap - 1);
		return PT_EINVAL;
	}
	memcpy(field, v->as.string, strlen(v->as.string) + 1);
	return PT_OK;
}

/* limits = ["60/1m", "1000/1d"] or "60/1m,1000/1d". */
static int take_limits(const pt_toml_value *v, pt_limit_list *out, char *err, size_t err_len,
		       int *line)
{
	static const char expected[] = "key \"limits\": expected a list of limits such as "
				       "[\"60/1m\", \"1000/1d@calendar\"]";
	if (v->type == PT_TOML_STRING && pt_limit_list_parse(v->as.string, out) == PT_OK)
		return PT_OK;
	if (v->type != PT_TOML_ARRAY || v->as.array.count == 0) {
		pt_set_error(err, err_len, "%s", expected);
		return PT_EINVAL;
	}
	for (size_t i = 0; i < v->as.array.count; i++) {
		const pt_toml_value *item = &v->as.array.items[i];
		if (item->type != PT_TOML_STRING || pt_limit_list_parse(item->as.string, out) != PT_OK) {
			*line = item->line;
			pt_set_error(err, err_len, "%s", expected);
			return PT_EINVAL;
		}
	}
	return PT_OK;
}

/* limit = N with window = "W": one more limit. */
static int take_limit_window(const pt_toml_value *limit, const pt_toml_value *window,
			     pt_limit_list *out, char *err, size_t err_len)
{
	int64_t ms = 0;
	if (!limit || limit->type != PT_TOML_INTEGER || limit->as.integer < 1 ||
	    limit->as.integer > 1000000000) {
		pt_set_error(err, err_len, "key \"limit\": expected an integer from 1 to 1000000000 "
			     "(with window)");
		return PT_EINVAL;
	}
	if (!window || window->type != PT_TOML_STRING ||
	    pt_duration_parse(window->as.string, &ms) != PT_OK || ms == 0) {
		pt_set_error(err, err_len, "key \"window\": expected a duration string such as "
			     "\"1m\" (with limit)");
		return PT_EINVAL;
	}
	if (out->count == PT_LIMITS_MAX) {
		pt_set_error(err, err_len, "more than %d limits", PT_LIMITS_MAX);
		return PT_EINVAL;
	}
	out->items[out->count++] = (pt_limit){.count = limit->as.integer, .window_ms = ms};
	return PT_OK;
}

static int take_entry(const pt_toml_entry *e, pt_profile *p, char *err, size_t err_len,
		      int *line)
{
	*line = e->value.line;
	if (strcmp(e->key, "resource") == 0)
		return p->has_resource = true,
		       take_string(&e->value, e->key, p->resource, sizeof p->resource, err, err_len);
	if (strcmp(e->key, "source") == 0)
		return p->has_source = true,
		       take_string(&e->value, e->key, p->source, sizeof p->source, err, err_len);
	if (strcmp(e->key, "description") == 0)
		return p->has_description = true,
		       take_string(&e->value, e->key, p->description, sizeof p->description, err,
				   err_len);
	if (strcmp(e->key, "limits") == 0)
		return p->has_limits = true, take_limits(&e->value, &p->limits, err, err_len, line);
	if (strcmp(e->key, "limit") == 0 || strcmp(e->key, "window") == 0)
		return PT_OK; /* read together, below */
	pt_set_error(err, err_len, "unknown key \"%s\": expected resource, limit, window, limits, "
		     "description or source", e->key);
	return PT_EINVAL;
}

int pt_profile_from_toml(const char *name, const pt_toml_value *v, pt_profile *out, char *err,
			 size_t err_len, int *line)
{
	pt_profile p = {0};
	*line = v->line;
	if (!valid_name(name) || v->type != PT_TOML_TABLE) {
		pt_set_error(err, err_len, "expected a table [profiles.NAME], NAME of letters, "
			     "digits, '-', '_' and '.'");
		return PT_EINVAL;
	}
	snprintf(p.name, sizeof p.name, "%s", name);
	for (size_t i = 0; i < v->as.table.count; i++)
		if (take_entry(&v->as.table.entries[i], &p, err, err_len, line) != PT_OK)
			return PT_EINVAL;
	const pt_toml_value *limit = pt_toml_get(v, "limit"), *window = pt_toml_get(v, "window");
	*line = v->line;
	if (limit || window) {
		*line = limit ? limit->line : window->line;
		if (take_limit_window(limit, window, &p.limits, err, err_len) != PT_OK)
			return PT_EINVAL;
		p.has_limits = true;
	}
	if (!p.has_limits && !find_builtin(name)) {
		pt_set_error(err, err_len, "a new profile needs limit and window, or limits");
		return PT_EINVAL;
	}
	*out = p;
	return PT_OK;
}

int pt_profile_lookup(const pt_profile_set *s, const char *name, pt_profile *out)
{
	const pt_profile *base = find_builtin(name), *mine = set_find(s, name);
	if (!base && !mine)
		return PT_ENOENT;
	*out = base ? *base : *mine;
	if (!base || !mine)
		return PT_OK;
	if (mine->has_resource)
		memcpy(out->resource, mine->resource, sizeof out->resource);
	if (mine->has_limits)
		out->limits = mine->limits;
	if (mine->has_description)
		memcpy(out->description, mine->description, sizeof out->description);
	if (mine->has_source)
		memcpy(out->source, mine->source, sizeof out->source);
	out->changed = true;
	return PT_OK;
}
