/* The daemon's scheduling state: resources keyed by (uid, name), each with
 * one pt_dio holding the starts of every client's reservations, and the
 * reservations keyed by id.
 *
 * Group commit: every write goes into the store's open batch and is also
 * recorded in an undo log (grants, limit changes, resources first written).
 * pt_registry_commit commits the batch; when that fails it rolls it back and
 * replays the undo log backwards, so memory holds no grant the store lost.
 * Releases are not undone: the store then keeps starts memory dropped,
 * which after a restart only makes the daemon more careful.
 *
 * A reservation record lives while it may still have starts ahead; its
 * past starts stay in the pt_dio (they count in their window) until they
 * age out, even after the record is gone. */
#include "daemon/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "patience/calendar.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/settings.h"
#include "patience/lateness.h"

#define RES_SLOTS_MIN 64
#define RSV_SLOTS_MIN 256
#define STORE_EXPIRE_EVERY_MS 60000

struct pt_reservation {
	uint64_t id;
	pt_resource *res;
	int64_t last_ms;    /* no start of it is held after this */
	int64_t expires_ms; /* its ttl: starts still ahead then are dropped */
	int64_t priority;
	int64_t made_ms; /* its latest start a client said it made (INT64_MIN: none) */
	bool shared;     /* placed by Redis, which holds its starts */
	char *client_id; /* owned, may be NULL */
	pt_owner *owner;
	pt_reservation *owner_prev, *owner_next;
	pt_reservation *chain;
};

typedef enum undo_kind { UNDO_GRANT, UNDO_LIMIT, UNDO_PERSISTED } undo_kind;

struct pt_undo {
	undo_kind kind;
	pt_resource *res;
	uint64_t id;                        /* UNDO_GRANT */
	int64_t limit, window_ms, guard_ms; /* UNDO_LIMIT: the old values */
	pt_limit_source source;
};

static const char *const source_names[] = {"acquire", "set_limit", "config", "learned"};

const char *pt_limit_source_name(pt_limit_source s)
{
	return source_names[s];
}

int pt_limit_source_parse(const char *text, pt_limit_source *out)
{
	for (int i = 0; i < 4; i++) {
		if (text && strcmp(text, source_names[i]) == 0) {
			*out = (pt_limit_source)i;
			return PT_OK;
		}
	}
	return PT_EINVAL;
}

/* ---- hash tables ---- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

static size_t res_hash(uint32_t uid, const char *name)
{
	uint64_t h = fnv1a(UINT64_C(14695981039346656037), &uid, sizeof uid);
	return (size_t)fnv1a(h, name, strlen(name));
}

static size_t rsv_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= UINT64_C(0xff51afd7ed558ccd);
	id ^= id >> 33;
	return (size_t)id;
}

pt_resource *pt_registry_find(const pt_registry *r, uint32_t uid, const char *name)
{
	pt_resource *res = r->res_slots[res_hash(uid, name) & (r->res_cap - 1)];
	while (res && (res->uid != uid || strcmp(res->name, name) != 0))
		res = res->chain;
	return res;
}

static pt_reservation *rsv_find(const pt_registry *r, uint64_t id)
{
	pt_reservation *v = r->rsv_slots[rsv_hash(id) & (r->rsv_cap - 1)];
	while (v && v->id != id)
		v = v->chain;
	return v;
}

/* Doubles the resource table when it is full; failure only costs speed. */
static void res_grow(pt_registry *r)
{
	size_t cap = r->res_cap * 2;
	pt_resource **slots;
	if (r->n_res < r->res_cap || !(slots = calloc(cap, sizeof *slots)))
		return;
	for (size_t i = 0; i < r->res_cap; i++) {
		for (pt_resource *res = r->res_slots[i], *next; res; res = next) {
			size_t s = res_hash(res->uid, res->name) & (cap - 1);
			next = res->chain;
			res->chain = slots[s];
			slots[s] = res;
		}
	}
	free(r->res_slots);
	r->res_slots = slots;
	r->res_cap = cap;
}

static void rsv_grow(pt_registry *r)
{
	size_t cap = r->rsv_cap * 2;
	pt_reservation **slots;
	if (r->n_rsv < r->rsv_cap || !(slots = calloc(cap, sizeof *slots)))
		return;
	for (size_t i = 0; i < r->rsv_cap; i++) {
		for (pt_reservation *v = r->rsv_slots[i], *next; v; v = next) {
			size_t s = rsv_hash(v->id) & (cap - 1);
			next = v->chain;
			v->chain = slots[s];
			slots[s] = v;
		}
	}
	free(r->rsv_slots);
	r->rsv_slots = slots;
	r->rsv_cap = cap;
}

/* res's rule becomes GCRA with bursts of burst (0: dio's sliding window),
 * at dio's limit, window and guard. The TAT stays: a new limit changes the
 * pace of the starts to come, not what the past ones used up. */
static int res_set_burst(pt_resource *res, int64_t burst)
{
	pt_gcra g;
	if (!burst) {
		free(res->gcra);
		res->gcra = NULL;
		return PT_OK;
	}
	int rc = pt_gcra_init(&g, res->dio.limit, res->dio.window_ms, burst, res->dio.guard_ms);
	if (rc != PT_OK)
		return rc;
	if (!res->gcra && !(res->gcra = calloc(1, sizeof *res->gcra)))
		return PT_ENOMEM;
	g.has_tat = res->gcra->has_tat;
	g.tat_ms = res->gcra->tat_ms;
	*res->gcra = g;
	return PT_OK;
}

