/* Executions over a time range, as the metrics op answers them: per
 * resource the counts, the same per tool, and every start, so that the
 * fullest window of the resource's limit can be found. Rows come from the
 * store (by resource, then start) or from a ring (by arrival), so nothing
 * here depends on their order. */
#include "daemon/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

/* items (n of them in *cap allotted) with room for one more of size
 * bytes, doubling from first; NULL when out of memory (items is kept). */
static void *room_for_one(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return items;
	size_t more = *cap ? *cap * 2 : first;
	void *p = realloc(items, more * size);
	if (p)
		*cap = more;
	return p;
}

/* The span of resource, made if new; NULL when out of memory. The newest
 * is tried first: the store gives a resource's rows together. */
static pt_exec_span *span_of(pt_exec_range *r, const char *resource)
{
	for (size_t i = r->n; i-- > 0;)
		if (strcmp(r->spans[i].resource, resource) == 0)
			return &r->spans[i];
	pt_exec_span *spans = room_for_one(r->spans, r->n, &r->cap, sizeof *spans, 8);
	if (!spans)
		return NULL;
	r->spans = spans;
	pt_exec_span *s = &r->spans[r->n];
	memset(s, 0, sizeof *s);
	if (!(s->resource = strdup(resource)))
		return NULL;
	r->n++;
	return s;
}

/* The counts of tool in s; past the bound (every resource's together, or a
 * store edited by hand), "other"'s. */
static pt_exec_counts *tool_counts(pt_exec_span *s, const char *tool)
{
	for (size_t i = 0; i < s->n_tools; i++)
		if (strcmp(s->tools[i].name, tool) == 0)
			return &s->tools[i].counts;
	if (s->n_tools >= PT_EXEC_TOOLS_NAMED && strcmp(tool, PT_EXEC_OTHER) != 0)
		return tool_counts(s, PT_EXEC_OTHER); /* there, or the last slot */
	pt_exec_tool *k = &s->tools[s->n_tools++];
	snprintf(k->name, sizeof k->name, "%s", pt_exec_tool_valid(tool) ? tool : PT_EXEC_OTHER);
	return &k->counts;
}

static bool push_start(pt_exec_span *s, int64_t started_ms)
{
	int64_t *starts = room_for_one(s->starts, s->n_starts, &s->cap_starts, sizeof *starts, 64);
	if (!starts)
		return false;
	s->starts = starts;
	s->starts[s->n_starts++] = started_ms;
	return true;
}

int pt_exec_range_add(void *range, const pt_store_execution *x)
{
	pt_exec_range *r = range;
	pt_exec_span *s = span_of(r, x->resource);
	if (!s || !push_start(s, x->started_ms))
		return PT_ENOMEM;
	if (r->sum.all.total == 0 || x->started_ms < r->first_ms)
		r->first_ms = x->started_ms;
	pt_exec_counts_add(tool_counts(s, x->tool), x);
	pt_exec_counts_add(&s->all, x);
	pt_exec_counts_add(tool_counts(&r->sum, x->tool), x);
	pt_exec_counts_add(&r->sum.all, x);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void pt_exec_range_finish(pt_exec_range *r)
{
	for (size_t i = 0; i < r->n; i++)
		qsort(r->spans[i].starts, r->spans[i].n_starts, sizeof r->spans[i].starts[0],
		      by_time);
}

/* Two fingers over the sorted starts: the window [starts[lo], +window_ms)
 * holds starts[lo .. hi). */
pt_exec_window pt_exec_fullest_window(const int64_t *starts, size_t n, int64_t window_ms)
{
	pt_exec_window w = {0};
	size_t hi = 0;
	for (size_t lo = 0; lo < n; lo++) {
		while (hi < n && starts[hi] - starts[lo] < window_ms)
			hi++;
		if (hi - lo > w.fullest) {
			w.fullest = hi - lo;
			w.from_ms = starts[lo];
		}
	}
	return w;
}

void pt_exec_range_release(pt_exec_range *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->spans[i].resource);
		free(r->spans[i].starts);
	}
	free(r->spans);
	memset(r, 0, sizeof *r);
}
