/* Rate-limit headers: captured responses of GitHub, X and draft-style
 * services, the three HTTP-date forms, JSON bodies, precedence, and the
 * streaming properties (any chunking, CRLF or LF, last response wins,
 * overlong lines, garbage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "patience/error.h"
#include "patience/ratelimit_headers.h"

#define NOW ((int64_t)1796148000000) /* 2026-12-01 18:00:00Z */
#define S(x) ((int64_t)(x) * 1000)
#define NONE (-1)

/* Feed text in chunks of chunk bytes (0: all at once). */
static void parse(const char *text, size_t chunk, pt_rl_result *r)
{
	pt_rl_parser p;
	size_t len = strlen(text);
	pt_rl_parser_init(&p);
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t at = 0; at < len; at += chunk)
		pt_rl_parser_feed(&p, text + at, len - at < chunk ? len - at : chunk, NOW);
	pt_rl_parser_finish(&p, NOW);
	pt_rl_parser_result(&p, r);
}

static int64_t value_or_none(const pt_rl_field *f)
{
	return f->present ? f->value : NONE;
}

typedef struct expect {
	const char *name, *text;
	int status;
	int64_t delay_ms; /* pt_rl_asked_delay; NONE: asked nothing */
	const char *delay_from; /* the describing text of the field that asked */
	int64_t limit, window_ms, remaining, reset_ms;
	pt_rl_time_kind reset_kind;
	bool limited;
	const char *resource;
} expect;

