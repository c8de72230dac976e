#include "util/buf.h"

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rmq_buf_reserve(struct rmq_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        rmq_panic("out of memory growing a buffer to %zu bytes", cap);
    b->data = d;
    b->cap = cap;
}

void rmq_buf_add(struct rmq_buf *b, const void *p, size_t n)
{
    rmq_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;   /* always NUL-terminated, so text users can print it */
}

void rmq_buf_addstr(struct rmq_buf *b, const char *s) { rmq_buf_add(b, s, strlen(s)); }

void rmq_buf_printf(struct rmq_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    rmq_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rmq_buf_free(struct rmq_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
