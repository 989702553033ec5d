/* Calendar windows against known answers, DST days of America/New_York
 * (23 and 25 hours), a midnight that a DST gap skips (America/Sao_Paulo,
 * 2018), a half-hour zone, weeks and months (the system's tzdata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "patience/calendar.h"
#include "patience/error.h"

static int failing_localtime(time_t t, struct tm *out, void *ctx)
{
	return -1;
}

static void test_known_windows(void **state)
{
	static const struct {
		const char *zone;
		pt_calendar_unit unit;
		int64_t now, start, reset; /* epoch seconds */
	} cases[] = {
		/* an ordinary New York day: 24 h */
		{"America/New_York", PT_CALENDAR_DAY, 1811853000, 1811822400, 1811908800},
		/* 2027-03-14, DST starts: 23 h */
		{"America/New_York", PT_CALENDAR_DAY, 1805040000, 1805000400, 1805083200},
		/* 2027-11-07, DST ends: 25 h */
		{"America/New_York", PT_CALENDAR_DAY, 1825606800, 1825560000, 1825650000},
		/* 01:30 EDT and then 01:30 EST on 2027-11-07: two hours apart */
		{"America/New_York", PT_CALENDAR_HOUR, 1825565400, 1825563600, 1825567200},
		{"America/New_York", PT_CALENDAR_HOUR, 1825569000, 1825567200, 1825570800},
		/* 01:30 EST on 2027-03-14: the hour ends at 03:00 EDT */
		{"America/New_York", PT_CALENDAR_HOUR, 1805005800, 1805004000, 1805007600},
		/* the week of Monday 2027-03-08, which holds the DST start: 167 h */
		{"America/New_York", PT_CALENDAR_WEEK, 1804690800, 1804482000, 1805083200},
		{"America/New_York", PT_CALENDAR_WEEK, 1805292000, 1805083200, 1805688000},
		/* March 2027: from EST midnight to EDT midnight */
		{"America/New_York", PT_CALENDAR_MONTH, 1805551200, 1803877200, 1806552000},
		/* 2018-11-04: Sao Paulo skipped 00:00-01:00, the day starts at 01:00 */
		{"America/Sao_Paulo", PT_CALENDAR_DAY, 1541340000, 1541300400, 1541383200},
		/* UTC+5:30 hours start at :30 UTC */
		{"Asia/Kolkata", PT_CALENDAR_HOUR, 1798780500, 1798777800, 1798781400},
		/* December 2026 into the new year */
		{"UTC", PT_CALENDAR_MONTH, 1798761540, 1796083200, 1798761600},
		/* a window's first second belongs to it */
		{"UTC", PT_CALENDAR_DAY, 1796083200, 1796083200, 1796169600},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t start = 0, reset = 0;
		int rc = pt_calendar_window(cases[i].now * 1000 + 250, cases[i].unit,
					    pt_zone_localtime, (void *)cases[i].zone, &start, &reset);
		if (rc != PT_OK || start != cases[i].start * 1000 || reset != cases[i].reset * 1000)
			fail_msg("case %zu (%s): got %lld..%lld (rc %d), want %lld..%lld", i,
				 cases[i].zone, (long long)start / 1000, (long long)reset / 1000, rc,
				 (long long)cases[i].start, (long long)cases[i].reset);
	}
}

/* Every hour of a year in New York: windows tile time without gaps. */
static void test_days_tile(void **state)
{
	int64_t start, reset, prev_start = 0, prev_reset = 0;
	for (int64_t t = 1798779600; t < 1798779600 + 366 * 86400LL; t += 3600) {
		assert_int_equal(pt_calendar_window(t * 1000, PT_CALENDAR_DAY, pt_zone_localtime,
						    "America/New_York", &start, &reset), PT_OK);
		assert_true(start <= t * 1000 && t * 1000 < reset);
		assert_true(reset - start == 86400000 || reset - start == 82800000 ||
			    reset - start == 90000000);
		/* the same day as the hour before, or the next one */
		assert_true(!prev_reset || (start == prev_start && reset == prev_reset) ||
			    start == prev_reset);
		prev_start = start;
		prev_reset = reset;
	}
}

static void test_errors(void **state)
{
	int64_t start, reset;
	assert_int_equal(pt_calendar_window(0, PT_CALENDAR_NONE, pt_zone_localtime, "UTC", &start,
					    &reset), PT_EINVAL);
	assert_int_equal(pt_calendar_window(0, PT_CALENDAR_DAY, failing_localtime, NULL, &start,
					    &reset), PT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_windows),
		cmocka_unit_test(test_days_tile),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
