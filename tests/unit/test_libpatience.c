/* libpatience's public API (<patience/patience.h>), linked as a program
 * links it (the shared library, its exported symbols only), against a real
 * patience-daemon started for each test on a private socket, and against
 * no daemon at all (the host's starts file, lock files, a local breaker). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <patience/patience.h>

#ifndef PT_DAEMON_BIN
#error "PT_DAEMON_BIN: the patience-daemon to test against (tests/CMakeLists.txt)"
#endif

typedef struct fixture {
	char dir[64];
	char sock[128]; /* the daemon's, when one runs */
	pid_t daemon;
	char warnings[8][512];
	size_t n_warnings;
} fixture;

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

static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* patience-daemon on f->sock, its state and config in f->dir. */
static void start_daemon(fixture *f)
{
	char state[128], config[128], log[128];
	snprintf(state, sizeof state, "%s/state.db", f->dir);
	snprintf(config, sizeof config, "%s/config.toml", f->dir);
	snprintf(log, sizeof log, "%s/daemon.log", f->dir);
	int fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	f->daemon = fork();
	assert_true(f->daemon >= 0);
	if (f->daemon == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (out < 0 || dup2(out, 2) < 0)
			_exit(127);
		execl(PT_DAEMON_BIN, "patience-daemon", "--socket", f->sock, "--state", state,
		      "--config", config, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !answers(f->sock); i++)
		pause_ms(10);
	assert_true(answers(f->sock));
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_libpatience_XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof f->sock, "%s/daemon.sock", f->dir);
	unsetenv("PATIENCE_DAEMON_SOCKET");
	unsetenv("PATIENCE_CONFIG_FILE");
	*state = f;
	return 0;
}

