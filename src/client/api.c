/* libpatience's public API (include/patience/patience.h): a handle over the
 * same limiter, lease client and breaker client that patience and rpr run
 * on, so that a program shares a resource with them by the same rules. */
#include "patience/patience.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/breaker_client.h"
#include "client/lease_client.h"
#include "client/limiter.h"
#include "exec/clock.h"
#include "lib/set_error.h"
#include "patience/breaker.h"
#include "patience/diophantine.h"
#include "patience/duration.h"
#include "patience/paths.h"
#include "patience/settings.h"

#define DEFAULT_NAME "libpatience"
#define DEFAULT_TIMEOUT_MS 2000 /* as the tools' daemon_timeout */

struct pt_limiter {
	char *resource, *name;
	char socket[PATH_MAX];
	pt_log_fn *log;
	void *log_ctx;
	limiter_config cfg;  /* its strings are the ones above */
	limiter lim;         /* set up at the first acquire */
	bool lim_ready;
	lease_client lease;  /* when concurrency */
	breaker_client breaker;
	bool has_breaker;
	bool granted;        /* a start is held, not yet made */
	int64_t grant_ms;    /* when (CLOCK_MONOTONIC ms) */
	bool asked_again;    /* the daemon was asked again for it at its time */
	bool started;        /* a start was made, its run not yet reported */
	int64_t started_ms, started_real_ms; /* when: monotonic, realtime */
	char error[256];
};

/* The limiter's lines, to the caller's log. */
static void say(void *ctx, bool verbose, const char *line)
{
	pt_limiter *l = ctx;
	if (l->log)
		l->log(l->log_ctx, verbose ? PT_LOG_INFO : PT_LOG_WARNING, line);
}

