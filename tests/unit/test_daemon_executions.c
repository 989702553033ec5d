/* Executions: the executed and metrics ops through the protocol (fields
 * checked, counters per tool, the tool from hello, tools and resources
 * bounded per uid, tenancy), active clients, the in-memory ring, the
 * fullest window, and counters and history back from a real SQLite file. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"

#define T0 INT64_C(1795430400000)

static pt_daemon d;
static pt_conn conn_a, conn_b; /* uid 1000 and uid 1001 */

static void conns_init(void)
{
	conn_a = (pt_conn){.d = &d, .id = 1, .uid = 1000, .pid = 1};
	conn_b = (pt_conn){.d = &d, .id = 2, .uid = 1001, .pid = 2};
}

static int setup(void **state)
{
	memset(&d, 0, sizeof d);
	pt_log_set_level(PT_LOG_ERROR);
	conns_init();
	return pt_registry_init(&d.reg, NULL) == PT_OK ? 0 : -1;
}

static void conns_close(void)
{
	pt_exec_client_close(&d.execs, &conn_a.exec);
	pt_exec_client_close(&d.execs, &conn_b.exec);
	pt_registry_owner_close(&d.reg, &conn_a.owner, T0);
	pt_registry_owner_close(&d.reg, &conn_b.owner, T0);
}

static int teardown(void **state)
{
	conns_close();
	pt_registry_release(&d.reg);
	pt_exec_table_release(&d.execs);
	return 0;
}

static cJSON *answer(pt_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The reply to the line fmt makes, from connection c at T0 (a grant's
 * reply says it is durable even without a store: nothing to commit). */
static cJSON *answer(pt_conn *c, const char *fmt, ...)
{
	char line[2048];
	bool durable;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char *text = pt_protocol_answer(&d, c, line, strlen(line), T0, &durable);
	assert_non_null(text);
	cJSON *o = cJSON_Parse(text);
	free(text);
	assert_non_null(o);
	return o;
}

static bool ok(const cJSON *o)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
}

/* o's number at a path of keys, e.g. at(o, "summary", "total", NULL). */
static double at(const cJSON *o, ...)
{
	va_list ap;
	va_start(ap, o);
	for (const char *k; o && (k = va_arg(ap, const char *));)
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	va_end(ap);
	assert_non_null(o);
	assert_true(cJSON_IsNumber(o));
	return o->valuedouble;
}

static void executed(pt_conn *c, const char *resource, const char *tool, int64_t started,
		     int64_t duration, bool succeeded)
{
	char tool_field[64] = "";
	if (tool)
		snprintf(tool_field, sizeof tool_field, ",\"tool\":\"%s\"", tool);
	cJSON *o = answer(c, "{\"v\":1,\"op\":\"executed\",\"resource\":\"%s\"%s,\"started_ms\":%lld,"
			  "\"duration_ms\":%lld,\"exit_code\":%d,\"outcome\":\"%s\"}", resource,
			  tool_field, (long long)started, (long long)duration, succeeded ? 0 : 1,
			  succeeded ? "success" : "failure");
	if (!ok(o))
		fail_msg("executed: %s", cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
}

static void expect_bad(const char *fields, const char *words)
{
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"executed\"%s}", fields);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	assert_false(ok(o));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(e, "code")->valuestring, "bad_request");
	const char *message = cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring;
	if (!strstr(message, words))
		fail_msg("\"%s\" does not say \"%s\"", message, words);
	cJSON_Delete(o);
}

/* ---- executed ---- */