static int setup_daemon(void **state)
{
	if (setup(state) != 0)
		return -1;
	start_daemon(*state);
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];
	if (f->daemon > 0) {
		kill(f->daemon, SIGTERM);
		waitpid(f->daemon, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The warnings a handle says, kept in its fixture. */
static void keep_warning(void *ctx, int level, const char *line)
{
	fixture *f = ctx;
	if (level == PT_LOG_WARNING && f->n_warnings < 8)
		snprintf(f->warnings[f->n_warnings++], sizeof f->warnings[0], "%s", line);
}

/* A handle on resource, limit per window_ms, on f's socket. */
static pt_limiter *open_on(fixture *f, const char *resource, int64_t limit, int64_t window_ms)
{
	pt_limiter_options o;
	pt_limiter *l = NULL;
	char err[256] = "";
	pt_limiter_options_init(&o);
	o.resource = resource;
	o.limit = limit;
	o.window_ms = window_ms;
	o.socket_path = f->sock;
	o.name = "test_libpatience";
	o.log = keep_warning;
	o.log_ctx = f;
	int rc = pt_limiter_open(&o, &l, err, sizeof err);
	if (rc != PT_OK)
		fail_msg("pt_limiter_open: %s: %s", pt_strerror(rc), err);
	return l;
}

/* Take a start that must be due now (give or take the millisecond that
 * converting the daemon's clock may add), and make it. */
static void start_now(pt_limiter *l)
{
	int64_t t0 = mono_ms();
	assert_int_equal(pt_limiter_wait(l), PT_OK);
	assert_in_range(mono_ms() - t0, 0, 100);
	assert_int_equal(pt_limiter_started(l, 0), PT_OK);
}

/* How long from before the call until the start acquire gives: the daemon
 * answers a queued request only shortly before its start. */
static int64_t acquire_in(pt_limiter *l)
{
	int64_t t0 = mono_ms(), delay = -1;
	assert_int_equal(pt_limiter_acquire(l, &delay), PT_OK);
	assert_true(delay >= 0);
	return mono_ms() - t0 + delay;
}

/* ---- options ---- */

static void test_open_checks_options(void **state)
{
	fixture *f = *state;
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	pt_limiter *l = (pt_limiter *)1;
	char err[256];
	assert_int_equal(pt_limiter_open(&o, &l, err, sizeof err), PT_EINVAL);
	assert_null(l);
	assert_string_equal(err, "no resource");
	o.resource = "test:lib:options";
	o.limit = 5; /* without a window */
	assert_int_equal(pt_limiter_open(&o, &l, err, sizeof err), PT_EINVAL);
	o.window_ms = 1000;
	o.concurrency = -1;
	assert_int_equal(pt_limiter_open(&o, &l, err, sizeof err), PT_EINVAL);
	o.concurrency = 0;
	o.breaker = "failures=many";
	assert_int_equal(pt_limiter_open(&o, &l, err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "failures"));
	o.breaker = NULL;
	o.version = 99;
	assert_int_equal(pt_limiter_open(&o, &l, NULL, 0), PT_EINVAL);
	o.version = PT_LIMITER_OPTIONS_VERSION;
	o.socket_path = f->sock;
	o.breaker = "";
	assert_int_equal(pt_limiter_open(&o, &l, err, sizeof err), PT_OK);
	assert_string_equal(pt_limiter_source(l), "");
	assert_string_equal(pt_limiter_error(l), "");
	pt_limiter_close(l);
	pt_limiter_close(NULL);
	assert_int_equal(pt_limiter_open(NULL, &l, NULL, 0), PT_EINVAL);
}

static void test_strerror_and_version(void **state)
{
	(void)state;
	assert_string_equal(pt_strerror(PT_OK), "success");
	assert_string_equal(pt_strerror(PT_EREFUSED), "refused by the daemon");
	assert_string_equal(pt_strerror(PT_EINTR), "interrupted");
	assert_string_equal(pt_strerror(PT_ECIRCUIT), "circuit breaker open");
	assert_string_equal(pt_strerror(-999), "unknown error");
	assert_string_equal(pt_version(), PATIENCE_VERSION);
}

/* ---- starts through the daemon ---- */

static void test_starts_shared_through_daemon(void **state)
{
	fixture *f = *state;
	pt_limiter *a = open_on(f, "test:lib:shared", 2, 1000);
	pt_limiter *b = open_on(f, "test:lib:shared", 2, 1000);
	int64_t delay;
	start_now(a);
	assert_string_equal(pt_limiter_source(a), "daemon");
	assert_int_equal(pt_limiter_executed(a, 0, 1), PT_OK);
	start_now(b);
	assert_int_equal(pt_limiter_executed(b, 1, 0), PT_OK);
	/* both starts of the window are taken: the next is a window on */
	assert_in_range(acquire_in(a), 900, 1200);
	assert_int_equal(pt_limiter_acquire(a, &delay), PT_OK); /* the same start */
	assert_in_range(delay, 1, 200);
	assert_int_equal(pt_limiter_started(a, 0), PT_EINVAL); /* not yet */
	assert_non_null(strstr(pt_limiter_error(a), "before its time"));
	pt_limiter_close(a); /* gives it back */
	pt_limiter_close(b);
	assert_int_equal(f->n_warnings, 0);
}

static void test_calls_out_of_order(void **state)
{
	fixture *f = *state;
	pt_limiter *l = open_on(f, "test:lib:order", 10, 1000);
	int64_t delay;
	assert_int_equal(pt_limiter_started(l, 0), PT_EINVAL);
	assert_string_equal(pt_limiter_error(l), "no start acquired");
	assert_int_equal(pt_limiter_executed(l, 0, 1), PT_EINVAL);
	assert_string_equal(pt_limiter_error(l), "no start made");
	assert_int_equal(pt_limiter_release(l), PT_OK); /* nothing held: nothing to do */
	start_now(l);
	assert_int_equal(pt_limiter_executed(l, 256, 0), PT_EINVAL);
	assert_int_equal(pt_limiter_executed(l, 0, 1), PT_OK);
	assert_int_equal(pt_limiter_executed(l, 0, 1), PT_EINVAL); /* reported already */
	assert_int_equal(pt_limiter_acquire(l, NULL), PT_EINVAL);
	assert_int_equal(pt_limiter_acquire(NULL, &delay), PT_EINVAL);
	assert_int_equal(pt_limiter_lease_acquire(l), PT_EINVAL); /* no concurrency */
	assert_int_equal(pt_limiter_breaker_admit(l, &delay), PT_EINVAL); /* no breaker */
	assert_int_equal(pt_limiter_breaker_report(l, 1), PT_EINVAL);
	pt_limiter_close(l);
}

static void test_release_gives_the_start_back(void **state)
{
	fixture *f = *state;
	pt_limiter *a = open_on(f, "test:lib:release", 1, 1000);
	pt_limiter *b = open_on(f, "test:lib:release", 1, 1000);
	assert_in_range(acquire_in(a), 0, 50);
	assert_int_equal(pt_limiter_release(a), PT_OK);
	start_now(b); /* a's start was never made: b may have it */
	assert_in_range(acquire_in(a), 900, 1200);
	pt_limiter_close(a);
	pt_limiter_close(b);
}

static void test_wait_sleeps_until_the_start(void **state)
{
	fixture *f = *state;
	pt_limiter *l = open_on(f, "test:lib:wait", 1, 400);
	start_now(l);
	int64_t first = real_ms(), t0 = mono_ms();
	assert_int_equal(pt_limiter_wait(l), PT_OK);
	assert_true(mono_ms() - t0 >= 380);
	assert_int_equal(pt_limiter_started(l, real_ms()), PT_OK);
	assert_true(real_ms() - first >= 400);
	pt_limiter_close(l);
}

/* Without a limit of its own, a handle keeps the daemon's. */
static void test_the_daemons_limit_applies(void **state)
{
	fixture *f = *state;
	pt_limiter *holder = open_on(f, "test:lib:held", 1, 1000);
	pt_limiter *user = open_on(f, "test:lib:held", 0, 0);
	pt_limiter *free_run = open_on(f, "test:lib:nobody", 0, 0);
	start_now(holder);
	assert_in_range(acquire_in(user), 900, 1200);
	for (int i = 0; i < 5; i++) /* a resource without a limit: no wait */
		start_now(free_run);
	pt_limiter_close(holder);
	pt_limiter_close(user);
	pt_limiter_close(free_run);
}

/* Threads, each with its own handle, under one limit: an observer of
 * the starts as made finds no window over it. */
#define THREADS 4
#define STARTS_EACH 5
#define LIMIT 10
#define WINDOW_MS 500

typedef struct worker {
	fixture *f;
	int64_t starts[STARTS_EACH];
	int rc;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	pt_limiter *l;
	o.resource = "test:lib:threads";
	o.limit = LIMIT;
	o.window_ms = WINDOW_MS;
	o.socket_path = w->f->sock;
	if ((w->rc = pt_limiter_open(&o, &l, NULL, 0)) != PT_OK)
		return NULL;
	for (int i = 0; i < STARTS_EACH && w->rc == PT_OK; i++) {
		if ((w->rc = pt_limiter_wait(l)) != PT_OK)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		w->starts[i] = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000; /* us */
		w->rc = pt_limiter_started(l, 0);
		if (w->rc == PT_OK)
			w->rc = pt_limiter_executed(l, 0, 1);
	}
	pt_limiter_close(l);
	return NULL;
}

static int by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void test_threads_share_one_limit(void **state)
{
	fixture *f = *state;
	worker w[THREADS];
	pthread_t t[THREADS];
	int64_t all[THREADS * STARTS_EACH];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){.f = f};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, PT_OK);
		memcpy(all + i * STARTS_EACH, w[i].starts, sizeof w[i].starts);
	}
	size_t n = THREADS * STARTS_EACH;
	qsort(all, n, sizeof all[0], by_time);
	for (size_t i = 0, j = 0; i < n; i++) {
		while (j < n && all[j] < all[i] + WINDOW_MS * 1000)
			j++;
		if (j - i > LIMIT)
			fail_msg("%zu starts within %d ms of start %zu", j - i, WINDOW_MS, i);
	}
}

