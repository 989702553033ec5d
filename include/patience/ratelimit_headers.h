/* Rate limits as services announce them, read from a command's output as it
 * streams: `curl -i` or `curl -D -` output, possibly several responses
 * (redirects, retries; the last one wins), CRLF or LF line ends, and curl
 * -v's "< " before each response header line.
 *
 * Recognized: the status line; Retry-After (delay-seconds and the three
 * HTTP-date forms of RFC 9110); X-RateLimit-* (GitHub) and x-rate-limit-*
 * (X/Twitter); the IETF draft's RateLimit and RateLimit-Policy structured
 * fields (draft-ietf-httpapi-ratelimit-headers-11, and the older
 * RateLimit-Limit/-Remaining/-Reset and `RateLimit: limit=, remaining=,
 * reset=` forms); and in body lines a JSON "retry_after",
 * "retry_after_seconds", "retryAfter", "retryAfterSeconds" or "retry_in"
 * number of seconds.
 *
 * Pure: no allocation, no global state, no clock and no time zone. The
 * caller passes "now" (CLOCK_REALTIME epoch ms) with the bytes, because a
 * delay in seconds counts from when it was read. */
#ifndef PATIENCE_RATELIMIT_HEADERS_H
#define PATIENCE_RATELIMIT_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer lines are skipped (headers), or scanned only as far as this
 * (body lines, for the JSON keys). */
#define PT_RL_LINE_MAX 8192
#define PT_RL_NAME_MAX 64  /* resource and policy names, truncated */
#define PT_RL_TEXT_MAX 64  /* a value as read, for messages, truncated */
#define PT_RL_POLICIES 8   /* RateLimit-Policy members kept per response */

/* How a time value was read. Reset values are told apart by size: above
 * 10^12 epoch milliseconds, above 10^9 (after 2001) epoch seconds, else
 * seconds from now. */
typedef enum pt_rl_time_kind {
	PT_RL_TIME_NONE,
	PT_RL_TIME_DELTA_SECONDS, /* "12": seconds from when it was read */
	PT_RL_TIME_EPOCH_SECONDS, /* "1700000000" */
	PT_RL_TIME_EPOCH_MS,      /* "1700000000000" */
	PT_RL_TIME_HTTP_DATE,     /* "Sun, 06 Nov 1994 08:49:37 GMT" */
} pt_rl_time_kind;

/* "delta seconds", "epoch seconds", "epoch milliseconds", "an HTTP date";
 * "nothing" for PT_RL_TIME_NONE. Never NULL. */
const char *pt_rl_time_kind_name(pt_rl_time_kind k);

/* One learned value and where it came from, for diagnostics. */
typedef struct pt_rl_field {
	bool present;
	int64_t value;          /* a count, ms (window), or epoch ms (times) */
	pt_rl_time_kind kind;   /* times only; PT_RL_TIME_NONE otherwise */
	int64_t read_ms;        /* times only: the now_ms it was read at */
	char header[PT_RL_TEXT_MAX]; /* "X-RateLimit-Reset" as sent, "body retry_after" */
	char text[PT_RL_TEXT_MAX];   /* the value as sent ("1700000000") */
} pt_rl_field;

/* A quota: what one family of headers says, or the merged result. */
typedef struct pt_rl_quota {
	pt_rl_field limit;     /* requests per window */
	pt_rl_field window;    /* window in ms (draft `w`, RateLimit-Limit's w=) */
	pt_rl_field remaining; /* requests left in this window */
	pt_rl_field used;      /* requests used (X-RateLimit-Used) */
	pt_rl_field reset;     /* epoch ms when the quota refills */
} pt_rl_quota;

/* What the last response said. Each quota field comes from the first of:
 * the draft RateLimit/RateLimit-Policy fields, the older RateLimit-*
 * headers, X-RateLimit-* / x-rate-limit-*. */
typedef struct pt_rl_result {
	int status;              /* the last status line's code; 0: none seen */
	pt_rl_field retry_after; /* Retry-After: epoch ms the service allows again */
	pt_rl_field body_retry;  /* a JSON body's retry_after...: epoch ms */
	pt_rl_quota quota;
	char resource[PT_RL_NAME_MAX]; /* X-RateLimit-Resource ("core"); "" */
	char policy[PT_RL_NAME_MAX];   /* the draft policy the quota is of; "" */
} pt_rl_result;

/* A draft RateLimit-Policy member. */
typedef struct pt_rl_policy {
	char name[PT_RL_NAME_MAX];
	int64_t quota;     /* -1: not given */
	int64_t window_ms; /* -1: not given */
	char text[PT_RL_TEXT_MAX];
} pt_rl_policy;

/* The parser: bounded state, caller-owned (about 12 KiB; fine on a stack).
 * Its fields are private; read them through pt_rl_parser_result(). */
typedef struct pt_rl_parser {
	char line[PT_RL_LINE_MAX];
	size_t len;
	bool overlong;           /* the line being read passed PT_RL_LINE_MAX */
	/* From here on: the current response, cleared by its status line. */
	int section;             /* before any status line, headers, body */
	int status;
	pt_rl_field retry_after, body_retry;
	pt_rl_quota x;           /* X-RateLimit-*, x-rate-limit-* */
	pt_rl_quota older;       /* RateLimit-Limit/-Remaining/-Reset, dictionary RateLimit */
	pt_rl_quota draft_item;  /* the binding RateLimit member: remaining, reset */
	char item_name[PT_RL_NAME_MAX];
	pt_rl_policy policies[PT_RL_POLICIES];
	size_t n_policies;
	char resource[PT_RL_NAME_MAX];
} pt_rl_parser;

void pt_rl_parser_init(pt_rl_parser *p);
/* Feed the next len bytes of output; lines may be split anywhere between
 * calls. now_ms: the current epoch ms, for values in seconds from now. */
void pt_rl_parser_feed(pt_rl_parser *p, const char *data, size_t len, int64_t now_ms);
/* End of output: the last line, if it had no newline, counts too. */
void pt_rl_parser_finish(pt_rl_parser *p, int64_t now_ms);
/* What the complete lines fed so far say. May be called at any time. */
void pt_rl_parser_result(const pt_rl_parser *p, pt_rl_result *out);

/* The delay the service asks for, in ms after now_ms and never negative;
 * -1 when it asked nothing. The first of: Retry-After; the quota's reset
 * when the quota is spent (remaining 0, or no remaining and status 429 or
 * 503); the JSON body's retry_after. *from (may be NULL) gets the field
 * that said it, or NULL. */
int64_t pt_rl_asked_delay(const pt_rl_result *r, int64_t now_ms, const pt_rl_field **from);

/* Did the response say it was rate limited: status 429 or 503, or a
 * remaining count of 0? */
bool pt_rl_is_limited(const pt_rl_result *r);

/* "Retry-After: 12", "X-RateLimit-Reset: 1700000000 read as epoch seconds"
 * into buf; "" when f is not present. Returns the length it wanted, as
 * snprintf. */
int pt_rl_field_describe(const pt_rl_field *f, char *buf, size_t len);

/* Parse an HTTP-date (IMF-fixdate, RFC 850 or asctime form) of len bytes
 * to epoch ms, without the process time zone. now_ms places RFC 850's
 * two-digit year: at most 50 years ahead of now. Returns PT_OK or
 * PT_EINVAL. */
int pt_rl_http_date_parse(const char *s, size_t len, int64_t now_ms, int64_t *epoch_ms);

#endif
