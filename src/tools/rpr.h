/* rpr: run a command over and over, on a drift-free schedule.
 *   rpr.c      the option table, argument parsing, --help, main
 *   rpr_run.c  the run loop, the statistics report and the exports */
#ifndef PT_TOOLS_RPR_H
#define PT_TOOLS_RPR_H

#include <stdbool.h>
#include <stdint.h>

#include "patience/breaker.h"
#include "patience/cron.h"
#include "patience/limit.h"
#include "patience/resource_id.h"

/* Exit codes, as the Go rpr's. */
enum {
	RPR_EXIT_OK = 0,     /* no run failed */
	RPR_EXIT_FAILED = 1, /* some run failed */
	RPR_EXIT_USAGE = 2,  /* usage or config error */
	RPR_EXIT_CIRCUIT_OPEN = 75, /* --fail-fast and the circuit open, as patience's */
};

typedef enum rpr_mode {
	RPR_INTERVAL, /* every --every, first run at once */
	RPR_COUNT,    /* --times runs, --every apart (default: back to back) */
	RPR_DURATION, /* runs for --for, --every apart (default: back to back) */
	RPR_CRON,     /* at the times of --cron, in --tz (default: local time) */
	RPR_RATE,     /* back to back, as often as --rate N/W allows (shared with --daemon) */
	RPR_ADAPTIVE, /* AIMD: the interval doubles after a failed or slow run, and
	               * shrinks by a tenth of --every after a good one */
} rpr_mode;

typedef struct rpr_plan {
	rpr_mode mode;
	int64_t every_ms;   /* 0: the next run starts when the last ends */
	int64_t min_interval_ms, max_interval_ms; /* adaptive: the bounds */
	int64_t times;      /* 0: no bound */
	int64_t for_ms;     /* 0: no bound */
	int64_t timeout_ms; /* per run; 0: none */
	int64_t kill_after_ms;
	int64_t max_failures; /* 0: no bound */
	bool until_success, until_failure;
	const char *until_pattern; /* stop after a run whose output matches (PCRE2) */
	bool quiet, verbose, stats_only;
	bool queue;    /* --overlap queue: ticks a long run covered run late, back to back */
	bool parallel; /* --overlap parallel: a run at every tick, however many overlap */
	const char *export_json, *export_csv;
	const char *output_prefix; /* a checked template (patience/template.h); NULL: none */
	const char *config_file;   /* --config; NULL: the usual files */
	bool debug_config;         /* --debug-config */
	/* The limit (--rate; required in RPR_RATE), and the daemon that shares
	 * it (in every mode: with --daemon and no --rate, the daemon's limit
	 * for the resource, if it has one) */
	int64_t rate_limit, rate_window_ms, guard_ms;
	int64_t burst; /* --burst: the limit as GCRA; 0: sliding */
	bool guard_given, daemon, no_auto_start;
	int64_t priority; /* --priority, in the daemon's queue */
	bool priority_given;
	int64_t daemon_timeout_ms; /* the daemon_timeout setting */
	const char *resource_id, *daemon_socket; /* NULL: derived, the default */
	const char *profile;     /* --profile; NULL: the profile setting */
	int64_t concurrency;     /* --concurrency: a lease around each run; 0: none */
	bool breaker, fail_fast; /* --circuit-breaker: admitted before each run, told its end */
	pt_breaker_spec breaker_spec;
	pt_limit_list limits;    /* the profile's, all of them; empty with --rate */
	char resource_buf[256];  /* resource_id when it comes from the profile */
	pt_resource_scope scope; /* of a derived resource_id */
	bool detect_resource;    /* derive it from the command's target, else its name */
	bool scope_given;        /* --resource-scope */
	char socket_buf[4096]; /* daemon_socket when it comes from the settings */
	char socket_var[4096 + 32]; /* PATIENCE_DAEMON_SOCKET=, for the commands */
	pt_cron cron;       /* RPR_CRON */
	bool has_cron;
	const char *tz;     /* --tz; NULL: the local zone */
	char **command;
	char **envp;        /* the commands' environment: ours before --tz set TZ */
} rpr_plan;

/* Run the plan; returns rpr's exit code. */
int rpr_execute(const rpr_plan *plan, int signal_fd);

#endif
