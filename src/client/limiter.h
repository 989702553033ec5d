/* Where a rate-limited run gets its start times: the daemon when asked to
 * (shared with every other process), else a local Diophantine scheduler
 * holding only this run's starts. If the daemon cannot be reached, or stops
 * answering mid-run, the run reconnects (starting a daemon, as a fresh run
 * would) and only then falls back, saying so once: to the host's shared
 * starts beside the socket (client/host_limiter.h), so that every run of
 * the host still shares one limit, or to local limits when that file
 * cannot be used. It tries the daemon again at its next grant. Times are
 * CLOCK_MONOTONIC ms here; realtime ms are converted at the boundary. */
#ifndef PT_CLIENT_LIMITER_H
#define PT_CLIENT_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "client/client.h"
#include "client/host_limiter.h"
#include "patience/diophantine.h"
#include "patience/limit.h"
#include "patience/limit_set.h"

/* What a limited run asks for, whichever tool runs it. */
typedef struct limiter_config {
	const char *tool;        /* "patience", "rpr": names the messages */
	const char *resource_id;
	/* Every limit of the resource (patience/limit.h), all enforced by the
	 * local scheduler (calendar ones in the local time zone, TZ); the
	 * daemon is asked for the primary one, rate_limit per window_ms
	 * (pt_limit_list_primary), and told the rest. NULL/0: only that one
	 * (rpr --rate). */
	const pt_limit *limits;
	size_t n_limits;
	const char *tz; /* calendar limits' IANA zone; NULL: local time */
	int64_t rate_limit, window_ms, guard_ms; /* rate_limit 0: none of our own; the
						  * daemon's for the resource, if it
						  * has one (then the last it gave
						  * when it is gone) */
	int64_t priority;        /* in the daemon's queue: high 1, normal 0, low -1 */
	bool guard_given;        /* sent to the daemon for a resource it creates */
	int64_t burst;           /* the primary limit in bursts of B (GCRA); 0: sliding */
	bool daemon_enabled, daemon_auto_start;
	int64_t daemon_timeout_ms;
	const char *daemon_socket;
	const char *verbose_prefix; /* "[retry] ": say when the limit is shared; NULL: not */
	/* Where the lines of the limiter, the lease and the breaker clients go,
	 * one at a time without a newline: warnings (verbose false), and the
	 * lines that start with verbose_prefix (true). NULL: nowhere. */
	void (*say)(void *ctx, bool verbose, const char *line);
	void *say_ctx;
	/* Asked when a signal interrupts a wait (for the daemon, a lock, a
	 * reconnect): non-zero ends it. The tools: pt_signals_pending. NULL:
	 * never; a wait then goes on. */
	int (*interrupted)(void);
} limiter_config;

typedef struct limiter {
	limiter_config cfg;
	pt_client client;
	bool said_fallback;  /* the one warning has been printed */
	bool start_failed;   /* an auto-start did not bring a daemon up */
	bool said_limit;     /* told that the daemon's limit differs from ours */
	bool in_outage;      /* the last grant came from the daemon's local share */
	bool shared;         /* the last grant came from the daemon */
	bool ever_shared;    /* a daemon has granted this run (so one should be there) */
	bool refused;        /* the daemon answered an acquire with an error */
	pt_limit_set local;
	pt_limit extra[PT_LIMITS_MAX]; /* the limits the daemon is told beside the primary */
	size_t n_extra;
	uint64_t local_id;   /* id of our local reservation */
	uint64_t held;       /* daemon reservation we hold, 0: none */
	int64_t held_offset_ms; /* its realtime - monotonic, as converted */
	int64_t guard_ms;
	int64_t last_late_ms;   /* how late the last start was after its grant (-1: none) */
	int64_t used_ms;        /* the last start as made (monotonic): never given back */
	int64_t daemon_guard_ms; /* the daemon's guard in force as it last said (0: none) */
	pt_host_limiter host;   /* the host's shared starts, when no daemon answers */
	int64_t host_offset_ms; /* realtime - monotonic of our grant from it */
	char refusal[256];      /* why the daemon refused, when refused */
} limiter;

