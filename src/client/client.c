#include "client/client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "exec/clock.h"
#include "lib/set_error.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/version.h"
#include "proto/protocol.h"

/* Wait for events on c's fd until deadline (0: none). 1 ready, 0 timed
 * out, -1 poll failed or c->interrupted said so after a signal. POLLHUP and
 * POLLERR count as ready: the send or recv that follows reports them. */
static int wait_fd(const pt_client *c, short events, int64_t deadline)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	for (;;) {
		int64_t left = deadline ? deadline - pt_monotonic_ms() : -1;
		if (deadline && left <= 0)
			return 0;
		int n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && (errno != EINTR || (c->interrupted && c->interrupted())))
			return -1;
	}
}

void pt_client_close(pt_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

/* Every I/O failure leaves the stream out of step: drop the connection. */
static int fail_io(pt_client *c, char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	pt_client_close(c);
	return PT_EIO;
}

static int64_t deadline_of(const pt_client *c)
{
	return c->timeout_ms > 0 ? pt_monotonic_ms() + c->timeout_ms : 0;
}

/* send_all's answer when the daemon has closed its end: its last words
 * may still wait to be read. */
#define PEER_CLOSED 1

static int send_all(pt_client *c, const char *p, size_t n, int64_t deadline, char *err,
		    size_t err_len)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return PEER_CLOSED;
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return fail_io(c, err, err_len, "send to daemon: %s", strerror(errno));
		int ready = wait_fd(c, POLLOUT, deadline);
		if (ready <= 0)
			return fail_io(c, err, err_len,
				       "daemon did not read our request within %lld ms",
				       (long long)c->timeout_ms);
	}
	return PT_OK;
}

static int send_request(pt_client *c, const cJSON *request, int64_t deadline, char *err,
			size_t err_len)
{
	char *text = cJSON_PrintUnformatted(request);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	int rc = send_all(c, line, n + 1, deadline, err, err_len);
	free(line);
	return rc;
}

/* Read more reply bytes into c->buf. */
static int fill(pt_client *c, int64_t deadline, char *err, size_t err_len)
{
	if (c->len >= PT_PROTOCOL_LINE_MAX)
		return fail_io(c, err, err_len, "daemon reply longer than %d bytes",
			       PT_PROTOCOL_LINE_MAX);
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, PT_PROTOCOL_LINE_MAX - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			return PT_OK;
		}
		if (r == 0)
			return fail_io(c, err, err_len, "daemon closed the connection");
		if (errno != EAGAIN && errno != EINTR)
			return fail_io(c, err, err_len, "read from daemon: %s", strerror(errno));
		int ready = wait_fd(c, POLLIN, deadline);
		if (ready < 0)
			return fail_io(c, err, err_len, "waiting for the daemon: %s",
				       errno == EINTR ? "interrupted" : strerror(errno));
		if (ready == 0)
			return fail_io(c, err, err_len, "no reply from daemon within %lld ms",
				       (long long)c->timeout_ms);
	}
}

/* One reply line, parsed; bytes after its newline stay for the next one. */
static int read_reply(pt_client *c, cJSON **reply, int64_t deadline, char *err, size_t err_len)
{
	char *nl;
	while (!(nl = memchr(c->buf, '\n', c->len))) {
		int rc = fill(c, deadline, err, err_len);
		if (rc != PT_OK)
			return rc;
	}
	size_t n = (size_t)(nl - c->buf);
	*reply = cJSON_ParseWithLength(c->buf, n);
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	if (!cJSON_IsObject(*reply)) {
		cJSON_Delete(*reply);
		*reply = NULL;
		return fail_io(c, err, err_len, "daemon reply is not a JSON object");
	}
	return PT_OK;
}

int pt_client_request(pt_client *c, const cJSON *request, cJSON **reply, char *err,
		      size_t err_len)
{
	return pt_client_request_waiting(c, request, 0, reply, err, err_len);
}

