/* A stable resource id derived from a command line, in the type:category:
 * target form, so that the same service called by different commands (or
 * different patience and rpr processes) shares one limit:
 *   curl, wget, http/https (HTTPie), xh/xhs   api:external:HOST
 *   gh                 api:external:api.github.com (--hostname/GH_HOST: that host)
 *   aws SERVICE        api:aws:SERVICE.REGION (api:aws:SERVICE without a region;
 *                      --endpoint-url URL: api:external:HOST)
 *   docker/podman pull|push IMAGE, skopeo ... docker://IMAGE
 *                      registry:oci:REGISTRY (docker.io for "ubuntu", "user/img")
 *   git clone|fetch|pull|push|ls-remote URL   git:remote:HOST
 *   kubectl            api:kubernetes:SERVER-HOST or CONTEXT (--server, --context)
 *   psql               database:postgres:TARGET (options, a postgres:// URI or
 *                      a "host=h dbname=d" string; PGHOST, PGPORT, PGDATABASE)
 *   mysql, mariadb     database:mysql:TARGET (MYSQL_HOST, MYSQL_TCP_PORT)
 *   mongosh, mongo     database:mongodb:TARGET (a mongodb[+srv]:// URI,
 *                      "host[:port]/db", "db", --host, --port)
 *                      where TARGET is SERVER/DB, or DB on the local default
 *                      server, or SERVER/ without a database; SERVER is
 *                      HOST[:PORT], the port only when not the default
 *   ssh, scp, rsync    network:ssh:HOST (the destination or first remote,
 *                      without user or port)
 *   rsync to a daemon  network:rsync:HOST ("host::module", "rsync://host/")
 *   anything else      cmd:local:PROGRAM (the base name; also gh/git/kubectl
 *                      and the others without the details above)
 * With the path scope, the target gets the path as a template
 * ("/users/{id}/repos"): the URL's for HTTP clients and `gh api`, the
 * repository's for registries and git remotes; the others have no path.
 * No user or password ever appears in an id.
 *
 * Pure: the only outside input is the environment callback, which the caller
 * gives (or not). */
#ifndef PATIENCE_RESOURCE_ID_H
#define PATIENCE_RESOURCE_ID_H

#include <stddef.h>

typedef enum pt_resource_scope {
	PT_RESOURCE_SCOPE_HOST, /* the default: one limit per service */
	PT_RESOURCE_SCOPE_PATH, /* one limit per endpoint (path template) */
} pt_resource_scope;

/* The value of environment variable name, or NULL when unset. */
typedef const char *(*pt_env_fn)(const char *name, void *ctx);

typedef struct pt_resource_opts {
	pt_resource_scope scope;
	pt_env_fn env; /* AWS_REGION, AWS_DEFAULT_REGION, GH_HOST, PGHOST, PGPORT,
			  PGDATABASE, MYSQL_HOST, MYSQL_TCP_PORT; NULL: none set */
	void *env_ctx;
} pt_resource_opts;

/* argv is NULL-terminated; opts NULL means host scope, no environment.
 * Returns PT_OK, PT_EINVAL (empty command) or PT_ERANGE (buf too small). */
int pt_resource_id_derive(char *const argv[], const pt_resource_opts *opts, char *buf,
			  size_t len);
/* The same with opts NULL. */
int pt_resource_id_from_command(char *const argv[], char *buf, size_t len);

/* "host" or "path". PT_OK or PT_EINVAL. */
int pt_resource_scope_parse(const char *text, pt_resource_scope *out);

/* The host of an http(s) URL ("https://user@Api.Example.com:8443/x" gives
 * "api.example.com"), lower-cased, without port or credentials; a bare
 * "host/path" (as curl accepts) too, when the host has a dot or a port or
 * is localhost. PT_EINVAL when there is none, PT_ERANGE when buf is small. */
int pt_url_host(const char *url, char *buf, size_t len);

/* The path of an http(s) URL as a template: query and fragment dropped,
 * "//" collapsed, no trailing slash, and every segment that is a number, a
 * UUID or a hex id of 8+ digits with a decimal digit among them replaced by
 * "{id}": "https://h/users/123//repos/?q=1" gives "/users/{id}/repos"; no
 * path gives "/". Case is kept. PT_EINVAL as pt_url_host, else PT_OK or
 * PT_ERANGE. */
int pt_url_path_template(const char *url, char *buf, size_t len);
/* The same for path[0..path_len) alone. */
int pt_path_template(const char *path, size_t path_len, char *buf, size_t len);

#endif
