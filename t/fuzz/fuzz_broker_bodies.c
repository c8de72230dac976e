/* libFuzzer target: what the broker reads from clients besides frames and records —
 * HEART_BEAT bodies, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP bodies, and the properties the
 * delay levels and retries rewrite (DELAY parsing, copying all but some keys). Each either
 * fails cleanly or gives something consistent. */
#include "broker/clients.h"
#include "proto/msg.h"
#include "store/meta.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[RMQ_ERRLEN];
    char *text = malloc(size ? size : 1);   /* exact size: ASan sees any overread */
    memcpy(text, data, size);
    struct rmq_heartbeat hb;
    if (rmq_heartbeat_parse(data, size, &hb, err) == 0) {
        if (!hb.client_id[0] || hb.nconsumer < 0 || hb.nproducer < 0)
            abort();
        rmq_heartbeat_free(&hb);
    }
    struct rmq_group_conf g;
    if (rmq_group_conf_parse(text, size, &g, err) == 0 && !g.name[0])
        abort();
    int level = rmq_msg_delay_level(text, size, 18);
    if (level < 0 || level > 18)
        abort();
    static const char *const drop[] = {"DELAY", "WAIT", "__CRC32#"};
    struct rmq_buf out = {0};
    rmq_props_copy_except(&out, text, size, drop, 3);
    if (out.len > size)   /* dropping never adds bytes */
        abort();
    if (rmq_msg_delay_level((const char *)out.data, out.len, 18) != 0)
        abort();
    rmq_buf_free(&out);
    free(text);
    return 0;
}
