/* patience: run a command until it succeeds. main wires the configuration
 * layers (defaults < files < environment < flags) into a run plan. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exec/signals.h"
#include "config_files.h"
#include "patience.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/settings.h"
#include "patience/version.h"


void pt_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("patience: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A second --rate-limit N/DUR adds to the first's limits. */
static const char *flag_value(const pt_config *cfg, const cli_assignment *f, char *buf,
			      size_t len)
{
	const pt_setting *now = &cfg->values[f->setting];
	if (f->setting != pt_config_find(cfg, "limits") || now->source != PT_SOURCE_FLAG)
		return f->value;
	snprintf(buf, len, "%s,%s", now->text, f->value);
	return buf;
}

static int apply_flags(pt_config *cfg, const cli_args *args)
{
	char err[512], origin[64], joined[1024];
	for (int i = 0; i < args->n_flags; i++) {
		const cli_assignment *f = &args->flags[i];
		const char *value = flag_value(cfg, f, joined, sizeof joined);
		snprintf(origin, sizeof origin, "flag --%s", f->flag);
		if (pt_config_set(cfg, (size_t)f->setting, value, PT_SOURCE_FLAG, origin, err,
				  sizeof err) != PT_OK) {
			pt_error("--%s: %s", f->flag, err);
			return PT_EXIT_INTERNAL;
		}
	}
	return 0;
}

int load_config(pt_config *cfg, const cli_args *args)
{
	static const char *const prefixes[] = {"PATIENCE"};
	char err[512];
	if (config_files_load(cfg, args->config_file, prefixes, 1, "patience"))
		return PT_EXIT_INTERNAL;
	if (pt_config_apply_env(cfg, prefixes, 1, err, sizeof err) != PT_OK) {
		pt_error("%s", err);
		return PT_EXIT_INTERNAL;
	}
	return apply_flags(cfg, args);
}

static void print_debug_config(const pt_config *cfg, const cli_args *args)
{
	if (args->has_strategy)
		fprintf(stderr, "[config] strategy %s (command line)\n",
			pt_strategy_name(args->strategy));
	else
		fprintf(stderr, "[config] strategy %s (setting backoff)\n",
			pt_config_get(cfg, "backoff")->text);
	config_debug_settings(cfg);
}

/* --debug-config: what the settings make of this run. */
static void print_debug_plan(const pt_config *cfg, const run_plan *plan)
{
	char why[512], window[32];
	fprintf(stderr, "[config] for this run:\n");
	config_debug_meaning("strategy", "%s, at most %d attempt%s", pt_strategy_name(plan->strategy),
			     plan->attempts, plan->attempts == 1 ? "" : "s");
	config_debug_origin(cfg, pt_config_pick(cfg, "daemon_enabled",
						"patience.defaults.daemon_enabled"), why, sizeof why);
	if (plan->daemon_enabled)
		config_debug_meaning("daemon", "on %s %s", plan->daemon_socket, why);
	else
		config_debug_meaning("daemon", "off %s%s", why,
				     pt_config_get(cfg, "rate_limiting.coordination_enabled")->as.boolean
					     ? "" : " (coordination_enabled = false)");
	config_debug_resource_origin(cfg, "patience.defaults.resource_detection", why, sizeof why);
	config_debug_meaning("resource", "%s %s", plan->resource_id[0] ? plan->resource_id
					   : "(from the command)", why);
	pt_duration_format(plan->window_ms, window, sizeof window);
	if (plan->limited)
		config_debug_meaning("limit", "%" PRId64 " per %s, %s", plan->rate_limit, window,
				     plan->burst == 1 ? "evenly spaced starts (gcra)"
				     : plan->burst   ? "in bursts (gcra)" : "a sliding window");
	else
		config_debug_daemon_limit(cfg, plan->resource_id, plan->coordinated);
	config_debug_meaning("output", "%s", plan->quiet ? "errors only (quiet or log_level error)"
					     : plan->verbose ? "verbose (verbose or log_level debug)"
							     : "normal");
}

static int run(int argc, char **argv, pt_config *cfg, int signal_fd)
{
	cli_args args;
	run_plan plan;
	int rc = cli_parse(argc, argv, cfg, &args);
	if (rc)
		return rc;
	if (args.help) {
		cli_print_help(&args);
		return 0;
	}
	if (args.version) {
		printf("patience %s\n", PATIENCE_VERSION);
		return 0;
	}
	if ((rc = load_config(cfg, &args)))
		return rc;
	if (args.debug_config)
		print_debug_config(cfg, &args);
	if ((rc = plan_build(cfg, &args, &plan)))
		return rc;
	if (args.debug_config)
		print_debug_plan(cfg, &plan);
	if (args.dry_run) {
		run_print_schedule(&plan);
		return 0;
	}
	if (!plan.command) {
		if (args.debug_config)
			return 0;
		pt_error("no command given: put it after --, as in patience exp -- curl URL");
		return PT_EXIT_INTERNAL;
	}
	return run_plan_execute(&plan, signal_fd);
}

/* Started with fd 0, 1 or 2 closed, our own pipes would take their numbers
 * and the command would read or write them: fill the gaps with /dev/null. */
static int open_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got != fd)
			return -1;
	}
	return 0;
}

/* Subcommands; any other first word is a strategy or an option. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv, pt_config *cfg);
} subcommands[] = {
	{"daemon", daemon_ctl},
	{"resource", resource_cmd},
	{"profiles", profiles_cmd},
};

static int dispatch(int argc, char **argv, pt_config *cfg, int signal_fd)
{
	for (size_t i = 0; argc > 1 && i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1, cfg);
	return run(argc, argv, cfg, signal_fd);
}

int main(int argc, char **argv)
{
	pt_config cfg;
	pt_profile_set profiles;
	static pt_resource_limits resource_limits; /* for --debug-config */
	if (open_standard_fds() < 0)
		return PT_EXIT_INTERNAL;
	int signal_fd = pt_signals_install();
	if (signal_fd < 0) {
		pt_error("cannot install signal handlers: %s", strerror(errno));
		return PT_EXIT_INTERNAL;
	}
	if (pt_settings_config_init(&cfg) != PT_OK) {
		pt_error("out of memory");
		return PT_EXIT_INTERNAL;
	}
	pt_profile_set_init(&profiles);
	pt_settings_keep_profiles(&cfg, &profiles);
	pt_settings_keep_resource_limits(&cfg, &resource_limits);
	int rc = dispatch(argc, argv, &cfg, signal_fd);
	pt_config_release(&cfg);
	pt_profile_set_release(&profiles);
	return rc;
}
