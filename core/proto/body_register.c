/*
 * body_register.c — RegisterBrokerBody (PROTOCOL §3.4), what a broker sends a name server,
 * and TopicList (§3.3), what a name server lists topics with.
 */
#include "proto/body.h"
#include "proto/body_int.h"

#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ TopicList */

void rmq_topic_list_encode(const char *const *names, size_t n, struct rmq_buf *out)
{
    rmq_buf_addstr(out, "{\"topicList\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            rmq_buf_add(out, ",", 1);
        rmq_json_put_str(out, names[i], strlen(names[i]));
    }
    rmq_buf_addstr(out, "]}");
}

void rmq_topic_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int rmq_topic_list_decode(const void *body, size_t len, char ***names, size_t *n, char *err)
{
    *names = NULL;
    *n = 0;
    json_t *root = body_parse(body, len, "TopicList", err);
    if (!root)
        return RMQ_ECORRUPT;
    int rc = 0;
    const json_t *a = json_object_get(root, "topicList");
    size_t cnt = json_is_array(a) ? json_array_size(a) : 0;
    if (a && !json_is_null(a) && (!json_is_array(a) || cnt > RMQ_BODY_MAX_ITEMS)) {
        rc = rmq_seterr(err, RMQ_EINVAL, "topicList is not an array of names");
        goto done;
    }
    char **v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) {
        rc = rmq_seterr(err, -ENOMEM, "out of memory");
        goto done;
    }
    size_t got = 0;
    for (; got < cnt; got++) {
        const json_t *s = json_array_get(a, got);
        if (!json_is_string(s) || json_string_length(s) > RMQ_BODY_NAME_MAX) {
            rc = rmq_seterr(err, RMQ_EINVAL, "topicList[%zu] is not a topic name", got);
            break;
        }
        if (!(v[got] = strdup(json_string_value(s)))) {
            rc = rmq_seterr(err, -ENOMEM, "out of memory");
            break;
        }
    }
    if (rc) {
        rmq_topic_list_free(v, got);
    } else {
        *names = v;
        *n = cnt;
    }
done:
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------ RegisterBrokerBody */

void rmq_register_body_free(struct rmq_register_body *rb)
{
    free(rb->topics);
    memset(rb, 0, sizeof *rb);
}

static int decode_topic(const char *key, const json_t *o, struct rmq_topic_conf *t, char *err)
{
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "topicConfigTable['%.60s'] is not an object", key);
    rmq_topic_conf_init(t, "");
    int rc;
    if ((rc = body_str(json_object_get(o, "topicName"), t->name, sizeof t->name, false, "TopicConfig.topicName", err)))
        return rc;
    if (!t->name[0]) {
        if (strlen(key) > RMQ_BODY_NAME_MAX || !*key)
            return rmq_seterr(err, RMQ_EINVAL, "topic name '%.60s' is empty or too long", key);
        strcpy(t->name, key);
    }
    const json_t *ft = json_object_get(o, "topicFilterType");
    int32_t filter = 0;
    if (json_is_string(ft)) {
        if (strcmp(json_string_value(ft), "MULTI_TAG") == 0)
            filter = 1;
        else if (strcmp(json_string_value(ft), "SINGLE_TAG") != 0)
            return rmq_seterr(err, RMQ_EINVAL, "topic '%s': unknown topicFilterType", t->name);
    } else if ((rc = body_int32(ft, 0, &filter, "TopicConfig.topicFilterType", err))) {
        return rc;
    }
    if (filter != 0 && filter != 1)
        return rmq_seterr(err, RMQ_EINVAL, "topic '%s': unknown topicFilterType %d", t->name, filter);
    t->topic_filter_type = filter ? RMQ_TOPIC_FILTER_MULTI_TAG : RMQ_TOPIC_FILTER_SINGLE_TAG;
    if ((rc = body_int32(json_object_get(o, "readQueueNums"), 16, &t->read_queue_nums, "TopicConfig.readQueueNums", err)) ||
        (rc = body_int32(json_object_get(o, "writeQueueNums"), 16, &t->write_queue_nums, "TopicConfig.writeQueueNums", err)) ||
        (rc = body_int32(json_object_get(o, "perm"), 6, &t->perm, "TopicConfig.perm", err)) ||
        (rc = body_int32(json_object_get(o, "topicSysFlag"), 0, &t->topic_sys_flag, "TopicConfig.topicSysFlag", err)) ||
        (rc = body_bool(json_object_get(o, "order"), false, &t->order, "TopicConfig.order", err)))
        return rc;
    if (t->read_queue_nums < 0 || t->write_queue_nums < 0 || t->read_queue_nums > 65535 || t->write_queue_nums > 65535)
        return rmq_seterr(err, RMQ_EINVAL, "topic '%s': queue numbers out of range", t->name);
    return 0;
}

