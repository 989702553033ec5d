/* Unit tests of the Diophantine scheduler: hand-made cases, then a
 * randomized comparison against a brute-force search with an independent
 * O(n^2) window check, then a long run that checks invariants only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "patience/diophantine.h"
#include "patience/error.h"

#define YEAR100_MS INT64_C(3153600000000)

/* splitmix64: a tiny deterministic PRNG, so every failure replays. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* ---- brute force ---------------------------------------------------- */

#define BF_MAX 256

/* Start times; fresh marks the ones whose windows are judged. */
typedef struct bf_set {
	int64_t at[BF_MAX];
	bool fresh[BF_MAX];
	size_t n;
} bf_set;

static void bf_add(bf_set *b, int64_t at, bool fresh)
{
	assert_true(b->n < BF_MAX);
	b->at[b->n] = at;
	b->fresh[b->n] = fresh;
	b->n++;
}

static void bf_load(bf_set *b, const pt_dio *d, bool fresh)
{
	b->n = 0;
	for (size_t i = 0; i < d->count; i++)
		bf_add(b, d->starts[i].at_ms, fresh);
}

/* Every window [x, x+span) that begins at a start and holds a fresh start
 * holds at most limit starts. The fullest window holding a given start
 * can always be moved right until it begins at a start. */
static bool bf_ok(const bf_set *b, int64_t limit, int64_t span)
{
	for (size_t x = 0; x < b->n; x++) {
		int64_t count = 0;
		bool fresh = false;

		for (size_t y = 0; y < b->n; y++) {
			if (b->at[y] >= b->at[x] && b->at[y] - b->at[x] < span) {
				count++;
				fresh = fresh || b->fresh[y];
			}
		}
		if (fresh && count > limit)
			return false;
	}
	return true;
}

/* The least integer t >= now that bf_ok accepts, or -1 past bound. */
static int64_t bf_find(const pt_dio *d, int64_t now, const int64_t *off, size_t k)
{
	int64_t span = d->window_ms + d->guard_ms, bound = now + span + off[k - 1] + 1;
	bf_set b;

	if (d->count > 0)
		bound += d->starts[d->count - 1].at_ms > 0 ? d->starts[d->count - 1].at_ms : 0;
	for (int64_t t = now; t <= bound; t++) {
		bf_load(&b, d, false);
		for (size_t i = 0; i < k; i++)
			bf_add(&b, t + off[i], true);
		if (bf_ok(&b, d->limit, span))
			return t;
	}
	return -1;
}

static bool bf_offsets_ok(int64_t limit, int64_t span, const int64_t *off, size_t k)
{
	bf_set b = { .n = 0 };

	for (size_t i = 0; i < k; i++)
		bf_add(&b, off[i], true);
	return bf_ok(&b, limit, span);
}

static void assert_sorted(const pt_dio *d)
{
	assert_true(d->count <= d->capacity);
	for (size_t i = 1; i < d->count; i++) {
		const pt_dio_start *a = &d->starts[i - 1], *b = &d->starts[i];

		assert_true(a->at_ms < b->at_ms ||
			    (a->at_ms == b->at_ms && a->reservation <= b->reservation));
	}
}

/* The whole rule, by sorted starts: starts[i+N] - starts[i] >= S. */
static void assert_rule(const pt_dio *d)
{
	int64_t span = d->window_ms + d->guard_ms;

	assert_sorted(d);
	for (size_t i = 0; i + (size_t)d->limit < d->count; i++)
		assert_true(d->starts[i + (size_t)d->limit].at_ms - d->starts[i].at_ms >= span);
}

/* ---- hand-made cases ------------------------------------------------ */

static void test_default_guard(void **state)
{
	(void)state;
	assert_int_equal(pt_dio_default_guard(0), 10);
	assert_int_equal(pt_dio_default_guard(1000), 20);
	assert_int_equal(pt_dio_default_guard(60000), 610);
	assert_int_equal(pt_dio_default_guard(3600000), 36010);
}

