/*
 * admin.c — offsets (PROTOCOL §2.6), topics (§2.7), heartbeats and shutdown.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/os.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* topic + queueId from the header, answering an error when absent; the queue may be NULL. */
static bool topic_queue(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req,
                        const char **topic, int32_t *qid, const struct rmq_cq **cq)
{
    int64_t q;
    if (!rmq_need_str(c, req, "topic", topic) || !rmq_need_int(c, req, "queueId", 0, 65535, &q))
        return false;
    *qid = (int32_t)q;
    *cq = rmq_store_queue(b->store, *topic, *qid);
    return true;
}

static void reply_long(struct rmq_conn *c, const struct rmq_cmd *req, const char *key, int64_t v)
{
    if (rmq_cmd_is_oneway(req))
        return;
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    rmq_cmd_set_ext_int(&resp, key, v);
    rmq_reply(c, &resp);
}

void rmq_handle_query_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *group, *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    if (!rmq_need_str(c, req, "consumerGroup", &group) || !topic_queue(b, c, req, &topic, &qid, &cq))
        return;
    int64_t off = rmq_offset_table_get(b->offsets, topic, group, qid);
    if (off >= 0)
        return reply_long(c, req, "offset", off);
    /* never consumed: from 0 while the queue was never trimmed (PROTOCOL §2.6) */
    if (!rmq_cmd_ext_bool(req, "setZeroIfNotFound", true) || (cq && cq->min_offset > 0))
        return rmq_reply_code(c, req, RMQ_RESP_QUERY_NOT_FOUND,
                              "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
    reply_long(c, req, "offset", 0);
}

void rmq_handle_update_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *group, *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    int64_t off;
    if (!rmq_need_str(c, req, "consumerGroup", &group) || !topic_queue(b, c, req, &topic, &qid, &cq) ||
        !rmq_need_int(c, req, "commitOffset", -1, INT64_MAX, &off))
        return;
    if (!rmq_topics_get(&b->topics, topic))
        return rmq_reply_code(c, req, RMQ_RESP_TOPIC_NOT_EXIST, "topic[%s] not exist", topic);
    /* ali-ons sends -1 for "nothing consumed yet" (its offset 0): that is no offset, and
     * must not take back one already committed (reference/ali-ons.md §12) */
    if (off >= 0) {
        rmq_offset_table_set(b->offsets, topic, group, qid, off);
        b->offsets_dirty = true;
    }
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void rmq_handle_max_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    if (topic_queue(b, c, req, &topic, &qid, &cq))
        reply_long(c, req, "offset", cq ? cq->max_offset : 0);
}

void rmq_handle_min_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    if (topic_queue(b, c, req, &topic, &qid, &cq))
        reply_long(c, req, "offset", cq ? cq->min_offset : 0);
}

void rmq_handle_search_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    int64_t ts;
    if (topic_queue(b, c, req, &topic, &qid, &cq) && rmq_need_int(c, req, "timestamp", INT64_MIN, INT64_MAX, &ts))
        reply_long(c, req, "offset", rmq_store_offset_by_time(b->store, topic, qid, ts));
}

void rmq_handle_earliest_time(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    int32_t qid;
    const struct rmq_cq *cq;
    if (!topic_queue(b, c, req, &topic, &qid, &cq))
        return;
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    if (!cq || rmq_store_get(b->store, topic, qid, cq->min_offset, &m, err) < 0)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "no message in %s/%d", topic, qid);
    reply_long(c, req, "timestamp", m.store_ts);
}

