/* patience's command line: one option table drives parsing and --help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience.h"
#include "patience/error.h"

#define ALL 0u
#define ONLY(s) (1u << PT_STRATEGY_##s)
/* Rate limit and daemon options: every strategy takes them. */
#define RATE (~0u)
#define GROWING (ONLY(EXPONENTIAL) | ONLY(JITTER) | ONLY(DECORRELATED_JITTER) | \
		 ONLY(FIBONACCI) | ONLY(POLYNOMIAL))
/* Strategies that wait as something else says, else as a fallback strategy. */
#define FALLING_BACK (ONLY(HTTP_AWARE) | ONLY(ADAPTIVE))

enum {
	OPT_CONFIG = 256, OPT_DEBUG_CONFIG, OPT_DRY_RUN, OPT_SEED, OPT_IDEMPOTENCY_KEY,
	OPT_HELP = 'h', OPT_VERSION = 'V',
};

typedef struct cli_option {
	const char *name;
	int id;              /* short option letter, or OPT_* */
	const char *setting; /* settings key, NULL for the options handled here */
	unsigned strategies; /* ALL, RATE, or ONLY(...) bits */
	const char *metavar; /* NULL: a switch; "[=...]": an optional value */
	const char *help;
	const char *switch_value; /* what a switch sets; NULL: "true" */
} cli_option;

