/* meta_conf.c — topics.json and subscriptionGroup.json: name → config tables whose items
 * are fastjson beans, with unknown members kept per item and per file. */
#include "store/meta.h"

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- sorted named items */

/* Items start with their conf struct, whose first member is char name[]; `extra` holds the
 * item's unknown members (NULL when none). */
struct nvec {
    unsigned char *items;
    size_t n, cap, size;
};

static void *nv_at(const struct nvec *v, size_t i)
{
    return v->items + i * v->size;
}

/* Index of name, or of where it would go (*found says which). */
static size_t nv_find(const struct nvec *v, const char *name, bool *found)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp((const char *)nv_at(v, mid), name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int nv_insert(struct nvec *v, size_t i, const void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        unsigned char *p = realloc(v->items, cap * v->size);
        if (!p)
            return -ENOMEM;
        v->items = p;
        v->cap = cap;
    }
    memmove(nv_at(v, i + 1), nv_at(v, i), (v->n - i) * v->size);
    memcpy(nv_at(v, i), item, v->size);
    v->n++;
    return 0;
}

static void nv_remove(struct nvec *v, size_t i)
{
    memmove(nv_at(v, i), nv_at(v, i + 1), (v->n - i - 1) * v->size);
    v->n--;
}

/* A copy of obj without the known members; NULL when nothing is left (or on ENOMEM, which
 * *oom reports). */
static json_t *unknown_members(const json_t *obj, const char *const *known, size_t n, bool *oom)
{
    json_t *x = json_copy((json_t *)obj);
    if (!x) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        json_object_del(x, known[i]);
    if (json_object_size(x) == 0) {
        json_decref(x);
        return NULL;
    }
    return x;
}

/* Room for one item being decoded (checked against both item types below). */
#define ITEM_MAX 512

/* Shared parts of both tables. */
struct table {
    struct nvec v;
    struct rmq_data_version dv;
    json_t *extra;          /* unknown top-level members */
    bool main_bad;          /* loaded from .bak because the main file was unusable */
};

static void table_reset(struct table *t, size_t extra_off)
{
    for (size_t i = 0; i < t->v.n; i++)
        json_decref(*(json_t **)((unsigned char *)nv_at(&t->v, i) + extra_off));
    t->v.n = 0;
    json_decref(t->extra);
    t->extra = NULL;
    memset(&t->dv, 0, sizeof t->dv);
}

/* Top-level decode: dataVersion, the named table under `table_key`, unknown members. Each
 * member of the table goes through decode_item(key, value, item, err). */
static int table_decode(struct table *t, size_t extra_off, const json_t *root,
                        const char *table_key,
                        int (*decode_item)(const char *key, const json_t *v, void *item, char *err),
                        char *err)
{
    table_reset(t, extra_off);
    int rc = rmq_data_version_decode(json_object_get(root, "dataVersion"), &t->dv, err);
    if (rc)
        return rc;
    const json_t *tab = json_object_get(root, table_key);
    if (tab && !json_is_null(tab) && !json_is_object(tab))
        return rmq_seterr(err, RMQ_EINVAL, "%s is not an object", table_key);
    const char *key;
    json_t *val;
    _Alignas(max_align_t) unsigned char item[ITEM_MAX];
    if (tab && json_is_object(tab)) {
        json_object_foreach((json_t *)tab, key, val) {
            if (strlen(key) > RMQ_META_NAME_MAX)
                return rmq_seterr(err, RMQ_EINVAL, "%s: name longer than %d bytes '%.40s…'",
                                  table_key, RMQ_META_NAME_MAX, key);
            if ((rc = decode_item(key, val, item, err)))
                return rc;
            bool found;
            size_t at = nv_find(&t->v, key, &found);
            if (found)   /* cannot happen: jansson keeps one value per key */
                json_decref(*(json_t **)(item + extra_off));
            else if (nv_insert(&t->v, at, item)) {
                json_decref(*(json_t **)(item + extra_off));
                return rmq_seterr(err, -ENOMEM, "out of memory");
            }
        }
    }
    const char *known[2] = {"dataVersion", table_key};
    bool oom = false;
    t->extra = unknown_members(root, known, 2, &oom);
    return oom ? rmq_seterr(err, -ENOMEM, "out of memory") : 0;
}

