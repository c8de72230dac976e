/*
 * route.c — a topic's route → its message queues.
 */
#include "client/route.h"

#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rmq_mq_cmp(const void *a, const void *b)
{
    const struct rmq_mq *x = a, *y = b;
    int c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

const char *rmq_route_master(const struct rmq_broker_data *b)
{
    const char *a = b ? rmq_broker_data_addr(b, 0) : NULL;
    return a ? a : "";
}

static void add_queues(const struct rmq_queue_data *q, int count, struct rmq_mq **out, size_t *n, size_t *cap)
{
    for (int i = 0; i < count; i++) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *out = realloc(*out, *cap * sizeof **out);
            if (!*out)
                rmq_panic("out of memory");
        }
        struct rmq_mq *m = &(*out)[(*n)++];
        memset(m, 0, sizeof *m);   /* whole struct: sets are compared with memcmp */
        snprintf(m->broker, sizeof m->broker, "%s", q->broker_name);
        m->qid = i;
        m->perm = q->perm;
    }
}

void rmq_route_write_queues(const struct rmq_topic_route *r, int per_broker_cap, struct rmq_mq **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < r->nqueues; i++) {
        const struct rmq_queue_data *q = &r->queues[i];
        if (!(q->perm & RMQ_PERM_WRITE) || !*rmq_route_master(rmq_topic_route_broker(r, q->broker_name)))
            continue;
        int count = q->write_queue_nums;
        if (per_broker_cap > 0)
            count = q->read_queue_nums < per_broker_cap ? q->read_queue_nums : per_broker_cap;
        add_queues(q, count, out, n, &cap);
    }
    if (*n)
        qsort(*out, *n, sizeof **out, rmq_mq_cmp);
}

void rmq_route_read_queues(const struct rmq_topic_route *r, struct rmq_mq **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < r->nqueues; i++)
        if (r->queues[i].perm & RMQ_PERM_READ)
            add_queues(&r->queues[i], r->queues[i].read_queue_nums, out, n, &cap);
    if (*n)
        qsort(*out, *n, sizeof **out, rmq_mq_cmp);
}
