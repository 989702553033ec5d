#include "patience/settings.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "patience/backoff.h"
#include "patience/breaker.h"
#include "patience/calendar.h"
#include "patience/codeset.h"
#include "patience/diophantine.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/limit.h"
#include "patience/resource_id.h"

static int check_strategy(const char *text, char *err, size_t len)
{
	pt_strategy s;
	if (pt_strategy_lookup(text, &s) == PT_OK)
		return 0;
	snprintf(err, len, "one of fixed, linear, exponential, jitter, decorrelated-jitter, "
			   "fibonacci, polynomial, diophantine, http-aware, adaptive");
	return -1;
}

/* http-aware's and adaptive's fallback: a strategy that computes its own delays. */
static int check_fallback_strategy(const char *text, char *err, size_t len)
{
	pt_strategy s;
	if (pt_strategy_lookup(text, &s) == PT_OK && s != PT_STRATEGY_DIOPHANTINE &&
	    s != PT_STRATEGY_HTTP_AWARE && s != PT_STRATEGY_ADAPTIVE)
		return 0;
	snprintf(err, len, "one of fixed, linear, exponential, jitter, decorrelated-jitter, "
			   "fibonacci, polynomial");
	return -1;
}

static int check_jitter(const char *text, char *err, size_t len)
{
	if (strcmp(text, "full") == 0 || strcmp(text, "equal") == 0)
		return 0;
	snprintf(err, len, "full or equal");
	return -1;
}

static int check_codes(const char *text, char *err, size_t len)
{
	pt_codeset set;
	if (pt_codeset_parse(text, &set) == PT_OK)
		return 0;
	snprintf(err, len, "exit codes 0-255 and ranges, such as 1,75,100-110");
	return -1;
}

static int check_offsets(const char *text, char *err, size_t len)
{
	int64_t offsets[PT_DIO_MAX_OFFSETS];
	size_t n;
	if (pt_duration_list_parse(text, offsets, PT_DIO_MAX_OFFSETS, &n) == PT_OK)
		return 0;
	snprintf(err, len, "a comma-separated list of at most %d durations, such as 0,10m,30m",
		 PT_DIO_MAX_OFFSETS);
	return -1;
}

static int check_log_level(const char *text, char *err, size_t len)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	for (size_t i = 0; i < 4; i++)
		if (strcmp(text, levels[i]) == 0)
			return 0;
	snprintf(err, len, "error, warn, info or debug");
	return -1;
}

/* File permissions in octal, such as 0600 or 660. */
static int check_mode(const char *text, char *err, size_t len)
{
	size_t n = strspn(text, "01234567");
	if (n >= 3 && n <= 4 && text[n] == '\0' && (n == 3 || text[0] == '0'))
		return 0;
	snprintf(err, len, "octal permissions such as 0600 or 0666");
	return -1;
}

/* The scheme only: the daemon checks the rest of the URL. */
static int check_backend(const char *text, char *err, size_t len)
{
	if (!strcmp(text, "memory") || !strncmp(text, "redis://", 8) || !strncmp(text, "unix://", 7) ||
	    !strncmp(text, "rediss://", 9)) /* refused with its reason by the daemon */
		return 0;
	snprintf(err, len, "memory, redis://[user:password@]host[:port][/db] or unix:///path");
	return -1;
}

static int check_zone(const char *text, char *err, size_t len)
{
	if (pt_zone_known(text))
		return 0;
	snprintf(err, len, "an IANA time zone such as America/New_York or Europe/Berlin");
	return -1;
}

static int check_scope(const char *text, char *err, size_t len)
{
	pt_resource_scope scope;
	if (pt_resource_scope_parse(text, &scope) == PT_OK)
		return 0;
	snprintf(err, len, "host or path");
	return -1;
}

static int check_priority(const char *text, char *err, size_t len)
{
	int64_t p;
	if (pt_priority_parse(text, &p) == PT_OK)
		return 0;
	snprintf(err, len, "high, normal, low or an integer from -10 to 10");
	return -1;
}

static int check_limits(const char *text, char *err, size_t len)
{
	pt_limit_list list = {.count = 0};
	if (pt_limit_list_parse(text, &list) == PT_OK)
		return 0;
	snprintf(err, len, "at most %d limits N/DURATION, comma-separated, such as "
		 "60/1m,1000/1d or 1000/1d@calendar", PT_LIMITS_MAX);
	return -1;
}

static int check_profile_name(const char *text, char *err, size_t len)
{
	if (*text && strlen(text) < PT_PROFILE_NAME_MAX)
		return 0;
	snprintf(err, len, "a profile name (see patience profiles)");
	return -1;
}

