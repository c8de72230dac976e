/* Remoting frames and headers (PROTOCOL §1, §12, §14) against hand-typed bytes, client
 * quirks, round trips and malformed input; the code tables (§1.7, §2.1, §2.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/codes.h"
#include "proto/remoting.h"
#include "proto/remoting_int.h"   /* rmq_cmd_ext_append: a repeated name */
#include "util/buf.h"
#include "util/bytes.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers ------------------------------------------------------------------------------- */

/* A frame around hdr[0..hlen) and body[0..blen), serialize type `type`; caller frees. */
static uint8_t *mkframe(unsigned type, const void *hdr, size_t hlen, const void *body, size_t blen,
                        size_t *len)
{
    *len = 8 + hlen + blen;
    uint8_t *f = malloc(*len);
    wr32(f, (uint32_t)(4 + hlen + blen));
    wr32(f + 4, (uint32_t)type << 24 | (uint32_t)hlen);
    if (hlen)
        memcpy(f + 8, hdr, hlen);
    if (blen)
        memcpy(f + 8 + hlen, body, blen);
    return f;
}

/* Decodes a JSON header given as text; returns the decode result. */
static int decode_json(const char *json, struct rmq_cmd *c, char *err)
{
    size_t len;
    uint8_t *f = mkframe(0, json, strlen(json), NULL, 0, &len);
    int rc = rmq_cmd_decode(f, len, c, err);
    free(f);   /* nothing in c points into a header-only frame */
    return rc;
}

static void expect_json_rejected(const char *json)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN] = "";
    int rc = decode_json(json, &c, err);
    if (rc != RMQ_EINVAL)
        fail_msg("accepted: %.200s", json);
    assert_true(err[0] != 0);
    assert_null(c.arena_);
    assert_int_equal(c.next, 0);
    rmq_cmd_free(&c);
}

static void assert_ext(const struct rmq_cmd *c, const char *key, const char *want)
{
    const char *v = rmq_cmd_ext(c, key);
    if (!want) {
        if (v)
            fail_msg("extFields[%s] = '%s', expected absent", key, v);
        return;
    }
    if (!v)
        fail_msg("extFields[%s] absent, expected '%s'", key, want);
    assert_string_equal(v, want);
}

/* Two commands carry the same header and body (extFields compared as maps). */
static void assert_same_cmd(const struct rmq_cmd *a, const struct rmq_cmd *b)
{
    assert_int_equal(a->code, b->code);
    assert_int_equal(a->language, b->language);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->opaque, b->opaque);
    assert_int_equal(a->flag, b->flag);
    if (a->remark || b->remark) {
        assert_non_null(a->remark);
        assert_non_null(b->remark);
        assert_string_equal(a->remark, b->remark);
    }
    assert_int_equal(a->next, b->next);
    for (uint32_t i = 0; i < a->next; i++) {
        const struct rmq_kv *kb = rmq_cmd_ext_find(b, a->ext[i].key);
        assert_non_null(kb);
        assert_int_equal(kb->vlen, a->ext[i].vlen);
        assert_memory_equal(kb->val, a->ext[i].val, a->ext[i].vlen);
    }
    assert_int_equal(a->body_len, b->body_len);
    if (a->body_len)
        assert_memory_equal(a->body, b->body, a->body_len);
}

/* --- PROTOCOL §1.3 and §1.4 worked examples, byte for byte --------------------------------- */

/* §1.3: a Java 5.3.3 client's GET_ROUTEINFO_BY_TOPIC request, JSON header of 131 bytes,
 * prefix 00 00 00 87 / 00 00 00 83. */
static const uint8_t ex_json[] =
    "\x00\x00\x00\x87"
    "\x00\x00\x00\x83"
    "{\"code\":105,\"extFields\":{\"topic\":\"TopicTest\"},\"flag\":0,\"language\":\"JAVA\","
    "\"opaque\":1,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":479}";

/* §1.4: the same request in ROCKETMQ binary form. §1.4 calls it "45 bytes including the
 * prefix", but 45 is the length field (4 + 41); with the 4-byte prefix the frame is 49. */
static const uint8_t ex_bin[] = {
    0x00, 0x00, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29,             /* length 41+4, type 1, hlen 41 */
    0x00, 0x69,                                                 /* code 105 */
    0x00,                                                       /* language JAVA */
    0x01, 0xdf,                                                 /* version 479 */
    0x00, 0x00, 0x00, 0x01,                                     /* opaque 1 */
    0x00, 0x00, 0x00, 0x00,                                     /* flag 0 */
    0x00, 0x00, 0x00, 0x00,                                     /* remark length 0 */
    0x00, 0x00, 0x00, 0x14,                                     /* ext length 20 */
    0x00, 0x05, 0x74, 0x6f, 0x70, 0x69, 0x63,                   /* "topic" */
    0x00, 0x00, 0x00, 0x09, 0x54, 0x6f, 0x70, 0x69, 0x63, 0x54, 0x65, 0x73, 0x74, /* "TopicTest" */
};

static void check_route_request(const struct rmq_cmd *c)
{
    assert_int_equal(c->code, RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
    assert_int_equal(c->language, RMQ_LANG_JAVA);
    assert_int_equal(c->version, RMQ_MQV_5_3_3);
    assert_int_equal(c->opaque, 1);
    assert_int_equal(c->flag, 0);
    assert_null(c->remark);
    assert_int_equal(c->next, 1);
    assert_ext(c, "topic", "TopicTest");
    assert_null(c->body);
    assert_int_equal(c->body_len, 0);
    assert_false(rmq_cmd_is_response(c));
}

static void protocol_json_example(void **state)
{
    size_t n = sizeof ex_json - 1, flen = 0;
    assert_int_equal(n, 4 + 0x87);
    assert_int_equal(rmq_frame_peek(ex_json, n, RMQ_FRAME_MAX_DEFAULT, &flen), 1);
    assert_int_equal(flen, n);
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_cmd_decode(ex_json, n, &c, err), 0);
    assert_int_equal(c.serialize, RMQ_SER_JSON);
    check_route_request(&c);
    /* Java's bytes come back out of our encoder unchanged: same keys, order and spacing */
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, ex_json, n);
    rmq_buf_free(&b);
    rmq_cmd_free(&c);
}

static void protocol_binary_example(void **state)
{
    size_t flen = 0;
    assert_int_equal(rmq_frame_peek(ex_bin, sizeof ex_bin, RMQ_FRAME_MAX_DEFAULT, &flen), 1);
    assert_int_equal(flen, 49);
    assert_int_equal(rd32(ex_bin), 45);
    struct rmq_cmd c;
    assert_int_equal(rmq_cmd_decode(ex_bin, sizeof ex_bin, &c, NULL), 0);
    assert_int_equal(c.serialize, RMQ_SER_ROCKETMQ);
    check_route_request(&c);
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    assert_int_equal(b.len, sizeof ex_bin);
    assert_memory_equal(b.data, ex_bin, sizeof ex_bin);
    /* the same command re-serialized as JSON gives §1.3's bytes */
    c.serialize = RMQ_SER_JSON;
    rmq_buf_reset(&b);
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    assert_int_equal(b.len, sizeof ex_json - 1);
    assert_memory_equal(b.data, ex_json, sizeof ex_json - 1);
    rmq_buf_free(&b);
    rmq_cmd_free(&c);
}

