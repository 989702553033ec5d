/* breaker: admit and report on a resource's shared circuit breaker
 * (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>
#include <string.h>

#include "patience/error.h"

/* breaker: "spec" (text, as patience's --circuit-breaker) is used only when
 * the request creates the breaker; the reply tells the one in force. */
static int breaker_entry(pt_req *q, const char *resource, pt_breaker_entry **out)
{
	const char *text = NULL;
	char err[256];
	pt_breaker_spec spec;
	pt_breaker_spec_default(&spec);
	if (req_get_string(q, "spec", &text) < 0)
		return -1;
	if (text && pt_breaker_spec_parse(text, &spec, err, sizeof err) != PT_OK)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"spec\": %s", err);
	switch (pt_breaker_get(&q->d->breakers, q->c->uid, resource, &spec, out)) {
	case PT_OK:
		return 0;
	case PT_ERANGE:
		return req_fail(q, PT_ERR_BAD_REQUEST, "uid %u already has %d breakers", q->c->uid,
			    PT_BREAKERS_PER_UID_MAX);
	default:
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	}
}

/* The breaker's state, spec and counts into object out. */
static void breaker_fields(pt_req *q, cJSON *out, const pt_breaker_entry *e)
{
	char spec[128];
	pt_breaker_spec_format(&e->b.spec, spec, sizeof spec);
	req_put(q, out, "resource", cJSON_CreateString(e->resource));
	req_put(q, out, "state", cJSON_CreateString(pt_breaker_state_name(e->b.state)));
	req_put_int(q, out, "failures", (int64_t)pt_breaker_failures(&e->b, q->now));
	if (e->b.state == PT_BREAKER_OPEN)
		req_put_int(q, out, "open_until_ms", e->b.open_until_ms);
	req_put_int(q, out, "probes_in_flight", e->b.probes_in_flight);
	req_put(q, out, "spec", cJSON_CreateString(spec));
}

static void breaker_reply(pt_req *q, const pt_breaker_entry *e)
{
	breaker_fields(q, q->out, e);
}

#define BREAKERS_LISTED 50 /* keeps the reply well within a client's line */

cJSON *op_breakers_json(pt_req *q)
{
	cJSON *array = cJSON_CreateArray();
	size_t n = 0;
	for (const pt_breaker_entry *e = q->d->breakers.first; e && n < BREAKERS_LISTED && !q->oom;
	     e = e->next) {
		if (e->uid != q->c->uid)
			continue;
		cJSON *o = cJSON_CreateObject();
		breaker_fields(q, o, e);
		req_push(q, array, o);
		n++;
	}
	return array;
}

static int breaker_admit(pt_req *q, pt_breaker_entry *e)
{
	pt_breaker_admission a;
	if (pt_breaker_admit_for(e, &q->c->permits, q->now, &a) != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	cJSON *out = req_start(q, true);
	req_put(q, out, "admit", cJSON_CreateBool(a.admit));
	if (a.admit)
		req_put(q, out, "probe", cJSON_CreateBool(a.probe_round != 0));
	else
		req_put_int(q, out, "retry_at_ms", a.retry_at_ms);
	breaker_reply(q, e);
	return 0;
}

static int breaker_report(pt_req *q, pt_breaker_entry *e, bool success)
{
	pt_breaker_report_for(e, &q->c->permits, success, q->now);
	req_start(q, true);
	breaker_reply(q, e);
	return 0;
}

/* breaker: "action" "admit" (may an attempt start?) or "report" (how it
 * ended), on the breaker of "resource". */
int op_breaker(pt_req *q)
{
	const char *resource, *action = NULL;
	bool success = false;
	pt_breaker_entry *e;
	int has_success;
	if (req_need_resource(q, &resource) < 0 || req_get_string(q, "action", &action) < 0 ||
	    (has_success = req_get_bool(q, "success", &success)) < 0)
		return -1;
	bool admit = action && strcmp(action, "admit") == 0;
	if (!admit && !(action && strcmp(action, "report") == 0))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"action\": expected \"admit\" or \"report\"");
	if (!admit && !has_success)
		return req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"success\"");
	if (breaker_entry(q, resource, &e) < 0)
		return -1;
	return admit ? breaker_admit(q, e) : breaker_report(q, e, success);
}
