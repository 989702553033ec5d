/* executed and metrics: the runs of users' commands, as their clients
 * report them, and what they add up to over a time range
 * (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"

#define METRICS_LISTED 50 /* resources in a metrics reply: well within a client's line */

/* "tool": a name as pt_exec_tool_valid says; absent: the first word of
 * the connection's hello, else "other". */
static int read_tool(pt_req *q, const char **tool)
{
	int rc = req_get_string(q, "tool", tool);
	if (rc < 0)
		return -1;
	if (rc == 0)
		*tool = q->c->exec.tool[0] ? q->c->exec.tool : PT_EXEC_OTHER;
	else if (!pt_exec_tool_valid(*tool))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"tool\": expected 1 to %d letters, "
				"digits, '.', '_' or '-'", PT_EXEC_TOOL_MAX);
	return 0;
}

/* "outcome": "success" or "failure". */
static int read_outcome(pt_req *q, bool *succeeded)
{
	const char *outcome = NULL;
	if (req_get_string(q, "outcome", &outcome) < 0)
		return -1;
	if (!outcome)
		return req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"outcome\"");
	*succeeded = strcmp(outcome, "success") == 0;
	if (!*succeeded && strcmp(outcome, "failure") != 0)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"outcome\": expected \"success\" or "
				"\"failure\"");
	return 0;
}

/* A run is reported once it has ended: it started and ended by now (the
 * same host's clock, give or take PT_STARTED_AHEAD_MS). */
static int read_execution(pt_req *q, pt_store_execution *x)
{
	int64_t exit_code = 0, ahead = q->now + PT_STARTED_AHEAD_MS;
	if (req_need_resource(q, &x->resource) < 0 || read_tool(q, &x->tool) < 0 ||
	    req_need_int(q, "started_ms", 0, ahead, &x->started_ms) < 0 ||
	    req_need_int(q, "duration_ms", 0, PT_DURATION_MAX_MS, &x->duration_ms) < 0 ||
	    req_need_int(q, "exit_code", 0, 255, &exit_code) < 0 ||
	    read_outcome(q, &x->succeeded) < 0)
		return -1;
	if (x->started_ms + x->duration_ms > ahead)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"duration_ms\": the run would end %" PRId64
				" ms from now: expected a run that has ended",
				x->started_ms + x->duration_ms - q->now);
	x->uid = q->c->uid;
	x->exit_code = (int)exit_code;
	return 0;
}

int op_executed(pt_req *q)
{
	pt_store_execution x = {0};
	pt_exec_entry *e;
	size_t tool;
	if (read_execution(q, &x) < 0)
		return -1;
	/* Counted in memory first: should the store then fail, the reply is
	 * "internal" and memory is one run ahead of the file, as with memos. */
	int rc = pt_exec_count(&q->d->execs, &x, &e, &tool);
	if (rc == PT_ERANGE)
		return req_fail(q, PT_ERR_BAD_REQUEST, "uid %u already counts the executions of %d "
				"resources", q->c->uid, PT_EXEC_RESOURCES_PER_UID_MAX);
	if (rc == PT_OK)
		rc = pt_exec_history_add(&q->d->execs, &q->d->reg, e, tool, &x);
	if (rc == PT_EIO)
		return req_fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
	if (rc != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	q->durable = pt_registry_dirty(&q->d->reg);
	req_put(q, req_start(q, true), "tool", cJSON_CreateString(e->tools[tool].name));
	return 0;
}

/* ---- metrics ---- */

/* "resource" (absent: all the caller's), "from_ms" and "to_ms" (absent:
 * all that is kept, up to now). *from_given: from_ms was given. */
static int read_range(pt_req *q, const char **resource, int64_t *from, int64_t *to,
		      bool *from_given)
{
	int64_t most = q->now + PT_DURATION_MAX_MS;
	int rc;
	*from = 0;
	*to = q->now;
	if (req_get_resource(q, resource) < 0 ||
	    (rc = req_get_int(q, "from_ms", 0, most, from)) < 0 ||
	    req_get_int(q, "to_ms", 0, most, to) < 0)
		return -1;
	if (*from > *to)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"from_ms\": expected at most to_ms "
				"(%" PRId64 ")", *to);
	*from_given = rc > 0;
	return 0;
}

