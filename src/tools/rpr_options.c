/* rpr's options (options.h), in --help's order. */
#include "options.h"

static const pt_option options[] = {
	{OPT_EVERY, 'e', "every", "DUR", NULL, 0,
	 "start a run every DUR, on a fixed schedule (interval: required)",
	 NULL, NULL, false,
	 "The interval between the starts of runs."},
	{OPT_TIMES, 't', "times", "N", NULL, 0,
	 "stop after N runs (count: required)",
	 NULL, NULL, false,
	 "Stop after\n"
	 ".I N\n"
	 "runs (1 to 1000000000); any mode."},
	{OPT_FOR, 'f', "for", "DUR", NULL, 0,
	 "start no run after DUR (duration: required)",
	 NULL, NULL, false,
	 "Start no run after\n"
	 ".IR DUR ;\n"
	 "any mode."},
	{OPT_CRON, 0, "cron", "EXPR", NULL, 0,
	 "run at the times of EXPR: 5 fields or @daily... (cron)",
	 NULL, NULL, false,
	 "The schedule of the cron mode (see\n"
	 ".BR \"CRON SCHEDULES\" )."},
	{OPT_TZ, 0, "tz", "ZONE", NULL, 0,
	 "--cron's and calendar limits' time zone, e.g. Europe/Berlin (local)",
	 NULL, NULL, false,
	 "The cron mode's time zone, an IANA name such as Europe/Berlin\n"
	 "(read from\n"
	 ".BR /usr/share/zoneinfo ,\n"
	 "or\n"
	 ".BR $TZDIR ).\n"
	 "The commands do not see it: they run with rpr's environment as it was."},
	{OPT_RATE, 'r', "rate", "N/W", NULL, 0,
	 "at most N starts in any window W, e.g. 10/1m",
	 NULL, NULL, false,
	 "At most\n"
	 ".I N\n"
	 "starts in any window\n"
	 ".IR W :\n"
	 "an integer and a window, as\n"
	 ".BR 10/1m ,\n"
	 ".B 5000/h\n"
	 "or\n"
	 ".BR 3/s .\n"
	 "Required by the rate-limit mode, whose pace it sets; in the others, a\n"
	 "run due earlier waits for it."},
	{OPT_MIN_INTERVAL, 0, "min-interval", "DUR", NULL, 0,
	 "adaptive: the shortest interval (--every / 10)",
	 NULL, NULL, false,
	 "The adaptive mode's bounds on its interval."},
	{OPT_MAX_INTERVAL, 0, "max-interval", "DUR", NULL, 0,
	 "adaptive: the longest interval (--every x 10)",
	 NULL, NULL, true,
	 NULL},
	{OPT_GUARD, 0, "guard", "DUR", NULL, 0,
	 "safety margin on W (10ms + 1% of W)",
	 NULL, NULL, false,
	 "The safety margin on the window (default 10ms + 1% of it), as in\n"
	 ".BR patience (1)."},
	{OPT_BURST, 0, "burst", "B", NULL, 0,
	 "token bucket (GCRA): B at once, then N per W",
	 NULL, NULL, false,
	 "The limit as a token bucket (GCRA):\n"
	 ".I B\n"
	 "runs at once, then\n"
	 ".I N\n"
	 "per\n"
	 ".I W\n"
	 "evenly, as\n"
	 ".B \\-\\-burst\n"
	 "in\n"
	 ".BR patience (1)."},
	{OPT_PRIORITY, 0, "priority", "P", NULL, 0,
	 "when the limit is saturated: high, normal or low (normal)",
	 "high normal low", NULL, false,
	 "With\n"
	 ".BR \\-\\-daemon ,\n"
	 "the run's rank when the resource is saturated:\n"
	 ".BR high ,\n"
	 ".B normal\n"
	 "(the default),\n"
	 ".BR low ,\n"
	 "or \\-10 to 10; waiting raises it, as\n"
	 ".B \\-\\-priority\n"
	 "in\n"
	 ".BR patience (1)."},
	{OPT_PROFILE, 0, "profile", "NAME", NULL, 0,
	 "--rate and --resource-id of a service (patience profiles)",
	 "@profiles", NULL, false,
	 "The limit and resource id from a profile, built in or\n"
	 "from the config files'\n"
	 ".BI [profiles. NAME ]\n"
	 "(as in\n"
	 ".BR patience (1);\n"
	 ".B patience profiles\n"
	 "lists them), where\n"
	 ".B \\-\\-rate\n"
	 "and\n"
	 ".B \\-\\-resource\\-id\n"
	 "do not give them.\n"
	 "Every limit of a profile is enforced.\n"
	 "Also the\n"
	 ".B profile\n"
	 "setting (RPR_PROFILE, PATIENCE_PROFILE)."},
	{OPT_RESOURCE_ID, 0, "resource-id", "ID", NULL, 0,
	 "the limited resource (derived from CMD)",
	 NULL, NULL, false,
	 "The limited resource; default: the profile's, else derived from the\n"
	 "command as patience does\n"
	 ".RB ( api:external:HOST\n"
	 "for curl, wget, HTTPie and xh,\n"
	 ".B api:aws:SERVICE.REGION\n"
	 "for aws, ...;\n"
	 ".B patience resource \\-\\- CMD\n"
	 "prints it)."},
	{OPT_RESOURCE_SCOPE, 0, "resource-scope", "S", NULL, 0,
	 "derive it per host, or per path (host)",
	 "host path", NULL, false,
	 "A derived id per host (the default) or per path template, as in\n"
	 ".BR patience (1);\n"
	 "also the\n"
	 ".B resource_scope\n"
	 "setting."},
	{OPT_DAEMON, 0, "daemon", NULL, NULL, 0,
	 "take each run's start from patience-daemon, and be counted",
	 NULL, NULL, false,
	 "Take each run's start from patience\\-daemon (started when none answers),\n"
	 "under the resource's limit, shared with every patience and rpr, and have\n"
	 "the run counted (see\n"
	 ".BR \"Shared with patience through the daemon\" )."},
	{OPT_DAEMON_SOCKET, 0, "daemon-socket", "PATH", NULL, 0,
	 "the daemon's socket",
	 "@file", NULL, false,
	 "Its socket (default\n"
	 ".BR $XDG_RUNTIME_DIR/patience/daemon.sock )."},
	{OPT_NO_DAEMON_AUTO_START, 0, "no-daemon-auto-start", NULL, NULL, 0,
	 "do not start a daemon",
	 NULL, NULL, false,
	 "Do not start a daemon when none answers."},
	{OPT_CONCURRENCY, 0, "concurrency", "N", NULL, 0,
	 "at most N runs of the resource at once, across processes",
	 NULL, NULL, false,
	 "At most\n"
	 ".I N\n"
	 "runs of the resource\n"
	 ".RB ( \\-\\-resource\\-id ,\n"
	 "else derived from the command) at once across every rpr and patience\n"
	 "process of the host, in any mode: each run holds a lease while it runs\n"
	 "(as patience's\n"
	 ".BR \\-\\-concurrency :\n"
	 "from the daemon with\n"
	 ".BR \\-\\-daemon ,\n"
	 "else from lock files).\n"
	 "With\n"
	 ".B \\-\\-overlap parallel\n"
	 "each child run waits for its own lease on its own connection.\n"
	 ".I N\n"
	 "is 1 to 100000; also the\n"
	 ".B concurrency\n"
	 "setting (RPR_CONCURRENCY, PATIENCE_CONCURRENCY)."},
	{OPT_CIRCUIT_BREAKER, 0, "circuit-breaker", "SPEC", NULL, 0,
	 "failures=N,cooldown=DUR,...: wait while the circuit is open",
	 NULL, NULL, false,
	 "Before each run, in any mode, ask the circuit breaker of the resource\n"
	 ".RB ( \\-\\-resource\\-id ,\n"
	 "else derived from the command) to let it start, and tell it after whether\n"
	 "the run exited 0, as patience's\n"
	 ".B \\-\\-circuit\\-breaker\n"
	 "does for its attempts (see\n"
	 ".BR patience (1),\n"
	 "CIRCUIT BREAKER):\n"
	 ".I SPEC\n"
	 "is\n"
	 ".B failures=5,window=60s,cooldown=30s,probes=1\n"
	 "or any subset of it.\n"
	 "While the circuit is open (or half-open with every probe taken) rpr waits,\n"
	 "and the ticks the wait covers are skipped (or queued) as behind a long run\n"
	 "(with\n"
	 ".BR \\-v :\n"
	 ".BR \"rpr: circuit open for resource ID; waiting 12.3s\" ).\n"
	 "With\n"
	 ".B \\-\\-daemon\n"
	 "every rpr and patience process of the resource feeds and obeys the\n"
	 "daemon's one breaker; else, or while no daemon answers, rpr keeps a breaker\n"
	 "of its own.\n"
	 "A run cut short by a signal to rpr tells the breaker nothing.\n"
	 "Not with\n"
	 ".BR \"\\-\\-overlap parallel\" :\n"
	 "the breaker admits one run at a time, and runs that overlap would share\n"
	 "one admission."},
	{OPT_FAIL_FAST, 0, "fail-fast", NULL, NULL, 0,
	 "the circuit open: stop at once with status 75",
	 NULL, NULL, false,
	 "While the circuit is open, start no run: print the statistics and exit\n"
	 "75 at once\n"
	 ".RB ( \"rpr: circuit open for resource ID; not running the command (\\-\\-fail\\-fast)\" ).\n"
	 "Needs\n"
	 ".BR \\-\\-circuit\\-breaker ."},
	{OPT_UNTIL_SUCCESS, 0, "until-success", NULL, NULL, 0,
	 "stop after the first run that succeeds",
	 NULL, NULL, false,
	 "Stop after the first run that exits 0."},
	{OPT_UNTIL_FAILURE, 0, "until-failure", NULL, NULL, 0,
	 "stop after the first run that fails",
	 NULL, NULL, false,
	 "Stop after the first run that does not."},
	{OPT_MAX_FAILURES, 0, "max-failures", "N", NULL, 0,
	 "stop after N failed runs",
	 NULL, NULL, false,
	 "Stop after\n"
	 ".I N\n"
	 "failed runs."},
	{OPT_UNTIL_PATTERN, 0, "until-pattern", "RE", NULL, 0,
	 "stop after a run whose output matches RE",
	 NULL, NULL, false,
	 "Stop after a run whose output (a line of its standard output or error)\n"
	 "matches the PCRE2 expression\n"
	 ".IR RE ."},
	{OPT_OVERLAP, 0, "overlap", "POLICY", NULL, 0,
	 "a run outlasts its interval: skip, queue or parallel",
	 "skip queue parallel", NULL, false,
	 "What a run that outlasts its interval does to the ticks it covered:\n"
	 ".B skip\n"
	 "them (the default, as systemd timers do; they are counted), or\n"
	 ".B queue\n"
	 "them: they run late, one after another, until the schedule is caught up;\n"
	 "or\n"
	 ".B parallel\n"
	 "start a run at every tick regardless, each supervised by a child process\n"
	 "of rpr (at most 1024 at once; a tick beyond that is skipped and counted).\n"
	 "Parallel needs the fixed ticks of\n"
	 ".B \\-\\-every\n"
	 "(interval, count and duration modes); a signal to rpr reaches every run\n"
	 "going on, and rpr waits for them all before it exits."},
	{OPT_TIMEOUT, 0, "timeout", "DUR", NULL, 0,
	 "end a run after DUR: SIGTERM to its process group",
	 NULL, NULL, false,
	 "End a run that lasts longer: SIGTERM to its process group, SIGKILL\n"
	 ".B \\-\\-kill\\-after\n"
	 "later (default 5s). It counts as failed, with exit code 124."},
	{OPT_KILL_AFTER, 0, "kill-after", "DUR", NULL, 0,
	 "then SIGKILL after DUR more (5s)",
	 NULL, NULL, false,
	 "Then SIGKILL after DUR more (5s)."},
	{OPT_OUTPUT_PREFIX, 'o', "output-prefix", "TPL", NULL, 0,
	 "before each output line: {run} {time} {date} {iso}",
	 NULL, NULL, false,
	 "Put\n"
	 ".I TEMPLATE\n"
	 "before every line of the command's output, on both streams:\n"
	 ".B {run}\n"
	 "(the run's number),\n"
	 ".B {time}\n"
	 "and\n"
	 ".B {date}\n"
	 "(its start, local HH:MM:SS and YYYY-MM-DD),\n"
	 ".B {iso}\n"
	 "(its start in UTC, ISO 8601);\n"
	 ".B {{\n"
	 "and\n"
	 ".B }}\n"
	 "for braces.\n"
	 "Anything else in braces is an error."},
	{OPT_QUIET, 'q', "quiet", NULL, NULL, 0,
	 "no statistics at the end",
	 NULL, NULL, false,
	 "No statistics at the end."},
	{OPT_VERBOSE, 'v', "verbose", NULL, NULL, 0,
	 "a line on stderr for every run and skipped tick",
	 NULL, NULL, false,
	 "A line for every run (its exit code and duration) and for every skipped\n"
	 "tick."},
	{OPT_STATS_ONLY, 0, "stats-only", NULL, NULL, 0,
	 "discard the command's output; only the statistics",
	 NULL, NULL, false,
	 "Discard the command's output; print only the statistics."},
	{OPT_EXPORT_JSON, 0, "export-json", "FILE", NULL, 0,
	 "write every run to FILE as JSON",
	 "@file", NULL, false,
	 "Write every run to\n"
	 ".IR FILE :\n"
	 ".B runs\n"
	 "(each with\n"
	 ".BR run ,\n"
	 ".B start_ms\n"
	 "(epoch milliseconds),\n"
	 ".BR duration_ms ,\n"
	 ".BR exit_code ,\n"
	 ".BR timed_out )\n"
	 "and a\n"
	 ".B summary\n"
	 "(runs, succeeded, failed, skipped, mean_ms, stddev_ms, min_ms, max_ms).\n"
	 "The file is opened before the first run, so a bad path fails at once."},
	{OPT_EXPORT_CSV, 0, "export-csv", "FILE", NULL, 0,
	 "write every run to FILE as CSV",
	 "@file", NULL, false,
	 "The same runs as CSV with the header\n"
	 ".BR run,start_ms,duration_ms,exit_code,timed_out ."},
	{OPT_CONFIG, 0, "config", "FILE", NULL, 0,
	 "read only this config file",
	 "@file", NULL, false,
	 "Read only this config file (YAML when its name ends in\n"
	 ".B .yaml\n"
	 "or\n"
	 ".BR .yml ),\n"
	 "instead of the default ones; it wins over\n"
	 ".B RPR_CONFIG_FILE\n"
	 "and\n"
	 ".BR PATIENCE_CONFIG_FILE ."},
	{OPT_DEBUG_CONFIG, 0, "debug-config", NULL, NULL, 0,
	 "show each setting, where it came from, and what rpr makes of them",
	 NULL, NULL, false,
	 "Print every setting on standard error with its value and where it came\n"
	 "from (default, file and line, environment variable, or option), then what\n"
	 "they make of the run (the daemon, the resource, the limit, the output), then\n"
	 "go on.\n"
	 "Without a command, exit 0 after printing."},
	{OPT_HELP, 'h', "help", NULL, NULL, 0,
	 "show this help",
	 NULL, NULL, false,
	 ".PP\n"
	 "Durations read as in\n"
	 ".BR patience (1):\n"
	 "250ms, 1.5s, 2m, 1h30m, 1d; a bare number is seconds."},
	{OPT_VERSION, 'V', "version", NULL, NULL, 0,
	 "show the version",
	 NULL, NULL, true,
	 NULL},
};

const pt_option_table pt_rpr_option_table = {"rpr", options, sizeof options / sizeof options[0]};
