/* libpatience: share a resource's limits with every patience and rpr of
 * the host, from a program of your own.
 *
 * A pt_limiter is one resource ("api:external:api.github.com") as patience
 * and rpr see it: its rate limit (N starts per window W, kept by
 * patience-daemon for every client of the user, or of the host through the
 * system's daemon), its concurrency leases (at most N holders at once) and
 * its circuit breaker. When no daemon answers, the handle falls back as the
 * tools do: to the host's shared starts file beside the daemon's socket
 * (still one limit for every process of the host), to lock files for the
 * leases, and to a breaker of its own, and says so once through its log.
 *
 *     pt_limiter_options o = PT_LIMITER_OPTIONS_INIT;
 *     o.resource = "api:external:api.example.com";
 *     o.limit = 10;            // 10 starts...
 *     o.window_ms = 60000;     // ...per minute
 *     pt_limiter *l;
 *     if (pt_limiter_open(&o, &l, NULL, 0) != PT_OK) ...
 *     pt_limiter_wait(l);      // sleeps until the start is ours
 *     pt_limiter_started(l, 0);
 *     int ok = do_the_work();
 *     pt_limiter_executed(l, ok ? 0 : 1, ok);
 *     pt_limiter_close(l);
 *
 * Every function returns PT_OK (0) or a negative PT_E* code (never errno;
 * pt_strerror names it, pt_limiter_error tells the detail). None prints,
 * exits, installs a signal handler or changes the signal mask.
 *
 * Threads: a handle is used by one thread at a time; distinct handles may
 * be used by distinct threads at once. After fork(2), only one of the two
 * processes may go on using a handle (the other neither uses nor closes it).
 *
 * Times: CLOCK_REALTIME milliseconds where a point in time is asked for,
 * plain milliseconds for a delay. See libpatience(3). */
#ifndef PATIENCE_PATIENCE_H
#define PATIENCE_PATIENCE_H

#include <stdint.h>
#include <stddef.h>

#include "patience/error.h"
#include "patience/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One resource's limit, leases and breaker; opaque. */
typedef struct pt_limiter pt_limiter;

/* The flags of pt_limiter_options. */
enum pt_limiter_flag {
	/* Start a patience-daemon (found beside the program, else on PATH)
	 * when none answers on the socket. */
	PT_LIMITER_AUTO_START = 1 << 0,
};

/* The levels of the lines a handle says (pt_limiter_options.log). */
enum pt_log_level {
	PT_LOG_WARNING = 0, /* the daemon cannot be reached, and what is used instead; a
			     * daemon that holds another limit than ours; a refusal */
	PT_LOG_INFO = 1,    /* what patience -v says: sharing through the daemon, ... */
};

/* Receives one line (no newline) said by a handle. */
typedef void pt_log_fn(void *ctx, int level, const char *line);

#define PT_LIMITER_OPTIONS_VERSION 1

/* What pt_limiter_open copies (its strings too). Start from
 * PT_LIMITER_OPTIONS_INIT or pt_limiter_options_init: a zero means "the
 * default". Later versions of the library add fields at the end, and
 * still read a version 1 struct as it is. */
typedef struct pt_limiter_options {
	int version;          /* PT_LIMITER_OPTIONS_VERSION */
	const char *resource; /* required: type:category:target, as the tools' --resource-id */
	/* The rate limit: at most limit starts in any window of window_ms.
	 * 0 and 0: the limit the daemon holds for the resource (held, or
	 * configured there), if any; the daemon's limit governs a resource it
	 * already holds in any case. */
	int64_t limit, window_ms;
	int64_t burst;    /* > 0: a token bucket of burst (GCRA); 0: a sliding window */
	int64_t guard_ms; /* 0: 10 ms + 1% of the window */
	int priority;     /* in the daemon's queue: 1 high, 0 normal, -1 low */
	int64_t concurrency;  /* leases: at most this many holders at once; 0: no leases */
	const char *breaker;  /* a circuit breaker, as --circuit-breaker:
			       * "failures=5,window=60s,cooldown=30s,probes=1" (any subset;
			       * "" the defaults); NULL: none */
	/* The daemon's socket. NULL: $PATIENCE_DAEMON_SOCKET, else the user's
	 * ($XDG_RUNTIME_DIR/patience/daemon.sock), and there the system's
	 * daemon (/run/patience/daemon.sock) when the user has none. */
	const char *socket_path;
	int64_t timeout_ms; /* bound on each daemon request; 0: 2 s */
	unsigned flags;     /* PT_LIMITER_* */
	/* The program's name: in the log's lines, and the daemon counts the
	 * runs reported under it. NULL: "libpatience". */
	const char *name;
	pt_log_fn *log; /* NULL: nothing is said */
	void *log_ctx;
	/* Asked when a signal interrupts a wait (for the daemon's answer, a
	 * lease, a start): non-zero ends the call with PT_EINTR. NULL: waits go
	 * on through signals. */
	int (*interrupted)(void);
} pt_limiter_options;

