#include "patience/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "patience/duration.h"
#include "patience/error.h"

int pt_config_init(pt_config *c, const pt_setting_def *defs, size_t count)
{
	char err[256];
	memset(c, 0, sizeof *c);
	c->defs = defs;
	c->count = count;
	c->values = calloc(count, sizeof *c->values);
	if (!c->values)
		return PT_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (!defs[i].default_text)
			continue;
		int rc = pt_config_set(c, i, defs[i].default_text, PT_SOURCE_DEFAULT, "default",
				       err, sizeof err);
		if (rc != PT_OK) {
			pt_config_release(c);
			return rc;
		}
	}
	return PT_OK;
}

void pt_config_release(pt_config *c)
{
	for (size_t i = 0; c->values && i < c->count; i++) {
		free(c->values[i].text);
		free(c->values[i].origin);
	}
	free(c->values);
	memset(c, 0, sizeof *c);
}

int pt_config_add_free_table(pt_config *c, const pt_free_table *t)
{
	if (c->n_free_tables == PT_CONFIG_FREE_TABLES)
		return PT_ERANGE;
	c->free_tables[c->n_free_tables++] = *t;
	return PT_OK;
}

const pt_free_table *pt_config_free_table(const pt_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_free_tables; i++)
		if (strcmp(c->free_tables[i].name, name) == 0)
			return &c->free_tables[i];
	return NULL;
}

int pt_config_find(const pt_config *c, const char *key)
{
	for (size_t i = 0; i < c->count; i++)
		if (strcmp(c->defs[i].key, key) == 0)
			return (int)i;
	return -1;
}

const pt_setting *pt_config_get(const pt_config *c, const char *key)
{
	int i = pt_config_find(c, key);
	return i < 0 ? NULL : &c->values[i];
}

const pt_setting *pt_config_pick(const pt_config *c, const char *key, const char *own_key)
{
	const pt_setting *shared = pt_config_get(c, key), *own = pt_config_get(c, own_key);
	return own && own->text && own->source >= shared->source ? own : shared;
}

static int parse_boolean(const char *text, bool *out)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(text, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static bool in_range(const pt_setting_def *d, double v)
{
	return d->min > d->max || (v >= d->min && v <= d->max);
}

static int parse_number(const pt_setting_def *d, const char *text, pt_setting *v)
{
	char *end;
	errno = 0;
	if (d->type == PT_SETTING_INTEGER) {
		long long n = strtoll(text, &end, 10);
		if (errno || end == text || *end || !in_range(d, (double)n))
			return -1;
		v->as.integer = n;
		return 0;
	}
	double f = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(f) || !in_range(d, f))
		return -1;
	v->as.floating = f;
	return 0;
}

static void describe_expected(const pt_setting_def *d, char *err, size_t err_len)
{
	switch (d->type) {
	case PT_SETTING_INTEGER:
	case PT_SETTING_FLOAT:
		if (d->min <= d->max && d->type == PT_SETTING_INTEGER)
			snprintf(err, err_len, "an integer from %.0f to %.0f", d->min, d->max);
		else if (d->min <= d->max)
			snprintf(err, err_len, "a number from %g to %g", d->min, d->max);
		else
			snprintf(err, err_len, "a number");
		break;
	case PT_SETTING_BOOLEAN:
		snprintf(err, err_len, "true or false");
		break;
	case PT_SETTING_DURATION:
		snprintf(err, err_len, "a duration such as 250ms, 1.5s, 2m or 1h30m");
		break;
	case PT_SETTING_STRING:
		snprintf(err, err_len, "a string");
		break;
	}
}

static int parse_value(const pt_setting_def *d, const char *text, pt_setting *v,
		       char *expected, size_t len)
{
	int rc = 0;
	if (d->type == PT_SETTING_INTEGER || d->type == PT_SETTING_FLOAT)
		rc = parse_number(d, text, v);
	else if (d->type == PT_SETTING_BOOLEAN)
		rc = parse_boolean(text, &v->as.boolean);
	else if (d->type == PT_SETTING_DURATION)
		rc = pt_duration_parse(text, &v->as.ms) == PT_OK ? 0 : -1;
	if (rc < 0) {
		describe_expected(d, expected, len);
		return -1;
	}
	return d->validate ? d->validate(text, expected, len) : 0;
}

int pt_config_set(pt_config *c, size_t i, const char *text, pt_source source,
		  const char *origin, char *err, size_t err_len)
{
	const pt_setting_def *d = &c->defs[i];
	pt_setting v = {0};
	char expected[200];
	if (parse_value(d, text, &v, expected, sizeof expected) < 0) {
		snprintf(err, err_len, "invalid value \"%s\": expected %s", text, expected);
		return PT_EINVAL;
	}
	v.text = strdup(text);
	v.origin = strdup(origin);
	v.source = source;
	if (!v.text || !v.origin) {
		free(v.text);
		free(v.origin);
		return PT_ENOMEM;
	}
	free(c->values[i].text);
	free(c->values[i].origin);
	c->values[i] = v;
	return PT_OK;
}
