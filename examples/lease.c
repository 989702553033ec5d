/* lease: run a command while holding one of a resource's N concurrency
 * leases, so that at most N such commands run at once across every
 * program of the host that asks for them (patience and rpr
 * --concurrency N among them).
 *
 *   lease RESOURCE N COMMAND [ARG...]
 *
 * Waits for a lease, runs the command, gives the lease back, and exits
 * with the command's status (2 when no lease can be had, 127 when the
 * command cannot start).
 *
 * Build: cc lease.c $(pkg-config --cflags --libs libpatience) */
#define _POSIX_C_SOURCE 200809L
#include <patience/patience.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static void log_line(void *ctx, int level, const char *line)
{
	(void)ctx;
	if (level == PT_LOG_WARNING)
		fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
	pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
	pt_limiter *l;
	pid_t pid;
	int status, rc;
	char err[256];
	if (argc < 4) {
		fprintf(stderr, "usage: lease RESOURCE N COMMAND [ARG...]\n");
		return 2;
	}
	o.resource = argv[1];
	o.concurrency = strtoll(argv[2], NULL, 10);
	o.name = "lease";
	o.log = log_line;
	if ((rc = pt_limiter_open(&o, &l, err, sizeof err)) != PT_OK) {
		fprintf(stderr, "lease: %s: %s\n", pt_strerror(rc), err);
		return 2;
	}
	if ((rc = pt_limiter_lease_acquire(l)) != PT_OK) {
		fprintf(stderr, "lease: %s: %s\n", pt_strerror(rc), pt_limiter_error(l));
		pt_limiter_close(l);
		return 2;
	}
	if ((rc = posix_spawnp(&pid, argv[3], NULL, NULL, argv + 3, environ)) != 0) {
		fprintf(stderr, "lease: %s: %s\n", argv[3], strerror(rc));
		status = 127 << 8;
	} else if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		status = 127 << 8;
	}
	pt_limiter_lease_release(l);
	pt_limiter_close(l);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
