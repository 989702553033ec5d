/* The tools' end of the client layer's lines (limiter_config.say). */
#ifndef PT_TOOLS_SAY_H
#define PT_TOOLS_SAY_H

#include <stdbool.h>

/* Writes line and a newline to ctx, a FILE * (stderr, rpr's report). */
void say_to_file(void *ctx, bool verbose, const char *line);

#endif
