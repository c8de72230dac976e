/*
 * body.h — the JSON bodies name servers, brokers and clients exchange (PROTOCOL §3.1–§3.4):
 *
 *   TopicRouteData      GET_ROUTEINFO_BY_TOPIC (105) response       rmq_topic_route_*
 *   ClusterInfo         GET_BROKER_CLUSTER_INFO (106) response      rmq_cluster_info_*
 *   TopicList           206, 224 (and 304/305) responses             rmq_topic_list_*
 *   RegisterBrokerBody  REGISTER_BROKER (103) request               rmq_register_body_*
 *
 * Decoding is as lenient as fastjson (PROTOCOL §3.0): map keys quoted or bare ({0:"a:1"} and
 * {"0":"a:1"} both), numbers given as strings, booleans as strings or 0/1, unknown members
 * ignored, QueueData's "topicSynFlag" (≤ 4.8) read as topicSysFlag. Every string is bounded
 * (names at RMQ_BODY_NAME_MAX bytes, addresses at RMQ_BODY_ADDR_MAX) and every count is
 * checked: bad input gives RMQ_EINVAL or RMQ_ECORRUPT with err naming the member, never a
 * crash. Decoders fill plain C structs the caller frees with the matching _free(); on error
 * nothing is left to free (calling _free() anyway is safe).
 *
 * Encoding is fastjson's: compact, bean members in alphabetical order, null members left
 * out. Long map keys (brokerAddrs' broker ids) are written in one of two styles, chosen by
 * the caller the way a Java name server chooses (PROTOCOL §1.8, §3.0):
 *   RMQ_KEYS_QUOTED  {"0":"127.0.0.1:10911"}  standard JSON: clients with version ≥ V4_9_4
 *                    (401) or acceptStandardJsonOnly=true; what rmq's own client sends;
 *   RMQ_KEYS_BARE    {0:"127.0.0.1:10911"}    fastjson's default, for older clients (ali-ons
 *                    sends 121, the Go client 317, the C++ client 333).
 * rmq_body_key_style() makes that choice from a request.
 *
 * Threading: no shared state; everything is thread-safe. Nothing here touches a socket or
 * a file.
 */
#ifndef RMQ_PROTO_BODY_H
#define RMQ_PROTO_BODY_H

#include "proto/remoting.h"
#include "store/meta.h"   /* struct rmq_topic_conf, struct rmq_data_version, JSON helpers */
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_BODY_NAME_MAX 255   /* broker, cluster and topic names (bytes)                  */
#define RMQ_BODY_ADDR_MAX 271   /* "host:port", "[v6]:port" or "unix:/path" (bytes)          */
#define RMQ_BODY_MAX_ITEMS 1000000 /* most entries any array or map of a body may have       */

enum rmq_key_style { RMQ_KEYS_QUOTED = 0, RMQ_KEYS_BARE = 1 };

/* The style a Java name server would answer req with: QUOTED when req->version ≥ 401 or
 * its extField acceptStandardJsonOnly is "true", else BARE. */
enum rmq_key_style rmq_body_key_style(const struct rmq_cmd *req);

/* ------------------------------------------------------------------ shared parts */

/* QueueData: one broker name's queues of a topic. */
struct rmq_queue_data {
    char broker_name[RMQ_BODY_NAME_MAX + 1];
    int32_t read_queue_nums;
    int32_t write_queue_nums;
    int32_t perm;                 /* PERM_READ 4 | PERM_WRITE 2 | PERM_INHERIT 1 (§7.2)      */
    int32_t topic_sys_flag;
};

/* One member of BrokerData.brokerAddrs: broker id → address (0 = master, > 0 slaves). */
struct rmq_broker_addr {
    int64_t id;
    char addr[RMQ_BODY_ADDR_MAX + 1];
};

/* BrokerData: a broker group (a master and its slaves) under one name. */
struct rmq_broker_data {
    char cluster[RMQ_BODY_NAME_MAX + 1];
    char broker_name[RMQ_BODY_NAME_MAX + 1];
    struct rmq_broker_addr *addrs;   /* malloc'd, sorted by id ascending, ids unique        */
    size_t naddrs;
    bool enable_acting_master;       /* 5.x; written always (false by default), as 5.x does */
};

/* The address of broker id `id` (0: the master), or NULL when the group has none. */
const char *rmq_broker_data_addr(const struct rmq_broker_data *b, int64_t id);
/* Frees b's address array (not b itself). */
void rmq_broker_data_free(struct rmq_broker_data *b);

/* ------------------------------------------------------------------ TopicRouteData (§3.1) */