static void test_init_errors(void **state)
{
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(NULL, 1, 1, 0), PT_EINVAL);
	assert_int_equal(pt_dio_init(&d, 0, 1000, 0), PT_EINVAL);
	assert_int_equal(pt_dio_init(&d, -3, 1000, 0), PT_EINVAL);
	assert_int_equal(pt_dio_init(&d, 1, 0, 0), PT_EINVAL);
	assert_int_equal(pt_dio_init(&d, 1, 1000, -1), PT_EINVAL);
	assert_int_equal(pt_dio_init(&d, 1, YEAR100_MS + 1, 0), PT_ERANGE);
	assert_int_equal(pt_dio_init(&d, 1, 1000, YEAR100_MS + 1), PT_ERANGE);
	assert_int_equal(pt_dio_init(&d, 1, 1000, 0), PT_OK);
	assert_int_equal(d.count, 0);
	assert_int_equal(pt_dio_set_limit(&d, 0, 1000, 0), PT_EINVAL);
	assert_int_equal(d.limit, 1);
	pt_dio_release(&d);
	pt_dio_release(&d);
	assert_int_equal(pt_dio_init(&d, INT64_MAX, 1, 0), PT_OK);
	pt_dio_release(&d);
}

static void test_empty_returns_now(void **state)
{
	const int64_t off[] = { 0, 5, 2000 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 1, 1000, 10), PT_OK);
	assert_int_equal(pt_dio_find(&d, 12345, off, 1, &base), PT_OK);
	assert_int_equal(base, 12345);
	assert_int_equal(pt_dio_find(&d, -7, off, 1, &base), PT_OK);
	assert_int_equal(base, -7);
	assert_int_equal(pt_dio_find(&d, 0, off, 3, &base), PT_EINFEASIBLE);
	pt_dio_release(&d);
}

static void test_second_task_waits(void **state)
{
	const int64_t off[] = { 0 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 1, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_acquire(&d, 1, 100, off, 1, &base), PT_OK);
	assert_int_equal(base, 100);
	assert_int_equal(pt_dio_acquire(&d, 2, 100, off, 1, &base), PT_OK);
	assert_int_equal(base, 1100);
	assert_int_equal(pt_dio_acquire(&d, 3, 500, off, 1, &base), PT_OK);
	assert_int_equal(base, 2100);
	assert_rule(&d);
	/* with a guard the windows are W+g long */
	assert_int_equal(pt_dio_set_limit(&d, 1, 1000, 20), PT_OK);
	assert_int_equal(pt_dio_acquire(&d, 4, 0, off, 1, &base), PT_OK);
	assert_int_equal(base, 3120);
	assert_int_equal(pt_dio_acquire(&d, 5, 0, off, 1, &base), PT_OK);
	assert_int_equal(base, 4140);
	assert_int_equal(d.count, 5);
	pt_dio_release(&d);
}

static void test_retries_interleave(void **state)
{
	/* N=2: two tasks with retries fill the gaps of each other */
	const int64_t off[] = { 0, 1000, 3000 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 2, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_acquire(&d, 1, 0, off, 3, &base), PT_OK);
	assert_int_equal(base, 0);
	assert_int_equal(pt_dio_acquire(&d, 2, 0, off, 3, &base), PT_OK);
	assert_int_equal(base, 0);
	/* a third keeps every start 1000 from the full pairs at 0, 1000, 3000:
	 * 2000 would put its retry on 3000, 3000 its first start */
	assert_int_equal(pt_dio_acquire(&d, 3, 0, off, 3, &base), PT_OK);
	assert_int_equal(base, 4000);
	assert_rule(&d);
	pt_dio_release(&d);
}