static const expect cases[] = {
	{"github primary limit",
	 "HTTP/2 403 \r\n"
	 "date: Tue, 01 Dec 2026 18:00:00 GMT\r\n"
	 "content-type: application/json; charset=utf-8\r\n"
	 "x-github-media-type: github.v3; format=json\r\n"
	 "x-ratelimit-limit: 5000\r\n"
	 "x-ratelimit-remaining: 0\r\n"
	 "x-ratelimit-reset: 1796148754\r\n"
	 "x-ratelimit-used: 5000\r\n"
	 "x-ratelimit-resource: core\r\n"
	 "\r\n"
	 "{\"message\":\"API rate limit exceeded for 192.0.2.1.\",\"documentation_url\":"
	 "\"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting\"}\n",
	 403, S(754), "x-ratelimit-reset: 1796148754 read as epoch seconds", 5000, NONE, 0,
	 S(1796148754), PT_RL_TIME_EPOCH_SECONDS, true, "core"},
	{"github secondary limit: retry-after wins",
	 "HTTP/2 429 \r\nretry-after: 60\r\nx-ratelimit-limit: 5000\r\n"
	 "x-ratelimit-remaining: 4990\r\nx-ratelimit-reset: 1796151600\r\n"
	 "x-ratelimit-resource: core\r\n\r\n",
	 429, S(60), "retry-after: 60", 5000, NONE, 4990, S(1796151600),
	 PT_RL_TIME_EPOCH_SECONDS, true, "core"},
	{"github success with quota left asks nothing",
	 "HTTP/2 200 \r\nx-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4999\r\n"
	 "x-ratelimit-reset: 1796151600\r\nx-ratelimit-used: 1\r\n\r\n[]\n",
	 200, NONE, NULL, 5000, NONE, 4999, S(1796151600), PT_RL_TIME_EPOCH_SECONDS, false, ""},
	{"x/twitter",
	 "HTTP/1.1 429 Too Many Requests\r\n"
	 "content-type: application/json;charset=utf-8\r\n"
	 "x-rate-limit-limit: 900\r\n"
	 "x-rate-limit-remaining: 0\r\n"
	 "x-rate-limit-reset: 1796148900\r\n"
	 "\r\n"
	 "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\",\"type\":"
	 "\"about:blank\",\"status\":429}",
	 429, S(900), "x-rate-limit-reset: 1796148900 read as epoch seconds", 900, NONE, 0,
	 S(1796148900), PT_RL_TIME_EPOCH_SECONDS, true, ""},
	{"draft-11 policy and limit",
	 "HTTP/1.1 429 Too Many Requests\r\n"
	 "RateLimit-Policy: \"burst\";q=100;w=60, \"daily\";q=1000;w=86400\r\n"
	 "RateLimit: \"burst\";r=0;t=30, \"daily\";r=900;t=4000\r\n\r\n",
	 429, S(30), "RateLimit: \"burst\";r=0;t=30", 100, S(60), 0, NOW + S(30),
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"draft-11: the daily quota binds",
	 "HTTP/1.1 429 Too Many Requests\r\n"
	 "RateLimit: \"burst\";r=40;t=3, \"daily\";r=0;t=4000\r\n"
	 "RateLimit-Policy: \"burst\";q=100;w=60, \"daily\";q=1000;w=86400\r\n\r\n",
	 429, S(4000), "RateLimit: \"daily\";r=0;t=4000", 1000, S(86400), 0, NOW + S(4000),
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"draft-11 token names, unknown and pk parameters",
	 "HTTP/2 200\nratelimit-policy: default;q=10;w=1;qu=\"requests\";pk=:cHsx:\n"
	 "ratelimit: default;r=3;t=1;pk=:cHsx:;x=?1\n\n",
	 200, NONE, NULL, 10, S(1), 3, NOW + S(1), PT_RL_TIME_DELTA_SECONDS, false, ""},
	{"older draft headers",
	 "HTTP/1.1 429 Too Many Requests\nRateLimit-Limit: 100, 100;w=60\n"
	 "RateLimit-Remaining: 0\nRateLimit-Reset: 17\n\n",
	 429, S(17), "RateLimit-Reset: 17", 100, S(60), 0, NOW + S(17),
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"older draft dictionary",
	 "HTTP/1.1 503 Service Unavailable\nRateLimit: limit=10, remaining=0, reset=5\n\n",
	 503, S(5), "RateLimit: reset=5", 10, NONE, 0, NOW + S(5), PT_RL_TIME_DELTA_SECONDS,
	 true, ""},
	{"draft beats older beats x",
	 "HTTP/1.1 429 x\nX-RateLimit-Limit: 1\nX-RateLimit-Remaining: 0\n"
	 "X-RateLimit-Reset: 1796149000\nRateLimit-Limit: 2\nRateLimit-Reset: 50\n"
	 "RateLimit-Policy: \"p\";q=3;w=10\nRateLimit: \"p\";r=0;t=9\n\n",
	 429, S(9), "RateLimit: \"p\";r=0;t=9", 3, S(10), 0, NOW + S(9),
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"retry-after seconds",
	 "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 12\r\n\r\n",
	 429, S(12), "Retry-After: 12", NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true, ""},
	{"retry-after imf-fixdate",
	 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Tue, 01 Dec 2026 18:00:12 GMT\r\n\r\n",
	 503, S(12), "Retry-After: Tue, 01 Dec 2026 18:00:12 GMT", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, true, ""},
	{"retry-after rfc 850",
	 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Tuesday, 01-Dec-26 18:00:12 GMT\r\n\r\n",
	 503, S(12), "Retry-After: Tuesday, 01-Dec-26 18:00:12 GMT", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, true, ""},
	{"retry-after asctime",
	 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Tue Dec  1 18:00:12 2026\r\n\r\n",
	 503, S(12), "Retry-After: Tue Dec  1 18:00:12 2026", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, true, ""},
	{"retry-after in the past is now",
	 "HTTP/1.1 503 x\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
	 503, 0, "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, true, ""},
	{"retry-after beats everything",
	 "HTTP/1.1 429 x\r\nRateLimit: \"a\";r=0;t=100\r\nRetry-After: 7\r\n\r\n"
	 "{\"retry_after\": 300}\r\n",
	 429, S(7), "Retry-After: 7", NONE, NONE, 0, NOW + S(100), PT_RL_TIME_DELTA_SECONDS,
	 true, ""},
	{"json body",
	 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\r\n"
	 "{\"message\": \"You are being rate limited.\", \"retry_after\": 64.57, \"global\": false}\n",
	 429, 64570, "body retry_after: 64.57", NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true,
	 ""},
	{"json body: string, camel case",
	 "HTTP/1.1 429 x\n\n{\n  \"error\": {\"retryAfterSeconds\" : \"3\"}\n}\n",
	 429, S(3), "body retryAfterSeconds: 3", NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true,
	 ""},
	{"json without headers (plain program output)",
	 "{\"retry_in\":2}", 0, S(2), "body retry_in: 2", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, false, ""},
	{"reset read before json",
	 "HTTP/1.1 429 x\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: 20\n\n{\"retry_after\":5}\n",
	 429, S(20), "X-RateLimit-Reset: 20", NONE, NONE, 0, NOW + S(20),
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"reset of a quota not spent gives way to json",
	 "HTTP/1.1 500 x\nX-RateLimit-Remaining: 10\nX-RateLimit-Reset: 20\n\n{\"retry_after\":5}\n",
	 500, S(5), "body retry_after: 5", NONE, NONE, 10, NOW + S(20),
	 PT_RL_TIME_DELTA_SECONDS, false, ""},
	{"reset in epoch ms",
	 "HTTP/1.1 429 x\nX-RateLimit-Reset: 1796148001500\n\n",
	 429, 1500, "X-RateLimit-Reset: 1796148001500 read as epoch milliseconds", NONE, NONE,
	 NONE, 1796148001500, PT_RL_TIME_EPOCH_MS, true, ""},
	{"reset with a fraction (epoch seconds)",
	 "HTTP/1.1 429 x\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: 1796148002.25\n\n",
	 429, 2250, "X-RateLimit-Reset: 1796148002.25 read as epoch seconds", NONE, NONE, 0,
	 1796148002250, PT_RL_TIME_EPOCH_SECONDS, true, ""},
	{"reset-after",
	 "HTTP/1.1 429 x\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset-After: 1.5\n\n",
	 429, 1500, "X-RateLimit-Reset-After: 1.5", NONE, NONE, 0, NOW + 1500,
	 PT_RL_TIME_DELTA_SECONDS, true, ""},
	{"curl -v style",
	 "* Connected to api.example.com\n> GET / HTTP/1.1\n> Host: api.example.com\n>\n"
	 "< HTTP/1.1 429 Too Many Requests\n< Retry-After: 4\n< \n* Connection left intact\n",
	 429, S(4), "Retry-After: 4", NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true, ""},
	{"last response wins",
	 "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nX-RateLimit-Remaining: 0\r\n\r\n"
	 "slow down\r\n"
	 "HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\n\r\n"
	 "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 60\r\nX-RateLimit-Remaining: 59\r\n\r\nok\r\n",
	 200, NONE, NULL, 60, NONE, 59, NONE, PT_RL_TIME_NONE, false, ""},
	{"100 continue then the real answer",
	 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n",
	 429, S(1), "Retry-After: 1", NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true, ""},
	{"headers in a body do not count",
	 "HTTP/1.1 200 OK\n\nRetry-After: 99\nX-RateLimit-Remaining: 0\n",
	 200, NONE, NULL, NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, false, ""},
	{"headers without a status line count",
	 "Retry-After: 3\n", 0, S(3), "Retry-After: 3", NONE, NONE, NONE, NONE,
	 PT_RL_TIME_NONE, false, ""},
	{"malformed values are ignored",
	 "HTTP/1.1 429 x\nRetry-After: soon\nX-RateLimit-Limit: lots\nX-RateLimit-Remaining: -1\n"
	 "RateLimit: \"a\";r=1;t=2,\nRateLimit-Policy: \"a\";q=1;w=\n"
	 "X-RateLimit-Reset: 9999999999999999999\nX-RateLimit-Used: 80000000000000000000000\n"
	 "Retry-After: Tue, 31 Nov 2026 18:00:12 GMT\n\n"
	 "{\"retry_after\": null, \"retry_after\": 1e3}\n",
	 429, NONE, NULL, NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, true, ""},
	{"garbage",
	 "\x01\x02\xff\xfe: \x80\n::::\n\"\"\"\n\n\n\rHTTP/\nHTTP/1.1 42\nHTTP/x 429\n",
	 0, NONE, NULL, NONE, NONE, NONE, NONE, PT_RL_TIME_NONE, false, ""},
};

static void check_case(const expect *c, size_t chunk)
{
	pt_rl_result r;
	const pt_rl_field *from;
	char why[256] = "";
	parse(c->text, chunk, &r);
	int64_t delay = pt_rl_asked_delay(&r, NOW, &from);
	if (from)
		pt_rl_field_describe(from, why, sizeof why);
	if (r.status != c->status || delay != c->delay_ms ||
	    strcmp(why, c->delay_from ? c->delay_from : "") ||
	    value_or_none(&r.quota.limit) != c->limit ||
	    value_or_none(&r.quota.window) != c->window_ms ||
	    value_or_none(&r.quota.remaining) != c->remaining ||
	    value_or_none(&r.quota.reset) != c->reset_ms || r.quota.reset.kind != c->reset_kind ||
	    pt_rl_is_limited(&r) != c->limited || strcmp(r.resource, c->resource))
		fail_msg("%s (chunks of %zu): status %d, delay %lld from \"%s\", limit %lld, "
			 "window %lld, remaining %lld, reset %lld (%s), limited %d, resource \"%s\"",
			 c->name, chunk, r.status, (long long)delay, why,
			 (long long)value_or_none(&r.quota.limit),
			 (long long)value_or_none(&r.quota.window),
			 (long long)value_or_none(&r.quota.remaining),
			 (long long)value_or_none(&r.quota.reset),
			 pt_rl_time_kind_name(r.quota.reset.kind), pt_rl_is_limited(&r), r.resource);
}

/* Whole, byte by byte, and in odd chunks: the same result every time. */
static void test_cases(void **state)
{
	static const size_t chunks[] = {0, 1, 2, 3, 7, 64};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++)
			check_case(&cases[i], chunks[j]);
}

