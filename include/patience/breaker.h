/* A circuit breaker: pure logic, no clock of its own (every time is passed
 * in, in ms) and no I/O, so patience's in-process breaker and
 * patience-daemon's shared one are the same code.
 *
 *   closed     attempts run; `failures` failures within the sliding
 *              `window` open it
 *   open       no attempt runs until `cooldown` has passed
 *   half-open  `probes` attempts are let through; a probe's success closes
 *              the breaker, its failure opens it for another cooldown
 */
#ifndef PATIENCE_BREAKER_H
#define PATIENCE_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_BREAKER_FAILURES_MAX 1000 /* a breaker keeps this many times */
#define PT_BREAKER_PROBES_MAX 1000
/* Half-open without a permit: ask again this soon (a probe's end is not
 * announced to the waiters). */
#define PT_BREAKER_RECHECK_MS 250

typedef struct pt_breaker_spec {
	int64_t failures;    /* 1 .. PT_BREAKER_FAILURES_MAX */
	int64_t window_ms;   /* 1 ms .. PT_DURATION_MAX_MS */
	int64_t cooldown_ms; /* 1 ms .. PT_DURATION_MAX_MS */
	int64_t probes;      /* 1 .. PT_BREAKER_PROBES_MAX */
} pt_breaker_spec;

/* failures=5,window=60s,cooldown=30s,probes=1 */
void pt_breaker_spec_default(pt_breaker_spec *out);
/* Is every field within its range? */
bool pt_breaker_spec_valid(const pt_breaker_spec *s);
/* Parse "failures=5,window=60s,cooldown=30s,probes=1": any subset, in any
 * order, each key at most once; the others keep their defaults. Durations
 * as pt_duration_parse. PT_EINVAL with a one-line reason in err naming the
 * bad value and what was expected. */
int pt_breaker_spec_parse(const char *text, pt_breaker_spec *out, char *err, size_t err_len);
/* The text form that parses back to s ("failures=5,window=1m,cooldown=30s,
 * probes=1"); as snprintf. */
int pt_breaker_spec_format(const pt_breaker_spec *s, char *buf, size_t len);

typedef enum pt_breaker_state {
	PT_BREAKER_CLOSED,
	PT_BREAKER_OPEN,
	PT_BREAKER_HALF_OPEN,
	PT_BREAKER_STATES,
} pt_breaker_state;

/* "closed", "open", "half_open". */
const char *pt_breaker_state_name(pt_breaker_state s);

typedef struct pt_breaker {
	pt_breaker_spec spec;
	pt_breaker_state state;
	int64_t *failed_at; /* owned ring of the last spec.failures failure times */
	size_t n_failed, oldest;
	int64_t open_until_ms;    /* open: the cooldown's end */
	int64_t probes_in_flight; /* half-open: permits handed out, not yet reported */
	uint64_t probe_round;     /* counts the half-open periods: a permit's round */
} pt_breaker;

/* A state change, for the caller's log and counters. */
typedef struct pt_breaker_change {
	bool changed;
	pt_breaker_state from, to;
	char why[96];
} pt_breaker_change;

typedef struct pt_breaker_admission {
	bool admit;
	uint64_t probe_round; /* > 0: admitted as a probe of this half-open round */
	int64_t retry_at_ms;  /* not admitted: ask again then */
} pt_breaker_admission;

/* A closed breaker. spec must be valid. PT_OK, PT_EINVAL, PT_ENOMEM. */
int pt_breaker_init(pt_breaker *b, const pt_breaker_spec *spec);
void pt_breaker_release(pt_breaker *b);

/* May an attempt start at now? An open breaker whose cooldown is over
 * turns half-open here (reported in *change). */
void pt_breaker_admit(pt_breaker *b, int64_t now_ms, pt_breaker_admission *out,
		      pt_breaker_change *change);
/* An admitted attempt ended. probe_round: its admission's (0: not a
 * probe). In half-open only the current round's probes count; an open
 * breaker ignores late outcomes of attempts admitted before it opened, and
 * a closed one counts a late probe's failure as any other. */
void pt_breaker_report(pt_breaker *b, bool success, uint64_t probe_round, int64_t now_ms,
		       pt_breaker_change *change);
/* A probe permit of probe_round comes back unreported (its holder went
 * away): another attempt may probe. Permits of a past round are void. */
void pt_breaker_return_probe(pt_breaker *b, uint64_t probe_round);
/* Failures within the window that ends at now (closed), else those that
 * opened it. */
size_t pt_breaker_failures(const pt_breaker *b, int64_t now_ms);

#endif
