/* The daemon client against a fake server: a forked child that accepts one
 * connection, logs each request line and answers canned replies. Auto-start
 * runs this very program as a fake patience-daemon (see main). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "proto/protocol.h"
#include "patience/error.h"

#define HELLO_OK "{\"ok\":true,\"v\":1,\"server\":\"fake 0\",\"versions\":[1]}\n"
#define GRANT                                                                              \
	"{\"ok\":true,\"reservation\":17,\"start_ms\":1795430400123,"                      \
	"\"starts_ms\":[1795430400123,1795431000123,1795432200123],"                       \
	"\"now_ms\":1795430400101,\"limit\":20,\"window_ms\":2000,\"guard_ms\":30}\n"
#define ERROR(code)                                                                         \
	"{\"ok\":false,\"error\":{\"code\":\"" code "\",\"message\":\"why " code "\"}}\n"
#define TIMEOUT_MS 200

typedef struct step {
	const char *reply; /* written after one request line; NULL: close instead */
	size_t chunk;      /* written in pieces of this many bytes; 0: at once */
} step;

typedef struct fixture {
	char dir[64];
	char sock[128];
	char log[128];
	pid_t pid;
	pt_client c;
	char err[512];
} fixture;

static const int64_t offsets3[] = {0, 600000, 1800000};

static void pause_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the fake server (child process: no cmocka, only _exit) --- */

static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	char ch;
	while (read(fd, &ch, 1) == 1) {
		if (ch == '\n')
			return (int)n;
		if (n + 2 < len)
			buf[n++] = ch;
	}
	return -1;
}

static void write_reply(int fd, const step *s)
{
	size_t n = strlen(s->reply), chunk = s->chunk ? s->chunk : n;
	for (size_t off = 0; off < n; off += chunk) {
		size_t len = n - off < chunk ? n - off : chunk;
		if (write(fd, s->reply + off, len) != (ssize_t)len)
			_exit(2);
		if (s->chunk)
			pause_ms(5);
	}
}

/* Past the last step it keeps reading and never answers. */
static void serve(int listener, const char *log, const step *steps, size_t n)
{
	static char line[PT_PROTOCOL_LINE_MAX + 2];
	int fd = accept(listener, NULL, NULL);
	int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	for (size_t i = 0; fd >= 0 && log_fd >= 0; i++) {
		int len = read_line(fd, line, sizeof line);
		if (len < 0)
			break;
		line[len] = '\n';
		if (write(log_fd, line, (size_t)len + 1) < 0)
			break;
		if (i >= n)
			continue;
		if (!steps[i].reply)
			break;
		write_reply(fd, &steps[i]);
	}
	_exit(0);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

/* --- fixture --- */

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_client_XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof f->sock, "%s/d.sock", f->dir);
	snprintf(f->log, sizeof f->log, "%s/requests", f->dir);
	f->c.fd = -1;
	*state = f;
	return 0;
}

static void fake_stop(fixture *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	unlink(f->sock);
	unlink(f->log);
}

