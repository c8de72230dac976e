/*
 * store.h — the message store: commitlog, consume queues, index, checkpoint, flushing,
 * recovery and retention behind one handle. RocketMQ's layout (DESIGN §3, PROTOCOL §6),
 * so a store directory is interchangeable with Java tooling.
 *
 * Threads. Every function here is called from one thread, the owner (the broker's loop
 * thread, or a tool's main thread). The store runs one helper thread, the flusher, which
 * makes data durable and reports through opts.on_flushed (called on the flusher thread:
 * the broker turns it into an ev_async wake-up). The store never touches a socket.
 *
 * Writing. rmq_store_put() appends a record and returns where it went; nothing is visible
 * to consumers or to the flusher until rmq_store_commit(), which callers run once per
 * batch (per loop iteration), so one commit covers many messages: that is group commit.
 *
 * Acknowledgement and visibility (DESIGN §3):
 *   ASYNC_FLUSH — a put is acknowledged when committed (it is in the page cache: it survives
 *                 a kill -9 of the daemon, not a power cut); consume-queue entries are made
 *                 at commit.
 *   SYNC_FLUSH  — a put is acknowledged when rmq_store_flushed() >= its end offset (the
 *                 flusher fdatasync'd it); consume-queue entries are made only then, by
 *                 rmq_store_dispatch(), so consumers never see what a crash could undo.
 *
 * Recovery. rmq_store_open() validates the commitlog from the last safe point recorded
 * in the checkpoint (magic, size, body CRC, record CRC, position), truncates a torn or
 * corrupt tail, and rebuilds consume-queue and index entries past what they cover. After a
 * clean shutdown that reads almost nothing; after a crash it reads the unflushed tail.
 * rmq_store_stats() tells what it did.
 *
 * Errors: 0 or a negative code (-errno or RMQ_E*), detail in err[RMQ_ERRLEN].
 */
#ifndef RMQ_STORE_STORE_H
#define RMQ_STORE_STORE_H

#include "proto/msg.h"
#include "store/consumequeue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmq_store;

struct rmq_store_opts {
    const char *root;              /* storePathRootDir */
    const char *commitlog_dir;     /* storePathCommitLog; NULL: <root>/commitlog */
    const char *cq_dir;            /* NULL: <root>/consumequeue */
    const char *index_dir;         /* NULL: <root>/index */
    const char *checkpoint_path;   /* NULL: <root>/checkpoint */
    const char *abort_path;        /* NULL: <root>/abort */
    size_t cl_file_size;           /* mappedFileSizeCommitLog, 1 GiB */
    size_t cq_file_size;           /* mappedFileSizeConsumeQueue, 6,000,000 */
    uint32_t index_slots;          /* maxHashSlotNum, 5,000,000 */
    uint32_t index_max;            /* maxIndexNum, 20,000,000 */
    bool index_enable;             /* messageIndexEnable, true */
    bool sync_flush;               /* flushDiskType == SYNC_FLUSH */
    int flush_interval_ms;         /* flushIntervalCommitLog, 500 (ASYNC_FLUSH) */
    int flush_cq_interval_ms;      /* flushIntervalConsumeQueue, 1000 (also the checkpoint) */
    size_t max_message_size;       /* maxMessageSize, 4 MiB (body bytes) */
    bool record_crc;               /* write the __CRC32# whole-record CRC, true */
    bool make_segments_ahead;      /* the preparer thread makes the next commitlog segment
                                    * before the writer needs it, true (false: the writer
                                    * makes it when it rolls; tests of that path) */
    struct rmq_host store_host;    /* brokerIP1:listenPort, written into every record */
    /* retention */
    const char *delete_when;       /* deleteWhen, "04" (hours, ';'-separated) */
    int file_reserved_hours;       /* fileReservedTime, 72 */
    int disk_max_used_ratio;       /* diskMaxUsedSpaceRatio, 75 (%): clean expired files */
    int disk_clean_forcibly_ratio; /* diskSpaceCleanForciblyRatio, 85 (%): clean even unexpired */
    int disk_warning_ratio;        /* diskSpaceWarningLevelRatio, 90 (%): refuse writes */
    /* messageDelayLevel: level i+1 waits delay_level_ms[i]; a SCHEDULE_TOPIC_XXXX entry's
     * consume-queue tag code is its due time (store time + its level's delay), as in
     * RocketMQ, so the delivery service reads queues, not records */
    const int64_t *delay_level_ms;
    int delay_levels;
    /* called on the flusher thread after the flushed offset advanced */
    void (*on_flushed)(void *arg);
    void *cb_arg;
};

/* RocketMQ's defaults for a store under root. */
void rmq_store_opts_default(struct rmq_store_opts *o, const char *root);

/* Opens (creating) the store, recovers it and starts the flusher. Takes the store's
 * lock file: a second opener gets RMQ_ELOCKED. */
int rmq_store_open(struct rmq_store **out, const struct rmq_store_opts *o, char *err);
/* Clean shutdown: flushes everything, writes the checkpoint, removes the abort file. */
int rmq_store_close(struct rmq_store *s);
/* Releases memory and threads without the clean-shutdown steps, leaving the files as a
 * crash (kill -9) would (for tests and the recovery benchmark). */
void rmq_store_abandon(struct rmq_store *s);

