/* The daemon's state in SQLite. Every statement is prepared once at open
 * and only ever bound, never built from strings.
 *
 * A batch is all or nothing: once a write inside it fails, later writes
 * refuse and commit rolls the whole batch back, so a grant is stored
 * together with everything it was granted with, or not at all. */
#include "daemon/store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "patience/error.h"

/* Long enough for an sqlite3 shell reading the file or a checkpoint,
 * short enough that the event loop is never stuck for long. */
#define STORE_BUSY_TIMEOUT_MS 1000
/* A checkpoint once the WAL holds this many pages (16 MiB): after it the
 * WAL is written again from its start, in blocks the file already has.
 * Each costs two fsyncs on the loop, so not too often under load. */
#define STORE_WAL_FRAMES 4000

/* Migration i takes the schema from version i to i + 1 and records it in
 * user_version; the file's user_version says which ones it has had. The
 * meta table keeps a bound on the reservation ids ever written, because the
 * starts holding them may be gone by the next restart: it is raised a
 * block of ids at a time, so that most commits do not touch it. */
static const char *const migrations[] = {
	"CREATE TABLE resources(uid INTEGER NOT NULL, name TEXT NOT NULL,"
	" lim INTEGER NOT NULL, window_ms INTEGER NOT NULL, guard_ms INTEGER NOT NULL,"
	" source TEXT NOT NULL, PRIMARY KEY(uid, name));"
	"CREATE TABLE starts(reservation INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" resource TEXT NOT NULL, at_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
	"CREATE INDEX starts_reservation ON starts(reservation, at_ms);"
	"CREATE INDEX starts_at ON starts(at_ms);"
	"CREATE INDEX starts_expires ON starts(expires_ms);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"PRAGMA user_version = 1;",
	/* Fewer pages per commit: the starts keyed by what releases look up,
	 * and one index, on at_ms, for both kinds of expiry. */
	"CREATE TABLE starts2(reservation INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, resource TEXT NOT NULL, expires_ms INTEGER NOT NULL,"
	" PRIMARY KEY(reservation, at_ms)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO starts2(reservation, at_ms, uid, resource, expires_ms)"
	" SELECT reservation, at_ms, uid, resource, expires_ms FROM starts;"
	"DROP TABLE starts;"
	"ALTER TABLE starts2 RENAME TO starts;"
	"CREATE INDEX starts_at ON starts(at_ms);"
	"PRAGMA user_version = 2;",
	/* Memos: what clients keep between runs (memo.c). */
	"CREATE TABLE memos(uid INTEGER NOT NULL, resource TEXT NOT NULL, key TEXT NOT NULL,"
	" value TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY(uid, resource, key));"
	"PRAGMA user_version = 3;",
	/* GCRA resources: their burst and TAT (NULL: none yet). */
	"ALTER TABLE resources ADD COLUMN burst INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE resources ADD COLUMN tat_ms INTEGER;"
	"PRAGMA user_version = 4;",
	/* Executions clients reported (executions.c): each one while it is
	 * retained, found by (uid, resource) and start; and the counters of
	 * each (uid, resource, tool), which outlive the retention. */
	"CREATE TABLE executions(uid INTEGER NOT NULL, resource TEXT NOT NULL, tool TEXT NOT NULL,"
	" started_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL, exit_code INTEGER NOT NULL,"
	" succeeded INTEGER NOT NULL);"
	"CREATE INDEX executions_started ON executions(uid, resource, started_ms);"
	"CREATE TABLE execution_counts(uid INTEGER NOT NULL, resource TEXT NOT NULL,"
	" tool TEXT NOT NULL, total INTEGER NOT NULL, succeeded INTEGER NOT NULL,"
	" duration_sum_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
	" last_succeeded INTEGER NOT NULL, PRIMARY KEY(uid, resource, tool)) WITHOUT ROWID;"
	"PRAGMA user_version = 5;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PUT_RESOURCE,
	ST_PUT_START,
	ST_PUT_MAX,
	ST_RELEASE,
	ST_MOVE_START,
	ST_EXPIRE_PAST,
	ST_EXPIRE_TTL,
	ST_LOAD_RESOURCES,
	ST_LOAD_STARTS,
	ST_MAX_RESERVATION,
	ST_PUT_MEMO,
	ST_LOAD_MEMOS,
	ST_PUT_EXECUTION,
	ST_PUT_EXEC_COUNTS,
	ST_PRUNE_EXECUTIONS,
	ST_DROP_OLDEST_EXECUTIONS,
	ST_SCAN_EXECUTIONS,
	ST_LOAD_EXEC_COUNTS,
	ST_COUNT_EXECUTIONS,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT_RESOURCE] = "INSERT OR REPLACE INTO resources"
			    "(uid, name, lim, window_ms, guard_ms, source, burst, tat_ms)"
			    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_PUT_START] = "INSERT INTO starts(reservation, uid, resource, at_ms, expires_ms)"
			 " VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_PUT_MAX] = "INSERT INTO meta(key, value) VALUES('max_reservation', ?1)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
		       " WHERE excluded.value > meta.value",
	[ST_RELEASE] = "DELETE FROM starts WHERE reservation = ?1 AND at_ms >= ?2",
	/* a start moved onto another of the same reservation is kept where
	 * it was: one start fewer could only be less careful */
	[ST_MOVE_START] = "UPDATE OR IGNORE starts SET at_ms = ?3"
			  " WHERE reservation = ?1 AND at_ms = ?2",
	[ST_EXPIRE_PAST] = "DELETE FROM starts WHERE at_ms < ?1",
	/* Future starts are few (every one is some reservation's): at_ms
	 * finds them, and their ttl is checked row by row. */
	[ST_EXPIRE_TTL] = "DELETE FROM starts WHERE at_ms >= ?1 AND expires_ms <= ?1",
	[ST_LOAD_RESOURCES] = "SELECT uid, name, lim, window_ms, guard_ms, source, burst,"
			      " tat_ms FROM resources ORDER BY uid, name",
	/* Ids grow with every grant, so they break ties in grant order. */
	[ST_LOAD_STARTS] = "SELECT reservation, uid, resource, at_ms, expires_ms"
			   " FROM starts ORDER BY at_ms, reservation",
	[ST_MAX_RESERVATION] =
		"SELECT max(coalesce((SELECT value FROM meta WHERE key = 'max_reservation'), 0),"
		" coalesce((SELECT max(reservation) FROM starts), 0))",
	[ST_PUT_MEMO] = "INSERT OR REPLACE INTO memos(uid, resource, key, value, updated_ms)"
			" VALUES(?1, ?2, ?3, ?4, ?5)",
	/* Oldest first: memo.c keeps the newest at the head of its list. */
	[ST_LOAD_MEMOS] = "SELECT uid, resource, key, value, updated_ms FROM memos"
			  " ORDER BY updated_ms",
	[ST_PUT_EXECUTION] = "INSERT INTO executions(uid, resource, tool, started_ms, duration_ms,"
			     " exit_code, succeeded) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_PUT_EXEC_COUNTS] = "INSERT OR REPLACE INTO execution_counts(uid, resource, tool, total,"
			       " succeeded, duration_sum_ms, last_ms, last_succeeded)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_PRUNE_EXECUTIONS] = "DELETE FROM executions WHERE uid = ?1 AND resource = ?2"
				" AND started_ms < ?3",
	/* Only when a uid passes its bound: the sort is over its rows alone. */
	[ST_DROP_OLDEST_EXECUTIONS] = "DELETE FROM executions WHERE rowid IN (SELECT rowid"
				      " FROM executions WHERE uid = ?1 ORDER BY started_ms"
				      " LIMIT ?2)",
	/* The index gives the rows by resource and start, with or without ?2. */
	[ST_SCAN_EXECUTIONS] = "SELECT resource, tool, started_ms, duration_ms, exit_code,"
			       " succeeded FROM executions WHERE uid = ?1"
			       " AND (?2 IS NULL OR resource = ?2) AND started_ms BETWEEN ?3 AND ?4"
			       " ORDER BY uid, resource, started_ms",
	[ST_LOAD_EXEC_COUNTS] = "SELECT uid, resource, tool, total, succeeded, duration_sum_ms,"
				" last_ms, last_succeeded FROM execution_counts",
	[ST_COUNT_EXECUTIONS] = "SELECT uid, count(*) FROM executions GROUP BY uid",
};

