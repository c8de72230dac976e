/* Unit tests for core/client/'s encoders: UNIQ_KEY ids, properties, tag expressions, body
 * compression (LZ4 frames, zlib), output formats and the opaque peek. The request paths
 * (producer, consumer) run against the real broker in t/3000-produce-consume.bats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/compress.h"
#include "client/format.h"
#include "client/msgid.h"
#include "client/props.h"
#include "client/rpc.h"
#include "proto/msg.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* ---- UNIQ_KEY (PROTOCOL §5.2) ---------------------------------------------------------- */

static void uniq_key_java_layout(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    struct rmq_uniq_gen g;
    const uint8_t ip[4] = {192, 168, 0, 1};
    rmq_uniq_init(&g, ip, 0x51234, 0xCAFEBABE);   /* only the pid's low 16 bits count */
    struct tm nov = {.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 1};
    int64_t month = (int64_t)timegm(&nov) * 1000;
    char id[RMQ_UNIQ_LEN + 1];

    rmq_uniq_next(&g, month + 0x01020304, id);
    /* ip C0A80001 | pid 1234 | hash CAFEBABE | ms since 1 Nov 00:00 01020304 | counter 0001 */
    assert_string_equal(id, "C0A80001" "1234" "CAFEBABE" "01020304" "0001");
    rmq_uniq_next(&g, month + 0x01020305, id);
    assert_string_equal(id, "C0A800011234CAFEBABE010203050002");

    /* a new month restarts the time part */
    struct tm dec = {.tm_year = 2026 - 1900, .tm_mon = 11, .tm_mday = 1};
    rmq_uniq_next(&g, (int64_t)timegm(&dec) * 1000 + 7, id);
    assert_string_equal(id + 20, "000000070003");

    /* the counter wraps at 16 bits */
    g.counter = 0xFFFF;
    rmq_uniq_next(&g, month, id);
    assert_string_equal(id + 28, "0000");
}

static void uniq_key_local_is_hex(void **state)
{
    struct rmq_uniq_gen g;
    rmq_uniq_init_local(&g);
    char a[RMQ_UNIQ_LEN + 1], b[RMQ_UNIQ_LEN + 1];
    rmq_uniq_next(&g, 1795600000000, a);
    rmq_uniq_next(&g, 1795600000000, b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789ABCDEF"), 32);
    assert_memory_equal(a, b, 28);   /* same process, same millisecond */
    assert_string_not_equal(a, b);   /* different counter */
}

/* ---- properties (PROTOCOL §4.3) -------------------------------------------------------- */

static void properties_encode_and_read_back(void **state)
{
    struct rmq_buf b = {0};
    rmq_props_add(&b, "TAGS", "TagA", 4);
    rmq_props_add(&b, "KEYS", "k1 k2", 5);
    rmq_props_add(&b, "color", "red=ish", 7);
    /* no trailing separator, as RocketMQ's writers */
    static const char want[] = "TAGS\001TagA\002KEYS\001k1 k2\002color\001red=ish";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, b.len);
    size_t vl;
    const char *v = rmq_props_get((const char *)b.data, b.len, "color", &vl);
    assert_non_null(v);
    assert_int_equal(vl, 7);
    assert_memory_equal(v, "red=ish", 7);
    rmq_buf_free(&b);
}

static void properties_checks(void **state)
{
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_props_check("color", "red", 3, true, err), 0);
    assert_int_equal(rmq_props_check("TAGS", "x", 1, true, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "reserved"));
    assert_int_equal(rmq_props_check("TAGS", "x", 1, false, err), 0);
    assert_int_equal(rmq_props_check("UNIQ_KEY", "x", 1, true, err), RMQ_EINVAL);
    assert_int_equal(rmq_props_check("", "x", 1, true, err), RMQ_EINVAL);
    assert_int_equal(rmq_props_check("a", "", 0, true, err), RMQ_EINVAL);
    assert_int_equal(rmq_props_check("a", "x\001y", 3, true, err), RMQ_EINVAL);
    assert_int_equal(rmq_props_check("a\002", "x", 1, true, err), RMQ_EINVAL);

    const char *name, *value;
    size_t nlen;
    assert_int_equal(rmq_props_split("k=v=w", &name, &nlen, &value, err), 0);
    assert_int_equal(nlen, 1);
    assert_string_equal(value, "v=w");
    assert_int_equal(rmq_props_split("=v", &name, &nlen, &value, err), RMQ_EINVAL);
    assert_int_equal(rmq_props_split("novalue", &name, &nlen, &value, err), RMQ_EINVAL);
}

/* ---- tag expressions -------------------------------------------------------------------- */

