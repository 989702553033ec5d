/* The resource a tool's command counts against, for patience and rpr. */
#ifndef PT_TOOLS_RESOURCE_OF_H
#define PT_TOOLS_RESOURCE_OF_H

#include <stdbool.h>
#include <stddef.h>

#include "patience/resource_id.h"

/* given when set; else derived from the command's target in scope
 * ("api:external:api.github.com"), with detect (the resource_detection
 * setting); else from the program's name alone ("cmd:local:curl"). buf is
 * left empty when there is no command. */
void resource_of(char **command, const char *given, pt_resource_scope scope, bool detect,
		 char *buf, size_t len);

#endif
