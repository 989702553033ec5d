#include "bench_sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

double bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int bench_connect(const char *path, int wait_ms, char *err, size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return snprintf(err, err_len, "%s: path too long", path), -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (double until = bench_now_us() + wait_ms * 1e3;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return snprintf(err, err_len, "socket: %s", strerror(errno)), -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		int e = errno;
		close(fd);
		if ((e != ENOENT && e != ECONNREFUSED) || bench_now_us() > until)
			return snprintf(err, err_len, "%s: %s", path, strerror(e)), -1;
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
}

int bench_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EPIPE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

const char *bench_read_line(int fd, bench_lines *b, char *err, size_t err_len)
{
	char *nl;
	memmove(b->in, b->in + b->line, b->have - b->line);
	b->have -= b->line;
	b->line = 0;
	while (!(nl = memchr(b->in, '\n', b->have))) {
		ssize_t r = b->have < sizeof b->in - 1
				    ? read(fd, b->in + b->have, sizeof b->in - 1 - b->have)
				    : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, err_len, "daemon: %s", r < 0 ? strerror(errno)
				 : b->have ? "reply too long" : "connection closed");
			return NULL;
		}
		b->have += (size_t)r;
	}
	*nl = '\0';
	b->line = (size_t)(nl - b->in) + 1;
	return b->in;
}
