/* Benchmark of the daemon's throughput and latency, against Redis running
 * the same sliding-window limiter as a Lua script (bench/sliding_window.lua),
 * measured in one run so that the ratios are fair on a noisy machine.
 *
 * One op is one acquire and its reply, then one release of the granted
 * reservation and its reply: ops/s counts these pairs, and the latency
 * percentiles are of the pair. Every client has its own connection and
 * thread, and every client of a run uses the same resource (the harder
 * case: 16 clients on one limit), whose limit (10^9 per 1000 ms) grants at
 * once. The daemon is spoken to with write()/read() of JSON lines, Redis
 * with hiredis and EVALSHA.
 *
 * The four workloads (daemon and Redis, 1 and CLIENTS clients) run in
 * ROUNDS rounds of SECONDS each after a warm-up, Redis and the daemon
 * taking turns at going first; figures are over every round.
 *
 * A release may answer not_found (daemon) or 0 (Redis): its start was in
 * an earlier millisecond, already made, so it counts in its window and
 * there is nothing left to free. That is a correct answer, and counted.
 *
 * Each server's CPU time (/proc/PID/stat; the pids from the daemon's
 * "status" and Redis's INFO) and this process's are read around the timed
 * part: on a small machine the clients share the cores with the server,
 * so CPU per pair says more than ops/s about the server's own cost.
 *
 * With --scheduler, the daemon runs on Redis (--backend) and SCRIPT is its
 * own src/daemon/redis_scheduler.lua: the clients then send straight to
 * Redis the very EVALSHA the daemon sends for them, so the ratio shows what
 * the daemon's pipelining wins or costs.
 *
 * usage: daemon_throughput [--scheduler] DAEMON_SOCKET REDIS_SOCKET SCRIPT
 *                          [SECONDS [ROUNDS [CLIENTS]]] */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_sock.h"

#define MAX_CLIENTS 64
#define RESOURCE "bench-throughput"
#define REDIS_KEY "bench:throughput"
#define REDIS_SEQ "bench:throughput:seq"
#define SCHED_KEY "{patience:0:" RESOURCE "}"
#define LIMIT 1000000000
#define WINDOW_MS 1000
#define WARMUP_SECONDS 0.5
#define CONNECT_WAIT_MS 5000

typedef enum server { DAEMON, REDIS } server;
/* Which script Redis runs: bench/sliding_window.lua, or the daemon's own. */
typedef enum script_api { SLIDING, SCHEDULER } script_api;

typedef struct samples {
	double *v; /* pair latencies in µs */
	size_t n, cap;
} samples;

/* What one run of one workload is given. */
typedef struct job {
	server srv;
	const char *path; /* the server's socket */
	const char *sha;  /* Redis: the script's SHA1 */
	script_api api;
	long pid;         /* the server's, for its CPU time */
	double seconds;
	pthread_barrier_t barrier;
} job;

typedef struct client {
	job *job;
	int fd;            /* daemon */
	redisContext *rc;  /* Redis */
	bench_lines lines; /* the daemon's replies */
	samples lat;
	double start_us, end_us;
	long not_found; /* releases with nothing left to free */
	char err[256];  /* "" unless the client failed */
} client;

/* One workload's figures, summed over its rounds. */
typedef struct result {
	samples lat;
	double elapsed_us;
	double cpu_us;    /* the server's CPU time */
	double client_us; /* this process's: every client thread's */
	long not_found;
} result;


