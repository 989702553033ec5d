/* patience's options (options.h), in --help's order. Strategy bits: an
 * option applies to every strategy (OPT_ALL), or to those named. */
#include "options.h"
#include "patience/backoff.h"

#define ONLY(s) (1u << PT_STRATEGY_##s)
/* Rate limit and daemon options: every strategy takes them. */
#define RATE (~0u)
#define GROWING (ONLY(EXPONENTIAL) | ONLY(JITTER) | ONLY(DECORRELATED_JITTER) | \
		 ONLY(FIBONACCI) | ONLY(POLYNOMIAL))
/* Strategies that wait as something else says, else as a fallback strategy. */
#define FALLING_BACK (ONLY(HTTP_AWARE) | ONLY(ADAPTIVE))
#define ALL OPT_ALL

static const pt_option options[] = {
	{OPT_DELAY, 'd', "delay", "DUR", "delay", ONLY(FIXED),
	 "delay between attempts",
	 NULL, NULL, false,
	 ".BR fixed :\n"
	 "the delay between attempts (default {}; setting\n"
	 ".BR delay ).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_INCREMENT, 'i', "increment", "DUR", "increment", ONLY(LINEAR),
	 "delay grows by this per attempt",
	 NULL, NULL, false,
	 ".BR linear :\n"
	 "the delay after attempt\n"
	 ".I n\n"
	 "is\n"
	 ".IR n \" \\(mu \" DUR\n"
	 "(default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_BASE_DELAY, 'b', "base-delay", "DUR", "base_delay", GROWING | ONLY(ADAPTIVE),
	 "first delay ({}; adaptive: its shortest delay)",
	 NULL, NULL, false,
	 "The first delay of the growing strategies (default {}); for\n"
	 ".BR adaptive ,\n"
	 "its shortest delay.\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_MULTIPLIER, 'x', "multiplier", "X", "multiplier", ONLY(EXPONENTIAL) | ONLY(JITTER) | ONLY(DECORRELATED_JITTER),
	 "growth factor (2; decorrelated-jitter 3)",
	 NULL, NULL, false,
	 "The growth factor of\n"
	 ".BR exponential ,\n"
	 ".B jitter\n"
	 "(default 2) and\n"
	 ".B decorrelated\\-jitter\n"
	 "(default 3).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_EXPONENT, 'e', "exponent", "E", "exponent", ONLY(POLYNOMIAL),
	 "delay = base * n^E (2)",
	 NULL, NULL, false,
	 ".BR polynomial :\n"
	 "delay = base \\(mu\n"
	 ".IR n ^ E\n"
	 "(default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_MAX_DELAY, 'm', "max-delay", "DUR", "max_delay", GROWING | ONLY(LINEAR) | FALLING_BACK,
	 "cap on any delay ({}; on a delay the service asks, 30m)",
	 NULL, NULL, false,
	 "The cap on every delay but\n"
	 ".BR fixed 's\n"
	 "(default {}; 0: none); for a delay the service asks\n"
	 ".RB ( http\\-aware ,\n"
	 ".BR \\-\\-discover ),\n"
	 "the cap on that wait (default 30m).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_FALLBACK_STRATEGY, 'f', "fallback-strategy", "NAME", "fallback_strategy", FALLING_BACK,
	 "wait as NAME when the service/model names no delay",
	 "fixed linear exponential jitter decorrelated-jitter fibonacci polynomial", NULL, false,
	 ".B http\\-aware\n"
	 "and\n"
	 ".BR adaptive :\n"
	 "how to wait when the service or the model names no delay (default\n"
	 ".BR {} ).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_LEARNING_RATE, 0, "learning-rate", "R", "learning_rate", ONLY(ADAPTIVE),
	 "weight of each new outcome in a delay's success estimate",
	 NULL, NULL, false,
	 ".BR adaptive :\n"
	 "the weight of each new outcome in a delay's success estimate (default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_MEMORY, 0, "memory", "N", "memory", ONLY(ADAPTIVE),
	 "remember the last N outcomes ({}); the Go tool's -w/--window",
	 NULL, NULL, false,
	 ".BR adaptive :\n"
	 "how many outcomes it remembers (default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_JITTER, 0, "jitter", "MODE", "jitter", ONLY(JITTER),
	 "full: U[0,d); equal: d/2 + U[0,d/2)",
	 "full equal", NULL, false,
	 ".BR jitter :\n"
	 ".B full\n"
	 "draws the delay from [0,\n"
	 ".IR d ),\n"
	 ".B equal\n"
	 "from\n"
	 ".IR d /2\n"
	 "plus [0,\n"
	 ".IR d /2)\n"
	 "(default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_RATE_LIMIT, 'r', "rate-limit", "N[/DUR]", "rate_limit", RATE,
	 "at most N starts (per --window, or per DUR)...",
	 NULL, NULL, false,
	 "At most\n"
	 ".I N\n"
	 "starts in any window of\n"
	 ".BR \\-\\-window ;\n"
	 "or, as\n"
	 ".IR N / DUR ,\n"
	 "a limit of its own (again for more limits, all enforced).\n"
	 "Any strategy.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_WINDOW, 'w', "window", "DUR", "window", RATE,
	 "...in any window of DUR, across attempts",
	 NULL, NULL, false,
	 "The window of\n"
	 ".BR \"\\-\\-rate\\-limit \" N .\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_PROFILE, 0, "profile", "NAME", "profile", RATE,
	 "a service's limit and resource id (patience profiles)",
	 "@profiles", NULL, false,
	 "A service's published limits and resource id\n"
	 ".RB ( \"patience profiles\" ).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_RETRY_OFFSETS, 'o', "retry-offsets", "LIST", "retry_offsets", ONLY(DIOPHANTINE),
	 "attempt i starts at t0 + offset i",
	 NULL, NULL, false,
	 ".BR diophantine :\n"
	 "attempt\n"
	 ".I i\n"
	 "starts at\n"
	 ".IR t0 \" + \" offset_i\n"
	 "(default {}).\n"
	 "See\n"
	 ".BR STRATEGIES ."},
	{OPT_GUARD, 0, "guard", "DUR", "guard", RATE,
	 "safety margin on W (10ms + 1% of W)",
	 NULL, NULL, false,
	 "The guard time (default 10ms + 1% of the window).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_BURST, 0, "burst", "B", "burst", RATE,
	 "token bucket (GCRA): B at once, then N per W",
	 NULL, NULL, false,
	 "The primary limit as a token bucket (GCRA):\n"
	 ".I B\n"
	 "at once, then\n"
	 ".I N\n"
	 "per window.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_PRIORITY, 0, "priority", "P", "priority", RATE,
	 "when the limit is saturated, high goes first, low last",
	 "high normal low", NULL, false,
	 "With\n"
	 ".BR \\-\\-daemon :\n"
	 ".BR high \", \" normal \" or \" low\n"
	 "(or \\-10 to 10) rank among the runs that wait on a saturated resource\n"
	 "(default {}).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_TZ, 0, "tz", "ZONE", "tz", RATE,
	 "N/UNIT@calendar limits count in ZONE (local time)",
	 NULL, NULL, false,
	 "The zone of\n"
	 ".IR N / UNIT @calendar\n"
	 "limits, an IANA name (default: local time).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_RESOURCE_ID, 0, "resource-id", "ID", "resource_id", RATE,
	 "the limited resource (derived from CMD)",
	 NULL, NULL, false,
	 "The limited resource (default: the profile's, else derived from the\n"
	 "command).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_RESOURCE_SCOPE, 0, "resource-scope", "S", "resource_scope", RATE,
	 "derive it per host, or per path template",
	 "host path", NULL, false,
	 "Derive the resource id per\n"
	 ".B host\n"
	 "(default {}) or per\n"
	 ".B path\n"
	 "template.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_DAEMON, 0, "daemon", NULL, "daemon_enabled", RATE,
	 "take starts from patience-daemon, and be counted",
	 NULL, NULL, false,
	 "Take each attempt's start from\n"
	 ".B patience\\-daemon\n"
	 "and share the rate limit (yours, else the daemon's for the resource), the\n"
	 "circuit breaker and leases through it; it counts the attempts.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" \" and \" DAEMON ."},
	{OPT_DAEMON_SOCKET, 0, "daemon-socket", "PATH", "daemon_socket", RATE,
	 "the daemon's socket",
	 "@file", NULL, false,
	 "The daemon's socket (default\n"
	 ".BR $XDG_RUNTIME_DIR/patience/daemon.sock ).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_DAEMON_TIMEOUT, 0, "daemon-timeout", "DUR", "daemon_timeout", RATE,
	 "bound on each daemon request",
	 NULL, NULL, false,
	 "The bound on each exchange with the daemon (default {}).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_DAEMON_AUTO_START, 0, "daemon-auto-start", "[=BOOL]", "daemon_auto_start", RATE,
	 "start a daemon when none answers",
	 "true false", NULL, false,
	 "Start a daemon when none answers (default {}).\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_NO_DAEMON_AUTO_START, 0, "no-daemon-auto-start", NULL, "daemon_auto_start", RATE,
	 "do not start one",
	 NULL, "false", false,
	 "Do not start one.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_CONCURRENCY, 0, "concurrency", "N", "concurrency", ALL,
	 "at most N of the resource's commands at once, across processes",
	 NULL, NULL, false,
	 "At most\n"
	 ".I N\n"
	 "of the resource's commands at once, across processes.\n"
	 "See\n"
	 ".BR \"RATE LIMITS\" ."},
	{OPT_ATTEMPTS, 'a', "attempts", "N", "attempts", ALL,
	 "attempts before giving up",
	 NULL, NULL, false,
	 "Run the command at most\n"
	 ".I N\n"
	 "times in all, from 1 to 1000000.\n"
	 "Default 3."},
	{OPT_MAX_ATTEMPTS, 0, "max-attempts", "N", "attempts", ALL,
	 "the same as --attempts",
	 NULL, NULL, true, NULL},
	{OPT_CIRCUIT_BREAKER, 0, "circuit-breaker", "SPEC", "circuit_breaker", ALL,
	 "pause attempts while the resource fails (below)",
	 NULL, NULL, false,
	 "Admit each attempt through a circuit breaker of the resource (see\n"
	 ".BR \"CIRCUIT BREAKER\" ):\n"
	 ".B failures=5,window=60s,cooldown=30s,probes=1\n"
	 "or any subset.\n"
	 "Setting\n"
	 ".BR circuit_breaker ."},
	{OPT_FAIL_FAST, 0, "fail-fast", NULL, "fail_fast", ALL,
	 "circuit open: exit 75, do not wait",
	 NULL, NULL, false,
	 "While the circuit is open, exit 75 at once instead of waiting.\n"
	 "Needs\n"
	 ".BR \\-\\-circuit\\-breaker .\n"
	 "Setting\n"
	 ".BR fail_fast ."},
	{OPT_TIMEOUT, 't', "timeout", "DUR", "timeout", ALL,
	 "end an attempt after DUR: SIGTERM to its process group",
	 NULL, NULL, false,
	 "End an attempt that runs longer than\n"
	 ".IR DUR :\n"
	 "send SIGTERM to its process group, then SIGKILL\n"
	 ".B \\-\\-kill\\-after\n"
	 "later if it has not exited.\n"
	 "A timed-out attempt counts as failed with status 124 and is retried\n"
	 "(also when\n"
	 ".B \\-\\-retry\\-on\n"
	 "is given).\n"
	 "Default: no timeout; 0 also means none."},
	{OPT_KILL_AFTER, 0, "kill-after", "DUR", "kill_after", ALL,
	 "then SIGKILL after DUR more",
	 NULL, NULL, false,
	 "How long an attempt has to exit after SIGTERM (from\n"
	 ".BR \\-\\-timeout ,\n"
	 ".B \\-\\-deadline\n"
	 "or a forwarded signal) before its process group gets SIGKILL.\n"
	 "Default 5s."},
	{OPT_DEADLINE, 0, "deadline", "DUR", "deadline", ALL,
	 "end the whole run after DUR (exit 124)",
	 NULL, NULL, false,
	 "Limit the whole run, attempts and waits together, to\n"
	 ".IR DUR ,\n"
	 "counted from the start of the run.\n"
	 "An attempt still running at the deadline is stopped as by\n"
	 ".BR \\-\\-timeout ,\n"
	 "and no attempt is started whose start would fall at or after the deadline:\n"
	 "patience then gives up at once instead of waiting.\n"
	 "Either way the exit status is 124.\n"
	 "Default: no deadline; 0 also means none."},
	{OPT_SUCCESS_PATTERN, 0, "success-pattern", "RE", "success_pattern", ALL,
	 "output matching RE means success",
	 NULL, NULL, false,
	 "An attempt whose output has a line that matches the PCRE2 regular\n"
	 "expression\n"
	 ".I RE\n"
	 "succeeds, whatever its exit status."},
	{OPT_FAILURE_PATTERN, 0, "failure-pattern", "RE", "failure_pattern", ALL,
	 "output matching RE: fail, stop retrying",
	 NULL, NULL, false,
	 "An attempt whose output has a line that matches\n"
	 ".I RE\n"
	 "fails and ends the run, whatever its exit status.\n"
	 "patience exits with the attempt's status, or 1 if that was 0.\n"
	 "A failure match outranks a success match.\n"
	 ".IP\n"
	 "Both patterns are matched against each line of standard output and of\n"
	 "standard error separately (a last line without a newline counts too);\n"
	 "lines longer than 64 KiB are matched in 64 KiB pieces.\n"
	 "Patterns are UTF-8 aware.\n"
	 "When either pattern is given the command's output passes through a pipe\n"
	 "to patience, which copies it on unchanged, so the command does not see a\n"
	 "terminal on its standard output and standard error.\n"
	 "A pattern that does not compile is reported when the run starts, with\n"
	 "status 125."},
	{OPT_CASE_INSENSITIVE, 0, "case-insensitive", NULL, "case_insensitive", ALL,
	 "patterns ignore case",
	 NULL, NULL, false,
	 "Both patterns ignore case."},
	{OPT_RETRY_ON, 0, "retry-on", "CODES", "retry_on", ALL,
	 "retry only these exit codes (1,75,100-110)",
	 NULL, NULL, false,
	 "Retry only attempts that exit with one of\n"
	 ".IR CODES :\n"
	 "comma-separated exit statuses and inclusive ranges from 0 to 255, such as\n"
	 ".BR 1,75,100\\-110 .\n"
	 "Any other status ends the run at once with that status.\n"
	 "A command killed by signal\n"
	 ".I N\n"
	 "is checked as status 128+\\fIN\\fR.\n"
	 "Attempts ended by\n"
	 ".B \\-\\-timeout\n"
	 "are always retried.\n"
	 "Default: retry every failure."},
	{OPT_FALLBACK, 0, "fallback", "CMD", "fallback", ALL,
	 "run CMD with sh -c once when every attempt failed",
	 NULL, NULL, false,
	 "When every attempt has failed, run\n"
	 ".BI \"/bin/sh \\-c \" CMD\n"
	 "once.\n"
	 "It does not run after a success or when patience was stopped by a signal.\n"
	 "It runs with the same environment as the attempts, without\n"
	 ".BR \\-\\-timeout ,\n"
	 ".B \\-\\-deadline\n"
	 "or pattern matching.\n"
	 "Its exit status is reported with\n"
	 ".B \\-\\-verbose\n"
	 "but does not change patience's exit status."},
	{OPT_DISCOVER, 0, "discover", NULL, "discover", ALL,
	 "read output as HTTP (curl -i): wait as Retry-After/rate-limit headers ask",
	 NULL, NULL, false,
	 "Read each attempt's output as HTTP and wait as the service asks; see\n"
	 ".BR \"READING THE SERVICE\" .\n"
	 "Not with diophantine."},
	{OPT_REPLAY_STDIN, 0, "replay-stdin", NULL, "replay_stdin", ALL,
	 "give every attempt the same stdin bytes",
	 NULL, NULL, false,
	 "Read all of standard input (at most 256 MiB) before the first attempt and\n"
	 "give every attempt the same bytes on its standard input.\n"
	 "Without it the attempts share patience's standard input, so what one\n"
	 "attempt reads is gone for the next."},
	{OPT_QUIET, 'q', "quiet", NULL, "quiet", ALL,
	 "print only errors",
	 NULL, NULL, false,
	 "Print no progress lines.\n"
	 "Errors, and the final \"Failed after ...\" line when the run fails, are still\n"
	 "printed; with\n"
	 ".B \\-\\-json\n"
	 "the \"Failed after ...\" line is left out too.\n"
	 "Without it, when standard error is a terminal and patience waits a second\n"
	 "or more before an attempt (its backoff, or its turn under a rate limit),\n"
	 "one status line says what it waits for, rewritten in place and erased\n"
	 "before the attempt starts:\n"
	 ".B \"patience: attempt 3 in 41.0s, at 12:00:03 (api:external:api.github.com: 20 per 1m, shared through patience\\-daemon)\"\n"
	 "(no colour)."},
	{OPT_VERBOSE, 'v', "verbose", NULL, "verbose", ALL,
	 "print each attempt's result and every rescheduling",
	 NULL, NULL, false,
	 "Also print how each attempt ended and how long it took, when a\n"
	 ".B diophantine\n"
	 "attempt is rescheduled, and the fallback's exit status.\n"
	 "Ignored with\n"
	 ".BR \\-\\-quiet ."},
	{OPT_JSON, 0, "json", NULL, "json", ALL,
	 "print a JSON summary on stderr at the end",
	 NULL, NULL, false,
	 "At the end, print a one-line JSON summary on standard error (see\n"
	 ".BR OUTPUT )."},
	{OPT_SEED, 0, "seed", "N", NULL, ALL,
	 "seed the jitter, for reproducible delays",
	 NULL, NULL, false,
	 "Seed the random delays of\n"
	 ".B jitter\n"
	 "and\n"
	 ".B decorrelated\\-jitter\n"
	 "with the unsigned 64-bit integer\n"
	 ".IR N ,\n"
	 "so that the same seed gives the same delays.\n"
	 "Default: a random seed, shown by\n"
	 ".BR \\-\\-dry\\-run ."},
	{OPT_IDEMPOTENCY_KEY, 0, "idempotency-key", "KEY", NULL, ALL,
	 "PATIENCE_IDEMPOTENCY_KEY for every attempt (a new UUIDv4)",
	 NULL, NULL, false,
	 "The value of PATIENCE_IDEMPOTENCY_KEY for every attempt, 1 to 36\n"
	 "characters.\n"
	 "Default: a new random UUID (version 4) for each run of patience."},
	{OPT_DRY_RUN, 0, "dry-run", NULL, NULL, ALL,
	 "print the delay schedule and exit",
	 NULL, NULL, false,
	 "Print the strategy and the schedule of attempts on standard output and\n"
	 "exit 0 without running anything.\n"
	 "The times assume that each attempt takes no time and, except for\n"
	 ".BR diophantine ,\n"
	 "leave out the waits a rate limit adds; the daemon is not asked.\n"
	 "No command is needed."},
	{OPT_CONFIG, 0, "config", "FILE", NULL, ALL,
	 "read only this config file",
	 "@file", NULL, false,
	 "Read settings from\n"
	 ".I FILE\n"
	 "only, instead of searching for configuration files (see\n"
	 ".BR FILES );\n"
	 "it wins over\n"
	 ".BR PATIENCE_CONFIG_FILE .\n"
	 "The file must exist.\n"
	 "Environment variables and options still apply on top of it."},
	{OPT_DEBUG_CONFIG, 0, "debug-config", NULL, NULL, ALL,
	 "show each setting and where it came from",
	 NULL, NULL, false,
	 "Print every setting on standard error with its value and where it came\n"
	 "from (default, file and line, environment variable, or option), then go\n"
	 "on.\n"
	 "Without a command, exit 0 after printing."},
	{OPT_HELP, 'h', "help", NULL, NULL, ALL,
	 "show this help",
	 NULL, NULL, false,
	 "Print usage and exit 0.\n"
	 "After a strategy name, print that strategy's options."},
	{OPT_VERSION, 'V', "version", NULL, NULL, ALL,
	 "show the version",
	 NULL, NULL, false,
	 "Print the version and exit 0."},
};

const pt_option_table pt_patience_option_table = {"patience", options, sizeof options / sizeof options[0]};
