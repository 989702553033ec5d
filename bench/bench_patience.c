/* Benchmarks of issue 2, measured in one run so that ratios are fair on a
 * noisy machine:
 *  1. overhead: `patience fixed -a 1 -- true` against `timeout 10 true`
 *     (the floor for a supervising wrapper), interleaved, median wall time
 *     of RUNS each, and patience's peak RSS;
 *  2. retry latency: how late attempt 2 starts after `--delay 100ms`, next to
 *     the same two runs made by this program itself (wait, sleep 100 ms,
 *     spawn: the floor, mostly the cost of starting a process).
 * usage: bench_patience PATIENCE PROBE [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run argv with stdout/stderr to /dev/null; wall ms, peak RSS in KiB. */
static double run_once(char *const argv[], long *maxrss_kib)
{
	fflush(stdout); /* or the child would flush our buffer a second time */
	double start = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	wait4(pid, &status, 0, &ru);
	double elapsed = now_ms() - start;
	if (maxrss_kib)
		*maxrss_kib = ru.ru_maxrss;
	return elapsed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_overhead(const char *patience, int runs)
{
	static double wrapper[MAX_RUNS], floor_[MAX_RUNS];
	char *pat_argv[] = {(char *)patience, "fixed", "-q", "-a", "1", "--", "true", NULL};
	char *timeout_argv[] = {"timeout", "10", "true", NULL};
	long rss, peak = 0;
	for (int i = 0; i < 5; i++) { /* warm the page cache */
		run_once(pat_argv, NULL);
		run_once(timeout_argv, NULL);
	}
	for (int i = 0; i < runs; i++) {
		wrapper[i] = run_once(pat_argv, &rss);
		peak = rss > peak ? rss : peak;
		floor_[i] = run_once(timeout_argv, NULL);
	}
	double mp = median(wrapper, runs), mt = median(floor_, runs);
	printf("| `patience fixed -a 1 -- true` | median %.3f ms over %d runs |\n", mp, runs);
	printf("| `timeout 10 true` | median %.3f ms over %d runs |\n", mt, runs);
	printf("| ratio patience / timeout | %.2f (goal <= 1.3) |\n", mp / mt);
	printf("| patience peak RSS | %.2f MiB (goal <= 2 MiB) |\n", peak / 1024.0);
}

static int read_two_times(const char *path, double *first, double *second)
{
	long long a, b;
	FILE *f = fopen(path, "r");
	int ok = f && fscanf(f, "%lld %lld", &a, &b) == 2;
	if (f)
		fclose(f);
	if (ok) {
		*first = a / 1e6;
		*second = b / 1e6;
	}
	return ok ? 0 : -1;
}

/* The floor: run the probe, sleep 100 ms after it exits, run it again. */
static void direct_retry(char *const probe_argv[])
{
	setenv("PATIENCE_ATTEMPT", "1", 1);
	run_once(probe_argv, NULL);
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	setenv("PATIENCE_ATTEMPT", "2", 1);
	run_once(probe_argv, NULL);
	unsetenv("PATIENCE_ATTEMPT");
}

/* Median lateness of the second probe start over runs; -1 if none. */
static double lateness(char *const argv[], char *const probe_argv[], const char *path,
		       int runs, double *max)
{
	static double late[MAX_RUNS];
	int n = 0;
	for (int i = 0; i < runs; i++) {
		double first, second;
		if (truncate(path, 0) < 0)
			return -1;
		if (argv)
			run_once(argv, NULL);
		else
			direct_retry(probe_argv);
		if (read_two_times(path, &first, &second) == 0)
			late[n++] = second - first - 100.0;
	}
	if (n == 0)
		return -1;
	double m = median(late, n);
	*max = late[n - 1];
	return m;
}

static void bench_latency(const char *patience, const char *probe, int runs)
{
	char path[] = "/tmp/bench_patience_XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char *argv[] = {(char *)patience, "fixed", "-q", "-d", "100ms", "-a", "2", "--",
			(char *)probe, path, NULL};
	char *probe_argv[] = {(char *)probe, path, NULL};
	double max_p = 0, max_d = 0;
	double via_patience = lateness(argv, NULL, path, runs, &max_p);
	double direct = lateness(NULL, probe_argv, path, runs, &max_d);
	unlink(path);
	printf("| patience: attempt 2 start - attempt 1 start - 100 ms | median %.3f ms, "
	       "max %.3f ms over %d runs (goal median <= 2 ms) |\n", via_patience, max_p, runs);
	printf("| floor: the same with fork/exec/nanosleep and no patience | median %.3f ms, "
	       "max %.3f ms |\n", direct, max_d);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PATIENCE PROBE [RUNS]\n", argv[0]);
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 30;
	if (runs < 1 || runs > MAX_RUNS)
		runs = 30;
	printf("| measure | result |\n|---|---|\n");
	bench_overhead(argv[1], runs);
	bench_latency(argv[1], argv[2], runs);
	return 0;
}
