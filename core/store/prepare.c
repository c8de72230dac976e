/*
 * prepare.c — the preparer thread: gets commitlog files and pages ready ahead of the writer.
 *
 * Files: the next commitlog segment (commitlog.h, "spare") and the index's next file
 * (index.h) are made here before the writer needs them, so the loop thread never creates,
 * preallocates or syncs a file on the append path (RocketMQ's AllocateMappedFileService).
 *
 * ASYNC_FLUSH: appends reach the file by pwrite (commitlog.h), which allocates and zeroes
 * the page-cache pages it writes into. On this VM fresh memory is slow (the host backs a
 * guest page on first touch: 0.5-1.5 GB/s), so while the writer is fast (over 64 MB/s)
 * MADV_POPULATE_READ allocates those pages here, on the other core, up to 32 MiB ahead:
 * without it sustained 1 KiB sends fell from ~450k to 200-300k msgs/s after the first
 * gigabyte. While the writer is slow it does not: the population holds a core in the
 * kernel for up to milliseconds, and a woken client or consumer thread waits for it (e2e
 * p99 at 10k msgs/s 156 µs without, 387 µs with; BENCHMARKS.md, 2026-11-25 evening).
 *
 * SYNC_FLUSH: an fdatasync of data written into fallocate'd space also converts the
 * extents and commits the journal; into space already written and synced it is a plain
 * overwrite, measured here at 120 µs for 64 KiB instead of 265 µs. So the preparer writes
 * zeros (pwrite, through the file, not the mapping) and fdatasyncs them, in 1 MiB chunks,
 * 8–32 MiB ahead of the writer (RocketMQ's warmMappedFile, off the writer's thread); where
 * fresh memory is slow it allocates a chunk's pages before taking the inode lock (zero_chunk).
 * Writing, even zeros over zeros, must never overlap the writer: the preparer announces
 * the chunk it is about to write (zero_claim) and the writer announces how far it is
 * about to write (cl_reserve), both seq_cst, each checking the other's after its own
 * store (Dekker): the preparer abandons a chunk the writer reached, the writer waits for
 * a chunk in progress it would enter (rare: the preparer keeps 8 MiB of margin).
 */
#include "store/store_int.h"

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/os.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PREP_AHEAD (32 << 20)   /* keep this much ready past the append position */
#define PREP_LOW (16 << 20)     /* and ask for more when less than this is left */
#define ZERO_MARGIN (8 << 20)   /* never start zeroing closer than this to the writer */
#define ZERO_CHUNK (1 << 20)
/* a plain pwrite of zeros over a chunk slower than this: fresh memory is slow (~2.5 ms here,
 * ~0.2 ms on memory the guest has backed) */
#define COLD_ZEROING_US 1000
#define COLD_RECHECK 32
/* populate this much per madvise: the call holds the process's memory-map lock, and a
 * writer thread that needs it (malloc growing the heap with brk) waits meanwhile; 16 MiB
 * at once stalled the broker's loop for up to 36 ms on this VM */
#define POPULATE_CHUNK (256 << 10)
#define FAST_WRITER_BYTES_PER_SEC (64 << 20)
#define RATE_WINDOW_US 100000
#define NO_CLAIM INT64_MAX

static bool holds(const struct rmq_mfile *f, int64_t off)
{
    return off >= f->start && off < f->start + (int64_t)f->size;
}

/* The segment holding off, with a reference, or NULL. Past the last segment, the next one
 * is made here (the spare, see commitlog.h) so that the loop thread's roll only adopts it. */
static struct rmq_mfile *segment_at(struct rmq_store *s, int64_t off)
{
    struct rmq_mfile *f = NULL;
    pthread_mutex_lock(&s->cl.mq.lock);
    for (int i = s->cl.mq.nfiles; i-- > 0 && !f;) {
        struct rmq_mfile *c = s->cl.mq.files[i];
        if (holds(c, off)) {
            f = c;
            rmq_mfile_ref(f);
        }
    }
    pthread_mutex_unlock(&s->cl.mq.lock);
    if (f || !s->o.make_segments_ahead)
        return f;
    char err[RMQ_ERRLEN] = "";
    f = rmq_cl_make_spare(&s->cl, err);
    if (!f && err[0] && !atomic_load(&s->cl.rolling))
        rmq_debug("store: cannot make the next commitlog segment ahead: %s", err);
    if (f && !holds(f, off)) {   /* further ahead than one segment: later */
        rmq_mfile_unref(f);
        f = NULL;
    }
    return f;
}

/* The next commitlog segment, half a segment before the writer needs it: made only when
 * the prepared run reached the segment's end (32 MiB ahead), it was sometimes not ready
 * when the writer rolled at 2 GB/s, and the roll waited up to 0.3 s. */
