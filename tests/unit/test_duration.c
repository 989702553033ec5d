/* Durations, rates and duration lists: every accepted and refused form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "patience/duration.h"
#include "patience/error.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

struct dcase {
	const char *text;
	int64_t ms;
};

struct ecase {
	const char *text;
	int rc;
};

static void test_parse_valid(void **state)
{
	static const struct dcase cases[] = {
		{"250ms", 250}, {"1.5s", 1500}, {"2m", 2 * MIN},
		{"1h30m", HOUR + 30 * MIN}, {"1d", DAY}, {"0", 0},
		{"3", 3 * SEC}, {"0.25", 250}, {"0s", 0}, {"0ms", 0},
		{"1.5ms", 2}, {"1.4ms", 1}, {"0.5ms", 1}, {"0.49ms", 0},
		{"0.0005s", 1}, {"0.0004999s", 0}, {"1.0005", 1001},
		{"1d2h3m4s5ms", DAY + 2 * HOUR + 3 * MIN + 4 * SEC + 5},
		{"1d1h1m1.001s", 90061001}, {"1h0.5s", HOUR + 500},
		{"1.5h30m", 2 * HOUR}, {"0.5d", 12 * HOUR}, {"0h0m0s", 0},
		{"007s", 7 * SEC}, {"1m5ms", MIN + 5},
		{"0.33333333333333333333333333s", 333},
		{"0.9999999999999999999999999ms", 1},
		{"0.49999999999999999999999999ms", 0},
		{"36500d", PT_DURATION_MAX_MS},
		{"3153600000", PT_DURATION_MAX_MS},
		{"3153599999.9994", PT_DURATION_MAX_MS - 1},
		{"3153599999.9995", PT_DURATION_MAX_MS},
		{"3153600000.0004", PT_DURATION_MAX_MS},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -1;
		int rc = pt_duration_parse(cases[i].text, &ms);
		if (rc != PT_OK || ms != cases[i].ms)
			fail_msg("\"%s\": rc %d ms %lld, want %lld", cases[i].text,
				 rc, (long long)ms, (long long)cases[i].ms);
	}
}

static void test_parse_invalid(void **state)
{
	static const struct ecase cases[] = {
		{"", PT_EINVAL}, {" ", PT_EINVAL}, {" 1s", PT_EINVAL},
		{"1s ", PT_EINVAL}, {"1 s", PT_EINVAL}, {"-1s", PT_EINVAL},
		{"+1s", PT_EINVAL}, {"1m1h", PT_EINVAL}, {"1s1s", PT_EINVAL},
		{"1ms1s", PT_EINVAL}, {"1x", PT_EINVAL}, {"1sx", PT_EINVAL},
		{"s", PT_EINVAL}, {"ms", PT_EINVAL}, {".5s", PT_EINVAL},
		{"5.s", PT_EINVAL}, {"5.", PT_EINVAL}, {"1.2.3s", PT_EINVAL},
		{"inf", PT_EINVAL}, {"nan", PT_EINVAL}, {"infinity", PT_EINVAL},
		{"0x10", PT_EINVAL}, {"0x1p3s", PT_EINVAL}, {"1e3", PT_EINVAL},
		{"1e3ms", PT_EINVAL}, {"1,5s", PT_EINVAL}, {"1h30", PT_EINVAL},
		{"1S", PT_EINVAL}, {"1H", PT_EINVAL}, {"1us", PT_EINVAL},
		{"1m s", PT_EINVAL}, {"1hh", PT_EINVAL}, {"1mss", PT_EINVAL},
		{"36500.00000001d", PT_ERANGE}, {"36501d", PT_ERANGE},
		{"3153600000.001", PT_ERANGE}, {"3153600000.0005", PT_ERANGE},
		{"36500d1ms", PT_ERANGE},
		{"99999999999999999999999999999d", PT_ERANGE},
		{"99999999999999999999999999999", PT_ERANGE},
		{"99999999999999999999999999999dx", PT_EINVAL},
		{"99999999999999999999999999999d1d", PT_EINVAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -7;
		int rc = pt_duration_parse(cases[i].text, &ms);
		if (rc != cases[i].rc || ms != -7)
			fail_msg("\"%s\": rc %d, want %d", cases[i].text, rc,
				 cases[i].rc);
	}
	assert_int_equal(pt_duration_parse(NULL, &(int64_t){0}), PT_EINVAL);
}

static void expect_format(int64_t ms, const char *want)
{
	char buf[32];
	int n = pt_duration_format(ms, buf, sizeof buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_format(void **state)
{
	expect_format(0, "0s");
	expect_format(1, "1ms");
	expect_format(250, "250ms");
	expect_format(999, "999ms");
	expect_format(1000, "1s");
	expect_format(1500, "1.5s");
	expect_format(1050, "1.05s");
	expect_format(1001, "1.001s");
	expect_format(2 * MIN, "2m");
	expect_format(90 * SEC, "1m30s");
	expect_format(5400000, "1h30m");
	expect_format(90061001, "1d1h1m1.001s");
	expect_format(HOUR + 500, "1h0.5s");
	expect_format(DAY + 10, "1d0.01s");
	expect_format(PT_DURATION_MAX_MS, "36500d");
	expect_format(PT_DURATION_MAX_MS - 1, "36499d23h59m59.999s");
	expect_format(-1500, "-1.5s");
	expect_format(INT64_MIN, "-106751991167d7h12m55.808s");
}

static void test_format_truncates(void **state)
{
	char buf[4] = "xxx";

	assert_int_equal(pt_duration_format(5400000, buf, sizeof buf), 5);
	assert_string_equal(buf, "1h3");
	assert_int_equal(pt_duration_format(5400000, NULL, 0), 5);
}

static void round_trip(int64_t ms)
{
	char buf[32];
	int64_t back = -1;

	pt_duration_format(ms, buf, sizeof buf);
	if (pt_duration_parse(buf, &back) != PT_OK || back != ms)
		fail_msg("%lld -> \"%s\" -> %lld", (long long)ms, buf,
			 (long long)back);
}

static void test_format_round_trip(void **state)
{
	for (int64_t ms = 0; ms < 200000; ms++)
		round_trip(ms);
	for (int64_t ms = 1; ms <= PT_DURATION_MAX_MS; ms = ms * 3 + 7)
		round_trip(ms);
	for (int64_t ms = PT_DURATION_MAX_MS; ms > 0; ms /= 2)
		round_trip(ms);
	for (int64_t step = 1; step <= DAY; step *= 10) {
		round_trip(PT_DURATION_MAX_MS - step);
		round_trip(DAY * 7 + step);
	}
}

static void expect_rate(const char *text, int64_t limit, int64_t window)
{
	int64_t l = -1, w = -1;
	int rc = pt_rate_parse(text, &l, &w);

	if (rc != PT_OK || l != limit || w != window)
		fail_msg("\"%s\": rc %d %lld/%lld", text, rc, (long long)l,
			 (long long)w);
}

static void test_rate_valid(void **state)
{
	expect_rate("10/1m", 10, MIN);
	expect_rate("5000/h", 5000, HOUR);
	expect_rate("3/s", 3, SEC);
	expect_rate("100/30s", 100, 30 * SEC);
	expect_rate("7/1.5s", 7, 1500);
	expect_rate("1/ms", 1, 1);
	expect_rate("2/m", 2, MIN);
	expect_rate("1/d", 1, DAY);
	expect_rate("1000000000/1d", 1000000000, DAY);
	expect_rate("5/30", 5, 30 * SEC);
	expect_rate("010/1h30m", 10, HOUR + 30 * MIN);
}

static void test_rate_invalid(void **state)
{
	static const struct ecase cases[] = {
		{"", PT_EINVAL}, {"10", PT_EINVAL}, {"/s", PT_EINVAL},
		{"10/", PT_EINVAL}, {"10/x", PT_EINVAL}, {"-1/s", PT_EINVAL},
		{"+1/s", PT_EINVAL}, {"1.5/s", PT_EINVAL}, {"10 /s", PT_EINVAL},
		{"10/ s", PT_EINVAL}, {"10/s ", PT_EINVAL}, {"1/2/3", PT_EINVAL},
		{"1e3/s", PT_EINVAL}, {"10/inf", PT_EINVAL}, {"10/mss", PT_EINVAL},
		{"0/s", PT_ERANGE}, {"1000000001/s", PT_ERANGE},
		{"99999999999999999999999/s", PT_ERANGE}, {"10/0s", PT_ERANGE},
		{"10/0", PT_ERANGE}, {"10/0.0004s", PT_ERANGE},
		{"10/36501d", PT_ERANGE}, {"0/x", PT_EINVAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t l = -7, w = -7;
		int rc = pt_rate_parse(cases[i].text, &l, &w);
		if (rc != cases[i].rc || l != -7 || w != -7)
			fail_msg("\"%s\": rc %d, want %d", cases[i].text, rc,
				 cases[i].rc);
	}
}

static void test_list_valid(void **state)
{
	int64_t out[4];
	size_t n = 99;

	assert_int_equal(pt_duration_list_parse("0,10m,30m", out, 4, &n), PT_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 10 * MIN);
	assert_int_equal(out[2], 30 * MIN);
	assert_int_equal(pt_duration_list_parse(" 1s ,\t2s,  3 ", out, 4, &n),
			 PT_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[2], 3 * SEC);
	assert_int_equal(pt_duration_list_parse("5m", out, 1, &n), PT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 5 * MIN);
	assert_int_equal(pt_duration_list_parse("3s,1s", out, 2, &n), PT_OK);
	assert_int_equal(out[0], 3 * SEC);
	assert_int_equal(out[1], SEC);
}

static void test_list_invalid(void **state)
{
	static const struct ecase cases[] = {
		{"", PT_EINVAL}, {" ", PT_EINVAL}, {",", PT_EINVAL},
		{"1s,", PT_EINVAL}, {",1s", PT_EINVAL}, {"1s,,2s", PT_EINVAL},
		{"1s, ,2s", PT_EINVAL}, {"1s;2s", PT_EINVAL}, {"1 s", PT_EINVAL},
		{"1s,x", PT_EINVAL}, {"1s,36501d", PT_ERANGE},
		{"36501d,x", PT_EINVAL},
	};
	int64_t out[4];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 99;
		int rc = pt_duration_list_parse(cases[i].text, out, 4, &n);
		if (rc != cases[i].rc || n != 0)
			fail_msg("\"%s\": rc %d n %zu, want %d", cases[i].text,
				 rc, n, cases[i].rc);
	}
}

static void test_list_too_many(void **state)
{
	int64_t out[2] = {-1, -1};
	size_t n = 99;

	assert_int_equal(pt_duration_list_parse("1,2,3", out, 2, &n), PT_ERANGE);
	assert_int_equal(n, 3);
	assert_int_equal(pt_duration_list_parse("1", NULL, 0, &n), PT_ERANGE);
	assert_int_equal(n, 1);
	/* A malformed item is reported as such even past cap. */
	assert_int_equal(pt_duration_list_parse("1,2,x", out, 2, &n), PT_EINVAL);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_truncates),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_rate_valid),
		cmocka_unit_test(test_rate_invalid),
		cmocka_unit_test(test_list_valid),
		cmocka_unit_test(test_list_invalid),
		cmocka_unit_test(test_list_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