struct rmq_put_result {
    int64_t phys;          /* commitlog offset of the record */
    int64_t queue_offset;
    int64_t store_ts;
    size_t size;
    int64_t end;           /* phys + size: wait for this offset to be flushed (SYNC_FLUSH) */
};

/* Appends one message (queue offset assigned from its topic/queue). Errors: RMQ_ETOOBIG
 * (body over max_message_size, record over a segment), RMQ_EINVAL (bad topic or queue id),
 * RMQ_EFULL (disk full, see rmq_store_writable), -EIO/-ENOSPC from the file system.
 * A failed put leaves nothing visible. The store timestamp is read once per commit: every
 * put between two commits (one loop iteration) gets the time of the first. */
int rmq_store_put(struct rmq_store *s, const struct rmq_msg_in *in, struct rmq_put_result *r,
                  char *err);
/* Publishes the puts so far: wakes the flusher (SYNC_FLUSH) or dispatches (ASYNC_FLUSH). */
void rmq_store_commit(struct rmq_store *s);
/* Makes consume-queue and index entries up to the visible watermark; returns the number of
 * records dispatched. The owner calls it after on_flushed (SYNC_FLUSH). */
int rmq_store_dispatch(struct rmq_store *s);

int64_t rmq_store_written(const struct rmq_store *s);  /* committed end of the log */
int64_t rmq_store_flushed(const struct rmq_store *s);  /* durable end of the log */
int64_t rmq_store_min_phys(const struct rmq_store *s); /* first byte still in the log */
/* 0 while writes are accepted, else why not (RMQ_EFULL for a full disk, -EIO after a
 * failed sync); set and cleared by the store itself. */
int rmq_store_writable(const struct rmq_store *s);

/* --- reading --- */
/* The queue, or NULL when it has never been written. */
const struct rmq_cq *rmq_store_queue(const struct rmq_store *s, const char *topic, int32_t qid);
/* The message at a queue offset (CRC not checked). RMQ_ENOTFOUND outside the queue. The
 * record's pointers stay valid until the owner next calls put/retention. */
int rmq_store_get(struct rmq_store *s, const char *topic, int32_t qid, int64_t qoff,
                  struct rmq_msg *m, char *err);
/* The stored bytes at a commitlog offset and how many are readable to the end of their
 * segment, or NULL; valid until the owner next runs put/retention. */
const uint8_t *rmq_store_raw(struct rmq_store *s, int64_t phys, size_t *avail);
/* As rmq_store_raw, and pins the segment holding phys: the returned bytes stay mapped and
 * unchanged until rmq_store_unpin(*pin), even if retention deletes the segment meanwhile
 * (its mapping and file go with the last pin). For sending records
 * straight from the mapping (net/conn.h rmq_conn_send_ref, with rmq_store_unpin as the
 * release function). Owner thread; rmq_store_unpin from any thread. */
const uint8_t *rmq_store_pin(struct rmq_store *s, int64_t phys, size_t *avail, void **pin);
void rmq_store_unpin(void *pin);
/* The record at a commitlog offset, with CRC checks when check. */
int rmq_store_read(struct rmq_store *s, int64_t phys, struct rmq_msg *m, int check, char *err);
/* First queue offset whose store time is >= ts_ms (max offset when none). */
int64_t rmq_store_offset_by_time(struct rmq_store *s, const char *topic, int32_t qid, int64_t ts_ms);
/* Commitlog offsets of messages of topic with key (KEYS token or UNIQ_KEY) stored in
 * [begin_ms, end_ms], newest first, verified against the records; returns the count. */
int rmq_store_query_key(struct rmq_store *s, const char *topic, const char *key,
                        int64_t begin_ms, int64_t end_ms, int max, int64_t *phys_out);
/* Calls fn for every consume queue, in no particular order. */
void rmq_store_foreach_queue(struct rmq_store *s, void (*fn)(void *arg, const struct rmq_cq *cq),
                             void *arg);
/* Deletes a topic's consume queues (its records age out of the log with retention). */
int rmq_store_delete_topic(struct rmq_store *s, const char *topic);

/* --- housekeeping --- */
/* Runs the retention policy at now_ms (call it every few seconds): deletes commitlog
 * segments older than file_reserved_hours at a deleteWhen hour or when the disk is over
 * disk_max_used_ratio, oldest first and more of them over the forcible ratio, never the
 * segment being written; consume queues and index follow. Also updates rmq_store_writable
 * from disk usage. Returns the number of commitlog segments deleted. */
int rmq_store_retention(struct rmq_store *s, int64_t now_ms);

struct rmq_store_stats {
    bool abnormal;             /* the abort file was present: the last run crashed */
    int64_t scan_from, scan_to;/* commitlog range validated at start */
    int64_t truncated_at;      /* -1, or where a damaged tail was cut */
    char truncate_reason[256];
    int64_t redispatched;      /* records whose queue/index entries were (re)made */
    bool full_rebuild;         /* the whole log was re-dispatched: no valid checkpoint, or
                                * consume queues were missing entries */
    int64_t recovery_us;
    int64_t syncs;             /* commitlog fdatasync calls so far */
    int64_t sync_us;           /* time spent in them */
    int64_t sync_errors;
};
const struct rmq_store_stats *rmq_store_stats(const struct rmq_store *s);

#endif
