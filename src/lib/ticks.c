#include "patience/ticks.h"

int64_t pt_ticks_at(int64_t t0, int64_t every, int64_t k)
{
	if (k > 0 && every > (INT64_MAX - t0) / k)
		return INT64_MAX;
	return t0 + k * every;
}

int64_t pt_ticks_next(int64_t t0, int64_t every, int64_t done, int64_t now, int64_t *skipped)
{
	int64_t next = done + 1;
	if (pt_ticks_at(t0, every, next) < now) {
		/* the first tick at or after now: ceil((now - t0) / every) */
		int64_t k = (now - t0 + every - 1) / every;
		next = k > next ? k : next;
	}
	*skipped = next - done - 1;
	return next;
}
