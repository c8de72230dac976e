/* Record codec (PROTOCOL §4.1) against hand-built bytes, properties, ids, Java hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/msg.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* The record for topic "T", body "hi", properties "TAGS\1A", queue 3, flag 7, queue
 * offset 5, physical offset 0x100, born 127.0.0.1:4000 at 1000 ms, stored at
 * 10.0.0.2:10911 at 2000 ms, written out field by field from the PROTOCOL §4.1 table. */
static const uint8_t vector[] = {
    0x00, 0x00, 0x00, 0x64,             /*  0 TOTALSIZE = 91 + 2 + 1 + 6 = 100 */
    0xDA, 0xA3, 0x20, 0xA7,             /*  4 MAGIC V1 */
    0x00, 0x00, 0x00, 0x00,             /*  8 BODYCRC (filled in by the test) */
    0x00, 0x00, 0x00, 0x03,             /* 12 QUEUEID */
    0x00, 0x00, 0x00, 0x07,             /* 16 FLAG */
    0, 0, 0, 0, 0, 0, 0, 5,             /* 20 QUEUEOFFSET */
    0, 0, 0, 0, 0, 0, 1, 0,             /* 28 PHYSICALOFFSET */
    0x00, 0x00, 0x00, 0x00,             /* 36 SYSFLAG */
    0, 0, 0, 0, 0, 0, 0x03, 0xE8,       /* 40 BORNTIMESTAMP 1000 */
    127, 0, 0, 1, 0, 0, 0x0F, 0xA0,     /* 48 BORNHOST 127.0.0.1:4000 */
    0, 0, 0, 0, 0, 0, 0x07, 0xD0,       /* 56 STORETIMESTAMP 2000 */
    10, 0, 0, 2, 0, 0, 0x2A, 0x9F,      /* 64 STOREHOST 10.0.0.2:10911 */
    0, 0, 0, 0,                         /* 72 RECONSUMETIMES */
    0, 0, 0, 0, 0, 0, 0, 0,             /* 76 PREPAREDTRANSACTIONOFFSET */
    0, 0, 0, 2, 'h', 'i',               /* 84 BODYLENGTH + BODY */
    1, 'T',                             /* 90 TOPICLENGTH + TOPIC */
    0, 6, 'T', 'A', 'G', 'S', 1, 'A',   /* 92 PROPERTIESLENGTH + PROPERTIES */
};

static struct rmq_msg_in sample(void)
{
    return (struct rmq_msg_in){
        .topic = "T", .topic_len = 1, .queue_id = 3, .flag = 7, .born_ts = 1000,
        .born_host = {{127, 0, 0, 1}, 4, 4000}, .store_host = {{10, 0, 0, 2}, 4, 10911},
        .body = "hi", .body_len = 2, .props = "TAGS\001A", .props_len = 6,
    };
}

static void encode_matches_vector(void **state)
{
    uint8_t want[sizeof vector], got[256];
    memcpy(want, vector, sizeof vector);
    uint32_t crc = (uint32_t)crc32(0, (const uint8_t *)"hi", 2) & 0x7FFFFFFF;
    want[8] = crc >> 24; want[9] = crc >> 16; want[10] = crc >> 8; want[11] = crc;
    struct rmq_msg_in in = sample();
    assert_int_equal(rmq_msg_encoded_size(&in), sizeof vector);
    assert_int_equal(rmq_msg_encode(got, &in, 5, 0x100, 2000), sizeof vector);
    assert_memory_equal(got, want, sizeof vector);
}

static void decode_vector(void **state)
{
    uint8_t rec[sizeof vector];
    memcpy(rec, vector, sizeof vector);
    uint32_t crc = (uint32_t)crc32(0, (const uint8_t *)"hi", 2) & 0x7FFFFFFF;
    rec[8] = crc >> 24; rec[9] = crc >> 16; rec[10] = crc >> 8; rec[11] = crc;
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_msg_decode(rec, sizeof rec, &m, RMQ_MSG_CHECK_CRC, err), sizeof rec);
    assert_int_equal(m.queue_id, 3);
    assert_int_equal(m.flag, 7);
    assert_int_equal(m.queue_offset, 5);
    assert_int_equal(m.phys_offset, 0x100);
    assert_int_equal(m.born_ts, 1000);
    assert_int_equal(m.store_ts, 2000);
    assert_int_equal(m.born_host.port, 4000);
    assert_int_equal(m.store_host.ip[0], 10);
    assert_int_equal(m.body_len, 2);
    assert_memory_equal(m.body, "hi", 2);
    assert_int_equal(m.topic_len, 1);
    assert_false(m.has_record_crc);
    size_t n;
    const char *v = rmq_props_get(m.props, m.props_len, "TAGS", &n);
    assert_non_null(v);
    assert_int_equal(n, 1);
    assert_int_equal(v[0], 'A');
    /* a flipped body bit is caught by the body CRC */
    rec[88] ^= 1;   /* first body byte */
    assert_int_equal(rmq_msg_decode(rec, sizeof rec, &m, RMQ_MSG_CHECK_CRC, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, "body CRC"));
}

