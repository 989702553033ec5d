/* The Diophantine scheduler (DESIGN.md, "The Diophantine scheduler").
 *
 * The rule, with S = W + g: no window [x, x+S) holds more than N starts.
 * A base t is tested by looking, for each new start s = t+o_i, at the runs of
 * N+1 consecutive starts (reserved and new, merged in time order) that hold
 * s; a run spanning less than S breaks the rule. Only runs holding a new
 * start count, so reservations that break a rule lowered by
 * pt_dio_set_limit never block a task that keeps clear of them.
 *
 * A broken run also says how far t must move before it can spread out: its
 * new starts move right together, so it spans S again only once its last new
 * start (offset o) is S past its first reserved start r, at t = r + S - o.
 * Every base below that fails, and it is one of the design's candidates, so
 * the search jumps there instead of visiting each candidate in between. */
#include "patience/diophantine.h"
#include "patience/error.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* 100 years in ms: the largest offset, window or guard accepted, so that a
 * time plus a few of these is checked once and never overflows. */
#define DIO_MAX_MS INT64_C(3153600000000)

/* The merged order of reserved starts and new starts t+off[i]; on equal
 * times reserved starts come first. */
typedef struct dio_view {
	const pt_dio_start *res;
	size_t nres;
	const int64_t *off;
	size_t k;
	int64_t t;
	int64_t span;  /* S */
	size_t limit;  /* N, known to be below nres + k */
} dio_view;

/* A place between two merged starts: ri reserved and ni new ones precede it. */
typedef struct dio_cur {
	size_t ri;
	size_t ni;
} dio_cur;

int64_t pt_dio_default_guard(int64_t window_ms)
{
	return 10 + window_ms / 100;
}

/* hi - lo for hi >= lo, exact even where the int64_t difference overflows. */
static uint64_t gap(int64_t lo, int64_t hi)
{
	return (uint64_t)hi - (uint64_t)lo;
}

static int check_params(int64_t limit, int64_t window_ms, int64_t guard_ms)
{
	if (limit < 1 || window_ms < 1 || guard_ms < 0)
		return PT_EINVAL;
	if (window_ms > DIO_MAX_MS || guard_ms > DIO_MAX_MS)
		return PT_ERANGE;
	return PT_OK;
}

