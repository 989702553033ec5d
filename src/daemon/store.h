/* The daemon's persistent state in SQLite (WAL): resources with their
 * limits, every reserved start time, memos, and the executions clients
 * reported (their counters, and each one for a retention period). Grants are written inside a batch
 * (one transaction per event-loop turn: group commit) and committed before
 * any reply about them is sent. synchronous=NORMAL in WAL mode: a committed
 * batch survives the daemon being killed (the promise we make); a power cut
 * may lose the last batches. Not thread-safe. */
#ifndef PT_DAEMON_STORE_H
#define PT_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pt_store pt_store;

typedef struct pt_store_resource {
	uint32_t uid;
	const char *name;
	int64_t limit;
	int64_t window_ms;
	int64_t guard_ms;
	const char *source; /* "acquire", "set_limit", "config" */
	int64_t burst;      /* a GCRA resource's burst; 0: sliding */
	int64_t tat_ms;     /* its TAT; INT64_MIN: none */
} pt_store_resource;

typedef struct pt_store_start {
	uint64_t reservation;
	uint32_t uid;
	const char *resource;
	int64_t at_ms;
	int64_t expires_ms; /* the reservation's TTL end */
} pt_store_start;

typedef struct pt_store_memo {
	uint32_t uid;
	const char *resource, *key, *value;
	int64_t updated_ms;
} pt_store_memo;

/* One execution of a user's command, as its client reported it. */
typedef struct pt_store_execution {
	uint32_t uid;
	const char *resource, *tool;
	int64_t started_ms, duration_ms;
	int exit_code;
	bool succeeded;
} pt_store_execution;

/* The counters of one (uid, resource, tool) since it was first reported. */
typedef struct pt_store_exec_counts {
	uint32_t uid;
	const char *resource, *tool;
	int64_t total, succeeded, duration_sum_ms;
	int64_t last_ms; /* the latest start */
	bool last_succeeded;
} pt_store_exec_counts;

/* Open (creating the file and schema if needed) the state at path; the
 * directory must exist. On error returns a negative PT_E* and writes
 * "path: reason" to err. */
int pt_store_open(const char *path, pt_store **out, char *err, size_t err_len);
void pt_store_close(pt_store *s);

/* Batches. begin is idempotent while a batch is open; commit and rollback
 * end it. Every write below must happen inside a batch. */
int pt_store_begin(pt_store *s);
int pt_store_commit(pt_store *s);
void pt_store_rollback(pt_store *s);

/* Insert or replace a resource's limit. */
int pt_store_put_resource(pt_store *s, const pt_store_resource *r);
/* Insert the k starts base_ms + offsets[i] of one reservation. */
int pt_store_put_reservation(pt_store *s, uint64_t reservation, uint32_t uid,
			     const char *resource, int64_t base_ms, const int64_t *offsets,
			     size_t k, int64_t expires_ms);
/* Move a reservation's start from from_ms to to_ms (it started late). */
int pt_store_move_start(pt_store *s, uint64_t reservation, int64_t from_ms, int64_t to_ms);
/* Delete a reservation's starts at or after from_ms. */
int pt_store_release(pt_store *s, uint64_t reservation, int64_t from_ms);
/* Delete starts before before_ms (they count in no future window) and the
 * future starts of reservations whose TTL ended at or before now_ms. */
int pt_store_expire(pt_store *s, int64_t before_ms, int64_t now_ms);

/* Insert or replace a memo (inside a batch). */
int pt_store_put_memo(pt_store *s, const pt_store_memo *m);
/* Every memo, oldest first; a callback returning non-zero stops the load
 * with that value. */
typedef int (*pt_store_memo_fn)(void *ctx, const pt_store_memo *m);
int pt_store_load_memos(pt_store *s, pt_store_memo_fn fn, void *ctx);

/* Executions (inside a batch): one more in the history, and the counters
 * of its (uid, resource, tool) inserted or replaced. */
int pt_store_put_execution(pt_store *s, const pt_store_execution *x);
int pt_store_put_exec_counts(pt_store *s, const pt_store_exec_counts *c);
/* Delete uid's executions of resource that started before before_ms;
 * *deleted says how many. */
int pt_store_prune_executions(pt_store *s, uint32_t uid, const char *resource, int64_t before_ms,
			      int64_t *deleted);
/* Delete uid's n oldest executions. */
int pt_store_drop_oldest_executions(pt_store *s, uint32_t uid, int64_t n, int64_t *deleted);
/* The callbacks below see strings that live until they return; they must
 * not call the store. Non-zero stops the load with that value. */
typedef int (*pt_store_execution_fn)(void *ctx, const pt_store_execution *x);
typedef int (*pt_store_exec_counts_fn)(void *ctx, const pt_store_exec_counts *c);
/* uid's executions that started in [from_ms, to_ms], of resource (NULL:
 * every one), by resource and then start. */
int pt_store_scan_executions(pt_store *s, uint32_t uid, const char *resource, int64_t from_ms,
			     int64_t to_ms, pt_store_execution_fn fn, void *ctx);
int pt_store_load_exec_counts(pt_store *s, pt_store_exec_counts_fn fn, void *ctx);
/* How many executions each uid has in the history. */
typedef int (*pt_store_uid_rows_fn)(void *ctx, uint32_t uid, int64_t rows);
int pt_store_count_executions(pt_store *s, pt_store_uid_rows_fn fn, void *ctx);

/* Read everything back, resources first (to restore after a restart).
 * A callback returning non-zero stops the load with that value. */
typedef int (*pt_store_resource_fn)(void *ctx, const pt_store_resource *r);
typedef int (*pt_store_start_fn)(void *ctx, const pt_store_start *st);
int pt_store_load(pt_store *s, pt_store_resource_fn on_resource, pt_store_start_fn on_start,
		  void *ctx);

/* Copy the WAL into the database file (PASSIVE: never waits for readers).
 * Nothing while a batch is open. The store never checkpoints by itself, so
 * its owner calls this when a pause costs least: once pt_store_wal_full
 * says so, after the replies of a commit have gone out. */
int pt_store_checkpoint(pt_store *s);
bool pt_store_wal_full(const pt_store *s);

/* At least the largest reservation id ever stored (0 if none), so that ids
 * never repeat. */
int pt_store_max_reservation(pt_store *s, uint64_t *out);

#endif