static void tag_filters(void **state)
{
    struct rmq_tag_filter f;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_tag_filter_parse(&f, "TagA || TagB", err), 0);
    assert_false(f.all);
    assert_int_equal(f.n, 2);
    assert_true(rmq_tag_filter_match(&f, "TagA", 4));
    assert_true(rmq_tag_filter_match(&f, "TagB", 4));
    assert_false(rmq_tag_filter_match(&f, "TagC", 4));
    assert_false(rmq_tag_filter_match(&f, "Tag", 3));
    assert_false(rmq_tag_filter_match(&f, NULL, 0));   /* untagged: only "*" takes it */
    rmq_tag_filter_free(&f);

    assert_int_equal(rmq_tag_filter_parse(&f, "A||B||  ||C ", err), 0);
    assert_int_equal(f.n, 3);
    assert_true(rmq_tag_filter_match(&f, "C", 1));
    rmq_tag_filter_free(&f);

    static const char *const all[] = {"*", "", " * ", "A || *"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rmq_tag_filter_parse(&f, all[i], err), 0);
        assert_true(f.all);
        assert_true(rmq_tag_filter_match(&f, NULL, 0));
        rmq_tag_filter_free(&f);
    }
    assert_int_equal(rmq_tag_filter_parse(&f, NULL, err), 0);
    assert_true(f.all);
}

/* ---- compression (PROTOCOL §4.6) ------------------------------------------------------- */

static uint8_t *text_body(size_t n)
{
    static const char *const words[] = {"alpha ", "beta ", "rocket ", "queue ", "offset "};
    uint8_t *p = malloc(n);
    unsigned x = 12345;
    for (size_t i = 0; i < n;) {
        x = x * 1103515245 + 12345;
        const char *w = words[(x >> 16) % 5];
        for (size_t j = 0; w[j] && i < n; j++)
            p[i++] = (uint8_t)w[j];
    }
    return p;
}

static void lz4_round_trip_and_frame_shape(void **state)
{
    char err[RMQ_ERRLEN];
    size_t sizes[] = {0, 1, 4097, 1 << 20, (4 << 20) + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        uint8_t *body = text_body(n ? n : 1);
        struct rmq_buf z = {0}, back = {0};
        assert_int_equal(rmq_lz4_compress(body, n, &z, err), 0);
        /* LZ4 frame: magic 184D2204 (LE); FLG 0x60 = version 01, independent blocks, no
         * checksums, no content size — what lz4-java's LZ4FrameInputStream reads */
        assert_true(z.len >= 7);
        assert_memory_equal(z.data, "\x04\x22\x4D\x18", 4);
        assert_int_equal(z.data[4], 0x60);
        assert_int_equal(z.data[5] & 0x8F, 0);
        assert_in_range(z.data[5] >> 4, 4, 7);
        if (n >= 4097)
            assert_true(z.len < n / 2);
        assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, z.data, z.len, 64 << 20, &back, err), 0);
        assert_int_equal(back.len, n);
        if (n)
            assert_memory_equal(back.data, body, n);
        /* a bomb limit below the size refuses */
        if (n > 10) {
            rmq_buf_reset(&back);
            assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, z.data, z.len, n - 1, &back, err), RMQ_ETOOBIG);
            assert_int_equal(back.len, 0);
        }
        /* truncated and trailing garbage */
        rmq_buf_reset(&back);
        assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, z.data, z.len - 1, 64 << 20, &back, err), RMQ_ECORRUPT);
        rmq_buf_add(&z, "x", 1);
        rmq_buf_reset(&back);
        assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, z.data, z.len, 64 << 20, &back, err), RMQ_ECORRUPT);
        free(body);
        rmq_buf_free(&z);
        rmq_buf_free(&back);
    }
}

static void lz4_incompressible_and_garbage(void **state)
{
    char err[RMQ_ERRLEN];
    uint8_t rnd[20000];
    unsigned x = 7;
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
    struct rmq_buf z = {0}, back = {0};
    assert_int_equal(rmq_lz4_compress(rnd, sizeof rnd, &z, err), 0);
    assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, z.data, z.len, 1 << 20, &back, err), 0);
    assert_int_equal(back.len, sizeof rnd);
    assert_memory_equal(back.data, rnd, sizeof rnd);
    rmq_buf_reset(&back);
    assert_int_equal(rmq_body_decompress(RMQ_SYSFLAG_LZ4, rnd, sizeof rnd, 1 << 20, &back, err), RMQ_ECORRUPT);
    rmq_buf_free(&z);
    rmq_buf_free(&back);
}

