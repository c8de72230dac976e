/*
 * conf.h — broker and name-server configuration: one table of keys, typed structs.
 *
 * Files are Java-properties files as RocketMQ reads them (broker.conf, namesrv.conf, the
 * 2m-2s-* samples): `key=value`, `key = value` or `key: value`, comments starting with `#`
 * or `!`, no section needed. They are read with inih through a small front end
 * (conf_props.c) that makes inih behave like java.util.Properties: lines are counted so
 * every message names file:line, leading blanks do not start inih continuation lines, a
 * trailing backslash joins lines, `[section]` headers are ignored, and values inih would
 * misread (longer than its 200-byte line buffer, or holding " ;" which inih takes for an
 * inline comment) are handed over unchanged. Other backslash escapes (\t, \uXXXX) are not
 * interpreted, and a line starting with ';' is a comment (inih's rule; Java would read a key).
 *
 * Every key lives in one table (conf_keys.c) of {name, alias, type, default, range, daemon,
 * struct offset, help}; parsing, defaults, `rmq config defaults` and `-p` printing all read
 * it. Key names are RocketMQ's Java property names, case-sensitive; defaults are RocketMQ's
 * (4.9.x / 5.x) unless a row says otherwise.
 *
 * Value rules, stricter than Java where Java silently does the wrong thing:
 *   - an unknown key is a warning (file:line) and is ignored, as in Java;
 *   - a bad value (not a number, out of range, not one of an enum's names, a boolean other
 *     than true/false in any case, an empty value where one is required, a malformed
 *     address list) is an error naming file:line, the key, the value and the accepted form,
 *     e.g. "broker.conf:3: brokerRole: invalid value 'MASTERX' (expected ASYNC_MASTER,
 *     SYNC_MASTER or SLAVE)"; loading goes on so that every error is reported, and the
 *     load fails;
 *   - a key given twice: the last one wins (as in Java), with a warning;
 *   - two keys Java clamps silently (diskMaxUsedSpaceRatio 10..95, registerNameServerPeriod
 *     10000..60000) are clamped the same way, with a warning.
 *
 * Life cycle (the daemon and `rmq config check` do the same):
 *
 *     struct rmq_conf c;
 *     rmq_conf_init(&c, RMQ_DAEMON_BROKER);           static defaults
 *     rmq_conf_set_reporter(&c, fn, arg);             optional: where messages go
 *     rmq_conf_load(&c, "broker.conf", err);          the file (once)
 *     rmq_conf_set(&c, "namesrvAddr", addr, err);     command-line overrides (-n)
 *     rmq_conf_finish(&c, err);                       derived values, cross-key checks
 *     ... use c.store.root_dir etc. ...
 *     rmq_conf_free(&c);
 *
 * Values that depend on others are filled by rmq_conf_finish() only when not set:
 * storePathCommitLog and friends from storePathRootDir, haListenPort = listenPort + 1,
 * brokerIP1 = first non-loopback IPv4 (else 127.0.0.1), brokerIP2 = brokerIP1, namesrvAddr
 * from the environment variable NAMESRV_ADDR, brokerName = host name, dLegerGroup =
 * brokerName, unixSocketPath (broker: <storePathRootDir>/rmq.sock; name server:
 * $HOME/namesrv/rmq-namesrv.sock), thread pool sizes from the CPU count. So precedence is
 * command line > file > environment > default, as in RocketMQ.
 *
 * Nothing here prints to stdout or exits. Messages (warnings, and every error of a load)
 * go to a reporter callback; by default they are logged through rmq_log. Functions return
 * 0, or a negative RMQ_E* / -errno code with a one-line summary in err (RMQ_ERRLEN bytes,
 * may be NULL).
 */
#ifndef RMQ_CONF_CONF_H
#define RMQ_CONF_CONF_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Which daemon a configuration is for; also the bits of rmq_conf_key.daemons. */
enum rmq_daemon {
    RMQ_DAEMON_BROKER = 1,
    RMQ_DAEMON_NAMESRV = 2,
};

