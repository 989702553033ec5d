/* Opens N connections to a Unix socket and holds them, silent, so a test can
 * check that a daemon full of idle clients still serves the others.
 * usage: sock_flood SOCKET N
 * Prints "open K" (how many connect(2) accepted) once they are all up, then
 * holds them until its standard input closes or it is killed. Exit 0 when
 * every connection was made, 1 if some were refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET N\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[2], NULL, 10), open_count = 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (long i = 0; i < n; i++)
		open_count += connect_unix(argv[1]) >= 0;
	printf("open %ld\n", open_count);
	fflush(stdout);
	char buf[256];
	while (read(0, buf, sizeof buf) > 0) {
	}
	return open_count == n ? 0 : 1;
}