static int check_algorithm(const char *text, char *err, size_t len)
{
	if (!strcmp(text, "diophantine") || !strcmp(text, "gcra") || !strcmp(text, "fixed-window"))
		return 0;
	snprintf(err, len, "diophantine, gcra or fixed-window");
	return -1;
}

static int check_breaker(const char *text, char *err, size_t len)
{
	pt_breaker_spec s;
	char why[160];
	if (pt_breaker_spec_parse(text, &s, why, sizeof why) == PT_OK)
		return 0;
	snprintf(err, len, "failures=N,window=DUR,cooldown=DUR,probes=N (%s)", why);
	return -1;
}

#define NONE 1, 0 /* min > max: no numeric range */
#define I PT_SETTING_INTEGER
#define F PT_SETTING_FLOAT
#define B PT_SETTING_BOOLEAN
#define D PT_SETTING_DURATION
#define S PT_SETTING_STRING

static const pt_setting_def table[] = {
	/* Top-level keys keep the Go patience names. */
	{"attempts", "ATTEMPTS", I, "3", 1, 1000000, NULL, "attempts before giving up", NULL},
	{"backoff", "BACKOFF", S, "exponential", NONE, check_strategy, "strategy when none is named", NULL},
	{"delay", "DELAY", D, "1s", NONE, NULL, "fixed: the delay between attempts", NULL},
	{"base_delay", "BASE_DELAY", D, "1s", NONE, NULL, "base delay of growing strategies", NULL},
	{"increment", "INCREMENT", D, "1s", NONE, NULL, "linear: added per attempt", NULL},
	{"max_delay", "MAX_DELAY", D, "60s", NONE, NULL, "cap on any delay", NULL},
	{"multiplier", "MULTIPLIER", F, NULL, 1.0, 1000.0, NULL,
	 "growth factor (exponential/jitter 2, decorrelated-jitter 3)", NULL},
	{"exponent", "EXPONENT", F, "2.0", 0.0, 100.0, NULL, "polynomial: delay = base*n^e", NULL},
	{"jitter", "JITTER", S, "full", NONE, check_jitter, "jitter: full or equal", NULL},
	{"fallback_strategy", "FALLBACK_STRATEGY", S, "exponential", NONE, check_fallback_strategy,
	 "http-aware, adaptive: the strategy when the service or the model says nothing", NULL},
	{"learning_rate", "LEARNING_RATE", F, "0.1", 0.001, 1.0, NULL,
	 "adaptive: weight of each new outcome in a delay's success estimate", NULL},
	{"memory", "MEMORY", I, "50", 1, 256, NULL,
	 "adaptive: outcomes remembered (the Go tool's --window)", NULL},
	{"discover", "DISCOVER", B, "false", NONE, NULL,
	 "wait as the service's Retry-After or rate-limit headers ask", NULL},
	{"rate_limit", "RATE_LIMIT", I, NULL, 1, 1000000000, NULL, "diophantine: N starts...", NULL},
	{"window", "WINDOW", D, NULL, NONE, NULL, "diophantine: ...per window W", NULL},
	{"retry_offsets", "RETRY_OFFSETS", S, "0,10m,30m", NONE, check_offsets,
	 "diophantine: start times of the attempts after the first grant", NULL},
	{"limits", "LIMITS", S, NULL, NONE, check_limits,
	 "several limits at once: 60/1m,1000/1d@calendar", NULL},
	{"profile", "PROFILE", S, NULL, NONE, check_profile_name,
	 "a service's limits and resource id (patience profiles)", NULL},
	{"resource_id", "RESOURCE_ID", S, NULL, NONE, NULL, "resource the limit applies to", NULL},
	{"resource_scope", "RESOURCE_SCOPE", S, "host", NONE, check_scope,
	 "derived resource ids: per host, or per path template", NULL},
	{"tz", "TZ", S, NULL, NONE, check_zone, "time zone of calendar limits (local time)", NULL},
	{"priority", "PRIORITY", S, "normal", NONE, check_priority,
	 "rank among the daemon's queued starts: high, normal, low", NULL},
	{"concurrency", "CONCURRENCY", I, NULL, 1, PT_CONCURRENCY_MAX, NULL,
	 "at most N commands of the resource run at once, across processes", NULL},
	{"guard", "GUARD", D, NULL, NONE, NULL, "diophantine guard time (default 10ms + 1% of W)", NULL},
	{"burst", "BURST", I, NULL, 1, 1000000000, NULL,
	 "the rate limit as a token bucket (GCRA): bursts of B, then N per W", NULL},
	{"timeout", "TIMEOUT", D, NULL, NONE, NULL, "limit on each attempt", NULL},
	{"kill_after", "KILL_AFTER", D, "5s", NONE, NULL, "SIGKILL this long after SIGTERM", NULL},
	{"deadline", "DEADLINE", D, NULL, NONE, NULL, "limit on the whole run", NULL},
	{"success_pattern", "SUCCESS_PATTERN", S, NULL, NONE, NULL, "PCRE2: output meaning success", NULL},
	{"failure_pattern", "FAILURE_PATTERN", S, NULL, NONE, NULL, "PCRE2: output meaning failure", NULL},
	{"case_insensitive", "CASE_INSENSITIVE", B, "false", NONE, NULL, "patterns ignore case", NULL},
	{"retry_on", "RETRY_ON", S, NULL, NONE, check_codes, "only these exit codes are retried", NULL},
	{"fallback", "FALLBACK", S, NULL, NONE, NULL, "shell command run once when all fail", NULL},
	{"replay_stdin", "REPLAY_STDIN", B, "false", NONE, NULL, "give every attempt the same stdin", NULL},
	{"quiet", "QUIET", B, "false", NONE, NULL, "print only errors", NULL},
	{"log_level", "LOG_LEVEL", S, NULL, NONE, check_log_level,
	 "patience and rpr: error or warn (as --quiet), info, or debug (as --verbose)", NULL},
	{"verbose", "VERBOSE", B, "false", NONE, NULL, "print more", NULL},
	{"json", "JSON", B, "false", NONE, NULL, "JSON summary on stderr", NULL},
	{"circuit_breaker", "CIRCUIT_BREAKER", S, NULL, NONE, check_breaker,
	 "circuit breaker: failures=5,window=60s,cooldown=30s,probes=1 (any subset)", NULL},
	{"fail_fast", "FAIL_FAST", B, "false", NONE, NULL,
	 "circuit breaker open: exit 75 at once instead of waiting", NULL},
	{"daemon_enabled", "DAEMON_ENABLED", B, "false", NONE, NULL, "coordinate through the daemon", NULL},
	{"daemon_socket", "DAEMON_SOCKET", S, NULL, NONE, NULL, "daemon socket path", NULL},
	{"daemon_timeout", "DAEMON_TIMEOUT", D, "2s", NONE, NULL, "daemon request timeout", NULL},
	{"daemon_auto_start", "DAEMON_AUTO_START", B, "true", NONE, NULL, "start a daemon if none", NULL},
	{"resource_detection", "RESOURCE_DETECTION", B, "true", NONE, NULL,
	 "derive the resource id from the command's target (false: from its name)", NULL},
	/* [patience] */
	{"patience.default_strategy", NULL, S, NULL, NONE, check_strategy, "strategy", "backoff"},
	{"patience.max_attempts", NULL, I, NULL, 1, 1000000, NULL, "attempts", "attempts"},
	{"patience.defaults.daemon_enabled", NULL, B, NULL, NONE, NULL,
	 "patience: daemon_enabled for patience only", NULL},
	{"patience.defaults.resource_detection", NULL, B, NULL, NONE, NULL,
	 "patience: resource_detection for patience only", NULL},
	/* [daemon] */
	{"daemon.socket_path", NULL, S, NULL, NONE, NULL, "daemon socket path", NULL},
	{"daemon.log_level", "LOG_LEVEL", S, "info", NONE, check_log_level, "daemon log level", NULL},
	{"daemon.metrics_listen", NULL, S, NULL, NONE, NULL, "host:port for /metrics", NULL},
	{"daemon.metrics_enabled", NULL, B, NULL, NONE, NULL,
	 "daemon: serve /metrics and the dashboard (on metrics_listen, else 127.0.0.1:9464)", NULL},
	{"daemon.backend", "BACKEND", S, NULL, NONE, check_backend, "redis:// URL; omit for memory",
	 NULL},
	{"daemon.redis_timeout", NULL, D, "200ms", NONE, NULL,
	 "daemon: Redis unanswered this long means an outage", NULL},
	{"daemon.outage_share", NULL, F, NULL, 0.001, 1.0, NULL,
	 "daemon: share of a limit granted in an outage (default 1/daemons)", NULL},
	{"daemon.state", NULL, S, NULL, NONE, NULL, "SQLite state file", NULL},
	{"daemon.max_clients", NULL, I, "1024", 1, 1000000, NULL, "daemon: most connections at once",
	 NULL},
	{"daemon.idle_timeout", NULL, D, "10m", NONE, NULL,
	 "daemon: close a connection idle this long (0: never)", NULL},
	{"daemon.priority_aging", NULL, D, "10s", NONE, NULL,
	 "daemon: a queued acquire's wait worth one priority level (0: strict priority)", NULL},
	{"daemon.max_guard", NULL, D, NULL, NONE, NULL,
	 "daemon: widest a guard grows for late starts (0: never; default a quarter window)",
	 NULL},
	{"daemon.socket_mode", NULL, S, "0600", NONE, check_mode,
	 "daemon: permissions of the socket (octal)", NULL},
	/* [rate_limiting] */
	{"rate_limiting.default_algorithm", NULL, S, "diophantine", NONE, check_algorithm,
	 "limits without a burst: a sliding window (diophantine, fixed-window) or evenly "
	 "spaced starts (gcra)", NULL},
	{"rate_limiting.coordination_enabled", NULL, B, "true", NONE, NULL,
	 "false: a config file's daemon_enabled is ignored (--daemon and the environment count)",
	 NULL},
	/* [repeater] (rpr) */
	{"repeater.default_interval", NULL, D, NULL, NONE, NULL, "rpr: interval", NULL},
	{"repeater.default_timeout", NULL, D, NULL, NONE, NULL, "rpr: per-run timeout", NULL},
	{"repeater.continue_on_error", NULL, B, "true", NONE, NULL, "rpr: keep going on failure", NULL},
	{"repeater.defaults.daemon_enabled", NULL, B, NULL, NONE, NULL,
	 "rpr: daemon_enabled for rpr only", NULL},
	{"repeater.defaults.resource_detection", NULL, B, NULL, NONE, NULL,
	 "rpr: resource_detection for rpr only", NULL},
};

