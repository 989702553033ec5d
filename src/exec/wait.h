/* Sleeping to an absolute CLOCK_MONOTONIC deadline, woken early by
 * SIGINT/SIGTERM/SIGHUP. */
#ifndef PT_EXEC_WAIT_H
#define PT_EXEC_WAIT_H

#include <stdint.h>

/* Returns 0 at the deadline, or the terminating signal that arrived. */
int pt_wait_until(int64_t deadline_ns, int signal_fd);

#endif