static void make_cl_spare(struct rmq_store *s)
{
    char err[RMQ_ERRLEN] = "";
    struct rmq_mfile *f = rmq_cl_make_spare(&s->cl, err);
    if (f)
        rmq_mfile_unref(f);
    else if (err[0])
        rmq_debug("store: cannot make the next commitlog segment ahead: %s", err);
}

static void give_up(struct rmq_store *s, const char *what)
{
    rmq_debug("store: cannot prepare the commitlog ahead (%s: %s); writers go without",
              what, strerror(errno));
    s->prep_broken = true;
}

/* Allocates the pages of [from, end) of f by read faults, in POPULATE_CHUNK pieces;
 * -1 (errno set) if the kernel refused. */
static int fault_in(struct rmq_mfile *f, int64_t from, int64_t end)
{
    for (int64_t at = (from - f->start) & ~(int64_t)4095; at < end - f->start; at += POPULATE_CHUNK) {
        int64_t len = end - f->start - at;
        if (madvise(f->base + at, (size_t)(len < POPULATE_CHUNK ? len : POPULATE_CHUNK),
                    MADV_POPULATE_READ) < 0 && errno != EINTR)
            return -1;
    }
    return 0;
}

/* ASYNC: populates [from, to) within one segment at most; returns where it got to. */
static int64_t populate(struct rmq_store *s, int64_t from, int64_t to)
{
    struct rmq_mfile *f = segment_at(s, from);
    if (!f)
        return from;   /* the next segment does not exist yet: asked again after the roll */
    int64_t end = f->start + (int64_t)f->size;
    if (to < end)
        end = to;
    if (end > from + POPULATE_CHUNK)
        end = from + POPULATE_CHUNK;
    if (fault_in(f, from, end) < 0)
        give_up(s, "madvise");
    rmq_mfile_unref(f);
    return end;
}

/* SYNC: writes and syncs zeros over one chunk from `from`, unless the writer is near;
 * returns where it got to (from when it had to stop). */
static int64_t zero_chunk(struct rmq_store *s, int64_t from, int64_t to)
{
    int64_t reserve = atomic_load(&s->cl_reserve);
    if (from < reserve + ZERO_MARGIN)
        from = reserve + ZERO_MARGIN;
    if (from >= to)
        return to;
    struct rmq_mfile *f = segment_at(s, from);
    if (!f)
        return from;
    int64_t end = f->start + (int64_t)f->size;
    if (end > from + ZERO_CHUNK)
        end = from + ZERO_CHUNK;
    /* The writer's pwrite waits for the inode lock that the pwrite below holds. Where
     * fresh memory is slow (see the top), allocating the chunk's pages under that lock took
     * 2.5 ms per MiB, and the broker's loop thread spun on the lock 38 % of its time; so
     * then the pages are allocated first by read faults, which fill them with zeros without
     * the lock (nor a claim: reading never disturbs the writer), and the pwrite only copies.
     * Where memory is warm the pwrite alone is faster (~0.2 ms: it makes large folios, which
     * the faults do not, and later writes and syncs of large folios cost less). Which case
     * this is, the last plain pwrite's time says; while cold, every COLD_RECHECK-th chunk
     * is written plainly again to see whether memory has become warm. */
    bool populate_first = s->zero_cold && ++s->zero_cold_chunks % COLD_RECHECK != 0;
    if (populate_first)
        (void)fault_in(f, from, end);   /* if refused, the pwrite does the same work */
    atomic_store(&s->zero_claim, from);
    if (atomic_load(&s->cl_reserve) > from) {   /* the writer got here first */
        atomic_store(&s->zero_claim, NO_CLAIM);
        rmq_mfile_unref(f);
        return from;
    }
    static const uint8_t zeros[ZERO_CHUNK];
    int64_t t0 = rmq_mono_us();
    if (rmq_os_pwrite(f->fd, zeros, (size_t)(end - from), (off_t)(from - f->start)) < 0) {
        give_up(s, "pwrite");
    } else {
        if (!populate_first)
            s->zero_cold = rmq_mono_us() - t0 > COLD_ZEROING_US;
        if (rmq_os_fdatasync(f->fd) < 0)
            give_up(s, "fdatasync");
    }
    atomic_store(&s->zero_claim, NO_CLAIM);
    rmq_mfile_unref(f);
    return end;
}

void rmq_preparer_fence(void *arg, int64_t end)
{
    struct rmq_store *s = arg;
    atomic_store(&s->cl_reserve, end);
    while (atomic_load(&s->zero_claim) < end)
        sched_yield();   /* a 1 MiB chunk in progress: about a millisecond */
}