/* Returns code, keeping the detail for pt_limiter_error. */
__attribute__((format(printf, 3, 4))) static int fail(pt_limiter *l, int code,
						       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->error, sizeof l->error, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- opening ---- */

static int check_options(const pt_limiter_options *o, char *err, size_t err_len)
{
	if (o->version != PT_LIMITER_OPTIONS_VERSION) {
		pt_set_error(err, err_len, "options version %d, not %d", o->version,
			     PT_LIMITER_OPTIONS_VERSION);
		return PT_EINVAL;
	}
	if (!o->resource || !*o->resource) {
		pt_set_error(err, err_len, "no resource");
		return PT_EINVAL;
	}
	if (o->limit < 0 || o->window_ms < 0 || (o->limit > 0) != (o->window_ms > 0) ||
	    o->window_ms > PT_DURATION_MAX_MS || o->burst < 0 || o->guard_ms < 0 ||
	    o->guard_ms > PT_DURATION_MAX_MS || o->timeout_ms < 0 || o->priority < -1 ||
	    o->priority > 1 || o->concurrency < 0 || o->concurrency > PT_CONCURRENCY_MAX) {
		pt_set_error(err, err_len, "a value out of range (limit and window_ms go together; "
			     "priority -1..1; concurrency 0..%d)", PT_CONCURRENCY_MAX);
		return PT_EINVAL;
	}
	if (o->burst && !o->limit) {
		pt_set_error(err, err_len, "a burst without a limit");
		return PT_EINVAL;
	}
	return PT_OK;
}

void pt_limiter_options_init(pt_limiter_options *o)
{
	if (o)
		*o = (pt_limiter_options){.version = PT_LIMITER_OPTIONS_VERSION};
}

/* socket_path, else $PATIENCE_DAEMON_SOCKET, else the user's default. */
static int find_socket(const pt_limiter_options *o, char *buf, size_t len, char *err,
		       size_t err_len)
{
	const char *given = o->socket_path;
	if (!given || !*given)
		given = getenv("PATIENCE_DAEMON_SOCKET");
	if (given && *given) {
		if (strlen(given) >= len) {
			pt_set_error(err, err_len, "socket path longer than %zu bytes", len - 1);
			return PT_EINVAL;
		}
		strcpy(buf, given);
		return PT_OK;
	}
	if (pt_default_socket_path(buf, len) != PT_OK) {
		pt_set_error(err, err_len, "no room for the default socket path");
		return PT_EINVAL;
	}
	return PT_OK;
}

static void fill_config(pt_limiter *l, const pt_limiter_options *o)
{
	l->cfg = (limiter_config){
		.tool = l->name, .resource_id = l->resource,
		.rate_limit = o->limit, .window_ms = o->window_ms,
		.guard_ms = o->guard_ms ? o->guard_ms : pt_dio_default_guard(o->window_ms),
		.guard_given = o->guard_ms > 0, .burst = o->burst, .priority = o->priority,
		.daemon_enabled = true, .daemon_auto_start = o->flags & PT_LIMITER_AUTO_START,
		.daemon_timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS,
		.daemon_socket = l->socket,
		.verbose_prefix = o->log ? "" : NULL, /* the log's level tells them apart */
		.say = say, .say_ctx = l, .interrupted = o->interrupted,
	};
}

/* The breaker of the options, when they ask for one. */
static int open_breaker(pt_limiter *l, const pt_limiter_options *o, char *err, size_t err_len)
{
	pt_breaker_spec spec;
	if (!o->breaker)
		return PT_OK;
	if (!*o->breaker)
		pt_breaker_spec_default(&spec);
	else if (pt_breaker_spec_parse(o->breaker, &spec, err, err_len) != PT_OK)
		return PT_EINVAL;
	if (breaker_client_init(&l->breaker, &l->cfg, &spec, false) < 0) {
		pt_set_error(err, err_len, "no memory for the breaker");
		return PT_ENOMEM;
	}
	l->has_breaker = true;
	return PT_OK;
}

int pt_limiter_open(const pt_limiter_options *o, pt_limiter **out, char *err, size_t err_len)
{
	if (!out)
		return PT_EINVAL;
	*out = NULL;
	if (!o) {
		pt_set_error(err, err_len, "no options");
		return PT_EINVAL;
	}
	int rc = check_options(o, err, err_len);
	if (rc != PT_OK)
		return rc;
	pt_limiter *l = calloc(1, sizeof *l);
	if (!l || !(l->resource = strdup(o->resource)) ||
	    !(l->name = strdup(o->name ? o->name : DEFAULT_NAME))) {
		pt_limiter_close(l);
		pt_set_error(err, err_len, "out of memory");
		return PT_ENOMEM;
	}
	l->log = o->log;
	l->log_ctx = o->log_ctx;
	l->lease.lock_fd = -1; /* closeable before lease_client_init */
	l->lease.client.fd = -1;
	if ((rc = find_socket(o, l->socket, sizeof l->socket, err, err_len)) != PT_OK) {
		pt_limiter_close(l);
		return rc;
	}
	fill_config(l, o);
	lease_client_init(&l->lease, &l->cfg, o->concurrency);
	if ((rc = open_breaker(l, o, err, err_len)) != PT_OK) {
		pt_limiter_close(l);
		return rc;
	}
	*out = l;
	return PT_OK;
}

void pt_limiter_close(pt_limiter *l)
{
	if (!l)
		return;
	if (l->lim_ready)
		limiter_release(&l->lim);
	lease_client_close(&l->lease);
	if (l->has_breaker)
		breaker_client_release(&l->breaker);
	free(l->resource);
	free(l->name);
	free(l);
}

/* ---- starts ---- */

static const int64_t one_start[] = {0};

/* The limiter, set up at the first start asked for: a handle of leases
 * only never connects for it. */
static int ensure_limiter(pt_limiter *l)
{
	if (l->lim_ready)
		return PT_OK;
	if (limiter_init(&l->lim, &l->cfg) < 0)
		return fail(l, PT_ENOMEM, "cannot set up the limiter");
	l->lim_ready = true;
	return PT_OK;
}

/* A new grant from now on, giving back the held one's starts from
 * cancel_from_ms on. */
static int grant(pt_limiter *l, int64_t now, int64_t cancel_from_ms)
{
	int64_t base = limiter_grant(&l->lim, one_start, 1, now, cancel_from_ms);
	l->granted = false;
	if (limiter_refused(&l->lim))
		return fail(l, PT_EREFUSED, "%s", l->lim.refusal);
	if (limiter_interrupted(&l->cfg)) {
		limiter_cancel(&l->lim, base);
		return fail(l, PT_EINTR, "interrupted");
	}
	l->granted = true;
	l->grant_ms = base;
	return PT_OK;
}

int pt_limiter_acquire(pt_limiter *l, int64_t *delay_ms)
{
	int rc;
	if (!l || !delay_ms)
		return PT_EINVAL;
	*delay_ms = 0;
	if ((rc = ensure_limiter(l)) != PT_OK)
		return rc;
	int64_t now = pt_monotonic_ms();
	if (!l->granted) {
		rc = grant(l, now, now);
		now = pt_monotonic_ms(); /* the daemon may have queued us a while */
		l->asked_again = rc == PT_OK && l->grant_ms <= now; /* just asked */
	}
	/* at its time: late, or local while the daemon may be back? ask again */
	while (rc == PT_OK && l->grant_ms <= now &&
	       limiter_stale(&l->lim, l->grant_ms, now, !l->asked_again)) {
		l->asked_again = true;
		rc = grant(l, now, l->grant_ms);
		now = pt_monotonic_ms();
	}
	if (rc == PT_OK && l->grant_ms > now)
		*delay_ms = l->grant_ms - now;
	return rc;
}

/* Sleep until ms (CLOCK_MONOTONIC); PT_EINTR when interrupted says so. */
static int sleep_until(pt_limiter *l, int64_t ms)
{
	struct timespec at = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	int rc;
	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL)) == EINTR)
		if (limiter_interrupted(&l->cfg))
			return fail(l, PT_EINTR, "interrupted");
	return rc == 0 ? PT_OK : fail(l, PT_EINVAL, "clock_nanosleep failed");
}