/* --- PROTOCOL §14: what a 4.9.8 broker answered (reconstructed: §14 describes the frames
 * in words, so these are typed from that description in Java's key order) ------------------- */

static void observed_responses(void **state)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    /* §14.3: HEART_BEAT response without extFields */
    assert_int_equal(decode_json("{\"code\":0,\"flag\":1,\"language\":\"JAVA\",\"opaque\":3,"
                                 "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}",
                                 &c, err), 0);
    assert_int_equal(c.code, RMQ_RESP_SUCCESS);
    assert_true(rmq_cmd_is_response(&c));
    assert_int_equal(c.opaque, 3);
    assert_int_equal(c.version, RMQ_MQV_4_9_8);
    assert_int_equal(c.next, 0);
    assert_null(c.remark);
    rmq_cmd_free(&c);
    /* §14.3: UNREGISTER_CLIENT response with an empty extFields */
    assert_int_equal(decode_json("{\"code\":0,\"extFields\":{},\"flag\":1,\"language\":\"JAVA\","
                                 "\"opaque\":4,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}",
                                 &c, err), 0);
    assert_int_equal(c.next, 0);
    assert_int_equal(c.opaque, 4);
    rmq_cmd_free(&c);

    /* §14.3/§14.7: a FOUND pull with remark "FOUND", nextBeginOffset 8, and a body */
    static const char hdr[] =
        "{\"code\":0,\"extFields\":{\"suggestWhichBrokerId\":\"0\",\"nextBeginOffset\":\"8\","
        "\"minOffset\":\"0\",\"maxOffset\":\"8\"},\"flag\":1,\"language\":\"JAVA\",\"opaque\":9,"
        "\"remark\":\"FOUND\",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}";
    size_t len;
    uint8_t *f = mkframe(0, hdr, sizeof hdr - 1, "RECORDS", 7, &len);
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), 0);
    assert_string_equal(c.remark, "FOUND");
    assert_ext(&c, "nextBeginOffset", "8");
    int64_t v = -1;
    assert_int_equal(rmq_cmd_ext_int(&c, "maxOffset", 0, INT64_MAX, &v, err), 0);
    assert_int_equal(v, 8);
    assert_int_equal(c.body_len, 7);
    assert_ptr_equal(c.body, f + 8 + sizeof hdr - 1);   /* points into the frame */
    assert_memory_equal(c.body, "RECORDS", 7);
    /* extFields keep the order they came in */
    assert_string_equal(c.ext[0].key, "suggestWhichBrokerId");
    assert_string_equal(c.ext[3].key, "maxOffset");
    rmq_cmd_free(&c);
    free(f);

    /* §14.2: a ROCKETMQ-binary request gets a binary response; JSON gets JSON */
    struct rmq_cmd req, resp;
    assert_int_equal(rmq_cmd_decode(ex_bin, sizeof ex_bin, &req, NULL), 0);
    req.flag |= RMQ_FLAG_ONEWAY;   /* must not leak into the response */
    rmq_cmd_init_response(&resp, &req, RMQ_RESP_TOPIC_NOT_EXIST, "No topic route info in name server for the topic: TopicTest");
    rmq_cmd_free(&req);   /* the response owns its remark */
    assert_int_equal(resp.serialize, RMQ_SER_ROCKETMQ);
    assert_int_equal(resp.opaque, 1);
    assert_int_equal(resp.flag, RMQ_FLAG_RESPONSE);
    assert_int_equal(resp.code, 17);
    assert_int_equal(resp.language, RMQ_LANG_SELF);
    assert_int_equal(resp.version, RMQ_MQVERSION_SELF);
    assert_string_equal(resp.remark, "No topic route info in name server for the topic: TopicTest");
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&resp, &b), 0);
    assert_int_equal(b.data[4], RMQ_SER_ROCKETMQ);
    rmq_cmd_free(&resp);
    rmq_buf_free(&b);
}

/* --- client quirks (PROTOCOL §1.3 table) -------------------------------------------------- */

static void ali_ons_numbers_and_booleans(void **state)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    assert_int_equal(decode_json(
        "{\"code\":310,\"language\":\"JAVA\",\"version\":121,\"opaque\":5,\"flag\":0,"
        "\"extFields\":{\"a\":\"ProducerGroup\",\"b\":\"TopicTest\",\"c\":\"TBW102\",\"d\":4,"
        "\"e\":0,\"f\":0,\"g\":1690000000123,\"h\":0,\"i\":\"TAGS\\u0001A\",\"j\":0,\"k\":false,"
        "\"l\":16,\"m\":true,\"n\":-7,\"r\":1.5,\"s\":null,\"t\":1e300}}",
        &c, err), 0);
    assert_int_equal(c.code, RMQ_REQ_SEND_MESSAGE_V2);
    assert_int_equal(c.version, RMQ_MQV_3_4_9);
    assert_null(c.remark);
    assert_ext(&c, "d", "4");
    assert_ext(&c, "e", "0");
    assert_ext(&c, "g", "1690000000123");
    assert_ext(&c, "k", "false");
    assert_ext(&c, "m", "true");
    assert_ext(&c, "n", "-7");
    assert_ext(&c, "r", "1.5");
    assert_ext(&c, "s", NULL);   /* null = absent */
    assert_ext(&c, "t", "1e+300");
    assert_ext(&c, "i", "TAGS\001A");
    assert_int_equal(c.next, 16);
    int64_t v;
    assert_int_equal(rmq_cmd_ext_int(&c, "g", 0, INT64_MAX, &v, err), 0);
    assert_int_equal(v, 1690000000123LL);
    assert_false(rmq_cmd_ext_bool(&c, "k", true));
    assert_true(rmq_cmd_ext_bool(&c, "m", false));
    /* the reply to it carries strings only */
    struct rmq_cmd r;
    rmq_cmd_init_response(&r, &c, 0, NULL);
    rmq_cmd_set_ext_int(&r, "queueId", 3);
    rmq_cmd_set_ext_bool(&r, "TRACE_ON", true);
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&r, &b), 0);
    assert_string_equal((char *)b.data + 8,
                        "{\"code\":0,\"extFields\":{\"queueId\":\"3\",\"TRACE_ON\":\"true\"},\"flag\":1,"
                        "\"language\":\"JAVA\",\"opaque\":5,\"serializeTypeCurrentRPC\":\"JSON\","
                        "\"version\":409}");
    rmq_buf_free(&b);
    rmq_cmd_free(&r);
    rmq_cmd_free(&c);
}

