/*
 * admin_groups.c — subscription-group requests (PROTOCOL §2.1, §3.10): create/update (200),
 * list (201), delete (207), and the check every pull passes (§2.5: a missing group is
 * SUBSCRIPTION_GROUP_NOT_EXIST, a disabled one NO_PERMISSION).
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

bool rmq_broker_group_may_consume(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *name;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "consumerGroup", &name))
        return false;
    const struct rmq_group_conf *g = rmq_groups_find(&b->groups, name, err);
    if (!g) {
        rmq_reply_code(c, req, RMQ_RESP_SUBSCRIPTION_GROUP_NOT_EXIST, "%s", err);
        return false;
    }
    if (!g->consume_enable) {
        rmq_reply_code(c, req, RMQ_RESP_NO_PERMISSION, "subscription group no permission, %s", name);
        return false;
    }
    return true;
}

void rmq_handle_update_group(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct rmq_group_conf g;
    char err[RMQ_ERRLEN];
    if (!req->body_len)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "the SubscriptionGroupConfig body is missing");
    if (rmq_group_conf_parse((const char *)req->body, req->body_len, &g, err) ||
        rmq_groups_put(&b->groups, &g, err) < 0)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    rmq_info("broker: subscription group %s updated by %s", g.name, rmq_conn_peer(c));
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void rmq_handle_all_groups(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    size_t len;
    char *json = rmq_group_table_encode(b->groups.table, &len);
    if (!json)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "out of memory");
    rmq_reply_body(c, req, json, len);
    free(json);
}

void rmq_handle_delete_group(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *name;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "groupName", &name))
        return;
    if (rmq_groups_delete(&b->groups, name, err) == RMQ_ENOTFOUND)
        rmq_info("broker: %s", err);   /* Java answers SUCCESS for a missing group too */
    if (rmq_cmd_ext_bool(req, "cleanOffset", false) && rmq_offset_table_delete_group(b->offsets, name) > 0)
        b->offsets_dirty = true;
    rmq_info("broker: subscription group %s deleted by %s", name, rmq_conn_peer(c));
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}
