/* Retry delay strategies and the PRNG behind their jitter. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "patience/backoff.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/rng.h"

#define DRAWS 10000

/* ---- rng ---- */

static void test_rng_reference(void **state)
{
	/* xoshiro256** from state {1, 2, 3, 4}: the authors' reference output. */
	pt_rng r = {{1, 2, 3, 4}};
	static const uint64_t want[] = {
		11520, 0, 1509978240, UINT64_C(1215971899390074240),
		UINT64_C(1216172134540287360),
	};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pt_rng_next(&r), want[i]);
}

static void test_rng_seed(void **state)
{
	pt_rng r;

	/* splitmix64(0) starts 0xe220a8397b1dcdaf. */
	pt_rng_seed(&r, 0);
	assert_int_equal(r.s[0], UINT64_C(0xe220a8397b1dcdaf));
	assert_int_equal(pt_rng_next(&r), UINT64_C(0x99ec5f36cb75f2b4));
	assert_int_equal(pt_rng_next(&r), UINT64_C(0xbf6e1f784956452a));
	pt_rng_seed(&r, 42);
	assert_int_equal(pt_rng_next(&r), UINT64_C(0x15780b2e0c2ec716));
	assert_int_equal(pt_rng_next(&r), UINT64_C(0x6104d9866d113a7e));
}

static void test_rng_uniform(void **state)
{
	pt_rng r, twin;
	double sum = 0;

	pt_rng_seed(&r, 7);
	twin = r;
	for (int i = 0; i < DRAWS; i++) {
		double u = pt_rng_uniform(&r);
		assert_true(u >= 0.0 && u < 1.0);
		/* Exactly the top 53 bits, scaled. */
		assert_true(u == ldexp((double)(pt_rng_next(&twin) >> 11), -53));
		sum += u;
	}
	assert_true(fabs(sum / DRAWS - 0.5) < 0.02);
}

/* ---- deterministic strategies ---- */

static void expect_sequence(const pt_backoff_params *p, const int64_t *want,
			    size_t n)
{
	pt_backoff b;

	pt_backoff_init(&b, p, 1);
	for (size_t i = 0; i < n; i++) {
		int64_t got = pt_backoff_next(&b, (unsigned)i + 1);
		if (got != want[i])
			fail_msg("%s attempt %zu: got %lld, want %lld",
				 pt_strategy_name(p->strategy), i + 1,
				 (long long)got, (long long)want[i]);
	}
}

#define EXPECT_SEQ(p, ...) do { \
	static const int64_t want_[] = {__VA_ARGS__}; \
	expect_sequence(p, want_, sizeof want_ / sizeof want_[0]); \
} while (0)

static pt_backoff_params defaults(pt_strategy s)
{
	pt_backoff_params p;

	pt_backoff_params_default(&p, s);
	return p;
}

static void test_defaults(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_FIXED);
	assert_int_equal(p.delay_ms, 1000);
	p = defaults(PT_STRATEGY_LINEAR);
	assert_int_equal(p.increment_ms, 1000);
	assert_int_equal(p.max_ms, 60000);
	p = defaults(PT_STRATEGY_EXPONENTIAL);
	assert_int_equal(p.base_ms, 1000);
	assert_true(p.multiplier == 2.0);
	assert_int_equal(p.max_ms, 60000);
	p = defaults(PT_STRATEGY_JITTER);
	assert_int_equal(p.base_ms, 1000);
	assert_true(p.multiplier == 2.0);
	assert_int_equal(p.max_ms, 60000);
	assert_int_equal(p.jitter, PT_JITTER_FULL);
	p = defaults(PT_STRATEGY_DECORRELATED_JITTER);
	assert_int_equal(p.base_ms, 1000);
	assert_true(p.multiplier == 3.0);
	assert_int_equal(p.max_ms, 60000);
	p = defaults(PT_STRATEGY_FIBONACCI);
	assert_int_equal(p.base_ms, 1000);
	assert_int_equal(p.max_ms, 60000);
	p = defaults(PT_STRATEGY_POLYNOMIAL);
	assert_int_equal(p.base_ms, 1000);
	assert_true(p.exponent == 2.0);
	assert_int_equal(p.max_ms, 60000);
	p = defaults(PT_STRATEGY_DIOPHANTINE);
	assert_int_equal(p.strategy, PT_STRATEGY_DIOPHANTINE);
}

