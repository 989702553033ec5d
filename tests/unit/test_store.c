/* The daemon's SQLite store on a real file: schema, round trips, release
 * and expiry rules, batches, a crash mid-run, and files it cannot use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/daemon.h"
#include "daemon/store.h"
#include "patience/error.h"

typedef struct fixture {
	char dir[64];
	char path[128];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/pt-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static pt_store *open_ok(const fixture *f)
{
	pt_store *s = NULL;
	char err[512] = "";
	int rc = pt_store_open(f->path, &s, err, sizeof err);
	if (rc)
		fail_msg("open: %s", err);
	assert_non_null(s);
	return s;
}

/* A second connection, to look at the file the way sqlite3(1) would. */
static sqlite3 *raw_open(const fixture *f)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	return db;
}

static sqlite3_int64 raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_int64 v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void raw_exec(const fixture *f, const char *sql)
{
	sqlite3 *db = raw_open(f);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* What pt_store_load handed out, copied. */
typedef struct loaded {
	int nres, nst;
	struct {
		pt_store_resource r;
		char name[64], source[32];
	} res[16];
	struct {
		pt_store_start s;
		char resource[64];
	} st[64];
} loaded;

static int on_resource(void *ctx, const pt_store_resource *r)
{
	loaded *l = ctx;
	assert_int_equal(l->nst, 0); /* resources come first */
	assert_true(l->nres < 16);
	l->res[l->nres].r = *r;
	snprintf(l->res[l->nres].name, sizeof l->res[0].name, "%s", r->name);
	snprintf(l->res[l->nres].source, sizeof l->res[0].source, "%s", r->source);
	l->nres++;
	return 0;
}

static int on_start(void *ctx, const pt_store_start *st)
{
	loaded *l = ctx;
	assert_true(l->nst < 64);
	if (l->nst)
		assert_true(st->at_ms >= l->st[l->nst - 1].s.at_ms);
	l->st[l->nst].s = *st;
	snprintf(l->st[l->nst].resource, sizeof l->st[0].resource, "%s", st->resource);
	l->nst++;
	return 0;
}

static loaded *load(pt_store *s)
{
	static loaded l;
	memset(&l, 0, sizeof l);
	assert_int_equal(pt_store_load(s, on_resource, on_start, &l), PT_OK);
	return &l;
}

static void put(pt_store *s, uint64_t id, const char *res, int64_t base, int64_t expires)
{
	static const int64_t offsets[] = {0, 100, 200, 300};
	assert_int_equal(pt_store_put_reservation(s, id, 1000, res, base, offsets, 4, expires),
			 PT_OK);
}

static void test_open_creates_schema(void **state)
{
	fixture *f = *state;
	pt_store_close(open_ok(f));
	sqlite3 *db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 5);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				     " AND name IN ('resources', 'starts', 'meta', 'memos',"
				     " 'executions', 'execution_counts')"), 6);
	/* one index besides the key: each commit writes few pages */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
				     " AND tbl_name = 'starts'"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_journal_mode"
				     " WHERE journal_mode = 'wal'"), 1);
	/* release finds the key, expiry and load the index */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('starts')"
				     " WHERE pk > 0"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_index_info('starts_at')"), 1);
	sqlite3_close(db);
}

static void test_reopen_keeps_data(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_resource r = {1000, "api", 5, 1000, 20, "acquire", 0, INT64_MIN};
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_put_resource(s, &r), PT_OK);
	put(s, 1, "api", 5000, 9000);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_close(s);

	s = open_ok(f); /* the schema is not created twice */
	pt_store_close(s);
	s = open_ok(f);
	loaded *l = load(s);
	assert_int_equal(l->nres, 1);
	assert_int_equal(l->nst, 4);
	pt_store_close(s);
}

/* Memos survive a reopen; the newest comes first in the table, a row that
 * breaks a bound (written by hand) is skipped. */
