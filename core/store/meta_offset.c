/* meta_offset.c — consumerOffset.json and delayOffset.json: Map<Integer,Long> tables that
 * fastjson writes with bare integer keys, so they are encoded by hand, not by jansson. */
#include "store/meta.h"

#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One id → offset pair: queue id → consumer offset, or delay level → delivery offset. */
struct idv {
    int32_t id;
    int64_t off;
};

/* One "topic@group" entry with its queues, sorted by queue id. */
struct og {
    char *key;            /* "topic@group" */
    char *topic, *group;  /* the key split at its first '@' (group "" when there is none) */
    struct idv *q;        /* queue id → offset */
    size_t nq, capq;
};

struct rmq_offset_table {
    struct og *v;         /* sorted by key */
    size_t n, cap;
    json_t *extra;        /* unknown top-level members (5.x dataVersion, …) */
    bool main_bad;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *q = realloc(*p, c * size);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Binary search of a sorted id array: index of id, or where it would go. */
static size_t id_find(const struct idv *a, size_t n, int32_t id, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].id == id) {
            *found = true;
            return mid;
        }
        if (a[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sets id → off in a sorted id array. */
static int id_set(struct idv **a, size_t *n, size_t *cap, int32_t id, int64_t off)
{
    bool found;
    size_t i = id_find(*a, *n, id, &found);
    if (!found) {
        if (grow((void **)a, cap, *n, sizeof **a))
            return -ENOMEM;
        memmove(*a + i + 1, *a + i, (*n - i) * sizeof **a);
        (*n)++;
        (*a)[i].id = id;
    }
    (*a)[i].off = off;
    return 0;
}

static void og_free(struct og *g)
{
    free(g->key);
    free(g->topic);
    free(g->group);
    free(g->q);
}

static size_t og_find(const struct rmq_offset_table *t, const char *key, bool *found)
{
    size_t lo = 0, hi = t->n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->v[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entry for key, created when missing (NULL on ENOMEM). */
static struct og *og_get(struct rmq_offset_table *t, const char *key)
{
    bool found;
    size_t i = og_find(t, key, &found);
    if (found)
        return &t->v[i];
    if (grow((void **)&t->v, &t->cap, t->n, sizeof *t->v))
        return NULL;
    struct og g = {0};
    const char *at = strchr(key, '@');
    g.key = strdup(key);
    g.topic = at ? strndup(key, (size_t)(at - key)) : strdup(key);
    g.group = strdup(at ? at + 1 : "");
    if (!g.key || !g.topic || !g.group) {
        og_free(&g);
        return NULL;
    }
    memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof *t->v);
    t->v[i] = g;
    t->n++;
    return &t->v[i];
}

static void offset_reset(struct rmq_offset_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        og_free(&t->v[i]);
    t->n = 0;
    json_decref(t->extra);
    t->extra = NULL;
}

/* A map key that must be an int32 ("0", "-1"; the pre-pass quoted bare ones). */
static int key_i32(const char *k, int32_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(k, &end, 10);
    if (errno || end == k || *end || v < INT32_MIN || v > INT32_MAX)
        return RMQ_EINVAL;
    *out = (int32_t)v;
    return 0;
}

static int offset_decode(void *arg, const json_t *root, char *err)
{
    struct rmq_offset_table *t = arg;
    offset_reset(t);
    const json_t *tab = json_object_get(root, "offsetTable");
    if (tab && !json_is_null(tab) && !json_is_object(tab))
        return rmq_seterr(err, RMQ_EINVAL, "offsetTable is not an object");
    const char *key, *qk;
    json_t *val, *qv;
    if (json_is_object(tab)) {
        json_object_foreach((json_t *)tab, key, val) {
            if (strlen(key) > 2 * RMQ_META_NAME_MAX + 1)
                return rmq_seterr(err, RMQ_EINVAL, "offsetTable: key too long '%.40s…'", key);
            if (!json_is_object(val))
                return rmq_seterr(err, RMQ_EINVAL, "offsetTable '%s' is not an object", key);
            struct og *g = og_get(t, key);
            if (!g)
                return rmq_seterr(err, -ENOMEM, "out of memory");
            json_object_foreach(val, qk, qv) {
                int32_t qid;
                int64_t off;
                if (key_i32(qk, &qid))
                    return rmq_seterr(err, RMQ_EINVAL, "offsetTable '%s': queue id '%.20s' is not an integer", key, qk);
                if (rmq_json_as_int(qv, INT64_MIN, INT64_MAX, &off))
                    return rmq_seterr(err, RMQ_EINVAL, "offsetTable '%s': offset of queue %d is not an integer", key, qid);
                if (id_set(&g->q, &g->nq, &g->capq, qid, off))
                    return rmq_seterr(err, -ENOMEM, "out of memory");
            }
        }
    }
    json_t *x = json_copy((json_t *)root);
    if (!x)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    json_object_del(x, "offsetTable");
    if (json_object_size(x))
        t->extra = x;
    else
        json_decref(x);
    return 0;
}

int rmq_offset_table_new(struct rmq_offset_table **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void rmq_offset_table_free(struct rmq_offset_table *t)
{
    if (!t)
        return;
    offset_reset(t);
    free(t->v);
    free(t);
}

int rmq_offset_table_load(struct rmq_offset_table **out, const char *path, char *err)
{
    int rc = rmq_offset_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot load '%s': out of memory", path);
    rc = rmq_meta_load(path, offset_decode, *out, err);
    if (rc < 0) {
        rmq_offset_table_free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->main_bad = rc == RMQ_META_FROM_BAK;
    return 0;
}

int rmq_offset_table_parse(struct rmq_offset_table **out, const char *json, size_t len,
                           const char *what, char *err)
{
    int rc = rmq_offset_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot decode '%s': out of memory", what);
    json_t *root = rmq_json_parse_lenient(json, len, what, err);
    char derr[RMQ_ERRLEN] = "";
    rc = !root ? RMQ_ECORRUPT : offset_decode(*out, root, derr);
    json_decref(root);
    if (rc) {
        if (root)
            rmq_seterr(err, rc, "cannot decode '%s': %s", what, derr);
        rmq_offset_table_free(*out);
        *out = NULL;
        return RMQ_ECORRUPT;
    }
    return 0;
}

static void put_offset_table(struct rmq_buf *b, size_t i, const void *arg)
{
    const struct rmq_offset_table *t = arg;
    rmq_buf_add(b, "{", 1);
    for (size_t k = 0; k < t->n; k++) {
        const struct og *g = &t->v[k];
        if (k)
            rmq_buf_add(b, ",", 1);
        rmq_json_put_str(b, g->key, strlen(g->key));
        rmq_buf_add(b, ":{", 2);
        for (size_t j = 0; j < g->nq; j++)   /* fastjson: Integer keys unquoted */
            rmq_buf_printf(b, "%s%d:%lld", j ? "," : "", g->q[j].id, (long long)g->q[j].off);
        rmq_buf_add(b, "}", 1);
    }
    rmq_buf_add(b, "}", 1);
}

static char *finish(struct rmq_buf *b, int rc, size_t *len)
{
    if (rc) {
        rmq_buf_free(b);
        return NULL;
    }
    rmq_buf_add(b, "", 1);
    *len = b->len - 1;
    return (char *)b->data;
}

char *rmq_offset_table_encode(const struct rmq_offset_table *t, size_t *len)
{
    static const char *const known[] = {"offsetTable"};
    struct rmq_buf b = {0};
    int rc = rmq_json_put_members(&b, known, 1, put_offset_table, t, t->extra);
    return finish(&b, rc, len);
}

static int save(const char *s, size_t len, bool *main_bad, const char *path, char *err)
{
    if (!s)
        return rmq_seterr(err, -ENOMEM, "cannot encode '%s': out of memory", path);
    int rc = rmq_meta_write_file(path, s, len, !*main_bad, err);
    if (!rc)
        *main_bad = false;
    return rc;
}

int rmq_offset_table_save(struct rmq_offset_table *t, const char *path, char *err)
{
    size_t len = 0;
    char *s = rmq_offset_table_encode(t, &len);
    int rc = save(s, len, &t->main_bad, path, err);
    free(s);
    return rc;
}

/* "topic@group" into buf; false when it does not fit a valid key. */
static bool make_key(char *buf, size_t n, const char *topic, const char *group)
{
    return snprintf(buf, n, "%s@%s", topic, group) < (int)n;
}

int rmq_offset_table_set(struct rmq_offset_table *t, const char *topic, const char *group,
                         int32_t queue_id, int64_t offset)
{
    char key[2 * RMQ_META_NAME_MAX + 2];
    if (!make_key(key, sizeof key, topic, group))
        return RMQ_EINVAL;
    bool found;
    size_t i = og_find(t, key, &found);
    if (!found && (!rmq_meta_name_ok(topic, strlen(topic)) || strchr(topic, '@') ||
                   !rmq_meta_name_ok(group, strlen(group))))
        return RMQ_EINVAL;
    struct og *g = found ? &t->v[i] : og_get(t, key);
    if (!g)
        return -ENOMEM;
    return id_set(&g->q, &g->nq, &g->capq, queue_id, offset);
}

int64_t rmq_offset_table_get(const struct rmq_offset_table *t, const char *topic,
                             const char *group, int32_t queue_id)
{
    char key[2 * RMQ_META_NAME_MAX + 2];
    bool found;
    if (!make_key(key, sizeof key, topic, group))
        return -1;
    size_t i = og_find(t, key, &found);
    if (!found)
        return -1;
    const struct og *g = &t->v[i];
    size_t j = id_find(g->q, g->nq, queue_id, &found);
    return found ? g->q[j].off : -1;
}

/* Removes the entries of topic (any when NULL) and group (any when NULL); returns how
 * many. */
static int remove_if(struct rmq_offset_table *t, const char *topic, const char *group)
{
    size_t w = 0;
    int removed = 0;
    for (size_t r = 0; r < t->n; r++) {
        struct og *g = &t->v[r];
        if ((!topic || strcmp(g->topic, topic) == 0) && (!group || strcmp(g->group, group) == 0)) {
            og_free(g);
            removed++;
        } else {
            t->v[w++] = *g;
        }
    }
    t->n = w;
    return removed;
}

int rmq_offset_table_delete_group(struct rmq_offset_table *t, const char *group)
{
    return remove_if(t, NULL, group);
}

int rmq_offset_table_delete_topic(struct rmq_offset_table *t, const char *topic)
{
    return remove_if(t, topic, NULL);
}

int rmq_offset_table_delete(struct rmq_offset_table *t, const char *topic, const char *group)
{
    return remove_if(t, topic, group);
}

int rmq_offset_table_foreach(const struct rmq_offset_table *t,
                             int (*cb)(void *arg, const char *topic, const char *group,
                                       int32_t queue_id, int64_t offset),
                             void *arg)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = 0; j < t->v[i].nq; j++) {
            int r = cb(arg, t->v[i].topic, t->v[i].group, t->v[i].q[j].id, t->v[i].q[j].off);
            if (r)
                return r;
        }
    return 0;
}

/* ---------------------------------------------------------------- delayOffset.json */

struct rmq_delay_table {
    struct idv *v;         /* level → offset, sorted by level */
    size_t n, cap;
    struct rmq_data_version dv;
    json_t *extra;
    bool main_bad;
};

static int delay_decode(void *arg, const json_t *root, char *err)
{
    struct rmq_delay_table *t = arg;
    t->n = 0;
    json_decref(t->extra);
    t->extra = NULL;
    int rc = rmq_data_version_decode(json_object_get(root, "dataVersion"), &t->dv, err);
    if (rc)
        return rc;
    const json_t *tab = json_object_get(root, "offsetTable");
    if (tab && !json_is_null(tab) && !json_is_object(tab))
        return rmq_seterr(err, RMQ_EINVAL, "offsetTable is not an object");
    const char *k;
    json_t *v;
    if (json_is_object(tab)) {
        json_object_foreach((json_t *)tab, k, v) {
            int32_t level;
            int64_t off;
            if (key_i32(k, &level))
                return rmq_seterr(err, RMQ_EINVAL, "offsetTable: level '%.20s' is not an integer", k);
            if (rmq_json_as_int(v, INT64_MIN, INT64_MAX, &off))
                return rmq_seterr(err, RMQ_EINVAL, "offsetTable: offset of level %d is not an integer", level);
            if (id_set(&t->v, &t->n, &t->cap, level, off))
                return rmq_seterr(err, -ENOMEM, "out of memory");
        }
    }
    json_t *x = json_copy((json_t *)root);
    if (!x)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    json_object_del(x, "offsetTable");
    json_object_del(x, "dataVersion");
    if (json_object_size(x))
        t->extra = x;
    else
        json_decref(x);
    return 0;
}

int rmq_delay_table_new(struct rmq_delay_table **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void rmq_delay_table_free(struct rmq_delay_table *t)
{
    if (!t)
        return;
    json_decref(t->extra);
    free(t->v);
    free(t);
}

int rmq_delay_table_load(struct rmq_delay_table **out, const char *path, char *err)
{
    int rc = rmq_delay_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot load '%s': out of memory", path);
    rc = rmq_meta_load(path, delay_decode, *out, err);
    if (rc < 0) {
        rmq_delay_table_free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->main_bad = rc == RMQ_META_FROM_BAK;
    return 0;
}

int rmq_delay_table_parse(struct rmq_delay_table **out, const char *json, size_t len,
                          const char *what, char *err)
{
    int rc = rmq_delay_table_new(out);
    if (rc)
        return rmq_seterr(err, rc, "cannot decode '%s': out of memory", what);
    json_t *root = rmq_json_parse_lenient(json, len, what, err);
    char derr[RMQ_ERRLEN] = "";
    rc = !root ? RMQ_ECORRUPT : delay_decode(*out, root, derr);
    json_decref(root);
    if (rc) {
        if (root)
            rmq_seterr(err, rc, "cannot decode '%s': %s", what, derr);
        rmq_delay_table_free(*out);
        *out = NULL;
        return RMQ_ECORRUPT;
    }
    return 0;
}

static void put_delay_member(struct rmq_buf *b, size_t i, const void *arg)
{
    const struct rmq_delay_table *t = arg;
    if (i == 0) {
        rmq_data_version_put(b, &t->dv);
        return;
    }
    rmq_buf_add(b, "{", 1);
    for (size_t k = 0; k < t->n; k++)
        rmq_buf_printf(b, "%s%d:%lld", k ? "," : "", t->v[k].id, (long long)t->v[k].off);
    rmq_buf_add(b, "}", 1);
}

char *rmq_delay_table_encode(const struct rmq_delay_table *t, size_t *len)
{
    static const char *const known[] = {"dataVersion", "offsetTable"};
    struct rmq_buf b = {0};
    int rc = rmq_json_put_members(&b, known, 2, put_delay_member, t, t->extra);
    return finish(&b, rc, len);
}

int rmq_delay_table_save(struct rmq_delay_table *t, const char *path, char *err)
{
    size_t len = 0;
    char *s = rmq_delay_table_encode(t, &len);
    int rc = save(s, len, &t->main_bad, path, err);
    free(s);
    return rc;
}

int rmq_delay_table_set(struct rmq_delay_table *t, int32_t level, int64_t offset)
{
    bool found;
    size_t i = id_find(t->v, t->n, level, &found);
    if (found && t->v[i].off == offset)
        return 0;
    if (id_set(&t->v, &t->n, &t->cap, level, offset))
        return -ENOMEM;
    rmq_data_version_next(&t->dv);
    return 0;
}

int64_t rmq_delay_table_get(const struct rmq_delay_table *t, int32_t level)
{
    bool found;
    size_t i = id_find(t->v, t->n, level, &found);
    return found ? t->v[i].off : -1;
}

size_t rmq_delay_table_count(const struct rmq_delay_table *t) { return t->n; }

int rmq_delay_table_at(const struct rmq_delay_table *t, size_t i, int32_t *level,
                       int64_t *offset)
{
    if (i >= t->n)
        return RMQ_ENOTFOUND;
    *level = t->v[i].id;
    *offset = t->v[i].off;
    return 0;
}

const struct rmq_data_version *rmq_delay_table_version(const struct rmq_delay_table *t)
{
    return &t->dv;
}
