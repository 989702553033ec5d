#include "client/lease_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "patience/error.h"
#include "patience/paths.h"
#include "patience/settings.h"

#define LOCAL_POLL_MS 5 /* how often a local waiter tries the lock files again */

void lease_client_init(lease_client *l, const limiter_config *cfg, int64_t concurrency)
{
	*l = (lease_client){.cfg = *cfg, .concurrency = concurrency, .lock_fd = -1};
	l->client.fd = -1;
}

static void go_local(lease_client *l, const char *why)
{
	l->local = true;
	limiter_say_unavailable(&l->said_fallback, &l->cfg, why,
				"local lock files for --concurrency");
}

/* ---- the local fallback: N lock files ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* <the socket's directory>/leases/<hash of the resource>.<i> */
static int lock_path(const lease_client *l, int64_t i, char *buf, size_t len)
{
	const char *sock = l->cfg.daemon_socket, *slash = sock ? strrchr(sock, '/') : NULL;
	int dir_len = slash ? (int)(slash - sock) : 1;
	int n = snprintf(buf, len, "%.*s/leases/%016" PRIx64 ".%" PRId64, dir_len,
			 slash ? sock : ".", fnv1a(l->cfg.resource_id), i);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* One of the n files locked at once; -1: all are held (or cannot be opened).
 * Each process starts at its own file, so few are tried when many are held. */
static int try_locks(const lease_client *l, int64_t n)
{
	char path[4200];
	for (int64_t j = 0; j < n; j++) {
		if (lock_path(l, ((int64_t)getpid() + j) % n, path, sizeof path) < 0)
			return -1;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

static int acquire_local(lease_client *l, int64_t n)
{
	char path[4200], err[256];
	if (lock_path(l, 0, path, sizeof path) < 0 ||
	    pt_make_private_dir_for(path, err, sizeof err) != PT_OK) {
		limiter_warn(&l->cfg, "%s: --concurrency: no directory for the lock files: %s",
			     l->cfg.tool, lock_path(l, 0, path, sizeof path) < 0 ? "path too long" : err);
		return PT_EIO;
	}
	struct timespec pause = {0, LOCAL_POLL_MS * 1000000L};
	while ((l->lock_fd = try_locks(l, n)) < 0 && !limiter_interrupted(&l->cfg))
		nanosleep(&pause, NULL);
	return 0; /* a signal: the attempt that follows sees it and ends the run */
}

/* ---- the daemon's leases ---- */

static void say_limit(lease_client *l, int64_t limit)
{
	if (l->said_limit || !l->cfg.verbose_prefix || limit == l->concurrency)
		return;
	l->said_limit = true;
	limiter_note(&l->cfg, "the daemon holds \"%s\" to concurrency %" PRId64 " (not %" PRId64
		     ")", l->cfg.resource_id, limit, l->concurrency);
}

/* 0 with the lease held; 1: the daemon is unreachable (err says why); -1:
 * it refused us (said). */
static int ask_daemon(lease_client *l, char *err, size_t err_len)
{
	int64_t limit;
	if (l->client.fd < 0 &&
	    limiter_connect(&l->client, &l->cfg, &l->start_failed, err, err_len) != PT_OK)
		return 1;
	int rc = pt_client_lease(&l->client, l->cfg.resource_id, l->concurrency, &l->held, &limit,
				 err, err_len);
	if (rc == PT_EIO)
		return 1;
	if (rc == PT_OK) {
		say_limit(l, limit);
		l->limit = limit >= 1 && limit <= PT_CONCURRENCY_MAX ? limit : l->concurrency;
		return 0;
	}
	l->held = 0;
	limiter_warn(&l->cfg, "%s: the daemon refused a lease of \"%s\": %s", l->cfg.tool,
		     l->cfg.resource_id, err);
	return -1;
}

int lease_acquire(lease_client *l)
{
	char err[256] = "";
	if (l->held || l->lock_fd >= 0)
		return 0;
	if (!l->local && l->cfg.daemon_enabled) {
		int rc = ask_daemon(l, err, sizeof err);
		if (rc == 1 && l->client.fd < 0 && !limiter_interrupted(&l->cfg)) /* closed: once more */
			rc = ask_daemon(l, err, sizeof err);
		if (rc < 0 || (rc == 1 && limiter_interrupted(&l->cfg)))
			return rc < 0 ? PT_EINVAL : 0; /* a signal: the caller ends the run */
		/* Granted: a lock file too, so that processes which fell back to
		 * the lock files and ours never run more than N together. */
		if (rc == 0)
			return acquire_local(l, l->limit);
		go_local(l, err);
	}
	return acquire_local(l, l->concurrency);
}

static void unlease(lease_client *l)
{
	char err[256];
	if (pt_client_unlease(&l->client, l->held, err, sizeof err) != PT_OK)
		pt_client_close(&l->client); /* closing frees it as surely */
}

/* The lock first: the daemon's next holder then finds it free. */
void lease_release(lease_client *l)
{
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = -1;
	if (l->held)
		unlease(l);
	l->held = 0;
}

void lease_client_close(lease_client *l)
{
	lease_release(l);
	pt_client_close(&l->client);
}

void lease_client_forget(lease_client *l)
{
	pt_client_close(&l->client); /* our copy of the descriptor only */
	l->held = 0;
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = -1;
}
