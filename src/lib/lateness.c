/* Lateness histograms (patience/lateness.h). Buckets: 0..15 ms one each,
 * then four per power of two up to 2^16 ms; the last bucket takes the rest
 * (its bound is the largest sample seen). */
#include "patience/lateness.h"

#include <stdbool.h>
#include <string.h>

#define EXACT 16  /* values below this have a bucket each */
#define SUB 4     /* buckets per power of two above it */
#define EXACT_BITS 4

static int bucket_of(int64_t v)
{
	if (v < EXACT)
		return (int)v;
	int p = 63 - __builtin_clzll((unsigned long long)v); /* 2^p <= v < 2^(p+1) */
	int b = EXACT + (p - EXACT_BITS) * SUB + (int)((v >> (p - 2)) & (SUB - 1));
	return b < PT_LATENESS_BUCKETS ? b : PT_LATENESS_BUCKETS - 1;
}

/* The largest value bucket b holds. */
static int64_t bucket_bound(int b)
{
	if (b < EXACT)
		return b;
	int p = (b - EXACT) / SUB + EXACT_BITS, sub = (b - EXACT) % SUB;
	return (INT64_C(1) << p) + ((int64_t)(sub + 1) << (p - 2)) - 1;
}

/* How many periods have passed since l's current one began (0, 1, or 2
 * for two or more). */
static int periods_since(const pt_lateness *l, int64_t now_ms)
{
	int64_t age = now_ms - l->period_start_ms;
	return age < PT_LATENESS_PERIOD_MS ? 0 : age < 2 * PT_LATENESS_PERIOD_MS ? 1 : 2;
}

static void rotate(pt_lateness *l, int64_t now_ms)
{
	int n = periods_since(l, now_ms);
	if (!l->total[0] && !l->total[1])
		n = 2; /* nothing kept: the first period begins now */
	if (n == 0)
		return;
	if (n == 1) {
		memcpy(l->counts[1], l->counts[0], sizeof l->counts[0]);
		l->total[1] = l->total[0];
		l->max_ms[1] = l->max_ms[0];
		l->period_start_ms += PT_LATENESS_PERIOD_MS;
	} else {
		memset(l->counts[1], 0, sizeof l->counts[1]);
		l->total[1] = 0;
		l->max_ms[1] = 0;
		l->period_start_ms = now_ms;
	}
	memset(l->counts[0], 0, sizeof l->counts[0]);
	l->total[0] = 0;
	l->max_ms[0] = 0;
}

void pt_lateness_add(pt_lateness *l, int64_t late_ms, int64_t now_ms)
{
	if (late_ms < 0)
		late_ms = 0;
	rotate(l, now_ms);
	if (l->total[0] == UINT32_MAX)
		return;
	l->counts[0][bucket_of(late_ms)]++;
	l->total[0]++;
	if (late_ms > l->max_ms[0])
		l->max_ms[0] = late_ms;
}

/* The periods whose samples still count at now_ms: counts[0 .. *last]
 * (counts[0] alone once a period has passed, as then it is the one
 * before). false when none does. */
static bool live_periods(const pt_lateness *l, int64_t now_ms, int *last)
{
	int n = periods_since(l, now_ms);
	*last = n == 0 ? 1 : 0;
	return n < 2;
}

uint32_t pt_lateness_count(const pt_lateness *l, int64_t now_ms)
{
	int last;
	uint64_t n = 0;
	if (!live_periods(l, now_ms, &last))
		return 0;
	for (int p = 0; p <= last; p++)
		n += l->total[p];
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int64_t pt_lateness_quantile(const pt_lateness *l, int permille, int64_t now_ms)
{
	int last;
	uint64_t total = pt_lateness_count(l, now_ms), seen = 0;
	if (!total || !live_periods(l, now_ms, &last))
		return 0;
	int64_t max = l->max_ms[0] > l->max_ms[last] ? l->max_ms[0] : l->max_ms[last];
	/* the rank of the sample sought, 1-based, rounded up */
	uint64_t rank = (total * (uint64_t)permille + 999) / 1000;
	if (rank == 0)
		rank = 1;
	for (int b = 0; b < PT_LATENESS_BUCKETS; b++) {
		for (int p = 0; p <= last; p++)
			seen += l->counts[p][b];
		if (seen >= rank) {
			int64_t bound = bucket_bound(b);
			return b == PT_LATENESS_BUCKETS - 1 || bound > max ? max : bound;
		}
	}
	return max;
}

int64_t pt_lateness_guard(const pt_lateness *l, int64_t floor_ms, int64_t window_ms,
			  int64_t max_ms, int64_t now_ms)
{
	int64_t late = l ? pt_lateness_quantile(l, 999, now_ms) : 0;
	int64_t want = late + late / 4 + 2; /* a margin for what was not yet seen */
	int64_t cap = max_ms >= 0 ? max_ms : window_ms / 4;
	if (cap < floor_ms)
		cap = floor_ms;
	if (!l || !pt_lateness_count(l, now_ms) || want <= floor_ms)
		return floor_ms;
	return want < cap ? want : cap;
}
