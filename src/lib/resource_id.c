/* Resource ids from command lines (see patience/resource_id.h): the
 * dispatch by program, and the derivers of HTTP clients, registries, git
 * and kubectl. Each known program has a deriver that finds its target by
 * skipping options the way the program itself parses them: a value must
 * never be read as the URL. Databases are in resource_id_db.c, ssh, scp
 * and rsync in resource_id_ssh.c, the shared scanning in
 * resource_id_scan.c. */
#include "patience/resource_id.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/resource_id_scan.h"
#include "patience/error.h"


/* curl's options that take a value (curl has no --opt=value form). */
static const char *const curl_long[] = {
	"--user-agent", "--cookie", "--cookie-jar", "--data", "--data-raw", "--data-binary",
	"--data-urlencode", "--data-ascii", "--dump-header", "--referer", "--cert", "--form",
	"--form-string", "--header", "--proxy-header", "--config", "--max-time", "--output",
	"--output-dir", "--range", "--upload-file", "--user", "--proxy-user", "--write-out",
	"--proxy", "--preproxy", "--request", "--connect-timeout", "--retry", "--retry-delay",
	"--retry-max-time", "--resolve", "--connect-to", "--cacert", "--capath", "--key",
	"--cert-type", "--key-type", "--json", "--url-query", "--oauth2-bearer", "--limit-rate",
	"--max-filesize", "--continue-at", "--interface", "--local-port", "--max-redirs",
	"--noproxy", "--proto", "--proto-redir", "--speed-limit", "--speed-time", "--trace",
	"--trace-ascii", "--stderr", "--unix-socket", "--abstract-unix-socket", "--variable",
	"--aws-sigv4", "--netrc-file", "--socks5", "--socks5-hostname", "--dns-servers",
	"--doh-url", "--ciphers", "--time-cond", "--quote", "--request-target", "--rate",
	"--telnet-option", "--parallel-max", "--expect100-timeout", "--keepalive-time",
	"--pinnedpubkey", "--mail-from", "--mail-rcpt", "--create-file-mode", NULL,
};
static const pt_rid_spec curl_spec = {.short_valued = "AbcCdDeEFHKmoPQrtTuUwxXyYz", .long_valued = curl_long, .operand_option = "--url"};

/* wget also takes "--long=value". */
static const char *const wget_long[] = {
	"--output-document", "--output-file", "--append-output", "--tries", "--timeout", "--wait",
	"--directory-prefix", "--user-agent", "--execute", "--input-file", "--base", "--quota",
	"--level", "--accept", "--reject", "--domains", "--include-directories",
	"--exclude-directories", "--header", "--user", "--password", "--http-user",
	"--http-password", "--post-data", "--post-file", "--method", "--body-data", "--body-file",
	"--referer", "--load-cookies", "--save-cookies", "--ca-certificate", "--certificate",
	"--private-key", "--limit-rate", "--bind-address", "--dns-timeout", "--connect-timeout",
	"--read-timeout", "--waitretry", NULL,
};
static const pt_rid_spec wget_spec = {.short_valued = "OoatTwPUeiBQlARDIX", .long_valued = wget_long};

/* HTTPie, and xh which copies its options. */
static const char *const httpie_long[] = {
	"--auth", "--auth-type", "--output", "--session", "--session-read-only", "--print",
	"--pretty", "--style", "--verify", "--cert", "--cert-key", "--cert-key-pass", "--proxy",
	"--timeout", "--max-redirects", "--default-scheme", "--format-options", "--ssl",
	"--ciphers", "--history-print", "--response-charset", "--response-mime", "--boundary",
	"--max-headers", "--bearer", "--resolve", "--interface", "--http-version", "--raw",
	"--unix-socket", "--method", NULL,
};
static const pt_rid_spec httpie_spec = {.short_valued = "aAopsPX", .long_valued = httpie_long};

static const char *const gh_long[] = {
	"--method", "--field", "--raw-field", "--header", "--preview", "--jq", "--template",
	"--input", "--hostname", "--cache", "--repo", NULL,
};
static const pt_rid_spec gh_spec = {.short_valued = "XFfHpqtR", .long_valued = gh_long};

static const char *const aws_long[] = {
	"--region", "--profile", "--output", "--endpoint-url", "--query", "--color",
	"--ca-bundle", "--cli-read-timeout", "--cli-connect-timeout", "--cli-binary-format", NULL,
};
static const pt_rid_spec aws_spec = {.short_valued = "", .long_valued = aws_long};

