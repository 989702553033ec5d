/* Start times: acquire (placed here, in the queue, or by Redis), release,
 * started and set_limit (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/calendar.h"
#include "patience/duration.h"
#include "patience/error.h"

/* One of "limits": {"limit": N, "window_ms": W} or {"limit": N,
 * "calendar": "hour"|"day"|"week"|"month"}. */
static int read_extra_limit(pt_req *q, const cJSON *item, pt_limit *out)
{
	const cJSON *cal = cJSON_GetObjectItemCaseSensitive(item, "calendar");
	int64_t v;
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(item) ||
	    !pt_json_read_int(cJSON_GetObjectItemCaseSensitive(item, "limit"), &v) || v < 1 ||
	    v > PT_LIMIT_MAX)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": each is {\"limit\": 1 to %" PRId64
			    ", and \"window_ms\" or \"calendar\"}", PT_LIMIT_MAX);
	out->count = v;
	if (cal) {
		if (!cJSON_IsString(cal) ||
		    pt_calendar_unit_parse(cal->valuestring, &out->calendar) != PT_OK)
			return req_fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": \"calendar\" is hour, "
				    "day, week or month");
		return 0;
	}
	if (!pt_json_read_int(cJSON_GetObjectItemCaseSensitive(item, "window_ms"), &v) || v < 1 ||
	    v > PT_DURATION_MAX_MS)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": \"window_ms\" is 1 to %" PRId64,
			    PT_DURATION_MAX_MS);
	out->window_ms = v;
	return 0;
}

/* "limits": the resource's limits beyond limit per window_ms. */
static int get_extra_limits(pt_req *q, pt_limit *extra, size_t *n)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(q->root, "limits"), *item;
	*n = 0;
	if (!array)
		return 0;
	if (!cJSON_IsArray(array) || cJSON_GetArraySize(array) > PT_LIMITS_MAX)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"limits\": expected an array of at most %d "
			    "limits", PT_LIMITS_MAX);
	cJSON_ArrayForEach(item, array) {
		if (read_extra_limit(q, item, &extra[*n]) < 0)
			return -1;
		(*n)++;
	}
	return 1;
}

static int read_acquire(pt_req *q, pt_acquire *a, int64_t *offsets, pt_limit *extra)
{
	/* without a limit: the resource's, its config's, or none at all */
	bool limited = cJSON_GetObjectItemCaseSensitive(q->root, "limit") ||
		       cJSON_GetObjectItemCaseSensitive(q->root, "window_ms");
	if (req_need_resource(q, &a->resource) < 0 ||
	    (limited && (req_need_int(q, "limit", 1, PT_LIMIT_MAX, &a->limit) < 0 ||
			 req_need_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &a->window_ms) < 0)) ||
	    req_get_offsets(q, offsets, &a->k) < 0 ||
	    req_get_int(q, "not_before_ms", 0, q->now + PT_DURATION_MAX_MS, &a->not_before_ms) < 0 ||
	    req_get_int(q, "max_wait_ms", 0, PT_DURATION_MAX_MS, &a->max_wait_ms) < 0 ||
	    req_get_int(q, "ttl_ms", 1, PT_DURATION_MAX_MS, &a->ttl_ms) < 0 ||
	    req_get_int(q, "guard_ms", 1, PT_DURATION_MAX_MS, &a->guard_ms) < 0 ||
	    req_get_int(q, "burst", 1, PT_LIMIT_MAX, &a->burst) < 0 ||
	    req_get_int(q, "priority", -PT_PRIORITY_LIMIT, PT_PRIORITY_LIMIT, &a->priority) < 0 ||
	    req_get_bool(q, "queue", &a->queue) < 0 ||
	    req_get_string(q, "client_id", &a->client_id) < 0 ||
	    get_extra_limits(q, extra, &a->n_extra) < 0 || req_get_string(q, "tz", &a->tz) < 0)
		return -1;
	if (a->tz && (strlen(a->tz) >= sizeof ((pt_pending *)0)->tz || !pt_zone_known(a->tz)))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"tz\": unknown time zone \"%.64s\": expected "
			    "an IANA name such as America/New_York", a->tz);
	pt_gcra check;
	if (a->burst && pt_gcra_init(&check, a->limit, a->window_ms, a->burst, 0) != PT_OK)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"burst\": %" PRId64 " at %" PRId64 " per %"
			    PRId64 " ms passes 100 years of tolerance: expected a smaller burst",
			    a->burst, a->limit, a->window_ms);
	a->offsets = offsets;
	a->extra = extra;
	return 0;
}

