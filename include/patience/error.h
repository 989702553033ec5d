/* Error codes shared by every libpatience function, public (installed with
 * <patience/patience.h>) and internal alike. Library functions never print
 * and never exit: they return PT_OK (0) or a negative PT_E* code, never
 * errno, and tell the detail through an error buffer of the caller's. */
#ifndef PATIENCE_ERROR_H
#define PATIENCE_ERROR_H

/* What libpatience.so exports: the public API only (the rest of the code
 * is built with -fvisibility=hidden). */
#ifndef PT_EXPORT
#if defined(__GNUC__) && __GNUC__ >= 4
#define PT_EXPORT __attribute__((visibility("default")))
#else
#define PT_EXPORT
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum pt_error {
	PT_OK = 0,
	PT_EINVAL = -1,      /* malformed input, or a call out of order */
	PT_ERANGE = -2,      /* well-formed but out of range */
	PT_ENOMEM = -3,      /* allocation failed */
	PT_EINFEASIBLE = -4, /* a schedule that can never satisfy its limit */
	PT_ENOENT = -5,      /* no such key, file or entry; no daemon there */
	PT_EIO = -6,         /* reading a file or talking to the daemon failed */
	PT_EBUSY = -7,       /* held by another (a lock) */
	PT_EREFUSED = -8,    /* the daemon answered, and refused the request */
	PT_EINTR = -9,       /* a wait was interrupted (the caller's interrupted callback) */
	PT_ECIRCUIT = -10,   /* the circuit breaker does not admit an attempt now */
};

/* A short lower-case description of code, never NULL. */
PT_EXPORT const char *pt_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
