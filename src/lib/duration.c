/* Durations, rates and duration lists as users type them.
 *
 * Numbers are scanned by hand rather than with strtod: that keeps the parser
 * independent of the locale's decimal point, refuses "inf", "nan", hex floats
 * and exponents, and lets fractions round exactly instead of through binary
 * floating point. */
#include "patience/duration.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "patience/error.h"

/* Units in increasing order, so that "decreasing order" is a compare. */
enum unit { UNIT_MS, UNIT_S, UNIT_M, UNIT_H, UNIT_D, UNIT_COUNT };

static const int64_t unit_ms[UNIT_COUNT] = {
	1, 1000, 60 * 1000, 3600 * 1000, (int64_t)86400 * 1000,
};

#define RATE_LIMIT_MAX 1000000000

/* A number as typed: integer digits then optional fraction digits. */
struct number {
	const char *whole;
	size_t whole_len;
	const char *frac;
	size_t frac_len;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII whitespace only: isspace() would depend on the locale. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static const char *skip_digits(const char *p, const char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/* Scan DIGITS [ "." DIGITS ] at p. Returns the end of it, or NULL when p
 * does not start a number. A dot needs digits on both sides. */
static const char *scan_number(const char *p, const char *end, struct number *n)
{
	n->whole = p;
	p = skip_digits(p, end);
	n->whole_len = (size_t)(p - n->whole);
	n->frac = p;
	n->frac_len = 0;
	if (n->whole_len == 0)
		return NULL;
	if (p < end && *p == '.') {
		n->frac = ++p;
		p = skip_digits(p, end);
		n->frac_len = (size_t)(p - n->frac);
		if (n->frac_len == 0)
			return NULL;
	}
	return p;
}

/* Scan a unit at *p; "ms" wins over "m". Returns the unit or -1. */
static int scan_unit(const char **p, const char *end)
{
	const char *s = *p;

	if (s >= end)
		return -1;
	*p = s + 1;
	switch (*s) {
	case 'd': return UNIT_D;
	case 'h': return UNIT_H;
	case 's': return UNIT_S;
	case 'm':
		if (s + 1 < end && s[1] == 's') {
			*p = s + 2;
			return UNIT_MS;
		}
		return UNIT_M;
	}
	*p = s;
	return -1;
}

/* round(unit * 0.DIGITS), half up, exactly: long multiplication by 2*unit
 * from the last digit leaves floor(2*unit*0.DIGITS) as the final carry, and
 * (floor(2y) + 1) / 2 is y rounded half up. The carry stays below 2*unit. */
static int64_t fraction_ms(const char *digits, size_t len, int64_t unit)
{
	int64_t carry = 0;

	for (size_t i = len; i-- > 0;)
		carry = ((digits[i] - '0') * 2 * unit + carry) / 10;
	return (carry + 1) / 2;
}

/* The number times unit, in ms; PT_ERANGE above PT_DURATION_MAX_MS. */
static int number_ms(const struct number *n, int64_t unit, int64_t *out)
{
	int64_t whole = 0;

	for (size_t i = 0; i < n->whole_len; i++) {
		whole = whole * 10 + (n->whole[i] - '0');
		if (whole > PT_DURATION_MAX_MS / unit)
			return PT_ERANGE;
	}
	whole = whole * unit + fraction_ms(n->frac, n->frac_len, unit);
	if (whole > PT_DURATION_MAX_MS)
		return PT_ERANGE;
	*out = whole;
	return PT_OK;
}

/* Keeps scanning after a value is too large, so that malformed text is
 * PT_EINVAL wherever the large value sits. */
static int parse_components(const char *p, const char *end, int64_t *ms_out)
{
	int64_t total = 0, v;
	int last = UNIT_COUNT;
	bool too_big = false;
	struct number n;

	while (p < end) {
		p = scan_number(p, end, &n);
		if (!p)
			return PT_EINVAL;
		int u = scan_unit(&p, end);
		if (u < 0 || u >= last)
			return PT_EINVAL;
		last = u;
		if (number_ms(&n, unit_ms[u], &v) == PT_OK &&
		    v <= PT_DURATION_MAX_MS - total)
			total += v;
		else
			too_big = true;
	}
	if (too_big)
		return PT_ERANGE;
	*ms_out = total;
	return PT_OK;
}

/* Parse the duration text [p, end), which need not be NUL-terminated. */
static int parse_span(const char *p, const char *end, int64_t *ms_out)
{
	struct number n;

	if (p == end)
		return PT_EINVAL;
	if (scan_number(p, end, &n) == end)
		return number_ms(&n, unit_ms[UNIT_S], ms_out);
	return parse_components(p, end, ms_out);
}

int pt_duration_parse(const char *text, int64_t *ms_out)
{
	if (!text || !ms_out)
		return PT_EINVAL;
	return parse_span(text, text + strlen(text), ms_out);
}

/* Append "<v><unit>" when v is not zero. */
static size_t put_part(char *buf, size_t at, uint64_t v, const char *unit)
{
	if (v == 0)
		return at;
	return at + (size_t)sprintf(buf + at, "%" PRIu64 "%s", v, unit);
}

/* Seconds with up to three fraction digits, trailing zeros trimmed. */
static size_t put_seconds(char *buf, size_t at, unsigned s, unsigned frac)
{
	int width = 3;

	if (s == 0 && frac == 0)
		return at;
	at += (size_t)sprintf(buf + at, "%u", s);
	if (frac) {
		for (; frac % 10 == 0; frac /= 10)
			width--;
		at += (size_t)sprintf(buf + at, ".%0*u", width, frac);
	}
	return at + (size_t)sprintf(buf + at, "s");
}

/* Below a second: "250ms". Otherwise days, hours, minutes and seconds with
 * zero parts left out, so the result is short and parses back exactly.
 * Negative values get a sign (they do not parse back; they are bugs). */
int pt_duration_format(int64_t ms, char *buf, size_t len)
{
	char tmp[64];
	size_t at = 0;
	uint64_t v = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;

	if (ms < 0)
		tmp[at++] = '-';
	if (v < 1000) {
		at += (size_t)sprintf(tmp + at, "%" PRIu64 "%s", v, v ? "ms" : "s");
	} else {
		at = put_part(tmp, at, v / 86400000, "d");
		at = put_part(tmp, at, v / 3600000 % 24, "h");
		at = put_part(tmp, at, v / 60000 % 60, "m");
		at = put_seconds(tmp, at, (unsigned)(v / 1000 % 60),
				 (unsigned)(v % 1000));
	}
	return snprintf(buf, len, "%s", tmp);
}

/* Worse of two results: malformed beats out of range beats success. */
static int worse(int a, int b)
{
	if (a == PT_EINVAL || b == PT_EINVAL)
		return PT_EINVAL;
	return a ? a : b;
}

static int parse_limit(const char *p, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (p == end)
		return PT_EINVAL;
	for (; p < end; p++) {
		if (!is_digit(*p))
			return PT_EINVAL;
		if (v <= RATE_LIMIT_MAX)
			v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > RATE_LIMIT_MAX)
		return PT_ERANGE;
	*out = v;
	return PT_OK;
}

/* A window is a duration or a bare unit meaning one of it ("5000/h"). */
static int parse_window(const char *p, const char *end, int64_t *out)
{
	const char *q = p;
	int u = scan_unit(&q, end);
	int rc;

	if (u >= 0 && q == end) {
		*out = unit_ms[u];
		return PT_OK;
	}
	rc = parse_span(p, end, out);
	if (rc == PT_OK && *out == 0)
		return PT_ERANGE;
	return rc;
}

int pt_rate_parse(const char *text, int64_t *limit_out, int64_t *window_ms_out)
{
	int64_t limit = 0, window = 0;
	const char *slash;
	int rc;

	if (!text || !limit_out || !window_ms_out)
		return PT_EINVAL;
	slash = strchr(text, '/');
	if (!slash)
		return PT_EINVAL;
	rc = worse(parse_limit(text, slash, &limit),
		   parse_window(slash + 1, slash + 1 + strlen(slash + 1), &window));
	if (rc)
		return rc;
	*limit_out = limit;
	*window_ms_out = window;
	return PT_OK;
}

/* Parse one list item [p, end) with the whitespace around it. */
static int parse_item(const char *p, const char *end, int64_t *out)
{
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	return parse_span(p, end, out);
}

/* Every item is parsed even past cap, so that a malformed item is reported
 * as such rather than as "too many". When there are too many, *n_out says
 * how many there were, for the caller's message; after other errors, 0. */
int pt_duration_list_parse(const char *text, int64_t *out, size_t cap, size_t *n_out)
{
	size_t n = 0;
	int rc = PT_OK;
	const char *p = text, *comma;
	int64_t v;

	if (!text || !n_out || (cap && !out))
		return PT_EINVAL;
	*n_out = 0;
	do {
		comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		int item = parse_item(p, end, &v);
		if (item == PT_OK && n < cap)
			out[n] = v;
		rc = worse(rc, item);
		n++;
		p = end + 1;
	} while (comma);
	if (rc == PT_OK && n > cap)
		rc = PT_ERANGE;
	if (rc == PT_OK || (rc == PT_ERANGE && n > cap))
		*n_out = n;
	return rc;
}
