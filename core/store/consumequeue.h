/*
 * consumequeue.h — one topic/queue's consume queue (PROTOCOL §6.3): 20-byte entries
 * {commitlog offset (8), record size (4), tag hash (8)}, the entry for queue offset n at
 * byte n*20 of the queue's logical space, in segments of `file_size` bytes named by their
 * first byte's logical offset.
 *
 * Entries are written only by the loop thread (dispatch), in queue-offset order, and only
 * for records the store has made visible (DESIGN §3): max_offset is what consumers see.
 * Blank entries (offset 0, size 0x7FFFFFFF) fill holes, as RocketMQ's fillPreBlank does.
 */
#ifndef RMQ_STORE_CONSUMEQUEUE_H
#define RMQ_STORE_CONSUMEQUEUE_H

#include "proto/msg.h"
#include "store/mfile.h"

#define RMQ_CQ_UNIT 20
#define RMQ_CQ_BLANK_SIZE 0x7FFFFFFF

struct rmq_cq_entry {
    int64_t phys;
    int32_t size;
    int64_t tag;
};

struct rmq_cq {
    char topic[RMQ_MAX_TOPIC_LEN + 1];
    int32_t queue_id;
    struct rmq_mqueue mq;
    int64_t min_offset;     /* first entry still present (retention moves it) */
    int64_t max_offset;     /* next queue offset to be written = entries visible */
    int64_t next_assign;    /* next queue offset the store hands out (>= max_offset) */
    int64_t covered;        /* commitlog end (phys + size) of the last real entry, -1 none */
    struct rmq_cq *next;    /* store's hash chain */
};

/* Loads (or creates) the queue in dir. Entries past the first empty slot are treated as
 * the end; an entry whose record would end past log_end is dropped with everything after
 * it (the log was truncated under it). */
int rmq_cq_open(struct rmq_cq *cq, const char *dir, const char *topic, int32_t queue_id,
                size_t file_size, int64_t log_end, char *err);
void rmq_cq_close(struct rmq_cq *cq);

/* Writes the entry for queue offset qoff. Writing an entry that is already there with the
 * same content is a no-op (re-dispatch after recovery); a different one replaces it and
 * drops everything after it; a hole before qoff is filled with blanks. The segment written
 * is noted in dirty. 0 or a negative error with err. */
int rmq_cq_put(struct rmq_cq *cq, int64_t qoff, const struct rmq_cq_entry *e,
               struct rmq_dirty *dirty, char *err);

/* Entry at qoff: 0, or RMQ_ENOTFOUND outside [min_offset, max_offset). */
int rmq_cq_get(const struct rmq_cq *cq, int64_t qoff, struct rmq_cq_entry *e);

/* Drops entries from qoff on. */
int rmq_cq_truncate(struct rmq_cq *cq, int64_t qoff, char *err);

/* Retention: deletes leading segments whose entries all point below min_phys (never the
 * last segment) and moves min_offset to the first entry at or above min_phys. Returns the
 * number of segments deleted. */
int rmq_cq_delete_before(struct rmq_cq *cq, int64_t min_phys);

/* Directory of a queue: <cq_root>/<topic>/<queue_id>. */
void rmq_cq_dir(char *out, size_t n, const char *cq_root, const char *topic, int32_t queue_id);

#endif
