/* Protocol version 1 (docs/PROTOCOL.md): one request line in, one reply
 * out. Every field is checked before anything changes, so a line can hold
 * anything at all (junk, wrong types, huge or fractional numbers) and only
 * ever earns an error reply. Integers arrive as JSON doubles: a value is
 * accepted only when it is integral and within 2^53, where a double is
 * exact; replies write int64 values as raw digits. */
#include "daemon/daemon.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "patience/calendar.h"
#include "patience/duration.h"
#include "patience/limit.h"
#include "patience/error.h"
#include "patience/lateness.h"

#define SERVER_NAME "patience-daemon " PATIENCE_VERSION

const char pt_protocol_internal_reply[] =
	"{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":"
	"\"the daemon could not save its state; nothing was granted\"}}";

const char pt_protocol_later[] = "";

/* One request being answered. */
typedef struct req {
	pt_daemon *d;
	pt_conn *c;
	const cJSON *root;
	int64_t now;
	int64_t asked; /* when the client asked (a queued acquire: before now) */
	cJSON *out;   /* the reply */
	bool oom;     /* an allocation failed: answer "internal" */
	bool durable; /* the reply reports a write */
	bool later;   /* sent to Redis: the reply comes later */
} req;

typedef int (*op_fn)(req *q);

/* ---- building replies ---- */

static void put(req *q, cJSON *parent, const char *key, cJSON *item)
{
	if (!parent || !item || !cJSON_AddItemToObject(parent, key, item)) {
		cJSON_Delete(item);
		q->oom = true;
	}
}

static void put_int(req *q, cJSON *parent, const char *key, int64_t v)
{
	put(q, parent, key, pt_json_int(v));
}

static void push(req *q, cJSON *array, cJSON *item)
{
	if (!array || !item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		q->oom = true;
	}
}

/* A fresh reply {"ok":ok}. */
static cJSON *start(req *q, bool ok)
{
	cJSON_Delete(q->out);
	q->out = cJSON_CreateObject();
	put(q, q->out, "ok", cJSON_CreateBool(ok));
	return q->out;
}

static cJSON *error_object(req *q, pt_proto_error code, const char *message)
{
	cJSON *e = cJSON_CreateObject();
	put(q, e, "code", cJSON_CreateString(pt_proto_error_name(code)));
	put(q, e, "message", cJSON_CreateString(message));
	return e;
}

/* Makes the reply an error; returns -1 so ops can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(req *q, pt_proto_error code,
						       const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	put(q, start(q, false), "error", error_object(q, code, message));
	return -1;
}

char *pt_protocol_error(pt_proto_error code, const char *message)
{
	req q = {0};
	put(&q, start(&q, false), "error", error_object(&q, code, message));
	char *text = q.oom ? NULL : cJSON_PrintUnformatted(q.out);
	cJSON_Delete(q.out);
	return text;
}

/* ---- reading fields ---- */

/* 1: present and valid, *out set; 0: absent, *out untouched; -1: invalid
 * (the error reply is made). */
static int get_int(req *q, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	int64_t v;
	if (!item)
		return 0;
	if (!pt_json_read_int(item, &v) || v < min || v > max)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected an integer from %" PRId64
			    " to %" PRId64, key, min, max);
	*out = v;
	return 1;
}

static int need_int(req *q, const char *key, int64_t min, int64_t max, int64_t *out)
{
	int rc = get_int(q, key, min, max, out);
	return rc ? rc : fail(q, PT_ERR_BAD_REQUEST, "missing field \"%s\"", key);
}

static int get_bool(req *q, const char *key, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	if (!item)
		return 0;
	if (!cJSON_IsBool(item))
		return fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected true or false", key);
	*out = cJSON_IsTrue(item);
	return 1;
}

static int get_string(req *q, const char *key, const char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	if (!item)
		return 0;
	if (!cJSON_IsString(item) || !item->valuestring)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected a string", key);
	*out = item->valuestring;
	return 1;
}

static bool has_control(const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return true;
	return false;
}

/* "resource": 1 to 256 bytes, no control characters. */
static int need_resource(req *q, const char **out)
{
	int rc = get_string(q, "resource", out);
	size_t n;
	if (rc <= 0)
		return rc < 0 ? rc : fail(q, PT_ERR_BAD_REQUEST, "missing field \"resource\"");
	n = strlen(*out);
	if (n < 1 || n > PT_RESOURCE_NAME_MAX)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"resource\": expected 1 to %d bytes",
			    PT_RESOURCE_NAME_MAX);
	if (has_control(*out, n))
		return fail(q, PT_ERR_BAD_REQUEST, "field \"resource\": control characters are not "
			    "allowed");
	return 1;
}

/* "offsets_ms": at most PT_DIO_MAX_OFFSETS strictly increasing integers
 * from 0 to 100 years; absent: [0]. */
static int get_offsets(req *q, int64_t *offsets, size_t *k)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(q->root, "offsets_ms"), *item;
	*k = 0;
	if (!array) {
		offsets[(*k)++] = 0;
		return 0;
	}
	if (!cJSON_IsArray(array) || !array->child)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": expected a non-empty array "
			    "of integers");
	cJSON_ArrayForEach(item, array) {
		int64_t v;
		if (*k == PT_DIO_MAX_OFFSETS)
			return fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": more than %d offsets",
				    PT_DIO_MAX_OFFSETS);
		if (!pt_json_read_int(item, &v) || v < 0 || v > PT_DURATION_MAX_MS)
			return fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": expected integers "
				    "from 0 to %" PRId64, PT_DURATION_MAX_MS);
		if (*k > 0 && v <= offsets[*k - 1])
			return fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": offsets must be "
				    "strictly increasing (%" PRId64 " after %" PRId64 ")",
				    v, offsets[*k - 1]);
		offsets[(*k)++] = v;
	}
	return 1;
}

/* ---- operations ---- */

static int op_hello(req *q)
{
	const char *client = NULL;
	if (get_string(q, "client", &client) < 0)
		return -1;
	cJSON *out = start(q, true), *versions = cJSON_CreateArray();
	put_int(q, out, "v", PT_PROTOCOL_VERSION);
	put(q, out, "server", cJSON_CreateString(SERVER_NAME));
	push(q, versions, pt_json_int(PT_PROTOCOL_VERSION));
	put(q, out, "versions", versions);
	if (client)
		pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): hello from \"%.100s\"", q->c->id,
		       q->c->uid, client);
	return 0;
}

