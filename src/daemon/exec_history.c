/* Each execution, kept PT_EXEC_RETENTION_MS so that the metrics op can
 * answer time ranges: in the store's executions table, written in the
 * same batch (and so the same commit) as everything else, with the
 * counters of its (uid, resource, tool) beside it, so that they survive a
 * restart. A daemon without a store keeps each uid's last
 * PT_EXEC_RING_PER_UID executions in a ring instead. Both are bounded per
 * uid (PT_EXEC_STORED_PER_UID_MAX in the store), so that one user's
 * reports never push out another's. */
#include "daemon/daemon.h"

#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

/* One execution in a ring: its entry (kept while it has counts, so for
 * the ring's life) and the index of its tool there. */
typedef struct ring_record {
	const pt_exec_entry *e;
	int64_t started_ms, duration_ms;
	int exit_code;
	unsigned char tool;
	bool succeeded;
} ring_record;

struct pt_exec_ring {
	size_t next, n; /* where the next goes; how many it holds */
	ring_record rec[PT_EXEC_RING_PER_UID];
};

void pt_exec_ring_free(pt_exec_ring *ring)
{
	free(ring);
}

static int ring_add(pt_exec_table *t, const pt_exec_entry *e, size_t tool,
		    const pt_store_execution *x)
{
	pt_exec_user *u = pt_exec_user_get(t, x->uid);
	if (!u || (!u->ring && !(u->ring = calloc(1, sizeof *u->ring))))
		return PT_ENOMEM;
	pt_exec_ring *ring = u->ring;
	ring->rec[ring->next] = (ring_record){.e = e, .started_ms = x->started_ms,
					      .duration_ms = x->duration_ms,
					      .exit_code = x->exit_code,
					      .tool = (unsigned char)tool, .succeeded = x->succeeded};
	ring->next = (ring->next + 1) % PT_EXEC_RING_PER_UID;
	if (ring->n < PT_EXEC_RING_PER_UID)
		ring->n++;
	return PT_OK;
}

/* x as stored, with e's counters of its tool beside it. */
static int store_add(pt_exec_table *t, pt_store *s, const pt_exec_entry *e, size_t tool,
		     const pt_store_execution *x)
{
	const pt_exec_tool *k = &e->tools[tool];
	pt_store_exec_counts c = {.uid = e->uid, .resource = e->resource, .tool = k->name,
				  .total = k->counts.total, .succeeded = k->counts.succeeded,
				  .duration_sum_ms = k->counts.duration_sum_ms,
				  .last_ms = k->counts.last_ms,
				  .last_succeeded = k->counts.last_succeeded};
	pt_exec_user *u = pt_exec_user_get(t, e->uid);
	if (!u)
		return PT_ENOMEM;
	if (pt_store_put_execution(s, x) != PT_OK || pt_store_put_exec_counts(s, &c) != PT_OK)
		return PT_EIO;
	u->stored++;
	return PT_OK;
}

int pt_exec_history_add(pt_exec_table *t, pt_registry *r, const pt_exec_entry *e, size_t tool,
			const pt_store_execution *x)
{
	pt_store *s;
	pt_store_execution row = *x;
	row.tool = e->tools[tool].name; /* as counted: "other" beyond the bound */
	if (pt_registry_batch(r, &s) != PT_OK)
		return PT_EIO;
	return s ? store_add(t, s, e, tool, &row) : ring_add(t, e, tool, &row);
}

/* ---- reading a range ---- */

static bool ring_matches(const ring_record *k, uint32_t uid, const char *resource,
			 int64_t from_ms, int64_t to_ms)
{
	return k->e->uid == uid && k->started_ms >= from_ms && k->started_ms <= to_ms &&
	       (!resource || strcmp(k->e->resource, resource) == 0);
}