/* A warning through cfg->say, and a -v line (after cfg->verbose_prefix,
 * only when there is one). */
void limiter_warn(const limiter_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void limiter_note(const limiter_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Has cfg->interrupted said that a wait must end? */
bool limiter_interrupted(const limiter_config *cfg);

/* Say once (*said), even with --quiet, that the daemon cannot be reached
 * and what the run uses instead ("local limits"): whoever set up the
 * daemon needs to know that the run no longer shares with it. */
void limiter_say_unavailable(bool *said, const limiter_config *cfg, const char *why,
			     const char *instead);

/* cfg is copied (its strings must outlive l). Returns 0, or -1 after
 * saying why (out of memory). */
int limiter_init(limiter *l, const limiter_config *cfg);
/* Give back every start not yet used, close the connection. */
void limiter_release(limiter *l);

/* Reserve k starts base+offsets[i] with base >= not_before_ms (monotonic),
 * first giving back the earlier grant's starts at or after cancel_from_ms,
 * which must all be unused. Returns base. */
int64_t limiter_grant(limiter *l, const int64_t *offsets, size_t k, int64_t not_before_ms,
		      int64_t cancel_from_ms);

/* Give back the held grant's starts at or after from_ms (monotonic), all
 * unused (the last start made is kept whatever from_ms says). */
void limiter_cancel(limiter *l, int64_t from_ms);

/* The start granted at granted_ms really began at started_ms (monotonic:
 * its command had exec'd): the daemon (or the local scheduler) moves it
 * there, so later grants are spaced from the real start. */
void limiter_started(limiter *l, int64_t granted_ms, int64_t started_ms);

/* A run of the command ended: the daemon counts it for the resource
 * (docs/PROTOCOL.md, executed), when it answers. started_ms is realtime;
 * exit_code as timeout(1) gives it; succeeded as the tool judged it.
 * PT_OK, also when no daemon is there to count it; else as
 * pt_client_executed (err says why; -v says it too). */
int limiter_executed(limiter *l, int64_t started_ms, int64_t duration_ms, int exit_code,
		     bool succeeded, char *err, size_t err_len);

/* Did the daemon refuse our acquire (e.g. infeasible under its limit)?
 * The run must stop then: local limits would break the shared one. Its
 * reason is in l->refusal. */
bool limiter_refused(const limiter *l);
/* Did the current grant come from the daemon? */
bool limiter_shared(const limiter *l);
/* Who placed the current grant: "daemon", "host" (the host's shared
 * starts) or "local". */
const char *limiter_source(const limiter *l);
/* The guard in force for our starts: the daemon's as it last said, else
 * our own. */
int64_t limiter_guard_in_force(const limiter *l);
/* Should the daemon be asked again: it is on, and our grant is local. */
bool limiter_wants_daemon(const limiter *l);
/* Woken at now_ms for the start granted at start_ms: must it be asked for
 * again? Yes when now is more than the guard late (a start then could
 * crowd a window), and, with ask_daemon (the first wake for it), when the
 * grant is local while the daemon is wanted (it may be back). */
bool limiter_stale(const limiter *l, int64_t start_ms, int64_t now_ms, bool ask_daemon);

/* Pass on to the daemon what the service said (req->resource and the
 * fallback limit are filled in here), when the last grant came from it;
 * with -v, says what the daemon made of it. */
void limiter_learn(limiter *l, pt_learn_req *req);

/* Connect c to cfg's daemon, starting one when none answers if cfg says so
 * and *start_failed is not set (it is set when a start fails). Returns as
 * pt_client_connect, with the reason in err. */
int limiter_connect(pt_client *c, const limiter_config *cfg, bool *start_failed, char *err,
		    size_t err_len);

/* The client the limiter talks to the daemon on (fd -1: not connected). */
pt_client *limiter_client(limiter *l);

/* How late a start may be before it must be granted again. */
int64_t limiter_guard_ms(const limiter *l);
/* The limit starts are kept under: the daemon's as its last grant said,
 * else ours. false when there is none. */
bool limiter_limit(const limiter *l, int64_t *limit, int64_t *window_ms);

#endif
