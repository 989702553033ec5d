/* Protocol version 1 (docs/PROTOCOL.md): one request line in, one reply
 * out. This file frames a line and dispatches it by its "op"; request.c
 * reads fields and builds replies, op_*.c answer (request.h). */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdio.h>

const char pt_protocol_internal_reply[] =
	"{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":"
	"\"the daemon could not save its state; nothing was granted\"}}";

const char pt_protocol_later[] = "";

typedef int (*op_fn)(pt_req *q);

/* Each operation, whether it may free start times that queued acquires
 * wait for, and whether the connection is then one of the resource's
 * active clients (executions.c). */
static const struct {
	op_fn fn;
	bool may_free;
	bool touches;
} ops[PT_OP_COUNT] = {
	[PT_OP_HELLO] = {op_hello, false, false},
	[PT_OP_ACQUIRE] = {op_acquire, false, true},
	[PT_OP_RELEASE] = {op_release, true, false},
	[PT_OP_STARTED] = {op_started, false, false},
	[PT_OP_SET_LIMIT] = {op_set_limit, true, false},
	[PT_OP_LEARN] = {op_learn, true, false},
	[PT_OP_MEMO] = {op_memo, false, false},
	[PT_OP_BREAKER] = {op_breaker, false, false},
	[PT_OP_LEASE] = {op_lease, false, true},
	[PT_OP_UNLEASE] = {op_unlease, false, false},
	[PT_OP_RESOURCES] = {op_resources, false, false},
	[PT_OP_STATUS] = {op_status, false, false},
	[PT_OP_EXECUTED] = {op_executed, false, true},
	[PT_OP_METRICS] = {op_metrics, false, false},
};

/* ---- dispatch ---- */

static int check_version(pt_req *q)
{
	int64_t v = 0;
	int rc = req_need_int(q, "v", INT32_MIN, INT32_MAX, &v);
	if (rc < 0)
		return -1;
	if (v == PT_PROTOCOL_VERSION)
		return 0;
	req_fail(q, PT_ERR_UNSUPPORTED_VERSION, "protocol version %" PRId64 " is not spoken here; "
	     "this daemon speaks 1", v);
	cJSON *versions = cJSON_CreateArray();
	req_push(q, versions, pt_json_int(PT_PROTOCOL_VERSION));
	req_put(q, q->out, "versions", versions);
	return -1;
}

/* A request that acquired, leased or reported on its resource (granted,
 * or waiting for its turn) makes its connection an active client there.
 * Here rather than in each operation, so that they need not know. */
static void touch(pt_req *q)
{
	const cJSON *ok = q->out ? cJSON_GetObjectItemCaseSensitive(q->out, "ok") : NULL;
	const cJSON *resource = cJSON_GetObjectItemCaseSensitive(q->root, "resource");
	if ((q->later || cJSON_IsTrue(ok)) && cJSON_IsString(resource))
		pt_exec_touch(&q->d->execs, &q->c->exec, q->c->uid, resource->valuestring);
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

static void dispatch(pt_req *q)
{
	const char *name = NULL;
	char expected[256];
	if (check_version(q) < 0 || req_get_string(q, "op", &name) < 0)
		return;
	if (!name) {
		req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"op\"");
		return;
	}
	pt_op op = pt_op_parse(name);
	if (op == PT_OP_COUNT) {
		op_list(expected, sizeof expected);
		req_fail(q, PT_ERR_UNKNOWN_OP, "unknown op \"%.64s\": expected %s", name, expected);
		return;
	}
	ops[op].fn(q);
	if (ops[op].touches)
		touch(q);
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

static void parse(pt_req *q, const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!root) {
		size_t at = end && end >= line && end <= line + len ? (size_t)(end - line) : 0;
		if (blank(line, line + len))
			req_fail(q, PT_ERR_BAD_JSON, "empty request: expected a JSON object");
		else
			req_fail(q, PT_ERR_BAD_JSON, "malformed JSON at byte %zu", at);
	} else if (!blank(end, line + len)) {
		req_fail(q, PT_ERR_BAD_JSON, "extra bytes after the JSON object, at byte %zu",
		     (size_t)(end - line));
	} else if (!cJSON_IsObject(root)) {
		req_fail(q, PT_ERR_BAD_JSON, "expected a JSON object");
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
	pt_req q = {.d = d, .c = c, .now = now_ms, .asked = now_ms};
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