/* One of "limits": {"limit": N, "window_ms": W} or {"limit": N,
 * "calendar": "hour"|"day"|"week"|"month"}. */
static int read_extra_limit(req *q, const cJSON *item, pt_limit *out)
{
	const cJSON *cal = cJSON_GetObjectItemCaseSensitive(item, "calendar");
	int64_t v;
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(item) ||
	    !pt_json_read_int(cJSON_GetObjectItemCaseSensitive(item, "limit"), &v) || v < 1 ||
	    v > PT_LIMIT_MAX)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": each is {\"limit\": 1 to %" PRId64
			    ", and \"window_ms\" or \"calendar\"}", PT_LIMIT_MAX);
	out->count = v;
	if (cal) {
		if (!cJSON_IsString(cal) ||
		    pt_calendar_unit_parse(cal->valuestring, &out->calendar) != PT_OK)
			return fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": \"calendar\" is hour, "
				    "day, week or month");
		return 0;
	}
	if (!pt_json_read_int(cJSON_GetObjectItemCaseSensitive(item, "window_ms"), &v) || v < 1 ||
	    v > PT_DURATION_MAX_MS)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": \"window_ms\" is 1 to %" PRId64,
			    PT_DURATION_MAX_MS);
	out->window_ms = v;
	return 0;
}

/* "limits": the resource's limits beyond limit per window_ms. */
static int get_extra_limits(req *q, pt_limit *extra, size_t *n)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(q->root, "limits"), *item;
	*n = 0;
	if (!array)
		return 0;
	if (!cJSON_IsArray(array) || cJSON_GetArraySize(array) > PT_LIMITS_MAX)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": expected an array of at most %d "
			    "limits", PT_LIMITS_MAX);
	cJSON_ArrayForEach(item, array) {
		if (read_extra_limit(q, item, &extra[*n]) < 0)
			return -1;
		(*n)++;
	}
	return 1;
}

static int read_acquire(req *q, pt_acquire *a, int64_t *offsets, pt_limit *extra)
{
	if (need_resource(q, &a->resource) < 0 ||
	    need_int(q, "limit", 1, PT_LIMIT_MAX, &a->limit) < 0 ||
	    need_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &a->window_ms) < 0 ||
	    get_offsets(q, offsets, &a->k) < 0 ||
	    get_int(q, "not_before_ms", 0, q->now + PT_DURATION_MAX_MS, &a->not_before_ms) < 0 ||
	    get_int(q, "max_wait_ms", 0, PT_DURATION_MAX_MS, &a->max_wait_ms) < 0 ||
	    get_int(q, "ttl_ms", 1, PT_DURATION_MAX_MS, &a->ttl_ms) < 0 ||
	    get_int(q, "guard_ms", 1, PT_DURATION_MAX_MS, &a->guard_ms) < 0 ||
	    get_int(q, "burst", 1, PT_LIMIT_MAX, &a->burst) < 0 ||
	    get_int(q, "priority", -PT_PRIORITY_LIMIT, PT_PRIORITY_LIMIT, &a->priority) < 0 ||
	    get_bool(q, "queue", &a->queue) < 0 ||
	    get_string(q, "client_id", &a->client_id) < 0 ||
	    get_extra_limits(q, extra, &a->n_extra) < 0 || get_string(q, "tz", &a->tz) < 0)
		return -1;
	if (a->tz && (strlen(a->tz) >= sizeof ((pt_pending *)0)->tz || !pt_zone_known(a->tz)))
		return fail(q, PT_ERR_BAD_REQUEST, "field \"tz\": unknown time zone \"%.64s\": expected "
			    "an IANA name such as America/New_York", a->tz);
	pt_gcra check;
	if (a->burst && pt_gcra_init(&check, a->limit, a->window_ms, a->burst, 0) != PT_OK)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"burst\": %" PRId64 " at %" PRId64 " per %"
			    PRId64 " ms passes 100 years of tolerance: expected a smaller burst",
			    a->burst, a->limit, a->window_ms);
	a->offsets = offsets;
	a->extra = extra;
	return 0;
}

/* doubt_ms: how much later than its placement the start may already be
 * (Redis's answer took that long to arrive): the client may wake only
 * guard - doubt late. */
static void granted(req *q, const pt_acquire *a, const pt_placement *p, pt_grant_mode mode,
		    int64_t doubt_ms)
{
	cJSON *out = start(q, true), *starts = cJSON_CreateArray();
	put_int(q, out, "reservation", (int64_t)p->reservation);
	put_int(q, out, "start_ms", p->start_ms);
	for (size_t i = 0; i < a->k; i++)
		push(q, starts, pt_json_int(p->start_ms + a->offsets[i]));
	put(q, out, "starts_ms", starts);
	put_int(q, out, "now_ms", q->now);
	put_int(q, out, "limit", p->limit);
	put_int(q, out, "window_ms", p->window_ms);
	put_int(q, out, "guard_ms", p->guard_ms);
	if (p->burst)
		put_int(q, out, "burst", p->burst);
	put_int(q, out, "expires_ms", p->expires_ms);
	put_int(q, out, "max_late_ms", p->guard_ms > doubt_ms ? p->guard_ms - doubt_ms : 0);
	put(q, out, "backend", cJSON_CreateString(pt_grant_mode_name(mode)));
	q->durable = true;
	pt_daemon_host_granted(q->d, p->start_ms + a->offsets[a->k - 1]);
	pt_metrics_acquired(&q->d->metrics, PT_ACQ_GRANTED, p->start_ms - q->asked);
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): \"%s\" reservation %" PRIu64
	       ": %zu starts from %+" PRId64 " ms (at %" PRId64 ", %s)", q->c->id, q->c->uid,
	       a->resource, p->reservation, a->k, p->start_ms - q->now, p->start_ms,
	       pt_grant_mode_name(mode));
}

static int acquire_failed(req *q, const pt_acquire *a, const pt_placement *p, int rc);

/* The acquire waits for Redis (res: its resource) or in the queue (res
 * NULL); NULL (and the reply made) when it cannot. */
