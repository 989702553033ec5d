/* Decimal numbers already checked for shape by a config parser (TOML's or
 * YAML's), turned into values the same way whatever the locale. Internal to
 * libpatience. */
#ifndef PT_LIB_DECIMAL_H
#define PT_LIB_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* s[0..n): an optional sign, then digits; any other byte ('_' between
 * digits in TOML) is skipped. PT_OK, or PT_ERANGE when it does not fit. */
int pt_decimal_to_int64(const char *s, size_t n, int64_t *out);

/* s[0..n): what strtod reads in the C locale, '_' skipped. PT_OK;
 * PT_EINVAL when strtod does not take all of it; PT_ERANGE when it
 * overflows (inf itself is fine); PT_ENOMEM. */
int pt_decimal_to_double(const char *s, size_t n, double *out);

#endif
