/* Cron schedules: parsing, Vixie's day rule, and next times against a table
 * of known answers, DST transitions in America/New_York and Europe/Berlin
 * included (the system's tzdata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "patience/cron.h"
#include "patience/error.h"

/* The test's converter: the zone in ctx, through TZ (a test may use it). */
static int zone_localtime(time_t t, struct tm *out, void *ctx)
{
	setenv("TZ", ctx, 1);
	tzset();
	return localtime_r(&t, out) ? 0 : -1;
}

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi};
	return timegm(&tm);
}

static time_t next(const char *expr, const char *zone, time_t after)
{
	pt_cron c;
	time_t t = 0;
	char err[256];
	if (pt_cron_parse(expr, &c, err, sizeof err) != PT_OK)
		fail_msg("%s: %s", expr, err);
	assert_int_equal(pt_cron_next(&c, after, zone_localtime, (void *)zone, &t), PT_OK);
	return t;
}

static void test_known_answers(void **state)
{
	static const struct {
		const char *expr, *zone;
		time_t after, want;
	} cases[] = {
		{"0 0 * * *", "UTC", 1798804800 /* 2027-01-01 12:00Z */, 1798848000},
		{"*/15 * * * *", "UTC", 1798804800, 1798805700},
		/* "Friday or the 13th" (both restricted): Fri 2026-12-04 */
		{"0 0 13 * 5", "UTC", 1796083200 /* 2026-12-01 00:00Z */, 1796342400},
		{"0 0 13 * *", "UTC", 1796083200, 1797120000},
		{"0 0 * * 5", "UTC", 1796083200, 1796342400},
		{"@weekly", "UTC", 1796083200, 1796515200 /* Sun 2026-12-06 */},
		{"0 9 * jan-mar mon-fri", "UTC", 1796083200, 1798794000 /* Fri 2027-01-01 09:00 */},
		{"0 0 29 2 *", "UTC", 1796083200, 1835395200 /* 2028-02-29 */},
		{"@yearly", "UTC", 1796083200, 1798761600},
		{"30 4 1,15 * *", "UTC", 1796083200, 1796099400 /* 2026-12-01 04:30 */},
		{"0 12 * * 7", "UTC", 1796083200, 1796558400 /* Sunday as 7 */},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		time_t got = next(cases[i].expr, cases[i].zone, cases[i].after);
		if (got != cases[i].want)
			fail_msg("%s after %lld: got %lld, want %lld", cases[i].expr,
				 (long long)cases[i].after, (long long)got, (long long)cases[i].want);
	}
}

/* New York springs forward on 2026-03-08 at 02:00 EST (07:00Z) to 03:00 EDT
 * and falls back on 2026-11-01 at 02:00 EDT (06:00Z) to 01:00 EST. */
static void test_new_york_dst(void **state)
{
	const char *ny = "America/New_York";
	/* 02:30 does not exist that night: it runs at 03:00 EDT */
	assert_int_equal(next("30 2 * * *", ny, utc(2026, 3, 7, 17, 0)), utc(2026, 3, 8, 7, 0));
	/* the next day as usual, 02:30 EDT */
	assert_int_equal(next("30 2 * * *", ny, utc(2026, 3, 8, 7, 0)), utc(2026, 3, 9, 6, 30));
	/* 01:30 comes twice on 2026-11-01: it runs the first time only */
	assert_int_equal(next("30 1 * * *", ny, utc(2026, 10, 31, 16, 0)), utc(2026, 11, 1, 5, 30));
	assert_int_equal(next("30 1 * * *", ny, utc(2026, 11, 1, 5, 30)), utc(2026, 11, 2, 6, 30));
	/* every 30 minutes runs in both passes of the repeated hour */
	assert_int_equal(next("*/30 * * * *", ny, utc(2026, 11, 1, 5, 30)), utc(2026, 11, 1, 6, 0));
	assert_int_equal(next("*/30 * * * *", ny, utc(2026, 11, 1, 6, 0)), utc(2026, 11, 1, 6, 30));
	/* and skips the hour that does not exist */
	assert_int_equal(next("*/30 * * * *", ny, utc(2026, 3, 8, 6, 30)), utc(2026, 3, 8, 7, 0));
	/* midnight local, across the change: 00:00 EST, then 00:00 EDT */
	assert_int_equal(next("@daily", ny, utc(2026, 3, 8, 4, 0)), utc(2026, 3, 8, 5, 0));
	assert_int_equal(next("@daily", ny, utc(2026, 3, 8, 5, 0)), utc(2026, 3, 9, 4, 0));
}

/* Berlin springs forward on 2026-03-29 at 02:00 CET (01:00Z) to 03:00 CEST
 * and falls back on 2026-10-25 at 03:00 CEST (01:00Z) to 02:00 CET. */
static void test_berlin_dst(void **state)
{
	const char *berlin = "Europe/Berlin";
	assert_int_equal(next("15 2 * * *", berlin, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 1, 0));
	assert_int_equal(next("15 2 * * *", berlin, utc(2026, 10, 24, 12, 0)),
			 utc(2026, 10, 25, 0, 15));
	assert_int_equal(next("15 2 * * *", berlin, utc(2026, 10, 25, 0, 15)),
			 utc(2026, 10, 26, 1, 15));
	assert_int_equal(next("0 9 * * mon", berlin, utc(2026, 3, 29, 12, 0)), utc(2026, 3, 30, 7, 0));
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
		"* * 32 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *",
		"1,,2 * * * *", "1, * * * *", "x * * * *", "* * * foo *", "@sometimes",
		"1-2-3 * * * *", "*/61 * * * *", "0 0 1 jan-xyz *",
	};
	pt_cron c;
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (pt_cron_parse(bad[i], &c, err, sizeof err) != PT_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(pt_cron_parse("61 * * * *", &c, err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "field 1 (minute): invalid value \"61\""));
}

static void test_parse_forms(void **state)
{
	pt_cron c;
	char err[256];
	assert_int_equal(pt_cron_parse("1-10/3,30 */6 * JAN,Jul sun-tue", &c, err, sizeof err), PT_OK);
	assert_true(c.minutes == ((1ull << 1) | (1ull << 4) | (1ull << 7) | (1ull << 10) | (1ull << 30)));
	assert_int_equal(c.hours, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
	assert_int_equal(c.months, (1u << 1) | (1u << 7));
	assert_int_equal(c.weekdays, 0x7);
	assert_true(c.dom_star && !c.dow_star && c.hour_star); /* "*\/6" is a star, as in Vixie */
	assert_int_equal(pt_cron_parse("@Hourly", &c, err, sizeof err), PT_OK);
	assert_int_equal(pt_cron_parse("@hourly", &c, err, sizeof err), PT_OK);
	assert_true(c.minutes == 1 && c.hour_star);
	assert_int_equal(pt_cron_parse("5/20 * * * *", &c, err, sizeof err), PT_OK);
	assert_true(c.minutes == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
}

static void test_never(void **state)
{
	pt_cron c;
	time_t t;
	char err[256];
	assert_int_equal(pt_cron_parse("0 0 30 2 *", &c, err, sizeof err), PT_OK);
	assert_int_equal(pt_cron_next(&c, 1796083200, zone_localtime, "UTC", &t), PT_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),  cmocka_unit_test(test_new_york_dst),
		cmocka_unit_test(test_berlin_dst),     cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_forms),    cmocka_unit_test(test_never),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
