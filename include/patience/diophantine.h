/* The Diophantine scheduler: places a task's start times t+o_i so that no
 * window of length W+g ever holds more than N starts, together with every
 * start already reserved, and finds the least such t >= now.
 *
 * One pt_dio holds the reservations of one resource. The patience CLI uses it
 * for its own attempts; the daemon uses the same object for every client's.
 * Times are int64_t milliseconds on any clock the caller chooses, as long as
 * it uses one clock per pt_dio. Not thread-safe; no global state. */
#ifndef PATIENCE_DIOPHANTINE_H
#define PATIENCE_DIOPHANTINE_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound on offsets per task (attempts of one run). */
#define PT_DIO_MAX_OFFSETS 1024

typedef struct pt_dio_start {
	int64_t at_ms;        /* a reserved start time */
	uint64_t reservation; /* the task it belongs to */
} pt_dio_start;

typedef struct pt_dio {
	int64_t limit;       /* N: starts allowed per window */
	int64_t window_ms;   /* W */
	int64_t guard_ms;    /* g: the rule is enforced on windows of W+g */
	pt_dio_start *starts; /* sorted by at_ms, owned */
	size_t count;
	size_t capacity;
} pt_dio;

/* The default guard time: 10 ms + 1% of W. */
int64_t pt_dio_default_guard(int64_t window_ms);

/* limit >= 1, window_ms >= 1, guard_ms >= 0, else PT_EINVAL; a window or
 * guard above 100 years is PT_ERANGE. */
int pt_dio_init(pt_dio *d, int64_t limit, int64_t window_ms, int64_t guard_ms);
/* Frees the reservations; d may be initialised again. */
void pt_dio_release(pt_dio *d);
/* Change the limit or window of a live scheduler (daemon's set_limit).
 * Existing reservations stay, even where they break the new rule; later
 * placements obey it in every window that holds one of their starts. */
int pt_dio_set_limit(pt_dio *d, int64_t limit, int64_t window_ms, int64_t guard_ms);

/* Can offsets ever fit? PT_EINVAL unless 0 < k <= PT_DIO_MAX_OFFSETS and the
 * offsets are >= 0 and strictly increasing; PT_EINFEASIBLE when more than
 * limit of them fall within one window of span_ms (W+g). When infeasible and
 * first_out is given, *first_out is the index of the first offset of the
 * crowded window (offsets[first_out .. first_out+limit] are too close). */
int pt_dio_check_offsets(int64_t limit, int64_t span_ms, const int64_t *offsets,
			 size_t k, size_t *first_out);

/* The least base t >= now_ms such that every t+offsets[i], added to the
 * reservations, keeps every window of W+g that holds one of them at <= limit
 * starts. Does not change d. Returns PT_OK, the error of
 * pt_dio_check_offsets, or PT_ERANGE when the answer could overflow int64.
 * Cost: O(k*(N+log r)) per candidate tried, r = reservations held. */
int pt_dio_find(const pt_dio *d, int64_t now_ms, const int64_t *offsets, size_t k,
		int64_t *base_out);

/* pt_dio_find, then reserve the k starts under id. PT_ENOMEM leaves d as
 * it was. */
int pt_dio_acquire(pt_dio *d, uint64_t id, int64_t now_ms, const int64_t *offsets,
		   size_t k, int64_t *base_out);

/* Reserve starts base+offsets[i] under id without checking (restoring
 * persisted state). */
int pt_dio_reserve(pt_dio *d, uint64_t id, int64_t base_ms, const int64_t *offsets,
		   size_t k);

/* Drop id's starts at or after from_ms (the task ended or gave up on them).
 * Returns how many were dropped. */
size_t pt_dio_cancel(pt_dio *d, uint64_t id, int64_t from_ms);

/* The start of id granted at from_ms really happened at to_ms (its
 * command started late): move it there, so that later placements are
 * spaced from the real start. Never earlier: to_ms < from_ms moves nothing.
 * PT_OK; PT_ENOENT when id has no start at from_ms. */
int pt_dio_move(pt_dio *d, uint64_t id, int64_t from_ms, int64_t to_ms);

/* Drop starts older than now_ms - (W+g): no future start can share a window
 * with them. Returns how many were dropped. */
size_t pt_dio_expire(pt_dio *d, int64_t now_ms);

/* Number of reserved starts in [from_ms, to_ms). */
size_t pt_dio_count_between(const pt_dio *d, int64_t from_ms, int64_t to_ms);

#endif
