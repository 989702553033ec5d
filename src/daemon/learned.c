/* What the services told: a client that read a rate limit in a response's
 * headers (patience http-aware, --discover) passes it on with a learn
 * request, and from then on it governs every client of the resource.
 *
 * Two things can be learned. A wait ("Retry-After: 30", or a quota at 0
 * until its reset): no start of the resource is placed before it, for any
 * client; it only ever grows, so a stale report never shortens a newer one.
 * A limit ("5000 per hour"): it replaces the resource's limit until it
 * expires, then the limit it replaced comes back. A limit from the config
 * file is never replaced (the administrator's word wins); set_limit and
 * acquire limits are. */
#include "daemon/daemon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "patience/error.h"

static int learn_limit(pt_registry *r, const pt_learn *l, int64_t now_ms, pt_resource **out)
{
	pt_resource *res = pt_registry_find(r, l->uid, l->resource);
	pt_learned keep = {0};
	if (res && res->learned)
		keep = *res->learned; /* what it replaced stays what it replaced */
	else if (res)
		keep = (pt_learned){.prev_limit = res->dio.limit,
				    .prev_window_ms = res->dio.window_ms,
				    .prev_source = res->source};
	else
		keep = (pt_learned){.prev_limit = l->limit, .prev_window_ms = l->window_ms,
				    .prev_source = PT_LIMIT_SET_LIMIT};
	pt_learned *learned = malloc(sizeof *learned);
	if (!learned)
		return PT_ENOMEM;
	int rc = pt_registry_relimit(r, l->uid, l->resource, l->limit, l->window_ms,
				     PT_LIMIT_LEARNED, out);
	if (rc != PT_OK) {
		free(learned);
		return rc;
	}
	*learned = keep;
	learned->expires_ms = l->expires_ms > 0 ? l->expires_ms : now_ms + l->window_ms;
	snprintf(learned->from, sizeof learned->from, "%s", l->from ? l->from : "a client");
	free((*out)->learned);
	(*out)->learned = learned;
	return PT_OK;
}

int pt_learn_apply(pt_registry *r, const pt_learn *l, int64_t now_ms, pt_resource **out)
{
	int rc = PT_OK;
	*out = pt_registry_find(r, l->uid, l->resource);
	if (l->limit > 0)
		rc = learn_limit(r, l, now_ms, out);
	if (!*out && rc == PT_OK) { /* a wait for a resource not seen yet */
		if (l->create_limit <= 0)
			return PT_ENOENT;
		rc = pt_registry_relimit(r, l->uid, l->resource, l->create_limit,
					 l->create_window_ms, PT_LIMIT_ACQUIRE, out);
	}
	if (*out && l->blocked_until_ms > (*out)->blocked_until_ms)
		(*out)->blocked_until_ms = l->blocked_until_ms;
	return rc;
}

void pt_learn_expire(pt_registry *r, int64_t now_ms)
{
	for (size_t i = 0; i < r->res_cap; i++) {
		for (pt_resource *res = r->res_slots[i]; res; res = res->chain) {
			pt_learned *l = res->learned;
			pt_resource *same;
			if (!l || l->expires_ms > now_ms)
				continue;
			res->learned = NULL;
			if (res->source == PT_LIMIT_LEARNED &&
			    pt_registry_relimit(r, res->uid, res->name, l->prev_limit,
						l->prev_window_ms, l->prev_source, &same) != PT_OK)
				res->source = PT_LIMIT_SET_LIMIT; /* keeps the learned values */
			pt_log(PT_LOG_INFO, "uid %u: \"%s\": the limit learned from %s expired; %" PRId64
			       " per %" PRId64 " ms again", res->uid, res->name, l->from,
			       res->dio.limit, res->dio.window_ms);
			free(l);
		}
	}
}
