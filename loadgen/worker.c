/* worker.c — one load-generating thread (see worker.h): paces sends (open model) or
 * runs its users (closed model) and publishes through its publisher (publisher.h),
 * which turns broker acks into latencies; an ack makes its user ready again. Both
 * follow the plan's load as it changes (ob_run_change_load): the open model's schedule
 * goes on at the new rate from the change's instant, the closed model starts the new
 * users on the new schedule and stops those beyond the count after their record. */
#include "worker.h"

#include <math.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "generator.h"
#include "record.h"

/* Closed model: a user due to send at `when`. */
typedef struct due_user {
    int64_t when;
    long user;
} due_user;

/* Open model: one rate's part of the schedule. Record k >= k0 is meant to go at
 * start_mono + base + period * (k - k0) (ns); a change of the rate starts a new one. */
typedef struct pace {
    uint64_t k0;
    double base, period;
} pace;

/* How long an open-model worker waiting for its next record goes without looking at
 * the load (a change is followed within this)... */
#define CHANGE_POLL_NS (20 * OB_NS_PER_MS)
/* ...unless its records go on a step (--tick) longer than that: then it looks once a
 * step, when it wakes to send anyway (a look costs a wake-up: at --tick 100ms the 20 ms
 * looks were four more a step, about a third of the sending thread's CPU at 10 000/s
 * for an adapter that writes a tick's records in one go), but at least this often, so
 * that a stop or a change is followed within it whatever the step. */
#define CHANGE_POLL_MAX_NS (100 * OB_NS_PER_MS)

struct ob_worker {
    int index;
    long lane; /* worker + workers * index: this thread's stripe of the run's schedule */
    uint32_t producer;
    ob_plan *plan;
    ob_publisher *pub;
    pthread_t thread;
    bool started;
    bool poll_waits; /* the adapter's last poll waited for acks itself (see idle_cap) */
    ob_worker_stats stats;
    ob_gen rng;

    char *send_buf; /* a record with its metadata is assembled here (send_cap bytes) */
    size_t send_cap;
    char meta_prefix[OB_RUN_CAP + 64]; /* ,"run":"..","producer":N,"seq": */
    size_t meta_prefix_len;
    /* --warmup: the records meant to go before t0_mono are the warm-up's; the measured
     * run's prefix waits here until the first record meant to go at or after it */
    bool warming;
    char measured_prefix[OB_RUN_CAP + 64];
    size_t measured_prefix_len;
    int64_t measured_cpu0, measured_wall0; /* the thread's CPU time and the monotonic
                                              clock where the measured time began */
    size_t next_payload; /* index into this worker's share */
    size_t share;        /* payloads this worker owns: index, index + T, ... */
    atomic_bool share_done; /* --once and every payload sent, or --iterations' share sent
                               (written by the thread, read by ob_worker_share_sent) */
    long long quota;     /* --iterations: measured records this thread still sends (-1: no
                            bound); its share of the run's, as the open model's arrivals */

    unsigned gen; /* the generation of plan->load that `load` holds */
    ob_load load;

    /* open model: the schedule's parts, in order of k0 */
    int64_t last_intended; /* the previous record's intended time (0: none yet) */
    pace *paces;
    size_t npaces, paces_cap;
    ob_stages_cursor stage_cursor; /* --stages: the schedule is theirs (stages.h) */

    /* closed model: own user k is user index + k * threads */
    size_t ucap;          /* own users the arrays below (and ready, ready_spare) hold */
    unsigned char *alive; /* own user k started and not stopped (sending, waiting for its
                             ack, or waiting to send again) */
    long next_k;          /* the first own user the spawn loop has not looked at */
    due_user *heap;    /* min-heap on `when` */
    size_t heap_len;
    pthread_mutex_t ready_lock; /* acked users handed from the ack path; also guards
                                   the growth of ready and ready_spare */
    pthread_cond_t ready_cond;  /* signalled when a user becomes ready */
    atomic_bool finished;
    _Atomic int64_t finished_mono; /* when it was: set before finished */
    due_user *ready;
    size_t nready;
    due_user *ready_spare;
};

bool ob_worker_finished(ob_worker *w)
{
    return atomic_load(&w->finished);
}