static void test_bad_fields(void **state)
{
	static const char good[] = ",\"started_ms\":1795430399000,\"duration_ms\":10,"
				   "\"exit_code\":0,\"outcome\":\"success\"";
	char line[512];
	(void)state;
	expect_bad(good, "missing field \"resource\"");
	snprintf(line, sizeof line, ",\"resource\":\"\"%s", good);
	expect_bad(line, "\"resource\": expected 1 to 256 bytes");
	snprintf(line, sizeof line, ",\"resource\":\"a\\u0001\"%s", good);
	expect_bad(line, "control characters");
	snprintf(line, sizeof line, ",\"resource\":\"r\",\"tool\":\"a b\"%s", good);
	expect_bad(line, "\"tool\": expected 1 to 32");
	snprintf(line, sizeof line, ",\"resource\":\"r\",\"tool\":7%s", good);
	expect_bad(line, "\"tool\": expected a string");
	snprintf(line, sizeof line, ",\"resource\":\"r\",\"tool\":\"%033d\"%s", 0, good);
	expect_bad(line, "\"tool\": expected 1 to 32");
	expect_bad(",\"resource\":\"r\",\"duration_ms\":1,\"exit_code\":0,\"outcome\":\"success\"",
		   "missing field \"started_ms\"");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1.5,\"duration_ms\":1,\"exit_code\":0,"
		   "\"outcome\":\"success\"", "\"started_ms\": expected an integer");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1795430402000,\"duration_ms\":1,"
		   "\"exit_code\":0,\"outcome\":\"success\"", "\"started_ms\": expected an integer");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":-1,\"exit_code\":0,"
		   "\"outcome\":\"success\"", "\"duration_ms\": expected an integer from 0");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1795430399000,\"duration_ms\":5000,"
		   "\"exit_code\":0,\"outcome\":\"success\"", "expected a run that has ended");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":256,"
		   "\"outcome\":\"success\"", "\"exit_code\": expected an integer from 0 to 255");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":\"0\","
		   "\"outcome\":\"success\"", "\"exit_code\"");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":0",
		   "missing field \"outcome\"");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":0,"
		   "\"outcome\":\"ok\"", "\"outcome\": expected \"success\" or \"failure\"");
	expect_bad(",\"resource\":\"r\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":0,"
		   "\"outcome\":true", "\"outcome\": expected a string");
	assert_null(d.execs.first); /* nothing refused was counted */
}

static void test_counts_per_tool(void **state)
{
	(void)state;
	executed(&conn_a, "api", "rpr", T0 - 5000, 100, true);
	executed(&conn_a, "api", "rpr", T0 - 4000, 300, false);
	executed(&conn_a, "api", "patience", T0 - 3000, 200, true);
	const pt_exec_entry *e = pt_exec_find(&d.execs, 1000, "api");
	assert_non_null(e);
	assert_int_equal(e->n_tools, 2);
	assert_string_equal(e->tools[0].name, "rpr");
	assert_int_equal(e->tools[0].counts.total, 2);
	assert_int_equal(e->tools[0].counts.succeeded, 1);
	assert_int_equal(e->tools[0].counts.duration_sum_ms, 400);
	assert_int_equal(e->tools[0].counts.last_ms, T0 - 4000);
	assert_false(e->tools[0].counts.last_succeeded);
	assert_int_equal(e->all.total, 3);
	assert_int_equal(e->all.last_ms, T0 - 3000);
	assert_true(e->all.last_succeeded);
	/* a report that arrives late does not move the last one back */
	executed(&conn_a, "api", "patience", T0 - 9000, 1, false);
	assert_int_equal(e->all.last_ms, T0 - 3000);
	assert_true(e->all.last_succeeded);
	/* as the resources reply shows it, mean rounded */
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"resources\"}");
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "resources"), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "resource")->valuestring, "api");
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "limit")); /* no rate limit: short form */
	assert_int_equal(at(r, "executions", "total", NULL), 4);
	assert_int_equal(at(r, "executions", "failed", NULL), 2);
	assert_int_equal(at(r, "executions", "mean_duration_ms", NULL), 150); /* 601 / 4 */
	assert_int_equal(at(r, "executions", "active_clients", NULL), 1);
	assert_int_equal(at(r, "executions", "tools", "rpr", "mean_duration_ms", NULL), 200);
	assert_true(at(r, "executions", "tools", "patience", "success_rate", NULL) == 0.5);
	cJSON_Delete(o);
	/* the duration histogram: 1, 100, 200 and 300 ms */
	const pt_exec_histogram *h = pt_exec_histogram_of(&d.execs, "rpr");
	assert_int_equal(h->le[3], 1); /* le 0.1 */
	assert_int_equal(h->le[5], 1); /* le 0.5 */
	assert_int_equal(pt_exec_histogram_of(&d.execs, "patience")->sum_ms, 201);
}

