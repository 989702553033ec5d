/* The client side of the daemon protocol (docs/PROTOCOL.md): one
 * connection, blocking requests bounded by a timeout, and starting a
 * detached daemon when none answers. Used by patience and rpr. */
#ifndef PT_CLIENT_CLIENT_H
#define PT_CLIENT_CLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "patience/limit.h"
#include "proto/protocol.h"


/* Start a pt_client zeroed ({0}): pt_client_connect keeps only its
 * tool, and a zeroed tool says "patience". */
typedef struct pt_client {
	/* The program's name ("rpr"), which hello sends as "client": "rpr
	 * VERSION", and which the daemon counts executions under when a report
	 * names no tool. A static string; NULL: "patience". */
	const char *tool;
	int fd;             /* -1 when not connected */
	int64_t timeout_ms; /* bound on each request's round trip; <= 0: none */
	char *buf;          /* reply bytes read but not yet consumed, owned */
	size_t len;
	/* NULL, or asked when a signal interrupts a wait: non-zero ends the
	 * request (PT_EIO, the connection closed). Set it after connecting. */
	int (*interrupted)(void);
} pt_client;

typedef struct pt_acquire_req {
	const char *resource;
	int64_t limit;          /* 0 (and window_ms 0): the daemon's limit, if any */
	int64_t window_ms;
	const int64_t *offsets; /* k offsets, ms */
	size_t k;
	int64_t not_before_ms; /* CLOCK_REALTIME ms; 0: now */
	int64_t max_wait_ms;   /* 0: no bound */
	int64_t ttl_ms;        /* 0: the daemon's default */
	int64_t guard_ms;      /* 0: the daemon's default (used if this creates the resource) */
	int64_t burst;         /* B: the resource is a GCRA one (if this creates it); 0: sliding */
	const char *client_id;
	const pt_limit *extra; /* the resource's other limits ("limits"); n_extra of them */
	size_t n_extra;
	const char *tz;        /* their calendar's zone; NULL: the daemon's */
	int64_t priority;      /* -10 .. 10: high 1, normal 0, low -1 */
	bool queue;            /* wait in the daemon's queue for our turn (no timeout) */
} pt_acquire_req;

/* What a service said about a resource (docs/PROTOCOL.md, learn); 0: not said. */
typedef struct pt_learn_req {
	const char *resource;
	int64_t limit, window_ms;     /* the service's quota */
	int64_t wait_until_ms;        /* CLOCK_REALTIME ms: no start before */
	int64_t expires_ms;           /* when the learned limit ends */
	int64_t fallback_limit, fallback_window_ms; /* if the resource is new */
	const char *from;             /* "Retry-After", "X-RateLimit-* headers", ... */
} pt_learn_req;

typedef struct pt_grant {
	uint64_t reservation;
	int64_t start_ms; /* CLOCK_REALTIME ms of offset 0 */
	int64_t now_ms;   /* the daemon's clock when it answered */
	int64_t guard_ms;
	int64_t limit;     /* the resource's limit as the daemon holds it */
	int64_t window_ms;
	int64_t burst;     /* the resource's burst (GCRA); 0: a sliding window */
	char backend[8];   /* "memory", "redis", "outage" (its local share), "none" (no
			    * limit: limit 0, reservation 0); "": not said */
	int64_t max_late_ms; /* start no later than start_ms + this (default guard_ms) */
} pt_grant;

/* One run of a user's command, to report once it has ended
 * (docs/PROTOCOL.md, executed). */
typedef struct pt_execution_report {
	const char *resource;
	const char *tool;    /* NULL: the daemon counts it under the client's (c->tool) */
	int64_t started_ms;  /* CLOCK_REALTIME ms: when the command started */
	int64_t duration_ms; /* how long it ran */
	int exit_code;       /* 0 to 255 */
	bool succeeded;      /* as the program judged it (patterns may override the code) */
} pt_execution_report;

/* Connect to socket_path and say hello. Returns PT_OK; PT_ENOENT when
 * nothing listens there (no socket, refused); PT_EIO on timeout or a broken
 * exchange (also when the daemon refuses us, e.g. too_many_clients);
 * PT_EINVAL when the daemon does not speak protocol 1 or socket_path does
 * not fit a sockaddr_un. err gets a one-line reason. c is always left
 * closeable, and closed (fd -1) on failure. */
int pt_client_connect(pt_client *c, const char *socket_path, int64_t timeout_ms, char *err,
		      size_t err_len);
void pt_client_close(pt_client *c);

/* Start a detached patience-daemon on socket_path (the binary next to our
 * own executable, else the first on PATH) and wait up to wait_ms for it to
 * answer, leaving c connected. Returns as pt_client_connect. */
int pt_client_autostart(pt_client *c, const char *socket_path, int64_t wait_ms,
			int64_t timeout_ms, char *err, size_t err_len);

/* Send one request object, read one reply. On PT_OK *reply is the parsed
 * reply (caller frees with cJSON_Delete), whether "ok" is true or not.
 * PT_EIO (connection lost, timeout, unparsable reply) closes c. */
int pt_client_request(pt_client *c, const cJSON *request, cJSON **reply, char *err,
		      size_t err_len);

/* As pt_client_request for a request the daemon may answer only once
 * something frees (a lease, a queued start): the reply may come wait_ms
 * later than the timeout allows (wait_ms < 0: no bound at all). */