void rmq_handle_create_topic(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    int64_t r = 8, w = 8, perm = 6, sysflag = 0;
    if (!rmq_need_str(c, req, "topic", &topic))
        return;
    char err[RMQ_ERRLEN];
    if ((rmq_cmd_ext_int(req, "readQueueNums", 0, 65535, &r, err) == RMQ_EINVAL) ||
        (rmq_cmd_ext_int(req, "writeQueueNums", 0, 65535, &w, err) == RMQ_EINVAL) ||
        (rmq_cmd_ext_int(req, "perm", 0, 7, &perm, err) == RMQ_EINVAL) ||
        (rmq_cmd_ext_int(req, "topicSysFlag", 0, INT32_MAX, &sysflag, err) == RMQ_EINVAL))
        return rmq_reply_code(c, req, RMQ_RESP_INVALID_PARAMETER, "%s", err);
    struct rmq_topic_conf tc;
    rmq_topic_conf_init(&tc, topic);
    tc.read_queue_nums = (int32_t)r;
    tc.write_queue_nums = (int32_t)w;
    tc.perm = (int32_t)perm;
    tc.topic_sys_flag = (int32_t)sysflag;
    tc.order = rmq_cmd_ext_bool(req, "order", false);
    const char *ft = rmq_cmd_ext(req, "topicFilterType");
    tc.topic_filter_type = ft && !strcmp(ft, "MULTI_TAG") ? RMQ_TOPIC_FILTER_MULTI_TAG : RMQ_TOPIC_FILTER_SINGLE_TAG;
    int rc = rmq_topics_put(&b->topics, &tc, err);
    if (rc < 0)
        return rmq_reply_code(c, req, rc == RMQ_EINVAL ? RMQ_RESP_INVALID_PARAMETER : RMQ_RESP_SYSTEM_ERROR,
                              "%s", err);
    if (rc > 0)
        rmq_info("broker: topic %s: %d read / %d write queues, perm %d", topic, tc.read_queue_nums,
                 tc.write_queue_nums, tc.perm);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void rmq_handle_delete_topic(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "topic", &topic))
        return;
    int rc = rmq_topics_delete(&b->topics, topic, err);
    if (rc && rc != RMQ_ENOTFOUND)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    rmq_store_delete_topic(b->store, topic);
    rmq_offset_table_delete_topic(b->offsets, topic);
    b->offsets_dirty = true;
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void rmq_handle_all_topics(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    size_t len;
    char *json = rmq_topic_table_encode(b->topics.table, &len);
    if (!json)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "out of memory");
    rmq_reply_body(c, req, json, len);
    free(json);
}

/* HEART_BEAT (34): remember the client and its groups; a clustering consumer group gets its
 * retry topic (PROTOCOL §2.8). */
void rmq_handle_heartbeat(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    char err[RMQ_ERRLEN];
    if (rmq_clients_heartbeat(&b->clients, c, req->language, req->version, req->body, req->body_len,
                              rmq_broker_group_changed, b, err))
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    for (const struct rmq_client_entry *e = b->clients.head; e; e = e->next) {
        if (e->conn != c)
            continue;
        /* as ClientManageProcessor: the group is made if allowed, and its retry topic
         * gets the group's retryQueueNums queues */
        for (int i = 0; i < e->nconsumer; i++) {
            const struct rmq_group_conf *g = rmq_groups_find(&b->groups, e->consumer_groups[i], err);
            if (!g)
                rmq_warn("broker: heartbeat from %s: %s", rmq_conn_peer(c), err);
            else if (!e->broadcast[i] && !rmq_topics_retry(&b->topics, g->name, g->retry_queue_nums, err))
                rmq_warn("broker: %s", err);
        }
    }
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void rmq_handle_unregister(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    rmq_clients_forget(&b->clients, c, rmq_broker_group_changed, b);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

static void add_id(void *arg, const struct rmq_client_entry *e)
{
    struct rmq_buf *out = arg;
    if (out->len > 1)
        rmq_buf_addstr(out, ",");
    rmq_json_put_str(out, e->client_id, strlen(e->client_id));
}

/* GET_CONSUMER_LIST_BY_GROUP (38): {"consumerIdList":[…]}, what rebalancing works from. */
void rmq_handle_consumer_list(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *group;
    if (!rmq_need_str(c, req, "consumerGroup", &group))
        return;
    struct rmq_buf ids = {0};
    rmq_buf_addstr(&ids, "[");
    rmq_clients_of_group(&b->clients, group, add_id, &ids);
    rmq_buf_addstr(&ids, "]");
    if (ids.len == 2) {
        rmq_buf_free(&ids);
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "no consumer for this group, %s", group);
    }
    struct rmq_buf body = {0};
    rmq_buf_printf(&body, "{\"consumerIdList\":%s}", (const char *)ids.data);
    rmq_buf_free(&ids);
    rmq_reply_body(c, req, body.data, body.len);
    rmq_buf_free(&body);
}

static void notify_one(void *arg, const struct rmq_client_entry *e)
{
    const char *group = arg;
    struct rmq_cmd n;
    rmq_cmd_init_request(&n, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, RMQ_SER_JSON);
    n.flag = RMQ_FLAG_ONEWAY;
    rmq_cmd_set_ext(&n, "consumerGroup", group);
    rmq_reply(e->conn, &n);
}

void rmq_broker_group_changed(void *arg, const char *group)
{
    struct rmq_broker *b = arg;
    rmq_clients_of_group(&b->clients, group, notify_one, (void *)group);
}

void rmq_handle_shutdown(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    rmq_info("broker: shutdown requested by %s", rmq_conn_peer(c));
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
    rmq_broker_stop(b);   /* handled next iteration, after the reply has been written */
}

/* VIEW_MESSAGE_BY_ID (33): the record at a commitlog offset (PROTOCOL §2.10). */
void rmq_handle_view_message(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    int64_t off;
    if (!rmq_need_int(c, req, "offset", 0, INT64_MAX, &off))
        return;
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    size_t avail;
    const uint8_t *rec = rmq_store_raw(b->store, off, &avail);
    if (!rec || rmq_store_read(b->store, off, &m, RMQ_MSG_CHECK_NONE, err) <= 0)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "can not find message by the offset, %lld",
                              (long long)off);
    rmq_reply_body(c, req, rec, m.total_size);
}