bool ob_worker_share_sent(ob_worker *w)
{
    return atomic_load_explicit(&w->share_done, memory_order_relaxed);
}

int64_t ob_worker_finished_mono(ob_worker *w)
{
    return atomic_load(&w->finished) ? atomic_load(&w->finished_mono) : 0;
}

ob_worker_stats *ob_worker_stats_of(ob_worker *w)
{
    return &w->stats;
}

unsigned ob_plan_load(ob_plan *plan, ob_load *out)
{
    pthread_mutex_lock(&plan->load_lock);
    *out = plan->load;
    unsigned gen = atomic_load_explicit(&plan->load_gen, memory_order_relaxed);
    pthread_mutex_unlock(&plan->load_lock);
    return gen;
}

/* True when the plan's load changed since the worker copied it (once per loop). */
static bool load_moved(const ob_worker *w)
{
    return atomic_load_explicit(&w->plan->load_gen, memory_order_acquire) != w->gen;
}

void ob_worker_wake(ob_worker *w)
{
    pthread_mutex_lock(&w->ready_lock);
    pthread_cond_signal(&w->ready_cond);
    pthread_mutex_unlock(&w->ready_lock);
}

const char *ob_worker_way(ob_worker *w)
{
    return ob_publisher_way(w->pub);
}

void ob_worker_durability(ob_worker *w, ob_durability *d)
{
    ob_publisher_durability(w->pub, d);
}

/* --- closed model: the users' heap ------------------------------------------------- */

static void heap_push(ob_worker *w, int64_t when, long user)
{
    size_t i = w->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (w->heap[parent].when <= when)
            break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = (due_user){when, user};
}

static due_user heap_pop(ob_worker *w)
{
    due_user top = w->heap[0], last = w->heap[--w->heap_len];
    size_t i = 0, n = w->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && w->heap[child + 1].when < w->heap[child].when)
            child++;
        if (last.when <= w->heap[child].when)
            break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (n > 0)
        w->heap[i] = last;
    return top;
}

/* Wait time after an ack, uniform in [wait_min, wait_max]. */
static int64_t user_wait_ns(ob_worker *w)
{
    const ob_run_opts *o = w->plan->opts;
    double s = o->wait_min + (o->wait_max - o->wait_min) * ob_gen_unit(&w->rng);
    return (int64_t)(s * 1e9);
}

/* --- the ack path -------------------------------------------------------------------- */

/* The publisher's on_done: the user (ctx - 1; NULL in the open model) waiting for this
 * ack is ready again. */
static void on_done(void *arg, uint64_t seq, void *ctx, bool ok, const char *errmsg, ob_err_kind kind,
                    int64_t now)
{
    (void)seq, (void)ok, (void)errmsg, (void)kind;
    ob_worker *w = arg;
    if (ctx) {
        long user = (long)((uintptr_t)ctx - 1);
        pthread_mutex_lock(&w->ready_lock);
        w->ready[w->nready++] = (due_user){now, user};
        pthread_cond_signal(&w->ready_cond);
        pthread_mutex_unlock(&w->ready_lock);
    }
}

/* --- sending ------------------------------------------------------------------------- */

static bool has_inflight(const ob_worker *w)
{
    return ob_publisher_inflight(w->pub) > 0;
}

/* How long an idle worker may go without polling its adapter. While records are in
 * flight: a millisecond when the adapter's poll returns at once (an adapter whose acks
 * come on its own threads may still send from poll what brings them, and retry it),
 * CHANGE_POLL_NS when its poll waits for the acks itself (each ack ends that wait:
 * waking sooner would only cost wake-ups, several per tick at --tick 10ms). Otherwise a
 * second (an adapter may keep its connection alive from poll: heartbeats). */
static int64_t idle_cap(ob_worker *w)
{
    if (!has_inflight(w))
        return OB_NS_PER_S;
    return w->poll_waits ? CHANGE_POLL_NS : OB_NS_PER_MS;
}

