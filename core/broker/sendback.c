/*
 * sendback.c — CONSUMER_SEND_MSG_BACK (36), PROTOCOL §2.9 and §7.6: a consumer could not
 * process a message, so the broker stores a copy for the group to see again later.
 *
 * The copy goes to %RETRY%group (a random one of the group's retry queues) with the next
 * delay level — 3 + reconsumeTimes unless the consumer chose one — so it waits in
 * SCHEDULE_TOPIC_XXXX first (10 s, 30 s, 1 m, … 2 h). After maxReconsumeTimes deliveries,
 * or when the consumer asks with a negative level, it goes to %DLQ%group instead, where
 * nothing consumes it until an operator does. The copy keeps the body, flags and born
 * time; RETRY_TOPIC and ORIGIN_MESSAGE_ID remember the first delivery.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The properties of the copy: the original's, with RETRY_TOPIC and ORIGIN_MESSAGE_ID set
 * once, the delay level (or none, for the DLQ) and WAIT=false. */
static void copy_props(const struct rmq_msg *m, const char *origin_id, int delay_level, struct rmq_buf *out)
{
    static const char *const drop[] = {RMQ_PROP_DELAY, RMQ_PROP_WAIT, RMQ_MSG_CRC_KEY};
    rmq_props_copy_except(out, m->props, m->props_len, drop, sizeof drop / sizeof *drop);
    size_t n;
    if (!rmq_props_get(m->props, m->props_len, RMQ_PROP_RETRY_TOPIC, &n))
        rmq_props_add(out, RMQ_PROP_RETRY_TOPIC, m->topic, m->topic_len);
    if (!rmq_props_get(m->props, m->props_len, RMQ_PROP_ORIGIN_MESSAGE_ID, &n)) {
        const char *uniq = rmq_props_get(m->props, m->props_len, RMQ_PROP_UNIQ_KEY, &n);
        if (origin_id && *origin_id)
            rmq_props_add(out, RMQ_PROP_ORIGIN_MESSAGE_ID, origin_id, strlen(origin_id));
        else if (uniq)
            rmq_props_add(out, RMQ_PROP_ORIGIN_MESSAGE_ID, uniq, n);
    }
    if (delay_level > 0) {
        char level[16];
        int len = snprintf(level, sizeof level, "%d", delay_level);
        rmq_props_add(out, RMQ_PROP_DELAY, level, (size_t)len);
    }
    rmq_props_add(out, RMQ_PROP_WAIT, "false", 5);
}

void rmq_handle_send_back(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *group;
    int64_t phys, level, max_times;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "group", &group) ||
        !rmq_need_int(c, req, "offset", 0, INT64_MAX, &phys) ||
        !rmq_need_int(c, req, "delayLevel", INT32_MIN, INT32_MAX, &level))
        return;
    const struct rmq_group_conf *g = rmq_groups_find(&b->groups, group, err);
    if (!g)
        return rmq_reply_code(c, req, RMQ_RESP_SUBSCRIPTION_GROUP_NOT_EXIST, "%s", err);
    max_times = g->retry_max_times;
    if (req->version >= RMQ_MQV_3_4_9)
        rmq_cmd_ext_int(req, "maxReconsumeTimes", INT32_MIN, INT32_MAX, &max_times, NULL);
    if (max_times < 0)
        max_times = 16;   /* the client's -1: RocketMQ's default */
    struct rmq_msg m;
    if (rmq_store_read(b->store, phys, &m, RMQ_MSG_CHECK_NONE, err) <= 0)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "look message by offset failed, %lld",
                              (long long)phys);
    int32_t times = m.reconsume_times;
    const struct rmq_topic_conf *tc;
    int32_t qid = 0;
    bool dead = times >= max_times || level < 0;
    if (dead) {
        tc = rmq_topics_dlq(&b->topics, group, err);
    } else {
        tc = rmq_topics_retry(&b->topics, group, g->retry_queue_nums, err);
        if (tc && tc->write_queue_nums > 0)
            qid = rand() % tc->write_queue_nums;
        if (level == 0)
            level = 3 + times;
    }
    if (!tc)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    struct rmq_buf props = {0};
    copy_props(&m, rmq_cmd_ext(req, "originMsgId"), dead ? 0 : (int)level, &props);
    struct rmq_put_result r;
    int rc = rmq_broker_put_copy(b, &m, tc->name, qid, (const char *)props.data, props.len, times + 1, &r, err);
    rmq_buf_free(&props);
    if (rc)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    if (dead)
        rmq_info("broker: message at %lld of group %s went to %s after %d deliveries", (long long)phys, group,
                 tc->name, times + 1);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}
