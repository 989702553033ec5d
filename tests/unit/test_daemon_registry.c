/* Unit tests of the daemon's registry (src/daemon/registry.c), without
 * sockets: placement across the reservations of several clients, uid
 * isolation, release, set_limit, config limits, ttl expiry, release on a
 * connection's close, the undo of a failed batch, and a restore from a
 * store file that gives back the same state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/daemon.h"
#include "patience/error.h"

#define T0 INT64_C(1795430400000) /* some CLOCK_REALTIME ms */

static const int64_t one[] = {0};

static pt_acquire req(uint32_t uid, const char *resource, int64_t limit, int64_t window,
		      const int64_t *offsets, size_t k)
{
	return (pt_acquire){.uid = uid, .resource = resource, .limit = limit,
			    .window_ms = window, .offsets = offsets, .k = k, .max_wait_ms = -1};
}

/* splitmix64, so a failure replays */
static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Independent O(n^2) check: no window [s, s+span) starting at a start
 * holds more than limit starts. */
static void assert_compliant(const pt_dio *d)
{
	int64_t span = d->window_ms + d->guard_ms;
	for (size_t i = 0; i < d->count; i++) {
		int64_t n = 0;
		for (size_t j = 0; j < d->count; j++)
			n += d->starts[j].at_ms >= d->starts[i].at_ms &&
			     d->starts[j].at_ms < d->starts[i].at_ms + span;
		assert_true(n <= d->limit);
	}
}

static void test_first_acquire_sets_the_limit(void **state)
{
	pt_registry r;
	pt_placement p;
	pt_acquire a = req(1000, "api", 2, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.reservation, 1);
	assert_int_equal(p.start_ms, T0);
	assert_int_equal(p.limit, 2);
	assert_int_equal(p.window_ms, 1000);
	assert_int_equal(p.guard_ms, pt_dio_default_guard(1000));
	assert_int_equal(p.expires_ms, T0 + 1000 + PT_TTL_SLACK_MS);
	/* a later acquire with other limits uses the resource's */
	a.limit = 50;
	a.window_ms = 10;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.reservation, 2);
	assert_int_equal(p.limit, 2);
	assert_int_equal(p.start_ms, T0);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 1000 + pt_dio_default_guard(1000));
	assert_string_equal(pt_limit_source_name(pt_registry_find(&r, 1000, "api")->source),
			    "acquire");
	pt_registry_release(&r);
}

/* The registry places every client's task exactly where one pt_dio holding
 * all of them would, and the result keeps the limit. */
static void test_acquire_matches_the_scheduler(void **state)
{
	pt_registry r;
	pt_dio ref;
	pt_owner owners[4] = {{0}};
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_dio_init(&ref, 5, 2000, pt_dio_default_guard(2000)), PT_OK);
	int64_t now = T0;
	for (int i = 0; i < 300; i++) {
		int64_t offsets[4] = {0};
		size_t k = 1 + rnd() % 4;
		for (size_t j = 1; j < k; j++)
			offsets[j] = offsets[j - 1] + 500 + (int64_t)(rnd() % 5000);
		pt_acquire a = req(7, "shared", 5, 2000, offsets, k);
		pt_placement p;
		int64_t base;
		a.owner = &owners[i % 4];
		now += (int64_t)(rnd() % 300);
		pt_dio_expire(&ref, now);
		int want = pt_dio_acquire(&ref, (uint64_t)i + 1, now, offsets, k, &base);
		assert_int_equal(pt_registry_acquire(&r, &a, now, &p), want);
		if (want == PT_OK) {
			assert_int_equal(p.start_ms, base);
			assert_int_equal(p.reservation, (uint64_t)i + 1);
		} else {
			r.next_id++; /* keep ids in step with the reference */
		}
	}
	const pt_dio *d = &pt_registry_find(&r, 7, "shared")->dio;
	assert_int_equal(d->count, ref.count);
	assert_compliant(d);
	for (int i = 0; i < 4; i++)
		pt_registry_owner_detach(&r, &owners[i]);
	pt_dio_release(&ref);
	pt_registry_release(&r);
}