static void test_fixed(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_FIXED);

	EXPECT_SEQ(&p, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);
	/* max does not apply to fixed. */
	p.delay_ms = 90000;
	p.max_ms = 1000;
	EXPECT_SEQ(&p, 90000, 90000);
	p.delay_ms = -5;
	EXPECT_SEQ(&p, 0);
	p.delay_ms = INT64_MAX;
	EXPECT_SEQ(&p, PT_DURATION_MAX_MS);
}

static void test_linear(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_LINEAR);

	EXPECT_SEQ(&p, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000);
	p.max_ms = 5500;
	EXPECT_SEQ(&p, 1000, 2000, 3000, 4000, 5000, 5500, 5500, 5500);
	p.increment_ms = 250;
	p.max_ms = 0;
	EXPECT_SEQ(&p, 250, 500, 750, 1000, 1250, 1500, 1750, 2000);
}

static void test_exponential(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_EXPONENTIAL);

	EXPECT_SEQ(&p, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000);
	/* 100 * 1.5^(n-1) rounded to the nearest ms. */
	p.base_ms = 100;
	p.multiplier = 1.5;
	p.max_ms = 0;
	EXPECT_SEQ(&p, 100, 150, 225, 338, 506, 759, 1139, 1709);
	p.multiplier = 1.0;
	EXPECT_SEQ(&p, 100, 100, 100, 100);
}

static void test_fibonacci(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_FIBONACCI);

	EXPECT_SEQ(&p, 1000, 1000, 2000, 3000, 5000, 8000, 13000, 21000, 34000,
		   55000, 60000, 60000);
	p.base_ms = 10;
	p.max_ms = 0;
	EXPECT_SEQ(&p, 10, 10, 20, 30, 50, 80, 130, 210, 340, 550, 890);
}

static void test_polynomial(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_POLYNOMIAL);

	EXPECT_SEQ(&p, 1000, 4000, 9000, 16000, 25000, 36000, 49000, 60000);
	/* 10 * n^1.5 rounded to the nearest ms. */
	p.base_ms = 10;
	p.exponent = 1.5;
	p.max_ms = 0;
	EXPECT_SEQ(&p, 10, 28, 52, 80, 112, 147, 185, 226);
}

static void test_diophantine(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_DIOPHANTINE);

	EXPECT_SEQ(&p, 0, 0, 0);
}

/* ---- saturation ---- */

static int64_t next_at(const pt_backoff_params *p, unsigned n)
{
	pt_backoff b;

	pt_backoff_init(&b, p, 3);
	return pt_backoff_next(&b, n);
}

static void test_saturation(void **state)
{
	/* Uncapped delay at attempt 1000: 1000 * 1000, 2^999 s, F(1000) s,
	 * 1000^2 s. */
	static const struct {
		pt_strategy s;
		int64_t at_1000;
	} growing[] = {
		{PT_STRATEGY_LINEAR, 1000000},
		{PT_STRATEGY_EXPONENTIAL, PT_DURATION_MAX_MS},
		{PT_STRATEGY_FIBONACCI, PT_DURATION_MAX_MS},
		{PT_STRATEGY_POLYNOMIAL, 1000000000},
	};
	for (size_t i = 0; i < sizeof growing / sizeof growing[0]; i++) {
		pt_backoff_params p = defaults(growing[i].s);
		assert_int_equal(next_at(&p, 1000), 60000);
		assert_int_equal(next_at(&p, UINT_MAX), 60000);
		p.max_ms = 0;
		assert_int_equal(next_at(&p, 1000), growing[i].at_1000);
		assert_int_equal(next_at(&p, UINT_MAX), PT_DURATION_MAX_MS);
		p.max_ms = INT64_MAX;
		assert_int_equal(next_at(&p, UINT_MAX), PT_DURATION_MAX_MS);
		p.base_ms = p.increment_ms = INT64_MAX;
		assert_int_equal(next_at(&p, 1), PT_DURATION_MAX_MS);
		assert_int_equal(next_at(&p, UINT_MAX), PT_DURATION_MAX_MS);
	}
}

