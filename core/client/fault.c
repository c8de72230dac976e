/*
 * fault.c — the latency fault table and queue choice.
 */
#include "client/fault.h"

#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t latency_max[] = {50, 100, 550, 1800, 3000, 5000, 15000};
static const int64_t not_available[] = {0, 0, 2000, 5000, 6000, 10000, 30000};

int64_t rmq_fault_duration(int64_t latency_ms)
{
    for (int i = (int)(sizeof latency_max / sizeof latency_max[0]) - 1; i >= 0; i--)
        if (latency_ms >= latency_max[i])
            return not_available[i];
    return 0;
}

static struct rmq_fault_item *find(const struct rmq_faults *f, const char *broker)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].broker, broker) == 0)
            return &f->v[i];
    return NULL;
}

void rmq_fault_update(struct rmq_faults *f, const char *broker, int64_t latency_ms, bool reached, int64_t now_ms)
{
    if (!reached)
        latency_ms = RMQ_FAULT_ISOLATION_MS;
    struct rmq_fault_item *it = find(f, broker);
    if (!it) {
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 8;
            f->v = realloc(f->v, f->cap * sizeof *f->v);
            if (!f->v)
                rmq_panic("out of memory");
        }
        it = &f->v[f->n++];
        memset(it, 0, sizeof *it);
        snprintf(it->broker, sizeof it->broker, "%s", broker);
    }
    it->latency_ms = latency_ms;
    it->until_ms = now_ms + rmq_fault_duration(latency_ms);
}

bool rmq_fault_available(const struct rmq_faults *f, const char *broker, int64_t now_ms)
{
    const struct rmq_fault_item *it = find(f, broker);
    return !it || now_ms >= it->until_ms;
}

size_t rmq_fault_pick(const struct rmq_faults *f, const struct rmq_mq *qs, size_t n, unsigned *rr,
                      const char *avoid, int64_t now_ms)
{
    unsigned start = (*rr)++;
    for (int pass = 0; pass < 4; pass++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = (start + k) % n;
            bool avail = pass >= 2 || rmq_fault_available(f, qs[i].broker, now_ms);
            bool other = pass == 1 || pass == 3 || !avoid || strcmp(qs[i].broker, avoid) != 0;
            if (avail && other)
                return i;
        }
    }
    return start % n;
}

void rmq_faults_free(struct rmq_faults *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

size_t rmq_queue_by_hash(int32_t hash, size_t n)
{
    /* Java's % truncates toward zero like C's; the remainder's magnitude is below n, so
     * negating it cannot overflow even for Integer.MIN_VALUE */
    int64_t v = (int64_t)hash % (int64_t)n;
    return (size_t)(v < 0 ? -v : v);
}
