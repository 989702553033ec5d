/* How late commands really start: the time from a start's grant to the
 * moment its command had started (posix_spawn returned), kept per resource
 * over the last two periods, and the guard time that covers it.
 *
 * The guard g is what lets a start be late: the scheduler spaces N + 1
 * starts W + g apart, so starts up to g late still leave every window of W
 * at N as the service sees them. A loaded host makes starts later than a
 * fixed g allows; the guard in force follows what is measured (p99.9 and a
 * margin), within bounds, and narrows again once the host is quiet.
 * Pure: times are passed in. */
#ifndef PATIENCE_LATENESS_H
#define PATIENCE_LATENESS_H

#include <stdint.h>

#define PT_LATENESS_BUCKETS 64
#define PT_LATENESS_PERIOD_MS INT64_C(60000) /* samples count for one to two of these */

typedef struct pt_lateness {
	uint32_t counts[2][PT_LATENESS_BUCKETS]; /* [0]: this period; [1]: the one before */
	uint32_t total[2];
	int64_t max_ms[2];
	int64_t period_start_ms;
} pt_lateness;

/* Zeroed is empty. Record one start late_ms after its grant (< 0 counts
 * as 0) at now_ms. */
void pt_lateness_add(pt_lateness *l, int64_t late_ms, int64_t now_ms);

/* Samples of the last one to two periods at now_ms. */
uint32_t pt_lateness_count(const pt_lateness *l, int64_t now_ms);

/* The least lateness that at least permille/1000 of those samples do not
 * exceed (rounded up to its bucket's bound, so never below the truth);
 * 1000: the largest; 0 when there are none. */
int64_t pt_lateness_quantile(const pt_lateness *l, int permille, int64_t now_ms);

/* The guard for a window of window_ms: floor_ms on a quiet host, else the
 * p99.9 lateness with a margin, at most max_ms (< 0: a quarter of the
 * window), and never below floor_ms. */
int64_t pt_lateness_guard(const pt_lateness *l, int64_t floor_ms, int64_t window_ms,
			  int64_t max_ms, int64_t now_ms);

#endif
