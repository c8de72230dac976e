/*
 * JSON header (PROTOCOL §1.3), read with jansson and written by hand (the reply path runs
 * once per request; building a jansson tree to print eight keys would cost more than the
 * rest of the reply).
 *
 * Reading, field by field (anything else at the top level is ignored, whatever it holds):
 *   code, flag, opaque, version  integer in int32 range, or a string Java's parseInt takes
 *                                (fastjson is that lenient); null or absent = 0;
 *   language                     a name from codes.h (unknown names → OTHER), or a number
 *                                0–255 (fastjson takes enum ordinals); null or absent = JAVA;
 *   remark                       string, or a number/boolean as text; null or absent = none;
 *   extFields                    object or null; each value a string, a number (integers as
 *                                decimal, reals as the shortest text that reads back the
 *                                same), a boolean (true/false) or null (entry skipped);
 *                                an object or array value, or an empty key, is refused /
 *                                skipped respectively; at most RMQ_CMD_MAX_EXT entries.
 * jansson itself refuses: non-UTF-8 text, NUL in keys, nesting deeper than 2048, integers
 * outside int64, reals outside double, anything after the closing brace, and a top level
 * that is not an object or array (an array is refused here). \u0000 inside values is kept.
 */
#include "proto/remoting_int.h"

#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest %g text that reads back as the same double (jansson has refused inf/nan). */
static size_t fmt_real(char *dst, size_t cap, double d)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(dst, cap, "%.*g", prec, d);
        if (strtod(dst, NULL) == d)
            break;
    }
    return (size_t)n;
}

static int get_i32(json_t *v, const char *name, int32_t *out, char *err)
{
    int64_t x;
    if (json_is_null(v))
        return 0;
    if (json_is_integer(v))
        x = json_integer_value(v);
    else if (!json_is_string(v) ||
             rmq_parse_java_long(json_string_value(v), json_string_length(v), &x) < 0)
        return rmq_seterr(err, RMQ_EINVAL, "JSON header field '%s' is not an integer", name);
    if (x < INT32_MIN || x > INT32_MAX)
        return rmq_seterr(err, RMQ_EINVAL, "JSON header field '%s' = %lld is outside int32", name,
                          (long long)x);
    *out = (int32_t)x;
    return 0;
}

/* Text of a scalar into tmp (numbers, booleans) or a pointer to jansson's string. Returns
 * 0, 1 for null (skip), or RMQ_EINVAL for an object or array. */
static int scalar_text(json_t *v, char *tmp, size_t cap, const char **s, size_t *n)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *s = json_string_value(v);
        *n = json_string_length(v);
        return 0;
    case JSON_INTEGER:
        *s = tmp;
        *n = rmq_fmt_i64(tmp, json_integer_value(v));
        return 0;
    case JSON_REAL:
        *s = tmp;
        *n = fmt_real(tmp, cap, json_real_value(v));
        return 0;
    case JSON_TRUE:
        *s = "true";
        *n = 4;
        return 0;
    case JSON_FALSE:
        *s = "false";
        *n = 5;
        return 0;
    case JSON_NULL:
        return 1;
    default:
        return RMQ_EINVAL;
    }
}

