/*
 * format.c — format strings and JSON lines for consumed messages.
 */
#include "client/format.h"

#include "proto/msg.h"
#include "util/err.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char directives[] = "btkqroiTOsBS%";

int rmq_format_parse(struct rmq_format *f, const char *text, char *err)
{
    size_t n = strlen(text), o = 0;
    f->spec = malloc(n + 1);
    if (!f->spec)
        rmq_panic("out of memory");
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (ch == '%') {
            if (i + 1 == n || !strchr(directives, text[i + 1]) || text[i + 1] == 0) {
                rmq_format_free(f);
                return rmq_seterr(err, RMQ_EINVAL, "unknown directive '%%%.1s' in format (known: %%b %%t %%k %%q %%r %%o %%i %%T %%O %%s %%B %%S %%%%)",
                                  i + 1 < n ? text + i + 1 : "");
            }
            f->spec[o++] = '%';
            f->spec[o++] = text[++i];
        } else if (ch == '\\' && i + 1 < n) {
            char e = text[++i];
            switch (e) {
            case 'n': f->spec[o++] = '\n'; break;
            case 't': f->spec[o++] = '\t'; break;
            case 'r': f->spec[o++] = '\r'; break;
            case '0': f->spec[o++] = '\0'; break;
            case '\\': f->spec[o++] = '\\'; break;
            default:
                rmq_format_free(f);
                return rmq_seterr(err, RMQ_EINVAL, "unknown escape '\\%c' in format (known: \\n \\t \\r \\0 \\\\)", e);
            }
        } else {
            f->spec[o++] = ch;
        }
    }
    f->len = o;
    return 0;
}

void rmq_format_free(struct rmq_format *f)
{
    free(f->spec);
    f->spec = NULL;
    f->len = 0;
}

static void add_offset_id(struct rmq_buf *out, const struct rmq_msg *m)
{
    char id[64];
    int n = rmq_msg_offset_id(id, &m->store_host, m->phys_offset);
    rmq_buf_add(out, id, (size_t)n);
}

void rmq_format_render(struct rmq_buf *out, const struct rmq_format *f, const struct rmq_consumed *c)
{
    const struct rmq_msg *m = c->m;
    for (size_t i = 0; i < f->len; i++) {
        const char *lit = f->spec + i;
        size_t run = 0;
        while (i + run < f->len && f->spec[i + run] != '%')
            run++;
        if (run) {
            rmq_buf_add(out, lit, run);
            i += run - 1;
            continue;
        }
        char d = f->spec[++i];
        switch (d) {
        case 'b': rmq_buf_add(out, c->body, c->body_len); break;
        case 't': rmq_buf_add(out, c->topic ? c->topic : m->topic, c->topic ? c->topic_len : m->topic_len); break;
        case 'k': if (c->keys) rmq_buf_add(out, c->keys, c->keys_len); break;
        case 'T': if (c->tags) rmq_buf_add(out, c->tags, c->tags_len); break;
        case 'q': rmq_buf_printf(out, "%d", (int)m->queue_id); break;
        case 'r': if (c->broker) rmq_buf_addstr(out, c->broker); break;
        case 'o': rmq_buf_printf(out, "%" PRId64, m->queue_offset); break;
        case 'i': rmq_buf_add(out, c->msg_id, c->msg_id_len); break;
        case 'O': add_offset_id(out, m); break;
        case 's': rmq_buf_printf(out, "%zu", c->body_len); break;
        case 'B': rmq_buf_printf(out, "%" PRId64, m->born_ts); break;
        case 'S': rmq_buf_printf(out, "%" PRId64, m->store_ts); break;
        default: rmq_buf_add(out, "%", 1); break;
        }
    }
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is not one. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    size_t len;
    uint32_t cp;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        len = 2, cp = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF)
        len = 3, cp = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4)
        len = 4, cp = b & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

void rmq_json_string(struct rmq_buf *out, const void *str, size_t n)
{
    const uint8_t *s = str;
    rmq_buf_add(out, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t run = 0;
        /* copy plain ASCII runs at once */
        while (i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x80 && s[i + run] != '"' && s[i + run] != '\\')
            run++;
        if (run) {
            rmq_buf_add(out, s + i, run);
            i += run;
            continue;
        }
        uint8_t b = s[i];
        if (b == '"' || b == '\\') {
            char e[2] = {'\\', (char)b};
            rmq_buf_add(out, e, 2);
            i++;
        } else if (b < 0x20) {
            switch (b) {
            case '\n': rmq_buf_add(out, "\\n", 2); break;
            case '\t': rmq_buf_add(out, "\\t", 2); break;
            case '\r': rmq_buf_add(out, "\\r", 2); break;
            default: rmq_buf_printf(out, "\\u%04x", b); break;
            }
            i++;
        } else {
            size_t len = utf8_len(s + i, n - i);
            if (len) {
                rmq_buf_add(out, s + i, len);
                i += len;
            } else {
                rmq_buf_add(out, "\\ufffd", 6);
                i++;
            }
        }
    }
    rmq_buf_add(out, "\"", 1);
}