static void test_infeasible_and_wait_too_long(void **state)
{
	pt_registry r;
	pt_placement p;
	static const int64_t close[] = {0, 500};
	pt_acquire a = req(1, "x", 1, 1000, close, 2);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_EINFEASIBLE);
	assert_int_equal(p.crowded, 0);
	assert_int_equal(p.window_ms + p.guard_ms, 1020);
	/* a failed first acquire creates nothing */
	assert_null(pt_registry_find(&r, 1, "x"));
	a = req(1, "x", 1, 1000, one, 1);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	a.max_wait_ms = 1019;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_ERANGE);
	assert_int_equal(p.start_ms, T0 + 1020);
	a.max_wait_ms = 1020;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 1020);
	/* not_before moves the base */
	a.max_wait_ms = -1;
	a.not_before_ms = T0 + 100000;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 100000);
	/* limits of a new resource out of range */
	a = req(1, "y", 0, 1000, one, 1);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_EINVAL);
	assert_null(pt_registry_find(&r, 1, "y"));
	pt_registry_release(&r);
}

static void test_uid_isolation(void **state)
{
	pt_registry r;
	pt_placement p1, p2;
	pt_resource_usage *list;
	size_t n, released, resources, reservations;
	pt_acquire a = req(1000, "api", 1, 60000, one, 1);
	pt_acquire b = req(1001, "api", 1, 60000, one, 1);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p1), PT_OK);
	/* the same name under another uid is another resource: no wait */
	assert_int_equal(pt_registry_acquire(&r, &b, T0, &p2), PT_OK);
	assert_int_equal(p2.start_ms, T0);
	/* another uid's reservation is not found, and stays */
	assert_int_equal(pt_registry_cancel(&r, 1001, p1.reservation, T0, false, T0, &released),
			 PT_ENOENT);
	assert_int_equal(pt_dio_count_between(&pt_registry_find(&r, 1000, "api")->dio, T0,
					      INT64_MAX), 1);
	assert_int_equal(pt_registry_list(&r, 1001, T0, &list, &n), PT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].res->uid, 1001);
	free(list);
	pt_registry_count(&r, 1000, T0, &resources, &reservations);
	assert_int_equal(resources, 1);
	assert_int_equal(reservations, 1);
	pt_registry_count(&r, 1002, T0, &resources, &reservations);
	assert_int_equal(resources + reservations, 0);
	pt_registry_release(&r);
}

static void test_release(void **state)
{
	pt_registry r;
	pt_placement p;
	size_t released;
	static const int64_t three[] = {0, 10000, 20000};
	pt_acquire a = req(5, "r", 1, 1000, three, 3);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	/* release from a future time keeps the earlier starts */
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, T0 + 15000, false, T0, &released),
			 PT_OK);
	assert_int_equal(released, 1);
	/* a from in the past counts from now: the start at T0 stays */
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, 0, false, T0 + 1, &released), PT_OK);
	assert_int_equal(released, 1);
	const pt_dio *d = &pt_registry_find(&r, 5, "r")->dio;
	assert_int_equal(d->count, 1);
	assert_int_equal(d->starts[0].at_ms, T0);
	/* nothing ahead any more: the reservation is gone */
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, 0, false, T0 + 2, &released),
			 PT_ENOENT);
	assert_int_equal(pt_registry_cancel(&r, 5, 999, 0, false, T0, &released), PT_ENOENT);
	/* the freed slot is used again */
	a = req(5, "r", 1, 1000, one, 1);
	assert_int_equal(pt_registry_acquire(&r, &a, T0 + 1, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 1020);
	pt_registry_release(&r);
}

/* A client that woke too late gives its past, unused start back, and may
 * then start at once instead of a window later. */
static void test_release_unused(void **state)
{
	pt_registry r;
	pt_placement p;
	size_t released;
	pt_acquire a = req(5, "r", 1, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(pt_registry_cancel(&r, 6, p.reservation, T0, true, T0 + 50, &released),
			 PT_ENOENT); /* not another uid's */
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, T0, true, T0 + 50, &released),
			 PT_OK);
	assert_int_equal(released, 1);
	assert_int_equal(pt_registry_acquire(&r, &a, T0 + 50, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 50);
	/* kept for a window after its last start, then gone */
	pt_registry_expire(&r, T0 + 50 + 1000);
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, T0 + 50, true, T0 + 1050,
					    &released), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0 + 1050, &p), PT_OK);
	pt_registry_expire(&r, T0 + 1050 + 1001);
	assert_int_equal(pt_registry_cancel(&r, 5, p.reservation, T0 + 1050, true, T0 + 2051,
					    &released), PT_ENOENT);
	pt_registry_release(&r);
}

