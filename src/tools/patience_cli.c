/* patience's command line: one option table drives parsing and --help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "patience.h"
#include "patience/error.h"

/* Strategy bits of pt_option.strategies (patience_options.c says which). */
#define RATE (~0u)

#define OPTIONS (&pt_patience_option_table)

bool cli_setting_applies(const pt_config *cfg, int setting, pt_strategy s)
{
	const pt_option *o = options_by_setting(OPTIONS, cfg->defs[setting].key);
	return !o || o->strategies == OPT_ALL || (o->strategies & (1u << s));
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

static int handle_special(pt_opt_id id, cli_args *out)
{
	switch (id) {
	case OPT_CONFIG: out->config_file = optarg; break;
	case OPT_DEBUG_CONFIG: out->debug_config = true; break;
	case OPT_DRY_RUN: out->dry_run = true; break;
	case OPT_SEED: out->seed = optarg; break;
	case OPT_IDEMPOTENCY_KEY: out->idempotency_key = optarg; break;
	case OPT_HELP: out->help = true; break;
	case OPT_VERSION: out->version = true; break;
	default: break;
	}
	return 0;
}

/* "-r 10" goes with --window; "-r 60/1m" (again for more limits, or
 * "60/1m,1000/1d") is a limit list of its own. */
static const char *flag_setting(const pt_option *o)
{
	if (strcmp(o->setting, "rate_limit") == 0 && optarg && strchr(optarg, '/'))
		return "limits";
	return o->setting;
}

static int record_flag(const pt_option *o, const pt_config *cfg, cli_args *out)
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
	struct option longs[OPTIONS_MAX + 1];
	char shorts[2 * OPTIONS_MAX + 3];
	memset(out, 0, sizeof *out);
	int rc = parse_strategy(argc, argv, out);
	if (rc)
		return rc;
	int shift = out->has_strategy;
	options_getopt(OPTIONS, longs, shorts, true);
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc - shift, argv + shift, shorts, longs, NULL)) != -1) {
		const pt_option *o = options_find(OPTIONS, c);
		if (!o)
			return bad_option(c, argv + shift);
		rc = o->setting ? record_flag(o, cfg, out) : handle_special(o->id, out);
		if (rc)
			return rc;
	}
	if (optind + shift < argc)
		out->command = argv + shift + optind;
	return 0;
}

/* The group --help is printing: OPT_ALL, RATE, or one strategy's bit. */
static unsigned help_group;

/* Is o in help_group? A strategy's own options are those of neither
 * other group. */
static bool in_group(const pt_option *o)
{
	if (help_group == OPT_ALL || help_group == RATE)
		return o->strategies == help_group;
	return o->strategies != OPT_ALL && o->strategies != RATE && (o->strategies & help_group);
}

static void print_options(unsigned group)
{
	help_group = group;
	options_print_help(OPTIONS, 30, in_group);
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
	print_options(OPT_ALL);
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
