/*
 * route.h — what the name servers say about topics and brokers, as C structs, and the
 * message queues a client derives from it. Pure: no sockets, no loop (nsclient.h asks the
 * name servers; qset.h keeps a topic's queues fresh).
 *
 * TopicRouteData (PROTOCOL §3.1) has one QueueData per broker *name* (read/write queue
 * counts, perm) and one BrokerData per broker name (cluster, brokerAddrs id → "ip:port",
 * id 0 the master). Clients turn it into message queues {brokerName, queueId} exactly as
 * Java's MQClientInstance does:
 *   publishing   QueueDatas sorted by broker name; for each writable one whose broker has a
 *                master, queues 0..writeQueueNums-1 (for the TBW102 fallback of a topic the
 *                name servers do not know: min(4, readQueueNums) queues per broker);
 *   subscribing  every readable QueueData, queues 0..readQueueNums-1, in the same order.
 * The result is sorted by (broker name, queue id), Java's MessageQueue order.
 *
 * Parsers accept what fastjson writes (bare numeric keys {0:"…"}, numbers as strings and
 * the other way round, topicSynFlag for topicSysFlag) and refuse nothing they can skip:
 * a QueueData or BrokerData without a broker name is ignored. Errors: 0 or RMQ_EINVAL with
 * err (RMQ_ERRLEN) saying what does not parse.
 */
#ifndef RMQ_CLIENT_ROUTE_H
#define RMQ_CLIENT_ROUTE_H

#include "net/addr.h"

#include <stddef.h>
#include <stdint.h>

#define RMQ_NAME_MAX 128                /* broker and cluster names (RocketMQ allows ~127) */
#define RMQ_DEFAULT_TOPIC_QUEUE_NUMS 4  /* Java producers' defaultTopicQueueNums */

#define RMQ_PERM_READ 4
#define RMQ_PERM_WRITE 2
#define RMQ_PERM_INHERIT 1

/* One address of a broker group (brokerAddrs entry). */
struct rmq_broker_addr {
    int64_t id;                         /* 0 master, > 0 slave */
    char addr[RMQ_ADDR_TEXTLEN];
};

/* A BrokerData: a broker name (a master and its slaves) and its cluster. */
struct rmq_route_broker {
    char name[RMQ_NAME_MAX];
    char cluster[RMQ_NAME_MAX];
    struct rmq_broker_addr *addrs;      /* sorted by id */
    size_t naddrs;
};

/* A QueueData. */
struct rmq_route_qd {
    char broker[RMQ_NAME_MAX];
    int read, write, perm, sysflag;
};

struct rmq_route {
    struct rmq_route_qd *qds;           /* sorted by broker name */
    size_t nqd;
    struct rmq_route_broker *brokers;   /* sorted by (cluster, name) */
    size_t nbrokers;
};

/* A message queue of a topic (the topic is the caller's). perm is its QueueData's. */
struct rmq_mq {
    char broker[RMQ_NAME_MAX];
    int32_t qid;
    int perm;
};

/* Java's MessageQueue order: broker name, then queue id. */
int rmq_mq_cmp(const void *a, const void *b);

/* Parses a GET_ROUTEINFO_BY_TOPIC body. On success *r owns its arrays (rmq_route_free). */
int rmq_route_parse(const void *body, size_t len, struct rmq_route *r, char *err);
void rmq_route_free(struct rmq_route *r);

/* The BrokerData called name, or NULL. */
const struct rmq_route_broker *rmq_route_find(const struct rmq_route *r, const char *name);
/* Its master's address ("" when it has none). */
const char *rmq_route_master(const struct rmq_route_broker *b);

/* The queues a producer writes to (see above); per_broker_cap > 0 caps each broker's count
 * and takes it from readQueueNums (the TBW102 rule). *out is malloc'd (free()), sorted; *n
 * may be 0 (no writable queue). */
void rmq_route_write_queues(const struct rmq_route *r, int per_broker_cap, struct rmq_mq **out, size_t *n);
/* The queues a consumer reads. */
void rmq_route_read_queues(const struct rmq_route *r, struct rmq_mq **out, size_t *n);

/* ClusterInfo (GET_BROKER_CLUSTER_INFO, PROTOCOL §3.2): every broker of brokerAddrTable with
 * its cluster taken from clusterAddrTable (its own "cluster" field when no cluster lists
 * it), sorted by (cluster, name) — mqadmin clusterList's order. *brokers owns its addrs:
 * free with rmq_route_brokers_free. */
int rmq_cluster_parse(const void *body, size_t len, struct rmq_route_broker **brokers, size_t *n, char *err);
void rmq_route_brokers_free(struct rmq_route_broker *v, size_t n);

/* TopicList ({"topicList":[…]}): names in the order given; free each and the array. */
int rmq_topic_list_parse(const void *body, size_t len, char ***names, size_t *n, char *err);

#endif
