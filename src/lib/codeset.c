/* Sets of exit codes such as "1,75,100-110". */
#include "patience/codeset.h"

#include <stddef.h>
#include <string.h>

#include "patience/error.h"

#define CODE_MAX 255

/* ASCII whitespace only: isspace() would depend on the locale. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			   *p == '\v' || *p == '\f'))
		p++;
	return p;
}

/* Scan decimal digits at *p into *code, saturating just above CODE_MAX so
 * that any number of digits is out of range rather than overflowing. */
static int scan_code(const char **p, const char *end, int *code)
{
	const char *s = *p;
	int v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > CODE_MAX)
			v = CODE_MAX + 1;
	}
	if (s == *p)
		return PT_EINVAL;
	*p = s;
	*code = v;
	return PT_OK;
}

/* One item: CODE or CODE-CODE, whitespace allowed around each part. */
static int parse_item(const char *p, const char *end, pt_codeset *set)
{
	int lo, hi;

	p = skip_space(p, end);
	if (scan_code(&p, end, &lo))
		return PT_EINVAL;
	hi = lo;
	p = skip_space(p, end);
	if (p < end && *p == '-') {
		p = skip_space(p + 1, end);
		if (scan_code(&p, end, &hi))
			return PT_EINVAL;
		p = skip_space(p, end);
	}
	if (p != end)
		return PT_EINVAL;
	if (lo > CODE_MAX || hi > CODE_MAX)
		return PT_ERANGE;
	if (lo > hi)
		return PT_EINVAL;
	for (int c = lo; c <= hi; c++)
		set->bits[c / 64] |= UINT64_C(1) << (c % 64);
	return PT_OK;
}

/* Every item is checked, so a malformed one wins over an out-of-range one
 * wherever it sits; *out is only written on success. */
int pt_codeset_parse(const char *text, pt_codeset *out)
{
	pt_codeset set = {{0}};
	const char *p = text, *end;
	int rc = PT_OK;

	if (!text || !out)
		return PT_EINVAL;
	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		int item = parse_item(p, end, &set);
		if (item && rc != PT_EINVAL)
			rc = item;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if (rc == PT_OK)
		*out = set;
	return rc;
}

bool pt_codeset_has(const pt_codeset *set, int code)
{
	if (!set || code < 0 || code > CODE_MAX)
		return false;
	return set->bits[code / 64] >> (code % 64) & 1;
}
