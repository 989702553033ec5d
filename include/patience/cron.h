/* Cron schedules as Vixie cron reads them: five fields (minute, hour, day
 * of month, month, day of week) with lists, ranges, steps and English
 * names (jan-dec, sun-sat; 7 is Sunday too), or @yearly @annually @monthly
 * @weekly @daily @midnight @hourly. When both day fields are restricted, a
 * day matches if either does; when one is '*', the other decides.
 *
 * Local time is the caller's: pt_cron_next asks a converter for the local
 * wall clock of a moment, so the library keeps no time zone state. */
#ifndef PATIENCE_CRON_H
#define PATIENCE_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct pt_cron {
	uint64_t minutes; /* bit m: minute m (0-59) matches */
	uint32_t hours;   /* bits 0-23 */
	uint32_t days;    /* bits 1-31 */
	uint16_t months;  /* bits 1-12 */
	uint8_t weekdays; /* bits 0-6, Sunday 0 */
	bool dom_star, dow_star; /* the day field was '*' (Vixie's rule) */
	bool hour_star;          /* every hour: runs in a repeated hour too */
} pt_cron;

/* Parse text. PT_OK, or PT_EINVAL with "field 3 (day of month): ..." in err. */
int pt_cron_parse(const char *text, pt_cron *out, char *err, size_t err_len);

/* Does the local wall-clock minute tm (tm_min, tm_hour, tm_mday, tm_mon,
 * tm_wday) match? */
bool pt_cron_matches(const pt_cron *c, const struct tm *tm);

/* The local wall clock of epoch second t; 0, or -1 on failure. */
typedef int (*pt_localtime_fn)(time_t t, struct tm *out, void *ctx);

/* The wall clock of t as epoch seconds as if the zone were UTC, in *out,
 * and as fields in *tm (NULL: not wanted). 0, or -1 when local fails. */
int pt_local_wall(pt_localtime_fn local, void *ctx, time_t t, time_t *out, struct tm *tm);

/* The first whole minute strictly after `after` (epoch seconds) at which
 * the schedule runs, in *out. Daylight saving time: a local time that a
 * spring-forward gap skips runs at the first minute after the gap; a local
 * time that a fall-back repeats runs once (the first time), unless the hour
 * field is '*', which runs in both. PT_OK; PT_ERANGE when nothing matches
 * within 9 years (e.g. "0 0 30 2 *"); PT_EINVAL when local time fails. */
int pt_cron_next(const pt_cron *c, time_t after, pt_localtime_fn local, void *ctx, time_t *out);

#endif