static pt_pending *pending_new(req *q, const pt_acquire *a, const pt_resource *res)
{
	pt_pending *p = calloc(1, sizeof *p + a->k * sizeof p->offsets[0]);
	if (!p) {
		pt_metrics_acquired(&q->d->metrics, PT_ACQ_ERROR, 0);
		fail(q, PT_ERR_INTERNAL, "out of memory; nothing was granted");
		return NULL;
	}
	p->a = *a;
	snprintf(p->resource, sizeof p->resource, "%s", a->resource);
	snprintf(p->client_id, sizeof p->client_id, "%s", a->client_id ? a->client_id : "");
	memcpy(p->offsets, a->offsets, a->k * sizeof p->offsets[0]);
	memcpy(p->extra, a->extra, a->n_extra * sizeof p->extra[0]);
	p->a.extra = p->extra;
	snprintf(p->tz, sizeof p->tz, "%s", a->tz ? a->tz : "");
	p->a.tz = a->tz ? p->tz : NULL;
	p->a.resource = p->resource;
	p->a.client_id = a->client_id ? p->client_id : NULL;
	p->a.offsets = p->offsets;
	p->a.owner = NULL; /* linked when granted, if the connection is still there */
	p->conn = q->c;
	p->deadline_ms = -1;
	if (res) {
		p->span_ms = res->dio.window_ms + res->dio.guard_ms;
		p->id = pt_registry_new_id(&q->d->reg);
	}
	return p;
}

/* Links p, whose reply comes later, to q's connection. false (p freed, the
 * reply made) when out of memory. */
static bool pending_hold(req *q, pt_pending *p)
{
	if (!(p->reply = pt_server_hold_later(q->c))) {
		free(p);
		return false; /* the connection is closed */
	}
	p->conn_next = q->c->pending;
	q->c->pending = p;
	q->later = true;
	return true;
}

/* With the Redis backend: 1 when the acquire went to Redis, 0 to place it
 * here (in outage, with the outage terms in a), -1 when answered. */
static int acquire_shared(req *q, pt_acquire *a)
{
	pt_resource *res;
	pt_placement p = {0};
	bool created;
	int rc = pt_registry_prepare(&q->d->reg, a, &res, &created);
	if (rc == PT_OK)
		rc = pt_dio_check_offsets(res->dio.limit, res->dio.window_ms + res->dio.guard_ms,
					  a->offsets, a->k, &p.crowded);
	if (rc != PT_OK) {
		p.limit = res ? res->dio.limit : a->limit;
		p.window_ms = res ? res->dio.window_ms : a->window_ms;
		p.guard_ms = res ? res->dio.guard_ms : 0;
		if (res && created)
			pt_registry_forget(&q->d->reg, res);
		return acquire_failed(q, a, &p, rc);
	}
	if (res->blocked_until_ms > a->not_before_ms)
		a->not_before_ms = res->blocked_until_ms; /* the service said to wait */
	if (!pt_redis_online(q->d->redis)) {
		int64_t not_before;
		pt_redis_outage_terms(q->d->redis, res, &a->cap, &not_before);
		if (not_before > a->not_before_ms)
			a->not_before_ms = not_before;
		return 0;
	}
	pt_pending *pend = pending_new(q, a, res);
	if (!pend || !pending_hold(q, pend)) {
		if (created)
			pt_registry_forget(&q->d->reg, res);
		return -1;
	}
	pt_redis_acquire(q->d->redis, pend);
	return 1;
}

/* "queue": the acquire waits for its turn (queue.c). */
static int acquire_queued(req *q, const pt_acquire *a)
{
	pt_pending *p;
	if (q->d->n_queued >= PT_QUEUE_MAX)
		return fail(q, PT_ERR_BUSY, "%zu acquires are already queued; try again later",
			    q->d->n_queued);
	if (!(p = pending_new(q, a, NULL)))
		return -1;
	p->queued = true;
	if (a->max_wait_ms >= 0)
		p->deadline_ms = q->now + a->max_wait_ms;
	if (!pending_hold(q, p))
		return -1;
	pt_queue_add(q->d, p);
	return 0;
}

/* A GCRA resource is placed here even with the Redis backend: its TAT is
 * this daemon's, and the limit holds per daemon. */
static bool gcra_resource(req *q, const pt_acquire *a)
{
	const pt_resource *res = pt_registry_find(&q->d->reg, a->uid, a->resource);
	const pt_config_limit *c = pt_registry_config_limit(&q->d->reg, a->resource);
	return res ? res->gcra != NULL : c ? c->burst > 0 : a->burst > 0;
}