/* ---- no daemon ---- */

static void test_no_daemon_host_starts_are_shared(void **state)
{
	fixture *f = *state;
	pt_limiter *a = open_on(f, "test:lib:host", 1, 1000);
	pt_limiter *b = open_on(f, "test:lib:host", 1, 1000);
	start_now(a);
	assert_string_equal(pt_limiter_source(a), "host");
	assert_int_equal(pt_limiter_executed(a, 0, 1), PT_OK); /* nobody to count it */
	/* the file reserves a start at most 100 ms ahead: acquire waits */
	assert_in_range(acquire_in(b), 900, 1200);
	assert_string_equal(pt_limiter_source(b), "host");
	pt_limiter_close(a);
	pt_limiter_close(b);
	assert_int_equal(f->n_warnings, 2); /* once for each handle */
	assert_non_null(strstr(f->warnings[0], "test_libpatience: daemon unavailable (no daemon on"));
	assert_non_null(strstr(f->warnings[0], "the host's shared limits"));
	char starts[160];
	snprintf(starts, sizeof starts, "%s.starts", f->sock);
	assert_int_equal(access(starts, F_OK), 0);
}

/* ---- leases ---- */

typedef struct lease_waiter {
	pt_limiter *l;
	atomic_int done;
	int rc;
} lease_waiter;

static void *wait_for_lease(void *arg)
{
	lease_waiter *w = arg;
	w->rc = pt_limiter_lease_acquire(w->l);
	atomic_store(&w->done, 1);
	return NULL;
}

static pt_limiter *open_leases(fixture *f, int64_t n, int (*interrupted)(void))
{
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	pt_limiter *l;
	o.resource = "test:lib:lease";
	o.concurrency = n;
	o.socket_path = f->sock;
	o.interrupted = interrupted;
	assert_int_equal(pt_limiter_open(&o, &l, NULL, 0), PT_OK);
	return l;
}