static void test_saturation_parameters(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_EXPONENTIAL);

	p.multiplier = 1e308;
	assert_int_equal(next_at(&p, 2), 60000);
	assert_int_equal(next_at(&p, 3), 60000);
	p.multiplier = INFINITY;
	assert_int_equal(next_at(&p, 2), 60000);
	p.multiplier = NAN;
	assert_int_equal(next_at(&p, 2), 60000);
	p.multiplier = 0.5;
	assert_int_equal(next_at(&p, UINT_MAX), 0);

	p = defaults(PT_STRATEGY_POLYNOMIAL);
	p.exponent = 1e308;
	assert_int_equal(next_at(&p, 2), 60000);
	assert_int_equal(next_at(&p, 1), 1000);
	p.exponent = -2;
	assert_int_equal(next_at(&p, 2), 250);

	/* A zero base stays zero instead of becoming 0 * inf = NaN. */
	p.base_ms = 0;
	p.exponent = 1e308;
	assert_int_equal(next_at(&p, UINT_MAX), 0);
	p = defaults(PT_STRATEGY_EXPONENTIAL);
	p.base_ms = 0;
	p.multiplier = 1e308;
	assert_int_equal(next_at(&p, UINT_MAX), 0);
}

static void test_attempt_zero(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_EXPONENTIAL);

	/* Attempts are 1-based; 0 is read as 1. */
	assert_int_equal(next_at(&p, 0), 1000);
	p = defaults(PT_STRATEGY_LINEAR);
	assert_int_equal(next_at(&p, 0), 1000);
}

/* ---- jitter ---- */

static void test_jitter_reproducible(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_JITTER);
	pt_backoff a, b, c;
	int differ = 0;

	pt_backoff_init(&a, &p, 1234);
	pt_backoff_init(&b, &p, 1234);
	pt_backoff_init(&c, &p, 1235);
	for (unsigned n = 1; n <= 100; n++) {
		int64_t va = pt_backoff_next(&a, n);
		assert_int_equal(va, pt_backoff_next(&b, n));
		differ += va != pt_backoff_next(&c, n);
	}
	assert_true(differ > 90);
}

/* Draw DRAWS jittered delays for attempt n; check [lo, hi) and the mean. */
static void check_jitter(pt_jitter_mode mode, unsigned n, int64_t lo,
			 int64_t hi, double mean)
{
	pt_backoff_params p = defaults(PT_STRATEGY_JITTER);
	pt_backoff b;
	double sum = 0;

	p.jitter = mode;
	pt_backoff_init(&b, &p, 99 + n);
	for (int i = 0; i < DRAWS; i++) {
		int64_t v = pt_backoff_next(&b, n);
		if (v < lo || v >= hi)
			fail_msg("attempt %u: %lld not in [%lld, %lld)", n,
				 (long long)v, (long long)lo, (long long)hi);
		sum += (double)v;
	}
	if (fabs(sum / DRAWS - mean) > 0.03 * (double)(hi - lo))
		fail_msg("attempt %u: mean %.1f, want about %.1f", n, sum / DRAWS,
			 mean);
}

static void test_jitter_full(void **state)
{
	/* v = 1000, 2000, 4000, ..., capped at 60000. */
	check_jitter(PT_JITTER_FULL, 1, 0, 1000, 500);
	check_jitter(PT_JITTER_FULL, 3, 0, 4000, 2000);
	check_jitter(PT_JITTER_FULL, 10, 0, 60000, 30000);
	check_jitter(PT_JITTER_FULL, UINT_MAX, 0, 60000, 30000);
}

static void test_jitter_equal(void **state)
{
	check_jitter(PT_JITTER_EQUAL, 1, 500, 1000, 750);
	check_jitter(PT_JITTER_EQUAL, 3, 2000, 4000, 3000);
	check_jitter(PT_JITTER_EQUAL, 10, 30000, 60000, 45000);
}

static void test_jitter_tiny(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_JITTER);
	pt_backoff b;

	p.base_ms = 1;
	p.multiplier = 1;
	pt_backoff_init(&b, &p, 5);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pt_backoff_next(&b, 1), 0);
	p.base_ms = 0;
	pt_backoff_init(&b, &p, 5);
	assert_int_equal(pt_backoff_next(&b, 1), 0);
}

static void test_decorrelated(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_DECORRELATED_JITTER);
	pt_backoff b;
	int at_cap = 0;

	pt_backoff_init(&b, &p, 42);
	assert_int_equal(b.previous_ms, 1000);
	for (int i = 0; i < DRAWS; i++) {
		int64_t prev = b.previous_ms;
		int64_t hi = prev * 3 < 60000 ? prev * 3 : 60000;
		int64_t v = pt_backoff_next(&b, (unsigned)i + 1);
		if (v < 1000 || v > 60000 || v >= prev * 3 ||
		    (v >= hi && v != 60000))
			fail_msg("draw %d: %lld after %lld", i, (long long)v,
				 (long long)prev);
		assert_int_equal(b.previous_ms, v);
		at_cap += v == 60000;
	}
	assert_true(at_cap > 0);
}