static int op_acquire(req *q)
{
	int64_t offsets[PT_DIO_MAX_OFFSETS];
	pt_limit extra[PT_LIMITS_MAX];
	pt_acquire a = {.uid = q->c->uid, .owner = &q->c->owner, .max_wait_ms = -1};
	pt_placement p;
	if (read_acquire(q, &a, offsets, extra) < 0)
		return -1;
	bool shared = q->d->redis && !gcra_resource(q, &a);
	pt_grant_mode mode = shared ? PT_GRANT_OUTAGE : PT_GRANT_MEMORY;
	if (a.queue && !shared)
		return acquire_queued(q, &a);
	if (shared) {
		int rc = acquire_shared(q, &a);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
	int rc = pt_registry_acquire(&q->d->reg, &a, q->now, &p);
	if (rc == PT_OK) {
		granted(q, &a, &p, mode, 0);
		return 0;
	}
	return acquire_failed(q, &a, &p, rc);
}

static int acquire_failed(req *q, const pt_acquire *a, const pt_placement *p, int rc)
{
	const int64_t *offsets = a->offsets;
	pt_metrics_acquired(&q->d->metrics, rc == PT_EINFEASIBLE ? PT_ACQ_INFEASIBLE
					    : rc == PT_ERANGE   ? PT_ACQ_WAIT_TOO_LONG
								: PT_ACQ_ERROR, 0);
	switch (rc) {
	case PT_EINFEASIBLE:
		if (p->burst)
			return fail(q, PT_ERR_INFEASIBLE, "the offsets alone break bursts of %" PRId64
				    " at %" PRId64 " per %" PRId64 " ms (guard %" PRId64 " ms)",
				    p->burst, p->limit, p->window_ms, p->guard_ms);
		return fail(q, PT_ERR_INFEASIBLE, "offsets %" PRId64 " and %" PRId64 " fall within one "
			    "window of %" PRId64 " ms: limit %" PRId64, offsets[p->crowded],
			    offsets[p->crowded + (size_t)p->limit], p->window_ms + p->guard_ms,
			    p->limit);
	case PT_ERANGE:
		fail(q, PT_ERR_WAIT_TOO_LONG, "the earliest start is in %" PRId64 " ms, beyond "
		     "max_wait_ms %" PRId64, p->start_ms - q->now, a->max_wait_ms);
		put_int(q, q->out, "start_ms", p->start_ms);
		put_int(q, q->out, "now_ms", q->now);
		return -1;
	case PT_EINVAL:
		return fail(q, PT_ERR_BAD_REQUEST, "the start times fall outside the range the "
			    "daemon can represent");
	case PT_EIO:
		return fail(q, PT_ERR_INTERNAL, "the daemon could not save its state; nothing was "
			    "granted");
	default:
		return fail(q, PT_ERR_INTERNAL, "out of memory; nothing was granted");
	}
}

static void pending_unlink(pt_pending *p)
{
	for (pt_pending **at = &p->conn->pending; *at; at = &(*at)->conn_next) {
		if (*at == p) {
			*at = p->conn_next;
			return;
		}
	}
}

/* A grant no connection will hear of: give its starts back to Redis. */
static void grant_orphaned(pt_daemon *d, const pt_pending *p)
{
	const pt_resource *res = pt_registry_find(&d->reg, p->a.uid, p->resource);
	if (res && d->reg.on_release)
		d->reg.on_release(d->reg.release_ctx, res, p->id, INT64_MIN);
}

/* Places p here: Redis did not answer. */
static void acquire_outage(req *q, pt_pending *p)
{
	pt_placement pl;
	const pt_resource *res = pt_registry_find(&q->d->reg, p->a.uid, p->resource);
	int64_t not_before = 0;
	if (res)
		pt_redis_outage_terms(q->d->redis, res, &p->a.cap, &not_before);
	if (not_before > p->a.not_before_ms)
		p->a.not_before_ms = not_before;
	int rc = pt_registry_acquire(&q->d->reg, &p->a, q->now, &pl);
	if (rc == PT_OK)
		granted(q, &p->a, &pl, PT_GRANT_OUTAGE, 0);
	else
		acquire_failed(q, &p->a, &pl, rc);
}

static void acquire_answer(req *q, pt_pending *p, bool ok, int64_t base_ms, int64_t wait_ms)
{
	pt_placement pl = {0};
	int rc;
	if (!ok && wait_ms <= 0) {
		acquire_outage(q, p);
		return;
	}
	if (!ok) {
		pl.start_ms = q->now + wait_ms;
		acquire_failed(q, &p->a, &pl, PT_ERANGE);
		return;
	}
	rc = pt_registry_grant_at(&q->d->reg, &p->a, p->id, base_ms, q->now, &pl);
	if (rc == PT_OK) {
		granted(q, &p->a, &pl, PT_GRANT_REDIS, p->doubt_ms);
		return;
	}
	grant_orphaned(q->d, p);
	acquire_failed(q, &p->a, &pl, rc);
}

/* Sends the reply q made for p, which was held for it. */
static void send_pending(req *q, pt_pending *p)
{
	char *text = NULL;
	if (!q->oom && q->out)
		text = cJSON_PrintUnformatted(q->out);
	cJSON_Delete(q->out);
	/* a grant Redis holds is not written here: it waits for no commit */
	pt_server_fill(p->conn, p->reply, text ? text : pt_protocol_internal_reply,
		       q->durable && text && pt_registry_dirty(&q->d->reg));
	free(text);
}

void pt_protocol_acquire_done(pt_daemon *d, pt_pending *p, bool granted_ok, int64_t base_ms,
			      int64_t wait_ms)
{
	int64_t now = pt_daemon_now_ms();
	req q = {.d = d, .c = p->conn, .now = now, .asked = now};
	if (!p->conn) {
		if (granted_ok)
			grant_orphaned(d, p);
		return;
	}
	pending_unlink(p);
	p->a.owner = &p->conn->owner;
	acquire_answer(&q, p, granted_ok, base_ms, wait_ms);
	send_pending(&q, p);
}

bool pt_protocol_try_queued(pt_daemon *d, pt_pending *p, int64_t now_ms, int64_t *retry_ms)
{
	req q = {.d = d, .c = p->conn, .now = now_ms, .asked = p->queued_ms};
	pt_acquire a = p->a;
	pt_placement pl;
	a.owner = &p->conn->owner;
	a.max_wait_ms = PT_QUEUE_LOOKAHEAD_MS;
	int rc = pt_registry_acquire(&d->reg, &a, now_ms, &pl);
	if (rc == PT_ERANGE && (p->deadline_ms < 0 || pl.start_ms <= p->deadline_ms)) {
		*retry_ms = pl.start_ms;
		return false;
	}
	pending_unlink(p);
	if (rc == PT_OK) {
		granted(&q, &a, &pl, PT_GRANT_MEMORY, 0);
	} else {
		a.max_wait_ms = p->deadline_ms - p->queued_ms; /* as the client asked */
		acquire_failed(&q, &a, &pl, rc);
	}
	send_pending(&q, p);
	return true;
}

void pt_protocol_queued_timeout(pt_daemon *d, pt_pending *p, int64_t now_ms)
{
	req q = {.d = d, .c = p->conn, .now = now_ms};
	pending_unlink(p);
	pt_metrics_acquired(&d->metrics, PT_ACQ_WAIT_TOO_LONG, 0);
	fail(&q, PT_ERR_WAIT_TOO_LONG, "no start came within max_wait_ms %" PRId64 ": acquires "
	     "of higher rank held the free start times", p->deadline_ms - p->queued_ms);
	put_int(&q, q.out, "now_ms", now_ms);
	send_pending(&q, p);
}

static int op_release(req *q)
{
	int64_t id = 0, from = q->now;
	bool unused = false;
	size_t released;
	if (need_int(q, "reservation", 1, PT_PROTOCOL_INT_MAX, &id) < 0 ||
	    get_int(q, "from_ms", 0, PT_PROTOCOL_INT_MAX, &from) < 0 ||
	    get_bool(q, "unused", &unused) < 0)
		return -1;
	if (pt_registry_cancel(&q->d->reg, q->c->uid, (uint64_t)id, from, unused, q->now,
			       &released))
		return fail(q, PT_ERR_NOT_FOUND, "no reservation %" PRId64, id);
	put_int(q, start(q, true), "released", (int64_t)released);
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): reservation %" PRId64
	       " released %zu starts", q->c->id, q->c->uid, id, released);
	return 0;
}

/* The command of a granted start really started at started_ms: later
 * grants are spaced from there (docs/PROTOCOL.md, started). */
