/*
 * time.h - the library's clocks, in one place: a monotonic clock for
 * timeouts and round trips, and the wall clock for what must survive a
 * restart (store timestamps, address and provider expiry).
 */
#ifndef PD_CORE_TIME_H
#define PD_CORE_TIME_H

#include <stdint.h>

/* Monotonic clock in milliseconds / microseconds. */
uint64_t pd_time_mono_ms(void);
uint64_t pd_time_mono_us(void);
/* Wall clock (CLOCK_REALTIME) in unix milliseconds / nanoseconds. */
int64_t pd_time_wall_ms(void);
uint64_t pd_time_wall_ns(void);

#endif