/* brokerRole. The numbers are the Java enum ordinals (never reorder). */
enum rmq_broker_role {
    RMQ_ROLE_ASYNC_MASTER = 0,  /* acknowledge once written locally                      */
    RMQ_ROLE_SYNC_MASTER = 1,   /* acknowledge once a slave has it too                   */
    RMQ_ROLE_SLAVE = 2,         /* replicate from the master; refuse sends               */
};

/* flushDiskType (Java ordinals). */
enum rmq_flush_disk_type {
    RMQ_FLUSH_ASYNC = 0,        /* ASYNC_FLUSH: ack from the page cache; a flush thread
                                 * writes back every flushIntervalCommitLog ms. Survives
                                 * a daemon crash, not a power cut.                       */
    RMQ_FLUSH_SYNC = 1,         /* SYNC_FLUSH: ack after fdatasync (group commit).       */
};

/* Most delay levels messageDelayLevel may list (RocketMQ ships 18). */
#define RMQ_CONF_MAX_DELAY_LEVELS 64

/* Longest Unix socket path (sun_path is 108 bytes with the NUL). */
#define RMQ_CONF_MAX_SOCKET_PATH 107

/* BrokerConfig: who the broker is, where it registers, what it allows. */
struct rmq_conf_broker {
    char *cluster_name;             /* brokerClusterName, "DefaultCluster"               */
    char *name;                     /* brokerName; default: host name                    */
    int64_t id;                     /* brokerId: 0 master, >0 slave, -1 in DLedger mode  */
    char *namesrv_addr;             /* namesrvAddr: "host:port;host:port" or "unix:/p";
                                     * NULL when none (default: env NAMESRV_ADDR)        */
    char *ip1;                      /* brokerIP1: address advertised to clients          */
    char *ip2;                      /* brokerIP2: address slaves connect to for HA       */
    bool auto_create_topic;         /* autoCreateTopicEnable                             */
    bool auto_create_group;         /* autoCreateSubscriptionGroup                       */
    int default_topic_queue_nums;   /* defaultTopicQueueNums (queues of TBW102)          */
    bool cluster_topic_enable;      /* clusterTopicEnable                                */
    bool broker_topic_enable;       /* brokerTopicEnable                                 */
    bool trace_topic_enable;        /* traceTopicEnable                                  */
    char *trace_topic_name;         /* msgTraceTopicName                                 */
    int permission;                 /* brokerPermission: 4 read | 2 write | 1 inherit    */
    int send_threads;               /* sendMessageThreadPoolNums; default min(cpus, 4)   */
    int pull_threads;               /* pullMessageThreadPoolNums; default 16 + 2 × cpus  */
    int register_period_ms;         /* registerNameServerPeriod, clamped 10000..60000    */
    int register_timeout_ms;        /* registerBrokerTimeoutMills                        */
    bool force_register;            /* forceRegister                                     */
    bool compressed_register;       /* compressedRegister                                */
    bool long_polling;              /* longPollingEnable                                 */
    int64_t short_polling_ms;       /* shortPollingTimeMills                             */
    bool slave_read;                /* slaveReadEnable                                   */
    bool transfer_by_heap;          /* transferMsgByHeap (no meaning in rmq)             */
    bool reject_transaction;        /* rejectTransactionMessage                          */
    int64_t transaction_timeout_ms; /* transactionTimeOut                                */
    int transaction_check_max;      /* transactionCheckMax                               */
    int64_t transaction_check_interval_ms; /* transactionCheckInterval                   */
    bool acl_enable;                /* aclEnable                                         */
    bool trace_on;                  /* traceOn (echoed to clients as TRACE_ON)           */
    char *region_id;                /* regionId (echoed as MSG_REGION)                   */
    bool controller_mode;           /* enableControllerMode                              */
    char *controller_addr;          /* controllerAddr                                    */
};

