/*
 * kv.c — the KV-config requests (PUT 100, GET 101, DELETE 102, GET_KVLIST_BY_NAMESPACE
 * 219). Java keeps this table in kvConfigPath; rmq keeps it in memory only, so a fresh
 * name server answers as Java's does with an empty table (QUERY_NOT_FOUND), and what an
 * admin puts lasts until the name server stops. Clients ask for ORDER_TOPIC_CONFIG.
 */
#include "namesrv/namesrv_int.h"

#include "proto/codes.h"
#include "store/meta.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

static struct ns_kv *find(const struct rmq_namesrv *ns, const char *nspace, const char *key)
{
    for (size_t i = 0; i < ns->nkv; i++)
        if (strcmp(ns->kv[i].ns, nspace) == 0 && strcmp(ns->kv[i].key, key) == 0)
            return &ns->kv[i];
    return NULL;
}

const char *ns_kv_find(const struct rmq_namesrv *ns, const char *nspace, const char *key)
{
    const struct ns_kv *e = find(ns, nspace, key);
    return e ? e->value : NULL;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        rmq_panic("out of memory");
    return d;
}

void ns_kv_put(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *nspace, *key, *value;
    if (!rmq_need_str(c, req, "namespace", &nspace) || !rmq_need_str(c, req, "key", &key) ||
        !rmq_need_str(c, req, "value", &value))
        return;
    struct ns_kv *e = find(ns, nspace, key);
    if (e) {
        free(e->value);
    } else {
        struct ns_kv *v = realloc(ns->kv, (ns->nkv + 1) * sizeof *v);
        if (!v)
            rmq_panic("out of memory");
        ns->kv = v;
        e = &ns->kv[ns->nkv++];
        e->ns = xstrdup(nspace);
        e->key = xstrdup(key);
    }
    e->value = xstrdup(value);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void ns_kv_get(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *nspace, *key;
    if (!rmq_need_str(c, req, "namespace", &nspace) || !rmq_need_str(c, req, "key", &key))
        return;
    const char *v = ns_kv_find(ns, nspace, key);
    if (!v) {
        rmq_reply_code(c, req, RMQ_RESP_QUERY_NOT_FOUND, "No config item, Namespace: %s Key: %s", nspace, key);
        return;
    }
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    rmq_cmd_set_ext(&resp, "value", v);
    rmq_reply_to(c, req, &resp);
}

void ns_kv_delete(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *nspace, *key;
    if (!rmq_need_str(c, req, "namespace", &nspace) || !rmq_need_str(c, req, "key", &key))
        return;
    struct ns_kv *e = find(ns, nspace, key);
    if (e) {
        free(e->ns);
        free(e->key);
        free(e->value);
        *e = ns->kv[--ns->nkv];
    }
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void ns_kv_list(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *nspace;
    if (!rmq_need_str(c, req, "namespace", &nspace))
        return;
    struct rmq_buf body = {0};
    rmq_buf_addstr(&body, "{\"table\":{");
    size_t n = 0;
    for (size_t i = 0; i < ns->nkv; i++) {
        if (strcmp(ns->kv[i].ns, nspace) != 0)
            continue;
        if (n++)
            rmq_buf_add(&body, ",", 1);
        rmq_json_put_str(&body, ns->kv[i].key, strlen(ns->kv[i].key));
        rmq_buf_add(&body, ":", 1);
        rmq_json_put_str(&body, ns->kv[i].value, strlen(ns->kv[i].value));
    }
    rmq_buf_addstr(&body, "}}");
    struct rmq_cmd resp;
    if (n == 0) {
        rmq_buf_free(&body);
        rmq_reply_code(c, req, RMQ_RESP_QUERY_NOT_FOUND, "No config item, Namespace: %s", nspace);
        return;
    }
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    resp.body = body.data;
    resp.body_len = body.len;
    rmq_reply_to(c, req, &resp);
    rmq_buf_free(&body);
}

void ns_kv_free(struct rmq_namesrv *ns)
{
    for (size_t i = 0; i < ns->nkv; i++) {
        free(ns->kv[i].ns);
        free(ns->kv[i].key);
        free(ns->kv[i].value);
    }
    free(ns->kv);
    ns->kv = NULL;
    ns->nkv = 0;
}
