/* Fuzz the daemon's request handling: every line of the input is one
 * request from one client, answered against one registry (no store), as a
 * connection's lines are. Every line must get one reply that is a JSON
 * object with a boolean "ok", and the registry must stay consistent. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "patience/error.h"

#define T0 INT64_C(1795430400000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A waiting lease's reply stays held (no socket to fill it on). */
static void lease_answered(void *ctx, pt_lease *l)
{
	(void)ctx;
	(void)l;
}

static void answer_one(pt_daemon *d, pt_conn *c, const char *line, size_t len, int64_t now)
{
	bool durable = false;
	char *reply = pt_protocol_answer(d, c, line, len, now, &durable);
	if (!reply)
		abort(); /* only out of memory may give no reply */
	if (reply == pt_protocol_later)
		return; /* a lease or a queued acquire that waits: answered later */
	cJSON *o = cJSON_Parse(reply);
	if (!cJSON_IsObject(o) || !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "ok")) ||
	    strchr(reply, '\n'))
		abort();
	cJSON_Delete(o);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pt_daemon d;
	pt_conn c = {.d = &d, .uid = 1000, .pid = 1};
	memset(&d, 0, sizeof d);
	d.opt.max_clients = 1024;
	pt_log_set_level(PT_LOG_ERROR);
	if (pt_registry_init(&d.reg, NULL) != PT_OK)
		abort();
	pt_lease_table_init(&d.leases, lease_answered, lease_answered, NULL);
	const char *p = (const char *)data, *end = p + size;
	for (int64_t now = T0; p < end; now += 7) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		answer_one(&d, &c, p, len, now);
		pt_registry_expire(&d.reg, now);
		pt_lease_expire(&d.leases, now);
		p += len + 1;
	}
	pt_lease_owner_close(&d.leases, &c.leases);
	pt_lease_table_release(&d.leases);
	pt_queue_drop_conn(&d, &c);
	pt_queue_release(&d);
	pt_server_held_free(&c);
	pt_registry_owner_close(&d.reg, &c.owner, T0 + 100000);
	pt_registry_release(&d.reg);
	pt_memo_release(&d.memos);
	pt_breaker_permits_close(&c.permits);
	pt_breaker_table_release(&d.breakers);
	pt_exec_client_close(&d.execs, &c.exec);
	pt_exec_table_release(&d.execs);
	return 0;
}
