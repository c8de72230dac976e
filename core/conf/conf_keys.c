/*
 * conf_keys.c — THE table of configuration keys. Adding a key: a field (with its comment)
 * in conf.h, one row here, a commented entry in etc/broker.conf or etc/namesrv.conf
 * (t/0100-config.bats checks that every key is documented there), and, if its default is
 * derived, a rule in conf_finish.c.
 *
 * Rows are in the order `-p` prints them. Defaults are Java's (PROTOCOL.md §10) unless the
 * help says otherwise; ranges are what makes sense for rmq where Java has none.
 */
#include "conf/conf_int.h"

#include <stdint.h>
#include <string.h>

#define OFF(f) offsetof(struct rmq_conf, f)
#define B RMQ_DAEMON_BROKER
#define NS RMQ_DAEMON_NAMESRV
#define IMP RMQ_CONF_IMPORTANT
#define NE RMQ_CONF_NONEMPTY
#define OPT RMQ_CONF_OPTIONAL
#define LIST RMQ_CONF_LIST
#define I32 INT32_MAX
#define I64 INT64_MAX

#define KSTR(n, fl, d, chk, frm, f, h) \
    { .name = n, .type = RMQ_CONF_STR, .flags = (fl), .def = d, .check = chk, .form = frm, \
      .off = OFF(f), .help = h }
#define KINT(n, fl, d, lo, hi, f, h) \
    { .name = n, .type = RMQ_CONF_INT, .flags = (fl), .def = d, .min = lo, .max = hi, \
      .off = OFF(f), .help = h }
#define KLONG(n, fl, d, lo, hi, f, h) \
    { .name = n, .type = RMQ_CONF_LONG, .flags = (fl), .def = d, .min = lo, .max = hi, \
      .off = OFF(f), .help = h }
#define KBOOL(n, fl, d, f, h) \
    { .name = n, .type = RMQ_CONF_BOOL, .flags = (fl), .def = d, .off = OFF(f), .help = h }
#define KENUM(n, fl, d, vals, f, h) \
    { .name = n, .type = RMQ_CONF_ENUM, .flags = (fl), .def = d, .values = vals, \
      .off = OFF(f), .help = h }

static const char *const roles[] = {"ASYNC_MASTER", "SYNC_MASTER", "SLAVE", NULL};
static const char *const flush_types[] = {"ASYNC_FLUSH", "SYNC_FLUSH", NULL};

static const char F_ADDRS[] = "host:port list separated by ';'";
static const char F_ADDR[] = "host:port";
static const char F_HOST[] = "an IP address or host name";
static const char F_NAME[] = "a non-empty value";
static const char F_PATH[] = "a non-empty path";
static const char F_HOURS[] = "hours 0-23 separated by ';', e.g. 04 or 04;16";
static const char F_DELAY[] = "durations like 1s 5m 2h 1d separated by spaces";
static const char F_PEERS[] = "id-host:port list separated by ';', e.g. n0-127.0.0.1:40911";
static const char F_ID[] = "a peer id of letters, digits and '_', e.g. n0";

