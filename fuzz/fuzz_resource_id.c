/* Fuzz the resource-id derivation, a hand-written parser of untrusted
 * command lines: the input, split on NUL or newline, is argv. Every command
 * gives an id of the type:category:target form, in both scopes, or says the
 * buffer was too small; and a host-scope id of a remote shell or a git
 * remote holds no '@' (a user or password never reaches an id). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/resource_id.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Some of the variables the derivers read, so that their paths run too. */
static const char *fuzz_env(const char *name, void *ctx)
{
	static const char *const vars[] = {"AWS_DEFAULT_REGION", "us-east-1", "PGHOST",
					   "DB.example.com", "PGDATABASE", "app",
					   "MYSQL_TCP_PORT", "3307", NULL};
	(void)ctx;
	for (size_t i = 0; vars[i]; i += 2)
		if (strcmp(name, vars[i]) == 0)
			return vars[i + 1];
	return NULL;
}

static void check(char *const argv[], pt_resource_scope scope, size_t len)
{
	char buf[512];
	pt_resource_opts o = {scope, fuzz_env, NULL};
	memset(buf, 'x', sizeof buf);
	int rc = pt_resource_id_derive(argv, &o, buf, len);
	if (rc == PT_ERANGE || (rc == PT_EINVAL && !*argv[0]))
		return;
	const char *colon = rc == PT_OK ? strchr(buf, ':') : NULL;
	if (!colon || !strchr(colon + 1, ':') || strlen(buf) >= len)
		abort();
	bool remote = strncmp(buf, "network:", 8) == 0 || strncmp(buf, "git:remote:", 11) == 0;
	if (scope == PT_RESOURCE_SCOPE_HOST && remote && strchr(buf, '@'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 1];
	size_t n = 0;
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0, start = 0; i <= size && n < MAX_ARGS; i++) {
		if (i < size && text[i] != '\0' && text[i] != '\n')
			continue;
		text[i] = '\0';
		argv[n++] = text + start;
		start = i + 1;
	}
	argv[n] = NULL;
	check(argv, PT_RESOURCE_SCOPE_HOST, 512);
	check(argv, PT_RESOURCE_SCOPE_PATH, 512);
	check(argv, PT_RESOURCE_SCOPE_PATH, 24);
	free(text);
	return 0;
}