static void test_check_offsets(void **state)
{
	const int64_t ok[] = { 0, 1000, 2000, 5000 };
	const int64_t close3[] = { 0, 10, 20 };
	const int64_t late[] = { 0, 2000, 2010, 2020, 9000 };
	const int64_t neg[] = { -1, 10 };
	const int64_t flat[] = { 0, 10, 10 };
	const int64_t down[] = { 0, 10, 5 };
	const int64_t huge[] = { 0, YEAR100_MS + 1 };
	const int64_t edge[] = { 0, YEAR100_MS };
	static int64_t many[PT_DIO_MAX_OFFSETS + 1];
	size_t first = 99;

	(void)state;
	for (size_t i = 0; i < PT_DIO_MAX_OFFSETS + 1; i++)
		many[i] = (int64_t)i * 10000;
	assert_int_equal(pt_dio_check_offsets(1, 1000, ok, 4, &first), PT_OK);
	assert_int_equal(pt_dio_check_offsets(1, 1001, ok, 4, &first), PT_EINFEASIBLE);
	assert_int_equal(first, 0);
	assert_int_equal(pt_dio_check_offsets(2, 1000, close3, 3, &first), PT_EINFEASIBLE);
	assert_int_equal(first, 0);
	assert_int_equal(pt_dio_check_offsets(3, 1000, close3, 3, NULL), PT_OK);
	assert_int_equal(pt_dio_check_offsets(2, 1000, late, 5, &first), PT_EINFEASIBLE);
	assert_int_equal(first, 1);
	assert_int_equal(pt_dio_check_offsets(2, 1000, late, 5, NULL), PT_EINFEASIBLE);
	assert_int_equal(pt_dio_check_offsets(INT64_MAX, 1000, late, 5, NULL), PT_OK);
	assert_int_equal(pt_dio_check_offsets(1, 1000, ok, 0, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 1000, NULL, 2, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 1000, neg, 2, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 1000, flat, 3, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 1000, down, 3, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(0, 1000, ok, 4, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 0, ok, 4, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_check_offsets(1, 1000, huge, 2, NULL), PT_ERANGE);
	assert_int_equal(pt_dio_check_offsets(1, 1000, edge, 2, NULL), PT_OK);
	assert_int_equal(pt_dio_check_offsets(1, 1000, many, PT_DIO_MAX_OFFSETS, NULL), PT_OK);
	assert_int_equal(pt_dio_check_offsets(1, 1000, many, PT_DIO_MAX_OFFSETS + 1, NULL),
			 PT_EINVAL);
}

static void test_find_errors_leave_state(void **state)
{
	const int64_t off[] = { 0, 100 }, bad[] = { 0, 0 };
	int64_t base = 42;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 1, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_acquire(&d, 1, 0, off, 2, &base), PT_EINFEASIBLE);
	assert_int_equal(pt_dio_acquire(&d, 1, 0, bad, 2, &base), PT_EINVAL);
	assert_int_equal(pt_dio_find(&d, 0, off, 1, NULL), PT_EINVAL);
	assert_int_equal(pt_dio_find(NULL, 0, off, 1, &base), PT_EINVAL);
	assert_int_equal(base, 42);
	assert_int_equal(d.count, 0);
	assert_int_equal(pt_dio_acquire(&d, 1, 0, off, 1, NULL), PT_OK);
	assert_int_equal(d.count, 1);
	pt_dio_release(&d);
}

static void test_find_is_pure(void **state)
{
	const int64_t off[] = { 0, 300, 900 };
	pt_dio_start copy[64];
	int64_t a = 0, b = 1;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 2, 500, 5), PT_OK);
	for (uint64_t id = 1; id <= 10; id++)
		assert_int_equal(pt_dio_acquire(&d, id, 0, off, 3, NULL), PT_OK);
	assert_true(d.count <= 64);
	memcpy(copy, d.starts, d.count * sizeof(*copy));
	assert_int_equal(pt_dio_find(&d, 0, off, 3, &a), PT_OK);
	assert_int_equal(pt_dio_find(&d, 0, off, 3, &b), PT_OK);
	assert_int_equal(a, b);
	assert_int_equal(d.count, 30);
	assert_memory_equal(copy, d.starts, d.count * sizeof(*copy));
	pt_dio_release(&d);
}

