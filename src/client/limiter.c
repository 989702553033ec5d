#include "client/limiter.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/host_limiter.h"
#include "exec/clock.h"
#include "patience/calendar.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/paths.h"

#define AUTOSTART_WAIT_MS 2000 /* how long a started daemon may take to answer */
#define RECONNECT_TRIES 10     /* after losing the daemon mid-request... */
#define RECONNECT_PAUSE_MS 100 /* ...this far apart */
#define BUSY_PAUSE_MS 100      /* a daemon that holds the host's starts is asked again after this */

/* realtime - monotonic, in ms, read now. */
static int64_t clock_offset_ms(void)
{
	return pt_realtime_ms() - pt_monotonic_ms();
}

/* One line through cfg->say: prefix (may be NULL), then fmt. */
static void say_line(const limiter_config *cfg, bool verbose, const char *prefix,
		     const char *fmt, va_list ap)
{
	char line[PATH_MAX + 512];
	int n = snprintf(line, sizeof line, "%s", prefix ? prefix : "");
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	cfg->say(cfg->say_ctx, verbose, line);
}

void limiter_warn(const limiter_config *cfg, const char *fmt, ...)
{
	va_list ap;
	if (!cfg->say)
		return;
	va_start(ap, fmt);
	say_line(cfg, false, NULL, fmt, ap);
	va_end(ap);
}

void limiter_note(const limiter_config *cfg, const char *fmt, ...)
{
	va_list ap;
	if (!cfg->say || !cfg->verbose_prefix)
		return;
	va_start(ap, fmt);
	say_line(cfg, true, cfg->verbose_prefix, fmt, ap);
	va_end(ap);
}

bool limiter_interrupted(const limiter_config *cfg)
{
	return cfg->interrupted && cfg->interrupted();
}

/* Has any part of this process said that the daemon is unavailable? The
 * limit, the leases and the breaker each say what they use instead, the
 * first with why. */
static _Atomic bool said_unavailable;

void limiter_say_unavailable(bool *said, const limiter_config *cfg, const char *why,
			     const char *instead)
{
	if (*said)
		return;
	*said = true;
	if (atomic_exchange(&said_unavailable, true))
		limiter_warn(cfg, "%s: using %s too", cfg->tool, instead);
	else
		limiter_warn(cfg, "%s: daemon unavailable (%s); using %s", cfg->tool, why, instead);
}

/* Connect, starting a daemon when none answers: also when ours died
 * mid-run, so that a restarted daemon (with its reservations restored)
 * keeps every process on one shared limit. A start that failed once is not
 * tried again, so a broken setup costs one wait, not one per attempt. */
/* Which daemon this process uses, once one has answered: every connection
 * of a run (limits, leases, breaker, a reconnect after a restart) goes to
 * the same one, so that no grant is split between two daemons. */
enum { DAEMON_UNKNOWN, DAEMON_USERS, DAEMON_SYSTEMS };
static _Atomic int daemon_in_use; /* atomic: libpatience's handles may live in threads */

/* The system-wide daemon's socket, for a run on the user's default socket
 * where no daemon of the user answers; NULL when that does not apply. */
static const char *system_socket(const char *socket)
{
	char mine[PATH_MAX];
	const char *sys = getenv("PATIENCE_SYSTEM_SOCKET");
	if (!sys || !*sys)
		sys = PT_SYSTEM_SOCKET;
	if (daemon_in_use == DAEMON_USERS || pt_default_socket_path(mine, sizeof mine) != PT_OK ||
	    strcmp(mine, socket) != 0 || strcmp(sys, socket) == 0)
		return NULL;
	return sys;
}

/* Connect to the system's daemon when it is the one in use, or may be. */
static int connect_system(pt_client *c, const limiter_config *p, int rc, char *err,
			  size_t err_len)
{
	char why[256];
	const char *sys = system_socket(p->daemon_socket);
	if (!sys || (rc != PT_ENOENT && daemon_in_use != DAEMON_SYSTEMS))
		return rc;
	if (pt_client_connect(c, sys, p->daemon_timeout_ms, why, sizeof why) != PT_OK)
		return daemon_in_use == DAEMON_SYSTEMS ? PT_ENOENT : rc;
	daemon_in_use = DAEMON_SYSTEMS;
	return PT_OK;
}

