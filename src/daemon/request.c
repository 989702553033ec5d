/* The request being answered (request.h): its fields read and checked,
 * its reply built. Every field is checked before anything changes, so a
 * line can hold anything at all (junk, wrong types, huge or fractional
 * numbers) and only ever earns an error reply. Integers arrive as JSON
 * doubles: a value is accepted only when it is integral and within 2^53,
 * where a double is exact; replies write int64 values as raw digits. */
#include "daemon/request.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "patience/duration.h"

void req_put(pt_req *q, cJSON *parent, const char *key, cJSON *item)
{
	if (!parent || !item || !cJSON_AddItemToObject(parent, key, item)) {
		cJSON_Delete(item);
		q->oom = true;
	}
}

void req_put_int(pt_req *q, cJSON *parent, const char *key, int64_t v)
{
	req_put(q, parent, key, pt_json_int(v));
}

void req_push(pt_req *q, cJSON *array, cJSON *item)
{
	if (!array || !item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		q->oom = true;
	}
}

void req_put_all(pt_req *q, cJSON *into, cJSON *from)
{
	if (!into || !pt_json_move_members(into, from))
		q->oom = true;
}

/* A fresh reply {"ok":ok}. */
cJSON *req_start(pt_req *q, bool ok)
{
	cJSON_Delete(q->out);
	q->out = cJSON_CreateObject();
	req_put(q, q->out, "ok", cJSON_CreateBool(ok));
	return q->out;
}

static cJSON *error_object(pt_req *q, pt_proto_error code, const char *message)
{
	cJSON *e = cJSON_CreateObject();
	req_put(q, e, "code", cJSON_CreateString(pt_proto_error_name(code)));
	req_put(q, e, "message", cJSON_CreateString(message));
	return e;
}

/* Makes the reply an error; returns -1 so ops can `return req_fail(...)`. */
int req_fail(pt_req *q, pt_proto_error code,
						       const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	req_put(q, req_start(q, false), "error", error_object(q, code, message));
	return -1;
}

char *pt_protocol_error(pt_proto_error code, const char *message)
{
	pt_req q = {0};
	req_put(&q, req_start(&q, false), "error", error_object(&q, code, message));
	char *text = q.oom ? NULL : cJSON_PrintUnformatted(q.out);
	cJSON_Delete(q.out);
	return text;
}

/* 1: present and valid, *out set; 0: absent, *out untouched; -1: invalid
 * (the error reply is made). */
int req_get_int(pt_req *q, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	int64_t v;
	if (!item)
		return 0;
	if (!pt_json_read_int(item, &v) || v < min || v > max)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected an integer from %" PRId64
			    " to %" PRId64, key, min, max);
	*out = v;
	return 1;
}

int req_need_int(pt_req *q, const char *key, int64_t min, int64_t max, int64_t *out)
{
	int rc = req_get_int(q, key, min, max, out);
	return rc ? rc : req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"%s\"", key);
}

int req_get_bool(pt_req *q, const char *key, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	if (!item)
		return 0;
	if (!cJSON_IsBool(item))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected true or false", key);
	*out = cJSON_IsTrue(item);
	return 1;
}

int req_get_string(pt_req *q, const char *key, const char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(q->root, key);
	if (!item)
		return 0;
	if (!cJSON_IsString(item) || !item->valuestring)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"%s\": expected a string", key);
	*out = item->valuestring;
	return 1;
}

bool req_has_control(const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return true;
	return false;
}

/* "resource": 1 to 256 bytes, no control characters. */
int req_get_resource(pt_req *q, const char **out)
{
	int rc = req_get_string(q, "resource", out);
	size_t n;
	if (rc <= 0)
		return rc;
	n = strlen(*out);
	if (n < 1 || n > PT_RESOURCE_NAME_MAX)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"resource\": expected 1 to %d bytes",
			    PT_RESOURCE_NAME_MAX);
	if (req_has_control(*out, n))
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"resource\": control characters are not "
			    "allowed");
	return 1;
}

int req_need_resource(pt_req *q, const char **out)
{
	int rc = req_get_resource(q, out);
	return rc ? rc : req_fail(q, PT_ERR_BAD_REQUEST, "missing field \"resource\"");
}

/* "offsets_ms": at most PT_DIO_MAX_OFFSETS strictly increasing integers
 * from 0 to 100 years; absent: [0]. */
int req_get_offsets(pt_req *q, int64_t *offsets, size_t *k)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(q->root, "offsets_ms"), *item;
	*k = 0;
	if (!array) {
		offsets[(*k)++] = 0;
		return 0;
	}
	if (!cJSON_IsArray(array) || !array->child)
		return req_fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": expected a non-empty array "
			    "of integers");
	cJSON_ArrayForEach(item, array) {
		int64_t v;
		if (*k == PT_DIO_MAX_OFFSETS)
			return req_fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": more than %d offsets",
				    PT_DIO_MAX_OFFSETS);
		if (!pt_json_read_int(item, &v) || v < 0 || v > PT_DURATION_MAX_MS)
			return req_fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": expected integers "
				    "from 0 to %" PRId64, PT_DURATION_MAX_MS);
		if (*k > 0 && v <= offsets[*k - 1])
			return req_fail(q, PT_ERR_BAD_REQUEST, "field \"offsets_ms\": offsets must be "
				    "strictly increasing (%" PRId64 " after %" PRId64 ")",
				    v, offsets[*k - 1]);
		offsets[(*k)++] = v;
	}
	return 1;
}
