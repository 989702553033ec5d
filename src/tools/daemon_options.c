/* patience-daemon's options (options.h), in --help's order. */
#include "options.h"

static const pt_option options[] = {
	{OPT_SOCKET, 's', "socket", "PATH", "daemon.socket_path", 0,
	 "listen on PATH ($XDG_RUNTIME_DIR/patience/daemon.sock)",
	 "@file", NULL, false,
	 "Listen on the Unix socket\n"
	 ".IR PATH .\n"
	 "Default: the top-level\n"
	 ".B daemon_socket\n"
	 "of the configuration file, else\n"
	 ".BR daemon.socket_path ,\n"
	 "else\n"
	 ".B $XDG_RUNTIME_DIR/patience/daemon.sock\n"
	 "(see\n"
	 ".BR FILES ).\n"
	 "A relative path is taken from the current directory (the daemon then\n"
	 "works from\n"
	 ".BR / )."},
	{OPT_STATE, 0, "state", "FILE", "daemon.state", 0,
	 "SQLite state ($XDG_STATE_HOME/patience/state.db)",
	 "@file", NULL, false,
	 "The SQLite state file.\n"
	 "Default:\n"
	 ".BR daemon.state ,\n"
	 "else\n"
	 ".BR $XDG_STATE_HOME/patience/state.db ."},
	{OPT_CONFIG, 'c', "config", "FILE", NULL, 0,
	 "read only this config file",
	 "@file", NULL, false,
	 "Read only\n"
	 ".I FILE\n"
	 "instead of the default configuration files;\n"
	 "it wins over\n"
	 ".BR PATIENCE_CONFIG_FILE .\n"
	 "The file must exist.\n"
	 "SIGHUP reads it again."},
	{OPT_CHECK_CONFIG, 0, "check-config", NULL, NULL, 0,
	 "check the configuration and exit",
	 NULL, NULL, false,
	 "Read and check the configuration (every key, and every\n"
	 ".B [rate_limiting.resources]\n"
	 "entry), print\n"
	 ".B \"configuration OK (N resource limits)\"\n"
	 "on standard output and exit 0; or print the error and exit 125.\n"
	 "Opens neither the socket nor the state."},
	{OPT_FOREGROUND, 'f', "foreground", NULL, NULL, 0,
	 "accepted; the daemon never forks (see below)",
	 NULL, NULL, false,
	 "Accepted, for service managers that pass it; the daemon never forks\n"
	 "anyway."},
	{OPT_LOG_LEVEL, 'l', "log-level", "LEVEL", "daemon.log_level", 0,
	 "error, warn, info or debug",
	 "error warn info debug", NULL, false,
	 ".BR error ,\n"
	 ".BR warn ,\n"
	 ".B info\n"
	 "or\n"
	 ".BR debug .\n"
	 "Default:\n"
	 ".BR daemon.log_level ,\n"
	 "else\n"
	 ".BR info .\n"
	 "Given as an option, it is kept across SIGHUP.\n"
	 "At\n"
	 ".B debug\n"
	 "the daemon logs every connection, grant, release and commit."},
	{OPT_MAX_CLIENTS, 0, "max-clients", "N", "daemon.max_clients", 0,
	 "most connections at once",
	 NULL, NULL, false,
	 "Serve at most\n"
	 ".I N\n"
	 "connections at once, from 1 to 1000000 (default 1024).\n"
	 "One more gets the error\n"
	 ".B too_many_clients\n"
	 "and is closed.\n"
	 "The daemon raises its soft limit of open files to the hard limit, and\n"
	 "warns when that is still too few for\n"
	 ".I N\n"
	 "clients."},
	{OPT_IDLE_TIMEOUT, 0, "idle-timeout", "DUR", "daemon.idle_timeout", 0,
	 "close a connection idle this long; 0: never",
	 NULL, NULL, false,
	 "Close a connection that has sent nothing for\n"
	 ".I DUR\n"
	 "(default 10m), unless it holds starts still ahead; 0 means never."},
	{OPT_PRIORITY_AGING, 0, "priority-aging", "DUR", "daemon.priority_aging", 0,
	 "a queued acquire's wait worth one priority level; 0: strict priority",
	 NULL, NULL, false,
	 "How long a queued acquire must wait to rank one priority level higher\n"
	 "(default 10s).\n"
	 "Clients wait in a resource's queue when it is saturated (patience and rpr\n"
	 "always ask to), and each start time that frees goes to the waiter whose\n"
	 "arrival time less its priority times\n"
	 ".I DUR\n"
	 "is the least: a low waiter (\\-1) ranks with a high one (1) that came\n"
	 "2\\(mu\\fIDUR\\fR after it, so it never starves.\n"
	 "0 gives strict priority: a steady stream of high clients then holds low\n"
	 "ones back indefinitely.\n"
	 "Waiters are counted by\n"
	 ".B patience_resource_waiting\n"
	 "and\n"
	 ".B patience_queued_acquires\n"
	 "in\n"
	 ".BR /metrics ."},
	{OPT_MAX_GUARD, 0, "max-guard", "DUR", "daemon.max_guard", 0,
	 "widest a resource's guard grows to cover late starts; 0: never (a quarter window)",
	 NULL, NULL, false,
	 "The widest a resource's guard may grow to cover late starts (default: a\n"
	 "quarter of its window; 0 keeps every guard where it was set;\n"
	 ".BR daemon.max_guard ).\n"
	 "Clients say when each command really started\n"
	 ".RB ( started\n"
	 "in docs/PROTOCOL.md); the daemon moves the start there, keeps how late the\n"
	 "starts of each resource were over the last one to two minutes, and sets the\n"
	 "guard in force to their p99.9 with a margin (a quarter more, plus 2 ms),\n"
	 "never below the guard the resource was given\n"
	 ".RB ( \\-\\-guard\n"
	 "of the client that created it, else 10ms + 1% of the window), never above\n"
	 "this. A loaded host, where commands start tens of milliseconds after their\n"
	 "grant, so gets a wider guard (fewer starts per window, none over the limit\n"
	 "as the service sees them), and a quiet one its narrow guard back.\n"
	 ".B \"patience daemon status\"\n"
	 "shows each resource's guard and lateness, as do\n"
	 ".B resources\n"
	 ".RB ( starts_late_ms )\n"
	 "and\n"
	 ".BR /metrics ."},
	{OPT_SOCKET_MODE, 0, "socket-mode", "MODE", "daemon.socket_mode", 0,
	 "octal permissions of the socket",
	 NULL, NULL, false,
	 "The permissions of the socket, in octal: three digits, or four starting\n"
	 "with 0 (default 0600).\n"
	 "See\n"
	 ".BR TENANCY ."},
	{OPT_BACKEND, 0, "backend", "URL", "daemon.backend", 0,
	 "share limits with other hosts' daemons through Redis: redis://[user:password@]host[:port][/db] or unix:///path (memory: this host alone)",
	 NULL, NULL, false,
	 "Share every resource's limit with the daemons of other hosts through\n"
	 "Redis:\n"
	 ".BI redis:// [user : password @] host [: port ][/ db ]\n"
	 "(default port 6379) or\n"
	 ".BR unix:///path/to/redis.sock ,\n"
	 "a single node or any node of a Redis Cluster.\n"
	 ".B memory\n"
	 "(the default) keeps limits on this host alone.\n"
	 "Also\n"
	 ".B daemon.backend\n"
	 "and\n"
	 ".BR PATIENCE_BACKEND .\n"
	 "See\n"
	 ".BR \"REDIS BACKEND\" ."},
	{OPT_REDIS_TIMEOUT, 0, "redis-timeout", "DUR", "daemon.redis_timeout", 0,
	 "Redis unanswered this long is an outage",
	 NULL, NULL, false,
	 "A Redis request unanswered for\n"
	 ".I DUR\n"
	 "(default 200ms) starts an outage."},
	{OPT_OUTAGE_SHARE, 0, "outage-share", "F", "daemon.outage_share", 0,
	 "in an outage, grant this share of each limit (1 / the daemons last seen)",
	 NULL, NULL, false,
	 "During an outage, grant at most this share (0.001 to 1) of each limit;\n"
	 "default: 1 divided by the number of daemons the last heartbeat saw."},
	{OPT_METRICS_LISTEN, 0, "metrics-listen", "HOST:PORT", "daemon.metrics_listen", 0,
	 "serve a dashboard at /, /metrics, /api/v1/resources and /healthz over HTTP (every uid's resources: keep it to 127.0.0.1)",
	 NULL, NULL, false,
	 "Serve a dashboard at\n"
	 ".BR / ,\n"
	 "and\n"
	 ".BR /metrics ,\n"
	 ".B /api/v1/resources\n"
	 "and\n"
	 ".B /healthz\n"
	 "over HTTP on this address\n"
	 ".RB ( [::1]:9464\n"
	 "for IPv6); see\n"
	 ".BR METRICS .\n"
	 "Any host is accepted, but the port has no authentication and shows every\n"
	 "uid's resources: keep it on 127.0.0.1 unless a firewall guards it.\n"
	 "A value that is not\n"
	 ".IR HOST : PORT\n"
	 "with a port from 1 to 65535 exits 125; an address that cannot be bound\n"
	 "exits 1.\n"
	 "Also\n"
	 ".BR daemon.metrics_listen ."},
	{OPT_HELP, 'h', "help", NULL, NULL, 0,
	 "show this help",
	 NULL, NULL, false,
	 "Print usage and exit 0."},
	{OPT_VERSION, 'V', "version", NULL, NULL, 0,
	 "show the version",
	 NULL, NULL, false,
	 "Print the version and exit 0."},
};

const pt_option_table pt_daemon_option_table = {"patience-daemon", options, sizeof options / sizeof options[0]};