/* Without "tool": the first word of the hello, else "other". */
static void test_tool_from_hello(void **state)
{
	(void)state;
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"executed\",\"resource\":\"r\","
			  "\"started_ms\":1,\"duration_ms\":1,\"exit_code\":0,\"outcome\":\"success\"}");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "tool")->valuestring, "other");
	cJSON_Delete(o);
	cJSON_Delete(answer(&conn_a, "{\"v\":1,\"op\":\"hello\",\"client\":\"rpr 0.1.0\"}"));
	executed(&conn_a, "r", NULL, 2, 1, true);
	cJSON_Delete(answer(&conn_a, "{\"v\":1,\"op\":\"hello\",\"client\":\"bad/name 1\"}"));
	executed(&conn_a, "r", NULL, 3, 1, true);
	const pt_exec_entry *e = pt_exec_find(&d.execs, 1000, "r");
	assert_int_equal(e->n_tools, 2);
	assert_string_equal(e->tools[0].name, "other");
	assert_int_equal(e->tools[0].counts.total, 2);
	assert_string_equal(e->tools[1].name, "rpr");
}

/* PT_EXEC_TOOLS_NAMED names per resource; the others count as "other". */
static void test_tools_bounded(void **state)
{
	char tool[16];
	(void)state;
	for (int i = 0; i < PT_EXEC_TOOLS_NAMED + 5; i++) {
		snprintf(tool, sizeof tool, "t%d", i);
		executed(&conn_a, "r", tool, 1, 1, true);
	}
	executed(&conn_a, "r", "t3", 1, 1, true); /* a known one still counts by name */
	const pt_exec_entry *e = pt_exec_find(&d.execs, 1000, "r");
	assert_int_equal(e->n_tools, PT_EXEC_TOOLS_NAMED + 1);
	assert_string_equal(e->tools[PT_EXEC_TOOLS_NAMED].name, "other");
	assert_int_equal(e->tools[PT_EXEC_TOOLS_NAMED].counts.total, 5);
	assert_int_equal(e->tools[3].counts.total, 2);
	/* the histogram's tools are bounded too */
	assert_int_equal(d.execs.n_hist, PT_EXEC_HIST_TOOLS);
	assert_non_null(pt_exec_histogram_of(&d.execs, "other"));
}

/* A uid counts at most PT_EXEC_RESOURCES_PER_UID_MAX resources; another
 * uid is not affected. */
static void test_resources_bounded(void **state)
{
	char name[32];
	(void)state;
	for (int i = 0; i < PT_EXEC_RESOURCES_PER_UID_MAX; i++) {
		snprintf(name, sizeof name, "r%d", i);
		pt_store_execution x = {.uid = 1000, .resource = name, .tool = "rpr", .started_ms = 1};
		pt_exec_entry *e;
		size_t tool;
		assert_int_equal(pt_exec_count(&d.execs, &x, &e, &tool), PT_OK);
	}
	expect_bad(",\"resource\":\"one more\",\"started_ms\":1,\"duration_ms\":1,\"exit_code\":0,"
		   "\"outcome\":\"success\"", "already counts the executions of 1024 resources");
	executed(&conn_a, "r5", "rpr", 1, 1, true); /* one it counts already */
	executed(&conn_b, "one more", "rpr", 1, 1, true);
	/* nor does an acquire of one more count it */
	cJSON_Delete(answer(&conn_a, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"one more\","
			    "\"limit\":5,\"window_ms\":1000}"));
	assert_null(pt_exec_find(&d.execs, 1000, "one more"));
}

/* ---- active clients ---- */