/* QUERY_MESSAGE (12): messages of a topic by key (KEYS token or UNIQ_KEY) in a time range. */
void rmq_handle_query_message(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic, *key;
    int64_t max = 32, begin = 0, end = INT64_MAX;
    if (!rmq_need_str(c, req, "topic", &topic) || !rmq_need_str(c, req, "key", &key))
        return;
    rmq_cmd_ext_int(req, "maxNum", 1, 256, &max, NULL);
    rmq_cmd_ext_int(req, "beginTimestamp", INT64_MIN, INT64_MAX, &begin, NULL);
    rmq_cmd_ext_int(req, "endTimestamp", INT64_MIN, INT64_MAX, &end, NULL);
    if (rmq_cmd_ext_bool(req, "_UNIQUE_KEY_QUERY", false))
        max = 32;   /* defaultQueryMaxNum */
    int64_t phys[256];
    int n = rmq_store_query_key(b->store, topic, key, begin, end, (int)max, phys);
    if (n <= 0)
        return rmq_reply_code(c, req, RMQ_RESP_QUERY_NOT_FOUND,
                              "can not find message, maybe time range not correct");
    struct rmq_buf body = {0};
    for (int i = 0; i < n; i++) {
        size_t avail;
        const uint8_t *rec = rmq_store_raw(b->store, phys[i], &avail);
        struct rmq_msg m;
        if (rec && rmq_msg_decode(rec, avail, &m, RMQ_MSG_CHECK_NONE, NULL) > 0)
            rmq_buf_add(&body, rec, m.total_size);
    }
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    rmq_cmd_set_ext_int(&resp, "indexLastUpdateTimestamp", rmq_now_ms());
    rmq_cmd_set_ext_int(&resp, "indexLastUpdatePhyoffset", rmq_store_written(b->store));
    resp.body = body.data;
    resp.body_len = body.len;
    rmq_reply(c, &resp);
    rmq_buf_free(&body);
}

/* A fastjson MessageQueue object key: {"brokerName":…,"queueId":N,"topic":…} (PROTOCOL §3.0:
 * Java's mqadmin reads only this form for these maps). */
static void put_mq_key(struct rmq_buf *out, const char *broker, const char *topic, int qid)
{
    rmq_buf_addstr(out, "{\"brokerName\":");
    rmq_json_put_str(out, broker, strlen(broker));
    rmq_buf_printf(out, ",\"queueId\":%d,\"topic\":", qid);
    rmq_json_put_str(out, topic, strlen(topic));
    rmq_buf_addstr(out, "}");
}

static int64_t last_store_time(struct rmq_broker *b, const char *topic, int qid, int64_t qoff)
{
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    return qoff >= 0 && rmq_store_get(b->store, topic, qid, qoff, &m, err) == 0 ? m.store_ts : 0;
}

