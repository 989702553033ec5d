/* The command of the rate-limit tests: appends its own start time
 * (CLOCK_REALTIME, ns) to the file $LOG and exits 1, so that patience
 * retries it. One small exec, unlike a shell calling date(1), so that what
 * the observer logs is as close as can be to when the attempt started. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	const char *path = getenv("LOG");
	char line[32];
	int n = snprintf(line, sizeof line, "%lld\n",
			 (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0644) : -1;
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		perror(path ? path : "LOG is not set");
		return 2;
	}
	close(fd);
	return 1;
}