struct enc_ctx {
    const struct table *t;
    size_t extra_off;
    const char *const *item_known;
    size_t item_nknown;
    void (*put_item)(struct rmq_buf *b, size_t i, const void *item);
    int rc;
};

static void put_table_member(struct rmq_buf *b, size_t i, const void *arg)
{
    struct enc_ctx *c = (struct enc_ctx *)arg;
    if (i == 0) {
        rmq_data_version_put(b, &c->t->dv);
        return;
    }
    rmq_buf_add(b, "{", 1);
    for (size_t k = 0; k < c->t->v.n; k++) {
        const unsigned char *item = nv_at(&c->t->v, k);
        if (k)
            rmq_buf_add(b, ",", 1);
        rmq_json_put_str(b, (const char *)item, strlen((const char *)item));
        rmq_buf_add(b, ":", 1);
        int rc = rmq_json_put_members(b, c->item_known, c->item_nknown, c->put_item, item,
                                      *(json_t *const *)(item + c->extra_off));
        if (rc)
            c->rc = rc;
    }
    rmq_buf_add(b, "}", 1);
}

static char *table_encode(struct enc_ctx *c, const char *table_key, size_t *len)
{
    struct rmq_buf b = {0};
    const char *known[2] = {"dataVersion", table_key};
    int rc = rmq_json_put_members(&b, known, 2, put_table_member, c, c->t->extra);
    if (rc || c->rc) {
        rmq_buf_free(&b);
        return NULL;
    }
    rmq_buf_add(&b, "", 1);
    *len = b.len - 1;
    return (char *)b.data;
}

static int table_save(struct table *t, char *(*encode)(const void *t, size_t *len),
                      const char *path, char *err)
{
    size_t len;
    char *s = encode(t, &len);
    if (!s)
        return rmq_seterr(err, -ENOMEM, "cannot encode '%s': out of memory", path);
    /* when the main file was bad, keep the good .bak instead of copying the bad file over it */
    int rc = rmq_meta_write_file(path, s, len, !t->main_bad, err);
    free(s);
    if (!rc)
        t->main_bad = false;
    return rc;
}

static int table_load(struct table *t, size_t extra_off,
                      int (*decode)(void *arg, const json_t *root, char *err),
                      const char *path, char *err)
{
    int rc = rmq_meta_load(path, decode, t, err);
    if (rc < 0) {
        table_reset(t, extra_off);
        return rc;
    }
    t->main_bad = rc == RMQ_META_FROM_BAK;
    return 0;
}

static int table_parse(struct table *t, int (*decode)(void *arg, const json_t *root, char *err),
                       const char *json, size_t len, const char *what, char *err)
{
    json_t *root = rmq_json_parse_lenient(json, len, what, err);
    if (!root)
        return RMQ_ECORRUPT;
    char derr[RMQ_ERRLEN] = "";
    int rc = decode(t, root, derr);
    json_decref(root);
    return rc ? rmq_seterr(err, RMQ_ECORRUPT, "cannot decode '%s': %s", what, derr) : 0;
}

static int get_i32(const json_t *o, const char *name, const char *item, int32_t *out, char *err)
{
    int64_t x;
    int r = rmq_json_as_int(json_object_get(o, name), INT32_MIN, INT32_MAX, &x);
    if (r < 0)
        return rmq_seterr(err, RMQ_EINVAL, "'%s': %s is not a 32-bit integer", item, name);
    if (r == 0)
        *out = (int32_t)x;
    return 0;
}

static int get_i64(const json_t *o, const char *name, const char *item, int64_t *out, char *err)
{
    int r = rmq_json_as_int(json_object_get(o, name), INT64_MIN, INT64_MAX, out);
    return r < 0 ? rmq_seterr(err, RMQ_EINVAL, "'%s': %s is not an integer", item, name) : 0;
}

static int get_bool(const json_t *o, const char *name, const char *item, bool *out, char *err)
{
    int r = rmq_json_as_bool(json_object_get(o, name), out);
    return r < 0 ? rmq_seterr(err, RMQ_EINVAL, "'%s': %s is not a boolean", item, name) : 0;
}

