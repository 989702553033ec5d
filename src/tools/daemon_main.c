/* patience-daemon: one scheduler that every patience and rpr process of a
 * user (or of a host) shares, so that they keep one limit per resource.
 * main only wires: the option table, the config files, then the daemon
 * (src/daemon/). Exit status: 0 after a clean stop (SIGTERM, SIGINT) or
 * --help/--version/--check-config; 1 when it cannot start (another daemon
 * serves the socket, the state cannot be opened); 125 on a usage or
 * config error. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "patience/error.h"
#include "patience/paths.h"
#include "patience/version.h"
#include "options.h"

#define EXIT_USAGE 125

#define OPTIONS (&pt_daemon_option_table)

typedef struct flag_value {
	const pt_option *option;
	const char *value;
} flag_value;

typedef struct daemon_args {
	const char *config_file;
	bool check_config, help, version;
	flag_value flags[OPTIONS_MAX * 4];
	size_t n_flags;
} daemon_args;

static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("patience-daemon: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see patience-daemon --help)\n", stderr);
	va_end(ap);
	exit(EXIT_USAGE);
}

static void print_help(void)
{
	printf("usage: patience-daemon [options]\n\n"
	       "Serve one shared rate limit per resource to patience and rpr over a Unix\n"
	       "socket (docs/PROTOCOL.md).\n\noptions:\n");
	options_print_help(OPTIONS, 28, NULL);
	printf("\nThe daemon never forks: run it under systemd (packaging/patience-daemon.service)\n"
	       "or in the background yourself; patience starts a detached one when none\n"
	       "answers. It logs to stderr. Without --config or PATIENCE_CONFIG_FILE it reads\n"
	       "/etc/patience/config.toml and $XDG_CONFIG_HOME/patience/config.toml (or the\n"
	       "config.yaml beside each). SIGHUP reloads their\n"
	       "[rate_limiting.resources] limits and log level; SIGTERM stops it cleanly.\n");
}

static void handle(const pt_option *o, daemon_args *a)
{
	if (o->setting) {
		if (a->n_flags == sizeof a->flags / sizeof a->flags[0])
			die_usage("too many options");
		a->flags[a->n_flags++] = (flag_value){o, optarg};
		return;
	}
	switch (o->id) {
	case OPT_CONFIG: a->config_file = optarg; break;
	case OPT_CHECK_CONFIG: a->check_config = true; break;
	case OPT_HELP: a->help = true; break;
	case OPT_VERSION: a->version = true; break;
	default: break; /* --foreground */
	}
}

static void parse_args(int argc, char **argv, daemon_args *a)
{
	struct option longs[OPTIONS_MAX + 1];
	char shorts[2 * OPTIONS_MAX + 3];
	int c;
	memset(a, 0, sizeof *a);
	options_getopt(OPTIONS, longs, shorts, false);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const pt_option *o = options_find(OPTIONS, c);
		if (c == ':')
			die_usage("option \"%s\" needs a value", argv[optind - 1]);
		if (!o && optopt && optopt < 256)
			die_usage("unknown option \"-%c\"", optopt);
		if (!o)
			die_usage("unknown option \"%s\"", argv[optind - 1]);
		handle(o, a);
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
}

static void apply_flags(pt_config *cfg, const daemon_args *a)
{
	char err[512], origin[64];
	for (size_t i = 0; i < a->n_flags; i++) {
		const pt_option *o = a->flags[i].option;
		snprintf(origin, sizeof origin, "flag --%s", o->name);
		if (pt_config_set(cfg, (size_t)pt_config_find(cfg, o->setting), a->flags[i].value,
				  PT_SOURCE_FLAG, origin, err, sizeof err) != PT_OK)
			die_usage("--%s: %s", o->name, err);
	}
}

/* path made absolute (the daemon works from /). */
static void absolute(char *out, size_t len, const char *path, const char *what)
{
	char cwd[PATH_MAX];
	int n;
	if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else if (getcwd(cwd, sizeof cwd))
		n = snprintf(out, len, "%s/%s", cwd, path);
	else
		n = -1;
	if (n < 0 || (size_t)n >= len)
		die_usage("%s \"%s\": path too long", what, path);
}

#define DEFAULT_METRICS_LISTEN "127.0.0.1:9464"

static const char *text_of(const pt_config *cfg, const char *key)
{
	const pt_setting *s = pt_config_get(cfg, key);
	return s ? s->text : NULL;
}

/* --socket, else daemon_socket (as patience reads it), else
 * daemon.socket_path, else the default. */
static void socket_path(const pt_config *cfg, pt_daemon_options *o)
{
	const pt_setting *flag = pt_config_get(cfg, "daemon.socket_path");
	const char *path = flag->source == PT_SOURCE_FLAG ? flag->text : text_of(cfg, "daemon_socket");
	char buf[PATH_MAX];
	if (!path)
		path = flag->text;
	if (!path) {
		if (pt_default_socket_path(buf, sizeof buf) != PT_OK)
			die_usage("cannot work out the socket path; give --socket");
		path = buf;
	}
	absolute(o->socket_path, sizeof o->socket_path, path, "socket");
}