#undef I
#undef F
#undef B
#undef D
#undef S
#undef NONE

const pt_setting_def *pt_settings_table(size_t *count)
{
	*count = sizeof table / sizeof table[0];
	return table;
}

static int check_resource_rate(const pt_toml_value *limit, const pt_toml_value *window,
			       char *err, size_t len)
{
	int64_t ms;
	if (!limit || limit->type != PT_TOML_INTEGER || limit->as.integer < 1) {
		snprintf(err, len, "expected limit = a positive integer");
		return PT_EINVAL;
	}
	if (!window || window->type != PT_TOML_STRING ||
	    pt_duration_parse(window->as.string, &ms) != PT_OK || ms == 0) {
		snprintf(err, len, "expected window = a duration string such as \"1m\"");
		return PT_EINVAL;
	}
	return PT_OK;
}

/* { limit = N, window = "W"[, burst = B] }, { concurrency = N }, or both. */
static int check_resource_limit(const pt_toml_value *v, char *err, size_t len)
{
	const pt_toml_value *limit = pt_toml_get(v, "limit");
	const pt_toml_value *window = pt_toml_get(v, "window");
	const pt_toml_value *burst = pt_toml_get(v, "burst");
	const pt_toml_value *conc = pt_toml_get(v, "concurrency");
	if (v->as.table.count != (size_t)!!limit + !!window + !!burst + !!conc) {
		snprintf(err, len, "expected only limit, window, burst and concurrency");
		return PT_EINVAL;
	}
	if (conc && (conc->type != PT_TOML_INTEGER || conc->as.integer < 1 ||
		     conc->as.integer > PT_CONCURRENCY_MAX)) {
		snprintf(err, len, "expected concurrency = an integer from 1 to %d",
			 PT_CONCURRENCY_MAX);
		return PT_EINVAL;
	}
	if (burst && (burst->type != PT_TOML_INTEGER || burst->as.integer < 1 ||
		      burst->as.integer > 1000000000)) {
		snprintf(err, len, "expected burst = an integer from 1 to 1000000000");
		return PT_EINVAL;
	}
	return conc && !limit && !window && !burst ? PT_OK
						  : check_resource_rate(limit, window, err, len);
}

