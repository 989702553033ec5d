/* Fuzz the limit-list parser: what parses formats back to text that parses
 * to the same limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512], again[PT_LIMITS_MAX * 48];
	pt_limit_list a = {.count = 0}, b = {.count = 0};
	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int rc = pt_limit_list_parse(text, &a);
	if (rc != PT_OK) {
		if ((rc != PT_EINVAL && rc != PT_ERANGE) || a.count != 0)
			abort();
		return 0;
	}
	if (pt_limit_list_format(&a, again, sizeof again) != PT_OK ||
	    pt_limit_list_parse(again, &b) != PT_OK || a.count != b.count)
		abort();
	for (size_t i = 0; i < a.count; i++)
		if (a.items[i].count != b.items[i].count || a.items[i].window_ms != b.items[i].window_ms ||
		    a.items[i].calendar != b.items[i].calendar)
			abort();
	return 0;
}