int limiter_connect(pt_client *c, const limiter_config *p, bool *start_failed, char *err,
		    size_t err_len)
{
	c->tool = p->tool;
	int rc = daemon_in_use == DAEMON_SYSTEMS
			 ? PT_ENOENT
			 : pt_client_connect(c, p->daemon_socket, p->daemon_timeout_ms, err, err_len);
	rc = connect_system(c, p, rc, err, err_len);
	if (rc == PT_ENOENT && daemon_in_use == DAEMON_SYSTEMS)
		snprintf(err, err_len, "the system's daemon does not answer");
	else if (rc == PT_ENOENT && p->daemon_auto_start && !*start_failed) {
		rc = pt_client_autostart(c, p->daemon_socket, AUTOSTART_WAIT_MS,
					 p->daemon_timeout_ms, err, err_len);
		*start_failed = rc != PT_OK;
	}
	if (rc == PT_OK && daemon_in_use == DAEMON_UNKNOWN)
		daemon_in_use = DAEMON_USERS;
	c->interrupted = p->interrupted; /* a queued acquire must not outlast Ctrl-C */
	return rc;
}

/* The daemon went away: it is likely being restarted (by us, another
 * client or its supervisor), and a connection made while it comes up can
 * be refused or reset. Try for a while, starting one if none answers (a
 * start that failed before may work now: the daemon did run). */
static void reconnect_daemon(limiter *l, char *err, size_t err_len)
{
	l->start_failed = false;
	for (int i = 0; i < RECONNECT_TRIES && !limiter_interrupted(&l->cfg); i++) {
		if (limiter_connect(&l->client, &l->cfg, &l->start_failed, err, err_len) == PT_OK)
			return;
		nanosleep(&(struct timespec){0, RECONNECT_PAUSE_MS * 1000000L}, NULL);
	}
}

int limiter_init(limiter *l, const limiter_config *cfg)
{
	pt_limit all[PT_LIMITS_MAX] = {{.count = cfg->rate_limit, .window_ms = cfg->window_ms}};
	size_t n = cfg->n_limits ? cfg->n_limits : 1;
	memset(l, 0, sizeof *l);
	l->cfg = *cfg;
	l->client.fd = -1;
	l->local_id = 1;
	l->guard_ms = cfg->rate_limit ? cfg->guard_ms : PT_DURATION_MAX_MS; /* none: never late */
	l->last_late_ms = -1;
	l->used_ms = INT64_MIN;
	/* the daemon's resource enforces the primary (sliding, or GCRA with a
	 * burst): it is told every other limit, and a calendar primary again */
	bool primary_seen = false;
	for (size_t i = 0; i < cfg->n_limits; i++) {
		const pt_limit *x = &cfg->limits[i];
		bool is_primary = !x->calendar && x->count == cfg->rate_limit &&
				  x->window_ms == cfg->window_ms && !primary_seen;
		primary_seen = primary_seen || is_primary;
		all[i] = *x;
		if (is_primary)
			all[i].burst = cfg->burst;
		else
			l->extra[l->n_extra++] = *x;
	}
	if (!cfg->n_limits)
		all[0].burst = cfg->burst;
	/* no limit of our own: the local set stays empty (no limit) until a
	 * daemon's grant says what the resource's limit is */
	if (cfg->rate_limit &&
	    pt_limit_set_init(&l->local, all, n, cfg->guard_ms, pt_zone_localtime,
			      (void *)cfg->tz) != PT_OK) {
		limiter_warn(cfg, "%s: cannot set up the local limiter", cfg->tool);
		return -1;
	}
	l->local.epoch_offset_ms = pt_realtime_ms() - pt_monotonic_ms();
	l->host = (pt_host_limiter){
		.socket_path = cfg->daemon_socket, .resource = cfg->resource_id,
		.limit = cfg->rate_limit, .window_ms = cfg->window_ms, .guard_ms = cfg->guard_ms,
		.burst = cfg->burst,
	};
	if (cfg->daemon_enabled) {
		char err[256];
		limiter_connect(&l->client, &l->cfg, &l->start_failed, err, sizeof err);
	}
	return 0;
}

