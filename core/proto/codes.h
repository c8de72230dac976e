/*
 * codes.h — the numbers of the RocketMQ remoting protocol (PROTOCOL §1.7, §1.8, §2.1, §2.2):
 * request codes, response codes, language codes and MQVersion ordinals, each kept in ONE
 * X-macro table from which the enums and the number → name lookups are generated.
 *
 * Rules for these tables:
 *   - Codes are never renumbered and never reused. RocketMQ's numbers are RocketMQ's; a row
 *     is added when a new RocketMQ release adds a code, never edited.
 *   - rmq's own codes live in 7000–7999, a range no RocketMQ release uses (checked against
 *     4.9.8 and 5.3.x: requests use ≤ 3010 and 200050–200151, responses −1006…−1000, 0–4,
 *     10–29, 200–215, 501, 604, 1500, 2000–2016, 3001–3002). They stay below 32768 so that
 *     they fit the ROCKETMQ binary header's 16-bit code and the Go client's int16.
 *   - A name is the Java constant's name, so logs read like RocketMQ's.
 *
 * Adding a code: one row in the table below (number, NAME, who serves it / what it refines),
 * a handler row in the daemon's own table if rmq answers it, and nothing else: the enum and
 * the name lookup follow from the row.
 */
#ifndef RMQ_PROTO_CODES_H
#define RMQ_PROTO_CODES_H

#include <stddef.h>
#include <stdint.h>

/* Who receives a request code (third column of RMQ_REQUEST_CODES): a bit set, so that a
 * daemon can list what it could answer and a log can say "this is a name-server request". */
#define RMQ_AT_BROKER 0x1     /* a broker (from clients, admin tools or other brokers) */
#define RMQ_AT_NAMESRV 0x2    /* a name server */
#define RMQ_AT_CLIENT 0x4     /* a producer/consumer, sent by a broker over the client's link */
#define RMQ_AT_CONTROLLER 0x8 /* a 5.x controller (not implemented by rmq) */

/* X(code, NAME, served-by): request codes, R5 RequestCode.java (same numbers in 4.9.8 for the
 * codes that exist there). Sorted by number. */
