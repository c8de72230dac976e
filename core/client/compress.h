/*
 * compress.h — message body compression as RocketMQ 5 clients mark it (PROTOCOL §4.6).
 *
 * A compressed body has sysFlag bit 0 (COMPRESSED) set and the algorithm in bits 8–10:
 * 0 or 3 zlib (what 4.x clients and Java's default write), 1 LZ4, 2 ZSTD. The broker stores
 * the body as it came; consumers undo it.
 *
 * rmq's producer writes LZ4 in the LZ4 *frame* format as lz4-java's LZ4FrameOutputStream
 * (which RocketMQ 5's Lz4Compressor uses) reads it: independent blocks — lz4-java refuses
 * linked ones — no content size, no checksums. rmq's consumer reads LZ4 frames and zlib
 * streams; ZSTD is refused with a clear error (no library for it here).
 */
#ifndef RMQ_CLIENT_COMPRESS_H
#define RMQ_CLIENT_COMPRESS_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/* sysFlag bits for an LZ4 body: COMPRESSED | LZ4 << 8 */
#define RMQ_SYSFLAG_LZ4 (0x1u | (1u << 8))
/* Java's compressMsgBodyOverHowmuch: bodies over this many bytes are compressed */
#define RMQ_COMPRESS_OVER 4096

/* Appends the LZ4 frame of src[0..n) to out. 0, or RMQ_EINVAL with err when liblz4 fails. */
int rmq_lz4_compress(const void *src, size_t n, struct rmq_buf *out, char *err);

/* Appends the decompressed form of a body stored with sys_flag (COMPRESSED set) to out,
 * refusing to produce more than max_out bytes (a bomb, or a corrupt stream). 0, or
 * RMQ_ECORRUPT (the stream does not decode, is truncated or has bytes after its end),
 * RMQ_ETOOBIG (over max_out), RMQ_EINVAL (ZSTD or an unknown algorithm), with err. */
int rmq_body_decompress(uint32_t sys_flag, const void *src, size_t n, size_t max_out,
                        struct rmq_buf *out, char *err);

#endif
