/* The host's shared starts (patience/host_starts.h). The file, all
 * integers little-endian:
 *
 *   "PTHS" u32 version=1  i64 daemon_pid  i64 horizon_ms  i64 share_of  u32 n
 *   n x { u16 name_len, name, i64 burst, i64 not_before_ms, i64 limit,
 *         i64 window_ms, i64 guard_ms, u8 has_tat, i64 tat_ms,
 *         u32 count, count x { i64 at_ms, u64 id } }   starts in time order
 *
 * Written by the processes of one user only, yet read as untrusted: every
 * length and value is checked, and a file that fails is treated as empty. */
#include "patience/host_starts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

#define MAGIC "PTHS"
#define ORPHAN_AHEAD_MS 1000
#define VERSION 1

/* ---- reading ---- */

typedef struct reader {
	const unsigned char *p, *end;
	bool bad;
} reader;

static uint64_t get_u(reader *r, size_t n)
{
	uint64_t v = 0;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static int64_t get_i64(reader *r)
{
	uint64_t u = get_u(r, 8);
	int64_t v;
	memcpy(&v, &u, sizeof v);
	return v;
}

static int read_starts(reader *r, pt_host_entry *e)
{
	uint64_t count = get_u(r, 4);
	if (r->bad || count > PT_HOST_STARTS_MAX_STARTS ||
	    count > (uint64_t)(r->end - r->p) / 16)
		return PT_EINVAL;
	if (count && !(e->dio.starts = malloc(count * sizeof *e->dio.starts)))
		return PT_ENOMEM;
	e->dio.capacity = count;
	for (uint64_t i = 0; i < count; i++) {
		pt_dio_start *st = &e->dio.starts[i];
		st->at_ms = get_i64(r);
		st->reservation = get_u(r, 8);
		if (i > 0 && st->at_ms < st[-1].at_ms)
			return PT_EINVAL;
		e->dio.count++;
	}
	return PT_OK;
}

static int read_entry(reader *r, pt_host_entry *e)
{
	size_t len = (size_t)get_u(r, 2);
	if (r->bad || len == 0 || len > PT_HOST_STARTS_NAME_MAX || len > (size_t)(r->end - r->p) ||
	    memchr(r->p, '\0', len))
		return PT_EINVAL;
	if (!(e->name = malloc(len + 1)))
		return PT_ENOMEM;
	memcpy(e->name, r->p, len);
	e->name[len] = '\0';
	r->p += len;
	e->burst = get_i64(r);
	e->not_before_ms = get_i64(r);
	int64_t limit = get_i64(r), window = get_i64(r), guard = get_i64(r);
	uint64_t has_tat = get_u(r, 1);
	int64_t tat = get_i64(r);
	/* one way to write each state: a TAT only with a burst, 0 without */
	if (r->bad || pt_dio_init(&e->dio, limit, window, guard) != PT_OK ||
	    (e->burst && pt_gcra_init(&e->gcra, limit, window, e->burst, guard) != PT_OK) ||
	    has_tat > (e->burst != 0) || (!has_tat && tat) ||
	    tat < -PT_GCRA_TIME_MAX || tat > PT_GCRA_TIME_MAX)
		return PT_EINVAL;
	e->gcra.has_tat = has_tat;
	e->gcra.tat_ms = tat;
	return read_starts(r, e);
}

int pt_host_starts_parse(const unsigned char *buf, size_t len, pt_host_starts *out)
{
	reader r = {buf, buf + len, false};
	memset(out, 0, sizeof *out);
	out->share_of = 1;
	if (len == 0)
		return PT_OK;
	if (len < 4 || memcmp(buf, MAGIC, 4) != 0)
		return PT_EINVAL;
	r.p += 4;
	uint64_t version = get_u(&r, 4);
	int64_t pid = get_i64(&r), horizon = get_i64(&r), share_of = get_i64(&r);
	uint64_t n = get_u(&r, 4);
	if (r.bad || version != VERSION || share_of < 1 || n > PT_HOST_STARTS_MAX_ENTRIES)
		return PT_EINVAL;
	if (n && !(out->entries = calloc(n, sizeof *out->entries)))
		return PT_ENOMEM;
	int rc = PT_OK;
	for (uint64_t i = 0; i < n && rc == PT_OK; i++, out->n++)
		rc = read_entry(&r, &out->entries[i]);
	if (rc == PT_OK && r.p != r.end)
		rc = PT_EINVAL;
	if (rc != PT_OK) {
		pt_host_starts_release(out);
		out->share_of = 1;
		return rc;
	}
	out->daemon_pid = pid;
	out->horizon_ms = horizon;
	out->share_of = share_of;
	return PT_OK;
}

/* ---- writing ---- */

typedef struct writer {
	unsigned char *p;
} writer;

static void put_u(writer *w, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*w->p++ = (unsigned char)(v >> (8 * i));
}

static void put_i64(writer *w, int64_t v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	put_u(w, u, 8);
}

static size_t entry_size(const pt_host_entry *e)
{
	return 2 + strlen(e->name) + 6 * 8 + 1 + 4 + 16 * e->dio.count;
}

static void put_entry(writer *w, const pt_host_entry *e)
{
	size_t len = strlen(e->name);
	put_u(w, len, 2);
	memcpy(w->p, e->name, len);
	w->p += len;
	put_i64(w, e->burst);
	put_i64(w, e->not_before_ms);
	put_i64(w, e->dio.limit);
	put_i64(w, e->dio.window_ms);
	put_i64(w, e->dio.guard_ms);
	put_u(w, e->burst && e->gcra.has_tat, 1);
	put_i64(w, e->burst && e->gcra.has_tat ? e->gcra.tat_ms : 0);
	put_u(w, e->dio.count, 4);
	for (size_t i = 0; i < e->dio.count; i++) {
		put_i64(w, e->dio.starts[i].at_ms);
		put_u(w, e->dio.starts[i].reservation, 8);
	}
}

int pt_host_starts_format(const pt_host_starts *s, unsigned char **buf, size_t *len)
{
	size_t n = 4 + 4 + 3 * 8 + 4;
	for (size_t i = 0; i < s->n; i++)
		n += entry_size(&s->entries[i]);
	writer w = {malloc(n)};
	if (!w.p)
		return PT_ENOMEM;
	*buf = w.p;
	*len = n;
	memcpy(w.p, MAGIC, 4);
	w.p += 4;
	put_u(&w, VERSION, 4);
	put_i64(&w, s->daemon_pid);
	put_i64(&w, s->horizon_ms);
	put_i64(&w, s->share_of);
	put_u(&w, s->n, 4);
	for (size_t i = 0; i < s->n; i++)
		put_entry(&w, &s->entries[i]);
	return PT_OK;
}

void pt_host_starts_release(pt_host_starts *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->entries[i].name);
		pt_dio_release(&s->entries[i].dio);
	}
	free(s->entries);
	s->entries = NULL;
	s->n = 0;
}