#define RMQ_REQUEST_CODES(X)                                                   \
    X(10, SEND_MESSAGE, RMQ_AT_BROKER)                                         \
    X(11, PULL_MESSAGE, RMQ_AT_BROKER)                                         \
    X(12, QUERY_MESSAGE, RMQ_AT_BROKER)                                        \
    X(13, QUERY_BROKER_OFFSET, RMQ_AT_BROKER)                                  \
    X(14, QUERY_CONSUMER_OFFSET, RMQ_AT_BROKER)                                \
    X(15, UPDATE_CONSUMER_OFFSET, RMQ_AT_BROKER)                               \
    X(17, UPDATE_AND_CREATE_TOPIC, RMQ_AT_BROKER)                              \
    X(18, UPDATE_AND_CREATE_TOPIC_LIST, RMQ_AT_BROKER)                         \
    X(21, GET_ALL_TOPIC_CONFIG, RMQ_AT_BROKER)                                 \
    X(22, GET_TOPIC_CONFIG_LIST, RMQ_AT_BROKER)                                \
    X(23, GET_TOPIC_NAME_LIST, RMQ_AT_BROKER)                                  \
    X(25, UPDATE_BROKER_CONFIG, RMQ_AT_BROKER)                                 \
    X(26, GET_BROKER_CONFIG, RMQ_AT_BROKER)                                    \
    X(27, TRIGGER_DELETE_FILES, RMQ_AT_BROKER)                                 \
    X(28, GET_BROKER_RUNTIME_INFO, RMQ_AT_BROKER)                              \
    X(29, SEARCH_OFFSET_BY_TIMESTAMP, RMQ_AT_BROKER)                           \
    X(30, GET_MAX_OFFSET, RMQ_AT_BROKER)                                       \
    X(31, GET_MIN_OFFSET, RMQ_AT_BROKER)                                       \
    X(32, GET_EARLIEST_MSG_STORETIME, RMQ_AT_BROKER)                           \
    X(33, VIEW_MESSAGE_BY_ID, RMQ_AT_BROKER)                                   \
    X(34, HEART_BEAT, RMQ_AT_BROKER)                                           \
    X(35, UNREGISTER_CLIENT, RMQ_AT_BROKER)                                    \
    X(36, CONSUMER_SEND_MSG_BACK, RMQ_AT_BROKER)                               \
    X(37, END_TRANSACTION, RMQ_AT_BROKER)                                      \
    X(38, GET_CONSUMER_LIST_BY_GROUP, RMQ_AT_BROKER)                           \
    X(39, CHECK_TRANSACTION_STATE, RMQ_AT_CLIENT)                              \
    X(40, NOTIFY_CONSUMER_IDS_CHANGED, RMQ_AT_CLIENT)                          \
    X(41, LOCK_BATCH_MQ, RMQ_AT_BROKER)                                        \
    X(42, UNLOCK_BATCH_MQ, RMQ_AT_BROKER)                                      \
    X(43, GET_ALL_CONSUMER_OFFSET, RMQ_AT_BROKER)                              \
    X(45, GET_ALL_DELAY_OFFSET, RMQ_AT_BROKER)                                 \
    X(46, CHECK_CLIENT_CONFIG, RMQ_AT_BROKER)                                  \
    X(47, GET_CLIENT_CONFIG, RMQ_AT_BROKER)                                    \
    X(50, UPDATE_AND_CREATE_ACL_CONFIG, RMQ_AT_BROKER)                         \
    X(51, DELETE_ACL_CONFIG, RMQ_AT_BROKER)                                    \
    X(52, GET_BROKER_CLUSTER_ACL_INFO, RMQ_AT_BROKER)                          \
    X(53, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, RMQ_AT_BROKER)                     \
    X(54, GET_BROKER_CLUSTER_ACL_CONFIG, RMQ_AT_BROKER)                        \
    X(60, GET_TIMER_CHECK_POINT, RMQ_AT_BROKER)                                \
    X(61, GET_TIMER_METRICS, RMQ_AT_BROKER)                                    \
    X(100, PUT_KV_CONFIG, RMQ_AT_NAMESRV)                                      \
    X(101, GET_KV_CONFIG, RMQ_AT_NAMESRV)                                      \
    X(102, DELETE_KV_CONFIG, RMQ_AT_NAMESRV)                                   \
    X(103, REGISTER_BROKER, RMQ_AT_NAMESRV)                                    \
    X(104, UNREGISTER_BROKER, RMQ_AT_NAMESRV)                                  \
    X(105, GET_ROUTEINFO_BY_TOPIC, RMQ_AT_NAMESRV)                             \
    X(106, GET_BROKER_CLUSTER_INFO, RMQ_AT_NAMESRV)                            \
    X(200, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, RMQ_AT_BROKER)                 \
    X(201, GET_ALL_SUBSCRIPTIONGROUP_CONFIG, RMQ_AT_BROKER)                    \
    X(202, GET_TOPIC_STATS_INFO, RMQ_AT_BROKER)                                \
    X(203, GET_CONSUMER_CONNECTION_LIST, RMQ_AT_BROKER)                        \
    X(204, GET_PRODUCER_CONNECTION_LIST, RMQ_AT_BROKER)                        \
    X(205, WIPE_WRITE_PERM_OF_BROKER, RMQ_AT_NAMESRV)                          \
    X(206, GET_ALL_TOPIC_LIST_FROM_NAMESERVER, RMQ_AT_NAMESRV)                 \
    X(207, DELETE_SUBSCRIPTIONGROUP, RMQ_AT_BROKER)                            \
    X(208, GET_CONSUME_STATS, RMQ_AT_BROKER)                                   \
    X(209, SUSPEND_CONSUMER, RMQ_AT_BROKER)                                    \
    X(210, RESUME_CONSUMER, RMQ_AT_BROKER)                                     \
    X(211, RESET_CONSUMER_OFFSET_IN_CONSUMER, RMQ_AT_BROKER)                   \
    X(212, RESET_CONSUMER_OFFSET_IN_BROKER, RMQ_AT_BROKER)                     \
    X(213, ADJUST_CONSUMER_THREAD_POOL, RMQ_AT_BROKER)                         \
    X(214, WHO_CONSUME_THE_MESSAGE, RMQ_AT_BROKER)                             \
    X(215, DELETE_TOPIC_IN_BROKER, RMQ_AT_BROKER)                              \
    X(216, DELETE_TOPIC_IN_NAMESRV, RMQ_AT_NAMESRV)                            \
    X(217, REGISTER_TOPIC_IN_NAMESRV, RMQ_AT_NAMESRV)                          \
    X(219, GET_KVLIST_BY_NAMESPACE, RMQ_AT_NAMESRV)                            \
    X(220, RESET_CONSUMER_CLIENT_OFFSET, RMQ_AT_CLIENT)                        \
    X(221, GET_CONSUMER_STATUS_FROM_CLIENT, RMQ_AT_CLIENT)                     \
    X(222, INVOKE_BROKER_TO_RESET_OFFSET, RMQ_AT_BROKER)                       \
    X(223, INVOKE_BROKER_TO_GET_CONSUMER_STATUS, RMQ_AT_BROKER)                \
    X(224, GET_TOPICS_BY_CLUSTER, RMQ_AT_NAMESRV)                              \
    X(225, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, RMQ_AT_BROKER)            \
    X(300, QUERY_TOPIC_CONSUME_BY_WHO, RMQ_AT_BROKER)                          \
    X(301, REGISTER_FILTER_SERVER, RMQ_AT_BROKER)                              \
    X(302, REGISTER_MESSAGE_FILTER_CLASS, RMQ_AT_BROKER)                       \
    X(303, QUERY_CONSUME_TIME_SPAN, RMQ_AT_BROKER)                             \
    X(304, GET_SYSTEM_TOPIC_LIST_FROM_NS, RMQ_AT_NAMESRV)                      \
    X(305, GET_SYSTEM_TOPIC_LIST_FROM_BROKER, RMQ_AT_BROKER)                   \
    X(306, CLEAN_EXPIRED_CONSUMEQUEUE, RMQ_AT_BROKER)                          \
    X(307, GET_CONSUMER_RUNNING_INFO, RMQ_AT_BROKER | RMQ_AT_CLIENT)           \
    X(308, QUERY_CORRECTION_OFFSET, RMQ_AT_BROKER)                             \
    X(309, CONSUME_MESSAGE_DIRECTLY, RMQ_AT_BROKER | RMQ_AT_CLIENT)            \
    X(310, SEND_MESSAGE_V2, RMQ_AT_BROKER)                                     \
    X(311, GET_UNIT_TOPIC_LIST, RMQ_AT_NAMESRV)                                \
    X(312, GET_HAS_UNIT_SUB_TOPIC_LIST, RMQ_AT_NAMESRV)                        \
    X(313, GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, RMQ_AT_NAMESRV)                 \
    X(314, CLONE_GROUP_OFFSET, RMQ_AT_BROKER)                                  \
    X(315, VIEW_BROKER_STATS_DATA, RMQ_AT_BROKER)                              \
    X(316, CLEAN_UNUSED_TOPIC, RMQ_AT_BROKER)                                  \
    X(317, GET_BROKER_CONSUME_STATS, RMQ_AT_BROKER)                            \
    X(318, UPDATE_NAMESRV_CONFIG, RMQ_AT_NAMESRV)                              \
    X(319, GET_NAMESRV_CONFIG, RMQ_AT_NAMESRV)                                 \
    X(320, SEND_BATCH_MESSAGE, RMQ_AT_BROKER)                                  \
    X(321, QUERY_CONSUME_QUEUE, RMQ_AT_BROKER)                                 \
    X(322, QUERY_DATA_VERSION, RMQ_AT_NAMESRV)                                 \
    X(323, RESUME_CHECK_HALF_MESSAGE, RMQ_AT_BROKER)                           \
    X(324, SEND_REPLY_MESSAGE, RMQ_AT_BROKER)                                  \
    X(325, SEND_REPLY_MESSAGE_V2, RMQ_AT_BROKER)                               \
    X(326, PUSH_REPLY_MESSAGE_TO_CLIENT, RMQ_AT_CLIENT)                        \
    X(327, ADD_WRITE_PERM_OF_BROKER, RMQ_AT_NAMESRV)                           \
    X(328, GET_ALL_PRODUCER_INFO, RMQ_AT_BROKER)                               \
    X(329, DELETE_EXPIRED_COMMITLOG, RMQ_AT_BROKER)                            \
    X(343, QUERY_TOPICS_BY_CONSUMER, RMQ_AT_BROKER)                            \
    X(345, QUERY_SUBSCRIPTION_BY_CONSUMER, RMQ_AT_BROKER)                      \
    X(351, GET_TOPIC_CONFIG, RMQ_AT_BROKER)                                    \
    X(352, GET_SUBSCRIPTIONGROUP_CONFIG, RMQ_AT_BROKER)                        \
    X(353, UPDATE_AND_GET_GROUP_FORBIDDEN, RMQ_AT_BROKER)                      \
    X(354, CHECK_ROCKSDB_CQ_WRITE_PROGRESS, RMQ_AT_BROKER)                     \
    X(361, LITE_PULL_MESSAGE, RMQ_AT_BROKER)                                   \
    X(400, QUERY_ASSIGNMENT, RMQ_AT_BROKER)                                    \
    X(401, SET_MESSAGE_REQUEST_MODE, RMQ_AT_BROKER)                            \
    X(402, GET_ALL_MESSAGE_REQUEST_MODE, RMQ_AT_BROKER)                        \
    X(513, UPDATE_AND_CREATE_STATIC_TOPIC, RMQ_AT_BROKER)                      \
    X(901, GET_BROKER_MEMBER_GROUP, RMQ_AT_NAMESRV)                            \
    X(902, ADD_BROKER, RMQ_AT_BROKER)                                          \
    X(903, REMOVE_BROKER, RMQ_AT_BROKER)                                       \
    X(904, BROKER_HEARTBEAT, RMQ_AT_NAMESRV)                                   \
    X(905, NOTIFY_MIN_BROKER_ID_CHANGE, RMQ_AT_BROKER)                         \
    X(906, EXCHANGE_BROKER_HA_INFO, RMQ_AT_BROKER)                             \
    X(907, GET_BROKER_HA_STATUS, RMQ_AT_BROKER)                                \
    X(908, RESET_MASTER_FLUSH_OFFSET, RMQ_AT_BROKER)                           \
    X(1001, CONTROLLER_ALTER_SYNC_STATE_SET, RMQ_AT_CONTROLLER)                \
    X(1002, CONTROLLER_ELECT_MASTER, RMQ_AT_CONTROLLER)                        \
    X(1003, CONTROLLER_REGISTER_BROKER, RMQ_AT_CONTROLLER)                     \
    X(1004, CONTROLLER_GET_REPLICA_INFO, RMQ_AT_CONTROLLER)                    \
    X(1005, CONTROLLER_GET_METADATA_INFO, RMQ_AT_CONTROLLER)                   \
    X(1006, CONTROLLER_GET_SYNC_STATE_DATA, RMQ_AT_CONTROLLER)                 \
    X(1007, GET_BROKER_EPOCH_CACHE, RMQ_AT_BROKER)                             \
    X(1008, NOTIFY_BROKER_ROLE_CHANGED, RMQ_AT_BROKER)                         \
    X(1009, UPDATE_CONTROLLER_CONFIG, RMQ_AT_CONTROLLER)                       \
    X(1010, GET_CONTROLLER_CONFIG, RMQ_AT_CONTROLLER)                          \
    X(1011, CLEAN_BROKER_DATA, RMQ_AT_CONTROLLER)                              \
    X(1012, CONTROLLER_GET_NEXT_BROKER_ID, RMQ_AT_CONTROLLER)                  \
    X(1013, CONTROLLER_APPLY_BROKER_ID, RMQ_AT_CONTROLLER)                     \
    X(1014, BROKER_CLOSE_CHANNEL_REQUEST, RMQ_AT_CONTROLLER)                   \
    X(1015, CHECK_NOT_ACTIVE_BROKER_REQUEST, RMQ_AT_CONTROLLER)                \
    X(1016, GET_BROKER_LIVE_INFO_REQUEST, RMQ_AT_CONTROLLER)                   \
    X(1017, GET_SYNC_STATE_DATA_REQUEST, RMQ_AT_CONTROLLER)                    \
    X(1018, RAFT_BROKER_HEART_BEAT_EVENT_REQUEST, RMQ_AT_CONTROLLER)           \
    X(2001, UPDATE_COLD_DATA_FLOW_CTR_CONFIG, RMQ_AT_BROKER)                   \
    X(2002, REMOVE_COLD_DATA_FLOW_CTR_CONFIG, RMQ_AT_BROKER)                   \
    X(2003, GET_COLD_DATA_FLOW_CTR_INFO, RMQ_AT_BROKER)                        \
    X(2004, SET_COMMITLOG_READ_MODE, RMQ_AT_BROKER)                            \
    X(3001, AUTH_CREATE_USER, RMQ_AT_BROKER)                                   \
    X(3002, AUTH_UPDATE_USER, RMQ_AT_BROKER)                                   \
    X(3003, AUTH_DELETE_USER, RMQ_AT_BROKER)                                   \
    X(3004, AUTH_GET_USER, RMQ_AT_BROKER)                                      \
    X(3005, AUTH_LIST_USER, RMQ_AT_BROKER)                                     \
    X(3006, AUTH_CREATE_ACL, RMQ_AT_BROKER)                                    \
    X(3007, AUTH_UPDATE_ACL, RMQ_AT_BROKER)                                    \
    X(3008, AUTH_DELETE_ACL, RMQ_AT_BROKER)                                    \
    X(3009, AUTH_GET_ACL, RMQ_AT_BROKER)                                       \
    X(3010, AUTH_LIST_ACL, RMQ_AT_BROKER)                                      \
    /* rmq's own requests (7000–7999); a RocketMQ server answers REQUEST_CODE_NOT_SUPPORTED */ \
    X(7001, RMQ_SHUTDOWN, RMQ_AT_BROKER | RMQ_AT_NAMESRV)                      \
    /* 5.x POP family: over 32767, so JSON headers only (PROTOCOL §2.1 notes) */ \
    X(200050, POP_MESSAGE, RMQ_AT_BROKER)                                      \
    X(200051, ACK_MESSAGE, RMQ_AT_BROKER)                                      \
    X(200052, PEEK_MESSAGE, RMQ_AT_BROKER)                                     \
    X(200053, CHANGE_MESSAGE_INVISIBLETIME, RMQ_AT_BROKER)                     \
    X(200054, NOTIFICATION, RMQ_AT_BROKER)                                     \
    X(200055, POLLING_INFO, RMQ_AT_BROKER)                                     \
    X(200151, BATCH_ACK_MESSAGE, RMQ_AT_BROKER)