static int64_t res_burst(const pt_resource *res)
{
	return res->gcra ? res->gcra->burst : 0;
}

/* A new limit, window and guard (the floor: the guard in force is wider
 * while starts are late), under the same kind of rule. */
static int res_set_limit(pt_resource *res, int64_t limit, int64_t window_ms, int64_t guard_ms)
{
	int64_t in_force = guard_ms > res->guard_wide_ms ? guard_ms : res->guard_wide_ms;
	int rc = pt_dio_set_limit(&res->dio, limit, window_ms, in_force);
	if (rc == PT_OK)
		res->guard_floor_ms = guard_ms;
	return rc == PT_OK ? res_set_burst(res, res_burst(res)) : rc;
}

/* The guard in force covers the lateness measured at now_ms (or is the
 * floor again once the host is quiet). */
static void res_guard_update(const pt_registry *r, pt_resource *res, int64_t now_ms)
{
	if (!res->lateness)
		return;
	int64_t wide = pt_lateness_guard(res->lateness, res->guard_floor_ms, res->dio.window_ms,
					 r->max_guard_ms, now_ms);
	res->guard_wide_ms = wide > res->guard_floor_ms ? wide : 0;
	if (wide != res->dio.guard_ms)
		res_set_limit(res, res->dio.limit, res->dio.window_ms, res->guard_floor_ms);
}

static pt_resource *res_create(pt_registry *r, uint32_t uid, const char *name, int64_t limit,
			       int64_t window_ms, int64_t guard_ms, int64_t burst,
			       pt_limit_source source)
{
	pt_resource *res = calloc(1, sizeof *res);
	if (!res || !(res->name = strdup(name)) ||
	    pt_dio_init(&res->dio, limit, window_ms, guard_ms) != PT_OK ||
	    res_set_burst(res, burst) != PT_OK) {
		if (res) {
			pt_dio_release(&res->dio);
			free(res->name);
		}
		free(res);
		return NULL;
	}
	res->uid = uid;
	res->source = source;
	res->guard_floor_ms = guard_ms;
	size_t s = res_hash(uid, name) & (r->res_cap - 1);
	res->chain = r->res_slots[s];
	r->res_slots[s] = res;
	r->n_res++;
	res_grow(r);
	return res;
}

static void res_free(pt_resource *res)
{
	pt_dio_release(&res->dio);
	free(res->gcra);
	free(res->learned);
	free(res->lateness);
	if (res->extra)
		pt_limit_set_release(res->extra);
	free(res->extra);
	free(res->tz);
	free(res->name);
	free(res);
}

/* Drops id's starts at or after from_ms under every limit of res. */
static size_t res_cancel(pt_resource *res, uint64_t id, int64_t from_ms)
{
	if (res->extra)
		pt_limit_set_cancel(res->extra, id, from_ms);
	return pt_dio_cancel(&res->dio, id, from_ms);
}

/* res takes a's other limits, if it has none yet (a new resource, or one
 * restored from the store, which keeps only the first limit). */
static int res_adopt_extra(pt_resource *res, const pt_acquire *a)
{
	if (res->extra || a->n_extra == 0 || res->source == PT_LIMIT_CONFIG)
		return PT_OK; /* a config limit is the whole rule */
	pt_limit_set *set = malloc(sizeof *set);
	char *tz = a->tz ? strdup(a->tz) : NULL;
	int rc = !set || (a->tz && !tz) ? PT_ENOMEM
		 : pt_limit_set_init(set, a->extra, a->n_extra, res->dio.guard_ms,
				     pt_zone_localtime, tz); /* NULL: the daemon's zone */
	if (rc != PT_OK) {
		free(set);
		free(tz);
		return rc;
	}
	res->extra = set;
	res->tz = tz;
	return PT_OK;
}

/* Unlinks and frees a resource (one an acquire created and then failed),
 * with the undo entries that name it. */
static void res_destroy(pt_registry *r, pt_resource *res)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n_undo; i++)
		if (r->undo[i].res != res)
			r->undo[kept++] = r->undo[i];
	r->n_undo = kept;
	pt_resource **p = &r->res_slots[res_hash(res->uid, res->name) & (r->res_cap - 1)];
	while (*p != res)
		p = &(*p)->chain;
	*p = res->chain;
	r->n_res--;
	res_free(res);
}

static void owner_link(pt_owner *o, pt_reservation *v)
{
	v->owner = o;
	v->owner_prev = NULL;
	v->owner_next = o->first;
	if (o->first)
		o->first->owner_prev = v;
	o->first = v;
}

static void owner_unlink(pt_reservation *v)
{
	if (!v->owner)
		return;
	if (v->owner_prev)
		v->owner_prev->owner_next = v->owner_next;
	else
		v->owner->first = v->owner_next;
	if (v->owner_next)
		v->owner_next->owner_prev = v->owner_prev;
	v->owner = NULL;
	v->owner_prev = v->owner_next = NULL;
}

static pt_reservation *rsv_create(pt_registry *r, uint64_t id, pt_resource *res)
{
	pt_reservation *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->id = id;
	v->res = res;
	v->made_ms = INT64_MIN;
	size_t s = rsv_hash(id) & (r->rsv_cap - 1);
	v->chain = r->rsv_slots[s];
	r->rsv_slots[s] = v;
	r->n_rsv++;
	rsv_grow(r);
	return v;
}

