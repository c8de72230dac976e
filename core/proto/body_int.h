/*
 * body_int.h — decoding helpers shared by the body codecs (body_route.c, body_register.c);
 * private to core/proto/. Each returns 0 or RMQ_EINVAL with err naming `what`.
 */
#ifndef RMQ_PROTO_BODY_INT_H
#define RMQ_PROTO_BODY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The root object of a fastjson body (bare integer keys allowed), or NULL with err. */
json_t *body_parse(const void *body, size_t len, const char *what, char *err);
/* A string member into out[cap]: too long or holding a NUL is an error; absent/null gives
 * "" (an error when required). */
int body_str(const json_t *v, char *out, size_t cap, bool required, const char *what, char *err);
/* Lenient int32 / bool; absent or null gives dflt. */
int body_int32(const json_t *v, int32_t dflt, int32_t *out, const char *what, char *err);
int body_bool(const json_t *v, bool dflt, bool *out, const char *what, char *err);

#endif