static void test_memos(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_memo_table t = {0};
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_put_memo(s, &(pt_store_memo){1000, "api", "adaptive", "a1:1s", 5}),
			 PT_OK);
	assert_int_equal(pt_store_put_memo(s, &(pt_store_memo){1000, "db", "adaptive", "a1:2f", 6}),
			 PT_OK);
	assert_int_equal(pt_store_put_memo(s, &(pt_store_memo){1000, "api", "adaptive", "a1:3s", 7}),
			 PT_OK); /* replaces */
	assert_int_equal(pt_store_put_memo(s, &(pt_store_memo){1000, NULL, "k", "v", 7}), PT_EINVAL);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_close(s);
	raw_exec(f, "INSERT INTO memos VALUES(1000, 'x', '123456789012345678901234567890123', 'v', 1)");
	s = open_ok(f);
	assert_int_equal(pt_memo_restore(&t, s), PT_OK);
	assert_int_equal(pt_memo_count(&t, 1000), 2);
	assert_string_equal(pt_memo_get(&t, 1000, "api", "adaptive")->value, "a1:3s");
	assert_int_equal(pt_memo_get(&t, 1000, "api", "adaptive")->updated_ms, 7);
	assert_string_equal(t.first->resource, "api"); /* the newest */
	pt_memo_release(&t);
	pt_store_close(s);
}

static void test_round_trip(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_resource a = {1001, "db:postgres:prod", 100, 60000, 610, "config", 0, INT64_MIN};
	pt_store_resource b = {1000, "api.github.com", 5000, 3600000, 36010, "set_limit", 0, INT64_MIN};
	pt_store_resource b2 = {1000, "api.github.com", 20, 2000, 30, "acquire", 0, INT64_MIN};
	int64_t offs[] = {0, 600000, 1800000};
	int64_t late[] = {-5, 7};
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_put_resource(s, &a), PT_OK);
	assert_int_equal(pt_store_put_resource(s, &b), PT_OK);
	assert_int_equal(pt_store_put_resource(s, &b2), PT_OK); /* replaces b */
	assert_int_equal(pt_store_put_reservation(s, 17, 1000, "api.github.com",
						  1795430400123, offs, 3, 1795434000000), PT_OK);
	assert_int_equal(pt_store_put_reservation(s, UINT64_C(9007199254740993), 1001,
						  "db:postgres:prod", 1795430400200, late, 2, -1),
			 PT_OK);
	assert_int_equal(pt_store_put_reservation(s, 18, 1000, "x", 1, NULL, 0, 2), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);

	loaded *l = load(s);
	assert_int_equal(l->nres, 2);
	assert_int_equal(l->res[0].r.uid, 1000); /* ordered by uid, name */
	assert_string_equal(l->res[0].name, "api.github.com");
	assert_int_equal(l->res[0].r.limit, 20);
	assert_int_equal(l->res[0].r.window_ms, 2000);
	assert_int_equal(l->res[0].r.guard_ms, 30);
	assert_string_equal(l->res[0].source, "acquire");
	assert_int_equal(l->res[1].r.uid, 1001);
	assert_string_equal(l->res[1].name, "db:postgres:prod");
	assert_int_equal(l->res[1].r.limit, 100);
	assert_int_equal(l->res[1].r.window_ms, 60000);
	assert_int_equal(l->res[1].r.guard_ms, 610);
	assert_string_equal(l->res[1].source, "config");

	int64_t want_at[] = {1795430400123, 1795430400195, 1795430400207, 1795431000123,
			     1795432200123};
	assert_int_equal(l->nst, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(l->st[i].s.at_ms, want_at[i]);
	assert_int_equal(l->st[0].s.reservation, 17);
	assert_int_equal(l->st[0].s.uid, 1000);
	assert_string_equal(l->st[0].resource, "api.github.com");
	assert_int_equal(l->st[0].s.expires_ms, 1795434000000);
	assert_int_equal(l->st[1].s.reservation, UINT64_C(9007199254740993));
	assert_int_equal(l->st[1].s.uid, 1001);
	assert_string_equal(l->st[1].resource, "db:postgres:prod");
	assert_int_equal(l->st[1].s.expires_ms, -1);
	pt_store_close(s);
}

