/*
 * props.h — what a client adds to messages and reads back from them: building the
 * encoded properties string (PROTOCOL §4.3) and the tag subscription expression
 * (`TagA || TagB`, PROTOCOL §2.5) with its exact, client-side match.
 *
 * Properties are written as RocketMQ's writers do: name 0x01 value, pairs joined by 0x02,
 * no trailing separator. Names and values may not contain 0x01 or 0x02 (nothing could read
 * them back), and neither may be empty (RocketMQ's decoder drops such pairs).
 */
#ifndef RMQ_CLIENT_PROPS_H
#define RMQ_CLIENT_PROPS_H

#include "proto/msg.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* rmq_props_add() (proto/msg.h) appends a pair; check user input with rmq_props_check() first. */

/* Checks a property a user asks for: name and value not empty, no 0x01/0x02 in either,
 * and, when user is true, a name that is not one of the keys RocketMQ reserves for itself
 * (KEYS, TAGS, UNIQ_KEY, WAIT, DELAY, TRAN_MSG, … — Java's MessageConst set, which
 * Message.putUserProperty refuses). 0 or RMQ_EINVAL with err. */
int rmq_props_check(const char *name, const char *value, size_t vlen, bool user, char *err);

/* "k=v" as given on a command line → name and value spans (value may contain '='). 0 or
 * RMQ_EINVAL when there is no '=' or the name is empty. */
int rmq_props_split(const char *kv, const char **name, size_t *nlen, const char **value,
                    char *err);

#define RMQ_TAG_FILTER_MAX 64

/* A parsed subscription: "*" or "" matches every message; otherwise the tags separated by
 * "||", spaces around each trimmed, empty ones dropped (Java's SubscriptionData). */
struct rmq_tag_filter {
    bool all;
    int n;
    char *tags[RMQ_TAG_FILTER_MAX];
};

/* 0, or RMQ_EINVAL for more than RMQ_TAG_FILTER_MAX tags. NULL expr means "*". */
int rmq_tag_filter_parse(struct rmq_tag_filter *f, const char *expr, char *err);
/* True when a message with this tag (NULL or len 0: no tag) passes. A message without a
 * tag passes only "*", as with Java consumers. */
bool rmq_tag_filter_match(const struct rmq_tag_filter *f, const char *tag, size_t len);
void rmq_tag_filter_free(struct rmq_tag_filter *f);

#endif
