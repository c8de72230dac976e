/*
 * msgid.c — UNIQ_KEY ids in Java's layout.
 */
#include "client/msgid.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char hex[] = "0123456789ABCDEF";

static void put_hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
}

void rmq_uniq_init(struct rmq_uniq_gen *g, const uint8_t ip[4], uint32_t pid, uint32_t hash)
{
    uint8_t raw[10];
    memcpy(raw, ip, 4);
    raw[4] = (uint8_t)(pid >> 8);
    raw[5] = (uint8_t)pid;
    for (int i = 0; i < 4; i++)
        raw[6 + i] = (uint8_t)(hash >> (24 - 8 * i));
    put_hex(g->fixed, raw, sizeof raw);
    g->fixed[20] = 0;
    g->month_start_ms = 0;
    g->next_month_ms = 0;   /* computed on first use */
    g->counter = 0;
}

void rmq_local_ipv4(uint8_t ip[4])
{
    static const uint8_t loopback[4] = {127, 0, 0, 1};
    memcpy(ip, loopback, 4);
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
                continue;
            memcpy(ip, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
            break;
        }
        freeifaddrs(ifs);
    }
}

void rmq_uniq_init_local(struct rmq_uniq_gen *g)
{
    uint8_t ip[4];
    rmq_local_ipv4(ip);
    uint32_t hash;
    if (getrandom(&hash, sizeof hash, GRND_NONBLOCK) != (ssize_t)sizeof hash)
        hash = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
    rmq_uniq_init(g, ip, (uint32_t)getpid(), hash);
}

/* Java: Calendar at now, day 1, 00:00:00.000 local time; and one month later. */
static void set_month(struct rmq_uniq_gen *g, int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    struct tm next = tm;
    g->month_start_ms = (int64_t)mktime(&tm) * 1000;
    next.tm_mon += 1;
    next.tm_isdst = -1;
    g->next_month_ms = (int64_t)mktime(&next) * 1000;
}

void rmq_uniq_next(struct rmq_uniq_gen *g, int64_t now_ms, char *out)
{
    if (now_ms >= g->next_month_ms || now_ms < g->month_start_ms)
        set_month(g, now_ms);
    int32_t diff = (int32_t)(now_ms - g->month_start_ms);
    uint16_t n = ++g->counter;
    uint8_t raw[6] = {(uint8_t)((uint32_t)diff >> 24), (uint8_t)((uint32_t)diff >> 16),
                      (uint8_t)((uint32_t)diff >> 8), (uint8_t)diff, (uint8_t)(n >> 8), (uint8_t)n};
    memcpy(out, g->fixed, 20);
    put_hex(out + 20, raw, sizeof raw);
    out[RMQ_UNIQ_LEN] = 0;
}
