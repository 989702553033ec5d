/* Fuzz --output-prefix templates: check never crashes; what it accepts
 * renders, into any buffer size, without overrunning it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512], err[256], out[64];
	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pt_template_check(text, err, sizeof err) != PT_OK)
		return 0;
	pt_template_vars v = {.run = (int64_t)size * 1000003};
	time_t t = 1796146328;
	gmtime_r(&t, &v.utc);
	gmtime_r(&t, &v.local);
	int want = pt_template_render(text, &v, out, sizeof out);
	if (want < 0 || strlen(out) != (size_t)(want < (int)sizeof out ? want : (int)sizeof out - 1))
		abort();
	return 0;
}
