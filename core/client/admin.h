/*
 * admin.h — single requests to a broker that tools and the client's set-up need, each
 * waiting for its reply (rpc.h rmq_rpc_call_wait: they run the loop, so call them from a
 * command's set-up or clean-up, not from inside a callback that must not re-enter).
 *
 * Results follow rpc.h: 0; a negative code for transport trouble (RMQ_ETIMEOUT,
 * RMQ_ECLOSED, -ECONNREFUSED …) or a reply that does not parse (RMQ_EINVAL); or the
 * broker's response code (> 0) when it refused, "NAME: remark" in err. Timeouts are
 * RMQ_RPC_TIMEOUT_MS.
 */
#ifndef RMQ_CLIENT_ADMIN_H
#define RMQ_CLIENT_ADMIN_H

#include "client/rpc.h"

#include <stdint.h>

#define RMQ_TBW102 "TBW102"

/* A topic as GET_ALL_TOPIC_CONFIG (21) reports it. */
struct rmq_topic_info {
    int read_queues, write_queues, perm;
};

/* Looks topic up in the broker's topic table (GET_ALL_TOPIC_CONFIG). 0 with *ti, or
 * RMQ_RESP_TOPIC_NOT_EXIST (> 0, as if the broker had said so) when the table has no such
 * topic; in both cases *tbw102 (may be NULL) receives TBW102's entry, or zeros when the
 * broker has none (no auto-creation). */
/* Sends req (freed here), waits, and checks the response code; on 0 *rep holds the reply
 * (free it with rmq_rpc_reply_free). The broker's error comes back as its code with err
 * set to "NAME: remark". Shared by every one-shot admin request. */
int rmq_admin_call(struct rmq_rpc *r, struct rmq_cmd *req, struct rmq_rpc_reply *rep, char *err);

int rmq_admin_topic(struct rmq_rpc *r, const char *topic, struct rmq_topic_info *ti,
                    struct rmq_topic_info *tbw102, char *err);

/* UPDATE_AND_CREATE_TOPIC (17) with readQueueNums = writeQueueNums = queues, perm 6. */
int rmq_admin_create_topic(struct rmq_rpc *r, const char *topic, int queues, char *err);

/* GET_MIN_OFFSET (31) / GET_MAX_OFFSET (30) of one queue. */
int rmq_admin_min_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t *out, char *err);
int rmq_admin_max_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t *out, char *err);

/* SEARCH_OFFSET_BY_TIMESTAMP (29): the first offset stored at or after ts_ms. */
int rmq_admin_search_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t ts_ms,
                            int64_t *out, char *err);

/* QUERY_CONSUMER_OFFSET (14) with setZeroIfNotFound=false: the group's committed offset,
 * or RMQ_RESP_QUERY_NOT_FOUND (> 0) when it has none. */
int rmq_admin_query_offset(struct rmq_rpc *r, const char *group, const char *topic, int qid,
                           int64_t *out, char *err);

/* UPDATE_CONSUMER_OFFSET (15), waiting for the answer. */
int rmq_admin_update_offset(struct rmq_rpc *r, const char *group, const char *topic, int qid,
                            int64_t offset, char *err);

/* Fills an UPDATE_CONSUMER_OFFSET request (for callers that send it asynchronously). */
void rmq_admin_update_offset_req(struct rmq_cmd *req, const char *group, const char *topic,
                                 int qid, int64_t offset);

#endif
