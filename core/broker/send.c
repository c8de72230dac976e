/*
 * send.c — SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310), PROTOCOL §2.4.
 *
 * The message is appended to the store at once. Under ASYNC_FLUSH (or WAIT=false) the
 * reply goes out in the same loop iteration, after the iteration's one commit. Under
 * SYNC_FLUSH it waits in b->flush_waits until the flusher's watermark passes the record
 * (group commit), or answers FLUSH_DISK_TIMEOUT after syncFlushTimeout.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
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
       F_PROPS, F_RECONSUME, F_BATCH, NFIELDS };
static const char *const long_names[NFIELDS] = {
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
    "bornTimestamp", "flag", "properties", "reconsumeTimes", "batch"};
static const char *const short_names[NFIELDS] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "m"};

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
    /* the TCP peer as the broker sees it; unix-socket clients count as 127.0.0.1 */
    *h = (struct rmq_host){{127, 0, 0, 1}, 4, 0};
    const char *peer = rmq_conn_peer(c);
    char ip[64];
    const char *colon = strrchr(peer, ':');
    if (rmq_conn_is_unix(c) || !colon || (size_t)(colon - peer) >= sizeof ip)
        return;
    snprintf(ip, sizeof ip, "%.*s", (int)(colon - peer), peer);
    if (inet_pton(AF_INET, ip, h->ip) == 1)
        h->port = atoi(colon + 1);
}

void rmq_handle_send(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *const *names = req->code == RMQ_REQ_SEND_MESSAGE ? long_names : short_names;
    const char *topic, *props;
    int64_t qid, sysflag = 0, born = 0, flag = 0, defq = 4, reconsume = 0;
    if (!rmq_broker_need_str(c, req, names[F_TOPIC], &topic) ||
        !rmq_broker_need_int(c, req, names[F_QUEUE], INT32_MIN, INT32_MAX, &qid) ||
        !rmq_broker_need_int(c, req, names[F_SYSFLAG], INT32_MIN, INT32_MAX, &sysflag) ||
        !rmq_broker_need_int(c, req, names[F_BORN], INT64_MIN, INT64_MAX, &born) ||
        !rmq_broker_need_int(c, req, names[F_FLAG], INT32_MIN, INT32_MAX, &flag))
        return;
    rmq_cmd_ext_int(req, names[F_DEFAULT_QUEUES], 1, 65535, &defq, NULL);
    rmq_cmd_ext_int(req, names[F_RECONSUME], 0, INT32_MAX, &reconsume, NULL);
    if (rmq_cmd_ext_bool(req, names[F_BATCH], false))
        return rmq_broker_reply_code(c, req, RMQ_RESP_REQUEST_CODE_NOT_SUPPORTED,
                                     "batch sends are not supported by this broker yet");
    props = rmq_cmd_ext(req, names[F_PROPS]);

    char err[RMQ_ERRLEN];
    bool created;
    const struct rmq_topic_conf *tc =
        rmq_topics_for_send(&b->topics, topic, rmq_cmd_ext(req, names[F_DEFAULT_TOPIC]), (int)defq, &created, err);
    if (!tc)
        return rmq_broker_reply_code(c, req, rmq_topic_name_valid(topic) ? RMQ_RESP_TOPIC_NOT_EXIST
                                                                         : RMQ_RESP_MESSAGE_ILLEGAL, "%s", err);
    if (!(tc->perm & RMQ_PERM_WRITE))
        return rmq_broker_reply_code(c, req, RMQ_RESP_NO_PERMISSION, "the topic[%s] sending is forbidden", topic);
    int queues = tc->write_queue_nums > tc->read_queue_nums ? tc->write_queue_nums : tc->read_queue_nums;
    if (qid >= queues)
        return rmq_broker_reply_code(c, req, RMQ_RESP_INVALID_PARAMETER,
                                     "queueId %lld is out of range: topic %s has %d queues", (long long)qid, topic, queues);
    if (qid < 0)
        qid = rand() % (tc->write_queue_nums > 0 ? tc->write_queue_nums : 1);

    /* stored properties: the producer's, plus the cluster that stored it (PROTOCOL §2.4) */
    char stored[RMQ_MAX_PROPS_LEN + 256];
    size_t plen = props ? strlen(props) : 0;
    if (plen > RMQ_MAX_PROPS_LEN)
        return rmq_broker_reply_code(c, req, RMQ_RESP_MESSAGE_ILLEGAL,
                                     "properties of %zu bytes are over 32767", plen);
    int n = snprintf(stored, sizeof stored, "%s%s%s\001%s", props ? props : "",
                     plen && props[plen - 1] != '\002' ? "\002" : "", "CLUSTER", b->conf->broker.cluster_name);
    struct rmq_msg_in in = {
        .topic = topic, .topic_len = strlen(topic), .queue_id = (int32_t)qid, .flag = (int32_t)flag,
        .sys_flag = (uint32_t)sysflag, .born_ts = born, .reconsume_times = (int32_t)reconsume,
        .body = req->body, .body_len = req->body_len, .props = stored, .props_len = (size_t)n,
    };
    born_host(c, &in.born_host);
    struct rmq_put_result r;
    int rc = rmq_store_put(b->store, &in, &r, err);
    if (rc)
        return rmq_broker_reply_code(c, req, store_error_code(rc), "%s", err);

    struct pending_send *p = malloc(sizeof *p);
    if (!p)
        return rmq_broker_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "out of memory");
    rmq_cmd_init_response(&p->resp, req, RMQ_RESP_SUCCESS, NULL);
    char id[64];
    struct rmq_host store_host = {{127, 0, 0, 1}, 4, b->conf->net.listen_port};
    inet_pton(AF_INET, b->conf->broker.ip1, store_host.ip);
    rmq_msg_offset_id(id, &store_host, r.phys);
    rmq_cmd_set_ext(&p->resp, "msgId", id);
    rmq_cmd_set_ext_int(&p->resp, "queueId", qid);
    rmq_cmd_set_ext_int(&p->resp, "queueOffset", r.queue_offset);
    rmq_cmd_set_ext(&p->resp, "MSG_REGION", b->conf->broker.region_id);
    rmq_cmd_set_ext(&p->resp, "TRACE_ON", b->conf->broker.trace_on ? "true" : "false");
    size_t wl;
    const char *wait = props ? rmq_props_get(props, plen, RMQ_PROP_WAIT, &wl) : NULL;
    bool must_wait = b->conf->store.flush_disk_type == RMQ_FLUSH_SYNC && !(wait && wl == 5 && !strncmp(wait, "false", 5));
    if (rmq_cmd_is_oneway(req)) {
        rmq_cmd_free(&p->resp);
        free(p);
        return;
    }
    if (!must_wait) {
        rmq_broker_reply(c, &p->resp);   /* leaves after this iteration's commit */
        free(p);
        return;
    }
    rmq_conn_ref(c);
    p->conn = c;
    rmq_waitq_push(&b->flush_waits, r.end,
                   rmq_mono_us() + b->conf->store.sync_flush_timeout_ms * 1000, p);
}

static void send_done(void *arg, void *cookie, int status)
{
    struct pending_send *p = cookie;
    if (status) {
        p->resp.code = RMQ_RESP_FLUSH_DISK_TIMEOUT;
        rmq_cmd_set_remark(&p->resp, "not flushed to disk within syncFlushTimeout: %s",
                           rmq_store_writable(arg) ? rmq_strerror(rmq_store_writable(arg)) : "disk slow");
    }
    rmq_broker_reply(p->conn, &p->resp);
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