static int ring_scan(const pt_exec_ring *ring, uint32_t uid, const char *resource,
		     int64_t from_ms, int64_t to_ms, pt_store_execution_fn fn, void *ctx)
{
	size_t oldest = (ring->next + PT_EXEC_RING_PER_UID - ring->n) % PT_EXEC_RING_PER_UID;
	for (size_t i = 0; i < ring->n; i++) {
		const ring_record *k = &ring->rec[(oldest + i) % PT_EXEC_RING_PER_UID];
		if (!ring_matches(k, uid, resource, from_ms, to_ms))
			continue;
		pt_store_execution x = {.uid = uid, .resource = k->e->resource,
					.tool = k->e->tools[k->tool].name,
					.started_ms = k->started_ms, .duration_ms = k->duration_ms,
					.exit_code = k->exit_code, .succeeded = k->succeeded};
		int rc = fn(ctx, &x);
		if (rc)
			return rc;
	}
	return PT_OK;
}

int pt_exec_history_scan(const pt_exec_table *t, pt_store *s, uint32_t uid, const char *resource,
			 int64_t from_ms, int64_t to_ms, pt_store_execution_fn fn, void *ctx)
{
	if (s)
		return pt_store_scan_executions(s, uid, resource, from_ms, to_ms, fn, ctx);
	const pt_exec_user *u = pt_exec_user_of(t, uid);
	return u && u->ring ? ring_scan(u->ring, uid, resource, from_ms, to_ms, fn, ctx) : PT_OK;
}

/* ---- pruning ---- */

/* A ring's oldest arrivals that started before before_ms (arrivals are
 * nearly in order of start; the scan filters the rest by range). */
static void ring_prune(pt_exec_ring *ring, int64_t before_ms)
{
	size_t oldest = (ring->next + PT_EXEC_RING_PER_UID - ring->n) % PT_EXEC_RING_PER_UID;
	while (ring->n && ring->rec[oldest].started_ms < before_ms) {
		oldest = (oldest + 1) % PT_EXEC_RING_PER_UID;
		ring->n--;
	}
}

/* Past the retention, then each uid's oldest beyond its bound, down to
 * nine tenths of it, so that a busy uid costs one sort now and then rather
 * than one each minute. */
static void store_prune(pt_exec_table *t, pt_store *s, int64_t before_ms)
{
	int64_t deleted;
	for (const pt_exec_entry *e = t->first; e; e = e->next) {
		pt_exec_user *u = pt_exec_user_of(t, e->uid);
		if (e->all.total && u && u->stored &&
		    pt_store_prune_executions(s, e->uid, e->resource, before_ms, &deleted) == PT_OK)
			u->stored -= deleted;
	}
	for (pt_exec_user *u = t->users; u; u = u->next) {
		if (u->stored <= PT_EXEC_STORED_PER_UID_MAX)
			continue;
		int64_t excess = u->stored - PT_EXEC_STORED_PER_UID_MAX / 10 * 9;
		if (pt_store_drop_oldest_executions(s, u->uid, excess, &deleted) == PT_OK)
			u->stored -= deleted;
	}
}

void pt_exec_history_prune(pt_exec_table *t, pt_registry *r, int64_t now_ms)
{
	pt_store *s;
	if (now_ms - t->pruned_ms < PT_EXEC_PRUNE_EVERY_MS)
		return;
	t->pruned_ms = now_ms;
	if (pt_registry_batch(r, &s) != PT_OK)
		return;
	if (s) {
		store_prune(t, s, now_ms - PT_EXEC_RETENTION_MS);
		return;
	}
	for (pt_exec_user *u = t->users; u; u = u->next)
		if (u->ring)
			ring_prune(u->ring, now_ms - PT_EXEC_RETENTION_MS);
}

static int restore_rows(void *ctx, uint32_t uid, int64_t rows)
{
	pt_exec_user *u = pt_exec_user_get(ctx, uid);
	if (!u)
		return PT_ENOMEM;
	u->stored = rows;
	return 0;
}

int pt_exec_history_restore(pt_exec_table *t, pt_store *s)
{
	return pt_store_count_executions(s, restore_rows, t);
}
