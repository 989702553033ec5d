/* pt_pow, pt_floor and pt_ceil against libm, which this test alone links. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/power.h"
#include "patience/rng.h"

#define DRAWS 100000
#define MAX_REL 1e-13

static double worst; /* largest relative error seen, for the report */

/* Same class of result as libm's pow (NaN, inf and zero with their signs),
 * and within MAX_REL; a subnormal may also differ by its last place. */
static void check(double x, double y)
{
	double want = pow(x, y), got = pt_pow(x, y), err;

	if (isnan(want) || isnan(got)) {
		if (!isnan(want) || !isnan(got))
			fail_msg("pow(%a, %a): got %a, want %a", x, y, got, want);
		return;
	}
	if (isinf(want) || want == 0 || isinf(got) || got == 0) {
		if (got != want || signbit(got) != signbit(want))
			fail_msg("pow(%a, %a): got %a, want %a", x, y, got, want);
		return;
	}
	err = fabs(got - want);
	if (fabs(want) < DBL_MIN)
		err -= 0x1p-1074;
	err /= fabs(want);
	if (err > worst)
		worst = err;
	if (err > MAX_REL)
		fail_msg("pow(%a, %a): got %a, want %a, error %g", x, y, got,
			 want, err);
}

static double uniform(pt_rng *r, double lo, double hi)
{
	return lo + pt_rng_uniform(r) * (hi - lo);
}

/* An integer in [0, 2^31]. */
static double big_int(pt_rng *r)
{
	return (double)(pt_rng_next(r) % (UINT64_C(1) << 31 | 1));
}

/* 1 + d with |d| from 2^-52 to 2^-8, where huge powers stay finite. */
static double near_one(pt_rng *r)
{
	double d = ldexp(pt_rng_uniform(r), -(int)(pt_rng_next(r) % 45) - 8);

	return pt_rng_next(r) & 1 ? 1 + d : 1 - d;
}

static void test_random_real(void **state)
{
	pt_rng r;

	pt_rng_seed(&r, 1);
	for (int i = 0; i < DRAWS; i++) {
		check(uniform(&r, 0, 1e6), uniform(&r, 0, 100));
		/* Across magnitudes and signs of y: x from 1e-6 to 1e6. */
		check(exp(uniform(&r, -13.8, 13.8)), uniform(&r, -100, 100));
	}
}

static void test_random_fixed_exponent(void **state)
{
	static const double ys[] = {1, 2, 3, 0.5, 1.5, 2.5, -1, -0.5, 100};
	pt_rng r;

	pt_rng_seed(&r, 2);
	for (int i = 0; i < DRAWS / 10; i++)
		for (size_t j = 0; j < sizeof ys / sizeof ys[0]; j++)
			check(uniform(&r, 0, 1e6), ys[j]);
}

static void test_random_integer(void **state)
{
	pt_rng r;

	pt_rng_seed(&r, 3);
	for (int i = 0; i < DRAWS; i++) {
		double n = (double)(pt_rng_next(&r) % 2200);

		check(uniform(&r, 0, 1e6), n);
		check(uniform(&r, 0, 2), n);
		check(uniform(&r, 0, 1e6), big_int(&r));
		/* Where 31 squarings of plain doubles would lose 2^31 ulps. */
		check(near_one(&r), big_int(&r));
		check(near_one(&r), -big_int(&r));
	}
}

/* log2 x must be good to far more than 53 bits once y is large. */
static void test_random_large_real(void **state)
{
	pt_rng r;

	pt_rng_seed(&r, 4);
	for (int i = 0; i < DRAWS / 2; i++) {
		check(near_one(&r), uniform(&r, -1e10, 1e10));
		check(uniform(&r, 0, 1e6), uniform(&r, 50, 60) + 0.5);
		check(uniform(&r, 0, 1), uniform(&r, 1000, 1100) + 0.25);
	}
}

/* Exact when representable: 2^n down to the least subnormal, and small
 * powers whose digits fit in 53 bits. */
static void test_exact(void **state)
{
	uint64_t p3 = 1;
	double p10 = 1;

	for (int n = -1074; n <= 1023; n++)
		assert_true(pt_pow(2, n) == ldexp(1, n));
	assert_true(pt_pow(2, 1024) == INFINITY);
	assert_true(pt_pow(2, -1075) == 0); /* a tie, rounded to even */
	assert_true(pt_pow(0.5, 1074) == 0x1p-1074);
	for (int n = 1; n <= 33; n++) {
		p3 *= 3;
		assert_true(pt_pow(3, n) == (double)p3);
		assert_true(pt_pow(1.5, n) == ldexp((double)p3, -n));
		assert_true(pt_pow(-3, n) == (n % 2 ? -1 : 1) * (double)p3);
	}
	for (int n = 1; n <= 22; n++) /* 5^22 < 2^53 */
		assert_true(pt_pow(10, n) == (p10 *= 10));
	for (double n = 1; n <= 0x1p26; n = n * 3 + 1)
		assert_true(pt_pow(n, 2) == n * n);
	assert_true(pt_pow(1000, 5) == 1e15);
	assert_true(pt_pow(4, 0.5) == 2);
}

/* Every pairing of the values where C99 Annex F fixes the result. */
static void test_special(void **state)
{
	static const double v[] = {
		0, -0.0, 0x1p-1074, -0x1p-1074, 0.5, -0.5, 1, -1, 1.5, -1.5,
		2, -2, 3, -3, 0x1p31, 0x1p31 + 1, -0x1p31 - 1, 0x1p52 + 1,
		0x1p53, -0x1p53 + 1, 1e308, -1e308, DBL_MAX, INFINITY,
		-INFINITY, NAN,
	};
	size_t n = sizeof v / sizeof v[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			check(v[i], v[j]);
}

static void test_negative_base(void **state)
{
	pt_rng r;

	pt_rng_seed(&r, 5);
	for (int i = 0; i < DRAWS / 10; i++) {
		check(-uniform(&r, 0, 1e3), (double)(pt_rng_next(&r) % 200));
		check(-uniform(&r, 0, 1e3), uniform(&r, -10, 10));
		check(-near_one(&r), big_int(&r));
	}
}

static void test_floor_ceil(void **state)
{
	static const double v[] = {
		0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2.5, 0x1p52 - 0.5,
		-0x1p52 + 0.5, 0x1p52, 0x1p53 + 2, 1e300, -1e300, DBL_MIN,
		-DBL_MIN, 0x1p-1074, 4503599627370495.5, 0.9999999999999999,
		INFINITY, -INFINITY,
	};
	pt_rng r;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_true(pt_floor(v[i]) == floor(v[i]));
		assert_true(pt_ceil(v[i]) == ceil(v[i]));
	}
	assert_true(isnan(pt_floor(NAN)) && isnan(pt_ceil(NAN)));
	pt_rng_seed(&r, 6);
	for (int i = 0; i < DRAWS; i++) {
		double x = ldexp(uniform(&r, -1, 1), (int)(pt_rng_next(&r) % 70));

		assert_true(pt_floor(x) == floor(x));
		assert_true(pt_ceil(x) == ceil(x));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_real),
		cmocka_unit_test(test_random_fixed_exponent),
		cmocka_unit_test(test_random_integer),
		cmocka_unit_test(test_random_large_real),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_special),
		cmocka_unit_test(test_negative_base),
		cmocka_unit_test(test_floor_ceil),
	};
	int failed;

	failed = cmocka_run_group_tests(tests, NULL, NULL);
	print_message("worst relative error against libm: %.3g\n", worst);
	return failed;
}