static void test_cancel_frees_capacity(void **state)
{
	const int64_t one[] = { 0 }, three[] = { 0, 1000, 2000 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 1, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_acquire(&d, 1, 0, three, 3, &base), PT_OK);
	assert_int_equal(pt_dio_find(&d, 0, one, 1, &base), PT_OK);
	assert_int_equal(base, 3000);
	/* task 1 succeeded at its first attempt: its retries go */
	assert_int_equal(pt_dio_cancel(&d, 2, 0), 0);
	assert_int_equal(pt_dio_cancel(&d, 1, 1), 2);
	assert_int_equal(d.count, 1);
	assert_int_equal(pt_dio_find(&d, 0, one, 1, &base), PT_OK);
	assert_int_equal(base, 1000);
	assert_int_equal(pt_dio_cancel(&d, 1, INT64_MIN), 1);
	assert_int_equal(pt_dio_find(&d, 0, one, 1, &base), PT_OK);
	assert_int_equal(base, 0);
	assert_int_equal(pt_dio_cancel(&d, 1, 0), 0);
	pt_dio_release(&d);
}

static void test_cancel_keeps_others(void **state)
{
	const int64_t off[] = { 0, 10, 20 };
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 100, 1000, 0), PT_OK);
	for (uint64_t id = 1; id <= 5; id++)
		assert_int_equal(pt_dio_reserve(&d, id, 0, off, 3), PT_OK);
	assert_int_equal(pt_dio_cancel(&d, 3, 10), 2);
	assert_int_equal(d.count, 13);
	assert_sorted(&d);
	for (size_t i = 0; i < d.count; i++)
		assert_false(d.starts[i].reservation == 3 && d.starts[i].at_ms >= 10);
	assert_int_equal(pt_dio_count_between(&d, 0, 1), 5);
	pt_dio_release(&d);
}

static void test_expire(void **state)
{
	const int64_t off[] = { 0, 500, 1000 };
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 5, 900, 100), PT_OK);
	assert_int_equal(pt_dio_expire(&d, 0), 0);
	assert_int_equal(pt_dio_reserve(&d, 1, 0, off, 3), PT_OK);
	/* now - S = 0: the start at 0 may still share a window */
	assert_int_equal(pt_dio_expire(&d, 1000), 0);
	assert_int_equal(pt_dio_expire(&d, 1001), 1);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.starts[0].at_ms, 500);
	assert_int_equal(pt_dio_expire(&d, 5000), 2);
	assert_int_equal(d.count, 0);
	assert_int_equal(pt_dio_reserve(&d, 1, INT64_MIN, off, 3), PT_OK);
	assert_int_equal(pt_dio_expire(&d, INT64_MIN + 10), 0);
	assert_int_equal(pt_dio_expire(&d, INT64_MIN + 1001), 1);
	pt_dio_release(&d);
}

static void test_set_limit(void **state)
{
	const int64_t off[] = { 0 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 3, 1000, 0), PT_OK);
	for (uint64_t id = 1; id <= 3; id++) {
		assert_int_equal(pt_dio_acquire(&d, id, 0, off, 1, &base), PT_OK);
		assert_int_equal(base, 0);
	}
	assert_int_equal(pt_dio_find(&d, 0, off, 1, &base), PT_OK);
	assert_int_equal(base, 1000);
	/* raising the limit lets the next one in at once */
	assert_int_equal(pt_dio_set_limit(&d, 4, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_find(&d, 0, off, 1, &base), PT_OK);
	assert_int_equal(base, 0);
	/* lowering it: old starts stay, new ones keep clear of them */
	assert_int_equal(pt_dio_set_limit(&d, 1, 2000, 50), PT_OK);
	assert_int_equal(d.count, 3);
	assert_int_equal(pt_dio_find(&d, 0, off, 1, &base), PT_OK);
	assert_int_equal(base, 2050);
	assert_int_equal(pt_dio_find(&d, 9000, off, 1, &base), PT_OK);
	assert_int_equal(base, 9000);
	pt_dio_release(&d);
}