static const cli_option options[] = {
	{"delay", 'd', "delay", ONLY(FIXED), "DUR", "delay between attempts (1s)", NULL},
	{"increment", 'i', "increment", ONLY(LINEAR), "DUR", "delay grows by this per attempt (1s)", NULL},
	{"base-delay", 'b', "base_delay", GROWING | ONLY(ADAPTIVE), "DUR",
	 "first delay (1s; adaptive: its shortest delay)", NULL},
	{"multiplier", 'x', "multiplier", ONLY(EXPONENTIAL) | ONLY(JITTER) | ONLY(DECORRELATED_JITTER),
	 "X", "growth factor (2; decorrelated-jitter 3)", NULL},
	{"exponent", 'e', "exponent", ONLY(POLYNOMIAL), "E", "delay = base * n^E (2)", NULL},
	{"max-delay", 'm', "max_delay", GROWING | ONLY(LINEAR) | FALLING_BACK, "DUR",
	 "cap on any delay (60s; on a delay the service asks, 30m)", NULL},
	{"fallback-strategy", 'f', "fallback_strategy", FALLING_BACK, "NAME",
	 "wait as NAME when the service/model names no delay (exponential)", NULL},
	{"learning-rate", 1021, "learning_rate", ONLY(ADAPTIVE), "R",
	 "weight of each new outcome in a delay's success estimate (0.1)", NULL},
	{"memory", 1022, "memory", ONLY(ADAPTIVE), "N",
	 "remember the last N outcomes (50); the Go tool's -w/--window", NULL},
	{"jitter", 1000, "jitter", ONLY(JITTER), "MODE", "full: U[0,d); equal: d/2 + U[0,d/2) (full)", NULL},
	/* -r N/DUR sets limits instead (see flag_setting) */
	{"rate-limit", 'r', "rate_limit", RATE, "N[/DUR]",
	 "at most N starts (per --window, or per DUR)...", NULL},
	{"window", 'w', "window", RATE, "DUR", "...in any window of DUR, across attempts", NULL},
	{"profile", 1017, "profile", RATE, "NAME", "a service's limit and resource id "
	 "(patience profiles)", NULL},
	{"retry-offsets", 'o', "retry_offsets", ONLY(DIOPHANTINE), "LIST",
	 "attempt i starts at t0 + offset i (0,10m,30m)", NULL},
	{"guard", 1001, "guard", RATE, "DUR", "safety margin on W (10ms + 1% of W)", NULL},
	{"burst", 1026, "burst", RATE, "B", "token bucket (GCRA): B at once, then N per W", NULL},
	{"priority", 1027, "priority", RATE, "P",
	 "when the limit is saturated, high goes first, low last (normal)", NULL},
	{"tz", 1020, "tz", RATE, "ZONE", "N/UNIT@calendar limits count in ZONE (local time)", NULL},
	{"resource-id", 1002, "resource_id", RATE, "ID", "the limited resource (derived from CMD)", NULL},
	{"resource-scope", 1018, "resource_scope", RATE, "S",
	 "derive it per host, or per path template (host)", NULL},
	{"daemon", 1012, "daemon_enabled", RATE, NULL, "share the rate limit through patience-daemon", NULL},
	{"daemon-socket", 1013, "daemon_socket", RATE, "PATH", "the daemon's socket", NULL},
	{"daemon-timeout", 1014, "daemon_timeout", RATE, "DUR", "bound on each daemon request (2s)", NULL},
	{"daemon-auto-start", 1015, "daemon_auto_start", RATE, "[=BOOL]",
	 "start a daemon when none answers (true)", NULL},
	{"no-daemon-auto-start", 1016, "daemon_auto_start", RATE, NULL, "do not start one",
	 "false"},
	{"concurrency", 1025, "concurrency", ALL, "N",
	 "at most N of the resource's commands at once, across processes", NULL},
	{"attempts", 'a', "attempts", ALL, "N", "attempts before giving up (3)", NULL},
	{"circuit-breaker", 1023, "circuit_breaker", ALL, "SPEC",
	 "pause attempts while the resource fails (below)", NULL},
	{"fail-fast", 1024, "fail_fast", ALL, NULL,
	 "circuit open: exit 75, do not wait", NULL},
	{"timeout", 't', "timeout", ALL, "DUR", "end an attempt after DUR: SIGTERM to its process group", NULL},
	{"kill-after", 1003, "kill_after", ALL, "DUR", "then SIGKILL after DUR more (5s)", NULL},
	{"deadline", 1004, "deadline", ALL, "DUR", "end the whole run after DUR (exit 124)", NULL},
	{"success-pattern", 1005, "success_pattern", ALL, "RE", "output matching RE means success", NULL},
	{"failure-pattern", 1006, "failure_pattern", ALL, "RE", "output matching RE: fail, stop retrying", NULL},
	{"case-insensitive", 1007, "case_insensitive", ALL, NULL, "patterns ignore case", NULL},
	{"retry-on", 1008, "retry_on", ALL, "CODES", "retry only these exit codes (1,75,100-110)", NULL},
	{"fallback", 1009, "fallback", ALL, "CMD", "run CMD with sh -c once when every attempt failed", NULL},
	{"discover", 1019, "discover", ALL, NULL,
	 "read output as HTTP (curl -i): wait as Retry-After/rate-limit headers ask", NULL},
	{"replay-stdin", 1010, "replay_stdin", ALL, NULL, "give every attempt the same stdin bytes", NULL},
	{"quiet", 'q', "quiet", ALL, NULL, "print only errors", NULL},
	{"verbose", 'v', "verbose", ALL, NULL, "print each attempt's result and every rescheduling", NULL},
	{"json", 1011, "json", ALL, NULL, "print a JSON summary on stderr at the end", NULL},
	{"seed", OPT_SEED, NULL, ALL, "N", "seed the jitter, for reproducible delays", NULL},
	{"idempotency-key", OPT_IDEMPOTENCY_KEY, NULL, ALL, "KEY",
	 "PATIENCE_IDEMPOTENCY_KEY for every attempt (a new UUIDv4)", NULL},
	{"dry-run", OPT_DRY_RUN, NULL, ALL, NULL, "print the delay schedule and exit", NULL},
	{"config", OPT_CONFIG, NULL, ALL, "FILE", "read only this config file", NULL},
	{"debug-config", OPT_DEBUG_CONFIG, NULL, ALL, NULL, "show each setting and where it came from", NULL},
	{"help", OPT_HELP, NULL, ALL, NULL, "show this help", NULL},
	{"version", OPT_VERSION, NULL, ALL, NULL, "show the version", NULL},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

static const cli_option *option_by_id(int id)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].id == id)
			return &options[i];
	return NULL;
}