/* Options with every field at its default: in C, an initializer; in any
 * language, the function. */
#define PT_LIMITER_OPTIONS_INIT {.version = PT_LIMITER_OPTIONS_VERSION}
PT_EXPORT void pt_limiter_options_init(pt_limiter_options *options);

/* Check and copy options into a new handle (*out). No daemon is asked
 * yet: the first call that needs one connects (and auto-starts). PT_OK;
 * PT_EINVAL (a bad option: err says which) or PT_ENOMEM, *out NULL then.
 * err may be NULL. */
PT_EXPORT int pt_limiter_open(const pt_limiter_options *options, pt_limiter **out, char *err,
			      size_t err_len);
/* Give back what the handle holds (a start not made, a lease), close its
 * connections and free it. NULL: nothing. */
PT_EXPORT void pt_limiter_close(pt_limiter *l);
/* What the last failing call of l had to say, "" when none; valid until
 * the next call on l. */
PT_EXPORT const char *pt_limiter_error(const pt_limiter *l);

/* -- starts (pt_limiter_acquire(3)) -- */

/* A start of the resource's rate limit. *delay_ms: how long from now until
 * it (0: start now). Call again after the delay: while the start is ahead
 * it is the same one; when its time has come, *delay_ms is 0; when it was
 * missed by more than the guard time (the caller woke late), it is given
 * back and a new one is asked for. The call itself may block: the daemon
 * answers a request queued behind others shortly before its start, and the
 * host's starts file reserves none more than 100 ms ahead. PT_OK;
 * PT_EREFUSED (the daemon refused the limit: it can never hold it);
 * PT_EINTR; PT_EINVAL. */
PT_EXPORT int pt_limiter_acquire(pt_limiter *l, int64_t *delay_ms);
/* pt_limiter_acquire, sleeping (CLOCK_MONOTONIC, to an absolute time)
 * until the start is due. PT_OK: start now. */
PT_EXPORT int pt_limiter_wait(pt_limiter *l);
/* The work of the acquired start began at started_ms (CLOCK_REALTIME ms; 0:
 * now): the limit counts it from there. PT_OK; PT_EINVAL when no start is
 * due (none acquired, or it is still ahead). */
PT_EXPORT int pt_limiter_started(pt_limiter *l, int64_t started_ms);
/* The work of the last start ended: the daemon counts the run for the
 * resource (patience-daemon status RESOURCE, /metrics). exit_code 0..255;
 * succeeded as the program judges it. PT_OK, also when no daemon is there
 * to count it; PT_EINVAL (no start made; a value out of range); PT_EIO. */
PT_EXPORT int pt_limiter_executed(pt_limiter *l, int exit_code, int succeeded);
/* Give back the acquired start, not made. PT_OK (also when none is held). */
PT_EXPORT int pt_limiter_release(pt_limiter *l);
/* Who placed the current or last start: "daemon", "host" (the host's
 * shared starts file), "local" (this process alone), "" (none yet). */
PT_EXPORT const char *pt_limiter_source(const pt_limiter *l);

/* -- leases (pt_limiter_lease(3)) -- */

/* Wait until one of the resource's concurrency leases is ours (at once
 * when we hold one). PT_OK; PT_EINVAL (no concurrency in the options);
 * PT_EREFUSED; PT_EIO (no directory for the lock files); PT_EINTR. */
PT_EXPORT int pt_limiter_lease_acquire(pt_limiter *l);
/* Give the lease back. PT_OK (also when none is held). */
PT_EXPORT int pt_limiter_lease_release(pt_limiter *l);

/* -- circuit breaker (pt_limiter_breaker(3)) -- */

/* May an attempt start now? PT_OK: yes (*retry_ms 0); PT_ECIRCUIT: not
 * now, the breaker is open (or half-open with its probes out): ask again
 * in *retry_ms; PT_EINVAL (no breaker in the options). retry_ms may be
 * NULL. */
PT_EXPORT int pt_limiter_breaker_admit(pt_limiter *l, int64_t *retry_ms);
/* The admitted attempt succeeded (non-zero) or failed. PT_OK; PT_EINVAL. */
PT_EXPORT int pt_limiter_breaker_report(pt_limiter *l, int success);

/* The library's version as it was built ("0.1.0"); PATIENCE_VERSION is the
 * header's. */
PT_EXPORT const char *pt_version(void);

#ifdef __cplusplus
}
#endif

#endif
