/* Circuit breakers shared by every client of a resource: one pt_breaker
 * per (uid, resource), fed by every client's outcomes. A plain list, as
 * memo.c: a uid holds at most PT_BREAKERS_PER_UID_MAX and a request touches
 * one. Probe permits are recorded per connection, so that a prober that
 * dies gives its permit back at once instead of stalling the half-open
 * breaker. Every state change is logged and counted for /metrics. */
#include "daemon/daemon.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

pt_breaker_entry *pt_breaker_find(const pt_breaker_table *t, uint32_t uid, const char *resource)
{
	for (pt_breaker_entry *e = t->first; e; e = e->next)
		if (e->uid == uid && strcmp(e->resource, resource) == 0)
			return e;
	return NULL;
}

size_t pt_breaker_count(const pt_breaker_table *t, uint32_t uid)
{
	size_t n = 0;
	for (const pt_breaker_entry *e = t->first; e; e = e->next)
		n += e->uid == uid || uid == PT_UID_ALL;
	return n;
}

int pt_breaker_get(pt_breaker_table *t, uint32_t uid, const char *resource,
		   const pt_breaker_spec *spec, pt_breaker_entry **out)
{
	char text[128];
	if ((*out = pt_breaker_find(t, uid, resource)))
		return PT_OK;
	if (pt_breaker_count(t, uid) >= PT_BREAKERS_PER_UID_MAX)
		return PT_ERANGE;
	pt_breaker_entry *e = calloc(1, sizeof *e);
	if (!e || !(e->resource = strdup(resource)) || pt_breaker_init(&e->b, spec) != PT_OK) {
		if (e)
			free(e->resource);
		free(e);
		return PT_ENOMEM;
	}
	e->uid = uid;
	e->next = t->first;
	t->first = e;
	pt_breaker_spec_format(spec, text, sizeof text);
	pt_log(PT_LOG_INFO, "uid %u: breaker \"%s\" created: %s", uid, resource, text);
	*out = e;
	return PT_OK;
}

static void note_change(pt_breaker_entry *e, const pt_breaker_change *ch)
{
	if (!ch->changed)
		return;
	e->entered[ch->to]++;
	pt_log(PT_LOG_INFO, "uid %u: breaker \"%s\": %s -> %s (%s)", e->uid, e->resource,
	       pt_breaker_state_name(ch->from), pt_breaker_state_name(ch->to), ch->why);
}

int pt_breaker_admit_for(pt_breaker_entry *e, pt_probe_permit **permits, int64_t now_ms,
			 pt_breaker_admission *out)
{
	pt_breaker_change ch;
	pt_breaker_admit(&e->b, now_ms, out, &ch);
	note_change(e, &ch);
	if (!out->probe_round)
		return PT_OK;
	pt_probe_permit *p = malloc(sizeof *p);
	if (!p) {
		pt_breaker_return_probe(&e->b, out->probe_round);
		return PT_ENOMEM;
	}
	*p = (pt_probe_permit){.e = e, .round = out->probe_round, .next = *permits};
	*permits = p;
	return PT_OK;
}

/* The round of a permit of e in *permits, which is dropped; 0: none. */
static uint64_t take_permit(pt_breaker_entry *e, pt_probe_permit **permits)
{
	for (pt_probe_permit **pp = permits; *pp; pp = &(*pp)->next) {
		pt_probe_permit *p = *pp;
		if (p->e != e)
			continue;
		uint64_t round = p->round;
		*pp = p->next;
		free(p);
		return round;
	}
	return 0;
}

void pt_breaker_report_for(pt_breaker_entry *e, pt_probe_permit **permits, bool success,
			   int64_t now_ms)
{
	pt_breaker_change ch;
	pt_breaker_report(&e->b, success, take_permit(e, permits), now_ms, &ch);
	note_change(e, &ch);
}

void pt_breaker_permits_close(pt_probe_permit **permits)
{
	while (*permits) {
		pt_probe_permit *p = *permits;
		*permits = p->next;
		pt_breaker_return_probe(&p->e->b, p->round);
		pt_log(PT_LOG_DEBUG, "uid %u: breaker \"%s\": a probe's connection closed; its "
		       "permit is free again", p->e->uid, p->e->resource);
		free(p);
	}
}

void pt_breaker_table_release(pt_breaker_table *t)
{
	while (t->first) {
		pt_breaker_entry *e = t->first;
		t->first = e->next;
		pt_breaker_release(&e->b);
		free(e->resource);
		free(e);
	}
}
