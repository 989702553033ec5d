/* The detail of an error, into the caller's buffer (see patience/error.h).
 * Internal to libpatience. */
#ifndef PT_LIB_SET_ERROR_H
#define PT_LIB_SET_ERROR_H

#include <stddef.h>

/* printf into the caller's error buffer err (err_len bytes); nothing when
 * err is NULL or err_len 0. */
void pt_set_error(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
