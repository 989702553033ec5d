/* Resource ids of remote shells and copies: ssh, scp, and rsync over a
 * remote shell give network:ssh:HOST; rsync to a daemon ("host::module",
 * "rsync://host/module") gives network:rsync:HOST. HOST is the destination
 * as written (an alias of ~/.ssh/config is not resolved) in lower case,
 * without user or port, an IPv6 literal in brackets. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/resource_id_scan.h"
#include "patience/error.h"

/* ssh and scp read their options with POSIX getopt: the first operand ends
 * them (ssh reads more after the destination, which does not matter here). */
static const pt_rid_spec ssh_spec = {.short_valued = "BbcDEeFIiJLlmOoPpQRSWw",
				     .posix_order = true};
static const pt_rid_spec scp_spec = {.short_valued = "cDFiJloPSX", .posix_order = true};

/* rsync's popt table: every option with a string or number argument. */
static const char *const rsync_long[] = {
	"--info", "--debug", "--stderr", "--modify-window", "--chmod", "--max-size",
	"--min-size", "--max-alloc", "--max-delete", "--filter", "--exclude", "--include",
	"--exclude-from", "--include-from", "--checksum-choice", "--cc", "--block-size",
	"--compare-dest", "--copy-dest", "--link-dest", "--compress-choice", "--zc",
	"--skip-compress", "--compress-level", "--zl", "--partial-dir", "--log-file",
	"--log-file-format", "--out-format", "--log-format", "--bwlimit", "--backup-dir",
	"--suffix", "--read-batch", "--write-batch", "--only-write-batch", "--files-from",
	"--usermap", "--groupmap", "--chown", "--timeout", "--contimeout", "--stop-after",
	"--time-limit", "--stop-at", "--rsh", "--rsync-path", "--temp-dir", "--iconv",
	"--copy-as", "--address", "--port", "--sockopts", "--password-file", "--early-input",
	"--outbuf", "--remote-option", "--protocol", "--checksum-seed", "--config", "--dparam",
	NULL,
};
static const pt_rid_spec rsync_spec = {.short_valued = "@BefMT", .long_valued = rsync_long};

static int network_found(pt_rid_found *f, const char *category, const char *host, size_t n)
{
	if (pt_rid_host(f->target, sizeof f->target, host, n) != PT_OK)
		return PT_ENOENT;
	f->type = "network";
	f->category = category;
	return PT_OK;
}

/* "scheme://[user@]host[:port][/path]" */
static int found_url(pt_rid_found *f, const char *category, const char *url)
{
	const char *authority;
	size_t n = pt_rid_authority(url, &authority);
	pt_rid_hostport hp;
	pt_rid_split_hostport(authority, n, &hp);
	return network_found(f, category, hp.host, hp.host_len);
}

/* ssh [options] destination [command]: "ssh://[user@]host[:port]" or
 * "[user@]host", the user up to the last '@' (as ssh splits it). */
int pt_rid_derive_ssh(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, &ssh_spec);
	const char *dest = pt_rid_next_operand(&s);
	if (!dest)
		return PT_ENOENT;
	if (strncmp(dest, "ssh://", 6) == 0)
		return found_url(f, "ssh", dest);
	const char *at = strrchr(dest, '@');
	const char *host = at ? at + 1 : dest;
	return network_found(f, "ssh", host, strlen(host));
}

/* How a copying program names a remote: scp's "[user@]host:path", or a URL. */
typedef struct remote_syntax {
	const pt_rid_spec *spec;
	const char *url_prefix;    /* "scp://" */
	bool url_nocase;           /* rsync reads "RSYNC://" too */
	const char *url_category;  /* of a URL */
	const char *double_colon;  /* of "host::module" (an rsync daemon); NULL: ssh */
} remote_syntax;

/* scp [options] source... target */
static const remote_syntax scp_syntax = {&scp_spec, "scp://", false, "ssh", NULL};
/* rsync [options] source... dest: "host::module" and "rsync://" name a
 * daemon, "host:path" a remote shell. */
static const remote_syntax rsync_syntax = {&rsync_spec, "rsync://", true, "rsync", "rsync"};

/* The first remote operand. */
static int first_remote(char *const argv[], const remote_syntax *rs, pt_rid_found *f)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, rs->spec);
	size_t n = strlen(rs->url_prefix);
	pt_rid_remote r;
	const char *a;
	while ((a = pt_rid_next_operand(&s))) {
		bool url = rs->url_nocase ? strncasecmp(a, rs->url_prefix, n) == 0
					  : strncmp(a, rs->url_prefix, n) == 0;
		if (url)
			return found_url(f, rs->url_category, a);
		if (pt_rid_scp_remote(a, &r) != PT_OK)
			continue;
		bool daemon = rs->double_colon && r.path[0] == ':';
		return network_found(f, daemon ? rs->double_colon : "ssh", r.host, r.host_len);
	}
	return PT_ENOENT;
}

int pt_rid_derive_scp(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	return first_remote(argv, &scp_syntax, f);
}

int pt_rid_derive_rsync(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	return first_remote(argv, &rsync_syntax, f);
}
