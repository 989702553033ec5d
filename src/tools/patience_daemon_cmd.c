/* `patience daemon start|stop|status|restart`: manage the per-user daemon. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "exec/clock.h"
#include "patience.h"
#include "patience/duration.h"
#include "patience/error.h"
#include "patience/paths.h"

#define CTL_TIMEOUT_MS 2000
/* How long `start` waits for the daemon to answer: it returns as soon as
 * it does, and a daemon restoring its state on a loaded host may take a
 * few seconds (a client's auto-start waits less: it has a fallback). */
#define CTL_START_WAIT_MS 10000
#define STOP_WAIT_MS 5000

typedef struct ctl_args {
	const char *verb;
	const char *resource; /* status RESOURCE; NULL: every one */
	char socket[4096];
	bool json;
} ctl_args;

static void ctl_usage(void)
{
	printf("usage: patience daemon start|stop|status [RESOURCE]|restart [--daemon-socket PATH]"
	       " [--json]\n\n"
	       "  start    start a detached patience-daemon unless one answers\n"
	       "  stop     ask the daemon to exit (SIGTERM) and wait for it\n"
	       "  status   show the daemon and your resources (exit 1 if none runs);\n"
	       "           with RESOURCE, that one in detail: its limit, usage and executions\n"
	       "  restart  stop, then start\n");
}

/* --daemon-socket, else daemon_socket or daemon.socket_path of the config
 * files and PATIENCE_* variables, as a run reads them, else the default. */
static int find_socket(ctl_args *a, pt_config *cfg)
{
	static const cli_args no_flags;
	if (a->socket[0])
		return 0;
	if (load_config(cfg, &no_flags))
		return 1;
	const char *path = pt_config_get(cfg, "daemon_socket")->text;
	if (!path)
		path = pt_config_get(cfg, "daemon.socket_path")->text;
	if (path)
		snprintf(a->socket, sizeof a->socket, "%s", path);
	else if (pt_default_socket_path(a->socket, sizeof a->socket) != PT_OK) {
		pt_error("daemon: cannot work out the socket path; give --daemon-socket");
		return 1;
	}
	return 0;
}

static int parse_ctl(int argc, char **argv, ctl_args *a)
{
	static const struct option longs[] = {{"daemon-socket", required_argument, NULL, 's'},
					      {"json", no_argument, NULL, 'j'},
					      {"help", no_argument, NULL, 'h'},
					      {0}};
	int c;
	memset(a, 0, sizeof *a);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 's')
			snprintf(a->socket, sizeof a->socket, "%s", optarg);
		else if (c == 'j')
			a->json = true;
		else if (c == 'h')
			return ctl_usage(), -1;
		else
			return pt_error("daemon: unknown option \"%s\"", argv[optind - 1]), 1;
	}
	if (optind == argc || argc - optind > 2) {
		pt_error("daemon: expected one of start, stop, status [RESOURCE], restart");
		return 1;
	}
	a->verb = argv[optind];
	a->resource = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (a->resource && strcmp(a->verb, "status") != 0) {
		pt_error("daemon: only status takes a resource (got \"%s\")", a->resource);
		return 1;
	}
	return 0;
}

/* The daemon's pid from the pid file next to its socket, or 0. */
static pid_t daemon_pid(const char *socket)
{
	char path[4200];
	const char *slash = strrchr(socket, '/');
	int dir_len = slash ? (int)(slash - socket) : 1;
	snprintf(path, sizeof path, "%.*s/daemon.pid", dir_len, slash ? socket : ".");
	FILE *f = fopen(path, "r");
	long pid = 0;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid > 0 && kill((pid_t)pid, 0) == 0 ? (pid_t)pid : 0;
}

