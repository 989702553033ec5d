/* A stable resource id derived from a command line, so that the same API
 * called by different commands shares one limit: "api:external:HOST" for
 * HTTP clients (curl, wget, http/https (HTTPie), xh), "cmd:local:PROGRAM"
 * otherwise. (Fuller derivation — gh, aws, docker, git — is future work.) */
#ifndef PATIENCE_RESOURCE_ID_H
#define PATIENCE_RESOURCE_ID_H

#include <stddef.h>

/* argv is NULL-terminated. Returns PT_OK, PT_EINVAL (empty command) or
 * PT_ERANGE (buf too small). */
int pt_resource_id_from_command(char *const argv[], char *buf, size_t len);

/* The host of an http(s) URL ("https://user@Api.Example.com:8443/x" gives
 * "api.example.com"), lower-cased, without port or credentials; a bare
 * "host/path" (as curl accepts) too. PT_EINVAL when there is none. */
int pt_url_host(const char *url, char *buf, size_t len);

#endif