/* [rate_limiting.resources] entries: "id" = { limit = N, window = "1m" },
 * with burst = B for a GCRA limit. */
static int check_resource(const char *key, const pt_toml_value *v, void *ctx, int *line,
			  char *err, size_t err_len)
{
	if (v->type != PT_TOML_TABLE) {
		snprintf(err, err_len, "expected { limit = N, window = \"W\" }");
		return PT_EINVAL;
	}
	int rc = check_resource_limit(v, err, err_len);
	const pt_toml_value *limit = pt_toml_get(v, "limit"), *window = pt_toml_get(v, "window");
	pt_resource_limits *kept = ctx;
	if (rc != PT_OK || !kept || !limit || kept->count == PT_RESOURCE_LIMITS_KEPT)
		return rc;
	pt_resource_limit_entry *e = &kept->entries[kept->count++];
	snprintf(e->pattern, sizeof e->pattern, "%s", key);
	e->limit = limit->as.integer;
	pt_duration_parse(window->as.string, &e->window_ms);
	return PT_OK;
}

int pt_resource_pattern_match(const char *pattern, const char *name)
{
	if (strcmp(pattern, name) == 0)
		return 0;
	return strpbrk(pattern, "*?[") && fnmatch(pattern, name, 0) == 0 ? 1 : -1;
}

