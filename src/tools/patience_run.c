/* The retry loop: schedule, run, judge, report. */
#define _GNU_SOURCE /* sigabbrev_np */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "breaker_wait.h"
#include "client/lease_client.h"
#include "client/limiter.h"
#include "exec/attempt.h"
#include "exec/clock.h"
#include "exec/signals.h"
#include "exec/wait.h"
#include "learner.h"
#include "patience.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "run_report.h"
#include "say.h"
#include "status_line.h"

extern char **environ;

#define MAX_STDIN_REPLAY ((size_t)256 * 1024 * 1024)

/* What one run keeps between attempts. */
typedef struct retry_state {
	const run_plan *plan;
	int signal_fd;
	char **envp;
	char attempt_var[64];
	char *stdin_data;
	size_t stdin_len;
	pt_watch watch;
	bool watching;
	pt_backoff backoff;
	limiter lim;          /* when plan->limited */
	breaker_client breaker; /* when plan->breaker */
	lease_client lease;   /* when plan->concurrency */
	int64_t grant_base_ms; /* diophantine: when offset 0 of the current grant falls */
	int64_t last_start_ms; /* when the last attempt was let start (its grant) */
	int64_t started_ns;
	int64_t deadline_ns;
	run_report report;
	/* http-aware, --discover: what the last attempt's output said */
	bool heard_any;
	pt_rl_result heard;
	int64_t asked_ms; /* the delay it asked for, bounded; -1: none */
	bool asked_capped; /* by --max-delay */
	const pt_rl_field *asked_by; /* in heard; NULL: asked nothing */
	/* adaptive: its model, and the waits it learns from */
	bool learning;
	learner learn;
	int64_t last_end_ms;     /* when the last attempt ended */
	int64_t failed_after_ms; /* the wait before the attempt that just failed; -1: none */
} retry_state;

/* environ without our variables, plus them; attempt_var is updated in place. */
static int build_env(retry_state *st)
{
	static const char *const ours[] = {"PATIENCE_ATTEMPT=", "PATIENCE_MAX_ATTEMPTS=",
					   "PATIENCE_IDEMPOTENCY_KEY="};
	size_t n = 0;
	while (environ[n])
		n++;
	st->envp = calloc(n + 4, sizeof *st->envp);
	if (!st->envp)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool skip = false;
		for (size_t j = 0; j < 3; j++)
			skip |= strncmp(environ[i], ours[j], strlen(ours[j])) == 0;
		if (!skip)
			st->envp[k++] = environ[i];
	}
	char max[64], key[80];
	snprintf(max, sizeof max, "PATIENCE_MAX_ATTEMPTS=%d", st->plan->attempts);
	snprintf(key, sizeof key, "PATIENCE_IDEMPOTENCY_KEY=%s", st->plan->idempotency_key);
	st->envp[k++] = st->attempt_var;
	st->envp[k++] = strdup(max);
	st->envp[k++] = strdup(key);
	return st->envp[k - 1] && st->envp[k - 2] ? 0 : -1;
}

static void free_env(retry_state *st)
{
	if (!st->envp)
		return;
	size_t k = 0;
	while (st->envp[k])
		k++;
	free(st->envp[k - 1]);
	free(st->envp[k - 2]);
	free(st->envp);
}

/* Wait until stdin is readable or a signal arrives; returns the signal. */
static int wait_stdin(int signal_fd)
{
	struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = signal_fd, .events = POLLIN}};
	for (;;) {
		int sig = pt_signals_drain(signal_fd);
		if (sig)
			return sig;
		if (poll(fds, 2, -1) > 0 && fds[0].revents)
			return 0;
	}
}

/* --replay-stdin: all of stdin, read before the first attempt. Returns 0,
 * PT_EXIT_INTERNAL, or 128+N when signal N came first. */
static int read_stdin(retry_state *st)
{
	size_t cap = 65536;
	st->stdin_data = malloc(cap);
	while (st->stdin_data) {
		int sig = wait_stdin(st->signal_fd);
		if (sig)
			return 128 + sig;
		ssize_t n = read(0, st->stdin_data + st->stdin_len, cap - st->stdin_len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			pt_error("--replay-stdin: cannot read stdin: %s", strerror(errno));
			return PT_EXIT_INTERNAL;
		}
		if (n == 0)
			return 0;
		st->stdin_len += (size_t)n;
		if (st->stdin_len == cap) {
			if (cap >= MAX_STDIN_REPLAY) {
				pt_error("--replay-stdin: stdin is larger than 256 MiB");
				return PT_EXIT_INTERNAL;
			}
			char *grown = realloc(st->stdin_data, cap *= 2);
			if (!grown)
				break;
			st->stdin_data = grown;
		}
	}
	pt_error("--replay-stdin: out of memory");
	return PT_EXIT_INTERNAL;
}

