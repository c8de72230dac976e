/*
 * admin_groups.c — subscription-group requests (see admin_groups.h).
 */
#include "client/admin_groups.h"
#include "client/admin.h"

#include "proto/codes.h"
#include "util/err.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int rmq_admin_groups_get(struct rmq_rpc *r, struct rmq_group_table **out, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, RMQ_SER_ROCKETMQ);
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc)
        return rc;
    rc = rmq_group_table_parse(out, (const char *)rep.cmd.body, rep.cmd.body_len, rmq_rpc_peer(r), err);
    rmq_rpc_reply_free(&rep);
    return rc ? RMQ_EINVAL : 0;
}

int rmq_admin_group_update(struct rmq_rpc *r, const struct rmq_group_conf *g, char *err)
{
    json_t *o = json_pack("{s:s,s:b,s:b,s:b,s:b,s:i,s:i,s:I,s:I}", "groupName", g->name,
                          "consumeEnable", g->consume_enable, "consumeFromMinEnable",
                          g->consume_from_min_enable, "consumeBroadcastEnable",
                          g->consume_broadcast_enable, "notifyConsumerIdsChangedEnable",
                          g->notify_consumer_ids_changed_enable, "retryQueueNums", g->retry_queue_nums,
                          "retryMaxTimes", g->retry_max_times, "brokerId", (json_int_t)g->broker_id,
                          "whichBrokerWhenConsumeSlowly", (json_int_t)g->which_broker_when_consume_slowly);
    char *body = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!body)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, RMQ_SER_ROCKETMQ);
    req.body = (const uint8_t *)body;
    req.body_len = strlen(body);
    int rc = rmq_admin_call(r, &req, &rep, err);   /* sent before it returns: body may go */
    free(body);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_admin_group_delete(struct rmq_rpc *r, const char *group, bool clean_offset, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_DELETE_SUBSCRIPTIONGROUP, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "groupName", group);
    rmq_cmd_set_ext_bool(&req, "cleanOffset", clean_offset);
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}
