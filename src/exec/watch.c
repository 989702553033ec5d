#define PCRE2_CODE_UNIT_WIDTH 8
#include "exec/watch.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/clock.h"

struct pt_pattern {
	pcre2_code *code;
	pcre2_match_data *match;
};

static void pattern_free(pt_pattern *p)
{
	if (!p)
		return;
	pcre2_match_data_free(p->match);
	pcre2_code_free(p->code);
	free(p);
}

static pt_pattern *pattern_compile(const char *what, const char *re, bool caseless, char *err,
				   size_t err_len)
{
	int code;
	PCRE2_SIZE offset;
	uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (caseless ? PCRE2_CASELESS : 0);
	pt_pattern *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	p->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, options, &code, &offset, NULL);
	if (!p->code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, err_len, "%s \"%s\": invalid regular expression at offset %zu: %s",
			 what, re, (size_t)offset, (char *)msg);
		free(p);
		return NULL;
	}
	/* JIT makes matching every line of a chatty command cheap; optional. */
	pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
	p->match = pcre2_match_data_create_from_pattern(p->code, NULL);
	if (!p->match) {
		snprintf(err, err_len, "out of memory");
		pattern_free(p);
		return NULL;
	}
	return p;
}

static bool pattern_matches(pt_pattern *p, const char *s, size_t len)
{
	return p && pcre2_match(p->code, (PCRE2_SPTR)s, len, 0, 0, p->match, NULL) >= 0;
}

int pt_watch_init(pt_watch *w, const char *success_re, const char *failure_re,
		  bool caseless, char *err, size_t err_len)
{
	memset(w, 0, sizeof *w);
	if (success_re && !(w->success = pattern_compile("success pattern", success_re, caseless, err, err_len)))
		return -1;
	if (failure_re && !(w->failure = pattern_compile("failure pattern", failure_re, caseless, err, err_len))) {
		pt_watch_release(w);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (!(w->streams[i].data = malloc(PT_WATCH_LINE_MAX))) {
			snprintf(err, err_len, "out of memory");
			pt_watch_release(w);
			return -1;
		}
	}
	return 0;
}

void pt_watch_release(pt_watch *w)
{
	pattern_free(w->success);
	pattern_free(w->failure);
	for (int i = 0; i < 2; i++) {
		free(w->streams[i].data);
		free(w->headers[i]);
	}
	memset(w, 0, sizeof *w);
}

int pt_watch_read_headers(pt_watch *w)
{
	for (int i = 0; i < 2; i++) {
		if (!w->headers[i] && !(w->headers[i] = malloc(sizeof *w->headers[i])))
			return -1;
		pt_rl_parser_init(w->headers[i]);
	}
	return 0;
}

static bool says_anything(const pt_rl_result *r)
{
	const pt_rl_quota *q = &r->quota;
	return r->status || r->retry_after.present || r->body_retry.present ||
	       q->limit.present || q->remaining.present || q->reset.present;
}

bool pt_watch_headers(const pt_watch *w, pt_rl_result *out)
{
	for (int i = 0; i < 2; i++) {
		if (!w->headers[i])
			return false;
		pt_rl_parser_result(w->headers[i], out);
		if (says_anything(out))
			return true;
	}
	return false;
}

void pt_watch_reset(pt_watch *w)
{
	w->streams[0].len = w->streams[1].len = 0;
	w->verdict = PT_VERDICT_NONE;
	for (int i = 0; i < 2; i++)
		if (w->headers[i])
			pt_rl_parser_init(w->headers[i]);
}

static void match_line(pt_watch *w, const char *line, size_t len)
{
	if (w->verdict == PT_VERDICT_FAILURE)
		return;
	if (pattern_matches(w->failure, line, len))
		w->verdict = PT_VERDICT_FAILURE;
	else if (w->verdict == PT_VERDICT_NONE && pattern_matches(w->success, line, len))
		w->verdict = PT_VERDICT_SUCCESS;
}

static void flush_line(pt_watch *w, pt_line_buffer *b)
{
	match_line(w, b->data, b->len);
	b->len = 0;
}

void pt_watch_feed(pt_watch *w, int stream, const char *data, size_t len)
{
	pt_line_buffer *b = &w->streams[stream];
	if (w->headers[stream]) /* real time: a Retry-After of 10 counts from now */
		pt_rl_parser_feed(w->headers[stream], data, len, pt_realtime_ms());
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room = PT_WATCH_LINE_MAX - b->len;
		if (take > room)
			take = room;
		memcpy(b->data + b->len, data, take);
		b->len += take;
		data += take;
		len -= take;
		if (len > 0 && *data == '\n') {
			data++;
			len--;
			flush_line(w, b);
		} else if (b->len == PT_WATCH_LINE_MAX) {
			flush_line(w, b);
		}
	}
}

void pt_watch_finish(pt_watch *w)
{
	for (int i = 0; i < 2; i++) {
		if (w->streams[i].len > 0)
			flush_line(w, &w->streams[i]);
		if (w->headers[i])
			pt_rl_parser_finish(w->headers[i], pt_realtime_ms());
	}
}