/* Sleeps until `until` (monotonic), but wakes to poll the adapter (see idle_cap) so that
 * it can make progress on acks. The poll is given up to `look` ns while records are in
 * flight (CHANGE_POLL_NS, or a longer step's: run_open_model): one that waits for the
 * acks itself returns as soon as they come; one that reads them when the time comes,
 * with the time they arrived (an adapter's own loop on a tick), is not woken halfway for
 * them; one that returns at once is followed by a sleep of at most idle_cap. (What the
 * poll did the last time does not cap this one: an adapter with nothing outstanding
 * returns at once, and the next tick's records, once sent, are worth waiting for.) */
static void idle_until(ob_worker *w, int64_t until, int64_t look)
{
    int64_t now = ob_mono_ns();
    int64_t cap = now + (has_inflight(w) ? look : OB_NS_PER_S);
    if ((w->poll_waits = ob_publisher_poll(w->pub, until < cap ? until : cap)))
        return; /* the adapter waited for acks on this thread */
    cap = now + idle_cap(w);
    ob_sleep_until_mono(until < cap ? until : cap);
}

static int64_t thread_cpu_ns(void)
{
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) != 0)
        return 0;
    return (int64_t)cpu.tv_sec * OB_NS_PER_S + cpu.tv_nsec;
}

/* The warm-up is over for this worker (its next record is meant to go at or after
 * t0_mono): the measured run's id, statistics and own figures from the next record on. */
static void begin_measuring(ob_worker *w, int64_t now)
{
    w->warming = false;
    ob_publisher_measure(w->pub);
    memcpy(w->meta_prefix, w->measured_prefix, w->measured_prefix_len);
    w->meta_prefix_len = w->measured_prefix_len;
    atomic_store(&w->stats.idle_ns, 0);
    atomic_store(&w->stats.window_wait_ns, 0);
    w->measured_cpu0 = thread_cpu_ns();
    w->measured_wall0 = now;
}

/* Sends the next record, meant to go at `intended` (monotonic), on behalf of `user`
 * (-1 in the open model); `now` is the caller's fresh reading of the clock. Returns false if the slot for the next seq is still busy
 * (too many in flight): the caller idles and retries. */
static bool send_one(ob_worker *w, int64_t intended, long user, int64_t now)
{
    if (!ob_publisher_ready(w->pub))
        return false;
    const ob_plan *p = w->plan;
    if (w->warming && intended >= p->t0_mono)
        begin_measuring(w, now);
    if (!w->warming && w->quota > 0 && --w->quota == 0)
        w->share_done = true; /* this one is the last */
    uint64_t seq = ob_publisher_next_token(w->pub);
    size_t idx = (size_t)w->lane + w->next_payload * (size_t)p->lanes;
    const ob_payload *pl = &p->payloads[idx];
    if (++w->next_payload == w->share) {
        w->next_payload = 0;
        if (p->opts->once)
            w->share_done = true;
    }

    char *buf = w->send_buf;
    memcpy(buf, pl->body, pl->len);
    memcpy(buf + pl->len, w->meta_prefix, w->meta_prefix_len);
    size_t head = pl->len + w->meta_prefix_len;
    int n = ob_record_meta_tail(seq, p->t0_real + (intended - p->t0_mono), buf + head,
                                w->send_cap - head);
    void *ctx = user >= 0 ? (void *)(uintptr_t)(user + 1) : NULL;
    if (!w->warming)
        ob_hist_record(w->stats.send_delay, now - intended);
    if (n < 0)
        ob_publisher_fail_next(w->pub, intended, now, ctx, "record too large to encode");
    else /* a failure is accounted for by the publisher (on_done called) */
        ob_publisher_send(w->pub, buf, head + (size_t)n, pl->key, intended, now, ctx, NULL);
    return true;
}

static bool keep_sending(const ob_worker *w, int64_t now)
{
    return atomic_load_explicit(&w->plan->running, memory_order_relaxed) && !w->share_done &&
           now < w->plan->end_mono;
}

/* The intended send time of record k (ns after start_mono; INFINITY: none, the stages
 * are over). With --stages, this thread's record k is the run's arrival k * lanes + lane:
 * the threads and workers take the stages' arrivals in turn. */
