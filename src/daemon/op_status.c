/* hello, resources and status: what the daemon is and holds for the
 * caller's uid (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "patience/error.h"
#include "patience/version.h"

#define SERVER_NAME "patience-daemon " PATIENCE_VERSION

int op_hello(pt_req *q)
{
	const char *client = NULL;
	if (req_get_string(q, "client", &client) < 0)
		return -1;
	pt_exec_tool_of_client(client, q->c->exec.tool); /* executed's default tool */
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

int op_resources(pt_req *q)
{
	pt_resource_usage *list;
	size_t n;
	if (pt_registry_list(&q->d->reg, q->c->uid, q->now, &list, &n) != PT_OK)
		return req_fail(q, PT_ERR_INTERNAL, "out of memory");
	pt_queue_count_waiting(q->d, list, n);
	pt_exec_attach(&q->d->execs, list, n);
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; i < n && !q->oom; i++)
		req_push(q, array, pt_resource_json(&list[i], q->now));
	free(list);
	op_push_exec_only(q, array);
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
