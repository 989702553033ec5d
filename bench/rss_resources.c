/* Benchmark: the daemon's memory with many live resources. Acquires once on
 * each of RESOURCES distinct resources (limit 10 per hour, so that every
 * start stays in its window and every resource stays live), pipelined in
 * batches of BATCH requests on one connection (their replies stay well
 * under the daemon's 1 MiB bound of unsent replies), then reads the
 * daemon's VmRSS and VmHWM from /proc/PID/status, the pid coming from the
 * "status" op. Run it against a fresh daemon with a fresh state file, so
 * that nothing else counts.
 *
 * usage: rss_resources DAEMON_SOCKET [RESOURCES] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_sock.h"

#define BATCH 1000
#define REQUEST_MAX 160
#define CONNECT_WAIT_MS 5000

typedef struct conn {
	int fd;
	bench_lines lines;
} conn;




/* The next reply line (valid until the next call), or NULL after saying why. */
static const char *read_line(conn *c)
{
	char err[256];
	const char *line = bench_read_line(c->fd, &c->lines, err, sizeof err);
	if (!line)
		fprintf(stderr, "rss_resources: %s\n", err);
	return line;
}

/* The integer after "key": in reply, or -1. */
static long long field(const char *reply, const char *key)
{
	char pattern[64];
	snprintf(pattern, sizeof pattern, "\"%s\":", key);
	const char *p = strstr(reply, pattern);
	return p ? strtoll(p + strlen(pattern), NULL, 10) : -1;
}

/* The status op's field key, or -1. */
static long long status_field(conn *c, const char *key)
{
	static const char req[] = "{\"v\":1,\"op\":\"status\"}\n";
	const char *reply;
	if (bench_write_all(c->fd, req, sizeof req - 1) < 0 || !(reply = read_line(c)))
		return -1;
	return field(reply, key);
}

/* VmRSS or VmHWM of pid in KiB, or -1. */
static long proc_kib(long long pid, const char *key)
{
	char path[64], line[256];
	long kib = -1;
	size_t n = strlen(key);
	snprintf(path, sizeof path, "/proc/%lld/status", pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			kib = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/* Acquires on resources from .. from+n-1, pipelined; 0 when all granted. */
static int acquire_batch(conn *c, long from, int n)
{
	static char buf[BATCH * REQUEST_MAX];
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"{\"v\":1,\"op\":\"acquire\",\"resource\":\"bench-rss-%07ld\","
					"\"limit\":10,\"window_ms\":3600000}\n", from + i);
	if (bench_write_all(c->fd, buf, len) < 0)
		return fprintf(stderr, "rss_resources: write: %s\n", strerror(errno)), -1;
	for (int i = 0; i < n; i++) {
		const char *reply = read_line(c);
		if (!reply)
			return -1;
		if (!strstr(reply, "\"ok\":true"))
			return fprintf(stderr, "rss_resources: acquire: %.200s\n", reply), -1;
	}
	return 0;
}

static double mib(long kib)
{
	return kib / 1024.0;
}

int main(int argc, char **argv)
{
	static conn c;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DAEMON_SOCKET [RESOURCES]\n", argv[0]);
		return 2;
	}
	long total = argc > 2 ? atol(argv[2]) : 100000;
	if (total < 1 || total > 10000000)
		return fprintf(stderr, "rss_resources: RESOURCES 1-10000000\n"), 2;
	char err[256];
	if ((c.fd = bench_connect(argv[1], CONNECT_WAIT_MS, err, sizeof err)) < 0)
		return fprintf(stderr, "rss_resources: %s\n", err), 1;
	long long pid = status_field(&c, "pid"), before = status_field(&c, "resources");
	long rss0 = proc_kib(pid, "VmRSS");
	if (pid <= 0 || rss0 < 0)
		return fprintf(stderr, "rss_resources: cannot read the daemon's status\n"), 1;
	double start = bench_now_us() / 1e3;
	for (long done = 0; done < total; done += BATCH)
		if (acquire_batch(&c, done, total - done < BATCH ? (int)(total - done) : BATCH) < 0)
			return 1;
	double elapsed = bench_now_us() / 1e3 - start;
	long long after = status_field(&c, "resources");
	long rss = proc_kib(pid, "VmRSS"), hwm = proc_kib(pid, "VmHWM");
	if (after - before != total)
		return fprintf(stderr, "rss_resources: the daemon reports %lld resources, "
			       "expected %lld\n", after, before + total), 1;
	printf("| measure | result |\n|---|---|\n");
	printf("| daemon RSS, fresh, no resource | %.1f MiB |\n", mib(rss0));
	printf("| daemon RSS with %ld live resources | **%.1f MiB** (goal <= 50 MiB) |\n", total,
	       mib(rss));
	printf("| daemon peak RSS (VmHWM) | %.1f MiB |\n", mib(hwm));
	printf("| RSS per resource, above the fresh daemon | %.0f bytes |\n",
	       (rss - rss0) * 1024.0 / total);
	printf("| %ld acquires, pipelined by %d on one connection | %.2f s, %.0f acquires/s |\n",
	       total, BATCH, elapsed / 1e3, total / (elapsed / 1e3));
	close(c.fd);
	return 0;
}