static void rsv_free(pt_reservation *v)
{
	owner_unlink(v);
	free(v->client_id);
	free(v);
}

/* Unlinks and frees the record; its starts stay in the pt_dio. */
static void rsv_remove(pt_registry *r, pt_reservation *v)
{
	pt_reservation **p = &r->rsv_slots[rsv_hash(v->id) & (r->rsv_cap - 1)];
	while (*p != v)
		p = &(*p)->chain;
	*p = v->chain;
	r->n_rsv--;
	rsv_free(v);
}

/* ---- lifecycle ---- */

int pt_registry_init(pt_registry *r, pt_store *store)
{
	memset(r, 0, sizeof *r);
	r->store = store;
	r->next_id = 1;
	r->max_guard_ms = -1;
	r->res_slots = calloc(RES_SLOTS_MIN, sizeof *r->res_slots);
	r->rsv_slots = calloc(RSV_SLOTS_MIN, sizeof *r->rsv_slots);
	if (!r->res_slots || !r->rsv_slots) {
		free(r->res_slots);
		free(r->rsv_slots);
		return PT_ENOMEM;
	}
	r->res_cap = RES_SLOTS_MIN;
	r->rsv_cap = RSV_SLOTS_MIN;
	return PT_OK;
}

void pt_registry_release(pt_registry *r)
{
	for (size_t i = 0; r->rsv_slots && i < r->rsv_cap; i++) {
		for (pt_reservation *v = r->rsv_slots[i], *next; v; v = next) {
			next = v->chain;
			rsv_free(v);
		}
	}
	for (size_t i = 0; r->res_slots && i < r->res_cap; i++) {
		for (pt_resource *res = r->res_slots[i], *next; res; res = next) {
			next = res->chain;
			res_free(res);
		}
	}
	free(r->rsv_slots);
	free(r->res_slots);
	pt_config_limits_free(r->limits, r->n_limits);
	free(r->undo);
	memset(r, 0, sizeof *r);
}

/* ---- the store's batch and the undo log ---- */

/* Room for n more undo entries, so that recording never fails after a
 * change has been made. */
static int undo_reserve(pt_registry *r, size_t n)
{
	if (!r->store || r->undo_cap - r->n_undo >= n)
		return PT_OK;
	size_t cap = r->undo_cap ? r->undo_cap * 2 : 64;
	while (cap - r->n_undo < n)
		cap *= 2;
	struct pt_undo *u = realloc(r->undo, cap * sizeof *u);
	if (!u)
		return PT_ENOMEM;
	r->undo = u;
	r->undo_cap = cap;
	return PT_OK;
}

static void undo_push(pt_registry *r, struct pt_undo u)
{
	if (r->store && r->n_undo < r->undo_cap)
		r->undo[r->n_undo++] = u;
}

static int store_begin(pt_registry *r)
{
	if (!r->batch_open) {
		if (pt_store_begin(r->store) != PT_OK)
			return PT_EIO;
		r->batch_open = true;
	}
	r->writes++;
	return PT_OK;
}

/* Writes res's limit; the first write of a resource is undone with the
 * batch. */
static int store_resource(pt_registry *r, pt_resource *res)
{
	if (!r->store) {
		res->persisted = true;
		return PT_OK;
	}
	pt_store_resource row = {
		.uid = res->uid, .name = res->name, .limit = res->dio.limit,
		.window_ms = res->dio.window_ms, .guard_ms = res->guard_floor_ms,
		.source = pt_limit_source_name(res->source), .burst = res_burst(res),
		.tat_ms = res->gcra ? pt_gcra_tat(res->gcra) : INT64_MIN,
	};
	if (store_begin(r) != PT_OK || pt_store_put_resource(r->store, &row) != PT_OK)
		return PT_EIO;
	if (!res->persisted)
		undo_push(r, (struct pt_undo){.kind = UNDO_PERSISTED, .res = res});
	res->persisted = true;
	return PT_OK;
}

/* Takes a grant back entirely, past starts too: nobody was told of it. */
static void grant_undo(pt_registry *r, pt_resource *res, uint64_t id)
{
	pt_reservation *v = rsv_find(r, id);
	res_cancel(res, id, INT64_MIN);
	if (v)
		rsv_remove(r, v);
}

static void undo_one(pt_registry *r, const struct pt_undo *u)
{
	switch (u->kind) {
	case UNDO_GRANT:
		grant_undo(r, u->res, u->id);
		break;
	case UNDO_LIMIT:
		res_set_limit(u->res, u->limit, u->window_ms, u->guard_ms);
		u->res->source = u->source;
		break;
	case UNDO_PERSISTED:
		u->res->persisted = false;
		break;
	}
}

int pt_registry_batch(pt_registry *r, pt_store **store)
{
	*store = r->store;
	return r->store ? store_begin(r) : PT_OK;
}

bool pt_registry_dirty(const pt_registry *r)
{
	return r->batch_open;
}

int pt_registry_commit(pt_registry *r)
{
	int rc = PT_OK;
	if (!r->batch_open)
		return PT_OK;
	r->batch_open = false;
	if (pt_store_commit(r->store) != PT_OK) {
		pt_store_rollback(r->store);
		while (r->n_undo > 0)
			undo_one(r, &r->undo[--r->n_undo]);
		rc = PT_EIO;
	}
	r->n_undo = 0;
	return rc;
}

