/*
 * bytes.h — big-endian loads and stores (RocketMQ's wire and disk formats are big-endian)
 * and a bounds-checked reader for decoders.
 */
#ifndef RMQ_UTIL_BYTES_H
#define RMQ_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t rd16(const void *p) { uint16_t v; memcpy(&v, p, 2); return __builtin_bswap16(v); }
static inline uint32_t rd32(const void *p) { uint32_t v; memcpy(&v, p, 4); return __builtin_bswap32(v); }
static inline uint64_t rd64(const void *p) { uint64_t v; memcpy(&v, p, 8); return __builtin_bswap64(v); }
static inline void wr16(void *p, uint16_t v) { v = __builtin_bswap16(v); memcpy(p, &v, 2); }
static inline void wr32(void *p, uint32_t v) { v = __builtin_bswap32(v); memcpy(p, &v, 4); }
static inline void wr64(void *p, uint64_t v) { v = __builtin_bswap64(v); memcpy(p, &v, 8); }

/* A cursor over untrusted bytes: every take fails (returns false, sets bad) past the end. */
struct rmq_rd {
    const uint8_t *p, *end;
    bool bad;
};

static inline bool rd_need(struct rmq_rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}
static inline uint8_t rd_u8(struct rmq_rd *r) { if (!rd_need(r, 1)) return 0; return *r->p++; }
static inline uint16_t rd_u16(struct rmq_rd *r) { if (!rd_need(r, 2)) return 0; uint16_t v = rd16(r->p); r->p += 2; return v; }
static inline uint32_t rd_u32(struct rmq_rd *r) { if (!rd_need(r, 4)) return 0; uint32_t v = rd32(r->p); r->p += 4; return v; }
static inline uint64_t rd_u64(struct rmq_rd *r) { if (!rd_need(r, 8)) return 0; uint64_t v = rd64(r->p); r->p += 8; return v; }
static inline const uint8_t *rd_bytes(struct rmq_rd *r, size_t n)
{
    if (!rd_need(r, n))
        return NULL;
    const uint8_t *s = r->p;
    r->p += n;
    return s;
}

#endif
