/* The adaptive strategy's model: buckets, estimates, the next delay, and its
 * text form for the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "patience/adaptive.h"
#include "patience/error.h"

static void init(pt_adaptive *a, int64_t min, int64_t max, unsigned window)
{
	pt_adaptive_params p = {.min_ms = min, .max_ms = max, .learning_rate = 0.1,
				.window = window};
	assert_int_equal(pt_adaptive_init(a, &p), PT_OK);
}

/* One run against a service that answers only after a pause of at least
 * need_ms: its first attempt fails (nothing waited), then each retry waits as
 * the model says, else as exponential from min. Returns the attempts used;
 * *first_delay: the delay before attempt 2. */
static int run(pt_adaptive *a, int64_t need_ms, int64_t *first_delay)
{
	int64_t failed_after = -1, fallback = a->params.min_ms;
	for (int n = 2; n <= 20; n++) {
		int64_t d = pt_adaptive_next(a, failed_after);
		if (d < 0) {
			d = fallback;
			fallback = fallback * 2 > a->params.max_ms ? a->params.max_ms : fallback * 2;
		}
		if (n == 2 && first_delay)
			*first_delay = d;
		pt_adaptive_record(a, d, d >= need_ms);
		if (d >= need_ms)
			return n;
		failed_after = d;
	}
	fail_msg("no success in 20 attempts");
	return 0;
}

static void test_buckets(void **state)
{
	pt_adaptive a;
	pt_adaptive_params p;
	init(&a, 100, 1000, 50);
	assert_int_equal(a.n_buckets, 5);
	int64_t want[] = {100, 200, 400, 800, 1000};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(a.bucket_ms[i], want[i]);
	assert_int_equal(pt_adaptive_bucket_of(&a, 0), 0);
	assert_int_equal(pt_adaptive_bucket_of(&a, 141), 0);
	assert_int_equal(pt_adaptive_bucket_of(&a, 142), 1);
	assert_int_equal(pt_adaptive_bucket_of(&a, 805), 3);
	assert_int_equal(pt_adaptive_bucket_of(&a, 999999), 4);
	init(&a, 500, 100, 50); /* max <= min: one bucket */
	assert_int_equal(a.n_buckets, 1);
	init(&a, 1, INT64_C(3153600000000), 50); /* 100 years: capped bucket count */
	assert_true(a.n_buckets <= PT_ADAPTIVE_BUCKETS_MAX);
	pt_adaptive_params_default(&p);
	assert_int_equal(pt_adaptive_init(&a, &p), PT_OK);
	assert_true(p.learning_rate == 0.1 && p.window == 50);
	p.learning_rate = 0;
	assert_int_equal(pt_adaptive_init(&a, &p), PT_EINVAL);
	p.learning_rate = 0.1;
	p.window = PT_ADAPTIVE_WINDOW_MAX + 1;
	assert_int_equal(pt_adaptive_init(&a, &p), PT_EINVAL);
	p.window = 50;
	p.min_ms = 0;
	assert_int_equal(pt_adaptive_init(&a, &p), PT_EINVAL);
}

static void test_estimate_is_an_ema(void **state)
{
	pt_adaptive a;
	size_t n;
	init(&a, 100, 1000, 50);
	assert_true(pt_adaptive_estimate(&a, 0, &n) == 0.5 && n == 0);
	pt_adaptive_record(&a, 100, true);
	assert_float_equal(pt_adaptive_estimate(&a, 0, &n), 0.55, 1e-12);
	pt_adaptive_record(&a, 90, false);
	assert_float_equal(pt_adaptive_estimate(&a, 0, &n), 0.495, 1e-12);
	assert_int_equal(n, 2);
}

static void test_no_advice_when_empty(void **state)
{
	pt_adaptive a;
	init(&a, 100, 1000, 50);
	assert_int_equal(pt_adaptive_next(&a, -1), -1);
	pt_adaptive_record(&a, 100, false);
	assert_int_equal(pt_adaptive_next(&a, -1), -1);
}

