#include "broker/clients.h"

#include "store/meta.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

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
        (*out)[(*n)++] = strdup(g);
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

int rmq_clients_heartbeat(struct rmq_clients *t, struct rmq_conn *c, int language, int version,
                          const uint8_t *body, size_t len, void (*changed)(void *arg, const char *group),
                          void *arg, char *err)
{
    json_t *root = rmq_json_parse_lenient((const char *)body, len, "heartbeat body", err);
    if (!root)
        return RMQ_EINVAL;
    const char *idv = json_string_value(json_object_get(root, "clientID"));
    char id[256] = "";
    bool id_ok = idv && *idv && strlen(idv) < sizeof id;
    if (id_ok)   /* copied: the JSON goes away below */
        snprintf(id, sizeof id, "%s", idv);
    char **cg = NULL, **pg = NULL;
    bool *bc = NULL;
    int ncg = 0, npg = 0;
    int bad = !id_ok || read_groups(json_object_get(root, "consumerDataSet"), &cg, &bc, &ncg) ||
              read_groups(json_object_get(root, "producerDataSet"), &pg, NULL, &npg);
    if (bad) {
        /* read_groups leaves what it read so far counted in n: free it all */
        free_groups(cg, ncg);
        free(bc);
        free_groups(pg, npg);
        json_decref(root);
        return rmq_seterr(err, RMQ_EINVAL, "heartbeat body without a valid clientID and group lists");
    }
    json_decref(root);
    struct rmq_client_entry **pp = find(t, c), *e = *pp;
    if (!e) {
        e = calloc(1, sizeof *e);
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
    e->broadcast = bc;
    e->nconsumer = ncg;
    e->producer_groups = pg;
    e->nproducer = npg;
    snprintf(e->client_id, sizeof e->client_id, "%s", id);
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
