/* Watching a command's output for --success-pattern / --failure-pattern.
 * Output is split into lines per stream (stdout and stderr separately, so
 * interleaving cannot glue two halves together); each complete line, and the
 * last partial one at end of output, is matched with PCRE2. Lines longer than
 * PT_WATCH_LINE_MAX are matched in pieces of that size.
 *
 * With pt_watch_read_headers(), the same output is also read for the rate
 * limits a service announces (patience/ratelimit_headers.h), one parser per
 * stream: `curl -i` puts headers on stdout, `curl -v` on stderr. */
#ifndef PT_EXEC_WATCH_H
#define PT_EXEC_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "patience/ratelimit_headers.h"

#define PT_WATCH_LINE_MAX 65536

typedef enum pt_verdict {
	PT_VERDICT_NONE,    /* no pattern matched: the exit code decides */
	PT_VERDICT_SUCCESS, /* --success-pattern matched */
	PT_VERDICT_FAILURE, /* --failure-pattern matched: stop retrying */
} pt_verdict;

typedef struct pt_pattern pt_pattern;

typedef struct pt_line_buffer {
	char *data; /* PT_WATCH_LINE_MAX bytes, owned */
	size_t len;
} pt_line_buffer;

typedef struct pt_watch {
	pt_pattern *success; /* owned, NULL when not given */
	pt_pattern *failure;
	pt_line_buffer streams[2]; /* 0: stdout, 1: stderr */
	pt_verdict verdict;        /* failure outranks success */
	pt_rl_parser *headers[2];  /* owned; NULL unless pt_watch_read_headers() */
} pt_watch;

/* Compile the patterns (either may be NULL). On a bad pattern returns -1 and
 * writes "success pattern \"(\": invalid regular expression at offset 1: ..."
 * to err. */
int pt_watch_init(pt_watch *w, const char *success_re, const char *failure_re,
		  bool caseless, char *err, size_t err_len);
void pt_watch_release(pt_watch *w);
/* Also read the output for rate-limit headers. Returns 0, or -1 when out
 * of memory. */
int pt_watch_read_headers(pt_watch *w);
/* What the last attempt's output said about rate limits: stdout's headers,
 * or stderr's when stdout had none. False when neither told anything (or
 * headers are not read). */
bool pt_watch_headers(const pt_watch *w, pt_rl_result *out);
/* Forget the previous attempt's lines and verdict. */
void pt_watch_reset(pt_watch *w);
/* Feed bytes read from stream 0 (stdout) or 1 (stderr). */
void pt_watch_feed(pt_watch *w, int stream, const char *data, size_t len);
/* End of output: match whatever partial lines remain. */
void pt_watch_finish(pt_watch *w);

#endif
