/*
 * routes.c — the route table: brokers (a short list, searched linearly) and topics (a
 * sorted array, searched by bisection: registrations look every topic up).
 *
 * A registration may bring hundreds of thousands of topics, in any order (a Java broker's
 * HashMap order), and a broker's removal may take as many away. Neither moves the array
 * once per topic: new topics are collected, sorted and merged in once (O(n log n)), and
 * removals compact the array in one pass (O(n)).
 */
#include "namesrv/routes.h"

#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

struct ns_addr {
    int64_t id;
    char addr[RMQ_BODY_ADDR_MAX + 1];
    char ha_addr[RMQ_BODY_ADDR_MAX + 1];
    int64_t last_ms;
    uint64_t conn_id;
    struct rmq_data_version version;
};

struct ns_broker {
    char name[RMQ_BODY_NAME_MAX + 1];
    char cluster[RMQ_BODY_NAME_MAX + 1];
    struct ns_addr *addrs;
    size_t n;
};

struct ns_topic {
    char name[RMQ_BODY_NAME_MAX + 1];
    struct rmq_queue_data *q;   /* one per broker name */
    size_t nq;
    bool seen;                  /* scratch: listed by the registration being applied */
};

struct rmq_routes {
    struct ns_broker *brokers;
    size_t nb;
    struct ns_topic *topics;
    size_t nt, capt;
};

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (!q)
        rmq_panic("out of memory (%zu × %zu bytes)", n, size);
    return q;
}

struct rmq_routes *rmq_routes_new(void)
{
    struct rmq_routes *rt = calloc(1, sizeof *rt);
    if (!rt)
        rmq_panic("out of memory");
    return rt;
}

void rmq_routes_free(struct rmq_routes *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->nb; i++)
        free(rt->brokers[i].addrs);
    free(rt->brokers);
    for (size_t i = 0; i < rt->nt; i++)
        free(rt->topics[i].q);
    free(rt->topics);
    free(rt);
}

/* ------------------------------------------------------------------ lookups */

static struct ns_broker *find_broker(const struct rmq_routes *rt, const char *name)
{
    for (size_t i = 0; i < rt->nb; i++)
        if (strcmp(rt->brokers[i].name, name) == 0)
            return &rt->brokers[i];
    return NULL;
}