static bool name_fits(const char *name)
{
    return rmq_meta_name_ok(name, strnlen(name, RMQ_META_NAME_MAX + 1));
}

/* ---------------------------------------------------------------- topics */

struct topic_item {
    struct rmq_topic_conf c;
    json_t *extra;
};

struct rmq_topic_table {
    struct table t;
};

#define TOPIC_XOFF offsetof(struct topic_item, extra)
_Static_assert(sizeof(struct topic_item) <= ITEM_MAX, "topic_item too big");

static const char *const topic_known[] = {"order", "perm", "readQueueNums", "topicFilterType",
                                          "topicName", "topicSysFlag", "writeQueueNums"};
#define NTOPIC_KNOWN (sizeof topic_known / sizeof *topic_known)
static const char *const filter_names[] = {"SINGLE_TAG", "MULTI_TAG"};

void rmq_topic_conf_init(struct rmq_topic_conf *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->read_queue_nums = c->write_queue_nums = 16;
    c->perm = 6;
    c->topic_filter_type = RMQ_TOPIC_FILTER_SINGLE_TAG;
}

static void put_topic_member(struct rmq_buf *b, size_t i, const void *arg)
{
    const struct rmq_topic_conf *c = arg;
    switch (i) {
    case 0: rmq_buf_addstr(b, c->order ? "true" : "false"); break;
    case 1: rmq_buf_printf(b, "%d", c->perm); break;
    case 2: rmq_buf_printf(b, "%d", c->read_queue_nums); break;
    case 3: rmq_buf_printf(b, "\"%s\"", filter_names[c->topic_filter_type]); break;
    case 4: rmq_json_put_str(b, c->name, strlen(c->name)); break;
    case 5: rmq_buf_printf(b, "%d", c->topic_sys_flag); break;
    default: rmq_buf_printf(b, "%d", c->write_queue_nums); break;
    }
}

static int decode_topic(const char *key, const json_t *o, void *item, char *err)
{
    struct topic_item *it = item;
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "topic '%s' is not an object", key);
    /* the map key names the topic (as in Java's table); topicName inside is informational */
    rmq_topic_conf_init(&it->c, key);
    const json_t *ft = json_object_get(o, "topicFilterType");
    int64_t ord;
    if (json_is_string(ft) && strcmp(json_string_value(ft), "MULTI_TAG") == 0)
        it->c.topic_filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    else if (rmq_json_as_int(ft, 0, 1, &ord) == 0)   /* enums by ordinal, §3.0 */
        it->c.topic_filter_type = (enum rmq_topic_filter)ord;
    else if (ft && !json_is_null(ft) && !(json_is_string(ft) && strcmp(json_string_value(ft), "SINGLE_TAG") == 0))
        rmq_warn("meta: topic '%s': unknown topicFilterType, using SINGLE_TAG", key);
    int rc;
    if ((rc = get_i32(o, "readQueueNums", key, &it->c.read_queue_nums, err)) ||
        (rc = get_i32(o, "writeQueueNums", key, &it->c.write_queue_nums, err)) ||
        (rc = get_i32(o, "perm", key, &it->c.perm, err)) ||
        (rc = get_i32(o, "topicSysFlag", key, &it->c.topic_sys_flag, err)) ||
        (rc = get_bool(o, "order", key, &it->c.order, err)))
        return rc;
    bool oom = false;
    it->extra = unknown_members(o, topic_known, NTOPIC_KNOWN, &oom);
    return oom ? rmq_seterr(err, -ENOMEM, "out of memory") : 0;
}

static int topic_table_decode(void *arg, const json_t *root, char *err)
{
    return table_decode(arg, TOPIC_XOFF, root, "topicConfigTable", decode_topic, err);
}

int rmq_topic_table_new(struct rmq_topic_table **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -ENOMEM;
    (*out)->t.v.size = sizeof(struct topic_item);
    return 0;
}

void rmq_topic_table_free(struct rmq_topic_table *t)
{
    if (!t)
        return;
    table_reset(&t->t, TOPIC_XOFF);
    free(t->t.v.items);
    free(t);
}

