/* patience-daemon's internals (docs/PROTOCOL.md is the contract):
 *
 *   registry.c   resources keyed by (uid, name), each with one pt_dio, and
 *                reservations keyed by id; acquire, release, set_limit,
 *                starts as made, expiry; writes go into the store's open
 *                batch, with an undo log so that a failed commit takes the
 *                grants back
 *   store.c      the SQLite state (store.h): resources, starts, memos
 *   learned.c    what services' headers told: waits and learned limits
 *   protocol.c   one request line -> its operation (request.h: request.c
 *                reads fields and builds replies; op_*.c answer, a file
 *                per family of operations)
 *   server.c     the listening socket, connections (bufferevents), line
 *                framing, held replies and the group commit, the 1 s tick
 *   lifecycle.c  pid file lock, socket, signals, sd_notify, the event loop
 *   daemon_config.c  the config files: settings and [rate_limiting.resources]
 *   host.c       the host's shared starts file, held while the daemon runs
 *   memo.c       a small string per (uid, resource, key) that clients keep
 *   queue.c      acquires waiting for their turn, by priority and age
 *   breaker.c    circuit breakers per (uid, resource), fed by every client
 *   lease.c      concurrency leases: at most N held per resource, FIFO
 *                waiters answered late, reclaimed when the holder goes
 *   executions.c the runs of users' commands that clients report: counters
 *                per (uid, resource, tool), and the active clients
 *   exec_history.c  each execution kept for time ranges (store or ring)
 *   exec_range.c    executions over a time range, for the metrics op
 *   redis.c      the Redis backend: the scheduler script on Redis, outages
 *   http.c       the operator's HTTP port (evhttp): /metrics, /api/v1/resources,
 *                /healthz and the dashboard
 *   log.c        one timestamped line per event on stderr
 *
 * Single-threaded: everything runs on one libevent loop. Times are
 * CLOCK_REALTIME milliseconds, as in the protocol. */
#ifndef PT_DAEMON_DAEMON_H
#define PT_DAEMON_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/store.h"
#include "proto/protocol.h"
#include "patience/breaker.h"
#include "patience/config.h"
#include "patience/config_search.h"
#include "patience/diophantine.h"
#include "patience/host_starts.h"
#include "patience/limit_set.h"
#include "patience/settings.h"
#include "patience/version.h"


#define PT_OUTPUT_MAX (1024 * 1024)     /* unsent reply bytes before a client is dropped */
#define PT_RESOURCE_NAME_MAX 256        /* bytes */
#define PT_CLIENT_ID_MAX 256            /* bytes kept of client_id */
#define PT_LIMIT_MAX INT64_C(1000000000) /* largest limit N */
#define PT_TTL_SLACK_MS INT64_C(60000)  /* default ttl: last offset + window + this */
#define PT_STARTED_AHEAD_MS INT64_C(1000) /* a start reported this far ahead is refused */

/* ---- log.c ---- */

typedef enum pt_log_level {
	PT_LOG_ERROR,
	PT_LOG_WARN,
	PT_LOG_INFO,
	PT_LOG_DEBUG,
} pt_log_level;

/* "error", "warn", "info", "debug"; PT_EINVAL otherwise. */
int pt_log_level_parse(const char *text, pt_log_level *out);
void pt_log_set_level(pt_log_level level);
bool pt_log_enabled(pt_log_level level);
/* One line on stderr: "2025-01-02T03:04:05.678Z patience-daemon[42]: warn: ...".
 * Control characters in the message are shown as '?'. */