/* Response codes: X(code, NAME) for RocketMQ's own (R5 RemotingSysResponseCode.java and
 * ResponseCode.java, same values in 4.9.8), R(code, NAME, ROCKETMQ_NAME) for rmq's
 * refinements of a code RocketMQ uses for several causes (STYLE "Things to avoid" 5).
 *
 * rmq answers a refined code only to a peer that understands it (its own client; see
 * rmq_response_compat()); everyone else gets the RocketMQ code it refines, with the
 * refined cause in the remark, so Java producers still retry exactly as they would. */
#define RMQ_RESPONSE_CODES(X, R)                                                         \
    X(-1006, RPC_TIME_OUT)              /* client-local, never on the wire */          \
    X(-1004, RPC_SEND_TO_CHANNEL_FAILED)                                                 \
    X(-1002, RPC_ADDR_IS_NULL)                                                           \
    X(-1000, RPC_UNKNOWN)                                                                \
    X(0, SUCCESS)                                                                        \
    X(1, SYSTEM_ERROR)                                                                   \
    X(2, SYSTEM_BUSY)                                                                    \
    X(3, REQUEST_CODE_NOT_SUPPORTED)                                                     \
    X(4, TRANSACTION_FAILED)                                                             \
    X(10, FLUSH_DISK_TIMEOUT)                                                            \
    X(11, SLAVE_NOT_AVAILABLE)                                                           \
    X(12, FLUSH_SLAVE_TIMEOUT)                                                           \
    X(13, MESSAGE_ILLEGAL)                                                               \
    X(14, SERVICE_NOT_AVAILABLE)                                                         \
    X(15, VERSION_NOT_SUPPORTED)                                                         \
    X(16, NO_PERMISSION)                                                                 \
    X(17, TOPIC_NOT_EXIST)                                                               \
    X(18, TOPIC_EXIST_ALREADY)                                                           \
    X(19, PULL_NOT_FOUND)                                                                \
    X(20, PULL_RETRY_IMMEDIATELY)                                                        \
    X(21, PULL_OFFSET_MOVED)                                                             \
    X(22, QUERY_NOT_FOUND)                                                               \
    X(23, SUBSCRIPTION_PARSE_FAILED)                                                     \
    X(24, SUBSCRIPTION_NOT_EXIST)                                                        \
    X(25, SUBSCRIPTION_NOT_LATEST)                                                       \
    X(26, SUBSCRIPTION_GROUP_NOT_EXIST)                                                  \
    X(27, FILTER_DATA_NOT_EXIST)                                                         \
    X(28, FILTER_DATA_NOT_LATEST)                                                        \
    X(29, INVALID_PARAMETER)                                                             \
    X(200, TRANSACTION_SHOULD_COMMIT)                                                    \
    X(201, TRANSACTION_SHOULD_ROLLBACK)                                                  \
    X(202, TRANSACTION_STATE_UNKNOW)                                                     \
    X(203, TRANSACTION_STATE_GROUP_WRONG)                                                \
    X(204, NO_BUYER_ID)                                                                  \
    X(205, NOT_IN_CURRENT_UNIT)                                                          \
    X(206, CONSUMER_NOT_ONLINE)                                                          \
    X(207, CONSUME_MSG_TIMEOUT)                                                          \
    X(208, NO_MESSAGE)                                                                   \
    X(209, POLLING_FULL)                                                                 \
    X(210, POLLING_TIMEOUT)                                                              \
    X(211, BROKER_NOT_EXIST)                                                             \
    X(212, BROKER_DISPATCH_NOT_COMPLETE)                                                 \
    X(213, BROADCAST_CONSUMPTION)                                                        \
    X(215, FLOW_CONTROL)                                                                 \
    X(501, NOT_LEADER_FOR_QUEUE)                                                         \
    X(604, ILLEGAL_OPERATION)                                                            \
    X(1500, GO_AWAY)                                                                     \
    X(2000, CONTROLLER_FENCED_MASTER_EPOCH)                                              \
    X(2001, CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH)                                      \
    X(2002, CONTROLLER_INVALID_MASTER)                                                   \
    X(2003, CONTROLLER_INVALID_REPLICAS)                                                 \
    X(2004, CONTROLLER_MASTER_NOT_AVAILABLE)                                             \
    X(2005, CONTROLLER_INVALID_REQUEST)                                                  \
    X(2006, CONTROLLER_BROKER_NOT_ALIVE)                                                 \
    X(2007, CONTROLLER_NOT_LEADER)                                                       \
    X(2008, CONTROLLER_BROKER_METADATA_NOT_EXIST)                                        \
    X(2009, CONTROLLER_INVALID_CLEAN_BROKER_METADATA)                                    \
    X(2010, CONTROLLER_BROKER_NEED_TO_BE_REGISTERED)                                     \
    X(2011, CONTROLLER_MASTER_STILL_EXIST)                                               \
    X(2012, CONTROLLER_ELECT_MASTER_FAILED)                                              \
    X(2013, CONTROLLER_ALTER_SYNC_STATE_SET_FAILED)                                      \
    X(2014, CONTROLLER_BROKER_ID_INVALID)                                                \
    X(2015, CONTROLLER_JRAFT_INTERNAL_ERROR)                                             \
    X(2016, CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS)                                      \
    X(3001, USER_NOT_EXIST)                                                              \
    X(3002, POLICY_NOT_EXIST)                                                            \
    /* rmq: causes RocketMQ answers SERVICE_NOT_AVAILABLE (14) for */                   \
    R(7001, DISK_FULL, SERVICE_NOT_AVAILABLE)       /* disk usage over the limit */      \
    R(7002, SLAVE_REFUSES_WRITE, SERVICE_NOT_AVAILABLE) /* this broker is a slave */     \
    R(7003, SHUTTING_DOWN, SERVICE_NOT_AVAILABLE)   /* broker or store is stopping */    \
    R(7004, STORE_IO_ERROR, SERVICE_NOT_AVAILABLE)  /* store refuses writes after EIO */ \
    /* rmq: causes RocketMQ answers SYSTEM_ERROR (1) for */                             \
    R(7010, HEADER_FIELD_MISSING, SYSTEM_ERROR)     /* a required extField is absent */  \
    R(7011, HEADER_FIELD_INVALID, SYSTEM_ERROR)     /* an extField does not parse */     \
    R(7012, NO_CONSUMER_ONLINE, SYSTEM_ERROR)       /* group has no live consumer */     \
    /* rmq: causes RocketMQ answers MESSAGE_ILLEGAL (13) for */                         \
    R(7020, BODY_TOO_LARGE, MESSAGE_ILLEGAL)        /* over maxMessageSize */            \
    R(7021, PROPERTIES_TOO_LARGE, MESSAGE_ILLEGAL)  /* properties over 32767 bytes */    \
    R(7022, TOPIC_NAME_INVALID, MESSAGE_ILLEGAL)    /* bad characters or length */       \
    /* rmq: causes RocketMQ answers SYSTEM_BUSY (2) for */                              \
    R(7030, BUSY_BACKPRESSURE, SYSTEM_BUSY)         /* connection's output over bound */ \
    R(7031, BUSY_PAGECACHE, SYSTEM_BUSY)            /* a write waited too long */

