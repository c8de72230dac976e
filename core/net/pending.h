/*
 * pending.h — the client's table of requests waiting for a response (not for other modules).
 *
 * Keyed by opaque (responses come back in any order) and ordered by deadline, so that one
 * timer set to the nearest deadline serves every request. Inside: a pool of entries, an
 * open-addressing opaque → pool index map (each slot holds the opaque and index + 1, 0
 * empty, so probes stay in the map; linear probing with backward-shift deletion, at most
 * half full) and a doubly linked list of the entries in (deadline, seq) order. A client's
 * requests mostly share one timeout, so a new deadline is nearly always the latest: the
 * list is searched backwards from its tail (O(1) then; O(entries with a later deadline) in
 * general), and take and min are O(1). Replies mostly come back in order, where a binary
 * heap paid a full sift-down per take (a third of `rmq bench produce`'s CPU at 1 M msgs/s).
 * Nothing is allocated per request once the pool has grown. Allocation failure is fatal.
 * Not thread-safe.
 */
#ifndef RMQ_NET_PENDING_H
#define RMQ_NET_PENDING_H

#include "net/client.h"

#include <stdbool.h>
#include <stdint.h>

/* A pending request. Free pool entries chain through next. */
struct rmq_pend {
    int32_t opaque;
    uint32_t prev, next;       /* pool indexes in deadline order (UINT32_MAX: none) */
    double deadline;           /* ev_now() time */
    uint64_t seq;              /* ties between equal deadlines: oldest first */
    int64_t timeout_ms;
    rmq_reply_fn cb;
    void *ctx;
};

struct rmq_pslot {
    int32_t opaque;
    uint32_t idx1;             /* pool index + 1; 0: empty slot */
};

struct rmq_ptable {
    struct rmq_pend *v;
    uint32_t nv, capv, free_head, count;
    struct rmq_pslot *slot;
    uint32_t scap;
    uint32_t head, tail;       /* nearest and latest deadline */
};

/* An empty table (a zeroed struct is NOT one: use this). */
void rmq_ptable_init(struct rmq_ptable *t);
bool rmq_ptable_has(const struct rmq_ptable *t, int32_t opaque);
/* Adds opaque and returns its entry, with opaque, deadline and seq set and the rest zero,
 * for the caller to fill in; valid until the next add or take. NULL when opaque is
 * already present (nothing changed). */
struct rmq_pend *rmq_ptable_add(struct rmq_ptable *t, int32_t opaque, double deadline,
                                uint64_t seq);
/* Removes opaque; copies its entry to *out (may be NULL). false when absent. */
bool rmq_ptable_take(struct rmq_ptable *t, int32_t opaque, struct rmq_pend *out);
/* The entry with the nearest deadline, or NULL when empty. */
const struct rmq_pend *rmq_ptable_min(const struct rmq_ptable *t);
static inline uint32_t rmq_ptable_count(const struct rmq_ptable *t) { return t->count; }
/* Frees the memory and leaves an empty table. */
void rmq_ptable_free(struct rmq_ptable *t);

#endif
