#include "patience/limit_set.h"

#include <stdbool.h>
#include <string.h>

#include "patience/calendar.h"
#include "patience/error.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define ROUNDS_MAX 10000 /* bases tried before a schedule is called infeasible */

/* How long a calendar limit keeps a start: its longest real window (a 25 h
 * day, a 31-day month, a week with a 25 h day) and then some. */
static int64_t calendar_keep_ms(pt_calendar_unit unit)
{
	switch (unit) {
	case PT_CALENDAR_HOUR:
		return 2 * HOUR_MS;
	case PT_CALENDAR_DAY:
		return 2 * DAY_MS;
	case PT_CALENDAR_WEEK:
		return 8 * DAY_MS;
	default:
		return 32 * DAY_MS;
	}
}

/* Limit i's scheduler: a pt_gcra with a burst, else a pt_dio. */
static int limit_init(pt_limit_set *s, size_t i, const pt_limit *l)
{
	bool calendar = l->calendar != PT_CALENDAR_NONE;
	int64_t window = calendar ? calendar_keep_ms(l->calendar) : l->window_ms;
	if (l->burst)
		return calendar ? PT_EINVAL
				: pt_gcra_init(&s->gcra[i], l->count, l->window_ms, l->burst,
					       s->guard_ms);
	if (calendar && !s->local)
		return PT_EINVAL;
	return pt_dio_init(&s->dio[i], l->count, window, s->guard_ms);
}

int pt_limit_set_init(pt_limit_set *s, const pt_limit *limits, size_t n, int64_t guard_ms,
		      pt_localtime_fn local, void *local_ctx)
{
	memset(s, 0, sizeof *s);
	if (n == 0 || n > PT_LIMITS_MAX || guard_ms < 0)
		return PT_EINVAL;
	s->guard_ms = guard_ms;
	s->local = local;
	s->local_ctx = local_ctx;
	for (size_t i = 0; i < n; i++) {
		if (limit_init(s, i, &limits[i]) != PT_OK) {
			pt_limit_set_release(s);
			return PT_EINVAL;
		}
		s->limits[i] = limits[i];
		s->count = i + 1;
	}
	return PT_OK;
}

void pt_limit_set_release(pt_limit_set *s)
{
	for (size_t i = 0; i < s->count; i++)
		pt_dio_release(&s->dio[i]);
	s->count = 0;
}

/* The calendar window holding t (caller's clock): [*start, *reset). */
static int window_of(const pt_limit_set *s, pt_calendar_unit unit, int64_t t, int64_t *start,
		     int64_t *reset)
{
	int rc = pt_calendar_window(t + s->epoch_offset_ms, unit, s->local, s->local_ctx, start,
				    reset);
	*start -= s->epoch_offset_ms;
	*reset -= s->epoch_offset_ms;
	return rc;
}

/* base when it keeps calendar limit i, else a later base to try: one that
 * moves the first start at fault into the next window. */
static int calendar_check(const pt_limit_set *s, size_t i, int64_t base, const int64_t *offsets,
			  size_t k, int64_t *next)
{
	const pt_limit *l = &s->limits[i];
	*next = base;
	for (size_t j = 0; j < k; j++) {
		int64_t at = base + offsets[j], start, reset;
		size_t mine = 0;
		if (window_of(s, l->calendar, at, &start, &reset) != PT_OK)
			return PT_EINVAL;
		for (size_t m = 0; m < k; m++)
			mine += base + offsets[m] >= start && base + offsets[m] < reset;
		if (at >= reset - s->guard_ms ||
		    pt_dio_count_between(&s->dio[i], start, reset) + mine > (size_t)l->count) {
			*next = reset - offsets[j];
			return PT_OK;
		}
	}
	return PT_OK;
}

/* The shortest real window of a calendar unit (a 23 h day, February), less
 * the guard: more than N offsets closer than that never fit in one. */
static int64_t calendar_shortest_ms(pt_calendar_unit unit)
{
	switch (unit) {
	case PT_CALENDAR_HOUR:
		return HOUR_MS;
	case PT_CALENDAR_DAY:
		return DAY_MS - HOUR_MS;
	case PT_CALENDAR_WEEK:
		return 7 * DAY_MS - HOUR_MS;
	default:
		return 28 * DAY_MS - HOUR_MS;
	}
}

/* Limit i's least base at or after *base. */
static int limit_find(const pt_limit_set *s, size_t i, const int64_t *offsets, size_t k,
		      int64_t *base)
{
	const pt_limit *l = &s->limits[i];
	if (l->burst)
		return pt_gcra_find(&s->gcra[i], *base, offsets, k, base);
	if (l->calendar == PT_CALENDAR_NONE)
		return pt_dio_find(&s->dio[i], *base, offsets, k, base);
	int rc = pt_dio_check_offsets(l->count, calendar_shortest_ms(l->calendar) - s->guard_ms,
				      offsets, k, NULL);
	if (rc != PT_OK)
		return rc;
	for (int round = 0; round < ROUNDS_MAX; round++) {
		int64_t next;
		rc = calendar_check(s, i, *base, offsets, k, &next);
		if (rc != PT_OK || next == *base)
			return rc;
		*base = next;
	}
	return PT_EINFEASIBLE;
}

int pt_limit_set_find(const pt_limit_set *s, int64_t now_ms, const int64_t *offsets, size_t k,
		      int64_t *base_out)
{
	int64_t base = now_ms;
	if (s->count == 0)
		return PT_EINVAL;
	for (int round = 0; round < ROUNDS_MAX; round++) {
		int64_t before = base;
		for (size_t i = 0; i < s->count; i++) {
			int rc = limit_find(s, i, offsets, k, &base);
			if (rc != PT_OK)
				return rc;
		}
		if (base == before) {
			*base_out = base;
			return PT_OK;
		}
	}
	return PT_EINFEASIBLE;
}

int pt_limit_set_reserve(pt_limit_set *s, uint64_t id, int64_t base_ms, const int64_t *offsets,
			 size_t k)
{
	for (size_t i = 0; i < s->count; i++) {
		int rc = s->limits[i].burst ? PT_OK
					    : pt_dio_reserve(&s->dio[i], id, base_ms, offsets, k);
		if (rc != PT_OK) {
			while (i-- > 0)
				pt_dio_cancel(&s->dio[i], id, INT64_MIN);
			return rc;
		}
	}
	/* last, once nothing can fail: a TAT cannot be taken back */
	for (size_t i = 0; i < s->count; i++)
		if (s->limits[i].burst)
			pt_gcra_commit(&s->gcra[i], base_ms, offsets, k);
	return PT_OK;
}

void pt_limit_set_cancel(pt_limit_set *s, uint64_t id, int64_t from_ms)
{
	for (size_t i = 0; i < s->count; i++)
		pt_dio_cancel(&s->dio[i], id, from_ms);
}

void pt_limit_set_move(pt_limit_set *s, uint64_t id, int64_t from_ms, int64_t to_ms)
{
	for (size_t i = 0; i < s->count; i++) {
		if (s->limits[i].burst && to_ms > from_ms)
			pt_gcra_started_at(&s->gcra[i], to_ms);
		else if (!s->limits[i].burst)
			pt_dio_move(&s->dio[i], id, from_ms, to_ms);
	}
}

void pt_limit_set_expire(pt_limit_set *s, int64_t now_ms)
{
	for (size_t i = 0; i < s->count; i++)
		pt_dio_expire(&s->dio[i], now_ms);
}
