/* Unit tests of the host's shared starts (src/lib/host_starts.c and its
 * file): the bytes round trip, a new entry waits out the last daemon's
 * horizon and takes its share, placement and expiry, the file's lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "patience/error.h"
#include "patience/host_starts.h"

#define NOW INT64_C(1800000000000)

static const int64_t one[] = {0};

static void empty_bytes_are_an_empty_file(void **state)
{
	pt_host_starts s;
	(void)state;
	assert_int_equal(pt_host_starts_parse(NULL, 0, &s), PT_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.share_of, 1);
	assert_int_equal(pt_host_starts_parse((const unsigned char *)"junk", 4, &s), PT_EINVAL);
	assert_int_equal(s.n, 0);
}

static void bytes_round_trip(void **state)
{
	pt_host_starts s = {.share_of = 1}, back;
	unsigned char *buf, *again;
	size_t len, len2;
	(void)state;
	pt_host_entry *e = pt_host_starts_entry(&s, "api:x", 10, 1000, 20, 0, NOW);
	assert_non_null(e);
	assert_int_equal(pt_host_entry_reserve(e, 7, NOW, one, 1), PT_OK);
	pt_host_entry *g = pt_host_starts_entry(&s, "api:burst", 10, 1000, 20, 5, NOW);
	assert_int_equal(pt_host_entry_reserve(g, 8, NOW, one, 1), PT_OK);
	s.daemon_pid = 99;
	s.horizon_ms = NOW - 5000;
	assert_int_equal(pt_host_starts_format(&s, &buf, &len), PT_OK);
	assert_int_equal(pt_host_starts_parse(buf, len, &back), PT_OK);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.daemon_pid, 99);
	assert_string_equal(back.entries[0].name, "api:x");
	assert_int_equal(back.entries[0].dio.count, 1);
	assert_int_equal(back.entries[0].dio.starts[0].reservation, 7);
	assert_true(back.entries[1].gcra.has_tat);
	assert_int_equal(pt_host_starts_format(&back, &again, &len2), PT_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);
	free(buf);
	free(again);
	pt_host_starts_release(&back);
	pt_host_starts_release(&s);
}

static void truncated_bytes_are_refused(void **state)
{
	pt_host_starts s = {.share_of = 1}, back;
	unsigned char *buf;
	size_t len;
	(void)state;
	pt_host_entry *e = pt_host_starts_entry(&s, "r", 3, 1000, 20, 0, NOW);
	assert_int_equal(pt_host_entry_reserve(e, 1, NOW, one, 1), PT_OK);
	assert_int_equal(pt_host_starts_format(&s, &buf, &len), PT_OK);
	for (size_t cut = 1; cut < len; cut++) {
		assert_int_equal(pt_host_starts_parse(buf, cut, &back), PT_EINVAL);
		assert_int_equal(back.n, 0);
		assert_null(back.entries);
	}
	free(buf);
	pt_host_starts_release(&s);
}

/* A resource entered while the last daemon's grants may still count waits
 * until they have left its window; a Redis daemon's share divides it. */
static void a_new_entry_waits_out_the_horizon(void **state)
{
	pt_host_starts s = {.share_of = 4, .horizon_ms = NOW + 100};
	int64_t base;
	(void)state;
	pt_host_entry *e = pt_host_starts_entry(&s, "a", 40, 1000, 20, 0, NOW);
	assert_int_equal(e->dio.limit, 10);
	assert_int_equal(e->not_before_ms, NOW + 100 + 1020);
	assert_int_equal(pt_host_entry_find(e, NOW, one, 1, &base), PT_OK);
	assert_int_equal(base, NOW + 1120);
	/* a horizon long gone does not count */
	s.horizon_ms = NOW - 5000;
	pt_host_entry *f = pt_host_starts_entry(&s, "b", 2, 1000, 20, 0, NOW);
	assert_int_equal(f->not_before_ms, 0);
	assert_int_equal(f->dio.limit, 1); /* 2 / 4, at least 1 */
	/* an entry that exists keeps its limit */
	assert_ptr_equal(pt_host_starts_entry(&s, "b", 99, 1000, 20, 0, NOW), f);
	pt_host_starts_release(&s);
}

static int none_alive(uint64_t id)
{
	(void)id;
	return 0;
}

static void placement_and_expiry(void **state)
{
	pt_host_starts s = {.share_of = 1};
	int64_t base;
	(void)state;
	pt_host_entry *e = pt_host_starts_entry(&s, "a", 2, 1000, 20, 0, NOW);
	assert_int_equal(pt_host_entry_reserve(e, 1, NOW, one, 1), PT_OK);
	assert_int_equal(pt_host_entry_reserve(e, 2, NOW + 10, one, 1), PT_OK);
	assert_int_equal(pt_host_entry_find(e, NOW, one, 1, &base), PT_OK);
	assert_int_equal(base, NOW + 1020);
	assert_int_equal(pt_host_entry_reserve(e, 3, NOW + 5000, one, 1), PT_OK);
	/* the dead's starts far ahead go; near ones may have been made */
	pt_host_starts_expire(&s, NOW + 20, none_alive);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.entries[0].dio.count, 2);
	/* once nothing counts, the entry goes */
	pt_host_starts_expire(&s, NOW + 2000, NULL);
	assert_int_equal(s.n, 0);
	pt_host_starts_release(&s);
}

/* The file: created private, saved and read back; a lock held elsewhere
 * (as a running daemon holds it) is PT_EBUSY. */
static void the_file_and_its_lock(void **state)
{
	char dir[] = "/tmp/test_host_starts.XXXXXX", sock[128];
	pt_host_file f, g;
	char err[256];
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/run/daemon.sock", dir);
	assert_int_equal(pt_host_file_open(&f, sock, 0, err, sizeof err), PT_OK);
	assert_non_null(pt_host_starts_entry(&f.s, "a", 5, 1000, 20, 0, NOW));
	assert_int_equal(pt_host_file_save(&f, NOW), PT_OK);
	assert_int_equal(pt_host_file_open(&g, sock, 20, err, sizeof err), PT_EBUSY);
	assert_non_null(strstr(err, "daemon.sock.starts"));
	pt_host_file_close(&f);
	assert_int_equal(pt_host_file_open(&g, sock, 0, err, sizeof err), PT_OK);
	assert_int_equal(g.s.n, 0); /* an entry with nothing in it is not kept */
	pt_host_file_close(&g);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_bytes_are_an_empty_file),
		cmocka_unit_test(bytes_round_trip),
		cmocka_unit_test(truncated_bytes_are_refused),
		cmocka_unit_test(a_new_entry_waits_out_the_horizon),
		cmocka_unit_test(placement_and_expiry),
		cmocka_unit_test(the_file_and_its_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
