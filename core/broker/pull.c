/*
 * pull.c — PULL_MESSAGE (11), PROTOCOL §2.5, with long polling.
 *
 * Found messages go out byte for byte as stored, straight from the mapped commitlog: the
 * response's header is encoded, and each run of adjacent records is queued on the
 * connection by reference (rmq_conn_send_ref), its segment pinned until the bytes have left
 * (rmq_store_pin), so retention deleting the segment meanwhile cannot pull the memory from
 * under the socket. No copy in user space: a quarter of the broker's time at 2 M msgs/s
 * over TCP was this memcpy (BENCHMARKS.md). A pull that finds nothing, with the
 * suspend flag, is parked until its queue grows (checked after every commit) or its hold
 * time runs out, and then answered with the original opaque.
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_SYS_COMMIT 0x1
#define PULL_SYS_SUSPEND 0x2
#define MAX_TRANSFER_BYTES (256 * 1024)   /* maxTransferBytesOnMessageInMemory */
#define MAX_PULL_NUMS 1024

/* A run of adjacent records in one segment, sent by reference. */
struct piece {
    const uint8_t *p;
    size_t len;
    void *pin;
};

static void unpin_all(struct piece *v, int n)
{
    for (int i = 0; i < n; i++)
        rmq_store_unpin(v[i].pin);
}

/* Tag filter: "*" or empty matches all; else "A || B" by hash, as the broker filters. */
struct tag_filter {
    int n;
    int32_t codes[32];
};

static void parse_filter(const char *expr, struct tag_filter *f)
{
    f->n = 0;
    if (!expr)
        return;
    const char *p = expr;
    while (*p && f->n < 32) {
        while (*p == ' ' || *p == '|')
            p++;
        const char *s = p;
        while (*p && *p != '|')
            p++;
        const char *e = p;
        while (e > s && e[-1] == ' ')
            e--;
        if (e - s == 1 && *s == '*') {
            f->n = 0;
            return;
        }
        if (e > s)
            f->codes[f->n++] = rmq_java_hash(s, (size_t)(e - s));
    }
}

static bool filter_match(const struct tag_filter *f, int64_t tag)
{
    if (f->n == 0)
        return true;
    for (int i = 0; i < f->n; i++)
        if ((int32_t)tag == f->codes[i])
            return true;
    return false;
}

/* Runs the pull; returns false when it should be parked instead of answered. */
static bool do_pull(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req, bool may_park)
{
    const char *group, *topic;
    int64_t qid, offset, max_nums = 32, sysflag = 0, commit = 0, suspend = 0;
    if (!rmq_need_str(c, req, "consumerGroup", &group) || !rmq_need_str(c, req, "topic", &topic) ||
        !rmq_need_int(c, req, "queueId", 0, 65535, &qid) ||
        !rmq_need_int(c, req, "queueOffset", 0, INT64_MAX, &offset))
        return true;
    rmq_cmd_ext_int(req, "maxMsgNums", 1, MAX_PULL_NUMS, &max_nums, NULL);
    rmq_cmd_ext_int(req, "sysFlag", 0, INT32_MAX, &sysflag, NULL);
    rmq_cmd_ext_int(req, "commitOffset", -1, INT64_MAX, &commit, NULL);
    rmq_cmd_ext_int(req, "suspendTimeoutMillis", 0, 3600000, &suspend, NULL);
    const struct rmq_topic_conf *tc = rmq_topics_get(&b->topics, topic);
    if (!tc) {
        rmq_reply_code(c, req, RMQ_RESP_TOPIC_NOT_EXIST, "topic[%s] not exist, apply first please!", topic);
        return true;
    }
    if (!(tc->perm & RMQ_PERM_READ)) {
        rmq_reply_code(c, req, RMQ_RESP_NO_PERMISSION, "the topic[%s] pulling is forbidden", topic);
        return true;
    }
    if (qid >= tc->read_queue_nums) {
        rmq_reply_code(c, req, RMQ_RESP_INVALID_PARAMETER, "queueId %lld is out of range: topic %s has %d read queues",
                       (long long)qid, topic, tc->read_queue_nums);
        return true;
    }
    if (may_park && (sysflag & PULL_SYS_COMMIT) && commit >= 0) {
        rmq_offset_table_set(b->offsets, topic, group, (int32_t)qid, commit);
        b->offsets_dirty = true;
    }
    struct tag_filter filter;
    parse_filter(rmq_cmd_ext(req, "subscription"), &filter);

    const struct rmq_cq *cq = rmq_store_queue(b->store, topic, (int32_t)qid);
    int64_t min = cq ? cq->min_offset : 0, max = cq ? cq->max_offset : 0;
    int code = RMQ_RESP_SUCCESS;
    const char *status = "FOUND";
    int64_t next = offset;
    struct piece pieces[MAX_PULL_NUMS];
    int npieces = 0;
    size_t body_len = 0;
    int64_t run_end = -1;   /* commitlog offset where the last piece ends */
    if (max == 0) {
        code = offset ? RMQ_RESP_PULL_OFFSET_MOVED : RMQ_RESP_PULL_NOT_FOUND;
        status = "NO_MESSAGE_IN_QUEUE";
        next = 0;
    } else if (offset < min) {
        code = RMQ_RESP_PULL_OFFSET_MOVED, status = "OFFSET_TOO_SMALL", next = min;
    } else if (offset == max) {
        code = RMQ_RESP_PULL_NOT_FOUND, status = "OFFSET_OVERFLOW_ONE", next = offset;
    } else if (offset > max) {
        code = RMQ_RESP_PULL_OFFSET_MOVED, status = "OFFSET_OVERFLOW_BADLY", next = max;
    } else {
        int found = 0;
        for (next = offset; next < max && found < max_nums && body_len < MAX_TRANSFER_BYTES; next++) {
            struct rmq_cq_entry e;
            if (rmq_cq_get(cq, next, &e) < 0 || e.size == RMQ_CQ_BLANK_SIZE || !filter_match(&filter, e.tag))
                continue;
            size_t avail = 0;
            const uint8_t *rec;
            if (npieces && e.phys == run_end) {
                /* right after the previous record: the same segment (records never span
                 * two, and a segment ends with at least a blank marker), the same pin */
                rec = rmq_store_raw(b->store, e.phys, &avail);
            } else {
                void *pin = NULL;
                rec = rmq_store_pin(b->store, e.phys, &avail, &pin);
                if (rec && avail >= (size_t)e.size)
                    pieces[npieces++] = (struct piece){rec, 0, pin};
                else if (rec)
                    rmq_store_unpin(pin);
            }
            if (!rec || avail < (size_t)e.size) {   /* retired by retention meanwhile */
                rmq_warn("broker: %s/%lld offset %lld points outside the commitlog", topic,
                         (long long)qid, (long long)next);
                continue;
            }
            pieces[npieces - 1].len += (size_t)e.size;   /* the record exactly as stored */
            run_end = e.phys + e.size;
            body_len += (size_t)e.size;
            found++;
            b->stats.get_msgs++;
        }
        if (found == 0) {
            code = RMQ_RESP_PULL_RETRY_IMMEDIATELY;
            status = "NO_MATCHED_MESSAGE";
        }
    }
    if (code == RMQ_RESP_PULL_NOT_FOUND && may_park && (sysflag & PULL_SYS_SUSPEND)) {
        unpin_all(pieces, npieces);
        return false;
    }
    if (rmq_cmd_is_oneway(req)) {
        unpin_all(pieces, npieces);
        return true;
    }
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, code, status);
    rmq_cmd_set_ext_int(&resp, "suggestWhichBrokerId", 0);
    rmq_cmd_set_ext_int(&resp, "nextBeginOffset", next);
    rmq_cmd_set_ext_int(&resp, "minOffset", min);
    rmq_cmd_set_ext_int(&resp, "maxOffset", max);
    struct rmq_buf head = {0};
    if (rmq_cmd_encode_header(&resp, body_len, &head) == 0) {
        rmq_conn_send_owned(c, head.data, head.len);   /* takes the buffer */
        for (int i = 0; i < npieces; i++)   /* each piece releases its pin once sent */
            rmq_conn_send_ref(c, pieces[i].p, pieces[i].len, rmq_store_unpin, pieces[i].pin);
    } else {
        rmq_buf_free(&head);
        unpin_all(pieces, npieces);
    }
    rmq_cmd_free(&resp);
    return true;
}

