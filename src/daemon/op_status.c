/* hello, resources and status: what the daemon is and holds for the
 * caller's uid (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "patience/calendar.h"
#include "patience/error.h"
#include "patience/lateness.h"
#include "patience/version.h"

#define SERVER_NAME "patience-daemon " PATIENCE_VERSION

int op_hello(pt_req *q)
{
	const char *client = NULL;
	if (req_get_string(q, "client", &client) < 0)
		return -1;
	cJSON *out = req_start(q, true), *versions = cJSON_CreateArray();
	req_put_int(q, out, "v", PT_PROTOCOL_VERSION);
	req_put(q, out, "server", cJSON_CreateString(SERVER_NAME));
	req_push(q, versions, pt_json_int(PT_PROTOCOL_VERSION));
	req_put(q, out, "versions", versions);
	if (client)
		pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): hello from \"%.100s\"", q->c->id,
		       q->c->uid, client);
	return 0;
}

/* A resource's other limits, as acquire's "limits" gives them. */
static cJSON *extra_json(pt_req *q, const pt_limit_set *set)
{
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; i < set->count; i++) {
		const pt_limit *l = &set->limits[i];
		cJSON *o = cJSON_CreateObject();
		req_put_int(q, o, "limit", l->count);
		if (l->calendar == PT_CALENDAR_NONE)
			req_put_int(q, o, "window_ms", l->window_ms);
		else
			req_put(q, o, "calendar", cJSON_CreateString(pt_calendar_unit_name(l->calendar)));
		req_push(q, array, o);
	}
	return array;
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

static cJSON *usage_json(pt_req *q, const pt_resource_usage *u)
{
	cJSON *o = cJSON_CreateObject();
	req_put(q, o, "resource", cJSON_CreateString(u->res->name));
	req_put_int(q, o, "limit", u->res->dio.limit);
	req_put_int(q, o, "window_ms", u->res->dio.window_ms);
	req_put_int(q, o, "guard_ms", u->res->dio.guard_ms);
	if (u->res->gcra)
		req_put_int(q, o, "burst", u->res->gcra->burst);
	req_put(q, o, "source", cJSON_CreateString(pt_limit_source_name(u->res->source)));
	req_put_int(q, o, "reserved", (int64_t)u->reserved);
	req_put_int(q, o, "in_window", (int64_t)u->in_window);
	req_put_int(q, o, "next_free_ms", u->next_free_ms);
	req_put_int(q, o, "waiting", (int64_t)u->waiting);
	op_learned_json(q, o, u->res);
	if (u->res->lateness && pt_lateness_count(u->res->lateness, q->now))
		req_put(q, o, "starts_late_ms", pt_starts_late_json(u->res, q->now));
	if (u->res->extra)
		req_put(q, o, "limits", extra_json(q, u->res->extra));
	if (u->res->tz)
		req_put(q, o, "tz", cJSON_CreateString(u->res->tz));
	return o;
}

int op_resources(pt_req *q)
{
	pt_resource_usage *list;
	size_t n;
	if (pt_registry_list(&q->d->reg, q->c->uid, q->now, &list, &n) != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	pt_queue_count_waiting(q->d, list, n);
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; i < n && !q->oom; i++)
		req_push(q, array, usage_json(q, &list[i]));
	free(list);
	cJSON *out = req_start(q, true);
	req_put(q, out, "resources", array);
	if (pt_memo_count(&q->d->memos, q->c->uid))
		req_put(q, out, "memos", op_memos_json(q));
	if (pt_breaker_count(&q->d->breakers, q->c->uid))
		req_put(q, out, "breakers", op_breakers_json(q));
	op_put_leases(q, out);
	return 0;
}

/* "backend": "memory" or "redis"; with Redis, "mode": "redis" or "outage"
 * (since when, and the daemons it last saw). */
static void status_backend(pt_req *q, cJSON *out)
{
	const char *mode = "local";
	int64_t since = 0;
	size_t daemons = 1;
	if (q->d->redis)
		pt_redis_describe(q->d->redis, &mode, &since, &daemons);
	req_put(q, out, "backend", cJSON_CreateString(q->d->redis ? "redis" : "memory"));
	req_put(q, out, "mode", cJSON_CreateString(mode));
	if (q->d->redis) {
		req_put_int(q, out, "daemons", (int64_t)daemons);
		if (since)
			req_put_int(q, out, "outage_since_ms", since);
	}
}

int op_status(pt_req *q)
{
	const pt_daemon *d = q->d;
	size_t resources, reservations;
	pt_registry_count(&d->reg, q->c->uid, q->now, &resources, &reservations);
	cJSON *out = req_start(q, true);
	req_put(q, out, "server", cJSON_CreateString(SERVER_NAME));
	req_put_int(q, out, "pid", (int64_t)getpid());
	req_put_int(q, out, "uptime_ms", pt_daemon_mono_ms() - d->started_ms);
	req_put_int(q, out, "clients", (int64_t)d->n_conns);
	req_put_int(q, out, "max_clients", d->opt.max_clients);
	req_put_int(q, out, "resources", (int64_t)resources);
	req_put_int(q, out, "reservations", (int64_t)reservations);
	req_put_int(q, out, "memos", (int64_t)pt_memo_count(&d->memos, q->c->uid));
	req_put(q, out, "state", cJSON_CreateString(d->opt.state_path));
	req_put(q, out, "socket", cJSON_CreateString(d->opt.socket_path));
	status_backend(q, out);
	op_put_leases(q, out);
	return 0;
}