/* NettyServerConfig and rmq's own listener settings (both daemons). */
struct rmq_conf_net {
    int listen_port;                /* listenPort: 10911 broker, 9876 name server; 0 = any */
    char *unix_socket_path;         /* unixSocketPath; "" = no Unix socket               */
    int max_frame_size;             /* maxFrameSize: larger frames close the connection  */
};

/* MessageStoreConfig: the store's paths, file sizes, flushing and retention. */
struct rmq_conf_store {
    char *root_dir;                 /* storePathRootDir, "$HOME/store"                   */
    char *commitlog_dir;            /* storePathCommitLog, <root>/commitlog              */
    char *consumequeue_dir;         /* storePathConsumeQueue (rmq), <root>/consumequeue  */
    char *index_dir;                /* storePathIndex (rmq), <root>/index                */
    char *checkpoint_path;          /* storeCheckpoint (rmq), <root>/checkpoint          */
    char *abort_path;               /* abortFile (rmq), <root>/abort                     */
    int64_t commitlog_file_size;    /* mappedFileSizeCommitLog, bytes per segment        */
    int64_t cq_file_size;           /* mappedFileSizeConsumeQueue, bytes, rounded up to a
                                     * multiple of 20 (one entry) as Java does           */
    enum rmq_flush_disk_type flush_disk_type; /* flushDiskType                           */
    enum rmq_broker_role role;      /* brokerRole                                        */
    char *delete_when;              /* deleteWhen, "04" or "04;16"                       */
    uint32_t delete_hours;          /* deleteWhen parsed: bit h set = delete at hour h   */
    int file_reserved_hours;        /* fileReservedTime (hours)                          */
    int disk_max_used_ratio;        /* diskMaxUsedSpaceRatio (%), clamped 10..95         */
    int disk_clean_forcibly_ratio;  /* diskSpaceCleanForciblyRatio (%): delete unexpired  */
    int disk_warning_ratio;         /* diskSpaceWarningLevelRatio (%): refuse writes      */
    int clean_resource_interval_ms; /* cleanResourceInterval: retention check period     */
    bool index_enable;              /* messageIndexEnable                                */
    int max_hash_slot_num;          /* maxHashSlotNum (index file slots)                 */
    int max_index_num;              /* maxIndexNum (index file entries)                  */
    int max_message_size;           /* maxMessageSize (bytes of body)                    */
    int flush_interval_ms;          /* flushIntervalCommitLog                            */
    int flush_least_pages;          /* flushCommitLogLeastPages (4 KiB pages)            */
    int flush_thorough_interval_ms; /* flushCommitLogThoroughInterval                    */
    int flush_interval_cq_ms;       /* flushIntervalConsumeQueue                         */
    int flush_cq_least_pages;       /* flushConsumeQueueLeastPages                       */
    int64_t sync_flush_timeout_ms;  /* syncFlushTimeout                                  */
    char *message_delay_level;      /* messageDelayLevel, "1s 5s 10s 30s 1m …"           */
    int delay_levels;               /* number of levels parsed from it                   */
    int64_t delay_level_ms[RMQ_CONF_MAX_DELAY_LEVELS]; /* level i+1 → delay in ms        */
    bool check_crc_on_recover;      /* checkCRCOnRecover                                 */
    bool append_prop_crc;           /* enabledAppendPropCRC: write the whole-record CRC
                                     * property (rmq default true; Java's is false)      */
};

/* Replication: master/slave HA and the DLedger (Raft) commit log. */
struct rmq_conf_ha {
    int listen_port;                /* haListenPort; default listenPort + 1              */
    char *master_address;           /* haMasterAddress (slave; normally learned from the
                                     * name server); NULL when unset                     */
    int slave_timeout_ms;           /* slaveTimeout                                      */
    int heartbeat_interval_ms;      /* haSendHeartbeatInterval                           */
    int housekeeping_interval_ms;   /* haHousekeepingInterval                            */
    int transfer_batch_size;        /* haTransferBatchSize (bytes)                       */
    int64_t max_gap_not_in_sync;    /* haMaxGapNotInSync (alias haSlaveFallbehindMax)    */
    int in_sync_replicas;           /* inSyncReplicas                                    */
    int total_replicas;             /* totalReplicas                                     */
    int min_in_sync_replicas;       /* minInSyncReplicas                                 */
    bool dledger;                   /* enableDLegerCommitLog                             */
    char *dledger_group;            /* dLegerGroup; default brokerName                   */
    char *dledger_peers;            /* dLegerPeers "n0-host:port;n1-host:port"           */
    char *dledger_self_id;          /* dLegerSelfId, e.g. "n0"                           */
    char *preferred_leader_id;      /* preferredLeaderId; NULL when unset                */
    bool dledger_batch_push;        /* enableBatchPush                                   */
};

