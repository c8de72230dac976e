#include "proto/msg.h"

#include "util/buf.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/hash.h"

#include <stdio.h>
#include <string.h>

static size_t host_len(const struct rmq_host *h) { return (h->ip_len == 16 ? 16 : 4) + 4; }

size_t rmq_msg_encoded_size(const struct rmq_msg_in *in)
{
    if (in->topic_len == 0 || in->topic_len > RMQ_MAX_TOPIC_LEN || in->body_len > INT32_MAX)
        return 0;
    size_t props = in->props_len + (in->with_record_crc ? RMQ_MSG_CRC_PROP_LEN : 0);
    if (props > RMQ_MAX_PROPS_LEN)
        return 0;
    return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + host_len(&in->born_host) + 8 +
           host_len(&in->store_host) + 4 + 8 + 4 + in->body_len + 1 + in->topic_len + 2 + props;
}

static uint8_t *put_host(uint8_t *p, const struct rmq_host *h)
{
    size_t n = h->ip_len == 16 ? 16 : 4;
    memcpy(p, h->ip, n);
    wr32(p + n, (uint32_t)h->port);
    return p + n + 4;
}

/* The __CRC32# tail: its separator goes first when properties precede it (so no empty
 * piece appears), last otherwise; either way the tail is RMQ_MSG_CRC_PROP_LEN bytes. */
static void put_crc_prop(uint8_t *p, bool lead_sep, uint32_t crc)
{
    char digits[10];   /* "%010u" by hand: snprintf here cost more than the CRC itself */
    for (int i = 9; i >= 0; i--, crc /= 10)
        digits[i] = (char)('0' + crc % 10);
    if (lead_sep)
        *p++ = RMQ_PROP_SEP;
    memcpy(p, RMQ_MSG_CRC_KEY, 8);
    p[8] = RMQ_PROP_NV_SEP;
    memcpy(p + 9, digits, 10);
    if (!lead_sep)
        p[19] = RMQ_PROP_SEP;
}

size_t rmq_msg_encode(uint8_t *dst, const struct rmq_msg_in *in, int64_t queue_offset,
                      int64_t phys_offset, int64_t store_ts)
{
    size_t total = rmq_msg_encoded_size(in);
    uint32_t sys_flag = in->sys_flag & ~(uint32_t)(RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6);
    if (in->born_host.ip_len == 16)
        sys_flag |= RMQ_SYSFLAG_BORNHOST_V6;
    if (in->store_host.ip_len == 16)
        sys_flag |= RMQ_SYSFLAG_STOREHOST_V6;

    uint8_t *p = dst;
    wr32(p, (uint32_t)total);
    wr32(p + 4, RMQ_MAGIC_V1);
    /* body CRC is filled below, once the body is in place */
    wr32(p + 12, (uint32_t)in->queue_id);
    wr32(p + 16, (uint32_t)in->flag);
    wr64(p + 20, (uint64_t)queue_offset);
    wr64(p + 28, (uint64_t)phys_offset);
    wr32(p + 36, sys_flag);
    wr64(p + 40, (uint64_t)in->born_ts);
    p = put_host(p + 48, &in->born_host);
    wr64(p, (uint64_t)store_ts);
    p = put_host(p + 8, &in->store_host);
    wr32(p, (uint32_t)in->reconsume_times);
    wr64(p + 4, (uint64_t)in->prepared_tx_offset);
    wr32(p + 12, (uint32_t)in->body_len);
    p += 16;
    uint8_t *body = p;
    if (in->body_len)   /* an empty body or property list may come as NULL */
        memcpy(body, in->body, in->body_len);
    p += in->body_len;
    *p++ = (uint8_t)in->topic_len;
    memcpy(p, in->topic, in->topic_len);
    p += in->topic_len;
    size_t props_len = in->props_len + (in->with_record_crc ? RMQ_MSG_CRC_PROP_LEN : 0);
    wr16(p, (uint16_t)props_len);
    p += 2;
    if (in->props_len)
        memcpy(p, in->props, in->props_len);
    p += in->props_len;

    wr32(dst + 8, rmq_body_crc(body, in->body_len));
    if (in->with_record_crc) {
        /* a second pass over the body: at libdeflate's speed cheaper than combining */
        put_crc_prop(p, in->props_len > 0, rmq_body_crc(dst, (size_t)(p - dst)));
        p += RMQ_MSG_CRC_PROP_LEN;
    }
    return (size_t)(p - dst);
}

static bool take_host(struct rmq_rd *r, struct rmq_host *h, bool v6)
{
    h->ip_len = v6 ? 16 : 4;
    const uint8_t *ip = rd_bytes(r, h->ip_len);
    if (!ip)
        return false;
    memcpy(h->ip, ip, h->ip_len);
    h->port = (int32_t)rd_u32(r);
    return !r->bad;
}

