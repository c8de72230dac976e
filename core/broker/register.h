/*
 * register.h — the broker's registration with its name servers (PROTOCOL §2.11, §3.4):
 * REGISTER_BROKER to every address of namesrvAddr at start, every registerNameServerPeriod
 * (30 s) and whenever the topic table's dataVersion moves (a topic created, updated or
 * deleted — by an admin, by auto-creation on send, by a consumer's retry topic), and
 * UNREGISTER_BROKER to all of them on a clean stop before the loop ends.
 *
 * Everything is asynchronous on the broker's loop (client/rpc.h): one rpc, i.e. one
 * persistent connection, per name server, which is also what the name server watches to
 * drop the broker at once if it dies. A registration still in flight when the next is due
 * is followed by another as soon as it completes. A name server that is down costs
 * nothing but a failed call: it is logged once when it starts failing and once when it
 * answers again, and retried at the next period.
 *
 * Every registration carries the whole topic table (Java sends only the changed topic after
 * a change; a full table is always valid), each topic's perm ANDed with brokerPermission
 * when the broker is not read-write.
 */
#ifndef RMQ_BROKER_REGISTER_H
#define RMQ_BROKER_REGISTER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmq_broker;
struct rmq_ns_link;

struct rmq_registrar {
    struct rmq_ns_link *links;   /* one per name server address */
    size_t n;
    int64_t next_ms;             /* next periodic registration */
    int64_t sent_counter;        /* topic dataVersion last sent (counter, timestamp) */
    int64_t sent_ts;
    size_t unreg_pending;        /* UNREGISTER_BROKER calls not answered yet */
    bool stopping;
    void (*stopped)(struct rmq_broker *b);   /* called once when unregistering is over */
    ev_timer unreg_timeout;      /* bounds the wait for UNREGISTER_BROKER answers */
    struct rmq_broker *b;
};

/* Parses conf->broker.namesrv_addr (none: registration is off). 0 or RMQ_EINVAL with err. */
int rmq_register_open(struct rmq_broker *b, char *err);
/* From the housekeeping timer: registers when the period passed or the topics changed. */
void rmq_register_tick(struct rmq_broker *b, int64_t now_ms);
/* Registers with every name server now. */
void rmq_register_all(struct rmq_broker *b);
/* Unregisters from every name server, then calls done(b) — at once when there are none,
 * else when all answered or after 3 s, whichever comes first. */
void rmq_register_stop(struct rmq_broker *b, void (*done)(struct rmq_broker *b));
/* Frees the connections (pending calls are dropped). */
void rmq_register_close(struct rmq_broker *b);

#endif