/* GET_TOPIC_STATS_INFO (202): per queue min, max and the last message's store time. */
void rmq_handle_topic_stats(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    if (!rmq_need_str(c, req, "topic", &topic))
        return;
    const struct rmq_topic_conf *tc = rmq_topics_get(&b->topics, topic);
    if (!tc)
        return rmq_reply_code(c, req, RMQ_RESP_TOPIC_NOT_EXIST, "topic[%s] not exist", topic);
    int queues = tc->write_queue_nums > tc->read_queue_nums ? tc->write_queue_nums : tc->read_queue_nums;
    struct rmq_buf body = {0};
    rmq_buf_addstr(&body, "{\"offsetTable\":{");
    for (int q = 0; q < queues; q++) {
        const struct rmq_cq *cq = rmq_store_queue(b->store, topic, q);
        int64_t min = cq ? cq->min_offset : 0, max = cq ? cq->max_offset : 0;
        if (q)
            rmq_buf_addstr(&body, ",");
        put_mq_key(&body, b->conf->broker.name, topic, q);
        rmq_buf_printf(&body, ":{\"lastUpdateTimestamp\":%lld,\"maxOffset\":%lld,\"minOffset\":%lld}",
                       (long long)last_store_time(b, topic, q, max - 1), (long long)max, (long long)min);
    }
    rmq_buf_addstr(&body, "},\"topicPutTps\":0.0}");
    rmq_reply_body(c, req, body.data, body.len);
    rmq_buf_free(&body);
}

struct consume_stats {
    struct rmq_broker *b;
    const char *group, *only_topic;
    struct rmq_buf *out;
    int n;
    char last[RMQ_META_NAME_MAX + 1];   /* the table holds a topic's queues together */
};

static void stats_topic(struct consume_stats *st, const char *topic)
{
    const struct rmq_topic_conf *tc = rmq_topics_get(&st->b->topics, topic);
    for (int q = 0; tc && q < tc->read_queue_nums; q++) {
        const struct rmq_cq *cq = rmq_store_queue(st->b->store, topic, q);
        int64_t off = rmq_offset_table_get(st->b->offsets, topic, st->group, q);
        if (off < 0)
            off = 0;
        if (st->n++)
            rmq_buf_addstr(st->out, ",");
        put_mq_key(st->out, st->b->conf->broker.name, topic, q);
        rmq_buf_printf(st->out, ":{\"brokerOffset\":%lld,\"consumerOffset\":%lld,\"lastTimestamp\":%lld,\"pullOffset\":%lld}",
                       (long long)(cq ? cq->max_offset : 0), (long long)off,
                       (long long)last_store_time(st->b, topic, q, off - 1), (long long)off);
    }
}

static int stats_each(void *arg, const char *topic, const char *group, int32_t qid, int64_t off)
{
    struct consume_stats *st = arg;
    /* one visit per topic: the table walks a (topic, group) entry's queues together */
    if (strcmp(group, st->group) || !strcmp(topic, st->last))
        return 0;
    snprintf(st->last, sizeof st->last, "%s", topic);
    stats_topic(st, topic);
    return 0;
}

/* GET_CONSUME_STATS (208): for each topic the group has offsets in (or the one asked for),
 * per queue the broker's max offset and the group's committed offset (PROTOCOL §2.13). */
void rmq_handle_consume_stats(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *group;
    if (!rmq_need_str(c, req, "consumerGroup", &group))
        return;
    const char *topic = rmq_cmd_ext(req, "topic");
    struct rmq_buf body = {0};
    rmq_buf_addstr(&body, "{\"consumeTps\":0.0,\"offsetTable\":{");
    struct consume_stats st = {b, group, topic && *topic ? topic : NULL, &body, 0, ""};
    if (st.only_topic)
        stats_topic(&st, st.only_topic);
    else
        rmq_offset_table_foreach(b->offsets, stats_each, &st);
    rmq_buf_addstr(&body, "}}");
    rmq_reply_body(c, req, body.data, body.len);
    rmq_buf_free(&body);
}