/* ---- entries and placement ---- */

static pt_host_entry *entry_new(pt_host_starts *s, const char *name, int64_t limit,
				int64_t window_ms, int64_t guard_ms, int64_t burst)
{
	pt_host_entry e = {.burst = burst};
	size_t len = strlen(name);
	if (s->n >= PT_HOST_STARTS_MAX_ENTRIES || len == 0 || len > PT_HOST_STARTS_NAME_MAX ||
	    pt_dio_init(&e.dio, limit, window_ms, guard_ms) != PT_OK ||
	    (burst && pt_gcra_init(&e.gcra, limit, window_ms, burst, guard_ms) != PT_OK))
		return NULL;
	pt_host_entry *grown = realloc(s->entries, (s->n + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	s->entries = grown;
	if (!(e.name = strdup(name)))
		return NULL;
	s->entries[s->n] = e;
	return &s->entries[s->n++];
}

pt_host_entry *pt_host_starts_find(const pt_host_starts *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->entries[i].name, name) == 0)
			return &s->entries[i];
	return NULL;
}

pt_host_entry *pt_host_starts_entry(pt_host_starts *s, const char *name, int64_t limit,
				    int64_t window_ms, int64_t guard_ms, int64_t burst,
				    int64_t now_ms)
{
	pt_host_entry *found = pt_host_starts_find(s, name);
	if (found)
		return found;
	int64_t share = s->share_of > 1 ? limit / s->share_of : limit;
	pt_host_entry *e = entry_new(s, name, share >= 1 ? share : 1, window_ms, guard_ms, burst);
	if (e && s->horizon_ms > now_ms - window_ms - guard_ms)
		e->not_before_ms = s->horizon_ms + window_ms + guard_ms;
	return e;
}

int pt_host_entry_find(const pt_host_entry *e, int64_t not_before_ms, const int64_t *offsets,
		       size_t k, int64_t *base_out)
{
	int64_t from = not_before_ms > e->not_before_ms ? not_before_ms : e->not_before_ms;
	if (e->burst)
		return pt_gcra_find(&e->gcra, from, offsets, k, base_out);
	return pt_dio_find(&e->dio, from, offsets, k, base_out);
}

int pt_host_entry_reserve(pt_host_entry *e, uint64_t id, int64_t base_ms,
			  const int64_t *offsets, size_t k)
{
	if (e->burst) {
		pt_gcra_commit(&e->gcra, base_ms, offsets, k);
		return PT_OK;
	}
	return pt_dio_reserve(&e->dio, id, base_ms, offsets, k);
}

/* Drops the starts of ids that are gone, from a second ahead on: nearer
 * ones may have been made (a start's ms rounded up, a clock read early). */
static void drop_orphans(pt_dio *d, int64_t now_ms, int (*alive)(uint64_t id))
{
	size_t w = 0;
	for (size_t r = 0; r < d->count; r++)
		if (d->starts[r].at_ms <= now_ms + ORPHAN_AHEAD_MS || alive(d->starts[r].reservation))
			d->starts[w++] = d->starts[r];
	d->count = w;
}

/* Does e still say anything: a start, a wait, or a bucket not yet full? */
static bool entry_live(const pt_host_entry *e, int64_t now_ms)
{
	return e->dio.count || e->not_before_ms > now_ms ||
	       (e->burst && e->gcra.has_tat && e->gcra.tat_ms > now_ms);
}

void pt_host_starts_expire(pt_host_starts *s, int64_t now_ms, int (*alive)(uint64_t id))
{
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++) {
		pt_host_entry *e = &s->entries[i];
		pt_dio_expire(&e->dio, now_ms);
		if (alive)
			drop_orphans(&e->dio, now_ms, alive);
		if (entry_live(e, now_ms)) {
			s->entries[w++] = *e;
			continue;
		}
		free(e->name);
		pt_dio_release(&e->dio);
	}
	s->n = w;
}
