/*
 * routes.h — a name server's route table (Java's RouteInfoManager, PROTOCOL §2.11):
 *
 *   brokers   broker name → cluster, {broker id → address}; per address the last
 *             registration time, the connection it came on, its HA address and DataVersion
 *   topics    topic → one QueueData per broker name (built from masters' registrations)
 *
 * Rules kept from RocketMQ:
 *   - a registration puts brokerAddrs[id] = addr, first removing any other id that had the
 *     same address (a slave that became master); only a master's (id 0) registration
 *     (re)builds the topics' queue data from its topic table;
 *   - an address leaves on UNREGISTER_BROKER, when the connection it registered on closes,
 *     or when it has not registered for the expiry time (120 s); when a broker name has no
 *     address left, its queue data leaves every topic, and a topic with no queue data left
 *     is forgotten;
 *   - with deleteTopicWithBrokerRegistration, a master's registration also removes its queue
 *     data from topics its body does not list (a full registration is the whole table).
 * Not kept: Java refuses a one-topic registration from a broker that never did a full one;
 * here every registration is applied.
 *
 * Plain data on one thread (the name server's loop); no I/O. Names are bounded by
 * RMQ_BODY_NAME_MAX, addresses by RMQ_BODY_ADDR_MAX (longer ones are refused). Allocation
 * failure is fatal (rmq_panic), as for struct rmq_buf. Removals are logged (rmq_info).
 */
#ifndef RMQ_NAMESRV_ROUTES_H
#define RMQ_NAMESRV_ROUTES_H

#include "proto/body.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmq_routes;

/* RocketMQ's BROKER_CHANNEL_EXPIRED_TIME. */
#define RMQ_BROKER_EXPIRY_MS 120000

struct rmq_routes *rmq_routes_new(void);
void rmq_routes_free(struct rmq_routes *rt);

/* One REGISTER_BROKER request's header. */
struct rmq_broker_reg {
    const char *cluster, *name, *addr, *ha_addr;   /* ha_addr may be NULL */
    int64_t id;
    uint64_t conn_id;      /* rmq_conn_id() of the connection it came on (0: none) */
    int64_t now_ms;
};

/* Applies a registration (body may be NULL: no topic table). delete_absent: see the top.
 * On success master/master_ha (RMQ_BODY_ADDR_MAX + 1 bytes each) get the group master's
 * address and HA address for a slave's response ("" when unknown or for a master).
 * 0, or RMQ_EINVAL with err (a name or address too long or empty). */
int rmq_routes_register(struct rmq_routes *rt, const struct rmq_broker_reg *reg,
                        const struct rmq_register_body *body, bool delete_absent, char *master,
                        char *master_ha, char *err);

/* UNREGISTER_BROKER: removes id's address of broker `name` (when it is `addr`).
 * 0, or RMQ_ENOTFOUND when there was no such registration. */
int rmq_routes_unregister(struct rmq_routes *rt, const char *name, const char *addr, int64_t id);

/* Removes every address registered over connection conn_id; returns how many. */
size_t rmq_routes_drop_conn(struct rmq_routes *rt, uint64_t conn_id);
/* Removes every address whose last registration is older than now_ms - expiry_ms. */
size_t rmq_routes_expire(struct rmq_routes *rt, int64_t now_ms, int64_t expiry_ms);

/* QUERY_DATA_VERSION: whether addr's stored DataVersion differs from v (true when unknown),
 * refreshing its registration time; *stored gets the stored one (zeros when unknown). */
bool rmq_routes_data_version_changed(struct rmq_routes *rt, const char *addr,
                                     const struct rmq_data_version *v, int64_t now_ms,
                                     struct rmq_data_version *stored);

/* The route of topic into *out (free with rmq_topic_route_free): its QueueData, and the
 * BrokerData of each broker name in them. 0 or RMQ_ENOTFOUND (nothing allocated). */
int rmq_routes_topic(const struct rmq_routes *rt, const char *topic, struct rmq_topic_route *out);

/* Every broker and cluster (free with rmq_cluster_info_free). */
void rmq_routes_cluster_info(const struct rmq_routes *rt, struct rmq_cluster_info *out);

/* Topic names, sorted: all of them (cluster NULL) or those with queues on a broker of
 * cluster. *names is a malloc'd array of pointers into the table (valid until the next
 * change); free() only the array. */
void rmq_routes_topic_names(const struct rmq_routes *rt, const char *cluster, const char ***names,
                            size_t *n);

/* DELETE_TOPIC_IN_NAMESRV: forgets topic (cluster NULL), or only its queue data on brokers
 * of cluster. Returns the number of QueueData removed. */
size_t rmq_routes_delete_topic(struct rmq_routes *rt, const char *topic, const char *cluster);

/* WIPE_WRITE_PERM_OF_BROKER (on = false) / ADD_WRITE_PERM_OF_BROKER (on = true): clears or
 * sets PERM_WRITE in every QueueData of broker `name`; returns how many topics changed. */
size_t rmq_routes_set_write_perm(struct rmq_routes *rt, const char *name, bool on);

/* Registered broker addresses, and topics known. */
size_t rmq_routes_broker_count(const struct rmq_routes *rt);
size_t rmq_routes_topic_count(const struct rmq_routes *rt);

#endif
