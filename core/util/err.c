#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
    "corrupt", "toobig", "invalid", "notfound", "full", "config", "closed", "locked", "timeout",
};
static const char *const texts[] = {
    "stored data is corrupt",
    "size over the limit",
    "invalid argument",
    "not found",
    "no space to write safely",
    "configuration refused",
    "closed",
    "store is locked by another process",
    "timed out",
};

const char *rmq_errname(int code)
{
    if (code >= RMQ_EBASE && code < RMQ_ELAST)
        return names[code - RMQ_EBASE];
    switch (-code) {
    case ENOSPC: return "enospc";
    case EIO: return "eio";
    case ENOENT: return "enoent";
    case EACCES: return "eacces";
    case ENOMEM: return "enomem";
    case EEXIST: return "eexist";
    default: return "error";
    }
}

const char *rmq_strerror(int code)
{
    if (code >= RMQ_EBASE && code < RMQ_ELAST)
        return texts[code - RMQ_EBASE];
    return strerror(code < 0 ? -code : code);
}

int rmq_seterr(char *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, RMQ_ERRLEN, fmt, ap);
        va_end(ap);
    }
    return code;
}
