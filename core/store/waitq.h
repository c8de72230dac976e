/*
 * waitq.h — "answer when offset X is safe": a FIFO of (commitlog end offset, cookie,
 * deadline) completed when a watermark passes it (DESIGN §2). One mechanism for every
 * acknowledgement rule: the flushed watermark (SYNC_FLUSH group commit), later the
 * replicated and committed ones. Offsets are pushed in increasing order (appends are
 * ordered) and deadlines too (one timeout per queue), so both completion and expiry only
 * ever look at the head. Loop thread only.
 */
#ifndef RMQ_STORE_WAITQ_H
#define RMQ_STORE_WAITQ_H

#include <stddef.h>
#include <stdint.h>

struct rmq_wait {
    int64_t offset;
    int64_t deadline_us;
    void *cookie;
};

struct rmq_waitq {
    struct rmq_wait *v;
    size_t head, len, cap;
};

/* status: 0 when the watermark passed the offset, RMQ_ETIMEOUT at the deadline. */
typedef void (*rmq_wait_done)(void *arg, void *cookie, int status);

void rmq_waitq_push(struct rmq_waitq *q, int64_t offset, int64_t deadline_us, void *cookie);
/* Completes every wait with offset <= watermark; returns how many. */
size_t rmq_waitq_complete(struct rmq_waitq *q, int64_t watermark, rmq_wait_done done, void *arg);
/* Fails every wait whose deadline is <= now_us; returns how many. */
size_t rmq_waitq_expire(struct rmq_waitq *q, int64_t now_us, rmq_wait_done done, void *arg);
static inline size_t rmq_waitq_len(const struct rmq_waitq *q) { return q->len; }
void rmq_waitq_free(struct rmq_waitq *q);

#endif