static void record_crc_catches_property_damage(void **state)
{
    uint8_t rec[256];
    struct rmq_msg_in in = sample();
    in.with_record_crc = true;
    size_t n = rmq_msg_encode(rec, &in, 5, 0x100, 2000);
    assert_int_equal(n, sizeof vector + RMQ_MSG_CRC_PROP_LEN);
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_CRC, err), (int)n);
    assert_true(m.has_record_crc);
    /* the CRC property decodes like any other: 10 digits */
    size_t vlen;
    const char *v = rmq_props_get(m.props, m.props_len, RMQ_MSG_CRC_KEY, &vlen);
    assert_non_null(v);
    assert_int_equal(vlen, 10);
    /* whole-record CRC = crc32 of everything before the property, masked */
    char digits[11];
    snprintf(digits, sizeof digits, "%010u", (uint32_t)crc32(0, rec, (uInt)(n - RMQ_MSG_CRC_PROP_LEN)) & 0x7FFFFFFF);
    assert_memory_equal(v, digits, 10);
    /* damage in the properties (the tag) is invisible to the body CRC, not to this one */
    rec[94] ^= 0x20;
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_NONE, err), (int)n);
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_CRC, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, "record CRC"));
}

static void torn_properties_are_caught_without_record_crc(void **state)
{
    uint8_t rec[256];
    struct rmq_msg_in in = sample();
    in.with_record_crc = true;
    size_t n = rmq_msg_encode(rec, &in, 5, 0x100, 2000);
    /* the write stopped after the body: properties and their CRC are zeros */
    memset(rec + 92 + 2, 0, n - 94);
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_NONE, err), (int)n);
    assert_false(m.has_record_crc);
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_CRC, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, "torn"));
}

static void decode_rejects_bad_lengths(void **state)
{
    uint8_t rec[256];
    struct rmq_msg_in in = sample();
    size_t n = rmq_msg_encode(rec, &in, 0, 0, 0);
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    /* every truncation is refused, none reads past the end (ASan checks that) */
    for (size_t cut = 0; cut < n; cut++)
        assert_true(rmq_msg_decode(rec, cut, &m, RMQ_MSG_CHECK_CRC, err) < 0);
    /* a body length running past the record */
    rec[84] = 0x7F;
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_NONE, err), RMQ_ECORRUPT);
    rec[84] = 0;
    /* total size larger than the buffer */
    rec[3] += 1;
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_NONE, err), RMQ_ECORRUPT);
    /* blank end-of-segment marker */
    uint8_t blank[8] = {0, 0, 0, 64, 0xCB, 0xD4, 0x31, 0x94};
    assert_int_equal(rmq_msg_decode(blank, 8, &m, RMQ_MSG_CHECK_CRC, err), 0);
    assert_int_equal(m.total_size, 64);
}

static void ipv6_hosts_shift_fields(void **state)
{
    uint8_t rec[256];
    struct rmq_msg_in in = sample();
    in.born_host.ip_len = 16;
    in.store_host.ip_len = 16;
    size_t n = rmq_msg_encode(rec, &in, 1, 2, 3);
    assert_int_equal(n, sizeof vector + 24);
    struct rmq_msg m;
    assert_int_equal(rmq_msg_decode(rec, n, &m, RMQ_MSG_CHECK_CRC, NULL), (int)n);
    assert_int_equal(m.sys_flag & (RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6), 0x30);
    assert_int_equal(m.store_ts, 3);
    assert_int_equal(m.store_host.port, 10911);
}

static void properties_follow_rocketmq_rules(void **state)
{
    /* empty names, empty values and pieces without a separator are dropped */
    const char p[] = "A\001x\002\001y\002B\001\002C\002D\001zz";
    size_t n;
    assert_non_null(rmq_props_get(p, sizeof p - 1, "A", &n));
    assert_null(rmq_props_get(p, sizeof p - 1, "B", &n));
    assert_null(rmq_props_get(p, sizeof p - 1, "C", &n));
    const char *v = rmq_props_get(p, sizeof p - 1, "D", &n);
    assert_non_null(v);
    assert_int_equal(n, 2);
    assert_null(rmq_props_get(p, sizeof p - 1, "", &n));    /* the empty name was dropped */
    assert_null(rmq_props_get(p, sizeof p - 1, "AB", &n));
    assert_null(rmq_props_get("AB\001v", 4, "A", &n));    /* a name, not a prefix of one */
    v = rmq_props_get("A\001\001v", 4, "A", &n);          /* the first \001 ends the name */
    assert_non_null(v);
    assert_memory_equal(v, "\001v", 2);
}

