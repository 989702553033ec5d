/* rpr MODE [options] -- COMMAND [ARGS...]: the command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/signals.h"
#include "patience/calendar.h"
#include "patience/duration.h"
#include "config_files.h"
#include "options.h"
#include "patience/error.h"
#include "patience/paths.h"
#include "patience/resource_id.h"
#include "patience/settings.h"
#include "patience/template.h"
#include "patience/version.h"
#include "resource_of.h"
#include "rpr.h"


#define OPTIONS (&pt_rpr_option_table)

static const struct {
	const char *names[4];
	rpr_mode mode;
} modes[] = {
	{{"interval", "int", "i", NULL}, RPR_INTERVAL},
	{{"count", "cnt", "c", NULL}, RPR_COUNT},
	{{"duration", "dur", "d", NULL}, RPR_DURATION},
	{{"cron", "cr", NULL, NULL}, RPR_CRON},
	{{"rate-limit", "rl", NULL, NULL}, RPR_RATE},
	{{"adaptive", "adapt", NULL, NULL}, RPR_ADAPTIVE},
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rpr: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return RPR_EXIT_USAGE;
}

static void print_help(void)
{
	printf("usage: rpr MODE [options] -- command [args...]\n\n"
	       "Run command over and over on a schedule that never drifts, and print\n"
	       "statistics at the end (on stderr; the command's output passes through).\n\n"
	       "Modes:\n"
	       "  interval|int|i   every --every, the first run at once, until stopped\n"
	       "  count|cnt|c      --times runs, --every apart (default: back to back)\n"
	       "  duration|dur|d   runs for --for, --every apart (default: back to back)\n"
	       "  cron|cr          at the times of --cron (Vixie cron), in --tz\n"
	       "  rate-limit|rl    back to back, as often as --rate N/W allows; with\n"
	       "                   --daemon, shared with every patience and rpr\n"
	       "  adaptive|adapt   from --every, the interval doubles after a failed or\n"
	       "                   slow run and shrinks by --every/10 after a good one,\n"
	       "                   within --min-interval and --max-interval\n\n"
	       "Options:\n");
	options_print_help(OPTIONS, 26, NULL);
	printf("\nSettings no flag gives come from RPR_* variables, then PATIENCE_* ones\n"
	       "(RPR_TIMEOUT, RPR_QUIET, ...), then the config files' [repeater] table\n"
	       "(default_interval, default_timeout, continue_on_error) and shared keys.\n");
	printf("\nA run that outlasts its interval makes rpr skip the ticks it covered (as\n"
	       "systemd timers do; they are counted), or with --overlap queue run them late,\n"
	       "back to back; --overlap parallel starts a run at every tick regardless.\n"
	       "Durations: 250ms, 1.5s, 2m, 1h30m.\n\n"
	       "Exit status: 0 when no run failed, 1 when some run failed, 2 on a usage\n"
	       "error, 75 when --fail-fast met an open circuit, 128+N when stopped by\n"
	       "signal N (130 for Ctrl-C).\n\n"
	       "Examples:\n"
	       "  rpr interval --every 30s -- patience exponential -- curl -fsS https://example.com/\n"
	       "  rpr count -t 100 --export-csv runs.csv -- ./probe.sh\n"
	       "  rpr interval -e 1m -o '[{run} {time}] ' -- df -h /\n"
	       "  rpr duration -f 10m -e 5s --until-failure -- ./check.sh\n"
	       "  rpr cron --cron '*/15 9-17 * * mon-fri' --tz Europe/Berlin -- ./report.sh\n"
	       "  rpr rate-limit -r 100/1m --daemon -t 500 -- ./call-api.sh\n");
}

static int parse_duration(const char *flag, const char *text, int64_t *out)
{
	if (pt_duration_parse(text, out) == PT_OK)
		return 0;
	return usage_error("--%s: invalid value \"%s\": expected a duration such as 500ms, 30s "
			   "or 1h30m", flag, text);
}

static int parse_number(const char *flag, const char *text, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > max)
		return usage_error("--%s: invalid value \"%s\": expected a whole number from 1 to "
				   "%" PRId64, flag, text, max);
	*out = v;
	return 0;
}

static int parse_count(const char *flag, const char *text, int64_t *out)
{
	return parse_number(flag, text, INT64_C(1000000000), out);
}