static int teardown(void **state)
{
	static const char *const leftovers[] = {"patience-daemon", "daemon.status"};
	char path[PATH_MAX];
	fixture *f = *state;
	pt_client_close(&f->c);
	fake_stop(f);
	for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", f->dir, leftovers[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void fake_start(fixture *f, const step *steps, size_t n)
{
	fake_stop(f);
	int listener = listen_on(f->sock);
	assert_true(listener >= 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		serve(listener, f->log, steps, n);
	close(listener);
}

#define START(f, ...)                                                                       \
	do {                                                                                \
		static const step steps_[] = {__VA_ARGS__};                                 \
		fake_start(f, steps_, sizeof steps_ / sizeof steps_[0]);                    \
	} while (0)

static int connect_fake(fixture *f)
{
	return pt_client_connect(&f->c, f->sock, TIMEOUT_MS, f->err, sizeof f->err);
}

/* The index-th request the fake server received, parsed. */
static cJSON *logged(const fixture *f, int index)
{
	static char text[1 << 18];
	int fd = open(f->log, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	assert_true(n >= 0);
	text[n] = '\0';
	char *line = text;
	for (int i = 0; i < index && line; i++)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	assert_non_null(line);
	cJSON *o = cJSON_ParseWithLength(line, strcspn(line, "\n"));
	assert_non_null(o);
	return o;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static int has(const cJSON *o, const char *key)
{
	return cJSON_HasObjectItem(o, key);
}

static pt_acquire_req basic_req(void)
{
	return (pt_acquire_req){.resource = "api.github.com", .limit = 20, .window_ms = 2000,
				.offsets = offsets3, .k = 3, .client_id = "patience pid 4242"};
}

/* --- hello --- */

static void test_hello_ok(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	assert_true(f->c.fd >= 0);
	cJSON *hello = logged(f, 0);
	assert_int_equal(num(hello, "v"), 1);
	assert_string_equal(str(hello, "op"), "hello");
	assert_int_equal(strncmp(str(hello, "client"), "patience ", 9), 0);
	cJSON_Delete(hello);
}

static void test_hello_version_mismatch(void **state)
{
	fixture *f = *state;
	START(f, {"{\"ok\":true,\"v\":2,\"server\":\"future\",\"versions\":[2,3]}\n", 0});
	assert_int_equal(connect_fake(f), PT_EINVAL);
	assert_int_equal(f->c.fd, -1);
	assert_non_null(strstr(f->err, "protocol 1"));

	START(f, {"{\"ok\":false,\"error\":{\"code\":\"unsupported_version\",\"message\":\"v 1\"},"
		  "\"versions\":[2]}\n",
		  0});
	assert_int_equal(connect_fake(f), PT_EINVAL);
	assert_int_equal(f->c.fd, -1);
}

static void test_hello_refused(void **state)
{
	fixture *f = *state;
	START(f, {ERROR("too_many_clients"), 0});
	assert_int_equal(connect_fake(f), PT_EIO);
	assert_int_equal(f->c.fd, -1);
	assert_non_null(strstr(f->err, "too_many_clients"));
}

static void test_hello_never_answered(void **state)
{
	fixture *f = *state;
	fake_start(f, NULL, 0);
	int64_t t0 = mono_ms();
	assert_int_equal(connect_fake(f), PT_EIO);
	assert_true(mono_ms() - t0 >= TIMEOUT_MS - 10);
	assert_int_equal(f->c.fd, -1);
}

static void test_no_socket(void **state)
{
	fixture *f = *state;
	assert_int_equal(connect_fake(f), PT_ENOENT);
	assert_non_null(strstr(f->err, "no daemon on"));
	assert_non_null(strstr(f->err, f->sock));
	assert_int_equal(f->c.fd, -1);

	int stale = listen_on(f->sock); /* a socket file nobody listens on */
	assert_true(stale >= 0);
	close(stale);
	assert_int_equal(connect_fake(f), PT_ENOENT);
	unlink(f->sock);

	char long_path[200];
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	assert_int_equal(pt_client_connect(&f->c, long_path, TIMEOUT_MS, f->err, sizeof f->err),
			 PT_EINVAL);
}

/* --- acquire and release --- */

static void test_acquire_grant(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {GRANT, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_acquire_req req = basic_req();
	pt_grant g;
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_OK);
	assert_int_equal(g.reservation, 17);
	assert_int_equal(g.start_ms, INT64_C(1795430400123));
	assert_int_equal(g.now_ms, INT64_C(1795430400101));
	assert_int_equal(g.guard_ms, 30);
	assert_int_equal(g.limit, 20);
	assert_int_equal(g.window_ms, 2000);

	cJSON *r = logged(f, 1);
	assert_int_equal(num(r, "v"), 1);
	assert_string_equal(str(r, "op"), "acquire");
	assert_string_equal(str(r, "resource"), "api.github.com");
	assert_int_equal(num(r, "limit"), 20);
	assert_int_equal(num(r, "window_ms"), 2000);
	assert_string_equal(str(r, "client_id"), "patience pid 4242");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(r, "offsets_ms");
	assert_int_equal(cJSON_GetArraySize(offs), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cJSON_GetArrayItem(offs, i)->valuedouble, offsets3[i]);
	assert_false(has(r, "not_before_ms"));
	assert_false(has(r, "max_wait_ms"));
	assert_false(has(r, "ttl_ms"));
	cJSON_Delete(r);
}

static void test_acquire_optional_fields(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {GRANT, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_acquire_req req = basic_req();
	req.not_before_ms = INT64_C(9007199254740991); /* 2^53 - 1: still exact */
	req.max_wait_ms = 5000;
	req.ttl_ms = 90000;
	req.client_id = NULL;
	pt_grant g;
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_OK);
	cJSON *r = logged(f, 1);
	assert_int_equal((int64_t)num(r, "not_before_ms"), INT64_C(9007199254740991));
	assert_int_equal(num(r, "max_wait_ms"), 5000);
	assert_int_equal(num(r, "ttl_ms"), 90000);
	assert_false(has(r, "client_id"));
	cJSON_Delete(r);
}

static void test_acquire_refuses_inexact_values(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {GRANT, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_acquire_req req = basic_req();
	req.not_before_ms = INT64_C(9007199254740993); /* 2^53 + 1 */
	pt_grant g;
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_EINVAL);
	assert_true(f->c.fd >= 0); /* nothing was sent: still in step */
	req = basic_req();
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_OK);
	assert_int_equal(g.reservation, 17);
}

static void test_error_codes(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {ERROR("infeasible"), 0},
	      {"{\"ok\":false,\"start_ms\":1795430499000,\"error\":{\"code\":\"wait_too_long\","
	       "\"message\":\"later than 5000 ms\"}}\n",
	       0},
	      {ERROR("not_found"), 0}, {ERROR("bad_request"), 0}, {ERROR("not_found"), 0},
	      {ERROR("internal"), 0});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_acquire_req req = basic_req();
	pt_grant g;
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err),
			 PT_EINFEASIBLE);
	assert_non_null(strstr(f->err, "why infeasible"));
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_ERANGE);
	assert_int_equal(g.start_ms, INT64_C(1795430499000));
	assert_non_null(strstr(f->err, "later than 5000 ms"));
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_EINVAL);
	assert_non_null(strstr(f->err, "not_found"));
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_EINVAL);
	assert_non_null(strstr(f->err, "why bad_request"));
	assert_int_equal(pt_client_release(&f->c, 17, 0, false, f->err, sizeof f->err), PT_OK);
	assert_int_equal(pt_client_release(&f->c, 17, 0, false, f->err, sizeof f->err), PT_EINVAL);
	assert_true(f->c.fd >= 0); /* error replies keep the connection */
}