static int ctl_start(const ctl_args *a)
{
	pt_client c = {0};
	char err[256];
	if (pt_client_connect(&c, a->socket, CTL_TIMEOUT_MS, err, sizeof err) == PT_OK) {
		pt_client_close(&c);
		printf("patience-daemon already running on %s\n", a->socket);
		return 0;
	}
	pt_client_close(&c);
	if (pt_client_autostart(&c, a->socket, CTL_START_WAIT_MS, CTL_TIMEOUT_MS, err, sizeof err) != PT_OK) {
		pt_client_close(&c);
		pt_error("daemon: cannot start: %s", err);
		return 1;
	}
	pt_client_close(&c);
	printf("patience-daemon started on %s (pid %ld)\n", a->socket, (long)daemon_pid(a->socket));
	return 0;
}

static int ctl_stop(const ctl_args *a)
{
	pid_t pid = daemon_pid(a->socket);
	if (!pid) {
		printf("no patience-daemon running on %s\n", a->socket);
		return 0;
	}
	if (kill(pid, SIGTERM) < 0) {
		pt_error("daemon: cannot stop pid %ld: %s", (long)pid, strerror(errno));
		return 1;
	}
	for (int waited = 0; waited < STOP_WAIT_MS; waited += 20) {
		if (kill(pid, 0) < 0)
			return printf("patience-daemon (pid %ld) stopped\n", (long)pid), 0;
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
	pt_error("daemon: pid %ld did not exit within 5s", (long)pid);
	return 1;
}

static cJSON *ask(pt_client *c, pt_op op, char *err, size_t len)
{
	cJSON *reply = NULL;
	pt_client_ask(c, op, &reply, err, len);
	return reply;
}

/* "backend memory (this host)", or Redis's mode: "redis (shared by 4
 * daemons)", "outage for 3.2s: local share of each limit (4 daemons)". */
static void print_backend(const cJSON *status)
{
	const char *mode = json_str(status, "mode");
	double daemons = json_num(status, "daemons"), since = json_num(status, "outage_since_ms");
	char ago[32];
	if (strcmp(json_str(status, "backend"), "redis") != 0) {
		printf("  backend    memory (limits shared on this host)\n");
		return;
	}
	if (strcmp(mode, "outage") == 0 && since > 0) {
		pt_duration_format(pt_realtime_ms() - (int64_t)since, ago, sizeof ago);
		printf("  backend    redis: OUTAGE for %s, granting a local share of each limit "
		       "(%.0f daemons last seen)\n", ago, daemons);
	} else {
		printf("  backend    redis: %s (%.0f daemons sharing)\n", mode, daemons);
	}
}

/* What a service told about a resource: "learned from X-RateLimit-*
 * headers, for 59m more; the service asked to wait 12s". */
static void print_learned(const cJSON *r)
{
	char left[32];
	int64_t now = pt_realtime_ms();
	if (cJSON_GetObjectItemCaseSensitive(r, "learned_from")) {
		pt_duration_format((int64_t)json_num(r, "learned_expires_ms") - now, left, sizeof left);
		printf("      learned from %s, for %s more\n", json_str(r, "learned_from"), left);
	}
	if (json_num(r, "wait_until_ms") > (double)now) {
		pt_duration_format((int64_t)json_num(r, "wait_until_ms") - now, left, sizeof left);
		printf("      the service asked to wait: no start for %s\n", left);
	}
}

/* How late its starts were made, and the guard that covers it: "guard
 * 64ms (set 20ms), starts made late by p50 1ms, p99 38ms, max 51ms (of 412
 * in the last minutes)". */
static void print_lateness(const cJSON *r)
{
	const cJSON *late = cJSON_GetObjectItemCaseSensitive(r, "starts_late_ms");
	char guard[32], floor[32], p50[32], p99[32], max[32];
	if (!late)
		return;
	pt_duration_format((int64_t)json_num(r, "guard_ms"), guard, sizeof guard);
	pt_duration_format((int64_t)json_num(late, "guard_floor_ms"), floor, sizeof floor);
	pt_duration_format((int64_t)json_num(late, "p50"), p50, sizeof p50);
	pt_duration_format((int64_t)json_num(late, "p99"), p99, sizeof p99);
	pt_duration_format((int64_t)json_num(late, "max"), max, sizeof max);
	printf("      guard %s (set %s); starts made late by p50 %s, p99 %s, max %s (of %.0f in "
	       "the last minutes)\n", guard, floor, p50, p99, max, json_num(late, "samples"));
}

/* "memos      2 (yours)", then each: resource, key, size, age. */
static void print_memos(const cJSON *status, const cJSON *resources)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resources, "memos"), *m;
	char ago[32];
	if (!cJSON_GetArraySize(list))
		return;
	printf("  memos      %.0f (yours)\n", json_num(status, "memos"));
	cJSON_ArrayForEach(m, list) {
		pt_duration_format(pt_realtime_ms() - (int64_t)json_num(m, "updated_ms"), ago, sizeof ago);
		printf("    %-40s %s: %.0f bytes, %s ago\n", json_str(m, "resource"), json_str(m, "key"),
		       json_num(m, "bytes"), ago);
	}
}

