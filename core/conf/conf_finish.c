/*
 * conf_finish.c — what RocketMQ's BrokerStartup/NamesrvStartup do after reading the file:
 * fill values that depend on others, apply the start-up rules, check keys against each
 * other. Each derived value is set only when the key is still at its default (not set by
 * the file, the command line or the environment).
 */
#include "conf/conf_int.h"

#include "util/fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool unset(const struct rmq_conf *c, const char *name)
{
    return c->st->src[conf_key_index(rmq_conf_find(name))] == SRC_DEFAULT;
}

static void derive_str(struct rmq_conf *c, const char *name, const char *value)
{
    const struct rmq_conf_key *k = rmq_conf_find(name);
    if (c->st->src[conf_key_index(k)] != SRC_DEFAULT)
        return;
    if (conf_set_str(c, k, value))
        conf_report(c, RMQ_CONF_ERROR, NULL, "%s: out of memory", name);
    c->st->src[conf_key_index(k)] = SRC_DERIVED;
}

static void derive_int(struct rmq_conf *c, const char *name, int value)
{
    const struct rmq_conf_key *k = rmq_conf_find(name);
    if (c->st->src[conf_key_index(k)] != SRC_DEFAULT)
        return;
    *(int *)conf_field(c, k) = value;
    c->st->src[conf_key_index(k)] = SRC_DERIVED;
}

static void derive_path(struct rmq_conf *c, const char *name, const char *dir, const char *leaf)
{
    char path[PATH_MAX];
    rmq_path_join(path, sizeof path, dir, leaf);
    derive_str(c, name, path);
}

/* brokerIP1's default: the first up, non-loopback IPv4 interface address. */
static void local_ipv4(char *out, size_t n)
{
    struct ifaddrs *ifs, *i;
    snprintf(out, n, "127.0.0.1");
    if (getifaddrs(&ifs) != 0)
        return;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
        if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
            continue;
        inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)n);
        break;
    }
    freeifaddrs(ifs);
}

static void namesrv_from_env(struct rmq_conf *c)
{
    const char *v = getenv("NAMESRV_ADDR");
    const struct rmq_conf_key *k = rmq_conf_find("namesrvAddr");
    if (!v || !*v || !unset(c, "namesrvAddr"))
        return;
    char why[RMQ_ERRLEN];
    if (conf_assign(c, k, v, why, sizeof why)) {
        conf_report(c, RMQ_CONF_ERROR, "NAMESRV_ADDR", "%s", why);
        return;
    }
    c->st->src[conf_key_index(k)] = SRC_ENV;
}

/* The report location for a rule about two keys: the one set explicitly, if any. */
static const struct rmq_conf_key *blame(const struct rmq_conf *c, const char *a, const char *b)
{
    return unset(c, a) && !unset(c, b) ? rmq_conf_find(b) : rmq_conf_find(a);
}

static void broker_id_rules(struct rmq_conf *c)
{
    struct rmq_conf_broker *b = &c->broker;
    /* BrokerStartup: a slave needs a positive id; a master's id is forced to 0 */
    if (c->store.role == RMQ_ROLE_SLAVE) {
        if (b->id <= 0)
            conf_report_key(c, RMQ_CONF_ERROR, blame(c, "brokerId", "brokerRole"),
                            "a SLAVE needs brokerId > 0 (brokerId is %lld)", (long long)b->id);
    } else if (b->id != 0) {
        conf_report_key(c, RMQ_CONF_WARNING, rmq_conf_find("brokerId"),
                        "%lld ignored: a master's brokerId is 0", (long long)b->id);
        b->id = 0;
    }
    if (c->ha.dledger)
        b->id = -1;   /* the Raft layer assigns ids (PROTOCOL §9.2) */
}

static void dledger_rules(struct rmq_conf *c)
{
    const struct rmq_conf_ha *ha = &c->ha;
    const struct rmq_conf_key *en = rmq_conf_find("enableDLegerCommitLog");
    if (!ha->dledger)
        return;
    if (c->broker.controller_mode)
        conf_report_key(c, RMQ_CONF_ERROR, en, "cannot be combined with enableControllerMode");
    if (!ha->dledger_peers)
        conf_report_key(c, RMQ_CONF_ERROR, en, "needs dLegerPeers");
    if (!ha->dledger_self_id)
        conf_report_key(c, RMQ_CONF_ERROR, en, "needs dLegerSelfId");
    if (ha->dledger_peers && ha->dledger_self_id &&
        !conf_peers_have(ha->dledger_peers, ha->dledger_self_id))
        conf_report_key(c, RMQ_CONF_ERROR, rmq_conf_find("dLegerSelfId"),
                        "'%s' is not one of the ids in dLegerPeers", ha->dledger_self_id);
}