static int check_template(const char *text, rpr_plan *p)
{
	char err[256];
	if (pt_template_check(text, err, sizeof err) != PT_OK)
		return usage_error("--output-prefix: %s", err);
	p->output_prefix = text;
	return 0;
}

static int parse_rate(const char *text, rpr_plan *p)
{
	if (pt_rate_parse(text, &p->rate_limit, &p->rate_window_ms) == PT_OK)
		return 0;
	return usage_error("--rate: invalid value \"%s\": expected N/W such as 10/1m or 5000/h",
			   text);
}

static int parse_breaker(const char *text, rpr_plan *p)
{
	char err[512];
	if (pt_breaker_spec_parse(text, &p->breaker_spec, err, sizeof err) == PT_OK)
		return p->breaker = true, 0;
	return usage_error("--circuit-breaker: %s", err);
}

static int parse_scope(const char *text, rpr_plan *p)
{
	if (pt_resource_scope_parse(text, &p->scope) == PT_OK)
		return p->scope_given = true, 0;
	return usage_error("--resource-scope: invalid value \"%s\": expected host or path", text);
}

static int parse_priority(const char *text, rpr_plan *p)
{
	if (pt_priority_parse(text, &p->priority) == PT_OK)
		return p->priority_given = true, 0;
	return usage_error("--priority: invalid value \"%s\": expected high, normal, low or an "
			   "integer from -10 to 10", text);
}

static int parse_overlap(const char *text, rpr_plan *p)
{
	if (strcmp(text, "skip") && strcmp(text, "queue") && strcmp(text, "parallel"))
		return usage_error("--overlap: invalid value \"%s\": expected skip, queue or "
				   "parallel", text);
	p->queue = strcmp(text, "queue") == 0;
	p->parallel = strcmp(text, "parallel") == 0;
	return 0;
}

static int parse_cron(const char *text, rpr_plan *p)
{
	char err[256];
	if (pt_cron_parse(text, &p->cron, err, sizeof err) == PT_OK)
		return p->has_cron = true, 0;
	return usage_error("--cron: %s", err);
}

static int check_zone(const char *zone)
{
	if (pt_zone_known(zone))
		return 0;
	return usage_error("--tz: unknown time zone \"%s\": expected an IANA name such as "
			   "Europe/Berlin or America/New_York", zone);
}

/* One option; 0, -1 for --help/--version (done), or an exit code. */
static int take_option(const pt_option *o, rpr_plan *p)
{
	const char *name = o->name;
	switch (o->id) {
	case OPT_EVERY: return parse_duration(name, optarg, &p->every_ms);
	case OPT_TIMES: return parse_count(name, optarg, &p->times);
	case OPT_FOR: return parse_duration(name, optarg, &p->for_ms);
	case OPT_UNTIL_SUCCESS: p->until_success = true; return 0;
	case OPT_UNTIL_FAILURE: p->until_failure = true; return 0;
	case OPT_MAX_FAILURES: return parse_count(name, optarg, &p->max_failures);
	case OPT_CONCURRENCY:
		return parse_number(name, optarg, PT_CONCURRENCY_MAX, &p->concurrency);
	case OPT_CIRCUIT_BREAKER: return parse_breaker(optarg, p);
	case OPT_FAIL_FAST: p->fail_fast = true; return 0;
	case OPT_UNTIL_PATTERN: p->until_pattern = optarg; return 0;
	case OPT_OUTPUT_PREFIX: return check_template(optarg, p);
	case OPT_CONFIG: p->config_file = optarg; return 0;
	case OPT_DEBUG_CONFIG: p->debug_config = true; return 0;
	case OPT_OVERLAP: return parse_overlap(optarg, p);
	case OPT_RATE: return parse_rate(optarg, p);
	case OPT_MIN_INTERVAL: return parse_duration(name, optarg, &p->min_interval_ms);
	case OPT_MAX_INTERVAL: return parse_duration(name, optarg, &p->max_interval_ms);
	case OPT_GUARD: p->guard_given = true; return parse_duration(name, optarg, &p->guard_ms);
	case OPT_BURST: return parse_count(name, optarg, &p->burst);
	case OPT_RESOURCE_ID: p->resource_id = optarg; return 0;
	case OPT_PROFILE: p->profile = optarg; return 0;
	case OPT_RESOURCE_SCOPE: return parse_scope(optarg, p);
	case OPT_PRIORITY: return parse_priority(optarg, p);
	case OPT_DAEMON: p->daemon = true; return 0;
	case OPT_DAEMON_SOCKET: p->daemon_socket = optarg; return 0;
	case OPT_NO_DAEMON_AUTO_START: p->no_auto_start = true; return 0;
	case OPT_TIMEOUT: return parse_duration(name, optarg, &p->timeout_ms);
	case OPT_KILL_AFTER: return parse_duration(name, optarg, &p->kill_after_ms);
	case OPT_QUIET: p->quiet = true; return 0;
	case OPT_VERBOSE: p->verbose = true; return 0;
	case OPT_STATS_ONLY: p->stats_only = true; return 0;
	case OPT_EXPORT_JSON: p->export_json = optarg; return 0;
	case OPT_EXPORT_CSV: p->export_csv = optarg; return 0;
	case OPT_CRON: return parse_cron(optarg, p);
	case OPT_TZ: return check_zone(optarg) ? RPR_EXIT_USAGE : (p->tz = optarg, 0);
	case OPT_HELP: print_help(); return -1;
	case OPT_VERSION: printf("rpr %s\n", PATIENCE_VERSION); return -1;
	default: return RPR_EXIT_USAGE; /* not in rpr's table */
	}
}