static double pace_time(ob_worker *w, uint64_t k)
{
    const ob_stages *st = &w->plan->opts->stages;
    if (st->n > 0)
        return ob_stages_arrival_ns(st, &w->stage_cursor,
                                    (double)k * (double)w->plan->lanes + (double)w->lane);
    size_t i = w->npaces - 1;
    while (i > 0 && w->paces[i].k0 > k)
        i--;
    const pace *pc = &w->paces[i];
    return pc->base + pc->period * (double)(k - pc->k0);
}

static double worker_period(const ob_worker *w, double rate)
{
    return 1e9 * (double)w->plan->lanes / rate;
}

/* Follows a change of the rate made at load.changed: the records meant to go before
 * that instant keep their times; from it the schedule goes on at the new rate with the
 * same phase (the fraction of a period that had passed since the last record meant to
 * go passes on in the new period): the count of intended sends is continuous, no burst
 * and no gap, and the workers keep their stagger. `k` is the next record to send. */
static void open_change(ob_worker *w, uint64_t k)
{
    double old_rate = w->load.rate;
    w->gen = ob_plan_load(w->plan, &w->load);
    if (w->load.rate == old_rate || w->plan->opts->rate_max)
        return;
    double tc = (double)(w->load.changed - w->plan->start_mono);
    const pace *last = &w->paces[w->npaces - 1];
    double x = (double)last->k0 + (tc - last->base) / last->period; /* records due by tc */
    double first = ceil(x);
    if (first < (double)last->k0)
        first = (double)last->k0;
    double period = worker_period(w, w->load.rate);
    pace np = {(uint64_t)first, tc + (first - x) * period, period};
    /* parts that would start at or after the new one never come */
    while (w->npaces > 1 && w->paces[w->npaces - 1].k0 >= np.k0)
        w->npaces--;
    if (w->paces[w->npaces - 1].k0 >= np.k0) {
        w->paces[w->npaces - 1] = np;
        return;
    }
    /* parts wholly before record k are done with */
    size_t done = 0;
    while (done + 1 < w->npaces && w->paces[done + 1].k0 <= k)
        done++;
    if (done) {
        memmove(w->paces, w->paces + done, (w->npaces - done) * sizeof *w->paces);
        w->npaces -= done;
    }
    if (w->npaces == w->paces_cap) {
        pace *grown = realloc(w->paces, 2 * w->paces_cap * sizeof *grown);
        if (!grown) { /* out of memory: the new rate replaces the last part */
            w->paces[w->npaces - 1] = np;
            return;
        }
        w->paces = grown;
        w->paces_cap *= 2;
    }
    w->paces[w->npaces++] = np;
}

/* The step in force for a record meant to go at `intended`: --tick's; without one, the
 * adapter's auto step (options.h) where the records come closer together than its bound
 * (this record's time from the previous one's, so that a rate changed from the web UI
 * or by --stages is followed record by record); 0: none. */
static int64_t tick_step(const ob_worker *w, int64_t intended)
{
    const ob_run_opts *o = w->plan->opts;
    if (o->tick_ns > 0)
        return o->tick_ns;
    const ob_auto_tick *a = &o->auto_tick;
    if (a->step_ns <= 0 || w->last_intended == 0)
        return 0;
    return (double)(intended - w->last_intended) * a->above_rate < (double)OB_NS_PER_S ? a->step_ns : 0;
}

/* When a record meant to go at `intended` goes: then, or on a step (tick_step) at the
 * first tick of the grid (from t0) at or after it, so that the records due within one
 * step go together, one wake-up for them all. */
static int64_t send_tick(const ob_worker *w, int64_t intended)
{
    const ob_plan *p = w->plan;
    int64_t step = tick_step(w, intended);
    if (step <= 0)
        return intended;
    int64_t since = intended - p->start_mono;
    if (since <= 0)
        return intended;
    return p->start_mono + (since + step - 1) / step * step;
}

/* How long the wait for a record meant to go at `intended` goes between looks at the
 * load: CHANGE_POLL_NS, or its step when longer, up to CHANGE_POLL_MAX_NS. */
static int64_t look_ns(const ob_worker *w, int64_t intended)
{
    int64_t step = tick_step(w, intended);
    return step < CHANGE_POLL_NS ? CHANGE_POLL_NS : step > CHANGE_POLL_MAX_NS ? CHANGE_POLL_MAX_NS : step;
}

