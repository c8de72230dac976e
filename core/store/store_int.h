/*
 * store_int.h — the store's state, shared by store.c (API), recover.c, flush.c,
 * dispatch.c and retention.c. Not for use outside core/store/.
 */
#ifndef RMQ_STORE_INT_H
#define RMQ_STORE_INT_H

#include "store/checkpoint.h"
#include "store/commitlog.h"
#include "store/consumequeue.h"
#include "store/index.h"
#include "store/store.h"

#include <limits.h>
#include <pthread.h>

struct rmq_store {
    struct rmq_store_opts o;
    char root[PATH_MAX], cl_dir[PATH_MAX], cq_dir[PATH_MAX], index_dir[PATH_MAX];
    char checkpoint_path[PATH_MAX], abort_path[PATH_MAX], delete_when[64];
    int lock_fd, checkpoint_fd;

    struct rmq_commitlog cl;
    struct rmq_index *index;

    /* consume queues by (topic, queue id): chained hash, loop thread only */
    struct rmq_cq **buckets;
    size_t nbuckets, nqueues;
    /* direct-mapped cache by queue id: a producer's messages go round the queues of one
     * topic, and a put and its dispatch each look their queue up */
    struct rmq_cq *cq_cache[16];

    /* dispatch: records below `dispatched` have their queue and index entries */
    int64_t dispatched;
    int64_t entries_total;           /* entries present: sum of (max - min offset) over queues;
                                      * fewer at start than the checkpoint says = lost files */
    bool recovering;                 /* in rmq_store_recover: dispatch may rebuild queues */
    int64_t last_store_ts;
    int64_t batch_ts;                /* store time of this commit's puts; 0: not read yet */
    bool gap_seen;                   /* dispatch met a queue offset past a queue's end */
    /* what the flusher may write into the checkpoint, published together */
    pthread_mutex_t mark_lock;
    int64_t mark_dispatched, mark_entries, mark_store_ts;

    struct rmq_dirty dirty;          /* consume-queue segments to sync */

    /* the flusher */
    pthread_t flusher;
    bool flusher_running;
    pthread_mutex_t flush_lock;
    pthread_cond_t flush_cond;
    bool stop, kick;
    _Atomic int io_error;            /* last sync error, 0 once a sync succeeds again */
    _Atomic int disk_full;           /* set by retention from disk usage */

    /* the preparer (prepare.c): files and pages ahead of the writer */
    pthread_t preparer;
    bool preparer_running;
    pthread_mutex_t prep_lock;
    pthread_cond_t prep_cond;
    bool prep_stop;
    _Atomic bool prep_broken;        /* populating or zeroing failed: stop trying */
    int64_t prep_want;               /* under prep_lock: prepare up to here */
    bool prep_files;                 /* under prep_lock: check for files to make ahead */
    int64_t prep_asked;              /* loop thread: what it last asked for */
    int64_t rate_since_us, rate_from;    /* loop thread: the append rate's window */
    bool writer_fast;                /* loop thread: that rate was over the threshold */
    _Atomic int64_t zero_claim;      /* SYNC: start of the chunk being zeroed, or INT64_MAX */
    _Atomic int64_t cl_reserve;      /* SYNC: the writer will write below this */
    _Atomic bool zero_cold;          /* preparer, SYNC: fresh memory is slow, populate first */
    unsigned zero_cold_chunks;       /* preparer, SYNC: chunks zeroed while cold */

    struct rmq_store_stats stats;
};

/* recover.c */
int rmq_store_recover(struct rmq_store *s, char *err);
/* dispatch.c */
int rmq_store_dispatch_range(struct rmq_store *s, int64_t from, int64_t to, char *err);
/* Dispatches up to `to` and publishes the marks (rmq_store_dispatch with its bound). */
int rmq_store_dispatch_to(struct rmq_store *s, int64_t to);
void rmq_store_publish_marks(struct rmq_store *s);
/* store.c */
struct rmq_cq *rmq_store_cq_get(struct rmq_store *s, const char *topic, size_t tlen, int32_t qid,
                                bool create, char *err);
/* prepare.c */
int rmq_preparer_start(struct rmq_store *s, char *err);
void rmq_preparer_stop(struct rmq_store *s);
/* Loop thread, after appends: asks for more pages when the prepared run gets short. */
void rmq_preparer_kick(struct rmq_store *s);
/* The commitlog's before_write hook under SYNC_FLUSH (see prepare.c). */
void rmq_preparer_fence(void *arg, int64_t end);
/* flush.c */
int rmq_flusher_start(struct rmq_store *s, char *err);
void rmq_flusher_stop(struct rmq_store *s);
/* Flushes the commitlog, queues and index and writes the checkpoint (flusher thread, or
 * the owner once the flusher has stopped). */
int rmq_store_checkpoint_now(struct rmq_store *s, bool clean);

#endif
