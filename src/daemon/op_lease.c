/* lease and unlease: concurrency leases (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>

#include "patience/duration.h"
#include "patience/error.h"

/* Granted at once, or the reply waits until a lease frees (or max_wait_ms). */
int op_lease(pt_req *q)
{
	const char *resource;
	int64_t n = 0, max_wait = -1, now = pt_daemon_mono_ms();
	pt_lease *l;
	if (req_need_resource(q, &resource) < 0 ||
	    req_need_int(q, "concurrency", 1, PT_LEASE_LIMIT_MAX, &n) < 0 ||
	    req_get_int(q, "max_wait_ms", 0, PT_DURATION_MAX_MS, &max_wait) < 0)
		return -1;
	pt_lease_ask a = {.uid = q->c->uid, .resource = resource, .limit = n,
			  .config_limit = pt_registry_config_concurrency(&q->d->reg, resource),
			  .owner = &q->c->leases, .now_ms = now,
			  .deadline_ms = max_wait >= 0 ? now + max_wait : 0};
	int rc = pt_lease_take(&q->d->leases, &a, &l);
	if (rc == PT_ERANGE)
		return req_fail(q, PT_ERR_BAD_REQUEST, "this connection already holds or waits for %d "
			    "leases", PT_LEASES_PER_CONN_MAX);
	if (rc != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	if (l->granted) {
		cJSON_Delete(q->out);
		q->oom = !(q->out = pt_lease_reply_json(l, now));
		return 0;
	}
	if (!(l->reply = pt_server_hold_later(q->c))) {
		pt_lease_give_back(&q->d->leases, &q->c->leases, l->id);
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	}
	q->later = true;
	pt_lease_rearm(q->d);
	return 0;
}

int op_unlease(pt_req *q)
{
	int64_t id = 0;
	if (req_need_int(q, "lease", 1, PT_PROTOCOL_INT_MAX, &id) < 0)
		return -1;
	if (pt_lease_give_back(&q->d->leases, &q->c->leases, (uint64_t)id) != PT_OK)
		return req_fail(q, PT_ERR_NOT_FOUND, "this connection holds no lease %" PRId64, id);
	pt_lease_rearm(q->d);
	req_put_int(q, req_start(q, true), "lease", id);
	return 0;
}

/* "leases": the caller's lease pools (pt_lease_pool_json), when it has any. */
void op_put_leases(pt_req *q, cJSON *out)
{
	cJSON *array = cJSON_CreateArray();
	for (const pt_lease_pool *p = q->d->leases.pools; p && !q->oom; p = p->next) {
		if (p->uid != q->c->uid)
			continue;
		req_push(q, array, pt_lease_pool_json(p));
	}
	if (cJSON_GetArraySize(array))
		req_put(q, out, "leases", array);
	else
		cJSON_Delete(array);
}
