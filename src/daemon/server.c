/* The daemon's sockets: the listening socket, one bufferevent per client,
 * line framing, and the group commit.
 *
 * Framing: a request is at most PT_PROTOCOL_LINE_MAX bytes with its newline. A
 * longer one earns one line_too_long reply, and its bytes are dropped up
 * to the next newline; the connection stays.
 *
 * Group commit: a request whose reply reports a write (a grant, a limit)
 * has its reply held, and so has every later reply on that connection
 * (replies stay in order). A release's write joins the open batch without
 * starting a commit: the next grant's commit, or the 1 s tick, takes it. The first write of a batch makes the commit event active; it
 * runs at a lower priority than all I/O, so every request read in this
 * loop turn joins the batch before it commits once. Then the held replies
 * go out (a durable one becomes "internal" if the commit failed). A loop
 * that never runs dry would starve the commit, so a read callback commits
 * itself once the batch is COMMIT_MAX_DELAY_MS old.
 *
 * Bounds: max_clients connections (one more gets too_many_clients and is
 * closed); PT_OUTPUT_MAX bytes of replies a client has not read before it
 * is dropped; idle_timeout without a request closes a connection, unless
 * it holds starts still ahead or a lease (closing would release them). */
#define _GNU_SOURCE /* accept4, struct ucred */
#include "daemon/daemon.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "patience/error.h"

#define COMMIT_MAX_DELAY_MS 20
#define ACCEPT_BURST 64
#define ACCEPT_PAUSE_MS 100
#define TICK_MS 1000
#define REFUSE_LOG_EVERY_MS 1000

/* A reply is sent once nothing before it waits: not for Redis (later),
 * not for the commit of the batch holding its writes (uncommitted). */
struct pt_reply {
	pt_reply *next;
	bool durable;
	bool later;       /* its text comes from Redis */
	bool uncommitted; /* durable, and the batch has not committed yet */
	bool failed;      /* durable, and its batch failed: send "internal" */
	size_t len;       /* with the newline */
	char *text;       /* buf, or malloc'd when filled later */
	char buf[];
};

static int conn_finish(pt_conn *c);

/* ---- committing ---- */

static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pt_server_commit(arg);
}

/* After a commit's replies have gone out: the fsync of a checkpoint then
 * delays no reply that was ready. */
static void on_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)fd;
	(void)what;
	if (pt_store_checkpoint(d->store) != PT_OK)
		pt_log(PT_LOG_WARN, "state \"%s\": checkpoint failed", d->opt.state_path);
}

void pt_server_wrote(pt_daemon *d)
{
	if (!pt_registry_dirty(&d->reg) || d->commit_pending || !d->commit_ev)
		return;
	d->commit_pending = true;
	d->batch_since_ms = pt_daemon_mono_ms();
	event_active(d->commit_ev, EV_TIMEOUT, 1);
}

static void commit_if_late(pt_daemon *d)
{
	if (d->commit_pending && pt_daemon_mono_ms() - d->batch_since_ms >= COMMIT_MAX_DELAY_MS)
		pt_server_commit(d);
}

/* ---- one connection ---- */

static size_t conn_unsent(const pt_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) + c->held_bytes;
}

static void reply_free(pt_reply *r)
{
	if (r->text != r->buf)
		free(r->text);
	free(r);
}

void pt_server_held_free(pt_conn *c)
{
	for (pt_reply *r = c->held_first, *next; r; r = next) {
		next = r->next;
		reply_free(r);
	}
	c->held_first = c->held_last = NULL;
	c->held_bytes = 0;
}

static void held_link(pt_daemon *d, pt_conn *c)
{
	if (!c->in_held) {
		c->in_held = true;
		c->held_next = d->held;
		d->held = c;
	}
}

static void held_unlink(pt_daemon *d, pt_conn *c)
{
	if (!c->in_held)
		return;
	for (pt_conn **p = &d->held; *p; p = &(*p)->held_next) {
		if (*p == c) {
			*p = c->held_next;
			break;
		}
	}
	c->in_held = false;
	c->held_next = NULL;
}

/* Frees c. Its reservations' future starts are released, unless the daemon
 * is stopping: then they stay for the next daemon. */