enum rmq_request_code {
#define RMQ_X_(code, name, who) RMQ_REQ_##name = code,
    RMQ_REQUEST_CODES(RMQ_X_)
#undef RMQ_X_
};

enum rmq_response_code {
#define RMQ_X_(code, name) RMQ_RESP_##name = code,
#define RMQ_R_(code, name, compat) RMQ_RESP_##name = code,
    RMQ_RESPONSE_CODES(RMQ_X_, RMQ_R_)
#undef RMQ_X_
#undef RMQ_R_
};

/* The Java constant's name of a request code ("SEND_MESSAGE"), or NULL for a number no
 * table row has. */
const char *rmq_request_name(int code);
/* The RMQ_AT_* bits of a request code; 0 for an unknown code. */
int rmq_request_served_by(int code);
/* The code of a request name (exact, case-sensitive), or -1. For command lines and tests. */
int rmq_request_code(const char *name);

/* The name of a response code ("PULL_NOT_FOUND"; rmq's own as "DISK_FULL"), or NULL. */
const char *rmq_response_name(int code);
/* The code to send to a peer that does not know rmq's response codes: the RocketMQ code an
 * rmq refinement stands for (DISK_FULL → SERVICE_NOT_AVAILABLE); any other code unchanged. */
int rmq_response_compat(int code);
/* True for rmq's own response codes (7000–7999 rows). */
int rmq_response_is_rmq(int code);

