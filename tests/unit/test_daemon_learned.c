/* Unit tests of learned limits and waits (src/daemon/learned.c) on a
 * registry without a store: a wait holds every later start back and only
 * grows; a learned limit replaces the resource's until it expires, then the
 * old one comes back; a config limit is never replaced; an unknown resource
 * needs a fallback limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"

#define T0 INT64_C(1795430400000)

static const int64_t one[] = {0};

static pt_acquire req(const char *name)
{
	return (pt_acquire){.uid = 7, .resource = name, .limit = 5, .window_ms = 1000,
			    .offsets = one, .k = 1, .max_wait_ms = -1};
}

static int setup(void **state)
{
	static pt_registry r;
	assert_int_equal(pt_registry_init(&r, NULL), PT_OK);
	*state = &r;
	return 0;
}

static int teardown(void **state)
{
	pt_registry_release(*state);
	return 0;
}

static void a_wait_holds_every_start_back(void **state)
{
	pt_registry *r = *state;
	pt_placement p;
	pt_resource *res;
	pt_acquire a = req("api");
	assert_int_equal(pt_registry_acquire(r, &a, T0, &p), PT_OK);
	assert_int_equal(p.start_ms, T0);
	pt_learn l = {.uid = 7, .resource = "api", .blocked_until_ms = T0 + 30000,
		      .from = "Retry-After"};
	assert_int_equal(pt_learn_apply(r, &l, T0 + 1, &res), PT_OK);
	assert_int_equal(pt_registry_acquire(r, &a, T0 + 2, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 30000);
	/* an older, shorter report does not shorten it */
	l.blocked_until_ms = T0 + 5000;
	assert_int_equal(pt_learn_apply(r, &l, T0 + 3, &res), PT_OK);
	assert_int_equal(res->blocked_until_ms, T0 + 30000);
	/* another uid's resource of that name is not touched */
	pt_acquire other = req("api");
	other.uid = 8;
	assert_int_equal(pt_registry_acquire(r, &other, T0 + 4, &p), PT_OK);
	assert_int_equal(p.start_ms, T0 + 4);
}

static void a_learned_limit_expires_back_to_the_old(void **state)
{
	pt_registry *r = *state;
	pt_placement p;
	pt_resource *res;
	pt_acquire a = req("gh");
	assert_int_equal(pt_registry_acquire(r, &a, T0, &p), PT_OK);
	pt_learn l = {.uid = 7, .resource = "gh", .limit = 1, .window_ms = 60000,
		      .expires_ms = T0 + 10000, .from = "X-RateLimit-* headers"};
	assert_int_equal(pt_learn_apply(r, &l, T0, &res), PT_OK);
	assert_int_equal(res->source, PT_LIMIT_LEARNED);
	assert_int_equal(res->dio.limit, 1);
	assert_string_equal(res->learned->from, "X-RateLimit-* headers");
	/* one start per minute now: the next waits for the first to leave */
	assert_int_equal(pt_registry_acquire(r, &a, T0 + 1, &p), PT_OK);
	assert_true(p.start_ms >= T0 + 60000);
	/* learned again before it expires: what it replaced is still 5 per 1 s */
	l.limit = 2;
	assert_int_equal(pt_learn_apply(r, &l, T0 + 2, &res), PT_OK);
	pt_learn_expire(r, T0 + 9999);
	assert_int_equal(res->dio.limit, 2);
	pt_learn_expire(r, T0 + 10000);
	assert_null(res->learned);
	assert_int_equal(res->dio.limit, 5);
	assert_int_equal(res->dio.window_ms, 1000);
	assert_int_equal(res->source, PT_LIMIT_ACQUIRE);
}

static void config_wins_but_the_wait_applies(void **state)
{
	pt_registry *r = *state;
	pt_resource *res;
	pt_placement p;
	pt_config_limit c = {.pattern = "api:external:*", .limit = 3, .window_ms = 1000};
	assert_int_equal(pt_registry_set_config(r, &c, 1), PT_OK);
	pt_acquire a = req("api:external:x");
	assert_int_equal(pt_registry_acquire(r, &a, T0, &p), PT_OK);
	pt_learn l = {.uid = 7, .resource = "api:external:x", .limit = 100, .window_ms = 1000,
		      .blocked_until_ms = T0 + 500};
	assert_int_equal(pt_learn_apply(r, &l, T0, &res), PT_EINVAL);
	assert_int_equal(res->dio.limit, 3);
	assert_int_equal(res->blocked_until_ms, T0 + 500);
}

static void an_unknown_resource_needs_a_fallback(void **state)
{
	pt_registry *r = *state;
	pt_resource *res;
	pt_learn l = {.uid = 7, .resource = "new", .blocked_until_ms = T0 + 500};
	assert_int_equal(pt_learn_apply(r, &l, T0, &res), PT_ENOENT);
	assert_null(pt_registry_find(r, 7, "new"));
	l.create_limit = 10;
	l.create_window_ms = 2000;
	assert_int_equal(pt_learn_apply(r, &l, T0, &res), PT_OK);
	assert_int_equal(res->dio.limit, 10);
	assert_int_equal(res->blocked_until_ms, T0 + 500);
	/* a learned limit creates it without a fallback */
	pt_learn lim = {.uid = 7, .resource = "new2", .limit = 4, .window_ms = 1000};
	assert_int_equal(pt_learn_apply(r, &lim, T0, &res), PT_OK);
	assert_int_equal(res->dio.limit, 4);
	assert_non_null(res->learned);
	assert_int_equal(res->learned->expires_ms, T0 + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_wait_holds_every_start_back, setup, teardown),
		cmocka_unit_test_setup_teardown(a_learned_limit_expires_back_to_the_old, setup,
						teardown),
		cmocka_unit_test_setup_teardown(config_wins_but_the_wait_applies, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unknown_resource_needs_a_fallback, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