static int op_started(req *q)
{
	const char *name;
	int64_t id = 0, at = 0, started = 0;
	pt_resource *res = NULL;
	if (need_resource(q, &name) < 0 || need_int(q, "reservation", 1, PT_PROTOCOL_INT_MAX, &id) < 0 ||
	    need_int(q, "at_ms", 0, PT_PROTOCOL_INT_MAX, &at) < 0 ||
	    need_int(q, "started_ms", 0, q->now + PT_STARTED_AHEAD_MS, &started) < 0)
		return -1;
	int rc = pt_registry_started(&q->d->reg, q->c->uid, name, (uint64_t)id, at, started, q->now,
				     &res);
	if (rc == PT_ENOENT)
		return fail(q, PT_ERR_NOT_FOUND, "no start of reservation %" PRId64 " at %" PRId64
			    " on \"%.64s\"", id, at, name);
	if (rc != PT_OK)
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	cJSON *out = start(q, true);
	put_int(q, out, "late_ms", (started < q->now ? started : q->now) - at);
	put_int(q, out, "guard_ms", res->dio.guard_ms);
	q->durable = started > at; /* a moved start is saved before the reply */
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): \"%s\" reservation %" PRId64
	       " started %+" PRId64 " ms from its grant (guard %" PRId64 " ms)", q->c->id, q->c->uid,
	       name, id, started - at, res->dio.guard_ms);
	return 0;
}

static int op_set_limit(req *q)
{
	const char *name;
	int64_t limit = 0, window = 0;
	const pt_resource *res = NULL;
	const pt_config_limit *c;
	if (need_resource(q, &name) < 0 || need_int(q, "limit", 1, PT_LIMIT_MAX, &limit) < 0 ||
	    need_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &window) < 0)
		return -1;
	if ((c = pt_registry_config_limit(&q->d->reg, name)))
		return fail(q, PT_ERR_BAD_REQUEST, "the limit of \"%s\" comes from the daemon's config "
			    "file (%" PRId64 " per %" PRId64 " ms)", name, c->limit, c->window_ms);
	switch (pt_registry_set_limit(&q->d->reg, q->c->uid, name, limit, window, &res)) {
	case PT_OK:
		break;
	case PT_EINVAL:
		return fail(q, PT_ERR_BAD_REQUEST, "the limit of \"%s\" comes from the daemon's config "
			    "file", name);
	case PT_EIO:
		return fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
	default:
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	}
	cJSON *out = start(q, true);
	put(q, out, "resource", cJSON_CreateString(res->name));
	put_int(q, out, "limit", res->dio.limit);
	put_int(q, out, "window_ms", res->dio.window_ms);
	put_int(q, out, "guard_ms", res->dio.guard_ms);
	q->durable = true;
	pt_log(PT_LOG_INFO, "uid %u: \"%s\" limit set to %" PRId64 " per %" PRId64 " ms",
	       q->c->uid, name, limit, window);
	return 0;
}

/* learn: the wait and the limit a service told a client (learned.c). */
static int read_learn(req *q, pt_learn *l)
{
	int has_limit, has_window;
	l->uid = q->c->uid;
	if (need_resource(q, &l->resource) < 0 ||
	    (has_limit = get_int(q, "limit", 1, PT_LIMIT_MAX, &l->limit)) < 0 ||
	    (has_window = get_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &l->window_ms)) < 0 ||
	    get_int(q, "wait_until_ms", 0, q->now + PT_DURATION_MAX_MS, &l->blocked_until_ms) < 0 ||
	    get_int(q, "expires_ms", 0, q->now + PT_DURATION_MAX_MS, &l->expires_ms) < 0 ||
	    get_int(q, "fallback_limit", 1, PT_LIMIT_MAX, &l->create_limit) < 0 ||
	    get_int(q, "fallback_window_ms", 1, PT_DURATION_MAX_MS, &l->create_window_ms) < 0 ||
	    get_string(q, "from", &l->from) < 0)
		return -1;
	if (has_limit != has_window)
		return fail(q, PT_ERR_BAD_REQUEST, "fields \"limit\" and \"window_ms\" come together");
	if ((l->create_limit > 0) != (l->create_window_ms > 0))
		return fail(q, PT_ERR_BAD_REQUEST, "fields \"fallback_limit\" and "
			    "\"fallback_window_ms\" come together");
	if (!has_limit && !l->blocked_until_ms)
		return fail(q, PT_ERR_BAD_REQUEST, "nothing to learn: give \"limit\" and \"window_ms\", "
			    "or \"wait_until_ms\"");
	return 0;
}

static void learned_json(req *q, cJSON *o, const pt_resource *res)
{
	if (res->blocked_until_ms > q->now)
		put_int(q, o, "wait_until_ms", res->blocked_until_ms);
	if (res->learned) {
		put(q, o, "learned_from", cJSON_CreateString(res->learned->from));
		put_int(q, o, "learned_expires_ms", res->learned->expires_ms);
	}
}

static int op_learn(req *q)
{
	pt_learn l = {0};
	pt_resource *res = NULL;
	if (read_learn(q, &l) < 0)
		return -1;
	int rc = pt_learn_apply(&q->d->reg, &l, q->now, &res);
	if (rc == PT_ENOENT)
		return fail(q, PT_ERR_NOT_FOUND, "no resource \"%s\" yet: give \"fallback_limit\" and "
			    "\"fallback_window_ms\" to create it", l.resource);
	if (rc == PT_ENOMEM || rc == PT_EIO || !res)
		return fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
	cJSON *out = start(q, true);
	put(q, out, "resource", cJSON_CreateString(res->name));
	put_int(q, out, "limit", res->dio.limit);
	put_int(q, out, "window_ms", res->dio.window_ms);
	put(q, out, "source", cJSON_CreateString(pt_limit_source_name(res->source)));
	learned_json(q, out, res);
	if (rc == PT_EINVAL)
		put(q, out, "note", cJSON_CreateString("the config file's limit applies; only the "
						       "wait was learned"));
	q->durable = pt_registry_dirty(&q->d->reg);
	pt_log(PT_LOG_INFO, "uid %u: \"%s\" learned from %s: %" PRId64 " per %" PRId64 " ms%s, "
	       "wait %" PRId64 " ms", q->c->uid, res->name, l.from ? l.from : "a client",
	       res->dio.limit, res->dio.window_ms, rc == PT_EINVAL ? " (config)" : "",
	       res->blocked_until_ms > q->now ? res->blocked_until_ms - q->now : 0);
	return 0;
}