static void zlib_bodies_from_java_producers(void **state)
{
    char err[RMQ_ERRLEN];
    uint8_t *body = text_body(100000);
    uLongf zl = compressBound(100000);
    uint8_t *z = malloc(zl);
    assert_int_equal(compress2(z, &zl, body, 100000, 5), Z_OK);
    /* 4.x clients set only bit 0; 5.x Java sets COMPRESSED | ZLIB (3) << 8 */
    const uint32_t flags[] = {0x1, 0x301};
    for (int i = 0; i < 2; i++) {
        struct rmq_buf back = {0};
        assert_int_equal(rmq_body_decompress(flags[i], z, zl, 1 << 20, &back, err), 0);
        assert_int_equal(back.len, 100000);
        assert_memory_equal(back.data, body, 100000);
        rmq_buf_reset(&back);
        assert_int_equal(rmq_body_decompress(flags[i], z, zl - 10, 1 << 20, &back, err), RMQ_ECORRUPT);
        rmq_buf_free(&back);
    }
    struct rmq_buf back = {0};
    assert_int_equal(rmq_body_decompress(0x1 | (2 << 8), z, zl, 1 << 20, &back, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "zstd"));
    rmq_buf_free(&back);
    free(z);
    free(body);
}

/* ---- output formats --------------------------------------------------------------------- */

static struct rmq_msg sample_msg(void)
{
    static const char props[] = "TAGS\001TagA\002KEYS\001k1\002UNIQ_KEY\001ABC";
    struct rmq_msg m = {
        .queue_id = 3, .queue_offset = 42, .phys_offset = 0x100, .born_ts = 1000, .store_ts = 2000,
        .born_host = {{127, 0, 0, 1}, 4, 4000}, .store_host = {{10, 0, 0, 2}, 4, 10911},
        .body = (const uint8_t *)"hi", .body_len = 2, .topic = "T", .topic_len = 1,
        .props = props, .props_len = sizeof props - 1,
    };
    return m;
}

static void format_directives_and_escapes(void **state)
{
    struct rmq_msg m = sample_msg();
    struct rmq_consumed c = {.m = &m, .body = (const uint8_t *)"hello", .body_len = 5, .tags = "TagA",
                             .tags_len = 4, .keys = "k1", .keys_len = 2, .msg_id = "ABC", .msg_id_len = 3};
    struct rmq_format f;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_format_parse(&f, "%t/%q/%o %i %T [%k] %b %s%%\\t%O\\0\\n", err), 0);
    struct rmq_buf out = {0};
    rmq_format_render(&out, &f, &c);
    static const char want[] = "T/3/42 ABC TagA [k1] hello 5%\t0A00000200002A9F0000000000000100\0\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, out.len);
    rmq_format_free(&f);

    /* no tag, no keys: nothing */
    c.tags = c.keys = NULL;
    rmq_buf_reset(&out);
    assert_int_equal(rmq_format_parse(&f, "<%T><%k>", err), 0);
    rmq_format_render(&out, &f, &c);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data, "<><>", 4);
    rmq_format_free(&f);

    assert_int_equal(rmq_format_parse(&f, "%x", err), RMQ_EINVAL);
    assert_non_null(strstr(err, "%x"));
    assert_int_equal(rmq_format_parse(&f, "abc%", err), RMQ_EINVAL);
    assert_int_equal(rmq_format_parse(&f, "\\q", err), RMQ_EINVAL);
    rmq_buf_free(&out);
}

static void json_output(void **state)
{
    struct rmq_buf out = {0};
    rmq_json_string(&out, "a\"b\\c\n\x01\xC3\xA9\xFF\xED\xA0\x80z", 14);
    static const char want[] = "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\\ufffd\\ufffd\\ufffd\\ufffdz\"";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, out.len);

    struct rmq_msg m = sample_msg();
    struct rmq_consumed c = {.m = &m, .body = (const uint8_t *)"hello", .body_len = 5, .tags = "TagA",
                             .tags_len = 4, .keys = "k1", .keys_len = 2, .msg_id = "ABC", .msg_id_len = 3};
    rmq_buf_reset(&out);
    rmq_format_json(&out, &c);
    rmq_buf_add(&out, "", 1);
    assert_string_equal((char *)out.data,
                        "{\"topic\":\"T\",\"queueId\":3,\"queueOffset\":42,\"msgId\":\"ABC\","
                        "\"offsetMsgId\":\"0A00000200002A9F0000000000000100\",\"tags\":\"TagA\",\"keys\":\"k1\","
                        "\"bornTimestamp\":1000,\"storeTimestamp\":2000,\"bornHost\":\"127.0.0.1:4000\","
                        "\"storeHost\":\"10.0.0.2:10911\",\"reconsumeTimes\":0,\"sysFlag\":0,"
                        "\"properties\":{\"TAGS\":\"TagA\",\"KEYS\":\"k1\",\"UNIQ_KEY\":\"ABC\"},\"body\":\"hello\"}\n");
    rmq_buf_free(&out);
}