static void run_open_model(ob_worker *w)
{
    const ob_plan *p = w->plan;
    w->gen = ob_plan_load(w->plan, &w->load);
    double period = worker_period(w, w->load.rate);
    /* stagger workers within one period so their sends interleave */
    w->paces[0] = (pace){0, period * (double)w->lane / (double)p->lanes, period};
    w->npaces = 1;
    ob_stages_cursor_init(&w->stage_cursor);
    bool staged = p->opts->stages.n > 0; /* the stages' schedule: no change of the rate */
    for (uint64_t k = 0;;) {
        if (!staged && load_moved(w))
            open_change(w, k);
        int64_t now = ob_mono_ns();
        /* --rate max has no schedule: a record is due when it goes */
        double at = p->opts->rate_max ? 0 : pace_time(w, k);
        if (!(at < 1e18))
            break; /* the stages send no more */
        int64_t intended = p->opts->rate_max ? now : p->start_mono + (int64_t)at;
        /* every record due before the end is sent, late ones too (they count from their
         * intended time), unless the backlog runs more than a second past the end */
        bool overdue = p->end_mono != INT64_MAX && now - p->end_mono >= OB_NS_PER_S;
        if (!keep_sending(w, intended) || overdue)
            break;
        bool moved = false;
        int64_t idle_from = now;
        int64_t wake = p->opts->rate_max ? intended : send_tick(w, intended);
        int64_t look = now < wake ? look_ns(w, intended) : 0; /* no wait, no look */
        while (now < wake) {
            int64_t until = now + look;
            idle_until(w, wake < until ? wake : until, look);
            now = ob_mono_ns();
            if (!atomic_load_explicit(&p->running, memory_order_relaxed))
                return;
            if (!staged && (moved = load_moved(w)))
                break;
        }
        if (now > idle_from)
            atomic_fetch_add_explicit(&w->stats.idle_ns, now - idle_from, memory_order_relaxed);
        if (moved)
            continue; /* record k's time comes from the new schedule */
        int64_t blocked = 0; /* since when the window has been full */
        while (!send_one(w, intended, -1, now)) {
            if (!blocked)
                blocked = now;
            idle_until(w, ob_mono_ns() + 50 * OB_NS_PER_US, CHANGE_POLL_NS);
            now = ob_mono_ns();
            if (!keep_sending(w, now)) {
                atomic_fetch_add_explicit(&w->stats.window_wait_ns, now - blocked, memory_order_relaxed);
                return;
            }
        }
        if (blocked)
            atomic_fetch_add_explicit(&w->stats.window_wait_ns, now - blocked, memory_order_relaxed);
        w->last_intended = intended;
        k++;
    }
}

/* Closed model: like idle_until, but wakes as soon as an ack makes a user ready or the
 * load changes (ob_worker_wake). */
static void wait_for_users(ob_worker *w, int64_t until)
{
    int64_t cap = ob_mono_ns() + idle_cap(w);
    if (until > cap)
        until = cap;
    w->poll_waits = ob_publisher_poll(w->pub, until); /* acks read here make users ready at once */
    struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
    pthread_mutex_lock(&w->ready_lock);
    /* the change increments load_gen before it signals under this lock: no lost wake-up */
    if (w->nready == 0 && !load_moved(w))
        pthread_cond_timedwait(&w->ready_cond, &w->ready_lock, &ts);
    pthread_mutex_unlock(&w->ready_lock);
}

/* This worker's users among the first n (users lane, lane + lanes, ...). */
static long own_users(const ob_worker *w, long n)
{
    long t = w->plan->lanes;
    return n > w->lane ? (n - w->lane + t - 1) / t : 0;
}

/* The rate this thread's publisher is paced at, as known at the start (the adapter's
 * write policy hint): its share of --rate, or its users over their mean wait; 0 when it
 * sends as fast as it can (closed model without a wait). */
static double paced_rate(const ob_worker *w, const ob_run_opts *o, long nusers)
{
    if (o->rate_max)
        return 0;
    if (o->rate > 0)
        return o->rate / (double)w->plan->lanes;
    double mean_wait = (o->wait_min + o->wait_max) / 2;
    return mean_wait > 0 && nusers > 0 ? (double)nusers / mean_wait : 0;
}

