#include "broker/locks.h"

#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

struct rmq_lock {
    struct rmq_lock *next;
    int32_t queue_id;
    int64_t last_ms;
    char *group, *topic, *broker_name, *client;
};

static uint32_t bucket_of(const char *group, const struct rmq_lock_mq *mq)
{
    uint32_t h = (uint32_t)rmq_java_hash(group, strlen(group));
    h = h * 31u + (uint32_t)rmq_java_hash(mq->topic, strlen(mq->topic));
    h = h * 31u + (uint32_t)rmq_java_hash(mq->broker_name, strlen(mq->broker_name));
    h = h * 31u + (uint32_t)mq->queue_id;
    return (h ^ (h >> 16)) % RMQ_LOCK_BUCKETS;
}

static bool same_queue(const struct rmq_lock *k, const char *group, const struct rmq_lock_mq *mq)
{
    return k->queue_id == mq->queue_id && !strcmp(k->group, group) && !strcmp(k->topic, mq->topic) &&
           !strcmp(k->broker_name, mq->broker_name);
}

static void lock_free(struct rmq_lock *k)
{
    free(k->group);
    free(k->topic);
    free(k->broker_name);
    free(k->client);
    free(k);
}

/* The queue's entry in its bucket; entries long expired are dropped on the way, so locks of
 * clients that went away do not pile up. */
static struct rmq_lock **find(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq, int64_t now_ms)
{
    struct rmq_lock **pp = &l->buckets[bucket_of(group, mq)];
    while (*pp && !same_queue(*pp, group, mq)) {
        if (now_ms - (*pp)->last_ms > 2 * RMQ_LOCK_MAX_LIVE_MS) {
            struct rmq_lock *k = *pp;
            *pp = k->next;
            lock_free(k);
            l->count--;
        } else {
            pp = &(*pp)->next;
        }
    }
    return pp;
}

bool rmq_locks_try(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                   const char *client, int64_t now_ms)
{
    struct rmq_lock **pp = find(l, group, mq, now_ms), *k = *pp;
    if (k) {
        bool expired = now_ms - k->last_ms > RMQ_LOCK_MAX_LIVE_MS;
        if (strcmp(k->client, client) != 0) {
            if (!expired)
                return false;
            char *c = strdup(client);
            if (!c)
                return false;
            free(k->client);
            k->client = c;
        }
        k->last_ms = now_ms;
        return true;
    }
    if (l->count >= RMQ_LOCK_MAX_ENTRIES)
        return false;
    k = calloc(1, sizeof *k);
    if (!k)
        return false;
    k->group = strdup(group);
    k->topic = strdup(mq->topic);
    k->broker_name = strdup(mq->broker_name);
    k->client = strdup(client);
    if (!k->group || !k->topic || !k->broker_name || !k->client) {
        lock_free(k);
        return false;
    }
    k->queue_id = mq->queue_id;
    k->last_ms = now_ms;
    *pp = k;   /* the end of its bucket */
    l->count++;
    return true;
}

void rmq_locks_release(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                       const char *client)
{
    struct rmq_lock **pp = &l->buckets[bucket_of(group, mq)];
    while (*pp && !same_queue(*pp, group, mq))
        pp = &(*pp)->next;
    if (*pp && !strcmp((*pp)->client, client)) {
        struct rmq_lock *k = *pp;
        *pp = k->next;
        lock_free(k);
        l->count--;
    }
}

const char *rmq_locks_holder(const struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                             int64_t now_ms)
{
    for (const struct rmq_lock *k = l->buckets[bucket_of(group, mq)]; k; k = k->next)
        if (same_queue(k, group, mq))
            return now_ms - k->last_ms > RMQ_LOCK_MAX_LIVE_MS ? NULL : k->client;
    return NULL;
}

void rmq_locks_free(struct rmq_locks *l)
{
    for (size_t i = 0; i < RMQ_LOCK_BUCKETS; i++) {
        while (l->buckets[i]) {
            struct rmq_lock *k = l->buckets[i];
            l->buckets[i] = k->next;
            lock_free(k);
        }
    }
    l->count = 0;
}
