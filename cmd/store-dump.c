/*
 * store-dump.c — `rmq store dump`: messages in log order, or a topic's queues in queue
 * order, as text blocks or one JSON object per line.
 *
 * A body is shown decompressed when it was stored compressed (zlib or LZ4), as text when it
 * is printable UTF-8 (JSON: valid UTF-8), else base64. A damaged record whose fields still
 * parse is shown with a note; damage also goes to stderr and makes the exit code 1.
 */
#include "cmd.h"
#include "store-int.h"

#include "util/err.h"

#include <arpa/inet.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static char *base64(const uint8_t *p, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; out && i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = t[v >> 18];
        *o++ = t[(v >> 12) & 63];
        *o++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? t[v & 63] : '=';
    }
    if (out)
        *o = 0;
    return out;
}

/* ISO-8601 local time with milliseconds, e.g. 2024-05-01T12:00:00.123+02:00. */
static void iso_time(char *out, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    char a[40], z[8];
    localtime_r(&t, &tm);
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof z, "%z", &tm);
    snprintf(out, n, "%s.%03d%.3s:%.2s", a, (int)(ms - (int64_t)t * 1000), z, z + 3);
}

static void host_str(char *out, size_t n, const struct rmq_host *h)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(h->ip_len == 16 ? AF_INET6 : AF_INET, h->ip, ip, sizeof ip);
    snprintf(out, n, h->ip_len == 16 ? "[%s]:%d" : "%s:%d", ip, h->port);
}

#define BODY_LIMIT (256u << 20)   /* refuse to inflate a body past this: a bomb, or damage */

/* Makes *buf cap bytes long: false past BODY_LIMIT or out of memory (*buf is kept). */
static bool grow(uint8_t **buf, size_t cap)
{
    if (cap > BODY_LIMIT)
        return false;
    uint8_t *nb = realloc(*buf, cap);
    if (!nb)
        return false;
    *buf = nb;
    return true;
}

/* The decompressors: the body (malloc'd) with its size in *lenp, or NULL with why set.
 * cap is the first guess at the size; it doubles while the output fills it. */
static uint8_t *unlz4(const struct rmq_msg *m, size_t cap, size_t *lenp, char *why, size_t wn)
{
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        snprintf(why, wn, "out of memory");
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, in = 0, r = 1;
    while (r != 0 && grow(&buf, cap)) {
        size_t dn = cap - len, sn = m->body_len - in;
        r = LZ4F_decompress(ctx, buf + len, &dn, m->body + in, &sn, NULL);
        len += dn;
        in += sn;
        if (LZ4F_isError(r)) {
            snprintf(why, wn, "%s", LZ4F_getErrorName(r));
            break;
        }
        if (r != 0 && in == m->body_len && dn == 0) {
            snprintf(why, wn, "truncated LZ4 frame");
            break;
        }
        if (len == cap)
            cap *= 2;
    }
    LZ4F_freeDecompressionContext(ctx);
    if (r != 0) {
        if (!why[0])
            snprintf(why, wn, "body larger than %u bytes", BODY_LIMIT);
        free(buf);
        return NULL;
    }
    *lenp = len;
    return buf;
}

static uint8_t *unzlib(const struct rmq_msg *m, size_t cap, size_t *lenp, char *why, size_t wn)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    z_stream z = {0};
    int zr = inflateInit(&z);
    z.next_in = (Bytef *)m->body;
    z.avail_in = m->body_len;
    while (zr == Z_OK && grow(&buf, cap)) {
        z.next_out = buf + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_OK && z.avail_out == 0)
            cap *= 2;
        else if (zr == Z_OK || zr == Z_BUF_ERROR) {
            snprintf(why, wn, "truncated zlib stream");
            zr = Z_DATA_ERROR;
        }
    }
    if (zr != Z_STREAM_END && !why[0])
        snprintf(why, wn, "%s", z.msg ? z.msg : "cannot inflate");
    inflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(buf);
        return NULL;
    }
    *lenp = len;
    return buf;
}

