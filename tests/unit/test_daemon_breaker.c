/* The breaker op: one circuit breaker per (uid, resource) fed by every
 * connection, probe permits held per connection and given back when it
 * closes, bounds and bad input answered with errors. */
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
static pt_conn a, b; /* two clients of uid 1000 */

static int setup(void **state)
{
	(void)state;
	memset(&d, 0, sizeof d);
	a = (pt_conn){.d = &d, .uid = 1000, .id = 1};
	b = (pt_conn){.d = &d, .uid = 1000, .id = 2};
	pt_log_set_level(PT_LOG_ERROR);
	return pt_registry_init(&d.reg, NULL) == PT_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pt_breaker_permits_close(&a.permits);
	pt_breaker_permits_close(&b.permits);
	pt_breaker_table_release(&d.breakers);
	pt_registry_release(&d.reg);
	return 0;
}

/* The reply to line on c at now, parsed (caller frees). */
static cJSON *answer(pt_conn *c, int64_t now, const char *line)
{
	return protocol_reply(&d, c, now, line);
}

static const char *text_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool is_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

#define ADMIT "{\"v\":1,\"op\":\"breaker\",\"action\":\"admit\",\"resource\":\"api\"}"
#define FAILED "{\"v\":1,\"op\":\"breaker\",\"action\":\"report\",\"resource\":\"api\"," \
	       "\"success\":false,\"spec\":\"failures=2,cooldown=1s\"}"
#define SUCCEEDED "{\"v\":1,\"op\":\"breaker\",\"action\":\"report\",\"resource\":\"api\"," \
		  "\"success\":true}"

/* Two failures, one from each client, open the breaker for both. */
static void open_it(void)
{
	cJSON_Delete(answer(&a, T0, FAILED));
	cJSON *o = answer(&b, T0 + 10, FAILED);
	assert_string_equal(text_of(o, "state"), "open");
	assert_int_equal(number(o, "open_until_ms"), T0 + 1010);
	cJSON_Delete(o);
}

static void test_shared_and_probes(void **state)
{
	(void)state;
	open_it();
	cJSON *o = answer(&a, T0 + 500, ADMIT);
	assert_true(is_true(o, "ok"));
	assert_false(is_true(o, "admit"));
	assert_int_equal(number(o, "retry_at_ms"), T0 + 1010);
	assert_string_equal(text_of(o, "spec"), "failures=2,window=1m,cooldown=1s,probes=1");
	cJSON_Delete(o);
	o = answer(&a, T0 + 1010, ADMIT); /* the cooldown is over: a's is the probe */
	assert_true(is_true(o, "admit") && is_true(o, "probe"));
	assert_string_equal(text_of(o, "state"), "half_open");
	cJSON_Delete(o);
	o = answer(&b, T0 + 1020, ADMIT);
	assert_false(is_true(o, "admit"));
	assert_int_equal(number(o, "retry_at_ms"), T0 + 1020 + PT_BREAKER_RECHECK_MS);
	cJSON_Delete(o);
	o = answer(&b, T0 + 1030, SUCCEEDED); /* b holds no permit: no say */
	assert_string_equal(text_of(o, "state"), "half_open");
	cJSON_Delete(o);
	pt_breaker_permits_close(&a.permits); /* a's connection closed */
	o = answer(&b, T0 + 1040, ADMIT);
	assert_true(is_true(o, "admit") && is_true(o, "probe"));
	cJSON_Delete(o);
	o = answer(&b, T0 + 1050, SUCCEEDED);
	assert_string_equal(text_of(o, "state"), "closed");
	cJSON_Delete(o);
	const pt_breaker_entry *e = pt_breaker_find(&d.breakers, 1000, "api");
	assert_non_null(e);
	assert_int_equal(e->entered[PT_BREAKER_OPEN], 1);
	assert_int_equal(e->entered[PT_BREAKER_HALF_OPEN], 1);
	assert_int_equal(e->entered[PT_BREAKER_CLOSED], 1);
	assert_null(b.permits);
}

static void test_uids_apart(void **state)
{
	(void)state;
	pt_conn other = {.d = &d, .uid = 1001, .id = 3};
	open_it();
	cJSON *o = answer(&other, T0 + 20, ADMIT);
	assert_true(is_true(o, "admit"));
	assert_string_equal(text_of(o, "state"), "closed");
	cJSON_Delete(o);
	assert_int_equal(pt_breaker_count(&d.breakers, PT_UID_ALL), 2);
	o = answer(&other, T0 + 20, "{\"v\":1,\"op\":\"resources\"}");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "breakers");
	assert_int_equal(cJSON_GetArraySize(list), 1); /* its own only */
	assert_string_equal(text_of(cJSON_GetArrayItem(list, 0), "state"), "closed");
	cJSON_Delete(o);
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
		{"{\"v\":1,\"op\":\"breaker\",\"action\":\"admit\"}", "missing field \"resource\""},
		{"{\"v\":1,\"op\":\"breaker\",\"resource\":\"x\"}", "field \"action\""},
		{"{\"v\":1,\"op\":\"breaker\",\"action\":\"admit\",\"resource\":\"x\",\"spec\":1}",
		 "field \"spec\": expected a string"},
		{"{\"v\":1,\"op\":\"breaker\",\"action\":\"admit\",\"resource\":\"x\","
		 "\"spec\":\"probes=1001\"}", "field \"spec\": probes \"1001\""},
		{"{\"v\":1,\"op\":\"breaker\",\"action\":\"report\",\"resource\":\"x\"}",
		 "missing field \"success\""},
		{"{\"v\":1,\"op\":\"breaker\",\"action\":\"report\",\"resource\":\"x\","
		 "\"success\":1}", "field \"success\": expected true or false"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *o = answer(&a, T0, cases[i].line);
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
		assert_false(is_true(o, "ok"));
		assert_string_equal(text_of(e, "code"), "bad_request");
		if (!strstr(text_of(e, "message"), cases[i].message))
			fail_msg("%s: got \"%s\"", cases[i].line, text_of(e, "message"));
		cJSON_Delete(o);
	}
	assert_null(d.breakers.first); /* nothing was created */
}

static void test_per_uid_bound(void **state)
{
	char line[160];
	(void)state;
	for (int i = 0; i <= PT_BREAKERS_PER_UID_MAX; i++) {
		snprintf(line, sizeof line, "{\"v\":1,\"op\":\"breaker\",\"action\":\"admit\","
			 "\"resource\":\"r%d\"}", i);
		cJSON *o = answer(&a, T0, line);
		assert_int_equal(is_true(o, "ok"), i < PT_BREAKERS_PER_UID_MAX);
		cJSON_Delete(o);
	}
	assert_int_equal(pt_breaker_count(&d.breakers, 1000), PT_BREAKERS_PER_UID_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_and_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uids_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_uid_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
