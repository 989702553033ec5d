/* The host's shared starts: what every patience and rpr of a user falls
 * back to when no daemon answers, so that they still share each resource's
 * limit instead of each keeping its own. It lives in a small file beside
 * the daemon's socket (SOCKET.starts), locked with flock(2) by whoever reads
 * or writes it; a running daemon holds that lock for its whole life, so a
 * client that can take it knows that no daemon is serving.
 *
 * The file says which resources it knows, each with its limit and its
 * starts (the same Diophantine rule as the daemon, or a GCRA TAT for a
 * limit with bursts), and what the last daemon left behind: it may have
 * granted starts up to horizon_ms that the file does not list, so a
 * resource first entered while those can still count takes no start
 * before they have all left its window (horizon + W + g).
 *
 * This is the pure part: the file's bytes <-> a pt_host_starts, and the
 * placement. Times are CLOCK_REALTIME ms. Not thread-safe; no global state. */
#ifndef PATIENCE_HOST_STARTS_H
#define PATIENCE_HOST_STARTS_H

#include <stddef.h>
#include <stdint.h>

#include "patience/diophantine.h"
#include "patience/gcra.h"

#define PT_HOST_STARTS_MAX_ENTRIES 4096
#define PT_HOST_STARTS_MAX_STARTS 65536 /* per resource */
#define PT_HOST_STARTS_NAME_MAX 256

typedef struct pt_host_entry {
	char *name;    /* owned */
	int64_t burst; /* 0: a sliding window (dio); else GCRA (gcra) */
	int64_t not_before_ms; /* the last daemon's grants count until then */
	pt_dio dio;    /* limit, window, guard, and the starts (ids: whose) */
	pt_gcra gcra;  /* with a burst: its TAT */
} pt_host_entry;

typedef struct pt_host_starts {
	int64_t daemon_pid; /* the daemon that last held the file (0: none) */
	int64_t horizon_ms; /* it may have granted starts up to this time */
	int64_t share_of;   /* it shared each limit with this many daemons (>= 1) */
	pt_host_entry *entries;
	size_t n;
} pt_host_starts;

/* The file's bytes (len 0: a new file, empty). PT_OK; PT_EINVAL when they
 * are not such a file (out is then empty); PT_ENOMEM. */
int pt_host_starts_parse(const unsigned char *buf, size_t len, pt_host_starts *out);
/* Bytes for the file, malloc'd. PT_OK or PT_ENOMEM. */
int pt_host_starts_format(const pt_host_starts *s, unsigned char **buf, size_t *len);
void pt_host_starts_release(pt_host_starts *s);

/* name's entry, or NULL. */
pt_host_entry *pt_host_starts_find(const pt_host_starts *s, const char *name);

/* name's entry, created with this limit when new (limit per window_ms,
 * guard_ms, burst; the limit divided by share_of, at least 1), taking no
 * start before the daemon's horizon has left its window. NULL: out of
 * memory, bad limits, or too many entries. */
pt_host_entry *pt_host_starts_entry(pt_host_starts *s, const char *name, int64_t limit,
				    int64_t window_ms, int64_t guard_ms, int64_t burst,
				    int64_t now_ms);

/* The least base >= not_before_ms at which base + offsets[i] keep e's
 * limit; then reserve them under id. PT_OK; errors as pt_dio_find. */
int pt_host_entry_find(const pt_host_entry *e, int64_t not_before_ms, const int64_t *offsets,
		       size_t k, int64_t *base_out);
int pt_host_entry_reserve(pt_host_entry *e, uint64_t id, int64_t base_ms,
			  const int64_t *offsets, size_t k);

/* Drop starts that count in no window from now_ms on, and the starts a
 * second or more ahead of ids that alive says are gone (alive NULL: keep
 * them). */
void pt_host_starts_expire(pt_host_starts *s, int64_t now_ms, int (*alive)(uint64_t id));

/* ---- the file (host_starts_file.c) ---- */

/* SOCKET.starts, locked while open. */
typedef struct pt_host_file {
	int fd;
	pt_host_starts s;
	char path[4096];
} pt_host_file;

/* Open (creating it and its private directory) and lock the host's starts
 * beside socket_path, trying for up to wait_ms (< 0: as long as it takes),
 * and read them (a file that is not ours is read as empty, and replaced
 * when saved). PT_OK; PT_EBUSY: someone held it all along (a running
 * daemon holds it for good); PT_EIO/PT_EINVAL/PT_ENOMEM with err. */
int pt_host_file_open(pt_host_file *f, const char *socket_path, int64_t wait_ms, char *err,
		      size_t err_len);
/* Write f->s back (expired starts and those of gone processes dropped).
 * PT_OK or PT_EIO (the file keeps what it held). */
int pt_host_file_save(pt_host_file *f, int64_t now_ms);
/* Unlock and close (f->s is released). */
void pt_host_file_close(pt_host_file *f);

/* The id of this process's n-th reservation in the file: its pid says
 * whether its future starts still count. */
uint64_t pt_host_starts_id(uint64_t n);

#endif
