/* The error messages of the config parsers, TOML's and YAML's, in one form:
 * "line N: key \"K\": what is wrong", which the config loader turns into
 * "path:N: ...". Internal to libpatience. */
#ifndef PT_LIB_PARSE_MESSAGE_H
#define PT_LIB_PARSE_MESSAGE_H

#include <stdarg.h>
#include <stddef.h>

/* Writes the message to err (nothing when err is NULL or err_len 0);
 * "what \"name\": " comes after the line when what is not NULL ("key",
 * "table"). Returns PT_EINVAL, for a parser to return in turn. */
int pt_parse_fail(char *err, size_t err_len, int line, const char *what, const char *name,
		  const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

/* "out of memory" into err; returns PT_ENOMEM. */
int pt_parse_oom(char *err, size_t err_len);

#endif