/* --- Language codes (PROTOCOL §1.7): the JSON header carries the name, the binary header
 * the byte. Names are Java's LanguageCode enum; NODE_JS exists only in 5.x, and a 4.9.8
 * Java peer cannot parse it. */
#define RMQ_LANGUAGES(X) \
    X(0, JAVA)           \
    X(1, CPP)            \
    X(2, DOTNET)         \
    X(3, PYTHON)         \
    X(4, DELPHI)         \
    X(5, ERLANG)         \
    X(6, RUBY)           \
    X(7, OTHER)          \
    X(8, HTTP)           \
    X(9, GO)             \
    X(10, PHP)           \
    X(11, OMS)           \
    X(12, RUST)          \
    X(13, NODE_JS)

enum rmq_language {
#define RMQ_X_(code, name) RMQ_LANG_##name = code,
    RMQ_LANGUAGES(RMQ_X_)
#undef RMQ_X_
};

/* What rmq says it is. JAVA, not CPP or OTHER: Java brokers change behaviour for CPP callers
 * (INVOKE_BROKER_TO_RESET_OFFSET answers a C++ caller with offsets instead of pushing them to
 * the consumers), and JAVA is the case every server and client is tested against. */
#define RMQ_LANG_SELF RMQ_LANG_JAVA