static const cli_option *option_by_setting(const char *key)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].setting && strcmp(options[i].setting, key) == 0)
			return &options[i];
	return NULL;
}

bool cli_setting_applies(const pt_config *cfg, int setting, pt_strategy s)
{
	const cli_option *o = option_by_setting(cfg->defs[setting].key);
	return !o || o->strategies == ALL || (o->strategies & (1u << s));
}

static void build_getopt_tables(struct option *longs, char *shorts)
{
	char *p = shorts;
	*p++ = '+'; /* stop at the command */
	*p++ = ':'; /* report a missing value as ':' */
	for (size_t i = 0; i < N_OPTIONS; i++) {
		int has_arg = !options[i].metavar	  ? no_argument
			      : options[i].metavar[0] == '[' ? optional_argument
							     : required_argument;
		longs[i] = (struct option){options[i].name, has_arg, NULL, options[i].id};
		if (options[i].id < 256) {
			*p++ = (char)options[i].id;
			if (options[i].metavar)
				*p++ = ':';
		}
	}
	*p = '\0';
	longs[N_OPTIONS] = (struct option){0};
}

static int bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	if (c == ':')
		pt_error("option \"%s\" needs a value (see patience --help)", arg);
	else if (optopt && optopt < 256)
		pt_error("unknown option \"-%c\" (see patience --help)", optopt);
	else
		pt_error("unknown option \"%s\" (see patience --help)", arg);
	return PT_EXIT_INTERNAL;
}

static int handle_special(int id, cli_args *out)
{
	switch (id) {
	case OPT_CONFIG: out->config_file = optarg; break;
	case OPT_DEBUG_CONFIG: out->debug_config = true; break;
	case OPT_DRY_RUN: out->dry_run = true; break;
	case OPT_SEED: out->seed = optarg; break;
	case OPT_IDEMPOTENCY_KEY: out->idempotency_key = optarg; break;
	case OPT_HELP: out->help = true; break;
	case OPT_VERSION: out->version = true; break;
	}
	return 0;
}

/* "-r 10" goes with --window; "-r 60/1m" (again for more limits, or
 * "60/1m,1000/1d") is a limit list of its own. */
static const char *flag_setting(const cli_option *o)
{
	if (strcmp(o->setting, "rate_limit") == 0 && optarg && strchr(optarg, '/'))
		return "limits";
	return o->setting;
}

static int record_flag(const cli_option *o, const pt_config *cfg, cli_args *out)
{
	if (out->n_flags == PT_MAX_FLAGS) {
		pt_error("too many options");
		return PT_EXIT_INTERNAL;
	}
	out->flags[out->n_flags++] = (cli_assignment){
		.setting = pt_config_find(cfg, flag_setting(o)),
		.value = optarg ? optarg : o->switch_value ? o->switch_value : "true",
		.flag = o->name,
	};
	return 0;
}

static int parse_strategy(int argc, char **argv, cli_args *out)
{
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	if (pt_strategy_lookup(argv[1], &out->strategy) != PT_OK) {
		pt_error("unknown strategy \"%s\": expected fixed, linear, exponential, jitter, "
			 "decorrelated-jitter, fibonacci, polynomial, diophantine, http-aware or adaptive",
			 argv[1]);
		return PT_EXIT_INTERNAL;
	}
	out->has_strategy = true;
	return 0;
}

int cli_parse(int argc, char **argv, const pt_config *cfg, cli_args *out)
{
	struct option longs[N_OPTIONS + 1];
	char shorts[2 * N_OPTIONS + 3];
	memset(out, 0, sizeof *out);
	int rc = parse_strategy(argc, argv, out);
	if (rc)
		return rc;
	int shift = out->has_strategy;
	build_getopt_tables(longs, shorts);
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc - shift, argv + shift, shorts, longs, NULL)) != -1) {
		const cli_option *o = option_by_id(c);
		if (!o)
			return bad_option(c, argv + shift);
		rc = o->setting ? record_flag(o, cfg, out) : handle_special(c, out);
		if (rc)
			return rc;
	}
	if (optind + shift < argc)
		out->command = argv + shift + optind;
	return 0;
}

