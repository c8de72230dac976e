/*
 * send.c — SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and batches (320, or any of them with
 * the batch field set, as the C++ client sends), PROTOCOL §2.4 and §4.7.
 *
 * The message is appended to the store at once. Under ASYNC_FLUSH (or WAIT=false) the
 * reply goes out in the same loop iteration, after the iteration's one commit. Under
 * SYNC_FLUSH it waits in b->flush_waits until the flusher's watermark passes the record
 * (group commit), or answers FLUSH_DISK_TIMEOUT after syncFlushTimeout.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A send waiting for the flushed watermark. */
struct pending_send {
    struct rmq_conn *conn;
    struct rmq_cmd resp;
};

/* SEND_MESSAGE's long field names and SEND_MESSAGE_V2's one-letter ones. */
enum { F_GROUP, F_TOPIC, F_DEFAULT_TOPIC, F_DEFAULT_QUEUES, F_QUEUE, F_SYSFLAG, F_BORN, F_FLAG,
       F_PROPS, F_RECONSUME, F_MAX_RECONSUME, F_BATCH, NFIELDS };
static const char *const long_names[NFIELDS] = {
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
    "bornTimestamp", "flag", "properties", "reconsumeTimes", "maxReconsumeTimes", "batch"};
static const char *const short_names[NFIELDS] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "l", "m"};

static int store_error_code(int rc)
{
    switch (rc) {
    case RMQ_ETOOBIG:
    case RMQ_EINVAL: return RMQ_RESP_MESSAGE_ILLEGAL;
    case RMQ_EFULL:
    case -EIO: return RMQ_RESP_SERVICE_NOT_AVAILABLE;
    default: return RMQ_RESP_SYSTEM_ERROR;
    }
}

static void born_host(struct rmq_conn *c, struct rmq_host *h)
{
    /* the TCP peer as the broker sees it; unix-socket clients count as 127.0.0.1. Parsed
     * once per peer text, not per message (snprintf + inet_pton were ~3 % of 128 B sends);
     * the result depends on the text only, so one cached entry is always right. */
    static char last_peer[64];
    static struct rmq_host last;
    *h = (struct rmq_host){{127, 0, 0, 1}, 4, 0};
    const char *peer = rmq_conn_peer(c);
    if (rmq_conn_is_unix(c))
        return;
    if (last_peer[0] && strcmp(peer, last_peer) == 0) {
        *h = last;
        return;
    }
    char ip[64];
    const char *colon = strrchr(peer, ':');
    if (!colon || (size_t)(colon - peer) >= sizeof ip)
        return;
    memcpy(ip, peer, (size_t)(colon - peer));
    ip[colon - peer] = 0;
    if (inet_pton(AF_INET, ip, h->ip) == 1)
        h->port = atoi(colon + 1);
    if (strlen(peer) < sizeof last_peer) {
        memcpy(last_peer, peer, strlen(peer) + 1);
        last = *h;
    }
}

/* Appends one message whose properties are props plus the cluster that stored it
 * (PROTOCOL §2.4), and its offset message id to ids (comma-separated). A single message
 * with a DELAY level waits in the schedule topic first (batches cannot be delayed). */
static int put_one(struct rmq_broker *b, struct rmq_msg_in *in, const char *props, size_t plen,
                   bool may_delay, struct rmq_buf *ids, struct rmq_put_result *r, char *err)
{
    char stored[RMQ_MAX_PROPS_LEN + 256];
    if (plen > RMQ_MAX_PROPS_LEN)
        return rmq_seterr(err, RMQ_ETOOBIG, "properties of %zu bytes are over 32767", plen);
    /* props [\002] CLUSTER \001 name, assembled without snprintf (per message) */
    const char *cluster = b->conf->broker.cluster_name;
    size_t clen = strnlen(cluster, sizeof stored - RMQ_MAX_PROPS_LEN - 16), n = 0;
    if (plen)
        memcpy(stored, props, plen);
    n = plen;
    if (plen && props[plen - 1] != '\002')
        stored[n++] = '\002';
    memcpy(stored + n, "CLUSTER\001", 8);
    n += 8;
    memcpy(stored + n, cluster, clen);
    n += clen;
    in->props = stored;
    in->props_len = n;
    struct rmq_buf delayed = {0};
    if (may_delay)
        rmq_schedule_redirect(b, in, &delayed);
    int rc = in->props_len > RMQ_MAX_PROPS_LEN
                 ? rmq_seterr(err, RMQ_ETOOBIG, "properties of %zu bytes are over 32767", in->props_len)
                 : rmq_store_put(b->store, in, r, err);
    rmq_buf_free(&delayed);
    if (rc)
        return rc;
    char id[64];
    int idlen = rmq_msg_offset_id(id, &b->store_host, r->phys);
    if (ids->len)
        rmq_buf_add(ids, ",", 1);
    rmq_buf_add(ids, id, (size_t)idlen);
    return 0;
}

