/* meta.c — the parts shared by every metadata table: fastjson-tolerant parsing, lenient
 * scalars, fastjson-shaped writing, DataVersion, and ConfigManager-style load/save. */
#include "store/meta.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- bare integer keys */

/* Output positions where a quote was inserted, to map parse errors back to the input. */
struct ins {
    size_t *pos;
    size_t n, cap;
};

static int ins_add(struct ins *in, size_t pos)
{
    if (!in)
        return 0;
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        size_t *p = realloc(in->pos, cap * sizeof *p);
        if (!p)
            return -1;
        in->pos = p;
        in->cap = cap;
    }
    in->pos[in->n++] = pos;
    return 0;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char *quote_keys(const char *in, size_t len, size_t *out_len, struct ins *ins)
{
    /* every inserted pair of quotes consumes at least a digit and a ':' of input, so the
     * output is at most twice the input */
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool in_str = false, esc = false, key_pos = false;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (in_str) {
            out[o++] = c;
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (key_pos && (c == '-' || (c >= '0' && c <= '9'))) {
            size_t j = i + (c == '-');
            size_t digits = j;
            while (j < len && in[j] >= '0' && in[j] <= '9')
                j++;
            size_t k = j;
            while (k < len && is_ws(in[k]))
                k++;
            if (j > digits && k < len && in[k] == ':') {
                if (ins_add(ins, o) < 0 || ins_add(ins, o + 1 + (j - i)) < 0) {
                    free(out);
                    return NULL;
                }
                out[o++] = '"';
                memcpy(out + o, in + i, j - i);
                o += j - i;
                out[o++] = '"';
                i = j - 1;
                key_pos = false;
                continue;
            }
        }
        if (c == '"')
            in_str = true;
        if (c == '{' || c == ',')
            key_pos = true;
        else if (!is_ws(c))
            key_pos = false;
        out[o++] = c;
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

char *rmq_json_quote_int_keys(const char *text, size_t len, size_t *out_len)
{
    return quote_keys(text, len, out_len, NULL);
}

json_t *rmq_json_parse_lenient(const char *text, size_t len, const char *what, char *err)
{
    struct ins ins = {0};
    size_t qlen;
    char *q = quote_keys(text, len, &qlen, &ins);
    if (!q) {
        free(ins.pos);
        rmq_seterr(err, -ENOMEM, "cannot parse '%s': out of memory", what);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(q, qlen, 0, &je);
    free(q);
    if (root && !json_is_object(root)) {
        json_decref(root);
        root = NULL;
        snprintf(je.text, sizeof je.text, "top level is not an object");
        je.position = 0;
    }
    if (!root) {
        /* position in the quoted text → position in the caller's text */
        size_t pos = je.position > 0 ? (size_t)je.position : 0, shift = 0;
        for (size_t i = 0; i < ins.n; i++)
            if (ins.pos[i] < pos)
                shift++;
        pos = pos - shift > len ? len : pos - shift;
        size_t line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        rmq_seterr(err, RMQ_ECORRUPT, "cannot parse '%s': %s at line %zu column %zu", what,
                   je.text, line, col);
    }
    free(ins.pos);
    return root;
}

/* ---------------------------------------------------------------- lenient scalars */

static bool blank(const char *s)
{
    while (*s && is_ws(*s))
        s++;
    return *s == 0;
}

int rmq_json_as_int(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
    int64_t x;
    if (!v || json_is_null(v))
        return 1;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
            return RMQ_EINVAL;
        x = (int64_t)d;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (blank(s))
            return 1;   /* fastjson reads "" as null */
        char *end;
        errno = 0;
        long long ll = strtoll(s, &end, 10);
        if (errno || end == s || !blank(end))
            return RMQ_EINVAL;
        x = ll;
    } else {
        return RMQ_EINVAL;
    }
    if (x < min || x > max)
        return RMQ_EINVAL;
    *out = x;
    return 0;
}

int rmq_json_as_bool(const json_t *v, bool *out)
{
    if (!v || json_is_null(v))
        return 1;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = json_integer_value(v) == 1;
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (blank(s))
            return 1;
        /* the spellings fastjson's TypeUtils.castToBoolean accepts */
        static const char *const yes[] = {"true", "1", "y", "t"}, *const no[] = {"false", "0", "n", "f"};
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(s, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcasecmp(s, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return RMQ_EINVAL;
}

/* ---------------------------------------------------------------- writing */

void rmq_json_put_str(struct rmq_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    rmq_buf_add(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rmq_buf_add(b, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        }
        rmq_buf_add(b, e, n);
    }
    rmq_buf_add(b, s + run, len - run);
    rmq_buf_add(b, "\"", 1);
}

struct member { const char *key; size_t known; const json_t *val; };

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

int rmq_json_put_members(struct rmq_buf *b, const char *const *known, size_t nknown,
                         void (*put_known)(struct rmq_buf *b, size_t i, const void *arg),
                         const void *arg, const json_t *extra)
{
    size_t n = nknown + (extra ? json_object_size(extra) : 0), k = 0;
    struct member *m = malloc((n ? n : 1) * sizeof *m);
    if (!m)
        return -ENOMEM;
    for (size_t i = 0; i < nknown; i++)
        m[k++] = (struct member){known[i], i, NULL};
    if (extra) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)extra, key, val)
            m[k++] = (struct member){key, SIZE_MAX, val};
    }
    qsort(m, k, sizeof *m, cmp_member);
    int rc = 0;
    rmq_buf_add(b, "{", 1);
    for (size_t i = 0; i < k && !rc; i++) {
        if (i)
            rmq_buf_add(b, ",", 1);
        rmq_json_put_str(b, m[i].key, strlen(m[i].key));
        rmq_buf_add(b, ":", 1);
        if (m[i].val) {
            char *s = json_dumps(m[i].val, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
            if (!s) {
                rc = -ENOMEM;
                break;
            }
            rmq_buf_addstr(b, s);
            free(s);
        } else {
            put_known(b, m[i].known, arg);
        }
    }
    rmq_buf_add(b, "}", 1);
    free(m);
    return rc;
}

bool rmq_meta_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > RMQ_META_NAME_MAX)
        return false;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        uint32_t cp, lo;
        if (c < 0x20 || c == 0x7F)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; lo = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; lo = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; lo = 0x10000; }
        else return false;
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < lo || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;   /* overlong, out of range, or a surrogate */
        p += n;
    }
    return true;
}

