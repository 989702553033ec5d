#include "exec/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int self_pipe[2] = {-1, -1};
static volatile sig_atomic_t terminating_signal;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char byte = (unsigned char)sig;
	if (sig != SIGCHLD)
		terminating_signal = sig;
	/* A full pipe already guarantees a wake-up; the byte may be dropped. */
	if (write(self_pipe[1], &byte, 1) < 0) {
	}
	errno = saved;
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int pt_signals_install(void)
{
	static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
	if (self_pipe[0] >= 0)
		return self_pipe[0];
	if (pipe(self_pipe) < 0 || set_flags(self_pipe[0]) < 0 || set_flags(self_pipe[1]) < 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		if (sigaction(handled[i], &sa, NULL) < 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return self_pipe[0];
}

int pt_signals_drain(int fd)
{
	unsigned char buf[64];
	while (read(fd, buf, sizeof buf) > 0) {
	}
	return terminating_signal;
}

int pt_signals_pending(void)
{
	return terminating_signal;
}

int pt_signals_reset(void)
{
	for (int i = 0; i < 2; i++) {
		if (self_pipe[i] >= 0)
			close(self_pipe[i]);
		self_pipe[i] = -1;
	}
	terminating_signal = 0;
	return pt_signals_install();
}