static int samples_add(samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *p = realloc(s->v, cap * sizeof *p);
		if (!p)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest rank; s must be sorted and not empty. */
static double percentile(const samples *s, double p)
{
	size_t rank = (size_t)(p * (double)s->n + 0.999999);
	return s->v[rank ? rank - 1 : 0];
}

/* ---- the daemon: JSON lines over a Unix socket ---- */



/* Sends one request line, returns its reply line (NUL-terminated, without
 * the newline, valid until the next call) or NULL with c->err set. */
static const char *daemon_call(client *c, const char *req, size_t len)
{
	if (bench_write_all(c->fd, req, len) < 0) {
		snprintf(c->err, sizeof c->err, "daemon: write: %s", strerror(errno));
		return NULL;
	}
	return bench_read_line(c->fd, &c->lines, c->err, sizeof c->err);
}

static int daemon_fail(client *c, const char *what, const char *reply)
{
	snprintf(c->err, sizeof c->err, "daemon: %s: %.200s", what, reply);
	return -1;
}

static int daemon_op(client *c)
{
	static const char acquire[] = "{\"v\":1,\"op\":\"acquire\",\"resource\":\"" RESOURCE
				      "\",\"limit\":1000000000,\"window_ms\":1000}\n";
	char release[96];
	const char *reply = daemon_call(c, acquire, sizeof acquire - 1), *p;
	if (!reply)
		return -1;
	if (!strstr(reply, "\"ok\":true") || !(p = strstr(reply, "\"reservation\":")))
		return daemon_fail(c, "acquire", reply);
	unsigned long long id = strtoull(p + strlen("\"reservation\":"), NULL, 10);
	int n = snprintf(release, sizeof release,
			 "{\"v\":1,\"op\":\"release\",\"reservation\":%llu}\n", id);
	if (!(reply = daemon_call(c, release, (size_t)n)))
		return -1;
	if (strstr(reply, "\"code\":\"not_found\""))
		c->not_found++;
	else if (!strstr(reply, "\"ok\":true"))
		return daemon_fail(c, "release", reply);
	return 0;
}

/* ---- Redis: EVALSHA over hiredis ---- */

static int redis_fail(client *c, const char *what, redisReply *r)
{
	if (c->rc->err)
		snprintf(c->err, sizeof c->err, "redis: %s: %s", what, c->rc->errstr);
	else if (r && r->type == REDIS_REPLY_ERROR)
		snprintf(c->err, sizeof c->err, "redis: %s: %s", what, r->str);
	else
		snprintf(c->err, sizeof c->err, "redis: %s: unexpected reply", what);
	if (r)
		freeReplyObject(r);
	return -1;
}

static long long realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's acquire of one start now (limit LIMIT, window WINDOW_MS and
 * the default guard of 20 ms), and its release of what is left. */
static int scheduler_op(client *c)
{
	static unsigned long seq;
	const char *sha = c->job->sha;
	unsigned long id = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	redisReply *r = redisCommand(c->rc, "EVALSHA %s 1 %s acquire %d %d 0 -1 bench:%lu: "
				     "%lld 250 0", sha, SCHED_KEY, LIMIT, WINDOW_MS + 20, id,
				     realtime_ms());
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer != 1)
		return redis_fail(c, "acquire", r);
	freeReplyObject(r);
	r = redisCommand(c->rc, "EVALSHA %s 1 %s release 1 bench:%lu:", sha, SCHED_KEY, id);
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return redis_fail(c, "release", r);
	c->not_found += r->integer == 0;
	freeReplyObject(r);
	return 0;
}

static int redis_op(client *c)
{
	const char *sha = c->job->sha;
	if (c->job->api == SCHEDULER)
		return scheduler_op(c);
	redisReply *r = redisCommand(c->rc, "EVALSHA %s 2 %s %s acquire %d %d", sha, REDIS_KEY,
				     REDIS_SEQ, LIMIT, WINDOW_MS);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer != 1 ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return redis_fail(c, "acquire", r);
	long long id = r->element[1]->integer;
	freeReplyObject(r);
	r = redisCommand(c->rc, "EVALSHA %s 2 %s %s release %lld", sha, REDIS_KEY, REDIS_SEQ, id);
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return redis_fail(c, "release", r);
	c->not_found += r->integer == 0;
	freeReplyObject(r);
	return 0;
}

