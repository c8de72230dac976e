/*
 * remoting.h — RocketMQ "remoting" commands: frames, the JSON and ROCKETMQ-binary headers,
 * and the command every daemon and client passes around (PROTOCOL §1).
 *
 * A frame on the wire (big-endian):
 *
 *   length 4 | serialize 1 + headerLength 3 | header | body
 *
 * `length` counts everything after itself (4 + headerLength + body). The header is JSON
 * (serialize 0) or ROCKETMQ binary (serialize 1) and carries code, language, version,
 * opaque, flag, an optional remark and the "extFields" string map (the request's or
 * response's named arguments). The body is opaque bytes.
 *
 * Reading: rmq_frame_peek() on the connection's read buffer says whether a whole frame is
 * there (or that the bytes can never become one: close the connection); rmq_cmd_decode()
 * turns that frame into a struct rmq_cmd whose body still points into the frame.
 * Writing: rmq_cmd_encode() appends a whole frame to a buffer; rmq_cmd_encode_header()
 * appends only the length prefix and the header, so a large body (pull results, message
 * bodies read from the store) can follow with writev() without a copy.
 *
 * Compatibility rules this module implements (PROTOCOL §1.3, §12, §14):
 *   - both header forms are read; a reply is written in the form of its request (the
 *     JSON-only clients — ali-ons, C++ — send JSON, so they get JSON);
 *   - JSON is written compact, top-level keys in alphabetical order as fastjson writes them,
 *     extFields values always strings, "extFields" always present (possibly {}), "remark"
 *     only when set;
 *   - JSON is read leniently: extFields values of any scalar type (numbers become their
 *     decimal text, booleans true/false, null means absent), numbers given as strings for
 *     the integer fields, any language name, missing or null remark/extFields, unknown keys
 *     ignored (with any content, nested up to jansson's depth limit of 2048);
 *   - every length is checked against the bytes there; nothing is read outside the frame.
 *
 * Memory: a struct rmq_cmd owns one arena (a short list of malloc'd blocks) holding its
 * extFields array, their keys and values, and a remark set through rmq_cmd_set_remark().
 * Pointers handed out by the getters stay valid until rmq_cmd_free(), even across later
 * sets (a replaced value stays in the arena). A zeroed struct rmq_cmd is a valid empty
 * command; rmq_cmd_free() returns it to that state. Allocation failure is fatal
 * (rmq_panic), as for struct rmq_buf. A struct rmq_cmd is not thread-safe and must not be
 * copied by value while it owns an arena (both copies would free it).
 */
#ifndef RMQ_PROTO_REMOTING_H
#define RMQ_PROTO_REMOTING_H

#include "proto/codes.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Serialize types (high byte of the header-length word). */
#define RMQ_SER_JSON 0
#define RMQ_SER_ROCKETMQ 1

/* flag bits (PROTOCOL §1.2, §1.5) */
#define RMQ_FLAG_RESPONSE 0x1 /* set on responses; opaque then names the request */
#define RMQ_FLAG_ONEWAY 0x2   /* request expects no response */

/* Netty's default maximum frame, counted with the 4-byte length prefix (PROTOCOL §1.1);
 * the configuration's maxFrameSize is passed to rmq_frame_peek(). */
#define RMQ_FRAME_MAX_DEFAULT (16u * 1024 * 1024)
/* The smallest frame: the length prefix and the header-length word. */
#define RMQ_FRAME_MIN 8
/* Header length is a 24-bit field. */
#define RMQ_HEADER_MAX 0xFFFFFF
/* ROCKETMQ binary header: fixed part before remark and extFields (PROTOCOL §1.4). */
#define RMQ_BINARY_HEADER_FIXED 21

/* Most extFields a decoded header may carry. Real headers have under 40 (SendMessage's 13,
 * 5.x base fields, ACL fields, C++'s extra keys); more is an attack on the decoder. */
#define RMQ_CMD_MAX_EXT 256

/* One extFields entry. key and val are NUL-terminated (the NUL not counted in klen/vlen);
 * a value from a ROCKETMQ binary header may also contain NUL bytes, vlen is its length.
 * Keys are never empty and never repeat within a command. */
struct rmq_kv {
    const char *key;
    const char *val;
    uint32_t klen, vlen;
};

struct rmq_cmd_blk;   /* private: an arena block */