/* Watch the output for patterns, and (http-aware, --discover) for what
 * the service says. Returns 0, or -1 after printing why. */
static int start_watching(retry_state *st)
{
	const run_plan *plan = st->plan;
	char err[256];
	if (!plan->success_re && !plan->failure_re && !plan->discover)
		return 0;
	if (pt_watch_init(&st->watch, plan->success_re, plan->failure_re, plan->caseless, err,
			  sizeof err) < 0) {
		pt_error("%s", err);
		return -1;
	}
	st->watching = true;
	if (plan->discover && pt_watch_read_headers(&st->watch) < 0) {
		pt_error("out of memory");
		return -1;
	}
	return 0;
}

/* Returns 0, or the exit code to stop with. */
/* Do the starts come from the limiter: our own limit, or the daemon's? */
static bool gated(const run_plan *plan)
{
	return plan->limited || plan->coordinated;
}

static int state_init(retry_state *st, const run_plan *plan, int signal_fd)
{
	int rc;
	memset(st, 0, sizeof *st);
	st->plan = plan;
	st->signal_fd = signal_fd;
	st->started_ns = pt_monotonic_ns();
	if (plan->deadline_ms)
		st->deadline_ns = st->started_ns + plan->deadline_ms * PT_NS_PER_MS;
	pt_backoff_init(&st->backoff, &plan->backoff, plan->seed);
	if (build_env(st) < 0 || run_report_init(&st->report, plan) < 0) {
		pt_error("out of memory");
		return PT_EXIT_INTERNAL;
	}
	if (plan->replay_stdin && (rc = read_stdin(st)))
		return rc;
	if (start_watching(st))
		return PT_EXIT_INTERNAL;
	limiter_config lc = {
		.tool = "patience", .resource_id = plan->resource_id,
		.limits = plan->limits.items, .n_limits = plan->limits.count, .tz = plan->tz,
		.rate_limit = plan->rate_limit, .window_ms = plan->window_ms,
		.guard_ms = plan->guard_ms, .guard_given = plan->guard_given, .burst = plan->burst,
		.priority = plan->priority,
		.daemon_enabled = plan->daemon_enabled, .daemon_auto_start = plan->daemon_auto_start,
		.daemon_timeout_ms = plan->daemon_timeout_ms, .daemon_socket = plan->daemon_socket,
		.verbose_prefix = plan->verbose && !plan->quiet ? "[retry] " : NULL,
		.say = say_to_file, .say_ctx = stderr, .interrupted = pt_signals_pending,
	};
	if (gated(plan) && limiter_init(&st->lim, &lc) < 0)
		return PT_EXIT_INTERNAL;
	if (plan->breaker &&
	    breaker_client_init(&st->breaker, &lc, &plan->breaker_spec, plan->fail_fast) < 0)
		return PT_EXIT_INTERNAL;
	lease_client_init(&st->lease, &lc, plan->concurrency);
	st->failed_after_ms = -1;
	if ((st->learning = plan->strategy == PT_STRATEGY_ADAPTIVE))
		learner_init(&st->learn, &plan->adaptive, &lc, plan->limited ? &st->lim : NULL,
			     plan->quiet);
	if (plan->strategy == PT_STRATEGY_DIOPHANTINE)
		st->grant_base_ms = limiter_grant(&st->lim, plan->offsets, plan->n_offsets, pt_monotonic_ms(),
						  pt_monotonic_ms());
	return 0;
}

static void state_release(retry_state *st)
{
	free_env(st);
	free(st->stdin_data);
	if (st->watching)
		pt_watch_release(&st->watch);
	if (st->learning)
		learner_release(&st->learn);
	if (gated(st->plan))
		limiter_release(&st->lim);
	if (st->plan->breaker)
		breaker_client_release(&st->breaker);
	lease_client_close(&st->lease);
	run_report_release(&st->report);
}

typedef enum judgement {
	JUDGED_SUCCESS,
	JUDGED_RETRY,   /* failed, another attempt may help */
	JUDGED_GIVE_UP, /* failed in a way retrying cannot mend */
} judgement;

typedef struct attempt_outcome {
	judgement verdict;
	int exit_code;
	const char *label; /* for the JSON log */
	bool interrupted;  /* by a signal to patience: no fallback either */
	char reason[256];
} attempt_outcome;