void rmq_handle_pull(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req)
{
    if (!rmq_broker_group_may_consume(b, c, req))
        return;
    if (do_pull(b, c, req, true))
        return;
    struct rmq_parked_pull *p = calloc(1, sizeof *p);
    int64_t hold = 15000;
    rmq_cmd_ext_int(req, "suspendTimeoutMillis", 0, 3600000, &hold, NULL);
    if (!b->conf->broker.long_polling)
        hold = b->conf->broker.short_polling_ms;
    if (!p)
        return rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "out of memory");
    /* keep a copy of the request: the frame it was decoded from is gone after this call */
    rmq_cmd_init_request(&p->req, req->code, req->serialize);
    p->req.opaque = req->opaque;
    p->req.flag = req->flag;
    for (uint32_t i = 0; i < req->next; i++)
        rmq_cmd_set_extn(&p->req, req->ext[i].key, req->ext[i].klen, req->ext[i].val, req->ext[i].vlen);
    snprintf(p->topic, sizeof p->topic, "%s", rmq_cmd_ext(req, "topic"));
    int64_t v = 0;
    rmq_cmd_ext_int(req, "queueId", 0, 65535, &v, NULL);
    p->queue_id = (int32_t)v;
    rmq_cmd_ext_int(req, "queueOffset", 0, INT64_MAX, &p->offset, NULL);
    p->deadline_ms = rmq_now_ms() + hold;
    rmq_conn_ref(c);
    p->conn = c;
    p->next = b->parked;
    b->parked = p;
}

static void release(struct rmq_parked_pull *p)
{
    rmq_cmd_free(&p->req);
    rmq_conn_unref(p->conn);
    free(p);
}

void rmq_broker_wake_pulls(struct rmq_broker *b, bool expire_only)
{
    int64_t now = rmq_now_ms();
    for (struct rmq_parked_pull **pp = &b->parked; *pp;) {
        struct rmq_parked_pull *p = *pp;
        const struct rmq_cq *cq = rmq_store_queue(b->store, p->topic, p->queue_id);
        bool grown = !expire_only && cq && cq->max_offset > p->offset;
        if (!grown && now < p->deadline_ms && !rmq_conn_is_closed(p->conn)) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        if (!rmq_conn_is_closed(p->conn))
            do_pull(b, p->conn, &p->req, false);
        release(p);
    }
}

void rmq_broker_drop_pulls(struct rmq_broker *b)
{
    while (b->parked) {
        struct rmq_parked_pull *p = b->parked;
        b->parked = p->next;
        do_pull(b, p->conn, &p->req, false);   /* answer what there is before closing */
        release(p);
    }
}
