/*
 * route.c — TopicRouteData, ClusterInfo and TopicList bodies → structs; route → queues.
 */
#include "client/route.h"

#include "client/admin_tools.h"
#include "util/err.h"
#include "util/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fastjson may write any scalar where a number is meant */
static int64_t num(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    if (json_is_real(v))
        return (int64_t)json_real_value(v);
    return dflt;
}

static void str(json_t *o, const char *k, char *out, size_t n)
{
    json_t *v = json_object_get(o, k);
    snprintf(out, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static int cmp_addr(const void *a, const void *b)
{
    const struct rmq_broker_addr *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_broker(const void *a, const void *b)
{
    const struct rmq_route_broker *x = a, *y = b;
    int c = strcmp(x->cluster, y->cluster);
    return c ? c : strcmp(x->name, y->name);
}

static int cmp_qd(const void *a, const void *b)
{
    return strcmp(((const struct rmq_route_qd *)a)->broker, ((const struct rmq_route_qd *)b)->broker);
}

int rmq_mq_cmp(const void *a, const void *b)
{
    const struct rmq_mq *x = a, *y = b;
    int c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

/* A BrokerData object into *b (false when it has no name). */
static bool broker_data(json_t *o, struct rmq_route_broker *b)
{
    memset(b, 0, sizeof *b);
    if (!json_is_object(o))
        return false;
    str(o, "brokerName", b->name, sizeof b->name);
    str(o, "cluster", b->cluster, sizeof b->cluster);
    if (!*b->name)
        return false;
    json_t *addrs = json_object_get(o, "brokerAddrs");
    size_t cap = json_is_object(addrs) ? json_object_size(addrs) : 0;
    b->addrs = calloc(cap ? cap : 1, sizeof *b->addrs);
    if (!b->addrs)
        rmq_panic("out of memory");
    const char *k;
    json_t *v;
    if (cap) {
        json_object_foreach (addrs, k, v) {
            char *end;
            long long id = strtoll(k, &end, 10);
            if (end == k || *end || !json_is_string(v))
                continue;
            struct rmq_broker_addr *a = &b->addrs[b->naddrs++];
            a->id = id;
            snprintf(a->addr, sizeof a->addr, "%s", json_string_value(v));
        }
    }
    qsort(b->addrs, b->naddrs, sizeof *b->addrs, cmp_addr);
    return true;
}

int rmq_route_parse(const void *body, size_t len, struct rmq_route *r, char *err)
{
    memset(r, 0, sizeof *r);
    json_t *root = rmq_fastjson_loadb(body, len, err);
    if (!root)
        return RMQ_EINVAL;
    json_t *qds = json_object_get(root, "queueDatas"), *bds = json_object_get(root, "brokerDatas");
    if (!json_is_array(qds) || !json_is_array(bds)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "route data has no queueDatas/brokerDatas arrays");
    }
    r->qds = calloc(json_array_size(qds) + 1, sizeof *r->qds);
    r->brokers = calloc(json_array_size(bds) + 1, sizeof *r->brokers);
    if (!r->qds || !r->brokers)
        rmq_panic("out of memory");
    size_t i;
    json_t *o;
    json_array_foreach (qds, i, o) {
        if (!json_is_object(o))
            continue;
        struct rmq_route_qd *q = &r->qds[r->nqd];
        str(o, "brokerName", q->broker, sizeof q->broker);
        if (!*q->broker)
            continue;
        q->read = (int)num(o, "readQueueNums", 0);
        q->write = (int)num(o, "writeQueueNums", 0);
        q->perm = (int)num(o, "perm", 0);
        q->sysflag = (int)num(o, "topicSysFlag", num(o, "topicSynFlag", 0));
        if (q->read < 0 || q->read > 65535 || q->write < 0 || q->write > 65535)
            continue;   /* nonsense counts: not a queue list to build */
        r->nqd++;
    }
    json_array_foreach (bds, i, o)
        if (broker_data(o, &r->brokers[r->nbrokers]))
            r->nbrokers++;
    json_decref(root);
    qsort(r->qds, r->nqd, sizeof *r->qds, cmp_qd);
    qsort(r->brokers, r->nbrokers, sizeof *r->brokers, cmp_broker);
    return 0;
}

void rmq_route_brokers_free(struct rmq_route_broker *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].addrs);
    free(v);
}

void rmq_route_free(struct rmq_route *r)
{
    free(r->qds);
    rmq_route_brokers_free(r->brokers, r->nbrokers);
    memset(r, 0, sizeof *r);
}

const struct rmq_route_broker *rmq_route_find(const struct rmq_route *r, const char *name)
{
    for (size_t i = 0; i < r->nbrokers; i++)
        if (strcmp(r->brokers[i].name, name) == 0)
            return &r->brokers[i];
    return NULL;
}

const char *rmq_route_master(const struct rmq_route_broker *b)
{
    if (b && b->naddrs && b->addrs[0].id == 0)
        return b->addrs[0].addr;
    return "";
}

static void add_queues(const struct rmq_route_qd *q, int count, struct rmq_mq **out, size_t *n, size_t *cap)
{
    for (int i = 0; i < count; i++) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *out = realloc(*out, *cap * sizeof **out);
            if (!*out)
                rmq_panic("out of memory");
        }
        struct rmq_mq *m = &(*out)[(*n)++];
        memset(m, 0, sizeof *m);
        snprintf(m->broker, sizeof m->broker, "%s", q->broker);
        m->qid = i;
        m->perm = q->perm;
    }
}

