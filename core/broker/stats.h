/*
 * stats.h — the broker's message counters and their rates, for GET_BROKER_RUNTIME_INFO
 * (PROTOCOL §2.12) and so for `rmq cluster list` / mqadmin clusterList: messages stored
 * (putTps) and handed to consumers (getTransferredTps) over the last 10 s, 60 s and 600 s,
 * and the totals at this morning's and yesterday morning's midnight (msgPutTotal…,
 * msgGetTotal…), as RocketMQ's StoreStatsService keeps them. Loop thread only.
 */
#ifndef RMQ_BROKER_STATS_H
#define RMQ_BROKER_STATS_H

#include <stdint.h>

#define RMQ_STATS_SAMPLES 601   /* one a second: enough for the 600 s rate */

struct rmq_stats {
    int64_t put_msgs, put_bytes, put_failed, get_msgs;   /* since start */
    /* once a second */
    int64_t sample_put[RMQ_STATS_SAMPLES], sample_get[RMQ_STATS_SAMPLES];
    int64_t samples, next_sample_ms;
    /* at local midnight */
    int64_t put_today_morning, put_yesterday_morning, get_today_morning, get_yesterday_morning;
    int64_t day;   /* local day number the morning totals belong to */
};

/* Takes the per-second sample when one is due and rolls the morning totals at midnight. */
void rmq_stats_tick(struct rmq_stats *s, int64_t now_ms);
/* Messages per second over the last `secs` seconds (fewer while the broker is younger). */
double rmq_stats_put_tps(const struct rmq_stats *s, int secs);
double rmq_stats_get_tps(const struct rmq_stats *s, int secs);

#endif