struct pt_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	bool batch;         /* the caller's batch is open */
	bool failed;        /* a write in it failed: it can only be rolled back */
	uint64_t batch_max; /* largest reservation id put in the batch */
	uint64_t id_bound;  /* meta's bound on the ids, as committed */
	int wal_frames;     /* frames in the WAL after the last commit */
};

#define ID_BLOCK 4096 /* ids the meta bound is raised by at a time */

static int open_error(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	const char *why = db ? sqlite3_errmsg(db) : "out of memory";
	/* "unable to open database file" alone does not say why. */
	if (db && sqlite3_errcode(db) == SQLITE_CANTOPEN && sqlite3_system_errno(db))
		snprintf(err, err_len, "%s: %s: %s", path, why,
			 strerror(sqlite3_system_errno(db)));
	else
		snprintf(err, err_len, "%s: %s", path, why);
	return PT_EIO;
}

/* The first integer of a one-row statement such as a PRAGMA. */
static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return PT_EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? PT_OK : PT_EIO;
}

/* WAL lets the file be read while the daemon writes, and with
 * synchronous=NORMAL a commit is a write() with no fsync: it survives the
 * process dying, not the machine. */
static int set_journal(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	sqlite3_stmt *st;
	/* The daemon owns its file: no file locks per transaction, and the WAL
	 * index in its own memory. Nothing else may open the file meanwhile. */
	if (sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
		return open_error(db, path, err, err_len);
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return open_error(db, path, err, err_len);
	int rc = sqlite3_step(st);
	const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	/* An in-memory database answers "memory"; anything else is a failure. */
	bool ok = mode && (!strcmp(mode, "wal") || !strcmp(mode, "memory"));
	if (rc == SQLITE_ROW && !ok)
		snprintf(err, err_len, "%s: cannot use the WAL journal (got \"%s\")", path,
			 mode ? mode : "");
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return open_error(db, path, err, err_len);
	if (!ok)
		return PT_EIO;
	/* Checkpoints (each an fsync) only when pt_store_checkpoint says, off
	 * the path of a reply; a WAL grown larger than that is cut back. */
	if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;"
			 " PRAGMA journal_size_limit = 16777216", NULL, NULL, NULL) != SQLITE_OK)
		return open_error(db, path, err, err_len);
	return PT_OK;
}

