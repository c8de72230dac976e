/*
 * format.h — turning consumed messages into text for tools: kcat-style format strings
 * and JSON lines. Output goes into a buffer; the caller writes it.
 *
 * Format directives (rmq consume --format):
 *   %b body       %t topic          %k keys         %q queue id     %r broker name
 *   %o queue offset  %i msg id     %T tag          %O offset msg id  %s body size
 *   %B born time (ms)
 *   %S store time (ms)              %% a percent sign
 * Escapes: \n newline, \t tab, \r carriage return, \0 a NUL byte, \\ a backslash.
 * A missing tag or keys prints as nothing.
 *
 * JSON: one object per message, compact, keys topic, brokerName (the queue's, when known),
 * queueId, queueOffset, msgId,
 * offsetMsgId, tags, keys (tags/keys only when present), bornTimestamp, storeTimestamp,
 * bornHost, storeHost, reconsumeTimes, sysFlag, properties (an object of every property),
 * body (a string; bytes that are not UTF-8 become U+FFFD).
 */
#ifndef RMQ_CLIENT_FORMAT_H
#define RMQ_CLIENT_FORMAT_H

#include "client/consumer.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

struct rmq_format {
    char *spec;     /* escapes resolved; directives kept as '%' + letter */
    size_t len;
};

/* Parses text (as typed on a command line). 0, or RMQ_EINVAL with err naming the bad
 * directive or escape. Free with rmq_format_free. */
int rmq_format_parse(struct rmq_format *f, const char *text, char *err);
void rmq_format_free(struct rmq_format *f);

/* Appends the rendering of c (queue qid) to out. */
void rmq_format_render(struct rmq_buf *out, const struct rmq_format *f, const struct rmq_consumed *c);

/* Appends c as mqadmin queryMsgById prints a message ("OffsetID:", "Topic:", … one field a
 * line, labels padded to 20), the body last on the "Message Body:" line. */
void rmq_format_details(struct rmq_buf *out, const struct rmq_consumed *c);

/* One line as the Java quick-start producer prints a SendResult (PROTOCOL §11.2, the 4.x …
 * 5.3.1 form), newline included. */
void rmq_format_sendresult(struct rmq_buf *out, const char *status, const char *msg_id, const char *offset_id,
                           const char *topic, const char *broker, int queue_id, int64_t queue_offset);
/* c as Java's MessageExt.toString() renders it (PROTOCOL §11.2; the quick-start consumer's
 * shape), without a newline; broker is the broker name it came from. */
void rmq_format_messageext(struct rmq_buf *out, const struct rmq_consumed *c, const char *broker);

/* Java push consumers' consumeThreadMin: the quick-start consumer's thread names number
 * 1..20. */
#define RMQ_JAVA_CONSUME_THREADS 20
/* One line as the Java quick-start consumer prints the nth (from 1) delivery c to group:
 * "ConsumeMessageThread_<group>_<n> Receive New Messages: [MessageExt [...]] " and a
 * newline, n cycling 1..20 as the pool's threads take turns. */
void rmq_format_quickstart_receive(struct rmq_buf *out, const char *group, uint64_t nth, const struct rmq_consumed *c);

/* "yyyy-MM-dd HH:mm:ss,SSS" in local time, as RocketMQ's tools print times; "" for ms <= 0. */
void rmq_format_time(int64_t ms, char *out, size_t n);
/* "ip:port" ("[ip6]:port") of a stored host. */
void rmq_format_host(struct rmq_buf *out, const struct rmq_host *h);

/* Appends c as one JSON object and a newline. */
void rmq_format_json(struct rmq_buf *out, const struct rmq_consumed *c);

/* Appends s[0..n) as a JSON string, quotes included: ", \ and control characters escaped,
 * bytes that are not valid UTF-8 written as \ufffd. */
void rmq_json_string(struct rmq_buf *out, const void *s, size_t n);

#endif
