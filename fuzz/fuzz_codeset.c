/* Exit code sets from arbitrary bytes. Besides memory errors it checks that
 * a failed parse leaves the output alone and that a parsed set, written back
 * as "a-b,c,...", parses to the same set. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/codeset.h"
#include "patience/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write set as comma-separated ranges; 256 codes need < 1024 bytes. */
static void render(const pt_codeset *set, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int c = 0; c < 256; c++) {
		if (!pt_codeset_has(set, c))
			continue;
		int hi = c;
		while (hi < 255 && pt_codeset_has(set, hi + 1))
			hi++;
		at += (size_t)snprintf(buf + at, len - at, "%s%d-%d",
				       at ? " , " : "", c, hi);
		c = hi;
	}
}

static void check_set(const pt_codeset *set)
{
	pt_codeset again = {{0}};
	char buf[2048];
	int members = 0;

	if (pt_codeset_has(set, -1) || pt_codeset_has(set, 256))
		abort();
	for (int c = 0; c < 256; c++) {
		int bit = (int)(set->bits[c / 64] >> (c % 64) & 1);
		if (bit != pt_codeset_has(set, c))
			abort();
		members += bit;
	}
	if (members == 0)
		abort();
	render(set, buf, sizeof buf);
	if (pt_codeset_parse(buf, &again) != PT_OK ||
	    memcmp(&again, set, sizeof again) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pt_codeset marker = {{1, 2, 3, 4}};
	pt_codeset set = marker;
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = pt_codeset_parse(text, &set);
	if (rc == PT_OK)
		check_set(&set);
	else if (rc != PT_EINVAL && rc != PT_ERANGE)
		abort();
	else if (memcmp(&set, &marker, sizeof set) != 0)
		abort();
	free(text);
	return 0;
}
