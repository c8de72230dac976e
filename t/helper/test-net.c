/*
 * test-net.c — rmq-test-tool's wire subcommands, for testing daemons over their sockets:
 *   request ADDR CODE [KEY=VALUE...] [--body TEXT | --body-file F | --batch B1,B2,...]
 *           [--binary] [--count N] [--show-body]
 *       sends N requests (opaque 1..N) on one connection, then prints each response as
 *       one line: code=C remark=R KEY=VALUE... body_len=N
 *   raw ADDR HEX [--then-request CODE]
 *       writes the given bytes, then reports whether the server closed the connection
 *       ("closed") or answers a following request on a NEW connection ("alive C").
 * Blocking sockets and the real codec (core/proto): no event loop needed here.
 */
#include "test-tool.h"

#include "net/addr.h"
#include "proto/codes.h"
#include "proto/remoting.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(const char *name, const char *text)
{
    struct rmq_addr a;
    struct sockaddr_storage ss;
    socklen_t len;
    char err[RMQ_ERRLEN];
    if (rmq_addr_parse(text, &a, err) || rmq_addr_resolve(&a, false, &ss, &len, err)) {
        tt_fail(name, "%s", err);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
        tt_fail(name, "cannot connect to %s: %s", text, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one frame; NULL when the peer closed. */
static uint8_t *read_frame(int fd, size_t *len)
{
    uint8_t pre[4];
    if (read_full(fd, pre, 4))
        return NULL;
    uint32_t n = rd32(pre);
    if (n > (64u << 20))
        return NULL;
    uint8_t *f = malloc(n + 4);
    memcpy(f, pre, 4);
    if (read_full(fd, f + 4, n)) {
        free(f);
        return NULL;
    }
    *len = n + 4;
    return f;
}

static bool show_body;

static void print_response(const uint8_t *frame, size_t len)
{
    struct rmq_cmd c;
    char err[RMQ_ERRLEN];
    if (rmq_cmd_decode(frame, len, &c, err)) {
        printf("undecodable: %s\n", err);
        return;
    }
    printf("code=%d", c.code);
    if (c.remark)
        printf(" remark=%s", c.remark);
    for (uint32_t i = 0; i < c.next; i++)
        printf(" %s=%s", c.ext[i].key, c.ext[i].val);
    printf(" body_len=%zu\n", c.body_len);
    if (show_body && c.body_len)
        printf("body=%.*s\n", (int)c.body_len, (const char *)c.body);
    rmq_cmd_free(&c);
}

/* The batch encoding of PROTOCOL §4.7 for comma-separated bodies, each with KEYS=<body>. */
static void batch_bodies(struct rmq_buf *out, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    for (char *b = strtok_r(copy, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        char props[300];
        int pl = snprintf(props, sizeof props, "KEYS\001%s", b);
        uint8_t hdr[20];
        size_t bl = strlen(b);
        wr32(hdr, (uint32_t)(20 + bl + 2 + (size_t)pl));
        wr32(hdr + 4, 0);
        wr32(hdr + 8, 0);
        wr32(hdr + 12, 0);
        wr32(hdr + 16, (uint32_t)bl);
        rmq_buf_add(out, hdr, sizeof hdr);
        rmq_buf_add(out, b, bl);
        uint8_t l[2];
        wr16(l, (uint16_t)pl);
        rmq_buf_add(out, l, 2);
        rmq_buf_add(out, props, (size_t)pl);
    }
    free(copy);
}

int tt_request(int argc, char **argv)
{
    static const char usage[] = "usage: rmq-test-tool request ADDR CODE [KEY=VALUE...] [--body TEXT] [--binary] [--count N]\n";
    if (argc < 3)
        return tt_usage(usage, "request", "missing ADDR or CODE");
    long long code, count = 1;
    if (!tt_number(argv[2], &code))
        return tt_usage(usage, "request", "bad code '%s'", argv[2]);
    struct rmq_cmd req;
    const char *body = NULL;
    char *body_buf = NULL;
    struct rmq_buf batch = {0};
    bool binary = false;
    for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--binary"))
            binary = true;
    rmq_cmd_init_request(&req, (int)code, binary ? RMQ_SER_ROCKETMQ : RMQ_SER_JSON);
    for (int i = 3; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!strcmp(argv[i], "--body") && i + 1 < argc)
            body = argv[++i];
        else if (!strcmp(argv[i], "--body-file") && i + 1 < argc) {
            size_t n;
            if (!(body_buf = rmq_read_file(argv[++i], (size_t)1 << 30, &n)))
                return tt_fail("request", "cannot read '%s': %s", argv[i], strerror(errno));
            body = body_buf;
        }
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch_bodies(&batch, argv[++i]);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc && tt_number(argv[i + 1], &count))
            i++;
        else if (!strcmp(argv[i], "--binary"))
            continue;
        else if (!strcmp(argv[i], "--show-body"))
            show_body = true;
        else if (eq && eq != argv[i])
            rmq_cmd_set_extn(&req, argv[i], (size_t)(eq - argv[i]), eq + 1, strlen(eq + 1));
        else
            return tt_usage(usage, "request", "bad argument '%s'", argv[i]);
    }
    if (body) {
        req.body = (const uint8_t *)body;
        req.body_len = strlen(body);
    }
    if (batch.len) {
        req.body = batch.data;
        req.body_len = batch.len;
    }
    int fd = dial("request", argv[1]);
    if (fd < 0)
        return 1;
    for (long long i = 1; i <= count; i++) {
        struct rmq_buf out = {0};
        req.opaque = (int32_t)i;
        rmq_cmd_encode(&req, &out);
        if (write(fd, out.data, out.len) != (ssize_t)out.len)
            return tt_fail("request", "write failed: %s", strerror(errno));
        rmq_buf_free(&out);
    }
    int rc = 0;
    for (long long i = 1; i <= count; i++) {
        size_t len;
        uint8_t *f = read_frame(fd, &len);
        if (!f) {
            rc = tt_fail("request", "connection closed before response %lld", i);
            break;
        }
        print_response(f, len);
        free(f);
    }
    rmq_cmd_free(&req);
    free(body_buf);
    rmq_buf_free(&batch);
    close(fd);
    return rc;
}

int tt_raw(int argc, char **argv)
{
    static const char usage[] = "usage: rmq-test-tool raw ADDR HEX\n";
    if (argc != 3 || strlen(argv[2]) % 2)
        return tt_usage(usage, "raw", "want ADDR and an even number of hex digits");
    size_t n = strlen(argv[2]) / 2;
    uint8_t *bytes = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        if (sscanf(argv[2] + 2 * i, "%2hhx", &bytes[i]) != 1)
            return tt_usage(usage, "raw", "bad hex");
    int fd = dial("raw", argv[1]);
    if (fd < 0)
        return 1;
    if (write(fd, bytes, n) != (ssize_t)n)
        return tt_fail("raw", "write failed");
    free(bytes);
    /* closed = the server dropped us (read returns 0 or an error within 3 s) */
    struct pollfd p = {fd, POLLIN, 0};
    uint8_t b[256];
    if (poll(&p, 1, 3000) == 1 && read(fd, b, sizeof b) <= 0)
        printf("closed\n");
    else
        printf("open\n");
    close(fd);
    return 0;
}
