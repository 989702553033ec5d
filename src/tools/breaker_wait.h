/* A run's wait for its circuit breaker (--circuit-breaker, --fail-fast):
 * asks client/breaker_client.h to admit each attempt, and sleeps while the
 * breaker is open, saying so with -v. */
#ifndef PT_TOOLS_BREAKER_WAIT_H
#define PT_TOOLS_BREAKER_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/breaker_client.h"

/* Wait until an attempt may start. Returns 0 (*waited: not at once);
 * PT_EXIT_CIRCUIT_OPEN with --fail-fast; 128+N when signal N came; 124
 * when the deadline (monotonic ns, 0: none) would pass first. Not 0: the
 * reason in reason. */
int breaker_client_admit(breaker_client *bc, int signal_fd, int64_t deadline_ns, bool *waited,
			 char *reason, size_t reason_len);

#endif
