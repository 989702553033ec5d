/* Output watching: lines split per stream, failure outranks success,
 * partial lines at the end, over-long lines in pieces; rate-limit headers
 * from stdout, else stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "exec/watch.h"

static pt_watch watch_of(const char *success, const char *failure, bool caseless)
{
	pt_watch w;
	char err[256];
	assert_int_equal(pt_watch_init(&w, success, failure, caseless, err, sizeof err), 0);
	return w;
}

static void feed(pt_watch *w, int stream, const char *text)
{
	pt_watch_feed(w, stream, text, strlen(text));
}

static void test_success_across_chunks(void **state)
{
	pt_watch w = watch_of("^deployed ok$", NULL, false);
	feed(&w, 0, "starting\ndepl");
	assert_int_equal(w.verdict, PT_VERDICT_NONE);
	feed(&w, 0, "oyed ok\nbye");
	assert_int_equal(w.verdict, PT_VERDICT_SUCCESS);
	pt_watch_release(&w);
}

static void test_streams_do_not_mix(void **state)
{
	pt_watch w = watch_of("ab", NULL, false);
	feed(&w, 0, "a");
	feed(&w, 1, "b\n");
	feed(&w, 0, "\n");
	assert_int_equal(w.verdict, PT_VERDICT_NONE);
	feed(&w, 1, "xab\n");
	assert_int_equal(w.verdict, PT_VERDICT_SUCCESS);
	pt_watch_release(&w);
}

static void test_failure_outranks_success(void **state)
{
	pt_watch w = watch_of("ok", "fatal", false);
	feed(&w, 0, "ok\n");
	assert_int_equal(w.verdict, PT_VERDICT_SUCCESS);
	feed(&w, 1, "fatal: no\n");
	assert_int_equal(w.verdict, PT_VERDICT_FAILURE);
	feed(&w, 0, "ok\n");
	assert_int_equal(w.verdict, PT_VERDICT_FAILURE);
	pt_watch_reset(&w);
	assert_int_equal(w.verdict, PT_VERDICT_NONE);
	pt_watch_release(&w);
}

static void test_partial_last_line(void **state)
{
	pt_watch w = watch_of(NULL, "quota exceeded", true);
	feed(&w, 0, "QUOTA EXCEEDED");
	assert_int_equal(w.verdict, PT_VERDICT_NONE);
	pt_watch_finish(&w);
	assert_int_equal(w.verdict, PT_VERDICT_FAILURE);
	pt_watch_release(&w);
}

static void test_long_line_in_pieces(void **state)
{
	pt_watch w = watch_of("needle", NULL, false);
	size_t n = PT_WATCH_LINE_MAX * 3;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big + PT_WATCH_LINE_MAX + 100, "needle", 6);
	pt_watch_feed(&w, 0, big, n);
	assert_int_equal(w.verdict, PT_VERDICT_SUCCESS);
	free(big);
	pt_watch_release(&w);
}

static void test_bad_pattern_message(void **state)
{
	pt_watch w;
	char err[256];
	assert_int_equal(pt_watch_init(&w, "ok", "a(", false, err, sizeof err), -1);
	assert_non_null(strstr(err, "failure pattern \"a(\": invalid regular expression at offset 2"));
}

static void test_invalid_utf8_is_not_an_error(void **state)
{
	pt_watch w = watch_of("done", NULL, false);
	feed(&w, 0, "\xff\xfe done\n");
	assert_int_equal(w.verdict, PT_VERDICT_SUCCESS);
	pt_watch_release(&w);
}

/* curl -i puts headers on stdout, curl -v on stderr: stdout wins when it
 * has any; a reset forgets the last attempt's. */
static void test_headers_stdout_then_stderr(void **state)
{
	pt_watch w = watch_of(NULL, NULL, false);
	pt_rl_result r;
	assert_false(pt_watch_headers(&w, &r)); /* not reading headers */
	assert_int_equal(pt_watch_read_headers(&w), 0);
	feed(&w, 1, "< HTTP/2 429\r\n< retry-after: 3\r\n");
	feed(&w, 0, "{\"ok\": false}");
	assert_true(pt_watch_headers(&w, &r));
	assert_int_equal(r.status, 429);
	assert_true(r.retry_after.present);
	feed(&w, 0, "\nHTTP/1.1 503 x\n\n");
	assert_true(pt_watch_headers(&w, &r));
	assert_int_equal(r.status, 503);
	assert_false(r.retry_after.present);
	pt_watch_reset(&w);
	assert_false(pt_watch_headers(&w, &r));
	feed(&w, 0, "{\"retry_after\": 2}");
	assert_false(pt_watch_headers(&w, &r)); /* a partial line... */
	pt_watch_finish(&w);
	assert_true(pt_watch_headers(&w, &r)); /* ...counts at the end */
	assert_true(r.body_retry.present);
	pt_watch_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_across_chunks),
		cmocka_unit_test(test_streams_do_not_mix),
		cmocka_unit_test(test_failure_outranks_success),
		cmocka_unit_test(test_partial_last_line),
		cmocka_unit_test(test_long_line_in_pieces),
		cmocka_unit_test(test_bad_pattern_message),
		cmocka_unit_test(test_invalid_utf8_is_not_an_error),
		cmocka_unit_test(test_headers_stdout_then_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