static int stop_at_second(void *ctx, const pt_store_start *st)
{
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_load_stops(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 0, 10);
	assert_int_equal(pt_store_commit(s), PT_OK);
	int seen = 0;
	assert_int_equal(pt_store_load(s, NULL, stop_at_second, &seen), 42);
	assert_int_equal(seen, 2);
	assert_int_equal(pt_store_load(s, NULL, NULL, NULL), PT_OK); /* statements were reset */
	pt_store_close(s);
}

static void test_release_from(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 99999);
	put(s, 2, "api", 1000, 99999);
	assert_int_equal(pt_store_release(s, 1, 1200), PT_OK); /* 1200 itself goes */
	assert_int_equal(pt_store_release(s, 3, 0), PT_OK);    /* unknown: nothing */
	assert_int_equal(pt_store_release(s, UINT64_MAX, 0), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);
	loaded *l = load(s);
	assert_int_equal(l->nst, 6);
	int ones = 0;
	for (int i = 0; i < l->nst; i++) {
		if (l->st[i].s.reservation == 1) {
			assert_true(l->st[i].s.at_ms < 1200);
			ones++;
		}
	}
	assert_int_equal(ones, 2);
	pt_store_close(s);
}

static void test_expire(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 99999); /* 1000 is before 1100: it goes */
	put(s, 2, "api", 5000, 5000);  /* TTL ended at now: 5000 on go */
	put(s, 3, "api", 5000, 5001);  /* TTL not yet ended: all stay */
	put(s, 4, "api", 4850, 4000);  /* TTL ended: 4850, 4950 are past and stay */
	assert_int_equal(pt_store_expire(s, 1100, 5000), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);

	loaded *l = load(s);
	int per[5] = {0};
	for (int i = 0; i < l->nst; i++) {
		int id = (int)l->st[i].s.reservation;
		per[id]++;
		if (id == 1)
			assert_true(l->st[i].s.at_ms >= 1100);
		if (id == 4)
			assert_true(l->st[i].s.at_ms < 5000);
	}
	assert_int_equal(per[1], 3);
	assert_int_equal(per[2], 0);
	assert_int_equal(per[3], 4);
	assert_int_equal(per[4], 2);
	pt_store_close(s);
}

static void test_max_reservation(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	uint64_t max = 99;
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	assert_int_equal(max, 0);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 5, "api", 1000, 2000);
	put(s, 9, "api", 1000, 2000);
	put(s, 7, "api", 1000, 2000);
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK); /* sees its own batch */
	assert_int_equal(max, 9);
	assert_int_equal(pt_store_commit(s), PT_OK);

	/* The starts of 9 are gone; its id must still never come back. */
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_release(s, 9, 0), PT_OK);
	assert_int_equal(pt_store_expire(s, INT64_MAX, 0), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_close(s);
	s = open_ok(f);
	assert_int_equal(load(s)->nst, 0);
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	uint64_t bound = max;
	assert_true(bound >= 9);

	/* A rolled-back id changes nothing; one past the bound raises it. */
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, bound + 20, "api", 1000, 2000);
	pt_store_rollback(s);
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	assert_int_equal(max, bound);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, bound + 20, "api", 1000, 2000);
	assert_int_equal(pt_store_release(s, bound + 20, 0), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	assert_true(max >= bound + 20);
	pt_store_close(s);
}

static void test_rollback_discards(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_resource r = {1000, "api", 5, 1000, 20, "acquire", 0, INT64_MIN};
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_put_resource(s, &r), PT_OK);
	put(s, 1, "api", 1000, 2000);
	pt_store_rollback(s);
	loaded *l = load(s);
	assert_int_equal(l->nres, 0);
	assert_int_equal(l->nst, 0);
	pt_store_rollback(s); /* no batch: nothing to do */

	/* begin twice is one batch; one commit ends it */
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 2000);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 2, "api", 1000, 2000);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_rollback(s);
	assert_int_equal(load(s)->nst, 8);
	pt_store_close(s);
}

