/* Concurrency leases: at most N holders of a resource at once, across every
 * client of the daemon. A lease lives in memory only and belongs to the
 * connection that asked for it, so a holder that dies (its connection
 * closes, or the tick finds its pid gone) frees it at once. When all N are
 * held, the request is not answered: it waits FIFO per resource, and the
 * reply is sent the moment a lease frees (or max_wait_ms passes). */
#include "daemon/daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

/* ---- the table: pools, holders, waiters ---- */

void pt_lease_table_init(pt_lease_table *t, pt_lease_fn granted, pt_lease_fn expired,
			 void *ctx)
{
	*t = (pt_lease_table){.next_id = 1, .granted = granted, .expired = expired, .ctx = ctx};
}

static void pool_free(pt_lease_pool *p)
{
	for (pt_lease *l = p->held, *next; l; l = next) {
		next = l->next;
		free(l);
	}
	for (pt_lease *l = p->wait_first, *next; l; l = next) {
		next = l->next;
		free(l);
	}
	free(p->name);
	free(p);
}

/* Owners (connections) are gone or going when the table is released. */
void pt_lease_table_release(pt_lease_table *t)
{
	for (pt_lease_pool *p = t->pools, *next; p; p = next) {
		next = p->next;
		pool_free(p);
	}
	t->pools = NULL;
}

