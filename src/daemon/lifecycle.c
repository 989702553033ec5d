/* The daemon's life: start, serve, reload, stop.
 *
 * Start: the socket's directory (private, 0700 when we create it); the pid
 * file "daemon.pid" next to the socket, locked with flock(2): a second
 * daemon on the same socket finds it locked and exits 1 naming the first;
 * only the lock holder removes a stale socket. Then the state (SQLite) is
 * opened and restored, the socket bound, the metrics port (if any) bound,
 * and systemd told READY=1.
 *
 * SIGHUP reloads the config files' [rate_limiting.resources] limits and
 * log level. SIGTERM and SIGINT stop: no more accepting, a last commit,
 * replies sent as far as they go, connections closed (their reservations
 * kept for the next daemon), socket and pid file removed, exit 0.
 *
 * The daemon never forks: whoever starts it decides where it runs
 * (patience's auto-start detaches it; systemd supervises it). */
#include "daemon/daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef PT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "patience/error.h"
#include "patience/paths.h"

#define PID_READ_TRIES 50 /* x 10 ms: the other daemon may not have written it yet */

static const int handled_signals[] = {SIGTERM, SIGINT, SIGHUP};

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pt_daemon_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t pt_daemon_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static void notify(const char *state)
{
#ifdef PT_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* 1024 descriptors are not enough for 1024 clients: take all we may. */
static void raise_nofile(void)
{
	static const rlim_t fallbacks[] = {1 << 20, 1 << 16};
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		rl.rlim_cur = fallbacks[i] < rl.rlim_max ? fallbacks[i] : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
	}
}

static void check_fd_room(const pt_daemon *d)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)d->opt.max_clients + 16 > rl.rlim_cur)
		pt_log(PT_LOG_WARN, "max_clients %" PRId64 " is above what %ju open files allow",
		       d->opt.max_clients, (uintmax_t)rl.rlim_cur);
}

/* ---- pid file ---- */

static void pid_path_for(pt_daemon *d)
{
	const char *slash = strrchr(d->opt.socket_path, '/');
	int dir_len = slash ? (int)(slash - d->opt.socket_path) : 1;
	snprintf(d->pid_path, sizeof d->pid_path, "%.*s/daemon.pid", dir_len,
		 slash ? d->opt.socket_path : ".");
}

static long read_pid(int fd)
{
	char buf[32];
	for (int i = 0; i < PID_READ_TRIES; i++) {
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		long pid;
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%ld", &pid) == 1 && pid > 0)
				return pid;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return 0;
}

static int lock_pid_file(pt_daemon *d, char *err, size_t err_len)
{
	char text[32];
	int fd;
	pid_path_for(d);
	fd = open(d->pid_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return snprintf(err, err_len, "%s: %s", d->pid_path, strerror(errno)), -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		long pid = errno == EWOULDBLOCK ? read_pid(fd) : 0;
		if (errno != EWOULDBLOCK && pid == 0)
			snprintf(err, err_len, "%s: %s", d->pid_path, strerror(errno));
		else if (pid)
			snprintf(err, err_len, "another daemon (pid %ld) is serving %s", pid,
				 d->opt.socket_path);
		else
			snprintf(err, err_len, "another daemon is serving %s", d->opt.socket_path);
		close(fd);
		return -1;
	}
	int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n) {
		snprintf(err, err_len, "%s: %s", d->pid_path, strerror(errno));
		close(fd);
		return -1;
	}
	d->pid_fd = fd;
	return 0;
}

static void unlock_pid_file(pt_daemon *d)
{
	if (d->pid_fd < 0)
		return;
	unlink(d->pid_path); /* while we still hold the lock */
	close(d->pid_fd);
	d->pid_fd = -1;
}

/* ---- signals ---- */

static void reload(pt_daemon *d)
{
	pt_daemon_config cfg;
	pt_log_level level;
	char err[1024];
	const char *file = d->opt.config_file[0] ? d->opt.config_file : NULL;
	notify("RELOADING=1");
	if (pt_daemon_config_load(&cfg, file, err, sizeof err) != PT_OK) {
		pt_log(PT_LOG_ERROR, "reload: %s; keeping the old configuration", err);
		notify("READY=1");
		return;
	}
	const pt_setting *s = pt_config_get(&cfg.settings, "daemon.log_level");
	if (!d->opt.log_level_fixed && s && pt_log_level_parse(s->text, &level) == PT_OK)
		pt_log_set_level(level);
	if (pt_registry_set_config(&d->reg, cfg.limits, cfg.n_limits) != PT_OK)
		pt_log(PT_LOG_ERROR, "reload: out of memory; keeping the old limits");
	else
		pt_log(PT_LOG_INFO, "reloaded the configuration: %zu resource limits",
		       cfg.n_limits);
	pt_server_wrote(d);
	pt_daemon_config_release(&cfg);
	notify("READY=1");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)what;
	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	pt_log(PT_LOG_INFO, "stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	notify("STOPPING=1");
	pt_server_stop(d);
	event_base_loopexit(d->base, NULL);
}

static int watch_signals(pt_daemon *d)
{
	for (size_t i = 0; i < 3; i++) {
		d->signal_ev[i] = evsignal_new(d->base, handled_signals[i], on_signal, d);
		if (!d->signal_ev[i] || event_add(d->signal_ev[i], NULL) != 0)
			return -1;
	}
	return 0;
}