/* Index of topic, or -(insertion point) - 1. */
static long find_topic(const struct rmq_routes *rt, const char *name)
{
    size_t lo = 0, hi = rt->nt;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(rt->topics[mid].name, name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static void remove_topic_at(struct rmq_routes *rt, size_t i)
{
    free(rt->topics[i].q);
    memmove(&rt->topics[i], &rt->topics[i + 1], (rt->nt - i - 1) * sizeof *rt->topics);
    rt->nt--;
}

/* Removes broker name's QueueData from topic t (if it has one). */
static void drop_queue(struct ns_topic *t, const char *broker)
{
    for (size_t j = 0; j < t->nq; j++) {
        if (strcmp(t->q[j].broker_name, broker) == 0) {
            memmove(&t->q[j], &t->q[j + 1], (t->nq - j - 1) * sizeof *t->q);
            t->nq--;
            return;
        }
    }
}

/* Removes broker name's QueueData from topic i; true when the topic went away with it. */
static bool remove_queue_data(struct rmq_routes *rt, size_t i, const char *broker)
{
    drop_queue(&rt->topics[i], broker);
    if (rt->topics[i].nq == 0) {
        remove_topic_at(rt, i);
        return true;
    }
    return false;
}

/* Removes broker's QueueData from every topic (except those marked seen when skip_seen) in
 * one pass that compacts the array: topics left without queue data are forgotten. */
static void remove_queue_data_all(struct rmq_routes *rt, const char *broker, bool skip_seen)
{
    size_t w = 0;
    for (size_t i = 0; i < rt->nt; i++) {
        struct ns_topic *t = &rt->topics[i];
        if (!(skip_seen && t->seen)) {
            drop_queue(t, broker);
            if (t->nq == 0) {
                free(t->q);
                continue;
            }
        }
        if (w != i)
            rt->topics[w] = *t;
        w++;
    }
    rt->nt = w;
}

/* The broker name has no address left: its queues leave every topic, then it goes. */
static void remove_broker(struct rmq_routes *rt, struct ns_broker *b)
{
    rmq_info("namesrv: broker '%s' of cluster '%s' has no address left: removing its routes", b->name, b->cluster);
    remove_queue_data_all(rt, b->name, false);
    free(b->addrs);
    size_t k = (size_t)(b - rt->brokers);
    memmove(&rt->brokers[k], &rt->brokers[k + 1], (rt->nb - k - 1) * sizeof *rt->brokers);
    rt->nb--;
}

/* Removes address j of broker b (and b when it was the last). */
static void remove_addr(struct rmq_routes *rt, struct ns_broker *b, size_t j, const char *why)
{
    rmq_info("namesrv: broker '%s' id %lld at %s removed: %s", b->name, (long long)b->addrs[j].id,
             b->addrs[j].addr, why);
    memmove(&b->addrs[j], &b->addrs[j + 1], (b->n - j - 1) * sizeof *b->addrs);
    if (--b->n == 0)
        remove_broker(rt, b);
}

/* ------------------------------------------------------------------ registration */

static bool name_ok(const char *s, size_t max) { return s && *s && strlen(s) <= max; }

/* Sets broker's QueueData in topic t from tc (adding it when t has none for broker). */
static void set_queue_data(struct ns_topic *t, const char *broker, const struct rmq_topic_conf *tc)
{
    t->seen = true;
    struct rmq_queue_data *q = NULL;
    for (size_t j = 0; j < t->nq; j++)
        if (strcmp(t->q[j].broker_name, broker) == 0)
            q = &t->q[j];
    if (!q) {
        t->q = grow(t->q, t->nq + 1, sizeof *t->q);
        q = &t->q[t->nq++];
        memset(q, 0, sizeof *q);
        strcpy(q->broker_name, broker);
        rmq_debug("namesrv: new topic route '%s' on '%s'", tc->name, broker);
    }
    q->read_queue_nums = tc->read_queue_nums;
    q->write_queue_nums = tc->write_queue_nums;
    q->perm = tc->perm;
    q->topic_sys_flag = tc->topic_sys_flag;
}

/* By name, then by place in the body (the array's order), so the last of equals is found. */
static int cmp_conf(const void *a, const void *b)
{
    const struct rmq_topic_conf *x = *(const struct rmq_topic_conf *const *)a;
    const struct rmq_topic_conf *y = *(const struct rmq_topic_conf *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x > y) - (x < y);
}

/* Applies a master's topic table: known topics are updated in place; unknown ones are
 * collected, sorted and merged into the array from its end, so nothing moves twice. A topic
 * listed twice takes its last entry, as when each entry was applied in turn. */
static void put_topics(struct rmq_routes *rt, const char *broker, const struct rmq_register_body *body)
{
    const struct rmq_topic_conf **fresh = grow(NULL, body->ntopics, sizeof *fresh);
    size_t nf = 0;
    for (size_t i = 0; i < body->ntopics; i++) {
        const struct rmq_topic_conf *tc = &body->topics[i];
        if (!name_ok(tc->name, RMQ_BODY_NAME_MAX))
            continue;
        long k = find_topic(rt, tc->name);
        if (k >= 0)
            set_queue_data(&rt->topics[k], broker, tc);
        else
            fresh[nf++] = tc;
    }
    qsort(fresh, nf, sizeof *fresh, cmp_conf);
    size_t nu = 0;
    for (size_t i = 0; i < nf; i++)
        if (i + 1 == nf || strcmp(fresh[i]->name, fresh[i + 1]->name) != 0)
            fresh[nu++] = fresh[i];
    if (rt->nt + nu > rt->capt) {
        rt->capt = rt->capt ? rt->capt * 2 : 64;
        if (rt->capt < rt->nt + nu)
            rt->capt = rt->nt + nu;
        rt->topics = grow(rt->topics, rt->capt, sizeof *rt->topics);
    }
    /* merge from the end: old topic i-1 or new topic j-1 goes to slot w-1 */
    size_t i = rt->nt, j = nu, w = rt->nt + nu;
    while (j > 0) {
        struct ns_topic *t = &rt->topics[--w];
        if (i > 0 && strcmp(rt->topics[i - 1].name, fresh[j - 1]->name) > 0) {
            *t = rt->topics[--i];
        } else {
            const struct rmq_topic_conf *tc = fresh[--j];
            memset(t, 0, sizeof *t);
            strcpy(t->name, tc->name);
            set_queue_data(t, broker, tc);
        }
    }
    rt->nt += nu;
    free(fresh);
}

int rmq_routes_register(struct rmq_routes *rt, const struct rmq_broker_reg *reg,
                        const struct rmq_register_body *body, bool delete_absent, char *master,
                        char *master_ha, char *err)
{
    master[0] = master_ha[0] = 0;
    if (!name_ok(reg->name, RMQ_BODY_NAME_MAX) || !name_ok(reg->cluster, RMQ_BODY_NAME_MAX) ||
        !name_ok(reg->addr, RMQ_BODY_ADDR_MAX) || (reg->ha_addr && strlen(reg->ha_addr) > RMQ_BODY_ADDR_MAX))
        return rmq_seterr(err, RMQ_EINVAL, "brokerName, clusterName and brokerAddr must be non-empty, "
                                           "names at most %d and addresses at most %d bytes",
                          RMQ_BODY_NAME_MAX, RMQ_BODY_ADDR_MAX);
    if (reg->id < 0)
        return rmq_seterr(err, RMQ_EINVAL, "brokerId %lld is negative", (long long)reg->id);
    /* the same address under another id or another name: a role change or a rename */
    for (size_t i = 0; i < rt->nb; i++) {
        struct ns_broker *b = &rt->brokers[i];
        for (size_t j = 0; j < b->n; j++) {
            if (strcmp(b->addrs[j].addr, reg->addr) == 0 &&
                (b->addrs[j].id != reg->id || strcmp(b->name, reg->name) != 0)) {
                remove_addr(rt, b, j, "registered again under another name or id");
                i = (size_t)-1;   /* the arrays moved: start over */
                break;
            }
        }
    }
    struct ns_broker *b = find_broker(rt, reg->name);
    if (!b) {
        rt->brokers = grow(rt->brokers, rt->nb + 1, sizeof *rt->brokers);
        b = &rt->brokers[rt->nb++];
        memset(b, 0, sizeof *b);
        strcpy(b->name, reg->name);
        rmq_info("namesrv: new broker '%s' of cluster '%s' at %s (id %lld)", reg->name, reg->cluster, reg->addr,
                 (long long)reg->id);
    }
    strcpy(b->cluster, reg->cluster);
    struct ns_addr *a = NULL;
    for (size_t j = 0; j < b->n; j++)
        if (b->addrs[j].id == reg->id)
            a = &b->addrs[j];
    if (!a) {
        b->addrs = grow(b->addrs, b->n + 1, sizeof *b->addrs);
        size_t at = 0;   /* keep ids ascending */
        while (at < b->n && b->addrs[at].id < reg->id)
            at++;
        memmove(&b->addrs[at + 1], &b->addrs[at], (b->n - at) * sizeof *b->addrs);
        b->n++;
        a = &b->addrs[at];
        memset(a, 0, sizeof *a);
        a->id = reg->id;
    } else if (strcmp(a->addr, reg->addr) != 0) {
        rmq_info("namesrv: broker '%s' id %lld moved from %s to %s", b->name, (long long)reg->id, a->addr, reg->addr);
    }
    strcpy(a->addr, reg->addr);
    snprintf(a->ha_addr, sizeof a->ha_addr, "%s", reg->ha_addr ? reg->ha_addr : "");
    a->last_ms = reg->now_ms;
    a->conn_id = reg->conn_id;
    if (body)
        a->version = body->version;
    if (reg->id == 0 && body) {
        for (size_t i = 0; i < rt->nt; i++)
            rt->topics[i].seen = false;
        put_topics(rt, b->name, body);
        if (delete_absent)
            remove_queue_data_all(rt, reg->name, true);
    }
    if (reg->id != 0 && b->addrs[0].id == 0) {
        snprintf(master, RMQ_BODY_ADDR_MAX + 1, "%s", b->addrs[0].addr);
        snprintf(master_ha, RMQ_BODY_ADDR_MAX + 1, "%s", b->addrs[0].ha_addr);
    }
    return 0;
}

int rmq_routes_unregister(struct rmq_routes *rt, const char *name, const char *addr, int64_t id)
{
    struct ns_broker *b = find_broker(rt, name);
    if (!b)
        return RMQ_ENOTFOUND;
    for (size_t j = 0; j < b->n; j++) {
        if (b->addrs[j].id == id && strcmp(b->addrs[j].addr, addr) == 0) {
            remove_addr(rt, b, j, "unregistered");
            return 0;
        }
    }
    return RMQ_ENOTFOUND;
}

/* Removes the addresses matching (conn_id) or older than cutoff; returns the count. */
static size_t sweep(struct rmq_routes *rt, uint64_t conn_id, int64_t cutoff, const char *why)
{
    size_t n = 0;
    for (size_t i = 0; i < rt->nb;) {
        struct ns_broker *b = &rt->brokers[i];
        bool gone = false;
        for (size_t j = 0; j < b->n;) {
            const struct ns_addr *a = &b->addrs[j];
            if ((conn_id && a->conn_id == conn_id) || (!conn_id && a->last_ms < cutoff)) {
                n++;
                gone = b->n == 1;
                remove_addr(rt, b, j, why);
                if (gone)
                    break;
            } else {
                j++;
            }
        }
        if (!gone)
            i++;
    }
    return n;
}

size_t rmq_routes_drop_conn(struct rmq_routes *rt, uint64_t conn_id)
{
    return conn_id ? sweep(rt, conn_id, 0, "its connection closed") : 0;
}

size_t rmq_routes_expire(struct rmq_routes *rt, int64_t now_ms, int64_t expiry_ms)
{
    return sweep(rt, 0, now_ms - expiry_ms, "no registration for 120 s");
}

bool rmq_routes_data_version_changed(struct rmq_routes *rt, const char *addr, const struct rmq_data_version *v,
                                     int64_t now_ms, struct rmq_data_version *stored)
{
    memset(stored, 0, sizeof *stored);
    for (size_t i = 0; i < rt->nb; i++)
        for (size_t j = 0; j < rt->brokers[i].n; j++) {
            struct ns_addr *a = &rt->brokers[i].addrs[j];
            if (strcmp(a->addr, addr) == 0) {
                a->last_ms = now_ms;
                *stored = a->version;
                return a->version.counter != v->counter || a->version.timestamp != v->timestamp;
            }
        }
    return true;
}

/* ------------------------------------------------------------------ answers */

static void copy_broker(const struct ns_broker *b, struct rmq_broker_data *bd)
{
    memset(bd, 0, sizeof *bd);
    strcpy(bd->cluster, b->cluster);
    strcpy(bd->broker_name, b->name);
    bd->addrs = grow(NULL, b->n, sizeof *bd->addrs);
    for (size_t j = 0; j < b->n; j++) {
        bd->addrs[j].id = b->addrs[j].id;
        strcpy(bd->addrs[j].addr, b->addrs[j].addr);
    }
    bd->naddrs = b->n;
}

int rmq_routes_topic(const struct rmq_routes *rt, const char *topic, struct rmq_topic_route *out)
{
    memset(out, 0, sizeof *out);
    long i = find_topic(rt, topic);
    if (i < 0)
        return RMQ_ENOTFOUND;
    const struct ns_topic *t = &rt->topics[i];
    out->queues = grow(NULL, t->nq, sizeof *out->queues);
    memcpy(out->queues, t->q, t->nq * sizeof *t->q);
    out->nqueues = t->nq;
    out->brokers = grow(NULL, t->nq, sizeof *out->brokers);
    for (size_t j = 0; j < t->nq; j++) {
        const struct ns_broker *b = find_broker(rt, t->q[j].broker_name);
        if (b)
            copy_broker(b, &out->brokers[out->nbrokers++]);
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct rmq_broker_data *)a)->broker_name, ((const struct rmq_broker_data *)b)->broker_name);
}