static void cpp_and_go_clients(void **state)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    /* C++: jsoncpp FastWriter, mixed value types, ACL keys always present, empty remark */
    assert_int_equal(decode_json(
        "{\"code\":310,\"extFields\":{\"AccessKey\":\"\",\"OnsChannel\":\"\",\"Signature\":\"\","
        "\"a\":\"pg\",\"b\":\"T\",\"d\":4,\"e\":\"2\",\"m\":false,\"queueId\":3},\"flag\":0,"
        "\"language\":\"CPP\",\"opaque\":12,\"remark\":\"\",\"version\":333}\n",
        &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_CPP);
    assert_int_equal(c.version, RMQ_MQV_4_6_0);
    assert_non_null(c.remark);
    assert_string_equal(c.remark, "");
    assert_ext(&c, "Signature", "");
    assert_ext(&c, "queueId", "3");
    assert_ext(&c, "e", "2");
    int64_t v;
    assert_int_equal(rmq_cmd_ext_int(&c, "Signature", 0, 10, &v, err), RMQ_EINVAL);
    rmq_cmd_free(&c);
    /* Go: remark "" always, language GO, extFields strings; key order of Go's encoder */
    assert_int_equal(decode_json(
        "{\"code\":11,\"language\":\"GO\",\"version\":317,\"opaque\":44,\"flag\":0,\"remark\":\"\","
        "\"extFields\":{\"consumerGroup\":\"g\",\"queueOffset\":\"0\"}}",
        &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_GO);
    assert_int_equal(c.opaque, 44);
    assert_ext(&c, "consumerGroup", "g");
    rmq_cmd_free(&c);
    /* unknown language names, languages as numbers, numbers as strings, unknown keys */
    assert_int_equal(decode_json("{\"code\":\"34\",\"language\":\"KLINGON\",\"opaque\":\"-2\","
                                 "\"future\":{\"deep\":[1,2,{\"x\":null}]},\"serializeTypeCurrentRPC\":7}",
                                 &c, err), 0);
    assert_int_equal(c.code, 34);
    assert_int_equal(c.opaque, -2);
    assert_int_equal(c.language, RMQ_LANG_OTHER);
    rmq_cmd_free(&c);
    assert_int_equal(decode_json("{\"language\":9,\"remark\":null,\"extFields\":null,\"flag\":null}",
                                 &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_GO);
    assert_null(c.remark);
    assert_int_equal(c.next, 0);
    rmq_cmd_free(&c);
    assert_int_equal(decode_json("{\"language\":null}", &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_JAVA);
    rmq_cmd_free(&c);
    assert_int_equal(decode_json("{\"language\":true}", &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_OTHER);
    rmq_cmd_free(&c);
    assert_int_equal(decode_json("{\"language\":\"NODE_JS\",\"remark\":42}", &c, err), 0);
    assert_int_equal(c.language, RMQ_LANG_NODE_JS);
    assert_string_equal(c.remark, "42");
    rmq_cmd_free(&c);
}

/* --- round trips ---------------------------------------------------------------------------- */

static void build_sample(struct rmq_cmd *c, uint8_t ser)
{
    rmq_cmd_init_request(c, RMQ_REQ_SEND_MESSAGE_V2, ser);
    c->opaque = -123456;
    c->flag = RMQ_FLAG_ONEWAY | 0x100;
    c->language = RMQ_LANG_RUST;
    rmq_cmd_set_remark(c, "line1\nquote\" back\\slash tab\t ctl\x01 utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 %d", 7);
    rmq_cmd_set_ext(c, "a", "producer");
    rmq_cmd_set_ext(c, "b", "TopicTest");
    rmq_cmd_set_ext_int(c, "g", INT64_MIN);
    rmq_cmd_set_ext_int(c, "h", INT64_MAX);
    rmq_cmd_set_ext_bool(c, "k", false);
    rmq_cmd_set_extn(c, "nul", 3, "x\0y", 3);
    rmq_cmd_set_ext(c, "uni\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87");
    for (int i = 0; i < 40; i++) {
        char k[16], v[64];
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "value-%d-%0*d", i, i, 0);
        rmq_cmd_set_ext(c, k, v);
    }
    rmq_cmd_set_ext(c, "a", "replaced");   /* replaces in place */
    c->body = (const uint8_t *)"\x00\x01\x02 body";
    c->body_len = 8;
}

static void round_trip_one(uint8_t ser)
{
    struct rmq_cmd c, d;
    build_sample(&c, ser);
    assert_int_equal(c.next, 47);
    assert_string_equal(c.ext[0].val, "replaced");
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    size_t flen;
    assert_int_equal(rmq_frame_peek(b.data, b.len, RMQ_FRAME_MAX_DEFAULT, &flen), 1);
    assert_int_equal(flen, b.len);
    char err[RMQ_ERRLEN] = "";
    if (rmq_cmd_decode(b.data, b.len, &d, err) != 0)
        fail_msg("decode: %s", err);
    assert_int_equal(d.serialize, ser);
    assert_same_cmd(&c, &d);
    assert_int_equal(d.ext[2].vlen, 20);
    const struct rmq_kv *nul = rmq_cmd_ext_find(&d, "nul");
    assert_int_equal(nul->vlen, 3);
    assert_memory_equal(nul->val, "x\0y", 3);
    /* header alone + body == whole frame */
    struct rmq_buf h = {0};
    assert_int_equal(rmq_cmd_encode_header(&c, c.body_len, &h), 0);
    rmq_buf_add(&h, c.body, c.body_len);
    assert_int_equal(h.len, b.len);
    assert_memory_equal(h.data, b.data, b.len);
    /* appending keeps what the buffer held */
    assert_int_equal(rmq_cmd_encode(&c, &h), 0);
    assert_int_equal(h.len, 2 * b.len);
    assert_memory_equal(h.data + b.len, b.data, b.len);
    rmq_buf_free(&h);
    rmq_buf_free(&b);
    rmq_cmd_free(&d);
    rmq_cmd_free(&c);
}

static void round_trip_json(void **state) { round_trip_one(RMQ_SER_JSON); }
static void round_trip_binary(void **state) { round_trip_one(RMQ_SER_ROCKETMQ); }

static void json_escaping_exact(void **state)
{
    struct rmq_cmd c;
    rmq_cmd_init_response(&c, &(struct rmq_cmd){.opaque = 1}, 1, NULL);
    c.remark = "a\"b\\c\n\x1f\x7f \xff\xc3(\xed\xa0\x80 \xc3\xa9";   /* borrowed literal */
    rmq_cmd_set_ext(&c, "k\t", "\b\f\r");
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    assert_string_equal((char *)b.data + 8,
                        "{\"code\":1,\"extFields\":{\"k\\t\":\"\\b\\f\\r\"},\"flag\":1,\"language\":\"JAVA\","
                        "\"opaque\":1,\"remark\":\"a\\\"b\\\\c\\n\\u001f\x7f \\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd "
                        "\xc3\xa9\",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}");
    /* and it reads back with the invalid bytes replaced */
    struct rmq_cmd d;
    assert_int_equal(rmq_cmd_decode(b.data, b.len, &d, NULL), 0);
    assert_string_equal(d.remark, "a\"b\\c\n\x1f\x7f \xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9");
    assert_ext(&d, "k\t", "\b\f\r");
    rmq_cmd_free(&d);
    rmq_buf_free(&b);
    rmq_cmd_free(&c);
    assert_null(c.remark);
}

/* --- malformed frames ------------------------------------------------------------------------ */

static void truncated_frames(void **state)
{
    struct rmq_cmd c, s;
    build_sample(&s, RMQ_SER_JSON);
    struct rmq_buf bj = {0}, bb = {0};
    assert_int_equal(rmq_cmd_encode(&s, &bj), 0);
    s.serialize = RMQ_SER_ROCKETMQ;
    assert_int_equal(rmq_cmd_encode(&s, &bb), 0);
    rmq_cmd_free(&s);
    const struct { const uint8_t *p; size_t n; } fr[] = {
        {ex_json, sizeof ex_json - 1}, {ex_bin, sizeof ex_bin}, {bj.data, bj.len}, {bb.data, bb.len},
    };
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
        for (size_t k = 0; k < fr[i].n; k++) {
            /* an exact-size copy, so ASan sees a read past it */
            uint8_t *cut = malloc(k ? k : 1);
            memcpy(cut, fr[i].p, k);
            size_t flen = 0;
            assert_int_equal(rmq_frame_peek(cut, k, RMQ_FRAME_MAX_DEFAULT, &flen), 0);
            assert_int_equal(rmq_cmd_decode(cut, k, &c, NULL), RMQ_EINVAL);
            assert_null(c.arena_);
            free(cut);
        }
        /* the header cut at every length, with prefix and header word made consistent */
        size_t hlen = rd32(fr[i].p + 4) & 0xFFFFFF;
        unsigned type = fr[i].p[4];
        for (size_t k = 0; k < hlen; k++) {
            size_t len;
            uint8_t *f = mkframe(type, fr[i].p + 8, k, NULL, 0, &len);
            char err[RMQ_ERRLEN] = "";
            if (rmq_cmd_decode(f, len, &c, err) != RMQ_EINVAL)
                fail_msg("frame %zu: header cut to %zu of %zu bytes accepted", i, k, hlen);
            assert_true(err[0] != 0);
            free(f);
        }
    }
    rmq_buf_free(&bj);
    rmq_buf_free(&bb);
}

static void bad_lengths(void **state)
{
    uint8_t f[16] = {0};
    size_t flen = 0;
    char err[RMQ_ERRLEN] = "";
    const size_t max = RMQ_FRAME_MAX_DEFAULT;
    /* the 2 GiB prefix is refused from its first 4 bytes */
    wr32(f, 0x7FFFFFFF);
    assert_int_equal(rmq_frame_peek_err(f, 4, max, &flen, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "over the maximum"));
    wr32(f, 0x80000000u);   /* negative */
    assert_int_equal(rmq_frame_peek(f, 4, max, &flen), RMQ_EINVAL);
    wr32(f, 0xFFFFFFFFu);
    assert_int_equal(rmq_frame_peek(f, 4, max, &flen), RMQ_EINVAL);
    for (uint32_t l = 0; l < 4; l++) {   /* no room for the header word */
        wr32(f, l);
        assert_int_equal(rmq_frame_peek(f, 16, max, &flen), RMQ_EINVAL);
    }
    /* the limit counts the prefix: max − 4 after it is the largest allowed */
    wr32(f, (uint32_t)max - 4);
    wr32(f + 4, 0);
    assert_int_equal(rmq_frame_peek(f, 8, max, &flen), 0);
    wr32(f, (uint32_t)max - 3);
    assert_int_equal(rmq_frame_peek(f, 8, max, &flen), RMQ_EINVAL);
    assert_int_equal(rmq_frame_peek(f, 8, max + 1, &flen), 0);
    /* header length past the frame, seen as soon as the header word is there */
    wr32(f, 4 + 5);
    wr32(f + 4, 6);
    assert_int_equal(rmq_frame_peek(f, 8, max, &flen), RMQ_EINVAL);
    assert_int_equal(rmq_cmd_decode(f, 13, &(struct rmq_cmd){0}, err), RMQ_EINVAL);
    wr32(f + 4, 0x01000006);
    assert_int_equal(rmq_frame_peek(f, 8, max, &flen), RMQ_EINVAL);
    wr32(f + 4, 0x00FFFFFF);
    assert_int_equal(rmq_frame_peek(f, 8, max, &flen), RMQ_EINVAL);
    /* a prefix that disagrees with the frame handed to decode */
    size_t len;
    uint8_t *g = mkframe(1, ex_bin + 8, sizeof ex_bin - 8, NULL, 0, &len);
    struct rmq_cmd c;
    wr32(g, (uint32_t)len - 3);
    assert_int_equal(rmq_cmd_decode(g, len, &c, err), RMQ_EINVAL);
    wr32(g, (uint32_t)len - 5);
    assert_int_equal(rmq_cmd_decode(g, len, &c, err), RMQ_EINVAL);
    wr32(g, (uint32_t)len - 4);
    assert_int_equal(rmq_cmd_decode(g, len, &c, err), 0);
    rmq_cmd_free(&c);
    free(g);
    /* two frames back to back: peek finds the first */
    uint8_t two[2 * sizeof ex_bin];
    memcpy(two, ex_bin, sizeof ex_bin);
    memcpy(two + sizeof ex_bin, ex_bin, sizeof ex_bin);
    assert_int_equal(rmq_frame_peek(two, sizeof two, max, &flen), 1);
    assert_int_equal(flen, sizeof ex_bin);
}

static void serialize_type_two(void **state)
{
    size_t len, flen;
    uint8_t *f = mkframe(2, ex_bin + 8, sizeof ex_bin - 8, NULL, 0, &len);
    char err[RMQ_ERRLEN] = "";
    assert_int_equal(rmq_frame_peek_err(f, len, RMQ_FRAME_MAX_DEFAULT, &flen, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "serialize type 2"));
    struct rmq_cmd c;
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "serialize type 2"));
    free(f);
    f = mkframe(0x80, "{}", 2, NULL, 0, &len);
    assert_int_equal(rmq_frame_peek(f, len, RMQ_FRAME_MAX_DEFAULT, &flen), RMQ_EINVAL);
    assert_int_equal(rmq_cmd_decode(f, len, &c, NULL), RMQ_EINVAL);
    free(f);
    /* and the encoder refuses to write one */
    struct rmq_cmd e;
    rmq_cmd_init_request(&e, 10, 2);
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&e, &b), RMQ_EINVAL);
    assert_int_equal(b.len, 0);
}