int pt_client_request_waiting(pt_client *c, const cJSON *request, int64_t wait_ms,
			      cJSON **reply, char *err, size_t err_len);

/* acquire: PT_OK with *grant; PT_EINFEASIBLE ("infeasible"); PT_ERANGE
 * ("wait_too_long": grant->start_ms still set); PT_EINVAL (any other error
 * reply, message in err; or a value beyond 2^53, refused unsent); PT_EIO as
 * pt_client_request, also for a grant missing a field. */
int pt_client_acquire(pt_client *c, const pt_acquire_req *req, pt_grant *grant, char *err,
		      size_t err_len);

/* Tell the daemon what the service said. PT_OK; PT_EINVAL when the daemon
 * refused it (err says why); PT_EIO. */
int pt_client_learn(pt_client *c, const pt_learn_req *req, char *err, size_t err_len);

/* release: PT_OK (also when the daemon says not_found: nothing to free);
 * PT_EINVAL (any other error reply, message in err); PT_EIO as
 * pt_client_request. from_ms 0: now. unused: the starts from from_ms on
 * were never used, so the daemon frees them even where they are past. */
int pt_client_release(pt_client *c, uint64_t reservation, int64_t from_ms, bool unused,
		      char *err, size_t err_len);

/* started: the command of reservation's start granted at at_ms (CLOCK_REALTIME
 * ms) really started at started_ms, so the daemon spaces later starts from
 * there. PT_OK with *guard_ms, the resource's guard in force now (-1 when
 * the daemon no longer holds that start: not_found); PT_EINVAL; PT_EIO. */
int pt_client_started(pt_client *c, const char *resource, uint64_t reservation,
		      int64_t at_ms, int64_t started_ms, int64_t *guard_ms, char *err,
		      size_t err_len);

/* memo (docs/PROTOCOL.md): the string the daemon keeps for (our uid,
 * resource, key). get: PT_OK with value (NUL-terminated); PT_ENOENT when
 * none is kept; PT_EINVAL when the daemon refused or its value is not a string
 * shorter than value_len (err says why); PT_EIO as pt_client_request. put: PT_OK,
 * PT_EINVAL, PT_EIO. */
int pt_client_memo_get(pt_client *c, const char *resource, const char *key, char *value,
		       size_t value_len, char *err, size_t err_len);
int pt_client_memo_put(pt_client *c, const char *resource, const char *key, const char *value,
		       char *err, size_t err_len);

/* lease (docs/PROTOCOL.md): one of resource's concurrency leases (at
 * most concurrency held at once, if this creates the pool); the daemon
 * answers when one frees, so no timeout bounds the wait (a signal ends it
 * through c->interrupted). PT_OK with *lease and *limit (the pool's);
 * PT_EINVAL when it refused (err says why); PT_EIO as pt_client_request. */
int pt_client_lease(pt_client *c, const char *resource, int64_t concurrency, uint64_t *lease,
		    int64_t *limit, char *err, size_t err_len);
/* unlease: give lease back. PT_OK; PT_EINVAL (refused); PT_EIO. */
int pt_client_unlease(pt_client *c, uint64_t lease, char *err, size_t err_len);

/* status or resources (docs/PROTOCOL.md): PT_OK with the daemon's reply in
 * *reply (caller frees with cJSON_Delete), PT_EINVAL when it is an error
 * reply (err says why; nothing in *reply), PT_EIO. */
int pt_client_ask(pt_client *c, pt_op op, cJSON **reply, char *err, size_t err_len);

/* executed: count one run (r). PT_OK; PT_EINVAL when a field is out of
 * range (refused unsent) or the daemon refused it (err says why); PT_EIO
 * as pt_client_request. */
int pt_client_executed(pt_client *c, const pt_execution_report *r, char *err, size_t err_len);

/* metrics (docs/PROTOCOL.md): our executions from from_ms to to_ms (0:
 * all that is kept; up to now) of resource (NULL: every one). PT_OK with
 * the reply in *reply (caller frees), PT_EINVAL (refused: err says why),
 * PT_EIO. */
int pt_client_metrics(pt_client *c, const char *resource, int64_t from_ms, int64_t to_ms,
		      cJSON **reply, char *err, size_t err_len);

/* What the daemon said of a resource's circuit breaker (docs/PROTOCOL.md,
 * breaker). */
typedef struct pt_breaker_reply {
	bool admit;          /* admit: the attempt may start */
	bool probe;          /* ...as a half-open probe */
	int64_t retry_at_ms; /* not admitted: ask again then (CLOCK_REALTIME ms) */
	char state[16];      /* "closed", "open", "half_open" */
	char spec[128];      /* the breaker's spec in force (the first client's) */
} pt_breaker_reply;

/* breaker admit, and breaker report of an attempt's outcome, on resource's
 * breaker (created with spec, text as --circuit-breaker, when new). PT_OK
 * with *out; PT_EINVAL when the daemon refused (err says why) or its reply
 * lacks a field; PT_EIO as pt_client_request. */
int pt_client_breaker_admit(pt_client *c, const char *resource, const char *spec,
			    pt_breaker_reply *out, char *err, size_t err_len);
int pt_client_breaker_report(pt_client *c, const char *resource, const char *spec,
			     bool success, pt_breaker_reply *out, char *err, size_t err_len);

#endif