static int find_mode(const char *word, rpr_mode *out)
{
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		for (size_t j = 0; modes[i].names[j]; j++)
			if (strcmp(word, modes[i].names[j]) == 0)
				return *out = modes[i].mode, 0;
	return usage_error("unknown mode \"%s\": expected interval, count or duration "
			   "(see rpr --help)", word);
}

/* What each mode's schedule needs, and what makes no sense with it. */
static int check_schedule(const rpr_plan *p)
{
	if (p->mode == RPR_INTERVAL && p->every_ms <= 0)
		return usage_error("interval needs --every DUR above 0 (as in rpr interval -e 30s "
				   "-- CMD)");
	if (p->mode == RPR_COUNT && !p->times)
		return usage_error("count needs --times N (as in rpr count -t 10 -- CMD)");
	if (p->mode == RPR_DURATION && p->for_ms <= 0)
		return usage_error("duration needs --for DUR above 0 (as in rpr duration -f 5m "
				   "-- CMD)");
	if (p->mode == RPR_CRON && !p->has_cron)
		return usage_error("cron needs --cron EXPR (as in rpr cron --cron '0 * * * *' -- CMD)");
	if (p->mode != RPR_CRON && p->has_cron)
		return usage_error("--cron goes with the cron mode");
	if (p->mode != RPR_CRON && p->mode != RPR_RATE && p->tz)
		return usage_error("--tz goes with the cron mode (its schedule) and the rate-limit "
				   "mode (its calendar limits)");
	if (p->mode == RPR_CRON && p->every_ms)
		return usage_error("--every does not go with the cron mode: its times come from "
				   "--cron");
	if (p->mode == RPR_ADAPTIVE && p->every_ms <= 0)
		return usage_error("adaptive needs --every DUR above 0, its first interval (as in "
				   "rpr adaptive -e 10s -- CMD)");
	if (p->mode != RPR_ADAPTIVE && (p->min_interval_ms || p->max_interval_ms))
		return usage_error("--min-interval and --max-interval go with the adaptive mode");
	if (p->max_interval_ms && p->min_interval_ms > p->max_interval_ms)
		return usage_error("--min-interval is above --max-interval");
	return 0;
}

/* The schedule, then the limits, the breaker and the rest. */
static int check_plan(const rpr_plan *p)
{
	if (check_schedule(p))
		return RPR_EXIT_USAGE;
	bool limited = p->rate_limit > 0;
	if (p->mode == RPR_RATE && !limited)
		return usage_error("rate-limit needs --rate N/W (as in rpr rate-limit -r 10/1m -- CMD)");
	if (!limited && !p->daemon && (p->guard_given || p->burst || p->priority_given))
		return usage_error("--guard, --burst and --priority need a limit: --rate N/W, or "
				   "--daemon and the daemon's limit for the resource");
	if (p->parallel && limited)
		return usage_error("--overlap parallel does not go with --rate: each start must be "
				   "reported by the run that holds its grant");
	if (p->fail_fast && !p->breaker)
		return usage_error("--fail-fast needs --circuit-breaker SPEC: it says what to do "
				   "while the circuit is open");
	if (p->breaker && p->parallel)
		return usage_error("--circuit-breaker does not go with --overlap parallel: the "
				   "breaker admits one run at a time");
	if (p->mode == RPR_RATE && p->every_ms)
		return usage_error("--every does not go with the rate-limit mode: the limit sets "
				   "the pace");
	if (p->parallel && (!p->every_ms || p->mode == RPR_ADAPTIVE))
		return usage_error("--overlap parallel needs the fixed ticks of --every (interval, "
				   "count or duration)");
	if (p->until_success && p->until_failure)
		return usage_error("--until-success and --until-failure exclude each other");
	if (!p->command || !p->command[0])
		return usage_error("no command given: put it after --, as in rpr interval -e 30s "
				   "-- curl URL");
	return 0;
}

