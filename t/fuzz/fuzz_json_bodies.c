/* libFuzzer target: the fastjson-tolerant JSON readers (unquoted integer keys, lenient
 * scalars) behind topics.json, consumerOffset.json, subscriptionGroup.json and
 * delayOffset.json, which are also the bodies of GET_ALL_TOPIC_CONFIG and friends.
 * A parse either fails cleanly or yields a table that re-encodes and parses again. */
#include "store/meta.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>

#define ROUND_TRIP(type)                                                                  \
    do {                                                                                  \
        struct rmq_##type##_table *t = NULL, *u = NULL;                                   \
        if (rmq_##type##_table_parse(&t, text, size, "fuzz", err) == 0 && t) {           \
            size_t n;                                                                     \
            char *again = rmq_##type##_table_encode(t, &n);                               \
            if (again && rmq_##type##_table_parse(&u, again, n, "again", err) != 0)       \
                abort();                                                                  \
            free(again);                                                                  \
            rmq_##type##_table_free(u);                                                   \
        }                                                                                 \
        rmq_##type##_table_free(t);                                                       \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[RMQ_ERRLEN];
    char *text = malloc(size ? size : 1);   /* exact size: ASan sees any overread */
    for (size_t i = 0; i < size; i++)
        text[i] = (char)data[i];
    ROUND_TRIP(topic);
    ROUND_TRIP(group);
    ROUND_TRIP(offset);
    ROUND_TRIP(delay);
    size_t qn;
    free(rmq_json_quote_int_keys(text, size, &qn));
    free(text);
    return 0;
}