static void redis_options(const pt_config *cfg, pt_redis_options *o)
{
	const char *url = text_of(cfg, "daemon.backend");
	const pt_setting *share = pt_config_get(cfg, "daemon.outage_share");
	char err[1280];
	if (url && strcmp(url, "memory") != 0) {
		if (pt_redis_check_url(url, err, sizeof err) != PT_OK)
			die_usage("%s", err);
		if (strlen(url) >= sizeof o->url)
			die_usage("backend URL is longer than %zu bytes", sizeof o->url - 1);
		snprintf(o->url, sizeof o->url, "%s", url);
	}
	o->timeout_ms = pt_config_get(cfg, "daemon.redis_timeout")->as.ms;
	if (o->timeout_ms < 1)
		die_usage("redis timeout %s: expected a duration of at least 1ms",
			  text_of(cfg, "daemon.redis_timeout"));
	o->outage_share = share->text ? share->as.floating : 0;
}

/* /metrics and the dashboard: on metrics_listen, or with metrics_enabled
 * = true on the default address; metrics_enabled = false turns both off. */
static void metrics_listen(const pt_config *cfg, pt_daemon_options *o)
{
	const char *text = text_of(cfg, "daemon.metrics_listen");
	const pt_setting *enabled = pt_config_get(cfg, "daemon.metrics_enabled");
	char host[sizeof o->metrics_listen], why[128];
	uint16_t port;
	if (enabled->text && !enabled->as.boolean)
		return;
	if (!text && enabled->text)
		text = DEFAULT_METRICS_LISTEN;
	if (!text)
		return;
	if (strlen(text) >= sizeof o->metrics_listen ||
	    pt_http_parse_listen(text, host, sizeof host, &port, why, sizeof why) != PT_OK)
		die_usage("metrics listen address \"%s\": %s", text,
			  strlen(text) >= sizeof o->metrics_listen ? "too long" : why);
	snprintf(o->metrics_listen, sizeof o->metrics_listen, "%s", text);
}

static void build_options(const pt_config *cfg, const daemon_args *a, pt_daemon_options *o)
{
	const char *state = text_of(cfg, "daemon.state");
	char buf[PATH_MAX];
	memset(o, 0, sizeof *o);
	socket_path(cfg, o);
	if (!state) {
		if (pt_default_state_path(buf, sizeof buf) != PT_OK)
			die_usage("cannot work out the state path (no XDG_STATE_HOME or HOME); "
				  "give --state");
		state = buf;
	}
	absolute(o->state_path, sizeof o->state_path, state, "state");
	pt_config_search search;
	pt_daemon_config_search(&search, a->config_file);
	const char *named = pt_config_named_file(&search, NULL, 0);
	if (named) /* SIGHUP reads it again, from / */
		absolute(o->config_file, sizeof o->config_file, named, "config");
	pt_log_level_parse(text_of(cfg, "daemon.log_level"), &o->log_level);
	o->log_level_fixed = pt_config_get(cfg, "daemon.log_level")->source == PT_SOURCE_FLAG;
	o->max_clients = pt_config_get(cfg, "daemon.max_clients")->as.integer;
	o->idle_timeout_ms = pt_config_get(cfg, "daemon.idle_timeout")->as.ms;
	o->priority_aging_ms = pt_config_get(cfg, "daemon.priority_aging")->as.ms;
	const pt_setting *max_guard = pt_config_get(cfg, "daemon.max_guard");
	o->max_guard_ms = max_guard->text ? max_guard->as.ms : -1;
	o->socket_mode = (unsigned)strtoul(text_of(cfg, "daemon.socket_mode"), NULL, 8);
	redis_options(cfg, &o->redis);
	metrics_listen(cfg, o);
}

int main(int argc, char **argv)
{
	daemon_args args;
	pt_daemon_config cfg;
	pt_daemon_options opt;
	char err[1024];
	parse_args(argc, argv, &args);
	if (args.help) {
		print_help();
		return 0;
	}
	if (args.version) {
		printf("patience-daemon %s\n", PATIENCE_VERSION);
		return 0;
	}
	if (pt_daemon_config_load(&cfg, args.config_file, err, sizeof err) != PT_OK) {
		fprintf(stderr, "patience-daemon: %s\n", err);
		return EXIT_USAGE;
	}
	static const char *const prefixes[] = {"PATIENCE"}; /* PATIENCE_BACKEND and friends */
	if (pt_config_apply_env(&cfg.settings, prefixes, 1, err, sizeof err) != PT_OK) {
		fprintf(stderr, "patience-daemon: %s\n", err);
		pt_daemon_config_release(&cfg);
		return EXIT_USAGE;
	}
	apply_flags(&cfg.settings, &args);
	build_options(&cfg.settings, &args, &opt);
	if (args.check_config) {
		printf("configuration OK (%zu resource limits)\n", cfg.n_limits);
		pt_daemon_config_release(&cfg);
		return 0;
	}
	int rc = pt_daemon_run(&opt, &cfg, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "patience-daemon: %s\n", err);
	pt_daemon_config_release(&cfg);
	return rc;
}