const pt_resource_limit_entry *pt_resource_limits_match(const pt_resource_limits *l,
							const char *name)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->count; i++)
			if (pt_resource_pattern_match(l->entries[i].pattern, name) == pass)
				return &l->entries[i];
	return NULL;
}

void pt_settings_keep_resource_limits(pt_config *c, pt_resource_limits *kept)
{
	for (size_t i = 0; i < c->n_free_tables; i++)
		if (strcmp(c->free_tables[i].name, "rate_limiting.resources") == 0)
			c->free_tables[i].ctx = kept;
}

/* [profiles.NAME] tables: checked by every tool, kept by those that asked
 * (ctx, a pt_profile_set). */
static int check_profile(const char *key, const pt_toml_value *v, void *ctx, int *line,
			 char *err, size_t err_len)
{
	pt_profile p;
	int rc = pt_profile_from_toml(key, v, &p, err, err_len, line);
	if (rc == PT_OK && ctx && (rc = pt_profile_set_put(ctx, &p)) == PT_ENOMEM)
		snprintf(err, err_len, "out of memory");
	return rc;
}

int pt_settings_config_init(pt_config *c)
{
	static const pt_free_table resources = {"rate_limiting.resources", check_resource, NULL};
	static const pt_free_table profiles = {"profiles", check_profile, NULL};
	size_t n;
	const pt_setting_def *defs = pt_settings_table(&n);
	int rc = pt_config_init(c, defs, n);
	if (rc == PT_OK)
		pt_config_add_free_table(c, &resources);
	if (rc == PT_OK)
		pt_config_add_free_table(c, &profiles);
	return rc;
}

void pt_settings_keep_profiles(pt_config *c, pt_profile_set *set)
{
	for (size_t i = 0; i < c->n_free_tables; i++)
		if (strcmp(c->free_tables[i].name, "profiles") == 0)
			c->free_tables[i].ctx = set;
}

const pt_profile_set *pt_settings_profiles(const pt_config *c)
{
	const pt_free_table *t = pt_config_free_table(c, "profiles");
	return t ? t->ctx : NULL;
}

static const char *own_key(pt_tool tool, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s.defaults.%s", tool == PT_TOOL_RPR ? "repeater" : "patience", key);
	return buf;
}

bool pt_settings_daemon_enabled(const pt_config *c, pt_tool tool)
{
	char key[64];
	const pt_setting *s = pt_config_pick(c, "daemon_enabled",
					     own_key(tool, "daemon_enabled", key, sizeof key));
	if (s->source >= PT_SOURCE_ENV) /* asked for this run (rpr --daemon passes it on) */
		return s->as.boolean;
	return s->as.boolean && pt_config_get(c, "rate_limiting.coordination_enabled")->as.boolean;
}

bool pt_settings_resource_detection(const pt_config *c, pt_tool tool)
{
	char key[64];
	return pt_config_pick(c, "resource_detection",
			      own_key(tool, "resource_detection", key, sizeof key))->as.boolean;
}

void pt_settings_verbosity(const pt_config *c, bool *quiet, bool *verbose)
{
	const char *level = pt_config_get(c, "log_level")->text;
	/* warn: the tools print no warnings beyond what quiet keeps */
	*quiet = pt_config_get(c, "quiet")->as.boolean ||
		 (level && (strcmp(level, "error") == 0 || strcmp(level, "warn") == 0));
	*verbose = !*quiet &&
		   (pt_config_get(c, "verbose")->as.boolean || (level && strcmp(level, "debug") == 0));
}

bool pt_settings_even_starts(const pt_config *c)
{
	return strcmp(pt_config_get(c, "rate_limiting.default_algorithm")->text, "gcra") == 0;
}

const pt_resource_limits *pt_settings_resource_limits(const pt_config *c)
{
	const pt_free_table *t = pt_config_free_table(c, "rate_limiting.resources");
	return t ? t->ctx : NULL;
}