static const struct rmq_conf_key keys[] = {
    /* --- who the broker is (BrokerConfig) --- */
    KSTR("brokerClusterName", B | IMP | NE, "DefaultCluster", NULL, F_NAME, broker.cluster_name,
         "cluster this broker belongs to"),
    { .name = "brokerName", .type = RMQ_CONF_STR, .flags = B | IMP | NE, .form = F_NAME,
      .def_doc = "the host name", .off = OFF(broker.name),
      .help = "broker group name: a master and its slaves share it" },
    KLONG("brokerId", B | IMP, "0", -1, I64, broker.id,
          "0 for a master, > 0 for a slave (set to -1 in DLedger mode)"),
    { .name = "namesrvAddr", .type = RMQ_CONF_STR, .flags = B | IMP | OPT | LIST,
      .check = conf_check_addr_list, .form = F_ADDRS,
      .def_doc = "environment variable NAMESRV_ADDR, else none", .off = OFF(broker.namesrv_addr),
      .help = "name servers to register with, e.g. 127.0.0.1:9876;10.0.0.2:9876" },
    { .name = "brokerIP1", .type = RMQ_CONF_STR, .flags = B | IMP | NE, .check = conf_check_host,
      .form = F_HOST, .def_doc = "first non-loopback IPv4 address, else 127.0.0.1",
      .off = OFF(broker.ip1), .help = "address advertised to clients and stored in messages" },
    { .name = "brokerIP2", .type = RMQ_CONF_STR, .flags = B | NE, .check = conf_check_host,
      .form = F_HOST, .def_doc = "brokerIP1", .off = OFF(broker.ip2),
      .help = "address slaves connect to for replication" },

    /* --- listeners (NettyServerConfig and rmq's own) --- */
    { .name = "listenPort", .type = RMQ_CONF_INT, .flags = RMQ_CONF_BOTH | IMP, .def = "10911",
      .def_namesrv = "9876", .min = 0, .max = 65535, .off = OFF(net.listen_port),
      .help = "TCP port for clients (0: any free port)" },
    { .name = "unixSocketPath", .type = RMQ_CONF_STR, .flags = RMQ_CONF_BOTH | IMP | RMQ_CONF_RMQ,
      .def_doc = "<storePathRootDir>/rmq.sock (broker), $HOME/namesrv/rmq-namesrv.sock (name server)",
      .off = OFF(net.unix_socket_path),
      .help = "Unix socket the daemon also listens on, mode 0660 (empty: none)" },
    KINT("maxFrameSize", RMQ_CONF_BOTH | RMQ_CONF_RMQ, "16777216", 4096, 1073741824,
         net.max_frame_size, "largest request frame accepted (bytes); larger ones close the connection"),

    /* --- the store (MessageStoreConfig) --- */
    KSTR("storePathRootDir", B | IMP | NE, "$HOME/store", NULL, F_PATH, store.root_dir,
         "directory holding the whole store"),
    { .name = "storePathCommitLog", .type = RMQ_CONF_STR, .flags = B | IMP | NE, .form = F_PATH,
      .def_doc = "<storePathRootDir>/commitlog", .off = OFF(store.commitlog_dir),
      .help = "directory of commit-log segments" },
    { .name = "storePathConsumeQueue", .type = RMQ_CONF_STR, .flags = B | NE | RMQ_CONF_RMQ,
      .form = F_PATH, .def_doc = "<storePathRootDir>/consumequeue",
      .off = OFF(store.consumequeue_dir),
      .help = "directory of consume queues (tutorial key; Java always uses the default)" },
    { .name = "storePathIndex", .type = RMQ_CONF_STR, .flags = B | NE | RMQ_CONF_RMQ,
      .form = F_PATH, .def_doc = "<storePathRootDir>/index", .off = OFF(store.index_dir),
      .help = "directory of index files (tutorial key; Java always uses the default)" },
    { .name = "storeCheckpoint", .type = RMQ_CONF_STR, .flags = B | NE | RMQ_CONF_RMQ,
      .form = F_PATH, .def_doc = "<storePathRootDir>/checkpoint", .off = OFF(store.checkpoint_path),
      .help = "checkpoint file (tutorial key; Java always uses the default)" },
    { .name = "abortFile", .type = RMQ_CONF_STR, .flags = B | NE | RMQ_CONF_RMQ,
      .form = F_PATH, .def_doc = "<storePathRootDir>/abort", .off = OFF(store.abort_path),
      .help = "file present while running (tutorial key; Java always uses the default)" },
    { .name = "mappedFileSizeCommitLog", .alias = "mapedFileSizeCommitLog", .type = RMQ_CONF_LONG,
      .flags = B, .def = "1073741824", .min = 4096, .max = I32,
      .off = OFF(store.commitlog_file_size), .help = "size of one commit-log segment (bytes)" },
    { .name = "mappedFileSizeConsumeQueue", .alias = "mapedFileSizeConsumeQueue",
      .type = RMQ_CONF_LONG, .flags = B, .def = "6000000", .min = 20, .max = I32,
      .off = OFF(store.cq_file_size),
      .help = "size of one consume-queue file (bytes, rounded up to 20-byte entries)" },
    KENUM("brokerRole", B | IMP, "ASYNC_MASTER", roles, store.role,
          "ASYNC_MASTER, SYNC_MASTER (ack after a slave has it) or SLAVE"),
    KENUM("flushDiskType", B | IMP, "ASYNC_FLUSH", flush_types, store.flush_disk_type,
          "ASYNC_FLUSH (ack from page cache) or SYNC_FLUSH (ack after fdatasync)"),
    KINT("flushIntervalCommitLog", B, "500", 1, I32, store.flush_interval_ms,
         "ASYNC_FLUSH: write back the commit log every this many ms"),
    KINT("flushCommitLogLeastPages", B, "4", 0, I32, store.flush_least_pages,
         "ASYNC_FLUSH: write back only when this many 4 KiB pages are dirty"),
    KINT("flushCommitLogThoroughInterval", B, "10000", 0, I32, store.flush_thorough_interval_ms,
         "ASYNC_FLUSH: write back regardless of page count at least every this many ms"),
    KINT("flushIntervalConsumeQueue", B, "1000", 1, I32, store.flush_interval_cq_ms,
         "write back consume queues every this many ms"),
    KINT("flushConsumeQueueLeastPages", B, "2", 0, I32, store.flush_cq_least_pages,
         "write back consume queues only when this many pages are dirty"),
    KLONG("syncFlushTimeout", B, "5000", 1, I64, store.sync_flush_timeout_ms,
          "SYNC_FLUSH: fail a send not flushed within this many ms"),
    KINT("maxMessageSize", B, "4194304", 1, I32, store.max_message_size,
         "largest message body accepted (bytes)"),
    KSTR("deleteWhen", B | IMP | NE | LIST, "04", conf_check_hours, F_HOURS, store.delete_when,
         "hour(s) of the day when expired segments are deleted"),
    KINT("fileReservedTime", B | IMP, "72", 0, I32, store.file_reserved_hours,
         "keep segments this many hours after their last write"),
    KINT("diskMaxUsedSpaceRatio", B | RMQ_CONF_CLAMP, "75", 10, 95, store.disk_max_used_ratio,
         "above this disk usage (%) expired segments are deleted at any hour"),
    KINT("diskSpaceCleanForciblyRatio", B, "85", 10, 99, store.disk_clean_forcibly_ratio,
         "above this disk usage (%) even unexpired segments are deleted, oldest first"),
    KINT("diskSpaceWarningLevelRatio", B, "90", 10, 99, store.disk_warning_ratio,
         "above this disk usage (%) sends are refused with a disk-full error until space returns"),
    KINT("cleanResourceInterval", B, "10000", 1000, I32, store.clean_resource_interval_ms,
         "how often (ms) retention and disk usage are checked"),
    KBOOL("messageIndexEnable", B, "true", store.index_enable,
          "index message keys and ids (rmq store dump, query by key)"),
    KINT("maxHashSlotNum", B, "5000000", 1, 100000000, store.max_hash_slot_num,
         "hash slots per index file"),
    KINT("maxIndexNum", B, "20000000", 2, 100000000, store.max_index_num,
         "entries per index file"),
    KSTR("messageDelayLevel", B | NE, "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
         conf_check_delay_levels, F_DELAY, store.message_delay_level,
         "delay of each delay level, level 1 first"),
    KBOOL("checkCRCOnRecover", B, "true", store.check_crc_on_recover,
          "check record CRCs when recovering the commit log at start-up"),
    KBOOL("enabledAppendPropCRC", B, "true", store.append_prop_crc,
          "store a whole-record CRC property (rmq default true; RocketMQ's is false)"),

    /* --- replication (MessageStoreConfig) --- */
    { .name = "haListenPort", .type = RMQ_CONF_INT, .flags = B | IMP, .min = 0, .max = 65535,
      .def_doc = "listenPort + 1", .off = OFF(ha.listen_port),
      .help = "TCP port slaves replicate from" },
    { .name = "haMasterAddress", .type = RMQ_CONF_STR, .flags = B | OPT, .check = conf_check_addr,
      .form = F_ADDR, .def_doc = "none: learned from the name server",
      .off = OFF(ha.master_address), .help = "slave: master's HA address" },
    KINT("slaveTimeout", B, "3000", 1, I32, ha.slave_timeout_ms,
         "SYNC_MASTER: fail a send no slave confirmed within this many ms"),
    KINT("haSendHeartbeatInterval", B, "5000", 1, I32, ha.heartbeat_interval_ms,
         "slave: report its offset at least every this many ms"),
    KINT("haHousekeepingInterval", B, "20000", 1, I32, ha.housekeeping_interval_ms,
         "drop a replication connection silent for this many ms"),
    KINT("haTransferBatchSize", B, "32768", 1, I32, ha.transfer_batch_size,
         "bytes sent to a slave per transfer"),
    { .name = "haMaxGapNotInSync", .alias = "haSlaveFallbehindMax", .type = RMQ_CONF_LONG,
      .flags = B, .def = "268435456", .min = 0, .max = I64, .off = OFF(ha.max_gap_not_in_sync),
      .help = "a slave further behind than this many bytes is not in sync" },
    KINT("inSyncReplicas", B, "1", 1, 64, ha.in_sync_replicas,
         "replicas (master included) a send must reach"),
    KINT("totalReplicas", B, "1", 1, 64, ha.total_replicas, "replicas in the broker group"),
    KINT("minInSyncReplicas", B, "1", 1, 64, ha.min_in_sync_replicas,
         "fewest in-sync replicas accepting sends"),
    KBOOL("enableDLegerCommitLog", B | IMP, "false", ha.dledger,
          "replicate with Raft (DLedger) instead of master/slave"),
    { .name = "dLegerGroup", .type = RMQ_CONF_STR, .flags = B | NE, .form = F_NAME,
      .def_doc = "brokerName", .off = OFF(ha.dledger_group), .help = "Raft group name" },
    { .name = "dLegerPeers", .type = RMQ_CONF_STR, .flags = B | OPT | LIST, .check = conf_check_peers,
      .form = F_PEERS, .def_doc = "none", .off = OFF(ha.dledger_peers),
      .help = "Raft members: id-host:port;id-host:port;…" },
    { .name = "dLegerSelfId", .type = RMQ_CONF_STR, .flags = B | OPT, .check = conf_check_peer_id,
      .form = F_ID, .def_doc = "none", .off = OFF(ha.dledger_self_id),
      .help = "this node's id in dLegerPeers" },
    { .name = "preferredLeaderId", .type = RMQ_CONF_STR, .flags = B | OPT,
      .check = conf_check_peer_id, .form = F_ID, .def_doc = "none",
      .off = OFF(ha.preferred_leader_id), .help = "peer that should lead when it can" },
    KBOOL("enableBatchPush", B, "false", ha.dledger_batch_push,
          "Raft: push entries to followers in batches"),

    /* --- broker behaviour (BrokerConfig) --- */
    KBOOL("autoCreateTopicEnable", B | IMP, "true", broker.auto_create_topic,
          "create unknown topics on first send (from TBW102)"),
    KBOOL("autoCreateSubscriptionGroup", B, "true", broker.auto_create_group,
          "create unknown consumer groups on first use"),
    KINT("defaultTopicQueueNums", B, "8", 1, 65535, broker.default_topic_queue_nums,
         "queues of an auto-created topic"),
    KBOOL("clusterTopicEnable", B, "true", broker.cluster_topic_enable,
          "create a topic named after the cluster"),
    KBOOL("brokerTopicEnable", B, "true", broker.broker_topic_enable,
          "create a topic named after the broker"),
    KBOOL("traceTopicEnable", B, "false", broker.trace_topic_enable,
          "create the message-trace topic"),
    KSTR("msgTraceTopicName", B | NE, "RMQ_SYS_TRACE_TOPIC", NULL, F_NAME,
         broker.trace_topic_name, "name of the message-trace topic"),
    KINT("brokerPermission", B, "6", 0, 7, broker.permission,
         "what clients may do: 4 read + 2 write (+ 1 inherit)"),
    { .name = "sendMessageThreadPoolNums", .type = RMQ_CONF_INT, .flags = B, .min = 1,
      .max = 1024, .def_doc = "min(CPUs, 4)", .off = OFF(broker.send_threads),
      .help = "threads handling sends (accepted for compatibility)" },
    { .name = "pullMessageThreadPoolNums", .type = RMQ_CONF_INT, .flags = B, .min = 1,
      .max = 1024, .def_doc = "16 + 2 x CPUs", .off = OFF(broker.pull_threads),
      .help = "threads handling pulls (accepted for compatibility)" },
    KINT("registerNameServerPeriod", B | RMQ_CONF_CLAMP, "30000", 10000, 60000,
         broker.register_period_ms, "register with the name servers every this many ms"),
    KINT("registerBrokerTimeoutMills", B, "6000", 1, I32, broker.register_timeout_ms,
         "timeout of one registration (ms)"),
    KBOOL("forceRegister", B, "true", broker.force_register,
          "register even when the topic table did not change"),
    KBOOL("compressedRegister", B, "false", broker.compressed_register,
          "compress the registration body"),
    KBOOL("longPollingEnable", B, "true", broker.long_polling,
          "park pulls on empty queues until a message arrives"),
    KLONG("shortPollingTimeMills", B, "1000", 0, I64, broker.short_polling_ms,
          "without long polling: hold an empty pull this many ms"),
    KBOOL("slaveReadEnable", B, "false", broker.slave_read,
          "let consumers read from a slave when the master lags"),
    KBOOL("transferMsgByHeap", B, "true", broker.transfer_by_heap,
          "Java memory detail; accepted for compatibility"),
    KBOOL("rejectTransactionMessage", B, "false", broker.reject_transaction,
          "refuse transactional (half) messages"),
    KLONG("transactionTimeOut", B, "6000", 0, I64, broker.transaction_timeout_ms,
          "check a half message's state after this many ms"),
    KINT("transactionCheckMax", B, "15", 0, I32, broker.transaction_check_max,
         "give up on a half message after this many checks"),
    KLONG("transactionCheckInterval", B, "60000", 1, I64, broker.transaction_check_interval_ms,
          "look for half messages to check every this many ms"),
    KBOOL("aclEnable", B, "false", broker.acl_enable, "check access keys of requests"),
    KBOOL("traceOn", B, "true", broker.trace_on, "tell clients that tracing is allowed"),
    KSTR("regionId", B | NE, "DefaultRegion", NULL, F_NAME, broker.region_id,
         "region name echoed to clients"),
    KBOOL("enableControllerMode", B, "false", broker.controller_mode,
          "elect masters with a controller (not with DLedger)"),
    { .name = "controllerAddr", .type = RMQ_CONF_STR, .flags = B | OPT | LIST,
      .check = conf_check_addr_list, .form = F_ADDRS, .def_doc = "none",
      .off = OFF(broker.controller_addr), .help = "controllers, host:port;host:port" },

    /* --- name server (NamesrvConfig) --- */
    KSTR("kvConfigPath", NS | IMP | NE, "$HOME/namesrv/kvConfig.json", NULL, F_PATH,
         namesrv.kv_config_path, "file of the name server's key/value settings"),
    KBOOL("orderMessageEnable", NS, "false", namesrv.order_message_enable,
          "return ordered-topic settings with routes"),
    KLONG("scanNotActiveBrokerInterval", NS, "5000", 1, I64, namesrv.scan_not_active_ms,
          "look for brokers that stopped registering every this many ms"),
    KBOOL("enableAllTopicList", NS, "true", namesrv.all_topic_list,
          "answer requests for the list of all topics"),
    KBOOL("enableTopicList", NS, "true", namesrv.topic_list,
          "answer requests for topic lists by cluster"),
    KBOOL("deleteTopicWithBrokerRegistration", NS, "false", namesrv.delete_topic_with_broker,
          "drop topics a broker no longer registers"),
    KBOOL("supportActingMaster", NS, "false", namesrv.acting_master,
          "let a slave act as master while the master is down"),
    KBOOL("enableControllerInNamesrv", NS, "false", namesrv.controller_in_namesrv,
          "run the controller inside the name server"),
    KBOOL("needWaitForService", NS, "false", namesrv.wait_for_service,
          "refuse route requests for waitSecondsForService after start"),
    KINT("waitSecondsForService", NS, "45", 0, I32, namesrv.wait_seconds,
         "seconds to wait when needWaitForService is true"),
};

const struct rmq_conf_key *rmq_conf_keys(size_t *n)
{
    *n = sizeof keys / sizeof keys[0];
    return keys;
}

size_t conf_key_index(const struct rmq_conf_key *k)
{
    return (size_t)(k - keys);
}

const struct rmq_conf_key *rmq_conf_find(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].name, name) == 0 || (keys[i].alias && strcmp(keys[i].alias, name) == 0))
            return &keys[i];
    return NULL;
}

const char *rmq_conf_key_default(const struct rmq_conf_key *k, enum rmq_daemon d)
{
    return d == RMQ_DAEMON_NAMESRV && k->def_namesrv ? k->def_namesrv : k->def;
}