/* ---- config limits ---- */

void pt_config_limits_free(pt_config_limit *limits, size_t n)
{
	for (size_t i = 0; limits && i < n; i++)
		free(limits[i].pattern);
	free(limits);
}

/* Limits a resource can have: those pt_dio accepts, N capped. */
static bool limits_ok(int64_t limit, int64_t window_ms)
{
	return limit >= 1 && limit <= PT_LIMIT_MAX && window_ms >= 1 &&
	       window_ms <= PT_DURATION_MAX_MS;
}

/* The entry for name that sets a concurrency (else a rate limit): exact
 * first, then the first glob. */
static const pt_config_limit *config_match(const pt_registry *r, const char *name,
					   bool concurrency)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->n_limits; i++) {
			const pt_config_limit *c = &r->limits[i];
			if (pt_resource_pattern_match(c->pattern, name) == pass &&
			    (concurrency ? c->concurrency : c->limit) > 0)
				return c;
		}
	}
	return NULL;
}

const pt_config_limit *pt_registry_config_limit(const pt_registry *r, const char *name)
{
	return config_match(r, name, false);
}

int64_t pt_registry_config_concurrency(const pt_registry *r, const char *name)
{
	const pt_config_limit *c = config_match(r, name, true);
	return c ? c->concurrency : 0;
}

static pt_config_limit *limits_copy(const pt_config_limit *limits, size_t n)
{
	pt_config_limit *copy = calloc(n ? n : 1, sizeof *copy);
	for (size_t i = 0; copy && i < n; i++) {
		copy[i] = limits[i];
		if (!(copy[i].pattern = strdup(limits[i].pattern))) {
			pt_config_limits_free(copy, i);
			return NULL;
		}
	}
	return copy;
}

/* Sets res's limit as the config (or its absence) says; true if changed. */
static bool apply_config(const pt_registry *r, pt_resource *res)
{
	const pt_config_limit *c = pt_registry_config_limit(r, res->name);
	if (!c) {
		if (res->source != PT_LIMIT_CONFIG)
			return false;
		res->source = PT_LIMIT_SET_LIMIT;
		return true;
	}
	if (res->source == PT_LIMIT_CONFIG && res->dio.limit == c->limit &&
	    res->dio.window_ms == c->window_ms && res_burst(res) == c->burst)
		return false;
	if (res_set_limit(res, c->limit, c->window_ms, pt_dio_default_guard(c->window_ms)) !=
		    PT_OK ||
	    res_set_burst(res, c->burst) != PT_OK)
		return false;
	res->source = PT_LIMIT_CONFIG;
	return true;
}

int pt_registry_set_config(pt_registry *r, const pt_config_limit *limits, size_t n)
{
	pt_config_limit *copy = limits_copy(limits, n);
	if (!copy)
		return PT_ENOMEM;
	pt_config_limits_free(r->limits, r->n_limits);
	r->limits = copy;
	r->n_limits = n;
	for (size_t i = 0; i < r->res_cap; i++) {
		for (pt_resource *res = r->res_slots[i]; res; res = res->chain) {
			/* not undone on a failed batch: the next start writes it again */
			if (apply_config(r, res) && store_resource(r, res) != PT_OK)
				res->persisted = false;
		}
	}
	return PT_OK;
}

/* ---- acquire ---- */

static int64_t default_expiry(const pt_acquire *a, int64_t base, int64_t window_ms)
{
	return base + a->offsets[a->k - 1] + window_ms + PT_TTL_SLACK_MS;
}

/* The resource of a, or a new one with the config's or a's limit
 * (*created: destroy it if the acquire fails). */
static int acquire_resource(pt_registry *r, const pt_acquire *a, pt_resource **out,
			    bool *created)
{
	const pt_config_limit *c;
	int64_t limit = a->limit, window_ms = a->window_ms, burst = a->burst;
	*created = false;
	if ((*out = pt_registry_find(r, a->uid, a->resource)))
		return res_adopt_extra(*out, a) == PT_ENOMEM ? PT_ENOMEM : PT_OK;
	if ((c = pt_registry_config_limit(r, a->resource))) {
		limit = c->limit;
		window_ms = c->window_ms;
		burst = c->burst;
	}
	if (!limits_ok(limit, window_ms))
		return PT_EINVAL;
	int64_t guard = a->guard_ms > 0 ? a->guard_ms : pt_dio_default_guard(window_ms);
	*out = res_create(r, a->uid, a->resource, limit, window_ms, guard, burst,
			  c ? PT_LIMIT_CONFIG : PT_LIMIT_ACQUIRE);
	*created = *out != NULL;
	if (*out && res_adopt_extra(*out, a) == PT_ENOMEM) {
		res_destroy(r, *out);
		*out = NULL;
		*created = false;
	}
	return *out ? PT_OK : PT_ENOMEM;
}

