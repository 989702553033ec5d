/* memo: a small string per (uid, resource, key) that clients keep between
 * their runs (docs/PROTOCOL.md). */
#include "daemon/request.h"

#include <string.h>

#include "patience/error.h"

/* memo: "key" is 1 to 32 bytes of letters, digits, '.', '_', '-'; "value"
 * at most 4 KiB without control characters (memo.c keeps it). */
static int read_memo(pt_req *q, const char **resource, const char **key, const char **value)
{
	int rc;
	if (req_need_resource(q, resource) < 0 || (rc = req_get_string(q, "key", key)) < 0 ||
	    req_get_string(q, "value", value) < 0)
		return -1;
	size_t n = rc ? strlen(*key) : 0;
	if (!rc)
		return req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"key\"");
	if (n < 1 || n > PT_MEMO_KEY_MAX || strspn(*key, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"key\": expected 1 to %d letters, digits, "
			    "'.', '_' or '-'", PT_MEMO_KEY_MAX);
	if (!*value)
		return 0;
	n = strlen(*value);
	if (n > PT_MEMO_VALUE_MAX)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"value\": expected at most %d bytes",
			    PT_MEMO_VALUE_MAX);
	if (req_has_control(*value, n))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"value\": control characters are not "
			    "allowed");
	return 0;
}

/* memo: with "value", keep it; without, answer the one kept (if any). */
int op_memo(pt_req *q)
{
	const char *resource = NULL, *key = NULL, *value = NULL;
	const pt_memo *m;
	if (read_memo(q, &resource, &key, &value) < 0)
		return -1;
	if (value) {
		int rc = pt_memo_put(&q->d->memos, q->c->uid, resource, key, value, q->now);
		if (rc == PT_ERANGE)
			return req_fail(q, PT_ERR_BAD_REQUEST, "uid %u already keeps %d memos", q->c->uid,
				    PT_MEMO_PER_UID_MAX);
		if (rc != PT_OK)
			return req_fail(q, PT_ERR_INTERNAL, "out of memory");
		m = pt_memo_get(&q->d->memos, q->c->uid, resource, key);
		if (pt_memo_save(&q->d->reg, m) != PT_OK)
			return req_fail(q, PT_ERR_INTERNAL, "the daemon could not save its state");
		q->durable = pt_registry_dirty(&q->d->reg);
	}
	m = pt_memo_get(&q->d->memos, q->c->uid, resource, key);
	cJSON *out = req_start(q, true);
	req_put(q, out, "resource", cJSON_CreateString(resource));
	req_put(q, out, "key", cJSON_CreateString(key));
	if (m) {
		req_put(q, out, "value", cJSON_CreateString(m->value));
		req_put_int(q, out, "updated_ms", m->updated_ms);
	}
	return 0;
}

#define MEMOS_LISTED 50 /* keeps the reply well within a client's line */

/* The caller's memos, newest first, without their values. */
cJSON *op_memos_json(pt_req *q)
{
	cJSON *array = cJSON_CreateArray();
	size_t n = 0;
	for (const pt_memo *m = q->d->memos.first; m && n < MEMOS_LISTED && !q->oom; m = m->next) {
		if (m->uid != q->c->uid)
			continue;
		cJSON *o = cJSON_CreateObject();
		req_put(q, o, "resource", cJSON_CreateString(m->resource));
		req_put(q, o, "key", cJSON_CreateString(m->key));
		req_put_int(q, o, "bytes", (int64_t)strlen(m->value));
		req_put_int(q, o, "updated_ms", m->updated_ms);
		req_push(q, array, o);
		n++;
	}
	return array;
}