void rmq_routes_cluster_info(const struct rmq_routes *rt, struct rmq_cluster_info *out)
{
    memset(out, 0, sizeof *out);
    out->brokers = grow(NULL, rt->nb, sizeof *out->brokers);
    for (size_t i = 0; i < rt->nb; i++)
        copy_broker(&rt->brokers[i], &out->brokers[out->nbrokers++]);
    qsort(out->brokers, out->nbrokers, sizeof *out->brokers, cmp_name);
    out->clusters = grow(NULL, rt->nb, sizeof *out->clusters);
    /* brokers are sorted by name, so each cluster's list comes out sorted too */
    for (size_t i = 0; i < out->nbrokers; i++) {
        const struct rmq_broker_data *bd = &out->brokers[i];
        struct rmq_cluster *c = NULL;
        for (size_t k = 0; k < out->nclusters; k++)
            if (strcmp(out->clusters[k].name, bd->cluster) == 0)
                c = &out->clusters[k];
        if (!c) {
            size_t at = 0;   /* keep clusters sorted by name */
            while (at < out->nclusters && strcmp(out->clusters[at].name, bd->cluster) < 0)
                at++;
            memmove(&out->clusters[at + 1], &out->clusters[at], (out->nclusters - at) * sizeof *out->clusters);
            out->nclusters++;
            c = &out->clusters[at];
            memset(c, 0, sizeof *c);
            strcpy(c->name, bd->cluster);
        }
        c->brokers = grow(c->brokers, c->nbrokers + 1, sizeof *c->brokers);
        if (!(c->brokers[c->nbrokers++] = strdup(bd->broker_name)))
            rmq_panic("out of memory");
    }
}

