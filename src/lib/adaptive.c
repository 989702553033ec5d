/* The adaptive strategy's model (see patience/adaptive.h for the rules). */
#include "patience/adaptive.h"

#include <stdio.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"

#define PRIOR 0.5
#define EXPLORE_MIN_GAP 5
#define VERSION_TAG "a1:"
#define DIGITS_MAX 13 /* PT_DURATION_MAX_MS has 13 */

void pt_adaptive_params_default(pt_adaptive_params *p)
{
	*p = (pt_adaptive_params){.min_ms = 1000, .max_ms = 60000, .learning_rate = 0.1,
				  .window = 50};
}

int pt_adaptive_init(pt_adaptive *a, const pt_adaptive_params *p)
{
	if (p->min_ms < 1 || p->min_ms > PT_DURATION_MAX_MS || p->max_ms > PT_DURATION_MAX_MS ||
	    !(p->learning_rate > 0 && p->learning_rate <= 1) || p->window < 1 ||
	    p->window > PT_ADAPTIVE_WINDOW_MAX)
		return PT_EINVAL;
	memset(a, 0, sizeof *a);
	a->params = *p;
	int64_t d = p->min_ms;
	while (a->n_buckets < PT_ADAPTIVE_BUCKETS_MAX - 1 && d < p->max_ms) {
		a->bucket_ms[a->n_buckets++] = d;
		d = d > p->max_ms / 2 ? p->max_ms : d * 2;
	}
	a->bucket_ms[a->n_buckets++] = d; /* max, or min when max <= min */
	return PT_OK;
}

static const pt_adaptive_outcome *nth(const pt_adaptive *a, size_t i)
{
	return &a->history[(a->first + i) % PT_ADAPTIVE_WINDOW_MAX];
}

void pt_adaptive_record(pt_adaptive *a, int64_t waited_ms, bool success)
{
	if (a->count == a->params.window) {
		a->first = (a->first + 1) % PT_ADAPTIVE_WINDOW_MAX;
		a->count--;
	}
	a->history[(a->first + a->count++) % PT_ADAPTIVE_WINDOW_MAX] =
		(pt_adaptive_outcome){.waited_ms = waited_ms < 0 ? 0 : waited_ms,
				      .success = success};
}

/* Nearest on a log scale: d is past the boundary between buckets b and c
 * when d^2 > b*c (in double: the products may exceed int64). */
size_t pt_adaptive_bucket_of(const pt_adaptive *a, int64_t waited_ms)
{
	double d = (double)waited_ms;
	size_t i = 0;
	while (i + 1 < a->n_buckets &&
	       d * d > (double)a->bucket_ms[i] * (double)a->bucket_ms[i + 1])
		i++;
	return i;
}

double pt_adaptive_estimate(const pt_adaptive *a, size_t bucket, size_t *outcomes)
{
	double p = PRIOR;
	size_t n = 0;
	for (size_t i = 0; i < a->count; i++) {
		const pt_adaptive_outcome *o = nth(a, i);
		if (pt_adaptive_bucket_of(a, o->waited_ms) != bucket)
			continue;
		p += a->params.learning_rate * ((o->success ? 1.0 : 0.0) - p);
		n++;
	}
	if (outcomes)
		*outcomes = n;
	return p;
}

static bool good(const pt_adaptive *a, size_t bucket)
{
	size_t n;
	double p = pt_adaptive_estimate(a, bucket, &n);
	return n > 0 && p >= PT_ADAPTIVE_GOOD;
}

/* How many outcomes came after bucket's last one; SIZE_MAX: none in the window. */
static size_t age_of_last(const pt_adaptive *a, size_t bucket)
{
	for (size_t i = a->count; i-- > 0;)
		if (pt_adaptive_bucket_of(a, nth(a, i)->waited_ms) == bucket)
			return a->count - 1 - i;
	return SIZE_MAX;
}

int64_t pt_adaptive_next(const pt_adaptive *a, int64_t failed_after_ms)
{
	size_t from = failed_after_ms < 0 ? 0 : pt_adaptive_bucket_of(a, failed_after_ms) + 1;
	size_t gap = a->params.window / 5 > EXPLORE_MIN_GAP ? a->params.window / 5
							      : EXPLORE_MIN_GAP;
	for (size_t i = from; i < a->n_buckets; i++) {
		if (!good(a, i))
			continue;
		if (i > from && age_of_last(a, i - 1) >= gap)
			return a->bucket_ms[i - 1];
		return a->bucket_ms[i];
	}
	return -1;
}

int64_t pt_adaptive_above(const pt_adaptive *a, int64_t waited_ms)
{
	size_t i = pt_adaptive_bucket_of(a, waited_ms);
	return a->bucket_ms[i + 1 < a->n_buckets ? i + 1 : i];
}

int pt_adaptive_format(const pt_adaptive *a, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "%s", VERSION_TAG);
	for (size_t i = 0; i < a->count && at < len; i++) {
		const pt_adaptive_outcome *o = nth(a, i);
		at += (size_t)snprintf(buf + at, len - at, "%s%lld%c", i ? "," : "",
				       (long long)o->waited_ms, o->success ? 's' : 'f');
	}
	return at < len ? PT_OK : PT_ERANGE;
}

/* One "<ms><s|f>" at text[*at]; advances *at. */
static int parse_item(const char *text, size_t len, size_t *at, pt_adaptive_outcome *o)
{
	size_t start = *at;
	int64_t v = 0;
	while (*at < len && text[*at] >= '0' && text[*at] <= '9') {
		if (*at - start == DIGITS_MAX)
			return PT_EINVAL;
		v = v * 10 + (text[(*at)++] - '0');
	}
	size_t digits = *at - start;
	if (digits == 0 || (digits > 1 && text[start] == '0') || v > PT_DURATION_MAX_MS ||
	    *at == len || (text[*at] != 's' && text[*at] != 'f'))
		return PT_EINVAL;
	*o = (pt_adaptive_outcome){.waited_ms = v, .success = text[(*at)++] == 's'};
	return PT_OK;
}

int pt_adaptive_parse(pt_adaptive *a, const char *text, size_t len)
{
	static const size_t tag = sizeof VERSION_TAG - 1;
	pt_adaptive_outcome items[PT_ADAPTIVE_WINDOW_MAX];
	size_t n = 0, seen = 0, at = tag;
	if (!text || len > PT_ADAPTIVE_TEXT_MAX || len < tag || memcmp(text, VERSION_TAG, tag))
		return PT_EINVAL;
	while (at < len) {
		if (seen && text[at++] != ',')
			return PT_EINVAL;
		/* Keep the newest window's worth: a ring over the items. */
		if (parse_item(text, len, &at, &items[seen % PT_ADAPTIVE_WINDOW_MAX]) != PT_OK)
			return PT_EINVAL;
		seen++;
	}
	n = seen < a->params.window ? seen : a->params.window;
	a->first = a->count = 0;
	for (size_t i = seen - n; i < seen; i++)
		pt_adaptive_record(a, items[i % PT_ADAPTIVE_WINDOW_MAX].waited_ms,
				   items[i % PT_ADAPTIVE_WINDOW_MAX].success);
	return PT_OK;
}
