/* The broker's counters: rates over 10/60/600 s windows from per-second samples, and the
 * morning totals rolled at local midnight. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/stats.h"

#include <stdlib.h>
#include <time.h>

static void rates_over_windows(void **state)
{
    struct rmq_stats *s = calloc(1, sizeof *s);
    int64_t t = 1795600000000;   /* ms */
    assert_true(rmq_stats_put_tps(s, 10) == 0.0);
    /* 100 messages a second for 700 s, then 1,000 a second for 10 s */
    for (int i = 0; i <= 700; i++, t += 1000) {
        rmq_stats_tick(s, t);
        s->put_msgs += 100;
    }
    for (int i = 0; i < 10; i++, t += 1000) {
        rmq_stats_tick(s, t);
        s->put_msgs += 1000;
        s->get_msgs += 5;
    }
    rmq_stats_tick(s, t);
    assert_true(rmq_stats_put_tps(s, 10) == 1000.0);
    assert_true(rmq_stats_put_tps(s, 60) == (50 * 100 + 10 * 1000) / 60.0);
    assert_true(rmq_stats_put_tps(s, 600) == (590 * 100 + 10 * 1000) / 600.0);
    assert_true(rmq_stats_get_tps(s, 10) == 5.0);
    /* no sample is taken twice within a second */
    int64_t n = s->samples;
    rmq_stats_tick(s, t + 500);
    assert_int_equal(s->samples, n);
    free(s);
}

static void young_broker_rates_use_what_it_has(void **state)
{
    struct rmq_stats s = {0};
    rmq_stats_tick(&s, 1000);
    s.put_msgs = 30;
    rmq_stats_tick(&s, 2000);
    s.put_msgs = 60;
    rmq_stats_tick(&s, 3000);
    assert_true(rmq_stats_put_tps(&s, 600) == 30.0);
}

static void morning_totals_roll_at_midnight(void **state)
{
    struct rmq_stats s = {0};
    struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 25, .tm_hour = 23, .tm_min = 59, .tm_sec = 58,
                    .tm_isdst = -1};
    int64_t evening = (int64_t)mktime(&tm) * 1000;
    rmq_stats_tick(&s, evening);
    s.put_msgs = 70;
    s.get_msgs = 7;
    rmq_stats_tick(&s, evening + 1000);
    assert_int_equal(s.put_today_morning, 0);
    rmq_stats_tick(&s, evening + 3000);   /* 00:00:01 the next day */
    assert_int_equal(s.put_today_morning, 70);
    assert_int_equal(s.get_today_morning, 7);
    assert_int_equal(s.put_yesterday_morning, 0);
    s.put_msgs = 100;
    rmq_stats_tick(&s, evening + 3000 + 86400000);
    assert_int_equal(s.put_yesterday_morning, 70);
    assert_int_equal(s.put_today_morning, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rates_over_windows),
        cmocka_unit_test(young_broker_rates_use_what_it_has),
        cmocka_unit_test(morning_totals_roll_at_midnight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