static int get_ext(json_t *obj, struct rmq_cmd *out, char *err)
{
    if (json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return rmq_seterr(err, RMQ_EINVAL, "JSON header field 'extFields' is not an object");
    size_t count = json_object_size(obj);
    if (count > RMQ_CMD_MAX_EXT)
        return rmq_seterr(err, RMQ_EINVAL, "%zu extFields, more than %d", count, RMQ_CMD_MAX_EXT);
    if (count == 0)
        return 0;

    /* size the arena once: keys, values (numbers at most 32 bytes of text), the array */
    const char *key;
    json_t *v;
    size_t bytes = count * sizeof(struct rmq_kv) + 2 * sizeof(max_align_t);
    json_object_foreach(obj, key, v) {
        bytes += strlen(key) + 1 + (json_is_string(v) ? json_string_length(v) : 32) + 1;
    }
    rmq_cmd_arena_reserve(out, bytes);
    rmq_cmd_ext_reserve(out, (uint32_t)count);

    json_object_foreach(obj, key, v) {
        char tmp[40];
        const char *s;
        size_t n, klen = strlen(key);
        int rc = scalar_text(v, tmp, sizeof tmp, &s, &n);
        if (rc < 0)
            return rmq_seterr(err, RMQ_EINVAL, "extFields value for '%.64s' is not a scalar", key);
        if (rc > 0 || klen == 0)
            continue;
        if (n > UINT32_MAX)
            return rmq_seterr(err, RMQ_EINVAL, "extFields value for '%.64s' too long", key);
        /* jansson object keys are unique: append without a lookup */
        rmq_cmd_ext_append(out, rmq_cmd_arena_strdup(out, key, klen), (uint32_t)klen,
                           rmq_cmd_arena_strdup(out, s, n), (uint32_t)n);
    }
    return 0;
}

static uint8_t get_lang(json_t *v)
{
    if (json_is_string(v)) {
        int lang = rmq_lang_code(json_string_value(v), json_string_length(v));
        return (uint8_t)(lang < 0 ? RMQ_LANG_OTHER : lang);
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255)
        return (uint8_t)json_integer_value(v);
    return json_is_null(v) ? RMQ_LANG_JAVA : RMQ_LANG_OTHER;
}

static int fill(json_t *root, struct rmq_cmd *out, char *err)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "code") == 0)
            rc = get_i32(v, key, &out->code, err);
        else if (strcmp(key, "flag") == 0)
            rc = get_i32(v, key, &out->flag, err);
        else if (strcmp(key, "opaque") == 0)
            rc = get_i32(v, key, &out->opaque, err);
        else if (strcmp(key, "version") == 0)
            rc = get_i32(v, key, &out->version, err);
        else if (strcmp(key, "language") == 0)
            out->language = get_lang(v);
        else if (strcmp(key, "remark") == 0) {
            char tmp[40];
            const char *s;
            size_t n;
            int r = scalar_text(v, tmp, sizeof tmp, &s, &n);
            if (r < 0)
                rc = rmq_seterr(err, RMQ_EINVAL, "JSON header field 'remark' is not a string");
            else if (r == 0)
                out->remark = rmq_cmd_arena_strdup(out, s, n);
        } else if (strcmp(key, "extFields") == 0)
            rc = get_ext(v, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rmq_hdr_json_decode(const uint8_t *hdr, size_t len, struct rmq_cmd *out, char *err)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)hdr, len, JSON_ALLOW_NUL, &je);
    if (!root)
        return rmq_seterr(err, RMQ_EINVAL, "JSON header does not parse at byte %d: %s",
                          je.position, je.text);
    int rc;
    if (!json_is_object(root))
        rc = rmq_seterr(err, RMQ_EINVAL, "JSON header is not an object");
    else
        rc = fill(root, out, err);
    json_decref(root);
    return rc;
}

/* --- writing ---------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if s[0] does not start
 * one (overlong forms, surrogates and code points over U+10FFFF are not valid). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* Appends s[0..n) as a JSON string literal. Runs of bytes that need no escaping are copied
 * in one go; the common header value is plain ASCII and takes one copy. */
static void put_str(struct rmq_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)str;
    rmq_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t u = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (u) {
            i += u;
            continue;
        }
        rmq_buf_add(b, s + run, i - run);
        char e[8];
        size_t en = 2;
        e[0] = '\\';
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            if (c < 0x20) {
                memcpy(e + 1, "u00", 3);
                e[4] = hex[c >> 4];
                e[5] = hex[c & 15];
            } else {
                memcpy(e + 1, "ufffd", 5);   /* a byte that is not UTF-8 */
            }
            en = 6;
        }
        rmq_buf_add(b, e, en);
        run = ++i;
    }
    rmq_buf_add(b, s + run, n - run);
    rmq_buf_add(b, "\"", 1);
}

static void put_int(struct rmq_buf *b, const char *lit, size_t litlen, int64_t v)
{
    char d[24];
    size_t n = rmq_fmt_i64(d, v);
    rmq_buf_add(b, lit, litlen);
    rmq_buf_add(b, d, n);
}

#define PUT_LIT(b, s) rmq_buf_add((b), (s), sizeof(s) - 1)
#define PUT_INT(b, s, v) put_int((b), (s), sizeof(s) - 1, (v))

int rmq_hdr_json_encode(const struct rmq_cmd *c, struct rmq_buf *b)
{
    /* fastjson's order: keys sorted alphabetically */
    PUT_INT(b, "{\"code\":", c->code);
    PUT_LIT(b, ",\"extFields\":{");
    for (uint32_t i = 0; i < c->next; i++) {
        if (i)
            PUT_LIT(b, ",");
        put_str(b, c->ext[i].key, c->ext[i].klen);
        PUT_LIT(b, ":");
        put_str(b, c->ext[i].val, c->ext[i].vlen);
    }
    PUT_INT(b, "},\"flag\":", c->flag);
    const char *lang = rmq_lang_name(c->language);
    PUT_LIT(b, ",\"language\":\"");
    rmq_buf_addstr(b, lang ? lang : "OTHER");
    PUT_INT(b, "\",\"opaque\":", c->opaque);
    if (c->remark) {
        PUT_LIT(b, ",\"remark\":");
        put_str(b, c->remark, strlen(c->remark));
    }
    PUT_INT(b, ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":", c->version);
    PUT_LIT(b, "}");
    return 0;   /* frame.c checks the header length */
}
