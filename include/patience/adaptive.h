/* The adaptive strategy's model: which delays before a retry tend to be
 * followed by a success. Pure: no I/O, no clock, no globals.
 *
 * Buckets. Delays are grouped in buckets min, 2*min, 4*min, ... up to max
 * (the last bucket is max itself), at most PT_ADAPTIVE_BUCKETS_MAX. A wait
 * of d ms counts for the bucket nearest to d on a log scale.
 *
 * Memory. The model keeps the last `window` outcomes (wait, success) and
 * nothing else: an outcome older than that no longer counts at all. The
 * estimate of a bucket is an EMA over its outcomes in that window, oldest
 * first, from a prior of 0.5: p += rate * (outcome - p). So the window bounds
 * what is remembered, and the learning rate how fast recent outcomes outweigh
 * older ones inside it. Parameters are not part of the history: a run with
 * another rate or window reads the same history its own way.
 *
 * Next delay (pt_adaptive_next). A bucket is good when it has at least one
 * outcome in the window and its estimate is >= 0.5. The next delay is the
 * shortest good bucket longer than the wait that just failed in this run (so
 * a run never repeats a wait that failed it), except that the bucket right
 * below it is tried instead (exploration) when it is eligible and its last
 * outcome is at least max(5, window/5) outcomes old, or it has none in the
 * window: so a service that got faster is found again, at the cost of at
 * most one failed attempt every window/5 outcomes. No good bucket: no advice
 * (-1), and the caller waits as its fallback strategy says, but not less
 * than pt_adaptive_above the wait that failed.
 *
 * Text form (for the daemon): "a1:" then the outcomes, oldest first,
 * separated by ",", each the wait in ms (decimal, no leading zeros) and "s"
 * (success) or "f" (failure): "a1:100f,200f,400f,800s". */
#ifndef PATIENCE_ADAPTIVE_H
#define PATIENCE_ADAPTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_ADAPTIVE_WINDOW_MAX 256
#define PT_ADAPTIVE_BUCKETS_MAX 48
#define PT_ADAPTIVE_TEXT_MAX 4096 /* bytes of the text form, without the NUL */
#define PT_ADAPTIVE_GOOD 0.5      /* an estimate this high makes a bucket good */

typedef struct pt_adaptive_params {
	int64_t min_ms;       /* shortest bucket, >= 1 */
	int64_t max_ms;       /* longest bucket; <= min_ms: one bucket */
	double learning_rate; /* (0, 1] */
	unsigned window;      /* outcomes remembered, 1 to PT_ADAPTIVE_WINDOW_MAX */
} pt_adaptive_params;

typedef struct pt_adaptive_outcome {
	int64_t waited_ms;
	bool success;
} pt_adaptive_outcome;

typedef struct pt_adaptive {
	pt_adaptive_params params;
	int64_t bucket_ms[PT_ADAPTIVE_BUCKETS_MAX];
	size_t n_buckets;
	pt_adaptive_outcome history[PT_ADAPTIVE_WINDOW_MAX]; /* a ring, oldest at first */
	size_t first, count;
} pt_adaptive;

/* Defaults of the Go tool: rate 0.1, window 50; buckets 1s to 60s. */
void pt_adaptive_params_default(pt_adaptive_params *p);
/* An empty model. PT_OK, or PT_EINVAL for parameters out of range. */
int pt_adaptive_init(pt_adaptive *a, const pt_adaptive_params *p);
/* An attempt that followed a wait of waited_ms ended (waits < 0 read as 0).
 * The oldest outcome is forgotten once the window is full. */
void pt_adaptive_record(pt_adaptive *a, int64_t waited_ms, bool success);
/* The bucket a wait counts for. */
size_t pt_adaptive_bucket_of(const pt_adaptive *a, int64_t waited_ms);
/* Bucket i's estimate (0.5 without outcomes) and its outcomes in the window. */
double pt_adaptive_estimate(const pt_adaptive *a, size_t i, size_t *outcomes);
/* The delay before the next attempt, after an attempt that failed following
 * a wait of failed_after_ms (-1: the run's first attempt, nothing waited).
 * -1: no advice, use the fallback strategy. */
int64_t pt_adaptive_next(const pt_adaptive *a, int64_t failed_after_ms);
/* The shortest bucket longer than the bucket of waited_ms (the longest
 * bucket when there is none): a fallback delay below it would only repeat
 * a wait that failed. */
int64_t pt_adaptive_above(const pt_adaptive *a, int64_t waited_ms);

/* Write the text form into buf (NUL-terminated). PT_OK, or PT_ERANGE when
 * len is too small (PT_ADAPTIVE_TEXT_MAX + 1 always suffices). */
int pt_adaptive_format(const pt_adaptive *a, char *buf, size_t len);
/* Replace a's history with the one text (len bytes, need not be NUL-
 * terminated) holds; of more than a's window, the newest count. PT_OK, or
 * PT_EINVAL for anything but the exact text form (a is then unchanged):
 * longer than PT_ADAPTIVE_TEXT_MAX, another version, a wait beyond 100
 * years, a leading zero, an empty item, a stray byte. */
int pt_adaptive_parse(pt_adaptive *a, const char *text, size_t len);

#endif
