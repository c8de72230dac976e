/* clock.h — wall time in ms (stored timestamps) and monotonic time (deadlines, durations). */
#ifndef RMQ_UTIL_CLOCK_H
#define RMQ_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t rmq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t rmq_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