static int apply_migrations(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	sqlite3_int64 version = 0;
	if (query_int(db, "PRAGMA user_version", &version))
		return open_error(db, path, err, err_len);
	if (version > SCHEMA_VERSION || version < 0) {
		snprintf(err, err_len, "%s: state schema version %lld is not one this daemon knows"
			 " (up to %d)", path, (long long)version, SCHEMA_VERSION);
		return PT_EIO;
	}
	for (int v = (int)version; v < SCHEMA_VERSION; v++)
		if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK)
			return open_error(db, path, err, err_len);
	return PT_OK;
}

/* One transaction, so two daemons starting at once cannot both migrate. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return open_error(db, path, err, err_len);
	int rc = apply_migrations(db, path, err, err_len);
	if (rc == PT_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = open_error(db, path, err, err_len);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int prepare_all(pt_store *s, const char *path, char *err, size_t err_len)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK)
			return open_error(s->db, path, err, err_len);
	return PT_OK;
}

/* SQLite's report after each commit: how large the WAL has grown. */static int count_wal_frames(void *ctx, sqlite3 *db, const char *name, int frames)
{
	pt_store *s = ctx;
	(void)db;
	(void)name;
	s->wal_frames = frames;
	return SQLITE_OK;
}

static int open_db(pt_store *s, const char *path, char *err, size_t err_len)
{
	/* NOMUTEX: the store is not shared between threads. No URI names, so
	 * the path is only ever a path. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
		return open_error(s->db, path, err, err_len);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	int rc = set_journal(s->db, path, err, err_len);
	/* After set_journal: wal_autocheckpoint replaces the hook. */
	sqlite3_wal_hook(s->db, count_wal_frames, s);
	if (rc == PT_OK)
		rc = migrate(s->db, path, err, err_len);
	if (rc == PT_OK)
		rc = prepare_all(s, path, err, err_len);
	return rc;
}

