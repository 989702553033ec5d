/* From settings to a run plan: the checks that involve several settings. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exec/watch.h"
#include "patience.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/gcra.h"
#include "patience/paths.h"
#include "patience/resource_id.h"
#include "patience/settings.h"
#include "resource_of.h"

static const pt_setting *get(const pt_config *cfg, const char *key)
{
	return pt_config_get(cfg, key);
}

static int64_t get_ms(const pt_config *cfg, const char *key)
{
	const pt_setting *s = get(cfg, key);
	return s->text ? s->as.ms : 0;
}

static const char *get_text(const pt_config *cfg, const char *key)
{
	return get(cfg, key)->text;
}

static bool get_bool(const pt_config *cfg, const char *key)
{
	return get(cfg, key)->as.boolean;
}

/* Does s wait as something else says, else as its fallback strategy? */
static bool falls_back(pt_strategy s)
{
	return s == PT_STRATEGY_HTTP_AWARE || s == PT_STRATEGY_ADAPTIVE;
}

/* The strategy whose delays http-aware and adaptive fall back on. */
static pt_strategy fallback_strategy(const pt_config *cfg)
{
	pt_strategy s = PT_STRATEGY_EXPONENTIAL;
	pt_strategy_lookup(get_text(cfg, "fallback_strategy"), &s);
	return s;
}

/* Strategy-specific flags given to another strategy are mistakes;
 * http-aware and adaptive take their fallback strategy's too. */
static int check_flags_apply(const pt_config *cfg, const cli_args *args, pt_strategy s)
{
	for (int i = 0; i < args->n_flags; i++) {
		int setting = args->flags[i].setting;
		if (cli_setting_applies(cfg, setting, s) ||
		    (falls_back(s) &&
		     cli_setting_applies(cfg, setting, fallback_strategy(cfg))))
			continue;
		pt_error("option --%s does not apply to strategy %s (see patience %s --help)",
			 args->flags[i].flag, pt_strategy_name(s), pt_strategy_name(s));
		return PT_EXIT_INTERNAL;
	}
	return 0;
}

static void plan_backoff(const pt_config *cfg, run_plan *plan)
{
	pt_backoff_params *p = &plan->backoff;
	pt_backoff_params_default(p, falls_back(plan->strategy) ? fallback_strategy(cfg)
							       : plan->strategy);
	p->delay_ms = get_ms(cfg, "delay");
	p->increment_ms = get_ms(cfg, "increment");
	p->base_ms = get_ms(cfg, "base_delay");
	p->max_ms = get_ms(cfg, "max_delay");
	if (get(cfg, "multiplier")->text)
		p->multiplier = get(cfg, "multiplier")->as.floating;
	p->exponent = get(cfg, "exponent")->as.floating;
	p->jitter = strcmp(get_text(cfg, "jitter"), "equal") == 0 ? PT_JITTER_EQUAL : PT_JITTER_FULL;
}

/* adaptive: buckets from --base-delay (at least 1ms) to --max-delay (none:
 * as far as a duration goes, within the bucket count). */
static int plan_adaptive(const pt_config *cfg, run_plan *plan)
{
	pt_adaptive_params *a = &plan->adaptive;
	pt_adaptive model;
	a->min_ms = get_ms(cfg, "base_delay") > 0 ? get_ms(cfg, "base_delay") : 1;
	a->max_ms = get_ms(cfg, "max_delay") > 0 ? get_ms(cfg, "max_delay") : PT_DURATION_MAX_MS;
	a->learning_rate = get(cfg, "learning_rate")->as.floating;
	a->window = (unsigned)get(cfg, "memory")->as.integer;
	if (pt_adaptive_init(&model, a) != PT_OK) { /* the settings' ranges prevent it */
		pt_error("adaptive: invalid --learning-rate, --memory or --base-delay");
		return PT_EXIT_INTERNAL;
	}
	return 0;
}