static void test_release_request(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {"{\"ok\":true,\"released\":2}\n", 0},
	      {"{\"ok\":true,\"released\":0}\n", 0});
	assert_int_equal(connect_fake(f), PT_OK);
	assert_int_equal(pt_client_release(&f->c, 17, INT64_C(1795430400500), false, f->err,
					   sizeof f->err),
			 PT_OK);
	assert_int_equal(pt_client_release(&f->c, 18, 0, false, f->err, sizeof f->err), PT_OK);
	cJSON *r = logged(f, 1);
	assert_string_equal(str(r, "op"), "release");
	assert_int_equal(num(r, "reservation"), 17);
	assert_int_equal((int64_t)num(r, "from_ms"), INT64_C(1795430400500));
	cJSON_Delete(r);
	r = logged(f, 2);
	assert_int_equal(num(r, "reservation"), 18);
	assert_false(has(r, "from_ms"));
	cJSON_Delete(r);
}

static void test_memo_get_put(void **state)
{
	fixture *f = *state;
	char value[16];
	START(f, {HELLO_OK, 0},
	      {"{\"ok\":true,\"resource\":\"r\",\"key\":\"adaptive\"}\n", 0},
	      {"{\"ok\":true,\"resource\":\"r\",\"key\":\"adaptive\",\"value\":\"a1:800s\"}\n", 0},
	      {"{\"ok\":true,\"value\":\"a1:800s,800s,800s,800s\"}\n", 0},
	      {"{\"ok\":true,\"value\":7}\n", 0}, {ERROR("bad_request"), 0});
	assert_int_equal(connect_fake(f), PT_OK);
	assert_int_equal(pt_client_memo_get(&f->c, "r", "adaptive", value, sizeof value, f->err,
					    sizeof f->err), PT_ENOENT);
	assert_int_equal(pt_client_memo_get(&f->c, "r", "adaptive", value, sizeof value, f->err,
					    sizeof f->err), PT_OK);
	assert_string_equal(value, "a1:800s");
	/* Too long for the buffer, or not a string: refused, connection kept. */
	assert_int_equal(pt_client_memo_get(&f->c, "r", "adaptive", value, sizeof value, f->err,
					    sizeof f->err), PT_EINVAL);
	assert_int_equal(pt_client_memo_get(&f->c, "r", "adaptive", value, sizeof value, f->err,
					    sizeof f->err), PT_EINVAL);
	assert_true(f->c.fd >= 0);
	assert_int_equal(pt_client_memo_put(&f->c, "r", "adaptive", "a1:1s", f->err,
					    sizeof f->err), PT_EINVAL);
	cJSON *r = logged(f, 1);
	assert_string_equal(str(r, "op"), "memo");
	assert_string_equal(str(r, "key"), "adaptive");
	assert_false(has(r, "value"));
	cJSON_Delete(r);
	r = logged(f, 5);
	assert_string_equal(str(r, "value"), "a1:1s");
	cJSON_Delete(r);
}