/* "breakers   1 (yours)", then each: "api:x  open for 12s more, failures 3
 * (failures=3,window=1m,cooldown=30s,probes=1)". */
static void print_breakers(const cJSON *resources)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resources, "breakers"), *b;
	char left[32], state[64];
	if (!cJSON_GetArraySize(list))
		return;
	printf("  breakers   %d (yours)\n", cJSON_GetArraySize(list));
	cJSON_ArrayForEach(b, list) {
		snprintf(state, sizeof state, "%s", json_str(b, "state"));
		if (cJSON_GetObjectItemCaseSensitive(b, "open_until_ms")) {
			pt_duration_format((int64_t)json_num(b, "open_until_ms") - pt_realtime_ms(), left,
					   sizeof left);
			snprintf(state, sizeof state, "open for %s more", left);
		}
		printf("    %-40s %s, failures %.0f (%s)\n", json_str(b, "resource"), state,
		       json_num(b, "failures"), json_str(b, "spec"));
	}
}

/* "leases     1 resource (yours)", then each: held of limit, waiting. */
static void print_leases(const cJSON *status)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(status, "leases"), *l;
	int n = cJSON_GetArraySize(list);
	if (!n)
		return;
	printf("  leases     %d resource%s (yours)\n", n, n == 1 ? "" : "s");
	cJSON_ArrayForEach(l, list)
		printf("    %-40s %.0f of %.0f held (from %s), %.0f waiting\n", json_str(l, "resource"),
		       json_num(l, "held"), json_num(l, "limit"), json_str(l, "source"), json_num(l, "waiting"));
}

/* "api:x   5 per 1m (from acquire): 0 reserved, 1 in the last window". */
static void print_limit(const cJSON *r)
{
	char w[32];
	if (!cJSON_GetObjectItemCaseSensitive(r, "limit")) {
		printf("    %-40s no rate limit\n", json_str(r, "resource"));
		return;
	}
	pt_duration_format((int64_t)json_num(r, "window_ms"), w, sizeof w);
	printf("    %-40s %.0f per %s (from %s): %.0f reserved, %.0f in the last window",
	       json_str(r, "resource"), json_num(r, "limit"), w, json_str(r, "source"),
	       json_num(r, "reserved"), json_num(r, "in_window"));
	if (json_num(r, "waiting") > 0)
		printf(", %.0f waiting for their turn", json_num(r, "waiting"));
	printf("\n");
}

static void print_status(const cJSON *status, const cJSON *resources)
{
	char up[32];
	pt_duration_format((int64_t)json_num(status, "uptime_ms"), up, sizeof up);
	printf("%s: running, pid %.0f, up %s\n", json_str(status, "server"),
	       json_num(status, "pid"), up);
	printf("  socket     %s\n  state      %s\n", json_str(status, "socket"),
	       json_str(status, "state"));
	print_backend(status);
	printf("  clients    %.0f of %.0f\n", json_num(status, "clients"),
	       json_num(status, "max_clients"));
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resources, "resources");
	printf("  resources  %d (yours)\n", cJSON_GetArraySize(list));
	const cJSON *r;
	cJSON_ArrayForEach(r, list) {
		print_limit(r);
		print_learned(r);
		print_lateness(r);
		daemon_show_executions(r);
	}
	print_memos(status, resources);
	print_breakers(resources);
	print_leases(status);
}