/* Loads the script; its SHA1 into sha. */
static int redis_load(const char *path, const char *script_path, char *sha, size_t sha_len)
{
	static char script[16384];
	FILE *f = fopen(script_path, "r");
	size_t n = f ? fread(script, 1, sizeof script - 1, f) : 0;
	if (f)
		fclose(f);
	if (n == 0 || n == sizeof script - 1) {
		fprintf(stderr, "daemon_throughput: cannot read the script %s\n", script_path);
		return -1;
	}
	script[n] = '\0';
	redisContext *rc = redisConnectUnix(path);
	redisReply *r = rc && !rc->err ? redisCommand(rc, "SCRIPT LOAD %s", script) : NULL;
	int ok = r && r->type == REDIS_REPLY_STRING;
	if (ok)
		snprintf(sha, sha_len, "%s", r->str);
	else
		fprintf(stderr, "daemon_throughput: redis %s: SCRIPT LOAD failed: %s\n", path,
			rc && rc->err ? rc->errstr : r && r->str ? r->str : "unexpected reply");
	if (r)
		freeReplyObject(r);
	if (rc)
		redisFree(rc);
	return ok ? 0 : -1;
}

/* ---- the servers' CPU time ---- */

/* User and system CPU time of pid in µs, from /proc/PID/stat; -1. */
static double cpu_us(long pid)
{
	char path[64], buf[1024];
	unsigned long long utime, stime;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold anything */
	/* fields 3 to 13, then utime and stime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* This process's CPU time in µs: every client thread's. */
static double self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* The daemon's pid, from its "status" reply; -1. */
static long daemon_pid(const char *path)
{
	static const char req[] = "{\"v\":1,\"op\":\"status\"}\n";
	static client c;
	const char *reply, *p;
	long pid = -1;
	c.fd = bench_connect(path, CONNECT_WAIT_MS, c.err, sizeof c.err);
	if (c.fd >= 0 && (reply = daemon_call(&c, req, sizeof req - 1)) &&
	    (p = strstr(reply, "\"pid\":")))
		pid = strtol(p + strlen("\"pid\":"), NULL, 10);
	if (c.fd >= 0)
		close(c.fd);
	if (pid <= 0)
		fprintf(stderr, "daemon_throughput: daemon %s: no pid in its status: %s\n", path,
			c.err);
	return pid > 0 ? pid : -1;
}

/* Redis's pid, from INFO server; -1. */
static long redis_pid(const char *path)
{
	redisContext *rc = redisConnectUnix(path);
	redisReply *r = rc && !rc->err ? redisCommand(rc, "INFO server") : NULL;
	const char *p = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
	long pid = -1;
	if (p && (p = strstr(p, "process_id:")))
		pid = strtol(p + strlen("process_id:"), NULL, 10);
	if (r)
		freeReplyObject(r);
	if (rc)
		redisFree(rc);
	if (pid <= 0)
		fprintf(stderr, "daemon_throughput: redis %s: no process_id in INFO\n", path);
	return pid > 0 ? pid : -1;
}

/* ---- clients ---- */

static int client_connect(client *c)
{
	if (c->job->srv == REDIS) {
		c->rc = redisConnectUnix(c->job->path);
		if (!c->rc || c->rc->err)
			return snprintf(c->err, sizeof c->err, "redis %s: %s", c->job->path,
					c->rc ? c->rc->errstr : "out of memory"), -1;
		return 0;
	}
	c->fd = bench_connect(c->job->path, CONNECT_WAIT_MS, c->err, sizeof c->err);
	return c->fd < 0 ? -1 : 0;
}

static void client_close(client *c)
{
	if (c->rc)
		redisFree(c->rc);
	if (c->fd >= 0)
		close(c->fd);
	free(c->lat.v);
}

static int client_op(client *c)
{
	return c->job->srv == DAEMON ? daemon_op(c) : redis_op(c);
}

/* A few ops outside the timing, then every client starts together and
 * runs for the job's seconds. */
static void *client_run(void *arg)
{
	client *c = arg;
	int rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = client_op(c);
	c->not_found = 0;
	pthread_barrier_wait(&c->job->barrier);
	if (rc != 0)
		return NULL;
	double t = bench_now_us(), until = t + c->job->seconds * 1e6;
	c->start_us = t;
	while (t < until) {
		if (client_op(c) != 0)
			break;
		double done = bench_now_us();
		if (samples_add(&c->lat, done - t) < 0) {
			snprintf(c->err, sizeof c->err, "out of memory");
			break;
		}
		t = done;
	}
	c->end_us = t;
	return NULL;
}

static int merge(result *res, const client *c)
{
	for (size_t i = 0; i < c->lat.n; i++)
		if (samples_add(&res->lat, c->lat.v[i]) < 0)
			return -1;
	res->not_found += c->not_found;
	return 0;
}

/* n clients of j at once; adds their figures to res (NULL: a warm-up). */
static int run_clients(job *j, int n, result *res)
{
	static client cs[MAX_CLIENTS];
	pthread_t th[MAX_CLIENTS];
	int rc = 0;
	double first = 0, last = 0, cpu0, cpu1, self0, self1;
	memset(cs, 0, sizeof cs);
	for (int i = 0; i < n; i++) {
		cs[i].job = j;
		cs[i].fd = -1;
	}
	for (int i = 0; i < n && rc == 0; i++)
		if ((rc = client_connect(&cs[i])) < 0)
			fprintf(stderr, "daemon_throughput: %s\n", cs[i].err);
	if (rc < 0)
		return -1;
	/* this thread waits too, so that it reads the CPU time as they start */
	pthread_barrier_init(&j->barrier, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, client_run, &cs[i]) != 0) {
			fprintf(stderr, "daemon_throughput: pthread_create failed\n");
			exit(1);
		}
	pthread_barrier_wait(&j->barrier);
	cpu0 = cpu_us(j->pid);
	self0 = self_cpu_us();
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	cpu1 = cpu_us(j->pid);
	self1 = self_cpu_us();
	pthread_barrier_destroy(&j->barrier);
	for (int i = 0; i < n; i++) {
		if (cs[i].err[0] && rc == 0) {
			fprintf(stderr, "daemon_throughput: %s\n", cs[i].err);
			rc = -1;
		}
		if (i == 0 || cs[i].start_us < first)
			first = cs[i].start_us;
		if (cs[i].end_us > last)
			last = cs[i].end_us;
		if (rc == 0 && res && merge(res, &cs[i]) < 0)
			rc = -1;
		client_close(&cs[i]);
	}
	if (rc == 0 && res) {
		res->elapsed_us += last - first;
		res->cpu_us += cpu1 - cpu0;
		res->client_us += self1 - self0;
	}
	return rc;
}

