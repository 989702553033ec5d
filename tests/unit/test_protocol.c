/* Unit tests of the protocol module client and daemon share (src/proto/):
 * the names of operations and error codes both ways, exact integers, the
 * request frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/protocol.h"

static void names_both_ways(void **state)
{
	(void)state;
	for (int i = 0; i < PT_OP_COUNT; i++)
		assert_int_equal(pt_op_parse(pt_op_name((pt_op)i)), i);
	for (int i = 0; i < PT_ERR_COUNT; i++)
		assert_int_equal(pt_proto_error_parse(pt_proto_error_name((pt_proto_error)i)), i);
	assert_string_equal(pt_op_name(PT_OP_STARTED), "started");
	assert_string_equal(pt_proto_error_name(PT_ERR_WAIT_TOO_LONG), "wait_too_long");
	assert_int_equal(pt_op_parse("nope"), PT_OP_COUNT);
	assert_int_equal(pt_op_parse(NULL), PT_OP_COUNT);
	assert_int_equal(pt_proto_error_parse("nope"), PT_ERR_COUNT);
	assert_string_equal(pt_op_name(PT_OP_COUNT), "");
}

static void integers_stay_exact(void **state)
{
	int64_t v = 0;
	(void)state;
	cJSON *o = cJSON_CreateObject();
	assert_true(pt_json_add_int(o, "big", PT_PROTOCOL_INT_MAX - 1));
	char *text = cJSON_PrintUnformatted(o);
	assert_string_equal(text, "{\"big\":9007199254740991}");
	cJSON *back = cJSON_Parse(text);
	assert_true(pt_json_read_int(cJSON_GetObjectItem(back, "big"), &v));
	assert_int_equal(v, PT_PROTOCOL_INT_MAX - 1);
	cJSON_free(text);
	cJSON_Delete(back);
	cJSON_Delete(o);
	cJSON *frac = cJSON_CreateNumber(1.5), *huge = cJSON_CreateNumber(1e300);
	assert_false(pt_json_read_int(frac, &v));
	assert_false(pt_json_read_int(huge, &v));
	assert_false(pt_json_read_int(NULL, &v));
	cJSON_Delete(frac);
	cJSON_Delete(huge);
	assert_true(pt_json_exact(PT_PROTOCOL_INT_MAX));
	assert_false(pt_json_exact(PT_PROTOCOL_INT_MAX + 1));
}

static void the_frame_and_moving_members(void **state)
{
	(void)state;
	cJSON *r = pt_request_new(PT_OP_ACQUIRE), *extra = cJSON_CreateObject();
	cJSON_AddStringToObject(extra, "resource", "x");
	assert_true(pt_json_move_members(r, extra));
	char *text = cJSON_PrintUnformatted(r);
	assert_string_equal(text, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"x\"}");
	cJSON_free(text);
	assert_false(pt_json_move_members(r, NULL));
	cJSON_Delete(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_both_ways),
		cmocka_unit_test(integers_stay_exact),
		cmocka_unit_test(the_frame_and_moving_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