static void test_writes_need_a_batch(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_resource r = {1000, "api", 5, 1000, 20, "acquire", 0, INT64_MIN};
	int64_t zero = 0;
	assert_int_equal(pt_store_put_resource(s, &r), PT_EINVAL);
	assert_int_equal(pt_store_put_reservation(s, 1, 1000, "api", 0, &zero, 1, 1), PT_EINVAL);
	assert_int_equal(pt_store_release(s, 1, 0), PT_EINVAL);
	assert_int_equal(pt_store_expire(s, 0, 0), PT_EINVAL);
	assert_int_equal(pt_store_commit(s), PT_OK); /* nothing to commit */
	loaded *l = load(s);
	assert_int_equal(l->nres + l->nst, 0);
	pt_store_close(s);
}

/* Bad arguments are refused before anything is written: the batch goes on. */
static void test_bad_arguments(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_resource noname = {1000, NULL, 5, 1000, 20, "acquire", 0, INT64_MIN};
	int64_t offs[] = {0, INT64_MAX};
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 2000);
	assert_int_equal(pt_store_put_resource(s, &noname), PT_EINVAL);
	assert_int_equal(pt_store_put_reservation(s, 2, 1000, NULL, 0, offs, 1, 1), PT_EINVAL);
	assert_int_equal(pt_store_put_reservation(s, 2, 1000, "api", 0, NULL, 1, 1), PT_EINVAL);
	assert_int_equal(pt_store_put_reservation(s, 2, 1000, "api", 1, offs, 2, 1), PT_ERANGE);
	assert_int_equal(pt_store_put_reservation(s, (uint64_t)INT64_MAX + 1, 1000, "api", 0,
						  offs, 1, 1), PT_ERANGE);
	assert_int_equal(pt_store_commit(s), PT_OK);
	assert_int_equal(load(s)->nst, 4);
	pt_store_close(s);
}

/* A write SQLite refuses spoils the batch: nothing of it is kept. */
static void test_failed_write_spoils_batch(void **state)
{
	fixture *f = *state;
	pt_store_close(open_ok(f));
	raw_exec(f, "CREATE TRIGGER boom BEFORE INSERT ON starts WHEN NEW.resource = 'boom'"
		    " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 2000);
	int64_t zero = 0;
	assert_int_equal(pt_store_put_reservation(s, 2, 1000, "boom", 0, &zero, 1, 1), PT_EIO);
	assert_int_equal(pt_store_put_reservation(s, 3, 1000, "api", 0, &zero, 1, 1), PT_EIO);
	assert_int_equal(pt_store_commit(s), PT_EIO);
	assert_int_equal(load(s)->nst, 0);
	uint64_t max;
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	assert_int_equal(max, 0);

	/* the next batch starts clean */
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 4, "api", 1000, 2000);
	assert_int_equal(pt_store_commit(s), PT_OK);
	assert_int_equal(load(s)->nst, 4);
	pt_store_close(s);
}

/* The daemon owns its file: while the store is open nothing else reads or
 * writes it (the busy timeout bounds the wait); after close everything is
 * there. */
static void test_exclusive(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 2000);
	assert_int_equal(pt_store_commit(s), PT_OK);
	sqlite3 *db = raw_open(f);
	sqlite3_busy_timeout(db, 50);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM starts", NULL, NULL, NULL),
			 SQLITE_BUSY);
	pt_store *other;
	char err[256] = "";
	assert_int_equal(pt_store_open(f->path, &other, err, sizeof err), PT_EIO);
	assert_non_null(strstr(err, f->path));
	pt_store_close(s);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM starts"), 4);
	sqlite3_close(db);
}

/* The child commits one batch, leaves a second open and is killed: the
 * first is there after a restart, the second is not. */