/* ---- start and stop ---- */

/* Others can reach a socket opened to them only through its directory. */
static void check_reach(const pt_daemon *d)
{
	char dir[PATH_MAX];
	struct stat st;
	const char *slash = strrchr(d->opt.socket_path, '/');
	if (!(d->opt.socket_mode & 0066) || !slash)
		return;
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - d->opt.socket_path),
		 d->opt.socket_path);
	if (stat(dir[0] ? dir : "/", &st) == 0 && !(st.st_mode & 0011))
		pt_log(PT_LOG_WARN, "socket mode %04o lets others in, but its directory %s is "
		       "mode %04o: they cannot reach it", d->opt.socket_mode, dir,
		       (unsigned)(st.st_mode & 07777));
}

static int open_state(pt_daemon *d, const pt_daemon_config *cfg, char *err, size_t err_len)
{
	int64_t now = pt_daemon_now_ms();
	if (pt_make_private_dir_for(d->opt.state_path, err, err_len) != PT_OK ||
	    pt_store_open(d->opt.state_path, &d->store, err, err_len) != PT_OK)
		return -1;
	if (pt_registry_init(&d->reg, d->store) != PT_OK)
		return snprintf(err, err_len, "out of memory"), -1;
	d->reg.max_guard_ms = d->opt.max_guard_ms;
	if (pt_registry_restore(&d->reg, now, err, err_len) != PT_OK)
		return -1;
	if (pt_memo_restore(&d->memos, d->store) != PT_OK)
		return snprintf(err, err_len, "%s: cannot read the memos", d->opt.state_path), -1;
	if (pt_exec_restore(&d->execs, d->store) != PT_OK ||
	    pt_exec_history_restore(&d->execs, d->store) != PT_OK)
		return snprintf(err, err_len, "%s: cannot read the executions", d->opt.state_path),
		       -1;
	if (pt_registry_set_config(&d->reg, cfg->limits, cfg->n_limits) != PT_OK)
		return snprintf(err, err_len, "out of memory"), -1;
	if (pt_registry_commit(&d->reg) != PT_OK)
		return snprintf(err, err_len, "%s: cannot write the state", d->opt.state_path), -1;
	return 0;
}

static int start(pt_daemon *d, const pt_daemon_config *cfg, char *err, size_t err_len)
{
	if (pt_make_private_dir_for(d->opt.socket_path, err, err_len) != PT_OK ||
	    lock_pid_file(d, err, err_len) != 0 || open_state(d, cfg, err, err_len) != 0 ||
	    pt_daemon_host_open(d, err, err_len) != 0)
		return -1;
	d->base = event_base_new();
	if (!d->base || event_base_priority_init(d->base, PT_EVENT_PRIORITIES) != 0)
		return snprintf(err, err_len, "cannot create the event loop"), -1;
	if (pt_server_start(d, err, err_len) != 0 || pt_http_start(d, err, err_len) != 0)
		return -1;
	if (d->opt.redis.url[0] &&
	    pt_redis_open(d, &d->opt.redis, &d->redis, err, err_len) != PT_OK)
		return -1;
	if (watch_signals(d) != 0)
		return snprintf(err, err_len, "cannot watch signals"), -1;
	d->started_ms = pt_daemon_mono_ms();
	d->started_real_ms = pt_daemon_now_ms();
	check_fd_room(d);
	check_reach(d);
	pt_log(PT_LOG_INFO, "patience-daemon %s serving %s (state %s, %zu resources, %zu "
	       "reservations held, backend %s)", PATIENCE_VERSION, d->opt.socket_path,
	       d->opt.state_path, d->reg.n_res, d->reg.n_rsv,
	       d->redis ? d->opt.redis.url : "memory");
	return 0;
}

static void teardown(pt_daemon *d)
{
	pt_redis_close(d->redis);
	d->redis = NULL;
	pt_http_release(d);
	pt_server_release(d);
	pt_queue_release(d);
	for (size_t i = 0; i < 3; i++)
		if (d->signal_ev[i])
			event_free(d->signal_ev[i]);
	if (d->reg.res_slots) {
		pt_registry_commit(&d->reg);
		pt_registry_release(&d->reg);
	}
	pt_daemon_host_close(d);
	pt_memo_release(&d->memos);
	pt_breaker_table_release(&d->breakers);
	pt_exec_table_release(&d->execs); /* after the connections that count on it */
	if (d->store)
		pt_store_close(d->store);
	if (d->base)
		event_base_free(d->base);
	unlock_pid_file(d);
}

int pt_daemon_run(const pt_daemon_options *opt, const pt_daemon_config *cfg, char *err,
		  size_t err_len)
{
	pt_daemon *d = calloc(1, sizeof *d);
	int rc = 1;
	if (!d)
		return snprintf(err, err_len, "out of memory"), 1;
	d->opt = *opt;
	d->listen_fd = -1;
	d->pid_fd = -1;
	d->host.fd = -1;
	pt_log_set_level(opt->log_level);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (chdir("/") != 0) {
		/* harmless: paths are absolute */
	}
	if (start(d, cfg, err, err_len) == 0) {
		notify("READY=1");
		rc = event_base_dispatch(d->base) < 0 ? 1 : 0;
		if (rc)
			snprintf(err, err_len, "the event loop failed");
		else
			pt_log(PT_LOG_INFO, "stopped");
	}
	teardown(d);
	free(d);
	return rc;
}