static void test_overflow(void **state)
{
	const int64_t off[] = { 0, 200 }, one[] = { 0 }, huge[] = { INT64_MAX - 1 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 1, 100, 0), PT_OK);
	assert_int_equal(pt_dio_reserve(&d, 1, INT64_MAX - 199, off, 2), PT_ERANGE);
	assert_int_equal(pt_dio_reserve(&d, 1, INT64_MAX - 200, off, 2), PT_OK);
	assert_int_equal(pt_dio_find(&d, 0, one, 1, &base), PT_ERANGE);
	assert_int_equal(pt_dio_cancel(&d, 1, INT64_MIN), 2);
	assert_int_equal(pt_dio_find(&d, INT64_MAX - 199, off, 2, &base), PT_ERANGE);
	assert_int_equal(pt_dio_find(&d, INT64_MAX - 200, off, 2, &base), PT_OK);
	assert_int_equal(base, INT64_MAX - 200);
	assert_int_equal(pt_dio_find(&d, INT64_MAX - 10, one, 1, &base), PT_OK);
	assert_int_equal(base, INT64_MAX - 10);
	assert_int_equal(pt_dio_find(&d, 0, huge, 1, &base), PT_ERANGE);
	assert_int_equal(pt_dio_reserve(&d, 1, 0, huge, 1), PT_ERANGE);
	/* times near the bottom of int64_t work: differences never overflow */
	assert_int_equal(pt_dio_reserve(&d, 1, INT64_MIN, one, 1), PT_OK);
	assert_int_equal(pt_dio_find(&d, INT64_MIN, one, 1, &base), PT_OK);
	assert_int_equal(base, INT64_MIN + 100);
	assert_int_equal(pt_dio_reserve(&d, 2, 1000, one, 1), PT_OK);
	assert_int_equal(pt_dio_find(&d, INT64_MIN, one, 1, &base), PT_OK);
	assert_int_equal(base, INT64_MIN + 100);
	assert_int_equal(pt_dio_find(&d, 950, one, 1, &base), PT_OK);
	assert_int_equal(base, 1100);
	assert_int_equal(pt_dio_count_between(&d, INT64_MIN, INT64_MAX), 2);
	pt_dio_release(&d);
}

static void test_count_between(void **state)
{
	const int64_t off[] = { 0, 100, 200, 300 };
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, 10, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_count_between(&d, 0, 1000), 0);
	assert_int_equal(pt_dio_reserve(&d, 7, 1000, off, 4), PT_OK);
	assert_int_equal(pt_dio_reserve(&d, 3, 1100, off, 2), PT_OK);
	assert_sorted(&d);
	assert_int_equal(d.starts[1].reservation, 3);
	assert_int_equal(d.starts[2].reservation, 7);
	assert_int_equal(pt_dio_count_between(&d, 1000, 1100), 1);
	assert_int_equal(pt_dio_count_between(&d, 1000, 1101), 3);
	assert_int_equal(pt_dio_count_between(&d, 1100, 1300), 4);
	assert_int_equal(pt_dio_count_between(&d, 0, 5000), 6);
	assert_int_equal(pt_dio_count_between(&d, 1300, 1300), 0);
	assert_int_equal(pt_dio_count_between(&d, 1301, 1000), 0);
	pt_dio_release(&d);
}

static void test_huge_limit(void **state)
{
	const int64_t off[] = { 0, 1 };
	int64_t base = 0;
	pt_dio d;

	(void)state;
	assert_int_equal(pt_dio_init(&d, INT64_MAX, 1, 0), PT_OK);
	for (uint64_t id = 0; id < 100; id++) {
		assert_int_equal(pt_dio_acquire(&d, id, 5, off, 2, &base), PT_OK);
		assert_int_equal(base, 5);
	}
	pt_dio_release(&d);
}

/* ---- randomized, against brute force -------------------------------- */

/* 1..4 strictly increasing offsets in 0..60, usually starting at 0. */
static size_t rnd_offsets(int64_t *off)
{
	size_t k = (size_t)rnd_in(1, 4);
	int64_t at = rnd_in(0, 3) == 0 ? rnd_in(0, 10) : 0;

	for (size_t i = 0; i < k; i++) {
		if (at > 60)
			return i;
		off[i] = at;
		at += rnd_in(1, 25);
	}
	return k;
}

static void check_first_out(const pt_dio *d, const int64_t *off, size_t k, size_t first)
{
	size_t n = (size_t)d->limit;

	assert_true(first + n < k);
	assert_true(off[first + n] - off[first] < d->window_ms + d->guard_ms);
	for (size_t i = 0; i < first; i++)
		assert_true(off[i + n] - off[i] >= d->window_ms + d->guard_ms);
}