/* The resource's limit N per W, the fullest window of W among its starts
 * in [from, to], and its mean starts per window; NULL (and no key) when
 * the caller has no limit on it. */
static cJSON *limit_usage_json(pt_req *q, const pt_exec_span *s, int64_t from, int64_t to)
{
	const pt_resource *res = pt_registry_find(&q->d->reg, q->c->uid, s->resource);
	if (!res || res->dio.limit < 1 || res->dio.window_ms < 1)
		return NULL;
	int64_t w = res->dio.window_ms;
	pt_exec_window full = pt_exec_fullest_window(s->starts, s->n_starts, w);
	double windows = to - from > w ? (double)(to - from) / (double)w : 1;
	cJSON *o = cJSON_CreateObject();
	req_put_int(q, o, "limit", res->dio.limit);
	req_put_int(q, o, "window_ms", w);
	req_put_int(q, o, "fullest_window_starts", (int64_t)full.fullest);
	if (full.fullest)
		req_put_int(q, o, "fullest_window_from_ms", full.from_ms);
	req_put(q, o, "mean_starts_per_window", pt_json_fraction((double)s->n_starts / windows));
	return o;
}

static cJSON *span_json(pt_req *q, const pt_exec_span *s, int64_t from, int64_t to)
{
	cJSON *o = cJSON_CreateObject(), *usage = limit_usage_json(q, s, from, to);
	req_put(q, o, "resource", cJSON_CreateString(s->resource));
	req_put(q, o, "summary", pt_exec_counts_json(&s->all));
	req_put(q, o, "tools", pt_exec_tools_json(s->tools, s->n_tools));
	if (usage)
		req_put(q, o, "limit_usage", usage);
	return o;
}

static int by_resource(const void *a, const void *b)
{
	return strcmp(((const pt_exec_span *)a)->resource, ((const pt_exec_span *)b)->resource);
}

static void metrics_reply(pt_req *q, pt_exec_range *r, int64_t from, int64_t to)
{
	cJSON *out = req_start(q, true), *list = cJSON_CreateArray();
	if (r->n) /* spans is NULL without one */
		qsort(r->spans, r->n, sizeof r->spans[0], by_resource);
	req_put_int(q, out, "from_ms", from);
	req_put_int(q, out, "to_ms", to);
	req_put(q, out, "summary", pt_exec_counts_json(&r->sum.all));
	req_put(q, out, "tools", pt_exec_tools_json(r->sum.tools, r->sum.n_tools));
	for (size_t i = 0; i < r->n && i < METRICS_LISTED && !q->oom; i++)
		req_push(q, list, span_json(q, &r->spans[i], from, to));
	req_put(q, out, "resources", list);
	if (r->n > METRICS_LISTED)
		req_put_int(q, out, "resources_not_listed", (int64_t)(r->n - METRICS_LISTED));
}

int op_metrics(pt_req *q)
{
	const char *resource = NULL;
	int64_t from, to;
	bool from_given = false;
	pt_exec_range r = {0};
	if (read_range(q, &resource, &from, &to, &from_given) < 0)
		return -1;
	int rc = pt_exec_history_scan(&q->d->execs, q->d->reg.store, q->c->uid, resource, from, to,
				      pt_exec_range_add, &r);
	if (rc != PT_OK) {
		pt_exec_range_release(&r);
		return req_fail(q, PT_ERR_INTERNAL, rc == PT_ENOMEM ? "out of memory"
				: "the daemon could not read its state");
	}
	pt_exec_range_finish(&r);
	if (!from_given) /* all that is kept: from the first of it */
		from = r.sum.all.total ? r.first_ms : to;
	metrics_reply(q, &r, from, to);
	pt_exec_range_release(&r);
	return 0;
}

/* ---- in the resources reply ---- */

void op_push_exec_only(pt_req *q, cJSON *array)
{
	for (const pt_exec_entry *e = q->d->execs.first; e && !q->oom; e = e->next) {
		if (e->uid != q->c->uid || !e->all.total ||
		    pt_registry_find(&q->d->reg, e->uid, e->resource))
			continue;
		cJSON *o = cJSON_CreateObject();
		req_put(q, o, "resource", cJSON_CreateString(e->resource));
		req_put(q, o, "executions", pt_executions_json(e));
		req_push(q, array, o);
	}
}