static void conn_close(pt_conn *c)
{
	pt_daemon *d = c->d;
	if (d->stopping) {
		pt_registry_owner_detach(&d->reg, &c->owner);
	} else {
		size_t n = pt_registry_owner_close(&d->reg, &c->owner, pt_daemon_now_ms());
		if (n)
			pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u) closed: released %zu "
			       "starts", c->id, c->uid, n);
		pt_server_wrote(d);
		pt_queue_kick(d);
	}
	pt_queue_drop_conn(d, c);
	pt_breaker_permits_close(&c->permits);
	pt_lease_conn_close(d, c);
	pt_exec_client_close(&d->execs, &c->exec);
	for (pt_pending *p = c->pending; p; p = p->conn_next)
		p->conn = NULL; /* Redis's answer finds no one */
	held_unlink(d, c);
	pt_server_held_free(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->n_conns--;
	bufferevent_free(c->bev);
	free(c);
}

/* 0, or -1 after dropping a client that does not read its replies: more
 * than PT_OUTPUT_MAX bytes wait, and some were waiting before (had_unsent)
 * the last reply, so that one large reply alone never counts. */
static int conn_check_bound(pt_conn *c, size_t had_unsent)
{
	if (conn_unsent(c) <= PT_OUTPUT_MAX || had_unsent == 0)
		return 0;
	pt_log(PT_LOG_WARN, "client %" PRIu64 " (uid %u, pid %ld) does not read its replies: "
	       "dropped", c->id, c->uid, (long)c->pid);
	conn_close(c);
	return -1;
}

/* Sends the pieces at once when nothing waits before them, so that most
 * replies cost one sendmsg and no change to the write event; what the socket
 * does not take now waits in the bufferevent. 0, or -1 (out of memory). */
static int conn_emit(pt_conn *c, struct iovec *iov, int n)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t sent = 0;
	if (evbuffer_get_length(out) == 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(bufferevent_getfd(c->bev), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		sent = w > 0 ? (size_t)w : 0; /* errors: the bufferevent will meet them */
	}
	for (int i = 0; i < n; i++) {
		size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
		sent -= skip;
		if (skip < iov[i].iov_len &&
		    evbuffer_add(out, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip) != 0)
			return -1;
	}
	return 0;
}

static int conn_write(pt_conn *c, const char *text, size_t len)
{
	struct iovec iov[] = {{(void *)text, len}, {"\n", 1}};
	if (conn_emit(c, iov, 2) == 0)
		return 0;
	pt_log(PT_LOG_ERROR, "client %" PRIu64 ": out of memory for a reply: dropped", c->id);
	conn_close(c);
	return -1;
}

static pt_reply *reply_append(pt_conn *c, size_t size)
{
	pt_reply *r = calloc(1, sizeof *r + size);
	if (!r)
		return NULL;
	r->text = r->buf;
	if (c->held_last)
		c->held_last->next = r;
	else
		c->held_first = r;
	c->held_last = r;
	return r;
}

/* Holds a reply until what is before it (and, durable, the commit) is done. */
static int conn_hold(pt_conn *c, const char *text, size_t len, bool durable)
{
	pt_reply *r = reply_append(c, len + 1);
	if (!r) {
		pt_log(PT_LOG_ERROR, "client %" PRIu64 ": out of memory for a reply: dropped", c->id);
		conn_close(c);
		return -1;
	}
	r->durable = r->uncommitted = durable;
	r->len = len + 1;
	memcpy(r->text, text, len);
	r->text[len] = '\n';
	c->held_bytes += r->len;
	if (durable)
		held_link(c->d, c);
	return 0;
}

pt_reply *pt_server_hold_later(pt_conn *c)
{
	pt_reply *r = reply_append(c, 0);
	if (r)
		r->later = true;
	return r;
}

/* Sends a reply, or holds it. 0, or -1 when c was closed. */
static int conn_send(pt_conn *c, const char *text, bool hold, bool durable)
{
	size_t len = strlen(text), had = conn_unsent(c);
	int rc = hold ? conn_hold(c, text, len, durable) : conn_write(c, text, len);
	return rc < 0 ? rc : conn_check_bound(c, had);
}

/* Sends the held replies that wait for nothing any more. */
static int conn_flush_held(pt_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t had = evbuffer_get_length(out);
	int rc = 0;
	pt_reply *r;
	while (rc == 0 && (r = c->held_first) && !r->later && !r->uncommitted) {
		struct iovec internal[] = {{(void *)pt_protocol_internal_reply,
					    strlen(pt_protocol_internal_reply)}, {"\n", 1}};
		struct iovec text = {r->text, r->len};
		rc = r->failed ? conn_emit(c, internal, 2) : conn_emit(c, &text, 1);
		c->held_first = r->next;
		c->held_bytes -= r->len;
		reply_free(r);
	}
	if (!c->held_first)
		c->held_last = NULL;
	if (rc != 0) {
		pt_log(PT_LOG_ERROR, "client %" PRIu64 ": out of memory for a reply: dropped", c->id);
		conn_close(c);
		return -1;
	}
	if (conn_check_bound(c, had) < 0)
		return -1;
	return conn_finish(c);
}

