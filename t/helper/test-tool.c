/*
 * test-tool.c — rmq-test-tool's entry point and table, plus the small file tools:
 *
 *   corrupt FILE --bitflip OFFSET[:BIT]   flip one bit (default bit 0) of the byte at OFFSET
 *   corrupt FILE --truncate SIZE          cut (or extend) FILE to SIZE bytes
 *   corrupt FILE --zero OFFSET:LEN        overwrite LEN bytes at OFFSET with zeros
 *   crc32 FILE [--range OFFSET:LEN]       zlib CRC-32 of the bytes, as decimal, plus the
 *                                         RocketMQ-masked value (& 0x7FFFFFFF)
 *
 * The store tools (write-store, recover) are in test-store.c. Several corrupt actions may
 * be given at once; they run in order.
 */
#include "test-tool.h"

#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int tt_fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rmq-test-tool %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int tt_usage(const char *usage, const char *name, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        fprintf(stderr, "rmq-test-tool %s: ", name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    fputs(usage, stderr);
    return 2;
}

int tt_number(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 0);
    return *s && !*end && errno == 0;
}

/* "A:B" into two numbers; a missing ":B" leaves *b unchanged when b_optional. */
static int pair(const char *s, long long *a, long long *b, int b_optional)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *colon = strchr(buf, ':');
    if (!colon)
        return b_optional && tt_number(buf, a);
    *colon = 0;
    return tt_number(buf, a) && tt_number(colon + 1, b);
}

static const char corrupt_usage[] =
    "usage: rmq-test-tool corrupt FILE (--bitflip OFFSET[:BIT] | --truncate SIZE | --zero OFFSET:LEN)...\n";

int tt_corrupt(int argc, char **argv)
{
    if (argc < 4)
        return tt_usage(corrupt_usage, "corrupt", "missing arguments");
    const char *path = argv[1];
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return tt_fail("corrupt", "cannot open '%s': %s", path, strerror(errno));
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i += 2) {
        long long a = 0, b = 0;
        if (i + 1 >= argc) {
            rc = tt_usage(corrupt_usage, "corrupt", "'%s' needs a value", argv[i]);
        } else if (strcmp(argv[i], "--bitflip") == 0) {
            uint8_t byte;
            if (!pair(argv[i + 1], &a, &b, 1) || a < 0 || b < 0 || b > 7)
                rc = tt_usage(corrupt_usage, "corrupt", "bad --bitflip '%s'", argv[i + 1]);
            else if (pread(fd, &byte, 1, a) != 1)
                rc = tt_fail("corrupt", "cannot read byte %lld of '%s'", a, path);
            else {
                byte ^= (uint8_t)(1u << b);
                if (pwrite(fd, &byte, 1, a) != 1)
                    rc = tt_fail("corrupt", "cannot write '%s': %s", path, strerror(errno));
            }
        } else if (strcmp(argv[i], "--truncate") == 0) {
            if (!tt_number(argv[i + 1], &a) || a < 0)
                rc = tt_usage(corrupt_usage, "corrupt", "bad --truncate '%s'", argv[i + 1]);
            else if (ftruncate(fd, a) < 0)
                rc = tt_fail("corrupt", "cannot truncate '%s': %s", path, strerror(errno));
        } else if (strcmp(argv[i], "--zero") == 0) {
            if (!pair(argv[i + 1], &a, &b, 0) || a < 0 || b < 0)
                rc = tt_usage(corrupt_usage, "corrupt", "bad --zero '%s'", argv[i + 1]);
            static const char zeros[4096];
            while (rc == 0 && b > 0) {
                size_t n = b > (long long)sizeof zeros ? sizeof zeros : (size_t)b;
                if (pwrite(fd, zeros, n, a) != (ssize_t)n)
                    rc = tt_fail("corrupt", "cannot write '%s': %s", path, strerror(errno));
                a += (long long)n;
                b -= (long long)n;
            }
        } else {
            rc = tt_usage(corrupt_usage, "corrupt", "unknown action '%s'", argv[i]);
        }
    }
    if (close(fd) < 0 && rc == 0)
        rc = tt_fail("corrupt", "cannot close '%s': %s", path, strerror(errno));
    return rc;
}

static const char crc_usage[] = "usage: rmq-test-tool crc32 FILE [--range OFFSET:LEN]\n";

int tt_crc32(int argc, char **argv)
{
    long long off = 0, len = -1;
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--range") == 0 && pair(argv[3], &off, &len, 0)))
        return tt_usage(crc_usage, "crc32", "bad arguments");
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        return tt_fail("crc32", "cannot open '%s': %s", argv[1], strerror(errno));
    uLong crc = crc32(0L, Z_NULL, 0);
    static unsigned char buf[65536];
    for (;;) {
        size_t want = len < 0 || len > (long long)sizeof buf ? sizeof buf : (size_t)len;
        if (want == 0)
            break;
        ssize_t n = pread(fd, buf, want, off);
        if (n < 0) {
            close(fd);
            return tt_fail("crc32", "cannot read '%s': %s", argv[1], strerror(errno));
        }
        if (n == 0)
            break;
        crc = crc32(crc, buf, (uInt)n);
        off += n;
        if (len >= 0)
            len -= n;
    }
    close(fd);
    printf("%lu %lu\n", (unsigned long)crc, (unsigned long)(crc & 0x7FFFFFFFu));
    return 0;
}

struct tool {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct tool tools[] = {
    {"write-store", tt_write_store, "write N messages through the store API (clean close or crash)"},
    {"recover", tt_recover, "open a store (running recovery), print what it did, close it"},
    {"corrupt", tt_corrupt, "flip a bit, truncate or zero a range of a file"},
    {"crc32", tt_crc32, "zlib CRC-32 of a file or a range of it"},
    {"request", tt_request, "send requests to a daemon and print the responses"},
    {"raw", tt_raw, "send raw bytes to a daemon and tell whether it closed the connection"},
};

int main(int argc, char **argv)
{
    rmq_log_init_from_env();
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: rmq-test-tool <tool> [args]\n\ntools:\n");
        for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
            fprintf(out, "  %-12s %s\n", tools[i].name, tools[i].summary);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        if (strcmp(argv[1], tools[i].name) == 0) {
            int rc = tools[i].fn(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == 0)
                rc = 1;
            return rc;
        }
    }
    fprintf(stderr, "rmq-test-tool: unknown tool '%s'\n", argv[1]);
    return 2;
}