/* A resource's other limits, as acquire's "limits" gives them. */
static cJSON *extra_json(req *q, const pt_limit_set *set)
{
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; i < set->count; i++) {
		const pt_limit *l = &set->limits[i];
		cJSON *o = cJSON_CreateObject();
		put_int(q, o, "limit", l->count);
		if (l->calendar == PT_CALENDAR_NONE)
			put_int(q, o, "window_ms", l->window_ms);
		else
			put(q, o, "calendar", cJSON_CreateString(pt_calendar_unit_name(l->calendar)));
		push(q, array, o);
	}
	return array;
}

/* memo: "key" is 1 to 32 bytes of letters, digits, '.', '_', '-'; "value"
 * at most 4 KiB without control characters (memo.c keeps it). */
static int read_memo(req *q, const char **resource, const char **key, const char **value)
{
	int rc;
	if (need_resource(q, resource) < 0 || (rc = get_string(q, "key", key)) < 0 ||
	    get_string(q, "value", value) < 0)
		return -1;
	size_t n = rc ? strlen(*key) : 0;
	if (!rc)
		return fail(q, PT_ERR_BAD_REQUEST, "missing field \"key\"");
	if (n < 1 || n > PT_MEMO_KEY_MAX || strspn(*key, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"key\": expected 1 to %d letters, digits, "
			    "'.', '_' or '-'", PT_MEMO_KEY_MAX);
	if (!*value)
		return 0;
	n = strlen(*value);
	if (n > PT_MEMO_VALUE_MAX)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"value\": expected at most %d bytes",
			    PT_MEMO_VALUE_MAX);
	if (has_control(*value, n))
		return fail(q, PT_ERR_BAD_REQUEST, "field \"value\": control characters are not "
			    "allowed");
	return 0;
}

/* memo: with "value", keep it; without, answer the one kept (if any). */
static int op_memo(req *q)
{
	const char *resource = NULL, *key = NULL, *value = NULL;
	const pt_memo *m;
	if (read_memo(q, &resource, &key, &value) < 0)
		return -1;
	if (value) {
		int rc = pt_memo_put(&q->d->memos, q->c->uid, resource, key, value, q->now);
		if (rc == PT_ERANGE)
			return fail(q, PT_ERR_BAD_REQUEST, "uid %u already keeps %d memos", q->c->uid,
				    PT_MEMO_PER_UID_MAX);
		if (rc != PT_OK)
			return fail(q, PT_ERR_INTERNAL, "out of memory");
		m = pt_memo_get(&q->d->memos, q->c->uid, resource, key);
		if (pt_memo_save(&q->d->reg, m) != PT_OK)
			return fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
		q->durable = pt_registry_dirty(&q->d->reg);
	}
	m = pt_memo_get(&q->d->memos, q->c->uid, resource, key);
	cJSON *out = start(q, true);
	put(q, out, "resource", cJSON_CreateString(resource));
	put(q, out, "key", cJSON_CreateString(key));
	if (m) {
		put(q, out, "value", cJSON_CreateString(m->value));
		put_int(q, out, "updated_ms", m->updated_ms);
	}
	return 0;
}

/* Granted at once, or the reply waits until a lease frees (or max_wait_ms). */
static int op_lease(req *q)
{
	const char *resource;
	int64_t n = 0, max_wait = -1, now = pt_daemon_mono_ms();
	pt_lease *l;
	if (need_resource(q, &resource) < 0 ||
	    need_int(q, "concurrency", 1, PT_LEASE_LIMIT_MAX, &n) < 0 ||
	    get_int(q, "max_wait_ms", 0, PT_DURATION_MAX_MS, &max_wait) < 0)
		return -1;
	pt_lease_ask a = {.uid = q->c->uid, .resource = resource, .limit = n,
			  .config_limit = pt_registry_config_concurrency(&q->d->reg, resource),
			  .owner = &q->c->leases, .now_ms = now,
			  .deadline_ms = max_wait >= 0 ? now + max_wait : 0};
	int rc = pt_lease_take(&q->d->leases, &a, &l);
	if (rc == PT_ERANGE)
		return fail(q, PT_ERR_BAD_REQUEST, "this connection already holds or waits for %d "
			    "leases", PT_LEASES_PER_CONN_MAX);
	if (rc != PT_OK)
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	if (l->granted) {
		cJSON_Delete(q->out);
		q->oom = !(q->out = pt_lease_reply_json(l, now));
		return 0;
	}
	if (!(l->reply = pt_server_hold_later(q->c))) {
		pt_lease_give_back(&q->d->leases, &q->c->leases, l->id);
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	}
	q->later = true;
	pt_lease_rearm(q->d);
	return 0;
}

static int op_unlease(req *q)
{
	int64_t id = 0;
	if (need_int(q, "lease", 1, PT_PROTOCOL_INT_MAX, &id) < 0)
		return -1;
	if (pt_lease_give_back(&q->d->leases, &q->c->leases, (uint64_t)id) != PT_OK)
		return fail(q, PT_ERR_NOT_FOUND, "this connection holds no lease %" PRId64, id);
	pt_lease_rearm(q->d);
	put_int(q, start(q, true), "lease", id);
	return 0;
}

/* "leases": the caller's lease pools [{"resource","limit","held","waiting"}],
 * when it has any. */
static void put_leases(req *q, cJSON *out)
{
	cJSON *array = cJSON_CreateArray();
	for (const pt_lease_pool *p = q->d->leases.pools; p && !q->oom; p = p->next) {
		if (p->uid != q->c->uid)
			continue;
		cJSON *o = cJSON_CreateObject();
		put(q, o, "resource", cJSON_CreateString(p->name));
		put_int(q, o, "limit", p->limit);
		put_int(q, o, "held", (int64_t)p->n_held);
		put_int(q, o, "waiting", (int64_t)p->n_waiting);
		put(q, o, "source", cJSON_CreateString(p->from_config ? "config" : "lease"));
		push(q, array, o);
	}
	if (cJSON_GetArraySize(array))
		put(q, out, "leases", array);
	else
		cJSON_Delete(array);
}