/* docker and podman, before and after pull/push. */
static const char *const container_long[] = {
	"--config", "--context", "--host", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
	"--url", "--connection", "--root", "--runroot", "--storage-driver", "--identity",
	"--platform", "--creds", "--authfile", "--arch", "--os", "--variant", "--cert-dir",
	"--retry", "--retry-delay", "--decryption-key", "--format", "--compression-format",
	"--sign-by", "--digestfile", "--encryption-key", NULL,
};
static const pt_rid_spec container_spec = {.short_valued = "cHlf", .long_valued = container_long};

static const char *const git_long[] = {
	/* before the subcommand */
	"--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env",
	/* clone, fetch, pull, push, ls-remote */
	"--branch", "--origin", "--upload-pack", "--jobs", "--config", "--depth", "--deepen",
	"--shallow-since", "--shallow-exclude", "--reference", "--reference-if-able",
	"--separate-git-dir", "--template", "--filter", "--server-option", "--bundle-uri",
	"--refmap", "--negotiation-tip", "--strategy", "--strategy-option", "--receive-pack",
	"--exec", "--push-option", "--sort", NULL,
};
static const pt_rid_spec git_spec = {.short_valued = "CcobujsX", .long_valued = git_long};

static int found_url(pt_rid_found *f, const char *url, const pt_resource_opts *o)
{
	if (pt_url_host(url, f->target, sizeof f->target) != PT_OK)
		return PT_ENOENT;
	f->type = "api";
	f->category = "external";
	if (o->scope == PT_RESOURCE_SCOPE_PATH)
		pt_url_path_template(url, f->path, sizeof f->path);
	return PT_OK;
}

/* curl and wget: the first operand that is an http(s) URL. */
static int derive_curl_wget(char *const argv[], const pt_resource_opts *o, pt_rid_found *f,
			    const pt_rid_spec *spec)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, spec);
	const char *a;
	while ((a = pt_rid_next_operand(&s)))
		if (found_url(f, a, o) == PT_OK)
			return PT_OK;
	return PT_ENOENT;
}

static int derive_curl(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	return derive_curl_wget(argv, o, f, &curl_spec);
}

static int derive_wget(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	return derive_curl_wget(argv, o, f, &wget_spec);
}

static bool all_letters(const char *s)
{
	for (; *s; s++)
		if (!isalpha((unsigned char)*s))
			return false;
	return true;
}

/* HTTPie's "[METHOD] URL [ITEM...]": with two operands or more, the first
 * is the method when it is all letters (as HTTPie guesses). The URL may
 * omit its scheme, and ":3000/x" or ":/x" mean localhost. */
static int derive_httpie(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &httpie_spec);
	const char *url = pt_rid_next_operand(&s), *second = url ? pt_rid_next_operand(&s) : NULL;
	char full[2048];
	if (url && second && all_letters(url))
		url = second;
	if (!url)
		return PT_ENOENT;
	if (url[0] == ':')
		snprintf(full, sizeof full, "http://localhost%s", url);
	else
		snprintf(full, sizeof full, "%s%s", strstr(url, "://") ? "" : "http://", url);
	return found_url(f, full, o);
}

/* GitHub Enterprise hosts its API on its own host; github.com on api. */
static int derive_gh(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	const char *host = pt_rid_find_option(argv, "--hostname", NULL);
	if (!host && o->env)
		host = o->env("GH_HOST", o->env_ctx);
	if (!host || !*host || strcasecmp(host, "github.com") == 0)
		host = "api.github.com";
	f->type = "api";
	f->category = "external";
	pt_rid_lower_copy(f->target, sizeof f->target, host, strlen(host));
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &gh_spec);
	const char *sub = pt_rid_next_operand(&s), *endpoint = sub ? pt_rid_next_operand(&s) : NULL;
	if (o->scope == PT_RESOURCE_SCOPE_PATH && sub && strcmp(sub, "api") == 0 && endpoint)
		pt_path_template(endpoint, strcspn(endpoint, "?#"), f->path, sizeof f->path);
	return PT_OK;
}

