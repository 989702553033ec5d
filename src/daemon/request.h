/* One request line being answered (docs/PROTOCOL.md), and what every
 * operation uses to read its fields and build its reply. protocol.c frames
 * and dispatches; request.c reads and replies; op_*.c are the operations,
 * a file per family:
 *
 *   op_acquire.c  acquire, release, started, set_limit
 *   op_learn.c    learn
 *   op_memo.c     memo
 *   op_lease.c    lease, unlease
 *   op_breaker.c  breaker
 *   op_status.c   hello, resources, status
 *   op_exec.c     executed, metrics
 *
 * Each operation returns 0, or -1 with an error reply made. */
#ifndef PT_DAEMON_REQUEST_H
#define PT_DAEMON_REQUEST_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

typedef struct pt_req {
	pt_daemon *d;
	pt_conn *c;
	const cJSON *root;
	int64_t now;
	int64_t asked; /* when the client asked (a queued acquire: before now) */
	cJSON *out;    /* the reply */
	bool oom;      /* an allocation failed: answer "internal" */
	bool durable;  /* the reply reports a write */
	bool later;    /* sent to Redis or queued: the reply comes later */
} pt_req;

/* ---- the reply (request.c) ---- */

/* parent[key] = item (which may be NULL: out of memory, noted). */
void req_put(pt_req *q, cJSON *parent, const char *key, cJSON *item);
void req_put_int(pt_req *q, cJSON *parent, const char *key, int64_t v);
void req_push(pt_req *q, cJSON *array, cJSON *item);
/* Moves every member of from (freed; NULL: out of memory) into into. */
void req_put_all(pt_req *q, cJSON *into, cJSON *from);
/* A fresh reply {"ok": ok}: q->out. */
cJSON *req_start(pt_req *q, bool ok);
/* Makes the reply an error; returns -1, so that an operation can return it. */
int req_fail(pt_req *q, pt_proto_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the fields (request.c): 1 present and valid (*out set), 0 absent
 * (*out untouched), -1 invalid (the error reply made) ---- */

int req_get_int(pt_req *q, const char *key, int64_t min, int64_t max, int64_t *out);
/* As req_get_int, but absent is an error too. */
int req_need_int(pt_req *q, const char *key, int64_t min, int64_t max, int64_t *out);
int req_get_bool(pt_req *q, const char *key, bool *out);
int req_get_string(pt_req *q, const char *key, const char **out);
/* Does text (n bytes) hold a control character? */
bool req_has_control(const char *text, size_t n);
/* "resource": 1 to PT_RESOURCE_NAME_MAX bytes, no control characters. */
int req_get_resource(pt_req *q, const char **out);
int req_need_resource(pt_req *q, const char **out);
/* "offsets_ms": at most PT_DIO_MAX_OFFSETS strictly increasing integers
 * from 0 to 100 years; absent: [0]. */
int req_get_offsets(pt_req *q, int64_t *offsets, size_t *k);

/* ---- the operations ---- */

int op_hello(pt_req *q);
int op_acquire(pt_req *q);
int op_release(pt_req *q);
int op_started(pt_req *q);
int op_set_limit(pt_req *q);
int op_learn(pt_req *q);
int op_memo(pt_req *q);
int op_lease(pt_req *q);
int op_unlease(pt_req *q);
int op_resources(pt_req *q);
int op_status(pt_req *q);
int op_breaker(pt_req *q);
int op_executed(pt_req *q);
int op_metrics(pt_req *q);

/* Parts of the resources and status replies, from their families. */
cJSON *op_memos_json(pt_req *q);
cJSON *op_breakers_json(pt_req *q);
void op_put_leases(pt_req *q, cJSON *out);
/* The caller's resources known only by their runs (no rate limit):
 * {"resource", "executions"} each, pushed onto array. */
void op_push_exec_only(pt_req *q, cJSON *array);

#endif
