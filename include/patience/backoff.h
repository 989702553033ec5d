/* Retry delay strategies. Pure functions of their parameters, the attempt
 * number and (for jitter) a seeded PRNG. */
#ifndef PATIENCE_BACKOFF_H
#define PATIENCE_BACKOFF_H

#include <stdint.h>
#include "patience/rng.h"

typedef enum pt_strategy {
	PT_STRATEGY_FIXED,
	PT_STRATEGY_LINEAR,
	PT_STRATEGY_EXPONENTIAL,
	PT_STRATEGY_JITTER,
	PT_STRATEGY_DECORRELATED_JITTER,
	PT_STRATEGY_FIBONACCI,
	PT_STRATEGY_POLYNOMIAL,
	PT_STRATEGY_DIOPHANTINE,
	PT_STRATEGY_HTTP_AWARE, /* waits as the service asks; else a fallback strategy */
	PT_STRATEGY_ADAPTIVE,   /* learns which delays succeed (adaptive.h); else a fallback */
} pt_strategy;

typedef enum pt_jitter_mode {
	PT_JITTER_FULL,  /* U[0, d) */
	PT_JITTER_EQUAL, /* d/2 + U[0, d/2) */
} pt_jitter_mode;

typedef struct pt_backoff_params {
	pt_strategy strategy;
	int64_t delay_ms;     /* fixed: the delay */
	int64_t increment_ms; /* linear: n * increment */
	int64_t base_ms;      /* exponential, jitter, decorrelated, fibonacci, polynomial */
	int64_t max_ms;       /* cap for every strategy but fixed; <= 0 = no cap */
	double multiplier;    /* exponential, jitter, decorrelated */
	double exponent;      /* polynomial */
	pt_jitter_mode jitter;
} pt_backoff_params;

typedef struct pt_backoff {
	pt_backoff_params params;
	pt_rng rng;
	int64_t previous_ms; /* decorrelated jitter's last delay */
} pt_backoff;

/* Defaults of the Go tool for strategy s (see docs/patience.1). */
void pt_backoff_params_default(pt_backoff_params *p, pt_strategy s);
void pt_backoff_init(pt_backoff *b, const pt_backoff_params *p, uint64_t seed);
/* Delay in ms after failed attempt n (1-based), before attempt n+1:
 *   fixed        delay
 *   linear       min(max, n*increment)
 *   exponential  min(max, base*x^(n-1))
 *   jitter       full: U[0, min(max, base*x^(n-1))); equal: v/2 + U[0, v/2)
 *   decorrelated min(max, U[base, previous*x)), previous starts at base
 *   fibonacci    min(max, base*F(n)) with F = 1, 1, 2, 3, 5, ...
 *   polynomial   min(max, base*n^e)
 *   diophantine  0 (its schedule comes from the offsets)
 *   http-aware   0 (the service's answer, or its fallback strategy, decides)
 *   adaptive     0 (its model, patience/adaptive.h, or its fallback decides)
 * Results are rounded to the nearest ms; jitter draws are floored so their
 * intervals stay half-open. n = 0 is read as 1. Never overflows: results
 * saturate at max (or PT_DURATION_MAX_MS), and so does a NaN parameter;
 * negative results become 0. */
int64_t pt_backoff_next(pt_backoff *b, unsigned n);

/* Look up a strategy by name or alias ("exponential", "exp", ...).
 * Returns PT_OK or PT_ENOENT. */
int pt_strategy_lookup(const char *name, pt_strategy *out);
/* The canonical name ("exponential"). */
const char *pt_strategy_name(pt_strategy s);

#endif