/* LF-only input must read as its CRLF form does. */
static void test_crlf_and_lf(void **state)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char lf[4096];
		size_t n = 0;
		for (const char *p = cases[i].text; *p && n + 1 < sizeof lf; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				lf[n++] = *p;
		lf[n] = '\0';
		expect c = cases[i];
		c.text = lf;
		check_case(&c, 0);
		check_case(&c, 1);
	}
}

static void test_http_dates(void **state)
{
	static const struct {
		const char *text;
		int64_t want; /* NONE: refused */
	} dates[] = {
		{"Sun, 06 Nov 1994 08:49:37 GMT", S(784111777)},
		{"Sunday, 06-Nov-94 08:49:37 GMT", S(784111777)},
		{"Sun Nov  6 08:49:37 1994", S(784111777)},
		{"sun, 06 nov 1994 08:49:37 gmt", S(784111777)},
		{"Tue, 29 Feb 2000 00:00:00 GMT", S(951782400)},
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0},
		{"Mon, 01 Mar 2100 00:00:00 GMT", S(4107542400)},
		{"Wednesday, 01-Jan-70 00:00:00 GMT", S(3155760000)}, /* 2070: < now + 50y */
		{"Friday, 01-Jan-77 00:00:00 GMT", S(220924800)},    /* 1977 */
		{"Sun Nov 16 08:49:37 1994", S(784975777)},
		{"Sun, 06 Nov 1994 08:49:37", NONE},
		{"Sun, 06 Nov 1994 08:49:37 UTC", NONE},
		{"Sun, 6 Nov 1994 08:49:37 GMT", NONE},
		{"Sun, 29 Feb 1900 08:49:37 GMT", NONE},
		{"Sun, 06 Nov 1994 24:00:00 GMT", NONE},
		{"Sun, 06 Foo 1994 08:49:37 GMT", NONE},
		{"Sun Nov 6 08:49:37 1994", NONE},
		{"Sunny, 06 Nov 1994 08:49:37 GMT", NONE},
		{"", NONE},
		{"12", NONE},
	};
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		int64_t got = NONE;
		int rc = pt_rl_http_date_parse(dates[i].text, strlen(dates[i].text), NOW, &got);
		if ((dates[i].want == NONE) != (rc != PT_OK) || (rc == PT_OK && got != dates[i].want))
			fail_msg("\"%s\": rc %d, got %lld, want %lld", dates[i].text, rc,
				 (long long)got, (long long)dates[i].want);
	}
}

