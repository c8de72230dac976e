/* libFuzzer target: the name-server bodies of core/proto/body.h (TopicRouteData,
 * ClusterInfo, TopicList, RegisterBrokerBody). A decode either fails cleanly or yields
 * structs whose encoding decodes again. */
#include "proto/body.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[RMQ_ERRLEN];
    char *text = malloc(size ? size : 1);   /* exact size: ASan sees any overread */
    for (size_t i = 0; i < size; i++)
        text[i] = (char)data[i];
    struct rmq_buf b = {0};
    struct rmq_topic_route r, r2;
    if (rmq_topic_route_decode(text, size, &r, err) == 0) {
        rmq_topic_route_encode(&r, RMQ_KEYS_BARE, &b);
        if (rmq_topic_route_decode(b.data, b.len, &r2, err) != 0)
            abort();
        rmq_topic_route_free(&r2);
        rmq_topic_route_free(&r);
    }
    rmq_buf_reset(&b);
    struct rmq_cluster_info ci, ci2;
    if (rmq_cluster_info_decode(text, size, &ci, err) == 0) {
        rmq_cluster_info_encode(&ci, RMQ_KEYS_QUOTED, &b);
        if (rmq_cluster_info_decode(b.data, b.len, &ci2, err) != 0)
            abort();
        rmq_cluster_info_free(&ci2);
        rmq_cluster_info_free(&ci);
    }
    char **names;
    size_t n;
    if (rmq_topic_list_decode(text, size, &names, &n, err) == 0)
        rmq_topic_list_free(names, n);
    struct rmq_register_body rb;
    if (rmq_register_body_decode(text, size, &rb, err) == 0)
        rmq_register_body_free(&rb);
    rmq_buf_free(&b);
    free(text);
    return 0;
}
