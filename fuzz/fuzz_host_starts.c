/* Fuzz the host's shared starts file (src/lib/host_starts.c): any bytes
 * parse or are refused with nothing kept; what parses formats back to the
 * same bytes, and a placement on each entry keeps its rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/host_starts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void place_on(pt_host_starts *s)
{
	static const int64_t offsets[] = {0, 5};
	for (size_t i = 0; i < s->n; i++) {
		int64_t base;
		pt_host_entry *e = &s->entries[i];
		if (pt_host_entry_find(e, 1000, offsets, 2, &base) == PT_OK &&
		    (base < 1000 || base < e->not_before_ms))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pt_host_starts s;
	unsigned char *again;
	size_t len;
	int rc = pt_host_starts_parse(data, size, &s);
	if (rc != PT_OK) {
		if (s.n != 0 || s.entries)
			abort();
		return 0;
	}
	if (pt_host_starts_format(&s, &again, &len) != PT_OK)
		abort();
	/* an empty input is an empty file, which formats to a header */
	if (size && (len != size || memcmp(again, data, size) != 0))
		abort();
	free(again);
	place_on(&s);
	pt_host_starts_expire(&s, INT64_C(1) << 40, NULL);
	pt_host_starts_release(&s);
	return 0;
}
