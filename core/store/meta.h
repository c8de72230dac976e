/*
 * meta.h — the broker's persisted JSON tables in RocketMQ's shape (PROTOCOL §3.5, §6.6), so a
 * store directory moves between rmq and a Java broker with its topics, groups and offsets:
 *
 *   config/topics.json             {"dataVersion":{…},"topicConfigTable":{name:TopicConfig}}
 *   config/subscriptionGroup.json  {"dataVersion":{…},"subscriptionGroupTable":{name:Group}}
 *   config/consumerOffset.json     {"offsetTable":{"topic@group":{queueId:offset,…}}}
 *   config/delayOffset.json        {"dataVersion":{…},"offsetTable":{level:offset,…}}
 *
 * Writing imitates fastjson (PROTOCOL §3.0): compact, object keys in alphabetical order, and
 * the integer keys of Map<Integer,Long> written *unquoted* ({0:12}) — not JSON, but what a
 * Java broker writes and reads. Reading is as lenient as fastjson: bare or quoted integer
 * keys, numbers and booleans given as strings, unknown keys. Unknown keys are not dropped:
 * each table keeps the unknown top-level members, and topics and groups keep their unknown
 * members (5.x "attributes", "groupSysFlag", …) as raw JSON, written back on save, so a round
 * trip through rmq loses nothing a newer broker wrote.
 *
 * Files are loaded like RocketMQ's ConfigManager.load: a missing or empty file falls back to
 * "<file>.bak", and so does a file that does not parse or decode; only when neither gives a
 * table does loading fail — with the file name and the parse position — and when both are
 * absent the table starts empty. A table with data is never silently replaced by an empty
 * one. Saving encodes and replaces the file atomically (rmq_write_file_atomic: temp file,
 * fsync, rename, fsync of the directory) after copying the previous file to "<file>.bak",
 * except when the table came from the .bak because the main file was bad: then the good
 * backup is kept and the bad main file is simply replaced.
 *
 * Tables are plain sorted arrays (sizes are thousands at most). None of them is thread-safe:
 * one thread owns a table; to write from another thread, encode on the owner and pass the
 * bytes to rmq_meta_write_file(). Pointers returned by get/at stay valid until the next call
 * that changes the same table.
 *
 * Format changes: these layouts are RocketMQ's; rmq never invents fields. To read a new Java
 * field, add it to the struct, to the decoder's known-key list and to the encoder, with a test
 * loading the Java-written form. Until then it survives as an unknown member.
 */
#ifndef RMQ_STORE_META_H
#define RMQ_STORE_META_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest topic or group name kept (RocketMQ allows 127 for topics and 120 for groups, and
 * "%RETRY%"/"%DLQ%" prefixes). Longer names in a file make the load fail. */
#define RMQ_META_NAME_MAX 255

/* File names under <storePathRootDir>/config/. */
#define RMQ_META_TOPICS_FILE "topics.json"
#define RMQ_META_GROUPS_FILE "subscriptionGroup.json"
#define RMQ_META_OFFSETS_FILE "consumerOffset.json"
#define RMQ_META_DELAY_FILE "delayOffset.json"

/* ---------------------------------------------------------------- dataVersion */

/* RocketMQ DataVersion: bumped on every change so name servers and slaves can tell a table
 * changed. stateVersion (5.x) is written back only when it was read. */
struct rmq_data_version {
    int64_t counter;
    int64_t timestamp;       /* ms */
    int64_t state_version;
    bool has_state_version;
};

/* counter + 1, timestamp = now (DataVersion.nextVersion). */
void rmq_data_version_next(struct rmq_data_version *v);
/* Reads a DataVersion object (leniently; NULL or null gives all zeros). 0 or RMQ_EINVAL
 * with err set. */
int rmq_data_version_decode(const json_t *v, struct rmq_data_version *out, char *err);
/* Appends {"counter":N[,"stateVersion":S],"timestamp":T}. */
struct rmq_buf;
void rmq_data_version_put(struct rmq_buf *b, const struct rmq_data_version *v);

/* ---------------------------------------------------------------- topics.json */

enum rmq_topic_filter { RMQ_TOPIC_FILTER_SINGLE_TAG = 0, RMQ_TOPIC_FILTER_MULTI_TAG = 1 };