/* Decompresses m's body into *out (malloc'd): its size, or 0 with why set. */
static size_t decompress(const struct rmq_msg *m, uint8_t **out, const char **algo, char *why, size_t wn)
{
    unsigned type = (m->sys_flag >> RMQ_SYSFLAG_COMPRESS_TYPE_SHIFT) & 7;
    size_t cap = m->body_len * 4 + 256, len = 0;
    *out = NULL;
    *algo = type == RMQ_COMPRESS_LZ4 ? "lz4" : type == RMQ_COMPRESS_ZSTD ? "zstd" : "zlib";
    if (type == RMQ_COMPRESS_ZSTD || (type > 3)) {
        snprintf(why, wn, "compression type %u is not supported", type);
        return 0;
    }
    *out = type == RMQ_COMPRESS_LZ4 ? unlz4(m, cap, &len, why, wn) : unzlib(m, cap, &len, why, wn);
    return len;
}

/* Writes s (n bytes) with control characters escaped, for one-line text fields. */
static void put_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            printf("\\x%02X", c);
        else
            putchar(c);
    }
}

/* A message as dump shows it, in both formats. */
struct shown {
    char id[64], st[48], bt[48], bh[64], sh[64];    /* msgId, times, hosts */
    char why[256];          /* why the body could not be decompressed, or "" */
    char note[RMQ_ERRLEN + 16];   /* "damaged: ...", or "" */
    uint8_t *plain;         /* the decompressed body (malloc'd), or NULL */
    const char *algo;       /* the compression, NULL when the body is stored plain */
    const uint8_t *body;    /* what to show: plain, or the stored bytes */
    size_t blen;
    bool text;              /* body is shown as text (else base64) */
    const char *keys, *tags;
    size_t kn, tn;
};

static void show_init(struct shown *s, const struct sopts *o, const struct rmq_msg *m,
                      const char *damage)
{
    memset(s, 0, sizeof *s);
    rmq_msg_offset_id(s->id, &m->store_host, m->phys_offset);
    iso_time(s->st, sizeof s->st, m->store_ts);
    iso_time(s->bt, sizeof s->bt, m->born_ts);
    host_str(s->bh, sizeof s->bh, &m->born_host);
    host_str(s->sh, sizeof s->sh, &m->store_host);
    if (damage)
        snprintf(s->note, sizeof s->note, "damaged: %s", damage);
    s->body = m->body;
    s->blen = m->body_len;
    if (m->sys_flag & RMQ_SYSFLAG_COMPRESSED) {
        size_t n = decompress(m, &s->plain, &s->algo, s->why, sizeof s->why);
        if (s->plain) {
            s->body = s->plain;
            s->blen = n;
        }
    }
    s->text = store_utf8_ok(s->body, s->blen, !o->json);
    s->keys = rmq_props_get(m->props, m->props_len, RMQ_PROP_KEYS, &s->kn);
    s->tags = rmq_props_get(m->props, m->props_len, RMQ_PROP_TAGS, &s->tn);
}

