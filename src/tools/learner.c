#include "learner.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"

/* With -v: one line about what the model did. */
__attribute__((format(printf, 2, 3))) static void say(const learner *l, const char *fmt, ...)
{
	va_list ap;
	if (!l->verbose_prefix)
		return;
	fputs(l->verbose_prefix, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The memo of the resource, if the daemon keeps one that is a model. */
static void load(learner *l)
{
	char text[PT_ADAPTIVE_TEXT_MAX + 1], err[256];
	int rc = pt_client_memo_get(l->client, l->resource, LEARNER_MEMO_KEY, text, sizeof text,
				    err, sizeof err);
	if (rc == PT_ENOENT) {
		say(l, "patience-daemon keeps nothing learned for \"%s\" yet.", l->resource);
		return;
	}
	if (rc != PT_OK) {
		say(l, "Cannot read what patience-daemon learned for \"%s\": %s.", l->resource, err);
		return;
	}
	if (pt_adaptive_parse(&l->model, text, strlen(text)) != PT_OK) {
		say(l, "patience-daemon's memo for \"%s\" is not a model; starting afresh.",
		    l->resource);
		return;
	}
	say(l, "Starting from %zu outcomes patience-daemon kept for \"%s\".", l->model.count,
	    l->resource);
}

void learner_init(learner *l, const pt_adaptive_params *params, const limiter_config *cfg,
		  limiter *lim, bool quiet)
{
	char err[256];
	bool start_failed = false;
	memset(l, 0, sizeof *l);
	l->own.fd = -1;
	l->resource = cfg->resource_id;
	l->verbose_prefix = cfg->verbose_prefix;
	pt_adaptive_init(&l->model, params); /* checked by the plan */
	if (!cfg->daemon_enabled)
		return;
	if (lim)
		l->client = limiter_client(lim);
	else if (limiter_connect(&l->own, cfg, &start_failed, err, sizeof err) == PT_OK)
		l->client = &l->own;
	else if (!quiet)
		fprintf(stderr, "%s: daemon unavailable (%s); adaptive learns from scratch\n",
			cfg->tool, err);
	if (l->client && l->client->fd >= 0)
		load(l);
}

void learner_release(learner *l)
{
	pt_client_close(&l->own);
}

int64_t learner_next(const learner *l, int64_t failed_after_ms, int64_t fallback_ms)
{
	int64_t d = pt_adaptive_next(&l->model, failed_after_ms), floor;
	if (d >= 0)
		return d;
	floor = failed_after_ms < 0 ? 0 : pt_adaptive_above(&l->model, failed_after_ms);
	return fallback_ms > floor ? fallback_ms : floor;
}

void learner_record(learner *l, int64_t waited_ms, bool success)
{
	char text[PT_ADAPTIVE_TEXT_MAX + 1], err[256], wait[32];
	pt_adaptive_record(&l->model, waited_ms, success);
	pt_duration_format(waited_ms, wait, sizeof wait);
	say(l, "Learned: a wait of %s was followed by a %s.", wait, success ? "success" : "failure");
	if (!l->client || l->client->fd < 0 ||
	    pt_adaptive_format(&l->model, text, sizeof text) != PT_OK)
		return;
	if (pt_client_memo_put(l->client, l->resource, LEARNER_MEMO_KEY, text, err,
			       sizeof err) != PT_OK && !l->said_lost) {
		l->said_lost = true;
		say(l, "patience-daemon did not keep what was learned: %s.", err);
	}
}