int pt_store_open(const char *path, pt_store **out, char *err, size_t err_len)
{
	char unused[1];
	if (!err || !err_len) {
		err = unused;
		err_len = sizeof unused;
	}
	*out = NULL;
	if (!path) {
		snprintf(err, err_len, "no state path");
		return PT_EINVAL;
	}
	pt_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, err_len, "%s: out of memory", path);
		return PT_ENOMEM;
	}
	int rc = open_db(s, path, err, err_len);
	if (rc) {
		pt_store_close(s);
		return rc;
	}
	*out = s;
	return PT_OK;
}

/* An open batch is discarded: SQLite rolls it back on close. */
void pt_store_close(pt_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->db);
	free(s);
}

/* Run a statement that returns no rows. Bindings are cleared so no
 * SQLITE_STATIC pointer outlives the call that bound it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? PT_OK : PT_EIO;
}

/* A write's outcome; a failed one spoils the batch. */
static int wrote(pt_store *s, int rc)
{
	if (rc)
		s->failed = true;
	return rc;
}

/* Writes happen only in a live batch. SQLite ends a transaction by itself
 * after some errors (disk full, I/O); writing on would autocommit. */
static int writable(pt_store *s)
{
	if (!s->batch)
		return PT_EINVAL;
	if (s->failed || sqlite3_get_autocommit(s->db))
		return wrote(s, PT_EIO);
	return PT_OK;
}

static void end_batch(pt_store *s)
{
	s->batch = false;
	s->failed = false;
	s->batch_max = 0;
}

int pt_store_begin(pt_store *s)
{
	if (s->batch)
		return PT_OK;
	if (run(s->st[ST_BEGIN]))
		return PT_EIO;
	s->batch = true;
	return PT_OK;
}

/* Raise meta's bound past the batch's ids, a block at a time. */
static int save_max_reservation(pt_store *s, uint64_t *bound)
{
	*bound = s->id_bound;
	if (s->batch_max <= s->id_bound)
		return PT_OK;
	*bound = s->batch_max <= INT64_MAX - ID_BLOCK ? s->batch_max + ID_BLOCK : INT64_MAX;
	sqlite3_stmt *st = s->st[ST_PUT_MAX];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)*bound);
	return run(st);
}

/* Nothing to commit without a batch. A failed commit rolls back, so the
 * caller never has to guess what was kept. */
int pt_store_commit(pt_store *s)
{
	if (!s->batch)
		return PT_OK;
	uint64_t bound = s->id_bound;
	int rc = s->failed ? PT_EIO : save_max_reservation(s, &bound);
	if (rc == PT_OK)
		rc = run(s->st[ST_COMMIT]);
	if (rc == PT_OK)
		s->id_bound = bound;
	if (rc && !sqlite3_get_autocommit(s->db))
		run(s->st[ST_ROLLBACK]);
	end_batch(s);
	return rc;
}

void pt_store_rollback(pt_store *s)
{
	if (!s->batch)
		return;
	if (!sqlite3_get_autocommit(s->db))
		run(s->st[ST_ROLLBACK]);
	end_batch(s);
}

