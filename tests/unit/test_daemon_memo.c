/* The memo op: a small string per (uid, resource, key), set and read back
 * through the protocol; bounds and bad input earn error replies. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"
#include "protocol_reply.h"

#define T0 INT64_C(1795430400000)

static pt_daemon d;

static int setup(void **state)
{
	memset(&d, 0, sizeof d);
	pt_log_set_level(PT_LOG_ERROR);
	return pt_registry_init(&d.reg, NULL) == PT_OK ? 0 : -1;
}

static int teardown(void **state)
{
	pt_registry_release(&d.reg);
	pt_memo_release(&d.memos);
	return 0;
}

/* The reply to line from uid, parsed (caller frees). */
static cJSON *answer(uint32_t uid, const char *line)
{
	pt_conn c = {.d = &d, .uid = uid, .pid = 1};
	return protocol_reply(&d, &c, T0, line);
}

static const char *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void expect_error(const char *line, const char *code)
{
	cJSON *o = answer(1000, line);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "ok")));
	assert_string_equal(field(cJSON_GetObjectItemCaseSensitive(o, "error"), "code"), code);
	cJSON_Delete(o);
}

static void test_put_get(void **state)
{
	cJSON *o = answer(1000, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"adaptive\"}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
	assert_null(field(o, "value"));
	cJSON_Delete(o);
	o = answer(1000, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"adaptive\","
			 "\"value\":\"a1:800s\"}");
	assert_string_equal(field(o, "value"), "a1:800s");
	cJSON_Delete(o);
	o = answer(1000, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"adaptive\","
			 "\"value\":\"a1:400f\"}");
	cJSON_Delete(o);
	o = answer(1000, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"adaptive\"}");
	assert_string_equal(field(o, "value"), "a1:400f");
	cJSON_Delete(o);
	/* Another uid, resource or key sees nothing. */
	o = answer(1001, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"adaptive\"}");
	assert_null(field(o, "value"));
	cJSON_Delete(o);
	o = answer(1000, "{\"v\":1,\"op\":\"memo\",\"resource\":\"s\",\"key\":\"adaptive\"}");
	assert_null(field(o, "value"));
	cJSON_Delete(o);
	assert_int_equal(pt_memo_count(&d.memos, 1000), 1);
	o = answer(1000, "{\"v\":1,\"op\":\"resources\"}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "memos")), 1);
	cJSON_Delete(o);
}

static void test_bad_input(void **state)
{
	char line[PT_MEMO_VALUE_MAX + 200];
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\"}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"key\":\"k\"}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"\"}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"a b\"}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":7}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":"
		     "\"123456789012345678901234567890123\"}", "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"k\",\"value\":1}",
		     "bad_request");
	expect_error("{\"v\":1,\"op\":\"memo\",\"resource\":\"r\",\"key\":\"k\",\"value\":\"a\\nb\"}",
		     "bad_request");
	int n = snprintf(line, sizeof line, "{\"v\":1,\"op\":\"memo\",\"resource\":\"r\","
			 "\"key\":\"k\",\"value\":\"");
	memset(line + n, 'x', PT_MEMO_VALUE_MAX + 1);
	strcpy(line + n + PT_MEMO_VALUE_MAX + 1, "\"}");
	expect_error(line, "bad_request");
	line[n + PT_MEMO_VALUE_MAX] = '"'; /* exactly 4 KiB: kept */
	strcpy(line + n + PT_MEMO_VALUE_MAX + 1, "}");
	cJSON *o = answer(1000, line);
	assert_int_equal(strlen(field(o, "value")), PT_MEMO_VALUE_MAX);
	cJSON_Delete(o);
}

static void test_per_uid_bound(void **state)
{
	char resource[32];
	for (int i = 0; i < PT_MEMO_PER_UID_MAX; i++) {
		snprintf(resource, sizeof resource, "r%d", i);
		assert_int_equal(pt_memo_put(&d.memos, 7, resource, "k", "v", T0), PT_OK);
	}
	assert_int_equal(pt_memo_put(&d.memos, 7, "one more", "k", "v", T0), PT_ERANGE);
	assert_int_equal(pt_memo_put(&d.memos, 7, "r3", "k", "new", T0), PT_OK); /* replace */
	assert_string_equal(pt_memo_get(&d.memos, 7, "r3", "k")->value, "new");
	assert_int_equal(pt_memo_put(&d.memos, 8, "one more", "k", "v", T0), PT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_uid_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