/* Room for n own users in the heap, the alive flags and the ready arrays (those under
 * ready_lock: the ack path fills them). False when out of memory (ucap stays). */
static bool grow_users(ob_worker *w, size_t n)
{
    if (n <= w->ucap)
        return true;
    size_t cap = w->ucap * 2 > n ? w->ucap * 2 : n;
    due_user *heap = realloc(w->heap, cap * sizeof *heap);
    if (!heap)
        return false;
    w->heap = heap;
    unsigned char *alive = realloc(w->alive, cap);
    if (!alive)
        return false;
    memset(alive + w->ucap, 0, cap - w->ucap);
    w->alive = alive;
    pthread_mutex_lock(&w->ready_lock);
    due_user *ready = realloc(w->ready, cap * sizeof *ready);
    if (ready)
        w->ready = ready;
    due_user *spare = ready ? realloc(w->ready_spare, cap * sizeof *spare) : NULL;
    if (spare)
        w->ready_spare = spare;
    pthread_mutex_unlock(&w->ready_lock);
    if (!spare)
        return false;
    w->ucap = cap;
    return true;
}

/* A user beyond the count stops: it is between records (waiting to send again, or just
 * acked). */
static void stop_user(ob_worker *w, long user)
{
    w->alive[(user - w->lane) / w->plan->lanes] = 0;
    atomic_fetch_sub_explicit(&w->stats.users, 1, memory_order_relaxed);
}

/* When user u starts under the load's schedule (monotonic ns). */
static int64_t spawn_at(const ob_load *l, long u)
{
    if (u < l->spawn_base)
        return l->spawn_t0;
    return l->spawn_t0 + (int64_t)((double)(u - l->spawn_base) / l->spawn_rate * 1e9);
}

/* Follows the plan's load (at the start and after each change): room for the users,
 * the waiting users beyond the count stop now (those waiting for an ack when it comes,
 * take_ready_users), and the spawn loop looks at every own user again: it starts those
 * not alive on the new schedule, and never a second copy of one still alive. */
static void closed_change(ob_worker *w)
{
    w->gen = ob_plan_load(w->plan, &w->load);
    if (!grow_users(w, (size_t)own_users(w, w->load.users)))
        fprintf(stderr, "outbreak run: worker %d: out of memory for %ld users; it runs %zu\n", w->index + 1,
                own_users(w, w->load.users), w->ucap);
    /* rebuilt in place: the push writes at or below the entry being read */
    size_t n = w->heap_len;
    w->heap_len = 0;
    for (size_t i = 0; i < n; i++) {
        due_user u = w->heap[i];
        if (u.user >= w->load.users)
            stop_user(w, u.user);
        else
            heap_push(w, u.when, u.user);
    }
    w->next_k = 0;
}

static void take_ready_users(ob_worker *w)
{
    pthread_mutex_lock(&w->ready_lock);
    due_user *batch = w->ready;
    size_t n = w->nready;
    w->ready = w->ready_spare;
    w->ready_spare = batch;
    w->nready = 0;
    pthread_mutex_unlock(&w->ready_lock);
    for (size_t i = 0; i < n; i++) {
        if (batch[i].user >= w->load.users)
            stop_user(w, batch[i].user); /* its record is done: beyond the count, it stops */
        else
            heap_push(w, batch[i].when + user_wait_ns(w), batch[i].user);
    }
}