static void print_json(const struct rmq_msg *m, const struct shown *s)
{
    json_t *j = json_object(), *props = json_object();
    json_object_set_new(j, "topic", store_jstr(m->topic, m->topic_len));
    json_object_set_new(j, "queue_id", json_integer(m->queue_id));
    json_object_set_new(j, "queue_offset", json_integer(m->queue_offset));
    json_object_set_new(j, "commitlog_offset", json_integer(m->phys_offset));
    json_object_set_new(j, "size", json_integer(m->total_size));
    json_object_set_new(j, "msg_id", json_string(s->id));
    json_object_set_new(j, "store_time", json_string(s->st));
    json_object_set_new(j, "store_timestamp", json_integer(m->store_ts));
    json_object_set_new(j, "born_time", json_string(s->bt));
    json_object_set_new(j, "born_timestamp", json_integer(m->born_ts));
    json_object_set_new(j, "born_host", json_string(s->bh));
    json_object_set_new(j, "store_host", json_string(s->sh));
    json_object_set_new(j, "sys_flag", json_integer(m->sys_flag));
    json_object_set_new(j, "flag", json_integer(m->flag));
    json_object_set_new(j, "reconsume_times", json_integer(m->reconsume_times));
    if (s->keys)
        json_object_set_new(j, "keys", store_jstr(s->keys, s->kn));
    if (s->tags)
        json_object_set_new(j, "tags", store_jstr(s->tags, s->tn));
    size_t pos = 0, kl, vl;
    const char *k, *v;
    while (rmq_props_next(m->props, m->props_len, &pos, &k, &kl, &v, &vl)) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kl, k);
        if (store_utf8_ok((const unsigned char *)key, strlen(key), false))
            json_object_set_new(props, key, store_jstr(v, vl));
    }
    json_object_set_new(j, "properties", props);
    if (s->algo) {
        json_object_set_new(j, "compression", json_string(s->algo));
        json_object_set_new(j, "stored_body_size", json_integer(m->body_len));
    }
    json_object_set_new(j, "body_size", json_integer((json_int_t)s->blen));
    if (s->text) {
        json_object_set_new(j, "body", json_stringn((const char *)s->body, s->blen));
    } else {
        char *b64 = base64(s->body, s->blen);
        json_object_set_new(j, "body_base64", json_string(b64 ? b64 : ""));
        free(b64);
    }
    if (s->why[0] || s->note[0]) {
        char nb[RMQ_ERRLEN + 300];
        snprintf(nb, sizeof nb, "%s%s%s%s%s", s->why[0] ? "cannot decompress " : "",
                 s->why[0] ? s->algo : "", s->why[0] ? " body: " : "", s->why, s->note);
        json_object_set_new(j, "note", store_jstr(nb, strlen(nb)));
    }
    store_put_json(j);
}

/* "label: value\n" with the value escaped; nothing when value is NULL. */
static void put_field(const char *label, const char *value, size_t n)
{
    if (!value)
        return;
    printf("%s: ", label);
    put_escaped(value, n);
    putchar('\n');
}

static void print_text(const struct rmq_msg *m, const struct shown *s)
{
    printf("topic: ");
    put_escaped(m->topic, m->topic_len);
    printf("  queue: %d  queue offset: %lld  commitlog offset: %lld  size: %u\n", m->queue_id,
           (long long)m->queue_offset, (long long)m->phys_offset, m->total_size);
    printf("msgId: %s\nstore time: %s  born time: %s\nborn host: %s  store host: %s\n", s->id,
           s->st, s->bt, s->bh, s->sh);
    printf("sysFlag: 0x%X  flag: %d  reconsume: %d\n", m->sys_flag, m->flag, m->reconsume_times);
    put_field("keys", s->keys, s->kn);
    put_field("tags", s->tags, s->tn);
    printf("properties:");
    size_t pos = 0, kl, vl;
    const char *k, *v;
    while (rmq_props_next(m->props, m->props_len, &pos, &k, &kl, &v, &vl)) {
        printf("  ");
        put_escaped(k, kl);
        putchar('=');
        put_escaped(v, vl);
    }
    putchar('\n');
    if (s->note[0])
        printf("note: %s\n", s->note);
    if (s->why[0])
        printf("note: cannot decompress %s body: %s; the stored bytes follow\n", s->algo, s->why);
    bool unpacked = s->algo && s->plain;
    printf("body: %zu bytes%s%s%s\n", s->blen, unpacked ? " (" : "", unpacked ? s->algo : "",
           unpacked ? "-compressed)" : "");
    if (s->text) {
        fwrite(s->body, 1, s->blen, stdout);
    } else {
        char *b64 = base64(s->body, s->blen);
        printf("(binary, base64) %s", b64 ? b64 : "");
        free(b64);
    }
    printf("\n\n");
}

