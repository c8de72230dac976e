/*
 * body_route.c — TopicRouteData and ClusterInfo (PROTOCOL §3.1, §3.2): the bodies a name
 * server answers and clients decode, with the BrokerData/QueueData parts they share.
 */
#include "proto/body.h"
#include "proto/body_int.h"

#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum rmq_key_style rmq_body_key_style(const struct rmq_cmd *req)
{
    if (req->version >= RMQ_MQV_4_9_4 || rmq_cmd_ext_bool(req, "acceptStandardJsonOnly", false))
        return RMQ_KEYS_QUOTED;
    return RMQ_KEYS_BARE;
}

/* ------------------------------------------------------------------ decoding helpers */

json_t *body_parse(const void *body, size_t len, const char *what, char *err)
{
    if (!body || len == 0) {
        rmq_seterr(err, RMQ_EINVAL, "%s: empty body", what);
        return NULL;
    }
    return rmq_json_parse_lenient(body, len, what, err);
}

int body_str(const json_t *v, char *out, size_t cap, bool required, const char *what, char *err)
{
    if (!v || json_is_null(v)) {
        out[0] = 0;
        return required ? rmq_seterr(err, RMQ_EINVAL, "%s is missing", what) : 0;
    }
    if (!json_is_string(v))
        return rmq_seterr(err, RMQ_EINVAL, "%s is not a string", what);
    size_t n = json_string_length(v);
    if (n >= cap || memchr(json_string_value(v), 0, n))
        return rmq_seterr(err, RMQ_EINVAL, "%s is longer than %zu bytes or holds a NUL", what, cap - 1);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

int body_int32(const json_t *v, int32_t dflt, int32_t *out, const char *what, char *err)
{
    int64_t x;
    int rc = rmq_json_as_int(v, INT32_MIN, INT32_MAX, &x);
    if (rc < 0)
        return rmq_seterr(err, RMQ_EINVAL, "%s is not a 32-bit integer", what);
    *out = rc == 0 ? (int32_t)x : dflt;
    return 0;
}

int body_bool(const json_t *v, bool dflt, bool *out, const char *what, char *err)
{
    int rc = rmq_json_as_bool(v, out);
    if (rc < 0)
        return rmq_seterr(err, RMQ_EINVAL, "%s is not a boolean", what);
    if (rc == 1)
        *out = dflt;
    return 0;
}

/* ------------------------------------------------------------------ BrokerData */

const char *rmq_broker_data_addr(const struct rmq_broker_data *b, int64_t id)
{
    for (size_t i = 0; i < b->naddrs; i++)
        if (b->addrs[i].id == id)
            return b->addrs[i].addr;
    return NULL;
}

void rmq_broker_data_free(struct rmq_broker_data *b)
{
    free(b->addrs);
    b->addrs = NULL;
    b->naddrs = 0;
}

static int cmp_addr(const void *a, const void *b)
{
    int64_t x = ((const struct rmq_broker_addr *)a)->id, y = ((const struct rmq_broker_addr *)b)->id;
    return x < y ? -1 : x > y;
}

static int decode_broker_data(const json_t *o, const char *key_name, struct rmq_broker_data *bd, char *err)
{
    memset(bd, 0, sizeof *bd);
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "a BrokerData is not an object");
    int rc;
    if ((rc = body_str(json_object_get(o, "cluster"), bd->cluster, sizeof bd->cluster, false,
                       "BrokerData.cluster", err)) ||
        (rc = body_str(json_object_get(o, "brokerName"), bd->broker_name, sizeof bd->broker_name,
                       key_name == NULL, "BrokerData.brokerName", err)) ||
        (rc = body_bool(json_object_get(o, "enableActingMaster"), false, &bd->enable_acting_master,
                        "BrokerData.enableActingMaster", err)))
        return rc;
    if (!bd->broker_name[0] && key_name) {
        if (strlen(key_name) > RMQ_BODY_NAME_MAX)
            return rmq_seterr(err, RMQ_EINVAL, "broker name '%.40s…' is too long", key_name);
        strcpy(bd->broker_name, key_name);
    }
    const json_t *addrs = json_object_get(o, "brokerAddrs");
    if (!addrs || json_is_null(addrs))
        return 0;
    if (!json_is_object(addrs))
        return rmq_seterr(err, RMQ_EINVAL, "BrokerData.brokerAddrs of '%s' is not an object", bd->broker_name);
    size_t n = json_object_size(addrs);
    if (n > RMQ_BODY_MAX_ITEMS)
        return rmq_seterr(err, RMQ_EINVAL, "BrokerData.brokerAddrs has too many entries");
    bd->addrs = calloc(n ? n : 1, sizeof *bd->addrs);
    if (!bd->addrs)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)addrs, k, v) {
        struct rmq_broker_addr *a = &bd->addrs[bd->naddrs];
        if (rmq_parse_java_long(k, strlen(k), &a->id)) {
            rc = rmq_seterr(err, RMQ_EINVAL, "broker id '%.40s' of '%s' is not a number", k, bd->broker_name);
            goto fail;
        }
        if ((rc = body_str(v, a->addr, sizeof a->addr, true, "a brokerAddrs address", err)))
            goto fail;
        bd->naddrs++;
    }
    qsort(bd->addrs, bd->naddrs, sizeof *bd->addrs, cmp_addr);
    for (size_t i = 1; i < bd->naddrs; i++)
        if (bd->addrs[i].id == bd->addrs[i - 1].id) {
            rc = rmq_seterr(err, RMQ_EINVAL, "broker id %lld of '%s' appears twice",
                            (long long)bd->addrs[i].id, bd->broker_name);
            goto fail;
        }
    return 0;