/* Finds the base of a on res; PT_ERANGE when max_wait_ms forbids it. */
static int acquire_place(const pt_resource *res, const pt_acquire *a, int64_t now_ms,
			 pt_placement *out)
{
	const pt_dio *d = &res->dio;
	int64_t from = a->not_before_ms > now_ms ? a->not_before_ms : now_ms;
	if (res->blocked_until_ms > from)
		from = res->blocked_until_ms; /* the service said to wait */
	pt_dio capped = *d; /* the same starts under a lower limit (read only) */
	int rc = res->gcra ? PT_OK
			   : pt_dio_check_offsets(d->limit, d->window_ms + d->guard_ms, a->offsets,
						  a->k, &out->crowded);
	if (a->cap > 0 && a->cap < d->limit)
		capped.limit = a->cap;
	out->start_ms = from;
	/* each limit's least base from the last one's, until none moves it */
	for (int64_t before = INT64_MIN; rc == PT_OK && before != out->start_ms;) {
		before = out->start_ms;
		rc = res->gcra ? pt_gcra_find(res->gcra, out->start_ms, a->offsets, a->k,
					      &out->start_ms)
			       : pt_dio_find(&capped, out->start_ms, a->offsets, a->k,
					     &out->start_ms);
		if (rc == PT_OK && res->extra)
			rc = pt_limit_set_find(res->extra, out->start_ms, a->offsets, a->k,
					       &out->start_ms);
	}
	if (rc == PT_ERANGE)
		return PT_EINVAL; /* times beyond int64: out of range */
	if (rc == PT_OK && a->max_wait_ms >= 0 && out->start_ms - now_ms > a->max_wait_ms)
		return PT_ERANGE;
	return rc;
}

static char *client_id_copy(const char *id)
{
	size_t n = id ? strnlen(id, PT_CLIENT_ID_MAX) : 0;
	char *copy = n ? malloc(n + 1) : NULL;
	if (copy) {
		memcpy(copy, id, n);
		copy[n] = '\0';
	}
	return copy;
}

/* Writes res's row if new, and the grant's starts unless Redis holds them
 * (shared): a restarted daemon need not know those, Redis counts them. */
static int acquire_store(pt_registry *r, pt_resource *res, const pt_acquire *a, uint64_t id,
			 const pt_placement *p, bool shared)
{
	/* a GCRA resource's row carries its TAT, which every grant moves */
	if ((!res->persisted || res->gcra) && store_resource(r, res) != PT_OK)
		return PT_EIO;
	if (!r->store || shared)
		return PT_OK;
	if (store_begin(r) != PT_OK ||
	    pt_store_put_reservation(r->store, id, res->uid, res->name, p->start_ms, a->offsets,
				     a->k, p->expires_ms) != PT_OK)
		return PT_EIO;
	return PT_OK;
}

/* Reserves the placed starts under a new id and writes them. */
static int acquire_grant(pt_registry *r, pt_resource *res, const pt_acquire *a, uint64_t id,
			 bool shared, pt_placement *out)
{
	pt_reservation *v;
	int rc = undo_reserve(r, 2);
	if (rc != PT_OK)
		return rc;
	if ((rc = pt_dio_reserve(&res->dio, id, out->start_ms, a->offsets, a->k)) != PT_OK)
		return rc == PT_ERANGE ? PT_EINVAL : rc;
	if ((res->extra && pt_limit_set_reserve(res->extra, id, out->start_ms, a->offsets,
						a->k) != PT_OK) ||
	    !(v = rsv_create(r, id, res))) {
		res_cancel(res, id, INT64_MIN);
		return PT_ENOMEM;
	}
	v->last_ms = out->start_ms + a->offsets[a->k - 1];
	v->expires_ms = out->expires_ms;
	v->priority = a->priority;
	v->client_id = client_id_copy(a->client_id);
	v->shared = shared;
	if (a->owner)
		owner_link(a->owner, v);
	/* not undone if the batch fails: a TAT too late only delays */
	if (res->gcra)
		pt_gcra_commit(res->gcra, out->start_ms, a->offsets, a->k);
	if (acquire_store(r, res, a, id, out, shared) != PT_OK) {
		grant_undo(r, res, id);
		return PT_EIO;
	}
	undo_push(r, (struct pt_undo){.kind = UNDO_GRANT, .res = res, .id = id});
	out->reservation = id;
	return PT_OK;
}

int pt_registry_prepare(pt_registry *r, const pt_acquire *a, pt_resource **out, bool *created)
{
	return acquire_resource(r, a, out, created);
}

void pt_registry_forget(pt_registry *r, pt_resource *res)
{
	if (res->dio.count == 0 && !res->persisted)
		res_destroy(r, res);
}

uint64_t pt_registry_new_id(pt_registry *r)
{
	return r->next_id++;
}

/* Expires res's old starts and fills out with its limits. */
static void placement_start(pt_resource *res, int64_t now_ms, pt_placement *out)
{
	memset(out, 0, sizeof *out);
	pt_dio_expire(&res->dio, now_ms);
	out->limit = res->dio.limit;
	out->window_ms = res->dio.window_ms;
	out->guard_ms = res->dio.guard_ms;
	out->burst = res_burst(res);
}

/* Grants the placed starts of a on res (out->start_ms) under a new id. */
static int place_grant(pt_registry *r, pt_resource *res, const pt_acquire *a, uint64_t id,
		       bool shared, int64_t now_ms, pt_placement *out)
{
	out->expires_ms = a->ttl_ms > 0 ? now_ms + a->ttl_ms
					: default_expiry(a, out->start_ms, res->dio.window_ms);
	return acquire_grant(r, res, a, id, shared, out);
}

/* Places a (at *base when given, else at the least base the rule allows)
 * and grants it under id; shared: Redis placed it and holds its starts. */