/* Prints m; damage (or NULL) says why the record is damaged. */
static void print_msg(const struct sopts *o, const struct rmq_msg *m, const char *damage)
{
    struct shown s;
    show_init(&s, o, m, damage);
    if (o->json)
        print_json(m, &s);
    else
        print_text(m, &s);
    free(s.plain);
}

/* Prints the record at phys (from a queue walk); damage goes to stderr. */
static int dump_at(const struct sopts *o, const struct rmq_reader *r, int64_t phys)
{
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    if (rmq_reader_read(r, phys, &m, RMQ_MSG_CHECK_CRC, err) > 0) {
        print_msg(o, &m, NULL);
        return 1;
    }
    fprintf(stderr, "rmq store: record at %lld: %s\n", (long long)phys, err);
    if (rmq_reader_read(r, phys, &m, RMQ_MSG_CHECK_NONE, NULL) > 0) {
        print_msg(o, &m, err);
        return 1;
    }
    return 0;
}

/* Without --topic: the commitlog in order, from --from (a record start). */
static int dump_log(const struct sopts *o, const struct rmq_reader *r)
{
    long long left = o->count;
    int rc = 0;
    struct rmq_cl_iter it;
    struct rmq_cl_item x;
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    if (o->has_from && rmq_reader_read(r, o->from, &m, RMQ_MSG_CHECK_NONE, err) < 0)
        return cmd_fail("store", "no record starts at offset %lld: %s", o->from, err);
    rmq_cl_iter_init(&it, r, o->has_from ? o->from : -1, RMQ_MSG_CHECK_CRC);
    while (left != 0 && rmq_cl_iter_next(&it, &x)) {
        if (x.kind == RMQ_CL_RECORD || (x.kind == RMQ_CL_BAD && x.decoded)) {
            print_msg(o, &x.m, x.kind == RMQ_CL_BAD ? x.why : NULL);
            left--;
        }
        if (x.kind == RMQ_CL_BAD) {
            fprintf(stderr, "rmq store: commitlog/%s: record at %lld: %s\n", store_seg_name(r, x.seg),
                    (long long)x.off, x.why);
            rc = 1;
        }
        if (x.kind == RMQ_CL_END && x.garbage_at >= 0)
            fprintf(stderr, "rmq store: commitlog/%s: garbage after end of data at %lld\n",
                    store_seg_name(r, x.seg), (long long)x.garbage_at);
    }
    return rc;
}

/* With --topic: its queues (or --queue) in queue order, from queue offset --from. */
static int dump_queues(const struct sopts *o, const struct rmq_reader *r)
{
    long long left = o->count;
    int rc = 0;
    bool found = false;
    for (int i = 0; i < r->nqueues && left != 0; i++) {
        const struct rmq_rqueue *q = &r->queues[i];
        if (strcmp(q->topic, o->topic) != 0 || (o->has_queue && q->qid != o->queue))
            continue;
        found = true;
        int64_t qo = o->has_from && o->from > q->min_offset ? o->from : q->min_offset;
        for (; qo < q->max_offset && left != 0; qo++) {
            struct rmq_cq_entry e;
            if (rmq_reader_cq_get(q, qo, &e, NULL) < 0 || e.size == RMQ_CQ_BLANK_SIZE)
                continue;
            if (dump_at(o, r, e.phys))
                left--;
            else
                rc = 1;
        }
    }
    if (!found)
        return cmd_fail("store", "no consume queue for topic '%s'%s", o->topic, o->has_queue ? " and that queue id" : "");
    return rc;
}

int store_dump(const struct sopts *o, struct rmq_reader *r)
{
    return o->topic ? dump_queues(o, r) : dump_log(o, r);
}