static void crash_child(const fixture *f)
{
	pt_store *s;
	char err[256];
	int64_t zero = 0;
	pt_store_resource r = {1000, "api", 5, 1000, 20, "acquire", 0, INT64_MIN};
	if (pt_store_open(f->path, &s, err, sizeof err) || pt_store_begin(s) ||
	    pt_store_put_resource(s, &r) ||
	    pt_store_put_reservation(s, 7, 1000, "api", 1000, &zero, 1, 5000) ||
	    pt_store_commit(s) || pt_store_begin(s) ||
	    pt_store_put_reservation(s, 8, 1000, "api", 2000, &zero, 1, 5000))
		_exit(1);
	kill(getpid(), SIGKILL);
	_exit(2);
}

static void test_crash_keeps_committed(void **state)
{
	fixture *f = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	char wal[160];
	struct stat sb;
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	assert_int_equal(stat(wal, &sb), 0); /* the batch lives only in the WAL */

	pt_store *s = open_ok(f);
	loaded *l = load(s);
	assert_int_equal(l->nres, 1);
	assert_int_equal(l->nst, 1);
	assert_int_equal(l->st[0].s.reservation, 7);
	uint64_t max;
	assert_int_equal(pt_store_max_reservation(s, &max), PT_OK);
	assert_true(max >= 7);
	pt_store_close(s);
}

static void test_not_a_database(void **state)
{
	fixture *f = *state;
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database, just some text\n", fp);
	fclose(fp);
	pt_store *s = (pt_store *)1;
	char err[512] = "";
	assert_int_equal(pt_store_open(f->path, &s, err, sizeof err), PT_EIO);
	assert_null(s);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "not a database"));
}

static void test_missing_directory(void **state)
{
	fixture *f = *state;
	char path[200], err[512] = "";
	snprintf(path, sizeof path, "%s/missing/state.db", f->dir);
	pt_store *s = (pt_store *)1;
	assert_int_equal(pt_store_open(path, &s, err, sizeof err), PT_EIO);
	assert_null(s);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	/* no error buffer is fine too */
	assert_int_equal(pt_store_open(path, &s, NULL, 0), PT_EIO);
}

static void test_newer_schema(void **state)
{
	fixture *f = *state;
	pt_store_close(open_ok(f));
	raw_exec(f, "PRAGMA user_version = 99");
	pt_store *s;
	char err[512] = "";
	assert_int_equal(pt_store_open(f->path, &s, err, sizeof err), PT_EIO);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "version 99"));
}

/* A version 1 file keeps its reservations through the migration to 2. */
static void test_migrates_version_1(void **state)
{
	fixture *f = *state;
	raw_exec(f, "CREATE TABLE resources(uid INTEGER NOT NULL, name TEXT NOT NULL,"
		    " lim INTEGER NOT NULL, window_ms INTEGER NOT NULL, guard_ms INTEGER NOT NULL,"
		    " source TEXT NOT NULL, PRIMARY KEY(uid, name));"
		    "CREATE TABLE starts(reservation INTEGER NOT NULL, uid INTEGER NOT NULL,"
		    " resource TEXT NOT NULL, at_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
		    "CREATE INDEX starts_reservation ON starts(reservation, at_ms);"
		    "CREATE INDEX starts_at ON starts(at_ms);"
		    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
		    "INSERT INTO resources VALUES(1000, 'api', 5, 1000, 20, 'acquire');"
		    "INSERT INTO starts VALUES(3, 1000, 'api', 1000, 9000);"
		    "INSERT INTO starts VALUES(4, 1000, 'api', 1000, 9000);"
		    "INSERT INTO meta VALUES('max_reservation', 4);"
		    "PRAGMA user_version = 1;");
	pt_store *s = open_ok(f);
	loaded *l = load(s);
	assert_int_equal(l->nres, 1);
	assert_int_equal(l->nst, 2);
	assert_int_equal(l->st[0].s.reservation, 3); /* ties in grant order */
	assert_int_equal(l->st[1].s.reservation, 4);
	pt_store_close(s);
	sqlite3 *db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 5);
	sqlite3_close(db);
}