/* The first start from from_ms on that can be unused: the last start made
 * is used, wherever its command's start moved it (a ms rounded up may lie
 * past the clock read after the attempt). */
static int64_t unused_from(const limiter *l, int64_t from_ms)
{
	return from_ms > l->used_ms ? from_ms : l->used_ms + 1;
}

/* Give back the held grant's starts from from_mono_ms on: never used, so
 * the daemon frees them even when their time has passed (we woke late).
 * The grant's own clock offset converts back to exactly its start times. */
static void release_held(limiter *l, int64_t from_mono_ms)
{
	char err[256];
	if (l->held && l->client.fd >= 0)
		pt_client_release(&l->client, l->held, from_mono_ms + l->held_offset_ms, true, err,
				  sizeof err);
	l->held = 0;
}

/* Give back our starts in the host's file from from_mono_ms on. */
static void release_host(limiter *l, int64_t from_mono_ms)
{
	if (l->host.held)
		pt_host_cancel(&l->host, from_mono_ms + l->host_offset_ms);
	l->host.held = 0;
}

void limiter_cancel(limiter *l, int64_t from_ms)
{
	from_ms = unused_from(l, from_ms);
	release_held(l, from_ms);
	release_host(l, from_ms);
	pt_limit_set_cancel(&l->local, l->local_id, from_ms);
}

void limiter_release(limiter *l)
{
	/* A start in this very millisecond may be the one just used. */
	limiter_cancel(l, pt_monotonic_ms() + 1);
	pt_client_close(&l->client);
	pt_limit_set_release(&l->local);
}

void limiter_started(limiter *l, int64_t granted_ms, int64_t started_ms)
{
	char err[256];
	int64_t guard;
	l->last_late_ms = started_ms - granted_ms;
	l->used_ms = started_ms;
	pt_limit_set_move(&l->local, l->local_id, granted_ms, started_ms);
	if (l->host.held)
		pt_host_started(&l->host, granted_ms + l->host_offset_ms, started_ms + l->host_offset_ms);
	if (!l->held || l->client.fd < 0)
		return;
	/* the grant's own offset gives back exactly its start time */
	if (pt_client_started(&l->client, l->cfg.resource_id, l->held, granted_ms + l->held_offset_ms,
			      started_ms + l->held_offset_ms, &guard, err, sizeof err) == PT_OK &&
	    guard > 0)
		l->daemon_guard_ms = guard;
}

int limiter_executed(limiter *l, int64_t started_ms, int64_t duration_ms, int exit_code,
		     bool succeeded, char *err, size_t err_len)
{
	pt_execution_report r = {
		.resource = l->cfg.resource_id, .started_ms = started_ms,
		.duration_ms = duration_ms > 0 ? duration_ms : 0,
		.exit_code = exit_code >= 0 && exit_code <= 255 ? exit_code : 255,
		.succeeded = succeeded,
	};
	if (!l->cfg.daemon_enabled || l->client.fd < 0)
		return PT_OK; /* no daemon to count it: the run goes on uncounted */
	int rc = pt_client_executed(&l->client, &r, err, err_len);
	if (rc != PT_OK)
		limiter_note(&l->cfg, "patience-daemon did not count the run: %s", err);
	return rc;
}

bool limiter_refused(const limiter *l)
{
	return l->refused;
}

bool limiter_shared(const limiter *l)
{
	return l->shared;
}

const char *limiter_source(const limiter *l)
{
	return l->shared ? "daemon" : l->host.held ? "host" : "local";
}

int64_t limiter_guard_in_force(const limiter *l)
{
	return l->daemon_guard_ms > 0 ? l->daemon_guard_ms : l->host.guard_ms;
}

