/* libFuzzer target: the JSON header decoder on arbitrary text (no frame around it). A header
 * it accepts must survive encode → peek → decode unchanged (extFields in the same order),
 * and its extFields getters must not misbehave. Nothing may read out of bounds or abort. */
#include "proto/remoting_int.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond) { if (!cond) abort(); }

static void same(const struct rmq_cmd *a, const struct rmq_cmd *b)
{
    check(a->code == b->code && a->version == b->version && a->opaque == b->opaque &&
          a->flag == b->flag);
    check(b->language == (rmq_lang_name(a->language) ? a->language : RMQ_LANG_OTHER));
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *hdr = malloc(size ? size : 1);   /* exact size, so ASan sees overreads */
    memcpy(hdr, data, size);
    struct rmq_cmd c = {0};
    char err[RMQ_ERRLEN];
    int rc = rmq_hdr_json_decode(hdr, size, &c, err);
    check(rc == 0 || rc == RMQ_EINVAL);
    if (rc == 0) {
        check(c.next <= RMQ_CMD_MAX_EXT);
        for (uint32_t i = 0; i < c.next; i++) {
            int64_t v;
            check(c.ext[i].klen > 0 && c.ext[i].key[c.ext[i].klen] == 0 &&
                  c.ext[i].val[c.ext[i].vlen] == 0);
            check(rmq_cmd_ext_find(&c, c.ext[i].key) == &c.ext[i]);
            rmq_cmd_ext_int(&c, c.ext[i].key, -5, 1000, &v, err);
            rmq_cmd_ext_bool(&c, c.ext[i].key, true);
        }
        struct rmq_buf b = {0};
        c.serialize = RMQ_SER_JSON;
        check(rmq_cmd_encode(&c, &b) == 0);
        size_t flen = 0;
        check(rmq_frame_peek(b.data, b.len, SIZE_MAX, &flen) == 1 && flen == b.len);
        struct rmq_cmd d;
        check(rmq_cmd_decode(b.data, b.len, &d, err) == 0);
        same(&c, &d);
        /* and the encoder is deterministic: d encodes to the same bytes */
        struct rmq_buf b2 = {0};
        check(rmq_cmd_encode(&d, &b2) == 0);
        check(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
        rmq_buf_free(&b2);
        rmq_cmd_free(&d);
        rmq_buf_free(&b);
    }
    rmq_cmd_free(&c);
    free(hdr);
    return 0;
}