/* The options of one group: ALL, RATE, or one strategy's own. */
static void print_options(unsigned strategies)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const cli_option *o = &options[i];
		bool own = strategies != ALL && strategies != RATE;
		if (own ? o->strategies == ALL || o->strategies == RATE || !(o->strategies & strategies)
			: o->strategies != strategies)
			continue;
		char left[48];
		char shortname[8] = "    ";
		if (o->id < 256)
			snprintf(shortname, sizeof shortname, "-%c, ", o->id);
		bool space = o->metavar && o->metavar[0] != '[';
		snprintf(left, sizeof left, "%s--%s%s%s", shortname, o->name, space ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-30s %s\n", left, o->help);
	}
}

static const char *const strategy_help[] = {
	[PT_STRATEGY_FIXED] = "fixed|fix                   the same delay every time",
	[PT_STRATEGY_LINEAR] = "linear|lin                  delay = n * increment",
	[PT_STRATEGY_EXPONENTIAL] = "exponential|exp             delay = base * x^(n-1)",
	[PT_STRATEGY_JITTER] = "jitter|jit                  random delay in [0, base * x^(n-1))",
	[PT_STRATEGY_DECORRELATED_JITTER] = "decorrelated-jitter|dj      AWS: random in [base, previous * x)",
	[PT_STRATEGY_FIBONACCI] = "fibonacci|fib               delay = base * 1, 1, 2, 3, 5, ...",
	[PT_STRATEGY_POLYNOMIAL] = "polynomial|poly             delay = base * n^e",
	[PT_STRATEGY_DIOPHANTINE] = "diophantine|dio             proactive: never more than N starts per W",
	[PT_STRATEGY_HTTP_AWARE] = "http-aware|ha               wait as the service asks (Retry-After, ...)",
	[PT_STRATEGY_ADAPTIVE] = "adaptive|adapt              learn which delays succeed (kept by --daemon)",
};

/* What http-aware reads and when an attempt counts as failed. */
static void print_http_rules(void)
{
	printf("\nReading the service (http-aware, and --discover with another strategy):\n"
	       "  the command's output is read as HTTP responses (curl -i, curl -D -, curl -v);\n"
	       "  the last response counts. After a failed attempt patience waits as it asks:\n"
	       "  Retry-After (seconds or a date), else the reset of a spent quota (RateLimit,\n"
	       "  RateLimit-Reset, X-RateLimit-Reset: epoch ms, epoch s or seconds by size),\n"
	       "  else a JSON retry_after in the body; at most --max-delay (30m by default).\n"
	       "  When it asks nothing, http-aware waits as --fallback-strategy does.\n"
	       "  An attempt fails even when the command exits 0 if the last status is 429,\n"
	       "  5xx, or another 4xx that says it is rate limited (Retry-After, or\n"
	       "  remaining 0); patience then exits 1 when no attempt succeeds.\n");
}

/* How adaptive picks a delay, and where it keeps what it learned. */
static void print_adaptive_rules(void)
{
	printf("\nLearning (adaptive):\n"
	       "  delays are buckets --base-delay, 2x, 4x, ... up to --max-delay. After each\n"
	       "  retry, the bucket of the wait before it learns the outcome:\n"
	       "  p += R * (outcome - p), from 0.5, over the last --memory outcomes only.\n"
	       "  The next delay is the shortest bucket with p >= 0.5 that is longer than a\n"
	       "  wait that already failed in this run; now and then the bucket below it is\n"
	       "  tried, to find a shorter delay again. No such bucket: the fallback strategy.\n"
	       "  With --daemon the outcomes are kept in patience-daemon per resource (and in\n"
	       "  its state file), so the next run starts informed; without, it starts afresh.\n"
	       "  --daemon needs no rate limit here. -r and -w keep their meaning (the rate\n"
	       "  limit), so the Go tool's -r/-w are --learning-rate and --memory.\n");
}

