/*
 * msg.h — RocketMQ's stored message record (PROTOCOL §4.1), shared by the store and the
 * wire: a commitlog record is exactly what PULL_MESSAGE returns, so there is one codec.
 *
 * Layout (big-endian; IPv4 hosts shown, IPv6 hosts add 12 bytes each):
 *   0 TOTALSIZE 4 | 4 MAGIC 4 | 8 BODYCRC 4 | 12 QUEUEID 4 | 16 FLAG 4 | 20 QUEUEOFFSET 8 |
 *  28 PHYSICALOFFSET 8 | 36 SYSFLAG 4 | 40 BORNTIMESTAMP 8 | 48 BORNHOST 8 |
 *  56 STORETIMESTAMP 8 | 64 STOREHOST 8 | 72 RECONSUMETIMES 4 | 76 PREPAREDTXOFFSET 8 |
 *  84 BODYLEN 4 + body | TOPICLEN 1 + topic | PROPLEN 2 + properties
 *
 * rmq always writes magic V1 (1-byte topic length; topics are at most 127 characters) and,
 * unless told not to, ends the properties with RocketMQ 5's whole-record CRC property
 * `__CRC32#` (RMQ_MSG_CRC_PROP_LEN bytes, always the last bytes of the record): the body
 * CRC alone misses damage in the header, topic and properties.
 *
 * Format changes: this layout is RocketMQ's and is never changed by rmq. Reading a new
 * variant (e.g. magic V2) means adding a case to rmq_msg_decode() and a unit test with a
 * hand-built byte vector; writers keep writing V1.
 */
#ifndef RMQ_PROTO_MSG_H
#define RMQ_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_MAGIC_V1 0xDAA320A7u
#define RMQ_MAGIC_V2 0xDAA320ABu
#define RMQ_MAGIC_BLANK 0xCBD43194u   /* end-of-segment filler: int size + this magic */
#define RMQ_BLANK_MIN 8                /* a record needs its size + 8 bytes left in a segment */

#define RMQ_MAX_TOPIC_LEN 127
#define RMQ_MAX_PROPS_LEN 32767

/* sysFlag bits (PROTOCOL §4.5) */
#define RMQ_SYSFLAG_COMPRESSED 0x1
#define RMQ_SYSFLAG_MULTI_TAGS 0x2
#define RMQ_SYSFLAG_TX_MASK 0xC
#define RMQ_SYSFLAG_TX_PREPARED 0x4
#define RMQ_SYSFLAG_TX_COMMIT 0x8
#define RMQ_SYSFLAG_TX_ROLLBACK 0xC
#define RMQ_SYSFLAG_BORNHOST_V6 0x10
#define RMQ_SYSFLAG_STOREHOST_V6 0x20
#define RMQ_SYSFLAG_COMPRESS_TYPE_SHIFT 8
#define RMQ_COMPRESS_ZLIB 0
#define RMQ_COMPRESS_LZ4 1
#define RMQ_COMPRESS_ZSTD 2

/* Property separators (PROTOCOL §4.3) */
#define RMQ_PROP_NV_SEP '\001'
#define RMQ_PROP_SEP '\002'

/* Whole-record CRC property: [0x02 or nothing] "__CRC32#" 0x01 10 digits [0x02], always
 * exactly this many bytes at the end of the record; the CRC covers everything before it. */
#define RMQ_MSG_CRC_KEY "__CRC32#"
#define RMQ_MSG_CRC_PROP_LEN 20

struct rmq_host {
    uint8_t ip[16];
    uint8_t ip_len;   /* 4 or 16 */
    int32_t port;
};

/* What a writer supplies; the commitlog fills queue offset, physical offset, store time. */
struct rmq_msg_in {
    const char *topic;
    size_t topic_len;
    int32_t queue_id;
    int32_t flag;
    uint32_t sys_flag;   /* host v6 bits are set by the encoder from the hosts */
    int64_t born_ts;
    struct rmq_host born_host, store_host;
    int32_t reconsume_times;
    int64_t prepared_tx_offset;
    const void *body;
    size_t body_len;
    const char *props;   /* encoded properties, without the CRC property */
    size_t props_len;
    bool with_record_crc; /* append the __CRC32# property */
};

/* A decoded record: pointers into the buffer it was decoded from. */
struct rmq_msg {
    uint32_t total_size, magic, body_crc;
    int32_t queue_id, flag;
    int64_t queue_offset, phys_offset;
    uint32_t sys_flag;
    int64_t born_ts, store_ts;
    struct rmq_host born_host, store_host;
    int32_t reconsume_times;
    int64_t prepared_tx_offset;
    const uint8_t *body;
    uint32_t body_len;
    const char *topic;
    uint16_t topic_len;
    const char *props;    /* includes the __CRC32# property when present */
    uint16_t props_len;
    bool has_record_crc;
};