/* A line longer than PT_RL_LINE_MAX is skipped, and the lines after it
 * still count; a long body line is still scanned for JSON as far as the
 * buffer goes, but a number cut at the buffer's end is not trusted. */
static void test_overlong_lines(void **state)
{
	size_t big = PT_RL_LINE_MAX * 3;
	char *text = malloc(big + 256);
	pt_rl_result r;
	assert_non_null(text);
	strcpy(text, "HTTP/1.1 429 x\nX-Long: ");
	size_t n = strlen(text);
	memset(text + n, 'a', big);
	strcpy(text + n + big, "Retry-After: 1\nRetry-After: 5\n\n");
	parse(text, 0, &r); /* "Retry-After: 1" is inside the long line */
	assert_int_equal(pt_rl_asked_delay(&r, NOW, NULL), S(5));
	parse(text, 1, &r);
	assert_int_equal(pt_rl_asked_delay(&r, NOW, NULL), S(5));

	strcpy(text, "HTTP/1.1 429 x\n\n{\"retry_after\": 3, \"pad\": \"");
	n = strlen(text);
	memset(text + n, 'b', big);
	strcpy(text + n + big, "\"}\n");
	parse(text, 0, &r);
	assert_int_equal(pt_rl_asked_delay(&r, NOW, NULL), S(3));

	/* "retry_after": 12345 cut to "retry_after": 12 by the buffer */
	strcpy(text, "HTTP/1.1 429 x\n\n");
	n = strlen(text);
	size_t pad = PT_RL_LINE_MAX - strlen("{\"retry_after\": 12");
	memset(text + n, ' ', pad);
	strcpy(text + n + pad, "{\"retry_after\": 12345}\n");
	parse(text, 0, &r);
	assert_int_equal(pt_rl_asked_delay(&r, NOW, NULL), NONE);
	parse(text, 5, &r);
	assert_int_equal(pt_rl_asked_delay(&r, NOW, NULL), NONE);
	free(text);
}