bool limiter_wants_daemon(const limiter *l)
{
	return l->cfg.daemon_enabled && !l->shared;
}

bool limiter_stale(const limiter *l, int64_t start_ms, int64_t now_ms, bool ask_daemon)
{
	return now_ms > start_ms + l->guard_ms || (ask_daemon && limiter_wants_daemon(l));
}

pt_client *limiter_client(limiter *l)
{
	return &l->client;
}

int64_t limiter_guard_ms(const limiter *l)
{
	return l->guard_ms;
}

bool limiter_limit(const limiter *l, int64_t *limit, int64_t *window_ms)
{
	*limit = l->host.limit; /* the daemon's, else ours: see daemon_grant */
	*window_ms = l->host.window_ms;
	return *limit > 0;
}

/* " in bursts of B", or "" for a sliding window. */
static void burst_text(int64_t burst, char *buf, size_t len)
{
	if (burst)
		snprintf(buf, len, " in bursts of %lld", (long long)burst);
	else if (len)
		buf[0] = '\0';
}

/* The resource's shared limit, not ours, governs its starts: say so once. */
static void say_shared_limit(limiter *l, const pt_grant *g)
{
	char ours[32], theirs[32], guard[32], our_burst[48], their_burst[48];
	pt_duration_format(l->cfg.window_ms, ours, sizeof ours);
	pt_duration_format(g->window_ms, theirs, sizeof theirs);
	pt_duration_format(g->guard_ms, guard, sizeof guard);
	burst_text(l->cfg.burst, our_burst, sizeof our_burst);
	burst_text(g->burst, their_burst, sizeof their_burst);
	l->said_limit = true;
	limiter_warn(&l->cfg, "%s: the daemon holds \"%s\" at %lld per %s%s (guard %s), which "
		"applies instead of %lld per %s%s", l->cfg.tool, l->cfg.resource_id,
		(long long)g->limit, theirs, their_burst, guard, (long long)l->cfg.rate_limit,
		ours, our_burst);
}

/* With -v, once each time it starts: the daemon's Redis backend does not
 * answer, so grants come from the daemon's share of the limit. */
static void say_outage(limiter *l, const pt_grant *g)
{
	bool outage = strcmp(g->backend, "outage") == 0;
	if (outage && !l->in_outage)
		limiter_note(&l->cfg, "patience-daemon cannot reach its Redis backend: \"%s\" is "
			     "granted from this daemon's share of the limit.", l->cfg.resource_id);
	l->in_outage = outage;
}

void limiter_learn(limiter *l, pt_learn_req *req)
{
	char err[256];
	if (!l->shared)
		return; /* no daemon: the run itself waits as asked */
	req->resource = l->cfg.resource_id;
	req->fallback_limit = l->cfg.rate_limit;
	req->fallback_window_ms = l->cfg.window_ms;
	int rc = pt_client_learn(&l->client, req, err, sizeof err);
	if (rc != PT_OK)
		limiter_note(&l->cfg, "patience-daemon did not learn it: %s", err);
	else
		limiter_note(&l->cfg, "Told patience-daemon, for every client of \"%s\".",
			     l->cfg.resource_id);
}

/* Ask the daemon; returns 0 and *base (monotonic), 0 with refused set, or
 * -1 (err says why) when it did not answer. */
