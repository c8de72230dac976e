/*
 * conf_int.h — private to core/conf/: the state behind struct rmq_conf and the helpers
 * the conf_*.c files share. Nothing outside core/conf/ includes this.
 */
#ifndef RMQ_CONF_CONF_INT_H
#define RMQ_CONF_CONF_INT_H

#include "conf/conf.h"

/* Not part of the public flags: strings where an empty value means "none" and is stored
 * as NULL (namesrvAddr, haMasterAddress, …). */
#define RMQ_CONF_OPTIONAL 0x40
/* Not public either: a ';' list, stored without blanks around items or empty items. */
#define RMQ_CONF_LIST 0x80

/* Where a key's current value came from. finish() derives only keys still at SRC_DEFAULT. */
enum conf_src { SRC_DEFAULT, SRC_FILE, SRC_CMDLINE, SRC_ENV, SRC_DERIVED };

struct rmq_conf_state {
    rmq_conf_reporter *report;  /* NULL: rmq_log                                       */
    void *report_arg;
    char *file;                 /* name of the file loaded, for finish()'s messages    */
    size_t nkeys;
    unsigned char *src;         /* [nkeys] enum conf_src                               */
    int *line;                  /* [nkeys] line in `file` when src is SRC_FILE         */
    int nerrors;                /* errors reported since the last load/finish began    */
};

/* Java's user.home: $HOME, else the password database's entry, else "/". */
const char *conf_home_dir(void);

/* Index of k in the table. */
size_t conf_key_index(const struct rmq_conf_key *k);
/* Address of k's field in c. */
void *conf_field(struct rmq_conf *c, const struct rmq_conf_key *k);
const void *conf_cfield(const struct rmq_conf *c, const struct rmq_conf_key *k);

/* Parses value for k and stores it in c. 0; or RMQ_EINVAL with why = "invalid value 'x'
 * (expected …)" (no key prefix, no location). When k has RMQ_CONF_CLAMP and value is
 * outside [min, max], stores the clamped value, returns 0 and writes the warning text
 * into why (why[0] is 0 otherwise). */
int conf_assign(struct rmq_conf *c, const struct rmq_conf_key *k, const char *value,
                char *why, size_t n);
/* Stores a string copy in a STR field without checks (derived values). 0 or -ENOMEM. */
int conf_set_str(struct rmq_conf *c, const struct rmq_conf_key *k, const char *s);
/* The "(expected …)" text for k into out. */
void conf_expected(const struct rmq_conf_key *k, char *out, size_t n);

/* Reports a message; prefix is "FILE:LINE", a name (e.g. "NAMESRV_ADDR") or NULL.
 * Errors are counted in c->st->nerrors. */
void conf_report(struct rmq_conf *c, enum rmq_conf_level level, const char *prefix,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reports at the origin of k's value ("FILE:LINE" when it came from the file). */
void conf_report_key(struct rmq_conf *c, enum rmq_conf_level level,
                     const struct rmq_conf_key *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Form checks for string keys (conf_check.c); true when value is acceptable. */
bool conf_check_addr_list(const char *v);   /* host:port;host:port or unix:/path      */
bool conf_check_addr(const char *v);        /* one host:port                          */
bool conf_check_host(const char *v);        /* IPv4, [IPv6], IPv6 or host name        */
bool conf_check_hours(const char *v);       /* deleteWhen                             */
bool conf_check_delay_levels(const char *v);/* messageDelayLevel                      */
bool conf_check_peers(const char *v);       /* dLegerPeers                            */
bool conf_check_peer_id(const char *v);     /* dLegerSelfId                           */

/* Parsers used by finish(); inputs already passed the checks above. */
uint32_t conf_parse_hours(const char *v);
int conf_parse_delay_levels(const char *v, int64_t *ms, int max);
/* True when the peer list v names id. */
bool conf_peers_have(const char *v, const char *id);

#endif
