/* What patience tells the user about a run: progress lines on stderr in the
 * Go tool's style ("[retry] Attempt 2/5 starting..."), a summary, and the
 * --json summary object. */
#ifndef PT_TOOLS_RUN_REPORT_H
#define PT_TOOLS_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "patience.h"

typedef struct attempt_record {
	int exit_code;
	int64_t started_ms;  /* since the run began */
	int64_t duration_ms;
	int64_t delay_ms;    /* wait before the next attempt, -1: none */
	const char *outcome; /* "succeeded", "failed", "timed_out", ... (static) */
	const char *granted_by; /* rate-limited runs: "daemon", "host" or "local" (static) */
	int64_t late_ms;     /* rate-limited runs: its command's start after its grant, -1: none */
	int http_status;     /* http-aware, --discover: the last response's; 0: none */
	int64_t asked_ms;    /* the delay the service asked (bounded), -1: none */
} attempt_record;

typedef struct run_report {
	const run_plan *plan;
	int64_t guard_ms; /* rate-limited runs: the guard in force at the end (0: none said) */
	attempt_record *attempts; /* plan->attempts records */
	int count;
} run_report;

int run_report_init(run_report *r, const run_plan *plan);
void run_report_release(run_report *r);

/* granted_by: who placed its start under the rate limit ("daemon",
 * "host", "local"), NULL without one. */
void report_attempt_start(run_report *r, int n, int64_t started_ms, const char *granted_by);
/* How late attempt n's command started after its grant. */
void report_attempt_late(run_report *r, int n, int64_t late_ms);
/* Record attempt n's end; reason is a phrase such as "exit code 1". */
void report_attempt_end(run_report *r, int n, int exit_code, int64_t duration_ms,
			const char *outcome, const char *reason);
/* http-aware, --discover: what attempt n's output said. */
void report_service(run_report *r, int n, int http_status, int64_t asked_ms);
void report_retry_in(run_report *r, int n, const char *reason, int64_t delay_ms);
void report_note(const run_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void report_verbose(const run_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void report_summary(run_report *r, bool success, int exit_code, const char *reason,
		    int64_t total_ms);

#endif
