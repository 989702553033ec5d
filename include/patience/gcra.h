/* A burst limit (token bucket), as GCRA's virtual scheduling (ITU-T I.371):
 * N starts per W with bursts of B. Emission interval T = ceil(W/N) ms (whole
 * ms, rounded up so that the rate is never above N/W), burst tolerance
 * tau = (B-1)*T. The state is one theoretical arrival time (TAT, initially
 * none); a start at t conforms iff t >= TAT - tau, and then
 * TAT = max(TAT, t) + T. B = 1: starts at least T apart; B = N: N at once,
 * then N per W.
 *
 * Guard time: a start may happen up to g after its grant, so grants are
 * placed with tolerance tau - g (possibly negative). Then the starts as they
 * happen conform to GCRA(T, tau): of the starts in any interval of length L
 * (2 or more), the first and last granted were granted at most L + g apart.
 *
 * Placing a task (offsets o_0 = 0 < ... < o_k): the least base t >= not_before
 * at which every t + o_i conforms in turn. Starts released unused are not
 * given back (the TAT cannot forget one start among others): conservative.
 *
 * Times are int64_t ms on one clock of the caller's. No clocks, no global
 * state, not thread-safe. */
#ifndef PATIENCE_GCRA_H
#define PATIENCE_GCRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Times, answers and TATs stay within +-this. */
#define PT_GCRA_TIME_MAX (INT64_C(1) << 62)

typedef struct pt_gcra {
	int64_t interval_ms;  /* T */
	int64_t burst;        /* B */
	int64_t guard_ms;     /* g */
	int64_t tolerance_ms; /* tau - g, what grants are placed with */
	bool has_tat;         /* false: no start yet (TAT = -infinity) */
	int64_t tat_ms;
} pt_gcra;

/* limit (N) 1 to 1e9, window_ms 1 ms to 100 years, burst 1 to 1e9,
 * guard_ms 0 to 100 years, else PT_EINVAL; PT_ERANGE when tau passes 100
 * years. */
int pt_gcra_init(pt_gcra *g, int64_t limit, int64_t window_ms, int64_t burst, int64_t guard_ms);

/* The least base >= not_before_ms at which base + offsets[i] conform in
 * turn. Does not change g. PT_EINVAL for bad offsets (as pt_dio_check_offsets),
 * PT_EINFEASIBLE when the offsets alone break the burst limit, PT_ERANGE
 * when the answer would pass +-2^62. */
int pt_gcra_find(const pt_gcra *g, int64_t not_before_ms, const int64_t *offsets, size_t k,
		 int64_t *base_out);

/* Record starts base + offsets[i] (as found, or restored): advances TAT. */
void pt_gcra_commit(pt_gcra *g, int64_t base_ms, const int64_t *offsets, size_t k);

/* A start granted earlier really happened at at_ms (its command started
 * late): the TAT is then at least at_ms + T, as the service counts it. */
void pt_gcra_started_at(pt_gcra *g, int64_t at_ms);

/* The TAT the next start would see, or INT64_MIN when none yet. */
int64_t pt_gcra_tat(const pt_gcra *g);

#endif