fail:
    rmq_broker_data_free(bd);
    return rc;
}

static void put_broker_data(struct rmq_buf *b, const struct rmq_broker_data *bd, enum rmq_key_style ks)
{
    rmq_buf_addstr(b, "{\"brokerAddrs\":{");
    for (size_t i = 0; i < bd->naddrs; i++) {
        rmq_buf_printf(b, ks == RMQ_KEYS_QUOTED ? "%s\"%lld\":" : "%s%lld:", i ? "," : "",
                       (long long)bd->addrs[i].id);
        rmq_json_put_str(b, bd->addrs[i].addr, strlen(bd->addrs[i].addr));
    }
    rmq_buf_addstr(b, "},\"brokerName\":");
    rmq_json_put_str(b, bd->broker_name, strlen(bd->broker_name));
    rmq_buf_addstr(b, ",\"cluster\":");
    rmq_json_put_str(b, bd->cluster, strlen(bd->cluster));
    rmq_buf_printf(b, ",\"enableActingMaster\":%s}", bd->enable_acting_master ? "true" : "false");
}

/* ------------------------------------------------------------------ TopicRouteData */

static int decode_queue_data(const json_t *o, struct rmq_queue_data *q, char *err)
{
    memset(q, 0, sizeof *q);
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "a QueueData is not an object");
    const json_t *flag = json_object_get(o, "topicSysFlag");
    if (!flag)
        flag = json_object_get(o, "topicSynFlag");   /* the ≤ 4.8 spelling */
    int rc;
    if ((rc = body_str(json_object_get(o, "brokerName"), q->broker_name, sizeof q->broker_name, true,
                       "QueueData.brokerName", err)) ||
        (rc = body_int32(json_object_get(o, "readQueueNums"), 0, &q->read_queue_nums, "QueueData.readQueueNums", err)) ||
        (rc = body_int32(json_object_get(o, "writeQueueNums"), 0, &q->write_queue_nums, "QueueData.writeQueueNums", err)) ||
        (rc = body_int32(json_object_get(o, "perm"), 0, &q->perm, "QueueData.perm", err)) ||
        (rc = body_int32(flag, 0, &q->topic_sys_flag, "QueueData.topicSysFlag", err)))
        return rc;
    if (q->read_queue_nums < 0 || q->write_queue_nums < 0)
        return rmq_seterr(err, RMQ_EINVAL, "QueueData of '%s' has negative queue numbers", q->broker_name);
    return 0;
}

void rmq_topic_route_free(struct rmq_topic_route *r)
{
    for (size_t i = 0; i < r->nbrokers; i++)
        rmq_broker_data_free(&r->brokers[i]);
    free(r->brokers);
    free(r->queues);
    free(r->order_topic_conf);
    memset(r, 0, sizeof *r);
}

/* An array member: NULL/null → empty (0 and *n = 0), else the array. */
static int get_array(const json_t *root, const char *key, const json_t **arr, char *err)
{
    const json_t *a = json_object_get(root, key);
    *arr = NULL;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return rmq_seterr(err, RMQ_EINVAL, "%s is not an array", key);
    if (json_array_size(a) > RMQ_BODY_MAX_ITEMS)
        return rmq_seterr(err, RMQ_EINVAL, "%s has too many entries", key);
    *arr = a;
    return 0;
}

