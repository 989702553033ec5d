/* Durations, rates and duration lists from arbitrary bytes. Besides memory
 * errors it checks that results stay in range and that every parsed duration
 * survives pt_duration_format and a second parse unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patience/duration.h"
#include "patience/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIST_CAP 8

static void check_rc(int rc)
{
	if (rc != PT_OK && rc != PT_EINVAL && rc != PT_ERANGE)
		abort();
}

/* Format ms, check the length and truncation, and parse it back. */
static void round_trip(int64_t ms)
{
	char buf[32], small[8];
	int64_t back = -1;
	int n = pt_duration_format(ms, buf, sizeof buf);

	if (ms < 0 || ms > PT_DURATION_MAX_MS)
		abort();
	if (n <= 0 || (size_t)n >= sizeof buf || strlen(buf) != (size_t)n)
		abort();
	if (pt_duration_format(ms, small, sizeof small) != n ||
	    strncmp(small, buf, sizeof small - 1) != 0)
		abort();
	if (pt_duration_parse(buf, &back) != PT_OK || back != ms)
		abort();
}

static void fuzz_duration(const char *text)
{
	int64_t ms;
	int rc = pt_duration_parse(text, &ms);

	check_rc(rc);
	if (rc == PT_OK)
		round_trip(ms);
}

static void fuzz_rate(const char *text)
{
	int64_t limit, window;
	int rc = pt_rate_parse(text, &limit, &window);

	check_rc(rc);
	if (rc != PT_OK)
		return;
	if (limit < 1 || limit > 1000000000 || window < 1)
		abort();
	round_trip(window);
}

static void fuzz_list(const char *text)
{
	int64_t out[LIST_CAP];
	size_t n = 99;
	int rc = pt_duration_list_parse(text, out, LIST_CAP, &n);

	check_rc(rc);
	if (rc == PT_ERANGE && n != 0 && n <= LIST_CAP)
		abort();
	if (rc == PT_EINVAL && n != 0)
		abort();
	if (rc != PT_OK)
		return;
	if (n < 1 || n > LIST_CAP)
		abort();
	for (size_t i = 0; i < n; i++)
		round_trip(out[i]);
}

/* The first bytes as a raw value, folded into the valid range. */
static void fuzz_format(const uint8_t *data, size_t size)
{
	uint64_t raw = 0;

	if (size < sizeof raw)
		return;
	memcpy(&raw, data, sizeof raw);
	round_trip((int64_t)(raw % ((uint64_t)PT_DURATION_MAX_MS + 1)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_duration(text);
	fuzz_rate(text);
	fuzz_list(text);
	fuzz_format(data, size);
	free(text);
	return 0;
}