struct rmq_topic_route {
    struct rmq_queue_data *queues;   /* queueDatas, in the order sent (malloc'd)            */
    size_t nqueues;
    struct rmq_broker_data *brokers; /* brokerDatas, in the order sent (malloc'd)           */
    size_t nbrokers;
    char *order_topic_conf;          /* orderTopicConf, "broker-a:4;broker-b:4", or NULL    */
};

/* Decodes a GET_ROUTEINFO_BY_TOPIC body. 0, or RMQ_ECORRUPT (not JSON) / RMQ_EINVAL (a
 * member of the wrong type or out of range) with err set. filterServerTable and
 * topicQueueMappingByBroker are ignored. */
int rmq_topic_route_decode(const void *body, size_t len, struct rmq_topic_route *out, char *err);
void rmq_topic_route_free(struct rmq_topic_route *r);
/* The BrokerData named name in r, or NULL. */
const struct rmq_broker_data *rmq_topic_route_broker(const struct rmq_topic_route *r,
                                                     const char *name);
/* Appends r as a Java name server writes it:
 * {"brokerDatas":[{"brokerAddrs":{…},"brokerName":…,"cluster":…,"enableActingMaster":false}],
 *  "filterServerTable":{},["orderTopicConf":…,]"queueDatas":[{"brokerName":…,"perm":6,
 *  "readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]} */
void rmq_topic_route_encode(const struct rmq_topic_route *r, enum rmq_key_style ks,
                            struct rmq_buf *out);

/* ------------------------------------------------------------------ ClusterInfo (§3.2) */

struct rmq_cluster {
    char name[RMQ_BODY_NAME_MAX + 1];
    char **brokers;                  /* broker names (malloc'd strings), sorted             */
    size_t nbrokers;
};

struct rmq_cluster_info {
    struct rmq_broker_data *brokers; /* brokerAddrTable's values, sorted by broker name     */
    size_t nbrokers;
    struct rmq_cluster *clusters;    /* clusterAddrTable, sorted by cluster name            */
    size_t nclusters;
};

/* Decodes a GET_BROKER_CLUSTER_INFO body (both key styles). A BrokerData without its own
 * brokerName takes the brokerAddrTable key. Same results as rmq_topic_route_decode(). */
int rmq_cluster_info_decode(const void *body, size_t len, struct rmq_cluster_info *out, char *err);
void rmq_cluster_info_free(struct rmq_cluster_info *ci);
/* The BrokerData named name, or NULL. */
const struct rmq_broker_data *rmq_cluster_info_broker(const struct rmq_cluster_info *ci,
                                                      const char *name);
/* {"brokerAddrTable":{name:BrokerData,…},"clusterAddrTable":{cluster:[names],…}} in the
 * arrays' order. */
void rmq_cluster_info_encode(const struct rmq_cluster_info *ci, enum rmq_key_style ks,
                             struct rmq_buf *out);

/* ------------------------------------------------------------------ TopicList (§3.3) */

/* {"topicList":[…]} from n names. */
void rmq_topic_list_encode(const char *const *names, size_t n, struct rmq_buf *out);
/* The names of a TopicList body: *names is a malloc'd array of malloc'd strings (free
 * them with rmq_topic_list_free). 0 or an error with err. */
int rmq_topic_list_decode(const void *body, size_t len, char ***names, size_t *n, char *err);
void rmq_topic_list_free(char **names, size_t n);

/* ------------------------------------------------------------------ RegisterBrokerBody (§3.4) */

struct rmq_register_body {
    struct rmq_data_version version;    /* topicConfigSerializeWrapper.dataVersion          */
    struct rmq_topic_conf *topics;      /* topicConfigTable's values (malloc'd), table order */
    size_t ntopics;
};

/* Decodes the uncompressed (JSON) form. A TopicConfig without topicName takes its map key.
 * The compressed form (zlib, PROTOCOL §3.4) is refused with RMQ_EINVAL and an err saying
 * so; Java brokers send it only with compressedRegister=true (default false). */
int rmq_register_body_decode(const void *body, size_t len, struct rmq_register_body *out,
                             char *err);
void rmq_register_body_free(struct rmq_register_body *rb);

/* Streaming encoder, so a broker writes its topic table without copying it:
 *     rmq_register_body_open(&buf, &version);
 *     for each topic: rmq_register_body_topic(&buf, &topic_conf, perm_mask);
 *     rmq_register_body_close(&buf);
 * gives {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{…},
 * "topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":
 * "SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4},…}}} — a 4.9.8 broker's
 * shape. Each topic's perm is ANDed with perm_mask (the broker's permission when it is not
 * read-write, else 7: PROTOCOL §3.4 "Topics included"). */
void rmq_register_body_open(struct rmq_buf *out, const struct rmq_data_version *v);
void rmq_register_body_topic(struct rmq_buf *out, const struct rmq_topic_conf *t, int perm_mask);
void rmq_register_body_close(struct rmq_buf *out);

#endif
