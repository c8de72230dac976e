/*
 * compress.c — LZ4 frames (liblz4) and zlib streams for message bodies.
 */
#include "client/compress.h"

#include "proto/msg.h"
#include "util/err.h"

#include <lz4frame.h>
#include <string.h>
#include <zlib.h>

int rmq_lz4_compress(const void *src, size_t n, struct rmq_buf *out, char *err)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    /* lz4-java's LZ4FrameOutputStream defaults: 4 MiB blocks, independent, no checksums
     * (liblz4 shrinks the block size to fit a smaller input) */
    prefs.frameInfo.blockSizeID = LZ4F_max4MB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    rmq_buf_reserve(out, bound);
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, src, n, &prefs);
    if (LZ4F_isError(r))
        return rmq_seterr(err, RMQ_EINVAL, "lz4 compression failed: %s", LZ4F_getErrorName(r));
    out->len += r;
    return 0;
}

static int lz4_decompress(const uint8_t *src, size_t n, size_t max_out, struct rmq_buf *out, char *err)
{
    LZ4F_dctx *d;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return rmq_seterr(err, RMQ_EINVAL, "lz4: cannot create a decompression context");
    size_t start = out->len, pos = 0, hint = 1;
    int rc = 0;
    while (hint != 0) {
        if (pos == n) {
            rc = rmq_seterr(err, RMQ_ECORRUPT, "lz4 frame truncated after %zu bytes", n);
            break;
        }
        size_t room = 64 * 1024;
        if (out->len - start + room > max_out)
            room = max_out - (out->len - start);
        if (room == 0) {
            rc = rmq_seterr(err, RMQ_ETOOBIG, "lz4 body decompresses to over %zu bytes", max_out);
            break;
        }
        rmq_buf_reserve(out, room);
        size_t dst_n = room, src_n = n - pos;
        hint = LZ4F_decompress(d, out->data + out->len, &dst_n, src + pos, &src_n, NULL);
        if (LZ4F_isError(hint)) {
            rc = rmq_seterr(err, RMQ_ECORRUPT, "lz4 frame does not decode: %s", LZ4F_getErrorName(hint));
            break;
        }
        out->len += dst_n;
        pos += src_n;
    }
    if (rc == 0 && pos != n)
        rc = rmq_seterr(err, RMQ_ECORRUPT, "%zu bytes after the end of the lz4 frame", n - pos);
    LZ4F_freeDecompressionContext(d);
    if (rc)
        out->len = start;
    return rc;
}

static int zlib_decompress(const uint8_t *src, size_t n, size_t max_out, struct rmq_buf *out, char *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return rmq_seterr(err, RMQ_EINVAL, "zlib: cannot initialise");
    size_t start = out->len;
    int rc = 0, zr = Z_OK;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;   /* bodies are under 4 GiB: records hold a 32-bit length */
    while (zr != Z_STREAM_END) {
        size_t room = 64 * 1024;
        if (out->len - start + room > max_out)
            room = max_out - (out->len - start);
        if (room == 0) {
            rc = rmq_seterr(err, RMQ_ETOOBIG, "zlib body decompresses to over %zu bytes", max_out);
            break;
        }
        rmq_buf_reserve(out, room);
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_in == 0) {
            rc = rmq_seterr(err, RMQ_ECORRUPT, "zlib stream truncated");
            break;
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            rc = rmq_seterr(err, RMQ_ECORRUPT, "zlib stream does not decode: %s", z.msg ? z.msg : "error");
            break;
        }
    }
    if (rc == 0 && z.avail_in != 0)
        rc = rmq_seterr(err, RMQ_ECORRUPT, "%u bytes after the end of the zlib stream", z.avail_in);
    inflateEnd(&z);
    if (rc)
        out->len = start;
    return rc;
}

int rmq_body_decompress(uint32_t sys_flag, const void *src, size_t n, size_t max_out,
                        struct rmq_buf *out, char *err)
{
    unsigned type = (sys_flag >> RMQ_SYSFLAG_COMPRESS_TYPE_SHIFT) & 7;
    switch (type) {
    case RMQ_COMPRESS_LZ4: return lz4_decompress(src, n, max_out, out, err);
    case RMQ_COMPRESS_ZLIB:
    case 3: return zlib_decompress(src, n, max_out, out, err);
    case RMQ_COMPRESS_ZSTD: return rmq_seterr(err, RMQ_EINVAL, "zstd-compressed body: not supported by rmq");
    default: return rmq_seterr(err, RMQ_EINVAL, "body compressed with unknown algorithm %u", type);
    }
}
