#include "run_report.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "patience/duration.h"

int run_report_init(run_report *r, const run_plan *plan)
{
	r->plan = plan;
	r->count = 0;
	r->attempts = calloc((size_t)plan->attempts, sizeof *r->attempts);
	return r->attempts ? 0 : -1;
}

void run_report_release(run_report *r)
{
	free(r->attempts);
	r->attempts = NULL;
}

static void vsay(const char *fmt, va_list ap)
{
	fputs("[retry] ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void report_note(const run_report *r, const char *fmt, ...)
{
	va_list ap;
	if (r->plan->quiet)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void report_verbose(const run_report *r, const char *fmt, ...)
{
	va_list ap;
	if (!r->plan->verbose)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void report_attempt_start(run_report *r, int n, int64_t started_ms, const char *granted_by)
{
	attempt_record *a = &r->attempts[n - 1];
	a->started_ms = started_ms;
	a->granted_by = granted_by;
	a->delay_ms = -1;
	a->http_status = 0;
	a->asked_ms = -1;
	a->late_ms = -1;
	r->count = n;
	report_note(r, "Attempt %d/%d starting...", n, r->plan->attempts);
}

void report_attempt_late(run_report *r, int n, int64_t late_ms)
{
	r->attempts[n - 1].late_ms = late_ms;
}

void report_attempt_end(run_report *r, int n, int exit_code, int64_t duration_ms,
			const char *outcome, const char *reason)
{
	attempt_record *a = &r->attempts[n - 1];
	a->exit_code = exit_code;
	a->duration_ms = duration_ms;
	a->outcome = outcome;
	char took[32];
	pt_duration_format(duration_ms, took, sizeof took);
	report_verbose(r, "Attempt %d/%d %s (%s) after %s.", n, r->plan->attempts, outcome, reason,
		       took);
}

void report_service(run_report *r, int n, int http_status, int64_t asked_ms)
{
	r->attempts[n - 1].http_status = http_status;
	r->attempts[n - 1].asked_ms = asked_ms;
}

void report_retry_in(run_report *r, int n, const char *reason, int64_t delay_ms)
{
	char delay[32];
	r->attempts[n - 1].delay_ms = delay_ms;
	pt_duration_format(delay_ms, delay, sizeof delay);
	report_note(r, "Attempt %d/%d failed (%s). Retrying in %s.", n, r->plan->attempts, reason,
		    delay);
}

static cJSON *attempts_json(const run_report *r)
{
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; list && i < r->count; i++) {
		const attempt_record *a = &r->attempts[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "attempt", i + 1);
		cJSON_AddStringToObject(o, "outcome", a->outcome ? a->outcome : "unknown");
		cJSON_AddNumberToObject(o, "exit_code", a->exit_code);
		cJSON_AddNumberToObject(o, "started_ms", (double)a->started_ms);
		cJSON_AddNumberToObject(o, "duration_ms", (double)a->duration_ms);
		if (a->delay_ms >= 0)
			cJSON_AddNumberToObject(o, "delay_ms", (double)a->delay_ms);
		if (a->granted_by)
			cJSON_AddStringToObject(o, "granted_by", a->granted_by);
		if (a->late_ms >= 0)
			cJSON_AddNumberToObject(o, "late_ms", (double)a->late_ms);
		if (a->http_status)
			cJSON_AddNumberToObject(o, "http_status", a->http_status);
		if (a->asked_ms >= 0)
			cJSON_AddNumberToObject(o, "asked_delay_ms", (double)a->asked_ms);
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

static void print_json(const run_report *r, bool success, int exit_code, const char *reason,
		       int64_t total_ms)
{
	const run_plan *p = r->plan;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "success", success);
	cJSON_AddNumberToObject(o, "exit_code", exit_code);
	cJSON_AddStringToObject(o, "reason", reason);
	cJSON_AddStringToObject(o, "strategy", pt_strategy_name(p->strategy));
	cJSON_AddNumberToObject(o, "attempts", r->count);
	cJSON_AddNumberToObject(o, "max_attempts", p->attempts);
	cJSON_AddNumberToObject(o, "total_ms", (double)total_ms);
	cJSON_AddStringToObject(o, "idempotency_key", p->idempotency_key);
	if (p->limited) {
		char limits[PT_LIMITS_MAX * 48];
		pt_limit_list_format(&p->limits, limits, sizeof limits);
		cJSON_AddStringToObject(o, "resource_id", p->resource_id);
		cJSON_AddStringToObject(o, "limits", limits);
		if (r->guard_ms > 0)
			cJSON_AddNumberToObject(o, "guard_ms", (double)r->guard_ms);
	}
	cJSON_AddItemToObject(o, "attempt_log", attempts_json(r));
	char *text = cJSON_PrintUnformatted(o);
	if (text)
		fprintf(stderr, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

void report_summary(run_report *r, bool success, int exit_code, const char *reason,
		    int64_t total_ms)
{
	char total[32];
	pt_duration_format(total_ms, total, sizeof total);
	if (success)
		report_note(r, "Succeeded after %d attempt%s in %s.", r->count,
			    r->count == 1 ? "" : "s", total);
	else if (!r->plan->quiet || !r->plan->json)
		fprintf(stderr, "[retry] Failed after %d attempt%s in %s: %s (exit %d).\n",
			r->count, r->count == 1 ? "" : "s", total, reason, exit_code);
	if (r->plan->json)
		print_json(r, success, exit_code, reason, total_ms);
}
