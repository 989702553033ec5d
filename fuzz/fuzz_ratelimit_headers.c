/* Fuzz the rate-limit header parser: any bytes, fed whole, byte by byte
 * and in chunks of a size the input picks, give the same result; the asked
 * delay is never negative; extreme clocks overflow nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/ratelimit_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((int64_t)1796148000000) /* 2026-12-01 18:00:00Z */

static void parse(const uint8_t *data, size_t size, size_t chunk, int64_t now_ms,
		  pt_rl_result *r)
{
	static pt_rl_parser p; /* 12 KiB: off the fuzzer's stack */
	pt_rl_parser_init(&p);
	for (size_t at = 0; at < size; at += chunk)
		pt_rl_parser_feed(&p, (const char *)data + at, size - at < chunk ? size - at : chunk,
				  now_ms);
	pt_rl_parser_finish(&p, now_ms);
	pt_rl_parser_result(&p, r);
}

static void check_field(const pt_rl_field *a, const pt_rl_field *b)
{
	char buf[256];
	if (a->present != b->present || a->value != b->value || a->kind != b->kind ||
	    a->read_ms != b->read_ms ||
	    strcmp(a->header, b->header) || strcmp(a->text, b->text))
		abort();
	if (!a->present)
		return;
	if (memchr(a->header, '\0', sizeof a->header) == NULL ||
	    pt_rl_field_describe(a, buf, sizeof buf) < 0 || strlen(buf) >= sizeof buf)
		abort();
}

static void check_same(const pt_rl_result *a, const pt_rl_result *b)
{
	const pt_rl_field *fa[] = {&a->retry_after, &a->body_retry, &a->quota.limit,
				   &a->quota.window, &a->quota.remaining, &a->quota.used,
				   &a->quota.reset};
	const pt_rl_field *fb[] = {&b->retry_after, &b->body_retry, &b->quota.limit,
				   &b->quota.window, &b->quota.remaining, &b->quota.used,
				   &b->quota.reset};
	if (a->status != b->status || a->status < 0 || a->status > 999 ||
	    strcmp(a->resource, b->resource) || strcmp(a->policy, b->policy))
		abort();
	for (size_t i = 0; i < sizeof fa / sizeof fa[0]; i++)
		check_field(fa[i], fb[i]);
}

static void check_delay(const pt_rl_result *r, int64_t now_ms)
{
	const pt_rl_field *from;
	int64_t d = pt_rl_asked_delay(r, now_ms, &from);
	if (d < -1 || (d == -1) != (from == NULL))
		abort();
	if (pt_rl_is_limited(r) && r->status != 429 && r->status != 503 &&
	    !(r->quota.remaining.present && r->quota.remaining.value == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pt_rl_result whole, bytes, chunks;
	int64_t at;
	if (size > 64 * 1024)
		return 0;
	size_t chunk = size ? (size_t)data[0] % 61 + 2 : 1;
	parse(data, size, size ? size : 1, NOW, &whole);
	parse(data, size, 1, NOW, &bytes);
	parse(data, size, chunk, NOW, &chunks);
	check_same(&whole, &bytes);
	check_same(&whole, &chunks);
	check_delay(&whole, NOW);
	/* Clocks at the ends of the range saturate instead of overflowing. */
	parse(data, size, chunk, INT64_MAX, &chunks);
	check_delay(&chunks, INT64_MIN);
	parse(data, size, chunk, INT64_MIN, &chunks);
	check_delay(&chunks, INT64_MAX);
	if (pt_rl_http_date_parse((const char *)data, size, NOW, &at) == PT_OK &&
	    (at < -(int64_t)62135596800000 || at > (int64_t)253402300800000))
		abort(); /* outside years 1 to 9999 */
	return 0;
}
