/* libFuzzer target: the stored-message decoder and property walker on arbitrary bytes.
 * Nothing may read out of bounds or abort; a decoded record's spans must lie inside it; on
 * the input taken as a properties string, rmq_props_get and rmq_props_pick answer what the
 * walker (rmq_props_next) finds first for each name. */
#include "proto/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so ASan sees any read past the end */
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    for (size_t off = 0; off < size;) {
        struct rmq_msg m;
        int n = rmq_msg_decode(buf + off, size - off, &m, RMQ_MSG_CHECK_CRC, NULL);
        if (n <= 0)
            break;
        if (m.body + m.body_len > buf + size || (const uint8_t *)m.props + m.props_len > buf + size)
            abort();
        size_t pos = 0, kl, vl;
        const char *k, *v;
        while (rmq_props_next(m.props, m.props_len, &pos, &k, &kl, &v, &vl))
            if (v + vl > m.props + m.props_len)
                abort();
        off += (size_t)n;
    }
    static const char *const names[] = {"TAGS", "KEYS", "A"};
    const char *props = (const char *)buf, *picked[3];
    size_t picked_len[3];
    rmq_props_pick(props, size, names, 3, picked, picked_len);
    for (int i = 0; i < 3; i++) {
        size_t pos = 0, kl, vl, gl = 0, wl = 0, nl = strlen(names[i]);
        const char *k, *v, *w = NULL;
        while (rmq_props_next(props, size, &pos, &k, &kl, &v, &vl))
            if (kl == nl && memcmp(k, names[i], nl) == 0) {
                w = v;
                wl = vl;
                break;
            }
        const char *g = rmq_props_get(props, size, names[i], &gl);
        if (g != w || picked[i] != w || (w && (gl != wl || picked_len[i] != wl)))
            abort();
    }
    free(buf);
    return 0;
}
