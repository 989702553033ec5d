/* Run statistics: counts and Welford's mean and deviation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "patience/run_stats.h"

static void test_empty_and_one(void **state)
{
	pt_run_stats s;
	pt_run_stats_init(&s);
	assert_int_equal(s.runs, 0);
	assert_true(pt_run_stats_stddev(&s) == 0);
	pt_run_stats_add(&s, 42, true);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.succeeded, 1);
	assert_true(s.min_ms == 42);
	assert_true(s.max_ms == 42);
	assert_true(s.mean_ms == 42);
	assert_true(pt_run_stats_stddev(&s) == 0);
}

static void test_matches_the_two_pass_formula(void **state)
{
	static const int64_t d[] = {10, 12, 23, 23, 16, 23, 21, 16};
	pt_run_stats s;
	double sum = 0, sq = 0;
	pt_run_stats_init(&s);
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		pt_run_stats_add(&s, (double)d[i], i % 3 != 0);
		sum += (double)d[i];
	}
	double mean = sum / 8;
	for (size_t i = 0; i < 8; i++)
		sq += ((double)d[i] - mean) * ((double)d[i] - mean);
	assert_true(fabs(s.mean_ms - 18) < 1e-12);
	assert_true(fabs(pt_run_stats_stddev(&s) - sqrt(sq / 7)) < 1e-12);
	assert_true(s.min_ms == 10);
	assert_true(s.max_ms == 23);
	assert_int_equal(s.succeeded, 5);
	assert_int_equal(s.failed, 3);
}

static void test_long_series_keep_precision(void **state)
{
	pt_run_stats s;
	pt_run_stats_init(&s);
	for (int i = 0; i < 1000000; i++)
		pt_run_stats_add(&s, 1e9 + (i % 2), true);
	assert_true(fabs(s.mean_ms - 1000000000.5) < 1e-6);
	assert_true(fabs(pt_run_stats_stddev(&s) - 0.5) < 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_one),
		cmocka_unit_test(test_matches_the_two_pass_formula),
		cmocka_unit_test(test_long_series_keep_precision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