static void test_active_clients(void **state)
{
	(void)state;
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"api\",\"limit\":5,"
			  "\"window_ms\":60000}");
	assert_true(ok(o));
	cJSON_Delete(o);
	pt_exec_entry *e = pt_exec_find(&d.execs, 1000, "api");
	assert_non_null(e);
	assert_int_equal(e->active_clients, 1);
	/* the resource shows executions once it has runs, not before */
	o = answer(&conn_a, "{\"v\":1,\"op\":\"resources\"}");
	assert_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "resources"), 0), "executions"));
	cJSON_Delete(o);
	/* once per connection, however often it comes back */
	cJSON_Delete(answer(&conn_a, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"api\",\"limit\":5,"
			    "\"window_ms\":60000}"));
	executed(&conn_a, "api", "rpr", 1, 1, true);
	assert_int_equal(e->active_clients, 1);
	/* a refused acquire does not count */
	pt_conn c2 = {.d = &d, .id = 3, .uid = 1000, .pid = 3};
	cJSON_Delete(answer(&c2, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"api\",\"limit\":5,"
			    "\"window_ms\":60000,\"offsets_ms\":[0,1,2,3,4,5]}"));
	assert_int_equal(e->active_clients, 1);
	cJSON_Delete(answer(&c2, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"api\",\"limit\":5,"
			    "\"window_ms\":60000}"));
	assert_int_equal(e->active_clients, 2);
	o = answer(&conn_a, "{\"v\":1,\"op\":\"resources\"}");
	assert_int_equal(at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "resources"), 0),
			    "executions", "active_clients", NULL), 2);
	cJSON_Delete(o);
	pt_exec_client_close(&d.execs, &c2.exec);
	pt_registry_owner_close(&d.reg, &c2.owner, T0);
	assert_int_equal(e->active_clients, 1);
	/* an entry with no counts goes with its last client */
	cJSON_Delete(answer(&conn_b, "{\"v\":1,\"op\":\"acquire\",\"resource\":\"b\",\"limit\":5,"
			    "\"window_ms\":60000}"));
	assert_non_null(pt_exec_find(&d.execs, 1001, "b"));
	pt_exec_client_close(&d.execs, &conn_b.exec);
	assert_null(pt_exec_find(&d.execs, 1001, "b"));
}

/* ---- metrics ---- */

static void test_metrics(void **state)
{
	(void)state;
	cJSON_Delete(answer(&conn_a, "{\"v\":1,\"op\":\"set_limit\",\"resource\":\"api\","
			    "\"limit\":3,\"window_ms\":1000}"));
	/* starts at 0, 100, 200, 300 ms and 5 s: the fullest window holds 4 */
	int64_t starts[] = {T0 - 9000, T0 - 8900, T0 - 8800, T0 - 8700, T0 - 4000};
	for (size_t i = 0; i < 5; i++)
		executed(&conn_a, "api", i % 2 ? "patience" : "rpr", starts[i], 10 * (int64_t)i,
			 i != 4);
	executed(&conn_a, "other:res", "rpr", T0 - 2000, 1, true);
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\"}");
	assert_true(ok(o));
	assert_int_equal(at(o, "from_ms", NULL), T0 - 9000); /* the first kept */
	assert_int_equal(at(o, "to_ms", NULL), T0);
	assert_int_equal(at(o, "summary", "total", NULL), 6);
	assert_int_equal(at(o, "tools", "rpr", "total", NULL), 4);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "resources");
	assert_int_equal(cJSON_GetArraySize(list), 2);
	const cJSON *api = cJSON_GetArrayItem(list, 0);
	assert_int_equal(at(api, "summary", "failed", NULL), 1);
	assert_int_equal(at(api, "summary", "mean_duration_ms", NULL), 20);
	assert_int_equal(at(api, "summary", "last_ms", NULL), T0 - 4000);
	assert_true(at(api, "summary", "success_rate", NULL) == 0.8);
	assert_int_equal(at(api, "tools", "patience", "total", NULL), 2);
	assert_int_equal(at(api, "limit_usage", "limit", NULL), 3);
	assert_int_equal(at(api, "limit_usage", "window_ms", NULL), 1000);
	assert_int_equal(at(api, "limit_usage", "fullest_window_starts", NULL), 4);
	assert_int_equal(at(api, "limit_usage", "fullest_window_from_ms", NULL), T0 - 9000);
	assert_true(at(api, "limit_usage", "mean_starts_per_window", NULL) == 0.5556); /* 5 / 9 */
	/* no limit, no limit usage */
	assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 1), "limit_usage"));
	cJSON_Delete(o);
	/* one resource, one range */
	o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\",\"resource\":\"api\",\"from_ms\":%lld,"
		   "\"to_ms\":%lld}", (long long)(T0 - 8900), (long long)(T0 - 8800));
	assert_int_equal(at(o, "summary", "total", NULL), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "resources")), 1);
	assert_int_equal(at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "resources"), 0),
			    "limit_usage", "mean_starts_per_window", NULL), 2); /* one window */
	cJSON_Delete(o);
	o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\",\"from_ms\":5,\"to_ms\":4}");
	assert_false(ok(o));
	cJSON_Delete(o);
	o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\",\"resource\":3}");
	assert_false(ok(o));
	cJSON_Delete(o);
}

