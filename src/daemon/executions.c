/* Executions: each real run of a user's command, as its client reports it
 * (docs/PROTOCOL.md, executed), counted per (uid, resource, tool), with the
 * live connections active on each resource, and a duration histogram per
 * tool for /metrics. What a client can make the daemon keep is bounded:
 * PT_EXEC_RESOURCES_PER_UID_MAX entries per uid, PT_EXEC_TOOLS_NAMED tool
 * names per resource (the rest count as "other"), PT_EXEC_HIST_TOOLS
 * histograms in all. exec_history.c keeps each execution for time ranges. */
#include "daemon/daemon.h"

#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

/* A connection's mark on one entry (pt_exec_client). */
struct pt_exec_touch {
	pt_exec_entry *e;
	struct pt_exec_touch *next;
};

static const int64_t bucket_ms[PT_EXEC_DURATION_BUCKETS] = {
	10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000};

int64_t pt_exec_bucket_ms(size_t i)
{
	return i < PT_EXEC_DURATION_BUCKETS ? bucket_ms[i] : INT64_MAX;
}

bool pt_exec_tool_valid(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= PT_EXEC_TOOL_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

void pt_exec_tool_of_client(const char *client, char out[PT_EXEC_TOOL_MAX + 1])
{
	size_t n = client ? strcspn(client, " ") : 0;
	out[0] = '\0';
	if (n < 1 || n > PT_EXEC_TOOL_MAX)
		return;
	memcpy(out, client, n);
	out[n] = '\0';
	if (!pt_exec_tool_valid(out))
		out[0] = '\0';
}

/* ---- entries ---- */

static size_t slot_of(uint32_t uid, const char *resource)
{
	uint32_t h = 2166136261u ^ uid; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)resource; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % PT_EXEC_SLOTS;
}

pt_exec_entry *pt_exec_find(const pt_exec_table *t, uint32_t uid, const char *resource)
{
	for (pt_exec_entry *e = t->slots[slot_of(uid, resource)]; e; e = e->chain)
		if (e->uid == uid && strcmp(e->resource, resource) == 0)
			return e;
	return NULL;
}

