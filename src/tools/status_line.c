#include "status_line.h"

#include "exec/clock.h"
#include "exec/wait.h"

#define REDRAW_MS 200

int status_line_wait(FILE *f, int64_t deadline_ms, int signal_fd, status_line_fn draw, void *ctx)
{
	int sig = 0;
	while (!sig && pt_monotonic_ms() < deadline_ms) {
		int64_t next = pt_monotonic_ms() + REDRAW_MS;
		fputs("\r\033[K", f);
		draw(ctx, f, deadline_ms - pt_monotonic_ms());
		fflush(f);
		sig = pt_wait_until((next < deadline_ms ? next : deadline_ms) * PT_NS_PER_MS, signal_fd);
	}
	fputs("\r\033[K", f);
	fflush(f);
	return sig;
}
