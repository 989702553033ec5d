/* The daemon's entities as JSON, one builder each, shared by the protocol
 * (resources, status, lease, breaker) and the HTTP port (/api/v1/resources),
 * so that both speak of them with one set of keys (docs/PROTOCOL.md). Each
 * returns NULL when out of memory. */
#include "daemon/daemon.h"

#include "patience/calendar.h"
#include "patience/lateness.h"

/* {"limit": N, "window_ms": W} or {"limit": N, "calendar": UNIT}, into array. */
static bool add_limit(cJSON *array, const pt_limit *l)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(array, o)) {
		cJSON_Delete(o);
		return false;
	}
	if (!pt_json_add_int(o, "limit", l->count))
		return false;
	if (l->calendar == PT_CALENDAR_NONE)
		return pt_json_add_int(o, "window_ms", l->window_ms);
	return cJSON_AddStringToObject(o, "calendar", pt_calendar_unit_name(l->calendar)) != NULL;
}

/* A resource's other limits, as acquire's "limits" gives them. */
static cJSON *extra_limits_json(const pt_limit_set *set)
{
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; array && i < set->count; i++) {
		if (!add_limit(array, &set->limits[i])) {
			cJSON_Delete(array);
			return NULL;
		}
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
	bool ok = o && pt_json_add_int(o, "samples", n);
	for (size_t i = 0; ok && i < sizeof q / sizeof q[0]; i++)
		ok = pt_json_add_int(o, q[i].key,
				     pt_lateness_quantile(res->lateness, q[i].permille, now_ms));
	ok = ok && pt_json_add_int(o, "guard_floor_ms", res->guard_floor_ms);
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

/* The optional parts: a bucket, a wait and a limit a service told, other
 * limits, how late starts were made. */
static bool add_resource_extras(cJSON *o, const pt_resource *res, int64_t now)
{
	bool ok = true;
	if (res->gcra)
		ok = pt_json_add_int(o, "burst", res->gcra->burst) &&
		     (!res->gcra->has_tat || pt_json_add_int(o, "tat_ms", res->gcra->tat_ms));
	if (ok && res->blocked_until_ms > now)
		ok = pt_json_add_int(o, "wait_until_ms", res->blocked_until_ms);
	if (ok && res->learned)
		ok = cJSON_AddStringToObject(o, "learned_from", res->learned->from) &&
		     pt_json_add_int(o, "learned_expires_ms", res->learned->expires_ms);
	if (ok && res->extra)
		ok = cJSON_AddItemToObject(o, "limits", extra_limits_json(res->extra));
	if (ok && res->tz)
		ok = cJSON_AddStringToObject(o, "tz", res->tz) != NULL;
	if (ok && res->lateness && pt_lateness_count(res->lateness, now))
		ok = cJSON_AddItemToObject(o, "starts_late_ms", pt_starts_late_json(res, now));
	return ok;
}

cJSON *pt_json_fraction(double x)
{
	return cJSON_CreateNumber((double)(int64_t)(x * 10000 + 0.5) / 10000);
}

cJSON *pt_exec_counts_json(const pt_exec_counts *c)
{
	cJSON *o = cJSON_CreateObject();
	int64_t mean = c->total ? c->duration_sum_ms / c->total +
					  (c->duration_sum_ms % c->total >= (c->total + 1) / 2)
				: 0;
	bool ok = o && pt_json_add_int(o, "total", c->total) &&
		  pt_json_add_int(o, "succeeded", c->succeeded) &&
		  pt_json_add_int(o, "failed", c->total - c->succeeded) &&
		  (!c->total ||
		   cJSON_AddItemToObject(o, "success_rate",
					 pt_json_fraction((double)c->succeeded / (double)c->total))) &&
		  pt_json_add_int(o, "mean_duration_ms", mean) &&
		  (!c->total || (pt_json_add_int(o, "last_ms", c->last_ms) &&
				 cJSON_AddStringToObject(o, "last_outcome",
							 c->last_succeeded ? "success" : "failure")));
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

cJSON *pt_exec_tools_json(const pt_exec_tool *tools, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; o && i < n; i++) {
		cJSON *c = pt_exec_counts_json(&tools[i].counts);
		if (!c || !cJSON_AddItemToObject(o, tools[i].name, c)) {
			cJSON_Delete(c);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

cJSON *pt_executions_json(const pt_exec_entry *e)
{
	cJSON *o = pt_exec_counts_json(&e->all), *tools = pt_exec_tools_json(e->tools, e->n_tools);
	if (o && tools && pt_json_add_int(o, "active_clients", (int64_t)e->active_clients) &&
	    cJSON_AddItemToObject(o, "tools", tools))
		return o;
	if (!cJSON_GetObjectItemCaseSensitive(o, "tools"))
		cJSON_Delete(tools);
	cJSON_Delete(o);
	return NULL;
}

cJSON *pt_resource_json(const pt_resource_usage *u, int64_t now)
{
	const pt_resource *res = u->res;
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "resource", res->name) &&
		  pt_json_add_int(o, "limit", res->dio.limit) &&
		  pt_json_add_int(o, "window_ms", res->dio.window_ms) &&
		  pt_json_add_int(o, "guard_ms", res->dio.guard_ms) &&
		  cJSON_AddStringToObject(o, "source", pt_limit_source_name(res->source)) &&
		  cJSON_AddStringToObject(o, "algorithm", res->gcra ? "gcra" : "sliding") &&
		  pt_json_add_int(o, "reserved", (int64_t)u->reserved) &&
		  pt_json_add_int(o, "in_window", (int64_t)u->in_window) &&
		  pt_json_add_int(o, "next_free_ms", u->next_free_ms) &&
		  pt_json_add_int(o, "waiting", (int64_t)u->waiting) &&
		  add_resource_extras(o, res, now) &&
		  (!u->executions ||
		   cJSON_AddItemToObject(o, "executions", pt_executions_json(u->executions)));
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

cJSON *pt_breaker_json(const pt_breaker_entry *e, int64_t now)
{
	char spec[128];
	cJSON *o = cJSON_CreateObject();
	pt_breaker_spec_format(&e->b.spec, spec, sizeof spec);
	bool ok = o && cJSON_AddStringToObject(o, "resource", e->resource) &&
		  cJSON_AddStringToObject(o, "state", pt_breaker_state_name(e->b.state)) &&
		  pt_json_add_int(o, "failures", (int64_t)pt_breaker_failures(&e->b, now)) &&
		  (e->b.state != PT_BREAKER_OPEN ||
		   pt_json_add_int(o, "open_until_ms", e->b.open_until_ms)) &&
		  pt_json_add_int(o, "probes_in_flight", e->b.probes_in_flight) &&
		  cJSON_AddStringToObject(o, "spec", spec);
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

cJSON *pt_lease_pool_json(const pt_lease_pool *p)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "resource", p->name) &&
		  pt_json_add_int(o, "limit", p->limit) &&
		  pt_json_add_int(o, "held", (int64_t)p->n_held) &&
		  pt_json_add_int(o, "waiting", (int64_t)p->n_waiting) &&
		  cJSON_AddStringToObject(o, "source", p->from_config ? "config" : "lease");
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}
