#include "exec/relay.h"

#include <errno.h>
#include <unistd.h>

void pt_relay_init(pt_relay *r, int from, int to, int stream)
{
	r->from = from;
	r->to = to;
	r->stream = stream;
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

static void fill(pt_relay *r, pt_watch *watch, bool draining)
{
	ssize_t n;
	do
		n = read(r->from, r->buf, sizeof r->buf);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		r->len = (size_t)n;
		r->off = 0;
		if (watch)
			pt_watch_feed(watch, r->stream, r->buf, (size_t)n);
	} else if (n == 0 || errno != EAGAIN || draining) {
		close_source(r);
	}
}

static void flush(pt_relay *r)
{
	ssize_t n = write(r->to, r->buf + r->off, r->len - r->off);
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
