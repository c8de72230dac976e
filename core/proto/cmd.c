/* The command object: its arena, extFields set/get, request/response setup. */
#include "proto/remoting_int.h"

#include "util/err.h"
#include "util/log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One malloc per block; a command usually needs one block (decoders reserve their exact
 * need up front), so decoding a header costs a single allocation. */
struct rmq_cmd_blk {
    struct rmq_cmd_blk *prev;
    size_t cap, used;
    max_align_t data[];
};

#define BLK_MIN 512   /* a send reply (five fields and their 8-entry array) fits one block */
#define ALIGN (sizeof(max_align_t))

static struct rmq_cmd_blk *blk_new(struct rmq_cmd *c, size_t need)
{
    size_t cap = BLK_MIN;
    if (c->arena_ && c->arena_->cap * 2 > cap)
        cap = c->arena_->cap * 2;
    if (cap < need)
        cap = need;
    struct rmq_cmd_blk *b = malloc(sizeof *b + cap);
    if (!b)
        rmq_panic("out of memory for a %zu-byte command arena", cap);
    b->prev = c->arena_;
    b->cap = cap;
    b->used = 0;
    c->arena_ = b;
    return b;
}

void rmq_cmd_arena_reserve(struct rmq_cmd *c, size_t n)
{
    struct rmq_cmd_blk *b = c->arena_;
    if (!b || b->cap - b->used < n + ALIGN)
        blk_new(c, n + ALIGN);
}

static void *arena_take(struct rmq_cmd *c, size_t n, size_t align)
{
    struct rmq_cmd_blk *b = c->arena_;
    size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->cap || b->cap - at < n) {
        b = blk_new(c, n + align);
        at = 0;
    }
    b->used = at + n;
    return (char *)b->data + at;
}

void *rmq_cmd_arena_alloc(struct rmq_cmd *c, size_t n) { return arena_take(c, n, ALIGN); }

