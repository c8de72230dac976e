/*
 * route.h — the message queues a client derives from a topic's route. Pure: no sockets, no
 * loop (nsclient.h asks the name servers; qset.h keeps a topic's queues fresh). The route
 * itself is proto/body.h's struct rmq_topic_route (TopicRouteData, PROTOCOL §3.1).
 *
 * Clients turn a route into message queues {brokerName, queueId} as Java's
 * MQClientInstance does:
 *   publishing   for each QueueData whose perm is writable and whose broker has a master
 *                (brokerAddrs holds id 0), queues 0..writeQueueNums-1 — for the TBW102
 *                fallback of a topic the name servers do not know, min(4, readQueueNums)
 *                queues per broker (defaultTopicQueueNums);
 *   subscribing  for each readable QueueData, queues 0..readQueueNums-1.
 * The result is sorted by (broker name, queue id), Java's MessageQueue order, whatever
 * order the name server sent.
 */
#ifndef RMQ_CLIENT_ROUTE_H
#define RMQ_CLIENT_ROUTE_H

#include "proto/body.h"

#include <stddef.h>
#include <stdint.h>

#define RMQ_NAME_MAX (RMQ_BODY_NAME_MAX + 1)   /* a broker name with its NUL */
#define RMQ_DEFAULT_TOPIC_QUEUE_NUMS 4         /* Java producers' defaultTopicQueueNums */

#define RMQ_PERM_READ 4
#define RMQ_PERM_WRITE 2
#define RMQ_PERM_INHERIT 1

/* A message queue of a topic (the topic is the caller's). perm is its QueueData's. */
struct rmq_mq {
    char broker[RMQ_NAME_MAX];
    int32_t qid;
    int perm;
};

/* Java's MessageQueue order: broker name, then queue id. */
int rmq_mq_cmp(const void *a, const void *b);

/* A broker group's master address, or "" when it has none (or b is NULL). */
const char *rmq_route_master(const struct rmq_broker_data *b);

/* The queues a producer writes to (see above); per_broker_cap > 0 caps each broker's count
 * and takes it from readQueueNums (the TBW102 rule). *out is malloc'd (free()), sorted; *n
 * may be 0 (no writable queue). */
void rmq_route_write_queues(const struct rmq_topic_route *r, int per_broker_cap, struct rmq_mq **out, size_t *n);
/* The queues a consumer reads. */
void rmq_route_read_queues(const struct rmq_topic_route *r, struct rmq_mq **out, size_t *n);

#endif