static bool topic_in_cluster(const struct rmq_routes *rt, const struct ns_topic *t, const char *cluster)
{
    for (size_t j = 0; j < t->nq; j++) {
        const struct ns_broker *b = find_broker(rt, t->q[j].broker_name);
        if (b && strcmp(b->cluster, cluster) == 0)
            return true;
    }
    return false;
}

void rmq_routes_topic_names(const struct rmq_routes *rt, const char *cluster, const char ***names, size_t *n)
{
    const char **v = grow(NULL, rt->nt, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < rt->nt; i++)
        if (!cluster || topic_in_cluster(rt, &rt->topics[i], cluster))
            v[k++] = rt->topics[i].name;
    *names = v;
    *n = k;
}

size_t rmq_routes_delete_topic(struct rmq_routes *rt, const char *topic, const char *cluster)
{
    long i = find_topic(rt, topic);
    if (i < 0)
        return 0;
    if (!cluster) {
        size_t n = rt->topics[i].nq;
        remove_topic_at(rt, (size_t)i);
        return n;
    }
    size_t n = 0;
    for (size_t j = 0; j < rt->topics[i].nq;) {
        const struct ns_broker *b = find_broker(rt, rt->topics[i].q[j].broker_name);
        if (b && strcmp(b->cluster, cluster) == 0) {
            n++;
            if (remove_queue_data(rt, (size_t)i, b->name))
                break;
        } else {
            j++;
        }
    }
    return n;
}

size_t rmq_routes_set_write_perm(struct rmq_routes *rt, const char *name, bool on)
{
    size_t n = 0;
    for (size_t i = 0; i < rt->nt; i++)
        for (size_t j = 0; j < rt->topics[i].nq; j++) {
            struct rmq_queue_data *q = &rt->topics[i].q[j];
            if (strcmp(q->broker_name, name) != 0)
                continue;
            int32_t perm = on ? (q->perm | 2) : (q->perm & ~2);
            if (perm != q->perm) {
                q->perm = perm;
                n++;
            }
        }
    return n;
}

size_t rmq_routes_broker_count(const struct rmq_routes *rt)
{
    size_t n = 0;
    for (size_t i = 0; i < rt->nb; i++)
        n += rt->brokers[i].n;
    return n;
}

size_t rmq_routes_topic_count(const struct rmq_routes *rt) { return rt->nt; }