int pt_client_request_waiting(pt_client *c, const cJSON *request, int64_t wait_ms,
			      cJSON **reply, char *err, size_t err_len)
{
	*reply = NULL;
	if (c->fd < 0)
		return fail_io(c, err, err_len, "not connected to the daemon");
	int64_t deadline = deadline_of(c);
	if (wait_ms < 0)
		deadline = 0;
	else if (deadline > 0)
		deadline += wait_ms;
	int rc = send_request(c, request, deadline, err, err_len);
	if (rc != PT_OK && rc != PEER_CLOSED)
		return rc;
	/* A daemon that closed on us may have said why first (too_many_clients). */
	return read_reply(c, reply, deadline, err, err_len);
}

/* 1 and *out when o[key] is an integer that a double holds exactly. */
static int get_int(const cJSON *o, const char *key, int64_t *out)
{
	return pt_json_read_int(cJSON_GetObjectItemCaseSensitive(o, key), out);
}


/* An error reply's code, never NULL; its message into err. */
static pt_proto_error error_code(const cJSON *reply, char *err, size_t err_len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	const char *c = cJSON_IsString(code) ? code->valuestring : "unknown";
	if (cJSON_IsString(msg))
		pt_set_error(err, err_len, "daemon: %s: %s", c, msg->valuestring);
	else
		pt_set_error(err, err_len, "daemon: %s", c);
	return pt_proto_error_parse(c);
}

/* -1 when "ok" is not a boolean: the reply does not follow the protocol. */
static int reply_ok(const cJSON *reply)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
	return cJSON_IsBool(ok) ? cJSON_IsTrue(ok) : -1;
}

static int speaks_v1(const cJSON *reply)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(reply, "versions"))
		if (cJSON_IsNumber(v) && v->valuedouble == PT_PROTOCOL_VERSION)
			return 1;
	return 0;
}

/* Closes c when err already holds the reason. */
static int drop(pt_client *c)
{
	pt_client_close(c);
	return PT_EIO;
}

static int wrong_version(pt_client *c, const char *path, char *err, size_t err_len)
{
	pt_set_error(err, err_len, "daemon on %s does not speak protocol %d", path, PT_PROTOCOL_VERSION);
	pt_client_close(c);
	return PT_EINVAL;
}

static int hello(pt_client *c, const char *path, char *err, size_t err_len)
{
	cJSON *req = pt_request_new(PT_OP_HELLO), *reply = NULL;
	char client[128];
	snprintf(client, sizeof client, "%.64s %s", c->tool ? c->tool : "patience",
		 PATIENCE_VERSION);
	if (!req || !cJSON_AddStringToObject(req, "client", client)) {
		cJSON_Delete(req);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	int rc = pt_client_request(c, req, &reply, err, err_len);
	cJSON_Delete(req);
	if (rc != PT_OK)
		return rc;
	int ok = reply_ok(reply);
	if (ok < 0)
		rc = fail_io(c, err, err_len, "daemon on %s answered hello without \"ok\"", path);
	else if (ok)
		rc = speaks_v1(reply) ? PT_OK : wrong_version(c, path, err, err_len);
	else if (error_code(reply, err, err_len) == PT_ERR_UNSUPPORTED_VERSION)
		rc = wrong_version(c, path, err, err_len);
	else
		rc = drop(c); /* e.g. too_many_clients, and the daemon hangs up */
	cJSON_Delete(reply);
	return rc;
}

static int no_daemon(pt_client *c, const char *path, char *err, size_t err_len)
{
	pt_set_error(err, err_len, "no daemon on %s", path);
	pt_client_close(c);
	return PT_ENOENT;
}

static int wait_connected(pt_client *c, const char *path, int64_t deadline, char *err,
			  size_t err_len)
{
	int so_err = 0;
	socklen_t len = sizeof so_err;
	if (wait_fd(c, POLLOUT, deadline) <= 0)
		return fail_io(c, err, err_len, "daemon on %s did not accept within %lld ms", path,
			       (long long)c->timeout_ms);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0)
		so_err = errno;
	if (so_err == ENOENT || so_err == ECONNREFUSED)
		return no_daemon(c, path, err, err_len);
	if (so_err)
		return fail_io(c, err, err_len, "connect to %s: %s", path, strerror(so_err));
	return PT_OK;
}

/* A Unix socket connects at once or refuses; a full backlog says EAGAIN
 * rather than EINPROGRESS, so retry that until the deadline. */