void pt_log(pt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- registry.c ---- */

typedef enum pt_limit_source {
	PT_LIMIT_ACQUIRE,   /* the first acquire of the resource */
	PT_LIMIT_SET_LIMIT, /* a set_limit request */
	PT_LIMIT_CONFIG,    /* [rate_limiting.resources] of the config file */
	PT_LIMIT_LEARNED,   /* a learn request: the service's own headers said it */
} pt_limit_source;

/* "acquire", "set_limit", "config", "learned"; parse returns PT_EINVAL for others. */
const char *pt_limit_source_name(pt_limit_source s);
int pt_limit_source_parse(const char *text, pt_limit_source *out);

typedef struct pt_reservation pt_reservation;

typedef struct pt_resource {
	uint32_t uid;
	char *name;  /* owned */
	pt_dio dio;  /* limit, window, the guard in force, and every reserved start */
	int64_t guard_floor_ms; /* the guard set for it; dio's widens when starts are late */
	int64_t guard_wide_ms;  /* what their lateness calls for (0: the floor) */
	struct pt_lateness *lateness; /* owned; NULL until a client reports a start */
	pt_gcra *gcra; /* owned; NULL: dio's sliding window is the rule, else this
			* GCRA (bursts) places the starts that dio records */
	pt_limit_source source;
	bool persisted; /* its row is in the store (or a batch that has not failed) */
	int64_t shared_horizon_ms; /* Redis backend: the latest start any daemon held */
	int64_t shared_lead_ms;    /* ...and how far ahead of its reply it was (recent max) */
	int64_t shared_lead_at_ms; /* when that lead was seen */
	int64_t blocked_until_ms;  /* the service said: no start before this */
	struct pt_learned *learned; /* owned; NULL: no learned limit */
	pt_limit_set *extra;        /* owned; its limits beyond dio's ("1000/1d@calendar") */
	char *tz;                   /* owned; their calendar's zone, or NULL */
	struct pt_resource *chain;
} pt_resource;

/* The reservations acquired on one connection, released when it closes.
 * Embedded in the connection; the registry links and unlinks. */
typedef struct pt_owner {
	pt_reservation *first;
} pt_owner;

/* One entry of [rate_limiting.resources]: an exact resource id, or a glob
 * (fnmatch(3): "api:external:*") tried when no exact entry matches. */
typedef struct pt_config_limit {
	char *pattern; /* owned */
	int64_t limit;      /* 0: no rate limit, only a concurrency */
	int64_t window_ms;
	int64_t burst; /* 0: a sliding window */
	int64_t concurrency; /* 0: none */
} pt_config_limit;

struct pt_undo;

/* Called when starts of reservation id at or after from_ms are dropped
 * (release, a closed connection, an expired ttl): the Redis backend drops
 * them there too. */
typedef void (*pt_release_fn)(void *ctx, const pt_resource *res, uint64_t id,
			      int64_t from_ms);

/* Called when reservation id's start granted at from_ms is moved to to_ms,
 * where its command really started: the Redis backend moves it there too. */
typedef void (*pt_move_fn)(void *ctx, const pt_resource *res, uint64_t id, int64_t from_ms,
			   int64_t to_ms);

typedef struct pt_registry {
	pt_store *store; /* not owned; NULL: nothing is persisted */
	pt_resource **res_slots;
	size_t res_cap, n_res;
	pt_reservation **rsv_slots;
	size_t rsv_cap, n_rsv;
	uint64_t next_id;
	pt_config_limit *limits; /* owned copy */
	size_t n_limits;
	struct pt_undo *undo; /* what the open batch changed in memory */
	size_t n_undo, undo_cap;
	bool batch_open;
	uint64_t writes; /* store writes ever made: callers compare before and after */
	int64_t store_expired_ms; /* when the store's old starts were last deleted */
	int64_t max_guard_ms; /* widest guard lateness may call for; < 0: a quarter window */
	pt_release_fn on_release; /* may be NULL */
	pt_move_fn on_move;       /* may be NULL */
	void *release_ctx;        /* for both */
} pt_registry;

typedef struct pt_acquire {
	uint32_t uid;
	const char *resource;
	int64_t limit;     /* the resource's limit when this acquire creates it */
	int64_t window_ms;
	const int64_t *offsets;
	size_t k;
	int64_t not_before_ms; /* the base is at or after max(now, this) */
	int64_t max_wait_ms;   /* < 0: no bound */
	int64_t ttl_ms;        /* <= 0: the default, counted from the start */
	int64_t guard_ms;      /* > 0: the guard when this acquire creates the resource */
	int64_t burst;         /* > 0: a GCRA resource with bursts of this, if this creates it */
	int64_t priority;      /* queued acquires: higher goes first (high 1, low -1) */
	bool queue;            /* wait in the queue rather than reserve ahead */
	const char *client_id; /* may be NULL */
	pt_owner *owner;       /* the connection it came on; NULL: none */
	int64_t cap;           /* > 0: place as if the limit were min(limit, cap) */
	const pt_limit *extra; /* the resource's other limits, kept when it gets them first */
	size_t n_extra;
	const char *tz;        /* their calendar's zone; NULL: the daemon's */
} pt_acquire;

typedef struct pt_placement {
	uint64_t reservation;
	int64_t start_ms;   /* the base: offsets[i] start at start_ms + offsets[i] */
	int64_t expires_ms; /* unused starts are dropped then */
	int64_t limit, window_ms, guard_ms; /* the resource's, as used */
	int64_t burst;      /* its GCRA burst; 0: sliding */
	size_t crowded; /* PT_EINFEASIBLE: offsets[crowded .. crowded+limit] share a window */
} pt_placement;

/* As the uid of pt_registry_list, pt_registry_count, pt_memo_count: every uid. */
#define PT_UID_ALL UINT32_MAX

typedef struct pt_resource_usage {
	const pt_resource *res;
	size_t reserved;      /* starts after now (one at now is in_window) */
	size_t in_window;     /* starts in (now - window, now] */
	int64_t next_free_ms; /* when one more start would fit */
	size_t waiting;       /* queued acquires (pt_queue_count_waiting); 0 from the registry */
	const struct pt_exec_entry *executions; /* pt_exec_attach; NULL from the registry */
} pt_resource_usage;

/* store may be NULL (tests; nothing is persisted and nothing is held). */
int pt_registry_init(pt_registry *r, pt_store *store);
void pt_registry_release(pt_registry *r);

/* Load the store's resources and starts (after a restart), then expire what
 * is over. PT_EIO with the reason in err. */
int pt_registry_restore(pt_registry *r, int64_t now_ms, char *err, size_t err_len);

/* Replace the config limits (copied) and apply them: every resource that
 * matches takes the config's limit; one whose config entry is gone keeps
 * its limit as if set by set_limit. */
int pt_registry_set_config(pt_registry *r, const pt_config_limit *limits, size_t n);
/* The config entry with a rate limit for name, or NULL. */
const pt_config_limit *pt_registry_config_limit(const pt_registry *r, const char *name);
/* The config's concurrency for name (exact entry, else first glob), 0: none. */
int64_t pt_registry_config_concurrency(const pt_registry *r, const char *name);

pt_resource *pt_registry_find(const pt_registry *r, uint32_t uid, const char *name);

/* Place and reserve a task (docs/PROTOCOL.md, acquire). Returns PT_OK;
 * PT_EINFEASIBLE (out has the limits and crowded); PT_ERANGE: the start
 * would break max_wait_ms (out->start_ms says when); PT_EINVAL: the limits
 * of a new resource or the times are out of range; PT_ENOMEM; PT_EIO: the
 * store refused the write (nothing was granted). A resource is created only
 * by a successful acquire. */
int pt_registry_acquire(pt_registry *r, const pt_acquire *a, int64_t now_ms,
			pt_placement *out);

/* The resource a names, created (with the config's or a's limit) if new:
 * the Redis backend needs its limit before it places. *created: destroy it
 * with pt_registry_forget when the acquire fails. PT_EINVAL, PT_ENOMEM. */
int pt_registry_prepare(pt_registry *r, const pt_acquire *a, pt_resource **out, bool *created);
/* Destroy a resource pt_registry_prepare created that holds nothing. */
void pt_registry_forget(pt_registry *r, pt_resource *res);
/* A fresh reservation id (for a grant placed elsewhere). */
uint64_t pt_registry_new_id(pt_registry *r);
/* Reserve a's starts at base_ms under id, placed elsewhere (Redis): as
 * pt_registry_acquire without the search. */
int pt_registry_grant_at(pt_registry *r, const pt_acquire *a, uint64_t id, int64_t base_ms,
			 int64_t now_ms, pt_placement *out);

/* Reserve a's starts at base_ms, as made elsewhere (the host's shared
 * starts, made while no daemon ran): kept and saved as the daemon's own. */
int pt_registry_reserve_at(pt_registry *r, const pt_acquire *a, int64_t base_ms, int64_t now_ms,
			   pt_placement *out);

/* Was reservation id placed by Redis (pt_registry_grant_at)? false when
 * unknown (its record is gone). */
bool pt_registry_shared(const pt_registry *r, uint64_t id);

/* Drop reservation id's starts at or after max(from_ms, now_ms + 1); with
 * unused, at or after from_ms even when past: the client says it never used
 * them (it woke too late). PT_ENOENT when uid has no such live reservation
 * (with unused: none kept, up to a window after its last start). */
int pt_registry_cancel(pt_registry *r, uint32_t uid, uint64_t id, int64_t from_ms, bool unused,
		       int64_t now_ms, size_t *released);

/* Set a resource's limit (creating it). PT_EINVAL when the config file
 * governs it or the values are out of range; PT_ENOMEM; PT_EIO. */
int pt_registry_set_limit(pt_registry *r, uint32_t uid, const char *name, int64_t limit,
			  int64_t window_ms, const pt_resource **out);

/* set_limit with the limit's source: PT_LIMIT_SET_LIMIT or PT_LIMIT_LEARNED. */
int pt_registry_relimit(pt_registry *r, uint32_t uid, const char *name, int64_t limit,
			int64_t window_ms, pt_limit_source source, pt_resource **out);

/* The command of reservation id's start granted at granted_ms (on uid's
 * resource name) really started at started_ms: move the start there (never
 * earlier), record its lateness, and set the guard in force to cover what
 * is measured. PT_OK with *out; PT_ENOENT: no such start; PT_ENOMEM. */
int pt_registry_started(pt_registry *r, uint32_t uid, const char *name, uint64_t id,
			int64_t granted_ms, int64_t started_ms, int64_t now_ms,
			pt_resource **out);

/* The connection closed: release the future starts of its reservations. */
size_t pt_registry_owner_close(pt_registry *r, pt_owner *o, int64_t now_ms);
/* The daemon stops: forget the owner but keep its reservations. */
void pt_registry_owner_detach(pt_registry *r, pt_owner *o);
/* Does o hold a start at or after now that has not expired? */
bool pt_registry_owner_holds(const pt_owner *o, int64_t now_ms);

/* Drop starts that count in no future window, the unused starts of
 * reservations past their ttl, and reservations with nothing ahead. */
void pt_registry_expire(pt_registry *r, int64_t now_ms);

/* For a write of another kind (memo.c): open the batch, which the next
 * commit commits (a failed one does not undo that write in memory). PT_OK
 * with *store, or NULL when nothing is persisted; PT_EIO. */
int pt_registry_batch(pt_registry *r, pt_store **store);
/* Is there a batch with writes waiting for pt_registry_commit? */
bool pt_registry_dirty(const pt_registry *r);
/* Commit the open batch. On failure rolls it back, undoes in memory the
 * grants and limit changes it held, and returns PT_EIO. */
int pt_registry_commit(pt_registry *r);

/* The resources of uid (PT_UID_ALL: every uid) sorted by uid and name,
 * with their usage at now; *out is malloc'd (free it). */
int pt_registry_list(const pt_registry *r, uint32_t uid, int64_t now_ms,
		     pt_resource_usage **out, size_t *n);
/* How many resources and live reservations uid has. */
void pt_registry_count(const pt_registry *r, uint32_t uid, int64_t now_ms,
		       size_t *resources, size_t *reservations);

/* ---- learned.c: what the services' headers told ---- */

/* A learn request (docs/PROTOCOL.md, learn). */
typedef struct pt_learn {
	uint32_t uid;
	const char *resource;
	int64_t limit, window_ms; /* 0: the service told no limit */
	int64_t blocked_until_ms; /* 0: no wait */
	int64_t expires_ms;       /* 0: the default (one window after it is learned) */
	const char *from;         /* what told it, e.g. "X-RateLimit-* headers" */
	int64_t create_limit, create_window_ms; /* the limit of a resource it creates */
} pt_learn;

/* A resource's learned limit and the limit it replaced. */
typedef struct pt_learned {
	int64_t expires_ms;
	int64_t prev_limit, prev_window_ms;
	pt_limit_source prev_source;
	char from[64];
} pt_learned;

/* Apply l: the wait to every later start, the limit until it expires
 * (unless the config file governs the resource: then PT_EINVAL and only the
 * wait applies). *out: the resource. PT_ENOENT: the resource is new and l
 * gives no limit to create it with. PT_ENOMEM, PT_EIO as set_limit. */
int pt_learn_apply(pt_registry *r, const pt_learn *l, int64_t now_ms, pt_resource **out);
/* Give back the limits that learned limits replaced, once they expire. */
void pt_learn_expire(pt_registry *r, int64_t now_ms);

/* ---- memo.c: what clients keep between their runs ---- */

#define PT_MEMO_KEY_MAX 32      /* bytes */
#define PT_MEMO_VALUE_MAX 4096  /* bytes */
#define PT_MEMO_PER_UID_MAX 1024

typedef struct pt_memo {
	uint32_t uid;
	char *resource;                /* owned */
	char key[PT_MEMO_KEY_MAX + 1];
	char *value;                   /* owned */
	int64_t updated_ms;
	struct pt_memo *next;
} pt_memo;

/* Zeroed: empty. */
typedef struct pt_memo_table {
	pt_memo *first;
} pt_memo_table;

/* NULL when there is none. */
const pt_memo *pt_memo_get(const pt_memo_table *t, uint32_t uid, const char *resource,
			   const char *key);
/* Set (copying) the value. PT_OK; PT_EINVAL: key not 1 to PT_MEMO_KEY_MAX
 * bytes, or value longer than PT_MEMO_VALUE_MAX; PT_ERANGE: uid already has
 * PT_MEMO_PER_UID_MAX others; PT_ENOMEM. */
int pt_memo_put(pt_memo_table *t, uint32_t uid, const char *resource, const char *key,
		const char *value, int64_t now_ms);
size_t pt_memo_count(const pt_memo_table *t, uint32_t uid);
void pt_memo_release(pt_memo_table *t);
/* Write m into r's open batch (PT_OK without a store); PT_EIO. */
int pt_memo_save(pt_registry *r, const pt_memo *m);
/* Put every memo the store keeps into t (a row that breaks a bound is
 * skipped). PT_OK, PT_ENOMEM, PT_EIO. */
int pt_memo_restore(pt_memo_table *t, pt_store *s);

/* ---- executions.c: the runs of users' commands that clients report ---- */

#define PT_EXEC_TOOL_MAX 32              /* bytes of a tool's name */
#define PT_EXEC_TOOLS_NAMED 16           /* tools counted by name per resource; then "other" */
#define PT_EXEC_RESOURCES_PER_UID_MAX 1024
#define PT_EXEC_TOUCHED_PER_CONN_MAX 64  /* resources one connection is counted active on */
#define PT_EXEC_HIST_TOOLS 16            /* tools of the duration histogram; then "other" */
#define PT_EXEC_DURATION_BUCKETS 14      /* upper bounds 0.01 s ... 300 s; then +Inf */
#define PT_EXEC_OTHER "other"

/* Counters of executions (the mean duration is duration_sum_ms / total). */
typedef struct pt_exec_counts {
	int64_t total, succeeded; /* failed: total - succeeded */
	int64_t duration_sum_ms;
	int64_t last_ms;          /* the latest start (when total > 0) */
	bool last_succeeded;      /* ...and how that one ended */
} pt_exec_counts;

typedef struct pt_exec_tool {
	char name[PT_EXEC_TOOL_MAX + 1];
	pt_exec_counts counts;
} pt_exec_tool;

/* What one uid's resource has run, per tool, and who is on it now. An
 * entry lives while it has counts or active clients. */
typedef struct pt_exec_entry {
	uint32_t uid;
	char *resource; /* owned */
	pt_exec_tool *tools; /* owned: n_tools, at most PT_EXEC_TOOLS_NAMED + "other" */
	size_t n_tools;
	pt_exec_counts all;   /* every tool's together */
	size_t active_clients; /* live connections that acquired, leased or reported here */
	struct pt_exec_entry *chain;      /* its hash bucket's */
	struct pt_exec_entry *prev, *next; /* the table's list, oldest first */
} pt_exec_entry;

/* A connection's side: the entries it counts as an active client on.
 * Embedded in the connection; dropped when it closes. */
typedef struct pt_exec_client {
	struct pt_exec_touch *first;
	size_t n;
	char tool[PT_EXEC_TOOL_MAX + 1]; /* from its hello's "client"; "": none said */
} pt_exec_client;

typedef struct pt_exec_ring pt_exec_ring;

/* Per uid: its entries and its history's size (bounds), and without a
 * store its ring of recent executions. */
typedef struct pt_exec_user {
	uint32_t uid;
	size_t n_entries;
	int64_t stored; /* its executions in the store's history */
	pt_exec_ring *ring; /* owned; NULL with a store */
	struct pt_exec_user *next;
} pt_exec_user;

/* How long each tool's runs took, since the daemon started. */
typedef struct pt_exec_histogram {
	char tool[PT_EXEC_TOOL_MAX + 1];
	uint64_t le[PT_EXEC_DURATION_BUCKETS + 1]; /* runs in bucket i (not cumulative) */
	int64_t sum_ms;
} pt_exec_histogram;

#define PT_EXEC_SLOTS 256 /* hash buckets of the entries */

/* Zeroed: empty. */
typedef struct pt_exec_table {
	pt_exec_entry *slots[PT_EXEC_SLOTS];
	pt_exec_entry *first, *last;
	pt_exec_user *users;
	pt_exec_histogram hist[PT_EXEC_HIST_TOOLS];
	size_t n_hist;
	int64_t pruned_ms; /* when the history was last pruned */
} pt_exec_table;

/* Add x to c; add what add counted to into. */
void pt_exec_counts_add(pt_exec_counts *c, const pt_store_execution *x);
void pt_exec_counts_merge(pt_exec_counts *into, const pt_exec_counts *add);
/* Is name 1 to PT_EXEC_TOOL_MAX letters, digits, '.', '_' or '-'? */
bool pt_exec_tool_valid(const char *name);
/* The tool a hello's "client" names: its first word if that is a valid
 * name ("rpr 0.1.0": "rpr"), else "" (counted as "other"). */
void pt_exec_tool_of_client(const char *client, char out[PT_EXEC_TOOL_MAX + 1]);
/* NULL when there is none. */
pt_exec_entry *pt_exec_find(const pt_exec_table *t, uint32_t uid, const char *resource);
/* uid's bounds and ring: NULL when it has none; _get makes it (NULL: out
 * of memory). */
pt_exec_user *pt_exec_user_of(const pt_exec_table *t, uint32_t uid);
pt_exec_user *pt_exec_user_get(pt_exec_table *t, uint32_t uid);
/* Count x (its uid, resource, tool: valid names) in its entry, made if
 * new; a tool beyond the resource's PT_EXEC_TOOLS_NAMED counts as "other".
 * PT_OK with *e and *tool (the index it counted under); PT_ERANGE: the uid
 * already counts PT_EXEC_RESOURCES_PER_UID_MAX resources; PT_ENOMEM. */
int pt_exec_count(pt_exec_table *t, const pt_store_execution *x, pt_exec_entry **e,
		  size_t *tool);
/* Add to the counters as a store row says (restore); rows that break a
 * bound are skipped. */
int pt_exec_restore(pt_exec_table *t, pt_store *s);
/* The connection o of uid acquired, leased or reported on resource: it
 * counts once among the resource's active clients (an entry is made if
 * need be, within the bounds; beyond them it is not counted). */
void pt_exec_touch(pt_exec_table *t, pt_exec_client *o, uint32_t uid, const char *resource);
/* The connection closed: it stops counting anywhere. */
void pt_exec_client_close(pt_exec_table *t, pt_exec_client *o);
/* The entry of (uid, resource) once it has runs reported, else NULL: a
 * resource shows its executions (and active clients) from then on, so
 * that what it shows before does not hang on who is connected. */
const pt_exec_entry *pt_exec_reported(const pt_exec_table *t, uint32_t uid, const char *resource);
/* Set u[i].executions for each resource of u (pt_exec_reported). */
void pt_exec_attach(const pt_exec_table *t, pt_resource_usage *u, size_t n);
/* The histogram that counts tool's runs ("other" once all are taken). */
const pt_exec_histogram *pt_exec_histogram_of(const pt_exec_table *t, const char *tool);
/* The upper bound of bucket i in ms. */
int64_t pt_exec_bucket_ms(size_t i);
void pt_exec_table_release(pt_exec_table *t);

/* ---- exec_history.c: each execution, kept for time ranges ---- */

#define PT_EXEC_RETENTION_MS INT64_C(604800000)  /* 7 days */
#define PT_EXEC_STORED_PER_UID_MAX 250000        /* executions of a uid in the store */
#define PT_EXEC_RING_PER_UID 10000               /* ...in memory, without a store */
#define PT_EXEC_PRUNE_EVERY_MS INT64_C(60000)

/* Keep x (counted in e under tool): in r's store (the open batch) with
 * e's new counters, else in its uid's ring. PT_OK, PT_ENOMEM, PT_EIO. */
int pt_exec_history_add(pt_exec_table *t, pt_registry *r, const pt_exec_entry *e, size_t tool,
			const pt_store_execution *x);
/* uid's executions that started in [from_ms, to_ms], of resource (NULL:
 * all), from the store when there is one, else from the ring. */
int pt_exec_history_scan(const pt_exec_table *t, pt_store *s, uint32_t uid, const char *resource,
			 int64_t from_ms, int64_t to_ms, pt_store_execution_fn fn, void *ctx);
/* Once a minute: drop what is older than the retention, and a uid's
 * oldest beyond its bound. Writes go into r's open batch. */
void pt_exec_history_prune(pt_exec_table *t, pt_registry *r, int64_t now_ms);
/* Count each uid's stored executions (after a restart). */
int pt_exec_history_restore(pt_exec_table *t, pt_store *s);
void pt_exec_ring_free(pt_exec_ring *ring);

/* ---- exec_range.c: executions over a time range (the metrics op) ---- */

/* One resource's executions in the range. */
typedef struct pt_exec_span {
	char *resource;      /* owned */
	pt_exec_counts all;
	pt_exec_tool tools[PT_EXEC_TOOLS_NAMED + 1];
	size_t n_tools;
	int64_t *starts;     /* owned: every start, sorted by pt_exec_range_finish */
	size_t n_starts, cap_starts;
} pt_exec_span;

/* Zeroed: empty. */
typedef struct pt_exec_range {
	pt_exec_span *spans; /* owned */
	size_t n, cap;
	pt_exec_span sum;    /* every resource's together (no starts kept) */
	int64_t first_ms;    /* the earliest start seen (when sum.all.total > 0) */
} pt_exec_range;

/* Starts in the fullest window of window_ms among sorted starts. */
typedef struct pt_exec_window {
	size_t fullest;   /* starts in it */
	int64_t from_ms;  /* where it begins (the first of them) */
} pt_exec_window;

/* A pt_store_execution_fn: add one execution (ctx: the range). */
int pt_exec_range_add(void *range, const pt_store_execution *x);
/* Sort each span's starts. */
void pt_exec_range_finish(pt_exec_range *r);
pt_exec_window pt_exec_fullest_window(const int64_t *starts, size_t n, int64_t window_ms);
void pt_exec_range_release(pt_exec_range *r);

/* ---- breaker.c: circuit breakers shared by every client of a resource ---- */

#define PT_BREAKERS_PER_UID_MAX 1024

/* The breaker of (uid, resource): the first client's spec made it. Kept in
 * memory only: a restarted daemon starts every breaker closed. */
typedef struct pt_breaker_entry {
	uint32_t uid;
	char *resource; /* owned */
	pt_breaker b;
	uint64_t entered[PT_BREAKER_STATES]; /* transitions into each state */
	struct pt_breaker_entry *next;
} pt_breaker_entry;

/* Zeroed: empty. */
typedef struct pt_breaker_table {
	pt_breaker_entry *first;
} pt_breaker_table;

/* A probe permit held by a connection; given back when it closes. */
typedef struct pt_probe_permit {
	pt_breaker_entry *e;
	uint64_t round;
	struct pt_probe_permit *next;
} pt_probe_permit;

/* NULL when there is none. */
pt_breaker_entry *pt_breaker_find(const pt_breaker_table *t, uint32_t uid, const char *resource);
/* The breaker of (uid, resource), made with spec (valid) when new. PT_OK;
 * PT_ERANGE: uid already has PT_BREAKERS_PER_UID_MAX; PT_ENOMEM. */
int pt_breaker_get(pt_breaker_table *t, uint32_t uid, const char *resource,
		   const pt_breaker_spec *spec, pt_breaker_entry **out);
/* May an attempt start now? A probe permit is recorded in *permits (the
 * connection's). PT_OK; PT_ENOMEM (the permit is given back: not admitted). */
int pt_breaker_admit_for(pt_breaker_entry *e, pt_probe_permit **permits, int64_t now_ms,
			 pt_breaker_admission *out);
/* An admitted attempt ended; a permit of e in *permits makes it the probe's
 * outcome (and is dropped). */
void pt_breaker_report_for(pt_breaker_entry *e, pt_probe_permit **permits, bool success,
			   int64_t now_ms);
/* The connection closed: give back every permit it held. */
void pt_breaker_permits_close(pt_probe_permit **permits);
size_t pt_breaker_count(const pt_breaker_table *t, uint32_t uid);
void pt_breaker_table_release(pt_breaker_table *t);

/* ---- daemon_config.c ---- */

/* The daemon's view of the config files: the shared settings (checked by
 * the same table as patience) and the [rate_limiting.resources] limits. */
typedef struct pt_daemon_config {
	pt_config settings;
	pt_config_limit *limits;
	size_t n_limits;
} pt_daemon_config;

/* The daemon's config files: explicit_file (--config) only, else the one
 * PATIENCE_CONFIG_FILE names, else /etc/patience/config.toml and then
 * $XDG_CONFIG_HOME/patience/config.toml (~/.config/...), each or its
 * config.yaml, skipping missing ones. */
void pt_daemon_config_search(pt_config_search *s, const char *explicit_file);
/* Read them (pt_daemon_config_search); a later file's entry wins. Returns
 * PT_OK, or an error with "file:line: ..." in err (PT_ENOENT: the named
 * file does not exist). */
int pt_daemon_config_load(pt_daemon_config *c, const char *explicit_file, char *err,
			  size_t err_len);
void pt_daemon_config_release(pt_daemon_config *c);
void pt_config_limits_free(pt_config_limit *limits, size_t n);

/* ---- lease.c: concurrency leases (docs/PROTOCOL.md, lease) ---- */

#define PT_LEASE_LIMIT_MAX PT_CONCURRENCY_MAX /* largest concurrency N */
#define PT_LEASES_PER_CONN_MAX 1024 /* leases held or awaited on one connection */

struct pt_lease;

/* The leases held or awaited on one connection, embedded in it: they die
 * with it. pid: the peer's (SO_PEERCRED), checked on the tick. */
typedef struct pt_lease_owner {
	struct pt_lease *first;
	size_t n;
	pid_t pid;
} pt_lease_owner;

/* At most limit leases of (uid, name) held at once; the rest wait FIFO. */
typedef struct pt_lease_pool {
	uint32_t uid;
	char *name; /* owned */
	int64_t limit;
	bool from_config;
	size_t n_held, n_waiting;
	struct pt_lease *held, *wait_first, *wait_last;
	struct pt_lease_pool *next;
} pt_lease_pool;

typedef struct pt_lease {
	uint64_t id;
	pt_lease_pool *pool;
	pt_lease_owner *owner;
	struct pt_reply *reply; /* waiting: its place among the connection's replies */
	int64_t asked_ms;       /* monotonic: when it was asked for */
	int64_t deadline_ms;    /* waiting: monotonic; 0: waits as long as it takes */
	bool granted;
	struct pt_lease *prev, *next;             /* the pool's held or waiting list */
	struct pt_lease *owner_prev, *owner_next; /* the owner's */
} pt_lease;

/* A waiter got its lease (granted), or its deadline passed (expired: it is
 * freed when the callback returns). Either may close connections. */
typedef void (*pt_lease_fn)(void *ctx, pt_lease *l);

typedef struct pt_lease_table {
	pt_lease_pool *pools;
	uint64_t next_id;
	pt_lease_fn granted, expired;
	void *ctx;
} pt_lease_table;

typedef struct pt_lease_ask {
	uint32_t uid;
	const char *resource;
	int64_t limit;        /* the pool's limit when this creates it */
	int64_t config_limit; /* > 0: the config's, which wins */
	pt_lease_owner *owner;
	int64_t now_ms, deadline_ms; /* monotonic; deadline 0: none */
} pt_lease_ask;

void pt_lease_table_init(pt_lease_table *t, pt_lease_fn granted, pt_lease_fn expired,
			 void *ctx);
void pt_lease_table_release(pt_lease_table *t);
/* A lease of a->resource: granted at once (*out)->granted, else queued.
 * PT_OK; PT_ERANGE: the owner already has PT_LEASES_PER_CONN_MAX; PT_ENOMEM. */
int pt_lease_take(pt_lease_table *t, const pt_lease_ask *a, pt_lease **out);
/* Give back (or stop waiting for) the owner's lease id; the first waiter
 * gets it. PT_ENOENT when o has no such lease. */
int pt_lease_give_back(pt_lease_table *t, pt_lease_owner *o, uint64_t id);
/* The owner's connection closed: drop its waits, then its leases. */
void pt_lease_owner_close(pt_lease_table *t, pt_lease_owner *o);
/* Does o wait for a lease? */
bool pt_lease_owner_waits(const pt_lease_owner *o);
/* Drop the leases whose holder's pid alive() says is gone. */
size_t pt_lease_reap(pt_lease_table *t, bool (*alive)(pid_t pid));
/* Answer the waiters whose deadline is at or before now_ms. */
void pt_lease_expire(pt_lease_table *t, int64_t now_ms);
/* The earliest waiter's deadline (monotonic), 0: none. */
int64_t pt_lease_next_deadline(const pt_lease_table *t);
/* Forget the pools nobody holds or waits for (their limit with them). */
void pt_lease_forget_idle(pt_lease_table *t);
const pt_lease_pool *pt_lease_find(const pt_lease_table *t, uint32_t uid, const char *name);

struct pt_daemon;
struct pt_conn;
/* The daemon's side: replies for the waiters, the max-wait timer, the tick. */
int pt_lease_setup(struct pt_daemon *d);
void pt_lease_teardown(struct pt_daemon *d);
/* The reply of a granted lease: {"ok":true,"lease":ID,...} (NULL: no memory). */
struct cJSON *pt_lease_reply_json(const pt_lease *l, int64_t now_ms);
/* A lease was queued or dropped: the max-wait timer follows the first deadline. */
void pt_lease_rearm(struct pt_daemon *d);
void pt_lease_conn_close(struct pt_daemon *d, struct pt_conn *c);
/* On the 1 s tick: holders whose pid is gone lose their leases. */
void pt_lease_tick(struct pt_daemon *d);

/* ---- redis.c: the Redis backend ---- */

struct pt_daemon;
typedef struct pt_redis pt_redis;

/* Which way an acquire was placed: the memory backend (this daemon alone),
 * Redis (every daemon sharing it), or this daemon's share while Redis does
 * not answer. The reply's "backend" field. */
typedef enum pt_grant_mode { PT_GRANT_MEMORY, PT_GRANT_REDIS, PT_GRANT_OUTAGE } pt_grant_mode;
const char *pt_grant_mode_name(pt_grant_mode m);

typedef struct pt_redis_options {
	char url[1024];           /* redis://[user:password@]host:port/db or unix:///path */
	int64_t timeout_ms;       /* a request unanswered this long: outage */
	double outage_share;      /* 0: 1 / the daemons last seen */
} pt_redis_options;

/* An acquire waiting for Redis's answer, or in the queue (queue.c). */
typedef struct pt_pending {
	struct pt_pending *next;      /* the backend's list, or the queue */
	struct pt_pending *conn_next; /* the connection's list */
	struct pt_conn *conn;         /* NULL once the connection closed */
	struct pt_reply *reply;       /* its place among the connection's replies */
	pt_acquire a;                 /* resource, client_id and offsets point below */
	uint64_t id;                  /* the reservation id it will have */
	int64_t span_ms;
	int64_t sent_ms;              /* monotonic */
	int64_t doubt_ms;             /* how much later than Redis meant the start may be */
	bool queued;                  /* in the queue, not sent to Redis */
	int64_t queued_ms, key_ms;    /* when it came; its place in the queue */
	int64_t deadline_ms;          /* answer wait_too_long then; < 0: never */
	unsigned blocked_pass;        /* the queue's pass that found its start not yet due */
	char resource[PT_RESOURCE_NAME_MAX + 1];
	char client_id[PT_CLIENT_ID_MAX + 1];
	pt_limit extra[PT_LIMITS_MAX];
	char tz[64];
	int64_t offsets[];
} pt_pending;

/* The Redis Cluster slot of key (CRC16 of its hash tag {...}, if any). */
unsigned pt_redis_key_slot(const char *key);
/* Parse url; PT_EINVAL with the reason in err. */
int pt_redis_check_url(const char *url, char *err, size_t err_len);
/* Start connecting (the daemon serves in outage mode until Redis answers). */
int pt_redis_open(struct pt_daemon *d, const pt_redis_options *o, pt_redis **out, char *err,
		  size_t err_len);
void pt_redis_close(pt_redis *r);
bool pt_redis_online(const pt_redis *r);
/* Send p to Redis (owned by the backend from here); its answer comes to
 * pt_protocol_acquire_done. */
void pt_redis_acquire(pt_redis *r, pt_pending *p);
/* In outage: the cap and earliest start of a local grant on res. */
void pt_redis_outage_terms(const pt_redis *r, const pt_resource *res, int64_t *cap,
			   int64_t *not_before_ms);
/* For status: "redis", or "outage" with since (realtime ms) and the
 * daemons last seen. */
void pt_redis_describe(const pt_redis *r, const char **mode, int64_t *since_ms,
		       size_t *daemons);

/* ---- queue.c ---- */

#define PT_QUEUE_LOOKAHEAD_MS 100 /* a queued acquire is placed this long before its start */
#define PT_QUEUE_MAX 4096         /* acquires queued at once (a pass is quadratic) */

/* Queue p (its reply held, linked to its connection's pending list; the
 * caller keeps n_queued below PT_QUEUE_MAX) and serve the queue. */
void pt_queue_add(struct pt_daemon *d, pt_pending *p);
/* Serve the queue in the next loop turn: place every waiter whose turn and
 * start have come. Called when starts may have freed (a release, a closed
 * connection, a new limit, the tick). */
void pt_queue_kick(struct pt_daemon *d);
/* c closed: forget its waiters. */
void pt_queue_drop_conn(struct pt_daemon *d, struct pt_conn *c);
/* Has c an acquire in the queue? */
bool pt_queue_holds(const struct pt_conn *c);
/* Set u[i].waiting, the acquires queued for each resource of u (sorted as
 * pt_registry_list sorts it): one pass over the queue, not one a resource. */
void pt_queue_count_waiting(const struct pt_daemon *d, pt_resource_usage *u, size_t n);
void pt_queue_release(struct pt_daemon *d);

/* protocol.c, for queue.c: place queued p if its start is at most
 * PT_QUEUE_LOOKAHEAD_MS away. true: answered (granted or refused; p is
 * unlinked from its connection, free it); false: *retry_ms is its start. */
bool pt_protocol_try_queued(struct pt_daemon *d, pt_pending *p, int64_t now_ms,
			    int64_t *retry_ms);
/* p's max_wait_ms passed in the queue: answer wait_too_long. */
void pt_protocol_queued_timeout(struct pt_daemon *d, pt_pending *p, int64_t now_ms);

/* protocol.c: Redis answered p (granted: base_ms in this host's clock; else
 * wait_ms > 0 when max_wait forbids the start, or neither: Redis failed and
 * the acquire is placed locally). Sends the reply; frees nothing. */
void pt_protocol_acquire_done(struct pt_daemon *d, pt_pending *p, bool granted,
			      int64_t base_ms, int64_t wait_ms);

/* ---- server.c, protocol.c, lifecycle.c ---- */

typedef struct pt_daemon_options {
	char socket_path[PATH_MAX];
	char state_path[PATH_MAX];
	char config_file[PATH_MAX]; /* "": the default files */
	pt_log_level log_level;
	bool log_level_fixed; /* given by --log-level: SIGHUP keeps it */
	int64_t max_clients;
	int64_t idle_timeout_ms; /* 0: never */
	unsigned socket_mode;
	pt_redis_options redis; /* url "": the memory backend */
	char metrics_listen[320]; /* host:port of the HTTP port; "": none */
	int64_t priority_aging_ms; /* a queued acquire's wait that is worth one priority level */
	int64_t max_guard_ms; /* widest a resource's guard grows for late starts; < 0: W/4 */
} pt_daemon_options;

/* ---- http.c: the operator's HTTP port ---- */

typedef enum pt_acquire_outcome {
	PT_ACQ_GRANTED,
	PT_ACQ_INFEASIBLE,
	PT_ACQ_WAIT_TOO_LONG,
	PT_ACQ_ERROR, /* bad start times, out of memory, the store failed */
	PT_ACQ_OUTCOMES,
} pt_acquire_outcome;

#define PT_WAIT_BUCKETS 7 /* upper bounds 0, 0.01, 0.1, 1, 10, 60, 600 s; then +Inf */

/* Counters since the daemon started (zeroed: none). */
typedef struct pt_metrics {
	uint64_t acquires[PT_ACQ_OUTCOMES];
	uint64_t wait_le[PT_WAIT_BUCKETS + 1]; /* grants whose wait fell in bucket i (not cumulative) */
	int64_t wait_sum_ms;
} pt_metrics;

/* Count one answered acquire; wait_ms (a grant's start - now) only for grants. */
void pt_metrics_acquired(pt_metrics *m, pt_acquire_outcome o, int64_t wait_ms);

/* Split "host:port" ("[::1]:9464" for IPv6) into host and port 1..65535.
 * PT_EINVAL with the reason in err. */
int pt_http_parse_listen(const char *text, char *host, size_t host_len, uint16_t *port,
			 char *err, size_t err_len);
/* Listen on d->opt.metrics_listen (nothing when ""). -1 with the reason in err. */
int pt_http_start(struct pt_daemon *d, char *err, size_t err_len);
void pt_http_release(struct pt_daemon *d);

struct event_base;
struct event;
struct bufferevent;
struct timeval;
typedef struct pt_conn pt_conn;
typedef struct pt_reply pt_reply;

struct evhttp;

typedef struct pt_daemon {
	pt_daemon_options opt;
	struct evhttp *http; /* NULL: no metrics port */
	pt_metrics metrics;
	int64_t started_real_ms; /* CLOCK_REALTIME: process_start_time_seconds */
	struct event_base *base;
	pt_store *store;
	pt_registry reg;
	pt_memo_table memos;
	pt_breaker_table breakers;
	pt_redis *redis; /* NULL: the memory backend */
	pt_pending *queued; /* queue.c: sorted by key */
	size_t n_queued;
	struct event *queue_ev;
	pt_lease_table leases;
	struct event *lease_timer; /* the first waiter's max wait */
	pt_exec_table execs;
	int listen_fd;
	dev_t socket_dev; /* the socket we bound, so we remove only ours */
	ino_t socket_ino;
	struct event *listen_ev, *accept_retry_ev, *commit_ev, *checkpoint_ev, *tick_ev;
	struct event *signal_ev[3];
	const struct timeval *idle_tv; /* a libevent common timeout, or NULL */
	pt_conn *conns; /* every connection */
	size_t n_conns;
	pt_conn *held; /* connections with replies waiting for the commit */
	bool commit_pending;
	int64_t batch_since_ms; /* monotonic: when the open batch got its first write */
	int64_t started_ms;     /* monotonic */
	uint64_t next_conn_id;
	int64_t refused_logged_ms; /* monotonic: when too_many_clients was last logged */
	int pid_fd;
	char pid_path[PATH_MAX];
	pt_host_file host;       /* the host's shared starts, locked while we run */
	int64_t host_horizon_ms; /* no grant of ours is later than this */
	bool stopping;
	bool accept_starved; /* accept failed for want of descriptors */
	char line[PT_PROTOCOL_LINE_MAX]; /* the request being answered */
} pt_daemon;

struct pt_conn {
	pt_daemon *d;
	struct bufferevent *bev;
	uint64_t id;
	uint32_t uid;
	pid_t pid;
	pt_owner owner;
	pt_probe_permit *permits; /* circuit breaker probes it may run */
	pt_lease_owner leases;
	pt_exec_client exec; /* its tool, and the resources it is active on */
	bool skipping; /* dropping the rest of a line that was too long */
	bool eof;      /* the client sends no more; close once answered */
	pt_reply *held_first, *held_last; /* replies waiting for the commit or Redis */
	size_t held_bytes;
	pt_pending *pending; /* its acquires Redis has not answered */
	bool in_held;
	pt_conn *held_next;
	pt_conn *prev, *next;
};

/* ---- entity_json.c: the daemon's entities as JSON, one set of keys for
 * the protocol and the HTTP port (docs/PROTOCOL.md); NULL when out of
 * memory ---- */

/* A resource and its usage: resource, limit, window_ms, guard_ms, source,
 * algorithm, reserved, in_window, next_free_ms, waiting, and when they
 * apply burst, tat_ms, wait_until_ms, learned_from, learned_expires_ms,
 * limits, tz, starts_late_ms, executions. */
struct cJSON *pt_resource_json(const pt_resource_usage *u, int64_t now_ms);
/* How late res's starts were made after their grants, as
 * {"samples","p50","p99","p999","max","guard_floor_ms"} (the guard in force
 * covers p99.9); NULL also when no client reported a start. */
struct cJSON *pt_starts_late_json(const pt_resource *res, int64_t now_ms);
/* resource, state, failures, open_until_ms (while open), probes_in_flight,
 * spec. */
struct cJSON *pt_breaker_json(const pt_breaker_entry *e, int64_t now_ms);
/* resource, limit, held, waiting, source ("lease" or "config"). */
struct cJSON *pt_lease_pool_json(const struct pt_lease_pool *p);
/* x >= 0 rounded to 1/10000, so that it prints short. */
struct cJSON *pt_json_fraction(double x);
/* Executions counted: total, succeeded, failed, success_rate (when total >
 * 0), mean_duration_ms, last_ms and last_outcome (when total > 0). */
struct cJSON *pt_exec_counts_json(const pt_exec_counts *c);
/* {"name": counts, ...}, in the order the tools were first seen. */
struct cJSON *pt_exec_tools_json(const pt_exec_tool *tools, size_t n);
/* A resource's "executions": its counts, active_clients and tools. */
struct cJSON *pt_executions_json(const pt_exec_entry *e);

/* ---- host.c: the host's shared starts file, held while the daemon runs ---- */

/* Lock it (waiting for runs that use it), take in the starts they made,
 * and leave our pid, horizon and share there. 0, or -1 with err. */
int pt_daemon_host_open(pt_daemon *d, char *err, size_t err_len);
/* A grant's last start: keep the file's horizon ahead of it. */
void pt_daemon_host_granted(pt_daemon *d, int64_t last_start_ms);
/* Write the horizon a last time and let go of the file. */
void pt_daemon_host_close(pt_daemon *d);

/* server.c: a place for a reply that comes later (Redis); every later
 * reply of c waits behind it. NULL when out of memory (c is closed). */
pt_reply *pt_server_hold_later(pt_conn *c);
/* Free c's held replies, sent or not (conn_close; harnesses without a socket). */
void pt_server_held_free(pt_conn *c);
/* Fill r (text copied); durable: wait for the commit too. */
void pt_server_fill(pt_conn *c, pt_reply *r, const char *text, bool durable);

/* protocol.c: answer one request line (without its newline) of c at now.
 * Returns the reply without newline (malloc'd; NULL when out of memory);
 * *durable is set when the reply reports a write (a grant, a limit) that
 * must be committed before it is sent. */
char *pt_protocol_answer(pt_daemon *d, pt_conn *c, const char *line, size_t len,
			 int64_t now_ms, bool *durable);
/* The reply of an acquire that went to Redis: conn_line sends nothing. */
extern const char pt_protocol_later[];
/* v as raw JSON digits (a cJSON number loses integers above 2^53). */
/* {"ok":false,"error":{"code":code,"message":message}}, malloc'd or NULL. */
char *pt_protocol_error(pt_proto_error code, const char *message);
/* The reply that replaces a durable one whose batch failed (static). */
extern const char pt_protocol_internal_reply[];

/* server.c. Event priorities: I/O, timers and signals run at the default
 * (1); the commit runs at PT_PRIORITY_COMMIT, after every callback of the
 * loop turn, so one commit serves all the turn's grants. */
#define PT_EVENT_PRIORITIES 3
#define PT_PRIORITY_COMMIT 2
int pt_server_start(pt_daemon *d, char *err, size_t err_len);
/* The registry wrote to the open batch: make sure a commit is coming. */
void pt_server_wrote(pt_daemon *d);
/* Commit the open batch and send the replies it held. */
void pt_server_commit(pt_daemon *d);
/* Stop accepting, commit, send what can be sent, close every connection
 * (keeping their reservations). */
void pt_server_stop(pt_daemon *d);
void pt_server_release(pt_daemon *d);

/* lifecycle.c: run the daemon until SIGTERM/SIGINT; returns the exit status:
 * 0 after a clean stop, 1 when it cannot start (the reason in err, e.g.
 * "another daemon (pid 42) is serving /run/user/1000/patience/daemon.sock").
 * cfg gives the first config limits; SIGHUP reads the files again. */
int pt_daemon_run(const pt_daemon_options *opt, const pt_daemon_config *cfg, char *err,
		  size_t err_len);

/* CLOCK_REALTIME and CLOCK_MONOTONIC in ms. */
int64_t pt_daemon_now_ms(void);
int64_t pt_daemon_mono_ms(void);

#endif
