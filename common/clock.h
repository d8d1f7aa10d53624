/* clock.h — the two clocks outbreak measures with.
 *
 * Monotonic time paces the load and times intervals inside one process; realtime
 * (CLOCK_REALTIME) is what goes on the wire as `sent_ns`, because the sink, another
 * process possibly on another host, computes end-to-end latency against it. */
#ifndef OB_CLOCK_H
#define OB_CLOCK_H

#include <stdint.h>
#include <time.h>

#define OB_NS_PER_US 1000LL
#define OB_NS_PER_MS 1000000LL
#define OB_NS_PER_S 1000000000LL

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline int64_t ob_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * OB_NS_PER_S + ts.tv_nsec;
}

/* Nanoseconds since the Unix epoch on CLOCK_REALTIME. */
static inline int64_t ob_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * OB_NS_PER_S + ts.tv_nsec;
}

/* Sleeps until the monotonic instant `when_ns` (returns at once if it has passed). */
static inline void ob_sleep_until_mono(int64_t when_ns)
{
    struct timespec ts = {.tv_sec = when_ns / OB_NS_PER_S, .tv_nsec = when_ns % OB_NS_PER_S};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

#endif