/* hello names the client's tool; pt_client_connect keeps it. */
static void test_hello_names_the_tool(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0});
	f->c.tool = "rpr";
	assert_int_equal(connect_fake(f), PT_OK);
	assert_string_equal(f->c.tool, "rpr");
	cJSON *hello = logged(f, 0);
	assert_int_equal(strncmp(str(hello, "client"), "rpr ", 4), 0);
	cJSON_Delete(hello);
}

static void test_executed(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {"{\"ok\":true,\"tool\":\"rpr\"}\n", 0},
	      {"{\"ok\":true,\"tool\":\"deploy\"}\n", 0}, {ERROR("bad_request"), 0});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_execution_report r = {.resource = "api", .started_ms = INT64_C(1795430400123),
				 .duration_ms = 1500, .exit_code = 0, .succeeded = true};
	assert_int_equal(pt_client_executed(&f->c, &r, f->err, sizeof f->err), PT_OK);
	r = (pt_execution_report){.resource = "api", .tool = "deploy", .started_ms = 1,
				  .duration_ms = 2, .exit_code = 3, .succeeded = false};
	assert_int_equal(pt_client_executed(&f->c, &r, f->err, sizeof f->err), PT_OK);
	assert_int_equal(pt_client_executed(&f->c, &r, f->err, sizeof f->err), PT_EINVAL);
	assert_non_null(strstr(f->err, "bad_request"));
	assert_true(f->c.fd >= 0); /* a refusal keeps the connection */
	/* out of range: refused unsent */
	r.exit_code = 256;
	assert_int_equal(pt_client_executed(&f->c, &r, f->err, sizeof f->err), PT_EINVAL);
	r.exit_code = 0;
	r.duration_ms = -1;
	assert_int_equal(pt_client_executed(&f->c, &r, f->err, sizeof f->err), PT_EINVAL);
	cJSON *x = logged(f, 1);
	assert_string_equal(str(x, "op"), "executed");
	assert_string_equal(str(x, "resource"), "api");
	assert_false(has(x, "tool")); /* the daemon takes hello's */
	assert_int_equal((int64_t)num(x, "started_ms"), INT64_C(1795430400123));
	assert_int_equal(num(x, "duration_ms"), 1500);
	assert_int_equal(num(x, "exit_code"), 0);
	assert_string_equal(str(x, "outcome"), "success");
	cJSON_Delete(x);
	x = logged(f, 2);
	assert_string_equal(str(x, "tool"), "deploy");
	assert_string_equal(str(x, "outcome"), "failure");
	assert_int_equal(num(x, "exit_code"), 3);
	cJSON_Delete(x);
}

