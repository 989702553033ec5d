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
	char socket[4096];
	bool json;
} ctl_args;

static void ctl_usage(void)
{
	printf("usage: patience daemon start|stop|status|restart [--daemon-socket PATH] [--json]\n\n"
	       "  start    start a detached patience-daemon unless one answers\n"
	       "  stop     ask the daemon to exit (SIGTERM) and wait for it\n"
	       "  status   show the daemon and your resources (exit 1 if none runs)\n"
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
	if (optind != argc - 1) {
		pt_error("daemon: expected one of start, stop, status, restart");
		return 1;
	}
	a->verb = argv[optind];
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
	pt_client c;
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

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

/* "backend memory (this host)", or Redis's mode: "redis (shared by 4
 * daemons)", "outage for 3.2s: local share of each limit (4 daemons)". */
static void print_backend(const cJSON *status)
{
	const char *mode = str(status, "mode");
	double daemons = num(status, "daemons"), since = num(status, "outage_since_ms");
	char ago[32];
	if (strcmp(str(status, "backend"), "redis") != 0) {
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
		pt_duration_format((int64_t)num(r, "learned_expires_ms") - now, left, sizeof left);
		printf("      learned from %s, for %s more\n", str(r, "learned_from"), left);
	}
	if (num(r, "wait_until_ms") > (double)now) {
		pt_duration_format((int64_t)num(r, "wait_until_ms") - now, left, sizeof left);
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
	pt_duration_format((int64_t)num(r, "guard_ms"), guard, sizeof guard);
	pt_duration_format((int64_t)num(late, "guard_floor_ms"), floor, sizeof floor);
	pt_duration_format((int64_t)num(late, "p50"), p50, sizeof p50);
	pt_duration_format((int64_t)num(late, "p99"), p99, sizeof p99);
	pt_duration_format((int64_t)num(late, "max"), max, sizeof max);
	printf("      guard %s (set %s); starts made late by p50 %s, p99 %s, max %s (of %.0f in "
	       "the last minutes)\n", guard, floor, p50, p99, max, num(late, "samples"));
}

/* "memos      2 (yours)", then each: resource, key, size, age. */
static void print_memos(const cJSON *status, const cJSON *resources)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resources, "memos"), *m;
	char ago[32];
	if (!cJSON_GetArraySize(list))
		return;
	printf("  memos      %.0f (yours)\n", num(status, "memos"));
	cJSON_ArrayForEach(m, list) {
		pt_duration_format(pt_realtime_ms() - (int64_t)num(m, "updated_ms"), ago, sizeof ago);
		printf("    %-40s %s: %.0f bytes, %s ago\n", str(m, "resource"), str(m, "key"),
		       num(m, "bytes"), ago);
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
		snprintf(state, sizeof state, "%s", str(b, "state"));
		if (cJSON_GetObjectItemCaseSensitive(b, "open_until_ms")) {
			pt_duration_format((int64_t)num(b, "open_until_ms") - pt_realtime_ms(), left,
					   sizeof left);
			snprintf(state, sizeof state, "open for %s more", left);
		}
		printf("    %-40s %s, failures %.0f (%s)\n", str(b, "resource"), state,
		       num(b, "failures"), str(b, "spec"));
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
		printf("    %-40s %.0f of %.0f held (from %s), %.0f waiting\n", str(l, "resource"),
		       num(l, "held"), num(l, "limit"), str(l, "source"), num(l, "waiting"));
}

static void print_status(const cJSON *status, const cJSON *resources)
{
	char up[32], w[32];
	pt_duration_format((int64_t)num(status, "uptime_ms"), up, sizeof up);
	printf("%s: running, pid %.0f, up %s\n", str(status, "server"), num(status, "pid"), up);
	printf("  socket     %s\n  state      %s\n", str(status, "socket"), str(status, "state"));
	print_backend(status);
	printf("  clients    %.0f of %.0f\n", num(status, "clients"), num(status, "max_clients"));
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resources, "resources");
	printf("  resources  %d (yours)\n", cJSON_GetArraySize(list));
	const cJSON *r;
	cJSON_ArrayForEach(r, list) {
		pt_duration_format((int64_t)num(r, "window_ms"), w, sizeof w);
		printf("    %-40s %.0f per %s (from %s): %.0f reserved, %.0f in the last window",
		       str(r, "resource"), num(r, "limit"), w, str(r, "source"), num(r, "reserved"),
		       num(r, "in_window"));
		if (num(r, "waiting") > 0)
			printf(", %.0f waiting for their turn", num(r, "waiting"));
		printf("\n");
		print_learned(r);
		print_lateness(r);
	}
	print_memos(status, resources);
	print_breakers(resources);
	print_leases(status);
}

static int ctl_status(const ctl_args *a)
{
	pt_client c;
	char err[256];
	if (pt_client_connect(&c, a->socket, CTL_TIMEOUT_MS, err, sizeof err) != PT_OK) {
		pt_client_close(&c);
		printf("no patience-daemon on %s (%s)\n", a->socket, err);
		return 1;
	}
	cJSON *status = ask(&c, PT_OP_STATUS, err, sizeof err);
	cJSON *resources = status ? ask(&c, PT_OP_RESOURCES, err, sizeof err) : NULL;
	pt_client_close(&c);
	if (!resources) {
		cJSON_Delete(status);
		pt_error("daemon: %s", err);
		return 1;
	}
	if (a->json) {
		cJSON *both = cJSON_CreateObject();
		cJSON_AddItemToObject(both, "status", status);
		cJSON_AddItemToObject(both, "resources", resources);
		char *text = cJSON_PrintUnformatted(both);
		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(both);
		return 0;
	}
	print_status(status, resources);
	cJSON_Delete(status);
	cJSON_Delete(resources);
	return 0;
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