static int plan_seed_and_key(const cli_args *args, run_plan *plan)
{
	uint8_t bytes[16];
	if (args->seed) {
		char *end;
		errno = 0;
		plan->seed = strtoull(args->seed, &end, 10);
		if (!isdigit((unsigned char)args->seed[0]) || *end || errno == ERANGE) {
			pt_error("--seed: invalid value \"%s\": expected an integer from 0 to 2^64-1",
				 args->seed);
			return PT_EXIT_INTERNAL;
		}
		plan->seeded = true;
	} else if (getrandom(&plan->seed, sizeof plan->seed, 0) != sizeof plan->seed) {
		pt_error("cannot read random bytes for the jitter seed");
		return PT_EXIT_INTERNAL;
	}
	if (args->idempotency_key) {
		snprintf(plan->idempotency_key, sizeof plan->idempotency_key, "%s",
			 args->idempotency_key);
		if (strlen(args->idempotency_key) > PT_UUID_TEXT_LEN || !*args->idempotency_key) {
			pt_error("--idempotency-key: invalid value \"%s\": expected 1 to %d characters",
				 args->idempotency_key, PT_UUID_TEXT_LEN);
			return PT_EXIT_INTERNAL;
		}
		return 0;
	}
	if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
		pt_error("cannot read random bytes for the idempotency key");
		return PT_EXIT_INTERNAL;
	}
	pt_uuid_v4_format(bytes, plan->idempotency_key);
	return 0;
}

static void describe_crowded(const run_plan *plan, size_t first, char *buf, size_t len)
{
	char a[32], b[32], w[32], g[32];
	pt_duration_format(plan->offsets[first], a, sizeof a);
	pt_duration_format(plan->offsets[first + (size_t)plan->rate_limit], b, sizeof b);
	pt_duration_format(plan->window_ms, w, sizeof w);
	pt_duration_format(plan->guard_ms, g, sizeof g);
	snprintf(buf, len, "the %" PRId64 " offsets from %s to %s fall within one window of %s "
		 "(+%s guard)", plan->rate_limit + 1, a, b, w, g);
}

/* Without a rate limit, --guard and --burst have nothing to act on, and
 * --priority acts only in the daemon's queue (with --daemon, the daemon's
 * limit for the resource applies, if it has one). */
static int check_unlimited(const pt_config *cfg)
{
	bool priority_flag = get(cfg, "priority")->source == PT_SOURCE_FLAG &&
			     !pt_settings_daemon_enabled(cfg, PT_TOOL_PATIENCE);
	const char *orphan = get_text(cfg, "guard")   ? "--guard"
			     : get_text(cfg, "burst") ? "--burst"
			     : priority_flag          ? "--priority"
						      : NULL;
	if (!orphan)
		return 0;
	pt_error("%s needs a rate limit: give --rate-limit N and --window DUR too%s", orphan,
		 priority_flag ? ", or --daemon" : "");
	return PT_EXIT_INTERNAL;
}

/* An explicit setting beats the profile when it comes from a stronger
 * layer, or from the same one (--profile github -r 100/1h). */
static bool beats_profile(const pt_config *cfg, const char *key)
{
	const pt_setting *s = get(cfg, key), *profile = get(cfg, "profile");
	return s->text && (!profile->text || s->source >= profile->source);
}

int plan_profile(const pt_config *cfg, pt_profile *out)
{
	const char *name = get_text(cfg, "profile");
	if (!name)
		return 1;
	if (pt_profile_lookup(pt_settings_profiles(cfg), name, out) == PT_OK)
		return 0;
	pt_error("--profile: unknown profile \"%s\" (patience profiles lists them)", name);
	return PT_EXIT_INTERNAL;
}

static pt_source max_source(pt_source a, pt_source b)
{
	return a > b ? a : b;
}

/* -r N with -w W, then -r N/W ones: the limits given, in that order, by
 * the strongest layer that gives any (-r 3/1s replaces a file's rate_limit
 * and window, as -r 3 would). */
static int explicit_limits(const pt_config *cfg, bool dio, run_plan *plan)
{
	const pt_setting *limit = get(cfg, "rate_limit"), *w = get(cfg, "window");
	const pt_setting *limits = get(cfg, "limits");
	pt_source top = max_source(max_source(limit->source, w->source), limits->source);
	bool pair = limit->source == top || w->source == top;
	const char *window = w->text, *list = limits->source == top ? limits->text : NULL;
	if (pair && (limit->text || window)) {
		if (!limit->text || !window) {
			pt_error("%s needs both --rate-limit N and --window DUR (as in patience %s "
				 "-r 10 -w 1m -- CMD), or --rate-limit N/DUR",
				 dio ? "diophantine" : "a rate limit", pt_strategy_name(plan->strategy));
			return PT_EXIT_INTERNAL;
		}
		if (get_ms(cfg, "window") <= 0) {
			pt_error("--window: invalid value \"%s\": expected a duration above 0", window);
			return PT_EXIT_INTERNAL;
		}
		plan->limits.items[plan->limits.count++] =
			(pt_limit){.count = limit->as.integer, .window_ms = get_ms(cfg, "window")};
	}
	if (list && pt_limit_list_parse(list, &plan->limits) != PT_OK) {
		pt_error("--rate-limit: more than %d limits in all", PT_LIMITS_MAX);
		return PT_EXIT_INTERNAL;
	}
	return 0;
}

