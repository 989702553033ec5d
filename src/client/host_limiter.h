/* A run's fallback when no daemon answers: the host's shared starts
 * (patience/host_starts.h), so that every patience and rpr of the user
 * still shares each resource's limit. Each call locks the file beside the
 * daemon's socket, places or changes this run's starts, and writes it
 * back. Times are CLOCK_REALTIME ms, as in the file. */
#ifndef PT_CLIENT_HOST_LIMITER_H
#define PT_CLIENT_HOST_LIMITER_H

#include <stddef.h>
#include <stdint.h>

/* How long a call waits for the file's lock before it concludes that a
 * daemon holds it (a running daemon holds it for good). */
#define PT_HOST_LOCK_WAIT_MS 200
/* A start is reserved at most this far ahead: a later one is asked for
 * again then, so that it is placed after the earlier starts were made and
 * moved to where they really happened (as the daemon's queue does). */
#define PT_HOST_LOOKAHEAD_MS 100

typedef struct pt_host_limiter {
	const char *socket_path; /* the daemon's; the file is SOCKET.starts (not owned) */
	const char *resource;    /* not owned */
	int64_t limit, window_ms, guard_ms, burst; /* for a resource new to the file */
	uint64_t made;           /* reservations made in the file */
	uint64_t held;           /* our live one there (0: none) */
} pt_host_limiter;

/* The caller's own limits: the least base >= from_ms (realtime) at which
 * they allow the starts too. */
typedef int (*pt_host_place_fn)(void *ctx, int64_t from_ms, int64_t *base_ms);

/* Place k starts base + offsets[i] at the least base >= not_before_ms that
 * the file's limit and also (may be NULL) both allow, and record them.
 * PT_OK with *base_ms; PT_ERANGE: that base (in *base_ms) is more than
 * PT_HOST_LOOKAHEAD_MS ahead, nothing is recorded: ask again shortly
 * before it; PT_EBUSY: a daemon holds the file (it is alive, yet did not
 * answer: ask it again); else the file cannot be used (err says why). */
int pt_host_grant(pt_host_limiter *h, const int64_t *offsets, size_t k, int64_t not_before_ms,
		  pt_host_place_fn also, void *ctx, int64_t *base_ms, char *err, size_t err_len);
/* Give back our starts at or after from_ms (never used). */
void pt_host_cancel(pt_host_limiter *h, int64_t from_ms);
/* Our start granted at granted_ms was made at started_ms: move it there. */
void pt_host_started(pt_host_limiter *h, int64_t granted_ms, int64_t started_ms);

#endif