static int parse_args(int argc, char **argv, rpr_plan *p)
{
	struct option longs[OPTIONS_MAX + 1];
	char shorts[2 * OPTIONS_MAX + 3];
	int c, rc;
	*p = (rpr_plan){.kill_after_ms = 5000};
	if (argc < 2)
		return usage_error("no mode given: rpr interval|count|duration [options] -- CMD "
				   "(see rpr --help)");
	bool mode_first = argv[1][0] != '-'; /* else only --help or --version */
	if (mode_first && (rc = find_mode(argv[1], &p->mode)))
		return rc;
	optind = mode_first ? 2 : 1;
	options_getopt(OPTIONS, longs, shorts, true);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const pt_option *o = options_find(OPTIONS, c);
		if (!o)
			return usage_error("%s option \"%s\" (see rpr --help)",
					   c == ':' ? "missing value for" : "unknown",
					   argv[optind - 1]);
		if ((rc = take_option(o, p)))
			return rc;
	}
	if (!mode_first)
		return usage_error("the mode comes first: rpr interval|count|duration [options] "
				   "-- CMD");
	p->command = argv + optind;
	return 0;
}

static const pt_setting *setting(const pt_config *cfg, const char *key)
{
	return pt_config_get(cfg, key);
}

/* --profile (else the profile setting) gives what --rate and --resource-id
 * do not; the resource_scope setting what --resource-scope does not. Every
 * limit of the profile is enforced, as in patience. */
static int apply_profile(const pt_config *cfg, rpr_plan *p)
{
	pt_profile prof;
	const char *name = p->profile ? p->profile : setting(cfg, "profile")->text;
	if (!p->scope_given)
		pt_resource_scope_parse(setting(cfg, "resource_scope")->text, &p->scope);
	if (!name)
		return 0;
	if (pt_profile_lookup(pt_settings_profiles(cfg), name, &prof) != PT_OK)
		return usage_error("--profile: unknown profile \"%s\" (patience profiles lists "
				   "them)", name);
	const pt_limit *primary = pt_limit_list_primary(&prof.limits);
	if (!p->rate_limit && primary) {
		p->limits = prof.limits;
		p->rate_limit = primary->count;
		p->rate_window_ms = primary->window_ms;
	}
	if (!p->resource_id && prof.resource[0]) {
		snprintf(p->resource_buf, sizeof p->resource_buf, "%s", prof.resource);
		p->resource_id = p->resource_buf;
	}
	return 0;
}

/* The daemon, its socket, and how the limit keeps starts apart. */
static void apply_daemon_settings(const pt_config *cfg, rpr_plan *p)
{
	p->daemon = p->daemon || pt_settings_daemon_enabled(cfg, PT_TOOL_RPR);
	p->no_auto_start = p->no_auto_start || !setting(cfg, "daemon_auto_start")->as.boolean;
	p->daemon_timeout_ms = setting(cfg, "daemon_timeout")->as.ms;
	p->detect_resource = pt_settings_resource_detection(cfg, PT_TOOL_RPR);
	if (p->rate_limit && !p->burst && setting(cfg, "burst")->text)
		p->burst = setting(cfg, "burst")->as.integer;
	if (p->rate_limit && !p->burst && pt_settings_even_starts(cfg))
		p->burst = 1;
	const char *sock = setting(cfg, "daemon_socket")->text;
	if (!sock)
		sock = setting(cfg, "daemon.socket_path")->text;
	if (!p->daemon_socket && sock)
		snprintf(p->socket_buf, sizeof p->socket_buf, "%s", sock);
	if (!p->daemon_socket && (sock || pt_default_socket_path(p->socket_buf,
								  sizeof p->socket_buf) == PT_OK))
		p->daemon_socket = p->socket_buf;
}

