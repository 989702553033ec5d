/* Rate limits as users write them, one or several per resource:
 *   "60/1m"              at most 60 starts in any window of 1 minute (sliding)
 *   "5000/h"             a bare unit is one of it (as pt_rate_parse)
 *   "1000/1d@calendar"   at most 1000 starts per calendar day (the counter
 *                        resets at local midnight; see patience/calendar.h)
 *   "60/1m,1000/1d"      a list: every limit holds at once
 * Calendar windows are h (hour), d (day), w (week, from Monday) and mo
 * (month), optionally written 1h, 1d, 1w, 1mo; nothing else has a calendar. */
#ifndef PATIENCE_LIMIT_H
#define PATIENCE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most limits on one resource. */
#define PT_LIMITS_MAX 8

typedef enum pt_calendar_unit {
	PT_CALENDAR_NONE,  /* a sliding window of window_ms */
	PT_CALENDAR_HOUR,
	PT_CALENDAR_DAY,
	PT_CALENDAR_WEEK,  /* ISO weeks: from Monday 00:00 */
	PT_CALENDAR_MONTH,
} pt_calendar_unit;

typedef struct pt_limit {
	int64_t count;     /* N: 1 to 1e9 */
	int64_t window_ms; /* W; for a calendar unit its nominal length (1h, 1d,
			    * 7d, 30d): the real one varies with DST and months */
	pt_calendar_unit calendar;
	int64_t burst;     /* B >= 1: a GCRA limit, N per W in bursts of B
			    * (patience/gcra.h); 0: the sliding window. Not
			    * part of the text form: --burst, "burst" */
} pt_limit;

typedef struct pt_limit_list {
	pt_limit items[PT_LIMITS_MAX];
	size_t count;
} pt_limit_list;

/* Parse one limit. PT_OK, PT_EINVAL (malformed) or PT_ERANGE (N or W out of
 * range). */
int pt_limit_parse(const char *text, pt_limit *out);

/* Parse a comma-separated list (spaces allowed around items) and append it
 * to out, which the caller initialises (count 0 for a new list). PT_ERANGE
 * also when the list would pass PT_LIMITS_MAX; out is unchanged on error. */
int pt_limit_list_parse(const char *text, pt_limit_list *out);

/* "60/1m", "1000/1d@calendar", "10/1mo@calendar". Returns the length it
 * wanted to write, as snprintf; 48 bytes always suffice. */
int pt_limit_format(const pt_limit *l, char *buf, size_t len);
/* The list joined with ","; PT_OK, or PT_ERANGE when buf is too small. */
int pt_limit_list_format(const pt_limit_list *list, char *buf, size_t len);

/* "hour", "day", "week", "month" ("" for PT_CALENDAR_NONE), as the daemon
 * protocol names them; parse takes those four (PT_EINVAL otherwise). */
const char *pt_calendar_unit_name(pt_calendar_unit unit);
int pt_calendar_unit_parse(const char *text, pt_calendar_unit *out);

/* A start's priority among the daemon's queued acquires: "high" 1,
 * "normal" 0, "low" -1, or an integer -10..10. PT_OK or PT_EINVAL. */
#define PT_PRIORITY_LIMIT 10
int pt_priority_parse(const char *text, int64_t *out);

/* The limit of the list with the shortest window (the first of equals):
 * the one a single-limit scheduler enforces. NULL for an empty list. */
const pt_limit *pt_limit_list_primary(const pt_limit_list *list);

#endif
