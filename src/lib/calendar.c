/* Calendar windows from a local-time converter alone: the moment a wall
 * clock time first occurs is found by correcting a guess with the zone
 * offset seen there, and by bisection when a DST gap skips that time. */
#include "patience/calendar.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "patience/error.h"

/* The wall-clock starts of the unit holding tm and of the next one. */
static void unit_bounds(const struct tm *tm, pt_calendar_unit unit, time_t *first, time_t *next)
{
	struct tm a = *tm;
	a.tm_sec = a.tm_min = 0;
	a.tm_isdst = 0;
	if (unit != PT_CALENDAR_HOUR)
		a.tm_hour = 0;
	if (unit == PT_CALENDAR_WEEK)
		a.tm_mday -= (tm->tm_wday + 6) % 7; /* back to Monday */
	if (unit == PT_CALENDAR_MONTH)
		a.tm_mday = 1;
	struct tm b = a;
	if (unit == PT_CALENDAR_HOUR)
		b.tm_hour++;
	else if (unit == PT_CALENDAR_DAY)
		b.tm_mday++;
	else if (unit == PT_CALENDAR_WEEK)
		b.tm_mday += 7;
	else
		b.tm_mon++;
	*first = timegm(&a); /* timegm normalises day 0, day 32, month 12 */
	*next = timegm(&b);
}

/* The first moment after a gap that skips wall time w: lo shows a wall
 * clock before w, hi one after it. */
static int end_of_gap(pt_localtime_fn local, void *ctx, time_t w, time_t lo, time_t hi,
		      time_t *out)
{
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2, seen;
		if (pt_local_wall(local, ctx, mid, &seen, NULL) < 0)
			return -1;
		if (seen >= w)
			hi = mid;
		else
			lo = mid;
	}
	*out = hi;
	return 0;
}

/* The moment near guess whose wall clock is w. Each step moves by the
 * difference seen, which is the zone offset's change; a gap makes the
 * steps swing across it, and then its end is the answer. */
static int moment_of(pt_localtime_fn local, void *ctx, time_t w, time_t guess, time_t *out)
{
	time_t t = guess, lo = 0, hi = 0, seen;
	bool have_lo = false, have_hi = false;
	for (int i = 0; i < 4; i++) {
		if (pt_local_wall(local, ctx, t, &seen, NULL) < 0)
			return -1;
		if (seen == w)
			return *out = t, 0;
		if (seen < w)
			lo = t, have_lo = true;
		else
			hi = t, have_hi = true;
		t -= seen - w;
	}
	if (have_lo && have_hi && lo < hi)
		return end_of_gap(local, ctx, w, lo, hi, out);
	*out = t;
	return 0;
}

static int64_t floor_seconds(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

int pt_calendar_window(int64_t now_ms, pt_calendar_unit unit, pt_localtime_fn local, void *ctx,
		       int64_t *start_ms, int64_t *reset_ms)
{
	time_t now = (time_t)floor_seconds(now_ms), w_now, first, next, start, reset;
	struct tm tm;
	if (unit == PT_CALENDAR_NONE || pt_local_wall(local, ctx, now, &w_now, &tm) < 0)
		return PT_EINVAL;
	unit_bounds(&tm, unit, &first, &next);
	if (unit == PT_CALENDAR_HOUR) {
		/* Real hours, so that both passes of a repeated hour count apart. */
		start = now - (w_now - first);
		reset = start + 3600;
	} else if (moment_of(local, ctx, first, now - (w_now - first), &start) < 0 ||
		   moment_of(local, ctx, next, now + (next - w_now), &reset) < 0) {
		return PT_EINVAL;
	}
	if (start > now)
		start = now; /* a zone whose midnight repeats: keep the promise */
	if (reset <= now)
		reset = now + 1;
	*start_ms = (int64_t)start * 1000;
	*reset_ms = (int64_t)reset * 1000;
	return PT_OK;
}

int pt_zone_localtime(time_t t, struct tm *out, void *zone)
{
	const char *name = zone, *old = getenv("TZ");
	char saved[256];
	bool had = old != NULL, ok;
	if (!name || !*name)
		return localtime_r(&t, out) ? 0 : -1;
	if (had)
		snprintf(saved, sizeof saved, "%s", old);
	if (setenv("TZ", name, 1) != 0)
		return -1;
	tzset();
	ok = localtime_r(&t, out) != NULL;
	if (had)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	return ok ? 0 : -1;
}

bool pt_zone_known(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	return *zone && zone[0] != '/' && !strstr(zone, "..") && access(path, R_OK) == 0;
}
