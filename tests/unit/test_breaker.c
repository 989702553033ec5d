/* The circuit breaker: its spec's text, and its states over explicit times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "patience/breaker.h"
#include "patience/error.h"

static void test_spec_parse(void **state)
{
	pt_breaker_spec s;
	char err[256], text[128];
	(void)state;
	assert_int_equal(pt_breaker_spec_parse("failures=3", &s, err, sizeof err), PT_OK);
	assert_int_equal(s.failures, 3);
	assert_int_equal(s.window_ms, 60000);
	assert_int_equal(s.cooldown_ms, 30000);
	assert_int_equal(s.probes, 1);
	assert_int_equal(pt_breaker_spec_parse("probes=2,cooldown=1.5s,window=2m,failures=10",
					       &s, err, sizeof err), PT_OK);
	assert_int_equal(s.failures, 10);
	assert_int_equal(s.window_ms, 120000);
	assert_int_equal(s.cooldown_ms, 1500);
	assert_int_equal(s.probes, 2);
	pt_breaker_spec_format(&s, text, sizeof text);
	assert_string_equal(text, "failures=10,window=2m,cooldown=1.5s,probes=2");
	pt_breaker_spec again;
	assert_int_equal(pt_breaker_spec_parse(text, &again, err, sizeof err), PT_OK);
	assert_memory_equal(&s, &again, sizeof s);
}

static void test_spec_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{"", "expected key=value items"},
		{"failures=0", "failures \"0\": expected an integer from 1 to 1000"},
		{"failures=1001", "failures \"1001\": expected an integer from 1 to 1000"},
		{"failures=-1", "failures \"-1\": expected an integer"},
		{"probes=x", "probes \"x\": expected an integer from 1 to 1000"},
		{"window=0", "window \"0\": expected a duration above 0"},
		{"cooldown=soon", "cooldown \"soon\": expected a duration"},
		{"cooldown", "\"cooldown\": expected cooldown=VALUE"},
		{"failures=1,failures=2", "\"failures\" given twice"},
		{"retries=3", "unknown key \"retries\": expected failures, window, cooldown or probes"},
		{"failures=3,", "separated by commas"},
		{",failures=3", "separated by commas"},
		{"failures=3,,probes=1", "separated by commas"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pt_breaker_spec s = {0};
		char err[256] = "";
		assert_int_equal(pt_breaker_spec_parse(cases[i].text, &s, err, sizeof err), PT_EINVAL);
		if (!strstr(err, cases[i].message))
			fail_msg("\"%s\": got \"%s\"", cases[i].text, err);
		assert_int_equal(s.failures, 0); /* untouched */
	}
}

static pt_breaker fresh(int64_t failures, int64_t window, int64_t cooldown, int64_t probes)
{
	pt_breaker b;
	pt_breaker_spec s = {failures, window, cooldown, probes};
	assert_int_equal(pt_breaker_init(&b, &s), PT_OK);
	return b;
}

static void test_opens_on_failures_in_window(void **state)
{
	pt_breaker b = fresh(3, 1000, 500, 1);
	pt_breaker_change ch;
	pt_breaker_admission a;
	(void)state;
	pt_breaker_report(&b, false, 0, 0, &ch);
	pt_breaker_report(&b, false, 0, 100, &ch);
	pt_breaker_report(&b, true, 0, 150, &ch); /* a success does not forgive */
	assert_int_equal(pt_breaker_failures(&b, 150), 2);
	pt_breaker_report(&b, false, 0, 1000, &ch); /* the one at 0 has left the window */
	assert_false(ch.changed);
	assert_int_equal(pt_breaker_failures(&b, 1000), 2);
	pt_breaker_admit(&b, 1000, &a, &ch);
	assert_true(a.admit);
	assert_int_equal(a.probe_round, 0);
	pt_breaker_report(&b, false, 0, 1050, &ch);
	assert_true(ch.changed);
	assert_int_equal(ch.from, PT_BREAKER_CLOSED);
	assert_int_equal(ch.to, PT_BREAKER_OPEN);
	assert_string_equal(ch.why, "3 failures within 1s");
	assert_int_equal(b.open_until_ms, 1550);
	pt_breaker_admit(&b, 1549, &a, &ch);
	assert_false(a.admit);
	assert_int_equal(a.retry_at_ms, 1550);
	assert_false(ch.changed);
	pt_breaker_report(&b, false, 0, 1549, &ch); /* admitted before it opened: ignored */
	assert_int_equal(b.open_until_ms, 1550);
	pt_breaker_release(&b);
}