int rmq_topic_table_load(struct rmq_topic_table **out, const char *path, char *err)
{
    int rc = rmq_topic_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot load '%s': out of memory", path);
    if ((rc = table_load(&(*out)->t, TOPIC_XOFF, topic_table_decode, path, err))) {
        rmq_topic_table_free(*out);
        *out = NULL;
    }
    return rc;
}

int rmq_topic_table_parse(struct rmq_topic_table **out, const char *json, size_t len,
                          const char *what, char *err)
{
    int rc = rmq_topic_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot decode '%s': out of memory", what);
    if ((rc = table_parse(&(*out)->t, topic_table_decode, json, len, what, err))) {
        rmq_topic_table_free(*out);
        *out = NULL;
    }
    return rc;
}

char *rmq_topic_table_encode(const struct rmq_topic_table *t, size_t *len)
{
    struct enc_ctx c = {&t->t, TOPIC_XOFF, topic_known, NTOPIC_KNOWN, put_topic_member, 0};
    return table_encode(&c, "topicConfigTable", len);
}

static char *topic_encode_any(const void *t, size_t *len)
{
    return rmq_topic_table_encode((const struct rmq_topic_table *)t, len);
}

int rmq_topic_table_save(struct rmq_topic_table *t, const char *path, char *err)
{
    return table_save(&t->t, topic_encode_any, path, err);
}

const struct rmq_topic_conf *rmq_topic_table_get(const struct rmq_topic_table *t,
                                                 const char *name)
{
    bool found;
    size_t i = nv_find(&t->t.v, name, &found);
    return found ? nv_at(&t->t.v, i) : NULL;
}

static bool topic_eq(const struct rmq_topic_conf *a, const struct rmq_topic_conf *b)
{
    return strcmp(a->name, b->name) == 0 && a->read_queue_nums == b->read_queue_nums &&
           a->write_queue_nums == b->write_queue_nums && a->perm == b->perm &&
           a->topic_filter_type == b->topic_filter_type &&
           a->topic_sys_flag == b->topic_sys_flag && a->order == b->order;
}

int rmq_topic_table_put(struct rmq_topic_table *t, const struct rmq_topic_conf *c)
{
    if (!name_fits(c->name) || (unsigned)c->topic_filter_type > RMQ_TOPIC_FILTER_MULTI_TAG)
        return RMQ_EINVAL;
    struct topic_item it = {.c = *c};   /* copy first: c may point into the table */
    bool found;
    size_t i = nv_find(&t->t.v, it.c.name, &found);
    if (found) {
        struct topic_item *cur = nv_at(&t->t.v, i);
        if (topic_eq(&cur->c, &it.c))
            return 0;
        cur->c = it.c;   /* unknown members stay */
    } else if (nv_insert(&t->t.v, i, &it)) {
        return -ENOMEM;
    }
    rmq_data_version_next(&t->t.dv);
    return 1;
}

int rmq_topic_table_delete(struct rmq_topic_table *t, const char *name)
{
    bool found;
    size_t i = nv_find(&t->t.v, name, &found);
    if (!found)
        return RMQ_ENOTFOUND;
    json_decref(((struct topic_item *)nv_at(&t->t.v, i))->extra);
    nv_remove(&t->t.v, i);
    rmq_data_version_next(&t->t.dv);
    return 0;
}

size_t rmq_topic_table_count(const struct rmq_topic_table *t) { return t->t.v.n; }

const struct rmq_topic_conf *rmq_topic_table_at(const struct rmq_topic_table *t, size_t i)
{
    return i < t->t.v.n ? nv_at(&t->t.v, i) : NULL;
}

const struct rmq_data_version *rmq_topic_table_version(const struct rmq_topic_table *t)
{
    return &t->t.dv;
}

/* ---------------------------------------------------------------- subscription groups */

struct group_item {
    struct rmq_group_conf g;
    json_t *extra;
};

struct rmq_group_table {
    struct table t;
};

#define GROUP_XOFF offsetof(struct group_item, extra)
_Static_assert(sizeof(struct group_item) <= ITEM_MAX, "group_item too big");

