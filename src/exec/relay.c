#include "exec/relay.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void pt_relay_init(pt_relay *r, int from, int to, int stream, const char *prefix)
{
	r->from = from;
	r->to = to;
	r->stream = stream;
	r->prefix = prefix;
	r->prefix_len = prefix ? strlen(prefix) : 0;
	r->at_line_start = true;
	r->len = r->off = 0;
}

bool pt_relay_active(const pt_relay *r)
{
	return r->from >= 0 || r->off < r->len;
}

struct pollfd pt_relay_pollfd(const pt_relay *r)
{
	if (r->off < r->len)
		return (struct pollfd){.fd = r->to, .events = POLLOUT};
	return (struct pollfd){.fd = r->from, .events = POLLIN};
}

static void close_source(pt_relay *r)
{
	if (r->from >= 0)
		close(r->from);
	r->from = -1;
}

void pt_relay_close(pt_relay *r)
{
	close_source(r);
	r->len = r->off = 0;
}

/* The n bytes just read sit at the end of buf: copy them to its start with
 * the prefix before every line. Reading at most PT_RELAY_CHUNK / (prefix
 * + 1) bytes keeps the result within PT_RELAY_CHUNK + prefix. */
static size_t add_prefixes(pt_relay *r, const char *raw, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (r->at_line_start) {
			memcpy(r->buf + out, r->prefix, r->prefix_len);
			out += r->prefix_len;
		}
		r->buf[out++] = raw[i];
		r->at_line_start = raw[i] == '\n';
	}
	return out;
}

static void fill(pt_relay *r, pt_watch *watch, bool draining)
{
	ssize_t n;
	size_t want = r->prefix ? PT_RELAY_CHUNK / (r->prefix_len + 1) : PT_RELAY_CHUNK;
	char *at = r->prefix ? r->buf + sizeof r->buf - want : r->buf;
	do
		n = read(r->from, at, want ? want : 1);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (watch)
			pt_watch_feed(watch, r->stream, at, (size_t)n);
		r->len = r->prefix ? add_prefixes(r, at, (size_t)n) : (size_t)n;
		r->off = 0;
	} else if (n == 0 || errno != EAGAIN || draining) {
		close_source(r);
	}
}

static void flush(pt_relay *r)
{
	size_t left = r->len - r->off; /* a pipe that polls writable takes a chunk */
	ssize_t n = write(r->to, r->buf + r->off, left < PT_RELAY_CHUNK ? left : PT_RELAY_CHUNK);
	if (n > 0) {
		r->off += (size_t)n;
	} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
		/* Our reader went away: let the command meet a broken pipe too. */
		pt_relay_close(r);
	}
}

void pt_relay_step(pt_relay *r, short revents, pt_watch *watch, bool draining)
{
	if (r->off < r->len) {
		if (revents)
			flush(r);
	} else if (r->from >= 0 && (revents || draining)) {
		fill(r, watch, draining);
	}
}
