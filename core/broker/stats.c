#include "broker/stats.h"

#include <time.h>

static int64_t local_day(int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    return (int64_t)(tm.tm_year + 1900) * 400 + tm.tm_yday;
}

void rmq_stats_tick(struct rmq_stats *s, int64_t now_ms)
{
    int64_t day = local_day(now_ms);
    if (s->day == 0) {
        s->day = day;
    } else if (day != s->day) {
        s->put_yesterday_morning = s->put_today_morning;
        s->get_yesterday_morning = s->get_today_morning;
        s->put_today_morning = s->put_msgs;
        s->get_today_morning = s->get_msgs;
        s->day = day;
    }
    if (now_ms < s->next_sample_ms)
        return;
    s->sample_put[s->samples % RMQ_STATS_SAMPLES] = s->put_msgs;
    s->sample_get[s->samples % RMQ_STATS_SAMPLES] = s->get_msgs;
    s->samples++;
    s->next_sample_ms = now_ms + 1000;
}

/* Rate between the newest sample and the one `secs` older (or the oldest kept). */
static double rate(const struct rmq_stats *s, const int64_t *samples, int secs)
{
    if (s->samples < 2)
        return 0.0;
    int64_t newest = s->samples - 1, back = secs < newest ? secs : newest;
    if (back > RMQ_STATS_SAMPLES - 1)
        back = RMQ_STATS_SAMPLES - 1;
    int64_t diff = samples[newest % RMQ_STATS_SAMPLES] - samples[(newest - back) % RMQ_STATS_SAMPLES];
    return (double)diff / (double)back;
}

double rmq_stats_put_tps(const struct rmq_stats *s, int secs) { return rate(s, s->sample_put, secs); }
double rmq_stats_get_tps(const struct rmq_stats *s, int secs) { return rate(s, s->sample_get, secs); }
