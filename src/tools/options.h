/* Every option of the three programs, each described once: its id, short
 * letter, name, argument, the setting it sets, the patience strategies it
 * applies to, its --help line, the values a shell may complete, and its
 * text in the man page's OPTIONS section. The parsers and --help read
 * these tables (options_patience.c, options_rpr.c, options_daemon.c); so
 * does gen_docs, which writes the man pages' OPTIONS sections, the index
 * of settings in docs/CONFIG.md and the shell completions (make docs; the
 * ctest docs.generated fails when one of them is stale). A default comes
 * from the settings table (patience/settings.h), never from the help text. */
#ifndef PT_TOOLS_OPTIONS_H
#define PT_TOOLS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Option ids, one per option name across the programs (an option two
 * programs share has one id). getopt returns an option's letter when it
 * has one, else its id. */
typedef enum pt_opt_id {
	OPT_FIRST = 256, /* above every letter */
	OPT_DELAY = OPT_FIRST,
	OPT_INCREMENT,
	OPT_BASE_DELAY,
	OPT_MULTIPLIER,
	OPT_EXPONENT,
	OPT_MAX_DELAY,
	OPT_FALLBACK_STRATEGY,
	OPT_LEARNING_RATE,
	OPT_MEMORY,
	OPT_JITTER,
	OPT_RATE_LIMIT,
	OPT_WINDOW,
	OPT_PROFILE,
	OPT_RETRY_OFFSETS,
	OPT_GUARD,
	OPT_BURST,
	OPT_PRIORITY,
	OPT_TZ,
	OPT_RESOURCE_ID,
	OPT_RESOURCE_SCOPE,
	OPT_DAEMON,
	OPT_DAEMON_SOCKET,
	OPT_DAEMON_TIMEOUT,
	OPT_DAEMON_AUTO_START,
	OPT_NO_DAEMON_AUTO_START,
	OPT_CONCURRENCY,
	OPT_ATTEMPTS,
	OPT_MAX_ATTEMPTS,
	OPT_CIRCUIT_BREAKER,
	OPT_FAIL_FAST,
	OPT_TIMEOUT,
	OPT_KILL_AFTER,
	OPT_DEADLINE,
	OPT_SUCCESS_PATTERN,
	OPT_FAILURE_PATTERN,
	OPT_CASE_INSENSITIVE,
	OPT_RETRY_ON,
	OPT_FALLBACK,
	OPT_DISCOVER,
	OPT_REPLAY_STDIN,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_JSON,
	OPT_SEED,
	OPT_IDEMPOTENCY_KEY,
	OPT_DRY_RUN,
	OPT_CONFIG,
	OPT_DEBUG_CONFIG,
	OPT_HELP,
	OPT_VERSION,
	OPT_EVERY,
	OPT_TIMES,
	OPT_FOR,
	OPT_CRON,
	OPT_RATE,
	OPT_MIN_INTERVAL,
	OPT_MAX_INTERVAL,
	OPT_UNTIL_SUCCESS,
	OPT_UNTIL_FAILURE,
	OPT_MAX_FAILURES,
	OPT_UNTIL_PATTERN,
	OPT_OVERLAP,
	OPT_OUTPUT_PREFIX,
	OPT_STATS_ONLY,
	OPT_EXPORT_JSON,
	OPT_EXPORT_CSV,
	OPT_SOCKET,
	OPT_STATE,
	OPT_CHECK_CONFIG,
	OPT_FOREGROUND,
	OPT_LOG_LEVEL,
	OPT_MAX_CLIENTS,
	OPT_IDLE_TIMEOUT,
	OPT_PRIORITY_AGING,
	OPT_MAX_GUARD,
	OPT_SOCKET_MODE,
	OPT_BACKEND,
	OPT_REDIS_TIMEOUT,
	OPT_OUTAGE_SHARE,
	OPT_METRICS_LISTEN,
} pt_opt_id;

/* The most options one program has: getopt's tables are this big. */
#define OPTIONS_MAX 64

/* patience's strategies an option applies to: every one, or bits of
 * 1u << pt_strategy (rpr and the daemon: 0). */
#define OPT_ALL 0u

typedef struct pt_option {
	pt_opt_id id;
	char letter;          /* short option, 0: none */
	const char *name;     /* long option, without -- */
	const char *arg;      /* its argument's name; NULL: a switch; "[=BOOL]": optional */
	const char *setting;  /* the setting it sets; NULL: the program handles it */
	unsigned strategies;  /* patience: OPT_ALL or strategy bits (see patience_options.c) */
	const char *help;     /* --help's line; the setting's default goes in place
			       * of "{}", else after it */
	const char *values;   /* what a shell completes: "a b c", @file, @profiles; NULL: nothing */
	const char *switch_value; /* what a switch sets its setting to; NULL: "true" */
	bool shares_text;     /* the man page describes it with the option before it */
	const char *man;      /* its man page text (roff), under its .TP line; "{}":
			       * the setting's default */
} pt_option;

typedef struct pt_option_table {
	const char *program; /* "patience", "rpr", "patience-daemon" */
	const pt_option *options;
	size_t count;
} pt_option_table;

extern const pt_option_table pt_patience_option_table, pt_rpr_option_table,
	pt_daemon_option_table;

/* getopt_long's tables for t: longs holds OPTIONS_MAX + 1 entries, shorts
 * 2 * OPTIONS_MAX + 3 bytes; stop_at_operand: "+" (stop at the command). */
void options_getopt(const pt_option_table *t, struct option *longs, char *shorts,
		    bool stop_at_operand);
/* The option getopt_long returned c for; NULL: none (an unknown option or
 * a missing value). */
const pt_option *options_find(const pt_option_table *t, int c);
/* The option that sets setting key, or NULL. */
const pt_option *options_by_setting(const pt_option_table *t, const char *key);
/* The default of o's setting (the settings table's), or NULL; a switch's
 * is false: none to say. */
const char *options_default(const pt_option *o);
/* "-a, --attempts N" (letter column padded): the left column of --help. */
void options_synopsis(const pt_option *o, char *buf, size_t len);
/* o's --help line with its default: in place of "{}", else after it. */
void options_help_text(const pt_option *o, char *buf, size_t len);
/* Prints the --help line of every option that keep(o) accepts (NULL:
 * all), left column width wide, with the default its setting has. */
void options_print_help(const pt_option_table *t, int wide, bool (*keep)(const pt_option *o));

#endif
