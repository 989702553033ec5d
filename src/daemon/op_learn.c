/* learn: what a service's headers told about a resource (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>

#include "patience/duration.h"
#include "patience/error.h"

/* learn: the wait and the limit a service told a client (learned.c). */
static int read_learn(pt_req *q, pt_learn *l)
{
	int has_limit, has_window;
	l->uid = q->c->uid;
	if (req_need_resource(q, &l->resource) < 0 ||
	    (has_limit = req_get_int(q, "limit", 1, PT_LIMIT_MAX, &l->limit)) < 0 ||
	    (has_window = req_get_int(q, "window_ms", 1, PT_DURATION_MAX_MS, &l->window_ms)) < 0 ||
	    req_get_int(q, "wait_until_ms", 0, q->now + PT_DURATION_MAX_MS, &l->blocked_until_ms) < 0 ||
	    req_get_int(q, "expires_ms", 0, q->now + PT_DURATION_MAX_MS, &l->expires_ms) < 0 ||
	    req_get_int(q, "fallback_limit", 1, PT_LIMIT_MAX, &l->create_limit) < 0 ||
	    req_get_int(q, "fallback_window_ms", 1, PT_DURATION_MAX_MS, &l->create_window_ms) < 0 ||
	    req_get_string(q, "from", &l->from) < 0)
		return -1;
	if (has_limit != has_window)
		return req_fail(q, PT_ERR_BAD_REQUEST, "fields \"limit\" and \"window_ms\" come together");
	if ((l->create_limit > 0) != (l->create_window_ms > 0))
		return req_fail(q, PT_ERR_BAD_REQUEST, "fields \"fallback_limit\" and "
			    "\"fallback_window_ms\" come together");
	if (!has_limit && !l->blocked_until_ms)
		return req_fail(q, PT_ERR_BAD_REQUEST, "nothing to learn: give \"limit\" and \"window_ms\", "
			    "or \"wait_until_ms\"");
	return 0;
}

/* The wait and the limit a service told, into o. */
static void learned_json(pt_req *q, cJSON *o, const pt_resource *res)
{
	if (res->blocked_until_ms > q->now)
		req_put_int(q, o, "wait_until_ms", res->blocked_until_ms);
	if (res->learned) {
		req_put(q, o, "learned_from", cJSON_CreateString(res->learned->from));
		req_put_int(q, o, "learned_expires_ms", res->learned->expires_ms);
	}
}

int op_learn(pt_req *q)
{
	pt_learn l = {0};
	pt_resource *res = NULL;
	if (read_learn(q, &l) < 0)
		return -1;
	int rc = pt_learn_apply(&q->d->reg, &l, q->now, &res);
	if (rc == PT_ENOENT)
		return req_fail(q, PT_ERR_NOT_FOUND, "no resource \"%s\" yet: give \"fallback_limit\" and "
			    "\"fallback_window_ms\" to create it", l.resource);
	if (rc == PT_ENOMEM || rc == PT_EIO || !res)
		return req_fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
	cJSON *out = req_start(q, true);
	req_put(q, out, "resource", cJSON_CreateString(res->name));
	req_put_int(q, out, "limit", res->dio.limit);
	req_put_int(q, out, "window_ms", res->dio.window_ms);
	req_put(q, out, "source", cJSON_CreateString(pt_limit_source_name(res->source)));
	learned_json(q, out, res);
	if (rc == PT_EINVAL)
		req_put(q, out, "note", cJSON_CreateString("the config file's limit applies; only the "
						       "wait was learned"));
	q->durable = pt_registry_dirty(&q->d->reg);
	pt_log(PT_LOG_INFO, "uid %u: \"%s\" learned from %s: %" PRId64 " per %" PRId64 " ms%s, "
	       "wait %" PRId64 " ms", q->c->uid, res->name, l.from ? l.from : "a client",
	       res->dio.limit, res->dio.window_ms, rc == PT_EINVAL ? " (config)" : "",
	       res->blocked_until_ms > q->now ? res->blocked_until_ms - q->now : 0);
	return 0;
}
