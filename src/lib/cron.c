#include "patience/cron.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/set_error.h"
#include "patience/error.h"

#define SEARCH_SECONDS ((time_t)9 * 366 * 86400) /* Feb 29 can be 8 years away */

typedef struct field_spec {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is value min + i; NULL: none */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_spec fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day of month", 1, 31, NULL},
	{"month", 1, 12, month_names},
	{"day of week", 0, 7, day_names}, /* 7 is Sunday again */
};

static const struct {
	const char *alias, *fields;
} aliases[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* One value: a number, or a name of the field. Advances *p. */
static int parse_value(const field_spec *f, const char **p, int *out)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno || end - s > 3 || v < f->min || v > f->max)
			return -1;
		*p = end;
		*out = (int)v;
		return 0;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
			*p = s + 3;
			*out = f->min + i;
			return 0;
		}
	return -1;
}

/* One list item: "*", "*\/n", "a", "a-b", "a-b/n", "a/n". Sets bits. */
static int parse_item(const field_spec *f, const char *s, const char *end, uint64_t *bits)
{
	int lo = f->min, hi = f->max, step = 1;
	const char *p = s;
	bool star = *p == '*';
	if (star) {
		p++;
	} else {
		if (parse_value(f, &p, &lo) < 0)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_value(f, &p, &hi) < 0 || hi < lo)
				return -1;
		}
	}
	if (p < end && *p == '/') {
		char *e;
		p++;
		errno = 0;
		long v = isdigit((unsigned char)*p) ? strtol(p, &e, 10) : -1;
		if (v < 1 || v > f->max || errno)
			return -1;
		step = (int)v;
		p = e;
		if (!star && hi == lo)
			hi = f->max; /* "a/n": from a to the end */
	}
	if (p != end)
		return -1;
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << (v == 7 && f->max == 7 ? 0 : v);
	return 0;
}

static int parse_field(const field_spec *f, const char *s, size_t len, uint64_t *bits)
{
	const char *end = s + len;
	*bits = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		if (item_end == s || parse_item(f, s, item_end, bits) < 0)
			return -1;
		s = comma ? comma + 1 : end;
		if (comma && s == end)
			return -1; /* a trailing comma */
	}
	return *bits ? 0 : -1;
}

static int bad_field(int i, const char *s, size_t len, char *err, size_t err_len)
{
	const field_spec *f = &fields[i];
	pt_set_error(err, err_len, "field %d (%s): invalid value \"%.*s\": expected %s from %d to %d%s",
		     i + 1, f->name, (int)len, s, i == 3 || i == 4 ? "a number or name" : "a number",
		     f->min, f->max, ", with lists (1,5), ranges (1-5) and steps (*/15)");
	return PT_EINVAL;
}

int pt_cron_parse(const char *text, pt_cron *out, char *err, size_t err_len)
{
	const char *s = text;
	uint64_t bits[5];
	while (isspace((unsigned char)*s))
		s++;
	for (size_t i = 0; *s == '@' && i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(s, aliases[i].alias) == 0)
			return pt_cron_parse(aliases[i].fields, out, err, err_len);
	if (*s == '@') {
		pt_set_error(err, err_len, "unknown schedule \"%s\": expected 5 fields or one of "
			     "@yearly @annually @monthly @weekly @daily @midnight @hourly", s);
		return PT_EINVAL;
	}
	*out = (pt_cron){0};
	for (int i = 0; i < 5; i++) {
		size_t len = strcspn(s, " \t");
		if (len == 0) {
			pt_set_error(err, err_len, "\"%s\" has %d field%s: expected 5 (minute hour "
				     "day-of-month month day-of-week)", text, i, i == 1 ? "" : "s");
			return PT_EINVAL;
		}
		if (parse_field(&fields[i], s, len, &bits[i]) < 0)
			return bad_field(i, s, len, err, err_len);
		if (i == 1)
			out->hour_star = *s == '*';
		if (i == 2)
			out->dom_star = *s == '*';
		if (i == 4)
			out->dow_star = *s == '*';
		s += len;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s) {
		pt_set_error(err, err_len, "\"%s\" has more than 5 fields", text);
		return PT_EINVAL;
	}
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->days = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->weekdays = (uint8_t)bits[4];
	return PT_OK;
}

