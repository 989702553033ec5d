#include "patience/template.h"

#include <stdio.h>
#include <string.h>

#include "lib/set_error.h"
#include "patience/error.h"

static const char *const names[] = {"run", "time", "date", "iso"};
#define N_NAMES (sizeof names / sizeof names[0])

/* The placeholder at s (just after '{'): its index, -1 if none; *len its
 * name's length. */
static int placeholder(const char *s, size_t *len)
{
	const char *close = strchr(s, '}');
	if (!close)
		return -1;
	*len = (size_t)(close - s);
	for (size_t i = 0; i < N_NAMES; i++)
		if (strlen(names[i]) == *len && strncmp(s, names[i], *len) == 0)
			return (int)i;
	return -1;
}

int pt_template_check(const char *text, char *err, size_t err_len)
{
	for (const char *p = text; *p; p++) {
		size_t len = 0;
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			p++;
			continue;
		}
		if (*p == '}' || (*p == '{' && placeholder(p + 1, &len) < 0)) {
			int shown = *p == '{' && strchr(p, '}') ? (int)(strchr(p, '}') - p) + 1 : 1;
			pt_set_error(err, err_len, "%s \"%.*s\" at %zu: expected {run}, {time}, "
				     "{date}, {iso}, or {{ and }} for braces",
				     shown > 1 ? "unknown placeholder" : "lone brace", shown, p,
				     (size_t)(p - text) + 1);
			return PT_EINVAL;
		}
		if (*p == '{')
			p += len + 1;
	}
	return PT_OK;
}

/* Append n bytes of s to out at *at (counting what does not fit). */
static void put(char *out, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at < len) {
		size_t room = len - *at - 1 < n ? len - *at - 1 : n;
		memcpy(out + *at, s, room);
	}
	*at += n;
}

static size_t value(int which, const pt_template_vars *v, char *buf, size_t len)
{
	switch (which) {
	case 0: return (size_t)snprintf(buf, len, "%lld", (long long)v->run);
	case 1: return strftime(buf, len, "%H:%M:%S", &v->local);
	case 2: return strftime(buf, len, "%Y-%m-%d", &v->local);
	default: return strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &v->utc);
	}
}

int pt_template_render(const char *text, const pt_template_vars *v, char *out, size_t len)
{
	size_t at = 0, n;
	char buf[64];
	for (const char *p = text; *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			put(out, len, &at, p++, 1);
		} else if (*p == '{') {
			int which = placeholder(p + 1, &n);
			if (which < 0)
				return -1;
			put(out, len, &at, buf, value(which, v, buf, sizeof buf));
			p += n + 1;
		} else if (*p == '}') {
			return -1;
		} else {
			put(out, len, &at, p, 1);
		}
	}
	if (len)
		out[at < len ? at : len - 1] = '\0';
	return (int)at;
}
