/* A drift-free schedule of ticks: tick k falls at t0 + k * every, always
 * computed from t0, never from when the last run ended, so that late runs
 * never push the schedule back. Times in ms of one clock (rpr: monotonic). */
#ifndef PATIENCE_TICKS_H
#define PATIENCE_TICKS_H

#include <stdint.h>

/* The tick after tick done (the one whose run just ended) that is not yet
 * past at now: done + 1 when the run fit in its interval, else the first
 * tick at or after now; *skipped counts the ticks passed over (a run that
 * outlasts its interval skips, as systemd timers do). every must be > 0. */
int64_t pt_ticks_next(int64_t t0, int64_t every, int64_t done, int64_t now, int64_t *skipped);

/* When tick k falls: t0 + k * every (saturating at INT64_MAX). */
int64_t pt_ticks_at(int64_t t0, int64_t every, int64_t k);

#endif