static const char *const group_known[] = {
    "brokerId", "consumeBroadcastEnable", "consumeEnable", "consumeFromMinEnable", "groupName",
    "notifyConsumerIdsChangedEnable", "retryMaxTimes", "retryQueueNums",
    "whichBrokerWhenConsumeSlowly"};
#define NGROUP_KNOWN (sizeof group_known / sizeof *group_known)

void rmq_group_conf_init(struct rmq_group_conf *g, const char *name)
{
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->consume_enable = g->consume_from_min_enable = g->consume_broadcast_enable = true;
    g->notify_consumer_ids_changed_enable = true;
    g->retry_queue_nums = 1;
    g->retry_max_times = 16;
    g->which_broker_when_consume_slowly = 1;
}

static void put_group_member(struct rmq_buf *b, size_t i, const void *arg)
{
    const struct rmq_group_conf *g = arg;
    switch (i) {
    case 0: rmq_buf_printf(b, "%lld", (long long)g->broker_id); break;
    case 1: rmq_buf_addstr(b, g->consume_broadcast_enable ? "true" : "false"); break;
    case 2: rmq_buf_addstr(b, g->consume_enable ? "true" : "false"); break;
    case 3: rmq_buf_addstr(b, g->consume_from_min_enable ? "true" : "false"); break;
    case 4: rmq_json_put_str(b, g->name, strlen(g->name)); break;
    case 5: rmq_buf_addstr(b, g->notify_consumer_ids_changed_enable ? "true" : "false"); break;
    case 6: rmq_buf_printf(b, "%d", g->retry_max_times); break;
    case 7: rmq_buf_printf(b, "%d", g->retry_queue_nums); break;
    default: rmq_buf_printf(b, "%lld", (long long)g->which_broker_when_consume_slowly); break;
    }
}

static int decode_group(const char *key, const json_t *o, void *item, char *err)
{
    struct group_item *it = item;
    if (!json_is_object(o))
        return rmq_seterr(err, RMQ_EINVAL, "group '%s' is not an object", key);
    rmq_group_conf_init(&it->g, key);
    int rc;
    if ((rc = get_i64(o, "brokerId", key, &it->g.broker_id, err)) ||
        (rc = get_bool(o, "consumeBroadcastEnable", key, &it->g.consume_broadcast_enable, err)) ||
        (rc = get_bool(o, "consumeEnable", key, &it->g.consume_enable, err)) ||
        (rc = get_bool(o, "consumeFromMinEnable", key, &it->g.consume_from_min_enable, err)) ||
        (rc = get_bool(o, "notifyConsumerIdsChangedEnable", key,
                       &it->g.notify_consumer_ids_changed_enable, err)) ||
        (rc = get_i32(o, "retryMaxTimes", key, &it->g.retry_max_times, err)) ||
        (rc = get_i32(o, "retryQueueNums", key, &it->g.retry_queue_nums, err)) ||
        (rc = get_i64(o, "whichBrokerWhenConsumeSlowly", key,
                      &it->g.which_broker_when_consume_slowly, err)))
        return rc;
    bool oom = false;
    it->extra = unknown_members(o, group_known, NGROUP_KNOWN, &oom);
    return oom ? rmq_seterr(err, -ENOMEM, "out of memory") : 0;
}

int rmq_group_conf_parse(const char *json, size_t len, struct rmq_group_conf *out, char *err)
{
    json_t *root = rmq_json_parse_lenient(json, len, "subscription group", err);
    if (!root)
        return RMQ_EINVAL;
    const char *name = json_string_value(json_object_get(root, "groupName"));
    int rc;
    if (!name || !name_fits(name)) {
        rc = rmq_seterr(err, RMQ_EINVAL, "subscription group: groupName is missing or invalid");
    } else {
        struct group_item it;
        rc = decode_group(name, root, &it, err);
        if (rc == 0) {
            json_decref(it.extra);
            *out = it.g;
        }
    }
    json_decref(root);
    return rc;
}

static int group_table_decode(void *arg, const json_t *root, char *err)
{
    return table_decode(arg, GROUP_XOFF, root, "subscriptionGroupTable", decode_group, err);
}

