/* Retry delay strategies. Growth is computed in double and clamped before it
 * is converted back, so a huge attempt number, multiplier or exponent
 * saturates at the cap instead of overflowing. */
#include "patience/backoff.h"

#include <math.h> /* isnan and isinf only: libm is not linked */
#include <stddef.h>
#include <string.h>

#include "lib/power.h"
#include "patience/duration.h"
#include "patience/error.h"

#define SECOND_MS 1000
#define MINUTE_MS (60 * SECOND_MS)

static const struct {
	const char *name;
	const char *alias;
} strategy_names[] = {
	[PT_STRATEGY_FIXED] = {"fixed", "fix"},
	[PT_STRATEGY_LINEAR] = {"linear", "lin"},
	[PT_STRATEGY_EXPONENTIAL] = {"exponential", "exp"},
	[PT_STRATEGY_JITTER] = {"jitter", "jit"},
	[PT_STRATEGY_DECORRELATED_JITTER] = {"decorrelated-jitter", "dj"},
	[PT_STRATEGY_FIBONACCI] = {"fibonacci", "fib"},
	[PT_STRATEGY_POLYNOMIAL] = {"polynomial", "poly"},
	[PT_STRATEGY_DIOPHANTINE] = {"diophantine", "dio"},
	[PT_STRATEGY_HTTP_AWARE] = {"http-aware", "ha"},
	[PT_STRATEGY_ADAPTIVE] = {"adaptive", "adapt"},
};

#define STRATEGY_COUNT (sizeof strategy_names / sizeof strategy_names[0])

void pt_backoff_params_default(pt_backoff_params *p, pt_strategy s)
{
	memset(p, 0, sizeof *p);
	p->strategy = s;
	p->jitter = PT_JITTER_FULL;
	switch (s) {
	case PT_STRATEGY_FIXED:
		p->delay_ms = SECOND_MS;
		return;
	case PT_STRATEGY_LINEAR:
		p->increment_ms = SECOND_MS;
		break;
	case PT_STRATEGY_EXPONENTIAL:
	case PT_STRATEGY_JITTER:
		p->multiplier = 2.0;
		break;
	case PT_STRATEGY_DECORRELATED_JITTER:
		p->multiplier = 3.0;
		break;
	case PT_STRATEGY_POLYNOMIAL:
		p->exponent = 2.0;
		break;
	case PT_STRATEGY_FIBONACCI:
		break;
	case PT_STRATEGY_DIOPHANTINE:
	case PT_STRATEGY_HTTP_AWARE:
	case PT_STRATEGY_ADAPTIVE:
	default:
		return;
	}
	if (s != PT_STRATEGY_LINEAR)
		p->base_ms = SECOND_MS;
	p->max_ms = MINUTE_MS;
}

/* The largest delay a strategy may return: max when set, and never more
 * than a duration can hold. max <= 0 means no cap. */
static int64_t cap_of(const pt_backoff_params *p)
{
	if (p->max_ms > 0 && p->max_ms < PT_DURATION_MAX_MS)
		return p->max_ms;
	return PT_DURATION_MAX_MS;
}

/* v rounded to the nearest ms within [0, cap]. NaN, from a NaN parameter,
 * saturates: waiting too long is the safe side of a retry. */
static int64_t clamp_ms(double v, int64_t cap)
{
	if (isnan(v) || v >= (double)cap)
		return cap;
	if (v <= 0)
		return 0;
	return (int64_t)(v + 0.5); /* v + 0.5 > 0: truncation is floor */
}

static int64_t clamp_int(int64_t v, int64_t cap)
{
	return v < 0 ? 0 : v > cap ? cap : v;
}

void pt_backoff_init(pt_backoff *b, const pt_backoff_params *p, uint64_t seed)
{
	b->params = *p;
	pt_rng_seed(&b->rng, seed);
	b->previous_ms = clamp_int(p->base_ms, PT_DURATION_MAX_MS);
}

/* Integer arithmetic is exact here and its overflow is easy to foresee. */
static int64_t linear(const pt_backoff_params *p, unsigned n, int64_t cap)
{
	if (p->increment_ms <= 0)
		return 0;
	if ((int64_t)n > cap / p->increment_ms)
		return cap;
	return clamp_int((int64_t)n * p->increment_ms, cap);
}