static void *preparer_main(void *arg)
{
    struct rmq_store *s = arg;
    int64_t done = 0;
    pthread_setname_np(pthread_self(), "rmq-preparer");   /* for top -H, ps -L, perf */
    /* Background work: the loop thread must never wait for a CPU this thread holds. Kernel
     * work here (page population, zeros, fallocate) has no preemption point for a whole
     * scheduler slice on PREEMPT_NONE kernels: a woken loop thread waited up to 15 ms
     * on this 2-core VM. At nice 19 a woken normal thread runs at once; not SCHED_IDLE,
     * which can starve this thread while the loop thread waits for a spare it is making. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
        rmq_debug("store: cannot lower the preparer's priority: %s", strerror(errno));
    pthread_mutex_lock(&s->prep_lock);
    while (!s->prep_stop) {
        if ((s->prep_want <= done && !s->prep_files) || s->prep_broken) {
            pthread_cond_wait(&s->prep_cond, &s->prep_lock);
            continue;
        }
        int64_t want = s->prep_want;
        s->prep_files = false;
        pthread_mutex_unlock(&s->prep_lock);
        if (s->index && s->o.make_segments_ahead) {
            int rc = rmq_index_make_spare(s->index);
            if (rc < 0)
                rmq_debug("store: cannot make the next index file ahead: %s", rmq_strerror(rc));
        }
        if (s->o.make_segments_ahead && rmq_cl_spare_due(&s->cl))
            make_cl_spare(s);
        int64_t written = atomic_load(&s->cl.written);
        if (done < written)
            done = written;   /* never behind the writer: that work is done already */
        while (done < want && !s->prep_broken && !s->prep_stop) {
            int64_t next = s->o.sync_flush ? zero_chunk(s, done, want) : populate(s, done, want);
            if (next == done)
                break;
            done = next;
        }
        pthread_mutex_lock(&s->prep_lock);
        if (done < want && s->prep_want == want)
            s->prep_want = done;   /* could not get there yet: wait to be asked again */
    }
    pthread_mutex_unlock(&s->prep_lock);
    return NULL;
}

/* Loop thread: whether the writer appended over FAST_WRITER_BYTES_PER_SEC in the last
 * window of at least RATE_WINDOW_US (see the top). */
static bool writer_is_fast(struct rmq_store *s)
{
    int64_t now = rmq_mono_us();
    if (now - s->rate_since_us >= RATE_WINDOW_US) {
        s->writer_fast = (s->cl.wrote - s->rate_from) * 1000000 / (now - s->rate_since_us) >=
                         FAST_WRITER_BYTES_PER_SEC;
        s->rate_since_us = now;
        s->rate_from = s->cl.wrote;
    }
    return s->writer_fast;
}

void rmq_preparer_kick(struct rmq_store *s)
{
    if (s->prep_broken)
        return;
    /* ask again while the writer is in the last segment's second half and its successor
     * is not made yet */
    bool spare = s->o.make_segments_ahead && rmq_cl_spare_due(&s->cl);
    bool ix_spare = s->o.make_segments_ahead && s->index && rmq_index_needs_spare(s->index);
    bool ahead = (s->o.sync_flush || writer_is_fast(s)) && s->cl.wrote + PREP_LOW > s->prep_asked;
    if (!ahead && !spare && !ix_spare)
        return;
    if (ahead)
        s->prep_asked = s->cl.wrote + PREP_AHEAD;
    pthread_mutex_lock(&s->prep_lock);
    s->prep_want = s->prep_asked;
    s->prep_files |= ix_spare || spare;
    pthread_cond_signal(&s->prep_cond);
    pthread_mutex_unlock(&s->prep_lock);
}

int rmq_preparer_start(struct rmq_store *s, char *err)
{
    pthread_mutex_init(&s->prep_lock, NULL);
    pthread_cond_init(&s->prep_cond, NULL);
    /* make the files the first writes need (on an empty store the first segment and index
     * file) at once, but prepare pages only once writing starts (the first commit kicks):
     * an idle broker keeps a small resident set */
    s->prep_asked = s->prep_want = s->cl.wrote;
    s->prep_files = true;
    atomic_store(&s->zero_claim, NO_CLAIM);
    atomic_store(&s->cl_reserve, s->cl.wrote);
    if (s->o.sync_flush) {
        s->cl.before_write = rmq_preparer_fence;
        s->cl.hook_arg = s;
    }
    int rc = pthread_create(&s->preparer, NULL, preparer_main, s);
    if (rc)
        return rmq_seterr(err, -rc, "cannot start the preparer thread: %s", strerror(rc));
    s->preparer_running = true;
    return 0;
}

void rmq_preparer_stop(struct rmq_store *s)
{
    if (!s->preparer_running)
        return;
    pthread_mutex_lock(&s->prep_lock);
    s->prep_stop = true;
    pthread_cond_signal(&s->prep_cond);
    pthread_mutex_unlock(&s->prep_lock);
    pthread_join(s->preparer, NULL);
    s->preparer_running = false;
    s->cl.before_write = NULL;
    pthread_mutex_destroy(&s->prep_lock);
    pthread_cond_destroy(&s->prep_cond);
}