/* The service needs 800 ms: the first run searches, the later ones go
 * straight to 800 ms, with an occasional shorter try. */
static void test_converges(void **state)
{
	pt_adaptive a;
	int64_t first = 0;
	int total = 0;
	init(&a, 100, 6400, 50);
	assert_int_equal(run(&a, 800, &first), 5); /* 0, 100, 200, 400, 800 */
	assert_int_equal(first, 100);
	for (int i = 0; i < 30; i++)
		total += run(&a, 800, NULL);
	assert_true(total <= 30 * 2 + 10); /* 2 each, and a few explorations */
	assert_int_equal(run(&a, 800, &first), 2);
	assert_int_equal(first, 800);
	assert_int_equal(pt_adaptive_next(&a, -1), 800);
	assert_int_equal(pt_adaptive_next(&a, 800), -1); /* nothing longer known */
}

/* A failed wait is never repeated in the same run. */
static void test_escalates_within_run(void **state)
{
	pt_adaptive a;
	init(&a, 100, 6400, 50);
	for (int i = 0; i < 5; i++) {
		pt_adaptive_record(&a, 800, true);
		pt_adaptive_record(&a, 1600, true);
	}
	pt_adaptive_record(&a, 400, false); /* no exploration of 400 for now */
	assert_int_equal(pt_adaptive_next(&a, -1), 800);
	assert_int_equal(pt_adaptive_next(&a, 800), 1600);
	assert_int_equal(pt_adaptive_next(&a, 1600), -1);
	assert_int_equal(pt_adaptive_above(&a, 1600), 3200);
	assert_int_equal(pt_adaptive_above(&a, 805), 1600);
	assert_int_equal(pt_adaptive_above(&a, 6400), 6400); /* the longest */
}

/* The service got faster: exploration finds the shorter delay. */
static void test_finds_shorter_again(void **state)
{
	pt_adaptive a;
	int64_t first = 0;
	init(&a, 100, 6400, 50);
	for (int i = 0; i < 10; i++)
		run(&a, 800, NULL);
	for (int i = 0; i < 40; i++)
		run(&a, 200, NULL);
	run(&a, 200, &first);
	assert_int_equal(first, 200);
}

/* The service got slower: within the window the model stops using 800. */
static void test_adapts_to_slower(void **state)
{
	pt_adaptive a;
	int64_t first = 0;
	init(&a, 100, 6400, 50);
	for (int i = 0; i < 20; i++)
		run(&a, 800, NULL);
	for (int i = 0; i < 25; i++)
		run(&a, 3000, NULL);
	assert_int_equal(run(&a, 3000, &first), 2);
	assert_int_equal(first, 3200);
}

/* Only the last `window` outcomes count. */
static void test_forgets_beyond_window(void **state)
{
	pt_adaptive a;
	size_t n;
	init(&a, 100, 6400, 10);
	for (int i = 0; i < 10; i++)
		pt_adaptive_record(&a, 800, true);
	assert_int_equal(pt_adaptive_next(&a, -1), 400); /* never tried: explored */
	pt_adaptive_record(&a, 400, false);
	assert_int_equal(pt_adaptive_next(&a, -1), 800);
	for (int i = 0; i < 9; i++)
		pt_adaptive_record(&a, 100, false);
	pt_adaptive_estimate(&a, 3, &n);
	assert_int_equal(n, 0); /* the 400 pushed the oldest out */
	init(&a, 100, 6400, 10);
	for (int i = 0; i < 10; i++)
		pt_adaptive_record(&a, 800, true);
	for (int i = 0; i < 9; i++)
		pt_adaptive_record(&a, 100, false);
	pt_adaptive_estimate(&a, 3, &n);
	assert_int_equal(n, 1);
	pt_adaptive_record(&a, 100, false);
	pt_adaptive_estimate(&a, 3, &n);
	assert_int_equal(n, 0);
	assert_int_equal(pt_adaptive_next(&a, -1), -1);
	assert_int_equal(a.count, 10);
}