/* First index whose start is at or after t, or after t when past_equal. */
static size_t dio_search(const pt_dio_start *s, size_t n, int64_t t, bool past_equal)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].at_ms < t || (past_equal && s[mid].at_ms == t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pt_dio_init(pt_dio *d, int64_t limit, int64_t window_ms, int64_t guard_ms)
{
	if (!d)
		return PT_EINVAL;
	*d = (pt_dio){0};
	return pt_dio_set_limit(d, limit, window_ms, guard_ms);
}

void pt_dio_release(pt_dio *d)
{
	if (!d)
		return;
	free(d->starts);
	d->starts = NULL;
	d->count = 0;
	d->capacity = 0;
}

int pt_dio_set_limit(pt_dio *d, int64_t limit, int64_t window_ms, int64_t guard_ms)
{
	int rc;

	if (!d)
		return PT_EINVAL;
	rc = check_params(limit, window_ms, guard_ms);
	if (rc)
		return rc;
	d->limit = limit;
	d->window_ms = window_ms;
	d->guard_ms = guard_ms;
	return PT_OK;
}

static int check_offsets_form(const int64_t *offsets, size_t k)
{
	if (!offsets || k == 0 || k > PT_DIO_MAX_OFFSETS)
		return PT_EINVAL;
	for (size_t i = 0; i < k; i++) {
		if (offsets[i] < 0 || (i > 0 && offsets[i] <= offsets[i - 1]))
			return PT_EINVAL;
	}
	if (offsets[k - 1] > DIO_MAX_MS)
		return PT_ERANGE;
	return PT_OK;
}

int pt_dio_check_offsets(int64_t limit, int64_t span_ms, const int64_t *offsets,
			 size_t k, size_t *first_out)
{
	int rc = check_offsets_form(offsets, k);

	if (rc)
		return rc;
	if (limit < 1 || span_ms < 1)
		return PT_EINVAL;
	if ((uint64_t)limit >= k)
		return PT_OK;
	for (size_t i = 0; i + (size_t)limit < k; i++) {
		if (offsets[i + (size_t)limit] - offsets[i] < span_ms) {
			if (first_out)
				*first_out = i;
			return PT_EINFEASIBLE;
		}
	}
	return PT_OK;
}

/* Steps over the start after c; false at the end. */
static bool cur_next(const dio_view *v, dio_cur *c, int64_t *at)
{
	bool has_res = c->ri < v->nres, has_new = c->ni < v->k;

	if (!has_res && !has_new)
		return false;
	if (has_res && (!has_new || v->res[c->ri].at_ms <= v->t + v->off[c->ni]))
		*at = v->res[c->ri++].at_ms;
	else
		*at = v->t + v->off[c->ni++];
	return true;
}

/* Steps back over the start before c; false at the beginning. */
static bool cur_prev(const dio_view *v, dio_cur *c, int64_t *at)
{
	bool has_res = c->ri > 0, has_new = c->ni > 0;

	if (!has_res && !has_new)
		return false;
	if (has_new && (!has_res || v->t + v->off[c->ni - 1] >= v->res[c->ri - 1].at_ms))
		*at = v->t + v->off[--c->ni];
	else
		*at = v->res[--c->ri].at_ms;
	return true;
}

/* The least base at which the run from p (before its first start) to f
 * (after its last) can span S. pt_dio_check_offsets has ruled out runs of
 * new starts alone, so the run holds a reserved start, res[p.ri]. */
static int64_t run_jump(const dio_view *v, dio_cur p, dio_cur f)
{
	return v->res[p.ri].at_ms + v->span - v->off[f.ni - 1];
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* Checks every run of limit+1 merged starts holding new start i. Returns
 * v->t when none spans less than S, else the largest jump they call for.
 * Only starts closer than S to s can share a short run with it, and at most
 * limit on each side, so this costs O(limit + log r). */
static int64_t check_start(const dio_view *v, size_t i)
{
	int64_t s = v->t + v->off[i], jump = v->t, at, pa = s, fa = s;
	size_t ri = dio_search(v->res, v->nres, s, true), np = 0, nf = 0;
	dio_cur p = { ri, i }, f = { ri, i + 1 }, c = f;

	/* f: as far right as a short run can reach, fa its last start */
	while (nf < v->limit && cur_next(v, &c, &at) && gap(s, at) < (uint64_t)v->span) {
		f = c;
		fa = at;
		nf++;
	}
	/* p: the rest of the run on the left, pa its first start */
	for (; np + nf < v->limit; np++) {
		if (!cur_prev(v, &p, &pa) || gap(pa, s) >= (uint64_t)v->span)
			return v->t;
	}
	for (;;) {
		if (gap(pa, fa) < (uint64_t)v->span)
			jump = max64(jump, run_jump(v, p, f));
		if (nf == 0 || !cur_prev(v, &p, &pa) || gap(pa, s) >= (uint64_t)v->span)
			return jump;
		/* slide the run one start to the left */
		cur_prev(v, &f, &at);
		c = f;
		cur_prev(v, &c, &fa);
		nf--;
	}
}

/* v->t when base v->t keeps the rule, else a larger base to try next. */
static int64_t check_base(const dio_view *v)
{
	int64_t next = v->t;

	for (size_t i = 0; i < v->k && next == v->t; i++)
		next = check_start(v, i);
	return next;
}

/* Every base tried lies in [now, max(now, last + S - off[0])], so these
 * bounds keep every base + offset and reserved + S representable. */
static int check_find_range(const pt_dio *d, int64_t now_ms, int64_t max_off)
{
	int64_t room = INT64_MAX - max_off;

	if (now_ms > room)
		return PT_ERANGE;
	if (d->count > 0 && d->starts[d->count - 1].at_ms > room - (d->window_ms + d->guard_ms))
		return PT_ERANGE;
	return PT_OK;
}

int pt_dio_find(const pt_dio *d, int64_t now_ms, const int64_t *offsets, size_t k,
		int64_t *base_out)
{
	dio_view v;
	int64_t next;
	int rc;

	if (!d || !base_out || check_params(d->limit, d->window_ms, d->guard_ms))
		return PT_EINVAL;
	rc = pt_dio_check_offsets(d->limit, d->window_ms + d->guard_ms, offsets, k, NULL);
	if (!rc)
		rc = check_find_range(d, now_ms, offsets[k - 1]);
	if (rc)
		return rc;
	*base_out = now_ms;
	if ((uint64_t)d->limit >= d->count + k)
		return PT_OK;
	v = (dio_view){ .res = d->starts, .nres = d->count, .off = offsets, .k = k,
			.t = now_ms, .span = d->window_ms + d->guard_ms,
			.limit = (size_t)d->limit };
	/* t grows strictly and stops at the last candidate at the latest */
	while ((next = check_base(&v)) != v.t)
		v.t = next;
	*base_out = v.t;
	return PT_OK;
}

/* Makes room for extra more starts without touching the reserved ones. */
static int dio_grow(pt_dio *d, size_t extra)
{
	size_t max = SIZE_MAX / sizeof(pt_dio_start), need, cap;
	pt_dio_start *p;

	if (extra <= d->capacity - d->count)
		return PT_OK;
	if (extra > max - d->count)
		return PT_ENOMEM;
	need = d->count + extra;
	/* From what is needed, doubling: a daemon holds one pt_dio per resource,
	 * most of them with a few starts. */
	cap = d->capacity <= max / 2 ? d->capacity * 2 : max;
	if (cap < need)
		cap = need;
	p = realloc(d->starts, cap * sizeof(*p));
	if (!p)
		return PT_ENOMEM;
	d->starts = p;
	d->capacity = cap;
	return PT_OK;
}

static bool start_after(const pt_dio_start *a, int64_t at_ms, uint64_t id)
{
	return a->at_ms > at_ms || (a->at_ms == at_ms && a->reservation > id);
}

/* Merges base+offsets[i] in from the back, so each reserved start moves at
 * most once and those before the first new one not at all. */
static void dio_merge(pt_dio *d, uint64_t id, int64_t base, const int64_t *offsets,
		      size_t k)
{
	size_t i = d->count, j = k, w = d->count + k;

	while (j > 0) {
		int64_t at = base + offsets[j - 1];

		if (i > 0 && start_after(&d->starts[i - 1], at, id)) {
			d->starts[--w] = d->starts[--i];
		} else {
			d->starts[--w] = (pt_dio_start){ .at_ms = at, .reservation = id };
			j--;
		}
	}
	d->count += k;
}

int pt_dio_reserve(pt_dio *d, uint64_t id, int64_t base_ms, const int64_t *offsets,
		   size_t k)
{
	int rc;

	if (!d)
		return PT_EINVAL;
	rc = check_offsets_form(offsets, k);
	if (rc)
		return rc;
	if (base_ms > INT64_MAX - offsets[k - 1])
		return PT_ERANGE;
	rc = dio_grow(d, k);
	if (rc)
		return rc;
	dio_merge(d, id, base_ms, offsets, k);
	return PT_OK;
}

int pt_dio_acquire(pt_dio *d, uint64_t id, int64_t now_ms, const int64_t *offsets,
		   size_t k, int64_t *base_out)
{
	int64_t base;
	int rc = pt_dio_find(d, now_ms, offsets, k, &base);

	if (!rc)
		rc = pt_dio_reserve(d, id, base, offsets, k);
	if (!rc && base_out)
		*base_out = base;
	return rc;
}

size_t pt_dio_cancel(pt_dio *d, uint64_t id, int64_t from_ms)
{
	size_t w, r, dropped;

	if (!d)
		return 0;
	w = dio_search(d->starts, d->count, from_ms, false);
	for (r = w; r < d->count; r++) {
		if (d->starts[r].reservation != id)
			d->starts[w++] = d->starts[r];
	}
	dropped = d->count - w;
	d->count = w;
	return dropped;
}

int pt_dio_move(pt_dio *d, uint64_t id, int64_t from_ms, int64_t to_ms)
{
	size_t i, j;
	pt_dio_start moved;

	if (!d)
		return PT_EINVAL;
	i = dio_search(d->starts, d->count, from_ms, false);
	while (i < d->count && d->starts[i].at_ms == from_ms && d->starts[i].reservation != id)
		i++;
	if (i == d->count || d->starts[i].at_ms != from_ms)
		return PT_ENOENT;
	if (to_ms <= from_ms)
		return PT_OK;
	moved = (pt_dio_start){ .at_ms = to_ms, .reservation = id };
	/* slide the starts between the two places one to the left */
	for (j = i; j + 1 < d->count && !start_after(&d->starts[j + 1], to_ms, id); j++)
		d->starts[j] = d->starts[j + 1];
	d->starts[j] = moved;
	return PT_OK;
}

size_t pt_dio_expire(pt_dio *d, int64_t now_ms)
{
	int64_t span;
	size_t n;

	if (!d || d->count == 0)
		return 0;
	span = d->window_ms + d->guard_ms;
	if (now_ms < INT64_MIN + span)
		return 0; /* nothing can be older than now - S */
	n = dio_search(d->starts, d->count, now_ms - span, false);
	memmove(d->starts, d->starts + n, (d->count - n) * sizeof(*d->starts));
	d->count -= n;
	return n;
}

size_t pt_dio_count_between(const pt_dio *d, int64_t from_ms, int64_t to_ms)
{
	if (!d || to_ms <= from_ms)
		return 0;
	return dio_search(d->starts, d->count, to_ms, false) -
	       dio_search(d->starts, d->count, from_ms, false);
}