static void props_pick_finds_several_in_one_pass(void **state)
{
    /* the first value wins, dropped pieces are skipped, a name with a NUL in it or one
     * that only starts like a wanted name matches nothing */
    const char p[] = "KEYS\001k1 k2\002TAGS\001\002TAGS\001tagA\002UNIQ\000KEY\001x\002"
                     "UNIQ_KEYS\001y\002KEYS\001k3";
    static const char *const names[] = {"TAGS", "UNIQ_KEY", "KEYS"};
    const char *v[3];
    size_t n[3];
    rmq_props_pick(p, sizeof p - 1, names, 3, v, n);
    assert_non_null(v[0]);
    assert_int_equal(n[0], 4);
    assert_memory_equal(v[0], "tagA", 4);
    assert_null(v[1]);
    assert_non_null(v[2]);
    assert_int_equal(n[2], 5);
    assert_memory_equal(v[2], "k1 k2", 5);
}

static void offset_msg_id(void **state)
{
    char id[64];
    struct rmq_host h = {{192, 168, 0, 1}, 4, 10911};
    assert_int_equal(rmq_msg_offset_id(id, &h, 0), 32);
    assert_string_equal(id, "C0A8000100002A9F0000000000000000");   /* PROTOCOL §5.1 example */
}

static void java_string_hash(void **state)
{
    assert_int_equal(rmq_java_hash("TagA", 4), 2598919);
    assert_int_equal(rmq_java_hash("TagB", 4), 2598920);
    assert_int_equal(rmq_java_hash("*", 1), 42);
    assert_int_equal(rmq_java_hash("", 0), 0);
    /* "é" is one UTF-16 unit (0xE9); U+1F600 is two (surrogates D83D DE00) */
    assert_int_equal(rmq_java_hash("\xC3\xA9", 2), 0xE9);
    assert_int_equal(rmq_java_hash("\xF0\x9F\x98\x80", 4), 31 * 0xD83D + 0xDE00);
    /* wrap-around: "polygenelubricants" hashes to Integer.MIN_VALUE in Java */
    assert_int_equal(rmq_java_hash("polygenelubricants", 18), INT32_MIN);
}

/* DELAY as RocketMQ reads it: 1..levels, higher clamped, anything else "not delayed". */
static void delay_levels(void **state)
{
    struct { const char *props; int want; } cases[] = {
        {"DELAY\0013", 3}, {"TAGS\001a\002DELAY\00118", 18}, {"DELAY\00140", 18}, {"DELAY\0010", 0},
        {"DELAY\001-1", 0}, {"DELAY\001x", 0}, {"DELAY\001", 0}, {"TAGS\001a", 0},
        {"DELAY\00199999999999", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(rmq_msg_delay_level(cases[i].props, strlen(cases[i].props), 18), cases[i].want);
    assert_int_equal(rmq_msg_delay_level("DELAY\0013", 7, 0), 0);
}

static void props_copy_except_drops_named_keys(void **state)
{
    const char *in = "TAGS\001a\002DELAY\0013\002KEYS\001k1 k2\002WAIT\001true";
    const char *drop[] = {"DELAY", "WAIT"};
    struct rmq_buf b = {0};
    rmq_props_copy_except(&b, in, strlen(in), drop, 2);
    rmq_props_add(&b, "REAL_QID", "7", 1);
    assert_int_equal(b.len, strlen("TAGS\001a\002KEYS\001k1 k2\002REAL_QID\0017"));
    assert_memory_equal(b.data, "TAGS\001a\002KEYS\001k1 k2\002REAL_QID\0017", b.len);
    rmq_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_matches_vector),
        cmocka_unit_test(decode_vector),
        cmocka_unit_test(record_crc_catches_property_damage),
        cmocka_unit_test(torn_properties_are_caught_without_record_crc),
        cmocka_unit_test(decode_rejects_bad_lengths),
        cmocka_unit_test(ipv6_hosts_shift_fields),
        cmocka_unit_test(properties_follow_rocketmq_rules),
        cmocka_unit_test(offset_msg_id),
        cmocka_unit_test(java_string_hash),
        cmocka_unit_test(delay_levels),
        cmocka_unit_test(props_pick_finds_several_in_one_pass),
        cmocka_unit_test(props_copy_except_drops_named_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