static void test_decorrelated_edges(void **state)
{
	pt_backoff_params p = defaults(PT_STRATEGY_DECORRELATED_JITTER);
	pt_backoff b;

	/* previous * x <= base: base itself, every time. */
	p.multiplier = 1.0;
	pt_backoff_init(&b, &p, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(pt_backoff_next(&b, 1), 1000);
	/* ...still capped by max. */
	p.max_ms = 300;
	pt_backoff_init(&b, &p, 1);
	assert_int_equal(pt_backoff_next(&b, 1), 300);
	/* A huge multiplier saturates at the cap. */
	p = defaults(PT_STRATEGY_DECORRELATED_JITTER);
	p.multiplier = 1e308;
	pt_backoff_init(&b, &p, 1);
	for (int i = 0; i < 10; i++) {
		int64_t v = pt_backoff_next(&b, 1);
		assert_true(v >= 1000 && v <= 60000);
	}
	assert_int_equal(b.previous_ms, 60000);
	p.multiplier = NAN;
	pt_backoff_init(&b, &p, 1);
	assert_int_equal(pt_backoff_next(&b, 1), 60000);
	p.max_ms = 0;
	p.multiplier = 1e300;
	pt_backoff_init(&b, &p, 1);
	for (int i = 0; i < 5; i++)
		assert_true(pt_backoff_next(&b, 1) <= PT_DURATION_MAX_MS);
	assert_int_equal(b.previous_ms, PT_DURATION_MAX_MS);
}

/* ---- names ---- */

static void test_names(void **state)
{
	static const struct {
		const char *name, *alias;
		pt_strategy s;
	} names[] = {
		{"fixed", "fix", PT_STRATEGY_FIXED},
		{"linear", "lin", PT_STRATEGY_LINEAR},
		{"exponential", "exp", PT_STRATEGY_EXPONENTIAL},
		{"jitter", "jit", PT_STRATEGY_JITTER},
		{"decorrelated-jitter", "dj", PT_STRATEGY_DECORRELATED_JITTER},
		{"fibonacci", "fib", PT_STRATEGY_FIBONACCI},
		{"polynomial", "poly", PT_STRATEGY_POLYNOMIAL},
		{"diophantine", "dio", PT_STRATEGY_DIOPHANTINE},
		{"http-aware", "ha", PT_STRATEGY_HTTP_AWARE},
	};
	pt_strategy s;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		s = (pt_strategy)-1;
		assert_int_equal(pt_strategy_lookup(names[i].name, &s), PT_OK);
		assert_int_equal(s, names[i].s);
		s = (pt_strategy)-1;
		assert_int_equal(pt_strategy_lookup(names[i].alias, &s), PT_OK);
		assert_int_equal(s, names[i].s);
		assert_string_equal(pt_strategy_name(names[i].s), names[i].name);
	}
	assert_int_equal(pt_strategy_lookup("", &s), PT_ENOENT);
	assert_int_equal(pt_strategy_lookup("expo", &s), PT_ENOENT);
	assert_int_equal(pt_strategy_lookup("EXP", &s), PT_ENOENT);
	assert_int_equal(pt_strategy_lookup("exponential ", &s), PT_ENOENT);
	assert_int_equal(pt_strategy_lookup(NULL, &s), PT_EINVAL);
	assert_string_equal(pt_strategy_name((pt_strategy)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_reference),
		cmocka_unit_test(test_rng_seed),
		cmocka_unit_test(test_rng_uniform),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_fibonacci),
		cmocka_unit_test(test_polynomial),
		cmocka_unit_test(test_diophantine),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_saturation_parameters),
		cmocka_unit_test(test_attempt_zero),
		cmocka_unit_test(test_jitter_reproducible),
		cmocka_unit_test(test_jitter_full),
		cmocka_unit_test(test_jitter_equal),
		cmocka_unit_test(test_jitter_tiny),
		cmocka_unit_test(test_decorrelated),
		cmocka_unit_test(test_decorrelated_edges),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