cJSON *pt_starts_late_json(const pt_resource *res, int64_t now_ms)
{
	static const struct {
		const char *key;
		int permille;
	} q[] = {{"p50", 500}, {"p99", 990}, {"p999", 999}, {"max", 1000}};
	uint32_t n = res->lateness ? pt_lateness_count(res->lateness, now_ms) : 0;
	cJSON *o = n ? cJSON_CreateObject() : NULL;
	bool ok = o && cJSON_AddItemToObject(o, "samples", pt_json_int(n));
	for (size_t i = 0; ok && i < sizeof q / sizeof q[0]; i++)
		ok = cJSON_AddItemToObject(o, q[i].key, pt_json_int(pt_lateness_quantile(
							      res->lateness, q[i].permille, now_ms)));
	ok = ok && cJSON_AddItemToObject(o, "guard_floor_ms", pt_json_int(res->guard_floor_ms));
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

static cJSON *usage_json(req *q, const pt_resource_usage *u)
{
	cJSON *o = cJSON_CreateObject();
	put(q, o, "resource", cJSON_CreateString(u->res->name));
	put_int(q, o, "limit", u->res->dio.limit);
	put_int(q, o, "window_ms", u->res->dio.window_ms);
	put_int(q, o, "guard_ms", u->res->dio.guard_ms);
	if (u->res->gcra)
		put_int(q, o, "burst", u->res->gcra->burst);
	put(q, o, "source", cJSON_CreateString(pt_limit_source_name(u->res->source)));
	put_int(q, o, "reserved", (int64_t)u->reserved);
	put_int(q, o, "in_window", (int64_t)u->in_window);
	put_int(q, o, "next_free_ms", u->next_free_ms);
	put_int(q, o, "waiting", (int64_t)u->waiting);
	learned_json(q, o, u->res);
	if (u->res->lateness && pt_lateness_count(u->res->lateness, q->now))
		put(q, o, "starts_late_ms", pt_starts_late_json(u->res, q->now));
	if (u->res->extra)
		put(q, o, "limits", extra_json(q, u->res->extra));
	if (u->res->tz)
		put(q, o, "tz", cJSON_CreateString(u->res->tz));
	return o;
}

#define MEMOS_LISTED 50 /* keeps the reply well within a client's line */

/* The caller's memos, newest first, without their values. */
static cJSON *memos_json(req *q)
{
	cJSON *array = cJSON_CreateArray();
	size_t n = 0;
	for (const pt_memo *m = q->d->memos.first; m && n < MEMOS_LISTED && !q->oom; m = m->next) {
		if (m->uid != q->c->uid)
			continue;
		cJSON *o = cJSON_CreateObject();
		put(q, o, "resource", cJSON_CreateString(m->resource));
		put(q, o, "key", cJSON_CreateString(m->key));
		put_int(q, o, "bytes", (int64_t)strlen(m->value));
		put_int(q, o, "updated_ms", m->updated_ms);
		push(q, array, o);
		n++;
	}
	return array;
}

static cJSON *breakers_json(req *q);

static int op_resources(req *q)
{
	pt_resource_usage *list;
	size_t n;
	if (pt_registry_list(&q->d->reg, q->c->uid, q->now, &list, &n) != PT_OK)
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	pt_queue_count_waiting(q->d, list, n);
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; i < n && !q->oom; i++)
		push(q, array, usage_json(q, &list[i]));
	free(list);
	cJSON *out = start(q, true);
	put(q, out, "resources", array);
	if (pt_memo_count(&q->d->memos, q->c->uid))
		put(q, out, "memos", memos_json(q));
	if (pt_breaker_count(&q->d->breakers, q->c->uid))
		put(q, out, "breakers", breakers_json(q));
	put_leases(q, out);
	return 0;
}

/* "backend": "memory" or "redis"; with Redis, "mode": "redis" or "outage"
 * (since when, and the daemons it last saw). */
static void status_backend(req *q, cJSON *out)
{
	const char *mode = "local";
	int64_t since = 0;
	size_t daemons = 1;
	if (q->d->redis)
		pt_redis_describe(q->d->redis, &mode, &since, &daemons);
	put(q, out, "backend", cJSON_CreateString(q->d->redis ? "redis" : "memory"));
	put(q, out, "mode", cJSON_CreateString(mode));
	if (q->d->redis) {
		put_int(q, out, "daemons", (int64_t)daemons);
		if (since)
			put_int(q, out, "outage_since_ms", since);
	}
}

static int op_status(req *q)
{
	const pt_daemon *d = q->d;
	size_t resources, reservations;
	pt_registry_count(&d->reg, q->c->uid, q->now, &resources, &reservations);
	cJSON *out = start(q, true);
	put(q, out, "server", cJSON_CreateString(SERVER_NAME));
	put_int(q, out, "pid", (int64_t)getpid());
	put_int(q, out, "uptime_ms", pt_daemon_mono_ms() - d->started_ms);
	put_int(q, out, "clients", (int64_t)d->n_conns);
	put_int(q, out, "max_clients", d->opt.max_clients);
	put_int(q, out, "resources", (int64_t)resources);
	put_int(q, out, "reservations", (int64_t)reservations);
	put_int(q, out, "memos", (int64_t)pt_memo_count(&d->memos, q->c->uid));
	put(q, out, "state", cJSON_CreateString(d->opt.state_path));
	put(q, out, "socket", cJSON_CreateString(d->opt.socket_path));
	status_backend(q, out);
	put_leases(q, out);
	return 0;
}

/* breaker: "spec" (text, as patience's --circuit-breaker) is used only when
 * the request creates the breaker; the reply tells the one in force. */
static int breaker_entry(req *q, const char *resource, pt_breaker_entry **out)
{
	const char *text = NULL;
	char err[256];
	pt_breaker_spec spec;
	pt_breaker_spec_default(&spec);
	if (get_string(q, "spec", &text) < 0)
		return -1;
	if (text && pt_breaker_spec_parse(text, &spec, err, sizeof err) != PT_OK)
		return fail(q, PT_ERR_BAD_REQUEST, "field \"spec\": %s", err);
	switch (pt_breaker_get(&q->d->breakers, q->c->uid, resource, &spec, out)) {
	case PT_OK:
		return 0;
	case PT_ERANGE:
		return fail(q, PT_ERR_BAD_REQUEST, "uid %u already has %d breakers", q->c->uid,
			    PT_BREAKERS_PER_UID_MAX);
	default:
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	}
}

/* The breaker's state, spec and counts into object out. */
static void breaker_fields(req *q, cJSON *out, const pt_breaker_entry *e)
{
	char spec[128];
	pt_breaker_spec_format(&e->b.spec, spec, sizeof spec);
	put(q, out, "resource", cJSON_CreateString(e->resource));
	put(q, out, "state", cJSON_CreateString(pt_breaker_state_name(e->b.state)));
	put_int(q, out, "failures", (int64_t)pt_breaker_failures(&e->b, q->now));
	if (e->b.state == PT_BREAKER_OPEN)
		put_int(q, out, "open_until_ms", e->b.open_until_ms);
	put_int(q, out, "probes_in_flight", e->b.probes_in_flight);
	put(q, out, "spec", cJSON_CreateString(spec));
}