/* doubt_ms: how much later than its placement the start may already be
 * (Redis's answer took that long to arrive): the client may wake only
 * guard - doubt late. */
static void granted(pt_req *q, const pt_acquire *a, const pt_placement *p, pt_grant_mode mode,
		    int64_t doubt_ms)
{
	cJSON *out = req_start(q, true), *starts = cJSON_CreateArray();
	req_put_int(q, out, "reservation", (int64_t)p->reservation);
	req_put_int(q, out, "start_ms", p->start_ms);
	for (size_t i = 0; i < a->k; i++)
		req_push(q, starts, pt_json_int(p->start_ms + a->offsets[i]));
	req_put(q, out, "starts_ms", starts);
	req_put_int(q, out, "now_ms", q->now);
	req_put_int(q, out, "limit", p->limit);
	req_put_int(q, out, "window_ms", p->window_ms);
	req_put_int(q, out, "guard_ms", p->guard_ms);
	if (p->burst)
		req_put_int(q, out, "burst", p->burst);
	req_put_int(q, out, "expires_ms", p->expires_ms);
	req_put_int(q, out, "max_late_ms", p->guard_ms > doubt_ms ? p->guard_ms - doubt_ms : 0);
	req_put(q, out, "backend", cJSON_CreateString(pt_grant_mode_name(mode)));
	q->durable = true;
	pt_daemon_host_granted(q->d, p->start_ms + a->offsets[a->k - 1]);
	pt_metrics_acquired(&q->d->metrics, PT_ACQ_GRANTED, p->start_ms - q->asked);
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): \"%s\" reservation %" PRIu64
	       ": %zu starts from %+" PRId64 " ms (at %" PRId64 ", %s)", q->c->id, q->c->uid,
	       a->resource, p->reservation, a->k, p->start_ms - q->now, p->start_ms,
	       pt_grant_mode_name(mode));
}

static int acquire_failed(pt_req *q, const pt_acquire *a, const pt_placement *p, int rc);

/* The acquire waits for Redis (res: its resource) or in the queue (res
 * NULL); NULL (and the reply made) when it cannot. */