static void test_set_limit(void **state)
{
	pt_registry r;
	pt_placement p;
	const pt_resource *res;
	pt_acquire a = req(9, "s", 1, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	/* set_limit creates the resource; the acquire then uses its limit */
	assert_int_equal(pt_registry_set_limit(&r, 9, "s", 3, 10000, &res), PT_OK);
	assert_int_equal(res->dio.guard_ms, 110);
	assert_string_equal(pt_limit_source_name(res->source), "set_limit");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
		assert_int_equal(p.start_ms, T0);
	}
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 10110);
	/* lowered: existing reservations stay, new ones obey */
	assert_int_equal(pt_registry_set_limit(&r, 9, "s", 1, 10000, &res), PT_OK);
	assert_int_equal(res->dio.count, 4);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 2 * 10110);
	assert_int_equal(pt_registry_set_limit(&r, 9, "s", 0, 10000, &res), PT_EINVAL);
	assert_int_equal(pt_registry_set_limit(&r, 9, "s", 1, 0, &res), PT_EINVAL);
	pt_registry_release(&r);
}

static void test_config_limits(void **state)
{
	pt_registry r;
	pt_placement p;
	const pt_resource *res;
	pt_config_limit limits[] = {
		{"api:external:*", 3, 10000, 0, 0},
		{"api:external:api.github.com", 5000, 3600000, 0, 0},
	};
	pt_acquire a = req(1, "api:external:example.com", 100, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	assert_int_equal(pt_registry_set_limit(&r, 1, "api:external:old", 9, 9000, &res), PT_OK);
	assert_int_equal(pt_registry_set_config(&r, limits, 2), PT_OK);
	/* an existing resource takes the config's limit */
	res = pt_registry_find(&r, 1, "api:external:old");
	assert_int_equal(res->dio.limit, 3);
	assert_int_equal(res->source, PT_LIMIT_CONFIG);
	/* a new one too, whatever its first acquire says; the exact entry wins */
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.limit, 3);
	assert_int_equal(p.window_ms, 10000);
	a.resource = "api:external:api.github.com";
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.limit, 5000);
	/* set_limit cannot override the config */
	assert_int_equal(pt_registry_set_limit(&r, 1, "api:external:new", 1, 1000, &res),
			 PT_EINVAL);
	assert_null(pt_registry_find(&r, 1, "api:external:new"));
	/* the entry gone (reload): the limit stays, as if set by set_limit */
	assert_int_equal(pt_registry_set_config(&r, NULL, 0), PT_OK);
	res = pt_registry_find(&r, 1, "api:external:old");
	assert_int_equal(res->dio.limit, 3);
	assert_int_equal(res->source, PT_LIMIT_SET_LIMIT);
	assert_int_equal(pt_registry_set_limit(&r, 1, "api:external:old", 1, 1000, &res), PT_OK);
	pt_registry_release(&r);
}

static void test_ttl_expiry(void **state)
{
	pt_registry r;
	pt_placement p;
	size_t released;
	static const int64_t three[] = {0, 5000, 10000};
	pt_acquire a = req(3, "t", 10, 10000, three, 3);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	a.ttl_ms = 2000;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.expires_ms, T0 + 2000);
	const pt_dio *d = &pt_registry_find(&r, 3, "t")->dio;
	pt_registry_expire(&r, T0 + 1999);
	assert_int_equal(d->count, 3);
	/* ttl over: the unused starts go, the reservation with them */
	pt_registry_expire(&r, T0 + 2000);
	assert_int_equal(d->count, 1);
	assert_int_equal(pt_registry_cancel(&r, 3, p.reservation, 0, false, T0 + 2000, &released),
			 PT_ENOENT);
	/* the past start ages out once older than W + g */
	pt_registry_expire(&r, T0 + 10110);
	assert_int_equal(d->count, 1);
	pt_registry_expire(&r, T0 + 10111);
	assert_int_equal(d->count, 0);
	/* default ttl: counted from the start, so a wait never eats it */
	a.ttl_ms = 0;
	a.not_before_ms = T0 + 3600000;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.expires_ms, T0 + 3600000 + 10000 + 10000 + PT_TTL_SLACK_MS);
	pt_registry_release(&r);
}