/* GET_BROKER_RUNTIME_INFO (28): a KVTable of the figures tools show (PROTOCOL §2.12). */
/* One "key":"value" member of a KVTable body (values are strings there). */
static void kv(struct rmq_buf *out, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(struct rmq_buf *out, const char *key, const char *fmt, ...)
{
    char val[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    if (out->len && out->data[out->len - 1] != '{')
        rmq_buf_addstr(out, ",");
    rmq_json_put_str(out, key, strlen(key));
    rmq_buf_addstr(out, ":");
    rmq_json_put_str(out, val, strlen(val));
}

/* The keys mqadmin clusterList and brokerStatus read (PROTOCOL §2.12), from the broker's
 * own counters; the thread-pool and timer keys are 0: rmq has no such queues. */
void rmq_handle_runtime_info(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const struct rmq_stats *st = &b->stats;
    int64_t min = rmq_store_min_phys(b->store), max = rmq_store_written(b->store);
    int64_t now = rmq_now_ms(), up = (now - b->boot_ms) / 1000, earliest = 0;
    struct rmq_msg m;
    if (max > min && rmq_store_read(b->store, min, &m, RMQ_MSG_CHECK_NONE, NULL) > 0)
        earliest = m.store_ts;
    const char *root = b->conf->store.root_dir, *cl = b->conf->store.commitlog_dir;
    char cq[PATH_MAX + 16];
    snprintf(cq, sizeof cq, "%s/consumequeue", root);
    struct rmq_buf body = {0};
    rmq_buf_addstr(&body, "{\"table\":{");
    kv(&body, "brokerVersionDesc", "V4_9_8");
    kv(&body, "brokerActive", "true");
    kv(&body, "bootTimestamp", "%lld", (long long)b->boot_ms);
    kv(&body, "runtime", "[ %lld days, %lld hours, %lld minutes, %lld seconds ]", (long long)(up / 86400),
       (long long)(up / 3600 % 24), (long long)(up / 60 % 60), (long long)(up % 60));
    kv(&body, "putTps", "%.1f %.1f %.1f", rmq_stats_put_tps(st, 10), rmq_stats_put_tps(st, 60),
       rmq_stats_put_tps(st, 600));
    char get[96];
    snprintf(get, sizeof get, "%.1f %.1f %.1f", rmq_stats_get_tps(st, 10), rmq_stats_get_tps(st, 60),
             rmq_stats_get_tps(st, 600));
    kv(&body, "getTransferredTps", "%s", get);
    kv(&body, "getTransferedTps", "%s", get);   /* 4.x tools' spelling */
    kv(&body, "msgPutTotalYesterdayMorning", "%lld", (long long)st->put_yesterday_morning);
    kv(&body, "msgPutTotalTodayMorning", "%lld", (long long)st->put_today_morning);
    kv(&body, "msgPutTotalTodayNow", "%lld", (long long)st->put_msgs);
    kv(&body, "msgGetTotalYesterdayMorning", "%lld", (long long)st->get_yesterday_morning);
    kv(&body, "msgGetTotalTodayMorning", "%lld", (long long)st->get_today_morning);
    kv(&body, "msgGetTotalTodayNow", "%lld", (long long)st->get_msgs);
    kv(&body, "putMessageTimesTotal", "%lld", (long long)st->put_msgs);
    kv(&body, "putMessageSizeTotal", "%lld", (long long)st->put_bytes);
    kv(&body, "putMessageAverageSize", "%.1f", st->put_msgs ? (double)st->put_bytes / (double)st->put_msgs : 0.0);
    kv(&body, "putMessageFailedTimes", "%lld", (long long)st->put_failed);
    kv(&body, "earliestMessageTimeStamp", "%lld", (long long)earliest);
    kv(&body, "commitLogMinOffset", "%lld", (long long)min);
    kv(&body, "commitLogMaxOffset", "%lld", (long long)max);
    kv(&body, "remainHowManyDataToFlush", "%lld", (long long)(max - rmq_store_flushed(b->store)));
    kv(&body, "dispatchBehindBytes", "0");
    kv(&body, "commitLogDiskRatio", "%.4f", rmq_os_disk_used(cl && *cl ? cl : root) / 100.0);
    kv(&body, "consumeQueueDiskRatio", "%.4f", rmq_os_disk_used(cq) / 100.0);
    static const char *const zero[] = {
        "pageCacheLockTimeMills", "sendThreadPoolQueueSize", "sendThreadPoolQueueHeadWaitTimeMills",
        "pullThreadPoolQueueSize", "pullThreadPoolQueueHeadWaitTimeMills", "ackThreadPoolQueueSize",
        "ackThreadPoolQueueHeadWaitTimeMills", "queryThreadPoolQueueSize", "queryThreadPoolQueueHeadWaitTimeMills",
        "timerReadBehind", "timerOffsetBehind", "timerCongestNum", "timerEnqueueTps", "timerDequeueTps",
    };
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
        kv(&body, zero[i], "0");
    for (int level = 1; level <= b->conf->store.delay_levels; level++) {
        const struct rmq_cq *q = rmq_store_queue(b->store, RMQ_SCHEDULE_TOPIC, level - 1);
        int64_t done = rmq_delay_table_get(b->delay_offsets, level);
        char key[48];
        snprintf(key, sizeof key, "scheduleMessageOffset_%d", level);
        kv(&body, key, "%lld,%lld", (long long)(done < 0 ? 0 : done), (long long)(q ? q->max_offset : 0));
    }
    rmq_buf_addstr(&body, "}}");
    rmq_reply_body(c, req, body.data, body.len);
    rmq_buf_free(&body);
}
