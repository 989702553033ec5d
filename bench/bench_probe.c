/* The command under test in bench_patience's latency run: appends its start
 * time (CLOCK_MONOTONIC, ns) to FILE, then fails on the first attempt and
 * succeeds on the second, so patience retries exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (argc != 2)
		return 2;
	FILE *f = fopen(argv[1], "a");
	if (!f)
		return 2;
	fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fclose(f);
	const char *attempt = getenv("PATIENCE_ATTEMPT");
	return attempt && strcmp(attempt, "1") == 0 ? 1 : 0;
}
