/* Error codes shared by every libpatience function.
 * Library functions never print and never exit: they return PT_OK (0) or a
 * negative PT_E* code, and fill an optional caller buffer with the detail. */
#ifndef PATIENCE_ERROR_H
#define PATIENCE_ERROR_H

enum pt_error {
	PT_OK = 0,
	PT_EINVAL = -1,      /* malformed input */
	PT_ERANGE = -2,      /* well-formed but out of range */
	PT_ENOMEM = -3,      /* allocation failed */
	PT_EINFEASIBLE = -4, /* a schedule that can never satisfy its limit */
	PT_ENOENT = -5,      /* no such key, file or entry */
	PT_EIO = -6,         /* reading a file failed */
	PT_EBUSY = -7,       /* held by another (a lock) */
};

/* A short lower-case description of code, never NULL. */
const char *pt_strerror(int code);

#include <stddef.h>

/* printf into the caller's error buffer err (err_len bytes); nothing when
 * err is NULL or err_len 0. */
void pt_set_error(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
