/*
 * admin_tools.c — topic, offset and shutdown requests for the admin commands.
 */
#include "client/admin_tools.h"
#include "client/admin.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int call_noreply(struct rmq_rpc *r, struct rmq_cmd *req, char *err)
{
    struct rmq_rpc_reply rep;
    int rc = rmq_admin_call(r, req, &rep, err);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_admin_tools_update_topic(struct rmq_rpc *r, const char *topic, int read_queues, int write_queues,
                            int perm, bool order, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_UPDATE_AND_CREATE_TOPIC, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    rmq_cmd_set_ext(&req, "defaultTopic", RMQ_TBW102);
    rmq_cmd_set_ext_int(&req, "readQueueNums", read_queues);
    rmq_cmd_set_ext_int(&req, "writeQueueNums", write_queues);
    rmq_cmd_set_ext_int(&req, "perm", perm);
    rmq_cmd_set_ext(&req, "topicFilterType", "SINGLE_TAG");
    rmq_cmd_set_ext_int(&req, "topicSysFlag", 0);
    rmq_cmd_set_ext_bool(&req, "order", order);
    return call_noreply(r, &req, err);
}

int rmq_admin_tools_delete_topic(struct rmq_rpc *r, const char *topic, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_DELETE_TOPIC_IN_BROKER, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    return call_noreply(r, &req, err);
}

int rmq_admin_tools_shutdown(struct rmq_rpc *r, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_RMQ_SHUTDOWN, RMQ_SER_ROCKETMQ);
    return call_noreply(r, &req, err);
}

int rmq_admin_tools_topic_names(struct rmq_rpc *r, char ***names, size_t *n, char *err)
{
    *names = NULL;
    *n = 0;
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_ALL_TOPIC_CONFIG, RMQ_SER_ROCKETMQ);
    int rc = rmq_admin_call(r, &req, &rep, err);
    if (rc)
        return rc;
    json_t *root = rmq_fastjson_loadb(rep.cmd.body, rep.cmd.body_len, err);
    rmq_rpc_reply_free(&rep);
    json_t *table = json_object_get(root, "topicConfigTable");
    if (!json_is_object(table)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "topic table from %s does not parse", rmq_rpc_peer(r));
    }
    size_t cap = json_object_size(table);
    char **v = calloc(cap ? cap : 1, sizeof *v);
    const char *k;
    json_t *val;
    json_object_foreach (table, k, val)
        if (*n < cap)
            v[(*n)++] = strdup(k);
    json_decref(root);
    *names = v;
    return 0;
}

/* ---- fastjson: object keys that are objects ---- */

json_t *rmq_fastjson_loadb(const void *text, size_t len, char *err)
{
    const char *s = text;
    struct rmq_buf out = {0};
    char stack[256];
    int depth = 0;
    bool expect_key = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"') {   /* a string: copy through its end */
            size_t j = i + 1;
            while (j < len && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            if (j >= len)
                j = len - 1;
            rmq_buf_add(&out, s + i, j - i + 1);
            i = j;
            expect_key = false;
            continue;
        }
        if (c == '{' && expect_key) {   /* an object key: quote its balanced text */
            size_t j = i;
            int d = 0;
            for (; j < len; j++) {
                if (s[j] == '"') {
                    for (j++; j < len && s[j] != '"'; j += s[j] == '\\' ? 2 : 1)
                        ;
                } else if (s[j] == '{') {
                    d++;
                } else if (s[j] == '}' && --d == 0) {
                    break;
                }
            }
            if (j >= len)
                break;
            rmq_buf_addstr(&out, "\"");
            for (size_t k = i; k <= j; k++) {
                if (s[k] == '"' || s[k] == '\\')
                    rmq_buf_addstr(&out, "\\");
                rmq_buf_add(&out, s + k, 1);
            }
            rmq_buf_addstr(&out, "\"");
            i = j;
            expect_key = false;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth < (int)sizeof stack)
                stack[depth] = c;
            depth++;
            expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
            expect_key = false;
        } else if (c == ',') {
            expect_key = depth > 0 && depth <= (int)sizeof stack && stack[depth - 1] == '{';
        } else if (c == ':') {
            expect_key = false;
        }
        rmq_buf_add(&out, &c, 1);
    }
    json_error_t je;
    json_t *root = json_loadb(out.data ? (const char *)out.data : "", out.len, JSON_DECODE_ANY, &je);
    rmq_buf_free(&out);
    if (!root)
        rmq_seterr(err, RMQ_EINVAL, "reply body does not parse: %s", je.text);
    return root;
}

static int64_t get_l(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v)
           : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
           : json_is_real(v)   ? (int64_t)json_real_value(v) : 0;
}

static int cmp_stat(const void *a, const void *b)
{
    const struct rmq_queue_stat *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (!c)
        c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

static int stats(struct rmq_rpc *r, struct rmq_cmd *req, bool consume, struct rmq_queue_stat **out,
                 size_t *n, char *err)
{
    *out = NULL;
    *n = 0;
    struct rmq_rpc_reply rep;
    int rc = rmq_admin_call(r, req, &rep, err);
    if (rc)
        return rc;
    json_t *root = rmq_fastjson_loadb(rep.cmd.body, rep.cmd.body_len, err);
    rmq_rpc_reply_free(&rep);
    json_t *table = json_object_get(root, "offsetTable");
    if (!json_is_object(table)) {
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "statistics from %s do not parse", rmq_rpc_peer(r));
    }
    size_t cap = json_object_size(table);
    struct rmq_queue_stat *v = calloc(cap ? cap : 1, sizeof *v);
    const char *k;
    json_t *val;
    json_object_foreach (table, k, val) {
        json_t *key = json_loads(k, JSON_DECODE_ANY, NULL);
        struct rmq_queue_stat *q = &v[*n];
        memset(q, 0, sizeof *q);
        const char *t = json_string_value(json_object_get(key, "topic"));
        const char *bn = json_string_value(json_object_get(key, "brokerName"));
        snprintf(q->topic, sizeof q->topic, "%s", t ? t : "");
        snprintf(q->broker, sizeof q->broker, "%s", bn ? bn : "");
        q->qid = (int)get_l(key, "queueId");
        json_decref(key);
        if (consume) {
            q->broker_off = get_l(val, "brokerOffset");
            q->consumer_off = get_l(val, "consumerOffset");
            q->pull_off = get_l(val, "pullOffset");
            q->last_ts = get_l(val, "lastTimestamp");
        } else {
            q->min = get_l(val, "minOffset");
            q->max = get_l(val, "maxOffset");
            q->last_ts = get_l(val, "lastUpdateTimestamp");
        }
        if (++*n >= cap)
            break;
    }
    json_decref(root);
    qsort(v, *n, sizeof *v, cmp_stat);
    *out = v;
    return 0;
}

int rmq_admin_tools_topic_stats(struct rmq_rpc *r, const char *topic, struct rmq_queue_stat **out,
                           size_t *n, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_TOPIC_STATS_INFO, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    return stats(r, &req, false, out, n, err);
}

int rmq_admin_tools_consume_stats(struct rmq_rpc *r, const char *group, const char *topic,
                             struct rmq_queue_stat **out, size_t *n, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_CONSUME_STATS, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", group);
    if (topic)
        rmq_cmd_set_ext(&req, "topic", topic);
    return stats(r, &req, true, out, n, err);
}

void rmq_perm_str(int perm, char *out)
{
    out[0] = perm & 4 ? 'R' : '-';
    out[1] = perm & 2 ? 'W' : '-';
    out[2] = perm & 1 ? 'X' : '-';
    out[3] = '\0';
}
