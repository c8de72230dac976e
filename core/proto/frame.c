/* Frames: the length prefix and header-length word around a header and a body. */
#include "proto/remoting_int.h"

#include "util/bytes.h"
#include "util/err.h"

#include <assert.h>
#include <string.h>

int rmq_frame_peek_err(const uint8_t *buf, size_t avail, size_t max_frame, size_t *frame_len,
                       char *err)
{
    if (avail < 4)
        return 0;
    uint32_t len = rd32(buf);
    if (len & 0x80000000u)
        return rmq_seterr(err, RMQ_EINVAL, "negative frame length %d", (int32_t)len);
    if (len < 4)
        return rmq_seterr(err, RMQ_EINVAL, "frame length %u leaves no room for the header length",
                          len);
    size_t total = (size_t)len + 4;
    if (total > max_frame)
        return rmq_seterr(err, RMQ_EINVAL, "frame of %zu bytes over the maximum of %zu", total,
                          max_frame);
    if (avail >= RMQ_FRAME_MIN) {
        /* refuse a bad header word now rather than after buffering up to max_frame bytes */
        uint32_t word = rd32(buf + 4);
        unsigned type = word >> 24;
        uint32_t hlen = word & RMQ_HEADER_MAX;
        if (type != RMQ_SER_JSON && type != RMQ_SER_ROCKETMQ)
            return rmq_seterr(err, RMQ_EINVAL, "unknown serialize type %u", type);
        if (hlen > len - 4)
            return rmq_seterr(err, RMQ_EINVAL, "header length %u past the end of a %zu-byte frame",
                              hlen, total);
    }
    if (avail < total)
        return 0;
    *frame_len = total;
    return 1;
}

int rmq_frame_peek(const uint8_t *buf, size_t avail, size_t max_frame, size_t *frame_len)
{
    return rmq_frame_peek_err(buf, avail, max_frame, frame_len, NULL);
}

int rmq_cmd_decode(const uint8_t *frame, size_t len, struct rmq_cmd *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (len < RMQ_FRAME_MIN)
        return rmq_seterr(err, RMQ_EINVAL, "frame of %zu bytes is shorter than %d", len,
                          RMQ_FRAME_MIN);
    uint32_t flen = rd32(frame);
    if ((size_t)flen + 4 != len)
        return rmq_seterr(err, RMQ_EINVAL, "frame length field says %u, frame has %zu bytes after it",
                          flen, len - 4);
    uint32_t word = rd32(frame + 4);
    unsigned type = word >> 24;
    size_t hlen = word & RMQ_HEADER_MAX;
    if (hlen > len - RMQ_FRAME_MIN)
        return rmq_seterr(err, RMQ_EINVAL, "header length %zu past the end of a %zu-byte frame",
                          hlen, len);
    int rc;
    if (type == RMQ_SER_JSON)
        rc = rmq_hdr_json_decode(frame + 8, hlen, out, err);
    else if (type == RMQ_SER_ROCKETMQ)
        rc = rmq_hdr_binary_decode(frame + 8, hlen, out, err);
    else
        rc = rmq_seterr(err, RMQ_EINVAL, "unknown serialize type %u", type);
    if (rc < 0) {
        rmq_cmd_free(out);
        return rc;
    }
    out->serialize = (uint8_t)type;
    out->body_len = len - RMQ_FRAME_MIN - hlen;
    out->body = out->body_len ? frame + RMQ_FRAME_MIN + hlen : NULL;
    return 0;
}

/* Cuts out back to `start`, keeping rmq_buf's NUL-terminated invariant. */
static int cut(struct rmq_buf *out, size_t start, int rc)
{
    out->len = start;
    if (out->data)
        out->data[start] = 0;
    return rc;
}

int rmq_cmd_encode_header(const struct rmq_cmd *c, size_t body_len, struct rmq_buf *out)
{
    if (c->serialize != RMQ_SER_JSON && c->serialize != RMQ_SER_ROCKETMQ)
        return RMQ_EINVAL;
    size_t start = out->len;
    static const uint8_t zero[RMQ_FRAME_MIN];
    rmq_buf_add(out, zero, sizeof zero);   /* prefix and header word, patched below */
    int rc = c->serialize == RMQ_SER_JSON ? rmq_hdr_json_encode(c, out)
                                          : rmq_hdr_binary_encode(c, out);
    if (rc < 0)
        return cut(out, start, rc);
    size_t hlen = out->len - start - RMQ_FRAME_MIN;
    if (hlen > RMQ_HEADER_MAX || body_len > INT32_MAX - 4 - hlen)
        return cut(out, start, RMQ_ETOOBIG);
    wr32(out->data + start, (uint32_t)(4 + hlen + body_len));
    wr32(out->data + start + 4, (uint32_t)c->serialize << 24 | (uint32_t)hlen);
    return 0;
}

int rmq_cmd_encode(const struct rmq_cmd *c, struct rmq_buf *out)
{
    assert(c->body || c->body_len == 0);
    int rc = rmq_cmd_encode_header(c, c->body_len, out);
    if (rc == 0 && c->body_len)
        rmq_buf_add(out, c->body, c->body_len);
    return rc;
}