static int derive_aws(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	const char *endpoint = pt_rid_find_option(argv, "--endpoint-url", NULL);
	if (endpoint && found_url(f, endpoint, o) == PT_OK)
		return PT_OK;
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &aws_spec);
	const char *service = pt_rid_next_operand(&s);
	if (!service)
		return PT_ENOENT;
	if (strcmp(service, "s3api") == 0)
		service = "s3"; /* the same endpoints as "aws s3" */
	const char *region = pt_rid_find_option(argv, "--region", NULL);
	if (!region && o->env)
		region = o->env("AWS_REGION", o->env_ctx);
	if ((!region || !*region) && o->env)
		region = o->env("AWS_DEFAULT_REGION", o->env_ctx);
	char target[PT_RID_HOST_MAX];
	snprintf(target, sizeof target, "%s%s%s", service, region && *region ? "." : "",
		 region && *region ? region : "");
	f->type = "api";
	f->category = "aws";
	pt_rid_lower_copy(f->target, sizeof f->target, target, strlen(target));
	return PT_OK;
}

static bool names_registry(const char *first, size_t n)
{
	return memchr(first, '.', n) || memchr(first, ':', n) ||
	       (n == 9 && strncmp(first, "localhost", 9) == 0);
}

/* "ubuntu:22.04", "user/img", "ghcr.io/o/img@sha256:...", "docker://x". */
static int found_image(pt_rid_found *f, const char *image, const pt_resource_opts *o)
{
	if (strncmp(image, "docker://", 9) == 0)
		image += 9;
	size_t first = strcspn(image, "/");
	bool has_registry = image[first] == '/' && names_registry(image, first);
	const char *repo = has_registry ? image + first + 1 : image;
	if (!*image || !*repo)
		return PT_ENOENT;
	f->type = "registry";
	f->category = "oci";
	if (has_registry)
		pt_rid_lower_copy(f->target, sizeof f->target, image, first);
	if (!has_registry || !strcmp(f->target, "index.docker.io") ||
	    !strcmp(f->target, "registry-1.docker.io"))
		snprintf(f->target, sizeof f->target, "docker.io");
	if (o->scope != PT_RESOURCE_SCOPE_PATH)
		return PT_OK;
	/* The repository without tag or digest; Docker Hub's official images
	 * live under library/. */
	size_t n = strcspn(repo, "@"), last_slash = 0;
	for (size_t i = 0; i < n; i++)
		if (repo[i] == '/')
			last_slash = i;
	const char *colon = memchr(repo + last_slash, ':', n - last_slash);
	if (colon)
		n = (size_t)(colon - repo);
	bool official = !strcmp(f->target, "docker.io") && !memchr(repo, '/', n);
	snprintf(f->path, sizeof f->path, "/%s%.*s", official ? "library/" : "", (int)n, repo);
	return PT_OK;
}

/* docker|podman [global options] [image] pull|push [options] IMAGE */
static int derive_container(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &container_spec);
	const char *verb = pt_rid_next_operand(&s);
	if (verb && strcmp(verb, "image") == 0)
		verb = pt_rid_next_operand(&s);
	if (!verb || (strcmp(verb, "pull") != 0 && strcmp(verb, "push") != 0))
		return PT_ENOENT;
	const char *image = pt_rid_next_operand(&s);
	return image ? found_image(f, image, o) : PT_ENOENT;
}

/* skopeo copy|inspect|...: the first docker:// reference. */
static int derive_skopeo(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	for (size_t i = 1; argv[i] && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "docker://", 9) == 0)
			return found_image(f, argv[i], o);
	return PT_ENOENT;
}

/* The repository path of a git remote as a template, without ".git". */
static void git_path(pt_rid_found *f, const char *path)
{
	size_t n = strcspn(path, "?#");
	if (n >= 4 && strncmp(path + n - 4, ".git", 4) == 0)
		n -= 4;
	pt_path_template(path, n, f->path, sizeof f->path);
}

/* The host (*host, *n) and path of "scheme://[user@]host[:port]/path". */
static int url_remote(const char *url, const char **host, size_t *n, const char **path)
{
	const char *authority;
	size_t len = pt_rid_authority(url, &authority);
	pt_rid_hostport hp;
	if (strncmp(url, "file", 4) == 0)
		return PT_ENOENT;
	pt_rid_split_hostport(authority, len, &hp);
	*host = hp.host;
	*n = hp.host_len;
	*path = authority + len;
	return PT_OK;
}

/* The same of scp-like "[user@]host:path" (as scp reads it); a colon with
 * no user and no dot in front ("main:main") is a refspec. */
