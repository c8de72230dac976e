/*
 * ROCKETMQ binary header (PROTOCOL §1.4):
 *
 *   code 2 | language 1 | version 2 | opaque 4 | flag 4 | remarkLen 4 | remark |
 *   extLen 4 | extLen bytes of { keyLen 2 | key | valueLen 4 | value }
 *
 * Decoding rules (what Java's RocketMQSerializable does, minus its holes):
 *   - code and version are signed 16-bit, sign-extended;
 *   - remarkLen and extLen must be ≥ 0 and fit; the header must end exactly where the
 *     extFields end (Java would silently read the rest as body — a corrupt frame);
 *   - each entry's lengths must be ≥ 0 and fit inside extLen; a zero-length key or value is
 *     null in Java, so such an entry is dropped; a repeated key keeps the last value;
 *   - more than RMQ_CMD_MAX_EXT entries is refused.
 */
#include "proto/remoting_int.h"

#include "util/bytes.h"
#include "util/err.h"

#include <string.h>

int rmq_hdr_binary_decode(const uint8_t *hdr, size_t len, struct rmq_cmd *out, char *err)
{
    if (len < RMQ_BINARY_HEADER_FIXED)
        return rmq_seterr(err, RMQ_EINVAL, "ROCKETMQ header of %zu bytes, shorter than %d", len,
                          RMQ_BINARY_HEADER_FIXED);
    struct rmq_rd r = {hdr, hdr + len, false};
    out->code = (int16_t)rd_u16(&r);
    out->language = rd_u8(&r);
    out->version = (int16_t)rd_u16(&r);
    out->opaque = (int32_t)rd_u32(&r);
    out->flag = (int32_t)rd_u32(&r);
    int32_t rlen = (int32_t)rd_u32(&r);
    /* 4 more bytes (extLen) must follow the remark */
    if (rlen < 0 || (size_t)rlen > (size_t)(r.end - r.p) - 4)
        return rmq_seterr(err, RMQ_EINVAL, "remark length %d past the end of a %zu-byte header",
                          rlen, len);
    const uint8_t *remark = rd_bytes(&r, (size_t)rlen);
    int32_t elen = (int32_t)rd_u32(&r);
    if (elen < 0 || (size_t)elen != (size_t)(r.end - r.p))
        return rmq_seterr(err, RMQ_EINVAL, "extFields length %d but %zu header bytes left", elen,
                          (size_t)(r.end - r.p));

    /* Pass 1: check every entry and count them, so that pass 2 allocates once. */
    const uint8_t *p = r.p, *end = r.end;
    size_t count = 0;
    while (p < end) {
        if (end - p < 2)
            return rmq_seterr(err, RMQ_EINVAL, "extFields entry cut short at byte %zu",
                              (size_t)(p - hdr));
        int16_t kl = (int16_t)rd16(p);
        p += 2;
        if (kl < 0 || kl > end - p || end - p - kl < 4)
            return rmq_seterr(err, RMQ_EINVAL, "extFields key length %d past the header end", kl);
        p += kl;
        int32_t vl = (int32_t)rd32(p);
        p += 4;
        if (vl < 0 || vl > end - p)
            return rmq_seterr(err, RMQ_EINVAL, "extFields value length %d past the header end", vl);
        p += vl;
        if (kl > 0 && vl > 0) {
            if (++count > RMQ_CMD_MAX_EXT)
                return rmq_seterr(err, RMQ_EINVAL, "more than %d extFields", RMQ_CMD_MAX_EXT);
        }
    }

    rmq_cmd_arena_reserve(out, (size_t)elen + 1 + (rlen ? (size_t)rlen + 1 : 0) +
                                   count * sizeof(struct rmq_kv) + 2 * sizeof(max_align_t));
    /* the remark is text up to its first NUL; nothing before it means no remark, as an
     * empty one would come back from an encoder (length 0 = null) */
    if (rlen > 0 && remark[0])
        out->remark = rmq_cmd_arena_strdup(out, (const char *)remark, (size_t)rlen);
    if (count)
        rmq_cmd_ext_reserve(out, (uint32_t)count);
    /* Pass 2, on one copy of the entries (plus a byte): each key and value is terminated
     * in place by a NUL over the first byte of the length that follows it, read before
     * it is overwritten; one memcpy instead of a copy per key and per value. */
    uint8_t *q = (uint8_t *)rmq_cmd_arena_strdup(out, (const char *)r.p, (size_t)elen);
    uint8_t *qend = q + elen;
    size_t kl = q < qend ? rd16(q) : 0;
    while (q < qend) {
        char *key = (char *)q + 2;
        size_t vl = rd32((uint8_t *)key + kl);
        key[kl] = 0;
        char *val = key + kl + 4;
        uint8_t *next = (uint8_t *)val + vl;
        size_t next_kl = next < qend ? rd16(next) : 0;
        val[vl] = 0;   /* at qend: the copy's extra byte */
        if (kl > 0 && vl > 0)   /* pass 1 counted them: ext has room (no call per entry) */
            out->ext[out->next++] = (struct rmq_kv){key, val, (uint32_t)kl, (uint32_t)vl};
        q = next;
        kl = next_kl;
    }
    return 0;
}

int rmq_hdr_binary_encode(const struct rmq_cmd *c, struct rmq_buf *out)
{
    if (c->code < INT16_MIN || c->code > INT16_MAX || c->version < INT16_MIN ||
        c->version > INT16_MAX)
        return RMQ_EINVAL;
    size_t rlen = c->remark ? strlen(c->remark) : 0, elen = 0;
    for (uint32_t i = 0; i < c->next; i++) {
        if (c->ext[i].klen > INT16_MAX)
            return RMQ_EINVAL;
        elen += 6 + (size_t)c->ext[i].klen + c->ext[i].vlen;
    }
    if (RMQ_BINARY_HEADER_FIXED + rlen + elen > RMQ_HEADER_MAX)
        return RMQ_ETOOBIG;

    rmq_buf_reserve(out, RMQ_BINARY_HEADER_FIXED + rlen + elen);
    uint8_t *p = out->data + out->len;
    wr16(p, (uint16_t)c->code);
    p[2] = c->language;
    wr16(p + 3, (uint16_t)c->version);
    wr32(p + 5, (uint32_t)c->opaque);
    wr32(p + 9, (uint32_t)c->flag);
    wr32(p + 13, (uint32_t)rlen);
    p += 17;
    if (rlen) {
        memcpy(p, c->remark, rlen);
        p += rlen;
    }
    wr32(p, (uint32_t)elen);
    p += 4;
    for (uint32_t i = 0; i < c->next; i++) {
        const struct rmq_kv *kv = &c->ext[i];
        wr16(p, (uint16_t)kv->klen);
        memcpy(p + 2, kv->key, kv->klen);
        p += 2 + kv->klen;
        wr32(p, kv->vlen);
        if (kv->vlen)
            memcpy(p + 4, kv->val, kv->vlen);
        p += 4 + kv->vlen;
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = 0;
    return 0;
}
