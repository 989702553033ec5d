/* rpr's run loops. Tick k starts at t0 + k * every on CLOCK_MONOTONIC
 * (sleeps to absolute deadlines, so ticks never accumulate drift); cron
 * times come from the wall clock, rate-limit starts from the limiter, and
 * adaptive intervals from the last run. Runs go one at a time (a long one
 * skips or queues the ticks it covered), or with --overlap parallel one
 * child process each. The loops stop on the plan's conditions or a signal
 * (forwarded to the running commands first); then come the statistics and
 * the exports. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "breaker_wait.h"
#include "client/lease_client.h"
#include "client/limiter.h"
#include "exec/attempt.h"
#include "exec/clock.h"
#include "exec/relay.h"
#include "exec/signals.h"
#include "exec/wait.h"
#include "patience/calendar.h"
#include "patience/diophantine.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/resource_id.h"
#include "patience/run_stats.h"
#include "patience/template.h"
#include "patience/ticks.h"
#include "resource_of.h"
#include "rpr.h"
#include "say.h"
#include "status_line.h"

typedef struct run_record {
	int64_t start_ms; /* CLOCK_REALTIME, epoch ms */
	double duration_ms;
	int exit_code;
	bool timed_out;
	bool matched; /* its output matched --until-pattern */
} run_record;

typedef struct rpr_state {
	const rpr_plan *plan;
	int signal_fd;
	FILE *report;     /* our stderr (kept when --stats-only silences the command) */
	FILE *json, *csv; /* opened before the first run, so a bad path fails at once */
	pt_run_stats stats;
	run_record *runs;
	size_t n_runs, cap_runs;
	time_t cron_last; /* cron: the time of the last run's schedule, epoch s */
	pt_watch watch;   /* --until-pattern */
	bool watching;
	limiter lim;      /* --rate or --daemon: where starts come from */
	bool limited;
	bool met_success; /* a run met --until-success or --until-pattern, exiting 0 */
	bool said_waiting; /* that a run waits for the limit */
	lease_client lease; /* --concurrency */
	breaker_client breaker; /* --circuit-breaker */
	bool admitted;          /* the breaker let the coming run in */
	int64_t last_start_ms; /* the last run's start (monotonic) */
	int64_t interval_ms;   /* adaptive: the current interval */
	char resource_id[512], socket[4096];
	char prefix[PT_RELAY_PREFIX_MAX + 1]; /* --output-prefix for the run going on */
	bool live; /* a status line while waiting: stderr is a terminal */
} rpr_state;

