/*
 * props.c — building properties, tag expressions.
 */
#include "client/props.h"

#include "proto/msg.h"
#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* Keys RocketMQ sets or interprets itself (MessageConst.STRING_HASH_SET, the ones a user
 * could plausibly collide with). */
static const char *const reserved[] = {
    "KEYS", "TAGS", "WAIT", "DELAY", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "TRAN_MSG",
    "PGROUP", "MIN_OFFSET", "MAX_OFFSET", "BUYER_ID", "ORIGIN_MESSAGE_ID", "TRANSFER_FLAG",
    "CORRECTION_FLAG", "MQ2_FLAG", "RECONSUME_TIME", "MSG_REGION", "TRACE_ON", "UNIQ_KEY",
    "MAX_RECONSUME_TIMES", "CONSUME_START_TIME", "TRAN_PREPARED_QUEUE_OFFSET",
    "TRANSACTION_CHECK_TIMES", "CHECK_IMMUNITY_TIME_IN_SECONDS", "SHARDING_KEY",
    "__transactionId__", "CLUSTER", "INSTANCE_ID", "CORRELATION_ID", "REPLY_TO_CLIENT", "TTL",
    "ARRIVE_TIME", "PUSH_REPLY_TIME", "MSG_TYPE", "TIMER_DELAY_SEC", "TIMER_DELIVER_MS",
    "TIMER_DELAY_MS", "__CRC32#", "INNER_NUM", "INNER_BASE",
};

int rmq_props_check(const char *name, const char *value, size_t vlen, bool user, char *err)
{
    size_t nlen = strlen(name);
    if (nlen == 0)
        return rmq_seterr(err, RMQ_EINVAL, "empty property name");
    if (vlen == 0)
        return rmq_seterr(err, RMQ_EINVAL, "property '%s' has an empty value", name);
    if (strpbrk(name, "\001\002") || memchr(value, RMQ_PROP_NV_SEP, vlen) || memchr(value, RMQ_PROP_SEP, vlen))
        return rmq_seterr(err, RMQ_EINVAL, "property '%s' contains a \\001 or \\002 byte", name);
    if (user)
        for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
            if (strcmp(name, reserved[i]) == 0)
                return rmq_seterr(err, RMQ_EINVAL, "property '%s' is reserved by RocketMQ", name);
    return 0;
}

int rmq_props_split(const char *kv, const char **name, size_t *nlen, const char **value, char *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return rmq_seterr(err, RMQ_EINVAL, "'%s': expected NAME=VALUE", kv);
    *name = kv;
    *nlen = (size_t)(eq - kv);
    *value = eq + 1;
    return 0;
}

int rmq_tag_filter_parse(struct rmq_tag_filter *f, const char *expr, char *err)
{
    memset(f, 0, sizeof *f);
    f->all = true;
    if (!expr)
        return 0;
    const char *p = expr;
    for (;;) {
        const char *bar = strstr(p, "||");
        const char *end = bar ? bar : p + strlen(p);
        const char *s = p, *e = end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e - s == 1 && *s == '*') {
            rmq_tag_filter_free(f);
            f->all = true;
            return 0;
        }
        if (e > s) {
            if (f->n == RMQ_TAG_FILTER_MAX) {
                rmq_tag_filter_free(f);
                return rmq_seterr(err, RMQ_EINVAL, "more than %d tags in '%s'", RMQ_TAG_FILTER_MAX, expr);
            }
            f->tags[f->n] = strndup(s, (size_t)(e - s));
            if (!f->tags[f->n])
                rmq_panic("out of memory");
            f->n++;
            f->all = false;
        }
        if (!bar)
            break;
        p = bar + 2;
    }
    return 0;
}

bool rmq_tag_filter_match(const struct rmq_tag_filter *f, const char *tag, size_t len)
{
    if (f->all)
        return true;
    if (!tag || !len)
        return false;
    for (int i = 0; i < f->n; i++)
        if (strlen(f->tags[i]) == len && memcmp(f->tags[i], tag, len) == 0)
            return true;
    return false;
}

void rmq_tag_filter_free(struct rmq_tag_filter *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->tags[i]);
    f->n = 0;
}