static int open_socket(pt_client *c, const struct sockaddr_un *sa, char *err, size_t err_len)
{
	int64_t deadline = deadline_of(c);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return fail_io(c, err, err_len, "socket: %s", strerror(errno));
	while (connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return no_daemon(c, sa->sun_path, err, err_len);
		if (errno == EINPROGRESS)
			return wait_connected(c, sa->sun_path, deadline, err, err_len);
		if (errno != EAGAIN && errno != EINTR)
			return fail_io(c, err, err_len, "connect to %s: %s", sa->sun_path,
				       strerror(errno));
		if (deadline && pt_monotonic_ms() >= deadline)
			return fail_io(c, err, err_len,
				       "daemon on %s did not accept within %lld ms", sa->sun_path,
				       (long long)c->timeout_ms);
		poll(NULL, 0, 10);
	}
	return PT_OK;
}

int pt_client_connect(pt_client *c, const char *socket_path, int64_t timeout_ms, char *err,
		      size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	*c = (pt_client){.tool = c->tool, .fd = -1, .timeout_ms = timeout_ms};
	if (strlen(socket_path) >= sizeof sa.sun_path) {
		pt_set_error(err, err_len, "socket path \"%s\" is longer than %zu bytes", socket_path,
			sizeof sa.sun_path - 1);
		return PT_EINVAL;
	}
	strcpy(sa.sun_path, socket_path);
	c->buf = malloc(PT_PROTOCOL_LINE_MAX);
	if (!c->buf)
		return fail_io(c, err, err_len, "out of memory for the daemon connection");
	int rc = open_socket(c, &sa, err, err_len);
	if (rc != PT_OK)
		return rc;
	return hello(c, socket_path, err, err_len);
}


/* Optional fields go out only when set, so the daemon's defaults apply. */
static int add_opt(cJSON *o, const char *key, int64_t v)
{
	return v == 0 || pt_json_add_int(o, key, v);
}

static int add_offsets(cJSON *o, const int64_t *offsets, size_t k)
{
	cJSON *a = k ? cJSON_AddArrayToObject(o, "offsets_ms") : NULL;
	if (k && !a)
		return 0;
	for (size_t i = 0; i < k; i++) {
		cJSON *n = pt_json_int(offsets[i]);
		if (!n)
			return 0;
		cJSON_AddItemToArray(a, n);
	}
	return 1;
}

/* "limits": [{"limit": N, "window_ms": W} or {"limit": N, "calendar": U}] */
static int add_extra(cJSON *o, const pt_limit *extra, size_t n)
{
	cJSON *array;
	if (n == 0)
		return 1;
	if (!(array = cJSON_AddArrayToObject(o, "limits")))
		return 0;
	for (size_t i = 0; i < n; i++) {
		cJSON *l = cJSON_CreateObject();
		if (!l || !cJSON_AddItemToArray(array, l) || !pt_json_add_int(l, "limit", extra[i].count))
			return 0;
		if (extra[i].calendar == PT_CALENDAR_NONE ? !pt_json_add_int(l, "window_ms", extra[i].window_ms)
		    : !cJSON_AddStringToObject(l, "calendar", pt_calendar_unit_name(extra[i].calendar)))
			return 0;
	}
	return 1;
}

