/* Unit tests of the lateness histogram and the guard it sets
 * (src/lib/lateness.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "patience/lateness.h"

#define T0 INT64_C(1700000000000)
#define P PT_LATENESS_PERIOD_MS

static void empty_is_zero_and_the_floor(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(pt_lateness_count(&l, T0), 0);
	assert_int_equal(pt_lateness_quantile(&l, 999, T0), 0);
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, -1, T0), 20);
	assert_int_equal(pt_lateness_guard(NULL, 20, 1000, -1, T0), 20);
}

/* Every quantile is at least the true one and close above it. */
static void quantiles_never_below_the_truth(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	for (int64_t v = 0; v < 1000; v++)
		pt_lateness_add(&l, v, T0);
	assert_int_equal(pt_lateness_count(&l, T0), 1000);
	for (int q = 1; q <= 1000; q++) {
		int64_t truth = (1000 * q + 999) / 1000 - 1; /* the rank's value */
		int64_t got = pt_lateness_quantile(&l, q, T0);
		assert_true(got >= truth);
		assert_true(got <= truth + truth / 4 + 1);
	}
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0), 999);
	assert_int_equal(pt_lateness_quantile(&l, 0, T0), 0);
}

static void small_values_are_exact(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	pt_lateness_add(&l, -5, T0); /* early counts as on time */
	pt_lateness_add(&l, 3, T0);
	pt_lateness_add(&l, 7, T0);
	assert_int_equal(pt_lateness_quantile(&l, 333, T0), 0);
	assert_int_equal(pt_lateness_quantile(&l, 500, T0), 3);
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0), 7);
}

/* Huge values land in the last bucket, whose bound is the largest seen. */
static void huge_values(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	pt_lateness_add(&l, INT64_C(1) << 40, T0);
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0), INT64_C(1) << 40);
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, -1, T0), 250); /* a quarter window */
	assert_int_equal(pt_lateness_guard(&l, 20, 40, -1, T0), 20);    /* never below the floor */
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, 100, T0), 100); /* at most max_ms */
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, 0, T0), 20);    /* 0: never wider */
}

/* The guard covers p99.9 with a margin; one outlier in many is ignored. */
static void the_guard_follows_p999(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	for (int i = 0; i < 5000; i++)
		pt_lateness_add(&l, i % 10 == 0 ? 40 : 2, T0);
	pt_lateness_add(&l, 900, T0);
	int64_t g = pt_lateness_guard(&l, 20, 1000, -1, T0);
	assert_true(g >= 40 + 10);
	assert_true(g <= 64);
	/* a quiet host keeps the floor */
	memset(&l, 0, sizeof l);
	for (int i = 0; i < 100; i++)
		pt_lateness_add(&l, 1, T0);
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, -1, T0), 20);
}

/* Samples count for one to two periods, then are forgotten. */
static void periods_age_out(void **state)
{
	pt_lateness l;
	(void)state;
	memset(&l, 0, sizeof l);
	pt_lateness_add(&l, 100, T0);
	assert_int_equal(pt_lateness_count(&l, T0 + P - 1), 1);
	assert_int_equal(pt_lateness_count(&l, T0 + P), 1);
	pt_lateness_add(&l, 5, T0 + P + 10); /* a new period; 100 is the one before */
	assert_int_equal(pt_lateness_count(&l, T0 + P + 10), 2);
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0 + P + 10), 100);
	/* after another period only 5 counts */
	assert_int_equal(pt_lateness_count(&l, T0 + 2 * P + 10), 1);
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0 + 2 * P + 10), 5);
	pt_lateness_add(&l, 6, T0 + 2 * P + 20);
	assert_int_equal(pt_lateness_quantile(&l, 1000, T0 + 2 * P + 20), 6);
	/* long quiet: nothing */
	assert_int_equal(pt_lateness_count(&l, T0 + 10 * P), 0);
	assert_int_equal(pt_lateness_guard(&l, 20, 1000, -1, T0 + 10 * P), 20);
	pt_lateness_add(&l, 1, T0 + 10 * P);
	assert_int_equal(pt_lateness_count(&l, T0 + 10 * P), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_is_zero_and_the_floor),
		cmocka_unit_test(quantiles_never_below_the_truth),
		cmocka_unit_test(small_values_are_exact),
		cmocka_unit_test(huge_values),
		cmocka_unit_test(the_guard_follows_p999),
		cmocka_unit_test(periods_age_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
