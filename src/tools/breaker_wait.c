#include "breaker_wait.h"

#include <stdio.h>
#include <string.h>

#include "exec/clock.h"
#include "exec/wait.h"
#include "patience.h"
#include "patience/duration.h"

/* With -v, once per state waited in. */
static void say_waiting(breaker_client *bc, const char *state, int64_t wait_ms)
{
	char wait[32];
	if (!bc->cfg.verbose_prefix || strcmp(bc->said_state, state) == 0)
		return;
	snprintf(bc->said_state, sizeof bc->said_state, "%s", state);
	pt_duration_format(wait_ms > 0 ? wait_ms : 0, wait, sizeof wait);
	fprintf(stderr, "%scircuit %s for resource %s; waiting %s\n", bc->cfg.verbose_prefix,
		strcmp(state, "half_open") == 0 ? "half-open (probes running)" : "open",
		bc->cfg.resource_id, wait);
}

int breaker_client_admit(breaker_client *bc, int signal_fd, int64_t deadline_ns, bool *waited,
			 char *reason, size_t reason_len)
{
	pt_breaker_admission a;
	char state[16];
	*waited = false;
	for (;;) {
		if (breaker_client_try(bc, &a, state, sizeof state)) {
			bc->said_state[0] = '\0';
			return 0;
		}
		snprintf(reason, reason_len, "circuit %s for resource %s",
			 strcmp(state, "half_open") == 0 ? "half-open" : "open", bc->cfg.resource_id);
		if (bc->fail_fast)
			return PT_EXIT_CIRCUIT_OPEN;
		if (deadline_ns && a.retry_at_ms * PT_NS_PER_MS >= deadline_ns) {
			snprintf(reason + strlen(reason), reason_len - strlen(reason),
				 " until after the deadline");
			return PT_EXIT_TIMEOUT;
		}
		say_waiting(bc, state, a.retry_at_ms - pt_monotonic_ms());
		*waited = true;
		int sig = pt_wait_until(a.retry_at_ms * PT_NS_PER_MS, signal_fd);
		if (sig)
			return 128 + sig;
	}
}