static int open_export(rpr_state *st, const char *path, FILE **out)
{
	if (!path)
		return 0;
	if (!(*out = fopen(path, "w"))) {
		fprintf(st->report, "rpr: cannot write \"%s\": %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --stats-only: the command's stdout and stderr go to /dev/null, ours stay. */
static int silence_command(rpr_state *st)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
	    !(st->report = fdopen(saved, "w")))
		return -1;
	close(null);
	return 0;
}

/* The resource, and the daemon that shares its limit or leases. */
static limiter_config daemon_config(rpr_state *st)
{
	const rpr_plan *p = st->plan;
	resource_of(p->command, p->resource_id, p->scope, p->detect_resource, st->resource_id,
		    sizeof st->resource_id);
	if (p->daemon_socket)
		snprintf(st->socket, sizeof st->socket, "%s", p->daemon_socket);
	else if (p->daemon)
		fprintf(st->report, "rpr: cannot work out the daemon's socket; using local limits\n");
	limiter_config lc = {
		.tool = "rpr", .resource_id = st->resource_id,
		.limits = p->limits.items, .n_limits = p->limits.count, .tz = p->tz,
		.rate_limit = p->rate_limit, .window_ms = p->rate_window_ms,
		.guard_ms = p->guard_given ? p->guard_ms : pt_dio_default_guard(p->rate_window_ms),
		.guard_given = p->guard_given, .burst = p->burst, .priority = p->priority,
		.daemon_enabled = p->daemon && st->socket[0],
		.daemon_auto_start = !p->no_auto_start, .daemon_timeout_ms = p->daemon_timeout_ms,
		.daemon_socket = st->socket, .verbose_prefix = p->verbose ? "rpr: " : NULL,
		.say = say_to_file, .say_ctx = stderr, .interrupted = pt_signals_pending,
	};
	return lc;
}

/* The rate limit, the leases and the breaker of the resource: each safe
 * to release once this has run, whether it failed or not. */
static int clients_init(rpr_state *st)
{
	const rpr_plan *p = st->plan;
	limiter_config lc = daemon_config(st);
	lease_client_init(&st->lease, &lc, p->concurrency);
	if (p->breaker &&
	    breaker_client_init(&st->breaker, &lc, &p->breaker_spec, p->fail_fast) < 0)
		return -1;
	st->limited = p->rate_limit > 0 || p->daemon;
	if (st->limited && limiter_init(&st->lim, &lc) < 0)
		return -1;
	return 0;
}

static int state_init(rpr_state *st, const rpr_plan *plan, int signal_fd)
{
	*st = (rpr_state){.plan = plan, .signal_fd = signal_fd, .report = stderr};
	pt_run_stats_init(&st->stats);
	if (clients_init(st) < 0)
		return -1;
	if (plan->stats_only && silence_command(st) < 0) {
		fprintf(stderr, "rpr: cannot silence the command: %s\n", strerror(errno));
		return -1;
	}
	char err[512];
	if (plan->until_pattern) {
		if (pt_watch_init(&st->watch, plan->until_pattern, NULL, false, err, sizeof err) < 0) {
			fprintf(st->report, "rpr: --until-pattern: %s\n", err);
			return -1;
		}
		st->watching = true;
	}
	st->live = !plan->quiet && !plan->stats_only && isatty(fileno(st->report));
	if (open_export(st, plan->export_json, &st->json) < 0 ||
	    open_export(st, plan->export_csv, &st->csv) < 0) {
		if (st->json)
			fclose(st->json);
		return -1;
	}
	return 0;
}

static void state_release(rpr_state *st)
{
	free(st->runs);
	if (st->limited)
		limiter_release(&st->lim);
	lease_client_close(&st->lease);
	if (st->plan->breaker)
		breaker_client_release(&st->breaker);
	if (st->watching)
		pt_watch_release(&st->watch);
}

static int record(rpr_state *st, const run_record *r)
{
	if (st->n_runs == st->cap_runs) {
		size_t cap = st->cap_runs ? st->cap_runs * 2 : 64;
		run_record *p = realloc(st->runs, cap * sizeof *p);
		if (!p)
			return -1;
		st->runs = p;
		st->cap_runs = cap;
	}
	st->runs[st->n_runs++] = *r;
	return 0;
}

/* The exit code a run counts with, as timeout(1) would give it. */
static int run_exit_code(const pt_attempt_result *res)
{
	switch (res->end) {
	case PT_END_EXITED: return res->status;
	case PT_END_KILLED: return 128 + res->signal;
	case PT_END_TIMED_OUT:
	case PT_END_DEADLINE: return 124;
	case PT_END_NOT_STARTED: return res->spawn_errno == ENOENT ? 127 : 126;
	case PT_END_INTERRUPTED: return 128 + res->signal;
	}
	return 1;
}

/* --output-prefix for run n, starting now. */
static const char *render_prefix(rpr_state *st, int64_t n)
{
	pt_template_vars v = {.run = n};
	time_t now = time(NULL);
	if (!st->plan->output_prefix || !localtime_r(&now, &v.local) || !gmtime_r(&now, &v.utc))
		return NULL;
	pt_template_render(st->plan->output_prefix, &v, st->prefix, sizeof st->prefix);
	return st->prefix;
}

/* One run. Returns 0, 128+N when a signal ends rpr, or an exit code when
 * the command cannot be run at all. */
/* The run's command has exec'd: its start counts from now, not from its
 * grant (pt_attempt_spec.on_started). */
static void run_started(void *ctx, int64_t started_ns)
{
	rpr_state *st = ctx;
	limiter_started(&st->lim, st->last_start_ms, (started_ns + PT_NS_PER_MS - 1) / PT_NS_PER_MS);
}

static int run_once(rpr_state *st, run_record *r, int64_t n)
{
	const rpr_plan *p = st->plan;
	pt_attempt_spec spec = {
		.argv = p->command,
		.envp = p->envp,
		.timeout_ns = p->timeout_ms * PT_NS_PER_MS,
		.kill_after_ns = p->kill_after_ms * PT_NS_PER_MS,
		.signal_fd = st->signal_fd,
		.watch = st->watching ? &st->watch : NULL,
		.prefix = render_prefix(st, n),
		/* a parallel run is a child process: its parent holds the connection */
		.on_started = st->limited && !p->parallel ? run_started : NULL,
		.started_ctx = st,
	};
	pt_attempt_result res;
	r->start_ms = pt_realtime_ms();
	if (pt_attempt_run(&spec, &res) < 0) {
		fprintf(st->report, "rpr: cannot supervise the command: %s\n", strerror(errno));
		return RPR_EXIT_USAGE;
	}
	r->duration_ms = (double)(res.ended_ns - res.started_ns) / (double)PT_NS_PER_MS;
	r->exit_code = run_exit_code(&res);
	r->timed_out = res.end == PT_END_TIMED_OUT;
	r->matched = st->watching && res.verdict == PT_VERDICT_SUCCESS;
	if (res.end == PT_END_INTERRUPTED)
		return 128 + res.signal;
	if (res.end == PT_END_NOT_STARTED) {
		fprintf(st->report, "rpr: cannot run \"%s\": %s\n", p->command[0],
			strerror(res.spawn_errno));
		return RPR_EXIT_USAGE;
	}
	return 0;
}

/* Did run r meet the condition the user waited for with a success
 * (--until-success, or --until-pattern on a run that exited 0)? Then rpr
 * exits 0, as `until cmd; do ...; done` does, whatever failed before. */
static bool met_by_success(const rpr_state *st, const run_record *r)
{
	return r->exit_code == 0 && (st->plan->until_success || r->matched);
}

static bool should_stop(rpr_state *st, const run_record *r)
{
	const rpr_plan *p = st->plan;
	bool ok = r->exit_code == 0;
	st->met_success = st->met_success || met_by_success(st, r);
	return (p->times && st->stats.runs >= p->times) || (p->until_success && ok) ||
	       r->matched ||
	       (p->until_failure && !ok) ||
	       (p->max_failures && st->stats.failed >= p->max_failures);
}

static void say_skipped(const rpr_state *st, int64_t skipped)
{
	if (skipped && st->plan->verbose)
		fprintf(st->report, "rpr: the last run outlasted its interval: %lld tick%s "
			"skipped\n", (long long)skipped, skipped == 1 ? "" : "s");
}

/* Cron: the next scheduled time after now (in the zone of TZ, which rpr
 * sets from --tz at start), as a monotonic deadline; the times a long run
 * covered are skipped and counted. -1: none within years. */
static int64_t next_cron(rpr_state *st)
{
	const pt_cron *c = &st->plan->cron;
	int64_t now_ms = pt_realtime_ms(), skipped = 0;
	time_t t, from = st->cron_last ? st->cron_last : (time_t)(now_ms / 1000);
	if (pt_cron_next(c, from, pt_zone_localtime, NULL, &t) != PT_OK)
		return -1;
	while ((int64_t)t * 1000 < now_ms) { /* passed while the last run went on */
		skipped++;
		if (pt_cron_next(c, t, pt_zone_localtime, NULL, &t) != PT_OK)
			return -1;
	}
	st->cron_last = t;
	st->stats.skipped += skipped;
	say_skipped(st, skipped);
	return pt_monotonic_ms() + ((int64_t)t * 1000 - pt_realtime_ms());
}

/* The first start the limit allows from not_before on, first giving back
 * the held grant's starts from unused_from on. */
static int64_t rate_start(rpr_state *st, int64_t not_before, int64_t unused_from)
{
	static const int64_t one_start[] = {0};
	return limiter_grant(&st->lim, one_start, 1, not_before, unused_from);
}

/* Once: a run of the schedule waits for the resource's limit. */
static void say_waiting(rpr_state *st, int64_t planned, int64_t start)
{
	char wait[32], window[32], held[96] = "";
	int64_t limit, window_ms;
	if (st->said_waiting || st->plan->quiet || st->plan->mode == RPR_RATE ||
	    start <= planned + limiter_guard_in_force(&st->lim))
		return;
	st->said_waiting = true;
	pt_duration_format(start - planned, wait, sizeof wait);
	if (limiter_limit(&st->lim, &limit, &window_ms)) {
		pt_duration_format(window_ms, window, sizeof window);
		snprintf(held, sizeof held, " (%lld per %s%s)", (long long)limit, window,
			 limiter_shared(&st->lim) ? ", held by patience-daemon" : "");
	}
	fprintf(st->report, "rpr: run %lld waits %s for the limit of \"%s\"%s; runs start as "
		"it allows\n", (long long)st->stats.runs + 1, wait, st->resource_id, held);
}

/* The schedule's start, or the first the limit allows after it. */
static int64_t gated_start(rpr_state *st, int64_t planned)
{
	if (!st->limited || planned < 0)
		return planned;
	int64_t start = rate_start(st, planned, planned);
	say_waiting(st, planned, start);
	return start;
}

/* adaptive (AIMD): a failed run, or one slower than the interval, doubles
 * it; a good one takes a tenth of --every off; both within the bounds. The
 * next run starts an interval after the last one started. */
static int64_t adapt(rpr_state *st, int64_t now)
{
	const rpr_plan *p = st->plan;
	const run_record *r = &st->runs[st->n_runs - 1];
	int64_t was = st->interval_ms, step = p->every_ms / 10 ? p->every_ms / 10 : 1;
	if (r->exit_code != 0 || r->duration_ms > (double)was)
		st->interval_ms = was <= p->max_interval_ms / 2 ? was * 2 : p->max_interval_ms;
	else
		st->interval_ms = was - step >= p->min_interval_ms ? was - step : p->min_interval_ms;
	if (p->verbose && st->interval_ms != was)
		fprintf(st->report, "rpr: interval now %lld ms\n", (long long)st->interval_ms);
	int64_t start = st->last_start_ms + st->interval_ms;
	return start > now ? start : now;
}

/* When the run after tick k is due: its tick, or now when back to back. */
static int64_t planned_start(rpr_state *st, int64_t t0, int64_t *k)
{
	const rpr_plan *p = st->plan;
	int64_t now = pt_monotonic_ms(), skipped;
	if (p->mode == RPR_CRON)
		return next_cron(st);
	if (p->mode == RPR_RATE)
		return now > st->last_start_ms ? now : st->last_start_ms + 1;
	if (p->mode == RPR_ADAPTIVE)
		return adapt(st, now);
	if (!p->every_ms)
		return now;
	if (p->queue) /* the next tick, however late: it runs at once */
		return pt_ticks_at(t0, p->every_ms, ++*k);
	*k = pt_ticks_next(t0, p->every_ms, *k, now, &skipped);
	st->stats.skipped += skipped;
	say_skipped(st, skipped);
	return pt_ticks_at(t0, p->every_ms, *k);
}

/* When the run after tick k may start: when due, if the limit allows. */
static int64_t next_start(rpr_state *st, int64_t t0, int64_t *k)
{
	return gated_start(st, planned_start(st, t0, k));
}

/* On a terminal, while rpr waits: its status line (status_line.h). */
static void draw_status(void *ctx, FILE *f, int64_t left_ms)
{
	const rpr_state *st = ctx;
	const pt_run_stats *s = &st->stats;
	fprintf(f, "rpr: %lld run%s, %lld ok, %lld failed; next in %.1fs", (long long)s->runs,
		s->runs == 1 ? "" : "s", (long long)s->succeeded, (long long)s->failed,
		(double)left_ms / 1000);
}

/* --circuit-breaker: wait until it lets the coming run in, once however
 * often a stale rate grant sends the loop round. 0, 128+N for signal N,
 * or RPR_EXIT_CIRCUIT_OPEN with --fail-fast. */
static int admit_run(rpr_state *st)
{
	char reason[600];
	bool waited;
	if (!st->plan->breaker || st->admitted)
		return 0;
	int rc = breaker_client_admit(&st->breaker, st->signal_fd, 0, &waited, reason,
				      sizeof reason);
	if (rc == RPR_EXIT_CIRCUIT_OPEN)
		fprintf(st->report, "rpr: %s; not running the command (--fail-fast)\n", reason);
	st->admitted = rc == 0;
	return rc;
}

/* The admitted run ended with run_once's rc: a signal that stops rpr says
 * nothing of the resource. */
static void report_run(rpr_state *st, int rc, const run_record *r)
{
	if (st->admitted && rc < 128)
		breaker_client_report(&st->breaker, rc == 0 && r->exit_code == 0);
	st->admitted = false;
}

/* The run's start has come: the breaker's admission, then the lease. 0,
 * or the exit code that ends rpr. */
static int get_ready(rpr_state *st)
{
	int rc = admit_run(st);
	if (!rc && st->plan->concurrency && lease_acquire(&st->lease) < 0)
		rc = RPR_EXIT_USAGE;
	int sig = pt_signals_pending();
	return rc ? rc : sig ? 128 + sig : 0;
}

/* Sleep until the monotonic ms start; 0, or the signal that came first. */
static int wait_for(rpr_state *st, int64_t start)
{
	if (!st->live)
		return pt_wait_until(start * PT_NS_PER_MS, st->signal_fd);
	return status_line_wait(st->report, start, st->signal_fd, draw_status, st);
}

/* The daemon counts the run for the resource, when one is in use. */
static void count_run(rpr_state *st, const run_record *r, bool ok)
{
	char err[256]; /* -v says it */
	if (st->limited)
		limiter_executed(&st->lim, r->start_ms, (int64_t)r->duration_ms, r->exit_code, ok,
				 err, sizeof err);
}

static int run_loop(rpr_state *st)
{
	const rpr_plan *p = st->plan;
	int64_t t0 = pt_monotonic_ms(), k = 0;
	st->interval_ms = p->every_ms;
	int64_t start = gated_start(st, p->mode == RPR_CRON ? next_cron(st) : t0);
	int64_t end = p->for_ms ? t0 + p->for_ms : INT64_MAX;
	if (start < 0) {
		fprintf(st->report, "rpr: --cron: the schedule has no time in the next 9 years\n");
		return RPR_EXIT_USAGE;
	}
	for (bool asked_again = false; start >= 0 && start < end;) {
		int sig = wait_for(st, start), rc = sig ? 128 + sig : get_ready(st);
		if (rc)
			return rc;
		if (st->limited && limiter_refused(&st->lim))
			return RPR_EXIT_USAGE;
		/* woke too late; or the start is not the daemon's: it may be back */
		if (st->limited && limiter_stale(&st->lim, start, pt_monotonic_ms(), !asked_again)) {
			asked_again = true;
			start = rate_start(st, pt_monotonic_ms(), start);
			continue;
		}
		asked_again = false;
		st->last_start_ms = start;
		run_record r;
		rc = run_once(st, &r, st->stats.runs + 1);
		lease_release(&st->lease);
		report_run(st, rc, &r);
		if (rc == RPR_EXIT_USAGE)
			return rc;
		count_run(st, &r, rc == 0 && r.exit_code == 0);
		/* A run cut short by a signal counts, as failed, and ends rpr. */
		pt_run_stats_add(&st->stats, r.duration_ms, rc == 0 && r.exit_code == 0);
		if (record(st, &r) < 0)
			return RPR_EXIT_USAGE;
		if (rc)
			return rc;
		if (p->verbose)
			fprintf(st->report, "rpr: run %lld exited %d after %.1f ms\n",
				(long long)st->stats.runs, r.exit_code, r.duration_ms);
		if (should_stop(st, &r))
			break;
		start = next_start(st, t0, &k);
	}
	return 0;
}

/* ---- --overlap parallel: one child process per run, so runs overlap ---- */

#define PARALLEL_MAX 1024 /* runs at once; a tick beyond it is skipped */

typedef struct child_run {
	pid_t pid;
	int fd; /* its report: a child_result */
} child_run;

typedef struct child_result {
	run_record r;
	int rc; /* run_once's */
} child_result;

/* In the child: run n, report it on fd, and leave without touching the
 * parent's stdio buffers. */
static void run_child(rpr_state *st, int fd, int64_t n)
{
	child_result res = {0};
	st->signal_fd = pt_signals_reset();
	lease_client_forget(&st->lease); /* each run its own lease, on its own connection */
	bool ready = st->signal_fd >= 0 && (!st->plan->concurrency || lease_acquire(&st->lease) == 0);
	res.rc = !ready ? RPR_EXIT_USAGE : run_once(st, &res.r, n);
	lease_client_close(&st->lease);
	ssize_t w = write(fd, &res, sizeof res);
	fflush(st->report);
	_exit(w == (ssize_t)sizeof res ? 0 : 1);
}

static int start_child(rpr_state *st, child_run *c, int64_t n)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	fflush(NULL); /* nothing of ours written twice */
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		run_child(st, fds[1], n);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	*c = (child_run){.pid = pid, .fd = fds[0]};
	return 0;
}