/* --burst B makes the primary limit a GCRA one (patience/gcra.h), and so
 * does rate_limiting.default_algorithm = gcra with bursts of 1. */
static int plan_burst(const pt_config *cfg, const pt_limit *primary, run_plan *plan)
{
	if (!get_text(cfg, "burst")) {
		if (pt_settings_even_starts(cfg) && primary->calendar == PT_CALENDAR_NONE)
			plan->burst = 1;
		return 0;
	}
	if (primary->calendar != PT_CALENDAR_NONE) {
		char text[48];
		pt_limit_format(primary, text, sizeof text);
		pt_error("--burst needs a sliding limit N/DUR, not \"%s\"", text);
		return PT_EXIT_INTERNAL;
	}
	plan->burst = get(cfg, "burst")->as.integer;
	pt_gcra check;
	if (pt_gcra_init(&check, plan->rate_limit, plan->window_ms, plan->burst, plan->guard_ms)) {
		pt_error("--burst: invalid value \"%s\": expected at most 100 years of "
			 "tolerance, (B-1) * W/N", get_text(cfg, "burst"));
		return PT_EXIT_INTERNAL;
	}
	return 0;
}

/* N per W: required by diophantine, optional for the rest; from the
 * flags and settings, else the profile. */
static int plan_rate_limit(const pt_config *cfg, const pt_profile *profile, run_plan *plan)
{
	bool dio = plan->strategy == PT_STRATEGY_DIOPHANTINE;
	bool explicit = beats_profile(cfg, "rate_limit") || beats_profile(cfg, "window") ||
			beats_profile(cfg, "limits");
	if (profile && !explicit)
		plan->limits = profile->limits;
	else if (explicit_limits(cfg, dio, plan))
		return PT_EXIT_INTERNAL;
	if (plan->limits.count == 0 && dio) {
		pt_error("diophantine needs a limit: --rate-limit N/DUR, --rate-limit N and "
			 "--window DUR, or --profile NAME (as in patience diophantine -r 10/1m -- CMD)");
		return PT_EXIT_INTERNAL;
	}
	if (plan->limits.count == 0)
		return check_unlimited(cfg);
	const pt_limit *primary = pt_limit_list_primary(&plan->limits);
	plan->limited = true;
	plan->tz = get_text(cfg, "tz");
	plan->rate_limit = primary->count;
	plan->window_ms = primary->window_ms;
	plan->guard_given = get_text(cfg, "guard") != NULL;
	plan->guard_ms = plan->guard_given ? get_ms(cfg, "guard")
					   : pt_dio_default_guard(plan->window_ms);
	plan->n_offsets = 1; /* every attempt is one start, placed on its own */
	return plan_burst(cfg, primary, plan);
}

/* Under a burst limit the offsets must conform among themselves. */
static int check_burst_offsets(const pt_config *cfg, const run_plan *plan)
{
	pt_gcra g;
	int64_t base;
	char w[32];
	pt_duration_format(plan->window_ms, w, sizeof w);
	pt_gcra_init(&g, plan->rate_limit, plan->window_ms, plan->burst, plan->guard_ms);
	if (pt_gcra_find(&g, 0, plan->offsets, plan->n_offsets, &base) == PT_OK)
		return 0;
	pt_error("--retry-offsets \"%s\" can never fit bursts of %" PRId64 " at %" PRId64
		 " per %s (starts %" PRId64 " ms apart, guard %" PRId64 " ms)",
		 get_text(cfg, "retry_offsets"), plan->burst, plan->rate_limit, w, g.interval_ms, plan->guard_ms);
	return PT_EXIT_INTERNAL;
}

