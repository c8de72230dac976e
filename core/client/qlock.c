/*
 * qlock.c — LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies and calls.
 */
#include "client/qlock.h"

#include "proto/codes.h"
#include "util/err.h"

#include <jansson.h>
#include <string.h>

void rmq_lock_body(struct rmq_buf *out, const char *group, const char *client_id, const char *topic,
                   const struct rmq_mq *mqs, int n)
{
    json_t *set = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(set, json_pack("{s:s, s:i, s:s}", "brokerName", mqs[i].broker, "queueId",
                                             (int)mqs[i].qid, "topic", topic));
    json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "consumerGroup", group, "clientId", client_id,
                          "onlyThisBroker", 0, "mqSet", set);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        rmq_buf_addstr(out, text);
    free(text);
    json_decref(o);
}

int rmq_lock_reply_parse(const void *body, size_t len, const char *topic, const struct rmq_mq *mqs, int n,
                         bool *locked, char *err)
{
    for (int i = 0; i < n; i++)
        locked[i] = false;
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len, JSON_ALLOW_NUL, &je);
    json_t *set = root ? json_object_get(root, "lockOKMQSet") : NULL;
    if (!set || !json_is_array(set)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "lock reply: no lockOKMQSet array");
    }
    size_t k;
    json_t *e;
    json_array_foreach(set, k, e) {
        const char *b = json_string_value(json_object_get(e, "brokerName"));
        const char *t = json_string_value(json_object_get(e, "topic"));
        json_t *q = json_object_get(e, "queueId");
        if (!b || !t || !json_is_integer(q) || strcmp(t, topic))
            continue;
        for (int i = 0; i < n; i++)
            if (mqs[i].qid == json_integer_value(q) && !strcmp(mqs[i].broker, b))
                locked[i] = true;
    }
    json_decref(root);
    return 0;
}

static int call(struct rmq_rpc *r, int code, const char *group, const char *client_id, const char *topic,
                const struct rmq_mq *mqs, int n, struct rmq_rpc_reply *rep, char *err)
{
    struct rmq_buf body = {0};
    rmq_lock_body(&body, group, client_id, topic, mqs, n);
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, code, RMQ_SER_ROCKETMQ);
    req.body = body.data;
    req.body_len = body.len;
    int rc = rmq_rpc_call_wait(r, &req, 0, rep, err);
    rmq_cmd_free(&req);
    rmq_buf_free(&body);
    if (rc == 0 && (rc = rmq_rpc_expect(&rep->cmd, NULL, 0, err)))
        rmq_rpc_reply_free(rep);
    return rc;
}

int rmq_lock_batch(struct rmq_rpc *r, const char *group, const char *client_id, const char *topic,
                   const struct rmq_mq *mqs, int n, bool *locked, char *err)
{
    struct rmq_rpc_reply rep;
    int rc = call(r, RMQ_REQ_LOCK_BATCH_MQ, group, client_id, topic, mqs, n, &rep, err);
    if (rc) {
        for (int i = 0; i < n; i++)
            locked[i] = false;
        return rc;
    }
    rc = rmq_lock_reply_parse(rep.cmd.body, rep.cmd.body_len, topic, mqs, n, locked, err);
    rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_unlock_batch(struct rmq_rpc *r, const char *group, const char *client_id, const char *topic,
                     const struct rmq_mq *mqs, int n, char *err)
{
    struct rmq_rpc_reply rep;
    int rc = call(r, RMQ_REQ_UNLOCK_BATCH_MQ, group, client_id, topic, mqs, n, &rep, err);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}
