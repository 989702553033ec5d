/* The host's shared starts on disk (patience/host_starts.h): a file beside
 * the daemon's socket, flock(2)ed by whoever uses it. Small (only starts
 * that still count), so it is read and written whole. */
#include "patience/host_starts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/set_error.h"
#include "patience/error.h"
#include "patience/paths.h"

#define FILE_MAX (64 * 1024 * 1024)
#define LOCK_STEP_NS 1000000L /* retry a held lock every ms */

uint64_t pt_host_starts_id(uint64_t n)
{
	return (uint64_t)getpid() << 32 | (n & UINT32_MAX);
}

/* Is the process whose reservation id is alive? */
static int id_alive(uint64_t id)
{
	pid_t pid = (pid_t)(id >> 32);
	return pid <= 0 || kill(pid, 0) == 0 || errno == EPERM;
}

static int take_lock(int fd, int64_t wait_ms)
{
	struct timespec step = {0, LOCK_STEP_NS};
	for (int64_t waited_ns = 0;; waited_ns += LOCK_STEP_NS) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return PT_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return PT_EIO;
		if (wait_ms >= 0 && waited_ns >= wait_ms * 1000000)
			return PT_EBUSY;
		nanosleep(&step, NULL);
	}
}

static int read_all(int fd, unsigned char **buf, size_t *len)
{
	struct stat st;
	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0)
		return PT_EIO;
	if (st.st_size <= 0 || st.st_size > FILE_MAX)
		return PT_OK; /* empty, or not ours: read as empty */
	if (!(*buf = malloc((size_t)st.st_size)))
		return PT_ENOMEM;
	ssize_t n = pread(fd, *buf, (size_t)st.st_size, 0);
	if (n < 0)
		return PT_EIO;
	*len = (size_t)n;
	return PT_OK;
}

int pt_host_file_open(pt_host_file *f, const char *socket_path, int64_t wait_ms, char *err,
		      size_t err_len)
{
	unsigned char *buf;
	size_t len;
	memset(f, 0, sizeof *f);
	f->fd = -1;
	if (snprintf(f->path, sizeof f->path, "%s.starts", socket_path) >= (int)sizeof f->path) {
		pt_set_error(err, err_len, "path too long: \"%s.starts\"", socket_path);
		return PT_EINVAL;
	}
	int rc = pt_make_private_dir_for(f->path, err, err_len);
	if (rc != PT_OK)
		return rc;
	if ((f->fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		pt_set_error(err, err_len, "cannot open \"%s\": %s", f->path, strerror(errno));
		return PT_EIO;
	}
	if ((rc = take_lock(f->fd, wait_ms)) == PT_OK && (rc = read_all(f->fd, &buf, &len)) == PT_OK) {
		if (pt_host_starts_parse(buf, len, &f->s) == PT_ENOMEM)
			rc = PT_ENOMEM;
		free(buf);
	}
	if (rc != PT_OK) {
		if (rc != PT_EBUSY)
			pt_set_error(err, err_len, "cannot read \"%s\": %s", f->path, pt_strerror(rc));
		else
			pt_set_error(err, err_len, "\"%s\" is held by another process", f->path);
		close(f->fd);
		f->fd = -1;
	}
	return rc;
}

int pt_host_file_save(pt_host_file *f, int64_t now_ms)
{
	unsigned char *buf;
	size_t len;
	pt_host_starts_expire(&f->s, now_ms, id_alive);
	if (pt_host_starts_format(&f->s, &buf, &len) != PT_OK)
		return PT_EIO;
	ssize_t n = pwrite(f->fd, buf, len, 0);
	free(buf);
	if (n != (ssize_t)len || ftruncate(f->fd, (off_t)len) != 0)
		return PT_EIO;
	return PT_OK;
}

void pt_host_file_close(pt_host_file *f)
{
	pt_host_starts_release(&f->s);
	if (f->fd >= 0)
		close(f->fd); /* drops the lock */
	f->fd = -1;
}