static const char *signal_name(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

static void judge_exit(const run_plan *plan, const pt_attempt_result *r, attempt_outcome *o)
{
	o->exit_code = r->status;
	/* Ctrl-C reaches only the command when it has the terminal: the user
	 * meant to stop, not to see another attempt. */
	if (r->end == PT_END_KILLED && (r->signal == SIGINT || r->signal == SIGQUIT)) {
		o->verdict = JUDGED_GIVE_UP;
		o->label = "interrupted";
		o->interrupted = true;
		snprintf(o->reason, sizeof o->reason, "interrupted by SIG%s", signal_name(r->signal));
		return;
	}
	if (r->end == PT_END_KILLED)
		snprintf(o->reason, sizeof o->reason, "killed by SIG%s", signal_name(r->signal));
	else
		snprintf(o->reason, sizeof o->reason, "exit code %d", r->status);
	if (r->verdict == PT_VERDICT_FAILURE) {
		o->verdict = JUDGED_GIVE_UP;
		o->exit_code = r->status ? r->status : 1;
		o->label = "failure_pattern";
		snprintf(o->reason, sizeof o->reason, "failure pattern matched");
	} else if (r->verdict == PT_VERDICT_SUCCESS || (r->end == PT_END_EXITED && r->status == 0)) {
		o->verdict = JUDGED_SUCCESS;
		o->exit_code = 0;
		o->label = "succeeded";
	} else if (plan->has_retry_on && !pt_codeset_has(&plan->retry_on, r->status)) {
		o->verdict = JUDGED_GIVE_UP;
		o->label = "failed";
		snprintf(o->reason + strlen(o->reason), sizeof o->reason - strlen(o->reason),
			 ", not in --retry-on");
	} else {
		o->verdict = JUDGED_RETRY;
		o->label = "failed";
	}
}

static void judge(const run_plan *plan, const pt_attempt_result *r, attempt_outcome *o)
{
	char limit[32];
	memset(o, 0, sizeof *o);
	switch (r->end) {
	case PT_END_NOT_STARTED:
		o->verdict = JUDGED_GIVE_UP;
		o->exit_code = r->spawn_errno == ENOENT ? PT_EXIT_NOT_FOUND : PT_EXIT_CANNOT_EXEC;
		o->label = "not_started";
		snprintf(o->reason, sizeof o->reason, "%s \"%s\": %s",
			 r->spawn_errno == ENOENT ? "command not found" : "cannot execute",
			 plan->command[0], strerror(r->spawn_errno));
		return;
	case PT_END_INTERRUPTED:
		o->verdict = JUDGED_GIVE_UP;
		o->exit_code = 128 + r->signal;
		o->label = "interrupted";
		o->interrupted = true;
		snprintf(o->reason, sizeof o->reason, "interrupted by SIG%s", signal_name(r->signal));
		return;
	case PT_END_DEADLINE:
	case PT_END_TIMED_OUT:
		o->verdict = r->end == PT_END_DEADLINE ? JUDGED_GIVE_UP : JUDGED_RETRY;
		o->exit_code = PT_EXIT_TIMEOUT;
		o->label = r->end == PT_END_DEADLINE ? "deadline" : "timed_out";
		pt_duration_format(r->end == PT_END_DEADLINE ? plan->deadline_ms : plan->timeout_ms,
				   limit, sizeof limit);
		snprintf(o->reason, sizeof o->reason, "%s of %s reached",
			 r->end == PT_END_DEADLINE ? "deadline" : "timeout", limit);
		return;
	case PT_END_EXITED:
	case PT_END_KILLED:
		judge_exit(plan, r, o);
		return;
	}
}

/* What the service said in the last attempt's output, if anything: its
 * status, the delay it asks for, and the quota it announced (limit,
 * window, remaining, reset, resource). For -v and --json now; the daemon
 * can learn a resource's limit from it. False without --discover or
 * http-aware, or when the output had no HTTP in it. */
static bool attempt_service_answer(const retry_state *st, pt_rl_result *out)
{
	return st->plan->discover && pt_watch_headers(&st->watch, out);
}

/* How far ahead of its reading a time field is: "Retry-After: 12" is 12s. */
static int64_t since_read(const pt_rl_field *f)
{
	return f->value > f->read_ms ? f->value - f->read_ms : 0;
}

/* "limit 5000 per 1h, remaining 0, reset in 12m, resource core": the
 * parts the service sent. */
static void describe_quota(const pt_rl_result *r, char *buf, size_t len)
{
	const pt_rl_quota *q = &r->quota;
	char d[32];
	size_t at = 0;
	buf[0] = '\0';
	if (q->limit.present)
		at += (size_t)snprintf(buf + at, len - at, ", limit %lld", (long long)q->limit.value);
	if (q->window.present && at < len) {
		pt_duration_format(q->window.value, d, sizeof d);
		at += (size_t)snprintf(buf + at, len - at, " per %s", d);
	}
	if (q->remaining.present && at < len)
		at += (size_t)snprintf(buf + at, len - at, ", remaining %lld",
				       (long long)q->remaining.value);
	if (q->reset.present && at < len) {
		pt_duration_format(since_read(&q->reset), d, sizeof d);
		at += (size_t)snprintf(buf + at, len - at, ", reset in %s", d);
	}
	if (r->resource[0] && at < len)
		snprintf(buf + at, len - at, ", resource %s", r->resource);
}

/* -v: what attempt n's output said, as the service sent it. */
static void report_heard(const retry_state *st)
{
	char quota[256], why[160], wait[32], cap[32];
	bool ha = st->plan->strategy == PT_STRATEGY_HTTP_AWARE;
	if (!st->heard_any) {
		if (ha)
			report_verbose(&st->report, "No HTTP response in the output; the fallback "
				       "strategy decides.");
		return;
	}
	describe_quota(&st->heard, quota, sizeof quota);
	if (quota[0])
		report_verbose(&st->report, "Service quota: %s.", quota + 2);
	if (!st->asked_by) {
		report_verbose(&st->report, "Service asked for no delay%s.",
			       ha ? "; the fallback strategy decides" : "");
		return;
	}
	pt_rl_field_describe(st->asked_by, why, sizeof why);
	pt_duration_format(since_read(st->asked_by), wait, sizeof wait);
	pt_duration_format(st->asked_ms, cap, sizeof cap);
	if (!st->asked_capped)
		report_verbose(&st->report, "Service asked to wait %s (%s).", wait, why);
	else
		report_verbose(&st->report, "Service asked to wait %s (%s); waiting %s (--max-delay).",
			       wait, why, cap);
}

#define LEARNED_FOR_MS (10 * 60 * 1000)

/* What the service said goes to the daemon, for every client of the
 * resource: the wait it asked for, and its quota when it gave a window
 * (draft RateLimit-Policy w=, RateLimit-Limit ;w=). A quota is a policy,
 * not a moment: it holds for 10 minutes (or its window, if longer), and
 * every response that repeats it renews it. */
static void tell_daemon(retry_state *st)
{
	const pt_rl_quota *q = &st->heard.quota;
	int64_t now = pt_realtime_ms();
	char from[64] = "";
	pt_learn_req req = {0};
	if (!st->plan->limited)
		return;
	if (st->asked_by && st->asked_ms > 0) {
		req.wait_until_ms = now + st->asked_ms;
		snprintf(from, sizeof from, "%s", st->asked_by->header);
	}
	if (q->limit.present && q->window.present && q->limit.value > 0 && q->window.value > 0) {
		req.limit = q->limit.value;
		req.window_ms = q->window.value;
		req.expires_ms = now + (q->window.value > LEARNED_FOR_MS ? q->window.value
									 : LEARNED_FOR_MS);
		snprintf(from, sizeof from, "%s", q->limit.header);
	}
	if (!req.wait_until_ms && !req.limit)
		return;
	req.from = from;
	limiter_learn(&st->lim, &req);
}

/* Read the output of attempt n: remember what it asked (bounded by
 * --max-delay) for the next delay, and record it for --json. */
static void listen_to_service(retry_state *st, int n)
{
	int64_t asked, max = st->plan->asked_max_ms;
	st->asked_ms = -1;
	st->asked_by = NULL;
	st->heard_any = attempt_service_answer(st, &st->heard);
	if (!st->heard_any)
		return;
	asked = pt_rl_asked_delay(&st->heard, pt_realtime_ms(), &st->asked_by);
	st->asked_capped = asked > max && max > 0;
	st->asked_ms = st->asked_capped ? max : asked;
	report_service(&st->report, n, st->heard.status, st->asked_ms);
}

/* With http-aware and --discover a command that exited 0 has still failed
 * when its last response was a 429, a 5xx, or another 4xx that says it is
 * rate limited: curl -i exits 0 whatever the status. */
static void judge_http(const retry_state *st, const pt_attempt_result *r, attempt_outcome *o)
{
	int s = st->heard.status;
	bool limited_4xx = s >= 400 && s < 500 &&
			   (pt_rl_is_limited(&st->heard) || st->heard.retry_after.present);
	if (!st->heard_any || o->verdict != JUDGED_SUCCESS || r->verdict == PT_VERDICT_SUCCESS)
		return;
	if (s != 429 && !(s >= 500 && s < 600) && !limited_4xx)
		return;
	o->verdict = JUDGED_RETRY;
	o->exit_code = 1;
	o->label = "failed";
	snprintf(o->reason, sizeof o->reason, "HTTP status %d", s);
}

/* Diophantine: the start of attempt n (1-based). When we are already later
 * than its grant plus the guard, starting now could crowd a window: give
 * back the remaining grants and ask again for the earliest compliant time. */
static int64_t dio_start_ms(retry_state *st, int n, int64_t now)
{
	const run_plan *plan = st->plan;
	size_t i = (size_t)n - 1;
	int64_t target = st->grant_base_ms + plan->offsets[i];
	bool local = limiter_wants_daemon(&st->lim);
	if (!limiter_stale(&st->lim, target, now, true))
		return target;
	if (local && now <= target)
		now = target; /* on local limits: ask the daemon again for the rest */
	int64_t rest[PT_DIO_MAX_OFFSETS];
	size_t k = plan->n_offsets - i;
	for (size_t j = 0; j < k; j++)
		rest[j] = plan->offsets[i + j] - plan->offsets[i];
	int64_t base = limiter_grant(&st->lim, rest, k, now, target);
	st->grant_base_ms = base - plan->offsets[i];
	if (!local)
		report_verbose(&st->report, "Attempt %d/%d is past its grant; rescheduled.", n,
			       plan->attempts);
	return base;
}

/* Any other strategy with a rate limit: the backoff's time, or the first
 * compliant one after it. */
static int64_t limited_start_ms(retry_state *st, int64_t not_before, int64_t cancel_from)
{
	static const int64_t one_start[] = {0};
	return limiter_grant(&st->lim, one_start, 1, not_before, cancel_from);
}

/* The strategy's delay before attempt n: the backoff, or adaptive's
 * model when it knows one (the backoff is then its fallback). */
static int64_t strategy_delay(retry_state *st, int n)
{
	int64_t d = pt_backoff_next(&st->backoff, (unsigned)n - 1);
	return st->learning ? learner_next(&st->learn, st->failed_after_ms, d) : d;
}

/* adaptive: attempt n, after the first, followed a wait; its outcome
 * teaches the model. Outcomes no wait can change (not found, a failure
 * pattern, a signal, the deadline) teach nothing. */
static void learn_outcome(retry_state *st, int n, const attempt_outcome *o, int64_t ended_ms)
{
	int64_t waited = st->last_start_ms - st->last_end_ms;
	bool failed = o->verdict == JUDGED_RETRY;
	if (st->learning && n > 1 && (failed || o->verdict == JUDGED_SUCCESS))
		learner_record(&st->learn, waited, !failed);
	st->failed_after_ms = n > 1 ? waited : -1;
	st->last_end_ms = ended_ms;
}

static int64_t next_start_ms(retry_state *st, int n, int64_t now)
{
	if (st->plan->strategy == PT_STRATEGY_DIOPHANTINE)
		return dio_start_ms(st, n, now);
	int64_t start = now + (st->asked_ms >= 0 ? st->asked_ms : strategy_delay(st, n));
	if (!gated(st->plan))
		return start;
	/* The last start was used, even when the attempt ended within its
	 * millisecond: give back only what comes after it. */
	int64_t unused_from = start > st->last_start_ms ? start : st->last_start_ms + 1;
	return limited_start_ms(st, start, unused_from);
}

/* Woke up for attempt n at start_ms: still on time? Else the next time.
 * On local limits, the first wake also asks the daemon again. */
static int64_t recheck_start_ms(retry_state *st, int n, int64_t start_ms, bool first_wake)
{
	int64_t now = pt_monotonic_ms();
	if (!gated(st->plan))
		return start_ms;
	if (!limiter_stale(&st->lim, start_ms, now, first_wake))
		return start_ms;
	if (st->plan->strategy == PT_STRATEGY_DIOPHANTINE)
		return dio_start_ms(st, n, now);
	return limited_start_ms(st, now, start_ms);
}

/* Would attempt n, starting at start_ms, begin after --deadline? */
static bool past_deadline(const retry_state *st, int n, int64_t start_ms, attempt_outcome *o)
{
	char limit[32];
	if (!st->deadline_ns || start_ms * PT_NS_PER_MS < st->deadline_ns)
		return false;
	pt_duration_format(st->plan->deadline_ms, limit, sizeof limit);
	o->verdict = JUDGED_GIVE_UP;
	o->exit_code = PT_EXIT_TIMEOUT;
	snprintf(o->reason, sizeof o->reason, "deadline of %s would pass before attempt %d",
		 limit, n);
	return true;
}

#define STATUS_AFTER_MS 1000 /* a wait this long shows its status line */

/* What attempt n waits for, on a terminal (status_line.h). */
typedef struct attempt_wait {
	retry_state *st;
	int n;
} attempt_wait;

/* "patience: attempt 3 in 41.0s, at 12:00:03 (api:x: 20 per 1m, shared
 * through patience-daemon)". */
static void draw_wait(void *ctx, FILE *f, int64_t left_ms)
{
	const attempt_wait *w = ctx;
	const run_plan *plan = w->st->plan;
	char at[16] = "", window[32];
	struct tm tm;
	time_t t = (time_t)((pt_realtime_ms() + left_ms) / 1000);
	if (localtime_r(&t, &tm))
		strftime(at, sizeof at, "%H:%M:%S", &tm);
	fprintf(f, "patience: attempt %d in %.1fs, at %s", w->n, (double)left_ms / 1000, at);
	if (plan->coordinated)
		fprintf(f, " (%s, through patience-daemon)", plan->resource_id);
	if (!plan->limited)
		return;
	pt_duration_format(plan->window_ms, window, sizeof window);
	fprintf(f, " (%s: %" PRId64 " per %s%s)", plan->resource_id, plan->rate_limit, window,
		limiter_shared(&w->st->lim) ? ", shared through patience-daemon" : "");
}

/* Sleep until start_ms for attempt n; on a terminal, unless --quiet, a long
 * wait says what it waits for. 0, or the signal that ended it. */
static int wait_until_start(retry_state *st, int n, int64_t start_ms)
{
	attempt_wait w = {st, n};
	if (st->plan->quiet || start_ms - pt_monotonic_ms() < STATUS_AFTER_MS ||
	    !isatty(STDERR_FILENO))
		return pt_wait_until(start_ms * PT_NS_PER_MS, st->signal_fd);
	return status_line_wait(stderr, start_ms, st->signal_fd, draw_wait, &w);
}

/* Sleep until attempt n may start, at *start_at (moved when it had to be
 * granted again), and take its lease (--concurrency) before the check for
 * lateness, so that a long wait for it is granted again too. Returns 0, or
 * an exit code to stop with (and the reason in o). */
static int wait_for_attempt(retry_state *st, int n, int64_t *start_at, attempt_outcome *o)
{
	int64_t start_ms = *start_at;
	o->verdict = JUDGED_GIVE_UP;
	for (bool first_wake = true;;) {
		if (gated(st->plan) && limiter_refused(&st->lim)) {
			snprintf(o->reason, sizeof o->reason, "the daemon refused the rate limit");
			return PT_EXIT_INTERNAL;
		}
		if (past_deadline(st, n, start_ms, o))
			return PT_EXIT_TIMEOUT;
		int sig = wait_until_start(st, n, start_ms);
		if (!sig && st->plan->concurrency && lease_acquire(&st->lease) < 0) {
			snprintf(o->reason, sizeof o->reason, "the daemon refused a lease");
			return PT_EXIT_INTERNAL;
		}
		if (!sig)
			sig = pt_signals_pending();
		if (sig) {
			snprintf(o->reason, sizeof o->reason, "interrupted by SIG%s",
				 signal_name(sig));
			o->interrupted = true;
			return 128 + sig;
		}
		int64_t again = recheck_start_ms(st, n, start_ms, first_wake); /* too late? */
		first_wake = false;
		if (again == start_ms)
			return 0;
		*start_at = start_ms = again;
	}
}

/* Wait for attempt n's time, then for the circuit breaker to admit it; a
 * wait for the breaker may have made the rate limit's grant stale, so its
 * time is checked again. Returns as wait_for_attempt. */
static int admit_attempt(retry_state *st, int n, int64_t *start_at, attempt_outcome *o)
{
	bool waited;
	int stop = wait_for_attempt(st, n, start_at, o);
	if (stop || !st->plan->breaker)
		return stop;
	stop = breaker_client_admit(&st->breaker, st->signal_fd, st->deadline_ns, &waited,
				    o->reason, sizeof o->reason);
	if (stop) {
		o->verdict = JUDGED_GIVE_UP;
		o->interrupted = stop > 128;
		if (stop == PT_EXIT_CIRCUIT_OPEN)
			pt_error("%s; not running the command (--fail-fast)", o->reason);
		return stop;
	}
	return waited && gated(st->plan) ? wait_for_attempt(st, n, start_at, o) : 0;
}

/* Tell the breaker how attempt n ended: what patience stopped itself
 * (a signal to patience, the deadline) says nothing of the resource. */
static void report_to_breaker(retry_state *st, const pt_attempt_result *r,
			      const attempt_outcome *o)
{
	if (!st->plan->breaker || o->interrupted || r->end == PT_END_DEADLINE)
		return;
	breaker_client_report(&st->breaker, o->verdict == JUDGED_SUCCESS);
}

/* The daemon counts each attempt whose command started. */
static void report_to_daemon(retry_state *st, const pt_attempt_result *r,
			     const attempt_outcome *o)
{
	if (!gated(st->plan) || r->end == PT_END_NOT_STARTED)
		return;
	char err[256]; /* -v says it */
	int64_t ago_ms = (pt_monotonic_ns() - r->started_ns) / PT_NS_PER_MS;
	limiter_executed(&st->lim, pt_realtime_ms() - ago_ms,
			 (r->ended_ns - r->started_ns) / PT_NS_PER_MS, o->exit_code,
			 o->verdict == JUDGED_SUCCESS, err, sizeof err);
}

/* The attempt's command has exec'd: its start counts from now, not from
 * its grant (pt_attempt_spec.on_started). */
static void attempt_started(void *ctx, int64_t started_ns)
{
	retry_state *st = ctx;
	limiter_started(&st->lim, st->last_start_ms, (started_ns + PT_NS_PER_MS - 1) / PT_NS_PER_MS);
	report_attempt_late(&st->report, st->report.count, st->lim.last_late_ms);
	st->report.guard_ms = limiter_guard_in_force(&st->lim);
}

static int run_attempt(retry_state *st, int n, char **argv, bool limited,
		       pt_attempt_result *result)
{
	const run_plan *plan = st->plan;
	snprintf(st->attempt_var, sizeof st->attempt_var, "PATIENCE_ATTEMPT=%d", n);
	pt_attempt_spec spec = {
		.argv = argv,
		.envp = st->envp,
		.timeout_ns = limited ? plan->timeout_ms * PT_NS_PER_MS : 0,
		.kill_after_ns = plan->kill_after_ms * PT_NS_PER_MS,
		.deadline_ns = limited ? st->deadline_ns : 0,
		.watch = limited && st->watching ? &st->watch : NULL,
		.stdin_data = st->stdin_data,
		.stdin_len = st->stdin_len,
		.signal_fd = st->signal_fd,
		.on_started = limited && gated(plan) ? attempt_started : NULL,
		.started_ctx = st,
	};
	if (pt_attempt_run(&spec, result) < 0) {
		pt_error("cannot supervise the command: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --fallback: once, with sh -c, after every attempt failed. Its own exit
 * status is reported but does not replace the command's. */
static int run_fallback(retry_state *st, int last_attempt)
{
	char *argv[] = {"/bin/sh", "-c", (char *)st->plan->fallback, NULL};
	pt_attempt_result r;
	report_note(&st->report, "Running fallback: %s", st->plan->fallback);
	if (run_attempt(st, last_attempt, argv, false, &r) < 0)
		return PT_EXIT_INTERNAL;
	if (r.end == PT_END_INTERRUPTED)
		return 128 + r.signal;
	report_verbose(&st->report, "Fallback exited with code %d.", r.status);
	return 0;
}

static int finish(retry_state *st, const attempt_outcome *o, int n, int exit_code)
{
	bool success = o->verdict == JUDGED_SUCCESS;
	if (!success && st->plan->fallback && !o->interrupted) {
		int rc = run_fallback(st, n);
		if (rc)
			exit_code = rc;
	}
	int64_t total_ms = (pt_monotonic_ns() - st->started_ns) / PT_NS_PER_MS;
	report_summary(&st->report, success, exit_code, success ? "succeeded" : o->reason,
		       total_ms);
	return exit_code;
}

static int retry_loop(retry_state *st)
{
	const run_plan *plan = st->plan;
	attempt_outcome o = {0};
	pt_attempt_result r;
	int64_t start_ms = plan->strategy == PT_STRATEGY_DIOPHANTINE ? st->grant_base_ms
		: gated(plan) ? limited_start_ms(st, pt_monotonic_ms(), pt_monotonic_ms())
			      : pt_monotonic_ms();
	for (int n = 1;; n++) {
		int stop = admit_attempt(st, n, &start_ms, &o);
		if (stop)
			return finish(st, &o, n - 1, stop);
		st->last_start_ms = start_ms;
		report_attempt_start(&st->report, n, (pt_monotonic_ns() - st->started_ns) / PT_NS_PER_MS,
				     !gated(plan) ? NULL : limiter_source(&st->lim));
		int ran = run_attempt(st, n, plan->command, true, &r);
		lease_release(&st->lease);
		if (ran < 0)
			return PT_EXIT_INTERNAL;
		judge(plan, &r, &o);
		listen_to_service(st, n);
		judge_http(st, &r, &o);
		report_to_breaker(st, &r, &o);
		report_to_daemon(st, &r, &o);
		report_attempt_end(&st->report, n, o.exit_code,
				   (r.ended_ns - r.started_ns) / PT_NS_PER_MS, o.label, o.reason);
		report_heard(st);
		learn_outcome(st, n, &o, r.ended_ns / PT_NS_PER_MS);
		if (st->heard_any)
			tell_daemon(st);
		if (o.verdict != JUDGED_RETRY || n == plan->attempts) {
			if (o.verdict == JUDGED_GIVE_UP && r.end != PT_END_INTERRUPTED)
				pt_error("%s; not retrying", o.reason);
			return finish(st, &o, n, o.exit_code);
		}
		int64_t now = pt_monotonic_ms();
		start_ms = next_start_ms(st, n + 1, now);
		if (past_deadline(st, n + 1, start_ms, &o)) {
			pt_error("%s; not retrying", o.reason);
			return finish(st, &o, n, PT_EXIT_TIMEOUT);
		}
		int64_t delay = start_ms - now;
		report_retry_in(&st->report, n, o.reason, delay > 0 ? delay : 0);
	}
}

int run_plan_execute(const run_plan *plan, int signal_fd)
{
	retry_state st;
	int rc = state_init(&st, plan, signal_fd);
	if (rc == 0)
		rc = retry_loop(&st);
	state_release(&st);
	return rc;
}

static void print_strategy_line(const run_plan *p)
{
	const pt_backoff_params *b = &p->backoff;
	char base[32], max[32], window[32], guard[32];
	pt_duration_format(b->base_ms, base, sizeof base);
	pt_duration_format(b->max_ms, max, sizeof max);
	printf("strategy: ");
	if (p->strategy == PT_STRATEGY_ADAPTIVE) {
		pt_duration_format(p->adaptive.min_ms, window, sizeof window);
		pt_duration_format(p->adaptive.max_ms, guard, sizeof guard);
		printf("adaptive, learning rate %g, memory %u, delays %s to %s; until it knows, ",
		       p->adaptive.learning_rate, p->adaptive.window, window, guard);
	}
	if (p->discover) {
		pt_duration_format(p->asked_max_ms, window, sizeof window);
		printf("%s, as the service asks (at most %s), else ",
		       p->strategy == PT_STRATEGY_HTTP_AWARE ? "http-aware" : "discover",
		       p->asked_max_ms ? window : "no limit");
	}
	switch (b->strategy) {
	case PT_STRATEGY_FIXED:
		pt_duration_format(b->delay_ms, base, sizeof base);
		printf("fixed, delay %s", base);
		break;
	case PT_STRATEGY_LINEAR:
		pt_duration_format(b->increment_ms, base, sizeof base);
		printf("linear, increment %s, max %s", base, max);
		break;
	case PT_STRATEGY_POLYNOMIAL:
		printf("polynomial, base %s, exponent %g, max %s", base, b->exponent, max);
		break;
	case PT_STRATEGY_FIBONACCI:
		printf("fibonacci, base %s, max %s", base, max);
		break;
	case PT_STRATEGY_DIOPHANTINE:
		pt_duration_format(p->window_ms, window, sizeof window);
		pt_duration_format(p->guard_ms, guard, sizeof guard);
		printf("diophantine, at most %" PRId64 " start%s per %s (guard %s)",
		       p->rate_limit, p->rate_limit == 1 ? "" : "s", window, guard);
		break;
	default:
		printf("%s, base %s, multiplier %g, max %s%s", pt_strategy_name(b->strategy),
		       base, b->multiplier, max,
		       b->strategy == PT_STRATEGY_JITTER && b->jitter == PT_JITTER_EQUAL
			       ? ", equal jitter" : "");
	}
	printf(", %d attempt%s\n", p->attempts, p->attempts == 1 ? "" : "s");
}

void run_print_schedule(const run_plan *plan)
{
	pt_backoff b;
	char delay[32], at[32];
	int64_t t = 0;
	bool random = plan->backoff.strategy == PT_STRATEGY_JITTER ||
		      plan->backoff.strategy == PT_STRATEGY_DECORRELATED_JITTER;
	pt_backoff_init(&b, &plan->backoff, plan->seed);
	print_strategy_line(plan);
	if (plan->breaker) {
		char spec[128];
		pt_breaker_spec_format(&plan->breaker_spec, spec, sizeof spec);
		printf("circuit breaker: %s%s%s\n", spec, plan->daemon_enabled ? ", shared through "
		       "patience-daemon" : "", plan->fail_fast ? "; open: exit 75" : "; open: wait");
	}
	if (random)
		printf("(random delays drawn with seed %" PRIu64 "%s)\n", plan->seed,
		       plan->seeded ? "" : "; pass --seed to repeat them");
	if (plan->strategy == PT_STRATEGY_ADAPTIVE)
		printf("(the fallback's delays: adaptive replaces them with what it learns%s)\n",
		       plan->daemon_enabled ? ", starting from what patience-daemon kept" : "");
	printf("(times assume each attempt takes no time)\n");
	for (int n = 1; n <= plan->attempts; n++) {
		if (plan->strategy == PT_STRATEGY_DIOPHANTINE)
			t = plan->offsets[n - 1];
		pt_duration_format(t, at, sizeof at);
		printf("attempt %d: at +%s", n, at);
		if (n < plan->attempts && plan->strategy != PT_STRATEGY_DIOPHANTINE) {
			int64_t d = pt_backoff_next(&b, (unsigned)n);
			pt_duration_format(d, delay, sizeof delay);
			printf(", then wait %s", delay);
			t += d;
		}
		putchar('\n');
	}
}