static void test_connection_close(void **state)
{
	pt_registry r;
	pt_placement p1, p2;
	pt_owner conn = {0}, other = {0};
	static const int64_t three[] = {0, 5000, 10000};
	pt_acquire a = req(4, "c", 10, 1000, three, 3);
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	a.owner = &conn;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p1), PT_OK);
	a.owner = &other;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p2), PT_OK);
	assert_true(pt_registry_owner_holds(&conn, T0 + 1));
	assert_false(pt_registry_owner_holds(&conn, T0 + 10001));
	/* closing at T0 + 1: the start at T0 stays, the two ahead go */
	assert_int_equal(pt_registry_owner_close(&r, &conn, T0 + 1), 2);
	assert_null(conn.first);
	const pt_dio *d = &pt_registry_find(&r, 4, "c")->dio;
	assert_int_equal(d->count, 4);
	/* a start at the very moment of the close is kept too */
	assert_int_equal(pt_registry_owner_close(&r, &other, T0 + 5000), 1);
	assert_int_equal(d->count, 3);
	/* detach (the daemon stops) keeps everything; the acquire at T0 + 20000
	 * has aged out the three old starts */
	a.owner = &conn;
	assert_int_equal(pt_registry_acquire(&r, &a, T0 + 20000, &p1), PT_OK);
	pt_registry_owner_detach(&r, &conn);
	assert_null(conn.first);
	assert_int_equal(d->count, 3);
	assert_int_equal(pt_registry_owner_close(&r, &conn, T0 + 20000), 0);
	pt_registry_release(&r);
}

/* ---- with a store ---- */

typedef struct fixture {
	char dir[64];
	char path[96];
} fixture;