/* --debug-config: when the runs are due, and how long each may take. */
static void print_debug_schedule(const rpr_plan *p)
{
	static const char *const names[] = {"interval", "count", "duration", "cron", "rate-limit",
					    "adaptive"};
	char every[32] = "back to back", timeout[32] = "none", times[32] = "no bound";
	if (p->every_ms)
		pt_duration_format(p->every_ms, every, sizeof every);
	if (p->timeout_ms)
		pt_duration_format(p->timeout_ms, timeout, sizeof timeout);
	if (p->times)
		snprintf(times, sizeof times, "%lld", (long long)p->times);
	config_debug_meaning("schedule", "%s: every %s, runs %s, each run's timeout %s",
			     names[p->mode], every, times, timeout);
}

/* rpr's own flags into cfg, as settings set by a flag: --debug-config
 * shows them, and the shared settings read them as patience's flags. */
static int record_flags(pt_config *cfg, const rpr_plan *p)
{
	char err[256], rate[64], window[32];
	const struct {
		const char *key, *text, *flag;
	} flags[] = {
		{"daemon_enabled", p->daemon ? "true" : NULL, "flag --daemon"},
		{"resource_id", p->resource_id, "flag --resource-id"},
		{"daemon_socket", p->daemon_socket, "flag --daemon-socket"},
		{"quiet", p->quiet ? "true" : NULL, "flag --quiet"},
		{"verbose", p->verbose ? "true" : NULL, "flag --verbose"},
		{"limits", p->rate_limit ? rate : NULL, "flag --rate"},
	};
	pt_duration_format(p->rate_window_ms, window, sizeof window);
	snprintf(rate, sizeof rate, "%lld/%s", (long long)p->rate_limit, window);
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].text &&
		    pt_config_set(cfg, (size_t)pt_config_find(cfg, flags[i].key), flags[i].text,
				  PT_SOURCE_FLAG, flags[i].flag, err, sizeof err) != PT_OK)
			return usage_error("%s: %s", flags[i].flag + 5, err);
	}
	return 0;
}

/* --debug-config: the settings, then what they make of the run. */
static void print_debug_config(const pt_config *cfg, const rpr_plan *p)
{
	char why[512], window[32], resource[512];
	config_debug_settings(cfg);
	fprintf(stderr, "[config] for this run:\n");
	print_debug_schedule(p);
	config_debug_origin(cfg, pt_config_pick(cfg, "daemon_enabled",
						"repeater.defaults.daemon_enabled"), why, sizeof why);
	if (p->daemon)
		config_debug_meaning("daemon", "on %s %s", p->daemon_socket ? p->daemon_socket : "?",
				     why);
	else
		config_debug_meaning("daemon", "off %s", why);
	config_debug_resource_origin(cfg, "repeater.defaults.resource_detection", why, sizeof why);
	resource_of(p->command[0] ? p->command : NULL, p->resource_id, p->scope, p->detect_resource,
		    resource, sizeof resource);
	config_debug_meaning("resource", "%s %s", resource[0] ? resource : "(from the command)",
			     why);
	pt_duration_format(p->rate_window_ms, window, sizeof window);
	if (p->rate_limit)
		config_debug_meaning("limit", "%lld per %s, %s", (long long)p->rate_limit, window,
				     p->burst == 1 ? "evenly spaced starts (gcra)"
				     : p->burst   ? "in bursts (gcra)" : "a sliding window");
	else
		config_debug_daemon_limit(cfg, resource, p->daemon);
	config_debug_meaning("output", "%s", p->quiet ? "errors only (quiet or log_level error)"
					     : p->verbose ? "verbose (verbose or log_level debug)"
							  : "normal");
}

/* What no flag set comes from the environment (RPR_*, then PATIENCE_*) and
 * the config files ([repeater] and the shared keys), as in patience. */
