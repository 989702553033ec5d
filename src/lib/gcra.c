/* GCRA placement (patience/gcra.h).
 *
 * With TAT_0 the state before a task, start i sees
 *   TAT_i = max(TAT_0 + i*T, max over m < i of t + o_m + (i-m)*T),
 * so t + o_i conforms iff t >= TAT_0 + i*T - tol - o_i (the only terms in
 * t) and o_i - o_m >= (i-m)*T - tol for every m < i (the offsets alone).
 * The least base is therefore the largest of not_before and those bounds.
 *
 * Bounds: T, |tol| and offsets are at most 100 years, i at most 1024, and
 * answers are kept within +-2^62, so no sum below overflows. */
#include "patience/gcra.h"

#include "patience/diophantine.h"
#include "patience/duration.h"
#include "patience/error.h"

#define GCRA_MAX_COUNT INT64_C(1000000000)

int pt_gcra_init(pt_gcra *g, int64_t limit, int64_t window_ms, int64_t burst, int64_t guard_ms)
{
	if (limit < 1 || limit > GCRA_MAX_COUNT || burst < 1 || burst > GCRA_MAX_COUNT ||
	    window_ms < 1 || window_ms > PT_DURATION_MAX_MS || guard_ms < 0 ||
	    guard_ms > PT_DURATION_MAX_MS)
		return PT_EINVAL;
	int64_t interval = window_ms / limit + (window_ms % limit != 0);
	if (burst - 1 > PT_DURATION_MAX_MS / interval)
		return PT_ERANGE;
	*g = (pt_gcra){
		.interval_ms = interval,
		.burst = burst,
		.guard_ms = guard_ms,
		.tolerance_ms = (burst - 1) * interval - guard_ms,
	};
	return PT_OK;
}

/* Do the offsets conform among themselves (TAT_0 = -infinity, t = 0)? */
static bool offsets_conform(const pt_gcra *g, const int64_t *offsets, size_t k)
{
	int64_t tat = offsets[0] + g->interval_ms;
	for (size_t i = 1; i < k; i++) {
		if (offsets[i] < tat - g->tolerance_ms)
			return false;
		tat = (offsets[i] > tat ? offsets[i] : tat) + g->interval_ms;
	}
	return true;
}

int pt_gcra_find(const pt_gcra *g, int64_t not_before_ms, const int64_t *offsets, size_t k,
		 int64_t *base_out)
{
	int rc = pt_dio_check_offsets((int64_t)k, 1, offsets, k, NULL);
	if (rc != PT_OK)
		return rc;
	if (not_before_ms < -PT_GCRA_TIME_MAX || not_before_ms > PT_GCRA_TIME_MAX)
		return PT_ERANGE;
	if (!offsets_conform(g, offsets, k))
		return PT_EINFEASIBLE;
	int64_t base = not_before_ms;
	for (size_t i = 0; g->has_tat && i < k; i++) {
		int64_t need = g->tat_ms + (int64_t)i * g->interval_ms - g->tolerance_ms - offsets[i];
		base = need > base ? need : base;
	}
	if (base > PT_GCRA_TIME_MAX - offsets[k - 1])
		return PT_ERANGE;
	*base_out = base;
	return PT_OK;
}

void pt_gcra_commit(pt_gcra *g, int64_t base_ms, const int64_t *offsets, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		int64_t at = base_ms + offsets[i];
		g->tat_ms = (g->has_tat && g->tat_ms > at ? g->tat_ms : at) + g->interval_ms;
		g->has_tat = true;
	}
}

void pt_gcra_started_at(pt_gcra *g, int64_t at_ms)
{
	if (at_ms > PT_GCRA_TIME_MAX - g->interval_ms)
		at_ms = PT_GCRA_TIME_MAX - g->interval_ms;
	if (!g->has_tat || g->tat_ms < at_ms + g->interval_ms) {
		g->has_tat = true;
		g->tat_ms = at_ms + g->interval_ms;
	}
}

int64_t pt_gcra_tat(const pt_gcra *g)
{
	return g->has_tat ? g->tat_ms : INT64_MIN;
}
