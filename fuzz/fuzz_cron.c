/* Fuzz the cron parser: any text either parses or is refused with a reason;
 * what parses gives next times that are later and that match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "patience/cron.h"
#include "patience/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int utc_localtime(time_t t, struct tm *out, void *ctx)
{
	(void)ctx;
	return gmtime_r(&t, out) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], err[256] = "";
	pt_cron c;
	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int rc = pt_cron_parse(text, &c, err, sizeof err);
	if (rc != PT_OK) {
		if (rc != PT_EINVAL || !err[0])
			abort();
		return 0;
	}
	time_t after = 1796083200, t; /* 2026-12-01 00:00Z */
	struct tm tm;
	for (int i = 0; i < 3; i++, after = t) {
		rc = pt_cron_next(&c, after, utc_localtime, NULL, &t);
		if (rc == PT_ERANGE)
			return 0;
		if (rc != PT_OK || t <= after || t % 60 || !gmtime_r(&t, &tm) ||
		    !pt_cron_matches(&c, &tm))
			abort();
	}
	return 0;
}
