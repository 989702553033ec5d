/* The daemon's log: one line per event on stderr, written with one write(2)
 * so lines from a busy loop never interleave:
 *   2025-01-02T03:04:05.678Z patience-daemon[42]: warn: message */
#include "daemon/daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "patience/error.h"

static pt_log_level current = PT_LOG_INFO;

static const char *const names[] = {"error", "warn", "info", "debug"};

int pt_log_level_parse(const char *text, pt_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (text && strcmp(text, names[i]) == 0) {
			*out = (pt_log_level)i;
			return PT_OK;
		}
	}
	return PT_EINVAL;
}

void pt_log_set_level(pt_log_level level)
{
	current = level;
}

bool pt_log_enabled(pt_log_level level)
{
	return level <= current;
}

static size_t stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	int m = snprintf(buf + n, len - n, ".%03ldZ patience-daemon[%ld]: ",
			 ts.tv_nsec / 1000000, (long)getpid());
	return m > 0 && (size_t)m < len - n ? n + (size_t)m : n;
}

void pt_log(pt_log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (!pt_log_enabled(level))
		return;
	size_t n = stamp(line, sizeof line);
	n += (size_t)snprintf(line + n, sizeof line - n, "%s: ", names[level]);
	size_t start = n, room = sizeof line - n - 1; /* keep one byte for '\n' */
	va_start(ap, fmt);
	int m = vsnprintf(line + n, room, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : (size_t)m < room ? (size_t)m : room - 1;
	for (size_t i = start; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to say it */
	}
}