/* Acquire through the scheduler, comparing with brute force first. */
static void random_acquire(pt_dio *d, uint64_t id, bool compliant)
{
	int64_t off[4], now = rnd_in(0, 100), want, got = -1;
	size_t k = rnd_offsets(off), first = 999;
	bool feasible = bf_offsets_ok(d->limit, d->window_ms + d->guard_ms, off, k);
	int rc = pt_dio_check_offsets(d->limit, d->window_ms + d->guard_ms, off, k, &first);
	bf_set b;

	if (!feasible) {
		assert_int_equal(rc, PT_EINFEASIBLE);
		check_first_out(d, off, k, first);
		assert_int_equal(pt_dio_acquire(d, id, now, off, k, &got), PT_EINFEASIBLE);
		return;
	}
	assert_int_equal(rc, PT_OK);
	want = bf_find(d, now, off, k);
	assert_true(want >= now);
	assert_int_equal(pt_dio_find(d, now, off, k, &got), PT_OK);
	assert_int_equal(got, want);
	assert_int_equal(pt_dio_acquire(d, id, now, off, k, &got), PT_OK);
	assert_int_equal(got, want);
	assert_sorted(d);
	/* after the acquire the rule holds, at least around the new starts */
	bf_load(&b, d, compliant);
	for (size_t i = 0; i < b.n; i++)
		b.fresh[i] = b.fresh[i] || d->starts[i].reservation == id;
	assert_true(bf_ok(&b, d->limit, d->window_ms + d->guard_ms));
}

/* Reserve a random set directly, only if the union keeps the rule. */
static void random_reserve(pt_dio *d, uint64_t id)
{
	int64_t off[4], base = rnd_in(-20, 150);
	size_t k = rnd_offsets(off);
	bf_set b;

	bf_load(&b, d, true);
	for (size_t i = 0; i < k; i++)
		bf_add(&b, base + off[i], true);
	if (!bf_ok(&b, d->limit, d->window_ms + d->guard_ms))
		return;
	assert_int_equal(pt_dio_reserve(d, id, base, off, k), PT_OK);
	assert_sorted(d);
}

static void random_cancel_expire(pt_dio *d, uint64_t max_id)
{
	uint64_t id = (uint64_t)rnd_in(1, (int64_t)max_id);
	int64_t from = rnd_in(-10, 200), now = rnd_in(0, 300);
	int64_t cut = now - d->window_ms - d->guard_ms;
	size_t want = 0, count = d->count;

	for (size_t i = 0; i < d->count; i++)
		want += d->starts[i].reservation == id && d->starts[i].at_ms >= from;
	assert_int_equal(pt_dio_cancel(d, id, from), want);
	assert_int_equal(d->count, count - want);
	assert_sorted(d);
	if (rnd_in(0, 2))
		return;
	want = 0;
	for (size_t i = 0; i < d->count; i++)
		want += d->starts[i].at_ms < cut;
	assert_int_equal(pt_dio_expire(d, now), want);
	assert_sorted(d);
}

static bool state_compliant(const pt_dio *d)
{
	bf_set b;

	bf_load(&b, d, true);
	return bf_ok(&b, d->limit, d->window_ms + d->guard_ms);
}

static void random_round(uint64_t seed)
{
	size_t target = (size_t)rnd_in(0, 12);
	uint64_t id = 0;
	pt_dio d;

	rng_state = seed;
	assert_int_equal(pt_dio_init(&d, rnd_in(1, 4), rnd_in(1, 50), rnd_in(0, 5)), PT_OK);
	for (int tries = 0; d.count < target && tries < 30; tries++) {
		if (rnd_in(0, 1))
			random_acquire(&d, ++id, true);
		else
			random_reserve(&d, ++id);
	}
	if (rnd_in(0, 3) == 0) {
		assert_int_equal(pt_dio_set_limit(&d, rnd_in(1, 4), rnd_in(1, 50),
						  rnd_in(0, 5)), PT_OK);
	}
	if (id > 0 && rnd_in(0, 2) == 0)
		random_cancel_expire(&d, id);
	for (int i = rnd_in(1, 3); i > 0; i--)
		random_acquire(&d, ++id, state_compliant(&d));
	pt_dio_release(&d);
}