/* NamesrvConfig. */
struct rmq_conf_namesrv {
    char *kv_config_path;           /* kvConfigPath, $HOME/namesrv/kvConfig.json         */
    bool order_message_enable;      /* orderMessageEnable                                */
    int64_t scan_not_active_ms;     /* scanNotActiveBrokerInterval                       */
    bool all_topic_list;            /* enableAllTopicList                                */
    bool topic_list;                /* enableTopicList                                   */
    bool delete_topic_with_broker;  /* deleteTopicWithBrokerRegistration                 */
    bool acting_master;             /* supportActingMaster                               */
    bool controller_in_namesrv;     /* enableControllerInNamesrv                         */
    bool wait_for_service;          /* needWaitForService                                */
    int wait_seconds;               /* waitSecondsForService                             */
};

struct rmq_conf_state;              /* private: origins of values, reporter, file name   */

/* One daemon's configuration. Owns its strings; rmq_conf_free() releases them. Keys of
 * the other daemon keep their defaults and are not printed. */
struct rmq_conf {
    enum rmq_daemon daemon;
    struct rmq_conf_broker broker;
    struct rmq_conf_net net;
    struct rmq_conf_store store;
    struct rmq_conf_ha ha;
    struct rmq_conf_namesrv namesrv;
    struct rmq_conf_state *st;
};

/* ---- the key table ---------------------------------------------------------------- */

enum rmq_conf_type {
    RMQ_CONF_STR,                   /* char *; `check` (if any) validates the form       */
    RMQ_CONF_INT,                   /* int, decimal, within [min, max]                   */
    RMQ_CONF_LONG,                  /* int64_t, decimal, within [min, max]               */
    RMQ_CONF_BOOL,                  /* bool, "true" or "false" in any case               */
    RMQ_CONF_ENUM,                  /* an enum stored as int; values[i] names value i    */
};

/* Bits of rmq_conf_key.flags (the daemon bits are enum rmq_daemon). */
#define RMQ_CONF_BOTH      (RMQ_DAEMON_BROKER | RMQ_DAEMON_NAMESRV)
#define RMQ_CONF_IMPORTANT 0x04     /* printed by `-m` (Java's @ImportantField)          */
#define RMQ_CONF_NONEMPTY  0x08     /* strings: an empty value is an error               */
#define RMQ_CONF_CLAMP     0x10     /* numbers: out of [min, max] → clamp and warn       */
#define RMQ_CONF_RMQ       0x20     /* rmq's own key (Apache RocketMQ does not read it)  */

struct rmq_conf_key {
    const char *name;               /* Java property name                                */
    const char *alias;              /* older spelling also accepted, or NULL             */
    enum rmq_conf_type type;
    unsigned flags;                 /* daemons | RMQ_CONF_IMPORTANT | …                  */
    const char *def;                /* default as text ("$HOME/" prefix expanded);
                                     * NULL: unset until rmq_conf_finish derives it      */
    const char *def_namesrv;        /* the name server's default when it differs         */
    const char *def_doc;            /* how a NULL default is derived, for people         */
    long long min, max;             /* numbers: accepted range                           */
    const char *const *values;      /* enums: NULL-terminated names, index = value       */
    bool (*check)(const char *value); /* strings: form check, or NULL                    */
    const char *form;               /* accepted form, for "(expected …)" in errors       */
    size_t off;                     /* offsetof(struct rmq_conf, …)                      */
    const char *help;               /* one line                                          */
};