static cJSON *acquire_request(const pt_acquire_req *r)
{
	cJSON *o = pt_request_new(PT_OP_ACQUIRE);
	if (o && cJSON_AddStringToObject(o, "resource", r->resource) &&
	    add_opt(o, "limit", r->limit) && add_opt(o, "window_ms", r->window_ms) &&
	    add_offsets(o, r->offsets, r->k) && add_opt(o, "not_before_ms", r->not_before_ms) &&
	    add_opt(o, "max_wait_ms", r->max_wait_ms) && add_opt(o, "ttl_ms", r->ttl_ms) &&
	    add_opt(o, "guard_ms", r->guard_ms) && add_opt(o, "burst", r->burst) &&
	    (!r->client_id || cJSON_AddStringToObject(o, "client_id", r->client_id)) &&
	    add_extra(o, r->extra, r->n_extra) && add_opt(o, "priority", r->priority) &&
	    (!r->queue || cJSON_AddBoolToObject(o, "queue", 1)) &&
	    (!r->tz || !r->n_extra || cJSON_AddStringToObject(o, "tz", r->tz)))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* What a JSON double cannot carry exactly is refused before sending. */
static int check_acquire(const pt_acquire_req *r, char *err, size_t err_len)
{
	int in_range = pt_json_exact(r->limit) && pt_json_exact(r->window_ms) &&
		       pt_json_exact(r->not_before_ms) && pt_json_exact(r->max_wait_ms) &&
		       pt_json_exact(r->ttl_ms) && pt_json_exact(r->guard_ms) && pt_json_exact(r->burst);
	for (size_t i = 0; i < r->k && r->offsets; i++)
		in_range = in_range && pt_json_exact(r->offsets[i]);
	if (!r->resource || (r->k && !r->offsets)) {
		pt_set_error(err, err_len, "acquire: no resource or no offsets");
		return PT_EINVAL;
	}
	if (!in_range) {
		pt_set_error(err, err_len, "acquire: a value is beyond 2^53 ms");
		return PT_EINVAL;
	}
	return PT_OK;
}

/* NULL, or the name of the field that is missing or not an integer. */
static const char *parse_grant(const cJSON *reply, pt_grant *g)
{
	static const char *const keys[] = {"start_ms", "now_ms", "guard_ms", "limit",
					   "window_ms"};
	int64_t *const dst[] = {&g->start_ms, &g->now_ms, &g->guard_ms, &g->limit,
				&g->window_ms};
	int64_t id;
	if (!get_int(reply, "reservation", &id) || id < 0)
		return "reservation";
	g->reservation = (uint64_t)id;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!get_int(reply, keys[i], dst[i]))
			return keys[i];
	if (!get_int(reply, "burst", &g->burst))
		g->burst = 0;
	if (!get_int(reply, "max_late_ms", &g->max_late_ms) || g->max_late_ms > g->guard_ms)
		g->max_late_ms = g->guard_ms;
	if (g->limit == 0)
		g->max_late_ms = PT_DURATION_MAX_MS; /* no limit: never too late */
	const cJSON *backend = cJSON_GetObjectItemCaseSensitive(reply, "backend");
	if (cJSON_IsString(backend))
		snprintf(g->backend, sizeof g->backend, "%s", backend->valuestring);
	return NULL;
}

/* A grant we cannot read is dropped with the connection: the daemon then
 * releases it, so it holds no capacity. */
static int acquire_outcome(pt_client *c, const cJSON *reply, pt_grant *g, char *err,
			   size_t err_len)
{
	int ok = reply_ok(reply);
	if (ok < 0)
		return fail_io(c, err, err_len, "daemon answered acquire without \"ok\"");
	if (ok) {
		const char *bad = parse_grant(reply, g);
		if (!bad)
			return PT_OK;
		memset(g, 0, sizeof *g);
		return fail_io(c, err, err_len, "daemon's grant has no integer \"%s\"", bad);
	}
	pt_proto_error code = error_code(reply, err, err_len);
	if (code == PT_ERR_INFEASIBLE)
		return PT_EINFEASIBLE;
	if (code != PT_ERR_WAIT_TOO_LONG)
		return PT_EINVAL;
	if (!get_int(reply, "start_ms", &g->start_ms))
		g->start_ms = 0;
	return PT_ERANGE;
}

int pt_client_acquire(pt_client *c, const pt_acquire_req *req, pt_grant *grant, char *err,
		      size_t err_len)
{
	cJSON *reply = NULL;
	memset(grant, 0, sizeof *grant);
	int rc = check_acquire(req, err, err_len);
	if (rc != PT_OK)
		return rc;
	cJSON *request = acquire_request(req);
	if (!request)
		return fail_io(c, err, err_len, "out of memory for a request");
	/* queued: the reply comes when our turn does, bounded only by max_wait */
	rc = pt_client_request_waiting(c, request,
				       !req->queue ? 0 : req->max_wait_ms > 0 ? req->max_wait_ms : -1,
				       &reply, err, err_len);
	cJSON_Delete(request);
	if (rc != PT_OK)
		return rc;
	rc = acquire_outcome(c, reply, grant, err, err_len);
	cJSON_Delete(reply);
	return rc;
}

/* Sends request (and frees it); PT_OK when the daemon said ok or refused
 * with the code `fine` (PT_ERR_COUNT: none); PT_EINVAL (err: why) otherwise. On
 * PT_OK with out set, *out is the reply (caller frees), else it is freed. */
