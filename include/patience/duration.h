/* Durations, rates and duration lists as users type them.
 * All durations are int64_t milliseconds, never negative. */
#ifndef PATIENCE_DURATION_H
#define PATIENCE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Largest duration accepted: 100 years; bigger values are PT_ERANGE. */
#define PT_DURATION_MAX_MS ((int64_t)100 * 365 * 24 * 3600 * 1000)

/* Parse "250ms", "1.5s", "2m", "1h30m", "1d", "0", or a bare number of
 * seconds ("3", "0.25"). Units: ms s m h d; components in decreasing order,
 * each unit at most once. Any component may have a fraction ("1.5h30m");
 * each is rounded to the nearest millisecond, half up. No sign, no spaces,
 * no exponent; a dot needs digits on both sides. Locale-independent.
 * Returns PT_OK, PT_EINVAL (malformed) or PT_ERANGE (too large). */
int pt_duration_parse(const char *text, int64_t *ms_out);

/* Write ms in a short form that reads back to the same value: "0s",
 * "250ms" below a second, else days, hours, minutes and seconds with zero
 * parts left out and up to three fraction digits on the seconds ("1.5s",
 * "2m", "1h30m", "1h0.5s", "1d1h1m1.001s"). 32 bytes always suffice.
 * Always NUL-terminates when len > 0. Returns the length it wanted to
 * write, as snprintf. */
int pt_duration_format(int64_t ms, char *buf, size_t len);

/* Parse a rate "N/W": N an integer in 1..1e9, W a duration above zero or a
 * bare unit meaning one of it ("10/1m", "5000/h", "3/s", "100/30s").
 * PT_EINVAL when malformed, PT_ERANGE when N or W is out of range. */
int pt_rate_parse(const char *text, int64_t *limit_out, int64_t *window_ms_out);

/* Parse a comma-separated list of durations ("0,10m,30m") into out[0..cap),
 * whitespace allowed around items. Stores the count in *n_out. Returns
 * PT_ERANGE when there are more than cap items (*n_out is then the number
 * found) or a duration is too large, PT_EINVAL on an empty item or a bad
 * duration (*n_out is then 0). Order is not checked. */
int pt_duration_list_parse(const char *text, int64_t *out, size_t cap, size_t *n_out);

#endif
