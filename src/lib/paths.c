#include "patience/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/set_error.h"
#include "patience/error.h"

/* The XDG base directory spec says to ignore empty and relative values. */
static const char *xdg_dir(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] == '/' ? v : NULL;
}

static int fits(int n, size_t len)
{
	return n >= 0 && (size_t)n < len ? PT_OK : PT_ERANGE;
}

int pt_default_socket_path(char *buf, size_t len)
{
	const char *run = xdg_dir("XDG_RUNTIME_DIR");
	if (run)
		return fits(snprintf(buf, len, "%s/patience/daemon.sock", run), len);
	return fits(snprintf(buf, len, "/tmp/patience-%lu/daemon.sock", (unsigned long)getuid()),
		    len);
}

int pt_default_state_path(char *buf, size_t len)
{
	const char *state = xdg_dir("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (state)
		return fits(snprintf(buf, len, "%s/patience/state.db", state), len);
	if (!home || !home[0])
		return PT_ENOENT;
	return fits(snprintf(buf, len, "%s/.local/state/patience/state.db", home), len);
}

/* mkdir that accepts an existing directory, as mkdir -p does. The chmod
 * undoes a umask that would leave us unable to enter what we made. */
static int mkdir_if_missing(const char *dir, char *err, size_t err_len)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0)
		return chmod(dir, 0700), PT_OK;
	int saved = errno;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return PT_OK;
	pt_set_error(err, err_len, "cannot create directory \"%s\": %s", dir, strerror(saved));
	return PT_EIO;
}

/* Parents get 0700 too, as the XDG spec asks of the directories it names. */
static int make_parents(char *dir, char *err, size_t err_len)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		int rc = mkdir_if_missing(dir, err, err_len);
		*p = '/';
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}

/* lstat, not stat: a symlink in a shared directory such as /tmp could be
 * swapped for one pointing elsewhere after we checked its target. */
static int check_private(const char *dir, char *err, size_t err_len)
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		pt_set_error(err, err_len, "cannot inspect \"%s\": %s", dir, strerror(errno));
		return PT_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		pt_set_error(err, err_len, "\"%s\" is not a directory", dir);
		return PT_EINVAL;
	}
	if (st.st_uid != geteuid()) {
		pt_set_error(err, err_len, "\"%s\" is owned by uid %lu, not by us", dir,
			(unsigned long)st.st_uid);
		return PT_EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		pt_set_error(err, err_len, "\"%s\" is writable by others (mode %03o)", dir,
			(unsigned)(st.st_mode & 07777));
		return PT_EINVAL;
	}
	return PT_OK;
}

/* The directory part of path into dir, without trailing slashes. */
static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (!slash)
		return fits(snprintf(dir, len, "."), len);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return fits(snprintf(dir, len, "/"), len);
	return fits(snprintf(dir, len, "%.*s", (int)n, path), len);
}

int pt_make_private_dir_for(const char *file_path, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	if (!file_path || !file_path[0] || dir_of(file_path, dir, sizeof dir) != PT_OK) {
		pt_set_error(err, err_len, "bad path \"%s\"", file_path ? file_path : "");
		return PT_EINVAL;
	}
	int rc = make_parents(dir, err, err_len);
	if (rc != PT_OK)
		return rc;
	if (mkdir(dir, 0700) == 0) {
		chmod(dir, 0700); /* as for the parents */
	} else if (errno != EEXIST) {
		pt_set_error(err, err_len, "cannot create directory \"%s\": %s", dir, strerror(errno));
		return PT_EIO;
	}
	return check_private(dir, err, err_len); /* whatever exists must pass */
}