int rmq_group_table_new(struct rmq_group_table **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -ENOMEM;
    (*out)->t.v.size = sizeof(struct group_item);
    return 0;
}

void rmq_group_table_free(struct rmq_group_table *t)
{
    if (!t)
        return;
    table_reset(&t->t, GROUP_XOFF);
    free(t->t.v.items);
    free(t);
}

int rmq_group_table_load(struct rmq_group_table **out, const char *path, char *err)
{
    int rc = rmq_group_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot load '%s': out of memory", path);
    if ((rc = table_load(&(*out)->t, GROUP_XOFF, group_table_decode, path, err))) {
        rmq_group_table_free(*out);
        *out = NULL;
    }
    return rc;
}

int rmq_group_table_parse(struct rmq_group_table **out, const char *json, size_t len,
                          const char *what, char *err)
{
    int rc = rmq_group_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot decode '%s': out of memory", what);
    if ((rc = table_parse(&(*out)->t, group_table_decode, json, len, what, err))) {
        rmq_group_table_free(*out);
        *out = NULL;
    }
    return rc;
}

char *rmq_group_table_encode(const struct rmq_group_table *t, size_t *len)
{
    struct enc_ctx c = {&t->t, GROUP_XOFF, group_known, NGROUP_KNOWN, put_group_member, 0};
    return table_encode(&c, "subscriptionGroupTable", len);
}

static char *group_encode_any(const void *t, size_t *len)
{
    return rmq_group_table_encode((const struct rmq_group_table *)t, len);
}

int rmq_group_table_save(struct rmq_group_table *t, const char *path, char *err)
{
    return table_save(&t->t, group_encode_any, path, err);
}

const struct rmq_group_conf *rmq_group_table_get(const struct rmq_group_table *t,
                                                 const char *name)
{
    bool found;
    size_t i = nv_find(&t->t.v, name, &found);
    return found ? nv_at(&t->t.v, i) : NULL;
}

static bool group_eq(const struct rmq_group_conf *a, const struct rmq_group_conf *b)
{
    return strcmp(a->name, b->name) == 0 && a->consume_enable == b->consume_enable &&
           a->consume_from_min_enable == b->consume_from_min_enable &&
           a->consume_broadcast_enable == b->consume_broadcast_enable &&
           a->notify_consumer_ids_changed_enable == b->notify_consumer_ids_changed_enable &&
           a->retry_queue_nums == b->retry_queue_nums &&
           a->retry_max_times == b->retry_max_times && a->broker_id == b->broker_id &&
           a->which_broker_when_consume_slowly == b->which_broker_when_consume_slowly;
}

int rmq_group_table_put(struct rmq_group_table *t, const struct rmq_group_conf *g)
{
    if (!name_fits(g->name))
        return RMQ_EINVAL;
    struct group_item it = {.g = *g};
    bool found;
    size_t i = nv_find(&t->t.v, it.g.name, &found);
    if (found) {
        struct group_item *cur = nv_at(&t->t.v, i);
        if (group_eq(&cur->g, &it.g))
            return 0;
        cur->g = it.g;
    } else if (nv_insert(&t->t.v, i, &it)) {
        return -ENOMEM;
    }
    rmq_data_version_next(&t->t.dv);
    return 1;
}

int rmq_group_table_delete(struct rmq_group_table *t, const char *name)
{
    bool found;
    size_t i = nv_find(&t->t.v, name, &found);
    if (!found)
        return RMQ_ENOTFOUND;
    json_decref(((struct group_item *)nv_at(&t->t.v, i))->extra);
    nv_remove(&t->t.v, i);
    rmq_data_version_next(&t->t.dv);
    return 0;
}

size_t rmq_group_table_count(const struct rmq_group_table *t) { return t->t.v.n; }

const struct rmq_group_conf *rmq_group_table_at(const struct rmq_group_table *t, size_t i)
{
    return i < t->t.v.n ? nv_at(&t->t.v, i) : NULL;
}

const struct rmq_data_version *rmq_group_table_version(const struct rmq_group_table *t)
{
    return &t->t.dv;
}
