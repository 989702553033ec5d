/* What the daemon benchmarks share: a monotonic clock and a Unix socket
 * client that waits for the daemon to come up. */
#ifndef PT_BENCH_SOCK_H
#define PT_BENCH_SOCK_H

#include <stddef.h>

/* CLOCK_MONOTONIC in microseconds. */
double bench_now_us(void);
/* Connect to the Unix socket path, retrying for up to wait_ms while nothing
 * listens there yet. The fd, or -1 with the reason in err. */
int bench_connect(const char *path, int wait_ms, char *err, size_t err_len);
/* Write all n bytes; 0, or -1 with errno set. */
int bench_write_all(int fd, const char *p, size_t n);

/* Reply lines read from one connection. Zero it before the first read. */
typedef struct bench_lines {
	char in[1 << 16]; /* bytes read and not yet taken */
	size_t have, line; /* bytes in in; length of the last line with newline */
} bench_lines;

/* The next line from fd (NUL-terminated, without its newline, valid until
 * the next call), or NULL with the reason in err. */
const char *bench_read_line(int fd, bench_lines *b, char *err, size_t err_len);

#endif
