/* rate_limited_run: run a command COUNT times, each start taken from a
 * resource's rate limit, which every patience and rpr of the host shares
 * through patience-daemon (or, with no daemon, the host's starts file).
 *
 *   rate_limited_run [-n COUNT] [-r LIMIT -w WINDOW_MS] [-a] RESOURCE COMMAND [ARG...]
 *
 * -r/-w give the limit (if the daemon does not hold one for the resource
 * yet); -a starts a daemon when none answers. Each run is reported to the
 * daemon with its exit code. Exits 0 when every run succeeded, 1 when one
 * failed, 2 on a usage error or when the limit cannot be had.
 *
 * Build: cc rate_limited_run.c $(pkg-config --cflags --libs libpatience) */
#define _POSIX_C_SOURCE 200809L
#include <patience/patience.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The library's warnings (no daemon, another limit held) on stderr. */
static void log_line(void *ctx, int level, const char *line)
{
	(void)ctx;
	if (level == PT_LOG_WARNING)
		fprintf(stderr, "%s\n", line);
}

/* One run: the start is ours (pt_limiter_wait), the command starts, and
 * its end is reported. Returns its exit code, 127 when it cannot start. */
static int run_once(pt_limiter *l, char **argv)
{
	pid_t pid;
	int status, rc = pt_limiter_wait(l);
	if (rc != PT_OK) {
		fprintf(stderr, "rate_limited_run: %s: %s\n", pt_strerror(rc), pt_limiter_error(l));
		return -1;
	}
	if ((rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ)) != 0) {
		pt_limiter_release(l); /* the start was not made: give it back */
		fprintf(stderr, "rate_limited_run: %s: %s\n", argv[0], strerror(rc));
		return 127;
	}
	pt_limiter_started(l, 0);
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return -1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	pt_limiter_executed(l, code > 255 ? 255 : code, code == 0);
	return code;
}

static int usage(void)
{
	fprintf(stderr, "usage: rate_limited_run [-n COUNT] [-r LIMIT -w WINDOW_MS] [-a] "
		"RESOURCE COMMAND [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	long count = 1;
	int opt, failed = 0;
	char err[256];
	while ((opt = getopt(argc, argv, "+n:r:w:a")) != -1) {
		if (opt == 'n')
			count = strtol(optarg, NULL, 10);
		else if (opt == 'r')
			o.limit = strtoll(optarg, NULL, 10);
		else if (opt == 'w')
			o.window_ms = strtoll(optarg, NULL, 10);
		else if (opt == 'a')
			o.flags |= PT_LIMITER_AUTO_START;
		else
			return usage();
	}
	if (argc - optind < 2 || count < 1)
		return usage();
	o.resource = argv[optind];
	o.name = "rate_limited_run";
	o.log = log_line;
	pt_limiter *l;
	int rc = pt_limiter_open(&o, &l, err, sizeof err);
	if (rc != PT_OK) {
		fprintf(stderr, "rate_limited_run: %s: %s\n", pt_strerror(rc), err);
		return 2;
	}
	for (long i = 0; i < count; i++) {
		int code = run_once(l, argv + optind + 1);
		if (code < 0) {
			pt_limiter_close(l);
			return 2;
		}
		failed |= code != 0;
	}
	pt_limiter_close(l);
	return failed;
}
