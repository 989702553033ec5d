/* The lease table: at most N held per (uid, resource), waiters granted FIFO
 * as leases free (given back, owner closed, holder's pid gone), deadlines,
 * and pools forgotten only when idle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"

static pt_lease_table t;
static pt_lease *granted[16];
static size_t n_granted, n_expired;
static uint64_t expired_ids[16];

static void on_granted(void *ctx, pt_lease *l)
{
	(void)ctx;
	granted[n_granted++] = l;
}

static void on_expired(void *ctx, pt_lease *l)
{
	(void)ctx;
	expired_ids[n_expired++] = l->id; /* l is freed next */
}

static int setup(void **state)
{
	(void)state;
	n_granted = n_expired = 0;
	pt_lease_table_init(&t, on_granted, on_expired, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pt_lease_table_release(&t);
	return 0;
}

static pt_lease *take(pt_lease_owner *o, const char *res, int64_t n, int64_t deadline)
{
	pt_lease *l = NULL;
	pt_lease_ask a = {.uid = 1, .resource = res, .limit = n, .owner = o, .now_ms = 100,
			  .deadline_ms = deadline};
	assert_int_equal(pt_lease_take(&t, &a, &l), PT_OK);
	return l;
}

static void test_limit_and_fifo(void **state)
{
	(void)state;
	pt_lease_owner a = {0}, b = {0}, c = {0}, d = {0};
	pt_lease *la = take(&a, "r", 2, 0), *lb = take(&b, "r", 9, 0);
	pt_lease *lc = take(&c, "r", 2, 0), *ld = take(&d, "r", 2, 0);
	assert_true(la->granted && lb->granted);
	assert_false(lc->granted || ld->granted);
	const pt_lease_pool *p = pt_lease_find(&t, 1, "r");
	assert_int_equal(p->limit, 2); /* the first request's N */
	assert_int_equal(p->n_held, 2);
	assert_int_equal(p->n_waiting, 2);
	assert_int_equal(pt_lease_give_back(&t, &b, la->id), PT_ENOENT); /* not b's */
	assert_int_equal(pt_lease_give_back(&t, &a, la->id), PT_OK);
	assert_int_equal(n_granted, 1);
	assert_ptr_equal(granted[0], lc); /* first come, first served */
	pt_lease_owner_close(&t, &b);
	assert_int_equal(n_granted, 2);
	assert_ptr_equal(granted[1], ld);
	assert_int_equal(p->n_held, 2);
	assert_int_equal(p->n_waiting, 0);
	assert_null(pt_lease_find(&t, 2, "r")); /* another uid: another pool */
}

static void test_waiter_leaves(void **state)
{
	(void)state;
	pt_lease_owner a = {0}, b = {0}, c = {0};
	take(&a, "r", 1, 0);
	take(&b, "r", 1, 0);
	pt_lease *lc = take(&c, "r", 1, 0);
	pt_lease_owner_close(&t, &b); /* a waiter that closed leaves the queue */
	assert_int_equal(n_granted, 0);
	pt_lease_owner_close(&t, &a);
	assert_int_equal(n_granted, 1);
	assert_ptr_equal(granted[0], lc);
	assert_int_equal(b.n, 0);
}

static bool pid_odd_alive(pid_t pid)
{
	return pid % 2 == 1;
}

static void test_reap_dead_pids(void **state)
{
	(void)state;
	pt_lease_owner dead = {.pid = 42}, alive = {.pid = 43}, waiter = {.pid = 45};
	take(&dead, "r", 2, 0);
	take(&alive, "r", 2, 0);
	take(&waiter, "r", 2, 0);
	assert_int_equal(pt_lease_reap(&t, pid_odd_alive), 1);
	assert_int_equal(n_granted, 1);
	assert_ptr_equal(granted[0]->owner, &waiter);
	assert_int_equal(dead.n, 0);
}

static void test_deadlines_and_idle_pools(void **state)
{
	(void)state;
	pt_lease_owner a = {0}, b = {0}, c = {0};
	take(&a, "r", 1, 0);
	pt_lease *lb = take(&b, "r", 1, 500), *lc = take(&c, "r", 1, 300);
	uint64_t b_id = lb->id, c_id = lc->id;
	assert_int_equal(pt_lease_next_deadline(&t), 300);
	pt_lease_expire(&t, 299);
	assert_int_equal(n_expired, 0);
	pt_lease_expire(&t, 300);
	assert_int_equal(n_expired, 1);
	assert_int_equal(expired_ids[0], c_id);
	assert_int_equal(pt_lease_next_deadline(&t), 500);
	pt_lease_expire(&t, 1000);
	assert_int_equal(expired_ids[1], b_id);
	assert_int_equal(pt_lease_next_deadline(&t), 0);
	pt_lease_forget_idle(&t);
	assert_non_null(pt_lease_find(&t, 1, "r")); /* a still holds */
	pt_lease_owner_close(&t, &a);
	pt_lease_forget_idle(&t);
	assert_null(pt_lease_find(&t, 1, "r"));
	take(&a, "r", 5, 0); /* a new pool: a new limit */
	assert_int_equal(pt_lease_find(&t, 1, "r")->limit, 5);
}

static void test_config_and_bounds(void **state)
{
	(void)state;
	pt_lease_owner a = {0};
	pt_lease *l = NULL;
	pt_lease_ask ask = {.uid = 1, .resource = "c", .limit = 9, .config_limit = 3, .owner = &a};
	assert_int_equal(pt_lease_take(&t, &ask, &l), PT_OK);
	assert_int_equal(l->pool->limit, 3);
	assert_true(l->pool->from_config);
	a.n = PT_LEASES_PER_CONN_MAX;
	assert_int_equal(pt_lease_take(&t, &ask, &l), PT_ERANGE);
	a.n = 1;
	pt_lease_owner_close(&t, &a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limit_and_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiter_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_dead_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_and_idle_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
