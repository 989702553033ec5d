/* The drift-free tick schedule rpr runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "patience/ticks.h"

static void test_on_time_runs_take_the_next_tick(void **state)
{
	int64_t skipped = -1;
	/* tick 3 (at 1300) ended at 1350: tick 4 at 1400 */
	assert_int_equal(pt_ticks_next(1000, 100, 3, 1350, &skipped), 4);
	assert_int_equal(skipped, 0);
	assert_int_equal(pt_ticks_at(1000, 100, 4), 1400);
	/* ended exactly when the next tick falls: that tick, nothing skipped */
	assert_int_equal(pt_ticks_next(1000, 100, 3, 1400, &skipped), 4);
	assert_int_equal(skipped, 0);
}

static void test_late_runs_skip_and_never_drift(void **state)
{
	int64_t skipped = -1;
	/* tick 3 ended at 1650: ticks 4 (1400) and 5 (1500), 6 (1600) passed; next 7 at 1700 */
	assert_int_equal(pt_ticks_next(1000, 100, 3, 1650, &skipped), 7);
	assert_int_equal(skipped, 3);
	/* a tick landing exactly at now is taken */
	assert_int_equal(pt_ticks_next(1000, 100, 3, 1600, &skipped), 6);
	assert_int_equal(skipped, 2);
	/* a thousand ticks later the schedule is still t0 + k * every */
	assert_int_equal(pt_ticks_at(1000, 10, 1000), 11000);
}

static void test_saturates(void **state)
{
	assert_int_equal(pt_ticks_at(0, INT64_MAX / 2, 3), INT64_MAX);
	assert_int_equal(pt_ticks_at(5, 7, 0), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_time_runs_take_the_next_tick),
		cmocka_unit_test(test_late_runs_skip_and_never_drift),
		cmocka_unit_test(test_saturates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
