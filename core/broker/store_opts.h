/*
 * store_opts.h — the broker's configuration (core/conf) turned into store options.
 * The store knows nothing of configuration files; this is the one place the two meet.
 */
#ifndef RMQ_BROKER_STORE_OPTS_H
#define RMQ_BROKER_STORE_OPTS_H

#include "conf/conf.h"
#include "store/store.h"

/* Fills o from c (c must outlive o: strings are borrowed). RMQ_EINVAL with err when
 * brokerIP1 is not an IP address. */
int rmq_store_opts_from_conf(struct rmq_store_opts *o, const struct rmq_conf *c, char *err);

#endif
