/* Fuzz the circuit breaker's spec parser: what parses is valid and formats
 * back to text that parses to the same spec; what does not says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/breaker.h"
#include "patience/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512], again[128], err[256] = "";
	pt_breaker_spec a, b;
	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pt_breaker_spec_parse(text, &a, err, sizeof err) != PT_OK) {
		if (!err[0])
			abort();
		return 0;
	}
	if (!pt_breaker_spec_valid(&a) || pt_breaker_spec_format(&a, again, sizeof again) < 0 ||
	    pt_breaker_spec_parse(again, &b, err, sizeof err) != PT_OK ||
	    memcmp(&a, &b, sizeof a) != 0)
		abort();
	return 0;
}
