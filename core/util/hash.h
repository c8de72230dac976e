/*
 * hash.h — checksums and hashes whose exact values are part of RocketMQ's formats.
 */
#ifndef RMQ_UTIL_HASH_H
#define RMQ_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Java String.hashCode() of a UTF-8 string: h = 31*h + c over its UTF-16 code units
 * (supplementary characters count as two surrogates), 32-bit wrap-around. Invalid UTF-8
 * bytes count as one unit each (Java would have replaced them; such tags do not occur). */
int32_t rmq_java_hash(const char *s, size_t len);
/* Continues a Java hash over more text: rmq_java_hash_more(rmq_java_hash(a), b) is the hash
 * of a followed by b (each a whole UTF-8 string), without joining them. */
int32_t rmq_java_hash_more(int32_t h, const char *s, size_t len);

/* RocketMQ's record body CRC: CRC-32 (IEEE, as zlib and java.util.zip) masked with
 * 0x7FFFFFFF. Computed with libdeflate, whose carry-less-multiply version runs about four
 * times faster than zlib's here (64 vs 252 ns per KiB): the CRC was a quarter of the
 * append path's time. */
uint32_t rmq_body_crc(const void *p, size_t n);

#endif