/* The table, in printing order; *n gets its length. */
const struct rmq_conf_key *rmq_conf_keys(size_t *n);
/* The row named name (or whose alias is name), or NULL. */
const struct rmq_conf_key *rmq_conf_find(const char *name);
/* The default a daemon gets for k as text ("$HOME" not expanded); NULL if derived. */
const char *rmq_conf_key_default(const struct rmq_conf_key *k, enum rmq_daemon d);

/* ---- life cycle ------------------------------------------------------------------- */

/* Levels passed to a reporter. */
enum rmq_conf_level { RMQ_CONF_WARNING, RMQ_CONF_ERROR };

/* Receives each message, e.g. "broker.conf:7: unknown key 'foo'" or "broker.conf:3:
 * brokerRole: invalid value 'MASTERX' (expected ASYNC_MASTER, SYNC_MASTER or SLAVE)".
 * text is valid during the call only. */
typedef void rmq_conf_reporter(void *arg, enum rmq_conf_level level, const char *text);

/* Fills c with the static defaults of daemon d. 0, or -ENOMEM (c is then freed). */
int rmq_conf_init(struct rmq_conf *c, enum rmq_daemon d);
/* Releases the strings and private state; c may be re-initialised. NULL-safe. */
void rmq_conf_free(struct rmq_conf *c);
/* Where messages go from now on (fn NULL: rmq_log). */
void rmq_conf_set_reporter(struct rmq_conf *c, rmq_conf_reporter *fn, void *arg);

/* Reads a properties file into c, reporting every warning and error.
 * 0: loaded (warnings may have been reported);
 * RMQ_ECONFIG: at least one error was reported; err = "FILE: N errors"; keys with bad
 *   values keep their previous values, so c must not be used to start a daemon;
 * -errno: the file cannot be read; err = "cannot open 'FILE': reason" (not reported). */
int rmq_conf_load(struct rmq_conf *c, const char *path, char *err);
/* The same for text already in memory; name is used in messages as the file name. */
int rmq_conf_load_string(struct rmq_conf *c, const char *name, const char *text, char *err);

/* Sets one key (name or alias) from text, as a command-line override (-n, -o k=v).
 * 0; RMQ_ENOTFOUND: unknown key, or a key of the other daemon; RMQ_EINVAL: bad value,
 * err = "brokerRole: invalid value 'X' (expected …)". A clamped value is 0 plus a report. */
int rmq_conf_set(struct rmq_conf *c, const char *key, const char *value, char *err);

/* Derives unset values (see the top of this file), applies RocketMQ's start-up rules
 * (a SLAVE needs brokerId > 0; a master's brokerId is 0; DLedger mode sets brokerId -1),
 * parses deleteWhen and messageDelayLevel, and checks keys against each other (DLedger
 * self id among the peers, ports in range, socket path length). Reports each problem.
 * 0, or RMQ_ECONFIG with err = "N errors". Call once, after load and overrides. */
int rmq_conf_finish(struct rmq_conf *c, char *err);

/* ---- reading values back ---------------------------------------------------------- */

/* Writes the value of key as text (as it would be written in a file) into out (n bytes).
 * 0, RMQ_ENOTFOUND, or RMQ_ETOOBIG when it does not fit (out is truncated). */
int rmq_conf_get(const struct rmq_conf *c, const char *key, char *out, size_t n);

/* Print flags. */
#define RMQ_CONF_PRINT_IMPORTANT 1  /* only RMQ_CONF_IMPORTANT keys (`-m`)               */

/* Writes "key=value" lines for every key of c's daemon, in table order (`mqbroker -p`).
 * 0, or -errno on a write error. */
int rmq_conf_print(const struct rmq_conf *c, FILE *out, int flags);

/* Writes the table for daemon d as a commented properties file: for each key its help,
 * its default, and a commented-out "#key=default" line (`rmq config defaults`). */
int rmq_conf_print_defaults(enum rmq_daemon d, FILE *out);

#endif