/* A batch body (PROTOCOL §4.7): per message TOTALSIZE, MAGIC, BODYCRC, FLAG, BODYLEN, BODY,
 * PROPLEN, PROPS; each stored as its own record with consecutive queue offsets. */
static int put_batch(struct rmq_broker *b, struct rmq_msg_in *in, const uint8_t *body, size_t len,
                     struct rmq_buf *ids, struct rmq_put_result *first, struct rmq_put_result *last,
                     int64_t *count, char *err)
{
    struct rmq_rd rd = {body, body + len, false};
    *count = 0;
    if (len == 0)
        return rmq_seterr(err, RMQ_EINVAL, "empty batch");
    while (rd.p < rd.end) {
        const uint8_t *start = rd.p;
        uint32_t total = rd_u32(&rd);
        rd_u32(&rd);   /* magic, unused */
        rd_u32(&rd);   /* body CRC: the store computes it */
        int32_t flag = (int32_t)rd_u32(&rd);
        uint32_t blen = rd_u32(&rd);
        const uint8_t *mbody = rd_bytes(&rd, blen);
        uint16_t plen = rd_u16(&rd);
        const char *props = (const char *)rd_bytes(&rd, plen);
        if (rd.bad || (size_t)(rd.p - start) != total)
            return rmq_seterr(err, RMQ_EINVAL, "batch message %lld is malformed (sizes do not add up)",
                              (long long)*count + 1);
        in->flag = flag;
        in->body = mbody;
        in->body_len = blen;
        int rc = put_one(b, in, props, plen, false, ids, last, err);
        if (rc)
            return rc;
        if ((*count)++ == 0)
            *first = *last;
    }
    return 0;
}

/* A send to %RETRY%group (a consumer's fallback when CONSUMER_SEND_MSG_BACK failed,
 * PROTOCOL §2.4 step 6): 1 when the message has been delivered more than the group allows
 * and goes to %DLQ%group instead (dlq gets that name, *props new properties without DELAY,
 * kept in dlq_props), 0 to send it as asked, -1 after answering an error. */
static int retry_send_is_dead(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req,
                              const char *const *names, const char *topic, int64_t reconsume, char *dlq,
                              const char **props, struct rmq_buf *dlq_props)
{
    char err[RMQ_ERRLEN];
    const char *group = topic + strlen(RMQ_RETRY_PREFIX);
    const struct rmq_group_conf *g = rmq_groups_find(&b->groups, group, err);
    if (!g) {
        rmq_reply_code(c, req, RMQ_RESP_SUBSCRIPTION_GROUP_NOT_EXIST, "%s", err);
        return -1;
    }
    int64_t max = g->retry_max_times;
    if (req->version >= RMQ_MQV_3_4_9)
        rmq_cmd_ext_int(req, names[F_MAX_RECONSUME], INT32_MIN, INT32_MAX, &max, NULL);
    if (max < 0)
        max = 16;
    if (reconsume <= max)
        return 0;
    const struct rmq_topic_conf *tc = rmq_topics_dlq(&b->topics, group, err);
    if (!tc) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
        return -1;
    }
    snprintf(dlq, RMQ_MAX_TOPIC_LEN + 1, "%s", tc->name);
    static const char *const drop[] = {RMQ_PROP_DELAY};
    if (*props)
        rmq_props_copy_except(dlq_props, *props, strlen(*props), drop, 1);
    rmq_buf_add(dlq_props, "", 1);   /* NUL-terminated: props is a C string below */
    dlq_props->len--;
    *props = (const char *)dlq_props->data;
    return 1;
}