/* ---- the report ---- */

static void print_row(const char *name, int clients, result *r)
{
	qsort(r->lat.v, r->lat.n, sizeof *r->lat.v, cmp_double);
	printf("| %s | %d | %.0f | %.1f | %.1f | %.1f (%.0f%%) | %.1f | %.1f%% | |\n", name,
	       clients, r->lat.n / (r->elapsed_us / 1e6), percentile(&r->lat, 0.50),
	       percentile(&r->lat, 0.99), r->cpu_us / r->lat.n, 100.0 * r->cpu_us / r->elapsed_us,
	       r->client_us / r->lat.n, 100.0 * r->not_found / r->lat.n);
}

static void print_ratio(int clients, const result *d, const result *r, const char *goal)
{
	double ops_d = d->lat.n / d->elapsed_us, ops_r = r->lat.n / r->elapsed_us;
	printf("| **daemon / Redis** | %d | **%.2f** | %.2f | **%.2f** | %.2f | | | %s |\n",
	       clients, ops_d / ops_r, percentile(&d->lat, 0.50) / percentile(&r->lat, 0.50),
	       percentile(&d->lat, 0.99) / percentile(&r->lat, 0.99),
	       (d->cpu_us / d->lat.n) / (r->cpu_us / r->lat.n), goal);
}