/* TopicConfig. Java class defaults: 16 read/16 write queues, perm 6, SINGLE_TAG. */
struct rmq_topic_conf {
    char name[RMQ_META_NAME_MAX + 1];
    int32_t read_queue_nums;
    int32_t write_queue_nums;
    int32_t perm;                        /* PERM_READ 4 | PERM_WRITE 2 | PERM_INHERIT 1 */
    enum rmq_topic_filter topic_filter_type;
    int32_t topic_sys_flag;
    bool order;
};

/* Fills c with the Java defaults for topic `name` (truncated to RMQ_META_NAME_MAX). */
void rmq_topic_conf_init(struct rmq_topic_conf *c, const char *name);

struct rmq_topic_table;

/* A new empty table (counter 0). 0 or -ENOMEM. */
int rmq_topic_table_new(struct rmq_topic_table **out);
/* Loads path as described at the top (missing everywhere = empty table). 0 with *out set,
 * or RMQ_ECORRUPT / -errno with err naming the file. */
int rmq_topic_table_load(struct rmq_topic_table **out, const char *path, char *err);
/* Decodes a topicConfigSerializeWrapper from memory (GET_ALL_TOPIC_CONFIG or
 * REGISTER_BROKER bodies have the same shape); `what` names the source in err. */
int rmq_topic_table_parse(struct rmq_topic_table **out, const char *json, size_t len,
                          const char *what, char *err);
/* Encodes the table; returns a malloc'd NUL-terminated string (length in *len) or NULL on
 * allocation failure. */
char *rmq_topic_table_encode(const struct rmq_topic_table *t, size_t *len);
/* Encodes and atomically replaces path (creating its directory). 0 or -errno with err set;
 * on failure the file on disk is the previous one. */
int rmq_topic_table_save(struct rmq_topic_table *t, const char *path, char *err);
void rmq_topic_table_free(struct rmq_topic_table *t);

const struct rmq_topic_conf *rmq_topic_table_get(const struct rmq_topic_table *t,
                                                 const char *name);
/* Inserts or replaces c (unknown members of an existing topic are kept). Returns 1 when the
 * table changed (dataVersion bumped), 0 when c equals the stored config, RMQ_EINVAL for an
 * empty, over-long or non-UTF-8 name, -ENOMEM. */
int rmq_topic_table_put(struct rmq_topic_table *t, const struct rmq_topic_conf *c);
/* Removes a topic: 0 (dataVersion bumped) or RMQ_ENOTFOUND. */
int rmq_topic_table_delete(struct rmq_topic_table *t, const char *name);
/* Iteration in name order: for (i = 0; i < count; i++) at(t, i). */
size_t rmq_topic_table_count(const struct rmq_topic_table *t);
const struct rmq_topic_conf *rmq_topic_table_at(const struct rmq_topic_table *t, size_t i);
const struct rmq_data_version *rmq_topic_table_version(const struct rmq_topic_table *t);

/* ---------------------------------------------------------------- subscriptionGroup.json */

/* SubscriptionGroupConfig (the 4.x fields; 5.x extras are kept as unknown members). */
struct rmq_group_conf {
    char name[RMQ_META_NAME_MAX + 1];    /* groupName */
    bool consume_enable;                 /* true */
    bool consume_from_min_enable;        /* true */
    bool consume_broadcast_enable;       /* true */
    bool notify_consumer_ids_changed_enable; /* true */
    int32_t retry_queue_nums;            /* 1 */
    int32_t retry_max_times;             /* 16 */
    int64_t broker_id;                   /* 0 (master) */
    int64_t which_broker_when_consume_slowly; /* 1 */
};

void rmq_group_conf_init(struct rmq_group_conf *g, const char *name);
/* Decodes one SubscriptionGroupConfig object (the body of UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
 * fastjson-lenient); the name is its "groupName", absent fields keep Java's defaults and
 * unknown members are ignored. 0 or RMQ_EINVAL with err set. */
int rmq_group_conf_parse(const char *json, size_t len, struct rmq_group_conf *out, char *err);

struct rmq_group_table;

/* Same contracts as the topic table functions of the same names. */
int rmq_group_table_new(struct rmq_group_table **out);
int rmq_group_table_load(struct rmq_group_table **out, const char *path, char *err);
int rmq_group_table_parse(struct rmq_group_table **out, const char *json, size_t len,
                          const char *what, char *err);
