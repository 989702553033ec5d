/* The start-time logs of the rate-limit tests (tests/tools/stamp writes
 * them): one integer per line, nanoseconds of CLOCK_REALTIME. */
#ifndef PT_TESTS_START_LOG_H
#define PT_TESTS_START_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Every time in path, sorted; *n of them. Exits 2 when it cannot read it. */
int64_t *start_log_read(const char *path, size_t *n);

#endif
