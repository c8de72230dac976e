/*
 * schedule.c — delay levels (PROTOCOL §7.7), as RocketMQ's ScheduleMessageService does them.
 *
 * A message with DELAY = L > 0 is stored in SCHEDULE_TOPIC_XXXX, queue L−1, with REAL_TOPIC
 * and REAL_QID naming where it belongs. Within one level every message waits the same time,
 * so each queue is due in order: the broker's 100 ms timer looks at the head of every level
 * and moves what is due to its real topic (DELAY removed, WAIT=false), then advances that
 * level's offset. Offsets live in config/delayOffset.json, saved with the consumer offsets
 * (every 5 s and at shutdown). After a crash a level restarts from its saved offset, so a
 * message may be delivered twice, never lost (RocketMQ's guarantee too).
 */
#include "broker/broker_int.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DELIVER_PER_TICK 2000   /* keep one tick short: the loop serves clients too */

bool rmq_schedule_redirect(struct rmq_broker *b, struct rmq_msg_in *in, struct rmq_buf *props)
{
    const struct rmq_conf_store *s = &b->conf->store;
    if (in->topic_len == strlen(RMQ_SCHEDULE_TOPIC) && !memcmp(in->topic, RMQ_SCHEDULE_TOPIC, in->topic_len))
        return false;
    uint32_t tx = in->sys_flag & RMQ_SYSFLAG_TX_MASK;
    if (tx == RMQ_SYSFLAG_TX_PREPARED || tx == RMQ_SYSFLAG_TX_ROLLBACK)
        return false;
    int level = rmq_msg_delay_level(in->props, in->props_len, s->delay_levels);
    if (level <= 0)
        return false;
    char qid[16];
    int n = snprintf(qid, sizeof qid, "%d", in->queue_id);
    rmq_buf_add(props, in->props, in->props_len);
    rmq_props_add(props, RMQ_PROP_REAL_TOPIC, in->topic, in->topic_len);
    rmq_props_add(props, RMQ_PROP_REAL_QID, qid, (size_t)n);
    in->topic = RMQ_SCHEDULE_TOPIC;
    in->topic_len = strlen(RMQ_SCHEDULE_TOPIC);
    in->queue_id = level - 1;
    in->props = (const char *)props->data;
    in->props_len = props->len;
    return true;
}

int rmq_broker_put_copy(struct rmq_broker *b, const struct rmq_msg *m, const char *topic, int32_t qid,
                        const char *props, size_t plen, int32_t reconsume, struct rmq_put_result *r, char *err)
{
    struct rmq_msg_in in = {
        .topic = topic, .topic_len = strlen(topic), .queue_id = qid, .flag = m->flag,
        .sys_flag = m->sys_flag, .born_ts = m->born_ts, .born_host = m->born_host,
        .reconsume_times = reconsume, .body = m->body, .body_len = m->body_len,
        .props = props, .props_len = plen,
    };
    struct rmq_buf delayed = {0};
    rmq_schedule_redirect(b, &in, &delayed);
    int rc = in.props_len > RMQ_MAX_PROPS_LEN
                 ? rmq_seterr(err, RMQ_ETOOBIG, "properties of %zu bytes are over 32767", in.props_len)
                 : rmq_store_put(b->store, &in, r, err);
    rmq_buf_free(&delayed);
    return rc;
}

int rmq_schedule_open(struct rmq_broker *b, const char *config_dir, char *err)
{
    snprintf(b->delay_path, sizeof b->delay_path, "%s/%s", config_dir, RMQ_META_DELAY_FILE);
    return rmq_delay_table_load(&b->delay_offsets, b->delay_path, err);
}

void rmq_schedule_save(struct rmq_broker *b)
{
    char err[RMQ_ERRLEN];
    if (!b->delay_dirty)
        return;
    if (rmq_delay_table_save(b->delay_offsets, b->delay_path, err) == 0)
        b->delay_dirty = false;
    else
        rmq_warn("broker: cannot save delay offsets: %s", err);
}

