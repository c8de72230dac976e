#include "util/hash.h"

#include <libdeflate.h>

int32_t rmq_java_hash(const char *s, size_t len) { return rmq_java_hash_more(0, s, len); }

int32_t rmq_java_hash_more(int32_t h0, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    uint32_t h = (uint32_t)h0;
    while (p < end && *p < 0x80)   /* ASCII: one UTF-16 unit per byte */
        h = 31 * h + *p++;
    while (p < end) {
        uint32_t cp;
        int n;
        if (*p < 0x80) { cp = *p; n = 1; }
        else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; n = 2; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; n = 3; }
        else if ((*p & 0xF8) == 0xF0) { cp = *p & 0x07; n = 4; }
        else { cp = *p; n = 1; }
        if (end - p < n) { cp = *p; n = 1; }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) { cp = *p; n = 1; break; }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        if (cp >= 0x10000) {        /* surrogate pair */
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            h = 31 * h + (0xDC00 + (cp & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
    }
    return (int32_t)h;
}

uint32_t rmq_body_crc(const void *p, size_t n)
{
    return libdeflate_crc32(0, p, n) & 0x7FFFFFFFu;
}