static void test_round_trip(void **state)
{
	pt_adaptive a, b;
	char text[PT_ADAPTIVE_TEXT_MAX + 1], again[PT_ADAPTIVE_TEXT_MAX + 1];
	init(&a, 100, 6400, 50);
	assert_int_equal(pt_adaptive_format(&a, text, sizeof text), PT_OK);
	assert_string_equal(text, "a1:");
	for (int i = 0; i < 12; i++)
		run(&a, 800, NULL);
	assert_int_equal(pt_adaptive_format(&a, text, sizeof text), PT_OK);
	assert_memory_equal(text, "a1:100f,200f,400f,800s,", 23);
	init(&b, 100, 6400, 50);
	assert_int_equal(pt_adaptive_parse(&b, text, strlen(text)), PT_OK);
	assert_int_equal(pt_adaptive_format(&b, again, sizeof again), PT_OK);
	assert_string_equal(text, again);
	assert_int_equal(pt_adaptive_next(&a, -1), pt_adaptive_next(&b, -1));
	assert_int_equal(pt_adaptive_format(&a, text, 5), PT_ERANGE);
}

/* The longest history, with the longest waits, fits the text bound; a
 * smaller window keeps the newest outcomes. */
static void test_text_bounds(void **state)
{
	pt_adaptive a, small;
	char text[PT_ADAPTIVE_TEXT_MAX + 1];
	init(&a, 1, INT64_C(3153600000000), PT_ADAPTIVE_WINDOW_MAX);
	for (int i = 0; i < PT_ADAPTIVE_WINDOW_MAX; i++)
		pt_adaptive_record(&a, INT64_C(3153600000000), i % 2);
	assert_int_equal(pt_adaptive_format(&a, text, sizeof text), PT_OK);
	init(&small, 100, 6400, 2);
	assert_int_equal(pt_adaptive_parse(&small, "a1:1f,2f,300s", 13), PT_OK);
	assert_int_equal(small.count, 2);
	assert_int_equal(pt_adaptive_format(&small, text, sizeof text), PT_OK);
	assert_string_equal(text, "a1:2f,300s");
}

static void test_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"", "a1", "a2:", "A1:1s", "a1:s", "a1:1", "a1:1x", "a1:1s,", "a1:,1s",
		"a1:01s", "a1:1s,,2f", "a1:1s 2f", "a1: 1s", "a1:-1s", "a1:1ss",
		"a1:3153600000001s", "a1:99999999999999s", "a1:1s\n",
	};
	pt_adaptive a;
	char huge[PT_ADAPTIVE_TEXT_MAX + 8];
	init(&a, 100, 6400, 50);
	pt_adaptive_record(&a, 800, true);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (pt_adaptive_parse(&a, bad[i], strlen(bad[i])) != PT_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(a.count, 1); /* unchanged */
	}
	assert_int_equal(pt_adaptive_parse(&a, "a1:1s\0", 6), PT_EINVAL);
	assert_int_equal(pt_adaptive_parse(&a, NULL, 0), PT_EINVAL);
	memcpy(huge, "a1:", 3);
	size_t at = 3;
	while (at + 3 <= sizeof huge - 1) {
		memcpy(huge + at, "1s,", 3);
		at += 3;
	}
	assert_int_equal(pt_adaptive_parse(&a, huge, at - 1), PT_EINVAL); /* > 4 KiB */
	assert_int_equal(pt_adaptive_parse(&a, "a1:0s", 5), PT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_estimate_is_an_ema),
		cmocka_unit_test(test_no_advice_when_empty),
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_escalates_within_run),
		cmocka_unit_test(test_finds_shorter_again),
		cmocka_unit_test(test_adapts_to_slower),
		cmocka_unit_test(test_forgets_beyond_window),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_text_bounds),
		cmocka_unit_test(test_rejects_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
