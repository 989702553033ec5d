/* The host's shared starts as a run's fallback (host_limiter.h). */
#include "client/host_limiter.h"

#include "exec/clock.h"
#include "lib/set_error.h"
#include "patience/error.h"
#include "patience/host_starts.h"

#define ROUNDS_MAX 64 /* the file's base and the caller's, in turn, until they agree */

/* The least base >= from both the entry and the caller's limits allow. */
static int place(const pt_host_entry *e, const int64_t *offsets, size_t k, int64_t from,
		 pt_host_place_fn also, void *ctx, int64_t *base)
{
	for (int round = 0; round < ROUNDS_MAX; round++) {
		int64_t b = from;
		int rc = pt_host_entry_find(e, from, offsets, k, &b);
		if (rc == PT_OK && also)
			rc = also(ctx, b, &b);
		if (rc != PT_OK || b == from) {
			*base = b;
			return rc;
		}
		from = b;
	}
	*base = from; /* close enough: the file's rule holds at it, checked below */
	return pt_host_entry_find(e, from, offsets, k, base);
}

int pt_host_grant(pt_host_limiter *h, const int64_t *offsets, size_t k, int64_t not_before_ms,
		  pt_host_place_fn also, void *ctx, int64_t *base_ms, char *err, size_t err_len)
{
	pt_host_file f;
	int64_t now = pt_realtime_ms();
	int rc = pt_host_file_open(&f, h->socket_path, PT_HOST_LOCK_WAIT_MS, err, err_len);
	if (rc != PT_OK)
		return rc;
	pt_host_entry *e = pt_host_starts_entry(&f.s, h->resource, h->limit, h->window_ms,
						h->guard_ms, h->burst, now);
	if (!e) {
		pt_set_error(err, err_len, "\"%s\" has no room for \"%s\"", f.path, h->resource);
		rc = PT_ENOMEM;
	}
	uint64_t id = pt_host_starts_id(h->made + 1);
	if (rc == PT_OK)
		rc = place(e, offsets, k, not_before_ms > now ? not_before_ms : now, also, ctx,
			   base_ms);
	if (rc == PT_OK && *base_ms > now + PT_HOST_LOOKAHEAD_MS) {
		pt_host_file_close(&f);
		return PT_ERANGE;
	}
	if (rc == PT_OK && (rc = pt_host_entry_reserve(e, id, *base_ms, offsets, k)) == PT_OK &&
	    (rc = pt_host_file_save(&f, now)) != PT_OK)
		pt_set_error(err, err_len, "cannot write \"%s\"", f.path);
	else if (rc != PT_OK)
		pt_set_error(err, err_len, "\"%s\": %s", f.path, pt_strerror(rc));
	if (rc == PT_OK)
		h->held = id;
	h->made++;
	pt_host_file_close(&f);
	return rc;
}

/* Opens the file and finds our resource's entry for a change of our own
 * starts; NULL (nothing to change, the file closed) when there are none. */
static pt_host_entry *our_entry(pt_host_limiter *h, pt_host_file *f)
{
	if (!h->held || pt_host_file_open(f, h->socket_path, PT_HOST_LOCK_WAIT_MS, NULL, 0) != PT_OK)
		return NULL;
	pt_host_entry *e = pt_host_starts_find(&f->s, h->resource);
	if (!e)
		pt_host_file_close(f);
	return e;
}

void pt_host_cancel(pt_host_limiter *h, int64_t from_ms)
{
	pt_host_file f;
	pt_host_entry *e = our_entry(h, &f);
	if (!e)
		return;
	pt_dio_cancel(&e->dio, h->held, from_ms);
	pt_host_file_save(&f, pt_realtime_ms());
	pt_host_file_close(&f);
}

void pt_host_started(pt_host_limiter *h, int64_t granted_ms, int64_t started_ms)
{
	pt_host_file f;
	pt_host_entry *e = our_entry(h, &f);
	int64_t now = pt_realtime_ms();
	if (!e)
		return;
	if (started_ms > now)
		started_ms = now; /* it happened before now: no cancel of ours may drop it */
	if (e->burst && started_ms > granted_ms)
		pt_gcra_started_at(&e->gcra, started_ms);
	pt_dio_move(&e->dio, h->held, granted_ms, started_ms);
	pt_host_file_save(&f, now);
	pt_host_file_close(&f);
}
