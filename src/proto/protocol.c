#include "proto/protocol.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NAME_OF(id, name) name,
static const char *const op_names[] = {PT_PROTOCOL_OPS(NAME_OF)};
static const char *const error_names[] = {PT_PROTOCOL_ERRORS(NAME_OF)};
#undef NAME_OF

const char *pt_op_name(pt_op op)
{
	return op < PT_OP_COUNT ? op_names[op] : "";
}

pt_op pt_op_parse(const char *name)
{
	for (int i = 0; name && i < PT_OP_COUNT; i++)
		if (strcmp(name, op_names[i]) == 0)
			return (pt_op)i;
	return PT_OP_COUNT;
}

const char *pt_proto_error_name(pt_proto_error e)
{
	return e < PT_ERR_COUNT ? error_names[e] : "";
}

pt_proto_error pt_proto_error_parse(const char *code)
{
	for (int i = 0; code && i < PT_ERR_COUNT; i++)
		if (strcmp(code, error_names[i]) == 0)
			return (pt_proto_error)i;
	return PT_ERR_COUNT;
}

cJSON *pt_json_int(int64_t v)
{
	char text[24];
	snprintf(text, sizeof text, "%" PRId64, v);
	return cJSON_CreateRaw(text);
}

bool pt_json_add_int(cJSON *o, const char *key, int64_t v)
{
	cJSON *item = pt_json_int(v);
	if (item && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

bool pt_json_exact(int64_t v)
{
	return v >= -PT_PROTOCOL_INT_MAX && v <= PT_PROTOCOL_INT_MAX;
}

bool pt_json_read_int(const cJSON *item, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return false;
	double v = item->valuedouble;
	if (!(v >= -(double)PT_PROTOCOL_INT_MAX && v <= (double)PT_PROTOCOL_INT_MAX))
		return false; /* NaN fails too */
	if ((double)(int64_t)v != v)
		return false;
	*out = (int64_t)v;
	return true;
}

bool pt_json_move_members(cJSON *into, cJSON *from)
{
	bool ok = from != NULL;
	while (ok && from->child) {
		cJSON *item = cJSON_DetachItemViaPointer(from, from->child);
		ok = cJSON_AddItemToObject(into, item->string, item); /* the key is copied first */
		if (!ok)
			cJSON_Delete(item);
	}
	cJSON_Delete(from);
	return ok;
}

cJSON *pt_request_new(pt_op op)
{
	cJSON *req = cJSON_CreateObject();
	if (req && (!pt_json_add_int(req, "v", PT_PROTOCOL_VERSION) ||
		    !cJSON_AddStringToObject(req, "op", pt_op_name(op)))) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}
