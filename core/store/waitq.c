#include "store/waitq.h"

#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>

void rmq_waitq_push(struct rmq_waitq *q, int64_t offset, int64_t deadline_us, void *cookie)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        struct rmq_wait *v = malloc(cap * sizeof *v);
        if (!v)
            rmq_panic("out of memory growing a wait queue to %zu", cap);
        for (size_t i = 0; i < q->len; i++)
            v[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = v;
        q->cap = cap;
        q->head = 0;
    }
    q->v[(q->head + q->len) % q->cap] = (struct rmq_wait){offset, deadline_us, cookie};
    q->len++;
}

static size_t pop_while(struct rmq_waitq *q, int64_t limit, int by_deadline, rmq_wait_done done,
                        void *arg, int status)
{
    size_t n = 0;
    while (q->len > 0) {
        struct rmq_wait *w = &q->v[q->head];
        if ((by_deadline ? w->deadline_us : w->offset) > limit)
            break;
        void *cookie = w->cookie;
        q->head = (q->head + 1) % q->cap;
        q->len--;
        n++;
        done(arg, cookie, status);
    }
    return n;
}

size_t rmq_waitq_complete(struct rmq_waitq *q, int64_t watermark, rmq_wait_done done, void *arg)
{
    return pop_while(q, watermark, 0, done, arg, 0);
}

size_t rmq_waitq_expire(struct rmq_waitq *q, int64_t now_us, rmq_wait_done done, void *arg)
{
    return pop_while(q, now_us, 1, done, arg, RMQ_ETIMEOUT);
}

void rmq_waitq_free(struct rmq_waitq *q)
{
    free(q->v);
    q->v = NULL;
    q->head = q->len = q->cap = 0;
}