void pt_server_commit(pt_daemon *d)
{
	bool dirty = pt_registry_dirty(&d->reg);
	int rc = pt_registry_commit(&d->reg);
	size_t clients = 0;
	d->commit_pending = false;
	if (rc != PT_OK)
		pt_log(PT_LOG_ERROR, "state \"%s\": commit failed: its grants were taken back and "
		       "answered \"internal\"", d->opt.state_path);
	while (d->held) {
		pt_conn *c = d->held;
		d->held = c->held_next;
		c->held_next = NULL;
		c->in_held = false;
		clients++;
		for (pt_reply *r = c->held_first; r; r = r->next) {
			if (r->uncommitted)
				r->failed = rc != PT_OK;
			r->uncommitted = false;
		}
		conn_flush_held(c);
	}
	if (d->store && pt_store_wal_full(d->store))
		event_active(d->checkpoint_ev, EV_TIMEOUT, 1);
	if (dirty && clients && pt_log_enabled(PT_LOG_DEBUG))
		pt_log(PT_LOG_DEBUG, "batch committed after %" PRId64 " ms; replies sent to %zu "
		       "clients", pt_daemon_mono_ms() - d->batch_since_ms, clients);
}

void pt_server_fill(pt_conn *c, pt_reply *r, const char *text, bool durable)
{
	size_t len = strlen(text), had = conn_unsent(c);
	char *copy = malloc(len + 1);
	if (!copy) {
		pt_log(PT_LOG_ERROR, "client %" PRIu64 ": out of memory for a reply: dropped", c->id);
		conn_close(c);
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\n';
	r->text = copy;
	r->len = len + 1;
	r->later = false;
	r->durable = r->uncommitted = durable;
	c->held_bytes += r->len;
	if (durable) {
		held_link(c->d, c);
		pt_server_wrote(c->d);
	} else if (conn_check_bound(c, had) == 0) {
		conn_flush_held(c);
	}
}

/* A client that sends no more is closed once it has every reply. */
static int conn_finish(pt_conn *c)
{
	if (!c->eof || c->held_first || evbuffer_get_length(bufferevent_get_output(c->bev)))
		return 0;
	conn_close(c);
	return -1;
}

/* Answers one request line (without its newline). */
static int conn_line(pt_conn *c, const char *line, size_t len)
{
	pt_daemon *d = c->d;
	uint64_t writes = d->reg.writes;
	bool durable;
	char *reply = pt_protocol_answer(d, c, line, len, pt_daemon_now_ms(), &durable);
	bool wrote = d->reg.writes != writes && pt_registry_dirty(&d->reg);
	/* Only a grant or a limit waits for a commit. A release's write joins
	 * the next one (another grant's, or the tick's): lost with a crash, it
	 * only leaves its starts reserved until their ttl. */
	bool must_wait = durable && wrote;
	if (must_wait)
		pt_server_wrote(d);
	if (reply == pt_protocol_later)
		return 0; /* its place is held; Redis fills it */
	int rc = conn_send(c, reply ? reply : pt_protocol_internal_reply,
			   must_wait || c->held_first, must_wait);
	free(reply);
	return rc;
}

static int conn_too_long(pt_conn *c)
{
	char *reply = pt_protocol_error(PT_ERR_LINE_TOO_LONG, "a request is at most 65536 bytes "
					"with its newline; skipped to the next newline");
	int rc = conn_send(c, reply ? reply : pt_protocol_internal_reply, c->held_first != NULL,
			   false);
	free(reply);
	return rc;
}

/* Answers every complete line in c's input. 0, or -1 when c was closed. */
static int conn_take_lines(pt_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail;
	while ((avail = evbuffer_get_length(in)) > 0) {
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (c->skipping) {
			evbuffer_drain(in, eol.pos < 0 ? avail : (size_t)eol.pos + 1);
			c->skipping = eol.pos < 0;
			continue;
		}
		if (eol.pos < 0 && avail < PT_PROTOCOL_LINE_MAX)
			return 0; /* wait for the rest of the line */
		if (eol.pos < 0 || (size_t)eol.pos + 1 > PT_PROTOCOL_LINE_MAX) {
			c->skipping = true;
			if (conn_too_long(c) < 0)
				return -1;
			continue;
		}
		evbuffer_remove(in, c->d->line, (size_t)eol.pos + 1);
		if (conn_line(c, c->d->line, (size_t)eol.pos) < 0)
			return -1;
	}
	return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	pt_conn *c = arg;
	pt_daemon *d = c->d;
	(void)bev;
	conn_take_lines(c); /* may free c */
	commit_if_late(d);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_finish(arg);
}

/* Closed, not just shut for writing (POLLHUP: both directions are shut). */
static bool peer_gone(int fd)
{
	struct pollfd p = {.fd = fd};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* The client shut its side: answer a last line without newline, then
 * close once the replies are out. */
static void conn_eof(pt_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in);
	bool waits = pt_lease_owner_waits(&c->leases) || pt_queue_holds(c);
	if (waits && peer_gone(bufferevent_getfd(c->bev))) {
		conn_close(c); /* a waiter that went away leaves its queue */
		return;
	}
	c->eof = true;
	bufferevent_disable(c->bev, EV_READ);
	if (n > 0 && !c->skipping && n < PT_PROTOCOL_LINE_MAX) {
		evbuffer_remove(in, c->d->line, n);
		if (conn_line(c, c->d->line, n) < 0)
			return;
	}
	evbuffer_drain(in, evbuffer_get_length(in));
	conn_finish(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	pt_conn *c = arg;
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    (c->held_first || c->leases.first ||
	     pt_registry_owner_holds(&c->owner, pt_daemon_now_ms()))) {
		bufferevent_enable(bev, EV_READ); /* waiting for its starts is not idling */
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): %s, closed", c->id, c->uid,
		       what & BEV_EVENT_WRITING ? "not reading its replies" : "idle");
	else if (what & BEV_EVENT_EOF) {
		conn_eof(c);
		return;
	} else if (what & BEV_EVENT_ERROR)
		pt_log(PT_LOG_DEBUG, "client %" PRIu64 " (uid %u): %s", c->id, c->uid,
		       strerror(EVUTIL_SOCKET_ERROR()));
	conn_close(c);
}