/* The circuit breaker's states and its spec. */
static void print_breaker_rules(void)
{
	printf("\nCircuit breaker (--circuit-breaker SPEC, any strategy):\n"
	       "  SPEC is failures=5,window=60s,cooldown=30s,probes=1 or any subset of it.\n"
	       "  Before each attempt patience asks the resource's breaker, and tells it\n"
	       "  the outcome after. Closed: attempts run; FAILURES failures within WINDOW\n"
	       "  open it. Open: for COOLDOWN no attempt runs; patience waits (with\n"
	       "  --fail-fast: exits 75). Half-open: PROBES attempts are let through; a\n"
	       "  probe's success closes it, its failure opens it again. With --daemon\n"
	       "  every patience process of the resource feeds one breaker (no rate limit\n"
	       "  needed); without, or while no daemon answers, the run keeps its own.\n");
}

void cli_print_help(const cli_args *args)
{
	if (args->has_strategy) {
		printf("usage: patience %s [options] -- command [args...]\n\n  %s\n\n",
		       pt_strategy_name(args->strategy), strategy_help[args->strategy]);
		printf("Strategy options:\n");
		print_options(1u << args->strategy);
		if (args->strategy == PT_STRATEGY_HTTP_AWARE || args->strategy == PT_STRATEGY_ADAPTIVE)
			printf("  and the fallback strategy's options (patience exponential --help)\n");
		if (args->strategy == PT_STRATEGY_HTTP_AWARE)
			print_http_rules();
		if (args->strategy == PT_STRATEGY_ADAPTIVE)
			print_adaptive_rules();
		printf("\nRate limit options%s:\n",
		       args->strategy == PT_STRATEGY_DIOPHANTINE ? " (-r and -w required)" : "");
		print_options(RATE);
		printf("\nCommon options: see patience --help\n");
		return;
	}
	printf("usage: patience [strategy] [options] -- command [args...]\n\n"
	       "Run command until it succeeds, waiting between attempts as the strategy says.\n"
	       "Without a strategy, the configured backoff (default exponential) is used.\n\n"
	       "Strategies (patience STRATEGY --help for their options):\n");
	for (size_t i = 0; i < sizeof strategy_help / sizeof strategy_help[0]; i++)
		printf("  %s\n", strategy_help[i]);
	printf("\nCommon options:\n");
	print_options(ALL);
	printf("\nRate limit options (any strategy): with --daemon, every patience and rpr\n"
	       "process of the user shares one limit per resource through patience-daemon;\n"
	       "patience daemon start|stop|status|restart manages it; patience resource --\n"
	       "CMD prints the resource id of CMD; patience profiles lists the profiles.\n");
	print_options(RATE);
	print_http_rules();
	print_breaker_rules();
	printf("\nDurations: 250ms, 1.5s, 2m, 1h30m, 1d; a bare number is seconds.\n"
	       "Each attempt gets PATIENCE_ATTEMPT, PATIENCE_MAX_ATTEMPTS and\n"
	       "PATIENCE_IDEMPOTENCY_KEY in its environment.\n\n"
	       "Exit status: 0 on success; the command's last exit code when it never\n"
	       "succeeded; 124 when --timeout or --deadline ended it; 125 when patience\n"
	       "failed (usage, config); 126/127 command not executable/not found;\n"
	       "128+N when patience was stopped by signal N; 75 when --fail-fast found\n"
	       "the circuit open.\n\n"
	       "Examples:\n"
	       "  patience exponential -a 5 -b 500ms -- curl -fsS https://example.com/\n"
	       "  patience fixed -d 2s -t 10s --retry-on 7,28 -- curl -fsS https://example.com/\n"
	       "  patience diophantine -r 10 -w 1m -o 0,10s,30s -- ./call-api.sh\n"
	       "  patience http-aware -a 5 -m 10m -- curl -si https://api.github.com/user\n"
	       "  patience adaptive --daemon -a 8 -b 250ms -- ./flaky-upload.sh\n"
	       "  patience exp -a 10 --circuit-breaker failures=3 --daemon -- ./sync.sh\n"
	       "  patience exp --dry-run -a 6\n\n"
	       "See patience(1) for configuration files and environment variables.\n");
}
