#include "broker/clients.h"

#include "store/meta.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_groups(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_entry(struct rmq_client_entry *e)
{
    free_groups(e->consumer_groups, e->nconsumer);
    free(e->broadcast);
    free_groups(e->producer_groups, e->nproducer);
    rmq_conn_unref(e->conn);
    free(e);
}

static bool has_group(char **v, int n, const char *g)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], g))
            return true;
    return false;
}

/* Reads the groupName of every object of a JSON array into a new array. */
static int read_groups(const json_t *arr, char ***out, bool **bcast, int *n)
{
    *out = NULL;
    *n = 0;
    if (bcast)
        *bcast = NULL;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > 1024)
        return RMQ_EINVAL;
    size_t k = json_array_size(arr);
    *out = calloc(k ? k : 1, sizeof **out);
    if (bcast)
        *bcast = calloc(k ? k : 1, sizeof **bcast);
    if (!*out || (bcast && !*bcast))
        return -ENOMEM;
    for (size_t i = 0; i < k; i++) {
        const char *g = json_string_value(json_object_get(json_array_get(arr, i), "groupName"));
        if (!g || !*g || strlen(g) > 255)
            return RMQ_EINVAL;
        if (bcast) {
            /* enum by name, or by ordinal as the C++ client sends it (BROADCASTING = 0) */
            const json_t *mm = json_object_get(json_array_get(arr, i), "messageModel");
            (*bcast)[*n] = (json_is_string(mm) && !strcmp(json_string_value(mm), "BROADCASTING")) ||
                           (json_is_integer(mm) && json_integer_value(mm) == 0);
        }
        if (!((*out)[*n] = strdup(g)))
            return -ENOMEM;
        (*n)++;
    }
    return 0;
}

static struct rmq_client_entry **find(struct rmq_clients *t, struct rmq_conn *c)
{
    struct rmq_client_entry **pp = &t->head;
    while (*pp && (*pp)->conn != c)
        pp = &(*pp)->next;
    return pp;
}

void rmq_heartbeat_free(struct rmq_heartbeat *hb)
{
    free_groups(hb->consumer_groups, hb->nconsumer);
    free(hb->broadcast);
    free_groups(hb->producer_groups, hb->nproducer);
    memset(hb, 0, sizeof *hb);
}

int rmq_heartbeat_parse(const uint8_t *body, size_t len, struct rmq_heartbeat *hb, char *err)
{
    memset(hb, 0, sizeof *hb);
    json_t *root = rmq_json_parse_lenient((const char *)body, len, "heartbeat body", err);
    if (!root)
        return RMQ_EINVAL;
    const char *id = json_string_value(json_object_get(root, "clientID"));
    bool id_ok = id && *id && strlen(id) < sizeof hb->client_id;
    if (id_ok)   /* copied: the JSON goes away below */
        snprintf(hb->client_id, sizeof hb->client_id, "%s", id);
    int bad = !id_ok ||
              read_groups(json_object_get(root, "consumerDataSet"), &hb->consumer_groups, &hb->broadcast,
                          &hb->nconsumer) ||
              read_groups(json_object_get(root, "producerDataSet"), &hb->producer_groups, NULL, &hb->nproducer);
    json_decref(root);
    if (bad) {   /* read_groups leaves what it read so far counted: free it all */
        rmq_heartbeat_free(hb);
        return rmq_seterr(err, RMQ_EINVAL, "heartbeat body without a valid clientID and group lists");
    }
    return 0;
}

int rmq_clients_heartbeat(struct rmq_clients *t, struct rmq_conn *c, int language, int version,
                          const uint8_t *body, size_t len, void (*changed)(void *arg, const char *group),
                          void *arg, char *err)
{
    struct rmq_heartbeat hb;
    if (rmq_heartbeat_parse(body, len, &hb, err))
        return RMQ_EINVAL;
    char **cg = hb.consumer_groups;
    int ncg = hb.nconsumer;
    struct rmq_client_entry **pp = find(t, c), *e = *pp;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) {
            rmq_heartbeat_free(&hb);
            return rmq_seterr(err, -ENOMEM, "out of memory");
        }
        rmq_conn_ref(c);
        e->conn = c;
        e->next = t->head;
        t->head = e;
    }
    /* membership changes: groups joined now, groups left since the last heartbeat */
    for (int i = 0; i < ncg; i++)
        if (!has_group(e->consumer_groups, e->nconsumer, cg[i]) && changed)
            changed(arg, cg[i]);
    for (int i = 0; i < e->nconsumer; i++)
        if (!has_group(cg, ncg, e->consumer_groups[i]) && changed)
            changed(arg, e->consumer_groups[i]);
    free_groups(e->consumer_groups, e->nconsumer);
    free(e->broadcast);
    free_groups(e->producer_groups, e->nproducer);
    e->consumer_groups = cg;
    e->broadcast = hb.broadcast;
    e->nconsumer = ncg;
    e->producer_groups = hb.producer_groups;
    e->nproducer = hb.nproducer;
    snprintf(e->client_id, sizeof e->client_id, "%s", hb.client_id);
    e->language = language;
    e->version = version;
    e->last_seen_ms = rmq_now_ms();
    return 0;
}

static void drop(struct rmq_client_entry **pp, void (*changed)(void *, const char *), void *arg)
{
    struct rmq_client_entry *e = *pp;
    *pp = e->next;
    char **groups = e->consumer_groups;
    int n = e->nconsumer;
    e->consumer_groups = NULL;
    e->nconsumer = 0;
    free_entry(e);
    for (int i = 0; i < n && changed; i++)
        changed(arg, groups[i]);
    free_groups(groups, n);
}

void rmq_clients_forget(struct rmq_clients *t, struct rmq_conn *c,
                        void (*changed)(void *arg, const char *group), void *arg)
{
    struct rmq_client_entry **pp = find(t, c);
    if (*pp)
        drop(pp, changed, arg);
}

void rmq_clients_expire(struct rmq_clients *t, int64_t now_ms,
                        void (*changed)(void *arg, const char *group), void *arg)
{
    for (struct rmq_client_entry **pp = &t->head; *pp;) {
        if (now_ms - (*pp)->last_seen_ms > RMQ_CLIENT_EXPIRY_MS || rmq_conn_is_closed((*pp)->conn)) {
            rmq_info("broker: client %s expired", (*pp)->client_id);
            drop(pp, changed, arg);
        } else {
            pp = &(*pp)->next;
        }
    }
}

void rmq_clients_of_group(const struct rmq_clients *t, const char *group,
                          void (*fn)(void *arg, const struct rmq_client_entry *e), void *arg)
{
    for (const struct rmq_client_entry *e = t->head; e; e = e->next)
        if (has_group(e->consumer_groups, e->nconsumer, group))
            fn(arg, e);
}

void rmq_clients_free(struct rmq_clients *t)
{
    while (t->head) {
        struct rmq_client_entry *e = t->head;
        t->head = e->next;
        free_entry(e);
    }
}
