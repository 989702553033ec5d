/* A set of process exit codes (0..255), as given to --retry-on. */
#ifndef PATIENCE_CODESET_H
#define PATIENCE_CODESET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pt_codeset {
	uint64_t bits[4];
} pt_codeset;

/* Parse "1,75,100-110": comma-separated codes and inclusive ranges in
 * 0..255, whitespace around items allowed. Empty text, empty items, reversed
 * ranges and values above 255 are PT_EINVAL / PT_ERANGE. */
int pt_codeset_parse(const char *text, pt_codeset *out);
bool pt_codeset_has(const pt_codeset *set, int code);

#endif