static int daemon_grant(limiter *l, const int64_t *offsets, size_t k, int64_t not_before,
			int64_t *base, char *err, size_t err_len)
{
	const limiter_config *p = &l->cfg;
	char client_id[64];
	pt_grant g;
	snprintf(client_id, sizeof client_id, "%s pid %ld", p->tool, (long)getpid());
	int64_t offset = clock_offset_ms();
	pt_acquire_req req = {
		.resource = p->resource_id, .limit = p->rate_limit, .window_ms = p->window_ms,
		.offsets = offsets, .k = k, .not_before_ms = not_before + offset,
		.guard_ms = p->guard_given ? p->guard_ms : 0, .burst = p->burst,
		.client_id = client_id,
		.extra = l->extra, .n_extra = l->n_extra, .tz = p->tz,
		.priority = p->priority, .queue = true,
	};
	int rc = pt_client_acquire(&l->client, &req, &g, err, err_len);
	if (rc != PT_OK && rc != PT_EIO) {
		/* It answered, and said no: going local would break the shared limit. */
		limiter_warn(p, "%s: the daemon refused \"%s\": %s", p->tool, p->resource_id, err);
		snprintf(l->refusal, sizeof l->refusal, "%s", err);
		l->refused = true;
		return 0;
	}
	if (rc != PT_OK)
		return -1;
	if (!l->shared)
		limiter_note(p, "Sharing \"%s\" through patience-daemon.", p->resource_id);
	l->shared = true;
	l->ever_shared = true;
	say_outage(l, &g);
	if (!l->said_limit && p->rate_limit &&
	    (g.limit != p->rate_limit || g.window_ms != p->window_ms || g.burst != p->burst ||
	     (p->guard_given && g.guard_ms != p->guard_ms)))
		say_shared_limit(l, &g);
	l->held = g.reservation;
	l->held_offset_ms = offset;
	l->guard_ms = g.max_late_ms;
	/* the daemon's limit is the shared one: the host's file keeps it too */
	l->host.limit = g.limit;
	l->host.window_ms = g.window_ms;
	l->host.guard_ms = g.guard_ms;
	l->host.burst = g.burst;
	*base = g.start_ms - offset;
	return 0;
}

/* The daemon's grant (*base), connecting first; when it is lost (now, or
 * since an earlier grant of this run), reconnecting and asking once more.
 * false, with the reason in err, when it does not answer. */
static bool grant_from_daemon(limiter *l, const int64_t *offsets, size_t k, int64_t not_before,
			      int64_t *base, char *err, size_t err_len)
{
	bool was_connected = l->client.fd >= 0;
	if (!was_connected)
		limiter_connect(&l->client, &l->cfg, &l->start_failed, err, err_len);
	if (l->client.fd >= 0 && daemon_grant(l, offsets, k, not_before, base, err, err_len) == 0)
		return true;
	if ((!was_connected && !l->ever_shared) || limiter_interrupted(&l->cfg))
		return false;
	reconnect_daemon(l, err, err_len);
	return l->client.fd >= 0 && daemon_grant(l, offsets, k, not_before, base, err, err_len) == 0;
}

/* The caller's own limits for the host's file: the local scheduler's least
 * base (monotonic inside, realtime at the edge). */
typedef struct local_view {
	limiter *l;
	const int64_t *offsets;
	size_t k;
} local_view;

static int local_place(void *ctx, int64_t from_ms, int64_t *base_ms)
{
	local_view *v = ctx;
	int64_t base;
	int rc = pt_limit_set_find(&v->l->local, from_ms - v->l->host_offset_ms, v->offsets, v->k,
				   &base);
	*base_ms = base + v->l->host_offset_ms;
	return rc;
}

/* Without a limit of our own, the daemon's last grant told us the
 * resource's: kept here from now on when the daemon is gone. false: no
 * limit is known. */
static bool local_limit_known(limiter *l)
{
	if (l->local.count || l->cfg.rate_limit)
		return true;
	if (!l->host.limit)
		return false;
	pt_limit learned = {.count = l->host.limit, .window_ms = l->host.window_ms,
			    .burst = l->host.burst};
	if (pt_limit_set_init(&l->local, &learned, 1, l->host.guard_ms, pt_zone_localtime,
			      NULL) != PT_OK)
		return false;
	l->local.epoch_offset_ms = clock_offset_ms();
	return true;
}

/* No daemon answers: the host's shared starts, asked again shortly before
 * a start too far ahead to reserve yet. 0 with *base; 1 when a daemon
 * holds them (alive, but not answering us); -1 when they cannot be used
 * (err says why). */
