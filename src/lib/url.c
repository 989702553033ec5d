/* The parts of a URL a resource id is made of: the host, and the path as a
 * template in which ids are {id}. */
#include "patience/resource_id.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "patience/error.h"

/* Where the authority ([user@]host[:port]) of url starts, or NULL for a
 * scheme that is not http(s). A bare "host/path" (as curl takes) counts. */
static const char *authority(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return url;
	return strncasecmp(url, "http", 4) == 0 ? p + 3 : NULL;
}

int pt_url_host(const char *url, char *buf, size_t len)
{
	const char *p = authority(url);
	if (!p)
		return PT_EINVAL;
	size_t n = strcspn(p, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '@')
			at = p + i; /* the last: no part of a password is a host */
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t host_len = p[0] == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/?#");
	if (host_len > n)
		host_len = n;
	/* A bare word is no host: "curl -s x" names no server. */
	bool localhost = host_len == 9 && strncasecmp(p, "localhost", 9) == 0;
	if (host_len == 0 || (!strchr(url, ':') && !memchr(p, '.', host_len) && !localhost))
		return PT_EINVAL;
	if (host_len >= len)
		return PT_ERANGE;
	for (size_t i = 0; i < host_len; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[host_len] = '\0';
	return PT_OK;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* A number, a UUID, or a hex id of 8 or more digits with at least one
 * decimal digit (so that words such as "deadbeef" or "facade" stay). */
static bool is_id_segment(const char *s, size_t n)
{
	size_t digits = 0, hex = 0;
	for (size_t i = 0; i < n; i++) {
		digits += isdigit((unsigned char)s[i]) != 0;
		hex += isxdigit((unsigned char)s[i]) != 0;
	}
	return (n > 0 && digits == n) || is_uuid(s, n) || (n >= 8 && hex == n && digits > 0);
}

int pt_path_template(const char *path, size_t path_len, char *buf, size_t len)
{
	size_t out = 0, i = 0;
	if (len == 0)
		return PT_ERANGE;
	while (i < path_len) {
		while (i < path_len && path[i] == '/')
			i++; /* "//" is one separator */
		size_t n = 0;
		while (i + n < path_len && path[i + n] != '/')
			n++;
		if (n == 0)
			break;
		const char *seg = is_id_segment(path + i, n) ? "{id}" : path + i;
		size_t seg_len = seg == path + i ? n : 4;
		if (out + 1 + seg_len >= len)
			return PT_ERANGE;
		buf[out++] = '/';
		memcpy(buf + out, seg, seg_len);
		out += seg_len;
		i += n;
	}
	if (out == 0) {
		if (len < 2)
			return PT_ERANGE;
		buf[out++] = '/';
	}
	buf[out] = '\0';
	return PT_OK;
}

int pt_url_path_template(const char *url, char *buf, size_t len)
{
	const char *p = authority(url);
	if (!p)
		return PT_EINVAL;
	const char *path = p + strcspn(p, "/?#");
	return pt_path_template(path, strcspn(path, "?#"), buf, len);
}
