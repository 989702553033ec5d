/* The adaptive strategy in a run: its model (patience/adaptive.h), read
 * from patience-daemon's memo of the resource when the run starts and
 * written back after every outcome, so that the next run, or another
 * process, starts from what this one learned. Without a daemon (or when it
 * does not answer) the model starts empty and lives as long as the run. */
#ifndef PT_TOOLS_LEARNER_H
#define PT_TOOLS_LEARNER_H

#include <stdbool.h>
#include <stdint.h>

#include "client/limiter.h"
#include "patience/adaptive.h"

#define LEARNER_MEMO_KEY "adaptive"

typedef struct learner {
	pt_adaptive model;
	const char *resource;       /* not owned */
	const char *verbose_prefix; /* "[retry] ", NULL: quiet about it */
	pt_client own;              /* without a rate limit: our own connection */
	pt_client *client;          /* the connection the memo goes over; NULL: none */
	bool said_lost;             /* told once that a write did not reach the daemon */
} learner;

/* Start the model from params and, with cfg->daemon_enabled, from the
 * daemon's memo: over lim's connection when lim is given (a limited run),
 * else over a connection of its own. quiet: say nothing when the daemon
 * cannot be reached. Never fails: the model then starts empty. */
void learner_init(learner *l, const pt_adaptive_params *params, const limiter_config *cfg,
		  limiter *lim, bool quiet);
void learner_release(learner *l);

/* The delay after a failed attempt that followed a wait of failed_after_ms
 * (-1: the first attempt): the model's, else fallback_ms, but not less than
 * the bucket above the wait that failed. */
int64_t learner_next(const learner *l, int64_t failed_after_ms, int64_t fallback_ms);
/* An attempt after a wait of waited_ms succeeded or failed: learn it, and
 * tell the daemon. */
void learner_record(learner *l, int64_t waited_ms, bool success);

#endif
