/*
 * membership.c — client id, heartbeats, unregistering and the group's member list.
 */
#include "client/membership.h"

#include "client/admin.h"
#include "client/msgid.h"
#include "client/props.h"
#include "proto/codes.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rmq_client_id(char *out, size_t n, const char *instance)
{
    uint8_t ip[4];
    rmq_local_ipv4(ip);
    if (instance && *instance)
        snprintf(out, n, "%u.%u.%u.%u@%s", ip[0], ip[1], ip[2], ip[3], instance);
    else
        snprintf(out, n, "%u.%u.%u.%u@%ld", ip[0], ip[1], ip[2], ip[3], (long)getpid());
}

/* One SubscriptionData (§3.6): tagsSet and codeSet (Java String.hashCode of each tag). */
static json_t *subscription(const char *topic, const char *expr, int64_t version, char *err)
{
    struct rmq_tag_filter f;
    if (rmq_tag_filter_parse(&f, expr, err))
        return NULL;
    json_t *tags = json_array(), *codes = json_array();
    for (int i = 0; !f.all && i < f.n; i++) {
        json_array_append_new(tags, json_string(f.tags[i]));
        json_array_append_new(codes, json_integer(rmq_java_hash(f.tags[i], strlen(f.tags[i]))));
    }
    json_t *s = json_pack("{s:b, s:s, s:s, s:o, s:o, s:I, s:s}", "classFilterMode", 0, "topic", topic,
                          "subString", f.all ? "*" : expr, "tagsSet", tags, "codeSet", codes,
                          "subVersion", (json_int_t)version, "expressionType", "TAG");
    rmq_tag_filter_free(&f);
    return s;
}

int rmq_heartbeat_body(struct rmq_buf *out, const struct rmq_member *m, char *err)
{
    json_t *subs = json_array();
    json_t *s = subscription(m->topic, m->subscription && *m->subscription ? m->subscription : "*",
                             m->sub_version, err);
    if (!s) {
        json_decref(subs);
        return RMQ_EINVAL;
    }
    json_array_append_new(subs, s);
    if (!m->broadcast) {
        char retry[300];
        snprintf(retry, sizeof retry, "%%RETRY%%%s", m->group);
        json_array_append_new(subs, subscription(retry, "*", m->sub_version, err));
    }
    json_t *consumer = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "groupName", m->group,
                                 "consumeType", "CONSUME_PASSIVELY", "messageModel",
                                 m->broadcast ? "BROADCASTING" : "CLUSTERING", "consumeFromWhere",
                                 "CONSUME_FROM_LAST_OFFSET", "subscriptionDataSet", subs, "unitMode", 0);
    json_t *root = json_pack("{s:s, s:[o], s:[], s:i, s:b}", "clientID", m->client_id, "consumerDataSet",
                             consumer, "producerDataSet", "heartbeatFingerprint", 0, "withoutSub", 0);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text)
        rmq_panic("out of memory");
    rmq_buf_addstr(out, text);
    free(text);
    return 0;
}

int rmq_heartbeat(struct rmq_rpc *r, const struct rmq_member *m, char *err)
{
    struct rmq_buf body = {0};
    int rc = rmq_heartbeat_body(&body, m, err);
    if (rc) {
        rmq_buf_free(&body);
        return rc;
    }
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_HEART_BEAT, RMQ_SER_ROCKETMQ);
    req.body = body.data;
    req.body_len = body.len;
    struct rmq_rpc_reply rep;
    rc = rmq_admin_call(r, &req, &rep, err);
    rmq_buf_free(&body);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_unregister(struct rmq_rpc *r, const char *client_id, const char *group, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_UNREGISTER_CLIENT, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "clientID", client_id);
    rmq_cmd_set_ext(&req, "consumerGroup", group);
    struct rmq_rpc_reply rep;
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_consumer_list_parse(const void *body, size_t len, char ***ids, int *n, char *err)
{
    *ids = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = body && len ? json_loadb(body, len, 0, &je) : NULL;
    json_t *list = json_object_get(root, "consumerIdList");
    size_t k = json_array_size(list), bytes = 0;
    bool ok = json_is_array(list) && k <= 100000;
    for (size_t i = 0; ok && i < k; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        ok = s != NULL;
        bytes += ok ? strlen(s) + 1 : 0;
    }
    if (!ok) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "consumer list is not {\"consumerIdList\":[ids]}");
    }
    /* one allocation: the pointers, then the strings */
    char **v = malloc((k + 1) * sizeof *v + bytes);
    if (!v)
        rmq_panic("out of memory");
    char *p = (char *)(v + k + 1);
    for (size_t i = 0; i < k; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        size_t l = strlen(s) + 1;
        memcpy(p, s, l);
        v[i] = p;
        p += l;
    }
    v[k] = NULL;
    json_decref(root);
    *ids = v;
    *n = (int)k;
    return 0;
}

int rmq_consumer_list(struct rmq_rpc *r, const char *group, char ***ids, int *n, char *err)
{
    *ids = NULL;
    *n = 0;
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", group);
    struct rmq_rpc_reply rep;
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc)
        return rc;
    rc = rmq_consumer_list_parse(rep.cmd.body, rep.cmd.body_len, ids, n, err);
    rmq_rpc_reply_free(&rep);
    return rc;
}