/* The Java quick-start shapes (PROTOCOL §11.2). */
static void java_text_forms(void **state)
{
    struct rmq_buf out = {0};
    rmq_format_sendresult(&out, "SEND_OK", "C0A8011430391B6D358600A1B2C30000", "C0A8010A00002A9F0000000000000000",
                          "TopicTest", "broker-a", 0, 0);
    rmq_buf_add(&out, "", 1);
    assert_string_equal((char *)out.data,
                        "SendResult [sendStatus=SEND_OK, msgId=C0A8011430391B6D358600A1B2C30000, "
                        "offsetMsgId=C0A8010A00002A9F0000000000000000, messageQueue=MessageQueue [topic=TopicTest, "
                        "brokerName=broker-a, queueId=0], queueOffset=0]\n");
    struct rmq_msg m = sample_msg();
    struct rmq_consumed c = {.m = &m, .body = (const uint8_t *)"Hi\xff", .body_len = 3, .msg_id = "ABC",
                             .msg_id_len = 3};
    rmq_buf_reset(&out);
    rmq_format_messageext(&out, &c, "broker-a");
    rmq_buf_add(&out, "", 1);
    char want[1024];
    snprintf(want, sizeof want,
             "MessageExt [brokerName=broker-a, queueId=3, storeSize=%u, queueOffset=42, sysFlag=0, "
             "bornTimestamp=1000, bornHost=/127.0.0.1:4000, storeTimestamp=2000, storeHost=/10.0.0.2:10911, "
             "msgId=0A00000200002A9F0000000000000100, commitLogOffset=256, bodyCRC=%d, reconsumeTimes=0, "
             "preparedTransactionOffset=0, "
             "toString()=Message{topic='T', flag=%d, properties={TAGS=TagA, KEYS=k1, UNIQ_KEY=ABC}, "
             "body=[72, 105, -1], transactionId='null'}]",
             (unsigned)m.total_size, (int)m.body_crc, (int)m.flag);
    assert_string_equal((char *)out.data, want);
    /* the quick-start consumer's line around it: the 21st delivery is thread 1 again */
    c.broker = "broker-a";
    rmq_buf_reset(&out);
    rmq_format_quickstart_receive(&out, "please_rename_unique_group_name_4", 20, &c);
    rmq_format_quickstart_receive(&out, "please_rename_unique_group_name_4", 21, &c);
    rmq_buf_add(&out, "", 1);
    char line[1200], both[2400];
    snprintf(line, sizeof line, "Receive New Messages: [%s] \n", want);
    snprintf(both, sizeof both, "ConsumeMessageThread_please_rename_unique_group_name_4_20 %s"
             "ConsumeMessageThread_please_rename_unique_group_name_4_1 %s", line, line);
    assert_string_equal((char *)out.data, both);
    rmq_buf_free(&out);
}

/* ---- the opaque peek -------------------------------------------------------------------- */

static void frame_opaque_both_forms(void **state)
{
    for (int ser = 0; ser <= 1; ser++) {
        struct rmq_cmd c;
        rmq_cmd_init_request(&c, 10, (uint8_t)ser);
        c.opaque = -123456;
        c.flag = 1;
        rmq_cmd_set_ext(&c, "topic", "T");
        struct rmq_buf b = {0};
        assert_int_equal(rmq_cmd_encode(&c, &b), 0);
        int32_t op = 0;
        bool resp = false;
        assert_int_equal(rmq_frame_opaque(b.data, b.len, &op, &resp), 0);
        assert_int_equal(op, -123456);
        assert_true(resp);
        assert_int_equal(rmq_frame_opaque(b.data, 7, &op, &resp), RMQ_EINVAL);
        if (ser == 1) /* header longer than the frame */
            assert_int_equal(rmq_frame_opaque(b.data, 20, &op, &resp), RMQ_EINVAL);
        rmq_cmd_free(&c);
        rmq_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uniq_key_java_layout),
        cmocka_unit_test(uniq_key_local_is_hex),
        cmocka_unit_test(properties_encode_and_read_back),
        cmocka_unit_test(properties_checks),
        cmocka_unit_test(tag_filters),
        cmocka_unit_test(lz4_round_trip_and_frame_shape),
        cmocka_unit_test(lz4_incompressible_and_garbage),
        cmocka_unit_test(zlib_bodies_from_java_producers),
        cmocka_unit_test(format_directives_and_escapes),
        cmocka_unit_test(json_output),
        cmocka_unit_test(java_text_forms),
        cmocka_unit_test(frame_opaque_both_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