static void test_metrics_request(void **state)
{
	fixture *f = *state;
	cJSON *reply = NULL;
	START(f, {HELLO_OK, 0}, {"{\"ok\":true,\"summary\":{\"total\":3}}\n", 0},
	      {"{\"ok\":true}\n", 0});
	assert_int_equal(connect_fake(f), PT_OK);
	assert_int_equal(pt_client_metrics(&f->c, "api", 5, 9, &reply, f->err, sizeof f->err),
			 PT_OK);
	assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(reply, "summary"), "total"), 3);
	cJSON_Delete(reply);
	assert_int_equal(pt_client_metrics(&f->c, NULL, 0, 0, &reply, f->err, sizeof f->err), PT_OK);
	cJSON_Delete(reply);
	cJSON *x = logged(f, 1);
	assert_string_equal(str(x, "op"), "metrics");
	assert_string_equal(str(x, "resource"), "api");
	assert_int_equal(num(x, "from_ms"), 5);
	assert_int_equal(num(x, "to_ms"), 9);
	cJSON_Delete(x);
	x = logged(f, 2);
	assert_false(has(x, "resource") || has(x, "from_ms") || has(x, "to_ms"));
	cJSON_Delete(x);
}

/* Replies that break the protocol drop the connection (and with it, on
 * the daemon's side, any grant we could not read). */
static void test_malformed_replies(void **state)
{
	static const step bad[] = {
		{"not json\n", 0},
		{"[1,2]\n", 0},
		{"{\"reservation\":17}\n", 0},
		{"{\"ok\":true,\"reservation\":17,\"start_ms\":1.5,\"now_ms\":1,\"limit\":1,"
		 "\"window_ms\":1,\"guard_ms\":1}\n",
		 0},
		{"{\"ok\":true,\"reservation\":\"17\",\"start_ms\":1,\"now_ms\":1,\"limit\":1,"
		 "\"window_ms\":1,\"guard_ms\":1}\n",
		 0},
		{"{\"ok\":true,\"reservation\":17,\"start_ms\":1e300,\"now_ms\":1,\"limit\":1,"
		 "\"window_ms\":1,\"guard_ms\":1}\n",
		 0},
		{"{\"ok\":true,\"reservation\":17,\"start_ms\":1,\"limit\":1,"
		 "\"window_ms\":1}\n",
		 0},
	};
	fixture *f = *state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		step steps[] = {{HELLO_OK, 0}, bad[i]};
		fake_start(f, steps, 2);
		assert_int_equal(connect_fake(f), PT_OK);
		pt_acquire_req req = basic_req();
		pt_grant g;
		assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err),
				 PT_EIO);
		assert_int_equal(f->c.fd, -1);
		assert_int_equal(g.reservation, 0);
	}
}

/* --- framing --- */

static void test_reply_split_across_writes(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 3}, {GRANT, 7});
	assert_int_equal(connect_fake(f), PT_OK);
	pt_acquire_req req = basic_req();
	pt_grant g;
	assert_int_equal(pt_client_acquire(&f->c, &req, &g, f->err, sizeof f->err), PT_OK);
	assert_int_equal(g.start_ms, INT64_C(1795430400123));
	assert_int_equal(g.guard_ms, 30);
}

static cJSON *ask(fixture *f, const char *op, int expect)
{
	cJSON *req = cJSON_CreateObject(), *reply = NULL;
	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddStringToObject(req, "op", op);
	assert_int_equal(pt_client_request(&f->c, req, &reply, f->err, sizeof f->err), expect);
	cJSON_Delete(req);
	return reply;
}

static void test_two_replies_in_one_write(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK "{\"ok\":true,\"n\":1}\n", 0}, {"{\"ok\":true,\"n\":2}\n{\"ok\":", 0},
	      {"", 0}, {"true,\"n\":3}\n", 0});
	assert_int_equal(connect_fake(f), PT_OK);
	for (int n = 1; n <= 3; n++) {
		cJSON *reply = ask(f, "status", PT_OK);
		assert_int_equal(num(reply, "n"), n);
		cJSON_Delete(reply);
	}
}