static void json_rejections(void **state)
{
    /* not an object */
    expect_json_rejected("");
    expect_json_rejected(" ");
    expect_json_rejected("[1,2]");
    expect_json_rejected("[]");
    expect_json_rejected("\"code\"");
    expect_json_rejected("105");
    expect_json_rejected("null");
    expect_json_rejected("true");
    /* broken */
    expect_json_rejected("{");
    expect_json_rejected("{\"code\":105");
    expect_json_rejected("{\"code\":105}}");
    expect_json_rejected("{\"code\":105} {}");
    expect_json_rejected("{code:105}");
    expect_json_rejected("{'code':105}");
    expect_json_rejected("{\"code\":105,}");
    expect_json_rejected("{\"remark\":\"\xff\"}");
    expect_json_rejected("{\"remark\":\"a\\ud800\"}");
    expect_json_rejected("{\"a\\u0000b\":1}");
    expect_json_rejected("{\"code\":99999999999999999999}");
    /* fields of the wrong type or range */
    expect_json_rejected("{\"code\":1.5}");
    expect_json_rejected("{\"code\":2147483648}");
    expect_json_rejected("{\"opaque\":-2147483649}");
    expect_json_rejected("{\"code\":\"12a\"}");
    expect_json_rejected("{\"code\":\"\"}");
    expect_json_rejected("{\"flag\":true}");
    expect_json_rejected("{\"version\":[1]}");
    expect_json_rejected("{\"remark\":{}}");
    expect_json_rejected("{\"remark\":[\"x\"]}");
    expect_json_rejected("{\"extFields\":[]}");
    expect_json_rejected("{\"extFields\":\"a=b\"}");
    expect_json_rejected("{\"extFields\":{\"a\":{\"b\":\"c\"}}}");
    expect_json_rejected("{\"extFields\":{\"a\":[1]}}");
    /* a NUL byte inside the header text itself */
    size_t len;
    uint8_t *f = mkframe(0, "{\"code\":1}\0", 11, NULL, 0, &len);
    struct rmq_cmd c;
    assert_int_equal(rmq_cmd_decode(f, len, &c, NULL), RMQ_EINVAL);
    free(f);
    /* int32 edges are accepted */
    char err[RMQ_ERRLEN];
    assert_int_equal(decode_json("{\"code\":-2147483648,\"opaque\":2147483647,\"extFields\":"
                                 "{\"\":\"empty key skipped\",\"e\":\"\"}}", &c, err), 0);
    assert_int_equal(c.code, INT32_MIN);
    assert_int_equal(c.opaque, INT32_MAX);
    assert_int_equal(c.next, 1);
    assert_ext(&c, "e", "");   /* an empty JSON string is a value */
    rmq_cmd_free(&c);
}