static void feed(pt_rl_parser *p, const char *text, int64_t now_ms)
{
	pt_rl_parser_feed(p, text, strlen(text), now_ms);
}

/* The result is there before the end of output, and a partial line is
 * not used until it ends. */
static void test_streaming(void **state)
{
	pt_rl_parser p;
	pt_rl_result r;
	pt_rl_parser_init(&p);
	feed(&p, "HTTP/1.1 429 x\r\nRetry-After: 1", NOW);
	pt_rl_parser_result(&p, &r);
	assert_int_equal(r.status, 429);
	assert_false(r.retry_after.present);
	feed(&p, "0\r\n", NOW + 1000);
	pt_rl_parser_result(&p, &r);
	/* seconds count from when the line was read */
	assert_int_equal(r.retry_after.value, NOW + S(11));
	assert_int_equal(pt_rl_asked_delay(&r, NOW + S(1), NULL), S(10));
	assert_int_equal(pt_rl_asked_delay(&r, NOW + S(20), NULL), 0);
	feed(&p, "\r\n{\"retry_in\": 4", NOW);
	pt_rl_parser_result(&p, &r);
	assert_false(r.body_retry.present);
	pt_rl_parser_finish(&p, NOW);
	pt_rl_parser_result(&p, &r);
	assert_int_equal(r.body_retry.value, NOW + S(4));
}

static void test_names(void **state)
{
	pt_rl_field f = {.present = false};
	char buf[128] = "x";
	assert_string_equal(pt_rl_time_kind_name(PT_RL_TIME_EPOCH_SECONDS), "epoch seconds");
	assert_string_equal(pt_rl_time_kind_name(PT_RL_TIME_EPOCH_MS), "epoch milliseconds");
	assert_string_equal(pt_rl_time_kind_name(PT_RL_TIME_DELTA_SECONDS), "delta seconds");
	assert_string_equal(pt_rl_time_kind_name(PT_RL_TIME_HTTP_DATE), "an HTTP date");
	assert_string_equal(pt_rl_time_kind_name((pt_rl_time_kind)99), "nothing");
	assert_int_equal(pt_rl_field_describe(&f, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
}

/* Control bytes from the service never reach a terminal through -v. */
static void test_hostile_text(void **state)
{
	pt_rl_result r;
	char buf[256];
	parse("HTTP/1.1 429 x\nX-RateLimit-Resource: \x1b[31mred\nRetry-After: 1\n\n", 0, &r);
	assert_string_equal(r.resource, "?[31mred");
	pt_rl_field_describe(&r.retry_after, buf, sizeof buf);
	assert_string_equal(buf, "Retry-After: 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),         cmocka_unit_test(test_crlf_and_lf),
		cmocka_unit_test(test_http_dates),    cmocka_unit_test(test_overlong_lines),
		cmocka_unit_test(test_streaming),     cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostile_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