static int apply_settings(rpr_plan *p)
{
	static const char *const prefixes[] = {"RPR", "PATIENCE"};
	pt_config cfg;
	pt_profile_set profiles;
	static pt_resource_limits resource_limits; /* for --debug-config */
	char err[512];
	int rc = RPR_EXIT_USAGE;
	if (pt_settings_config_init(&cfg) != PT_OK)
		return usage_error("out of memory");
	pt_profile_set_init(&profiles);
	pt_settings_keep_profiles(&cfg, &profiles);
	pt_settings_keep_resource_limits(&cfg, &resource_limits);
	if (config_files_load(&cfg, p->config_file, prefixes, 2, "rpr") < 0)
		goto out;
	if (pt_config_apply_env(&cfg, prefixes, 2, err, sizeof err) != PT_OK) {
		usage_error("%s", err);
		goto out;
	}
	if (record_flags(&cfg, p))
		goto out;
	bool paced = p->mode == RPR_INTERVAL || p->mode == RPR_ADAPTIVE;
	if (paced && !p->every_ms && setting(&cfg, "repeater.default_interval")->text)
		p->every_ms = setting(&cfg, "repeater.default_interval")->as.ms;
	const pt_setting *timeout = setting(&cfg, "repeater.default_timeout");
	if (!timeout->text)
		timeout = setting(&cfg, "timeout");
	if (!p->timeout_ms && timeout->text)
		p->timeout_ms = timeout->as.ms;
	if (!setting(&cfg, "repeater.continue_on_error")->as.boolean && !p->until_success)
		p->until_failure = true;
	bool quiet, verbose;
	pt_settings_verbosity(&cfg, &quiet, &verbose);
	p->quiet = p->quiet || quiet;
	p->verbose = !p->quiet && (p->verbose || verbose);
	if (apply_profile(&cfg, p))
		goto out;
	if (!p->concurrency && setting(&cfg, "concurrency")->text)
		p->concurrency = setting(&cfg, "concurrency")->as.integer;
	apply_daemon_settings(&cfg, p);
	if (p->debug_config)
		print_debug_config(&cfg, p);
	rc = 0;
out:
	pt_config_release(&cfg);
	pt_profile_set_release(&profiles);
	return rc;
}

/* Flags, then the settings under them, then the checks. */
static int build_plan(int argc, char **argv, rpr_plan *p)
{
	int rc = parse_args(argc, argv, p);
	if (rc || (rc = apply_settings(p)))
		return rc;
	if (p->debug_config && !p->command[0])
		return -1; /* printed: nothing to run */
	if (p->mode == RPR_ADAPTIVE && !p->min_interval_ms)
		p->min_interval_ms = p->every_ms / 10 ? p->every_ms / 10 : 1;
	if (p->mode == RPR_ADAPTIVE && !p->max_interval_ms)
		p->max_interval_ms = p->every_ms <= PT_DURATION_MAX_MS / 10 ? p->every_ms * 10
									: PT_DURATION_MAX_MS;
	return check_plan(p);
}

extern char **environ;

/* The commands get the environment as it was: TZ is only rpr's. With
 * --daemon, a patience among them shares the same daemon unless told
 * otherwise: PATIENCE_DAEMON_ENABLED and PATIENCE_DAEMON_SOCKET are added
 * when unset. */
static int command_environment(rpr_plan *p)
{
	static char enabled[] = "PATIENCE_DAEMON_ENABLED=true";
	size_t n = 0;
	while (environ[n])
		n++;
	if (!(p->envp = malloc((n + 3) * sizeof *p->envp)))
		return -1;
	memcpy(p->envp, environ, n * sizeof *p->envp);
	if (p->daemon && !getenv("PATIENCE_DAEMON_ENABLED"))
		p->envp[n++] = enabled;
	if (p->daemon && p->daemon_socket && !getenv("PATIENCE_DAEMON_SOCKET")) {
		snprintf(p->socket_var, sizeof p->socket_var, "PATIENCE_DAEMON_SOCKET=%s",
			 p->daemon_socket);
		p->envp[n++] = p->socket_var;
	}
	p->envp[n] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	rpr_plan plan;
	int rc = build_plan(argc, argv, &plan);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (command_environment(&plan) < 0)
		return usage_error("out of memory");
	if (plan.tz && (setenv("TZ", plan.tz, 1) < 0 || (tzset(), 0)))
		return usage_error("cannot set TZ: %s", strerror(errno));
	int signal_fd = pt_signals_install();
	if (signal_fd < 0) {
		fprintf(stderr, "rpr: cannot install signal handlers: %s\n", strerror(errno));
		return RPR_EXIT_USAGE;
	}
	rc = rpr_execute(&plan, signal_fd);
	free(plan.envp);
	return rc;
}
