/* rpr's --output-prefix templates: text with placeholders in braces.
 *   {run}   the run's number, from 1
 *   {time}  its start, local HH:MM:SS
 *   {date}  its start, local YYYY-MM-DD
 *   {iso}   its start in UTC, YYYY-MM-DDTHH:MM:SSZ
 *   {{ }}   a literal brace
 * Anything else in braces, or a lone brace, is an error. */
#ifndef PATIENCE_TEMPLATE_H
#define PATIENCE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct pt_template_vars {
	int64_t run;
	struct tm local, utc; /* the run's start */
} pt_template_vars;

/* PT_OK, or PT_EINVAL with "unknown placeholder \"{x}\" at 4: expected ..." in err. */
int pt_template_check(const char *text, char *err, size_t err_len);

/* Render a checked template into out (always NUL-terminated when len > 0).
 * Returns the length it wanted, as snprintf; -1 for an unchecked bad one. */
int pt_template_render(const char *text, const pt_template_vars *v, char *out, size_t len);

#endif