/* {"k0": items[0], ...} on one line; the items move into it. */
static void print_json(const char *const keys[], cJSON *items[], size_t n)
{
	cJSON *all = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		cJSON_AddItemToObject(all, keys[i], items[i]);
		items[i] = NULL;
	}
	char *text = cJSON_PrintUnformatted(all);
	printf("%s\n", text ? text : "{}");
	cJSON_free(text);
	cJSON_Delete(all);
}

static cJSON *find_resource(const cJSON *resources, const char *name)
{
	cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(resources, "resources"))
		if (!strcmp(json_str(r, "resource"), name))
			return r;
	return NULL;
}

/* status RESOURCE: that one from the resources reply, with its metrics. */
static int show_one(const ctl_args *a, cJSON *replies[3])
{
	static const char *const keys[] = {"resource", "metrics"};
	cJSON *r = find_resource(replies[1], a->resource);
	if (!r) {
		pt_error("daemon: you have no resource \"%s\"", a->resource);
		return 1;
	}
	if (!a->json) {
		daemon_show_resource(r, replies[2]);
		return 0;
	}
	cJSON *items[] = {cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(replies[1],
								"resources"), r), replies[2]};
	replies[2] = NULL;
	print_json(keys, items, 2);
	return 0;
}

static int show_all(const ctl_args *a, cJSON *replies[3])
{
	static const char *const keys[] = {"status", "resources"};
	if (a->json)
		print_json(keys, replies, 2);
	else
		print_status(replies[0], replies[1]);
	return 0;
}

/* status, resources and (for RESOURCE) metrics, NULL if refused; false
 * with err when the daemon does not answer. */
static bool ask_status(pt_client *c, const ctl_args *a, cJSON *replies[3], char *err,
		       size_t err_len)
{
	replies[0] = ask(c, PT_OP_STATUS, err, err_len);
	replies[1] = replies[0] ? ask(c, PT_OP_RESOURCES, err, err_len) : NULL;
	/* a daemon without the metrics op (older) refuses it: shown without */
	if (replies[1] && a->resource &&
	    pt_client_metrics(c, a->resource, 0, 0, &replies[2], err, err_len) == PT_EIO)
		return false;
	return replies[1] != NULL;
}

static int ctl_status(const ctl_args *a)
{
	pt_client c = {0};
	cJSON *replies[3] = {NULL};
	char err[256];
	int rc = 1;
	if (pt_client_connect(&c, a->socket, CTL_TIMEOUT_MS, err, sizeof err) != PT_OK) {
		pt_client_close(&c);
		printf("no patience-daemon on %s (%s)\n", a->socket, err);
		return 1;
	}
	bool answered = ask_status(&c, a, replies, err, sizeof err);
	pt_client_close(&c);
	if (!answered)
		pt_error("daemon: %s", err);
	else
		rc = a->resource ? show_one(a, replies) : show_all(a, replies);
	for (size_t i = 0; i < 3; i++)
		cJSON_Delete(replies[i]);
	return rc;
}

int daemon_ctl(int argc, char **argv, pt_config *cfg)
{
	ctl_args a;
	int rc = parse_ctl(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : PT_EXIT_INTERNAL;
	if (find_socket(&a, cfg))
		return PT_EXIT_INTERNAL;
	if (strcmp(a.verb, "start") == 0)
		return ctl_start(&a);
	if (strcmp(a.verb, "stop") == 0)
		return ctl_stop(&a);
	if (strcmp(a.verb, "status") == 0)
		return ctl_status(&a);
	if (strcmp(a.verb, "restart") == 0)
		return ctl_stop(&a) ? 1 : ctl_start(&a);
	pt_error("daemon: unknown command \"%s\": expected start, stop, status or restart", a.verb);
	return PT_EXIT_INTERNAL;
}