/* ---- accepting ---- */

static void refuse(pt_daemon *d, int fd)
{
	char *reply = pt_protocol_error(PT_ERR_TOO_MANY_CLIENTS, "the daemon serves at most "
					"max_clients connections; try again later");
	int64_t now = pt_daemon_mono_ms();
	if (reply && send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		(void)send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(reply);
	close(fd);
	if (now - d->refused_logged_ms >= REFUSE_LOG_EVERY_MS) {
		d->refused_logged_ms = now;
		pt_log(PT_LOG_WARN, "%zu clients: refusing more (max_clients %" PRId64 ")",
		       d->n_conns, d->opt.max_clients);
	}
}

static void conn_open(pt_daemon *d, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	pt_conn *c;
	if (d->n_conns >= (size_t)d->opt.max_clients) {
		refuse(d, fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    !(c = calloc(1, sizeof *c))) {
		pt_log(PT_LOG_WARN, "cannot take a client: %s", strerror(errno));
		close(fd);
		return;
	}
	if (!(c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		pt_log(PT_LOG_WARN, "cannot take a client: out of memory");
		free(c);
		close(fd);
		return;
	}
	c->d = d;
	c->id = ++d->next_conn_id;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->leases.pid = cred.pid;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, d->idle_tv, d->idle_tv);
	bufferevent_enable(c->bev, EV_READ);
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->n_conns++;
	pt_log(PT_LOG_DEBUG, "client %" PRIu64 " connected: uid %u, pid %ld", c->id, c->uid,
	       (long)c->pid);
}

/* Out of descriptors: stop accepting for a moment rather than spin. */
static void pause_accepting(pt_daemon *d, int err)
{
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	if (!d->accept_starved) /* once per shortage, not every pause */
		pt_log(PT_LOG_WARN, "accept: %s (%zu clients); pausing until a descriptor is "
		       "free", strerror(err), d->n_conns);
	d->accept_starved = true;
	event_del(d->listen_ev);
	evtimer_add(d->accept_retry_ev, &tv);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)what;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			d->accept_starved = false;
			conn_open(d, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_accepting(d, errno);
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			pt_log(PT_LOG_WARN, "accept: %s", strerror(errno));
		return;
	}
}

static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)fd;
	(void)what;
	if (!d->stopping)
		event_add(d->listen_ev, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)fd;
	(void)what;
	if (d->store)
		on_checkpoint(-1, 0, d);
	pt_registry_expire(&d->reg, pt_daemon_now_ms());
	pt_learn_expire(&d->reg, pt_daemon_now_ms());
	pt_exec_history_prune(&d->execs, &d->reg, pt_daemon_now_ms());
	pt_lease_tick(d);
	pt_server_wrote(d);
	pt_queue_kick(d);
}