/* Two resources of 16 tools each: the summary's tools stay within the
 * bound too, the rest as "other". */
static void test_metrics_many_tools(void **state)
{
	char tool[16];
	(void)state;
	for (int i = 0; i < 2 * PT_EXEC_TOOLS_NAMED; i++) {
		snprintf(tool, sizeof tool, "t%d", i);
		executed(&conn_a, i < PT_EXEC_TOOLS_NAMED ? "a" : "b", tool, T0 - 1000, 1, true);
	}
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\"}");
	const cJSON *tools = cJSON_GetObjectItemCaseSensitive(o, "tools");
	assert_int_equal(cJSON_GetArraySize(tools), PT_EXEC_TOOLS_NAMED + 1);
	assert_int_equal(at(tools, "other", "total", NULL), PT_EXEC_TOOLS_NAMED);
	assert_int_equal(at(o, "summary", "total", NULL), 2 * PT_EXEC_TOOLS_NAMED);
	cJSON_Delete(o);
}

/* uid 1001 sees none of uid 1000's executions, and its own alone. */
static void test_tenancy(void **state)
{
	(void)state;
	executed(&conn_a, "api", "rpr", T0 - 1000, 5, true);
	executed(&conn_b, "api", "rpr", T0 - 1000, 5, false);
	executed(&conn_b, "api", "rpr", T0 - 900, 5, false);
	cJSON *o = answer(&conn_b, "{\"v\":1,\"op\":\"metrics\",\"resource\":\"api\"}");
	assert_int_equal(at(o, "summary", "total", NULL), 2);
	assert_int_equal(at(o, "summary", "succeeded", NULL), 0);
	cJSON_Delete(o);
	o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\"}");
	assert_int_equal(at(o, "summary", "total", NULL), 1);
	cJSON_Delete(o);
	o = answer(&conn_b, "{\"v\":1,\"op\":\"resources\"}");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "resources");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_int_equal(at(cJSON_GetArrayItem(list, 0), "executions", "total", NULL), 2);
	cJSON_Delete(o);
	pt_conn c3 = {.d = &d, .id = 4, .uid = 1002, .pid = 4};
	o = answer(&c3, "{\"v\":1,\"op\":\"metrics\"}");
	assert_int_equal(at(o, "summary", "total", NULL), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "resources")), 0);
	cJSON_Delete(o);
}

/* ---- the ring and the window ---- */

static int count_rows(void *ctx, const pt_store_execution *x)
{
	int64_t *n = ctx;
	assert_int_equal(x->uid, 1000);
	(*n)++;
	return 0;
}

