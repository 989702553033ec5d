#define _GNU_SOURCE /* close_range */
#include "client/client.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/clock.h"
#include "lib/set_error.h"
#include "patience/config_search.h"
#include "patience/error.h"

#define DAEMON_NAME "patience-daemon"
#define RETRY_MS 20
#define CLOSE_MAX 65536 /* fallback bound when close_range is missing */

/* Joins dir (n bytes of it) and name into out; 0 when it does not fit. */
static int join(char *out, size_t len, const char *dir, size_t n, const char *name)
{
	int w = snprintf(out, len, "%.*s/%s", (int)n, dir, name);
	return w >= 0 && (size_t)w < len;
}

static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int search_path(char *out, size_t len)
{
	const char *p = getenv("PATH");
	while (p && *p) {
		size_t n = strcspn(p, ":");
		if (n > 0 && join(out, len, p, n, DAEMON_NAME) && is_executable(out))
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

/* The daemon next to our own executable first, so that a build tree or a
 * private prefix runs its own daemon rather than whatever PATH offers. */
static int find_daemon(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *slash = n > 0 ? memrchr(self, '/', (size_t)n) : NULL;
	if (slash && join(out, len, self, (size_t)(slash - self), DAEMON_NAME) &&
	    is_executable(out))
		return 1;
	return search_path(out, len);
}

/* The daemon runs in "/", so a relative socket path must be made absolute. */
static int absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];
	if (path[0] == '/')
		return join(out, len, "", 0, path + 1);
	return getcwd(cwd, sizeof cwd) && join(out, len, cwd, strlen(cwd), path);
}

/* The daemon reads PATIENCE_CONFIG_FILE as patience does, but from "/":
 * a relative one is handed to it made absolute, as --config. */
static bool config_argument(char *out, size_t len)
{
	static const char *const prefixes[] = {"PATIENCE"};
	pt_config_search search = {NULL, prefixes, 1, false};
	const char *named = pt_config_named_file(&search, NULL, 0);
	return named && absolute(named, out, len);
}

static void close_from(int lowest)
{
	struct rlimit rl;
	if (close_range((unsigned)lowest, ~0U, 0) == 0)
		return;
	int max = CLOSE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < CLOSE_MAX)
		max = (int)rl.rlim_cur;
	for (int fd = lowest; fd < max; fd++)
		close(fd);
}

/* The grandchild, between fork and exec: async-signal-safe calls only. It
 * must not inherit our blocked or ignored signals (patience blocks some),
 * our descriptors, our terminal or our working directory. */
static void exec_daemon(char *const argv[])
{
	struct sigaction dfl;
	sigset_t none;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	close_from(3);
	if (chdir("/") < 0)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

/* Double fork: the daemon leads its own session, and its parent is gone at
 * once, so it is never our zombie and never gets our terminal's signals. */
static int spawn_detached(const char *exe, const char *socket_path, char *err, size_t err_len)
{
	char config[PATH_MAX];
	bool has_config = config_argument(config, sizeof config);
	char *const argv[] = {(char *)exe, "--socket", (char *)socket_path,
			      has_config ? "--config" : NULL, config, NULL};
	int status = 0;
	pid_t pid = fork();
	if (pid < 0) {
		pt_set_error(err, err_len, "cannot start %s: fork: %s", exe, strerror(errno));
		return PT_EIO;
	}
	if (pid == 0) {
		if (setsid() < 0)
			_exit(1);
		pid_t daemon = fork();
		if (daemon == 0)
			exec_daemon(argv);
		_exit(daemon < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		pt_set_error(err, err_len, "cannot start %s: fork or setsid failed", exe);
		return PT_EIO;
	}
	return PT_OK;
}

static int await_daemon(pt_client *c, const char *exe, const char *socket_path, int64_t wait_ms,
			int64_t timeout_ms, char *err, size_t err_len)
{
	char why[256];
	int64_t deadline = pt_monotonic_ms() + wait_ms;
	for (;;) {
		int rc = pt_client_connect(c, socket_path, timeout_ms, why, sizeof why);
		if (rc == PT_OK)
			return rc;
		if (rc == PT_EINVAL || pt_monotonic_ms() >= deadline) {
			pt_set_error(err, err_len,
				"started %s, but it did not answer within %lld ms: %s", exe,
				(long long)wait_ms, why);
			return rc;
		}
		nanosleep(&(struct timespec){0, RETRY_MS * 1000 * 1000}, NULL);
	}
}

/* Many clients find the daemon gone at once (it died under all of them):
 * only the one that gets this lock beside the socket starts one, the others
 * wait for it. -1: no lock could be made (start anyway: the daemon's own pid
 * lock keeps it to one). */
static int take_start_lock(const char *sock, bool *mine)
{
	char path[PATH_MAX];
	const char *slash = strrchr(sock, '/');
	*mine = true;
	if (!slash || !join(path, sizeof path, sock, (size_t)(slash - sock), "autostart.lock"))
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		*mine = false;
	return fd;
}

int pt_client_autostart(pt_client *c, const char *socket_path, int64_t wait_ms,
			int64_t timeout_ms, char *err, size_t err_len)
{
	char exe[PATH_MAX], sock[PATH_MAX];
	bool mine;
	*c = (pt_client){.tool = c->tool, .fd = -1, .timeout_ms = timeout_ms};
	if (!find_daemon(exe, sizeof exe)) {
		pt_set_error(err, err_len, DAEMON_NAME " not found next to patience or on PATH");
		return PT_ENOENT;
	}
	if (!absolute(socket_path, sock, sizeof sock)) {
		pt_set_error(err, err_len, "cannot make socket path \"%s\" absolute", socket_path);
		return PT_EINVAL;
	}
	int lock = take_start_lock(sock, &mine);
	int rc = mine ? spawn_detached(exe, sock, err, err_len) : PT_OK;
	if (rc == PT_OK)
		rc = await_daemon(c, exe, socket_path, wait_ms, timeout_ms, err, err_len);
	if (lock >= 0)
		close(lock);
	return rc;
}
