#include "proto/codes.h"

#include <stddef.h>
#include <string.h>

/* The switches below are generated from the tables; the compiler turns them into jump
 * tables or binary searches, and warns (-Werror) if a row repeats a number. */

const char *rmq_request_name(int code)
{
    switch (code) {
#define X(c, name, who) case c: return #name;
    RMQ_REQUEST_CODES(X)
#undef X
    }
    return NULL;
}

int rmq_request_served_by(int code)
{
    switch (code) {
#define X(c, name, who) case c: return who;
    RMQ_REQUEST_CODES(X)
#undef X
    }
    return 0;
}

int rmq_request_code(const char *name)
{
#define X(c, n, who) if (strcmp(name, #n) == 0) return c;
    RMQ_REQUEST_CODES(X)
#undef X
    return -1;
}

const char *rmq_response_name(int code)
{
    switch (code) {
#define X(c, name) case c: return #name;
#define R(c, name, compat) case c: return #name;
    RMQ_RESPONSE_CODES(X, R)
#undef X
#undef R
    }
    return NULL;
}

int rmq_response_compat(int code)
{
    switch (code) {
#define X(c, name)
#define R(c, name, compat) case c: return RMQ_RESP_##compat;
    RMQ_RESPONSE_CODES(X, R)
#undef X
#undef R
    }
    return code;
}

int rmq_response_is_rmq(int code)
{
    switch (code) {
#define X(c, name)
#define R(c, name, compat) case c: return 1;
    RMQ_RESPONSE_CODES(X, R)
#undef X
#undef R
    }
    return 0;
}

const char *rmq_lang_name(int code)
{
    switch (code) {
#define X(c, name) case c: return #name;
    RMQ_LANGUAGES(X)
#undef X
    }
    return NULL;
}

int rmq_lang_code(const char *name, size_t len)
{
#define X(c, n) if (len == sizeof #n - 1 && memcmp(name, #n, len) == 0) return c;
    RMQ_LANGUAGES(X)
#undef X
    return -1;
}