static int registry_place(pt_registry *r, const pt_acquire *a, uint64_t id,
			  const int64_t *base, bool shared, int64_t now_ms, pt_placement *out)
{
	pt_resource *res;
	bool created;
	int rc = acquire_resource(r, a, &res, &created);
	if (rc != PT_OK)
		return rc;
	placement_start(res, now_ms, out);
	if (base)
		out->start_ms = *base;
	else
		rc = acquire_place(res, a, now_ms, out);
	if (rc == PT_OK)
		rc = place_grant(r, res, a, id, shared, now_ms, out);
	if (rc != PT_OK && created)
		res_destroy(r, res);
	return rc;
}

int pt_registry_acquire(pt_registry *r, const pt_acquire *a, int64_t now_ms,
			pt_placement *out)
{
	return registry_place(r, a, pt_registry_new_id(r), NULL, false, now_ms, out);
}

int pt_registry_grant_at(pt_registry *r, const pt_acquire *a, uint64_t id, int64_t base_ms,
			 int64_t now_ms, pt_placement *out)
{
	return registry_place(r, a, id, &base_ms, true, now_ms, out);
}

int pt_registry_reserve_at(pt_registry *r, const pt_acquire *a, int64_t base_ms, int64_t now_ms,
			   pt_placement *out)
{
	return registry_place(r, a, pt_registry_new_id(r), &base_ms, false, now_ms, out);
}

bool pt_registry_shared(const pt_registry *r, uint64_t id)
{
	const pt_reservation *v = rsv_find(r, id);
	return v && v->shared;
}

/* ---- release, set_limit, connections ---- */

/* Deletes id's rows at or after from_ms. A failure leaves the store with
 * more starts than memory, which is only careful, so it is not reported. */
static void store_release(pt_registry *r, const pt_reservation *v, int64_t from_ms)
{
	const pt_resource *res = v->res;
	uint64_t id = v->id;
	if (r->store && !v->shared && store_begin(r) == PT_OK)
		(void)pt_store_release(r->store, id, from_ms);
	if (r->on_release)
		r->on_release(r->release_ctx, res, id, from_ms);
}

static bool rsv_live(const pt_reservation *v, int64_t now_ms)
{
	return v->last_ms >= now_ms && v->expires_ms > now_ms;
}

/* Kept after its last start for one window more, so that a client that woke
 * too late can still give that start back unused. */
static bool rsv_kept(const pt_reservation *v, int64_t now_ms)
{
	return v->expires_ms > now_ms && v->last_ms + v->res->dio.window_ms >= now_ms;
}

int pt_registry_cancel(pt_registry *r, uint32_t uid, uint64_t id, int64_t from_ms, bool unused,
		       int64_t now_ms, size_t *released)
{
	pt_reservation *v = rsv_find(r, id);
	*released = 0;
	if (!v || v->res->uid != uid || !(unused ? rsv_kept(v, now_ms) : rsv_live(v, now_ms)))
		return PT_ENOENT;
	/* A start at this very millisecond may be the one the client just made. */
	if (from_ms <= now_ms && !unused)
		from_ms = now_ms + 1;
	if (from_ms <= v->made_ms)
		from_ms = v->made_ms + 1; /* its client said it was made: it counts */
	*released = res_cancel(v->res, id, from_ms);
	if (*released)
		store_release(r, v, from_ms);
	if (v->last_ms >= from_ms)
		v->last_ms = from_ms - 1;
	return PT_OK;
}

int pt_registry_set_limit(pt_registry *r, uint32_t uid, const char *name, int64_t limit,
			  int64_t window_ms, const pt_resource **out)
{
	pt_resource *res = NULL;
	int rc = pt_registry_relimit(r, uid, name, limit, window_ms, PT_LIMIT_SET_LIMIT, &res);
	*out = res;
	return rc;
}

int pt_registry_relimit(pt_registry *r, uint32_t uid, const char *name, int64_t limit,
			int64_t window_ms, pt_limit_source source, pt_resource **out)
{
	int64_t guard = pt_dio_default_guard(window_ms);
	pt_resource *res = pt_registry_find(r, uid, name);
	if (pt_registry_config_limit(r, name) || (res && res->source == PT_LIMIT_CONFIG) ||
	    !limits_ok(limit, window_ms))
		return PT_EINVAL;
	if (undo_reserve(r, 2) != PT_OK)
		return PT_ENOMEM;
	if (!res) {
		if (!(res = res_create(r, uid, name, limit, window_ms, guard, 0, source)))
			return PT_ENOMEM;
		if (store_resource(r, res) != PT_OK) {
			res_destroy(r, res);
			return PT_EIO;
		}
		*out = res;
		return PT_OK;
	}
	struct pt_undo old = {.kind = UNDO_LIMIT, .res = res, .limit = res->dio.limit,
			      .window_ms = res->dio.window_ms, .guard_ms = res->guard_floor_ms,
			      .source = res->source};
	if (res_set_limit(res, limit, window_ms, guard) != PT_OK) {
		undo_one(r, &old);
		return PT_EINVAL;
	}
	res->source = source;
	if (store_resource(r, res) != PT_OK) {
		undo_one(r, &old);
		return PT_EIO;
	}
	undo_push(r, old);
	*out = res;
	return PT_OK;
}

