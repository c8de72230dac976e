/*
 * remoting_int.h — internals shared by cmd.c, frame.c, header_json.c and header_binary.c
 * (and the fuzz targets, which drive the header decoders directly). Not for other modules.
 */
#ifndef RMQ_PROTO_REMOTING_INT_H
#define RMQ_PROTO_REMOTING_INT_H

#include "proto/remoting.h"

/* Makes sure the arena can hand out `n` more bytes without another malloc (one block of at
 * least n). Decoders call it once with their exact or estimated need. */
void rmq_cmd_arena_reserve(struct rmq_cmd *c, size_t n);
/* n bytes from the arena, aligned for any type. */
void *rmq_cmd_arena_alloc(struct rmq_cmd *c, size_t n);
/* A NUL-terminated copy of s[0..n) in the arena. */
char *rmq_cmd_arena_strdup(struct rmq_cmd *c, const char *s, size_t n);

/* Makes room for `cap` extFields entries in total (decoders size it once). */
void rmq_cmd_ext_reserve(struct rmq_cmd *c, uint32_t cap);
/* Appends an entry whose key is known not to be present yet and whose key and value
 * already live in the arena (NUL-terminated). The JSON decoder's path: jansson objects
 * have unique keys. */
void rmq_cmd_ext_append(struct rmq_cmd *c, const char *key, uint32_t klen, const char *val,
                        uint32_t vlen);

/* Header decoders: hdr[0..len) is the header alone; they fill code … extFields of *out,
 * which the caller has zeroed, and return 0 or RMQ_EINVAL with err set. On failure *out
 * may own an arena; the caller frees it. */
int rmq_hdr_json_decode(const uint8_t *hdr, size_t len, struct rmq_cmd *out, char *err);
int rmq_hdr_binary_decode(const uint8_t *hdr, size_t len, struct rmq_cmd *out, char *err);

/* Header encoders: append the header alone to out; return 0 or a negative code (see
 * rmq_cmd_encode); on failure they may have appended a partial header, which the caller
 * cuts off. */
int rmq_hdr_json_encode(const struct rmq_cmd *c, struct rmq_buf *out);
int rmq_hdr_binary_encode(const struct rmq_cmd *c, struct rmq_buf *out);

/* Decimal text of v into dst (at least 21 bytes); returns the length. No NUL. */
size_t rmq_fmt_i64(char *dst, int64_t v);

#endif
