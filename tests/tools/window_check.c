/* An independent observer for rate-limit tests: reads start times (one
 * integer per line, nanoseconds of CLOCK_REALTIME), and checks that no
 * window of W holds more than N of them. With --min-utilization P it also
 * checks that the whole windows from the first start hold at least P% of
 * the N each could (for runs whose demand stays above the limit).
 * usage: window_check N WINDOW_MS FILE [--min-utilization P]
 * Prints one summary line; exit 0 when compliant (and utilized), 1 if not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "start_log.h"

int main(int argc, char **argv)
{
	if (argc != 4 && !(argc == 6 && strcmp(argv[4], "--min-utilization") == 0)) {
		fprintf(stderr, "usage: %s N WINDOW_MS FILE [--min-utilization PERCENT]\n", argv[0]);
		return 2;
	}
	size_t limit = strtoull(argv[1], NULL, 10), n, worst = 0, violations = 0;
	int64_t window = strtoll(argv[2], NULL, 10) * 1000000;
	int64_t *t = start_log_read(argv[3], &n);
	/* The window opening at each start is the fullest one holding it. */
	for (size_t i = 0, j = 0; i < n; i++) {
		while (j < n && t[j] < t[i] + window)
			j++;
		worst = j - i > worst ? j - i : worst;
		violations += j - i > limit;
	}
	/* Utilization over the whole windows W from the first start: at most N
	 * starts fit in each (bursty and even schedules alike); the last,
	 * partial window is left out, as the run may have ended inside it. */
	double util = 0;
	if (n > 0) {
		int64_t windows = (t[n - 1] - t[0]) / window, end = t[0] + windows * window;
		size_t counted = 0;
		while (counted < n && (windows == 0 || t[counted] < end))
			counted++;
		util = 100.0 * (double)counted / ((double)limit * (double)(windows ? windows : 1));
	}
	printf("starts %zu, fullest window %zu of limit %zu, windows over the limit %zu, "
	       "utilization %.1f%%\n", n, worst, limit, violations, util);
	free(t);
	if (violations)
		return 1;
	return argc == 6 && util < atof(argv[5]) ? 1 : 0;
}
