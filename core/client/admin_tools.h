/*
 * admin_tools.h — more one-shot broker requests for the admin commands (rmq topic, rmq offsets,
 * rmq shutdown), following admin.h's result convention: 0, a negative transport code, or
 * the broker's response code (> 0) with "NAME: remark" in err.
 */
#ifndef RMQ_CLIENT_ADMIN_TOOLS_H
#define RMQ_CLIENT_ADMIN_TOOLS_H

#include "client/rpc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UPDATE_AND_CREATE_TOPIC (17) with every field given. */
int rmq_admin_tools_update_topic(struct rmq_rpc *r, const char *topic, int read_queues, int write_queues,
                            int perm, bool order, char *err);

/* DELETE_TOPIC_IN_BROKER (215). */
int rmq_admin_tools_delete_topic(struct rmq_rpc *r, const char *topic, char *err);

/* The names in GET_ALL_TOPIC_CONFIG's table, in the order the broker sent them. Free each
 * and the array with free(). */
int rmq_admin_tools_topic_names(struct rmq_rpc *r, char ***names, size_t *n, char *err);

/* RMQ_REQ_RMQ_SHUTDOWN (7001). */
int rmq_admin_tools_shutdown(struct rmq_rpc *r, char *err);

/* One queue of a GET_TOPIC_STATS_INFO (min, max, last_ts) or GET_CONSUME_STATS
 * (broker_offset, consumer_offset, last_ts, pull_offset) answer. */
struct rmq_queue_stat {
    char topic[256], broker[128];
    int qid;
    int64_t min, max;              /* topic stats */
    int64_t broker_off, consumer_off, pull_off;   /* consume stats */
    int64_t last_ts;
};

/* GET_TOPIC_STATS_INFO (202) of topic; rows sorted by (topic, broker, qid). free(*out). */
int rmq_admin_tools_topic_stats(struct rmq_rpc *r, const char *topic, struct rmq_queue_stat **out,
                           size_t *n, char *err);

/* GET_CONSUME_STATS (208) of group, restricted to topic when it is non-NULL; sorted. */
int rmq_admin_tools_consume_stats(struct rmq_rpc *r, const char *group, const char *topic,
                             struct rmq_queue_stat **out, size_t *n, char *err);

/* Parses fastjson text, whose object keys may be objects (MessageQueue keys): such keys are
 * turned into strings holding their JSON text. NULL with err when it does not parse. */
json_t *rmq_fastjson_loadb(const void *text, size_t len, char *err);

/* "RW-" etc. for a perm value (PROTOCOL §7.2); out holds at least 4 bytes. */
void rmq_perm_str(int perm, char *out);

#endif
