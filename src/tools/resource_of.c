#include "resource_of.h"

#include <stdio.h>
#include <stdlib.h>

static const char *environment(const char *name, void *ctx)
{
	return getenv(name);
}

void resource_of(char **command, const char *given, pt_resource_scope scope, bool detect,
		 char *buf, size_t len)
{
	buf[0] = '\0';
	if (given) {
		snprintf(buf, len, "%s", given);
		return;
	}
	if (!command || !command[0])
		return;
	/* the program alone has no target: only its name is left */
	char *name_only[] = {command[0], NULL};
	pt_resource_opts opts = {scope, environment, NULL};
	pt_resource_id_derive(detect ? command : name_only, detect ? &opts : NULL, buf, len);
}
