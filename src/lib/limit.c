/* Limit lists: "60/1m,1000/1d@calendar" (see patience/limit.h). */
#include "patience/limit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"

#define CALENDAR_SUFFIX "@calendar"
#define ITEM_MAX 128

static const struct {
	const char *unit;
	pt_calendar_unit calendar;
	int64_t nominal_ms;
} calendar_units[] = {
	{"h", PT_CALENDAR_HOUR, 3600000},
	{"d", PT_CALENDAR_DAY, 86400000},
	{"w", PT_CALENDAR_WEEK, 7 * 86400000LL},
	{"mo", PT_CALENDAR_MONTH, 30 * 86400000LL},
};

#define N_UNITS (sizeof calendar_units / sizeof calendar_units[0])

/* "d" or "1d": one calendar unit; nothing else lines up with a calendar. */
static int parse_calendar_window(const char *w, pt_limit *out)
{
	if (w[0] == '1')
		w++;
	for (size_t i = 0; i < N_UNITS; i++) {
		if (strcmp(w, calendar_units[i].unit) != 0)
			continue;
		out->calendar = calendar_units[i].calendar;
		out->window_ms = calendar_units[i].nominal_ms;
		return PT_OK;
	}
	return PT_EINVAL;
}

/* "N/UNIT" of a calendar limit: the count is checked by pt_rate_parse
 * with a window of one second standing in. */
static int parse_calendar(const char *text, size_t len, pt_limit *out)
{
	char item[ITEM_MAX];
	const char *slash = memchr(text, '/', len);
	if (!slash || len >= sizeof item)
		return PT_EINVAL;
	snprintf(item, sizeof item, "%.*s", (int)(len - (size_t)(slash + 1 - text)), slash + 1);
	if (parse_calendar_window(item, out) != PT_OK)
		return PT_EINVAL;
	snprintf(item, sizeof item, "%.*s/1s", (int)(slash - text), text);
	int64_t one_second;
	return pt_rate_parse(item, &out->count, &one_second);
}

int pt_limit_parse(const char *text, pt_limit *out)
{
	size_t len = strlen(text), suffix = strlen(CALENDAR_SUFFIX);
	pt_limit l = {0};
	int rc;
	if (len > suffix && strcmp(text + len - suffix, CALENDAR_SUFFIX) == 0)
		rc = parse_calendar(text, len - suffix, &l);
	else if (strchr(text, '@'))
		rc = PT_EINVAL;
	else
		rc = pt_rate_parse(text, &l.count, &l.window_ms);
	if (rc == PT_OK)
		*out = l;
	return rc;
}

static int parse_item(const char *p, const char *end, pt_limit *out)
{
	char item[ITEM_MAX];
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - p) >= sizeof item || end == p)
		return PT_EINVAL;
	snprintf(item, sizeof item, "%.*s", (int)(end - p), p);
	return pt_limit_parse(item, out);
}

int pt_limit_list_parse(const char *text, pt_limit_list *out)
{
	pt_limit_list l = *out;
	const char *p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		if (l.count == PT_LIMITS_MAX)
			return PT_ERANGE;
		int rc = parse_item(p, end, &l.items[l.count]);
		if (rc != PT_OK)
			return rc;
		l.count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = l;
	return PT_OK;
}

int pt_limit_format(const pt_limit *l, char *buf, size_t len)
{
	char w[32];
	for (size_t i = 0; l->calendar != PT_CALENDAR_NONE && i < N_UNITS; i++)
		if (calendar_units[i].calendar == l->calendar)
			return snprintf(buf, len, "%" PRId64 "/1%s" CALENDAR_SUFFIX, l->count,
					calendar_units[i].unit);
	pt_duration_format(l->window_ms, w, sizeof w);
	return snprintf(buf, len, "%" PRId64 "/%s", l->count, w);
}

int pt_limit_list_format(const pt_limit_list *list, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return PT_ERANGE;
	buf[0] = '\0';
	for (size_t i = 0; i < list->count; i++) {
		char item[48];
		pt_limit_format(&list->items[i], item, sizeof item);
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", item);
		if (n < 0 || (size_t)n >= len - used)
			return PT_ERANGE;
		used += (size_t)n;
	}
	return PT_OK;
}

const pt_limit *pt_limit_list_primary(const pt_limit_list *list)
{
	const pt_limit *best = NULL;
	for (size_t i = 0; i < list->count; i++)
		if (!best || list->items[i].window_ms < best->window_ms)
			best = &list->items[i];
	return best;
}

static const char *const unit_names[] = {"", "hour", "day", "week", "month"};

const char *pt_calendar_unit_name(pt_calendar_unit unit)
{
	return unit <= PT_CALENDAR_MONTH ? unit_names[unit] : "";
}

int pt_calendar_unit_parse(const char *text, pt_calendar_unit *out)
{
	for (int i = PT_CALENDAR_HOUR; i <= PT_CALENDAR_MONTH; i++) {
		if (text && strcmp(text, unit_names[i]) == 0) {
			*out = (pt_calendar_unit)i;
			return PT_OK;
		}
	}
	return PT_EINVAL;
}

int pt_priority_parse(const char *text, int64_t *out)
{
	static const char *const names[] = {"low", "normal", "high"};
	char *end;
	long v;
	for (int i = 0; i < 3 && text; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = i - 1;
			return PT_OK;
		}
	}
	if (!text || !*text)
		return PT_EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < -PT_PRIORITY_LIMIT || v > PT_PRIORITY_LIMIT)
		return PT_EINVAL;
	*out = v;
	return PT_OK;
}
