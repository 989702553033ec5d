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

/* The breaker (pt_breaker_json) into the reply. */
static void breaker_reply(pt_req *q, const pt_breaker_entry *e)
{
	req_put_all(q, q->out, pt_breaker_json(e, q->now));
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
		req_push(q, array, pt_breaker_json(e, q->now));
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
