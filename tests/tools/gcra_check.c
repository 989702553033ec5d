/* An independent observer for burst (GCRA) tests: reads start times (one
 * integer per line, nanoseconds of CLOCK_REALTIME, as tests/tools/stamp
 * logs them), sorts them and replays the definition (ITU-T I.371 virtual
 * scheduling) with T = ceil(W/N) ms and tau = (B-1)*T: each start t must
 * have t >= TAT - tau - slack, then TAT = max(TAT, t) + T.
 *
 * slack is for what the log adds to the real start: each line is written a
 * little after the exec, by up to slack; the starts themselves then obey
 * GCRA(T, tau), and their log lines GCRA(T, tau + slack), since a pair of
 * lines is at most slack closer than the pair of starts.
 *
 * usage: gcra_check N WINDOW_MS B FILE [--slack MS] [--burst-within MS]
 * --burst-within: also require the first B starts within MS of the first.
 * Prints one summary line; exit 0 when every start conforms, 1 if not. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "start_log.h"

#define NS_PER_MS INT64_C(1000000)

/* Index of the first start that breaks the definition, or n. *early_ns:
 * how far before TAT - tau - slack it came. */
static size_t first_violation(const int64_t *t, size_t n, int64_t T, int64_t tau, int64_t slack,
			      int64_t *early_ns)
{
	int64_t tat = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && t[i] < tat - tau - slack) {
			*early_ns = tat - tau - slack - t[i];
			return i;
		}
		tat = (i > 0 && tat > t[i] ? tat : t[i]) + T;
	}
	return n;
}

static int64_t arg_ms(const char *text)
{
	char *end;
	long long v = strtoll(text, &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "gcra_check: bad number \"%s\"\n", text);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: gcra_check N WINDOW_MS B FILE [--slack MS] "
			"[--burst-within MS]\n");
		return 2;
	}
	int64_t limit = arg_ms(argv[1]), window = arg_ms(argv[2]), burst = arg_ms(argv[3]);
	int64_t slack = 0, within = -1, early = 0;
	for (int i = 5; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--slack") == 0)
			slack = arg_ms(argv[i + 1]) * NS_PER_MS;
		else if (strcmp(argv[i], "--burst-within") == 0)
			within = arg_ms(argv[i + 1]) * NS_PER_MS;
	}
	if (limit < 1 || burst < 1 || window < 1)
		return 2;
	int64_t T = (window / limit + (window % limit != 0)) * NS_PER_MS;
	int64_t tau = (burst - 1) * T;
	size_t n;
	int64_t *t = start_log_read(argv[4], &n);
	size_t bad = first_violation(t, n, T, tau, slack, &early);
	size_t b = (size_t)burst < n ? (size_t)burst : n;
	int64_t burst_span = n ? t[b - 1] - t[0] : 0;
	double steady = n > b ? (double)(t[n - 1] - t[b - 1]) / (double)(n - b) / 1e6 : 0;
	printf("%zu starts, T %" PRId64 " ms, tau %" PRId64 " ms: %s; first %zu within %.1f ms, "
	       "then one per %.1f ms", n, T / NS_PER_MS, tau / NS_PER_MS,
	       bad == n ? "every start conforms" : "NOT conforming", b, burst_span / 1e6, steady);
	if (bad < n)
		printf(" (start %zu came %.3f ms early)", bad, early / 1e6);
	printf("\n");
	free(t);
	return bad < n || (within >= 0 && burst_span > within) ? 1 : 0;
}