static char *nested(size_t depth, const char *pre, const char *post)
{
    size_t pl = strlen(pre), ql = strlen(post);
    char *s = malloc(pl + 2 * depth + ql + 1);
    memcpy(s, pre, pl);
    memset(s + pl, '[', depth);
    memset(s + pl + depth, ']', depth);
    memcpy(s + pl + 2 * depth, post, ql + 1);
    return s;
}

static void deep_nesting(void **state)
{
    char *s = nested(200000, "{\"x\":", "}");
    expect_json_rejected(s);
    free(s);
    s = nested(3000, "{\"x\":", "}");
    expect_json_rejected(s);
    free(s);
    /* moderate nesting under an unknown key is ignored, under extFields refused */
    struct rmq_cmd c;
    s = nested(100, "{\"code\":7,\"x\":", "}");
    assert_int_equal(decode_json(s, &c, NULL), 0);
    assert_int_equal(c.code, 7);
    rmq_cmd_free(&c);
    free(s);
    s = nested(100, "{\"extFields\":{\"a\":", "}}");
    expect_json_rejected(s);
    free(s);
    /* objects inside objects */
    struct rmq_buf b = {0};
    rmq_buf_addstr(&b, "{\"x\":");
    for (int i = 0; i < 100000; i++)
        rmq_buf_addstr(&b, "{\"a\":");
    rmq_buf_addstr(&b, "1");
    for (int i = 0; i < 100000; i++)
        rmq_buf_addstr(&b, "}");
    rmq_buf_addstr(&b, "}");
    expect_json_rejected((char *)b.data);
    rmq_buf_free(&b);
}

static void huge_ext_counts(void **state)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    for (int n = RMQ_CMD_MAX_EXT; n <= RMQ_CMD_MAX_EXT + 1; n++) {
        /* JSON */
        struct rmq_buf b = {0};
        rmq_buf_addstr(&b, "{\"extFields\":{");
        for (int i = 0; i < n; i++)
            rmq_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
        rmq_buf_addstr(&b, "}}");
        int rc = decode_json((char *)b.data, &c, err);
        assert_int_equal(rc, n > RMQ_CMD_MAX_EXT ? RMQ_EINVAL : 0);
        if (rc == 0) {
            assert_int_equal(c.next, n);
            assert_ext(&c, "k255", "255");
        }
        rmq_cmd_free(&c);
        rmq_buf_free(&b);
        /* binary, through the encoder */
        struct rmq_cmd e;
        rmq_cmd_init_request(&e, 1, RMQ_SER_ROCKETMQ);
        for (int i = 0; i < n; i++) {
            char k[16];
            snprintf(k, sizeof k, "k%d", i);
            rmq_cmd_set_ext_int(&e, k, i);
        }
        assert_int_equal(rmq_cmd_encode(&e, &b), 0);
        rc = rmq_cmd_decode(b.data, b.len, &c, err);
        assert_int_equal(rc, n > RMQ_CMD_MAX_EXT ? RMQ_EINVAL : 0);
        if (rc == 0)
            assert_same_cmd(&e, &c);
        rmq_cmd_free(&c);
        rmq_cmd_free(&e);
        rmq_buf_free(&b);
    }
    /* a million minimal binary entries in a 7 MB header */
    size_t n = 1000000, elen = n * 8, hlen = 21 + elen;
    uint8_t *h = calloc(1, hlen);
    wr32(h + 17, (uint32_t)elen);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = h + 21 + i * 8;
        wr16(e, 1);
        e[2] = 'k';
        wr32(e + 3, 1);
        e[7] = 'v';
    }
    size_t len;
    uint8_t *f = mkframe(1, h, hlen, NULL, 0, &len);
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "more than 256"));
    free(f);
    free(h);
}