struct rmq_cmd {
    int32_t code;        /* request code (codes.h RMQ_REQ_*) or response code (RMQ_RESP_*) */
    uint8_t language;    /* sender's language byte (codes.h RMQ_LANG_*); unknown names → OTHER */
    int32_t version;     /* sender's MQVersion ordinal (codes.h RMQ_MQV_*) */
    int32_t opaque;      /* request id; a response carries its request's */
    int32_t flag;        /* RMQ_FLAG_* bits; other bits are kept as sent */
    uint8_t serialize;   /* RMQ_SER_JSON or RMQ_SER_ROCKETMQ: how it came / how to send it */
    /* Free text, NUL-terminated (bytes after a NUL are not carried); NULL = none (not sent;
     * an empty remark in a ROCKETMQ header also decodes as NULL, as in Java). Either points
     * into the arena (decode, rmq_cmd_set_remark, rmq_cmd_init_response) or to memory the
     * caller keeps alive while the command is used — a string literal may be assigned. */
    const char *remark;
    /* extFields, in arrival (or insertion) order; read through the getters below or iterate
     * ext[0..next). Owned by the arena: do not assign. */
    struct rmq_kv *ext;
    uint32_t next, ext_cap;
    /* The body: on decode, points into the frame given to rmq_cmd_decode() (NULL when
     * empty) and is valid as long as that frame is; not owned, never freed here. */
    const uint8_t *body;
    size_t body_len;
    struct rmq_cmd_blk *arena_;   /* private */
};

static inline bool rmq_cmd_is_response(const struct rmq_cmd *c) { return c->flag & RMQ_FLAG_RESPONSE; }
static inline bool rmq_cmd_is_oneway(const struct rmq_cmd *c) { return c->flag & RMQ_FLAG_ONEWAY; }

/* --- Frames ------------------------------------------------------------------------------ */

/* Looks at the first `avail` bytes of a read buffer. Returns
 *   0           not enough bytes yet to know or to hold the whole frame: read more;
 *   1           a whole frame of *frame_len bytes (prefix included) starts at buf;
 *   RMQ_EINVAL  the bytes can never become a valid frame: length negative, shorter than
 *               the header-length word, frame_len over max_frame (prefix counted, so pass
 *               RMQ_FRAME_MAX_DEFAULT for Java's limit), header length past the frame, or a
 *               serialize type other than 0/1. Close the connection.
 * Checks what it can as soon as 4 (length) and 8 (header word) bytes are there, so a
 * 2 GiB length prefix is refused before anything is buffered. `err` (RMQ_ERRLEN, may be
 * NULL) says why, for logs. */
int rmq_frame_peek(const uint8_t *buf, size_t avail, size_t max_frame, size_t *frame_len);
int rmq_frame_peek_err(const uint8_t *buf, size_t avail, size_t max_frame, size_t *frame_len,
                       char *err);

/* Decodes a whole frame (len bytes from its length prefix on, as rmq_frame_peek() found
 * it) into *out, which is overwritten (free what it held first). Returns 0, or RMQ_EINVAL
 * with the reason in err (RMQ_ERRLEN, may be NULL); *out then holds nothing to free
 * (rmq_cmd_free() on it is still safe). Rejected: a length prefix that is not len − 4, a
 * header past the frame, a serialize type other than 0/1, and any header that does not
 * parse (see header_json.c and header_binary.c for the exact rules), has a field out of
 * range, or carries more than RMQ_CMD_MAX_EXT extFields. */
int rmq_cmd_decode(const uint8_t *frame, size_t len, struct rmq_cmd *out, char *err);

/* Appends the whole frame for c (prefix, header in c->serialize's form, c->body) to out.
 * Returns 0, or on failure appends nothing and returns
 *   RMQ_EINVAL  serialize type not 0/1; ROCKETMQ form with a code or version outside
 *               int16, or a key longer than 32767 bytes;
 *   RMQ_ETOOBIG header over 16 MiB − 1 (24-bit length) or frame over INT32_MAX.
 * JSON output: {"code":N,"extFields":{…},"flag":N,"language":"NAME","opaque":N,
 * ["remark":"…",]"serializeTypeCurrentRPC":"JSON","version":N} — compact; extFields in
 * insertion order; strings escaped per RFC 8259, bytes that are not valid UTF-8 written
 * as U+FFFD (what Java makes of them); a language byte without a name written as "OTHER".
 * ROCKETMQ output: PROTOCOL §1.4, entries in insertion order; an empty value is written
 * with length 0, which every reader (Java's too) takes as absent. */
int rmq_cmd_encode(const struct rmq_cmd *c, struct rmq_buf *out);

