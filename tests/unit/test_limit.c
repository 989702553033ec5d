/* Limit lists: parsing, formatting back, and the primary limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "patience/error.h"
#include "patience/limit.h"

static void test_one(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t count, window_ms;
		pt_calendar_unit calendar;
		const char *formatted;
	} cases[] = {
		{"60/1m", PT_OK, 60, 60000, PT_CALENDAR_NONE, "60/1m"},
		{"5000/h", PT_OK, 5000, 3600000, PT_CALENDAR_NONE, "5000/1h"},
		{"100/6h", PT_OK, 100, 6 * 3600000LL, PT_CALENDAR_NONE, "100/6h"},
		{"1000/1d@calendar", PT_OK, 1000, 86400000, PT_CALENDAR_DAY, "1000/1d@calendar"},
		{"1000/d@calendar", PT_OK, 1000, 86400000, PT_CALENDAR_DAY, "1000/1d@calendar"},
		{"10/1h@calendar", PT_OK, 10, 3600000, PT_CALENDAR_HOUR, "10/1h@calendar"},
		{"50/w@calendar", PT_OK, 50, 7 * 86400000LL, PT_CALENDAR_WEEK, "50/1w@calendar"},
		{"9/1mo@calendar", PT_OK, 9, 30 * 86400000LL, PT_CALENDAR_MONTH, "9/1mo@calendar"},
		{"10/2d@calendar", PT_EINVAL, 0, 0, 0, NULL},
		{"10/1m@calendar", PT_EINVAL, 0, 0, 0, NULL},
		{"10/1d@cal", PT_EINVAL, 0, 0, 0, NULL},
		{"@calendar", PT_EINVAL, 0, 0, 0, NULL},
		{"0/1m", PT_ERANGE, 0, 0, 0, NULL},
		{"0/1d@calendar", PT_ERANGE, 0, 0, 0, NULL},
		{"10", PT_EINVAL, 0, 0, 0, NULL},
		{"x/1m", PT_EINVAL, 0, 0, 0, NULL},
		{"", PT_EINVAL, 0, 0, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pt_limit l = {0};
		char buf[48];
		int rc = pt_limit_parse(cases[i].text, &l);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d", cases[i].text, rc, cases[i].rc);
		if (rc != PT_OK)
			continue;
		assert_int_equal(l.count, cases[i].count);
		assert_int_equal(l.window_ms, cases[i].window_ms);
		assert_int_equal(l.calendar, cases[i].calendar);
		pt_limit_format(&l, buf, sizeof buf);
		assert_string_equal(buf, cases[i].formatted);
	}
}

static void test_lists(void **state)
{
	pt_limit_list l = {.count = 0};
	char buf[128];
	assert_int_equal(pt_limit_list_parse("60/1m, 1000/1d@calendar", &l), PT_OK);
	assert_int_equal(l.count, 2);
	assert_int_equal(pt_limit_list_parse("5000/1h", &l), PT_OK); /* appends */
	assert_int_equal(l.count, 3);
	assert_int_equal(pt_limit_list_format(&l, buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "60/1m,1000/1d@calendar,5000/1h");
	assert_int_equal(pt_limit_list_format(&l, buf, 10), PT_ERANGE);
	assert_ptr_equal(pt_limit_list_primary(&l), &l.items[0]);
	/* a bad item leaves the list as it was */
	assert_int_equal(pt_limit_list_parse("1/1s,,2/1s", &l), PT_EINVAL);
	assert_int_equal(pt_limit_list_parse("1/1s,nope", &l), PT_EINVAL);
	assert_int_equal(l.count, 3);
	assert_int_equal(pt_limit_list_parse("1/1s,1/1s,1/1s,1/1s,1/1s,1/1s", &l), PT_ERANGE);
	assert_int_equal(l.count, 3);
	pt_limit_list empty = {.count = 0};
	assert_null(pt_limit_list_primary(&empty));
	assert_int_equal(pt_limit_list_parse("", &empty), PT_EINVAL);
	assert_int_equal(pt_limit_list_parse("10/1d, 3/1s", &empty), PT_OK);
	assert_ptr_equal(pt_limit_list_primary(&empty), &empty.items[1]);
}

static void test_priority(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t value;
	} cases[] = {
		{"high", PT_OK, 1},    {"normal", PT_OK, 0}, {"low", PT_OK, -1},
		{"10", PT_OK, 10},     {"-10", PT_OK, -10},  {"0", PT_OK, 0},
		{"11", PT_EINVAL, 0},  {"-11", PT_EINVAL, 0}, {"", PT_EINVAL, 0},
		{"HIGH", PT_EINVAL, 0}, {"1x", PT_EINVAL, 0}, {"99999999999999999999", PT_EINVAL, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = 42;
		assert_int_equal(pt_priority_parse(cases[i].text, &v), cases[i].rc);
		assert_int_equal(v, cases[i].rc == PT_OK ? cases[i].value : 42);
	}
	assert_int_equal(pt_priority_parse(NULL, &(int64_t){0}), PT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_priority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