static void run_closed_model(ob_worker *w)
{
    const ob_plan *p = w->plan;
    long lanes = p->lanes;
    closed_change(w);
    for (;;) {
        int64_t now = ob_mono_ns();
        if (!keep_sending(w, now))
            return;
        if (load_moved(w))
            closed_change(w);
        take_ready_users(w);
        /* own user k (global u = lane + k*lanes) starts at spawn_at(u) */
        int64_t next_spawn = INT64_MAX;
        long own = own_users(w, w->load.users);
        if (own > (long)w->ucap)
            own = (long)w->ucap;
        for (; w->next_k < own; w->next_k++) {
            if (w->alive[w->next_k])
                continue; /* running already, or finishing a record the count went under */
            long u = w->lane + w->next_k * lanes;
            int64_t at = spawn_at(&w->load, u);
            if (at > now) {
                next_spawn = at;
                break;
            }
            w->alive[w->next_k] = 1;
            heap_push(w, at, u);
            atomic_fetch_add_explicit(&w->stats.users, 1, memory_order_relaxed);
        }
        if (w->heap_len == 0 || w->heap[0].when > now) {
            /* no user due: an ack (ready_cond), a change of the load (ob_worker_wake) or
             * the next spawn wakes it; else it looks again within CHANGE_POLL_NS (a stop),
             * and at the end of the run (with no users, as a stage of 0, this was a
             * wake-up a millisecond) */
            int64_t until = w->heap_len ? w->heap[0].when : now + CHANGE_POLL_NS;
            if (until > p->end_mono)
                until = p->end_mono;
            if (next_spawn < until)
                until = next_spawn;
            wait_for_users(w, until);
            continue;
        }
        /* a burst of the users that are due, before looking at the ready queue again */
        for (int k = 0; k < 256 && w->heap_len > 0 && w->heap[0].when <= now && !w->share_done; k++) {
            due_user u = heap_pop(w);
            if (!send_one(w, u.when, u.user, now)) {
                heap_push(w, u.when, u.user);
                idle_until(w, now + 50 * OB_NS_PER_US, CHANGE_POLL_NS);
                break;
            }
            now = ob_mono_ns();
        }
    }
}

static void *worker_main(void *arg)
{
    ob_worker *w = arg;
    /* the default 50 µs timer slack would show up as send delay */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    /* a name for top -H, perf and /proc/PID/task/TID/comm: "ob-worker-LANE" */
    char name[16];
    snprintf(name, sizeof name, "ob-worker-%ld", w->lane);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    w->measured_wall0 = ob_mono_ns();
    if (w->share > 0) {
        if (w->plan->opts->rate > 0)
            run_open_model(w);
        else
            run_closed_model(w);
    }
    /* a worker stopped during its warm-up measured nothing */
    if (!w->warming) {
        atomic_store(&w->stats.sending_wall_ns, (long long)(ob_mono_ns() - w->measured_wall0));
        atomic_store(&w->stats.sending_cpu_ns, (long long)(thread_cpu_ns() - w->measured_cpu0));
    }
    int timeout_ms = (int)(w->plan->opts->stop_timeout_ns / OB_NS_PER_MS);
    ob_publisher_flush(w->pub, timeout_ms);
    atomic_store(&w->finished_mono, ob_mono_ns());
    atomic_store(&w->finished, true);
    return NULL;
}

