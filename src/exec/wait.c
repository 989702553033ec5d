#define _GNU_SOURCE /* ppoll */
#include "exec/wait.h"

#include <poll.h>
#include <time.h>

#include "exec/clock.h"
#include "exec/signals.h"

int pt_wait_until(int64_t deadline_ns, int signal_fd)
{
	for (;;) {
		int sig = pt_signals_drain(signal_fd);
		if (sig)
			return sig;
		int64_t left = deadline_ns - pt_monotonic_ns();
		if (left <= 0)
			return 0;
		struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
		struct pollfd pfd = {.fd = signal_fd, .events = POLLIN};
		ppoll(&pfd, 1, &ts, NULL);
	}
}