/* As rmq_cmd_encode(), but appends only the prefix and the header, with the length prefix
 * counting body_len body bytes that the caller sends next (c->body is ignored). */
int rmq_cmd_encode_header(const struct rmq_cmd *c, size_t body_len, struct rmq_buf *out);

/* --- Building commands --------------------------------------------------------------------- */

/* A request: code, serialize form, language RMQ_LANG_SELF, version RMQ_MQVERSION_SELF,
 * opaque 0 (the request client assigns it), flag 0, nothing else. *c is overwritten. */
void rmq_cmd_init_request(struct rmq_cmd *c, int code, uint8_t serialize);

/* The response to req: code, req's opaque, flag RMQ_FLAG_RESPONSE, req's serialize form,
 * language RMQ_LANG_SELF, version RMQ_MQVERSION_SELF, remark copied (NULL = none), no
 * extFields, no body. *resp is overwritten; req is not changed and may be freed after. */
void rmq_cmd_init_response(struct rmq_cmd *resp, const struct rmq_cmd *req, int code,
                           const char *remark);

/* Frees the arena (extFields, copied remark) and zeroes *c. The body is not touched. */
void rmq_cmd_free(struct rmq_cmd *c);

/* Sets the remark to a printf-formatted copy in the arena. */
void rmq_cmd_set_remark(struct rmq_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets extFields[key] = val (both copied; an existing value for key is replaced in place,
 * keeping its position). An empty key is ignored: RocketMQ's readers drop it too. */
void rmq_cmd_set_ext(struct rmq_cmd *c, const char *key, const char *val);
void rmq_cmd_set_extn(struct rmq_cmd *c, const char *key, size_t klen, const char *val, size_t vlen);
/* … the decimal text of v, as Java's String.valueOf(long) */
void rmq_cmd_set_ext_int(struct rmq_cmd *c, const char *key, int64_t v);
/* For building a command (a response, per message): adds extFields[key] = val without
 * looking for an earlier key and without copying key, which must outlive c (a literal). */
void rmq_cmd_add_ext(struct rmq_cmd *c, const char *key, const char *val, size_t vlen);
void rmq_cmd_add_ext_int(struct rmq_cmd *c, const char *key, int64_t v);
/* … "true" or "false" */
void rmq_cmd_set_ext_bool(struct rmq_cmd *c, const char *key, bool v);

/* --- Reading extFields ----------------------------------------------------------------------- */

/* The entry for key, or NULL. Keys compare byte for byte (case matters, as in Java). */
const struct rmq_kv *rmq_cmd_ext_find(const struct rmq_cmd *c, const char *key);
/* The value for key (NUL-terminated), or NULL when absent. */
const char *rmq_cmd_ext(const struct rmq_cmd *c, const char *key);

/* Parses extFields[key] as Java's Long.parseLong would (optional + or −, ASCII digits
 * only, no spaces, fits int64) and checks min ≤ v ≤ max. Returns 0 with *out set,
 * RMQ_ENOTFOUND when the key is absent (*out untouched), RMQ_EINVAL when the value is not a
 * number or out of range — err (RMQ_ERRLEN, may be NULL) then names the field, the value
 * and the range, ready for a remark. */
int rmq_cmd_ext_int(const struct rmq_cmd *c, const char *key, int64_t min, int64_t max,
                    int64_t *out, char *err);

/* extFields[key] as Java's Boolean.parseBoolean: true only for "true" in any letter case;
 * dflt when the key is absent. */
bool rmq_cmd_ext_bool(const struct rmq_cmd *c, const char *key, bool dflt);

/* Many fields at once, for hot handlers: out[i] = the entry named names[i], or NULL, in one
 * pass over the fields (a repeated name: the last wins, as above). The rmq_kv_ forms below
 * then read an entry as rmq_cmd_ext_int and rmq_cmd_ext_bool read a key (kv may be NULL;
 * key only names the field in err). */
void rmq_cmd_ext_pick(const struct rmq_cmd *c, const char *const *names, size_t n,
                      const struct rmq_kv **out);
int rmq_kv_int(const struct rmq_kv *kv, const char *key, int64_t min, int64_t max, int64_t *out,
               char *err);
bool rmq_kv_bool(const struct rmq_kv *kv, bool dflt);

/* Java's Long.parseLong on s[0..len): 0 and *out, or RMQ_EINVAL. Shared with body parsers. */
int rmq_parse_java_long(const char *s, size_t len, int64_t *out);

#endif