static void test_half_open_probes(void **state)
{
	pt_breaker b = fresh(1, 1000, 500, 2);
	pt_breaker_change ch;
	pt_breaker_admission a1, a2, a3;
	(void)state;
	pt_breaker_report(&b, false, 0, 0, &ch);
	assert_int_equal(b.state, PT_BREAKER_OPEN);
	pt_breaker_admit(&b, 500, &a1, &ch);
	assert_true(ch.changed);
	assert_int_equal(ch.to, PT_BREAKER_HALF_OPEN);
	assert_string_equal(ch.why, "cooldown over: 2 probes admitted");
	pt_breaker_admit(&b, 501, &a2, &ch);
	pt_breaker_admit(&b, 502, &a3, &ch);
	assert_true(a1.admit && a1.probe_round);
	assert_true(a2.admit && a2.probe_round == a1.probe_round);
	assert_false(a3.admit);
	assert_int_equal(a3.retry_at_ms, 502 + PT_BREAKER_RECHECK_MS);
	pt_breaker_return_probe(&b, a2.probe_round); /* its holder died */
	assert_int_equal(b.probes_in_flight, 1);
	pt_breaker_admit(&b, 503, &a3, &ch);
	assert_true(a3.admit);
	pt_breaker_report(&b, true, 0, 504, &ch); /* not a probe: no say in half-open */
	assert_false(ch.changed);
	pt_breaker_report(&b, false, a1.probe_round, 600, &ch);
	assert_true(ch.changed);
	assert_int_equal(ch.from, PT_BREAKER_HALF_OPEN);
	assert_int_equal(ch.to, PT_BREAKER_OPEN);
	assert_string_equal(ch.why, "a probe failed");
	assert_int_equal(b.open_until_ms, 1100);
	pt_breaker_report(&b, true, a3.probe_round, 601, &ch); /* its round is over */
	assert_int_equal(b.state, PT_BREAKER_OPEN);
	pt_breaker_return_probe(&b, a3.probe_round);
	assert_int_equal(b.probes_in_flight, 0);
	pt_breaker_admit(&b, 1100, &a1, &ch);
	assert_true(a1.admit && a1.probe_round > a3.probe_round);
	pt_breaker_return_probe(&b, a3.probe_round); /* a permit of the last round: void */
	assert_int_equal(b.probes_in_flight, 1);
	pt_breaker_report(&b, true, a1.probe_round, 1200, &ch);
	assert_int_equal(ch.to, PT_BREAKER_CLOSED);
	assert_string_equal(ch.why, "a probe succeeded");
	assert_int_equal(pt_breaker_failures(&b, 1200), 0);
	pt_breaker_admit(&b, 1201, &a1, &ch);
	assert_true(a1.admit);
	assert_int_equal(a1.probe_round, 0);
	pt_breaker_release(&b);
}

static void test_names_and_bounds(void **state)
{
	pt_breaker b;
	pt_breaker_spec bad = {0, 1, 1, 1};
	(void)state;
	assert_string_equal(pt_breaker_state_name(PT_BREAKER_CLOSED), "closed");
	assert_string_equal(pt_breaker_state_name(PT_BREAKER_OPEN), "open");
	assert_string_equal(pt_breaker_state_name(PT_BREAKER_HALF_OPEN), "half_open");
	assert_int_equal(pt_breaker_init(&b, &bad), PT_EINVAL);
	pt_breaker_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_opens_on_failures_in_window),
		cmocka_unit_test(test_half_open_probes),
		cmocka_unit_test(test_names_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
