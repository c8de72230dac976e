/*
 * mfile.h — preallocated, memory-mapped segment files and ordered runs of them.
 *
 * A segment (struct rmq_mfile) is a fixed-size file named by the 20-digit logical offset of
 * its first byte (RocketMQ's naming), preallocated with fallocate so that writes through
 * the mapping can never hit ENOSPC (no SIGBUS on a full disk), and mapped shared.
 * Segments are reference counted: the loop thread owns one reference through its queue;
 * the flush thread takes a reference while it syncs, so a segment deleted by retention or
 * truncation meanwhile is unmapped and unlinked only when the last user lets go.
 *
 * A run (struct rmq_mqueue) is the directory of segments of one commitlog or consume
 * queue, contiguous in logical offsets. Only the loop thread changes it; the flush thread
 * reads its segment list under `lock` (rmq_mq_sync_range).
 */
#ifndef RMQ_STORE_MFILE_H
#define RMQ_STORE_MFILE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmq_mfile {
    int64_t start;          /* logical offset of byte 0 (the file's name) */
    size_t size;            /* fixed file size */
    int fd;
    uint8_t *base;          /* the mapping, size bytes */
    _Atomic int refs;
    _Atomic int dirty;      /* written since the last sync (see rmq_mfile_mark_dirty) */
    _Atomic bool dir_pending;   /* created without syncing its directory: the next
                                 * rmq_dirty_sync of this file syncs the directory too */
    bool unlink_on_close;
    char path[PATH_MAX];
};

/* Opens (create=false) or creates (create=true: fails if it exists) the segment at path,
 * sized and preallocated to size bytes, mapped. An existing file shorter than size is
 * extended (with zeros) and *was_short set, when was_short is non-NULL; a longer one is
 * refused. A created file's directory is synced before returning (a few ms on this disk),
 * unless create_dir_later: then dir_pending is set and the flusher does it.
 * Returns NULL with *rc (may be NULL) and err set (RMQ_ERRLEN) on failure.
 * The caller holds one reference. Any thread (no shared state). */
struct rmq_mfile *rmq_mfile_open(const char *path, int64_t start, size_t size, bool create,
                                 bool *was_short, int *rc, char *err);
struct rmq_mfile *rmq_mfile_create(const char *path, int64_t start, size_t size,
                                   bool create_dir_later, int *rc, char *err);
void rmq_mfile_ref(struct rmq_mfile *f);
/* Faults on f bring in single pages (MADV_RANDOM), not a readahead window of large folios.
 * On this VM (read_ahead_kb 8192, ext4 large folios, kernel 6.18) a fault into fresh file
 * space allocates and zeroes up to 8 MiB of 2 MiB folios with no preemption point: up to
 * 20 ms on the faulting thread, and on any thread woken onto that core. Worth it for small,
 * scattered writers (consume queues, the index); not for the commitlog: order-0 page cache
 * made its writeback ~40x costlier (a TLB shootdown per page) and cost 27-35 % of produce
 * and consume throughput in A/B runs (BENCHMARKS.md, 2026-11-25). */
void rmq_mfile_advise_small_faults(struct rmq_mfile *f);
/* Drops a reference; the last one unmaps, closes and (if marked) unlinks. */
void rmq_mfile_unref(struct rmq_mfile *f);
/* fdatasync the segment; 0 or -errno. */
int rmq_mfile_sync(struct rmq_mfile *f);
/* Called after writing into f: returns true when f just became dirty, i.e. the caller
 * must hand it to whoever syncs it (the write happens before the flag, see store/flush.c). */
static inline bool rmq_mfile_mark_dirty(struct rmq_mfile *f)
{
    return atomic_exchange(&f->dirty, 1) == 0;
}

struct rmq_mqueue {
    char dir[PATH_MAX];
    size_t file_size;
    bool durable_create;        /* sync each new segment's size (not for rebuildable runs) */
    bool small_faults;          /* new segments get rmq_mfile_advise_small_faults */
    pthread_mutex_t lock;       /* guards files/nfiles against the flush thread */
    struct rmq_mfile **files;   /* ascending start offsets, contiguous */
    int nfiles, cap;
};

/* What rmq_mq_open found out of the ordinary. */
struct rmq_mq_damage {
    int64_t short_start;   /* first segment that was shorter than file_size (-1: none) */
    int64_t gap_start;     /* first missing segment between two present ones (-1: none) */
    int nignored;          /* files with names that are not 20 digits, or misaligned */
};