/* A file with a table of the same name but another shape. */
static void test_foreign_schema(void **state)
{
	fixture *f = *state;
	raw_exec(f, "CREATE TABLE starts(x)");
	pt_store *s;
	char err[512] = "";
	assert_int_equal(pt_store_open(f->path, &s, err, sizeof err), PT_EIO);
	assert_non_null(strstr(err, f->path));
}

static void test_in_memory(void **state)
{
	pt_store *s;
	char err[256] = "";
	assert_int_equal(pt_store_open(":memory:", &s, err, sizeof err), PT_OK);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put(s, 1, "api", 1000, 2000);
	assert_int_equal(pt_store_commit(s), PT_OK);
	assert_int_equal(load(s)->nst, 4);
	pt_store_close(s);
}

/* ---- executions ---- */

static void put_execution(pt_store *s, uint32_t uid, const char *resource, const char *tool,
			  int64_t started_ms, bool succeeded)
{
	pt_store_execution x = {.uid = uid, .resource = resource, .tool = tool,
				.started_ms = started_ms, .duration_ms = 250,
				.exit_code = succeeded ? 0 : 7, .succeeded = succeeded};
	assert_int_equal(pt_store_put_execution(s, &x), PT_OK);
}

typedef struct scanned {
	int n;
	char resource[8][16], tool[8][16];
	int64_t started[8];
	int exit_code[8];
	bool succeeded[8];
} scanned;

static int on_execution(void *ctx, const pt_store_execution *x)
{
	scanned *c = ctx;
	assert_true(c->n < 8);
	snprintf(c->resource[c->n], sizeof c->resource[0], "%s", x->resource);
	snprintf(c->tool[c->n], sizeof c->tool[0], "%s", x->tool);
	c->started[c->n] = x->started_ms;
	c->exit_code[c->n] = x->exit_code;
	c->succeeded[c->n] = x->succeeded;
	assert_int_equal(x->duration_ms, 250);
	c->n++;
	return 0;
}

static scanned *scan(pt_store *s, uint32_t uid, const char *resource, int64_t from, int64_t to)
{
	static scanned c;
	memset(&c, 0, sizeof c);
	assert_int_equal(pt_store_scan_executions(s, uid, resource, from, to, on_execution, &c),
			 PT_OK);
	return &c;
}

/* Each execution comes back by resource and start, only the uid's, only
 * in the range, and after a reopen. */
static void test_executions_round_trip(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put_execution(s, 1000, "b", "rpr", 300, true);
	put_execution(s, 1000, "a", "patience", 200, false);
	put_execution(s, 1000, "a", "rpr", 100, true);
	put_execution(s, 1001, "a", "rpr", 150, true);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_close(s);
	s = open_ok(f);
	scanned *c = scan(s, 1000, NULL, 0, 1000);
	assert_int_equal(c->n, 3);
	assert_string_equal(c->resource[0], "a");
	assert_int_equal(c->started[0], 100);
	assert_string_equal(c->tool[1], "patience");
	assert_int_equal(c->exit_code[1], 7);
	assert_false(c->succeeded[1]);
	assert_string_equal(c->resource[2], "b");
	assert_int_equal(scan(s, 1000, "a", 0, 1000)->n, 2);
	assert_int_equal(scan(s, 1000, "a", 150, 200)->n, 1); /* both ends inclusive */
	assert_int_equal(scan(s, 1001, NULL, 0, 1000)->n, 1);
	assert_int_equal(scan(s, 1002, NULL, 0, 1000)->n, 0);
	pt_store_close(s);
}

static int on_counts(void *ctx, const pt_store_exec_counts *c)
{
	pt_store_exec_counts *out = ctx;
	assert_string_equal(c->resource, "api");
	assert_string_equal(c->tool, "rpr");
	*out = *c;
	out->resource = out->tool = NULL; /* they live only during the call */
	return 0;
}