int pt_store_put_resource(pt_store *s, const pt_store_resource *r)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (!r || !r->name || !r->source)
		return PT_EINVAL;
	sqlite3_stmt *st = s->st[ST_PUT_RESOURCE];
	sqlite3_bind_int64(st, 1, r->uid);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->limit);
	sqlite3_bind_int64(st, 4, r->window_ms);
	sqlite3_bind_int64(st, 5, r->guard_ms);
	sqlite3_bind_text(st, 6, r->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->burst);
	if (r->tat_ms == INT64_MIN)
		sqlite3_bind_null(st, 8);
	else
		sqlite3_bind_int64(st, 8, r->tat_ms);
	return wrote(s, run(st));
}

int pt_store_put_memo(pt_store *s, const pt_store_memo *m)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (!m || !m->resource || !m->key || !m->value)
		return PT_EINVAL;
	sqlite3_stmt *st = s->st[ST_PUT_MEMO];
	sqlite3_bind_int64(st, 1, m->uid);
	sqlite3_bind_text(st, 2, m->resource, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, m->updated_ms);
	return wrote(s, run(st));
}

int pt_store_put_execution(pt_store *s, const pt_store_execution *x)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (!x || !x->resource || !x->tool)
		return PT_EINVAL;
	sqlite3_stmt *st = s->st[ST_PUT_EXECUTION];
	sqlite3_bind_int64(st, 1, x->uid);
	sqlite3_bind_text(st, 2, x->resource, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, x->tool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, x->started_ms);
	sqlite3_bind_int64(st, 5, x->duration_ms);
	sqlite3_bind_int64(st, 6, x->exit_code);
	sqlite3_bind_int64(st, 7, x->succeeded);
	return wrote(s, run(st));
}

int pt_store_put_exec_counts(pt_store *s, const pt_store_exec_counts *c)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (!c || !c->resource || !c->tool)
		return PT_EINVAL;
	sqlite3_stmt *st = s->st[ST_PUT_EXEC_COUNTS];
	sqlite3_bind_int64(st, 1, c->uid);
	sqlite3_bind_text(st, 2, c->resource, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->tool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->total);
	sqlite3_bind_int64(st, 5, c->succeeded);
	sqlite3_bind_int64(st, 6, c->duration_sum_ms);
	sqlite3_bind_int64(st, 7, c->last_ms);
	sqlite3_bind_int64(st, 8, c->last_succeeded);
	return wrote(s, run(st));
}

/* A delete's row count into *deleted. */
static int run_delete(pt_store *s, sqlite3_stmt *st, int64_t *deleted)
{
	int rc = wrote(s, run(st));
	*deleted = rc == PT_OK ? sqlite3_changes64(s->db) : 0;
	return rc;
}

int pt_store_prune_executions(pt_store *s, uint32_t uid, const char *resource, int64_t before_ms,
			      int64_t *deleted)
{
	int rc = writable(s);
	*deleted = 0;
	if (rc)
		return rc;
	sqlite3_stmt *st = s->st[ST_PRUNE_EXECUTIONS];
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, resource, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, before_ms);
	return run_delete(s, st, deleted);
}

int pt_store_drop_oldest_executions(pt_store *s, uint32_t uid, int64_t n, int64_t *deleted)
{
	int rc = writable(s);
	*deleted = 0;
	if (rc)
		return rc;
	sqlite3_stmt *st = s->st[ST_DROP_OLDEST_EXECUTIONS];
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, n);
	return run_delete(s, st, deleted);
}

static bool add_overflows(int64_t a, int64_t b)
{
	return (b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b);
}

/* Checked before the first row, so a bad call leaves the batch usable. */
static int check_reservation(uint64_t reservation, const char *resource, int64_t base_ms,
			     const int64_t *offsets, size_t k)
{
	if (!resource || (k && !offsets))
		return PT_EINVAL;
	if (reservation > INT64_MAX) /* SQLite integers are signed */
		return PT_ERANGE;
	for (size_t i = 0; i < k; i++)
		if (add_overflows(base_ms, offsets[i]))
			return PT_ERANGE;
	return PT_OK;
}