static int64_t exponential(const pt_backoff_params *p, unsigned n, int64_t cap)
{
	if (p->base_ms <= 0)
		return 0;
	return clamp_ms((double)p->base_ms *
			pt_pow(p->multiplier, (double)n - 1), cap);
}

/* F(n) grows past any cap within ~60 steps, so the loop stops early even
 * for n = UINT_MAX. */
static int64_t fibonacci(const pt_backoff_params *p, unsigned n, int64_t cap)
{
	int64_t a = 1, b = 1, t;

	if (p->base_ms <= 0)
		return 0;
	for (unsigned i = 2; i < n; i++) {
		if (b > cap / p->base_ms)
			return cap;
		t = a + b;
		a = b;
		b = t;
	}
	if (b > cap / p->base_ms)
		return cap;
	return clamp_int(b * p->base_ms, cap);
}

static int64_t polynomial(const pt_backoff_params *p, unsigned n, int64_t cap)
{
	if (p->base_ms <= 0)
		return 0;
	return clamp_ms((double)p->base_ms * pt_pow((double)n, p->exponent),
			cap);
}

/* Full: U[0, v). Equal: v/2 + U[0, v/2). Flooring keeps the interval
 * half-open; the guard catches a product rounded up to v itself. */
static int64_t jitter(pt_backoff *b, unsigned n, int64_t cap)
{
	int64_t v = exponential(&b->params, n, cap), r;
	double u = pt_rng_uniform(&b->rng), half = (double)v / 2;

	if (v == 0)
		return 0;
	if (b->params.jitter == PT_JITTER_EQUAL)
		r = (int64_t)(half + u * half);
	else
		r = (int64_t)(u * (double)v);
	return r >= v ? v - 1 : r;
}

/* min(cap, U[base, previous*x)), and base itself once previous*x <= base.
 * An infinite or NaN upper end saturates at the cap. */
static int64_t decorrelated(pt_backoff *b, int64_t cap)
{
	double base = (double)clamp_int(b->params.base_ms, cap);
	double hi = (double)b->previous_ms * b->params.multiplier;
	double u = pt_rng_uniform(&b->rng), d;

	if (isnan(hi) || isinf(hi))
		d = cap;
	else if (hi <= base)
		d = base;
	else if ((d = pt_floor(base + u * (hi - base))) >= hi)
		d = pt_ceil(hi) - 1 > base ? pt_ceil(hi) - 1 : base;
	b->previous_ms = d >= (double)cap ? cap : (int64_t)d;
	return b->previous_ms;
}

int64_t pt_backoff_next(pt_backoff *b, unsigned n)
{
	const pt_backoff_params *p = &b->params;
	int64_t cap = cap_of(p);

	if (n == 0)
		n = 1;
	switch (p->strategy) {
	case PT_STRATEGY_FIXED:
		return clamp_int(p->delay_ms, PT_DURATION_MAX_MS);
	case PT_STRATEGY_LINEAR: return linear(p, n, cap);
	case PT_STRATEGY_EXPONENTIAL: return exponential(p, n, cap);
	case PT_STRATEGY_JITTER: return jitter(b, n, cap);
	case PT_STRATEGY_DECORRELATED_JITTER: return decorrelated(b, cap);
	case PT_STRATEGY_FIBONACCI: return fibonacci(p, n, cap);
	case PT_STRATEGY_POLYNOMIAL: return polynomial(p, n, cap);
	case PT_STRATEGY_DIOPHANTINE:
	case PT_STRATEGY_HTTP_AWARE:
	case PT_STRATEGY_ADAPTIVE: return 0;
	}
	return 0;
}

int pt_strategy_lookup(const char *name, pt_strategy *out)
{
	if (!name || !out)
		return PT_EINVAL;
	for (size_t i = 0; i < STRATEGY_COUNT; i++) {
		if (!strcmp(name, strategy_names[i].name) ||
		    !strcmp(name, strategy_names[i].alias)) {
			*out = (pt_strategy)i;
			return PT_OK;
		}
	}
	return PT_ENOENT;
}

const char *pt_strategy_name(pt_strategy s)
{
	if ((unsigned)s >= STRATEGY_COUNT)
		return "unknown";
	return strategy_names[s].name;
}
