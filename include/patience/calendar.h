/* Calendar-aligned windows: the local hour, day, week (from Monday) or month
 * holding a moment, as a limit of "1000/1d@calendar" counts them (see
 * patience/limit.h). The window's counter resets at the first moment of the
 * next one, which is not a fixed length away: a day in America/New_York
 * lasts 23 hours when DST starts and 25 when it ends, and months differ.
 *
 * Local time is the caller's, as for cron: a converter gives the local wall
 * clock of a moment, so the library keeps no time zone state. */
#ifndef PATIENCE_CALENDAR_H
#define PATIENCE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "patience/cron.h"  /* pt_localtime_fn */
#include "patience/limit.h" /* pt_calendar_unit */

/* The window of unit holding now_ms (epoch ms): *start_ms, its first
 * moment, and *reset_ms, the first moment of the next window; start_ms <=
 * now_ms < reset_ms, in whole seconds. A local midnight that a DST gap
 * skips (as in America/Sao_Paulo until 2019) starts the day at the end of
 * the gap. Hours are real hours: in a repeated (fall-back) hour, the window
 * is the pass now is in. PT_OK; PT_EINVAL when unit is PT_CALENDAR_NONE or
 * the converter fails. */
int pt_calendar_window(int64_t now_ms, pt_calendar_unit unit, pt_localtime_fn local, void *ctx,
		       int64_t *start_ms, int64_t *reset_ms);

/* Is zone an IANA name with a tzdata file ($TZDIR, else
 * /usr/share/zoneinfo)? glibc takes an unknown one for UTC without a word. */
bool pt_zone_known(const char *zone);

/* A pt_localtime_fn for the IANA zone named by ctx ("America/New_York";
 * NULL or "": the process's own zone). It sets TZ for the conversion and
 * puts it back before it returns: the one place in the library that
 * touches process state, so call it from one thread only. */
int pt_zone_localtime(time_t t, struct tm *out, void *zone);

#endif