int pt_store_put_reservation(pt_store *s, uint64_t reservation, uint32_t uid,
			     const char *resource, int64_t base_ms, const int64_t *offsets,
			     size_t k, int64_t expires_ms)
{
	int rc = writable(s);
	if (rc == PT_OK)
		rc = check_reservation(reservation, resource, base_ms, offsets, k);
	sqlite3_stmt *st = s->st[ST_PUT_START];
	for (size_t i = 0; rc == PT_OK && i < k; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)reservation);
		sqlite3_bind_int64(st, 2, uid);
		sqlite3_bind_text(st, 3, resource, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, base_ms + offsets[i]);
		sqlite3_bind_int64(st, 5, expires_ms);
		rc = wrote(s, run(st));
	}
	if (rc == PT_OK && reservation > s->batch_max)
		s->batch_max = reservation;
	return rc;
}

int pt_store_release(pt_store *s, uint64_t reservation, int64_t from_ms)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (reservation > INT64_MAX)
		return PT_OK; /* never stored, so nothing to free */
	sqlite3_stmt *st = s->st[ST_RELEASE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)reservation);
	sqlite3_bind_int64(st, 2, from_ms);
	return wrote(s, run(st));
}

int pt_store_move_start(pt_store *s, uint64_t reservation, int64_t from_ms, int64_t to_ms)
{
	int rc = writable(s);
	if (rc)
		return rc;
	if (reservation > INT64_MAX)
		return PT_OK;
	sqlite3_stmt *st = s->st[ST_MOVE_START];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)reservation);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	return wrote(s, run(st));
}

int pt_store_expire(pt_store *s, int64_t before_ms, int64_t now_ms)
{
	int rc = writable(s);
	if (rc)
		return rc;
	sqlite3_bind_int64(s->st[ST_EXPIRE_PAST], 1, before_ms);
	rc = wrote(s, run(s->st[ST_EXPIRE_PAST]));
	if (rc)
		return rc;
	sqlite3_bind_int64(s->st[ST_EXPIRE_TTL], 1, now_ms);
	return wrote(s, run(s->st[ST_EXPIRE_TTL]));
}

/* NULL only if the file was edited by hand or memory ran out. */
static const char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static int load_resources(pt_store *s, pt_store_resource_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_LOAD_RESOURCES];
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pt_store_resource r = {
			.uid = (uint32_t)sqlite3_column_int64(st, 0),
			.name = column_text(st, 1),
			.limit = sqlite3_column_int64(st, 2),
			.window_ms = sqlite3_column_int64(st, 3),
			.guard_ms = sqlite3_column_int64(st, 4),
			.source = column_text(st, 5),
			.burst = sqlite3_column_int64(st, 6),
			.tat_ms = sqlite3_column_type(st, 7) == SQLITE_NULL
					  ? INT64_MIN
					  : sqlite3_column_int64(st, 7),
		};
		stop = fn ? fn(ctx, &r) : 0;
	}
	sqlite3_reset(st);
	return stop ? stop : rc == SQLITE_DONE ? PT_OK : PT_EIO;
}

static int load_starts(pt_store *s, pt_store_start_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_LOAD_STARTS];
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pt_store_start r = {
			.reservation = (uint64_t)sqlite3_column_int64(st, 0),
			.uid = (uint32_t)sqlite3_column_int64(st, 1),
			.resource = column_text(st, 2),
			.at_ms = sqlite3_column_int64(st, 3),
			.expires_ms = sqlite3_column_int64(st, 4),
		};
		stop = fn ? fn(ctx, &r) : 0;
	}
	sqlite3_reset(st);
	return stop ? stop : rc == SQLITE_DONE ? PT_OK : PT_EIO;
}

/* The strings a callback sees live until it returns; a callback must not
 * call the store. */
int pt_store_load_memos(pt_store *s, pt_store_memo_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_LOAD_MEMOS];
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pt_store_memo m = {
			.uid = (uint32_t)sqlite3_column_int64(st, 0),
			.resource = column_text(st, 1),
			.key = column_text(st, 2),
			.value = column_text(st, 3),
			.updated_ms = sqlite3_column_int64(st, 4),
		};
		stop = fn(ctx, &m);
	}
	sqlite3_reset(st);
	return stop ? stop : rc == SQLITE_DONE ? PT_OK : PT_EIO;
}

