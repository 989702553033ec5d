#include "client/breaker_client.h"

#include <stdio.h>
#include <string.h>

#include "exec/clock.h"
#include "patience/error.h"

int breaker_client_init(breaker_client *bc, const limiter_config *cfg,
			const pt_breaker_spec *spec, bool fail_fast)
{
	memset(bc, 0, sizeof *bc);
	bc->cfg = *cfg;
	bc->fail_fast = fail_fast;
	bc->client.fd = -1;
	pt_breaker_spec_format(spec, bc->spec_text, sizeof bc->spec_text);
	if (pt_breaker_init(&bc->local, spec) != PT_OK) {
		limiter_warn(cfg, "%s: cannot set up the circuit breaker", cfg->tool);
		return -1;
	}
	return 0;
}

void breaker_client_release(breaker_client *bc)
{
	pt_client_close(&bc->client);
	pt_breaker_release(&bc->local);
}

static void say_local(breaker_client *bc, const char *why)
{
	limiter_say_unavailable(&bc->said_local, &bc->cfg, why, "a local circuit breaker");
}

/* The first client's spec made the daemon's breaker: say once when it is not ours. */
static void check_spec(breaker_client *bc, const pt_breaker_reply *r)
{
	if (bc->said_spec || strcmp(r->spec, bc->spec_text) == 0)
		return;
	bc->said_spec = true;
	limiter_warn(&bc->cfg, "%s: the daemon's circuit breaker for \"%s\" is %s, which applies "
		     "instead of %s", bc->cfg.tool, bc->cfg.resource_id, r->spec, bc->spec_text);
}

/* Ask the daemon: 0 with *a (retry_at_ms on CLOCK_MONOTONIC), -1 to decide locally. */
static int daemon_admit(breaker_client *bc, pt_breaker_admission *a, char *state,
			size_t state_len)
{
	char err[256];
	pt_breaker_reply r;
	if (bc->client.fd < 0 &&
	    limiter_connect(&bc->client, &bc->cfg, &bc->start_failed, err, sizeof err) != PT_OK) {
		say_local(bc, err);
		return -1;
	}
	if (pt_client_breaker_admit(&bc->client, bc->cfg.resource_id, bc->spec_text, &r, err,
				    sizeof err) != PT_OK) {
		say_local(bc, err);
		return -1;
	}
	check_spec(bc, &r);
	*a = (pt_breaker_admission){.admit = r.admit, .probe_round = r.probe,
				    .retry_at_ms = r.retry_at_ms - pt_realtime_ms() + pt_monotonic_ms()};
	snprintf(state, state_len, "%s", r.state);
	return 0;
}

/* With -v: a local state change. */
static void say_change(const breaker_client *bc, const pt_breaker_change *ch)
{
	if (ch->changed)
		limiter_note(&bc->cfg, "circuit for resource %s: %s -> %s (%s)", bc->cfg.resource_id,
			     pt_breaker_state_name(ch->from), pt_breaker_state_name(ch->to), ch->why);
}

static void local_admit(breaker_client *bc, pt_breaker_admission *a, char *state,
			size_t state_len)
{
	pt_breaker_change ch;
	pt_breaker_admit(&bc->local, pt_monotonic_ms(), a, &ch);
	say_change(bc, &ch);
	bc->local_round = a->probe_round;
	snprintf(state, state_len, "%s", pt_breaker_state_name(bc->local.state));
}

bool breaker_client_try(breaker_client *bc, pt_breaker_admission *a, char *state,
			size_t state_len)
{
	bc->on_daemon = bc->cfg.daemon_enabled && daemon_admit(bc, a, state, state_len) == 0;
	if (!bc->on_daemon)
		local_admit(bc, a, state, state_len);
	return a->admit;
}

void breaker_client_report(breaker_client *bc, bool success)
{
	char err[256];
	pt_breaker_reply r;
	pt_breaker_change ch;
	/* the local breaker hears every outcome, to stand in for the daemon's */
	pt_breaker_report(&bc->local, success, bc->on_daemon ? 0 : bc->local_round,
			  pt_monotonic_ms(), &ch);
	say_change(bc, &ch);
	bc->local_round = 0;
	if (bc->on_daemon && pt_client_breaker_report(&bc->client, bc->cfg.resource_id,
						      bc->spec_text, success, &r, err,
						      sizeof err) != PT_OK)
		say_local(bc, err);
}
