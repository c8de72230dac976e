/*
 * conf_check.c — the forms string keys must have (address lists, hours, delay levels,
 * DLedger peers), and the parsers finish() runs on values that passed them.
 *
 * Lists are split on ';' like Java's String.split: empty items (a trailing ';') are
 * skipped, but at least one item must remain.
 */
#include "conf/conf_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_MAX 512    /* longest list item we look at; longer ones are refused */

/* Copies the next sep-separated item of *p into item and advances *p past it.
 * Returns false at the end, or (with *toolong set) when an item does not fit. */
static bool next_item(const char **p, char sep, char *item, bool *toolong)
{
    while (**p == sep)
        (*p)++;
    if (!**p)
        return false;
    const char *end = strchr(*p, sep);
    size_t len = end ? (size_t)(end - *p) : strlen(*p);
    if (len >= ITEM_MAX) {
        *toolong = true;
        return false;
    }
    memcpy(item, *p, len);
    item[len] = 0;
    *p += len;
    return true;
}

/* Applies fn to every ';' item of v; true when there is at least one and all pass. */
static bool each_item(const char *v, char sep, bool (*fn)(const char *item))
{
    char item[ITEM_MAX];
    bool toolong = false;
    int n = 0;
    while (next_item(&v, sep, item, &toolong)) {
        if (!fn(item))
            return false;
        n++;
    }
    return n > 0 && !toolong;
}

bool conf_check_host(const char *v)
{
    size_t len = strlen(v);
    unsigned char a6[16];
    if (len >= 2 && v[0] == '[' && v[len - 1] == ']') {
        char in[64];
        if (len - 2 >= sizeof in)
            return false;
        memcpy(in, v + 1, len - 2);
        in[len - 2] = 0;
        return inet_pton(AF_INET6, in, a6) == 1;
    }
    if (strchr(v, ':'))
        return inet_pton(AF_INET6, v, a6) == 1;
    /* IPv4 literals and host names share this alphabet */
    if (len == 0 || len > 253)
        return false;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            return false;
    return true;
}

static bool check_port(const char *s)
{
    if (!*s || strlen(s) > 5)
        return false;
    int port = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        port = port * 10 + (*s - '0');
    }
    return port >= 1 && port <= 65535;
}

bool conf_check_addr(const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return false;
    char host[ITEM_MAX];
    size_t hl = (size_t)(colon - v);
    if (hl >= sizeof host)
        return false;
    memcpy(host, v, hl);
    host[hl] = 0;
    /* a bare IPv6 address needs brackets, or its last group would read as the port */
    if (strchr(host, ':') && host[0] != '[')
        return false;
    return conf_check_host(host) && check_port(colon + 1);
}

static bool check_addr_or_unix(const char *item)
{
    if (strncmp(item, "unix:", 5) == 0)
        return item[5] == '/' && strlen(item + 5) <= RMQ_CONF_MAX_SOCKET_PATH;
    return conf_check_addr(item);
}

bool conf_check_addr_list(const char *v)
{
    return each_item(v, ';', check_addr_or_unix);
}

static bool check_hour(const char *item)
{
    size_t len = strlen(item);
    if (len < 1 || len > 2 || !isdigit((unsigned char)item[0]) ||
        (len == 2 && !isdigit((unsigned char)item[1])))
        return false;
    return atoi(item) <= 23;
}

bool conf_check_hours(const char *v)
{
    return each_item(v, ';', check_hour);
}

uint32_t conf_parse_hours(const char *v)
{
    char item[ITEM_MAX];
    bool toolong = false;
    uint32_t mask = 0;
    while (next_item(&v, ';', item, &toolong))
        mask |= 1u << atoi(item);
    return mask;
}

/* "5s" → 5000; -1 when malformed. Units as in Java's ScheduleMessageService. */
static int64_t delay_ms(const char *item)
{
    size_t len = strlen(item);
    if (len < 2 || len > 12)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (!isdigit((unsigned char)item[i]))
            return -1;
        v = v * 10 + (item[i] - '0');
    }
    switch (item[len - 1]) {
    case 's': return v * 1000;
    case 'm': return v * 60 * 1000;
    case 'h': return v * 3600 * 1000;
    case 'd': return v * 86400 * 1000;
    default: return -1;
    }
}

int conf_parse_delay_levels(const char *v, int64_t *ms, int max)
{
    char item[ITEM_MAX];
    int n = 0;
    /* Java splits on single spaces; runs of blanks and tabs are accepted here */
    while (*v) {
        v += strspn(v, " \t");
        if (!*v)
            break;
        size_t len = strcspn(v, " \t");
        if (len >= sizeof item || n == max)
            return -1;
        memcpy(item, v, len);
        item[len] = 0;
        v += len;
        int64_t d = delay_ms(item);
        if (d < 0)
            return -1;
        ms[n++] = d;
    }
    return n > 0 ? n : -1;
}

bool conf_check_delay_levels(const char *v)
{
    int64_t ms[RMQ_CONF_MAX_DELAY_LEVELS];
    return conf_parse_delay_levels(v, ms, RMQ_CONF_MAX_DELAY_LEVELS) > 0;
}

bool conf_check_peer_id(const char *v)
{
    size_t len = strlen(v);
    if (len == 0 || len > 64)
        return false;
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && *v != '_')
            return false;
    return true;
}

/* "n0-127.0.0.1:40911": the id ends at the first '-' (ids have none). */
static bool check_peer(const char *item)
{
    const char *dash = strchr(item, '-');
    if (!dash)
        return false;
    char id[ITEM_MAX];
    memcpy(id, item, (size_t)(dash - item));
    id[dash - item] = 0;
    return conf_check_peer_id(id) && conf_check_addr(dash + 1);
}

bool conf_peers_have(const char *v, const char *id)
{
    char item[ITEM_MAX];
    bool toolong = false;
    size_t idlen = strlen(id);
    while (next_item(&v, ';', item, &toolong))
        if (strncmp(item, id, idlen) == 0 && item[idlen] == '-')
            return true;
    return false;
}

bool conf_check_peers(const char *v)
{
    if (!each_item(v, ';', check_peer))
        return false;
    /* ids must be unique: check each item's id against the items after it */
    char item[ITEM_MAX];
    bool toolong = false;
    while (next_item(&v, ';', item, &toolong)) {
        *strchr(item, '-') = 0;
        if (conf_peers_have(v, item))
            return false;
    }
    return true;
}