static void finish_broker(struct rmq_conf *c)
{
    char buf[256];
    struct rmq_conf_store *s = &c->store;

    if (unset(c, "brokerName")) {
        if (gethostname(buf, sizeof buf) != 0 || !buf[0])
            snprintf(buf, sizeof buf, "DEFAULT_BROKER");
        buf[sizeof buf - 1] = 0;
        derive_str(c, "brokerName", buf);
    }
    derive_path(c, "storePathCommitLog", s->root_dir, "commitlog");
    derive_path(c, "storePathConsumeQueue", s->root_dir, "consumequeue");
    derive_path(c, "storePathIndex", s->root_dir, "index");
    derive_path(c, "storeCheckpoint", s->root_dir, "checkpoint");
    derive_path(c, "abortFile", s->root_dir, "abort");
    derive_path(c, "unixSocketPath", s->root_dir, "rmq.sock");

    int port = c->net.listen_port;
    if (unset(c, "haListenPort") && port == 65535)
        conf_report_key(c, RMQ_CONF_ERROR, rmq_conf_find("listenPort"),
                        "65535 leaves no port for haListenPort (listenPort + 1); set haListenPort");
    derive_int(c, "haListenPort", port == 0 ? 0 : port + 1);
    if (port != 0 && c->ha.listen_port == port)
        conf_report_key(c, RMQ_CONF_ERROR, rmq_conf_find("haListenPort"),
                        "%d is also listenPort", port);

    if (unset(c, "brokerIP1")) {
        local_ipv4(buf, sizeof buf);
        derive_str(c, "brokerIP1", buf);
    }
    derive_str(c, "brokerIP2", c->broker.ip1);
    namesrv_from_env(c);

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    derive_int(c, "sendMessageThreadPoolNums", cpus < 4 ? (int)cpus : 4);
    derive_int(c, "pullMessageThreadPoolNums", cpus > 500 ? 1024 : 16 + 2 * (int)cpus);
    derive_str(c, "dLegerGroup", c->broker.name);

    broker_id_rules(c);
    dledger_rules(c);

    /* MessageStoreConfig.getMappedFileSizeConsumeQueue rounds up to whole 20-byte units */
    s->cq_file_size = (s->cq_file_size + 19) / 20 * 20;
    s->delete_hours = conf_parse_hours(s->delete_when);
    s->delay_levels = conf_parse_delay_levels(s->message_delay_level, s->delay_level_ms,
                                              RMQ_CONF_MAX_DELAY_LEVELS);
    if (s->max_message_size > s->commitlog_file_size)
        conf_report_key(c, RMQ_CONF_WARNING, blame(c, "maxMessageSize", "mappedFileSizeCommitLog"),
                        "maxMessageSize %d is larger than a commit-log segment (%lld bytes): "
                        "such messages cannot be stored", s->max_message_size,
                        (long long)s->commitlog_file_size);
}

int rmq_conf_finish(struct rmq_conf *c, char *err)
{
    c->st->nerrors = 0;
    if (c->daemon == RMQ_DAEMON_BROKER) {
        finish_broker(c);
    } else {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/namesrv/rmq-namesrv.sock", conf_home_dir());
        derive_str(c, "unixSocketPath", path);
    }
    const char *sock = c->net.unix_socket_path;
    if (sock && strlen(sock) > RMQ_CONF_MAX_SOCKET_PATH)
        conf_report_key(c, RMQ_CONF_ERROR, rmq_conf_find("unixSocketPath"),
                        "'%s' is longer than a Unix socket path may be (%d bytes); "
                        "set a shorter unixSocketPath", sock, RMQ_CONF_MAX_SOCKET_PATH);
    int ne = c->st->nerrors;
    if (ne)
        return rmq_seterr(err, RMQ_ECONFIG, "%d error%s", ne, ne == 1 ? "" : "s");
    return 0;
}