/* A tool's counters are replaced by the last write, and read back. */
static void test_exec_counts(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	pt_store_exec_counts c = {.uid = 1000, .resource = "api", .tool = "rpr", .total = 1,
				  .succeeded = 1, .duration_sum_ms = 40, .last_ms = 5};
	assert_int_equal(pt_store_begin(s), PT_OK);
	assert_int_equal(pt_store_put_exec_counts(s, &c), PT_OK);
	c = (pt_store_exec_counts){.uid = 1000, .resource = "api", .tool = "rpr", .total = 2,
				   .succeeded = 1, .duration_sum_ms = 90, .last_ms = 9,
				   .last_succeeded = false};
	assert_int_equal(pt_store_put_exec_counts(s, &c), PT_OK);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_exec_counts got = {0};
	assert_int_equal(pt_store_load_exec_counts(s, on_counts, &got), PT_OK);
	assert_int_equal(got.total, 2);
	assert_int_equal(got.succeeded, 1);
	assert_int_equal(got.duration_sum_ms, 90);
	assert_int_equal(got.last_ms, 9);
	assert_false(got.last_succeeded);
	pt_store_close(s);
}

static int on_rows(void *ctx, uint32_t uid, int64_t rows)
{
	int64_t *by_uid = ctx;
	assert_true(uid == 1000 || uid == 1001);
	by_uid[uid - 1000] = rows;
	return 0;
}

/* Pruning drops one (uid, resource)'s old rows; dropping the oldest, a
 * uid's oldest alone. */
static void test_executions_prune(void **state)
{
	fixture *f = *state;
	pt_store *s = open_ok(f);
	int64_t deleted, rows[2] = {0};
	assert_int_equal(pt_store_begin(s), PT_OK);
	for (int i = 0; i < 5; i++) {
		put_execution(s, 1000, "a", "rpr", 100 * i, true);
		put_execution(s, 1001, "a", "rpr", 100 * i, true);
	}
	put_execution(s, 1000, "b", "rpr", 0, true);
	assert_int_equal(pt_store_prune_executions(s, 1000, "a", 200, &deleted), PT_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(pt_store_drop_oldest_executions(s, 1001, 3, &deleted), PT_OK);
	assert_int_equal(deleted, 3);
	assert_int_equal(pt_store_commit(s), PT_OK);
	assert_int_equal(pt_store_count_executions(s, on_rows, rows), PT_OK);
	assert_int_equal(rows[0], 4); /* a at 200, 300, 400 and b */
	assert_int_equal(rows[1], 2);
	assert_int_equal(scan(s, 1001, NULL, 0, 1000)->started[0], 300);
	/* writes need a batch */
	assert_int_equal(pt_store_prune_executions(s, 1000, "a", 1000, &deleted), PT_EINVAL);
	pt_store_close(s);
}

/* A version 4 file gains the executions and keeps its memos. */
static void test_migrates_version_4(void **state)
{
	fixture *f = *state;
	pt_store_close(open_ok(f));
	raw_exec(f, "DROP TABLE executions; DROP TABLE execution_counts;"
		    "INSERT INTO memos VALUES(1000, 'r', 'k', 'v', 1);"
		    "PRAGMA user_version = 4;");
	pt_store *s = open_ok(f);
	assert_int_equal(pt_store_begin(s), PT_OK);
	put_execution(s, 1000, "a", "rpr", 1, true);
	assert_int_equal(pt_store_commit(s), PT_OK);
	pt_store_close(s);
	sqlite3 *db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 5);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM memos"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM executions"), 1);
	sqlite3_close(db);
}

int main(void)
{

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_schema),
		T(test_reopen_keeps_data),
		T(test_memos),
		T(test_round_trip),
		T(test_load_stops),
		T(test_release_from),
		T(test_expire),
		T(test_max_reservation),
		T(test_rollback_discards),
		T(test_writes_need_a_batch),
		T(test_bad_arguments),
		T(test_failed_write_spoils_batch),
		T(test_exclusive),
		T(test_crash_keeps_committed),
		T(test_not_a_database),
		T(test_missing_directory),
		T(test_migrates_version_1),
		T(test_newer_schema),
		T(test_foreign_schema),
		T(test_in_memory),
		T(test_executions_round_trip),
		T(test_exec_counts),
		T(test_executions_prune),
		T(test_migrates_version_4),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