/* ---- the listening socket ---- */

/* Binds the socket path; the caller holds the pid file lock, so an
 * existing socket there is a dead daemon's. */
static int listen_socket(pt_daemon *d, char *err, size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = d->opt.socket_path;
	struct stat st;
	if (strlen(path) >= sizeof sa.sun_path)
		return snprintf(err, err_len, "socket path \"%s\" is too long (at most %zu bytes)",
				path, sizeof sa.sun_path - 1), -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return snprintf(err, err_len, "%s exists and is not a socket", path), -1;
		if (unlink(path) == 0)
			pt_log(PT_LOG_INFO, "removed the stale socket %s", path);
	}
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return snprintf(err, err_len, "socket: %s", strerror(errno)), -1;
	mode_t old = umask(0177); /* never wider than 0600 before the chmod */
	int rc = bind(d->listen_fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(path, (mode_t)d->opt.socket_mode) != 0 ||
	    listen(d->listen_fd, SOMAXCONN) != 0 || stat(path, &st) != 0)
		return snprintf(err, err_len, "%s: %s", path, strerror(errno)), -1;
	d->socket_dev = st.st_dev;
	d->socket_ino = st.st_ino;
	return 0;
}

static void remove_socket(pt_daemon *d)
{
	struct stat st;
	if (d->socket_ino && stat(d->opt.socket_path, &st) == 0 && st.st_dev == d->socket_dev &&
	    st.st_ino == d->socket_ino)
		unlink(d->opt.socket_path);
	d->socket_ino = 0;
}

int pt_server_start(pt_daemon *d, char *err, size_t err_len)
{
	struct timeval tick = {TICK_MS / 1000, 0};
	if (listen_socket(d, err, err_len) != 0)
		return -1;
	if (pt_lease_setup(d) != PT_OK)
		return snprintf(err, err_len, "cannot set up the event loop"), -1;
	d->listen_ev = event_new(d->base, d->listen_fd, EV_READ | EV_PERSIST, on_accept, d);
	d->accept_retry_ev = evtimer_new(d->base, on_accept_retry, d);
	d->commit_ev = event_new(d->base, -1, 0, on_commit, d);
	d->checkpoint_ev = event_new(d->base, -1, 0, on_checkpoint, d);
	d->tick_ev = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	if (!d->listen_ev || !d->accept_retry_ev || !d->commit_ev || !d->checkpoint_ev ||
	    !d->tick_ev || event_priority_set(d->commit_ev, PT_PRIORITY_COMMIT) != 0 ||
	    event_priority_set(d->checkpoint_ev, PT_PRIORITY_COMMIT) != 0 ||
	    event_add(d->listen_ev, NULL) != 0 || event_add(d->tick_ev, &tick) != 0)
		return snprintf(err, err_len, "cannot set up the event loop"), -1;
	if (d->opt.idle_timeout_ms > 0) {
		struct timeval idle = {(time_t)(d->opt.idle_timeout_ms / 1000),
				       (suseconds_t)(d->opt.idle_timeout_ms % 1000 * 1000)};
		d->idle_tv = event_base_init_common_timeout(d->base, &idle);
	}
	pt_server_wrote(d); /* restoring may have written */
	return 0;
}

void pt_server_stop(pt_daemon *d)
{
	d->stopping = true;
	if (d->listen_ev)
		event_del(d->listen_ev);
	if (d->accept_retry_ev)
		event_del(d->accept_retry_ev);
	if (d->tick_ev)
		event_del(d->tick_ev);
	remove_socket(d);
	pt_server_commit(d);
	while (d->conns) {
		pt_conn *c = d->conns;
		struct evbuffer *out = bufferevent_get_output(c->bev);
		if (evbuffer_get_length(out)) /* one try: the daemon is going */
			evbuffer_write(out, bufferevent_getfd(c->bev));
		conn_close(c);
	}
}

void pt_server_release(pt_daemon *d)
{
	d->stopping = true;
	while (d->conns)
		conn_close(d->conns);
	struct event **evs[] = {&d->listen_ev, &d->accept_retry_ev, &d->commit_ev,
				&d->checkpoint_ev, &d->tick_ev};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		if (*evs[i])
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	pt_lease_teardown(d);
	remove_socket(d);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	d->listen_fd = -1;
}