/* Bytes the record for `in` will take (0 when a field is over its limit: topic > 127,
 * properties > 32767, body > INT32_MAX). */
size_t rmq_msg_encoded_size(const struct rmq_msg_in *in);

/* Writes the record for `in` into dst (rmq_msg_encoded_size(in) bytes, not checked) with the
 * given queue offset, physical offset and store time; computes the body CRC and, when asked,
 * the whole-record CRC. Returns the record size. */
size_t rmq_msg_encode(uint8_t *dst, const struct rmq_msg_in *in, int64_t queue_offset,
                      int64_t phys_offset, int64_t store_ts);

/* Check levels for rmq_msg_decode. */
enum { RMQ_MSG_CHECK_NONE = 0, RMQ_MSG_CHECK_CRC = 1 };

/* Decodes the record at p (avail bytes readable). Every length is bounds-checked against
 * avail and against the record's own TOTALSIZE. With RMQ_MSG_CHECK_CRC the body CRC and
 * the whole-record CRC (when present) are verified, and NUL bytes in the topic or the
 * properties are refused (what a torn write leaves where the record CRC was lost too). Returns the record size (> 0), 0 when
 * p holds a blank end-of-segment marker (m->total_size then says how long it is), or
 * RMQ_ECORRUPT with what is wrong in err (RMQ_ERRLEN bytes, may be NULL). */
int rmq_msg_decode(const uint8_t *p, size_t avail, struct rmq_msg *m, int check, char *err);

/* --- properties (PROTOCOL §4.3) --- */

/* Finds key in encoded properties; returns a pointer to its value (not NUL-terminated) and
 * its length in *vlen, or NULL. Pieces that RocketMQ's decoder would drop are skipped. */
const char *rmq_props_get(const char *props, size_t len, const char *key, size_t *vlen);
/* One pass for several names: vals[i] (vlens[i]) gets the first value of names[i], NULL
 * when absent. */
void rmq_props_pick(const char *props, size_t len, const char *const *names, int n,
                    const char **vals, size_t *vlens);

/* Iterates over properties: *pos starts at 0; returns 1 and sets key/value spans while
 * there are pairs left, 0 at the end. */
int rmq_props_next(const char *props, size_t len, size_t *pos, const char **k, size_t *klen,
                   const char **v, size_t *vlen);

/* Offset message id (PROTOCOL §5.1): upper-case hex of store host + port + phys offset
 * into out (at least 57 bytes). Returns the length written (32 or 56). */
int rmq_msg_offset_id(char *out, const struct rmq_host *store_host, int64_t phys_offset);

/* Property keys used by the store. */
#define RMQ_PROP_KEYS "KEYS"
#define RMQ_PROP_TAGS "TAGS"
#define RMQ_PROP_UNIQ_KEY "UNIQ_KEY"
#define RMQ_PROP_DELAY "DELAY"
#define RMQ_PROP_WAIT "WAIT"
#define RMQ_PROP_REAL_TOPIC "REAL_TOPIC"
#define RMQ_PROP_REAL_QID "REAL_QID"
#define RMQ_PROP_RETRY_TOPIC "RETRY_TOPIC"
#define RMQ_PROP_ORIGIN_MESSAGE_ID "ORIGIN_MESSAGE_ID"
#define RMQ_PROP_RECONSUME_TIME "RECONSUME_TIME"
#define RMQ_PROP_MAX_RECONSUME_TIMES "MAX_RECONSUME_TIMES"

/* Where delayed messages wait, one queue per delay level (PROTOCOL §7.7). */
#define RMQ_SCHEDULE_TOPIC "SCHEDULE_TOPIC_XXXX"

/* The DELAY property as a level in 1..levels (higher levels clamped to levels, as RocketMQ
 * does), or 0 when absent, not a number or not positive. */
int rmq_msg_delay_level(const char *props, size_t len, int levels);

/* Appends name\001value to encoded properties in b, with the \002 separator when b is not
 * empty (PROTOCOL §4.3). */
struct rmq_buf;
void rmq_props_add(struct rmq_buf *b, const char *name, const char *value, size_t vlen);
/* Appends every pair of props except those named in drop[0..ndrop) (and pairs RocketMQ's
 * decoder would drop), in order, to b. */
void rmq_props_copy_except(struct rmq_buf *b, const char *props, size_t len,
                           const char *const *drop, size_t ndrop);

#endif
