/*
 * retry.h — what a consumer sends when it could not process a message (PROTOCOL §2.9,
 * §7.6): CONSUMER_SEND_MSG_BACK (36) to the message's broker, and, when that fails, the
 * copy a Java push consumer publishes itself to %RETRY%<group> with SEND_MESSAGE_V2 (310).
 * Requests are built here (pure, unit-tested); the caller sends them.
 */
#ifndef RMQ_CLIENT_RETRY_H
#define RMQ_CLIENT_RETRY_H

#include "proto/msg.h"
#include "proto/remoting.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

#define RMQ_RETRY_TOPIC_PREFIX "%RETRY%"
#define RMQ_DLQ_TOPIC_PREFIX "%DLQ%"
#define RMQ_MAX_RECONSUME_TIMES 16   /* DefaultMQPushConsumer maxReconsumeTimes (-1 ⇒ 16) */

/* "%RETRY%<group>" into out (n bytes). */
void rmq_retry_topic_name(char *out, size_t n, const char *group);

/* The topic a message was first sent to: RETRY_TOPIC for a message pulled from a retry
 * topic (the broker's copies carry it), else its own topic. */
const char *rmq_origin_topic(const struct rmq_msg *m, size_t *len);

/* What a failed message is sent back with. */
struct rmq_sendback {
    const char *group;
    const struct rmq_msg *m;       /* the message as pulled */
    const char *msg_id;            /* its client id (UNIQ_KEY, else the offset id) */
    int delay_level;               /* 0: the broker decides (3 + reconsumeTimes); < 0: DLQ */
    int max_reconsume;             /* maxReconsumeTimes */
};

/* CONSUMER_SEND_MSG_BACK (36): offset = the message's commit-log offset, group,
 * delayLevel, originMsgId (ORIGIN_MESSAGE_ID when the message has one, else msg_id),
 * originTopic, maxReconsumeTimes. req is initialised here; rmq_cmd_free it. */
void rmq_sendback_req(struct rmq_cmd *req, const struct rmq_sendback *sb);

/* The Java fallback: SEND_MESSAGE_V2 of a copy to %RETRY%<group> queue 0 — the body and
 * flag, the properties with RETRY_TOPIC (the origin topic, unless already there),
 * ORIGIN_MESSAGE_ID, RECONSUME_TIME = reconsume_times, MAX_RECONSUME_TIMES and, when
 * delay_level > 0, DELAY; the header's reconsumeTimes / maxReconsumeTimes say the same, so
 * the broker sends it to the DLQ when it has been delivered too often. props receives the
 * encoded properties; props and body (the plain, decompressed body) must outlive req. */
void rmq_retry_copy_req(struct rmq_cmd *req, struct rmq_buf *props, const struct rmq_sendback *sb,
                        const void *body, size_t body_len, int reconsume_times);

#endif
