/* Exit code sets as given to --retry-on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "patience/codeset.h"
#include "patience/error.h"

/* Members of set as a 256-char string of '0'/'1', for one-line compares. */
static void members(const pt_codeset *set, char out[257])
{
	for (int c = 0; c < 256; c++)
		out[c] = pt_codeset_has(set, c) ? '1' : '0';
	out[256] = '\0';
}

static void expect_set(const char *text, const int *codes, size_t n)
{
	pt_codeset set;
	char got[257], want[257];

	assert_int_equal(pt_codeset_parse(text, &set), PT_OK);
	members(&set, got);
	for (int c = 0; c < 256; c++)
		want[c] = '0';
	want[256] = '\0';
	for (size_t i = 0; i < n; i++)
		want[codes[i]] = '1';
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\": got %s", text, got);
}

#define EXPECT_SET(text, ...) do { \
	static const int codes_[] = {__VA_ARGS__}; \
	expect_set(text, codes_, sizeof codes_ / sizeof codes_[0]); \
} while (0)

static void test_single_codes(void **state)
{
	EXPECT_SET("1", 1);
	EXPECT_SET("0", 0);
	EXPECT_SET("255", 255);
	EXPECT_SET("1,75", 1, 75);
	EXPECT_SET("63,64,127,128,191,192", 63, 64, 127, 128, 191, 192);
	EXPECT_SET("007", 7);
	EXPECT_SET("3,3,3", 3);
}

static void test_ranges(void **state)
{
	EXPECT_SET("1,75,100-110", 1, 75, 100, 101, 102, 103, 104, 105, 106,
		   107, 108, 109, 110);
	EXPECT_SET("5-5", 5);
	EXPECT_SET("62-65", 62, 63, 64, 65);
	EXPECT_SET("254-255", 254, 255);
	EXPECT_SET("1-3,2-4", 1, 2, 3, 4);

	pt_codeset set;
	assert_int_equal(pt_codeset_parse("0-255", &set), PT_OK);
	for (int c = 0; c < 256; c++)
		assert_true(pt_codeset_has(&set, c));
}

static void test_whitespace(void **state)
{
	EXPECT_SET(" 1 , 2 ", 1, 2);
	EXPECT_SET("\t1,\n2\r", 1, 2);
	EXPECT_SET("10 - 12", 10, 11, 12);
	EXPECT_SET("10-12 ,  20", 10, 11, 12, 20);
}

static void test_bounds(void **state)
{
	pt_codeset set;

	assert_int_equal(pt_codeset_parse("1", &set), PT_OK);
	assert_false(pt_codeset_has(&set, -1));
	assert_false(pt_codeset_has(&set, 256));
	assert_false(pt_codeset_has(&set, 257));
	assert_false(pt_codeset_has(&set, INT32_MIN));
	assert_false(pt_codeset_has(&set, INT32_MAX));
	assert_false(pt_codeset_has(NULL, 1));
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		{"", PT_EINVAL}, {" ", PT_EINVAL}, {",", PT_EINVAL},
		{"1,", PT_EINVAL}, {",1", PT_EINVAL}, {"1,,2", PT_EINVAL},
		{"1, ,2", PT_EINVAL}, {"-1", PT_EINVAL}, {"+1", PT_EINVAL},
		{"1-", PT_EINVAL}, {"-", PT_EINVAL}, {"1-2-3", PT_EINVAL},
		{"1 2", PT_EINVAL}, {"x", PT_EINVAL}, {"1x", PT_EINVAL},
		{"0x10", PT_EINVAL}, {"1.0", PT_EINVAL}, {"1;2", PT_EINVAL},
		{"10-5", PT_EINVAL}, {"256", PT_ERANGE}, {"1,300", PT_ERANGE},
		{"250-256", PT_ERANGE}, {"300-5", PT_ERANGE},
		{"99999999999999999999999", PT_ERANGE},
		{"300,x", PT_EINVAL}, {"x,300", PT_EINVAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pt_codeset set = {{1, 2, 3, 4}};
		int rc = pt_codeset_parse(cases[i].text, &set);
		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, want %d", cases[i].text, rc,
				 cases[i].rc);
		/* A failed parse leaves *out alone. */
		assert_int_equal(set.bits[0], 1);
		assert_int_equal(set.bits[3], 4);
	}
	assert_int_equal(pt_codeset_parse(NULL, &(pt_codeset){{0}}), PT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_codes),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