void rmq_route_write_queues(const struct rmq_route *r, int per_broker_cap, struct rmq_mq **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < r->nqd; i++) {
        const struct rmq_route_qd *q = &r->qds[i];
        if (!(q->perm & RMQ_PERM_WRITE) || !*rmq_route_master(rmq_route_find(r, q->broker)))
            continue;
        int count = q->write;
        if (per_broker_cap > 0)
            count = q->read < per_broker_cap ? q->read : per_broker_cap;
        add_queues(q, count, out, n, &cap);
    }
    if (*n)
        qsort(*out, *n, sizeof **out, rmq_mq_cmp);
}

void rmq_route_read_queues(const struct rmq_route *r, struct rmq_mq **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < r->nqd; i++)
        if (r->qds[i].perm & RMQ_PERM_READ)
            add_queues(&r->qds[i], r->qds[i].read, out, n, &cap);
    if (*n)
        qsort(*out, *n, sizeof **out, rmq_mq_cmp);
}

int rmq_cluster_parse(const void *body, size_t len, struct rmq_route_broker **brokers, size_t *n, char *err)
{
    *brokers = NULL;
    *n = 0;
    json_t *root = rmq_fastjson_loadb(body, len, err);
    if (!root)
        return RMQ_EINVAL;
    json_t *bt = json_object_get(root, "brokerAddrTable"), *ct = json_object_get(root, "clusterAddrTable");
    if (!json_is_object(bt)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "cluster info has no brokerAddrTable");
    }
    struct rmq_route_broker *v = calloc(json_object_size(bt) + 1, sizeof *v);
    if (!v)
        rmq_panic("out of memory");
    const char *k;
    json_t *o;
    json_object_foreach (bt, k, o) {
        struct rmq_route_broker *b = &v[*n];
        if (!broker_data(o, b))
            continue;
        snprintf(b->name, sizeof b->name, "%s", k);   /* the table's key is authoritative */
        if (json_is_object(ct)) {
            const char *cname;
            json_t *names;
            json_object_foreach (ct, cname, names) {
                size_t i;
                json_t *nm;
                json_array_foreach (names, i, nm)
                    if (json_is_string(nm) && strcmp(json_string_value(nm), k) == 0)
                        snprintf(b->cluster, sizeof b->cluster, "%s", cname);
            }
        }
        (*n)++;
    }
    json_decref(root);
    qsort(v, *n, sizeof *v, cmp_broker);
    *brokers = v;
    return 0;
}

int rmq_topic_list_parse(const void *body, size_t len, char ***names, size_t *n, char *err)
{
    *names = NULL;
    *n = 0;
    json_t *root = rmq_fastjson_loadb(body, len, err);
    if (!root)
        return RMQ_EINVAL;
    json_t *list = json_object_get(root, "topicList");
    if (!json_is_array(list)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "topic list has no topicList array");
    }
    char **v = calloc(json_array_size(list) + 1, sizeof *v);
    if (!v)
        rmq_panic("out of memory");
    size_t i;
    json_t *t;
    json_array_foreach (list, i, t)
        if (json_is_string(t) && !(v[(*n)++] = strdup(json_string_value(t))))
            rmq_panic("out of memory");
    json_decref(root);
    *names = v;
    return 0;
}
