/* The internals of resource-id derivation, shared by resource_id.c (HTTP
 * clients, registries, git, kubectl and the dispatch), resource_id_db.c
 * (psql, mysql, mongosh) and resource_id_ssh.c (ssh, scp, rsync); the
 * helpers live in resource_id_scan.c. Internal to libpatience.
 *
 * Option scanning: every deriver walks argv the way its program parses it,
 * from an option table, so that an option's value is never read as the
 * target. Host helpers: the authority of a URL, scp's "[user@]host:path",
 * and a host written in lower case with an IPv6 literal in brackets; a user
 * or password never reaches an id. */
#ifndef PT_LIB_RESOURCE_ID_SCAN_H
#define PT_LIB_RESOURCE_ID_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "patience/resource_id.h"

#define PT_RID_HOST_MAX 256
#define PT_RID_TARGET_MAX 512
#define PT_RID_PATH_MAX 512

/* --- what a deriver finds --- */

/* type:category:target, and a path for the path scope ("" when none). */
typedef struct pt_rid_found {
	const char *type, *category;
	char target[PT_RID_TARGET_MAX];
	char path[PT_RID_PATH_MAX];
} pt_rid_found;

/* PT_OK with f filled, or PT_ENOENT: the command gives cmd:local:PROGRAM. */
typedef int (*pt_rid_deriver)(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);

/* resource_id_db.c */
int pt_rid_derive_psql(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);
int pt_rid_derive_mysql(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);
int pt_rid_derive_mongo(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);
/* resource_id_ssh.c */
int pt_rid_derive_ssh(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);
int pt_rid_derive_scp(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);
int pt_rid_derive_rsync(char *const argv[], const pt_resource_opts *o, pt_rid_found *f);

/* --- option scanning --- */

/* Which options of a program take a value, and how the program reads them. */
typedef struct pt_rid_spec {
	const char *short_valued;       /* letters: "-o FILE", "-oFILE", "-sSo FILE" */
	const char *short_attached;     /* letters whose value is attached or none:
					   mysql's "-pSECRET" ("-p" alone prompts) */
	const char *const *long_valued; /* "--output FILE"; "--output=FILE" is one word */
	const char *operand_option;     /* curl's "--url URL": the value is an operand */
	bool abbreviations;  /* getopt_long: "--ho" is "--host" when no other valued
				option starts so */
	bool underscores;    /* MySQL: "--ssl_ca" is "--ssl-ca" */
	bool posix_order;    /* POSIX getopt: the first operand ends the options */
	bool dash_not_value; /* yargs: a next word that starts with '-' is no value */
} pt_rid_spec;

/* One word of a command line (two for an option and its separate value). */
typedef struct pt_rid_arg {
	const char *operand; /* an operand, or NULL for an option */
	char letter;         /* the short option that takes a value; '\0' for a
				long option or a cluster of flags */
	const char *name;    /* a long option that takes a value, as the spec
				spells it ("--host"); NULL for any other */
	const char *value;   /* the option's value; NULL when it takes none or
				none is left */
} pt_rid_arg;

/* Walks argv[i..]. */
typedef struct pt_rid_scan {
	char *const *argv;
	size_t i;
	bool operands_only; /* after "--" (or the first operand, POSIX order) */
	const pt_rid_spec *spec;
} pt_rid_scan;

pt_rid_scan pt_rid_scan_from(char *const argv[], size_t i, const pt_rid_spec *spec);
/* The next option or operand into *out; false at the end. */
bool pt_rid_next(pt_rid_scan *s, pt_rid_arg *out);
/* The next operand, or NULL at the end. */
const char *pt_rid_next_operand(pt_rid_scan *s);
/* Is a the option -letter or long (either may be '\0' / NULL)? */
bool pt_rid_is(const pt_rid_arg *a, char letter, const char *long_name);
/* The value of option name ("--region") written "--region V" or
 * "--region=V" (or "-s V" with short_name), the last one before "--";
 * NULL when absent or empty. For programs whose option table we do not
 * keep (gh, aws, kubectl). */
const char *pt_rid_find_option(char *const argv[], const char *name, const char *short_name);
bool pt_rid_in_list(const char *arg, const char *const *list);

/* --- hosts --- */

/* src[0..n) in lower case, cut to fit cap. */
void pt_rid_lower_copy(char *dst, size_t cap, const char *src, size_t n);

/* A host and port inside a string; lengths 0 when absent. */
typedef struct pt_rid_hostport {
	const char *host; /* an IPv6 literal keeps its brackets */
	size_t host_len;
	const char *port;
	size_t port_len;
} pt_rid_hostport;

/* "[user[:password]@]host[:port][,host2...]" in s[0..n): the user ends at
 * the last '@' (so no part of a password is taken for the host), and only
 * the first host of a list is kept. */
void pt_rid_split_hostport(const char *s, size_t n, pt_rid_hostport *out);
/* The authority of "scheme://authority/path?query" (up to '/', '?' or
 * '#'); its length, or 0 with *start NULL when url has no "://". */
size_t pt_rid_authority(const char *url, const char **start);

/* scp's "[user@]host:path" as scp and rsync read it: a colon first or a
 * slash before the first colon make a local path; "[v6]:path" and
 * "user@[v6]:path" hold an IPv6 literal. */
typedef struct pt_rid_remote {
	const char *host; /* brackets kept */
	size_t host_len;
	const char *path; /* after the colon */
	bool user;        /* a "user@" was given */
} pt_rid_remote;
int pt_rid_scp_remote(const char *arg, pt_rid_remote *r); /* PT_OK or PT_ENOENT */

/* host[0..n) into dst in lower case, an IPv6 literal in brackets ("::1" and
 * "[::1]" give "[::1]"). PT_ENOENT when empty or too long for cap. */
int pt_rid_host(char *dst, size_t cap, const char *host, size_t n);

#endif