pt_exec_user *pt_exec_user_of(const pt_exec_table *t, uint32_t uid)
{
	for (pt_exec_user *u = t->users; u; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

pt_exec_user *pt_exec_user_get(pt_exec_table *t, uint32_t uid)
{
	pt_exec_user *u = pt_exec_user_of(t, uid);
	if (u || !(u = calloc(1, sizeof *u)))
		return u;
	u->uid = uid;
	u->next = t->users;
	t->users = u;
	return u;
}

/* The entry of (uid, resource), made if new. PT_ERANGE: uid is full. */
static int entry_get(pt_exec_table *t, uint32_t uid, const char *resource, pt_exec_entry **out)
{
	pt_exec_user *u;
	if ((*out = pt_exec_find(t, uid, resource)))
		return PT_OK;
	if (!(u = pt_exec_user_get(t, uid)))
		return PT_ENOMEM;
	if (u->n_entries >= PT_EXEC_RESOURCES_PER_UID_MAX)
		return PT_ERANGE;
	pt_exec_entry *e = calloc(1, sizeof *e);
	if (!e || !(e->resource = strdup(resource))) {
		free(e);
		return PT_ENOMEM;
	}
	e->uid = uid;
	size_t s = slot_of(uid, resource);
	e->chain = t->slots[s];
	t->slots[s] = e;
	e->prev = t->last;
	*(t->last ? &t->last->next : &t->first) = e;
	t->last = e;
	u->n_entries++;
	*out = e;
	return PT_OK;
}

static void entry_free(pt_exec_table *t, pt_exec_entry *e)
{
	pt_exec_entry **p = &t->slots[slot_of(e->uid, e->resource)];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	*(e->prev ? &e->prev->next : &t->first) = e->next;
	*(e->next ? &e->next->prev : &t->last) = e->prev;
	pt_exec_user *u = pt_exec_user_of(t, e->uid);
	if (u)
		u->n_entries--;
	free(e->tools);
	free(e->resource);
	free(e);
}

/* The index of tool in e, added if new; beyond PT_EXEC_TOOLS_NAMED names,
 * that of "other". SIZE_MAX when out of memory. */
static size_t tool_index(pt_exec_entry *e, const char *tool)
{
	size_t named = 0;
	for (size_t i = 0; i < e->n_tools; i++) {
		if (strcmp(e->tools[i].name, tool) == 0)
			return i;
		named += strcmp(e->tools[i].name, PT_EXEC_OTHER) != 0;
	}
	if (named >= PT_EXEC_TOOLS_NAMED && strcmp(tool, PT_EXEC_OTHER) != 0)
		return tool_index(e, PT_EXEC_OTHER);
	pt_exec_tool *tools = realloc(e->tools, (e->n_tools + 1) * sizeof *tools);
	if (!tools)
		return SIZE_MAX;
	e->tools = tools;
	memset(&tools[e->n_tools], 0, sizeof tools[0]);
	strcpy(tools[e->n_tools].name, tool); /* valid: at most PT_EXEC_TOOL_MAX bytes */
	return e->n_tools++;
}

/* Counters stop at INT64_MAX rather than wrap: a client may report runs
 * of up to 100 years, and a restored row may hold anything. */
static int64_t sat_add(int64_t a, int64_t b)
{
	return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

void pt_exec_counts_merge(pt_exec_counts *into, const pt_exec_counts *add)
{
	if (!add->total)
		return;
	if (into->total == 0 || add->last_ms >= into->last_ms) {
		into->last_ms = add->last_ms;
		into->last_succeeded = add->last_succeeded;
	}
	into->total = sat_add(into->total, add->total);
	into->succeeded = sat_add(into->succeeded, add->succeeded);
	into->duration_sum_ms = sat_add(into->duration_sum_ms, add->duration_sum_ms);
}

void pt_exec_counts_add(pt_exec_counts *c, const pt_store_execution *x)
{
	pt_exec_counts one = {.total = 1, .succeeded = x->succeeded,
			      .duration_sum_ms = x->duration_ms, .last_ms = x->started_ms,
			      .last_succeeded = x->succeeded};
	pt_exec_counts_merge(c, &one);
}

/* ---- the duration histogram ---- */

static pt_exec_histogram *histogram_add(pt_exec_table *t, const char *tool)
{
	static const char *const first[] = {"patience", "rpr", PT_EXEC_OTHER};
	for (; t->n_hist < sizeof first / sizeof first[0]; t->n_hist++)
		strcpy(t->hist[t->n_hist].tool, first[t->n_hist]);
	for (size_t i = 0; i < t->n_hist; i++)
		if (strcmp(t->hist[i].tool, tool) == 0)
			return &t->hist[i];
	if (t->n_hist == PT_EXEC_HIST_TOOLS)
		return histogram_add(t, PT_EXEC_OTHER);
	strcpy(t->hist[t->n_hist].tool, tool);
	return &t->hist[t->n_hist++];
}

const pt_exec_histogram *pt_exec_histogram_of(const pt_exec_table *t, const char *tool)
{
	for (size_t i = 0; i < t->n_hist; i++)
		if (strcmp(t->hist[i].tool, tool) == 0)
			return &t->hist[i];
	return NULL;
}

static void histogram_count(pt_exec_table *t, const char *tool, int64_t duration_ms)
{
	pt_exec_histogram *h = histogram_add(t, tool);
	size_t b = 0;
	while (b < PT_EXEC_DURATION_BUCKETS && duration_ms > bucket_ms[b])
		b++;
	h->le[b]++;
	h->sum_ms += duration_ms;
}

/* ---- counting ---- */

int pt_exec_count(pt_exec_table *t, const pt_store_execution *x, pt_exec_entry **e,
		  size_t *tool)
{
	int rc = entry_get(t, x->uid, x->resource, e);
	if (rc != PT_OK)
		return rc;
	if ((*tool = tool_index(*e, x->tool)) == SIZE_MAX)
		return PT_ENOMEM;
	pt_exec_counts_add(&(*e)->tools[*tool].counts, x);
	pt_exec_counts_add(&(*e)->all, x);
	histogram_count(t, (*e)->tools[*tool].name, x->duration_ms);
	return PT_OK;
}

/* A counters row back into its entry (counts, not a new execution). */
static int restore_one(void *ctx, const pt_store_exec_counts *c)
{
	pt_exec_table *t = ctx;
	pt_exec_entry *e;
	if (!pt_exec_tool_valid(c->tool) || c->total < 0 || c->succeeded < 0 ||
	    c->succeeded > c->total || c->duration_sum_ms < 0)
		return 0; /* edited by hand: skipped */
	int rc = entry_get(t, c->uid, c->resource, &e);
	size_t i = rc == PT_OK ? tool_index(e, c->tool) : 0;
	if (rc == PT_ERANGE)
		return 0;
	if (rc != PT_OK || i == SIZE_MAX)
		return PT_ENOMEM;
	pt_exec_counts add = {.total = c->total, .succeeded = c->succeeded,
			      .duration_sum_ms = c->duration_sum_ms, .last_ms = c->last_ms,
			      .last_succeeded = c->last_succeeded};
	pt_exec_counts_merge(&e->tools[i].counts, &add);
	pt_exec_counts_merge(&e->all, &add);
	return 0;
}

int pt_exec_restore(pt_exec_table *t, pt_store *s)
{
	return pt_store_load_exec_counts(s, restore_one, t);
}

/* ---- active clients ---- */

void pt_exec_touch(pt_exec_table *t, pt_exec_client *o, uint32_t uid, const char *resource)
{
	pt_exec_entry *e;
	for (struct pt_exec_touch *k = o->first; k; k = k->next)
		if (k->e->uid == uid && strcmp(k->e->resource, resource) == 0)
			return;
	if (o->n >= PT_EXEC_TOUCHED_PER_CONN_MAX || entry_get(t, uid, resource, &e) != PT_OK)
		return;
	struct pt_exec_touch *k = malloc(sizeof *k);
	if (!k) {
		if (!e->all.total && !e->active_clients)
			entry_free(t, e);
		return;
	}
	k->e = e;
	k->next = o->first;
	o->first = k;
	o->n++;
	e->active_clients++;
}

void pt_exec_client_close(pt_exec_table *t, pt_exec_client *o)
{
	while (o->first) {
		struct pt_exec_touch *k = o->first;
		o->first = k->next;
		if (--k->e->active_clients == 0 && k->e->all.total == 0)
			entry_free(t, k->e); /* nothing to show any more */
		free(k);
	}
	o->n = 0;
}

const pt_exec_entry *pt_exec_reported(const pt_exec_table *t, uint32_t uid, const char *resource)
{
	const pt_exec_entry *e = pt_exec_find(t, uid, resource);
	return e && e->all.total ? e : NULL;
}

void pt_exec_attach(const pt_exec_table *t, pt_resource_usage *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u[i].executions = pt_exec_reported(t, u[i].res->uid, u[i].res->name);
}

void pt_exec_table_release(pt_exec_table *t)
{
	while (t->first)
		entry_free(t, t->first);
	while (t->users) {
		pt_exec_user *u = t->users;
		t->users = u->next;
		pt_exec_ring_free(u->ring);
		free(u);
	}
	memset(t, 0, sizeof *t);
}
