/* A run's circuit breaker (--circuit-breaker): with --daemon the daemon's,
 * shared by every client of the resource; else, or while no daemon
 * answers, one of the run's own (the same pt_breaker logic). Before each
 * attempt the run asks to be admitted and waits while the breaker is open
 * (or half-open with every probe taken); after it, it reports the outcome. */
#ifndef PT_TOOLS_BREAKER_CLIENT_H
#define PT_TOOLS_BREAKER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "limiter.h"
#include "patience/breaker.h"

typedef struct breaker_client {
	limiter_config cfg; /* tool, resource_id, the daemon's settings, verbose_prefix */
	char spec_text[128];
	bool fail_fast;
	pt_client client;
	bool start_failed;  /* an auto-start did not bring a daemon up */
	bool said_local;    /* the one fallback warning has been printed */
	bool said_spec;     /* told that the daemon's spec differs from ours */
	bool on_daemon;     /* the daemon admitted the current attempt */
	pt_breaker local;
	uint64_t local_round; /* the local probe permit of the current attempt */
	char said_state[16];  /* the state the last waiting line named */
} breaker_client;

/* cfg is copied (its strings must outlive bc). Returns 0, or -1 after
 * printing why (out of memory). */
int breaker_client_init(breaker_client *bc, const limiter_config *cfg,
			const pt_breaker_spec *spec, bool fail_fast);
void breaker_client_release(breaker_client *bc);

/* Wait until an attempt may start. Returns 0 (*waited: not at once);
 * PT_EXIT_CIRCUIT_OPEN with --fail-fast; 128+N when signal N came; 124
 * when the deadline (monotonic ns, 0: none) would pass first. Not 0: the
 * reason in reason. */
int breaker_client_admit(breaker_client *bc, int signal_fd, int64_t deadline_ns, bool *waited,
			 char *reason, size_t reason_len);
/* The admitted attempt ended. */
void breaker_client_report(breaker_client *bc, bool success);

#endif
