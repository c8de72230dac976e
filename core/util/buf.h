/*
 * buf.h — a growable byte buffer (for building JSON, records, output lines).
 * Allocation failure is fatal (rmq_panic): these buffers are small and bounded by callers.
 */
#ifndef RMQ_UTIL_BUF_H
#define RMQ_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rmq_buf {
    uint8_t *data;
    size_t len, cap;
};

void rmq_buf_reserve(struct rmq_buf *b, size_t extra);
void rmq_buf_add(struct rmq_buf *b, const void *p, size_t n);
void rmq_buf_addstr(struct rmq_buf *b, const char *s);
void rmq_buf_printf(struct rmq_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rmq_buf_free(struct rmq_buf *b);
static inline void rmq_buf_reset(struct rmq_buf *b) { b->len = 0; }

#endif
