/* The patience command: the types its files share.
 *   patience.c      main: configuration layers, the plan, exit codes
 *   patience_cli.c  the option table, argument parsing, --help
 *   patience_plan.c settings to a checked run plan
 *   patience_run.c  the retry loop
 *   run_report.c    its progress lines, summary and --json
 *   patience_daemon_cmd.c  patience daemon start|stop|status|restart
 *   patience_daemon_show.c what daemon status shows of executions, and
 *                          status RESOURCE
 *   patience_resource.c    patience resource -- CMD; patience profiles
 * and, shared with rpr: breaker_wait.c (--circuit-breaker), learner.c
 * (adaptive's model), config_files.c, status_line.c, say.c; below them,
 * in src/client/ with libpatience: limiter.c (start times under a rate
 * limit: the daemon, the host's shared starts, or local), lease_client.c
 * (--concurrency), breaker_client.c. */
#ifndef PT_TOOLS_PATIENCE_H
#define PT_TOOLS_PATIENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "patience/adaptive.h"
#include "patience/backoff.h"
#include "patience/breaker.h"
#include "patience/codeset.h"
#include "patience/config.h"
#include "patience/diophantine.h"
#include "patience/limit.h"
#include "patience/profile.h"
#include "patience/uuid.h"

/* Exit codes, as timeout(1) and DESIGN.md; --fail-fast's open circuit:
 * EX_TEMPFAIL of sysexits.h. */
enum {
	PT_EXIT_CIRCUIT_OPEN = 75,
	PT_EXIT_TIMEOUT = 124,
	PT_EXIT_INTERNAL = 125,
	PT_EXIT_CANNOT_EXEC = 126,
	PT_EXIT_NOT_FOUND = 127,
};

#define PT_MAX_FLAGS 64

/* A flag that sets a setting, kept until the config layers below it are in. */
typedef struct cli_assignment {
	int setting;       /* index in the settings table */
	const char *value; /* argv string */
	const char *flag;  /* "--attempts" */
} cli_assignment;

typedef struct cli_args {
	bool has_strategy;
	pt_strategy strategy;
	cli_assignment flags[PT_MAX_FLAGS];
	int n_flags;
	const char *config_file;
	const char *idempotency_key;
	const char *seed;
	bool debug_config;
	bool dry_run;
	bool help;
	bool version;
	char **command; /* NULL-terminated, NULL when none */
} cli_args;

/* Everything a run needs, resolved from the configuration. */
typedef struct run_plan {
	pt_strategy strategy;
	pt_backoff_params backoff; /* http-aware, adaptive: its fallback strategy's */
	pt_adaptive_params adaptive; /* adaptive: its model's */
	/* http-aware, --discover: read the output as HTTP, wait as it asks */
	bool discover;
	int64_t asked_max_ms; /* bound on a delay the service asks; 0: none */
	uint64_t seed;
	bool seeded;
	int attempts;
	int64_t timeout_ms, kill_after_ms, deadline_ms; /* 0: none */
	const char *success_re, *failure_re;
	bool caseless;
	bool has_retry_on;
	pt_codeset retry_on;
	const char *fallback;
	bool replay_stdin, quiet, verbose, json;
	char idempotency_key[PT_UUID_TEXT_LEN + 1];
	/* rate limit: always for diophantine, with -r/-w for the others */
	bool limited;
	const char *tz;       /* calendar limits' zone; NULL: local time */
	pt_limit_list limits; /* every limit given; the scheduler enforces the... */
	int64_t rate_limit, window_ms, guard_ms; /* ...primary one (shortest window) */
	bool guard_given; /* --guard (or its setting): sent to the daemon too */
	int64_t priority; /* --priority: rank in the daemon's queue (pt_priority_parse) */
	int64_t burst;    /* --burst B: the primary limit is a GCRA one; 0: sliding */
	int64_t offsets[PT_DIO_MAX_OFFSETS]; /* diophantine; {0} for the others */
	size_t n_offsets;
	char resource_id[512];
	/* --circuit-breaker: admitted before each attempt, told its outcome */
	bool breaker, fail_fast;
	pt_breaker_spec breaker_spec;
	int64_t concurrency; /* --concurrency N: leases held while a command runs; 0: none */
	/* the daemon: shares the rate limit, the breaker, the leases, adaptive's
	 * memory, and counts the attempts */
	bool daemon_enabled, daemon_auto_start;
	/* no limit of our own, but the daemon's: each start is the daemon's
	 * grant under the resource's limit, if it has one */
	bool coordinated;
	int64_t daemon_timeout_ms;
	char daemon_socket[4096];
	char **command;
} run_plan;

/* Parse argv. Returns 0, or PT_EXIT_INTERNAL after printing the error. */
int cli_parse(int argc, char **argv, const pt_config *cfg, cli_args *out);
void cli_print_help(const cli_args *args);
/* Does the flag behind setting index apply to strategy s? */
bool cli_setting_applies(const pt_config *cfg, int setting, pt_strategy s);

/* Resolve settings into plan, checking what only makes sense together.
 * Returns 0, or PT_EXIT_INTERNAL after printing the error. */
int plan_build(const pt_config *cfg, const cli_args *args, run_plan *plan);

/* The profile the settings name: 0 and *out; 1 when none is named;
 * PT_EXIT_INTERNAL after saying that it does not exist. */
int plan_profile(const pt_config *cfg, pt_profile *out);
/* The resource id of a run of command (NULL: none): --resource-id, the
 * profile's (profile may be NULL), or derived in the resource_scope. "" when
 * there is nothing to go by. */
void plan_resource_id(const pt_config *cfg, const pt_profile *profile, char **command,
		      char *buf, size_t len);

/* Print the schedule (--dry-run) on stdout. */
void run_print_schedule(const run_plan *plan);
/* Run the plan; returns patience's exit code. */
int run_plan_execute(const run_plan *plan, int signal_fd);

/* Layer the config files (args->config_file, else the usual ones), the
 * PATIENCE_* environment and the flags of args onto cfg. Returns 0, or
 * patience's exit code after printing why. */
int load_config(pt_config *cfg, const cli_args *args);

/* `patience daemon ...`; argv[0] is "daemon". cfg: the settings, before
 * any file is read. Returns the exit code. */
int daemon_ctl(int argc, char **argv, pt_config *cfg);

/* patience_daemon_show.c. The number (0 when absent) or string ("?") at
 * key of a daemon's reply. */
struct cJSON;
double json_num(const struct cJSON *o, const char *key);
const char *json_str(const struct cJSON *o, const char *key);
/* The "executions" of a resource of the resources reply: one line of runs
 * per tool (nothing when it has none). */
void daemon_show_executions(const struct cJSON *resource);
/* status RESOURCE: the resource (from resources) and its metrics reply. */
void daemon_show_resource(const struct cJSON *resource, const struct cJSON *metrics);

/* `patience resource ... -- CMD` and `patience profiles ...`; argv[0] is
 * the subcommand. Return the exit code. */
int resource_cmd(int argc, char **argv, pt_config *cfg);
int profiles_cmd(int argc, char **argv, pt_config *cfg);

/* "patience: message" on stderr. */
void pt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
