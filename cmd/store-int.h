/*
 * store-int.h — what the files of `rmq store` share: store.c (options, dispatch, stat and
 * the helpers below), store-verify.c and store-dump.c. Not for use outside cmd/store*.c;
 * the command's entry point is cmd_store() in cmd.h.
 */
#ifndef RMQ_CMD_STORE_INT_H
#define RMQ_CMD_STORE_INT_H

#include "store/checkpoint.h"
#include "store/reader.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parsed options of one subcommand (what each subcommand accepts is in store.c). */
struct sopts {
    const char *dir, *cl_dir, *topic;
    long long queue, from, count;   /* count: -1 for all */
    uint32_t index_slots;
    bool quiet, json, has_queue, has_from;
};

/* The subcommands in their own files (stat is in store.c): exit code 0 or 1. The reader
 * is open; the caller closes it. */
int store_verify(const struct sopts *o, struct rmq_reader *r);   /* store-verify.c */
int store_dump(const struct sopts *o, struct rmq_reader *r);     /* store-dump.c */

/* --- helpers, in store.c --- */

/* The name of segment seg, or "?" when there is no such segment. */
const char *store_seg_name(const struct rmq_reader *r, int seg);
/* one when n == 1, else many. */
const char *store_plural(long long n, const char *one, const char *many);
/* Reads <root>/checkpoint: 0, or a negative code with err (rmq_checkpoint_read). */
int store_read_checkpoint(const struct rmq_reader *r, struct rmq_checkpoint *cp, char *err);
/* Valid UTF-8; with printable, also no control characters but \t \n \r. */
bool store_utf8_ok(const unsigned char *p, size_t n, bool printable);
/* A JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
json_t *store_jstr(const char *s, size_t n);
/* Prints j as one compact line on stdout and releases it. */
void store_put_json(json_t *j);

#endif
