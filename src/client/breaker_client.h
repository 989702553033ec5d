/* A resource's circuit breaker on the client side (--circuit-breaker, and
 * libpatience's pt_limiter_breaker_*): with the daemon, its breaker, shared
 * by every client of the resource; else, or while no daemon answers, one
 * of this process's own (the same pt_breaker logic). Before each attempt
 * the caller asks to be admitted (and waits while the breaker is open, or
 * half-open with every probe taken); after it, it reports the outcome. */
#ifndef PT_CLIENT_BREAKER_CLIENT_H
#define PT_CLIENT_BREAKER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "client/limiter.h"
#include "patience/breaker.h"

typedef struct breaker_client {
	limiter_config cfg; /* tool, resource_id, the daemon's settings, verbose_prefix */
	char spec_text[128];
	bool fail_fast;      /* for the tools' wait (src/tools/breaker_wait.c) */
	pt_client client;
	bool start_failed;  /* an auto-start did not bring a daemon up */
	bool said_local;    /* the one fallback warning has been printed */
	bool said_spec;     /* told that the daemon's spec differs from ours */
	bool on_daemon;     /* the daemon admitted the current attempt */
	pt_breaker local;
	uint64_t local_round; /* the local probe permit of the current attempt */
	char said_state[16];  /* the state the tools' last waiting line named */
} breaker_client;

/* cfg is copied (its strings must outlive bc). Returns 0, or -1 after
 * printing why (out of memory). */
int breaker_client_init(breaker_client *bc, const limiter_config *cfg,
			const pt_breaker_spec *spec, bool fail_fast);
void breaker_client_release(breaker_client *bc);

/* May an attempt start now? Asks the daemon (when enabled and answering),
 * else the local breaker. true: admitted (a->probe_round: as a probe);
 * false: not before a->retry_at_ms (CLOCK_MONOTONIC ms). state gets the
 * breaker's state ("closed", "open", "half_open"). */
bool breaker_client_try(breaker_client *bc, pt_breaker_admission *a, char *state,
			size_t state_len);
/* The admitted attempt ended. */
void breaker_client_report(breaker_client *bc, bool success);

#endif