static int scp_remote(const char *url, const char **host, size_t *n, const char **path)
{
	pt_rid_remote r;
	if (pt_rid_scp_remote(url, &r) != PT_OK)
		return PT_ENOENT;
	bool named = r.user || r.host[0] == '[' || memchr(r.host, '.', r.host_len) ||
		     (r.host_len == 9 && strncmp(r.host, "localhost", 9) == 0);
	if (!named)
		return PT_ENOENT;
	*host = r.host;
	*n = r.host_len;
	*path = r.path;
	return PT_OK;
}

/* A git remote URL; a remote name ("origin") or a local path has no host
 * we can know. */
static int found_remote(pt_rid_found *f, const char *url, const pt_resource_opts *o)
{
	const char *host, *path;
	size_t n;
	int rc = strstr(url, "://") ? url_remote(url, &host, &n, &path)
				    : scp_remote(url, &host, &n, &path);
	if (rc != PT_OK || pt_rid_host(f->target, sizeof f->target, host, n) != PT_OK)
		return PT_ENOENT;
	f->type = "git";
	f->category = "remote";
	if (o->scope == PT_RESOURCE_SCOPE_PATH)
		git_path(f, path);
	return PT_OK;
}

static int derive_git(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	static const char *const remote_verbs[] = {"clone", "fetch", "pull", "push", "ls-remote",
						   NULL};
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &git_spec);
	const char *verb = pt_rid_next_operand(&s);
	if (!verb || !pt_rid_in_list(verb, remote_verbs))
		return PT_ENOENT;
	const char *remote = pt_rid_next_operand(&s);
	return remote ? found_remote(f, remote, o) : PT_ENOENT;
}

static int derive_kubectl(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	const char *server = pt_rid_find_option(argv, "--server", "-s");
	const char *context = pt_rid_find_option(argv, "--context", NULL);
	char host[PT_RID_HOST_MAX];
	f->type = "api";
	f->category = "kubernetes";
	if (server && pt_url_host(server, host, sizeof host) == PT_OK)
		context = host;
	if (!context)
		return PT_ENOENT;
	snprintf(f->target, sizeof f->target, "%s", context);
	return PT_OK;
}

static const struct {
	const char *program;
	pt_rid_deriver derive;
} derivers[] = {
	{"curl", derive_curl},
	{"wget", derive_wget},
	{"http", derive_httpie},
	{"https", derive_httpie},
	{"xh", derive_httpie},
	{"xhs", derive_httpie},
	{"gh", derive_gh},
	{"aws", derive_aws},
	{"docker", derive_container},
	{"podman", derive_container},
	{"skopeo", derive_skopeo},
	{"git", derive_git},
	{"kubectl", derive_kubectl},
	{"psql", pt_rid_derive_psql},
	{"mysql", pt_rid_derive_mysql},
	{"mariadb", pt_rid_derive_mysql},
	{"mongosh", pt_rid_derive_mongo},
	{"mongo", pt_rid_derive_mongo},
	{"ssh", pt_rid_derive_ssh},
	{"scp", pt_rid_derive_scp},
	{"rsync", pt_rid_derive_rsync},
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int write_id(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int write_id(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? PT_ERANGE : PT_OK;
}

int pt_resource_id_derive(char *const argv[], const pt_resource_opts *opts, char *buf,
			  size_t len)
{
	static const pt_resource_opts defaults = {PT_RESOURCE_SCOPE_HOST, NULL, NULL};
	const pt_resource_opts *o = opts ? opts : &defaults;
	if (!argv || !argv[0] || !*argv[0])
		return PT_EINVAL;
	const char *prog = base_name(argv[0]);
	for (size_t i = 0; i < sizeof derivers / sizeof derivers[0]; i++) {
		pt_rid_found f = {0};
		if (strcmp(prog, derivers[i].program) != 0 || derivers[i].derive(argv, o, &f) != PT_OK)
			continue;
		return write_id(buf, len, "%s:%s:%s%s", f.type, f.category, f.target, f.path);
	}
	return write_id(buf, len, "cmd:local:%s", prog);
}

int pt_resource_id_from_command(char *const argv[], char *buf, size_t len)
{
	return pt_resource_id_derive(argv, NULL, buf, len);
}

int pt_resource_scope_parse(const char *text, pt_resource_scope *out)
{
	if (strcmp(text, "host") == 0)
		*out = PT_RESOURCE_SCOPE_HOST;
	else if (strcmp(text, "path") == 0)
		*out = PT_RESOURCE_SCOPE_PATH;
	else
		return PT_EINVAL;
	return PT_OK;
}
