#include "broker/locks.h"

#include <stdlib.h>
#include <string.h>

struct rmq_lock {
    struct rmq_lock *next;
    int32_t queue_id;
    int64_t last_ms;
    char *group, *topic, *broker_name, *client;
};

static bool same_queue(const struct rmq_lock *k, const char *group, const struct rmq_lock_mq *mq)
{
    return k->queue_id == mq->queue_id && !strcmp(k->group, group) && !strcmp(k->topic, mq->topic) &&
           !strcmp(k->broker_name, mq->broker_name);
}

static struct rmq_lock **find(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq)
{
    struct rmq_lock **pp = &l->head;
    while (*pp && !same_queue(*pp, group, mq))
        pp = &(*pp)->next;
    return pp;
}

static void lock_free(struct rmq_lock *k)
{
    free(k->group);
    free(k->topic);
    free(k->broker_name);
    free(k->client);
    free(k);
}

bool rmq_locks_try(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                   const char *client, int64_t now_ms)
{
    struct rmq_lock *k = *find(l, group, mq);
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
    k->next = l->head;
    l->head = k;
    return true;
}

void rmq_locks_release(struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                       const char *client)
{
    struct rmq_lock **pp = find(l, group, mq);
    if (*pp && !strcmp((*pp)->client, client)) {
        struct rmq_lock *k = *pp;
        *pp = k->next;
        lock_free(k);
    }
}

const char *rmq_locks_holder(const struct rmq_locks *l, const char *group, const struct rmq_lock_mq *mq,
                             int64_t now_ms)
{
    for (const struct rmq_lock *k = l->head; k; k = k->next)
        if (same_queue(k, group, mq))
            return now_ms - k->last_ms > RMQ_LOCK_MAX_LIVE_MS ? NULL : k->client;
    return NULL;
}

void rmq_locks_free(struct rmq_locks *l)
{
    while (l->head) {
        struct rmq_lock *k = l->head;
        l->head = k->next;
        lock_free(k);
    }
}
