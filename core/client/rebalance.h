/*
 * rebalance.h — sharing a topic's message queues among the consumers of one group
 * (PROTOCOL §2.8, §7.9).
 *
 * Brokers do not assign queues: every member asks a broker for the group's member list
 * (GET_CONSUMER_LIST_BY_GROUP), sorts it and the topic's queue list, and takes its share
 * by RocketMQ's default strategy, AllocateMessageQueueAveragely (rmq_allocate_averagely).
 * All members compute the same partition from the same inputs, so nobody else has to agree.
 *
 * A struct rmq_rebalance runs that for one consumer (one group, one topic) over the
 * topic's queue set (qset.h: the message queues {brokerName, queueId} of every broker of
 * the route, or of the one broker of -b). It
 *   - heartbeats (HEART_BEAT) to every broker of the topic at start, every
 *     heartbeat_interval_ms and when the queue set changed, which makes it a member
 *     (clustering) or announces BROADCASTING;
 *   - asks the member list of the first broker of the topic (by name) that answers, so
 *     that members normally ask the same broker (Java asks one broker of the topic);
 *   - rebalances at start, soon after a broker's NOTIFY_CONSUMER_IDS_CHANGED (the rpc's
 *     server-request hook, set on every broker's connection), soon after the queue set
 *     changed (rmq_rebalance_soon: queues added or removed, a broker gone or back), and
 *     every rebalance_interval_ms as a safety net;
 *   - per rebalance: queues no longer its own are released FIRST (release(): stop pulling,
 *     forget pulls in flight, commit the offset and wait for the broker's answer), then
 *     newly assigned queues are taken (take(): start pulling at the committed offset);
 *   - at the end (rmq_rebalance_leave) unregisters (UNREGISTER_CLIENT) from every broker,
 *     so the others rebalance at once instead of after the broker's 120 s expiry.
 * In broadcasting mode every queue is its own and no member list is asked for.
 *
 * What is guaranteed (as RocketMQ's concurrent push consumer, at-least-once):
 *   - within one process a queue is pulled by at most one loop, and a released queue
 *     delivers nothing more (its pull in flight is forgotten, its reply dropped);
 *   - a released queue's offset is committed before this member stops considering it;
 *   - nothing is lost: offsets only ever cover what was delivered;
 *   - but while membership changes, the new owner may take a queue before the old owner
 *     has seen the change and committed (nothing orders the two members; RocketMQ has the
 *     same window). The new owner then starts at an older offset, and messages the old
 *     owner delivered in the meantime are delivered again. Brokers' queue locks
 *     (LOCK_BATCH_MQ, qlock.h) close that window: `rmq consume --orderly` takes a
 *     queue only once the broker's lock is granted, in its take().
 *
 * Threading: the loop thread. The steps wait for replies (they run the loop from a timer
 * callback), guarded against re-entry: a rebalance asked for during one runs after it.
 */
#ifndef RMQ_CLIENT_REBALANCE_H
#define RMQ_CLIENT_REBALANCE_H

#include "client/membership.h"
#include "client/qset.h"
#include "client/route.h"
#include "client/rpc.h"

#include <stdbool.h>
#include <stdint.h>

#define RMQ_REBALANCE_INTERVAL_MS 20000   /* rocketmq.client.rebalance.waitInterval */
#define RMQ_HEARTBEAT_INTERVAL_MS 30000   /* heartbeatBrokerInterval */

/* The queues are route.h's struct rmq_mq, in rmq_mq_cmp order (Java's MessageQueue). */

/* AllocateMessageQueueAveragely: with the n queues and the consumer ids both sorted, the
 * consumer at index i of k gets a contiguous run of n/k queues, the first n%k consumers
 * one more, and when k > n the consumers from index n on get none. Writes me's queues to
 * out (room for nmq) in queue order and returns how many; 0 when me is not in ids. The
 * inputs are not changed (sorted copies are made). */
int rmq_allocate_averagely(const char *me, const char *const *ids, int nids, const struct rmq_mq *mqs,
                           int nmq, struct rmq_mq *out);

struct rmq_rebalance_opts {
    struct rmq_member member;            /* who we are (client id, group, topic, model) */
    struct rmq_qset *qs;                 /* the topic's queues and brokers: read at every
                                            rebalance. Borrowed, loaded. */
    int64_t rebalance_interval_ms;       /* 0: RMQ_REBALANCE_INTERVAL_MS */
    int64_t heartbeat_interval_ms;       /* 0: RMQ_HEARTBEAT_INTERVAL_MS */
    /* Membership is kept by another rebalance of the same client and group (the retry
     * topic's share: the main topic's heartbeats already subscribe %RETRY%<group>). This
     * one never heartbeats or unregisters: a second connection heartbeating with the same
     * client id would make the broker list the id twice. Until the broker lists us, it
     * takes nothing. */
    bool passive;
    /* mq became ours: start pulling it. first: during the first rebalance (the caller's
     * start position applies); later ones start at the group's committed offset. 0 or an
     * error (the queue is tried again at the next rebalance). */
    int (*take)(void *arg, const struct rmq_mq *mq, bool first, char *err);
    /* mq is no longer ours: stop pulling it, deliver nothing more from it, commit its
     * offset and return once the broker has it. 0 or an error (logged; the queue counts
     * as released anyway — the new owner starts at the last commit that got through). */
    int (*release)(void *arg, const struct rmq_mq *mq, char *err);
    /* Something failed but it carries on (member list unavailable, heartbeat failed …). */
    void (*on_warning)(void *arg, const char *text);
    /* Each finished rebalance, with the queues now ours (sorted). Optional. */
    void (*on_assigned)(void *arg, const struct rmq_mq *mine, int n);
    void *arg;
};

struct rmq_rebalance;

struct rmq_rebalance *rmq_rebalance_new(const struct rmq_rebalance_opts *o);

/* Heartbeats to every broker, runs the first rebalance and starts the timers and the
 * notification hook. Returns 0 or the error when no broker took the heartbeat. */
int rmq_rebalance_start(struct rmq_rebalance *rb, char *err);

/* Stops the timers and the hook (queues stay as they are: the caller stops pulling and
 * commits). Idempotent. */
void rmq_rebalance_stop(struct rmq_rebalance *rb);

/* UNREGISTER_CLIENT to every broker (after the caller committed). 0 or the first error. */
int rmq_rebalance_leave(struct rmq_rebalance *rb, char *err);

/* The queues currently ours, sorted. */
const struct rmq_mq *rmq_rebalance_mine(const struct rmq_rebalance *rb, int *n);

/* Rebalances now (waits). Also what the timer and notifications do. */
void rmq_rebalance_run(struct rmq_rebalance *rb);

/* The queue set changed (qset.h on_change, which runs where nothing may wait): heartbeat
 * to the topic's brokers and rebalance, from a timer right after. */
void rmq_rebalance_soon(struct rmq_rebalance *rb);

void rmq_rebalance_free(struct rmq_rebalance *rb);

#endif