int ob_worker_create(ob_worker **out, int index, ob_plan *plan, ob_err *err)
{
    const ob_run_opts *o = plan->opts;
    ob_worker *w = calloc(1, sizeof *w);
    if (!w)
        return ob_err_set(err, "out of memory");
    w->index = index;
    w->lane = plan->worker + plan->workers * (long)index;
    w->producer = plan->process << OB_PRODUCER_WORKER_BITS | ((uint32_t)index + 1);
    w->plan = plan;
    /* a body, the metadata's prefix and its tail (two numbers and a brace) */
    w->send_cap = plan->payload_max + sizeof w->meta_prefix + 64;
    if (!(w->send_buf = malloc(w->send_cap))) {
        free(w);
        return ob_err_set(err, "out of memory");
    }
    pthread_mutex_init(&w->ready_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->ready_cond, &ca);
    pthread_condattr_destroy(&ca);
    ob_gen_init(&w->rng, o->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)w->lane + 1);
    size_t lane = (size_t)w->lane, lanes = (size_t)plan->lanes;
    w->share = plan->npayloads > lane ? (plan->npayloads - lane + lanes - 1) / lanes : 0;
    w->share_done = o->once && w->share == 0; /* nothing of its own to send */
    w->quota = -1;
    if (o->iterations > 0) {
        w->quota = o->iterations / (long long)lanes + ((long long)lane < o->iterations % (long long)lanes ? 1 : 0);
        w->share_done = w->quota == 0;
    }
    int np = ob_record_meta_prefix(o->run_id, w->producer, w->measured_prefix, sizeof w->measured_prefix);
    w->measured_prefix_len = np > 0 ? (size_t)np : 0;
    memcpy(w->meta_prefix, w->measured_prefix, w->measured_prefix_len);
    w->meta_prefix_len = w->measured_prefix_len;
    w->warming = o->warmup_ns > 0;
    if (w->warming) {
        char warmup_run[OB_RUN_CAP];
        if (ob_warmup_run_id(o->run_id, warmup_run, sizeof warmup_run) != 0) {
            ob_err_setk(err, OB_ERR_USAGE, "--warmup: the run id is too long");
            goto fail;
        }
        np = ob_record_meta_prefix(warmup_run, w->producer, w->meta_prefix, sizeof w->meta_prefix);
        w->meta_prefix_len = np > 0 ? (size_t)np : 0;
    }
    /* sized for the initial users; grown when a change asks for more (grow_users) */
    long nusers = o->rate > 0 ? 0 : own_users(w, o->users);
    w->ucap = (size_t)(nusers > 0 ? nusers : 1);
    w->heap = calloc(w->ucap, sizeof *w->heap);
    w->alive = calloc(w->ucap, 1);
    w->ready = calloc(w->ucap, sizeof *w->ready);
    w->ready_spare = calloc(w->ucap, sizeof *w->ready_spare);
    w->paces_cap = 4;
    w->paces = calloc(w->paces_cap, sizeof *w->paces);
    w->stats.send_delay = ob_hist_new();
    if (!w->heap || !w->alive || !w->ready || !w->ready_spare || !w->paces || !w->stats.send_delay) {
        ob_err_set(err, "out of memory");
        goto fail;
    }
    char name[96];
    snprintf(name, sizeof name, "outbreak-run-%s-%d", o->run_id, index + 1);
    bool open_model = o->rate > 0 && !o->rate_max; /* paced by --rate N */
    ob_publisher_opts po = {
        .window = o->max_inflight,
        .client_name = name,
        .connect_timeout_ms = 3000,
        .on_done = on_done,
        .done_arg = w,
        .paced_rate = paced_rate(w, o, nusers),
        /* --tick, or the auto step (the adapter's hint: its io choice counts on it) */
        .paced_tick_ns = !open_model ? 0 : o->tick_ns > 0 ? o->tick_ns : o->auto_tick.step_ns,
        .paced_open = open_model,
        .warmup = w->warming,
    };
    /* --connections N (HTTP load mode): this worker's share, as the URL's connections= */
    char url[4096];
    const char *broker = o->broker;
    if (o->connections > 0) {
        long share = o->connections / o->threads + (index < o->connections % o->threads ? 1 : 0);
        int n = snprintf(url, sizeof url, "%s%cconnections=%ld", o->broker, strchr(o->broker, '?') ? '&' : '?',
                         share);
        if (n < 0 || (size_t)n >= sizeof url) {
            ob_err_setk(err, OB_ERR_USAGE, "--broker: the URL is too long");
            goto fail;
        }
        broker = url;
    }
    if (ob_publisher_open(&w->pub, broker, &po, err) != 0)
        goto fail;
    w->stats.pub = ob_publisher_stats(w->pub);
    w->stats.warmup = ob_publisher_warmup_stats(w->pub);
    *out = w;
    return 0;
fail:
    ob_worker_free(w);
    return -1;
}

int ob_worker_start(ob_worker *w, ob_err *err)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return ob_err_set(err, "cannot start worker thread %d", w->index + 1);
    w->started = true;
    return 0;
}

void ob_worker_join(ob_worker *w)
{
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void ob_worker_free(ob_worker *w)
{
    if (!w)
        return;
    ob_worker_join(w);
    ob_publisher_close(w->pub);
    ob_hist_free(w->stats.send_delay);
    pthread_mutex_destroy(&w->ready_lock);
    pthread_cond_destroy(&w->ready_cond);
    free(w->heap);
    free(w->send_buf);
    free(w->alive);
    free(w->paces);
    free(w->ready);
    free(w->ready_spare);
    free(w);
}
