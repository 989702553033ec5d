/* Unit tests of GCRA placement (src/lib/gcra.c): hand-made cases, then
 * random tasks against a brute force that replays the definition over every
 * start granted so far and scans bases one ms at a time, and a check that
 * starts made up to the guard late, sorted, still obey
 * "at most 1 + floor((L + tau) / T) starts in any span L". */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "patience/error.h"
#include "patience/gcra.h"
#include "patience/rng.h"

static const int64_t one[] = {0};

static int64_t place(pt_gcra *g, int64_t not_before, const int64_t *offsets, size_t k)
{
	int64_t base;
	assert_int_equal(pt_gcra_find(g, not_before, offsets, k, &base), PT_OK);
	pt_gcra_commit(g, base, offsets, k);
	return base;
}

static void a_burst_then_the_steady_rate(void **state)
{
	pt_gcra g;
	(void)state;
	assert_int_equal(pt_gcra_init(&g, 10, 1000, 5, 0), PT_OK);
	assert_int_equal(g.interval_ms, 100);
	for (int i = 0; i < 5; i++)
		assert_int_equal(place(&g, 0, one, 1), 0);
	assert_int_equal(place(&g, 0, one, 1), 100);
	assert_int_equal(place(&g, 0, one, 1), 200);
	/* idle long enough, the whole burst is back */
	for (int i = 0; i < 5; i++)
		assert_int_equal(place(&g, 5000, one, 1), 5000);
	assert_int_equal(place(&g, 5000, one, 1), 5100);
}

static void burst_one_spaces_by_the_interval_plus_guard(void **state)
{
	pt_gcra g;
	(void)state;
	assert_int_equal(pt_gcra_init(&g, 3, 1000, 1, 20), PT_OK);
	assert_int_equal(g.interval_ms, 334); /* rounded up: never above 3/s */
	assert_int_equal(place(&g, 0, one, 1), 0);
	assert_int_equal(place(&g, 0, one, 1), 354);
	assert_int_equal(pt_gcra_tat(&g), 688);
}

static void offsets_are_placed_together(void **state)
{
	pt_gcra g;
	const int64_t offs[] = {0, 50, 300};
	int64_t base;
	(void)state;
	assert_int_equal(pt_gcra_init(&g, 10, 1000, 2, 0), PT_OK); /* T 100, tau 100 */
	assert_int_equal(place(&g, 0, offs, 3), 0);     /* TAT 400 */
	assert_int_equal(place(&g, 0, offs, 3), 350);   /* 350 + 50 >= 500 - 100 */
	const int64_t crowded[] = {0, 1, 2};
	assert_int_equal(pt_gcra_find(&g, 0, crowded, 3, &base), PT_EINFEASIBLE);
	const int64_t unordered[] = {0, 0};
	assert_int_equal(pt_gcra_find(&g, 0, unordered, 2, &base), PT_EINVAL);
}

static void bad_parameters_are_refused(void **state)
{
	pt_gcra g;
	int64_t base;
	(void)state;
	assert_int_equal(pt_gcra_init(&g, 0, 1000, 1, 0), PT_EINVAL);
	assert_int_equal(pt_gcra_init(&g, 10, 1000, 0, 0), PT_EINVAL);
	assert_int_equal(pt_gcra_init(&g, 10, 0, 1, 0), PT_EINVAL);
	assert_int_equal(pt_gcra_init(&g, 10, 1000, 1, -1), PT_EINVAL);
	assert_int_equal(pt_gcra_init(&g, 1, INT64_C(3153600000000), 1000000000, 0), PT_ERANGE);
	assert_int_equal(pt_gcra_init(&g, 1, 1000, 2, 0), PT_OK);
	assert_int_equal(pt_gcra_find(&g, INT64_MAX, one, 1, &base), PT_ERANGE);
	assert_int_equal(pt_gcra_find(&g, INT64_MIN, one, 1, &base), PT_ERANGE);
}

