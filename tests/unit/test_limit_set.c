/* Unit tests of several limits at once (src/lib/limit_set.c): two sliding
 * limits together, a calendar day in America/New_York (its reset at local
 * midnight, a 23-hour day in March), the guard before a reset, release,
 * and offsets no calendar window can hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "patience/calendar.h"
#include "patience/error.h"
#include "patience/limit_set.h"

#define T0 INT64_C(1795430400000) /* 2026-11-22T00:00:00Z, a Sunday */

static const int64_t one[] = {0};

/* Reserve one start at the least base from now; returns the base. */
static int64_t place(pt_limit_set *s, uint64_t id, int64_t now)
{
	int64_t base;
	assert_int_equal(pt_limit_set_find(s, now, one, 1, &base), PT_OK);
	assert_int_equal(pt_limit_set_reserve(s, id, base, one, 1), PT_OK);
	return base;
}

static void two_sliding_limits_both_hold(void **state)
{
	pt_limit limits[2];
	pt_limit_set s;
	(void)state;
	assert_int_equal(pt_limit_parse("2/1s", &limits[0]), PT_OK);
	assert_int_equal(pt_limit_parse("3/10s", &limits[1]), PT_OK);
	assert_int_equal(pt_limit_set_init(&s, limits, 2, 0, NULL, NULL), PT_OK);
	assert_int_equal(place(&s, 1, 0), 0);
	assert_int_equal(place(&s, 2, 0), 0);
	assert_int_equal(place(&s, 3, 0), 1000);  /* the 1 s limit */
	assert_int_equal(place(&s, 4, 0), 10000); /* the 10 s one */
	/* a released start is free again */
	pt_limit_set_cancel(&s, 4, 0);
	assert_int_equal(place(&s, 5, 0), 10000);
	pt_limit_set_cancel(&s, 3, 0);
	assert_int_equal(place(&s, 6, 0), 1000);
	pt_limit_set_release(&s);
}

static void a_calendar_day_resets_at_local_midnight(void **state)
{
	pt_limit limits[2];
	pt_limit_set s;
	int64_t start, reset;
	(void)state;
	assert_int_equal(pt_limit_parse("2/1d@calendar", &limits[0]), PT_OK);
	assert_int_equal(pt_limit_parse("10/1s", &limits[1]), PT_OK);
	assert_int_equal(pt_limit_set_init(&s, limits, 2, 20, pt_zone_localtime,
					   "America/New_York"), PT_OK);
	/* 2026-03-08 is 23 hours long in New York: from 05:00Z to 04:00Z */
	int64_t morning = INT64_C(1772964000000); /* 2026-03-08T10:00:00Z */
	assert_int_equal(place(&s, 1, morning), morning);
	assert_int_equal(place(&s, 2, morning), morning);
	int64_t next = place(&s, 3, morning);
	assert_int_equal(pt_calendar_window(morning, PT_CALENDAR_DAY, pt_zone_localtime,
					    "America/New_York", &start, &reset), PT_OK);
	assert_int_equal(reset - start, 23 * INT64_C(3600000));
	assert_int_equal(next, reset);
	assert_int_equal(next, INT64_C(1773028800000)); /* 2026-03-09T04:00:00Z */
	pt_limit_set_release(&s);
}

static void no_start_in_the_guard_before_a_reset(void **state)
{
	pt_limit limit;
	pt_limit_set s;
	int64_t start, reset;
	(void)state;
	assert_int_equal(pt_limit_parse("5/1h@calendar", &limit), PT_OK);
	assert_int_equal(pt_limit_set_init(&s, &limit, 1, 30, pt_zone_localtime, "UTC"), PT_OK);
	assert_int_equal(pt_calendar_window(T0 + 1000, PT_CALENDAR_HOUR, pt_zone_localtime, "UTC",
					    &start, &reset), PT_OK);
	/* 10 ms before the hour: a start up to 30 ms late would count in the
	 * next hour, which did not count it, so it is placed at the hour */
	assert_int_equal(place(&s, 1, reset - 10), reset);
	assert_int_equal(place(&s, 2, reset - 40), reset - 40);
	pt_limit_set_release(&s);
}

static void offsets_no_window_holds_are_infeasible(void **state)
{
	pt_limit limit;
	pt_limit_set s;
	int64_t base;
	static const int64_t four[] = {0, 1000, 2000, 3000};
	(void)state;
	assert_int_equal(pt_limit_parse("3/1d@calendar", &limit), PT_OK);
	assert_int_equal(pt_limit_set_init(&s, &limit, 1, 20, pt_zone_localtime, "UTC"), PT_OK);
	assert_int_equal(pt_limit_set_find(&s, T0, four, 4, &base), PT_EINFEASIBLE);
	/* three fit, and they go together */
	assert_int_equal(pt_limit_set_find(&s, T0, four, 3, &base), PT_OK);
	assert_int_equal(base, T0);
	/* a calendar limit needs a zone */
	pt_limit_set_release(&s);
	assert_int_equal(pt_limit_set_init(&s, &limit, 1, 20, NULL, NULL), PT_EINVAL);
}

static void a_burst_limit_beside_a_sliding_one(void **state)
{
	pt_limit limits[2];
	pt_limit_set s;
	(void)state;
	assert_int_equal(pt_limit_parse("10/1s", &limits[0]), PT_OK);
	limits[0].burst = 3; /* T 100 ms, 3 at once */
	assert_int_equal(pt_limit_parse("5/10s", &limits[1]), PT_OK);
	assert_int_equal(pt_limit_set_init(&s, limits, 2, 0, NULL, NULL), PT_OK);
	for (uint64_t id = 1; id <= 3; id++)
		assert_int_equal(place(&s, id, 0), 0);
	assert_int_equal(place(&s, 4, 0), 100);
	assert_int_equal(place(&s, 5, 0), 200);
	assert_int_equal(place(&s, 6, 0), 10000); /* the 10 s window */
	/* released starts are not given back to the burst: 6 moved its TAT */
	pt_limit_set_cancel(&s, 6, 0);
	assert_int_equal(place(&s, 7, 9000), 10000);
	pt_limit_set_release(&s);
	limits[0].calendar = PT_CALENDAR_DAY;
	assert_int_equal(pt_limit_set_init(&s, limits, 1, 0, pt_zone_localtime, NULL), PT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_sliding_limits_both_hold),
		cmocka_unit_test(a_calendar_day_resets_at_local_midnight),
		cmocka_unit_test(no_start_in_the_guard_before_a_reset),
		cmocka_unit_test(offsets_no_window_holds_are_infeasible),
		cmocka_unit_test(a_burst_limit_beside_a_sliding_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
