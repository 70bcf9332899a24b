/*
 * time.c - clock readings for every layer (net timeouts, ping RTTs, kad
 * queries, store and provider timestamps).
 */
#include <time.h>

#include "core/time.h"

static struct timespec
time_read(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts;
}

uint64_t
pd_time_mono_ms(void)
{
	struct timespec ts = time_read(CLOCK_MONOTONIC);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
pd_time_mono_us(void)
{
	struct timespec ts = time_read(CLOCK_MONOTONIC);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int64_t
pd_time_wall_ms(void)
{
	struct timespec ts = time_read(CLOCK_REALTIME);

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
pd_time_wall_ns(void)
{
	struct timespec ts = time_read(CLOCK_REALTIME);

	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