/* A binary header from parts, for the malformed cases below. */
static void binary_case(const uint8_t *after_fixed, size_t n, int want)
{
    uint8_t h[256] = {0x00, 0x0a, 0x00, 0x01, 0x99, 0, 0, 0, 7, 0, 0, 0, 0};
    memcpy(h + 13, after_fixed, n);
    size_t len;
    uint8_t *f = mkframe(1, h, 13 + n, NULL, 0, &len);
    struct rmq_cmd c;
    char err[RMQ_ERRLEN] = "";
    int rc = rmq_cmd_decode(f, len, &c, err);
    if (rc != want)
        fail_msg("binary header case: got %d (%s), want %d", rc, err, want);
    if (want == 0) {
        assert_int_equal(c.code, 10);
        assert_int_equal(c.version, 0x199);
        assert_int_equal(c.opaque, 7);
    }
    rmq_cmd_free(&c);
    free(f);
}

static void binary_rejections(void **state)
{
#define CASE(want, ...)                                          \
    do {                                                         \
        static const uint8_t b_[] = {__VA_ARGS__};               \
        binary_case(b_, sizeof b_, want);                        \
    } while (0)
    CASE(0, 0, 0, 0, 0, 0, 0, 0, 0);                                       /* minimal */
    CASE(0, 0, 0, 0, 1, 'r', 0, 0, 0, 0);                                  /* remark "r" */
    CASE(RMQ_EINVAL, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);                  /* remark −1 */
    CASE(RMQ_EINVAL, 0x80, 0, 0, 0, 0, 0, 0, 0);                           /* remark −2^31 */
    CASE(RMQ_EINVAL, 0, 0, 0, 1, 'r', 0, 0, 0);                            /* remark eats extLen */
    CASE(RMQ_EINVAL, 0, 0, 0, 5, 'r', 0, 0, 0, 0);                         /* remark past end */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 1);                              /* extLen past end */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);                  /* extLen −1 */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0);                           /* trailing byte */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 1, 0);                           /* half a key length */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 'k');                   /* no value length */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 6, 0xff, 0xff, 0, 0, 0, 0);      /* key length −1 */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 7, 0, 9, 'k', 0, 0, 0, 0);       /* key past end */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 'k', 0xff, 0, 0, 0);    /* value length < 0 */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1, 'k', 0, 0, 0, 2, 'v');  /* value past end */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 'k', 0, 0, 0, 1, 'v', 0); /* stray byte */
    CASE(0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1, 'k', 0, 0, 0, 1, 'v');           /* one entry */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'k', 0, 0, 0, 1, 'v');  /* entry after extLen 0 */
    CASE(RMQ_EINVAL, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 'k', 0, 0, 0, 1, 'v');  /* extLen short */
#undef CASE
    /* zero-length keys and values are null in Java: dropped; a repeated key keeps the last */
    static const uint8_t h[] = {
        0, 10, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40,
        0, 1, 'a', 0, 0, 0, 1, '1',
        0, 0, 0, 0, 0, 1, 'x',         /* empty key */
        0, 1, 'b', 0, 0, 0, 0,         /* empty value */
        0, 1, 'a', 0, 0, 0, 1, '2',
        0, 2, 'c', 0, 0, 0, 0, 2, 0, 'z', /* NULs in key and value are bytes like any other */
    };
    size_t len;
    uint8_t *f = mkframe(1, h, sizeof h, "B", 1, &len);
    struct rmq_cmd c;
    char err[RMQ_ERRLEN] = "";
    if (rmq_cmd_decode(f, len, &c, err))
        fail_msg("%s", err);
    assert_int_equal(c.language, RMQ_LANG_GO);
    assert_int_equal(c.flag, RMQ_FLAG_RESPONSE);
    assert_int_equal(c.next, 3);   /* both a's are kept; lookups see the last */
    assert_ext(&c, "a", "2");
    assert_ext(&c, "b", NULL);
    assert_int_equal(c.ext[2].klen, 2);
    assert_int_equal(c.ext[2].vlen, 2);
    assert_int_equal(c.body_len, 1);
    rmq_cmd_free(&c);
    free(f);
    /* a remark is text up to its first NUL; one that starts with NUL is no remark (the
     * fuzzer found "" decoding here but encoding back as absent) */
    static const uint8_t r[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 'a', 'b',
                                0, 0, 0, 0};
    f = mkframe(1, r, sizeof r, NULL, 0, &len);
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), 0);
    assert_null(c.remark);
    rmq_cmd_free(&c);
    free(f);
    static const uint8_t r2[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 0, 'b',
                                 0, 0, 0, 0};
    f = mkframe(1, r2, sizeof r2, NULL, 0, &len);
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), 0);
    assert_string_equal(c.remark, "a");
    rmq_cmd_free(&c);
    free(f);
    /* negative code and version are sign-extended */
    uint8_t g[21] = {0xfc, 0x18, 0, 0xff, 0xff};
    f = mkframe(1, g, sizeof g, NULL, 0, &len);
    assert_int_equal(rmq_cmd_decode(f, len, &c, err), 0);
    assert_int_equal(c.code, RMQ_RESP_RPC_UNKNOWN);
    assert_int_equal(c.version, -1);
    rmq_cmd_free(&c);
    free(f);
}