/* Collect the children that have ended (all of them with block). Sets
 * *stop when a stop condition is met; returns 0, or an exit code. */
static int reap(rpr_state *st, child_run *kids, size_t *n, bool block, bool *stop)
{
	int rc = 0;
	for (size_t i = 0; i < *n;) {
		int status;
		pid_t got = waitpid(kids[i].pid, &status, block ? 0 : WNOHANG);
		if (got == 0 || (got < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		child_result res;
		bool ok = got > 0 && read(kids[i].fd, &res, sizeof res) == (ssize_t)sizeof res;
		close(kids[i].fd);
		kids[i] = kids[--*n];
		if (!ok || res.rc == RPR_EXIT_USAGE) {
			rc = RPR_EXIT_USAGE;
			continue;
		}
		pt_run_stats_add(&st->stats, res.r.duration_ms, res.rc == 0 && res.r.exit_code == 0);
		count_run(st, &res.r, res.rc == 0 && res.r.exit_code == 0);
		if (record(st, &res.r) < 0)
			rc = RPR_EXIT_USAGE;
		if (st->plan->verbose)
			fprintf(st->report, "rpr: a run exited %d after %.1f ms\n", res.r.exit_code,
				res.r.duration_ms);
		*stop = *stop || res.rc || should_stop(st, &res.r);
	}
	return rc;
}

/* The last runs: wait for them all, passing on a signal that came. */
static int drain_children(rpr_state *st, child_run *kids, size_t *n, int rc)
{
	bool stop = false, passed_on = false;
	while (*n > 0) {
		int sig = pt_signals_pending(), reaped = reap(st, kids, n, false, &stop);
		rc = rc ? rc : reaped;
		for (size_t i = 0; sig && !passed_on && i < *n; i++)
			kill(kids[i].pid, sig);
		passed_on = passed_on || sig;
		if (*n > 0)
			pt_wait_until((pt_monotonic_ms() + 20) * PT_NS_PER_MS, st->signal_fd);
	}
	int sig = pt_signals_pending();
	return rc ? rc : sig ? 128 + sig : 0;
}

static int run_parallel(rpr_state *st)
{
	const rpr_plan *p = st->plan;
	child_run *kids = malloc(PARALLEL_MAX * sizeof *kids);
	size_t n = 0;
	int64_t t0 = pt_monotonic_ms(), end = p->for_ms ? t0 + p->for_ms : INT64_MAX;
	int rc = kids ? 0 : RPR_EXIT_USAGE;
	bool stop = false;
	for (int64_t k = 0; !rc && !stop && (!p->times || k < p->times); k++) {
		int64_t start = pt_ticks_at(t0, p->every_ms, k);
		if (start >= end)
			break;
		int sig = wait_for(st, start);
		rc = reap(st, kids, &n, false, &stop);
		if (sig || rc || stop)
			break;
		if (n == PARALLEL_MAX)
			st->stats.skipped++;
		else if (start_child(st, &kids[n], k + 1) == 0)
			n++;
		else
			rc = RPR_EXIT_USAGE;
	}
	if (kids)
		rc = drain_children(st, kids, &n, rc);
	free(kids);
	return rc;
}

/* "12.3 ms", or "1.234 s" from a second up. */
static void format_ms(double ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%.1f ms", ms);
	else
		snprintf(buf, len, "%.3f s", ms / 1000);
}

static void print_stats(const rpr_state *st)
{
	const pt_run_stats *s = &st->stats;
	char mean[32], sd[32], min[32], max[32];
	double rate = s->runs ? 100.0 * (double)s->succeeded / (double)s->runs : 0;
	fprintf(st->report, "rpr: %lld run%s: %lld succeeded, %lld failed (%.1f%% success)",
		(long long)s->runs, s->runs == 1 ? "" : "s", (long long)s->succeeded,
		(long long)s->failed, rate);
	if (s->skipped)
		fprintf(st->report, "; %lld tick%s skipped", (long long)s->skipped,
			s->skipped == 1 ? "" : "s");
	fprintf(st->report, "\n");
	if (!s->runs)
		return;
	format_ms(s->mean_ms, mean, sizeof mean);
	format_ms(pt_run_stats_stddev(s), sd, sizeof sd);
	format_ms(s->min_ms, min, sizeof min);
	format_ms(s->max_ms, max, sizeof max);
	fprintf(st->report, "  Time (mean ± σ):   %10s ± %s\n", mean, sd);
	fprintf(st->report, "  Range (min … max): %10s … %s\n", min, max);
}

static cJSON *summary_json(const pt_run_stats *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "runs", (double)s->runs);
	cJSON_AddNumberToObject(o, "succeeded", (double)s->succeeded);
	cJSON_AddNumberToObject(o, "failed", (double)s->failed);
	cJSON_AddNumberToObject(o, "skipped", (double)s->skipped);
	cJSON_AddNumberToObject(o, "mean_ms", s->mean_ms);
	cJSON_AddNumberToObject(o, "stddev_ms", pt_run_stats_stddev(s));
	cJSON_AddNumberToObject(o, "min_ms", s->min_ms);
	cJSON_AddNumberToObject(o, "max_ms", s->max_ms);
	return o;
}

static int write_json(const rpr_state *st)
{
	cJSON *root = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; runs && i < st->n_runs; i++) {
		const run_record *r = &st->runs[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run", (double)(i + 1));
		cJSON_AddNumberToObject(o, "start_ms", (double)r->start_ms);
		cJSON_AddNumberToObject(o, "duration_ms", r->duration_ms);
		cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
		cJSON_AddBoolToObject(o, "timed_out", r->timed_out);
		cJSON_AddItemToArray(runs, o);
	}
	cJSON_AddItemToObject(root, "summary", summary_json(&st->stats));
	char *text = cJSON_Print(root);
	int rc = text && fprintf(st->json, "%s\n", text) >= 0 ? 0 : -1;
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}

static int write_csv(const rpr_state *st)
{
	int rc = fprintf(st->csv, "run,start_ms,duration_ms,exit_code,timed_out\n") < 0;
	for (size_t i = 0; !rc && i < st->n_runs; i++) {
		const run_record *r = &st->runs[i];
		rc = fprintf(st->csv, "%zu,%lld,%.3f,%d,%s\n", i + 1, (long long)r->start_ms,
			     r->duration_ms, r->exit_code,
			     r->timed_out ? "true" : "false") < 0;
	}
	return rc ? -1 : 0;
}

/* Write and close an export; 0, or -1 after saying why. */
static int finish_export(const rpr_state *st, FILE *f, const char *path,
			 int (*write)(const rpr_state *))
{
	if (!f)
		return 0;
	int rc = write(st);
	if (fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(st->report, "rpr: cannot write \"%s\": %s\n", path, strerror(errno));
	return rc;
}

int rpr_execute(const rpr_plan *plan, int signal_fd)
{
	rpr_state st;
	if (state_init(&st, plan, signal_fd) < 0) {
		state_release(&st);
		return RPR_EXIT_USAGE;
	}
	int rc = plan->parallel ? run_parallel(&st) : run_loop(&st);
	if (!plan->quiet && (rc != RPR_EXIT_USAGE || st.stats.runs))
		print_stats(&st);
	if (finish_export(&st, st.json, plan->export_json, write_json) < 0 ||
	    finish_export(&st, st.csv, plan->export_csv, write_csv) < 0)
		rc = rc ? rc : RPR_EXIT_USAGE;
	state_release(&st);
	if (rc)
		return rc;
	return st.stats.failed && !st.met_success ? RPR_EXIT_FAILED : RPR_EXIT_OK;
}