char *rmq_cmd_arena_strdup(struct rmq_cmd *c, const char *s, size_t n)
{
    char *d = arena_take(c, n + 1, 1);
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void rmq_cmd_ext_reserve(struct rmq_cmd *c, uint32_t cap)
{
    if (c->ext_cap >= cap)
        return;
    /* the old array stays in the arena: growth is rare (decoders size it once) */
    struct rmq_kv *a = rmq_cmd_arena_alloc(c, (size_t)cap * sizeof *a);
    if (c->next)
        memcpy(a, c->ext, (size_t)c->next * sizeof *a);
    c->ext = a;
    c->ext_cap = cap;
}

void rmq_cmd_ext_append(struct rmq_cmd *c, const char *key, uint32_t klen, const char *val,
                        uint32_t vlen)
{
    if (c->next == c->ext_cap)
        rmq_cmd_ext_reserve(c, c->ext_cap ? c->ext_cap * 2 : 8);
    c->ext[c->next++] = (struct rmq_kv){key, val, klen, vlen};
}

void rmq_cmd_free(struct rmq_cmd *c)
{
    for (struct rmq_cmd_blk *b = c->arena_, *p; b; b = p) {
        p = b->prev;
        free(b);
    }
    memset(c, 0, sizeof *c);
}

void rmq_cmd_init_request(struct rmq_cmd *c, int code, uint8_t serialize)
{
    *c = (struct rmq_cmd){
        .code = code, .language = RMQ_LANG_SELF, .version = RMQ_MQVERSION_SELF,
        .serialize = serialize,
    };
}

void rmq_cmd_init_response(struct rmq_cmd *resp, const struct rmq_cmd *req, int code,
                           const char *remark)
{
    *resp = (struct rmq_cmd){
        .code = code, .language = RMQ_LANG_SELF, .version = RMQ_MQVERSION_SELF,
        .opaque = req->opaque, .flag = RMQ_FLAG_RESPONSE, .serialize = req->serialize,
    };
    if (remark)
        resp->remark = rmq_cmd_arena_strdup(resp, remark, strlen(remark));
}

void rmq_cmd_set_remark(struct rmq_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *d = arena_take(c, (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->remark = d;
}

/* The last entry named key: decoders append without looking for an earlier one (a
 * repeated name is rare and the lookup per field made decoding quadratic), so the last
 * one wins, as with rmq_cmd_set_extn. The first-byte test spares a memcmp call per entry. */
static struct rmq_kv *find(const struct rmq_cmd *c, const char *key, size_t klen)
{
    for (uint32_t i = c->next; i-- > 0;)
        if (c->ext[i].klen == klen && c->ext[i].key[0] == key[0] && memcmp(c->ext[i].key, key, klen) == 0)
            return &c->ext[i];
    return NULL;
}

/* kv's key is the NUL-terminated key, compared inline: the strlen and memcmp calls of a
 * dozen lookups per send were ~4 % of a broker's 128 B sends. Exact: the stored key must
 * also end where key does (klen), so a key with a NUL inside never matches its prefix. */
static inline bool key_is(const struct rmq_kv *kv, const char *key)
{
    const char *a = kv->key, *b = key;
    if (*a != *b)
        return false;
    while (*b && *a == *b)
        a++, b++;
    return !*b && a == kv->key + kv->klen;
}

static const struct rmq_kv *find_str(const struct rmq_cmd *c, const char *key)
{
    for (uint32_t i = c->next; i-- > 0;)
        if (key_is(&c->ext[i], key))
            return &c->ext[i];
    return NULL;
}

void rmq_cmd_set_extn(struct rmq_cmd *c, const char *key, size_t klen, const char *val, size_t vlen)
{
    assert(klen <= UINT32_MAX && vlen <= UINT32_MAX);
    if (klen == 0)
        return;
    struct rmq_kv *kv = find(c, key, klen);
    if (kv) {
        kv->val = rmq_cmd_arena_strdup(c, val, vlen);
        kv->vlen = (uint32_t)vlen;
        return;
    }
    const char *k = rmq_cmd_arena_strdup(c, key, klen);
    const char *v = rmq_cmd_arena_strdup(c, val, vlen);
    rmq_cmd_ext_append(c, k, (uint32_t)klen, v, (uint32_t)vlen);
}

void rmq_cmd_add_ext(struct rmq_cmd *c, const char *key, const char *val, size_t vlen)
{
    assert(vlen <= UINT32_MAX);
    rmq_cmd_ext_append(c, key, (uint32_t)strlen(key), rmq_cmd_arena_strdup(c, val, vlen), (uint32_t)vlen);
}

void rmq_cmd_add_ext_int(struct rmq_cmd *c, const char *key, int64_t v)
{
    char d[24];
    rmq_cmd_add_ext(c, key, d, rmq_fmt_i64(d, v));
}

void rmq_cmd_set_ext(struct rmq_cmd *c, const char *key, const char *val)
{
    rmq_cmd_set_extn(c, key, strlen(key), val, strlen(val));
}

size_t rmq_fmt_i64(char *dst, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        dst[len++] = '-';
    while (n)
        dst[len++] = tmp[--n];
    return len;
}

void rmq_cmd_set_ext_int(struct rmq_cmd *c, const char *key, int64_t v)
{
    char d[24];
    size_t n = rmq_fmt_i64(d, v);
    rmq_cmd_set_extn(c, key, strlen(key), d, n);
}

void rmq_cmd_set_ext_bool(struct rmq_cmd *c, const char *key, bool v)
{
    rmq_cmd_set_extn(c, key, strlen(key), v ? "true" : "false", v ? 4 : 5);
}

const struct rmq_kv *rmq_cmd_ext_find(const struct rmq_cmd *c, const char *key)
{
    return find_str(c, key);
}

const char *rmq_cmd_ext(const struct rmq_cmd *c, const char *key)
{
    const struct rmq_kv *kv = find_str(c, key);
    return kv ? kv->val : NULL;
}

int rmq_parse_java_long(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return RMQ_EINVAL;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
    for (; i < len; i++) {   /* a send carries six of these: overflow flags, no division */
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || __builtin_mul_overflow(acc, 10, &acc) || __builtin_add_overflow(acc, d, &acc) ||
            acc > limit)
            return RMQ_EINVAL;
    }
    *out = !neg ? (int64_t)acc : acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    return 0;
}

int rmq_cmd_ext_int(const struct rmq_cmd *c, const char *key, int64_t min, int64_t max,
                    int64_t *out, char *err)
{
    return rmq_kv_int(find_str(c, key), key, min, max, out, err);
}

int rmq_kv_int(const struct rmq_kv *kv, const char *key, int64_t min, int64_t max, int64_t *out,
               char *err)
{
    if (!kv)
        return rmq_seterr(err, RMQ_ENOTFOUND, "header field '%s' is missing", key);
    int64_t v;
    if (rmq_parse_java_long(kv->val, kv->vlen, &v) < 0)
        return rmq_seterr(err, RMQ_EINVAL, "header field '%s' is '%.64s', not an integer", key,
                          kv->val);
    if (v < min || v > max)
        return rmq_seterr(err, RMQ_EINVAL, "header field '%s' is %lld, not in [%lld, %lld]",
                          key, (long long)v, (long long)min, (long long)max);
    *out = v;
    return 0;
}

bool rmq_cmd_ext_bool(const struct rmq_cmd *c, const char *key, bool dflt)
{
    return rmq_kv_bool(find_str(c, key), dflt);
}

bool rmq_kv_bool(const struct rmq_kv *kv, bool dflt)
{
    if (!kv)
        return dflt;
    return kv->vlen == 4 && strncasecmp(kv->val, "true", 4) == 0;
}

void rmq_cmd_ext_pick(const struct rmq_cmd *c, const char *const *names, size_t n,
                      const struct rmq_kv **out)
{
    for (size_t j = 0; j < n; j++)
        out[j] = NULL;
    /* clients send a header's fields in one order (Java's: its declaration order), so the
     * search for each starts after the name the previous one matched */
    size_t from = 0;
    for (uint32_t i = 0; i < c->next; i++) {
        const struct rmq_kv *kv = &c->ext[i];
        for (size_t t = 0, j = from; t < n; t++, j = j + 1 == n ? 0 : j + 1) {
            if (key_is(kv, names[j])) {
                out[j] = kv;
                from = j + 1 == n ? 0 : j + 1;
                break;
            }
        }
    }
}