/* Moves the start in the store too; its reply waits for the commit, so a
 * restarted daemon knows where it really was. */
static int store_move(pt_registry *r, uint64_t id, int64_t from_ms, int64_t to_ms)
{
	if (!r->store || pt_registry_shared(r, id))
		return PT_OK;
	if (store_begin(r) != PT_OK)
		return PT_EIO;
	return pt_store_move_start(r->store, id, from_ms, to_ms);
}

int pt_registry_started(pt_registry *r, uint32_t uid, const char *name, uint64_t id,
			int64_t granted_ms, int64_t started_ms, int64_t now_ms,
			pt_resource **out)
{
	pt_resource *res = pt_registry_find(r, uid, name);
	/* it happened before we heard of it: a clock read later, or rounded up,
	 * must not make it a future start that a release could drop */
	if (started_ms > now_ms)
		started_ms = now_ms;
	if (!res || pt_dio_move(&res->dio, id, granted_ms, started_ms) != PT_OK)
		return PT_ENOENT;
	*out = res;
	pt_reservation *v = rsv_find(r, id);
	int64_t made = started_ms > granted_ms ? started_ms : granted_ms;
	if (v && v->res == res && made > v->made_ms)
		v->made_ms = made;
	if (!res->lateness && !(res->lateness = calloc(1, sizeof *res->lateness)))
		return PT_ENOMEM;
	pt_lateness_add(res->lateness, started_ms - granted_ms, now_ms);
	res_guard_update(r, res, now_ms);
	if (started_ms <= granted_ms)
		return PT_OK;
	if (res->gcra)
		pt_gcra_started_at(res->gcra, started_ms);
	if (res->extra)
		pt_limit_set_move(res->extra, id, granted_ms, started_ms);
	if (r->on_move)
		r->on_move(r->release_ctx, res, id, granted_ms, started_ms);
	return store_move(r, id, granted_ms, started_ms);
}

/* A start at now may have been used this very millisecond: only later
 * ones are released. */
size_t pt_registry_owner_close(pt_registry *r, pt_owner *o, int64_t now_ms)
{
	size_t released = 0;
	while (o->first) {
		pt_reservation *v = o->first;
		size_t n = res_cancel(v->res, v->id, now_ms + 1);
		if (n)
			store_release(r, v, now_ms + 1);
		released += n;
		rsv_remove(r, v);
	}
	return released;
}

void pt_registry_owner_detach(pt_registry *r, pt_owner *o)
{
	(void)r;
	while (o->first)
		owner_unlink(o->first);
}

bool pt_registry_owner_holds(const pt_owner *o, int64_t now_ms)
{
	for (const pt_reservation *v = o->first; v; v = v->owner_next)
		if (rsv_live(v, now_ms))
			return true;
	return false;
}

/* ---- expiry ---- */

/* Drops dead records and the unused starts of expired ones. */
static size_t expire_reservations(pt_registry *r, int64_t now_ms)
{
	size_t dropped = 0;
	for (size_t i = 0; i < r->rsv_cap; i++) {
		pt_reservation **p = &r->rsv_slots[i];
		while (*p) {
			pt_reservation *v = *p;
			if (rsv_kept(v, now_ms)) {
				p = &v->chain;
				continue;
			}
			if (v->expires_ms <= now_ms) {
				size_t n = res_cancel(v->res, v->id, now_ms);
				if (n && r->on_release)
					r->on_release(r->release_ctx, v->res, v->id, now_ms);
				dropped += n;
			}
			*p = v->chain;
			r->n_rsv--;
			rsv_free(v);
		}
	}
	return dropped;
}

void pt_registry_expire(pt_registry *r, int64_t now_ms)
{
	size_t dropped = expire_reservations(r, now_ms);
	int64_t span = 0;
	for (size_t i = 0; i < r->res_cap; i++) {
		for (pt_resource *res = r->res_slots[i]; res; res = res->chain) {
			res_guard_update(r, res, now_ms);
			dropped += pt_dio_expire(&res->dio, now_ms);
			if (res->extra)
				pt_limit_set_expire(res->extra, now_ms);
			if (res->dio.window_ms + res->dio.guard_ms > span)
				span = res->dio.window_ms + res->dio.guard_ms;
		}
	}
	if (!r->store || r->n_res == 0)
		return;
	if (!dropped && now_ms - r->store_expired_ms < STORE_EXPIRE_EVERY_MS)
		return;
	r->store_expired_ms = now_ms;
	if (store_begin(r) == PT_OK)
		(void)pt_store_expire(r->store, now_ms - span, now_ms);
}

/* ---- restore ---- */

/* The row's burst and TAT; a burst out of range is restored as the
 * sliding window, which is stricter for steady use. */
static int restore_gcra(pt_resource *res, const pt_store_resource *row)
{
	int rc = res_set_burst(res, row->burst > 0 && row->burst <= PT_LIMIT_MAX ? row->burst : 0);
	if (rc == PT_ENOMEM)
		return rc;
	if (rc == PT_OK && res->gcra && row->tat_ms > INT64_MIN) {
		res->gcra->has_tat = true; /* clamped so that placing cannot overflow */
		res->gcra->tat_ms = row->tat_ms < -PT_GCRA_TIME_MAX  ? -PT_GCRA_TIME_MAX
				    : row->tat_ms > PT_GCRA_TIME_MAX ? PT_GCRA_TIME_MAX
								     : row->tat_ms;
	}
	return PT_OK;
}

