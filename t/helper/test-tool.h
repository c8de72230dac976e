/*
 * test-tool.h — rmq-test-tool, the helper binary the bats tests use to reach store
 * internals (git's t/helper/test-tool idea): one table of subcommands in test-tool.c,
 * each `int tt_NAME(int argc, char **argv)` with argv[0] = its name. Exit codes as the
 * real commands: 0 success, 1 failure, 2 usage error; messages on stderr as
 * "rmq-test-tool NAME: message".
 *
 * Adding one: write tt_NAME (in test-tool.c, or a new t/helper/test-*.c when it is more
 * than a screenful), declare it here, add its row to tools[] in test-tool.c.
 */
#ifndef RMQ_TEST_TOOL_H
#define RMQ_TEST_TOOL_H

int tt_write_store(int argc, char **argv);
int tt_recover(int argc, char **argv);
int tt_corrupt(int argc, char **argv);
int tt_crc32(int argc, char **argv);
int tt_request(int argc, char **argv);
int tt_raw(int argc, char **argv);

/* "rmq-test-tool NAME: message" on stderr; returns 1. */
int tt_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Message (if any) and "usage: rmq-test-tool ..." on stderr; returns 2. */
int tt_usage(const char *usage, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parses a whole decimal number (accepting a 0x prefix) into *v; false when malformed. */
int tt_number(const char *s, long long *v);

#endif