static int call_reply(pt_client *c, cJSON *request, const char *op, pt_proto_error fine,
		      cJSON **out, char *err, size_t err_len)
{
	cJSON *reply = NULL;
	int rc = pt_client_request(c, request, &reply, err, err_len);
	cJSON_Delete(request);
	if (rc != PT_OK)
		return rc;
	int ok = reply_ok(reply);
	if (ok < 0)
		rc = fail_io(c, err, err_len, "daemon answered %s without \"ok\"", op);
	else if (!ok) {
		if (error_code(reply, err, err_len) != fine || fine == PT_ERR_COUNT)
			rc = PT_EINVAL;
	}
	if (rc == PT_OK && out)
		*out = reply;
	else
		cJSON_Delete(reply);
	return rc;
}

static int call(pt_client *c, cJSON *request, const char *op, pt_proto_error fine, char *err,
		size_t err_len)
{
	return call_reply(c, request, op, fine, NULL, err, err_len);
}

static cJSON *memo_request(pt_client *c, const char *resource, const char *key,
			   const char *value, char *err, size_t err_len)
{
	cJSON *request = pt_request_new(PT_OP_MEMO);
	if (!request || !cJSON_AddStringToObject(request, "resource", resource) ||
	    !cJSON_AddStringToObject(request, "key", key) ||
	    (value && !cJSON_AddStringToObject(request, "value", value))) {
		cJSON_Delete(request);
		fail_io(c, err, err_len, "out of memory for a request");
		return NULL;
	}
	return request;
}

int pt_client_memo_get(pt_client *c, const char *resource, const char *key, char *value,
		       size_t value_len, char *err, size_t err_len)
{
	cJSON *reply = NULL, *request = memo_request(c, resource, key, NULL, err, err_len);
	if (!request)
		return PT_EIO;
	int rc = call_reply(c, request, "memo", PT_ERR_COUNT, &reply, err, err_len);
	if (rc != PT_OK)
		return rc;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "value");
	if (!v)
		rc = PT_ENOENT;
	else if (!cJSON_IsString(v) || strlen(v->valuestring) >= value_len) {
		pt_set_error(err, err_len, "daemon's memo \"%s\" is not a string that fits", key);
		rc = PT_EINVAL;
	}
	else
		strcpy(value, v->valuestring);
	cJSON_Delete(reply);
	return rc;
}

int pt_client_memo_put(pt_client *c, const char *resource, const char *key, const char *value,
		       char *err, size_t err_len)
{
	cJSON *request = memo_request(c, resource, key, value, err, err_len);
	return request ? call(c, request, "memo", PT_ERR_COUNT, err, err_len) : PT_EIO;
}

int pt_client_learn(pt_client *c, const pt_learn_req *r, char *err, size_t err_len)
{
	cJSON *request = pt_request_new(PT_OP_LEARN);
	if (!pt_json_exact(r->limit) || !pt_json_exact(r->window_ms) ||
	    !pt_json_exact(r->wait_until_ms) || !pt_json_exact(r->expires_ms) ||
	    !pt_json_exact(r->fallback_limit) || !pt_json_exact(r->fallback_window_ms)) {
		cJSON_Delete(request);
		pt_set_error(err, err_len, "learn: a value is beyond 2^53");
		return PT_EINVAL;
	}
	if (!request || !cJSON_AddStringToObject(request, "resource", r->resource) ||
	    !add_opt(request, "limit", r->limit) || !add_opt(request, "window_ms", r->window_ms) ||
	    !add_opt(request, "wait_until_ms", r->wait_until_ms) ||
	    !add_opt(request, "expires_ms", r->expires_ms) ||
	    !add_opt(request, "fallback_limit", r->fallback_limit) ||
	    !add_opt(request, "fallback_window_ms", r->fallback_window_ms) ||
	    (r->from && !cJSON_AddStringToObject(request, "from", r->from))) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	return call(c, request, "learn", PT_ERR_COUNT, err, err_len);
}

