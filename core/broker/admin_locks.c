/*
 * admin_locks.c — LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42), PROTOCOL §2.8 and §3.9: the
 * request bodies name a group, a client and a set of queues; a lock answers the queues the
 * client holds afterwards, an unlock always succeeds.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "store/meta.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

#include <jansson.h>
#include <string.h>

struct lock_body {
    json_t *root;
    const char *group, *client;
    json_t *mqs;
};

/* Reads a Lock/UnlockBatchRequestBody, answering the request when it is unusable. */
static bool read_body(struct rmq_conn *c, const struct rmq_cmd *req, struct lock_body *lb)
{
    char err[RMQ_ERRLEN];
    lb->root = rmq_json_parse_lenient((const char *)req->body, req->body_len, "lock body", err);
    if (!lb->root) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
        return false;
    }
    lb->group = json_string_value(json_object_get(lb->root, "consumerGroup"));
    lb->client = json_string_value(json_object_get(lb->root, "clientId"));
    lb->mqs = json_object_get(lb->root, "mqSet");
    if (!lb->group || !*lb->group || !lb->client || !*lb->client || !json_is_array(lb->mqs)) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "lock body: consumerGroup, clientId and mqSet are required");
        json_decref(lb->root);
        return false;
    }
    if (json_array_size(lb->mqs) > RMQ_LOCK_MAX_BATCH) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "lock body: %zu queues, at most %d in one request",
                       json_array_size(lb->mqs), RMQ_LOCK_MAX_BATCH);
        json_decref(lb->root);
        return false;
    }
    return true;
}

/* One MessageQueue object; false when a field is missing or of the wrong type. */
static bool read_mq(const json_t *o, struct rmq_lock_mq *mq)
{
    int64_t qid;
    mq->topic = json_string_value(json_object_get(o, "topic"));
    mq->broker_name = json_string_value(json_object_get(o, "brokerName"));
    if (!mq->topic || !mq->broker_name || rmq_json_as_int(json_object_get(o, "queueId"), 0, 65535, &qid) != 0)
        return false;
    mq->queue_id = (int32_t)qid;
    return true;
}

void rmq_handle_lock_batch(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct lock_body lb;
    if (!read_body(c, req, &lb))
        return;
    int64_t now = rmq_now_ms();
    struct rmq_buf body = {0};
    rmq_buf_addstr(&body, "{\"lockOKMQSet\":[");
    size_t i, n = 0;
    json_t *o;
    json_array_foreach(lb.mqs, i, o) {
        struct rmq_lock_mq mq;
        if (!read_mq(o, &mq) || !rmq_locks_try(&b->locks, lb.group, &mq, lb.client, now))
            continue;
        rmq_buf_addstr(&body, n++ ? ",{\"brokerName\":" : "{\"brokerName\":");
        rmq_json_put_str(&body, mq.broker_name, strlen(mq.broker_name));
        rmq_buf_printf(&body, ",\"queueId\":%d,\"topic\":", mq.queue_id);
        rmq_json_put_str(&body, mq.topic, strlen(mq.topic));
        rmq_buf_addstr(&body, "}");
    }
    rmq_buf_addstr(&body, "]}");
    json_decref(lb.root);
    rmq_reply_body(c, req, body.data, body.len);
    rmq_buf_free(&body);
}

void rmq_handle_unlock_batch(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct lock_body lb;
    if (!read_body(c, req, &lb))
        return;
    size_t i;
    json_t *o;
    json_array_foreach(lb.mqs, i, o) {
        struct rmq_lock_mq mq;
        if (read_mq(o, &mq))
            rmq_locks_release(&b->locks, lb.group, &mq, lb.client);
    }
    json_decref(lb.root);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}
