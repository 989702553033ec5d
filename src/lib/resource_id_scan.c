/* What every resource-id deriver shares (see resource_id_scan.h): walking a
 * command line as its program parses it, and reading hosts out of URLs,
 * scp-like remotes and host lists without their users. */
#include "lib/resource_id_scan.h"

#include <ctype.h>
#include <string.h>

#include "patience/error.h"

pt_rid_scan pt_rid_scan_from(char *const argv[], size_t i, const pt_rid_spec *spec)
{
	return (pt_rid_scan){.argv = argv, .i = i, .spec = spec};
}

bool pt_rid_in_list(const char *arg, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(arg, list[i]) == 0)
			return true;
	return false;
}

static bool has_letter(const char *letters, char c)
{
	return letters && strchr(letters, c);
}

/* Is w[0..n) the option name, or with prefix a beginning of it? */
static bool names(const char *w, size_t n, const char *name, bool underscores, bool prefix)
{
	size_t len = strlen(name);
	if (prefix ? n > len : n != len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (w[i] != name[i] && !(underscores && w[i] == '_' && name[i] == '-'))
			return false;
	return true;
}

/* The valued long option that w[0..n) ("--ho" of "--ho=x") names, or NULL:
 * the exact name, else (with abbreviations) the only one it begins. */
static const char *valued_long(const char *w, size_t n, const pt_rid_spec *spec)
{
	const char *match = NULL;
	size_t count = 0;
	for (const char *const *l = spec->long_valued; l && *l; l++) {
		if (names(w, n, *l, spec->underscores, false))
			return *l;
		if (spec->abbreviations && n > 2 && names(w, n, *l, spec->underscores, true)) {
			match = *l;
			count++;
		}
	}
	return count == 1 ? match : NULL;
}

static void take_next(pt_rid_scan *s, pt_rid_arg *out)
{
	const char *next = s->argv[s->i];
	if (!next || (s->spec->dash_not_value && next[0] == '-'))
		return;
	out->value = next;
	s->i++;
}

static void long_arg(pt_rid_scan *s, const char *a, pt_rid_arg *out)
{
	size_t n = strcspn(a, "=");
	out->name = valued_long(a, n, s->spec);
	if (!out->name)
		return;
	if (a[n] == '=')
		out->value = a + n + 1;
	else
		take_next(s, out);
}

/* In a cluster such as "-sSo", the first letter that takes a value takes
 * the rest of the word, or the next word when nothing is left. */
static void short_arg(pt_rid_scan *s, const char *a, pt_rid_arg *out)
{
	for (const char *p = a + 1; *p; p++) {
		bool attached = has_letter(s->spec->short_attached, *p);
		if (!attached && !has_letter(s->spec->short_valued, *p))
			continue;
		out->letter = *p;
		if (p[1])
			out->value = p + 1;
		else if (!attached)
			take_next(s, out);
		return;
	}
}

bool pt_rid_next(pt_rid_scan *s, pt_rid_arg *out)
{
	*out = (pt_rid_arg){0};
	while (s->argv[s->i]) {
		const char *a = s->argv[s->i++];
		if (s->operands_only || a[0] != '-' || a[1] == '\0') {
			s->operands_only = s->operands_only || s->spec->posix_order;
			out->operand = a;
			return true;
		}
		if (strcmp(a, "--") == 0) {
			s->operands_only = true;
			continue;
		}
		if (s->spec->operand_option && strcmp(a, s->spec->operand_option) == 0) {
			if (s->argv[s->i])
				out->operand = s->argv[s->i++];
			if (out->operand)
				return true;
			continue;
		}
		if (a[1] == '-')
			long_arg(s, a, out);
		else
			short_arg(s, a, out);
		return true;
	}
	return false;
}

const char *pt_rid_next_operand(pt_rid_scan *s)
{
	pt_rid_arg a;
	while (pt_rid_next(s, &a))
		if (a.operand)
			return a.operand;
	return NULL;
}

bool pt_rid_is(const pt_rid_arg *a, char letter, const char *long_name)
{
	if (a->name)
		return long_name && strcmp(a->name, long_name) == 0;
	return letter && a->letter == letter;
}

const char *pt_rid_find_option(char *const argv[], const char *name, const char *short_name)
{
	const char *value = NULL;
	size_t n = strlen(name);
	for (size_t i = 1; argv[i] && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		bool named = strcmp(a, name) == 0 || (short_name && strcmp(a, short_name) == 0);
		if (named && argv[i + 1])
			value = argv[++i];
		else if (strncmp(a, name, n) == 0 && a[n] == '=')
			value = a + n + 1;
	}
	return value && *value ? value : NULL;
}

void pt_rid_lower_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
}

/* The index of the first c in s[0..n), or n. */
static size_t span_to(const char *s, size_t n, char c)
{
	const char *p = memchr(s, c, n);
	return p ? (size_t)(p - s) : n;
}

void pt_rid_split_hostport(const char *s, size_t n, pt_rid_hostport *out)
{
	*out = (pt_rid_hostport){0};
	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '@') {
			s += i;
			n -= i;
			break;
		}
	}
	n = span_to(s, n, ',');
	size_t h = span_to(s, n, ':');
	if (n > 0 && s[0] == '[') {
		size_t close = span_to(s, n, ']');
		h = close < n ? close + 1 : n;
	} else if (h < n && memchr(s + h + 1, ':', n - h - 1))
		h = n; /* a bare IPv6 literal has no port */
	out->host = s;
	out->host_len = h;
	if (h < n && s[h] == ':') {
		out->port = s + h + 1;
		out->port_len = n - h - 1;
	}
}

size_t pt_rid_authority(const char *url, const char **start)
{
	const char *p = strstr(url, "://");
	*start = p ? p + 3 : NULL;
	return p ? strcspn(p + 3, "/?#") : 0;
}

/* scp's colon(): a '[' first or after '@' opens an IPv6 literal, which
 * only "]:" ends. */
static const char *scp_colon(const char *arg)
{
	bool bracket = arg[0] == '[';
	if (arg[0] == ':')
		return NULL;
	for (const char *p = arg; *p; p++) {
		if (*p == '@' && p[1] == '[')
			bracket = true;
		if (bracket ? *p == ']' && p[1] == ':' : *p == ':')
			return bracket ? p + 1 : p;
		if (*p == '/')
			return NULL;
	}
	return NULL;
}

int pt_rid_scp_remote(const char *arg, pt_rid_remote *r)
{
	const char *colon = scp_colon(arg);
	if (!colon)
		return PT_ENOENT;
	*r = (pt_rid_remote){.host = arg, .path = colon + 1};
	for (const char *p = colon; p > arg; p--) {
		if (p[-1] == '@') {
			r->host = p;
			r->user = true;
			break;
		}
	}
	r->host_len = (size_t)(colon - r->host);
	return r->host_len ? PT_OK : PT_ENOENT;
}

int pt_rid_host(char *dst, size_t cap, const char *host, size_t n)
{
	bool bare_v6 = n > 0 && host[0] != '[' && memchr(host, ':', n);
	size_t extra = bare_v6 ? 2 : 0;
	if (n == 0 || n + extra >= cap)
		return PT_ENOENT;
	pt_rid_lower_copy(dst + extra / 2, cap - extra / 2, host, n);
	if (bare_v6) {
		dst[0] = '[';
		dst[n + 1] = ']';
		dst[n + 2] = '\0';
	}
	return PT_OK;
}