/* ---- random, against the definition --------------------------------- */

#define HISTORY_MAX 512

typedef struct history {
	int64_t at[HISTORY_MAX]; /* in grant order */
	size_t n;
} history;

/* Does the definition accept the history followed by base + offsets? */
static bool definition_accepts(const history *h, int64_t T, int64_t tol, int64_t base,
			       const int64_t *offsets, size_t k)
{
	bool has = false;
	int64_t tat = 0;
	for (size_t i = 0; i < h->n + k; i++) {
		int64_t t = i < h->n ? h->at[i] : base + offsets[i - h->n];
		if (has && t < tat - tol)
			return false;
		tat = (has && tat > t ? tat : t) + T;
		has = true;
	}
	return true;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Starts made up to guard late obey GCRA(T, (B-1)T) as the service sees them. */
static void late_starts_conform(const history *h, const pt_gcra *g, pt_rng *rng)
{
	int64_t real[HISTORY_MAX];
	int64_t tau = (g->burst - 1) * g->interval_ms;
	for (size_t i = 0; i < h->n; i++)
		real[i] = h->at[i] + (int64_t)(pt_rng_next(rng) % (uint64_t)(g->guard_ms + 1));
	qsort(real, h->n, sizeof real[0], cmp_i64);
	for (size_t i = 0; i < h->n; i++)
		for (size_t j = i + 1; j < h->n; j++)
			assert_true((int64_t)(j - i) * g->interval_ms - tau <= real[j] - real[i]);
}

static void random_task(pt_gcra *g, history *h, pt_rng *rng, int64_t now)
{
	int64_t offsets[4] = {0}, base;
	size_t k = 1 + pt_rng_next(rng) % 4;
	for (size_t i = 1; i < k; i++)
		offsets[i] = offsets[i - 1] + 1 + (int64_t)(pt_rng_next(rng) % 150);
	int rc = pt_gcra_find(g, now, offsets, k, &base);
	history alone = {.n = 0};
	if (!definition_accepts(&alone, g->interval_ms, g->tolerance_ms, 0, offsets, k)) {
		assert_int_equal(rc, PT_EINFEASIBLE);
		return;
	}
	assert_int_equal(rc, PT_OK);
	assert_true(base >= now);
	assert_true(definition_accepts(h, g->interval_ms, g->tolerance_ms, base, offsets, k));
	assert_true(base == now ||
		    !definition_accepts(h, g->interval_ms, g->tolerance_ms, base - 1, offsets, k));
	pt_gcra_commit(g, base, offsets, k);
	for (size_t i = 0; i < k; i++)
		h->at[h->n++] = base + offsets[i];
}

static void random_tasks_match_the_definition(void **state)
{
	pt_rng rng;
	(void)state;
	pt_rng_seed(&rng, 7);
	for (int round = 0; round < 2000; round++) {
		pt_gcra g;
		history h = {.n = 0};
		int64_t limit = 1 + (int64_t)(pt_rng_next(&rng) % 10);
		int64_t window = 1 + (int64_t)(pt_rng_next(&rng) % 500);
		int64_t burst = 1 + (int64_t)(pt_rng_next(&rng) % 6);
		int64_t guard = (int64_t)(pt_rng_next(&rng) % 30);
		int64_t now = -1000 + (int64_t)(pt_rng_next(&rng) % 2000);
		assert_int_equal(pt_gcra_init(&g, limit, window, burst, guard), PT_OK);
		while (h.n + 4 <= HISTORY_MAX / 4) {
			now += (int64_t)(pt_rng_next(&rng) % 200);
			random_task(&g, &h, &rng, now);
		}
		late_starts_conform(&h, &g, &rng);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_burst_then_the_steady_rate),
		cmocka_unit_test(burst_one_spaces_by_the_interval_plus_guard),
		cmocka_unit_test(offsets_are_placed_together),
		cmocka_unit_test(bad_parameters_are_refused),
		cmocka_unit_test(random_tasks_match_the_definition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