/* Recognises the __CRC32# tail; returns its CRC value or -1. */
static long parse_crc_tail(const uint8_t *tail)
{
    const uint8_t *k = tail[0] == RMQ_PROP_SEP ? tail + 1 : tail;
    if (k != tail + 1 && tail[19] != RMQ_PROP_SEP)
        return -1;
    if (memcmp(k, RMQ_MSG_CRC_KEY, 8) != 0 || k[8] != RMQ_PROP_NV_SEP)
        return -1;
    long v = 0;
    for (int i = 9; i < 19; i++) {
        if (k[i] < '0' || k[i] > '9')
            return -1;
        v = v * 10 + (k[i] - '0');
    }
    return v;
}

int rmq_msg_decode(const uint8_t *p, size_t avail, struct rmq_msg *m, int check, char *err)
{
    memset(m, 0, sizeof *m);
    if (avail < 8)
        return rmq_seterr(err, RMQ_ECORRUPT, "record header truncated (%zu bytes left)", avail);
    m->total_size = rd32(p);
    m->magic = rd32(p + 4);
    if (m->magic == RMQ_MAGIC_BLANK)
        return 0;
    if (m->magic != RMQ_MAGIC_V1 && m->magic != RMQ_MAGIC_V2)
        return rmq_seterr(err, RMQ_ECORRUPT, "bad magic 0x%08X", m->magic);
    if (m->total_size < 91 || m->total_size > avail)
        return rmq_seterr(err, RMQ_ECORRUPT, "bad record size %u (%zu bytes available)",
                          m->total_size, avail);

    struct rmq_rd r = {p + 8, p + m->total_size, false};
    m->body_crc = rd_u32(&r);
    m->queue_id = (int32_t)rd_u32(&r);
    m->flag = (int32_t)rd_u32(&r);
    m->queue_offset = (int64_t)rd_u64(&r);
    m->phys_offset = (int64_t)rd_u64(&r);
    m->sys_flag = rd_u32(&r);
    m->born_ts = (int64_t)rd_u64(&r);
    take_host(&r, &m->born_host, m->sys_flag & RMQ_SYSFLAG_BORNHOST_V6);
    m->store_ts = (int64_t)rd_u64(&r);
    take_host(&r, &m->store_host, m->sys_flag & RMQ_SYSFLAG_STOREHOST_V6);
    m->reconsume_times = (int32_t)rd_u32(&r);
    m->prepared_tx_offset = (int64_t)rd_u64(&r);
    m->body_len = rd_u32(&r);
    m->body = rd_bytes(&r, m->body_len);
    m->topic_len = m->magic == RMQ_MAGIC_V1 ? rd_u8(&r) : rd_u16(&r);
    m->topic = (const char *)rd_bytes(&r, m->topic_len);
    m->props_len = rd_u16(&r);
    m->props = (const char *)rd_bytes(&r, m->props_len);
    if (r.bad)
        return rmq_seterr(err, RMQ_ECORRUPT, "field lengths run past the record size %u",
                          m->total_size);
    if (r.p != r.end)
        return rmq_seterr(err, RMQ_ECORRUPT, "record size %u does not match its fields (%td)",
                          m->total_size, r.p - p);
    if (m->topic_len == 0)
        return rmq_seterr(err, RMQ_ECORRUPT, "empty topic");

    long tail_crc = -1;
    if (m->props_len >= RMQ_MSG_CRC_PROP_LEN - 1 && m->total_size >= RMQ_MSG_CRC_PROP_LEN)
        tail_crc = parse_crc_tail(p + m->total_size - RMQ_MSG_CRC_PROP_LEN);
    m->has_record_crc = tail_crc >= 0;
    if (check & RMQ_MSG_CHECK_CRC) {
        /* A torn write leaves zeros. The body CRC cannot see them in the topic or the
         * properties, and a record whose tail was lost has no record CRC left to check;
         * RocketMQ's writers never put NUL bytes there, so zeros mean damage. */
        if (memchr(m->topic, 0, m->topic_len) || memchr(m->props, 0, m->props_len))
            return rmq_seterr(err, RMQ_ECORRUPT, "NUL bytes in the topic or properties (torn write)");
        uint32_t c = rmq_body_crc(m->body, m->body_len);
        if (c != m->body_crc)
            return rmq_seterr(err, RMQ_ECORRUPT, "body CRC mismatch (stored %u, computed %u)",
                              m->body_crc, c);
        if (m->has_record_crc) {
            uint32_t rc = rmq_body_crc(p, m->total_size - RMQ_MSG_CRC_PROP_LEN);
            if (rc != (uint32_t)tail_crc)
                return rmq_seterr(err, RMQ_ECORRUPT,
                                  "record CRC mismatch (stored %ld, computed %u)", tail_crc, rc);
        }
    }
    return (int)m->total_size;
}