char *rmq_group_table_encode(const struct rmq_group_table *t, size_t *len);
int rmq_group_table_save(struct rmq_group_table *t, const char *path, char *err);
void rmq_group_table_free(struct rmq_group_table *t);
const struct rmq_group_conf *rmq_group_table_get(const struct rmq_group_table *t,
                                                 const char *name);
int rmq_group_table_put(struct rmq_group_table *t, const struct rmq_group_conf *g);
int rmq_group_table_delete(struct rmq_group_table *t, const char *name);
size_t rmq_group_table_count(const struct rmq_group_table *t);
const struct rmq_group_conf *rmq_group_table_at(const struct rmq_group_table *t, size_t i);
const struct rmq_data_version *rmq_group_table_version(const struct rmq_group_table *t);

/* ---------------------------------------------------------------- consumerOffset.json */

/* Committed offsets per (topic, group, queueId), stored under "topic@group" keys as Java
 * does. A key without '@' (not written by RocketMQ) is kept with an empty group. */
struct rmq_offset_table;

int rmq_offset_table_new(struct rmq_offset_table **out);
int rmq_offset_table_load(struct rmq_offset_table **out, const char *path, char *err);
int rmq_offset_table_parse(struct rmq_offset_table **out, const char *json, size_t len,
                           const char *what, char *err);
/* {"offsetTable":{"t@g":{0:12,1:40}}} with unquoted queue ids, keys sorted. */
char *rmq_offset_table_encode(const struct rmq_offset_table *t, size_t *len);
int rmq_offset_table_save(struct rmq_offset_table *t, const char *path, char *err);
void rmq_offset_table_free(struct rmq_offset_table *t);

/* Sets the offset: 0, RMQ_EINVAL (bad names), -ENOMEM. */
int rmq_offset_table_set(struct rmq_offset_table *t, const char *topic, const char *group,
                         int32_t queue_id, int64_t offset);
/* The stored offset, or -1 when none (ConsumerOffsetManager.queryOffset). */
int64_t rmq_offset_table_get(const struct rmq_offset_table *t, const char *topic,
                             const char *group, int32_t queue_id);
/* Remove every queue of one group (all topics) / one topic (all groups) / one pair.
 * Return the number of topic@group entries removed. */
int rmq_offset_table_delete_group(struct rmq_offset_table *t, const char *group);
int rmq_offset_table_delete_topic(struct rmq_offset_table *t, const char *topic);
int rmq_offset_table_delete(struct rmq_offset_table *t, const char *topic, const char *group);
/* Calls cb for every (topic, group, queueId, offset), keys in order, queue ids ascending;
 * a non-zero return stops the walk and is returned. cb must not change t. */
int rmq_offset_table_foreach(const struct rmq_offset_table *t,
                             int (*cb)(void *arg, const char *topic, const char *group,
                                       int32_t queue_id, int64_t offset),
                             void *arg);

/* ---------------------------------------------------------------- delayOffset.json */

/* Delivery progress per delay level (ScheduleMessageService.offsetTable). */
struct rmq_delay_table;

int rmq_delay_table_new(struct rmq_delay_table **out);
int rmq_delay_table_load(struct rmq_delay_table **out, const char *path, char *err);
int rmq_delay_table_parse(struct rmq_delay_table **out, const char *json, size_t len,
                          const char *what, char *err);
/* {"dataVersion":{…},"offsetTable":{1:0,2:5}} with unquoted levels. */
char *rmq_delay_table_encode(const struct rmq_delay_table *t, size_t *len);
int rmq_delay_table_save(struct rmq_delay_table *t, const char *path, char *err);
void rmq_delay_table_free(struct rmq_delay_table *t);
/* Sets a level's offset (dataVersion bumped when it changes): 0 or -ENOMEM. */
int rmq_delay_table_set(struct rmq_delay_table *t, int32_t level, int64_t offset);
/* The offset of a level, or -1 when none. */
int64_t rmq_delay_table_get(const struct rmq_delay_table *t, int32_t level);
/* Iteration in level order; at() fills level and offset, returns 0 or RMQ_ENOTFOUND. */
size_t rmq_delay_table_count(const struct rmq_delay_table *t);
int rmq_delay_table_at(const struct rmq_delay_table *t, size_t i, int32_t *level,
                       int64_t *offset);