void rmq_format_host(struct rmq_buf *out, const struct rmq_host *h)
{
    char ip[INET6_ADDRSTRLEN] = "";
    inet_ntop(h->ip_len == 16 ? AF_INET6 : AF_INET, h->ip, ip, sizeof ip);
    rmq_buf_printf(out, h->ip_len == 16 ? "[%s]:%d" : "%s:%d", ip, (int)h->port);
}

static void add_host(struct rmq_buf *out, const struct rmq_host *h)
{
    rmq_buf_addstr(out, "\"");
    rmq_format_host(out, h);
    rmq_buf_addstr(out, "\"");
}

void rmq_format_time(int64_t ms, char *out, size_t n)
{
    if (ms <= 0) {
        *out = '\0';
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s,%03d", b, (int)(ms % 1000));
}

/* Java's InetSocketAddress.toString() of a host: "/ip:port". */
static void java_host(struct rmq_buf *out, const struct rmq_host *h)
{
    rmq_buf_addstr(out, "/");
    rmq_format_host(out, h);
}

void rmq_format_sendresult(struct rmq_buf *out, const char *status, const char *msg_id, const char *offset_id,
                           const char *topic, const char *broker, int queue_id, int64_t queue_offset)
{
    rmq_buf_printf(out,
                   "SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, messageQueue=MessageQueue [topic=%s, "
                   "brokerName=%s, queueId=%d], queueOffset=%" PRId64 "]\n",
                   status, msg_id, offset_id, topic, broker, queue_id, queue_offset);
}

void rmq_format_messageext(struct rmq_buf *out, const struct rmq_consumed *c, const char *broker)
{
    const struct rmq_msg *m = c->m;
    rmq_buf_printf(out,
                   "MessageExt [brokerName=%s, queueId=%d, storeSize=%u, queueOffset=%" PRId64
                   ", sysFlag=%u, bornTimestamp=%" PRId64 ", bornHost=",
                   broker, (int)m->queue_id, (unsigned)m->total_size, m->queue_offset, (unsigned)m->sys_flag,
                   m->born_ts);
    java_host(out, &m->born_host);
    rmq_buf_printf(out, ", storeTimestamp=%" PRId64 ", storeHost=", m->store_ts);
    java_host(out, &m->store_host);
    /* the msgId field, which a Java consumer's MessageClientExt fills with the offset id
     * (getMsgId() gives the UNIQ_KEY, toString() does not call it) */
    char offset_id[64];
    rmq_msg_offset_id(offset_id, &m->store_host, m->phys_offset);
    rmq_buf_printf(out, ", msgId=%s, commitLogOffset=%" PRId64 ", bodyCRC=%d, reconsumeTimes=%d, "
                   "preparedTransactionOffset=%" PRId64 ", toString()=Message{topic='%.*s', flag=%d, properties={",
                   offset_id, m->phys_offset, (int)m->body_crc, (int)m->reconsume_times,
                   m->prepared_tx_offset, (int)m->topic_len, m->topic, (int)m->flag);
    size_t pos = 0, kl, vl;
    const char *k, *v;
    for (bool first = true; rmq_props_next(m->props, m->props_len, &pos, &k, &kl, &v, &vl); first = false)
        rmq_buf_printf(out, "%s%.*s=%.*s", first ? "" : ", ", (int)kl, k, (int)vl, v);
    rmq_buf_addstr(out, "}, body=[");
    for (size_t i = 0; i < c->body_len; i++)   /* Arrays.toString(byte[]): signed bytes */
        rmq_buf_printf(out, "%s%d", i ? ", " : "", (int)(int8_t)c->body[i]);
    rmq_buf_addstr(out, "], transactionId='null'}]");
}

void rmq_format_quickstart_receive(struct rmq_buf *out, const char *group, uint64_t nth, const struct rmq_consumed *c)
{
    /* the pool's thread names: "ConsumeMessageThread_" + group (cut to 100) + "_" + n */
    rmq_buf_printf(out, "ConsumeMessageThread_%.100s_%u Receive New Messages: [", group,
                   (unsigned)((nth - 1) % RMQ_JAVA_CONSUME_THREADS + 1));
    rmq_format_messageext(out, c, c->broker ? c->broker : "");
    rmq_buf_addstr(out, "] \n");   /* closes the list: Java prints "%s Receive New Messages: %s %n" */
}

void rmq_format_details(struct rmq_buf *out, const struct rmq_consumed *c)
{
    const struct rmq_msg *m = c->m;
    char born[40], stored[40];
    rmq_format_time(m->born_ts, born, sizeof born);
    rmq_format_time(m->store_ts, stored, sizeof stored);
    rmq_buf_printf(out, "%-20s ", "OffsetID:");
    add_offset_id(out, m);
    rmq_buf_printf(out, "\n%-20s %.*s\n", "MsgID:", (int)c->msg_id_len, c->msg_id);
    rmq_buf_printf(out, "%-20s %.*s\n", "Topic:", (int)m->topic_len, m->topic);
    rmq_buf_printf(out, "%-20s [%.*s]\n", "Tags:", (int)c->tags_len, c->tags ? c->tags : "");
    rmq_buf_printf(out, "%-20s [%.*s]\n", "Keys:", (int)c->keys_len, c->keys ? c->keys : "");
    rmq_buf_printf(out, "%-20s %d\n%-20s %" PRId64 "\n%-20s %" PRId64 "\n%-20s %d\n", "Queue ID:", (int)m->queue_id,
                   "Queue Offset:", m->queue_offset, "CommitLog Offset:", m->phys_offset, "Reconsume Times:",
                   (int)m->reconsume_times);
    rmq_buf_printf(out, "%-20s %s\n%-20s %s\n%-20s ", "Born Timestamp:", born, "Store Timestamp:", stored,
                   "Born Host:");
    rmq_format_host(out, &m->born_host);
    rmq_buf_printf(out, "\n%-20s ", "Store Host:");
    rmq_format_host(out, &m->store_host);
    rmq_buf_printf(out, "\n%-20s %u\n%-20s {", "System Flag:", (unsigned)m->sys_flag, "Properties:");
    size_t pos = 0, kl, vl;
    const char *k, *v;
    for (bool first = true; rmq_props_next(m->props, m->props_len, &pos, &k, &kl, &v, &vl); first = false)
        rmq_buf_printf(out, "%s%.*s=%.*s", first ? "" : ", ", (int)kl, k, (int)vl, v);
    rmq_buf_printf(out, "}\n%-20s ", "Message Body:");
    rmq_buf_add(out, c->body, c->body_len);
    rmq_buf_addstr(out, "\n");
}

void rmq_format_json(struct rmq_buf *out, const struct rmq_consumed *c)
{
    const struct rmq_msg *m = c->m;
    rmq_buf_addstr(out, "{\"topic\":");
    rmq_json_string(out, c->topic ? c->topic : m->topic, c->topic ? c->topic_len : m->topic_len);
    if (c->broker) {
        rmq_buf_addstr(out, ",\"brokerName\":");
        rmq_json_string(out, c->broker, strlen(c->broker));
    }
    rmq_buf_printf(out, ",\"queueId\":%d,\"queueOffset\":%" PRId64 ",\"msgId\":", (int)m->queue_id, m->queue_offset);
    rmq_json_string(out, c->msg_id, c->msg_id_len);
    rmq_buf_addstr(out, ",\"offsetMsgId\":\"");
    add_offset_id(out, m);
    rmq_buf_addstr(out, "\"");
    if (c->tags) {
        rmq_buf_addstr(out, ",\"tags\":");
        rmq_json_string(out, c->tags, c->tags_len);
    }
    if (c->keys) {
        rmq_buf_addstr(out, ",\"keys\":");
        rmq_json_string(out, c->keys, c->keys_len);
    }
    rmq_buf_printf(out, ",\"bornTimestamp\":%" PRId64 ",\"storeTimestamp\":%" PRId64 ",\"bornHost\":", m->born_ts,
                   m->store_ts);
    add_host(out, &m->born_host);
    rmq_buf_addstr(out, ",\"storeHost\":");
    add_host(out, &m->store_host);
    rmq_buf_printf(out, ",\"reconsumeTimes\":%d,\"sysFlag\":%u,\"properties\":{", (int)m->reconsume_times,
                   (unsigned)m->sys_flag);
    size_t pos = 0, kl, vl;
    const char *k, *v;
    bool first = true;
    while (rmq_props_next(m->props, m->props_len, &pos, &k, &kl, &v, &vl)) {
        if (!first)
            rmq_buf_add(out, ",", 1);
        first = false;
        rmq_json_string(out, k, kl);
        rmq_buf_add(out, ":", 1);
        rmq_json_string(out, v, vl);
    }
    rmq_buf_addstr(out, "},\"body\":");
    rmq_json_string(out, c->body, c->body_len);
    rmq_buf_addstr(out, "}\n");
}