/* Topics only the broker itself writes (PROTOCOL §2.4 step 3): a client's message there
 * would be delivered, or would block a delay level, as if the broker had made it. */
static bool broker_only_topic(const char *topic)
{
    static const char *const topics[] = {RMQ_SCHEDULE_TOPIC, "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
                                         "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"};
    for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
        if (topic[0] == topics[i][0] && !strcmp(topic, topics[i]))   /* per send: spare the calls */
            return true;
    return false;
}

/* dlq_props: room for the properties of a message redirected to the DLQ, freed by the caller */
static void handle_send(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req, struct rmq_buf *dlq_props)
{
    /* V1 names unless the request uses the short ones (V2 and batches) */
    const char *const *names = req->code == RMQ_REQ_SEND_MESSAGE && !rmq_cmd_ext(req, "b") ? long_names : short_names;
    const struct rmq_kv *f[NFIELDS];   /* one pass over the fields, not a lookup per field */
    rmq_cmd_ext_pick(req, names, NFIELDS, f);
    const char *topic, *props;
    int64_t qid, sysflag = 0, born = 0, flag = 0, defq = 4, reconsume = 0;
    if (!rmq_need_kv_str(c, req, f[F_TOPIC], names[F_TOPIC], &topic) ||
        !rmq_need_kv_int(c, req, f[F_QUEUE], names[F_QUEUE], INT32_MIN, INT32_MAX, &qid) ||
        !rmq_need_kv_int(c, req, f[F_SYSFLAG], names[F_SYSFLAG], INT32_MIN, INT32_MAX, &sysflag) ||
        !rmq_need_kv_int(c, req, f[F_BORN], names[F_BORN], INT64_MIN, INT64_MAX, &born) ||
        !rmq_need_kv_int(c, req, f[F_FLAG], names[F_FLAG], INT32_MIN, INT32_MAX, &flag))
        return;
    rmq_kv_int(f[F_DEFAULT_QUEUES], names[F_DEFAULT_QUEUES], 1, 65535, &defq, NULL);
    rmq_kv_int(f[F_RECONSUME], names[F_RECONSUME], 0, INT32_MAX, &reconsume, NULL);
    bool batch = req->code == RMQ_REQ_SEND_BATCH_MESSAGE || rmq_kv_bool(f[F_BATCH], false);
    props = f[F_PROPS] ? f[F_PROPS]->val : NULL;

    char err[RMQ_ERRLEN];
    char dlq[RMQ_MAX_TOPIC_LEN + 1];
    if (broker_only_topic(topic))
        return rmq_reply_code(c, req, RMQ_RESP_NO_PERMISSION, "Sending message to topic[%s] is forbidden.", topic);
    if (!batch && !strncmp(topic, RMQ_RETRY_PREFIX, strlen(RMQ_RETRY_PREFIX))) {
        int dead = retry_send_is_dead(b, c, req, names, topic, reconsume, dlq, &props, dlq_props);
        if (dead < 0)
            return;
        if (dead) {
            topic = dlq;
            qid = 0;
        }
    }
    bool created;
    const struct rmq_topic_conf *tc =
        rmq_topics_for_send(&b->topics, topic, f[F_DEFAULT_TOPIC] ? f[F_DEFAULT_TOPIC]->val : NULL, (int)defq,
                            &created, err);
    if (!tc)
        return rmq_reply_code(c, req, rmq_topic_name_valid(topic) ? RMQ_RESP_TOPIC_NOT_EXIST
                                                                  : RMQ_RESP_MESSAGE_ILLEGAL, "%s", err);
    if (created)   /* tell the name servers now, as Java's broker does, not at the next tick:
                    * a consumer started right after the producer must find the route */
        rmq_register_all(b);
    if (!(tc->perm & RMQ_PERM_WRITE))
        return rmq_reply_code(c, req, RMQ_RESP_NO_PERMISSION, "the topic[%s] sending is forbidden", topic);
    int queues = tc->write_queue_nums > tc->read_queue_nums ? tc->write_queue_nums : tc->read_queue_nums;
    if (qid >= queues)
        return rmq_reply_code(c, req, RMQ_RESP_INVALID_PARAMETER,
                              "queueId %lld is out of range: topic %s has %d queues", (long long)qid, topic, queues);
    if (qid < 0)
        qid = rand() % (tc->write_queue_nums > 0 ? tc->write_queue_nums : 1);

    struct rmq_msg_in in = {
        .topic = topic, .topic_len = strlen(topic), .queue_id = (int32_t)qid, .flag = (int32_t)flag,
        .sys_flag = (uint32_t)sysflag, .born_ts = born, .reconsume_times = (int32_t)reconsume,
    };
    born_host(c, &in.born_host);
    /* the offset message ids of this send, in a buffer kept for the next (loop thread) */
    static struct rmq_buf id_buf;
    struct rmq_buf *ids = &id_buf;
    rmq_buf_reset(ids);
    struct rmq_put_result first = {0}, r = {0};
    int64_t count = 0;
    size_t plen = props ? strlen(props) : 0;
    int rc;
    if (batch) {
        rc = put_batch(b, &in, req->body, req->body_len, ids, &first, &r, &count, err);
    } else {
        in.body = req->body;
        in.body_len = req->body_len;
        rc = put_one(b, &in, props, plen, true, ids, &r, err);
        first = r;
        count = rc ? 0 : 1;
    }
    b->stats.put_msgs += count;
    b->stats.put_bytes += r.end - first.phys;
    if (rc)
        b->stats.put_failed++;
    if (rc && count == 0)
        return rmq_reply_code(c, req, store_error_code(rc), "%s", err);
    if (rmq_cmd_is_oneway(req))
        return;
    /* a batch that failed part way: what went in is kept and acknowledged, the error said */
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    if (rc)
        rmq_cmd_set_remark(&resp, "only %lld messages of the batch were stored: %s", (long long)count, err);
    rmq_cmd_add_ext(&resp, "msgId", (const char *)ids->data, ids->len);
    rmq_cmd_add_ext_int(&resp, "queueId", qid);
    rmq_cmd_add_ext_int(&resp, "queueOffset", first.queue_offset);
    const char *region = b->conf->broker.region_id;
    rmq_cmd_add_ext(&resp, "MSG_REGION", region, strlen(region));
    rmq_cmd_add_ext(&resp, "TRACE_ON", b->conf->broker.trace_on ? "true" : "false", b->conf->broker.trace_on ? 4 : 5);
    size_t wl;
    const char *wait = NULL;
    bool must_wait = b->conf->store.flush_disk_type == RMQ_FLUSH_SYNC &&
                     !((wait = props ? rmq_props_get(props, plen, RMQ_PROP_WAIT, &wl) : NULL) &&
                       wl == 5 && !strncmp(wait, "false", 5));
    if (!must_wait) {
        rmq_reply(c, &resp);   /* leaves after this iteration's commit */
        return;
    }
    struct pending_send *p = malloc(sizeof *p);
    if (!p) {
        rmq_cmd_free(&resp);
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "out of memory");
    }
    p->resp = resp;
    rmq_conn_ref(c);
    p->conn = c;
    rmq_waitq_push(&b->flush_waits, r.end,
                   rmq_mono_us() + b->conf->store.sync_flush_timeout_ms * 1000, p);
}

void rmq_handle_send(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct rmq_buf dlq_props = {0};
    handle_send(b, c, req, &dlq_props);
    rmq_buf_free(&dlq_props);
}

static void send_done(void *arg, void *cookie, int status)
{
    struct pending_send *p = cookie;
    if (status) {
        p->resp.code = RMQ_RESP_FLUSH_DISK_TIMEOUT;
        rmq_cmd_set_remark(&p->resp, "not flushed to disk within syncFlushTimeout: %s",
                           rmq_store_writable(arg) ? rmq_strerror(rmq_store_writable(arg)) : "disk slow");
    }
    rmq_reply(p->conn, &p->resp);
    rmq_conn_unref(p->conn);
    free(p);
}

void rmq_broker_flush_done(struct rmq_broker *b)
{
    rmq_store_dispatch(b->store);
    rmq_waitq_complete(&b->flush_waits, rmq_store_flushed(b->store), send_done, b->store);
    if (b->parked)
        rmq_broker_wake_pulls(b, false);
}

void rmq_broker_expire_waits(struct rmq_broker *b, int64_t now_us)
{
    rmq_broker_flush_done(b);
    rmq_waitq_expire(&b->flush_waits, now_us, send_done, b->store);
}
