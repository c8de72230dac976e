/*
 * commitlog.h — the commit log: every message of every topic, appended in one run of
 * segments (PROTOCOL §6.2). Records never span segments: when one does not fit (with
 * RMQ_BLANK_MIN bytes to spare) the rest of the segment gets a blank marker and the
 * record goes to the next segment.
 *
 * Offsets: `wrote` is where the loop thread appends next (private to it); `written` is
 * wrote as last published to other threads (rmq_cl_publish), `flushed` what the flush
 * thread has made durable. written >= flushed always; both only grow (except on recovery).
 *
 * Appends are staged (RocketMQ's transientStorePoolEnable, always on): records are encoded
 * into a private buffer and reach the file with one pwrite per commit (rmq_cl_publish).
 * Stores through the shared mapping cost a write-protect fault per fresh page (ext4's
 * page_mkwrite) and, each time writeback cleans those pages, a TLB shootdown that
 * interrupts the writer; pwrite dirties the page cache without either. The mapping stays
 * for reading. A record larger than the buffer is written through the mapping.
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
    /* the staging buffer: bytes [stage_at, stage_at + stage_len) of stage_file, not yet
     * in the file; stage_at + stage_len == wrote whenever stage_len > 0 */
    uint8_t *stage;
    size_t stage_len;
    int64_t stage_at;
    struct rmq_mfile *stage_file;
    bool stage_failed;   /* a pwrite failed: warned once, the mapping took the bytes */
};

#define RMQ_CL_STAGE_SIZE (1 << 20)

int rmq_cl_open(struct rmq_commitlog *cl, const char *dir, size_t file_size,
                struct rmq_mq_damage *dmg, char *err);
/* Releases the segments. A spare still unused stays on disk (as after a crash: recovery
 * handles an all-zero trailing segment) unless rmq_cl_drop_spare ran first. */
void rmq_cl_close(struct rmq_commitlog *cl);
/* Preparer thread: makes the segment after the last one (or the first) if no spare is
 * waiting and the loop thread is not rolling. Returns the spare with a reference for the
 * caller, or NULL. */
struct rmq_mfile *rmq_cl_make_spare(struct rmq_commitlog *cl, char *err);
/* True when the next segment should be made now: none is waiting and the published end
 * is in the second half of the last segment (or there is no segment). Any thread. */
bool rmq_cl_spare_due(struct rmq_commitlog *cl);
/* Clean shutdown, preparer stopped: deletes an unused spare. */
void rmq_cl_drop_spare(struct rmq_commitlog *cl);

/* Appends one record with the given queue offset and store time. On success *phys and
 * *size say where it went (not yet visible to other threads: see rmq_cl_publish).
 * RMQ_ETOOBIG when the record cannot fit a segment; -ENOSPC/-EIO (and err) when the next
 * segment cannot be created, in which case nothing was written. */
int rmq_cl_append(struct rmq_commitlog *cl, const struct rmq_msg_in *in, int64_t queue_offset,
                  int64_t store_ts, int64_t *phys, size_t *size, char *err);

/* Writes the staged records into the file (loop thread). Cannot fail: when pwrite does,
 * the bytes are copied through the mapping instead (warned once). */
void rmq_cl_unstage(struct rmq_commitlog *cl);

/* Makes everything appended so far readable and visible to the flush thread (release
 * store of written, after the staged bytes are in the file). */
static inline void rmq_cl_publish(struct rmq_commitlog *cl)
{
    rmq_cl_unstage(cl);
    atomic_store_explicit(&cl->written, cl->wrote, memory_order_release);
}

/* Pointer to the bytes at off and how many are readable up to the end of its segment
 * (clamped to what has been appended and is in the file: staged records are not
 * readable until rmq_cl_publish), or NULL when off is not in the log. Valid until
 * the segment is deleted (retention or truncation, both on the loop thread). */
const uint8_t *rmq_cl_at(const struct rmq_commitlog *cl, int64_t off, size_t *avail);

/* rmq_cl_at that also sees the staged records (in the staging buffer, valid until the
 * next append or rmq_cl_unstage): for dispatch on the loop thread only, which reads what
 * it just appended from the buffer instead of faulting the fresh pages of the mapping. */
const uint8_t *rmq_cl_at_staged(const struct rmq_commitlog *cl, int64_t off, size_t *avail);

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
