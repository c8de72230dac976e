/*
 * commitlog.h — the commit log: every message of every topic, appended in one run of
 * segments (PROTOCOL §6.2). Records never span segments: when one does not fit (with
 * RMQ_BLANK_MIN bytes to spare) the rest of the segment gets a blank marker and the
 * record goes to the next segment.
 *
 * Offsets: `wrote` is where the loop thread appends next (private to it); `written` is
 * wrote as last published to other threads (rmq_cl_publish), `flushed` what the flush
 * thread has made durable. written >= flushed always; both only grow (except on recovery).
 */
#ifndef RMQ_STORE_COMMITLOG_H
#define RMQ_STORE_COMMITLOG_H

#include "proto/msg.h"
#include "store/mfile.h"

struct rmq_commitlog {
    struct rmq_mqueue mq;
    int64_t wrote;
    /* when set, called before anything is written below `end` (the preparer's fence) */
    void (*before_write)(void *arg, int64_t end);
    void *hook_arg;
    _Atomic int64_t written;
    _Atomic int64_t flushed;
    /* The next segment, made ahead by the preparer thread (rmq_cl_make_spare) so that a
     * roll does not create, preallocate and sync a 1 GiB file on the loop thread (RocketMQ's
     * AllocateMappedFileService). Handed over by pointer exchange. spare_busy (preparer:
     * making one) and rolling (loop thread: in a roll) are announced seq_cst and each checks
     * the other's after its own store, so the two never create the same file. */
    _Atomic(struct rmq_mfile *) spare;
    _Atomic int spare_busy, rolling;
};

int rmq_cl_open(struct rmq_commitlog *cl, const char *dir, size_t file_size,
                struct rmq_mq_damage *dmg, char *err);
/* Releases the segments. A spare still unused stays on disk (as after a crash: recovery
 * handles an all-zero trailing segment) unless rmq_cl_drop_spare ran first. */
void rmq_cl_close(struct rmq_commitlog *cl);
/* Preparer thread: makes the segment after the last one (or the first) if no spare is
 * waiting and the loop thread is not rolling. Returns the spare with a reference for the
 * caller (to populate it), or NULL. */
struct rmq_mfile *rmq_cl_make_spare(struct rmq_commitlog *cl, char *err);
/* Clean shutdown, preparer stopped: deletes an unused spare. */
void rmq_cl_drop_spare(struct rmq_commitlog *cl);

/* Appends one record with the given queue offset and store time. On success *phys and
 * *size say where it went (not yet visible to other threads: see rmq_cl_publish).
 * RMQ_ETOOBIG when the record cannot fit a segment; -ENOSPC/-EIO (and err) when the next
 * segment cannot be created, in which case nothing was written. */
int rmq_cl_append(struct rmq_commitlog *cl, const struct rmq_msg_in *in, int64_t queue_offset,
                  int64_t store_ts, int64_t *phys, size_t *size, char *err);

/* Makes everything appended so far visible to the flush thread (release store). */
static inline void rmq_cl_publish(struct rmq_commitlog *cl)
{
    atomic_store_explicit(&cl->written, cl->wrote, memory_order_release);
}

/* Pointer to the bytes at off and how many are readable up to the end of its segment
 * (clamped to what has been appended), or NULL when off is not in the log. Valid until
 * the segment is deleted (retention or truncation, both on the loop thread). */
const uint8_t *rmq_cl_at(const struct rmq_commitlog *cl, int64_t off, size_t *avail);

/* Reads the record at off into m (checking CRCs when check). Returns its size, 0 for a
 * blank marker, or a negative code with err set. */
int rmq_cl_read(const struct rmq_commitlog *cl, int64_t off, struct rmq_msg *m, int check, char *err);

/* Called for each valid record found by rmq_cl_scan; a non-zero return stops the scan. */
typedef int (*rmq_cl_visit)(void *arg, const struct rmq_msg *m);

/* Walks records from `from` (a record boundary) checking magic, size, body CRC, record CRC
 * and that each record's PHYSICALOFFSET equals its position, through blank markers into
 * later segments, until the first byte that is not a valid record. Returns the offset
 * where valid data ends; `why` (RMQ_ERRLEN) says why the walk stopped ("" for a clean end:
 * zeros or the end of the last segment). Does not modify anything. */
int64_t rmq_cl_scan(const struct rmq_commitlog *cl, int64_t from, rmq_cl_visit visit, void *arg,
                    char *why);

/* Sets the append position to off after recovery: later segments deleted, bytes after
 * off zeroed, written/flushed = off. */
int rmq_cl_truncate(struct rmq_commitlog *cl, int64_t off, char *err);

#endif
