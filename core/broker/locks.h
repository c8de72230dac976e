/*
 * locks.h — queue locks for orderly consumers (LOCK_BATCH_MQ 41 / UNLOCK_BATCH_MQ 42,
 * PROTOCOL §2.8, §3.9), as RocketMQ's RebalanceLockManager keeps them: a queue of a group
 * belongs to the first client that locks it until that client unlocks it or stops renewing
 * for RMQ_LOCK_MAX_LIVE_MS; then any member may take it. Loop thread only; not persisted
 * (after a broker restart clients simply lock again).
 */
#ifndef RMQ_BROKER_LOCKS_H
#define RMQ_BROKER_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_LOCK_MAX_LIVE_MS 60000   /* rocketmq.broker.rebalance.lockMaxLiveTime */
#define RMQ_LOCK_BUCKETS 4096
/* Locks the table holds at most (a request naming ever new queues cannot grow it without
 * bound); entries expired twice over are dropped as their buckets are walked. */
#define RMQ_LOCK_MAX_ENTRIES 262144
/* Queues one LOCK/UNLOCK_BATCH_MQ may name. */
#define RMQ_LOCK_MAX_BATCH 4096

struct rmq_lock;   /* one locked queue */

struct rmq_locks {
    struct rmq_lock *buckets[RMQ_LOCK_BUCKETS];   /* hashed on (group, topic, broker, queue) */
    size_t count;
};

/* A message queue as lock bodies name it. */
struct rmq_lock_mq {
    const char *topic, *broker_name;
    int32_t queue_id;
};

/* Locks (or renews) mq of group for client at now_ms: true when client holds it after the
 * call, false when another live client does. */
bool rmq_locks_try(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                   const char *client, int64_t now_ms);
/* Releases mq of group if client holds it. */
void rmq_locks_release(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                       const char *client);
/* The live holder of mq of group, or NULL. */
const char *rmq_locks_holder(const struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                             int64_t now_ms);
void rmq_locks_free(struct rmq_locks *l);

#endif