static pt_pending *pending_new(pt_req *q, const pt_acquire *a, const pt_resource *res)
{
	pt_pending *p = calloc(1, sizeof *p + a->k * sizeof p->offsets[0]);
	if (!p) {
		pt_metrics_acquired(&q->d->metrics, PT_ACQ_ERROR, 0);
		req_fail(q, PT_ERR_INTERNAL, "out of memory; nothing was granted");
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
static bool pending_hold(pt_req *q, pt_pending *p)
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
static int acquire_shared(pt_req *q, pt_acquire *a)
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
static int acquire_queued(pt_req *q, const pt_acquire *a)
{
	pt_pending *p;
	if (q->d->n_queued >= PT_QUEUE_MAX)
		return req_fail(q, PT_ERR_BUSY, "%zu acquires are already queued; try again later",
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
static bool gcra_resource(pt_req *q, const pt_acquire *a)
{
	const pt_resource *res = pt_registry_find(&q->d->reg, a->uid, a->resource);
	const pt_config_limit *c = pt_registry_config_limit(&q->d->reg, a->resource);
	return res ? res->gcra != NULL : c ? c->burst > 0 : a->burst > 0;
}

/* Asked without a limit, for a resource that has none here (neither held
 * nor configured): every start is granted as asked, with no reservation
 * (reservation 0) and nothing to release or move. */
static bool unlimited(pt_req *q, const pt_acquire *a)
{
	return a->limit == 0 && !pt_registry_find(&q->d->reg, a->uid, a->resource) &&
	       !pt_registry_config_limit(&q->d->reg, a->resource);
}

static void granted_unlimited(pt_req *q, const pt_acquire *a)
{
	pt_placement p = {.start_ms = a->not_before_ms > q->now ? a->not_before_ms : q->now};
	cJSON *out = req_start(q, true), *starts = cJSON_CreateArray();
	req_put_int(q, out, "reservation", 0);
	req_put_int(q, out, "start_ms", p.start_ms);
	for (size_t i = 0; i < a->k; i++)
		req_push(q, starts, pt_json_int(p.start_ms + a->offsets[i]));
	req_put(q, out, "starts_ms", starts);
	req_put_int(q, out, "now_ms", q->now);
	req_put_int(q, out, "limit", 0);
	req_put_int(q, out, "window_ms", 0);
	req_put_int(q, out, "guard_ms", 0);
	req_put(q, out, "backend", cJSON_CreateString("none"));
	pt_metrics_acquired(&q->d->metrics, PT_ACQ_GRANTED, p.start_ms - q->asked);
}

int op_acquire(pt_req *q)
{
	int64_t offsets[PT_DIO_MAX_OFFSETS];
	pt_limit extra[PT_LIMITS_MAX];
	pt_acquire a = {.uid = q->c->uid, .owner = &q->c->owner, .max_wait_ms = -1};
	pt_placement p;
	if (read_acquire(q, &a, offsets, extra) < 0)
		return -1;
	if (unlimited(q, &a)) {
		granted_unlimited(q, &a);
		return 0;
	}
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

static int acquire_failed(pt_req *q, const pt_acquire *a, const pt_placement *p, int rc)
{
	const int64_t *offsets = a->offsets;
	pt_metrics_acquired(&q->d->metrics, rc == PT_EINFEASIBLE ? PT_ACQ_INFEASIBLE
					    : rc == PT_ERANGE   ? PT_ACQ_WAIT_TOO_LONG
								: PT_ACQ_ERROR, 0);
	switch (rc) {
	case PT_EINFEASIBLE:
		if (p->burst)
			return req_fail(q, PT_ERR_INFEASIBLE, "the offsets alone break bursts of %" PRId64
				    " at %" PRId64 " per %" PRId64 " ms (guard %" PRId64 " ms)",
				    p->burst, p->limit, p->window_ms, p->guard_ms);
		return req_fail(q, PT_ERR_INFEASIBLE, "offsets %" PRId64 " and %" PRId64 " fall within one "
			    "window of %" PRId64 " ms: limit %" PRId64, offsets[p->crowded],
			    offsets[p->crowded + (size_t)p->limit], p->window_ms + p->guard_ms,
			    p->limit);
	case PT_ERANGE:
		req_fail(q, PT_ERR_WAIT_TOO_LONG, "the earliest start is in %" PRId64 " ms, beyond "
		     "max_wait_ms %" PRId64, p->start_ms - q->now, a->max_wait_ms);
		req_put_int(q, q->out, "start_ms", p->start_ms);
		req_put_int(q, q->out, "now_ms", q->now);
		return -1;
	case PT_EINVAL:
		return req_fail(q, PT_ERR_BAD_REQUEST, "the start times fall outside the range the "
			    "daemon can represent");
	case PT_EIO:
		return req_fail(q, PT_ERR_INTERNAL, "the daemon could not save its state; nothing was "
			    "granted");
	default:
		return req_fail(q, PT_ERR_INTERNAL, "out of memory; nothing was granted");
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
static void acquire_outage(pt_req *q, pt_pending *p)
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

static void acquire_answer(pt_req *q, pt_pending *p, bool ok, int64_t base_ms, int64_t wait_ms)
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
static void send_pending(pt_req *q, pt_pending *p)
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
	pt_req q = {.d = d, .c = p->conn, .now = now, .asked = now};
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
	pt_req q = {.d = d, .c = p->conn, .now = now_ms, .asked = p->queued_ms};
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
	pt_req q = {.d = d, .c = p->conn, .now = now_ms};
	pending_unlink(p);
	pt_metrics_acquired(&d->metrics, PT_ACQ_WAIT_TOO_LONG, 0);
	req_fail(&q, PT_ERR_WAIT_TOO_LONG, "no start came within max_wait_ms %" PRId64 ": acquires "
	     "of higher rank held the free start times", p->deadline_ms - p->queued_ms);
	req_put_int(&q, q.out, "now_ms", now_ms);
	send_pending(&q, p);
}

int op_release(pt_req *q)
{
	int64_t id = 0, from = q->now;
	bool unused = false;
	size_t released;
	if (req_need_int(q, "reservation", 1, PT_PROTOCOL_INT_MAX, &id) < 0 ||
	    req_get_int(q, "from_ms", 0, PT_PROTOCOL_INT_MAX, &from) < 0 ||
	    req_get_bool(q, "unused", &unused) < 0)
		return -1;
	if (pt_registry_cancel(&q->d->reg, q->c->uid, (uint64_t)id, from, unused, q->now,
			       &released))
		return req_fail(q, PT_ERR_NOT_FOUND, "no reservation %" PRId64, id);
	req_put_int(q, req_start(q, true), "released", (int64_t)released);
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): reservation %" PRId64
	       " released %zu starts", q->c->id, q->c->uid, id, released);
	return 0;
}

/* The command of a granted start really started at started_ms: later
 * grants are spaced from there (docs/PROTOCOL.md, started). */
int op_started(pt_req *q)
{
	const char *name;
	int64_t id = 0, at = 0, started = 0;
	pt_resource *res = NULL;
	if (req_need_resource(q, &name) < 0 ||
	    req_need_int(q, "reservation", 1, PT_PROTOCOL_INT_MAX, &id) < 0 ||
	    req_need_int(q, "at_ms", 0, PT_PROTOCOL_INT_MAX, &at) < 0 ||
	    req_need_int(q, "started_ms", 0, q->now + PT_STARTED_AHEAD_MS, &started) < 0)
		return -1;
	int rc = pt_registry_started(&q->d->reg, q->c->uid, name, (uint64_t)id, at, started, q->now,
				     &res);
	if (rc == PT_ENOENT)
		return req_fail(q, PT_ERR_NOT_FOUND, "no start of reservation %" PRId64 " at %" PRId64
			    " on \"%.64s\"", id, at, name);
	if (rc != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	cJSON *out = req_start(q, true);
	req_put_int(q, out, "late_ms", (started < q->now ? started : q->now) - at);
	req_put_int(q, out, "guard_ms", res->dio.guard_ms);
	q->durable = started > at; /* a moved start is saved before the reply */
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): \"%s\" reservation %" PRId64
	       " started %+" PRId64 " ms from its grant (guard %" PRId64 " ms)", q->c->id, q->c->uid,
	       name, id, started - at, res->dio.guard_ms);
	return 0;
}

int op_set_limit(pt_req *q)
{
	const char *name;
	int64_t limit = 0, window = 0;
	const pt_resource *res = NULL;
	const pt_config_limit *c;
	if (req_need_resource(q, &name) < 0 || req_need_int(q, "limit", 1, PT_LIMIT_MAX, &limit) < 0 ||
	    req_need_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &window) < 0)
		return -1;
	if ((c = pt_registry_config_limit(&q->d->reg, name)))
		return req_fail(q, PT_ERR_BAD_REQUEST, "the limit of \"%s\" comes from the daemon's config "
			    "file (%" PRId64 " per %" PRId64 " ms)", name, c->limit, c->window_ms);
	switch (pt_registry_set_limit(&q->d->reg, q->c->uid, name, limit, window, &res)) {
	case PT_OK:
		break;
	case PT_EINVAL:
		return req_fail(q, PT_ERR_BAD_REQUEST, "the limit of \"%s\" comes from the daemon's config "
			    "file", name);
	case PT_EIO:
		return req_fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
	default:
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	}
	cJSON *out = req_start(q, true);
	req_put(q, out, "resource", cJSON_CreateString(res->name));
	req_put_int(q, out, "limit", res->dio.limit);
	req_put_int(q, out, "window_ms", res->dio.window_ms);
	req_put_int(q, out, "guard_ms", res->dio.guard_ms);
	q->durable = true;
	pt_log(PT_LOG_INFO, "uid %u: \"%s\" limit set to %" PRId64 " per %" PRId64 " ms",
	       q->c->uid, name, limit, window);
	return 0;
}
