/*
 * err.h — one error convention for all of core/.
 *
 * Functions return 0 (or a non-negative count) on success and a negative code on failure:
 * either -errno passed through from the OS (-ENOSPC, -EIO, …) or one of the RMQ_E* codes
 * below, which live in a reserved range far from errno values. rmq_strerror() names both.
 * Human detail (which file, which offset) goes into a caller-supplied char err[RMQ_ERRLEN].
 *
 * Codes are never renumbered: their names appear in logs and (from Step 2) on the wire.
 */
#ifndef RMQ_UTIL_ERR_H
#define RMQ_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define RMQ_ERRLEN 512

enum {
    RMQ_EBASE = -30000,
    RMQ_ECORRUPT = RMQ_EBASE,  /* stored data fails a check (magic, size, CRC)      */
    RMQ_ETOOBIG,               /* message, properties or batch over a limit         */
    RMQ_EINVAL,                /* malformed input from a caller or a file            */
    RMQ_ENOTFOUND,             /* no such message, queue, offset or key              */
    RMQ_EFULL,                 /* disk (or segment) cannot take the write safely     */
    RMQ_ECONFIG,               /* configuration refused                              */
    RMQ_ECLOSED,               /* the store or connection is shutting down           */
    RMQ_ELOCKED,               /* another process holds the store lock               */
    RMQ_ETIMEOUT,              /* a wait (flush, replication, reply) ran out of time */
    RMQ_ELAST
};

/* Stable lowercase name of an RMQ_E* code or a negative errno ("corrupt", "enospc", …). */
const char *rmq_errname(int code);
/* Human text for an RMQ_E* code or a negative errno. */
const char *rmq_strerror(int code);

/* snprintf into err (RMQ_ERRLEN bytes) when err is non-NULL; returns code, so callers can
 * write `return rmq_seterr(err, RMQ_ECORRUPT, "bad magic at %lld", off);`. */
int rmq_seterr(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