static int64_t ring_rows(uint32_t uid, int64_t from, int64_t to)
{
	int64_t n = 0;
	assert_int_equal(pt_exec_history_scan(&d.execs, NULL, uid, NULL, from, to, count_rows, &n),
			 PT_OK);
	return n;
}

/* Without a store each uid keeps its last PT_EXEC_RING_PER_UID; another
 * uid's reports do not push them out; the retention prunes them. */
static void test_ring(void **state)
{
	(void)state;
	for (int64_t i = 0; i < PT_EXEC_RING_PER_UID + 10; i++) {
		pt_store_execution x = {.uid = 1000, .resource = "r", .tool = "rpr",
					.started_ms = T0 - 100000 + i};
		pt_exec_entry *e;
		size_t tool;
		assert_int_equal(pt_exec_count(&d.execs, &x, &e, &tool), PT_OK);
		assert_int_equal(pt_exec_history_add(&d.execs, &d.reg, e, tool, &x), PT_OK);
	}
	executed(&conn_b, "r", "rpr", T0, 1, true);
	assert_int_equal(ring_rows(1000, 0, T0), PT_EXEC_RING_PER_UID);
	assert_int_equal(ring_rows(1000, T0 - 100000, T0 - 100000 + 10), 1); /* the oldest went */
	assert_int_equal(pt_exec_find(&d.execs, 1000, "r")->all.total, PT_EXEC_RING_PER_UID + 10);
	pt_exec_history_prune(&d.execs, &d.reg, T0 - 100000 + 5000 + PT_EXEC_RETENTION_MS);
	assert_int_equal(ring_rows(1000, 0, T0), PT_EXEC_RING_PER_UID + 10 - 5000);
	/* and not again within the minute */
	pt_exec_history_prune(&d.execs, &d.reg, T0 - 100000 + 6000 + PT_EXEC_RETENTION_MS);
	assert_int_equal(ring_rows(1000, 0, T0), PT_EXEC_RING_PER_UID + 10 - 5000);
}

static void test_fullest_window(void **state)
{
	static const int64_t starts[] = {0, 10, 999, 1000, 1001, 1002, 5000};
	(void)state;
	pt_exec_window w = pt_exec_fullest_window(starts, 7, 1000);
	assert_int_equal(w.fullest, 5); /* 10 .. 1002; [0, 1000) holds 3 */
	assert_int_equal(w.from_ms, 10);
	assert_int_equal(pt_exec_fullest_window(starts, 0, 1000).fullest, 0);
	assert_int_equal(pt_exec_fullest_window(starts, 7, 1).fullest, 1);
	assert_int_equal(pt_exec_fullest_window(starts, 7, 10000).fullest, 7);
}

static void test_tool_names(void **state)
{
	char tool[PT_EXEC_TOOL_MAX + 1];
	(void)state;
	assert_true(pt_exec_tool_valid("rpr"));
	assert_true(pt_exec_tool_valid("my-tool_2.0"));
	assert_false(pt_exec_tool_valid(""));
	assert_false(pt_exec_tool_valid("a b"));
	assert_false(pt_exec_tool_valid("a\"b"));
	pt_exec_tool_of_client("rpr 0.1.0", tool);
	assert_string_equal(tool, "rpr");
	pt_exec_tool_of_client("patience", tool);
	assert_string_equal(tool, "patience");
	pt_exec_tool_of_client(" leading", tool);
	assert_string_equal(tool, "");
	pt_exec_tool_of_client("ab{c} 1", tool);
	assert_string_equal(tool, "");
	pt_exec_tool_of_client(NULL, tool);
	assert_string_equal(tool, "");
}

/* ---- a real state file ---- */

static char dir[64], path[128];

static void remove_dir(void)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char p[sizeof dir + sizeof e->d_name + 1];
	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (dp)
		closedir(dp);
	rmdir(dir);
}