static int restore_resource(void *ctx, const pt_store_resource *row)
{
	pt_registry *r = ctx;
	pt_limit_source source;
	pt_resource *res;
	if (pt_limit_source_parse(row->source, &source) != PT_OK)
		source = PT_LIMIT_SET_LIMIT;
	if (!row->name || !limits_ok(row->limit, row->window_ms) || row->guard_ms < 0 ||
	    row->guard_ms > PT_DURATION_MAX_MS)
		return PT_OK; /* a row with impossible limits is skipped, not fatal */
	if ((res = pt_registry_find(r, row->uid, row->name)))
		res_set_limit(res, row->limit, row->window_ms, row->guard_ms);
	else if (!(res = res_create(r, row->uid, row->name, row->limit, row->window_ms,
				    row->guard_ms, 0, source)))
		return PT_ENOMEM;
	if (restore_gcra(res, row) != PT_OK)
		return PT_ENOMEM;
	res->source = source;
	res->persisted = true;
	return PT_OK;
}

static int restore_start(void *ctx, const pt_store_start *st)
{
	static const int64_t zero = 0;
	pt_registry *r = ctx;
	pt_resource *res = pt_registry_find(r, st->uid, st->resource);
	pt_reservation *v;
	if (!res) /* a start of an unknown resource: nothing to count it against */
		return PT_OK;
	if (pt_dio_reserve(&res->dio, st->reservation, st->at_ms, &zero, 1) != PT_OK)
		return PT_ENOMEM;
	if (st->reservation >= r->next_id)
		r->next_id = st->reservation + 1;
	if (!(v = rsv_find(r, st->reservation))) {
		if (!(v = rsv_create(r, st->reservation, res)))
			return PT_ENOMEM;
		v->last_ms = st->at_ms;
		v->expires_ms = st->expires_ms;
	}
	if (st->at_ms > v->last_ms)
		v->last_ms = st->at_ms;
	return PT_OK;
}

int pt_registry_restore(pt_registry *r, int64_t now_ms, char *err, size_t err_len)
{
	uint64_t max_id = 0;
	int rc;
	if (!r->store)
		return PT_OK;
	rc = pt_store_load(r->store, restore_resource, restore_start, r);
	if (rc == PT_OK)
		rc = pt_store_max_reservation(r->store, &max_id);
	if (rc != PT_OK) {
		snprintf(err, err_len, "cannot read the state: %s", pt_strerror(rc));
		return rc == PT_ENOMEM ? PT_ENOMEM : PT_EIO;
	}
	if (max_id >= r->next_id)
		r->next_id = max_id + 1;
	pt_registry_expire(r, now_ms);
	return PT_OK;
}

/* ---- usage ---- */

static int usage_cmp(const void *a, const void *b)
{
	const pt_resource_usage *x = a, *y = b;
	if (x->res->uid != y->res->uid)
		return x->res->uid < y->res->uid ? -1 : 1;
	return strcmp(x->res->name, y->res->name);
}

static pt_resource_usage usage_of(const pt_resource *res, int64_t now_ms)
{
	static const int64_t zero = 0;
	const pt_dio *d = &res->dio;
	pt_resource_usage u = {.res = res};
	u.reserved = pt_dio_count_between(d, now_ms + 1, INT64_MAX);
	u.in_window = pt_dio_count_between(d, now_ms - d->window_ms + 1, now_ms + 1);
	int64_t from = res->blocked_until_ms > now_ms ? res->blocked_until_ms : now_ms;
	if ((res->gcra ? pt_gcra_find(res->gcra, from, &zero, 1, &u.next_free_ms)
		       : pt_dio_find(d, from, &zero, 1, &u.next_free_ms)) != PT_OK)
		u.next_free_ms = from;
	return u;
}

int pt_registry_list(const pt_registry *r, uint32_t uid, int64_t now_ms,
		     pt_resource_usage **out, size_t *n)
{
	size_t count = 0, i = 0;
	for (size_t s = 0; s < r->res_cap; s++)
		for (const pt_resource *res = r->res_slots[s]; res; res = res->chain)
			count += res->uid == uid || uid == PT_UID_ALL;
	*n = 0;
	*out = malloc((count ? count : 1) * sizeof **out);
	if (!*out)
		return PT_ENOMEM;
	for (size_t s = 0; s < r->res_cap; s++)
		for (const pt_resource *res = r->res_slots[s]; res; res = res->chain)
			if ((res->uid == uid || uid == PT_UID_ALL) && i < count)
				(*out)[i++] = usage_of(res, now_ms);
	qsort(*out, i, sizeof **out, usage_cmp);
	*n = i;
	return PT_OK;
}

void pt_registry_count(const pt_registry *r, uint32_t uid, int64_t now_ms,
		       size_t *resources, size_t *reservations)
{
	*resources = 0;
	*reservations = 0;
	for (size_t s = 0; s < r->res_cap; s++)
		for (const pt_resource *res = r->res_slots[s]; res; res = res->chain)
			*resources += res->uid == uid || uid == PT_UID_ALL;
	for (size_t s = 0; s < r->rsv_cap; s++)
		for (const pt_reservation *v = r->rsv_slots[s]; v; v = v->chain)
			*reservations += (v->res->uid == uid || uid == PT_UID_ALL) &&
					 rsv_live(v, now_ms);
}
