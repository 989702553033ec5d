/* Several limits on one resource at once ("60/1m,1000/1d@calendar"): a
 * start is placed at the least base at which every limit holds.
 *
 * A sliding limit is a pt_dio (no window of W + guard holds more than N
 * starts); a limit with a burst is a pt_gcra (patience/gcra.h), whose
 * released starts are not given back. A calendar limit counts the starts of each local hour, day, week
 * or month (patience/calendar.h): at most N in one, and none in the guard
 * time before a reset, so that a start made up to guard late still counts
 * in the window it was granted in. The least base for all is found by
 * taking each limit's least base in turn from the last one's until none
 * moves it.
 *
 * Times are ms on the caller's clock; epoch_offset_ms turns them into epoch
 * ms for the calendar (a monotonic clock's realtime offset, or 0). Not
 * thread-safe; no global state. */
#ifndef PATIENCE_LIMIT_SET_H
#define PATIENCE_LIMIT_SET_H

#include <stddef.h>
#include <stdint.h>

#include "patience/cron.h"
#include "patience/diophantine.h"
#include "patience/gcra.h"
#include "patience/limit.h"

typedef struct pt_limit_set {
	size_t count;
	pt_limit limits[PT_LIMITS_MAX];
	pt_dio dio[PT_LIMITS_MAX]; /* the starts under each sliding or calendar limit */
	pt_gcra gcra[PT_LIMITS_MAX]; /* the state of each limit with a burst */
	int64_t guard_ms;
	int64_t epoch_offset_ms;
	pt_localtime_fn local; /* calendar limits' zone */
	void *local_ctx;
} pt_limit_set;

/* PT_OK; PT_EINVAL (no limits, more than PT_LIMITS_MAX, a bad one, a
 * calendar limit without local, or one with both a calendar and a burst);
 * PT_ENOMEM. */
int pt_limit_set_init(pt_limit_set *s, const pt_limit *limits, size_t n, int64_t guard_ms,
		      pt_localtime_fn local, void *local_ctx);
void pt_limit_set_release(pt_limit_set *s);

/* The least base >= now_ms at which base + offsets[i] keep every limit.
 * PT_OK; PT_EINFEASIBLE when the offsets alone break a limit (or a calendar
 * one cannot hold them in any window); PT_EINVAL; PT_ERANGE. */
int pt_limit_set_find(const pt_limit_set *s, int64_t now_ms, const int64_t *offsets, size_t k,
		      int64_t *base_out);
/* Reserve the k starts under id (in every limit). PT_OK or PT_ENOMEM
 * (nothing reserved). */
int pt_limit_set_reserve(pt_limit_set *s, uint64_t id, int64_t base_ms, const int64_t *offsets,
			 size_t k);
/* Drop id's starts at or after from_ms. */
void pt_limit_set_cancel(pt_limit_set *s, uint64_t id, int64_t from_ms);
/* id's start granted at from_ms really happened at to_ms: move it there in
 * every limit (pt_dio_move, pt_gcra_started_at). */
void pt_limit_set_move(pt_limit_set *s, uint64_t id, int64_t from_ms, int64_t to_ms);
/* Drop the starts that count in no window from now_ms on. */
void pt_limit_set_expire(pt_limit_set *s, int64_t now_ms);

#endif