int pt_limiter_wait(pt_limiter *l)
{
	int64_t delay;
	int rc;
	while ((rc = pt_limiter_acquire(l, &delay)) == PT_OK && delay > 0)
		if ((rc = sleep_until(l, l->grant_ms)) != PT_OK)
			break;
	return rc;
}

int pt_limiter_started(pt_limiter *l, int64_t started_ms)
{
	if (!l)
		return PT_EINVAL;
	int64_t now_real = pt_realtime_ms();
	/* rounded up, as the tools do: never before the grant it was made for */
	int64_t now = (pt_monotonic_ns() + PT_NS_PER_MS - 1) / PT_NS_PER_MS;
	int64_t at = started_ms ? started_ms - (now_real - now) : now;
	if (!l->granted)
		return fail(l, PT_EINVAL, "no start acquired");
	if (at < l->grant_ms)
		return fail(l, PT_EINVAL, "the start is %lld ms before its time",
			    (long long)(l->grant_ms - at));
	limiter_started(&l->lim, l->grant_ms, at);
	l->granted = false;
	l->started = true;
	l->started_ms = at;
	l->started_real_ms = started_ms ? started_ms : now_real;
	return PT_OK;
}

int pt_limiter_executed(pt_limiter *l, int exit_code, int succeeded)
{
	if (!l)
		return PT_EINVAL;
	if (!l->started)
		return fail(l, PT_EINVAL, "no start made");
	if (exit_code < 0 || exit_code > 255)
		return fail(l, PT_EINVAL, "exit code %d is not 0..255", exit_code);
	int64_t duration = pt_monotonic_ms() - l->started_ms;
	l->started = false;
	int rc = limiter_executed(&l->lim, l->started_real_ms, duration, exit_code, succeeded != 0,
				  l->error, sizeof l->error);
	return rc == PT_OK || rc == PT_EIO ? rc : PT_EINVAL;
}

int pt_limiter_release(pt_limiter *l)
{
	if (!l)
		return PT_EINVAL;
	if (l->granted)
		limiter_cancel(&l->lim, l->grant_ms);
	l->granted = false;
	return PT_OK;
}

const char *pt_limiter_source(const pt_limiter *l)
{
	return !l || !l->lim_ready ? "" : limiter_source(&l->lim);
}

/* ---- leases ---- */

int pt_limiter_lease_acquire(pt_limiter *l)
{
	if (!l)
		return PT_EINVAL;
	if (!l->lease.concurrency)
		return fail(l, PT_EINVAL, "no concurrency in the options");
	int rc = lease_acquire(&l->lease);
	if (rc == PT_EINVAL)
		return fail(l, PT_EREFUSED, "the daemon refused a lease of \"%s\"", l->resource);
	if (rc != PT_OK)
		return fail(l, rc, "no directory for the lock files beside %s", l->socket);
	if (!l->lease.held && l->lease.lock_fd < 0)
		return fail(l, PT_EINTR, "interrupted");
	return PT_OK;
}

int pt_limiter_lease_release(pt_limiter *l)
{
	if (!l)
		return PT_EINVAL;
	lease_release(&l->lease);
	return PT_OK;
}

/* ---- circuit breaker ---- */

int pt_limiter_breaker_admit(pt_limiter *l, int64_t *retry_ms)
{
	pt_breaker_admission a;
	char state[16];
	if (retry_ms)
		*retry_ms = 0;
	if (!l)
		return PT_EINVAL;
	if (!l->has_breaker)
		return fail(l, PT_EINVAL, "no breaker in the options");
	if (breaker_client_try(&l->breaker, &a, state, sizeof state))
		return PT_OK;
	int64_t left = a.retry_at_ms - pt_monotonic_ms();
	if (retry_ms)
		*retry_ms = left > 0 ? left : 0;
	return fail(l, PT_ECIRCUIT, "circuit %s for resource %s",
		    strcmp(state, "half_open") == 0 ? "half-open" : "open", l->resource);
}

int pt_limiter_breaker_report(pt_limiter *l, int success)
{
	if (!l)
		return PT_EINVAL;
	if (!l->has_breaker)
		return fail(l, PT_EINVAL, "no breaker in the options");
	breaker_client_report(&l->breaker, success != 0);
	return PT_OK;
}

/* ---- the rest ---- */

const char *pt_limiter_error(const pt_limiter *l)
{
	return l ? l->error : "no handle";
}

const char *pt_version(void)
{
	return PATIENCE_VERSION;
}