static int setup_store(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/pt-test-registry-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown_store(void **state)
{
	fixture *f = *state;
	char p[128];
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static pt_store *open_store(const fixture *f)
{
	pt_store *s;
	char err[256];
	assert_int_equal(pt_store_open(f->path, &s, err, sizeof err), PT_OK);
	return s;
}

static void assert_same_state(const pt_registry *a, const pt_registry *b, uint32_t uid,
			      int64_t now)
{
	pt_resource_usage *la, *lb;
	size_t na, nb;
	assert_int_equal(pt_registry_list(a, uid, now, &la, &na), PT_OK);
	assert_int_equal(pt_registry_list(b, uid, now, &lb, &nb), PT_OK);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		const pt_dio *x = &la[i].res->dio, *y = &lb[i].res->dio;
		assert_string_equal(la[i].res->name, lb[i].res->name);
		assert_int_equal(la[i].res->source, lb[i].res->source);
		assert_int_equal(x->limit, y->limit);
		assert_int_equal(x->window_ms, y->window_ms);
		assert_int_equal(x->guard_ms, y->guard_ms);
		assert_int_equal(x->count, y->count);
		for (size_t j = 0; j < x->count; j++) {
			assert_int_equal(x->starts[j].at_ms, y->starts[j].at_ms);
			assert_int_equal(x->starts[j].reservation, y->starts[j].reservation);
		}
		assert_int_equal(la[i].next_free_ms, lb[i].next_free_ms);
	}
	free(la);
	free(lb);
}

static void fill(pt_registry *r, pt_owner *owner)
{
	static const int64_t offsets[] = {0, 600000, 1800000};
	const pt_resource *res;
	size_t released;
	pt_placement p;
	for (int i = 0; i < 40; i++) {
		pt_acquire a = req(1000 + (uint32_t)(i % 2), i % 3 ? "api" : "db", 3, 2000,
				   offsets, 1 + (size_t)(i % 3));
		a.owner = i % 5 ? NULL : owner;
		assert_int_equal(pt_registry_acquire(r, &a, T0 + i * 100, &p), PT_OK);
		if (i % 7 == 0)
			assert_int_equal(pt_registry_cancel(r, a.uid, p.reservation, T0 + 700000, false,
							     T0 + i * 100, &released), PT_OK);
	}
	assert_int_equal(pt_registry_set_limit(r, 1000, "lim", 7, 7000, &res), PT_OK);
}

static void test_restore(void **state)
{
	fixture *f = *state;
	pt_store *s1 = open_store(f), *s2;
	pt_registry r1, r2;
	pt_owner owner = {0};
	pt_placement p1, p2;
	char err[256];
	assert_int_equal(pt_registry_init(&r1, s1), PT_OK);
	fill(&r1, &owner);
	assert_true(pt_registry_dirty(&r1));
	assert_int_equal(pt_registry_commit(&r1), PT_OK);
	assert_false(pt_registry_dirty(&r1));
	/* the daemon stops (r1 goes on in memory), the next reads the file:
	 * the same state */
	pt_store_close(s1);
	r1.store = NULL;
	s2 = open_store(f);
	assert_int_equal(pt_registry_init(&r2, s2), PT_OK);
	assert_int_equal(pt_registry_restore(&r2, T0 + 4000, err, sizeof err), PT_OK);
	assert_int_equal(pt_registry_commit(&r2), PT_OK); /* its expiry wrote */
	pt_registry_expire(&r1, T0 + 4000);
	assert_int_equal(pt_registry_commit(&r1), PT_OK);
	assert_same_state(&r1, &r2, 1000, T0 + 4000);
	assert_same_state(&r1, &r2, 1001, T0 + 4000);
	/* and the same next placement, with ids never used before */
	static const int64_t two[] = {0, 3000};
	pt_acquire a = req(1000, "api", 3, 2000, two, 2);
	assert_int_equal(pt_registry_acquire(&r1, &a, T0 + 4000, &p1), PT_OK);
	assert_int_equal(pt_registry_acquire(&r2, &a, T0 + 4000, &p2), PT_OK);
	assert_int_equal(p1.start_ms, p2.start_ms);
	assert_int_equal(p1.reservation, 41);
	assert_true(p2.reservation > 40);
	pt_registry_owner_detach(&r1, &owner);
	pt_registry_commit(&r1);
	pt_registry_commit(&r2);
	pt_registry_release(&r1);
	pt_registry_release(&r2);
	pt_store_close(s2);
}

/* A resource created with a burst places by GCRA (10 per 1 s: T 100 ms,
 * bursts of 4, guard 20 ms), and a restarted daemon keeps its TAT. */
static void test_gcra_burst_survives_a_restart(void **state)
{
	fixture *f = *state;
	pt_store *s1 = open_store(f), *s2;
	pt_registry r1, r2;
	pt_placement p;
	size_t released;
	char err[256];
	pt_acquire a = req(1000, "burst", 10, 1000, one, 1);
	a.burst = 4;
	assert_int_equal(pt_registry_init(&r1, s1), PT_OK);
	int64_t expect[] = {0, 0, 0, 20, 120, 220};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(pt_registry_acquire(&r1, &a, T0, &p), PT_OK);
		assert_int_equal(p.start_ms, T0 + expect[i]);
		assert_int_equal(p.burst, 4);
	}
	/* the last start given back unused still counts for the bucket */
	assert_int_equal(pt_registry_cancel(&r1, 1000, p.reservation, T0, true, T0, &released),
			 PT_OK);
	assert_int_equal(released, 1);
	assert_int_equal(pt_registry_commit(&r1), PT_OK);
	pt_store_close(s1);
	r1.store = NULL;
	s2 = open_store(f);
	assert_int_equal(pt_registry_init(&r2, s2), PT_OK);
	assert_int_equal(pt_registry_restore(&r2, T0, err, sizeof err), PT_OK);
	a.burst = 0; /* the resource is GCRA already */
	assert_int_equal(pt_registry_acquire(&r1, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 320);
	assert_int_equal(pt_registry_acquire(&r2, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 320);
	pt_registry_commit(&r2);
	pt_registry_release(&r1);
	pt_registry_release(&r2);
	pt_store_close(s2);
}

/* A write the store refuses grants nothing: a trigger (made before the
 * daemon owns the file) refuses the start at T0 + 1020, and the rest of
 * that batch fails with it. */
static void test_refused_write_grants_nothing(void **state)
{
	fixture *f = *state;
	pt_store_close(open_store(f));
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON starts"
				      " WHEN NEW.at_ms = 1795430401020"
				      " BEGIN SELECT RAISE(ABORT, 'refused'); END",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	pt_store *s = open_store(f);
	pt_registry r;
	pt_placement p;
	const pt_resource *res;
	pt_acquire a = req(1, "u", 1, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, s), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(pt_registry_commit(&r), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_EIO);
	assert_int_equal(pt_registry_set_limit(&r, 1, "u", 5, 5000, &res), PT_EIO);
	assert_int_equal(pt_registry_acquire(&r, &(pt_acquire){.uid = 1, .resource = "new",
			 .limit = 1, .window_ms = 1000, .offsets = one, .k = 1, .max_wait_ms = -1},
			 T0, &p), PT_EIO);
	assert_int_equal(pt_registry_commit(&r), PT_EIO);
	res = pt_registry_find(&r, 1, "u");
	assert_int_equal(res->dio.count, 1);
	assert_int_equal(res->dio.limit, 1);
	assert_null(pt_registry_find(&r, 1, "new"));
	/* the next batch works, and the refused grant's slot is free */
	a.not_before_ms = T0 + 1021;
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 1021);
	assert_int_equal(pt_registry_commit(&r), PT_OK);
	pt_registry_release(&r);
	pt_store_close(s);
}

/* A batch whose commit fails takes back every grant and limit it held.
 * SQLite is made to run out of memory (a heap limit) inside the batch. */
static void test_failed_commit_undoes_the_batch(void **state)
{
	fixture *f = *state;
	pt_store *s = open_store(f);
	pt_registry r;
	pt_placement p;
	const pt_resource *res;
	static const int64_t two[] = {0, 5000};
	pt_acquire a = req(1, "u", 1, 1000, one, 1);
	assert_int_equal(pt_registry_init(&r, s), PT_OK);
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(pt_registry_commit(&r), PT_OK);
	/* the batch holds a grant, a new resource and a limit change... */
	assert_int_equal(pt_registry_acquire(&r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 1020);
	pt_acquire b = req(1, "v", 1, 1000, two, 2);
	assert_int_equal(pt_registry_acquire(&r, &b, T0, &p), PT_OK);
	assert_int_equal(pt_registry_set_limit(&r, 1, "u", 5, 5000, &res), PT_OK);
	/* ...and then a write fails */
	sqlite3_hard_heap_limit64(sqlite3_memory_used());
	for (int i = 0; i < 100 && pt_registry_acquire(&r, &b, T0, &p) == PT_OK; i++)
		;
	int rc = pt_registry_commit(&r);
	sqlite3_hard_heap_limit64(0);
	assert_int_equal(rc, PT_EIO);
	res = pt_registry_find(&r, 1, "u");
	assert_int_equal(res->dio.count, 1);
	assert_int_equal(res->dio.limit, 1);
	assert_int_equal(res->dio.window_ms, 1000);
	assert_int_equal(res->source, PT_LIMIT_ACQUIRE);
	assert_int_equal(pt_registry_find(&r, 1, "v")->dio.count, 0);
	/* memory and file agree again: the next batch stores "v" anew */
	assert_int_equal(pt_registry_acquire(&r, &b, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0);
	assert_int_equal(pt_registry_commit(&r), PT_OK);
	pt_registry_release(&r);
	pt_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_acquire_sets_the_limit),
		cmocka_unit_test(test_acquire_matches_the_scheduler),
		cmocka_unit_test(test_infeasible_and_wait_too_long),
		cmocka_unit_test(test_uid_isolation),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_release_unused),
		cmocka_unit_test(test_set_limit),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_connection_close),
		cmocka_unit_test_setup_teardown(test_restore, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_gcra_burst_survives_a_restart, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_refused_write_grants_nothing, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_failed_commit_undoes_the_batch, setup_store,
						teardown_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