int rmq_register_body_decode(const void *body, size_t len, struct rmq_register_body *out, char *err)
{
    memset(out, 0, sizeof *out);
    const unsigned char *p = body;
    size_t i = 0;
    while (p && i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (p && i < len && p[i] != '{')
        return rmq_seterr(err, RMQ_EINVAL, "RegisterBrokerBody is not JSON (a compressed registration? "
                                           "set compressedRegister=false on the broker)");
    json_t *root = body_parse(body, len, "RegisterBrokerBody", err);
    if (!root)
        return RMQ_ECORRUPT;
    int rc = 0;
    const json_t *w = json_object_get(root, "topicConfigSerializeWrapper");
    if (!w || json_is_null(w))
        goto done;   /* a registration with no topics (Java allows a null wrapper) */
    if (!json_is_object(w)) {
        rc = rmq_seterr(err, RMQ_EINVAL, "topicConfigSerializeWrapper is not an object");
        goto done;
    }
    if ((rc = rmq_data_version_decode(json_object_get(w, "dataVersion"), &out->version, err)))
        goto done;
    const json_t *tt = json_object_get(w, "topicConfigTable");
    if (!tt || json_is_null(tt))
        goto done;
    if (!json_is_object(tt) || json_object_size(tt) > RMQ_BODY_MAX_ITEMS) {
        rc = rmq_seterr(err, RMQ_EINVAL, "topicConfigTable is not an object");
        goto done;
    }
    size_t n = json_object_size(tt);
    if (!(out->topics = calloc(n ? n : 1, sizeof *out->topics))) {
        rc = rmq_seterr(err, -ENOMEM, "out of memory");
        goto done;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)tt, k, v) {
        if ((rc = decode_topic(k, v, &out->topics[out->ntopics], err)))
            break;
        out->ntopics++;
    }
done:
    json_decref(root);
    if (rc)
        rmq_register_body_free(out);
    return rc;
}

void rmq_register_body_open(struct rmq_buf *out, const struct rmq_data_version *v)
{
    rmq_buf_addstr(out, "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":");
    rmq_data_version_put(out, v);
    rmq_buf_addstr(out, ",\"topicConfigTable\":{");
}

void rmq_register_body_topic(struct rmq_buf *out, const struct rmq_topic_conf *t, int perm_mask)
{
    if (out->len && out->data[out->len - 1] != '{')
        rmq_buf_add(out, ",", 1);
    size_t n = strlen(t->name);
    rmq_json_put_str(out, t->name, n);
    rmq_buf_printf(out, ":{\"order\":%s,\"perm\":%d,\"readQueueNums\":%d,\"topicFilterType\":\"%s\",\"topicName\":",
                   t->order ? "true" : "false", t->perm & perm_mask, t->read_queue_nums,
                   t->topic_filter_type == RMQ_TOPIC_FILTER_MULTI_TAG ? "MULTI_TAG" : "SINGLE_TAG");
    rmq_json_put_str(out, t->name, n);
    rmq_buf_printf(out, ",\"topicSysFlag\":%d,\"writeQueueNums\":%d}", t->topic_sys_flag, t->write_queue_nums);
}

void rmq_register_body_close(struct rmq_buf *out) { rmq_buf_addstr(out, "}}}"); }
