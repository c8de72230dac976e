/*
 * qlock.h — the client side of brokers' queue locks for orderly consumption (PROTOCOL
 * §2.8, §3.9): LOCK_BATCH_MQ (41) asks a broker for a set of a topic's queues on behalf
 * of (group, client id) and answers the queues the client holds afterwards — a queue held
 * by another live client is left out; UNLOCK_BATCH_MQ (42) gives queues back. A lock lasts
 * 60 s on the broker unless renewed; orderly consumers renew every RMQ_LOCK_INTERVAL_MS.
 *
 * The body builders and the reply parser are pure (unit-tested); the calls wait for the
 * reply (rpc.h rmq_rpc_call_wait: from set-up, timers or exit, not from a connection's
 * callbacks).
 */
#ifndef RMQ_CLIENT_QLOCK_H
#define RMQ_CLIENT_QLOCK_H

#include "client/route.h"
#include "client/rpc.h"
#include "util/buf.h"

#include <stdbool.h>

#define RMQ_LOCK_INTERVAL_MS 20000   /* rocketmq.client.rebalance.lockInterval */

/* A Lock/UnlockBatchRequestBody: consumerGroup, clientId, onlyThisBroker, mqSet with each
 * queue as {"brokerName","queueId","topic"}. Appended to out. */
void rmq_lock_body(struct rmq_buf *out, const char *group, const char *client_id, const char *topic,
                   const struct rmq_mq *mqs, int n);

/* Marks which of mqs[0..n) a LockBatchResponseBody ({"lockOKMQSet":[...]}) names for topic:
 * locked[i] true or false. 0, or RMQ_EINVAL when the body is not that shape. */
int rmq_lock_reply_parse(const void *body, size_t len, const char *topic, const struct rmq_mq *mqs, int n,
                         bool *locked, char *err);

/* LOCK_BATCH_MQ of mqs (all of one broker) to that broker; locked[i] as above. */
int rmq_lock_batch(struct rmq_rpc *r, const char *group, const char *client_id, const char *topic,
                   const struct rmq_mq *mqs, int n, bool *locked, char *err);

/* UNLOCK_BATCH_MQ of mqs (all of one broker). */
int rmq_unlock_batch(struct rmq_rpc *r, const char *group, const char *client_id, const char *topic,
                     const struct rmq_mq *mqs, int n, char *err);

#endif
