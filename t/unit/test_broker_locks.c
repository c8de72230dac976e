/* Queue locks of orderly consumers: first client wins, renewal, expiry, release by holder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/locks.h"

#include <stdio.h>
#include <stdlib.h>

static void first_client_wins_until_expiry(void **state)
{
    struct rmq_locks l = {0};
    struct rmq_lock_mq q0 = {"T", "broker-a", 0}, q1 = {"T", "broker-a", 1}, qb = {"T", "broker-b", 0};
    assert_true(rmq_locks_try(&l, "g", &q0, "c1", 1000));
    assert_false(rmq_locks_try(&l, "g", &q0, "c2", 2000));
    assert_true(rmq_locks_try(&l, "g", &q1, "c2", 2000));       /* other queue */
    assert_true(rmq_locks_try(&l, "g", &qb, "c2", 2000));       /* same id, other broker */
    assert_true(rmq_locks_try(&l, "other", &q0, "c2", 2000));   /* other group */
    assert_string_equal(rmq_locks_holder(&l, "g", &q0, 2000), "c1");
    /* c1 renews at 50 s: still its own at 100 s */
    assert_true(rmq_locks_try(&l, "g", &q0, "c1", 50000));
    assert_false(rmq_locks_try(&l, "g", &q0, "c2", 100000));
    /* no renewal for more than 60 s: anyone may take it */
    assert_null(rmq_locks_holder(&l, "g", &q0, 50000 + RMQ_LOCK_MAX_LIVE_MS + 1));
    assert_true(rmq_locks_try(&l, "g", &q0, "c2", 50000 + RMQ_LOCK_MAX_LIVE_MS + 1));
    assert_string_equal(rmq_locks_holder(&l, "g", &q0, 120000), "c2");
    rmq_locks_free(&l);
}

static void only_the_holder_releases(void **state)
{
    struct rmq_locks l = {0};
    struct rmq_lock_mq q = {"T", "broker-a", 3};
    assert_true(rmq_locks_try(&l, "g", &q, "c1", 1));
    rmq_locks_release(&l, "g", &q, "c2");
    assert_false(rmq_locks_try(&l, "g", &q, "c2", 2));
    rmq_locks_release(&l, "g", &q, "c1");
    assert_null(rmq_locks_holder(&l, "g", &q, 3));
    assert_true(rmq_locks_try(&l, "g", &q, "c2", 4));
    rmq_locks_free(&l);
}

/* A flood of distinct queues stops at the cap; held locks still renew. */
static void the_table_is_bounded(void **state)
{
    struct rmq_locks *l = calloc(1, sizeof *l);
    char topic[16];
    for (int i = 0; i < RMQ_LOCK_MAX_ENTRIES; i++) {
        snprintf(topic, sizeof topic, "T%d", i / 65536);
        struct rmq_lock_mq q = {topic, "b", i % 65536};
        assert_true(rmq_locks_try(l, "g", &q, "c1", 1));
    }
    assert_int_equal(l->count, RMQ_LOCK_MAX_ENTRIES);
    struct rmq_lock_mq extra = {"Other", "b", 0}, held = {"T0", "b", 7};
    assert_false(rmq_locks_try(l, "g", &extra, "c1", 2));
    assert_true(rmq_locks_try(l, "g", &held, "c1", 2));
    rmq_locks_release(l, "g", &held, "c1");
    assert_int_equal(l->count, RMQ_LOCK_MAX_ENTRIES - 1);
    assert_true(rmq_locks_try(l, "g", &extra, "c1", 3));
    rmq_locks_free(l);
    assert_int_equal(l->count, 0);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_client_wins_until_expiry),
        cmocka_unit_test(only_the_holder_releases),
        cmocka_unit_test(the_table_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
