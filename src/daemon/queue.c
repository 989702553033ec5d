/* Acquires that wait for their turn (docs/PROTOCOL.md, acquire "queue").
 *
 * A queued acquire is placed only once its start is at most
 * PT_QUEUE_LOOKAHEAD_MS away, so the start times that free up go to the
 * waiters in order of their key, arrival - priority x aging: a waiter of
 * priority p that has waited one aging period ranks with one of p + 1
 * arriving now, so a low one never starves behind a stream of high ones.
 * With aging 0 the order is strict: priority, then arrival.
 * Per resource the order is strict: a waiter whose start does not come yet
 * holds back those behind it (it would lose its start times to them). A
 * waiter whose not_before is further away than the lookahead holds back
 * no one until then. */
#include "daemon/daemon.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static bool same_resource(const pt_pending *a, const pt_pending *b)
{
	return a->a.uid == b->a.uid && strcmp(a->resource, b->resource) == 0;
}

/* Does a go before b? With no aging, priority first, then arrival. */
static bool precedes(const pt_daemon *d, const pt_pending *a, const pt_pending *b)
{
	if (d->opt.priority_aging_ms > 0)
		return a->key_ms < b->key_ms;
	return a->a.priority > b->a.priority ||
	       (a->a.priority == b->a.priority && a->queued_ms < b->queued_ms);
}

void pt_queue_add(pt_daemon *d, pt_pending *p)
{
	pt_pending **at = &d->queued;
	p->queued_ms = pt_daemon_now_ms();
	p->key_ms = p->queued_ms - p->a.priority * d->opt.priority_aging_ms;
	while (*at && !precedes(d, p, *at)) /* ties: first come, first served */
		at = &(*at)->next;
	p->next = *at;
	*at = p;
	d->n_queued++;
	pt_queue_kick(d);
}

static void queue_unlink(pt_daemon *d, pt_pending *p)
{
	for (pt_pending **at = &d->queued; *at; at = &(*at)->next) {
		if (*at == p) {
			*at = p->next;
			d->n_queued--;
			return;
		}
	}
}

/* Is an earlier waiter of p's resource held back in this pass? */
static bool behind_blocked(const pt_daemon *d, const pt_pending *p, unsigned pass)
{
	for (const pt_pending *q = d->queued; q != p; q = q->next)
		if (q->blocked_pass == pass && same_resource(q, p))
			return true;
	return false;
}

static void queue_service(pt_daemon *d);

static void on_queue_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	queue_service(arg);
}

static void arm_timer(pt_daemon *d, int64_t wake_ms, int64_t now_ms)
{
	if (!d->base)
		return; /* no loop (the protocol's fuzz harness): nothing is served */
	if (!d->queue_ev && !(d->queue_ev = evtimer_new(d->base, on_queue_timer, d)))
		return; /* out of memory: the 1 s tick still serves the queue */
	evtimer_del(d->queue_ev);
	if (wake_ms == INT64_MAX)
		return;
	int64_t in = wake_ms > now_ms ? wake_ms - now_ms : 0;
	struct timeval tv = {(time_t)(in / 1000), (suseconds_t)(in % 1000 * 1000)};
	evtimer_add(d->queue_ev, &tv);
}

/* Tries p; true when it was answered (and is to be freed). */
static bool serve_one(pt_daemon *d, pt_pending *p, unsigned pass, int64_t now,
		      int64_t *wake)
{
	int64_t retry;
	if (p->deadline_ms >= 0 && now >= p->deadline_ms) {
		pt_protocol_queued_timeout(d, p, now);
		return true;
	}
	if (p->deadline_ms >= 0 && p->deadline_ms < *wake)
		*wake = p->deadline_ms;
	if (p->a.not_before_ms - PT_QUEUE_LOOKAHEAD_MS > now) {
		if (p->a.not_before_ms - PT_QUEUE_LOOKAHEAD_MS < *wake)
			*wake = p->a.not_before_ms - PT_QUEUE_LOOKAHEAD_MS;
		return false;
	}
	if (behind_blocked(d, p, pass))
		return false;
	if (pt_protocol_try_queued(d, p, now, &retry))
		return true;
	p->blocked_pass = pass;
	if (retry - PT_QUEUE_LOOKAHEAD_MS < *wake)
		*wake = retry - PT_QUEUE_LOOKAHEAD_MS;
	return false;
}

/* Runs only from its timer, never inside a connection's callback: a reply
 * may close the connection it goes to. */
static void queue_service(pt_daemon *d)
{
	static unsigned passes;
	unsigned pass = ++passes;
	int64_t now = pt_daemon_now_ms(), wake = INT64_MAX;
	for (pt_pending *p = d->queued, *next; p; p = next) {
		next = p->next;
		if (serve_one(d, p, pass, now, &wake)) {
			next = p->next; /* a closed connection may have dropped its waiters */
			queue_unlink(d, p);
			free(p);
		}
	}
	arm_timer(d, wake, now);
}

void pt_queue_kick(pt_daemon *d)
{
	if (d->queued)
		arm_timer(d, 0, 0);
}

void pt_queue_drop_conn(pt_daemon *d, pt_conn *c)
{
	for (pt_pending **at = &c->pending; *at;) {
		pt_pending *p = *at;
		if (!p->queued) {
			at = &p->conn_next;
			continue;
		}
		*at = p->conn_next;
		queue_unlink(d, p);
		free(p);
	}
}

bool pt_queue_holds(const pt_conn *c)
{
	for (const pt_pending *p = c->pending; p; p = p->conn_next)
		if (p->queued)
			return true;
	return false;
}

/* A waiter against a usage entry, in pt_registry_list's order. */
static int usage_order(const void *waiter, const void *usage)
{
	const pt_pending *p = waiter;
	const pt_resource *res = ((const pt_resource_usage *)usage)->res;
	if (p->a.uid != res->uid)
		return p->a.uid < res->uid ? -1 : 1;
	return strcmp(p->resource, res->name);
}

void pt_queue_count_waiting(const pt_daemon *d, pt_resource_usage *u, size_t n)
{
	for (const pt_pending *p = d->queued; p && n; p = p->next) {
		pt_resource_usage *hit = bsearch(p, u, n, sizeof *u, usage_order);
		if (hit)
			hit->waiting++;
	}
}

void pt_queue_release(pt_daemon *d)
{
	while (d->queued) {
		pt_pending *p = d->queued;
		d->queued = p->next;
		free(p);
	}
	d->n_queued = 0;
	if (d->queue_ev)
		event_free(d->queue_ev);
	d->queue_ev = NULL;
}