const pt_lease_pool *pt_lease_find(const pt_lease_table *t, uint32_t uid, const char *name)
{
	for (const pt_lease_pool *p = t->pools; p; p = p->next)
		if (p->uid == uid && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static pt_lease_pool *pool_get(pt_lease_table *t, const pt_lease_ask *a)
{
	pt_lease_pool *p = (pt_lease_pool *)pt_lease_find(t, a->uid, a->resource);
	if (p)
		return p;
	if (!(p = calloc(1, sizeof *p)) || !(p->name = strdup(a->resource))) {
		free(p);
		return NULL;
	}
	p->uid = a->uid;
	p->limit = a->config_limit > 0 ? a->config_limit : a->limit;
	p->from_config = a->config_limit > 0;
	p->next = t->pools;
	t->pools = p;
	return p;
}

static void held_push(pt_lease_pool *p, pt_lease *l)
{
	l->prev = NULL;
	l->next = p->held;
	if (p->held)
		p->held->prev = l;
	p->held = l;
	p->n_held++;
	l->granted = true;
}

static void wait_push(pt_lease_pool *p, pt_lease *l)
{
	l->next = NULL;
	l->prev = p->wait_last;
	if (p->wait_last)
		p->wait_last->next = l;
	else
		p->wait_first = l;
	p->wait_last = l;
	p->n_waiting++;
}

/* Out of its pool's list (held or waiting). */
static void pool_unlink(pt_lease *l)
{
	pt_lease_pool *p = l->pool;
	if (l->prev)
		l->prev->next = l->next;
	else if (l->granted)
		p->held = l->next;
	else
		p->wait_first = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else if (!l->granted)
		p->wait_last = l->prev;
	if (l->granted)
		p->n_held--;
	else
		p->n_waiting--;
	l->prev = l->next = NULL;
}

static void owner_link(pt_lease_owner *o, pt_lease *l)
{
	l->owner = o;
	l->owner_prev = NULL;
	l->owner_next = o->first;
	if (o->first)
		o->first->owner_prev = l;
	o->first = l;
	o->n++;
}

static void owner_unlink(pt_lease *l)
{
	pt_lease_owner *o = l->owner;
	if (l->owner_prev)
		l->owner_prev->owner_next = l->owner_next;
	else
		o->first = l->owner_next;
	if (l->owner_next)
		l->owner_next->owner_prev = l->owner_prev;
	o->n--;
}

/* Free leases go to the first waiters. The callback may drop leases of
 * this pool (closing a connection): the loop reads the pool afresh each
 * time, and pools are only freed by pt_lease_forget_idle. */
static void pool_grant_waiters(pt_lease_table *t, pt_lease_pool *p)
{
	while (p->wait_first && p->n_held < (size_t)p->limit) {
		pt_lease *l = p->wait_first;
		pool_unlink(l);
		held_push(p, l);
		t->granted(t->ctx, l);
	}
}

int pt_lease_take(pt_lease_table *t, const pt_lease_ask *a, pt_lease **out)
{
	if (a->owner->n >= PT_LEASES_PER_CONN_MAX)
		return PT_ERANGE;
	pt_lease_pool *p = pool_get(t, a);
	pt_lease *l = p ? calloc(1, sizeof *l) : NULL;
	if (!l)
		return PT_ENOMEM;
	l->id = t->next_id++;
	l->pool = p;
	l->asked_ms = a->now_ms;
	l->deadline_ms = a->deadline_ms;
	owner_link(a->owner, l);
	if (p->n_held < (size_t)p->limit && !p->wait_first)
		held_push(p, l);
	else
		wait_push(p, l);
	*out = l;
	return PT_OK;
}

/* Unlinks and frees l; a lease it held goes to the next waiter. */
static void lease_drop(pt_lease_table *t, pt_lease *l)
{
	pt_lease_pool *p = l->pool;
	bool held = l->granted;
	pool_unlink(l);
	owner_unlink(l);
	free(l);
	if (held)
		pool_grant_waiters(t, p);
}

int pt_lease_give_back(pt_lease_table *t, pt_lease_owner *o, uint64_t id)
{
	for (pt_lease *l = o->first; l; l = l->owner_next) {
		if (l->id == id) {
			lease_drop(t, l);
			return PT_OK;
		}
	}
	return PT_ENOENT;
}

/* Waits first, so that no lease freed below goes to this very owner. */
void pt_lease_owner_close(pt_lease_table *t, pt_lease_owner *o)
{
	for (pt_lease *l = o->first, *next; l; l = next) {
		next = l->owner_next;
		if (!l->granted)
			lease_drop(t, l);
	}
	while (o->first)
		lease_drop(t, o->first);
}

bool pt_lease_owner_waits(const pt_lease_owner *o)
{
	for (const pt_lease *l = o->first; l; l = l->owner_next)
		if (!l->granted)
			return true;
	return false;
}

/* One dead holder found per pass: dropping it may grant (and close
 * connections), so the scan starts again from a known state. */
static pt_lease *find_dead_holder(const pt_lease_table *t, bool (*alive)(pid_t pid))
{
	for (pt_lease_pool *p = t->pools; p; p = p->next)
		for (pt_lease *l = p->held; l; l = l->next)
			if (l->owner->pid > 0 && !alive(l->owner->pid))
				return l;
	return NULL;
}

size_t pt_lease_reap(pt_lease_table *t, bool (*alive)(pid_t pid))
{
	size_t n = 0;
	for (pt_lease *l; (l = find_dead_holder(t, alive)); n++)
		lease_drop(t, l);
	return n;
}

static pt_lease *first_overdue(const pt_lease_table *t, int64_t now_ms)
{
	for (pt_lease_pool *p = t->pools; p; p = p->next)
		for (pt_lease *l = p->wait_first; l; l = l->next)
			if (l->deadline_ms && l->deadline_ms <= now_ms)
				return l;
	return NULL;
}

void pt_lease_expire(pt_lease_table *t, int64_t now_ms)
{
	for (pt_lease *l; (l = first_overdue(t, now_ms));) {
		pool_unlink(l);
		owner_unlink(l);
		t->expired(t->ctx, l);
		free(l);
	}
}

int64_t pt_lease_next_deadline(const pt_lease_table *t)
{
	int64_t first = 0;
	for (const pt_lease_pool *p = t->pools; p; p = p->next)
		for (const pt_lease *l = p->wait_first; l; l = l->next)
			if (l->deadline_ms && (!first || l->deadline_ms < first))
				first = l->deadline_ms;
	return first;
}

void pt_lease_forget_idle(pt_lease_table *t)
{
	for (pt_lease_pool **pp = &t->pools, *p; (p = *pp);) {
		if (p->n_held || p->n_waiting) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		pool_free(p);
	}
}

/* ---- the daemon's side ---- */

/* {"ok":true,"lease":ID, the pool (pt_lease_pool_json), "waited_ms"}. */
cJSON *pt_lease_reply_json(const pt_lease *l, int64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddBoolToObject(o, "ok", true) &&
		  pt_json_add_int(o, "lease", (int64_t)l->id) &&
		  pt_json_move_members(o, pt_lease_pool_json(l->pool)) &&
		  pt_json_add_int(o, "waited_ms", now_ms - l->asked_ms);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void answer_late(pt_daemon *d, pt_lease *l, const char *text)
{
	pt_conn *c = (pt_conn *)((char *)l->owner - offsetof(pt_conn, leases));
	pt_reply *r = l->reply;
	l->reply = NULL;
	if (r && !d->stopping)
		pt_server_fill(c, r, text ? text : pt_protocol_internal_reply, false);
}

static void on_granted(void *ctx, pt_lease *l)
{
	pt_daemon *d = ctx;
	cJSON *reply = pt_lease_reply_json(l, pt_daemon_mono_ms());
	char *text = reply ? cJSON_PrintUnformatted(reply) : NULL;
	cJSON_Delete(reply);
	pt_log(PT_LOG_DEBUG, "lease %" PRIu64 " of \"%s\" (uid %u) granted after %" PRId64 " ms",
	       l->id, l->pool->name, l->pool->uid, pt_daemon_mono_ms() - l->asked_ms);
	answer_late(d, l, text);
	free(text);
}

static void on_expired(void *ctx, pt_lease *l)
{
	char message[512];
	snprintf(message, sizeof message, "no lease of \"%.256s\" freed within %" PRId64 " ms "
		 "(%zu of %" PRId64 " held)", l->pool->name, l->deadline_ms - l->asked_ms,
		 l->pool->n_held, l->pool->limit);
	char *text = pt_protocol_error(PT_ERR_WAIT_TOO_LONG, message);
	answer_late(ctx, l, text);
	free(text);
}

static void on_lease_timer(evutil_socket_t fd, short what, void *arg)
{
	pt_daemon *d = arg;
	(void)fd;
	(void)what;
	pt_lease_expire(&d->leases, pt_daemon_mono_ms());
	pt_lease_rearm(d);
}

int pt_lease_setup(pt_daemon *d)
{
	pt_lease_table_init(&d->leases, on_granted, on_expired, d);
	d->lease_timer = evtimer_new(d->base, on_lease_timer, d);
	return d->lease_timer ? PT_OK : PT_ENOMEM;
}

void pt_lease_teardown(pt_daemon *d)
{
	if (d->lease_timer)
		event_free(d->lease_timer);
	d->lease_timer = NULL;
	pt_lease_table_release(&d->leases);
}

void pt_lease_rearm(pt_daemon *d)
{
	int64_t first = pt_lease_next_deadline(&d->leases);
	if (!d->lease_timer)
		return;
	if (!first) {
		evtimer_del(d->lease_timer);
		return;
	}
	int64_t in = first - pt_daemon_mono_ms();
	if (in < 0)
		in = 0;
	struct timeval tv = {(time_t)(in / 1000), (suseconds_t)(in % 1000 * 1000)};
	evtimer_add(d->lease_timer, &tv);
}

void pt_lease_conn_close(pt_daemon *d, pt_conn *c)
{
	if (!c->leases.first)
		return;
	pt_lease_owner_close(&d->leases, &c->leases);
	pt_lease_rearm(d);
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

void pt_lease_tick(pt_daemon *d)
{
	size_t n = pt_lease_reap(&d->leases, pid_alive);
	if (n)
		pt_log(PT_LOG_INFO, "%zu leases reclaimed: their holders' processes are gone", n);
	pt_lease_forget_idle(&d->leases);
	pt_lease_rearm(d);
}