static void encode_limits(void **state)
{
    struct rmq_cmd c;
    struct rmq_buf b = {0};
    rmq_buf_addstr(&b, "keep");
    rmq_cmd_init_request(&c, RMQ_REQ_POP_MESSAGE, RMQ_SER_ROCKETMQ);
    assert_int_equal(rmq_cmd_encode(&c, &b), RMQ_EINVAL);   /* code over int16 */
    assert_int_equal(b.len, 4);
    assert_string_equal((char *)b.data, "keep");
    c.serialize = RMQ_SER_JSON;                               /* fine in JSON */
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    b.len = 4;
    c.serialize = RMQ_SER_ROCKETMQ;
    c.code = -32768;
    c.version = 32768;
    assert_int_equal(rmq_cmd_encode(&c, &b), RMQ_EINVAL);
    c.version = -32768;
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    b.len = 4;
    /* a key too long for the binary form's 16-bit signed length */
    char *k = malloc(40000);
    memset(k, 'k', 39999);
    k[39999] = 0;
    rmq_cmd_set_ext(&c, k, "v");
    assert_int_equal(rmq_cmd_encode(&c, &b), RMQ_EINVAL);
    assert_int_equal(b.len, 4);
    c.serialize = RMQ_SER_JSON;
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    b.len = 4;
    free(k);
    rmq_cmd_free(&c);
    /* a header over 24 bits, both forms; the buffer keeps its old content */
    char *v = malloc(RMQ_HEADER_MAX + 1);
    memset(v, 'v', RMQ_HEADER_MAX);
    v[RMQ_HEADER_MAX] = 0;
    for (uint8_t ser = 0; ser <= 1; ser++) {
        rmq_cmd_init_request(&c, 10, ser);
        rmq_cmd_set_ext(&c, "big", v);
        assert_int_equal(rmq_cmd_encode(&c, &b), RMQ_ETOOBIG);
        assert_int_equal(b.len, 4);
        assert_string_equal((char *)b.data, "keep");
        rmq_cmd_free(&c);
    }
    free(v);
    /* a body that would take the frame past INT32_MAX */
    rmq_cmd_init_request(&c, 10, RMQ_SER_ROCKETMQ);
    assert_int_equal(rmq_cmd_encode_header(&c, (size_t)INT32_MAX, &b), RMQ_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_int_equal(rmq_cmd_encode_header(&c, (size_t)INT32_MAX - 4 - 21, &b), 0);
    assert_int_equal(rd32(b.data + 4), (uint32_t)INT32_MAX);
    rmq_buf_free(&b);
}

/* --- extFields helpers -------------------------------------------------------------------------- */

/* Lookups are exact: a key with a NUL inside (the binary form allows it) never answers
 * for its prefix, and neither a shorter nor a longer key answers for another. */
static void ext_lookup_exact(void **state)
{
    struct rmq_cmd c = {0};
    rmq_cmd_set_extn(&c, "b\0x", 3, "T", 1);
    assert_null(rmq_cmd_ext(&c, "b"));
    assert_null(rmq_cmd_ext_find(&c, "b"));
    rmq_cmd_set_extn(&c, "bb", 2, "U", 1);
    assert_null(rmq_cmd_ext(&c, "b"));
    assert_null(rmq_cmd_ext(&c, "bbb"));
    assert_string_equal(rmq_cmd_ext(&c, "bb"), "U");
    rmq_cmd_set_extn(&c, "b", 1, "V", 1);
    assert_string_equal(rmq_cmd_ext(&c, "b"), "V");
    int64_t v = 0;
    assert_int_equal(rmq_cmd_ext_int(&c, "bb", 0, 9, &v, NULL), RMQ_EINVAL);   /* found: "U" */
    assert_int_equal(rmq_cmd_ext_int(&c, "", 0, 9, &v, NULL), RMQ_ENOTFOUND);
    rmq_cmd_free(&c);
}

/* One pass over the fields answers for each name as rmq_cmd_ext_find does, whatever order
 * the fields come in (the search resumes after the previous match) */
static void ext_pick(void **state)
{
    static const char *const names[] = {"a", "b", "bb", "topic", "c"};
    enum { N = sizeof names / sizeof *names };
    struct rmq_cmd c = {0};
    rmq_cmd_set_extn(&c, "c", 1, "3", 1);
    rmq_cmd_set_extn(&c, "x", 1, "?", 1);
    rmq_cmd_set_extn(&c, "b\0x", 3, "T", 1);
    rmq_cmd_set_extn(&c, "topic", 5, "T1", 2);
    rmq_cmd_set_extn(&c, "a", 1, "1", 1);
    rmq_cmd_set_extn(&c, "bb", 2, "U", 1);
    const struct rmq_kv *kv[N];
    rmq_cmd_ext_pick(&c, names, N, kv);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(kv[i], rmq_cmd_ext_find(&c, names[i]));
    assert_null(kv[1]);
    assert_string_equal(kv[3]->val, "T1");
    /* a name repeated (decoders append without looking): the last one wins */
    rmq_cmd_ext_append(&c, "a", 1, "2", 1);
    rmq_cmd_ext_pick(&c, names, N, kv);
    assert_string_equal(kv[0]->val, "2");
    assert_ptr_equal(kv[0], rmq_cmd_ext_find(&c, "a"));
    int64_t v = 0;
    assert_int_equal(rmq_kv_int(kv[0], "a", 0, 9, &v, NULL), 0);
    assert_int_equal(v, 2);
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_kv_int(kv[1], "b", 0, 9, &v, err), RMQ_ENOTFOUND);
    assert_non_null(strstr(err, "'b'"));
    rmq_cmd_free(&c);
}