/* The value of key in one piece s[0..n) ("name\001value"), or NULL. A lookup knows its key,
 * so it compares instead of searching for the \001; the rules are rmq_props_next's: the
 * first \001 ends the name (key has none), and an empty name or value drops the piece. */
static const char *piece_value(const char *s, size_t n, const char *key, size_t klen, size_t *vlen)
{
    if (klen == 0 || n <= klen + 1 || s[klen] != RMQ_PROP_NV_SEP || memcmp(s, key, klen) != 0)
        return NULL;
    *vlen = n - klen - 1;
    return s + klen + 1;
}

/* The next piece of props at *pos (its separator excluded); false at the end. */
static bool next_piece(const char *props, size_t len, size_t *pos, const char **s, size_t *n)
{
    if (*pos >= len)
        return false;
    *s = props + *pos;
    const char *end = memchr(*s, RMQ_PROP_SEP, len - *pos);
    *n = end ? (size_t)(end - *s) : len - *pos;
    *pos += *n + (end ? 1 : 0);
    return true;
}

int rmq_props_next(const char *props, size_t len, size_t *pos, const char **k, size_t *klen,
                   const char **v, size_t *vlen)
{
    const char *s;
    size_t n;
    while (next_piece(props, len, pos, &s, &n)) {
        const char *eq = memchr(s, RMQ_PROP_NV_SEP, n);
        /* RocketMQ drops pieces with an empty name or an empty value */
        if (!eq || eq == s || eq == s + n - 1)
            continue;
        *k = s;
        *klen = (size_t)(eq - s);
        *v = eq + 1;
        *vlen = n - *klen - 1;
        return 1;
    }
    return 0;
}

const char *rmq_props_get(const char *props, size_t len, const char *key, size_t *vlen)
{
    size_t pos = 0, n, klen = strlen(key);
    const char *s, *v;
    while (next_piece(props, len, &pos, &s, &n))
        if ((v = piece_value(s, n, key, klen, vlen)))
            return v;
    return NULL;
}

void rmq_props_pick(const char *props, size_t len, const char *const *names, int n,
                    const char **vals, size_t *vlens)
{
    size_t pos = 0, plen;
    const char *s;
    int left = n;
    for (int i = 0; i < n; i++)
        vals[i] = NULL;
    while (left && next_piece(props, len, &pos, &s, &plen)) {
        for (int i = 0; i < n; i++) {
            if (!vals[i] && plen && s[0] == names[i][0] &&
                (vals[i] = piece_value(s, plen, names[i], strlen(names[i]), &vlens[i]))) {
                left--;
                break;
            }
        }
    }
}

void rmq_props_add(struct rmq_buf *b, const char *name, const char *value, size_t vlen)
{
    if (b->len)
        rmq_buf_add(b, "\002", 1);
    rmq_buf_addstr(b, name);
    rmq_buf_add(b, "\001", 1);
    rmq_buf_add(b, value, vlen);
}

void rmq_props_copy_except(struct rmq_buf *b, const char *props, size_t len,
                           const char *const *drop, size_t ndrop)
{
    size_t pos = 0, klen, vlen;
    const char *k, *v;
    while (rmq_props_next(props, len, &pos, &k, &klen, &v, &vlen)) {
        bool dropped = false;
        for (size_t i = 0; i < ndrop && !dropped; i++)
            dropped = strlen(drop[i]) == klen && memcmp(drop[i], k, klen) == 0;
        if (dropped)
            continue;
        if (b->len)
            rmq_buf_add(b, "\002", 1);
        rmq_buf_add(b, k, klen);
        rmq_buf_add(b, "\001", 1);
        rmq_buf_add(b, v, vlen);
    }
}

int rmq_msg_delay_level(const char *props, size_t len, int levels)
{
    size_t n;
    const char *v = rmq_props_get(props, len, RMQ_PROP_DELAY, &n);
    int64_t level = 0;
    if (!v || n == 0 || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;   /* "-1" (a DLQ redirect) and garbage alike: not delayed */
        level = level * 10 + (v[i] - '0');
    }
    if (level <= 0 || levels <= 0)
        return 0;
    return level > levels ? levels : (int)level;
}

int rmq_msg_offset_id(char *out, const struct rmq_host *h, int64_t phys_offset)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t raw[28];
    size_t n = h->ip_len == 16 ? 16 : 4;
    memcpy(raw, h->ip, n);
    wr32(raw + n, (uint32_t)h->port);
    wr64(raw + n + 4, (uint64_t)phys_offset);
    n += 12;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * n] = 0;
    return (int)(2 * n);
}
