/* See parse_message.h. */
#include "lib/parse_message.h"

#include <stdio.h>

#include "patience/error.h"

int pt_parse_fail(char *err, size_t err_len, int line, const char *what, const char *name,
		  const char *fmt, va_list ap)
{
	if (!err || err_len == 0)
		return PT_EINVAL;
	size_t n = (size_t)snprintf(err, err_len, "line %d: ", line);
	if (what && n < err_len)
		n += (size_t)snprintf(err + n, err_len - n, "%s \"%s\": ", what, name);
	if (n < err_len)
		vsnprintf(err + n, err_len - n, fmt, ap);
	return PT_EINVAL;
}

int pt_parse_oom(char *err, size_t err_len)
{
	if (err && err_len > 0)
		snprintf(err, err_len, "out of memory");
	return PT_ENOMEM;
}