/* ---------------------------------------------------------------- DataVersion */

void rmq_data_version_next(struct rmq_data_version *v)
{
    v->counter++;
    v->timestamp = rmq_now_ms();
}

int rmq_data_version_decode(const json_t *v, struct rmq_data_version *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return rmq_seterr(err, RMQ_EINVAL, "dataVersion is not an object");
    if (rmq_json_as_int(json_object_get(v, "counter"), INT64_MIN, INT64_MAX, &out->counter) < 0 ||
        rmq_json_as_int(json_object_get(v, "timestamp"), INT64_MIN, INT64_MAX, &out->timestamp) < 0)
        return rmq_seterr(err, RMQ_EINVAL, "dataVersion has a non-integer counter or timestamp");
    int r = rmq_json_as_int(json_object_get(v, "stateVersion"), INT64_MIN, INT64_MAX,
                            &out->state_version);
    if (r < 0)
        return rmq_seterr(err, RMQ_EINVAL, "dataVersion has a non-integer stateVersion");
    out->has_state_version = r == 0;
    return 0;
}

void rmq_data_version_put(struct rmq_buf *b, const struct rmq_data_version *v)
{
    rmq_buf_printf(b, "{\"counter\":%lld,", (long long)v->counter);
    if (v->has_state_version)
        rmq_buf_printf(b, "\"stateVersion\":%lld,", (long long)v->state_version);
    rmq_buf_printf(b, "\"timestamp\":%lld}", (long long)v->timestamp);
}

/* ---------------------------------------------------------------- load / save */

#define META_MAX_FILE ((size_t)256 << 20)

/* 0 decoded, 1 missing or empty, < 0 failed (why set). */
static int try_file(const char *path, int (*decode)(void *, const json_t *, char *), void *arg,
                    char *why)
{
    size_t len;
    char *text = rmq_read_file(path, META_MAX_FILE, &len);
    if (!text) {
        if (errno == ENOENT)
            return 1;
        int e = errno ? errno : EIO;
        return rmq_seterr(why, -e, "cannot read '%s': %s", path, strerror(e));
    }
    if (blank(text) && strlen(text) == len) {
        free(text);
        return 1;
    }
    json_t *root = rmq_json_parse_lenient(text, len, path, why);
    free(text);
    if (!root)
        return RMQ_ECORRUPT;
    char derr[RMQ_ERRLEN] = "";
    int rc = decode(arg, root, derr);
    json_decref(root);
    if (rc < 0)
        return rmq_seterr(why, RMQ_ECORRUPT, "cannot load '%s': %s", path, derr);
    return 0;
}

int rmq_meta_load(const char *path, int (*decode)(void *arg, const json_t *root, char *err),
                  void *arg, char *err)
{
    char bak[PATH_MAX], why_main[RMQ_ERRLEN] = "", why_bak[RMQ_ERRLEN] = "";
    if (snprintf(bak, sizeof bak, "%s.bak", path) >= (int)sizeof bak)
        return rmq_seterr(err, -ENAMETOOLONG, "file name too long '%s'", path);
    int m = try_file(path, decode, arg, why_main);
    if (m == 0)
        return RMQ_META_FROM_MAIN;
    int b = try_file(bak, decode, arg, why_bak);
    if (b == 0) {
        rmq_warn("meta: loaded '%s' from its backup: %s", path,
                 m == 1 ? "the file is missing or empty" : why_main);
        return RMQ_META_FROM_BAK;
    }
    if (m == 1 && b == 1)
        return RMQ_META_ABSENT;
    if (m < 0)   /* an I/O error on the main file keeps its errno; anything else is corrupt */
        return rmq_seterr(err, m == RMQ_ECORRUPT ? RMQ_ECORRUPT : m, "%s; backup '%s' %s%s", why_main, bak,
                          b == 1 ? "is missing or empty" : "is unusable too: ",
                          b == 1 ? "" : why_bak);
    return rmq_seterr(err, RMQ_ECORRUPT, "'%s' is missing or empty and its backup is unusable: %s",
                      path, why_bak);
}

int rmq_meta_write_file(const char *path, const char *data, size_t len, bool keep_backup,
                        char *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return rmq_seterr(err, -ENAMETOOLONG, "file name too long '%s'", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        int rc = rmq_mkdir_p(dir, 0755);
        if (rc)
            return rmq_seterr(err, rc, "cannot create directory '%s': %s", dir, strerror(-rc));
    }
    int rc = rmq_write_file_atomic(path, data, len, keep_backup);
    if (rc)
        return rmq_seterr(err, rc, "cannot write '%s': %s", path, strerror(-rc));
    return 0;
}