static int plan_diophantine(const pt_config *cfg, run_plan *plan, bool attempts_given)
{
	pt_duration_list_parse(get_text(cfg, "retry_offsets"), plan->offsets, PT_DIO_MAX_OFFSETS,
			       &plan->n_offsets);
	/* Only an explicit flag may ask for more attempts than offsets; a
	 * general attempts setting from a file is capped by them. */
	if (attempts_given && (size_t)plan->attempts > plan->n_offsets) {
		pt_error("--attempts %d needs as many retry offsets, but --retry-offsets \"%s\" "
			 "has %zu", plan->attempts, get_text(cfg, "retry_offsets"), plan->n_offsets);
		return PT_EXIT_INTERNAL;
	}
	if ((size_t)plan->attempts < plan->n_offsets &&
	    get(cfg, "attempts")->source != PT_SOURCE_DEFAULT)
		plan->n_offsets = (size_t)plan->attempts;
	plan->attempts = (int)plan->n_offsets;
	size_t first = 0;
	int rc = pt_dio_check_offsets(plan->rate_limit, plan->window_ms + plan->guard_ms,
				      plan->offsets, plan->n_offsets, &first);
	if (plan->burst && rc != PT_EINVAL)
		return check_burst_offsets(cfg, plan);
	if (rc == PT_EINVAL) {
		pt_error("--retry-offsets: invalid value \"%s\": expected increasing durations "
			 "starting at 0 or later", get_text(cfg, "retry_offsets"));
		return PT_EXIT_INTERNAL;
	}
	if (rc == PT_EINFEASIBLE) {
		char why[256];
		describe_crowded(plan, first, why, sizeof why);
		pt_error("--retry-offsets \"%s\" can never fit %" PRId64 " per %s: %s",
			 get_text(cfg, "retry_offsets"), plan->rate_limit, get_text(cfg, "window"),
			 why);
		return PT_EXIT_INTERNAL;
	}
	return 0;
}

void plan_resource_id(const pt_config *cfg, const pt_profile *profile, char **command,
		      char *buf, size_t len)
{
	const char *id = get_text(cfg, "resource_id");
	pt_resource_scope scope = PT_RESOURCE_SCOPE_HOST;
	pt_resource_scope_parse(get_text(cfg, "resource_scope"), &scope);
	if (profile && profile->resource[0] && !beats_profile(cfg, "resource_id"))
		id = profile->resource;
	resource_of(command, id, scope, pt_settings_resource_detection(cfg, PT_TOOL_PATIENCE), buf,
		    len);
}

/* --circuit-breaker (checked by its setting) and --fail-fast, which needs it
 * (a config file's fail_fast stays quiet). */
static int plan_breaker(const pt_config *cfg, run_plan *plan)
{
	const char *spec = get_text(cfg, "circuit_breaker");
	plan->breaker = spec != NULL;
	plan->fail_fast = get_bool(cfg, "fail_fast");
	if (plan->breaker)
		return pt_breaker_spec_parse(spec, &plan->breaker_spec, NULL, 0) == PT_OK ? 0
											   : PT_EXIT_INTERNAL;
	if (plan->fail_fast && get(cfg, "fail_fast")->source == PT_SOURCE_FLAG) {
		pt_error("--fail-fast needs --circuit-breaker SPEC: it says what to do while the "
			 "circuit is open");
		return PT_EXIT_INTERNAL;
	}
	return 0;
}

/* The resource id and the daemon's settings. */
static int plan_daemon(const pt_config *cfg, const pt_profile *profile, run_plan *plan)
{
	const char *socket = get_text(cfg, "daemon_socket");
	plan_resource_id(cfg, profile, plan->command, plan->resource_id, sizeof plan->resource_id);
	plan->concurrency = get_text(cfg, "concurrency") ? get(cfg, "concurrency")->as.integer : 0;
	plan->daemon_enabled = pt_settings_daemon_enabled(cfg, PT_TOOL_PATIENCE);
	plan->coordinated = plan->daemon_enabled && !plan->limited;
	pt_priority_parse(get_text(cfg, "priority"), &plan->priority);
	plan->daemon_auto_start = get_bool(cfg, "daemon_auto_start");
	plan->daemon_timeout_ms = get_ms(cfg, "daemon_timeout");
	if (!socket)
		socket = get_text(cfg, "daemon.socket_path");
	if (socket)
		snprintf(plan->daemon_socket, sizeof plan->daemon_socket, "%s", socket);
	else if (pt_default_socket_path(plan->daemon_socket, sizeof plan->daemon_socket) != PT_OK)
		plan->daemon_enabled = false;
	return 0;
}

