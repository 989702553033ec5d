/* --concurrency N, and libpatience's pt_limiter_lease_*: a lease held
 * while each command runs, so that at most N commands of a resource run at
 * once across every process of the host. From the daemon (on a connection of its own: the lease dies with it, so
 * a holder killed with -9 frees it at once; FIFO), and from N flock(2)ed
 * lock files beside the daemon's socket (the kernel frees a dead holder's):
 * the files alone when there is no daemon, so that runs on either never
 * make more than N together. */
#ifndef PT_CLIENT_LEASE_CLIENT_H
#define PT_CLIENT_LEASE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "client/limiter.h"

typedef struct lease_client {
	limiter_config cfg; /* tool, resource, the daemon's settings; strings not owned */
	int64_t concurrency;
	pt_client client;   /* the lease connection; fd -1: none */
	bool start_failed, said_fallback, said_limit, local;
	uint64_t held;      /* the daemon's lease id; 0: none */
	int64_t limit;      /* the daemon's N in force for the resource */
	int lock_fd;        /* the local lock held; -1: none */
} lease_client;

/* cfg is copied; its verbose_prefix, when set, tells of a daemon whose
 * concurrency differs from ours. */
void lease_client_init(lease_client *l, const limiter_config *cfg, int64_t concurrency);
/* Wait until one of the N leases is ours (a no-op while one is held).
 * Returns PT_OK, also when cfg.interrupted ended the wait (then none is
 * held); PT_EINVAL when the daemon refused us, PT_EIO when the lock files
 * have no directory (both said through cfg.say). */
int lease_acquire(lease_client *l);
/* The command exited: give the lease back. */
void lease_release(lease_client *l);
/* Release, and close the connection. */
void lease_client_close(lease_client *l);
/* In a forked child: drop what the parent's copy holds, untouched for it. */
void lease_client_forget(lease_client *l);

#endif
