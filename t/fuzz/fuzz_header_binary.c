/* libFuzzer target: the ROCKETMQ binary header decoder on arbitrary bytes (no frame around
 * them). A header it accepts must re-encode to the very same bytes when it had no empty
 * entries, and always decode again to the same command. Nothing may read out of
 * bounds or abort. */
#include "proto/remoting_int.h"
#include "util/bytes.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond) { if (!cond) abort(); }

static void same(const struct rmq_cmd *a, const struct rmq_cmd *b)
{
    check(a->code == b->code && a->language == b->language && a->version == b->version &&
          a->opaque == b->opaque && a->flag == b->flag);
    check(!a->remark == !b->remark);
    if (a->remark)
        check(strcmp(a->remark, b->remark) == 0);
    check(a->next == b->next);
    for (uint32_t i = 0; i < a->next; i++) {
        const struct rmq_kv *x = &a->ext[i], *y = &b->ext[i];
        check(x->klen == y->klen && x->vlen == y->vlen);
        check(memcmp(x->key, y->key, x->klen) == 0 && memcmp(x->val, y->val, x->vlen) == 0);
    }
}

/* Entries in an accepted header, all of them (the decoder drops empty ones). */
static size_t raw_entries(const uint8_t *h, size_t len)
{
    size_t n = 0;
    const uint8_t *p = h + 21 + rd32(h + 13), *end = h + len;
    for (; p < end; n++) {
        size_t kl = rd16(p), vl = rd32(p + 2 + kl);
        p += 6 + kl + vl;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *hdr = malloc(size ? size : 1);   /* exact size, so ASan sees overreads */
    memcpy(hdr, data, size);
    struct rmq_cmd c = {0};
    char err[RMQ_ERRLEN];
    int rc = rmq_hdr_binary_decode(hdr, size, &c, err);
    check(rc == 0 || rc == RMQ_EINVAL);
    if (rc == 0) {
        check(size >= 21 && c.next <= RMQ_CMD_MAX_EXT);
        for (uint32_t i = 0; i < c.next; i++) {
            int64_t v;
            check(c.ext[i].klen > 0 && c.ext[i].vlen > 0);
            if (!memchr(c.ext[i].key, 0, c.ext[i].klen)) {   /* a repeated key: the last one */
                const struct rmq_kv *f = rmq_cmd_ext_find(&c, c.ext[i].key);
                check(f && f >= &c.ext[i] && f->klen == c.ext[i].klen &&
                      memcmp(f->key, c.ext[i].key, f->klen) == 0);
            }
            rmq_cmd_ext_int(&c, c.ext[i].key, 0, INT64_MAX, &v, err);
        }
        struct rmq_buf b = {0};
        c.serialize = RMQ_SER_ROCKETMQ;
        check(rmq_cmd_encode(&c, &b) == 0);
        size_t flen = 0;
        check(rmq_frame_peek(b.data, b.len, SIZE_MAX, &flen) == 1 && flen == b.len);
        /* byte-identical when nothing was dropped or merged and the remark had no NUL */
        size_t rlen = rd32(hdr + 13);
        if (raw_entries(hdr, size) == c.next && (c.remark ? strlen(c.remark) : 0) == rlen)
            check(b.len - 8 == size && memcmp(b.data + 8, hdr, size) == 0);
        struct rmq_cmd d;
        check(rmq_cmd_decode(b.data, b.len, &d, err) == 0);
        same(&c, &d);
        rmq_cmd_free(&d);
        rmq_buf_free(&b);
    }
    rmq_cmd_free(&c);
    free(hdr);
    return 0;
}
