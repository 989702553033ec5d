/* See decimal.h. */
#include "lib/decimal.h"

#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

int pt_decimal_to_int64(const char *s, size_t n, int64_t *out)
{
	bool neg = n > 0 && s[0] == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			continue;
		unsigned d = (unsigned)(s[i] - '0');
		if (acc > (limit - d) / 10)
			return PT_ERANGE;
		acc = acc * 10 + d;
	}
	if (neg)
		*out = acc == limit ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return PT_OK;
}

/* strtod reads the locale's decimal point, so spell it the locale's way. */
int pt_decimal_to_double(const char *s, size_t n, double *out)
{
	const char *point = localeconv()->decimal_point;
	if (!point || !*point)
		point = ".";
	size_t point_len = strlen(point);
	char *buf = malloc(n + point_len + 1), *end, *o = buf;
	if (!buf)
		return PT_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			memcpy(o, point, point_len);
			o += point_len;
		} else if (s[i] != '_') {
			*o++ = s[i];
		}
	}
	*o = '\0';
	double d = strtod(buf, &end);
	bool whole = *end == '\0' && end != buf;
	free(buf);
	if (!whole)
		return PT_EINVAL;
	if (isinf(d) && s[n - 1] != 'f') /* not inf itself */
		return PT_ERANGE;
	*out = d;
	return PT_OK;
}
