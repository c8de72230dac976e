/*
 * admin.c — one-shot broker requests for tools and client set-up.
 */
#include "client/admin.h"
#include "client/admin_tools.h"

#include "proto/codes.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rmq_admin_call(struct rmq_rpc *r, struct rmq_cmd *req, struct rmq_rpc_reply *rep, char *err)
{
    int rc = rmq_rpc_call_wait(r, req, 0, rep, err);
    rmq_cmd_free(req);
    if (rc)
        return rc;
    if ((rc = rmq_rpc_expect(&rep->cmd, NULL, 0, err)))
        rmq_rpc_reply_free(rep);
    return rc;
}

static void get_i(json_t *o, const char *k, int *out)
{
    json_t *v = json_object_get(o, k);
    *out = json_is_integer(v) ? (int)json_integer_value(v) : json_is_string(v) ? atoi(json_string_value(v)) : 0;
}

static void topic_info(json_t *o, struct rmq_topic_info *ti)
{
    memset(ti, 0, sizeof *ti);
    if (!json_is_object(o))
        return;
    get_i(o, "readQueueNums", &ti->read_queues);
    get_i(o, "writeQueueNums", &ti->write_queues);
    get_i(o, "perm", &ti->perm);
}

int rmq_admin_topic(struct rmq_rpc *r, const char *topic, struct rmq_topic_info *ti,
                    struct rmq_topic_info *tbw102, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_ALL_TOPIC_CONFIG, RMQ_SER_ROCKETMQ);
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc)
        return rc;
    json_error_t je;
    json_t *root = json_loadb((const char *)rep.cmd.body, rep.cmd.body_len, JSON_DECODE_ANY, &je);
    rmq_rpc_reply_free(&rep);
    json_t *table = json_object_get(root, "topicConfigTable");
    if (!json_is_object(table)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "topic table from %s does not parse: %s", rmq_rpc_peer(r),
                          root ? "no topicConfigTable" : je.text);
    }
    if (tbw102)
        topic_info(json_object_get(table, RMQ_TBW102), tbw102);
    json_t *t = json_object_get(table, topic);
    topic_info(t, ti);
    json_decref(root);
    if (!t)
        return rmq_seterr(err, RMQ_RESP_TOPIC_NOT_EXIST, "topic '%s' does not exist on %s", topic, rmq_rpc_peer(r));
    return 0;
}

int rmq_admin_create_topic(struct rmq_rpc *r, const char *topic, int queues, char *err)
{
    return rmq_admin_tools_update_topic(r, topic, queues, queues, 6, false, err);
}

/* Reads extFields[key] of a successful reply as a long. */
static int reply_long(struct rmq_rpc *r, struct rmq_rpc_reply *rep, const char *key, int64_t *out, char *err)
{
    char why[RMQ_ERRLEN];
    int rc = rmq_cmd_ext_int(&rep->cmd, key, INT64_MIN, INT64_MAX, out, why);
    rmq_rpc_reply_free(rep);
    if (rc)
        return rmq_seterr(err, RMQ_EINVAL, "reply from %s without a valid '%s': %s", rmq_rpc_peer(r), key,
                          rc == RMQ_ENOTFOUND ? "absent" : why);
    return 0;
}

static int queue_long(struct rmq_rpc *r, int code, const char *topic, int qid, const char *k2,
                      int64_t v2, const char *key, int64_t *out, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, code, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    rmq_cmd_set_ext_int(&req, "queueId", qid);
    if (k2)
        rmq_cmd_set_ext_int(&req, k2, v2);
    int rc = rmq_admin_call(r, &req, &rep, err);
    return rc ? rc : reply_long(r, &rep, key, out, err);
}

int rmq_admin_min_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t *out, char *err)
{
    return queue_long(r, RMQ_REQ_GET_MIN_OFFSET, topic, qid, NULL, 0, "offset", out, err);
}

int rmq_admin_max_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t *out, char *err)
{
    return queue_long(r, RMQ_REQ_GET_MAX_OFFSET, topic, qid, NULL, 0, "offset", out, err);
}

int rmq_admin_search_offset(struct rmq_rpc *r, const char *topic, int qid, int64_t ts_ms,
                            int64_t *out, char *err)
{
    return queue_long(r, RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, topic, qid, "timestamp", ts_ms, "offset", out, err);
}

int rmq_admin_query_offset(struct rmq_rpc *r, const char *group, const char *topic, int qid,
                           int64_t *out, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_QUERY_CONSUMER_OFFSET, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", group);
    rmq_cmd_set_ext(&req, "topic", topic);
    rmq_cmd_set_ext_int(&req, "queueId", qid);
    rmq_cmd_set_ext_bool(&req, "setZeroIfNotFound", false);
    int rc = rmq_admin_call(r, &req, &rep, err);
    return rc ? rc : reply_long(r, &rep, "offset", out, err);
}

void rmq_admin_update_offset_req(struct rmq_cmd *req, const char *group, const char *topic,
                                 int qid, int64_t offset)
{
    rmq_cmd_init_request(req, RMQ_REQ_UPDATE_CONSUMER_OFFSET, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(req, "consumerGroup", group);
    rmq_cmd_set_ext(req, "topic", topic);
    rmq_cmd_set_ext_int(req, "queueId", qid);
    rmq_cmd_set_ext_int(req, "commitOffset", offset);
}

int rmq_admin_update_offset(struct rmq_rpc *r, const char *group, const char *topic, int qid,
                            int64_t offset, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_admin_update_offset_req(&req, group, topic, qid, offset);
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}