static int host_grant(limiter *l, const int64_t *offsets, size_t k, int64_t not_before,
		      int64_t *base, char *err, size_t err_len)
{
	local_view v = {l, offsets, k};
	int64_t at;
	int rc;
	if (!local_limit_known(l)) {
		snprintf(err, err_len, "none is known for \"%s\"", l->cfg.resource_id);
		return -1;
	}
	pt_limit_set_expire(&l->local, pt_monotonic_ms());
	for (;;) {
		l->host_offset_ms = clock_offset_ms();
		rc = pt_host_grant(&l->host, offsets, k, not_before + l->host_offset_ms, local_place,
				   &v, &at, err, err_len);
		if (rc != PT_ERANGE || limiter_interrupted(&l->cfg))
			break;
		int64_t wait = at - l->host_offset_ms - PT_HOST_LOOKAHEAD_MS / 2 - pt_monotonic_ms();
		if (wait < 1)
			wait = 1;
		nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000L}, NULL);
	}
	if (rc == PT_EBUSY)
		return 1;
	if (rc != PT_OK)
		return -1;
	*base = at - l->host_offset_ms;
	/* out of memory costs only our own view: the file holds them */
	(void)pt_limit_set_reserve(&l->local, l->local_id, *base, offsets, k);
	l->guard_ms = l->host.guard_ms;
	return 0;
}

/* Say once why the daemon is not used, and what is used instead. */
static void say_instead(limiter *l, const char *why, bool on_host, const char *host_err)
{
	char instead[PATH_MAX + 128];
	if (on_host)
		snprintf(instead, sizeof instead, "the host's shared limits (%s.starts)",
			 l->cfg.daemon_socket);
	else if (!local_limit_known(l))
		snprintf(instead, sizeof instead, "no limit (%.*s)", PATH_MAX + 64, host_err);
	else
		snprintf(instead, sizeof instead, "local limits (%.*s)", PATH_MAX + 64, host_err);
	limiter_say_unavailable(&l->said_fallback, &l->cfg, why, instead);
}

/* A grant shared with every other run of the host: the daemon's, else the
 * host's starts file, waiting while a daemon holds that file but does not
 * answer. false for local limits (having said why). */
static bool shared_grant(limiter *l, const int64_t *offsets, size_t k, int64_t not_before,
			 int64_t *base)
{
	char why[256] = "", err[PATH_MAX + 64];
	for (bool said_busy = false;;) {
		if (grant_from_daemon(l, offsets, k, not_before, base, why, sizeof why))
			return true;
		if (limiter_interrupted(&l->cfg))
			return false; /* the run ends: no fallback to speak of */
		int rc = host_grant(l, offsets, k, not_before, base, err, sizeof err);
		if (rc <= 0) {
			say_instead(l, why, rc == 0, err);
			return rc == 0;
		}
		if (!said_busy)
			limiter_warn(&l->cfg, "%s: the daemon does not answer (%s) but holds %s.starts; "
				     "waiting for it", l->cfg.tool, why, l->cfg.daemon_socket);
		said_busy = true;
		nanosleep(&(struct timespec){0, BUSY_PAUSE_MS * 1000000L}, NULL);
	}
}

int64_t limiter_grant(limiter *l, const int64_t *offsets, size_t k, int64_t not_before_ms,
		      int64_t cancel_from_ms)
{
	int64_t base = not_before_ms;
	limiter_cancel(l, cancel_from_ms);
	if (l->cfg.daemon_enabled && shared_grant(l, offsets, k, not_before_ms, &base))
		return base;
	l->shared = false;
	bool known = local_limit_known(l);
	l->guard_ms = !known ? PT_DURATION_MAX_MS : l->cfg.rate_limit ? l->cfg.guard_ms
								       : l->host.guard_ms;
	pt_limit_set_expire(&l->local, pt_monotonic_ms());
	/* The offsets were checked against the limits, so only memory can
	 * fail, and then starting unscheduled is no worse than not starting. */
	if (pt_limit_set_find(&l->local, not_before_ms, offsets, k, &base) != PT_OK ||
	    pt_limit_set_reserve(&l->local, l->local_id, base, offsets, k) != PT_OK)
		base = not_before_ms;
	return base;
}