/* A daemon on the file: its registry, counters and history restored. */
static void open_daemon(void)
{
	char err[256];
	memset(&d, 0, sizeof d);
	conns_init();
	assert_int_equal(pt_store_open(path, &d.store, err, sizeof err), PT_OK);
	assert_int_equal(pt_registry_init(&d.reg, d.store), PT_OK);
	assert_int_equal(pt_registry_restore(&d.reg, T0, err, sizeof err), PT_OK);
	assert_int_equal(pt_exec_restore(&d.execs, d.store), PT_OK);
	assert_int_equal(pt_exec_history_restore(&d.execs, d.store), PT_OK);
}

static void close_daemon(void)
{
	conns_close();
	pt_registry_release(&d.reg);
	pt_exec_table_release(&d.execs);
	pt_store_close(d.store);
}

/* A durable reply, committed as the server would before sending it. */
static cJSON *answer_committed(pt_conn *c, const char *line)
{
	bool durable = false;
	char *text = pt_protocol_answer(&d, c, line, strlen(line), T0, &durable);
	assert_true(durable);
	assert_int_equal(pt_registry_commit(&d.reg), PT_OK);
	cJSON *o = cJSON_Parse(text);
	free(text);
	return o;
}

static void test_store_round_trip(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pt-exec-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/state.db", dir);
	open_daemon();
	static const char *const lines[] = {
		"{\"v\":1,\"op\":\"executed\",\"resource\":\"api\",\"tool\":\"rpr\","
		"\"started_ms\":1795430399000,\"duration_ms\":40,\"exit_code\":0,\"outcome\":\"success\"}",
		"{\"v\":1,\"op\":\"executed\",\"resource\":\"api\",\"tool\":\"rpr\","
		"\"started_ms\":1795430399500,\"duration_ms\":60,\"exit_code\":2,\"outcome\":\"failure\"}",
		"{\"v\":1,\"op\":\"executed\",\"resource\":\"api\",\"tool\":\"patience\","
		"\"started_ms\":1795430398000,\"duration_ms\":5,\"exit_code\":0,\"outcome\":\"success\"}",
	};
	for (size_t i = 0; i < 3; i++) {
		cJSON *o = answer_committed(&conn_a, lines[i]);
		assert_true(ok(o));
		cJSON_Delete(o);
	}
	assert_int_equal(pt_exec_user_of(&d.execs, 1000)->stored, 3);
	close_daemon();

	open_daemon();
	const pt_exec_entry *e = pt_exec_find(&d.execs, 1000, "api");
	assert_non_null(e);
	assert_int_equal(e->all.total, 3);
	assert_int_equal(e->all.succeeded, 2);
	assert_int_equal(e->all.duration_sum_ms, 105);
	assert_int_equal(e->all.last_ms, T0 - 500);
	assert_false(e->all.last_succeeded);
	assert_int_equal(e->active_clients, 0);
	assert_int_equal(pt_exec_user_of(&d.execs, 1000)->stored, 3);
	cJSON *o = answer(&conn_a, "{\"v\":1,\"op\":\"metrics\",\"resource\":\"api\"}");
	assert_int_equal(at(o, "summary", "total", NULL), 3);
	assert_int_equal(at(o, "tools", "rpr", "failed", NULL), 1);
	assert_int_equal(at(o, "from_ms", NULL), T0 - 2000);
	cJSON_Delete(o);
	/* past the retention the history goes; the counters stay */
	pt_exec_history_prune(&d.execs, &d.reg, T0 - 600 + PT_EXEC_RETENTION_MS);
	assert_int_equal(pt_registry_commit(&d.reg), PT_OK);
	assert_int_equal(pt_exec_user_of(&d.execs, 1000)->stored, 1);
	close_daemon();

	open_daemon();
	assert_int_equal(pt_exec_user_of(&d.execs, 1000)->stored, 1);
	assert_int_equal(pt_exec_find(&d.execs, 1000, "api")->all.total, 3);
	close_daemon();
	remove_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_per_tool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_from_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tools_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resources_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_many_tools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenancy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring, setup, teardown),
		cmocka_unit_test(test_fullest_window),
		cmocka_unit_test(test_tool_names),
		cmocka_unit_test(test_store_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
