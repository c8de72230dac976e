/*
 * retry.c — CONSUMER_SEND_MSG_BACK and the %RETRY% copy, built as Java's push consumer
 * builds them (DefaultMQPushConsumerImpl.sendMessageBack).
 */
#include "client/retry.h"

#include "proto/codes.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

void rmq_retry_topic_name(char *out, size_t n, const char *group)
{
    snprintf(out, n, "%s%s", RMQ_RETRY_TOPIC_PREFIX, group);
}

const char *rmq_origin_topic(const struct rmq_msg *m, size_t *len)
{
    size_t n;
    const char *t = NULL;
    if (m->topic_len > strlen(RMQ_RETRY_TOPIC_PREFIX) &&
        !memcmp(m->topic, RMQ_RETRY_TOPIC_PREFIX, strlen(RMQ_RETRY_TOPIC_PREFIX)))
        t = rmq_props_get(m->props, m->props_len, RMQ_PROP_RETRY_TOPIC, &n);
    if (t && n) {
        *len = n;
        return t;
    }
    *len = m->topic_len;
    return m->topic;
}

/* ORIGIN_MESSAGE_ID when the message is a retry copy, else its own id. */
static void origin_id(const struct rmq_sendback *sb, const char **id, size_t *len)
{
    *id = rmq_props_get(sb->m->props, sb->m->props_len, RMQ_PROP_ORIGIN_MESSAGE_ID, len);
    if (!*id || !*len) {
        *id = sb->msg_id ? sb->msg_id : "";
        *len = strlen(*id);
    }
}

void rmq_sendback_req(struct rmq_cmd *req, const struct rmq_sendback *sb)
{
    const char *id, *topic;
    size_t idlen, tlen;
    origin_id(sb, &id, &idlen);
    topic = rmq_origin_topic(sb->m, &tlen);
    rmq_cmd_init_request(req, RMQ_REQ_CONSUMER_SEND_MSG_BACK, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext_int(req, "offset", sb->m->phys_offset);
    rmq_cmd_set_ext(req, "group", sb->group);
    rmq_cmd_set_ext_int(req, "delayLevel", sb->delay_level);
    rmq_cmd_set_extn(req, "originMsgId", strlen("originMsgId"), id, idlen);
    rmq_cmd_set_extn(req, "originTopic", strlen("originTopic"), topic, tlen);
    rmq_cmd_set_ext_bool(req, "unitMode", false);
    rmq_cmd_set_ext_int(req, "maxReconsumeTimes", sb->max_reconsume);
}

void rmq_retry_copy_req(struct rmq_cmd *req, struct rmq_buf *props, const struct rmq_sendback *sb,
                        const void *body, size_t body_len, int reconsume_times)
{
    const struct rmq_msg *m = sb->m;
    static const char *const drop[] = {RMQ_PROP_DELAY, RMQ_PROP_WAIT, RMQ_PROP_RECONSUME_TIME,
                                       RMQ_PROP_MAX_RECONSUME_TIMES, RMQ_PROP_ORIGIN_MESSAGE_ID,
                                       RMQ_MSG_CRC_KEY, "TRAN_MSG"};
    const char *id, *topic;
    size_t idlen, tlen, n;
    char num[24], retry[RMQ_MAX_TOPIC_LEN + 16];
    origin_id(sb, &id, &idlen);
    topic = rmq_origin_topic(m, &tlen);
    rmq_buf_reset(props);
    rmq_props_copy_except(props, m->props, m->props_len, drop, sizeof drop / sizeof *drop);
    if (!rmq_props_get(m->props, m->props_len, RMQ_PROP_RETRY_TOPIC, &n))
        rmq_props_add(props, RMQ_PROP_RETRY_TOPIC, topic, tlen);
    rmq_props_add(props, RMQ_PROP_ORIGIN_MESSAGE_ID, id, idlen);
    snprintf(num, sizeof num, "%d", reconsume_times);
    rmq_props_add(props, RMQ_PROP_RECONSUME_TIME, num, strlen(num));
    snprintf(num, sizeof num, "%d", sb->max_reconsume);
    rmq_props_add(props, RMQ_PROP_MAX_RECONSUME_TIMES, num, strlen(num));
    if (sb->delay_level > 0) {
        snprintf(num, sizeof num, "%d", sb->delay_level);
        rmq_props_add(props, RMQ_PROP_DELAY, num, strlen(num));
    }
    rmq_retry_topic_name(retry, sizeof retry, sb->group);
    rmq_cmd_init_request(req, RMQ_REQ_SEND_MESSAGE_V2, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(req, "a", "CLIENT_INNER_PRODUCER");
    rmq_cmd_set_ext(req, "b", retry);
    rmq_cmd_set_ext(req, "c", "TBW102");
    rmq_cmd_set_ext_int(req, "d", 4);
    rmq_cmd_set_ext_int(req, "e", 0);
    rmq_cmd_set_ext_int(req, "f", 0);   /* a new message: plain body, no transaction */
    rmq_cmd_set_ext_int(req, "g", rmq_now_ms());
    rmq_cmd_set_ext_int(req, "h", m->flag);
    rmq_cmd_set_extn(req, "i", 1, props->len ? (const char *)props->data : "", props->len);
    rmq_cmd_set_ext_int(req, "j", reconsume_times);
    rmq_cmd_set_ext_bool(req, "k", false);
    rmq_cmd_set_ext_int(req, "l", sb->max_reconsume);
    req->body = (const uint8_t *)body;
    req->body_len = body_len;
}