/* The name of a language byte ("GO"), or NULL for a byte no row has. */
const char *rmq_lang_name(int code);
/* The byte of a language name (exact, case-sensitive like Java's Enum.valueOf), or -1. */
int rmq_lang_code(const char *name, size_t len);

/* --- MQVersion ordinals (PROTOCOL §1.8): the `version` a peer sends is the ordinal of its
 * release in Java's MQVersion.Version enum. Only the values something depends on. */
enum rmq_mqversion {
    RMQ_MQV_3_0_11 = 37,          /* name server parses REGISTER_BROKER bodies from here on */
    RMQ_MQV_3_4_9 = 121,          /* ali-ons; maxReconsumeTimes honoured from here on */
    RMQ_MQV_4_0_0 = 213,
    RMQ_MQV_4_1_0_SNAPSHOT = 232, /* SQL92 filtering needs a broker at least this new */
    RMQ_MQV_4_3_0 = 273,
    RMQ_MQV_4_5_2 = 317,          /* Go client */
    RMQ_MQV_4_6_0 = 333,          /* C++ client */
    RMQ_MQV_4_9_0 = 393,
    RMQ_MQV_4_9_4 = 401,          /* route JSON with quoted map keys from here on */
    RMQ_MQV_4_9_7 = 407,
    RMQ_MQV_4_9_8 = 409,
    RMQ_MQV_5_0_0 = 413,
    RMQ_MQV_5_1_0 = 433,
    RMQ_MQV_5_2_0 = 453,
    RMQ_MQV_5_3_0 = 473,
    RMQ_MQV_5_3_1 = 475,          /* 5.x answers GO_AWAY to newer peers while shutting down */
    RMQ_MQV_5_3_2 = 477,
    RMQ_MQV_5_3_3 = 479,
};

/* The version rmq sends: 4.9.8, the release whose wire behaviour rmq follows (PROTOCOL §14);
 * a 5.x server treats such a peer as the 4.9.8 clients it must keep serving. */
#define RMQ_MQVERSION_SELF RMQ_MQV_4_9_8

#endif