static void ext_getters(void **state)
{
    struct rmq_cmd c = {0};
    static const char *const good[][2] = {
        {"0", "0"}, {"-0", "0"}, {"+5", "5"}, {"007", "7"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rmq_cmd_set_ext(&c, "v", good[i][0]);
        int64_t v;
        assert_int_equal(rmq_cmd_ext_int(&c, "v", INT64_MIN, INT64_MAX, &v, NULL), 0);
        char d[32];
        snprintf(d, sizeof d, "%lld", (long long)v);
        assert_string_equal(d, good[i][1]);
    }
    static const char *const bad[] = {
        "", "-", "+", " 1", "1 ", "1.0", "0x10", "1e3", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999", "--1", "１",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rmq_cmd_set_ext(&c, "v", bad[i]);
        int64_t v = 77;
        char err[RMQ_ERRLEN] = "";
        if (rmq_cmd_ext_int(&c, "v", INT64_MIN, INT64_MAX, &v, err) != RMQ_EINVAL)
            fail_msg("'%s' accepted as an integer", bad[i]);
        assert_int_equal(v, 77);
        assert_non_null(strstr(err, "'v'"));
    }
    int64_t v = 5;
    char err[RMQ_ERRLEN];
    rmq_cmd_set_ext_int(&c, "queueId", 8);
    assert_int_equal(rmq_cmd_ext_int(&c, "queueId", 0, 7, &v, err), RMQ_EINVAL);
    assert_string_equal(err, "header field 'queueId' is 8, not in [0, 7]");
    assert_int_equal(rmq_cmd_ext_int(&c, "queueId", 0, 8, &v, err), 0);
    assert_int_equal(v, 8);
    assert_int_equal(rmq_cmd_ext_int(&c, "queueid", 0, 8, &v, err), RMQ_ENOTFOUND);
    assert_int_equal(v, 8);
    /* Java's Boolean.parseBoolean */
    static const struct { const char *s; bool want; } bools[] = {
        {"true", true}, {"TRUE", true}, {"tRuE", true}, {"false", false}, {"1", false},
        {"yes", false}, {"true ", false}, {"", false},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        rmq_cmd_set_ext(&c, "b", bools[i].s);
        assert_int_equal(rmq_cmd_ext_bool(&c, "b", !bools[i].want), bools[i].want);
    }
    assert_true(rmq_cmd_ext_bool(&c, "absent", true));
    assert_false(rmq_cmd_ext_bool(&c, "absent", false));
    /* replaced values keep their slot and old pointers stay readable */
    const char *old = rmq_cmd_ext(&c, "queueId");
    uint32_t n = c.next;
    rmq_cmd_set_ext(&c, "queueId", "9");
    assert_int_equal(c.next, n);
    assert_string_equal(old, "8");
    assert_ext(&c, "queueId", "9");
    rmq_cmd_set_ext(&c, "", "ignored");
    assert_int_equal(c.next, n);
    assert_null(rmq_cmd_ext_find(&c, ""));
    /* many sets grow the arena across blocks */
    for (int i = 0; i < 2000; i++) {
        char k[16];
        snprintf(k, sizeof k, "f%d", i);
        rmq_cmd_set_ext_int(&c, k, i * 1000003LL);
    }
    assert_int_equal(c.next, n + 2000);
    assert_ext(&c, "f1999", "1999005997");
    assert_ext(&c, "v", "１");   /* the last bad value set above */
    rmq_cmd_set_remark(&c, "%s %d", "remark", 5);
    assert_string_equal(c.remark, "remark 5");
    rmq_cmd_free(&c);
    assert_int_equal(c.next, 0);
    assert_null(c.ext);
    rmq_cmd_free(&c);   /* twice is harmless */
}

/* --- tables ---------------------------------------------------------------------------------------- */

static void code_tables(void **state)
{
    assert_string_equal(rmq_request_name(10), "SEND_MESSAGE");
    assert_string_equal(rmq_request_name(29), "SEARCH_OFFSET_BY_TIMESTAMP");
    assert_string_equal(rmq_request_name(31), "GET_MIN_OFFSET");
    assert_string_equal(rmq_request_name(310), "SEND_MESSAGE_V2");
    assert_string_equal(rmq_request_name(320), "SEND_BATCH_MESSAGE");
    assert_string_equal(rmq_request_name(105), "GET_ROUTEINFO_BY_TOPIC");
    assert_string_equal(rmq_request_name(200050), "POP_MESSAGE");
    assert_null(rmq_request_name(16));
    assert_null(rmq_request_name(-1));
    assert_int_equal(rmq_request_code("HEART_BEAT"), 34);
    assert_int_equal(rmq_request_code("heart_beat"), -1);
    assert_int_equal(rmq_request_served_by(105), RMQ_AT_NAMESRV);
    assert_int_equal(rmq_request_served_by(40), RMQ_AT_CLIENT);
    assert_int_equal(rmq_request_served_by(12345), 0);
    assert_int_equal(RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP, 38);
    assert_int_equal(RMQ_REQ_DELETE_TOPIC_IN_BROKER, 215);
    /* every code the broker must answer (PROTOCOL §12) has a name */
    static const int need[] = {10, 310, 320, 11, 14, 15, 29, 30, 31, 32, 33, 12, 34, 35, 36, 37,
                               38, 41, 42, 17, 21, 28, 202, 203, 208, 215, 39, 40, 103, 104,
                               105, 106, 206, 101, 100, 216, 224, 322};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!rmq_request_name(need[i]))
            fail_msg("request code %d has no name", need[i]);

    assert_string_equal(rmq_response_name(0), "SUCCESS");
    assert_string_equal(rmq_response_name(3), "REQUEST_CODE_NOT_SUPPORTED");
    assert_string_equal(rmq_response_name(19), "PULL_NOT_FOUND");
    assert_string_equal(rmq_response_name(202), "TRANSACTION_STATE_UNKNOW");
    assert_string_equal(rmq_response_name(-1006), "RPC_TIME_OUT");
    assert_string_equal(rmq_response_name(1500), "GO_AWAY");
    assert_string_equal(rmq_response_name(RMQ_RESP_DISK_FULL), "DISK_FULL");
    assert_null(rmq_response_name(5));
    assert_int_equal(rmq_response_compat(RMQ_RESP_DISK_FULL), RMQ_RESP_SERVICE_NOT_AVAILABLE);
    assert_int_equal(rmq_response_compat(RMQ_RESP_HEADER_FIELD_MISSING), RMQ_RESP_SYSTEM_ERROR);
    assert_int_equal(rmq_response_compat(RMQ_RESP_BODY_TOO_LARGE), RMQ_RESP_MESSAGE_ILLEGAL);
    assert_int_equal(rmq_response_compat(RMQ_RESP_PULL_NOT_FOUND), RMQ_RESP_PULL_NOT_FOUND);
    assert_int_equal(rmq_response_compat(99999), 99999);
    assert_true(rmq_response_is_rmq(RMQ_RESP_SHUTTING_DOWN));
    assert_false(rmq_response_is_rmq(RMQ_RESP_SERVICE_NOT_AVAILABLE));
    /* rmq's own codes: in 7000–7999, inside int16, and not RocketMQ's */
    for (int code = -2000; code < 300000; code++) {
        const char *n = rmq_response_name(code);
        if (n && rmq_response_is_rmq(code))
            assert_true(code >= 7000 && code <= 7999);
        if (code >= 7000 && code <= 7999 && n)
            assert_true(rmq_response_is_rmq(code));
        const char *r = rmq_request_name(code);
        if (r && code >= 7000 && code <= 7999)
            assert_true(strncmp(r, "RMQ_", 4) == 0);
    }

    /* languages both ways */
    static const char *const langs[] = {"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG",
                                        "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST",
                                        "NODE_JS"};
    for (int i = 0; i < 14; i++) {
        assert_string_equal(rmq_lang_name(i), langs[i]);
        assert_int_equal(rmq_lang_code(langs[i], strlen(langs[i])), i);
    }
    assert_null(rmq_lang_name(14));
    assert_null(rmq_lang_name(255));
    assert_int_equal(rmq_lang_code("java", 4), -1);
    assert_int_equal(rmq_lang_code("JAVA", 3), -1);
    assert_int_equal(rmq_lang_code("GOX", 3), -1);
    /* a language byte without a name goes out as OTHER */
    struct rmq_cmd c;
    rmq_cmd_init_request(&c, 10, RMQ_SER_JSON);
    c.language = 200;
    struct rmq_buf b = {0};
    assert_int_equal(rmq_cmd_encode(&c, &b), 0);
    assert_non_null(strstr((char *)b.data + 8, "\"language\":\"OTHER\""));
    rmq_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protocol_json_example),
        cmocka_unit_test(protocol_binary_example),
        cmocka_unit_test(observed_responses),
        cmocka_unit_test(ali_ons_numbers_and_booleans),
        cmocka_unit_test(cpp_and_go_clients),
        cmocka_unit_test(round_trip_json),
        cmocka_unit_test(round_trip_binary),
        cmocka_unit_test(json_escaping_exact),
        cmocka_unit_test(truncated_frames),
        cmocka_unit_test(bad_lengths),
        cmocka_unit_test(serialize_type_two),
        cmocka_unit_test(json_rejections),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(huge_ext_counts),
        cmocka_unit_test(binary_rejections),
        cmocka_unit_test(encode_limits),
        cmocka_unit_test(ext_lookup_exact),
        cmocka_unit_test(ext_pick),
        cmocka_unit_test(ext_getters),
        cmocka_unit_test(code_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