const struct rmq_data_version *rmq_delay_table_version(const struct rmq_delay_table *t);

/* ---------------------------------------------------------------- building blocks
 * Shared by the tables above and usable for other fastjson bodies (PROTOCOL §3.0). */

/* Copies text, wrapping every bare integer object key in quotes ({0:1, -2 :3} →
 * {"0":1, "-2" :3}) and leaving everything inside strings alone, so jansson (which rejects
 * unquoted keys) can parse fastjson output. A key is a run of digits, optionally after '-',
 * that follows '{' or ',' and is followed by ':' (whitespace allowed); nothing else changes,
 * so invalid JSON stays invalid. Object-valued keys ({{…}:…}) are not handled. Every read is
 * bounded by len; an unterminated string is copied through. Returns a malloc'd,
 * NUL-terminated copy (length in *out_len) or NULL on allocation failure. Thread-safe. */
char *rmq_json_quote_int_keys(const char *text, size_t len, size_t *out_len);

/* rmq_json_quote_int_keys + jansson. Returns a new reference to the root (an object), or
 * NULL with "<what>: <jansson message> at line L column C" in err, positions referring to
 * the original text. Thread-safe. */
json_t *rmq_json_parse_lenient(const char *text, size_t len, const char *what, char *err);

/* fastjson-lenient scalar readers. v may be NULL (absent).
 * rmq_json_as_int: JSON integers, integral reals and decimal strings ("6", " -1"), within
 *   [min, max]. rmq_json_as_bool: true/false, "true"/"false" (any case), 1/0, "1"/"0".
 * Return 0 with *out set, 1 when v is NULL or JSON null (*out untouched), RMQ_EINVAL for
 * anything else. */
int rmq_json_as_int(const json_t *v, int64_t min, int64_t max, int64_t *out);
int rmq_json_as_bool(const json_t *v, bool *out);

/* Appends s as a JSON string literal (quotes, escapes for '"', '\\' and control
 * characters; other bytes as they are — callers pass valid UTF-8). */
void rmq_json_put_str(struct rmq_buf *b, const char *s, size_t len);

/* Appends a JSON object whose members are the `nknown` names in known[] (their values
 * written by put_known(b, index, arg)) and the members of `extra` (may be NULL; compact
 * jansson output), all in alphabetical key order as fastjson writes beans. extra must not
 * hold any of the known names. 0, or -ENOMEM when jansson cannot encode an extra member. */
int rmq_json_put_members(struct rmq_buf *b, const char *const *known, size_t nknown,
                         void (*put_known)(struct rmq_buf *b, size_t i, const void *arg),
                         const void *arg, const json_t *extra);

/* True when s[0..len) is non-empty, at most RMQ_META_NAME_MAX bytes, valid UTF-8 and free
 * of control characters: what a table accepts as a name. */
bool rmq_meta_name_ok(const char *s, size_t len);

/*
 * Loads a config file the way RocketMQ's ConfigManager does (see the top of this file),
 * calling decode(arg, root, err) on the parsed root of the main file and, if that file is
 * missing, empty or fails to parse or decode, of "<path>.bak". decode returns 0 or a
 * negative code with err set, and must reset its table before filling it (it may be called
 * twice). Returns RMQ_META_FROM_MAIN, RMQ_META_FROM_BAK (logged as a warning),
 * RMQ_META_ABSENT (neither file has content: decode not called), or an error with err
 * naming the file, the reason and the parse position: RMQ_ECORRUPT, or -errno when the main
 * file exists but cannot be read (and the backup did not help).
 */
enum { RMQ_META_FROM_MAIN = 0, RMQ_META_FROM_BAK = 1, RMQ_META_ABSENT = 2 };
int rmq_meta_load(const char *path, int (*decode)(void *arg, const json_t *root, char *err),
                  void *arg, char *err);

/* Replaces path with data: creates the parent directory, then rmq_write_file_atomic (with
 * keep_backup, the old content goes to "<path>.bak" first). 0 or -errno with err set. */
int rmq_meta_write_file(const char *path, const char *data, size_t len, bool keep_backup,
                        char *err);

#endif
