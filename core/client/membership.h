/*
 * membership.h — a consumer's registration with brokers (PROTOCOL §2.8, §3.6): its client
 * id, HEART_BEAT (34), UNREGISTER_CLIENT (35) and GET_CONSUMER_LIST_BY_GROUP (38).
 *
 * The client id is "<ip>@<instance>" as Java builds it (ClientConfig.buildMQClientId):
 * the host's first non-loopback IPv4 address and, by default, the process id (what Java
 * 4.x and ali-ons use; the broker and the other members only compare it as a string, so
 * it must be unique per process within a group). The broker returns the ids exactly as
 * heartbeats carried them, and rebalancing sorts them (rebalance.h).
 *
 * Requests wait for their replies (rpc.h rmq_rpc_call_wait): call them from set-up, from
 * timers or at exit, not from a connection's callbacks. Results follow rpc.h.
 */
#ifndef RMQ_CLIENT_MEMBERSHIP_H
#define RMQ_CLIENT_MEMBERSHIP_H

#include "client/rpc.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_CLIENT_ID_MAX 128

/* What a heartbeat says about one consumer. */
struct rmq_member {
    const char *client_id;
    const char *group;
    const char *topic;
    const char *subscription;   /* tag expression; NULL or "" is "*" */
    bool broadcast;             /* messageModel BROADCASTING, else CLUSTERING */
    int64_t sub_version;        /* subVersion: when the subscription was made (ms) */
};

/* "<ip>@<instance>", instance NULL or "": the pid. */
void rmq_client_id(char *out, size_t n, const char *instance);

/* The HeartbeatData JSON of m (§3.6): one CONSUME_PASSIVELY consumer entry with the topic's
 * subscription, plus %RETRY%<group> with "*" in clustering mode as Java push consumers
 * subscribe it, and no producer. Appended to out. 0, or RMQ_EINVAL for a subscription
 * with too many tags. */
int rmq_heartbeat_body(struct rmq_buf *out, const struct rmq_member *m, char *err);

/* HEART_BEAT (34) with that body. */
int rmq_heartbeat(struct rmq_rpc *r, const struct rmq_member *m, char *err);

/* UNREGISTER_CLIENT (35) for the consumer group. */
int rmq_unregister(struct rmq_rpc *r, const char *client_id, const char *group, char *err);

/* GET_CONSUMER_LIST_BY_GROUP (38): the ids of the group's live members, as the broker lists
 * them. *ids is one allocation (the array and its strings): free(*ids). A group with no
 * member is the broker's SYSTEM_ERROR ("no consumer for this group"). */
int rmq_consumer_list(struct rmq_rpc *r, const char *group, char ***ids, int *n, char *err);

/* Parses a consumer-list body {"consumerIdList":[...]} (exposed for the unit tests).
 * RMQ_EINVAL when it is not that shape. */
int rmq_consumer_list_parse(const void *body, size_t len, char ***ids, int *n, char *err);

#endif