/* Bad patterns are usage errors, found before anything runs (--dry-run too). */
static int check_patterns(const run_plan *plan)
{
	pt_watch w;
	char err[512];
	if (!plan->success_re && !plan->failure_re)
		return 0;
	if (pt_watch_init(&w, plan->success_re, plan->failure_re, plan->caseless, err,
			  sizeof err) < 0) {
		pt_error("%s", err);
		return PT_EXIT_INTERNAL;
	}
	pt_watch_release(&w);
	return 0;
}

/* http-aware, or --discover on another strategy but diophantine, whose
 * attempts keep to their offsets. A delay the service asks is bounded by
 * --max-delay when it is set, else by 30m: the strategies' 60s default
 * would retry into a longer Retry-After only to be refused again. */
static int plan_discover(const pt_config *cfg, run_plan *plan)
{
	const pt_setting *max = get(cfg, "max_delay"), *discover = get(cfg, "discover");
	plan->discover = plan->strategy == PT_STRATEGY_HTTP_AWARE || discover->as.boolean;
	if (plan->strategy == PT_STRATEGY_DIOPHANTINE) {
		plan->discover = false; /* a config file's discover = true stays quiet */
		if (discover->as.boolean && discover->source == PT_SOURCE_FLAG) {
			pt_error("--discover does not apply to strategy diophantine: its attempts "
				 "keep to their offsets");
			return PT_EXIT_INTERNAL;
		}
	}
	plan->asked_max_ms = max->source == PT_SOURCE_DEFAULT ? (int64_t)30 * 60 * 1000
							   : get_ms(cfg, "max_delay");
	return 0;
}

static pt_strategy chosen_strategy(const pt_config *cfg, const cli_args *args)
{
	pt_strategy s = PT_STRATEGY_EXPONENTIAL;
	if (args->has_strategy)
		return args->strategy;
	pt_strategy_lookup(get_text(cfg, "backoff"), &s);
	return s;
}

int plan_build(const pt_config *cfg, const cli_args *args, run_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->strategy = chosen_strategy(cfg, args);
	if (check_flags_apply(cfg, args, plan->strategy))
		return PT_EXIT_INTERNAL;
	plan_backoff(cfg, plan);
	plan->attempts = (int)get(cfg, "attempts")->as.integer;
	plan->timeout_ms = get_ms(cfg, "timeout");
	plan->kill_after_ms = get_ms(cfg, "kill_after");
	plan->deadline_ms = get_ms(cfg, "deadline");
	plan->success_re = get_text(cfg, "success_pattern");
	plan->failure_re = get_text(cfg, "failure_pattern");
	plan->caseless = get_bool(cfg, "case_insensitive");
	if ((plan->has_retry_on = get_text(cfg, "retry_on") != NULL))
		pt_codeset_parse(get_text(cfg, "retry_on"), &plan->retry_on);
	plan->fallback = get_text(cfg, "fallback");
	plan->replay_stdin = get_bool(cfg, "replay_stdin");
	pt_settings_verbosity(cfg, &plan->quiet, &plan->verbose);
	plan->json = get_bool(cfg, "json");
	plan->command = args->command;
	if (plan_seed_and_key(args, plan) || check_patterns(plan) || plan_discover(cfg, plan) ||
	    plan_breaker(cfg, plan))
		return PT_EXIT_INTERNAL;
	pt_profile profile;
	int rc = plan_profile(cfg, &profile);
	if (rc > 1 || plan_rate_limit(cfg, rc == 0 ? &profile : NULL, plan))
		return PT_EXIT_INTERNAL;
	if (plan->strategy == PT_STRATEGY_ADAPTIVE && plan_adaptive(cfg, plan))
		return PT_EXIT_INTERNAL;
	if (plan->strategy == PT_STRATEGY_DIOPHANTINE &&
	    plan_diophantine(cfg, plan, get(cfg, "attempts")->source == PT_SOURCE_FLAG))
		return PT_EXIT_INTERNAL;
	return plan_daemon(cfg, rc == 0 ? &profile : NULL, plan);
}