static void test_no_answer_times_out(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	int64_t t0 = mono_ms();
	assert_null(ask(f, "status", PT_EIO));
	int64_t took = mono_ms() - t0;
	assert_true(took >= TIMEOUT_MS - 10);
	assert_true(took < 5 * TIMEOUT_MS);
	assert_int_equal(f->c.fd, -1);
	assert_non_null(strstr(f->err, "200 ms"));
	assert_null(ask(f, "status", PT_EIO)); /* closed stays closed */
}

static void test_server_closes(void **state)
{
	fixture *f = *state;
	START(f, {HELLO_OK, 0}, {NULL, 0});
	assert_int_equal(connect_fake(f), PT_OK);
	assert_null(ask(f, "status", PT_EIO));
	assert_int_equal(f->c.fd, -1);
	assert_non_null(strstr(f->err, "closed"));
}

static void test_reply_too_long(void **state)
{
	fixture *f = *state;
	char *big = malloc(PT_PROTOCOL_LINE_MAX + 100);
	assert_non_null(big);
	memset(big, ' ', PT_PROTOCOL_LINE_MAX + 99);
	big[PT_PROTOCOL_LINE_MAX + 99] = '\0';
	step steps[] = {{HELLO_OK, 0}, {big, 0}};
	fake_start(f, steps, 2);
	assert_int_equal(connect_fake(f), PT_OK);
	assert_null(ask(f, "status", PT_EIO));
	assert_non_null(strstr(f->err, "longer than"));
	free(big);
}

/* A reply of exactly the bound, newline included, is still accepted. */
static void test_reply_at_the_bound(void **state)
{
	fixture *f = *state;
	char *big = malloc(PT_PROTOCOL_LINE_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', PT_PROTOCOL_LINE_MAX);
	memcpy(big, "{\"ok\":true}", 11);
	big[PT_PROTOCOL_LINE_MAX - 1] = '\n';
	big[PT_PROTOCOL_LINE_MAX] = '\0';
	step steps[] = {{HELLO_OK, 0}, {big, 0}};
	fake_start(f, steps, 2);
	assert_int_equal(connect_fake(f), PT_OK);
	cJSON_Delete(ask(f, "status", PT_OK));
	free(big);
}

/* --- auto-start, with this program playing patience-daemon --- */

static int fd_is_null(int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && a.st_rdev == b.st_rdev &&
	       S_ISCHR(a.st_mode);
}

/* What the test wants to know about how it was started, written next to
 * the socket before it listens. */
static void report_start(const char *sock)
{
	char path[PATH_MAX], cwd[PATH_MAX];
	sigset_t mask;
	struct sigaction hup;
	const char *leak = getenv("FAKE_LEAKED_FD");
	int leaked_open = leak && fcntl(atoi(leak), F_GETFD) >= 0; /* before fopen takes it */
	snprintf(path, sizeof path, "%.*s/daemon.status", (int)(strrchr(sock, '/') - sock), sock);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigaction(SIGHUP, NULL, &hup);
	FILE *out = fopen(path, "w");
	if (!out)
		_exit(3);
	fprintf(out, "session=%ld\nparent=%ld\nnull_stdio=%d\nleaked_fd_open=%d\n",
		(long)getsid(0), (long)getppid(), fd_is_null(0) && fd_is_null(1) && fd_is_null(2),
		leaked_open);
	fprintf(out, "term_blocked=%d\nhup_default=%d\ncwd=%s\nsocket=%s\n",
		sigismember(&mask, SIGTERM), hup.sa_handler == SIG_DFL,
		getcwd(cwd, sizeof cwd) ? cwd : "?", sock);
	fclose(out);
}

static int fake_daemon(const char *sock)
{
	static const step hello[] = {{HELLO_OK, 0}};
	alarm(10); /* never outlive the test by much */
	report_start(sock);
	int listener = listen_on(sock);
	if (listener < 0)
		return 3;
	serve(listener, "/dev/null", hello, 1);
	return 0;
}

static int status_value(const char *dir, const char *key, char *value, size_t len)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/daemon.status", dir);
	FILE *in = fopen(path, "r");
	int found = 0;
	while (in && !found && fgets(line, sizeof line, in)) {
		size_t k = strlen(key);
		if (strncmp(line, key, k) == 0 && line[k] == '=') {
			const char *v = line + k + 1;
			snprintf(value, len, "%.*s", (int)strcspn(v, "\n"), v);
			found = 1;
		}
	}
	if (in)
		fclose(in);
	return found;
}