/* Any callback, cast back to its type by the row function that calls it. */
typedef void (*any_fn)(void);
/* Steps st to its end, handing each row to fn through row. */
typedef int (*row_fn)(sqlite3_stmt *st, any_fn fn, void *ctx);

static int each_row(sqlite3_stmt *st, row_fn row, any_fn fn, void *ctx)
{
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = row(st, fn, ctx);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return stop ? stop : rc == SQLITE_DONE ? PT_OK : PT_EIO;
}

static int execution_row(sqlite3_stmt *st, any_fn fn, void *ctx)
{
	pt_store_execution x = {
		.resource = column_text(st, 0),
		.tool = column_text(st, 1),
		.started_ms = sqlite3_column_int64(st, 2),
		.duration_ms = sqlite3_column_int64(st, 3),
		.exit_code = sqlite3_column_int(st, 4),
		.succeeded = sqlite3_column_int(st, 5) != 0,
	};
	return ((pt_store_execution_fn)fn)(ctx, &x);
}

int pt_store_scan_executions(pt_store *s, uint32_t uid, const char *resource, int64_t from_ms,
			     int64_t to_ms, pt_store_execution_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_SCAN_EXECUTIONS];
	sqlite3_bind_int64(st, 1, uid);
	if (resource)
		sqlite3_bind_text(st, 2, resource, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from_ms);
	sqlite3_bind_int64(st, 4, to_ms);
	return each_row(st, execution_row, (any_fn)fn, ctx);
}

static int exec_counts_row(sqlite3_stmt *st, any_fn fn, void *ctx)
{
	pt_store_exec_counts c = {
		.uid = (uint32_t)sqlite3_column_int64(st, 0),
		.resource = column_text(st, 1),
		.tool = column_text(st, 2),
		.total = sqlite3_column_int64(st, 3),
		.succeeded = sqlite3_column_int64(st, 4),
		.duration_sum_ms = sqlite3_column_int64(st, 5),
		.last_ms = sqlite3_column_int64(st, 6),
		.last_succeeded = sqlite3_column_int(st, 7) != 0,
	};
	return ((pt_store_exec_counts_fn)fn)(ctx, &c);
}

int pt_store_load_exec_counts(pt_store *s, pt_store_exec_counts_fn fn, void *ctx)
{
	return each_row(s->st[ST_LOAD_EXEC_COUNTS], exec_counts_row, (any_fn)fn, ctx);
}

static int uid_rows_row(sqlite3_stmt *st, any_fn fn, void *ctx)
{
	return ((pt_store_uid_rows_fn)fn)(ctx, (uint32_t)sqlite3_column_int64(st, 0),
					  sqlite3_column_int64(st, 1));
}

int pt_store_count_executions(pt_store *s, pt_store_uid_rows_fn fn, void *ctx)
{
	return each_row(s->st[ST_COUNT_EXECUTIONS], uid_rows_row, (any_fn)fn, ctx);
}

int pt_store_load(pt_store *s, pt_store_resource_fn on_resource, pt_store_start_fn on_start,
		  void *ctx)
{
	int rc = load_resources(s, on_resource, ctx);
	return rc ? rc : load_starts(s, on_start, ctx);
}

int pt_store_checkpoint(pt_store *s)
{
	if (s->batch)
		return PT_OK;
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc == SQLITE_OK)
		s->wal_frames = 0;
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? PT_OK : PT_EIO;
}

bool pt_store_wal_full(const pt_store *s)
{
	return s->wal_frames >= STORE_WAL_FRAMES;
}


int pt_store_max_reservation(pt_store *s, uint64_t *out)
{
	sqlite3_stmt *st = s->st[ST_MAX_RESERVATION];
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(st, 0);
		*out = v > 0 ? (uint64_t)v : 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? PT_OK : PT_EIO;
}
