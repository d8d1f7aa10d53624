/* timer_floor.c — what the timer alone costs (bench/paced_cost.sh, issue 19).
 *
 *   ob_timer_floor RATE SECONDS
 *
 * Three loops, each RATE wake-ups a second for SECONDS, each paced as outbreak's open
 * model paces (clock_nanosleep to absolute CLOCK_MONOTONIC deadlines), doing no work:
 *
 *   sleep     one thread wakes at each deadline
 *   handoff   the same, and at each wake-up it signals a condition variable on which a
 *             second thread waits (one cross-thread wake-up per tick: what a client
 *             library with an I/O thread of its own adds at the least)
 *   2handoff  two such threads, each woken in turn (a writer and a reader thread)
 *
 * and prints, per loop, the process's CPU (user + system, getrusage) per wake-up in µs:
 *
 *   sleep 4.12 us/wakeup (50000 wakeups, 0.206 s CPU)
 *
 * This is the floor a paced publisher pays per tick whatever it sends; the script
 * divides it by the full-speed CPU per record of each middleware. */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long posted, seen;
    bool stop;
    pthread_t thread;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->seen == w->posted && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->seen == w->posted && w->stop)
            break;
        w->seen = w->posted;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void post(waiter *w)
{
    pthread_mutex_lock(&w->lock);
    w->posted++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* One loop of `nwaiters` (0..2) extra threads woken at each tick. */
static void loop(const char *label, long rate, double seconds, int nwaiters)
{
    waiter w[2];
    for (int i = 0; i < nwaiters; i++) {
        memset(&w[i], 0, sizeof w[i]);
        pthread_mutex_init(&w[i].lock, NULL);
        pthread_cond_init(&w[i].cond, NULL);
        if (pthread_create(&w[i].thread, NULL, waiter_main, &w[i]) != 0) {
            fprintf(stderr, "ob_timer_floor: cannot start a thread\n");
            exit(1);
        }
    }
    long n = (long)(rate * seconds);
    long step = 1000000000L / rate;
    double cpu0 = cpu_seconds();
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    for (long i = 0; i < n; i++) {
        t.tv_nsec += step;
        while (t.tv_nsec >= 1000000000L) {
            t.tv_nsec -= 1000000000L;
            t.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0)
            ;
        for (int k = 0; k < nwaiters; k++)
            post(&w[k]);
    }
    for (int i = 0; i < nwaiters; i++) {
        pthread_mutex_lock(&w[i].lock);
        w[i].stop = true;
        pthread_cond_signal(&w[i].cond);
        pthread_mutex_unlock(&w[i].lock);
        pthread_join(w[i].thread, NULL);
        pthread_cond_destroy(&w[i].cond);
        pthread_mutex_destroy(&w[i].lock);
    }
    double cpu = cpu_seconds() - cpu0;
    printf("%s %.2f us/wakeup (%ld wakeups, %.3f s CPU)\n", label, cpu * 1e6 / (double)n, n, cpu);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long rate = argc > 1 ? atol(argv[1]) : 0;
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    if (argc != 3 || rate <= 0 || rate > 1000000 || seconds <= 0 || seconds > 3600) {
        fprintf(stderr, "usage: ob_timer_floor RATE SECONDS (RATE 1..1000000 wake-ups/s)\n");
        return 2;
    }
    loop("sleep", rate, seconds, 0);
    loop("handoff", rate, seconds, 1);
    loop("2handoff", rate, seconds, 2);
    return 0;
}
