#include "patience/resource_id.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "patience/error.h"

/* curl's options that take a value: the value must not be read as the URL. */
static const char *const curl_valued[] = {
	"-A", "-b", "-c", "-d", "-D", "-e", "-E", "-F", "-H", "-K", "-m", "-o", "-r", "-T", "-u",
	"-U", "-w", "-x", "-X", "-y", "-Y", "-z", "-C", "-P", "-Q",
	"--user-agent", "--cookie", "--cookie-jar", "--data", "--data-raw", "--data-binary",
	"--data-urlencode", "--data-ascii", "--dump-header", "--referer", "--cert", "--form",
	"--header", "--config", "--max-time", "--output", "--range", "--upload-file", "--user",
	"--proxy-user", "--write-out", "--proxy", "--request", "--connect-timeout", "--retry",
	"--retry-delay", "--retry-max-time", "--resolve", "--cacert", "--key", "--json",
	"--url-query", "--oauth2-bearer", "--limit-rate", "--max-filesize", "--continue-at",
	NULL,
};

/* wget's short options that take a separate value. */
static const char *const wget_valued[] = {
	"-O", "-o", "-a", "-t", "-T", "-w", "-P", "-U", "-e", "-i", "-B", "-Q", "-l", "-A", "-R",
	"-D", "-I", "-X", NULL,
};

static bool in_list(const char *arg, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(arg, list[i]) == 0)
			return true;
	return false;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int pt_url_host(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://");
	if (p) {
		if (strncasecmp(url, "http", 4) != 0)
			return PT_EINVAL;
		p += 3;
	} else {
		p = url;
	}
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t host_len = p[0] == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/?#");
	if (host_len > n)
		host_len = n;
	if (host_len == 0 || (!strchr(url, ':') && !memchr(p, '.', host_len)))
		return PT_EINVAL; /* a bare word is no host */
	if (host_len >= len)
		return PT_ERANGE;
	for (size_t i = 0; i < host_len; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[host_len] = '\0';
	return PT_OK;
}

/* The first argument that is not an option or an option's value. */
static const char *first_operand(char *const argv[], const char *const *valued)
{
	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return argv[i + 1];
		if (strcmp(a, "--url") == 0)
			return argv[i + 1];
		if (a[0] != '-' || a[1] == '\0')
			return a;
		if (valued && in_list(a, valued) && argv[i + 1])
			i++;
	}
	return NULL;
}

static bool is_http_client(const char *prog, const char *const **valued)
{
	*valued = NULL;
	if (strcmp(prog, "curl") == 0)
		*valued = curl_valued;
	else if (strcmp(prog, "wget") == 0)
		*valued = wget_valued;
	else if (strcmp(prog, "http") && strcmp(prog, "https") && strcmp(prog, "xh"))
		return false;
	return true;
}

int pt_resource_id_from_command(char *const argv[], char *buf, size_t len)
{
	char host[256];
	const char *const *valued;
	if (!argv || !argv[0] || !*argv[0])
		return PT_EINVAL;
	const char *prog = base_name(argv[0]);
	int n;
	if (is_http_client(prog, &valued)) {
		const char *url = first_operand(argv, valued);
		/* HTTPie takes an optional METHOD before the URL. */
		if (url && valued == NULL && argv[1] && url == argv[1] && argv[2] &&
		    pt_url_host(url, host, sizeof host) != PT_OK)
			url = argv[2];
		if (url && pt_url_host(url, host, sizeof host) == PT_OK) {
			n = snprintf(buf, len, "api:external:%s", host);
			return n < 0 || (size_t)n >= len ? PT_ERANGE : PT_OK;
		}
	}
	n = snprintf(buf, len, "cmd:local:%s", prog);
	return n < 0 || (size_t)n >= len ? PT_ERANGE : PT_OK;
}
