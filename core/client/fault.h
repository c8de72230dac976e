/*
 * fault.h — which queue a producer sends to: round robin over every writable queue of every
 * broker, steering around brokers that just failed or were slow (RocketMQ's latency fault
 * tolerance, MQFaultStrategy). Pure: time is passed in, so tests drive it.
 *
 * After each send the producer reports the broker and how it went:
 *   - answered (ok or refused) after L ms: the broker is avoided for the duration of the
 *     last row whose latency bound L reaches, RocketMQ 5's table:
 *         latency  >=    50   100   550  1800  3000  5000  15000 ms
 *         avoided       0     0  2000  5000  6000 10000  30000 ms
 *   - not reached at all (connection refused or lost, timeout): treated as a 10,000 ms
 *     latency (RocketMQ 5's isolation value), i.e. avoided for 10 s; it is tried again after
 *     that, and a broker that is back simply answers.
 *
 * Choosing (rmq_fault_pick): the round-robin index moves on by one per choice; starting
 * there, the first queue found in the first pass that has one wins:
 *   1. its broker is available and is not `avoid` (the broker the previous attempt of this
 *      message failed on, so that a retry goes elsewhere, as Java's lastBrokerName);
 *   2. its broker is available;
 *   3. its broker is not `avoid`;
 *   4. any queue (every broker failing: keep trying rather than refuse).
 */
#ifndef RMQ_CLIENT_FAULT_H
#define RMQ_CLIENT_FAULT_H

#include "client/route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_FAULT_ISOLATION_MS 10000

struct rmq_fault_item {
    char broker[RMQ_NAME_MAX];
    int64_t until_ms;          /* avoided before this time */
    int64_t latency_ms;        /* last observed */
};

struct rmq_faults {
    struct rmq_fault_item *v;
    size_t n, cap;
};

/* How long a latency makes a broker avoided (the table above). */
int64_t rmq_fault_duration(int64_t latency_ms);

/* Records a send's outcome: latency_ms, or reached == false for an unreachable broker. */
void rmq_fault_update(struct rmq_faults *f, const char *broker, int64_t latency_ms, bool reached, int64_t now_ms);

/* True when broker is not being avoided at now_ms. */
bool rmq_fault_available(const struct rmq_faults *f, const char *broker, int64_t now_ms);

/* The index of the queue to use among the n in qs (n > 0), moving *rr on; avoid may be
 * NULL. */
size_t rmq_fault_pick(const struct rmq_faults *f, const struct rmq_mq *qs, size_t n, unsigned *rr,
                      const char *avoid, int64_t now_ms);

void rmq_faults_free(struct rmq_faults *f);

/* RocketMQ's SelectMessageQueueByHash for a sharding key whose Java hashCode() is hash
 * (util/hash.h rmq_java_hash): hash % n made non-negative — the index among the n writable
 * queues (n > 0) in the route's order, so every message of one key goes to one queue while
 * the queue list stays the same. */
size_t rmq_queue_by_hash(int32_t hash, size_t n);

#endif