/* REAL_QID as a queue id, or -1 when it is not one. */
static int32_t real_qid(const char *v, size_t n)
{
    int32_t q = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        q = q * 10 + (v[i] - '0');
    }
    return q <= 65535 ? q : -1;
}

/* Errors no later attempt can cure: the message is skipped (a poisoned message must not
 * hold back everything behind it at its level); anything else (a full disk, a failed
 * sync) stops the level until the next tick. */
static bool permanent(int rc)
{
    return rc == RMQ_EINVAL || rc == RMQ_ETOOBIG;
}

/* Moves one due message to where it belongs. 0, or an error with err. */
static int deliver(struct rmq_broker *b, const struct rmq_msg *m, char *err)
{
    size_t tlen, qlen;
    const char *topic = rmq_props_get(m->props, m->props_len, RMQ_PROP_REAL_TOPIC, &tlen);
    const char *qtext = rmq_props_get(m->props, m->props_len, RMQ_PROP_REAL_QID, &qlen);
    int32_t qid = qtext ? real_qid(qtext, qlen) : -1;
    char name[RMQ_MAX_TOPIC_LEN + 1];
    if (!topic || tlen == 0 || tlen > RMQ_MAX_TOPIC_LEN || qid < 0)
        return rmq_seterr(err, RMQ_EINVAL, "no valid REAL_TOPIC/REAL_QID");
    memcpy(name, topic, tlen);
    name[tlen] = 0;
    static const char *const drop[] = {RMQ_PROP_DELAY, RMQ_PROP_WAIT, RMQ_MSG_CRC_KEY};
    struct rmq_buf props = {0};
    rmq_props_copy_except(&props, m->props, m->props_len, drop, sizeof drop / sizeof *drop);
    rmq_props_add(&props, RMQ_PROP_WAIT, "false", 5);
    struct rmq_put_result r;
    int rc = rmq_broker_put_copy(b, m, name, qid, (const char *)props.data, props.len, m->reconsume_times, &r,
                                 err);
    rmq_buf_free(&props);
    return rc;
}

void rmq_schedule_tick(struct rmq_broker *b, int64_t now_ms)
{
    const struct rmq_conf_store *s = &b->conf->store;
    char err[RMQ_ERRLEN];
    int budget = DELIVER_PER_TICK;
    for (int level = 1; level <= s->delay_levels && budget > 0; level++) {
        const struct rmq_cq *cq = rmq_store_queue(b->store, RMQ_SCHEDULE_TOPIC, level - 1);
        if (!cq)
            continue;
        int64_t saved = rmq_delay_table_get(b->delay_offsets, level);
        int64_t off = saved > cq->min_offset ? saved : cq->min_offset;
        while (off < cq->max_offset && budget > 0) {
            struct rmq_msg m;
            if (rmq_store_get(b->store, RMQ_SCHEDULE_TOPIC, level - 1, off, &m, err) != 0) {
                off++;   /* a hole (trimmed by retention meanwhile): skip it */
                continue;
            }
            if (m.store_ts + s->delay_level_ms[level - 1] > now_ms)
                break;
            int rc = deliver(b, &m, err);
            if (rc && permanent(rc)) {
                rmq_warn("broker: delay level %d: the message at %lld cannot be delivered, skipped: %s", level,
                         (long long)m.phys_offset, err);
            } else if (rc) {
                if (!(b->delay_stuck & (1ull << (level - 1))))   /* said once, until it moves again */
                    rmq_warn("broker: delay level %d: cannot deliver the message at %lld yet: %s", level,
                             (long long)m.phys_offset, err);
                b->delay_stuck |= 1ull << (level - 1);
                break;
            }
            b->delay_stuck &= ~(1ull << (level - 1));
            off++;
            budget--;
        }
        if (off != saved && rmq_delay_table_set(b->delay_offsets, level, off) == 0)
            b->delay_dirty = true;
    }
}
