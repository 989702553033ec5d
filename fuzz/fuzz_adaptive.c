/* Fuzz the adaptive model's text form, which comes from the daemon: any
 * bytes either parse or are refused and leave the model as it was; what
 * parses formats back to text that parses to the same history, and the
 * model still gives a delay that is one of its buckets, or no advice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/adaptive.h"
#include "patience/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_next(const pt_adaptive *a, int64_t failed_after)
{
	int64_t d = pt_adaptive_next(a, failed_after);
	if (d == -1)
		return;
	for (size_t i = 0; i < a->n_buckets; i++)
		if (a->bucket_ms[i] == d)
			return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pt_adaptive_params p = {.min_ms = 100, .max_ms = 60000, .learning_rate = 0.1,
				.window = 50};
	static pt_adaptive a, b;
	static char text[PT_ADAPTIVE_TEXT_MAX + 1];
	if (pt_adaptive_init(&a, &p) != PT_OK || pt_adaptive_init(&b, &p) != PT_OK)
		abort();
	pt_adaptive_record(&a, 800, true);
	int rc = pt_adaptive_parse(&a, (const char *)data, size);
	if (rc != PT_OK) {
		if (rc != PT_EINVAL || a.count != 1 || a.history[0].waited_ms != 800)
			abort();
		return 0;
	}
	if (a.count > p.window || pt_adaptive_format(&a, text, sizeof text) != PT_OK ||
	    pt_adaptive_parse(&b, text, strlen(text)) != PT_OK || b.count != a.count)
		abort();
	for (size_t i = 0; i < a.count; i++) {
		size_t j = (a.first + i) % PT_ADAPTIVE_WINDOW_MAX, k = (b.first + i) % PT_ADAPTIVE_WINDOW_MAX;
		if (a.history[j].waited_ms != b.history[k].waited_ms ||
		    a.history[j].success != b.history[k].success)
			abort();
	}
	check_next(&a, -1);
	check_next(&a, 800);
	return 0;
}