static void report(result res[2][2], const int counts[2], double seconds, int rounds,
		   script_api api)
{
	printf("| server | clients | acquire+release pairs/s | p50 (µs) | p99 (µs) | "
	       "server CPU per pair (µs, load) | client CPU per pair (µs) | "
	       "releases after the start | goal |\n|---|---|---|---|---|---|---|---|---|\n");
	for (int k = 0; k < 2; k++) {
		print_row(api == SCHEDULER ? "patience-daemon on Redis" : "patience-daemon",
			  counts[k], &res[k][DAEMON]);
		print_row(api == SCHEDULER ? "Redis, EVALSHA redis_scheduler.lua" : "Redis, EVALSHA",
			  counts[k], &res[k][REDIS]);
		print_ratio(counts[k], &res[k][DAEMON], &res[k][REDIS],
			    api == SCHEDULER ? (counts[k] == 1 ? "" : "pairs/s ratio >= 1")
			    : counts[k] == 1 ? "p99 ratio <= 1" : "pairs/s ratio >= 2");
	}
	printf("\nAll clients of a run on one resource (limit %d per %d ms), one connection "
	       "and thread each; %d rounds of %.1f s per row, after %.1f s of warm-up each. "
	       "\"Releases after the start\": the start was already made (an earlier ms), so "
	       "it stays counted and the release frees nothing (not_found; Redis: 0). Server CPU: "
	       "user + system time of the server process over the timed part (load 100%%: one "
	       "core busy); client CPU: this benchmark's, every client thread's, on the same "
	       "%ld cores.\n",
	       LIMIT, WINDOW_MS, rounds, seconds, WARMUP_SECONDS, sysconf(_SC_NPROCESSORS_ONLN));
	if (api == SCHEDULER)
		printf("\nThe daemon's CPU here excludes Redis's: Redis serves both rows and its "
		       "time is in the Redis row only when clients call it straight.\n");
}

int main(int argc, char **argv)
{
	script_api api = argc > 1 && strcmp(argv[1], "--scheduler") == 0 ? SCHEDULER : SLIDING;
	if (api == SCHEDULER) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: %s [--scheduler] DAEMON_SOCKET REDIS_SOCKET SCRIPT [SECONDS "
			"[ROUNDS [CLIENTS]]]\n", argv[0]);
		return 2;
	}
	double seconds = argc > 4 ? atof(argv[4]) : 2.0;
	int rounds = argc > 5 ? atoi(argv[5]) : 3;
	int counts[2] = {1, argc > 6 ? atoi(argv[6]) : 16};
	if (!(seconds > 0 && seconds <= 600) || rounds < 1 || rounds > 100 || counts[1] < 1 ||
	    counts[1] > MAX_CLIENTS) {
		fprintf(stderr, "daemon_throughput: SECONDS 0-600, ROUNDS 1-100, CLIENTS 1-%d\n",
			MAX_CLIENTS);
		return 2;
	}
	char sha[64];
	if (redis_load(argv[2], argv[3], sha, sizeof sha) < 0)
		return 1;
	job jobs[2] = {{.srv = DAEMON, .path = argv[1], .pid = daemon_pid(argv[1])},
		       {.srv = REDIS, .path = argv[2], .sha = sha, .api = api,
			.pid = redis_pid(argv[2])}};
	if (jobs[DAEMON].pid < 0 || jobs[REDIS].pid < 0)
		return 1;
	static result res[2][2];
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 2; s++) {
			jobs[s].seconds = WARMUP_SECONDS;
			if (run_clients(&jobs[s], counts[k], NULL) < 0)
				return 1;
		}
	for (int round = 0; round < rounds; round++)
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 2; i++) {
				int s = (round + i) % 2; /* who goes first alternates */
				jobs[s].seconds = seconds;
				if (run_clients(&jobs[s], counts[k], &res[k][s]) < 0)
					return 1;
			}
	report(res, counts, seconds, rounds, api);
	return 0;
}