int pt_client_release(pt_client *c, uint64_t reservation, int64_t from_ms, bool unused,
		      char *err, size_t err_len)
{
	cJSON *request = pt_request_new(PT_OP_RELEASE);
	if (reservation > (uint64_t)PT_PROTOCOL_INT_MAX || !pt_json_exact(from_ms)) {
		cJSON_Delete(request);
		pt_set_error(err, err_len, "release: a value is beyond 2^53");
		return PT_EINVAL;
	}
	if (!request || !pt_json_add_int(request, "reservation", (int64_t)reservation) ||
	    !add_opt(request, "from_ms", from_ms) ||
	    (unused && !cJSON_AddTrueToObject(request, "unused"))) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	return call(c, request, "release", PT_ERR_NOT_FOUND, err, err_len);
}

int pt_client_started(pt_client *c, const char *resource, uint64_t reservation,
		      int64_t at_ms, int64_t started_ms, int64_t *guard_ms, char *err,
		      size_t err_len)
{
	cJSON *reply = NULL, *request = pt_request_new(PT_OP_STARTED);
	if (reservation > (uint64_t)PT_PROTOCOL_INT_MAX || !pt_json_exact(at_ms) ||
	    !pt_json_exact(started_ms)) {
		cJSON_Delete(request);
		pt_set_error(err, err_len, "started: a value is beyond 2^53");
		return PT_EINVAL;
	}
	if (!request || !cJSON_AddStringToObject(request, "resource", resource) ||
	    !pt_json_add_int(request, "reservation", (int64_t)reservation) ||
	    !pt_json_add_int(request, "at_ms", at_ms) ||
	    !pt_json_add_int(request, "started_ms", started_ms)) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	int rc = call_reply(c, request, "started", PT_ERR_NOT_FOUND, &reply, err, err_len);
	if (rc == PT_OK && reply && !get_int(reply, "guard_ms", guard_ms))
		*guard_ms = -1; /* not_found: no guard said */
	cJSON_Delete(reply);
	return rc;
}

int pt_client_lease(pt_client *c, const char *resource, int64_t concurrency, uint64_t *lease,
		    int64_t *limit, char *err, size_t err_len)
{
	cJSON *reply = NULL, *request = pt_request_new(PT_OP_LEASE);
	int64_t id;
	if (!request || !cJSON_AddStringToObject(request, "resource", resource) ||
	    !pt_json_add_int(request, "concurrency", concurrency)) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	int rc = pt_client_request_waiting(c, request, -1, &reply, err, err_len);
	cJSON_Delete(request);
	if (rc != PT_OK)
		return rc;
	if (reply_ok(reply) == 1 && get_int(reply, "lease", &id) && id > 0 &&
	    get_int(reply, "limit", limit)) {
		*lease = (uint64_t)id;
		cJSON_Delete(reply);
		return PT_OK;
	}
	error_code(reply, err, err_len);
	cJSON_Delete(reply);
	return PT_EINVAL;
}

int pt_client_unlease(pt_client *c, uint64_t lease, char *err, size_t err_len)
{
	cJSON *request = pt_request_new(PT_OP_UNLEASE);
	if (!request || lease > (uint64_t)PT_PROTOCOL_INT_MAX ||
	    !pt_json_add_int(request, "lease", (int64_t)lease)) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	return call(c, request, "unlease", PT_ERR_COUNT, err, err_len);
}

int pt_client_ask(pt_client *c, pt_op op, cJSON **reply, char *err, size_t err_len)
{
	cJSON *request = pt_request_new(op);
	*reply = NULL;
	if (!request)
		return fail_io(c, err, err_len, "out of memory for a request");
	return call_reply(c, request, pt_op_name(op), PT_ERR_COUNT, reply, err, err_len);
}

/* What a JSON double cannot carry, or the daemon would refuse, is
 * refused before sending. */
static int check_execution(const pt_execution_report *r, char *err, size_t err_len)
{
	if (!r->resource) {
		pt_set_error(err, err_len, "executed: no resource");
		return PT_EINVAL;
	}
	if (r->started_ms < 0 || r->duration_ms < 0 || !pt_json_exact(r->started_ms) ||
	    !pt_json_exact(r->duration_ms) || r->exit_code < 0 || r->exit_code > 255) {
		pt_set_error(err, err_len, "executed: started_ms, duration_ms or exit_code out of "
			     "range");
		return PT_EINVAL;
	}
	return PT_OK;
}