static bool day_matches(const pt_cron *c, const struct tm *tm)
{
	bool dom = c->days >> tm->tm_mday & 1, dow = c->weekdays >> tm->tm_wday & 1;
	bool month = c->months >> (tm->tm_mon + 1) & 1;
	return month && (c->dom_star || c->dow_star ? dom && dow : dom || dow);
}

bool pt_cron_matches(const pt_cron *c, const struct tm *tm)
{
	return day_matches(c, tm) && (c->hours >> tm->tm_hour & 1) &&
	       (c->minutes >> tm->tm_min & 1);
}

int pt_local_wall(pt_localtime_fn local, void *ctx, time_t t, time_t *out, struct tm *tm)
{
	struct tm buf;
	if (!tm)
		tm = &buf;
	if (local(t, tm, ctx) < 0)
		return -1;
	struct tm copy = *tm;
	*out = timegm(&copy);
	return 0;
}

/* Did a spring-forward gap just before t skip a wall minute the schedule
 * names? (Only schedules with fixed hours catch up.) */
static bool skipped_match(const pt_cron *c, time_t w_prev, time_t w_now)
{
	struct tm tm;
	for (time_t w = w_prev + 60; w < w_now && w - w_prev <= 4 * 3600; w += 60)
		if (gmtime_r(&w, &tm) && pt_cron_matches(c, &tm))
			return true;
	return false;
}

/* Is t's wall minute a second pass of a fall-back (seen 30 or 60 min ago)? */
static int repeated(pt_localtime_fn local, void *ctx, time_t t, time_t w_now, bool *out)
{
	static const time_t back[] = {3600, 1800};
	*out = false;
	for (size_t i = 0; i < 2; i++) {
		time_t w;
		if (pt_local_wall(local, ctx, t - back[i], &w, NULL) < 0)
			return -1;
		*out = *out || w == w_now;
	}
	return 0;
}

/* How far to step from a non-matching minute: to the next hour, or close
 * to the next day (short of it by 2 h, so a DST change cannot jump over
 * its first hour). */
static time_t step_from(const pt_cron *c, const struct tm *tm)
{
	int to_midnight = (23 - tm->tm_hour) * 60 + (60 - tm->tm_min);
	if (!day_matches(c, tm))
		return (time_t)(to_midnight > 180 ? to_midnight - 120 : 60 - tm->tm_min) * 60;
	if (!(c->hours >> tm->tm_hour & 1))
		return (time_t)(60 - tm->tm_min) * 60;
	return 60;
}

int pt_cron_next(const pt_cron *c, time_t after, pt_localtime_fn local, void *ctx, time_t *out)
{
	time_t t = after - ((after % 60) + 60) % 60 + 60, end = after + SEARCH_SECONDS;
	time_t w_prev, w_now;
	struct tm tm;
	if (pt_local_wall(local, ctx, t - 60, &w_prev, NULL) < 0)
		return PT_EINVAL;
	while (t <= end) {
		bool again;
		if (pt_local_wall(local, ctx, t, &w_now, &tm) < 0)
			return PT_EINVAL;
		if (w_now - w_prev > 60 && !c->hour_star && skipped_match(c, w_prev, w_now))
			return *out = t, PT_OK;
		if (pt_cron_matches(c, &tm)) {
			if (repeated(local, ctx, t, w_now, &again) < 0)
				return PT_EINVAL;
			if (!again || c->hour_star)
				return *out = t, PT_OK;
		}
		time_t step = step_from(c, &tm);
		t += step;
		if (step == 60)
			w_prev = w_now; /* the gap check compares with the minute before */
		else if (pt_local_wall(local, ctx, t - 60, &w_prev, NULL) < 0)
			return PT_EINVAL;
	}
	return PT_ERANGE;
}
