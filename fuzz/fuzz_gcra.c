/* Fuzz GCRA placement: parameters and tasks from the input; every base found
 * must conform by the definition (replayed over a TAT kept here) and one ms
 * earlier must not, unless it is the task's not_before. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"
#include "patience/gcra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next little-endian value of n bytes, 0 past the end. */
static int64_t take(const uint8_t **p, const uint8_t *end, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && *p < end; i++, (*p)++)
		v |= (uint64_t)**p << (8 * i);
	return (int64_t)v;
}

/* Would base + offsets conform after a state of (has, tat)? */
static bool conforms(const pt_gcra *g, bool has, int64_t tat, int64_t base,
		     const int64_t *offsets, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		int64_t t = base + offsets[i];
		if (has && t < tat - g->tolerance_ms)
			return false;
		tat = (has && tat > t ? tat : t) + g->interval_ms;
		has = true;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	pt_gcra g;
	int64_t limit = take(&p, end, 4), window = take(&p, end, 6), burst = take(&p, end, 4);
	int64_t guard = take(&p, end, 4);
	if (pt_gcra_init(&g, limit, window, burst, guard) != PT_OK)
		return 0;
	while (p < end) {
		int64_t offsets[8], base, not_before = take(&p, end, 8);
		size_t k = 1 + (size_t)take(&p, end, 1) % 8;
		offsets[0] = 0;
		for (size_t i = 1; i < k; i++)
			offsets[i] = offsets[i - 1] + 1 + take(&p, end, 2);
		bool has = g.has_tat;
		int64_t tat = g.tat_ms;
		int rc = pt_gcra_find(&g, not_before, offsets, k, &base);
		if (rc == PT_EINFEASIBLE && conforms(&g, false, 0, 0, offsets, k))
			abort();
		if (rc != PT_OK)
			continue;
		if (base < not_before || !conforms(&g, has, tat, base, offsets, k) ||
		    (base > not_before && conforms(&g, has, tat, base - 1, offsets, k)))
			abort();
		pt_gcra_commit(&g, base, offsets, k);
	}
	return 0;
}
