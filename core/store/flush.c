/*
 * flush.c — the flusher thread: the only place data becomes durable.
 *
 * Durability order, all in rmq_store_checkpoint_now() and flush_log():
 *   1. fdatasync the commitlog up to `written`  → publish `flushed`, call on_flushed
 *      (SYNC_FLUSH senders are answered and their queue entries dispatched only now);
 *   2. every flush_cq_interval: take the dispatch marks (dispatched offset D and entry
 *      total), fdatasync the consume-queue segments and the index written so far;
 *   3. write the checkpoint saying "below min(D, flushed) queues and index are durable".
 * A crash between any two steps leaves a checkpoint that understates what is safe,
 * never one that overstates it, so recovery re-validates a little more and loses nothing.
 *
 * What each mode gives up: ASYNC_FLUSH acknowledges before step 1 (a power cut can lose
 * up to flushIntervalCommitLog of messages; a process crash loses none). SYNC_FLUSH waits
 * for step 1, one fdatasync covering every message that arrived meanwhile (group commit).
 */
#include "store/store_int.h"

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

enum { IO_RETRY_MS = 100 };   /* after a failed sync, how soon the flusher tries again */

static int flush_log(struct rmq_store *s)
{
    int64_t target = atomic_load_explicit(&s->cl.written, memory_order_acquire);
    int64_t done = atomic_load(&s->cl.flushed);
    if (target <= done)
        return 0;
    int64_t t0 = rmq_mono_us();
    int rc = rmq_mq_sync_range(&s->cl.mq, done, target);
    s->stats.sync_us += rmq_mono_us() - t0;
    s->stats.syncs++;
    if (rc) {
        s->stats.sync_errors++;
        if (atomic_exchange(&s->io_error, rc) == 0)
            rmq_error("store: cannot sync the commitlog: %s; refusing writes until a sync succeeds",
                      rmq_strerror(rc));
        return rc;
    }
    if (atomic_exchange(&s->io_error, 0) != 0)
        rmq_info("store: commitlog sync works again; accepting writes");
    atomic_store_explicit(&s->cl.flushed, target, memory_order_release);
    if (s->o.on_flushed)
        s->o.on_flushed(s->o.cb_arg);
    return 0;
}

int rmq_store_checkpoint_now(struct rmq_store *s, bool clean)
{
    pthread_mutex_lock(&s->mark_lock);
    int64_t dispatched = s->mark_dispatched, entries = s->mark_entries, ts = s->mark_store_ts;
    pthread_mutex_unlock(&s->mark_lock);
    int rc = flush_log(s);
    int rq = rmq_dirty_sync(&s->dirty);
    int ri = s->index ? rmq_index_flush(s->index) : 0;
    if (rc || rq || ri) {
        /* keep the old checkpoint: it still tells the truth */
        rmq_warn("store: checkpoint skipped: %s", rmq_strerror(rc ? rc : rq ? rq : ri));
        return rc ? rc : rq ? rq : ri;
    }
    int64_t flushed = atomic_load(&s->cl.flushed);
    struct rmq_checkpoint cp = {
        .physic_ts = ts, .logics_ts = ts, .index_ts = ts,
        .master_flushed = flushed, .confirm_phy = flushed,
        .cl_flushed = flushed,
        .logics_safe = dispatched < flushed ? dispatched : flushed,
        .entries_total = entries,
        .clean = clean,
    };
    rc = rmq_checkpoint_write(s->checkpoint_fd, &cp);
    if (rc)
        rmq_warn("store: cannot write checkpoint '%s': %s", s->checkpoint_path, rmq_strerror(rc));
    return rc;
}

static void *flusher_main(void *arg)
{
    struct rmq_store *s = arg;
    pthread_setname_np(pthread_self(), "rmq-flusher");   /* for top -H, ps -L, perf */
    /* ASYNC_FLUSH: nobody waits for this thread, but writeback runs in the kernel without
     * a preemption point for a whole scheduler slice (PREEMPT_NONE kernels): a broker loop
     * thread or client woken on its core waited 3–5 ms. At nice 19 a woken normal thread
     * runs at once. SYNC_FLUSH senders wait for this thread: normal priority there. */
    if (!s->o.sync_flush && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
        rmq_debug("store: cannot lower the flush thread's priority: %s", strerror(errno));
    int64_t next_cp = rmq_mono_us() + (int64_t)s->o.flush_cq_interval_ms * 1000;
    pthread_mutex_lock(&s->flush_lock);
    while (!s->stop) {
        if (!s->kick) {
            int wait_ms = s->o.sync_flush ? s->o.flush_cq_interval_ms : s->o.flush_interval_ms;
            /* writes are refused until a sync succeeds, so nothing kicks this thread:
             * retry soon, or a disk that recovered stays refused for a whole interval */
            if (atomic_load(&s->io_error) && wait_ms > IO_RETRY_MS)
                wait_ms = IO_RETRY_MS;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->flush_cond, &s->flush_lock, &ts);
            if (s->stop)
                break;
        }
        s->kick = false;
        pthread_mutex_unlock(&s->flush_lock);
        if (flush_log(s) != 0) {
            struct timespec pause = {0, 10 * 1000000L};   /* a failing disk: do not spin */
            nanosleep(&pause, NULL);
        }
        if (rmq_mono_us() >= next_cp) {
            rmq_store_checkpoint_now(s, false);
            next_cp = rmq_mono_us() + (int64_t)s->o.flush_cq_interval_ms * 1000;
        }
        pthread_mutex_lock(&s->flush_lock);
    }
    pthread_mutex_unlock(&s->flush_lock);
    return NULL;
}

int rmq_flusher_start(struct rmq_store *s, char *err)
{
    int rc = pthread_create(&s->flusher, NULL, flusher_main, s);
    if (rc)
        return rmq_seterr(err, -rc, "cannot start the flush thread: %s", strerror(rc));
    s->flusher_running = true;
    return 0;
}

void rmq_flusher_stop(struct rmq_store *s)
{
    if (!s->flusher_running)
        return;
    pthread_mutex_lock(&s->flush_lock);
    s->stop = true;
    pthread_cond_signal(&s->flush_cond);
    pthread_mutex_unlock(&s->flush_lock);
    pthread_join(s->flusher, NULL);
    s->flusher_running = false;
}