/* Loads the segments in dir (created if missing). Files not named by 20 digits are ignored
 * and counted. Refused without touching anything (RMQ_ECONFIG, RMQ_ECORRUPT): a segment
 * name that is not a multiple of file_size or a segment longer than it (the store was
 * written with another segment size), and, unless rebuildable, a short segment followed by
 * segments holding data. A short segment with only empty ones after it (what a power cut
 * leaves) is extended (dmg->short_start). On a gap in the run,
 * the segments after the gap are set aside as *.corrupt when rebuildable (the caller
 * rebuilds what they held), else the open fails with RMQ_ECORRUPT. */
int rmq_mq_open(struct rmq_mqueue *mq, const char *dir, size_t file_size, bool rebuildable,
                struct rmq_mq_damage *dmg, char *err);
void rmq_mq_close(struct rmq_mqueue *mq);

static inline struct rmq_mfile *rmq_mq_last(const struct rmq_mqueue *mq)
{
    return mq->nfiles ? mq->files[mq->nfiles - 1] : NULL;
}
static inline int64_t rmq_mq_min_offset(const struct rmq_mqueue *mq)
{
    return mq->nfiles ? mq->files[0]->start : -1;
}
/* End of the last segment's logical range (0 when empty). */
static inline int64_t rmq_mq_limit(const struct rmq_mqueue *mq)
{
    struct rmq_mfile *f = rmq_mq_last(mq);
    return f ? f->start + (int64_t)f->size : 0;
}
/* The segment holding logical offset off, or NULL. Loop thread only (no lock). */
struct rmq_mfile *rmq_mq_find(const struct rmq_mqueue *mq, int64_t off);
/* Creates the segment starting at start (must be the current limit, or any aligned start
 * when the run is empty). Returns it, or NULL with err set (-errno in *rc). Blocking file
 * work (create, fallocate, sync): rmq_mq_make + rmq_mq_adopt split it so that another
 * thread can do the first part ahead of time. */
struct rmq_mfile *rmq_mq_add(struct rmq_mqueue *mq, int64_t start, int *rc, char *err);
/* The blocking part of rmq_mq_add: creates, preallocates, maps (and for durable runs
 * syncs) the segment file for start in mq's directory, without adding it to mq. Reads
 * only mq's directory, size and durability, which never change: any thread. */
struct rmq_mfile *rmq_mq_make(const struct rmq_mqueue *mq, int64_t start, int *rc, char *err);
/* Appends f (made by rmq_mq_make, f->start == the current limit) to the run, taking over
 * the caller's reference. Loop thread. 0 or -ENOMEM (f untouched then). */
int rmq_mq_adopt(struct rmq_mqueue *mq, struct rmq_mfile *f);
/* Everything from off on is gone: later segments deleted, the rest of the segment holding
 * off zeroed (so stale records can never reappear). 0 or negative error. */
int rmq_mq_truncate(struct rmq_mqueue *mq, int64_t off, char *err);
/* Deletes the first segment (retention). */
void rmq_mq_delete_first(struct rmq_mqueue *mq);
/* Syncs the segments overlapping [from, to). Thread-safe. 0 or -errno. */
int rmq_mq_sync_range(struct rmq_mqueue *mq, int64_t from, int64_t to);

/* "%020lld" of off into out (21 bytes). */
void rmq_offset_name(char *out, int64_t off);

/*
 * A list of segments written since their last sync, handed from the loop thread (writer)
 * to the flush thread. Ordering that makes it safe: the writer writes into the segment
 * first and then sets the segment's dirty flag (atomic exchange); the syncer clears the flag
 * first and then syncs. Either the syncer's sync sees the write, or the writer saw the flag
 * cleared and queued the segment again.
 */
struct rmq_dirty {
    pthread_mutex_t lock;
    struct rmq_mfile **v;
    int n, cap;
};

void rmq_dirty_init(struct rmq_dirty *d);
/* After writing into f (loop thread). */
void rmq_dirty_note(struct rmq_dirty *d, struct rmq_mfile *f);
/* Syncs every segment queued so far (flush thread); 0 or the first -errno (segments that
 * failed are queued again). */
int rmq_dirty_sync(struct rmq_dirty *d);
void rmq_dirty_destroy(struct rmq_dirty *d);

#endif