static int status_int(const char *dir, const char *key)
{
	char v[64];
	assert_true(status_value(dir, key, v, sizeof v));
	return atoi(v);
}

static int daemon_next_to_us(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 0;
	self[n] = '\0';
	strcpy(strrchr(self, '/') + 1, "patience-daemon");
	return access(self, X_OK) == 0;
}

static void test_autostart_not_found(void **state)
{
	fixture *f = *state;
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	if (daemon_next_to_us())
		skip();
	setenv("PATH", f->dir, 1);
	int rc = pt_client_autostart(&f->c, f->sock, 500, TIMEOUT_MS, f->err, sizeof f->err);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	assert_int_equal(rc, PT_ENOENT);
	assert_string_equal(f->err, "patience-daemon not found next to patience or on PATH");
	assert_int_equal(f->c.fd, -1);
}

/* Blocked SIGTERM, ignored SIGHUP, an open descriptor and our working
 * directory: none of them may reach the daemon. */
static int autostart_from(fixture *f, int leaked)
{
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	char leak[16], cwd[PATH_MAX];
	sigset_t term, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_hup;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	snprintf(leak, sizeof leak, "%d", leaked);
	setenv("FAKE_LEAKED_FD", leak, 1);
	setenv("PATH", f->dir, 1);
	sigprocmask(SIG_BLOCK, &term, &old);
	sigaction(SIGHUP, &ign, &old_hup);
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(f->dir), 0);
	int rc = pt_client_autostart(&f->c, "d.sock", 3000, 1000, f->err, sizeof f->err);
	assert_int_equal(chdir(cwd), 0);
	sigaction(SIGHUP, &old_hup, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	setenv("PATH", saved ? saved : "/usr/bin:/bin", 1);
	unsetenv("FAKE_LEAKED_FD");
	free(saved);
	return rc;
}

static void test_autostart_detached(void **state)
{
	fixture *f = *state;
	char self[PATH_MAX], link[PATH_MAX], v[PATH_MAX];
	if (daemon_next_to_us())
		skip();
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(link, sizeof link, "%s/patience-daemon", f->dir);
	assert_int_equal(symlink(self, link), 0);
	int leaked = open("/dev/null", O_RDONLY);
	assert_true(leaked >= 0);

	int rc = autostart_from(f, leaked);
	close(leaked);
	assert_int_equal(rc, PT_OK);
	assert_true(f->c.fd >= 0);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no zombie left behind */
	assert_int_equal(errno, ECHILD);
	assert_true(status_int(f->dir, "session") != getsid(0));
	assert_true(status_int(f->dir, "parent") != getpid());
	assert_int_equal(status_int(f->dir, "null_stdio"), 1);
	assert_int_equal(status_int(f->dir, "leaked_fd_open"), 0);
	assert_int_equal(status_int(f->dir, "term_blocked"), 0);
	assert_int_equal(status_int(f->dir, "hup_default"), 1);
	assert_true(status_value(f->dir, "cwd", v, sizeof v));
	assert_string_equal(v, "/");
	assert_true(status_value(f->dir, "socket", v, sizeof v));
	assert_string_equal(v, f->sock);
	pt_client_close(&f->c); /* the fake daemon exits when we hang up */
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(name, "patience-daemon") == 0)
		return argc == 3 && strcmp(argv[1], "--socket") == 0 ? fake_daemon(argv[2]) : 2;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_version_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_never_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acquire_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acquire_optional_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acquire_refuses_inexact_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_error_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memo_get_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_names_the_tool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_executed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_split_across_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_replies_in_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_answer_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_at_the_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autostart_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autostart_detached, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
