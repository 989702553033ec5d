/* http.c without sockets: --metrics-listen's host:port parsing, and the
 * counters and wait histogram that protocol.c feeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"

static int parse(const char *text, char *host, uint16_t *port)
{
	char err[128];
	return pt_http_parse_listen(text, host, 64, port, err, sizeof err);
}

static void test_listen_good(void **state)
{
	char host[64];
	uint16_t port;
	(void)state;
	assert_int_equal(parse("127.0.0.1:9464", host, &port), PT_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9464);
	assert_int_equal(parse("[::1]:1", host, &port), PT_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 1);
	assert_int_equal(parse("localhost:65535", host, &port), PT_OK);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 65535);
}

static void test_listen_bad(void **state)
{
	static const char *const bad[] = {
		"", "9464", ":9464", "host:", "host:0", "host:65536", "host:-1", "host:+80",
		"host:80x", "host: 80", "::1:80", "[::1]", "[::1:80", "[]:80", "host:99999999999999999999",
	};
	char host[64];
	uint16_t port;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse(bad[i], host, &port), PT_EINVAL);
	char err[128], tiny[4];
	assert_int_equal(pt_http_parse_listen("longhost:80", tiny, sizeof tiny, &port, err,
					      sizeof err), PT_EINVAL);
}

static void test_wait_buckets(void **state)
{
	pt_metrics m = {0};
	(void)state;
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, -5);     /* late: counts as 0 */
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, 0);
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, 10);     /* le 0.01 */
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, 11);     /* le 0.1 */
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, 600000); /* le 600 */
	pt_metrics_acquired(&m, PT_ACQ_GRANTED, 600001); /* +Inf */
	pt_metrics_acquired(&m, PT_ACQ_INFEASIBLE, 999);
	pt_metrics_acquired(&m, PT_ACQ_WAIT_TOO_LONG, 0);
	pt_metrics_acquired(&m, PT_ACQ_ERROR, 0);
	assert_int_equal(m.acquires[PT_ACQ_GRANTED], 6);
	assert_int_equal(m.acquires[PT_ACQ_INFEASIBLE], 1);
	assert_int_equal(m.acquires[PT_ACQ_WAIT_TOO_LONG], 1);
	assert_int_equal(m.acquires[PT_ACQ_ERROR], 1);
	assert_int_equal(m.wait_le[0], 2);
	assert_int_equal(m.wait_le[1], 1);
	assert_int_equal(m.wait_le[2], 1);
	assert_int_equal(m.wait_le[3], 0);
	assert_int_equal(m.wait_le[6], 1);
	assert_int_equal(m.wait_le[7], 1);
	assert_int_equal(m.wait_sum_ms, 10 + 11 + 600000 + 600001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_good),
		cmocka_unit_test(test_listen_bad),
		cmocka_unit_test(test_wait_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
