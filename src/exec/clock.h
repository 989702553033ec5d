/* Monotonic time for schedules inside one process, real time for what is
 * shared between processes. */
#ifndef PT_EXEC_CLOCK_H
#define PT_EXEC_CLOCK_H

#include <stdint.h>

#define PT_NS_PER_MS INT64_C(1000000)

int64_t pt_monotonic_ns(void);
int64_t pt_monotonic_ms(void);
int64_t pt_realtime_ms(void);

#endif