static void test_random_vs_brute_force(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5000; seed++)
		random_round(seed);
}

/* ---- many reservations ---------------------------------------------- */

static void test_many_reservations(void **state)
{
	static const int64_t pat[][3] = { { 0, 0, 0 }, { 0, 1000, 3000 }, { 0, 250, 0 } };
	static const size_t patk[] = { 1, 3, 2 };
	int64_t now = 0, base = 0, max_live = 0;
	pt_dio d;

	(void)state;
	rng_state = 7;
	assert_int_equal(pt_dio_init(&d, 100, 1000, pt_dio_default_guard(1000)), PT_OK);
	for (uint64_t id = 1; id <= 10000; id++) {
		size_t p = (size_t)rnd_in(0, 2);

		assert_int_equal(pt_dio_acquire(&d, id, now, pat[p], patk[p], &base), PT_OK);
		assert_true(base >= now);
		if (id % 5 == 0)
			pt_dio_cancel(&d, id - (uint64_t)rnd_in(0, 4), now);
		if (id % 100 == 0)
			pt_dio_expire(&d, now);
		if (id % 1000 == 0)
			assert_rule(&d);
		max_live = (int64_t)d.count > max_live ? (int64_t)d.count : max_live;
		now += rnd_in(0, 30);
	}
	assert_rule(&d);
	assert_true(max_live > 1000);
	pt_dio_release(&d);
}

/* A start moved to where it really happened keeps the array sorted, and
 * later placements are spaced from it. */
static void test_move_to_real_start(void **state)
{
	pt_dio d;
	const int64_t one[] = {0};
	int64_t base;
	(void)state;
	assert_int_equal(pt_dio_init(&d, 2, 1000, 0), PT_OK);
	assert_int_equal(pt_dio_reserve(&d, 1, 0, one, 1), PT_OK);
	assert_int_equal(pt_dio_reserve(&d, 2, 10, one, 1), PT_OK);
	assert_int_equal(pt_dio_reserve(&d, 3, 1000, one, 1), PT_OK);
	/* 1 started at 40, after 2 */
	assert_int_equal(pt_dio_move(&d, 1, 0, 40), PT_OK);
	assert_int_equal(d.starts[0].reservation, 2);
	assert_int_equal(d.starts[1].at_ms, 40);
	assert_int_equal(d.starts[1].reservation, 1);
	assert_int_equal(d.starts[2].reservation, 3);
	/* the next start keeps 2 + 1 starts a window apart from the real one */
	assert_int_equal(pt_dio_find(&d, 0, one, 1, &base), PT_OK);
	assert_int_equal(base, 1040);
	/* never earlier; unknown starts are reported */
	assert_int_equal(pt_dio_move(&d, 1, 40, 5), PT_OK);
	assert_int_equal(d.starts[1].at_ms, 40);
	assert_int_equal(pt_dio_move(&d, 1, 0, 50), PT_ENOENT);
	assert_int_equal(pt_dio_move(&d, 9, 40, 50), PT_ENOENT);
	/* past the last start */
	assert_int_equal(pt_dio_move(&d, 2, 10, 5000), PT_OK);
	assert_int_equal(d.starts[2].at_ms, 5000);
	assert_int_equal(d.starts[2].reservation, 2);
	assert_int_equal(d.starts[1].reservation, 3);
	pt_dio_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_guard),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_empty_returns_now),
		cmocka_unit_test(test_second_task_waits),
		cmocka_unit_test(test_retries_interleave),
		cmocka_unit_test(test_check_offsets),
		cmocka_unit_test(test_find_errors_leave_state),
		cmocka_unit_test(test_find_is_pure),
		cmocka_unit_test(test_cancel_frees_capacity),
		cmocka_unit_test(test_cancel_keeps_others),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_set_limit),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_count_between),
		cmocka_unit_test(test_huge_limit),
		cmocka_unit_test(test_random_vs_brute_force),
		cmocka_unit_test(test_many_reservations),
		cmocka_unit_test(test_move_to_real_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