/* One lease: the second holder waits until the first gives it back. */
static void leases_one_at_a_time(fixture *f)
{
	pt_limiter *a = open_leases(f, 1, NULL);
	lease_waiter w = {.l = open_leases(f, 1, NULL)};
	pthread_t t;
	assert_int_equal(pt_limiter_lease_acquire(a), PT_OK);
	assert_int_equal(pt_limiter_lease_acquire(a), PT_OK); /* held already */
	assert_int_equal(pthread_create(&t, NULL, wait_for_lease, &w), 0);
	pause_ms(300);
	assert_int_equal(atomic_load(&w.done), 0);
	assert_int_equal(pt_limiter_lease_release(a), PT_OK);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, PT_OK);
	assert_int_equal(pt_limiter_lease_release(w.l), PT_OK);
	assert_int_equal(pt_limiter_lease_release(w.l), PT_OK); /* none held: fine */
	pt_limiter_close(a);
	pt_limiter_close(w.l);
}

static void test_leases_through_daemon(void **state)
{
	leases_one_at_a_time(*state);
}

static void test_leases_without_daemon(void **state)
{
	leases_one_at_a_time(*state); /* the lock files beside the socket */
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int always(void)
{
	return 1;
}

static void test_lease_wait_interrupted(void **state)
{
	fixture *f = *state;
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART: calls see EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	pt_limiter *a = open_leases(f, 1, NULL);
	lease_waiter w = {.l = open_leases(f, 1, always)};
	pthread_t t;
	assert_int_equal(pt_limiter_lease_acquire(a), PT_OK);
	assert_int_equal(pthread_create(&t, NULL, wait_for_lease, &w), 0);
	pause_ms(200);
	for (int i = 0; i < 100 && !atomic_load(&w.done); i++) {
		pthread_kill(t, SIGUSR1);
		pause_ms(20);
	}
	pthread_join(t, NULL);
	assert_int_equal(w.rc, PT_EINTR);
	pt_limiter_close(a);
	pt_limiter_close(w.l);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- breaker ---- */

static pt_limiter *open_breaker(fixture *f)
{
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	pt_limiter *l;
	o.resource = "test:lib:breaker";
	o.breaker = "failures=2,window=1m,cooldown=1s";
	o.socket_path = f->sock;
	o.log = keep_warning;
	o.log_ctx = f;
	assert_int_equal(pt_limiter_open(&o, &l, NULL, 0), PT_OK);
	return l;
}

/* Two failures open the breaker: for this handle, and for the other one
 * too when the daemon keeps it. */
static void breaker_opens(fixture *f, bool shared)
{
	pt_limiter *a = open_breaker(f), *b = open_breaker(f);
	int64_t retry = -1;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pt_limiter_breaker_admit(a, &retry), PT_OK);
		assert_int_equal(retry, 0);
		assert_int_equal(pt_limiter_breaker_report(a, 0), PT_OK);
	}
	assert_int_equal(pt_limiter_breaker_admit(a, &retry), PT_ECIRCUIT);
	assert_in_range(retry, 1, 1000);
	assert_string_equal(pt_limiter_error(a), "circuit open for resource test:lib:breaker");
	assert_int_equal(pt_limiter_breaker_admit(b, NULL), shared ? PT_ECIRCUIT : PT_OK);
	pause_ms(retry + 20);
	assert_int_equal(pt_limiter_breaker_admit(a, &retry), PT_OK); /* half-open: a probe */
	assert_int_equal(pt_limiter_breaker_report(a, 1), PT_OK);
	assert_int_equal(pt_limiter_breaker_admit(a, &retry), PT_OK); /* closed again */
	pt_limiter_close(a);
	pt_limiter_close(b);
}

static void test_breaker_through_daemon(void **state)
{
	fixture *f = *state;
	breaker_opens(f, true);
	assert_int_equal(f->n_warnings, 0);
}

static void test_breaker_without_daemon(void **state)
{
	fixture *f = *state;
	breaker_opens(f, false);
	assert_true(f->n_warnings >= 1);
	assert_non_null(strstr(f->warnings[0], "a local circuit breaker"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_checks_options, setup, teardown),
		cmocka_unit_test(test_strerror_and_version),
		cmocka_unit_test_setup_teardown(test_starts_shared_through_daemon, setup_daemon,
						teardown),
		cmocka_unit_test_setup_teardown(test_calls_out_of_order, setup_daemon, teardown),
		cmocka_unit_test_setup_teardown(test_release_gives_the_start_back, setup_daemon,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_sleeps_until_the_start, setup_daemon,
						teardown),
		cmocka_unit_test_setup_teardown(test_the_daemons_limit_applies, setup_daemon,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads_share_one_limit, setup_daemon, teardown),
		cmocka_unit_test_setup_teardown(test_no_daemon_host_starts_are_shared, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_leases_through_daemon, setup_daemon, teardown),
		cmocka_unit_test_setup_teardown(test_leases_without_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_wait_interrupted, setup_daemon, teardown),
		cmocka_unit_test_setup_teardown(test_breaker_through_daemon, setup_daemon, teardown),
		cmocka_unit_test_setup_teardown(test_breaker_without_daemon, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