int rmq_topic_route_decode(const void *body, size_t len, struct rmq_topic_route *out, char *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = body_parse(body, len, "TopicRouteData", err);
    if (!root)
        return RMQ_ECORRUPT;
    const json_t *qa, *ba;
    int rc;
    if ((rc = get_array(root, "queueDatas", &qa, err)) || (rc = get_array(root, "brokerDatas", &ba, err)))
        goto done;
    size_t nq = qa ? json_array_size(qa) : 0, nb = ba ? json_array_size(ba) : 0;
    out->queues = calloc(nq ? nq : 1, sizeof *out->queues);
    out->brokers = calloc(nb ? nb : 1, sizeof *out->brokers);
    if (!out->queues || !out->brokers) {
        rc = rmq_seterr(err, -ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nq; i++, out->nqueues++)
        if ((rc = decode_queue_data(json_array_get(qa, i), &out->queues[i], err)))
            goto done;
    for (size_t i = 0; i < nb; i++, out->nbrokers++)
        if ((rc = decode_broker_data(json_array_get(ba, i), NULL, &out->brokers[i], err)))
            goto done;
    const json_t *otc = json_object_get(root, "orderTopicConf");
    if (json_is_string(otc) && !(out->order_topic_conf = strdup(json_string_value(otc))))
        rc = rmq_seterr(err, -ENOMEM, "out of memory");
done:
    json_decref(root);
    if (rc)
        rmq_topic_route_free(out);
    return rc;
}

const struct rmq_broker_data *rmq_topic_route_broker(const struct rmq_topic_route *r, const char *name)
{
    for (size_t i = 0; i < r->nbrokers; i++)
        if (strcmp(r->brokers[i].broker_name, name) == 0)
            return &r->brokers[i];
    return NULL;
}

void rmq_topic_route_encode(const struct rmq_topic_route *r, enum rmq_key_style ks, struct rmq_buf *out)
{
    rmq_buf_addstr(out, "{\"brokerDatas\":[");
    for (size_t i = 0; i < r->nbrokers; i++) {
        if (i)
            rmq_buf_add(out, ",", 1);
        put_broker_data(out, &r->brokers[i], ks);
    }
    rmq_buf_addstr(out, "],\"filterServerTable\":{},");
    if (r->order_topic_conf) {
        rmq_buf_addstr(out, "\"orderTopicConf\":");
        rmq_json_put_str(out, r->order_topic_conf, strlen(r->order_topic_conf));
        rmq_buf_add(out, ",", 1);
    }
    rmq_buf_addstr(out, "\"queueDatas\":[");
    for (size_t i = 0; i < r->nqueues; i++) {
        const struct rmq_queue_data *q = &r->queues[i];
        rmq_buf_addstr(out, i ? ",{\"brokerName\":" : "{\"brokerName\":");
        rmq_json_put_str(out, q->broker_name, strlen(q->broker_name));
        rmq_buf_printf(out, ",\"perm\":%d,\"readQueueNums\":%d,\"topicSysFlag\":%d,\"writeQueueNums\":%d}",
                       q->perm, q->read_queue_nums, q->topic_sys_flag, q->write_queue_nums);
    }
    rmq_buf_addstr(out, "]}");
}

/* ------------------------------------------------------------------ ClusterInfo */

void rmq_cluster_info_free(struct rmq_cluster_info *ci)
{
    for (size_t i = 0; i < ci->nbrokers; i++)
        rmq_broker_data_free(&ci->brokers[i]);
    free(ci->brokers);
    for (size_t i = 0; i < ci->nclusters; i++)
        rmq_topic_list_free(ci->clusters[i].brokers, ci->clusters[i].nbrokers);
    free(ci->clusters);
    memset(ci, 0, sizeof *ci);
}

static int cmp_bd(const void *a, const void *b)
{
    return strcmp(((const struct rmq_broker_data *)a)->broker_name, ((const struct rmq_broker_data *)b)->broker_name);
}

static int cmp_cluster(const void *a, const void *b)
{
    return strcmp(((const struct rmq_cluster *)a)->name, ((const struct rmq_cluster *)b)->name);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int get_object(const json_t *root, const char *key, const json_t **obj, char *err)
{
    const json_t *o = json_object_get(root, key);
    *obj = NULL;
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "%s is not an object", key);
    if (json_object_size(o) > RMQ_BODY_MAX_ITEMS)
        return rmq_seterr(err, RMQ_EINVAL, "%s has too many entries", key);
    *obj = o;
    return 0;
}

int rmq_cluster_info_decode(const void *body, size_t len, struct rmq_cluster_info *out, char *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = body_parse(body, len, "ClusterInfo", err);
    if (!root)
        return RMQ_ECORRUPT;
    const json_t *bt, *ct, *v;
    const char *k;
    int rc;
    if ((rc = get_object(root, "brokerAddrTable", &bt, err)) || (rc = get_object(root, "clusterAddrTable", &ct, err)))
        goto done;
    size_t nb = bt ? json_object_size(bt) : 0, nc = ct ? json_object_size(ct) : 0;
    out->brokers = calloc(nb ? nb : 1, sizeof *out->brokers);
    out->clusters = calloc(nc ? nc : 1, sizeof *out->clusters);
    if (!out->brokers || !out->clusters) {
        rc = rmq_seterr(err, -ENOMEM, "out of memory");
        goto done;
    }
    if (bt)
        json_object_foreach((json_t *)bt, k, v) {
            if ((rc = decode_broker_data(v, k, &out->brokers[out->nbrokers], err)))
                goto done;
            out->nbrokers++;
        }
    if (ct)
        json_object_foreach((json_t *)ct, k, v) {
            struct rmq_cluster *c = &out->clusters[out->nclusters];
            if (strlen(k) > RMQ_BODY_NAME_MAX) {
                rc = rmq_seterr(err, RMQ_EINVAL, "cluster name '%.40s…' is too long", k);
                goto done;
            }
            strcpy(c->name, k);
            if (!json_is_array(v) || json_array_size(v) > RMQ_BODY_MAX_ITEMS) {
                rc = rmq_seterr(err, RMQ_EINVAL, "clusterAddrTable['%s'] is not an array of names", k);
                goto done;
            }
            size_t n = json_array_size(v);
            if (!(c->brokers = calloc(n ? n : 1, sizeof *c->brokers))) {
                rc = rmq_seterr(err, -ENOMEM, "out of memory");
                goto done;
            }
            out->nclusters++;
            for (size_t i = 0; i < n; i++) {
                const json_t *s = json_array_get(v, i);
                if (!json_is_string(s) || json_string_length(s) > RMQ_BODY_NAME_MAX) {
                    rc = rmq_seterr(err, RMQ_EINVAL, "clusterAddrTable['%s'] holds a bad broker name", k);
                    goto done;
                }
                if (!(c->brokers[c->nbrokers] = strdup(json_string_value(s)))) {
                    rc = rmq_seterr(err, -ENOMEM, "out of memory");
                    goto done;
                }
                c->nbrokers++;
            }
            qsort(c->brokers, c->nbrokers, sizeof *c->brokers, cmp_str);
        }
    qsort(out->brokers, out->nbrokers, sizeof *out->brokers, cmp_bd);
    qsort(out->clusters, out->nclusters, sizeof *out->clusters, cmp_cluster);
done:
    json_decref(root);
    if (rc)
        rmq_cluster_info_free(out);
    return rc;
}

const struct rmq_broker_data *rmq_cluster_info_broker(const struct rmq_cluster_info *ci, const char *name)
{
    for (size_t i = 0; i < ci->nbrokers; i++)
        if (strcmp(ci->brokers[i].broker_name, name) == 0)
            return &ci->brokers[i];
    return NULL;
}

void rmq_cluster_info_encode(const struct rmq_cluster_info *ci, enum rmq_key_style ks, struct rmq_buf *out)
{
    rmq_buf_addstr(out, "{\"brokerAddrTable\":{");
    for (size_t i = 0; i < ci->nbrokers; i++) {
        if (i)
            rmq_buf_add(out, ",", 1);
        rmq_json_put_str(out, ci->brokers[i].broker_name, strlen(ci->brokers[i].broker_name));
        rmq_buf_add(out, ":", 1);
        put_broker_data(out, &ci->brokers[i], ks);
    }
    rmq_buf_addstr(out, "},\"clusterAddrTable\":{");
    for (size_t i = 0; i < ci->nclusters; i++) {
        const struct rmq_cluster *c = &ci->clusters[i];
        if (i)
            rmq_buf_add(out, ",", 1);
        rmq_json_put_str(out, c->name, strlen(c->name));
        rmq_buf_addstr(out, ":[");
        for (size_t j = 0; j < c->nbrokers; j++) {
            if (j)
                rmq_buf_add(out, ",", 1);
            rmq_json_put_str(out, c->brokers[j], strlen(c->brokers[j]));
        }
        rmq_buf_add(out, "]", 1);
    }
    rmq_buf_addstr(out, "}}");
}