static void breaker_reply(req *q, const pt_breaker_entry *e)
{
	breaker_fields(q, q->out, e);
}

#define BREAKERS_LISTED 50 /* keeps the reply well within a client's line */

static cJSON *breakers_json(req *q)
{
	cJSON *array = cJSON_CreateArray();
	size_t n = 0;
	for (const pt_breaker_entry *e = q->d->breakers.first; e && n < BREAKERS_LISTED && !q->oom;
	     e = e->next) {
		if (e->uid != q->c->uid)
			continue;
		cJSON *o = cJSON_CreateObject();
		breaker_fields(q, o, e);
		push(q, array, o);
		n++;
	}
	return array;
}

static int breaker_admit(req *q, pt_breaker_entry *e)
{
	pt_breaker_admission a;
	if (pt_breaker_admit_for(e, &q->c->permits, q->now, &a) != PT_OK)
		return fail(q, PT_ERR_INTERNAL, "out of memory");
	cJSON *out = start(q, true);
	put(q, out, "admit", cJSON_CreateBool(a.admit));
	if (a.admit)
		put(q, out, "probe", cJSON_CreateBool(a.probe_round != 0));
	else
		put_int(q, out, "retry_at_ms", a.retry_at_ms);
	breaker_reply(q, e);
	return 0;
}

static int breaker_report(req *q, pt_breaker_entry *e, bool success)
{
	pt_breaker_report_for(e, &q->c->permits, success, q->now);
	start(q, true);
	breaker_reply(q, e);
	return 0;
}

/* breaker: "action" "admit" (may an attempt start?) or "report" (how it
 * ended), on the breaker of "resource". */
static int op_breaker(req *q)
{
	const char *resource, *action = NULL;
	bool success = false;
	pt_breaker_entry *e;
	int has_success;
	if (need_resource(q, &resource) < 0 || get_string(q, "action", &action) < 0 ||
	    (has_success = get_bool(q, "success", &success)) < 0)
		return -1;
	bool admit = action && strcmp(action, "admit") == 0;
	if (!admit && !(action && strcmp(action, "report") == 0))
		return fail(q, PT_ERR_BAD_REQUEST, "field \"action\": expected \"admit\" or \"report\"");
	if (!admit && !has_success)
		return fail(q, PT_ERR_BAD_REQUEST, "missing field \"success\"");
	if (breaker_entry(q, resource, &e) < 0)
		return -1;
	return admit ? breaker_admit(q, e) : breaker_report(q, e, success);
}

/* Each operation, and whether it may free start times that queued
 * acquires wait for. */
static const struct {
	op_fn fn;
	bool may_free;
} ops[PT_OP_COUNT] = {
	[PT_OP_HELLO] = {op_hello, false},         [PT_OP_ACQUIRE] = {op_acquire, false},
	[PT_OP_RELEASE] = {op_release, true},      [PT_OP_STARTED] = {op_started, false},
	[PT_OP_SET_LIMIT] = {op_set_limit, true},  [PT_OP_LEARN] = {op_learn, true},
	[PT_OP_MEMO] = {op_memo, false},           [PT_OP_BREAKER] = {op_breaker, false},
	[PT_OP_LEASE] = {op_lease, false},         [PT_OP_UNLEASE] = {op_unlease, false},
	[PT_OP_RESOURCES] = {op_resources, false}, [PT_OP_STATUS] = {op_status, false},
};

/* ---- dispatch ---- */

static int check_version(req *q)
{
	int64_t v = 0;
	int rc = need_int(q, "v", INT32_MIN, INT32_MAX, &v);
	if (rc < 0)
		return -1;
	if (v == PT_PROTOCOL_VERSION)
		return 0;
	fail(q, PT_ERR_UNSUPPORTED_VERSION, "protocol version %" PRId64 " is not spoken here; "
	     "this daemon speaks 1", v);
	cJSON *versions = cJSON_CreateArray();
	push(q, versions, pt_json_int(PT_PROTOCOL_VERSION));
	put(q, q->out, "versions", versions);
	return -1;
}

/* "hello, acquire, ... or status". */
static void op_list(char *buf, size_t len)
{
	size_t used = 0;
	for (int i = 0; i < PT_OP_COUNT && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i == 0 ? "" : i == PT_OP_COUNT - 1 ? " or " : ", ",
					 pt_op_name((pt_op)i));
}

static void dispatch(req *q)
{
	const char *name = NULL;
	char expected[256];
	if (check_version(q) < 0 || get_string(q, "op", &name) < 0)
		return;
	if (!name) {
		fail(q, PT_ERR_BAD_REQUEST, "missing field \"op\"");
		return;
	}
	pt_op op = pt_op_parse(name);
	if (op == PT_OP_COUNT) {
		op_list(expected, sizeof expected);
		fail(q, PT_ERR_UNKNOWN_OP, "unknown op \"%.64s\": expected %s", name, expected);
		return;
	}
	ops[op].fn(q);
	if (ops[op].may_free)
		pt_queue_kick(q->d);
}

static bool blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

static void parse(req *q, const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!root) {
		size_t at = end && end >= line && end <= line + len ? (size_t)(end - line) : 0;
		if (blank(line, line + len))
			fail(q, PT_ERR_BAD_JSON, "empty request: expected a JSON object");
		else
			fail(q, PT_ERR_BAD_JSON, "malformed JSON at byte %zu", at);
	} else if (!blank(end, line + len)) {
		fail(q, PT_ERR_BAD_JSON, "extra bytes after the JSON object, at byte %zu",
		     (size_t)(end - line));
	} else if (!cJSON_IsObject(root)) {
		fail(q, PT_ERR_BAD_JSON, "expected a JSON object");
	} else {
		q->root = root;
		dispatch(q);
	}
	cJSON_Delete(root);
	q->root = NULL;
}

char *pt_protocol_answer(pt_daemon *d, pt_conn *c, const char *line, size_t len,
			 int64_t now_ms, bool *durable)
{
	req q = {.d = d, .c = c, .now = now_ms, .asked = now_ms};
	char *text = NULL;
	parse(&q, line, len);
	if (q.later) {
		cJSON_Delete(q.out);
		*durable = false;
		return (char *)pt_protocol_later;
	}
	if (!q.oom && q.out)
		text = cJSON_PrintUnformatted(q.out);
	cJSON_Delete(q.out);
	*durable = q.durable && text;
	return text;
}
