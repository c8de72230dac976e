/* libFuzzer target: a stream of frames. Each whole frame rmq_frame_peek() finds is decoded;
 * a decoded command is re-encoded in its own serialization, which must peek as one frame of
 * exactly that size and decode to the same command; where the other serialization can carry
 * it, the same holds across forms. Nothing may read out of bounds or abort. */
#include "proto/remoting.h"
#include "util/bytes.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAME (1u << 20)

static void check(int cond) { if (!cond) abort(); }

/* Same header, extFields (same order), body; b came through serialization `ser`. */
static void same(const struct rmq_cmd *a, const struct rmq_cmd *b, uint8_t ser)
{
    check(a->code == b->code && a->version == b->version && a->opaque == b->opaque &&
          a->flag == b->flag);
    /* JSON carries language names; a byte without one goes out as OTHER */
    check(b->language == (ser == RMQ_SER_JSON && !rmq_lang_name(a->language) ? RMQ_LANG_OTHER
                                                                              : a->language));
    check(!a->remark == !b->remark);
    if (a->remark)
        check(strcmp(a->remark, b->remark) == 0);
    check(a->next == b->next);
    for (uint32_t i = 0; i < a->next; i++) {
        const struct rmq_kv *x = &a->ext[i], *y = &b->ext[i];
        check(x->klen == y->klen && x->vlen == y->vlen);
        check(memcmp(x->key, y->key, x->klen) == 0 && memcmp(x->val, y->val, x->vlen) == 0);
        check(x->key[x->klen] == 0 && x->val[x->vlen] == 0);
    }
    check(a->body_len == b->body_len);
    check(!a->body_len || memcmp(a->body, b->body, a->body_len) == 0);
}

static int utf8_ok(const char *s, size_t n)
{
    /* the JSON writer replaces invalid bytes; only valid text survives a trip through JSON */
    const uint8_t *p = (const uint8_t *)s, *e = p + n;
    while (p < e) {
        uint8_t c = *p;
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || (size_t)(e - p) < k)
            return 0;
        for (size_t i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return 0;
        p += k;
    }
    return 1;
}

/* Can c go through the other serialization unchanged? */
static int crossable(const struct rmq_cmd *c)
{
    if (c->serialize == RMQ_SER_ROCKETMQ) {          /* → JSON */
        if (c->remark && !utf8_ok(c->remark, strlen(c->remark)))
            return 0;
        for (uint32_t i = 0; i < c->next; i++)
            if (memchr(c->ext[i].key, 0, c->ext[i].klen) || !utf8_ok(c->ext[i].key, c->ext[i].klen) ||
                !utf8_ok(c->ext[i].val, c->ext[i].vlen) ||
                rmq_cmd_ext_find(c, c->ext[i].key) != &c->ext[i])   /* JSON keeps one of a repeated key */
                return 0;
        return 1;
    }
    if (c->code < INT16_MIN || c->code > INT16_MAX || c->version < INT16_MIN ||
        c->version > INT16_MAX || (c->remark && !c->remark[0]))   /* → ROCKETMQ */
        return 0;
    for (uint32_t i = 0; i < c->next; i++)
        if (c->ext[i].klen > INT16_MAX || c->ext[i].vlen == 0)
            return 0;
    return 1;
}

static void reencode(const struct rmq_cmd *c, uint8_t ser)
{
    struct rmq_cmd copy = *c;   /* a shallow view: only serialize differs; never freed */
    copy.serialize = ser;
    struct rmq_buf b = {0};
    int rc = rmq_cmd_encode(&copy, &b);
    if (ser == c->serialize)
        check(rc == 0 || rc == RMQ_ETOOBIG);
    if (rc == 0) {
        size_t flen = 0;
        check(rmq_frame_peek(b.data, b.len, SIZE_MAX, &flen) == 1 && flen == b.len);
        struct rmq_cmd d;
        char err[RMQ_ERRLEN];
        rc = rmq_cmd_decode(b.data, b.len, &d, err);
        check(rc == 0);
        check(d.serialize == ser);
        same(c, &d, ser);
        rmq_cmd_free(&d);
    }
    rmq_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);   /* exact size, so ASan sees overreads */
    memcpy(buf, data, size);
    for (size_t off = 0; off < size;) {
        size_t flen = 0;
        char err[RMQ_ERRLEN];
        int rc = rmq_frame_peek_err(buf + off, size - off, MAX_FRAME, &flen, err);
        check(rc == 0 || rc == 1 || rc == RMQ_EINVAL);
        if (rc != 1)
            break;
        check(flen >= 8 && flen <= size - off);
        struct rmq_cmd c;
        if (rmq_cmd_decode(buf + off, flen, &c, err) == 0) {
            check(c.next <= RMQ_CMD_MAX_EXT);
            check(!c.body_len || (c.body >= buf + off && c.body + c.body_len == buf + off + flen));
            for (uint32_t i = 0; i < c.next; i++) {
                int64_t v;
                check(c.ext[i].klen > 0);
                if (!memchr(c.ext[i].key, 0, c.ext[i].klen)) {   /* a repeated key: the last one */
                    const struct rmq_kv *f = rmq_cmd_ext_find(&c, c.ext[i].key);
                    check(f && f >= &c.ext[i] && f->klen == c.ext[i].klen &&
                          memcmp(f->key, c.ext[i].key, f->klen) == 0);
                }
                rmq_cmd_ext_int(&c, c.ext[i].key, INT64_MIN, INT64_MAX, &v, err);
                rmq_cmd_ext_bool(&c, c.ext[i].key, false);
            }
            reencode(&c, c.serialize);
            if (crossable(&c))
                reencode(&c, c.serialize ^ 1);
            rmq_cmd_free(&c);
        } else {
            check(c.arena_ == NULL && c.next == 0);
        }
        off += flen;
    }
    free(buf);
    return 0;
}