int pt_client_executed(pt_client *c, const pt_execution_report *r, char *err, size_t err_len)
{
	int rc = check_execution(r, err, err_len);
	if (rc != PT_OK)
		return rc;
	cJSON *request = pt_request_new(PT_OP_EXECUTED);
	if (!request || !cJSON_AddStringToObject(request, "resource", r->resource) ||
	    (r->tool && !cJSON_AddStringToObject(request, "tool", r->tool)) ||
	    !pt_json_add_int(request, "started_ms", r->started_ms) ||
	    !pt_json_add_int(request, "duration_ms", r->duration_ms) ||
	    !pt_json_add_int(request, "exit_code", r->exit_code) ||
	    !cJSON_AddStringToObject(request, "outcome", r->succeeded ? "success" : "failure")) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	return call(c, request, "executed", PT_ERR_COUNT, err, err_len);
}

int pt_client_metrics(pt_client *c, const char *resource, int64_t from_ms, int64_t to_ms,
		      cJSON **reply, char *err, size_t err_len)
{
	cJSON *request = pt_request_new(PT_OP_METRICS);
	*reply = NULL;
	if (!pt_json_exact(from_ms) || !pt_json_exact(to_ms)) {
		cJSON_Delete(request);
		pt_set_error(err, err_len, "metrics: a time is beyond 2^53 ms");
		return PT_EINVAL;
	}
	if (!request || (resource && !cJSON_AddStringToObject(request, "resource", resource)) ||
	    !add_opt(request, "from_ms", from_ms) || !add_opt(request, "to_ms", to_ms)) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	return call_reply(c, request, "metrics", PT_ERR_COUNT, reply, err, err_len);
}

/* The fields of a breaker reply; NULL, or the one missing. */
static const char *parse_breaker(const cJSON *reply, bool admitting, pt_breaker_reply *out)
{
	const cJSON *admit = cJSON_GetObjectItemCaseSensitive(reply, "admit");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(reply, "state");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(reply, "spec");
	memset(out, 0, sizeof *out);
	if (admitting && !cJSON_IsBool(admit))
		return "admit";
	if (!cJSON_IsString(state) || strlen(state->valuestring) >= sizeof out->state)
		return "state";
	if (!cJSON_IsString(spec) || strlen(spec->valuestring) >= sizeof out->spec)
		return "spec";
	strcpy(out->state, state->valuestring);
	strcpy(out->spec, spec->valuestring);
	out->admit = cJSON_IsTrue(admit);
	out->probe = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "probe"));
	if (admitting && !out->admit && !get_int(reply, "retry_at_ms", &out->retry_at_ms))
		return "retry_at_ms";
	return NULL;
}

/* Sends a breaker request of action (admit, or report with success). */
static int breaker_call(pt_client *c, const char *action, bool success, const char *resource,
			const char *spec, pt_breaker_reply *out, char *err, size_t err_len)
{
	cJSON *reply = NULL, *request = pt_request_new(PT_OP_BREAKER);
	bool admitting = strcmp(action, "admit") == 0;
	if (!request || !cJSON_AddStringToObject(request, "action", action) ||
	    (!admitting && !cJSON_AddBoolToObject(request, "success", success)) ||
	    !cJSON_AddStringToObject(request, "resource", resource) ||
	    (spec && !cJSON_AddStringToObject(request, "spec", spec))) {
		cJSON_Delete(request);
		return fail_io(c, err, err_len, "out of memory for a request");
	}
	int rc = call_reply(c, request, "breaker", PT_ERR_COUNT, &reply, err, err_len);
	if (rc != PT_OK)
		return rc;
	const char *missing = parse_breaker(reply, admitting, out);
	cJSON_Delete(reply);
	if (!missing)
		return PT_OK;
	pt_set_error(err, err_len, "daemon answered breaker without \"%s\"", missing);
	return PT_EINVAL;
}

int pt_client_breaker_admit(pt_client *c, const char *resource, const char *spec,
			    pt_breaker_reply *out, char *err, size_t err_len)
{
	return breaker_call(c, "admit", false, resource, spec, out, err, err_len);
}

int pt_client_breaker_report(pt_client *c, const char *resource, const char *spec,
			     bool success, pt_breaker_reply *out, char *err, size_t err_len)
{
	return breaker_call(c, "report", success, resource, spec, out, err, err_len);
}
