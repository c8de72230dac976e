/*
 * lookup.c — message lookup by id and key (see lookup.h).
 */
#include "client/lookup.h"
#include "client/admin.h"

#include "proto/codes.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int rmq_offset_id_decode(const char *id, char *broker, size_t broker_len, int64_t *phys, char *err)
{
    size_t n = strlen(id), iplen = n == 32 ? 4 : n == 56 ? 16 : 0;
    uint8_t raw[28];
    if (!iplen)
        return rmq_seterr(err, RMQ_EINVAL, "'%s' is not an offset message id (32 or 56 hex digits)", id);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(id[2 * i]), lo = hexval(id[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return rmq_seterr(err, RMQ_EINVAL, "'%s' is not an offset message id (not hex)", id);
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(iplen == 4 ? AF_INET : AF_INET6, raw, ip, sizeof ip);
    uint32_t port = rd32(raw + iplen);
    *phys = (int64_t)rd64(raw + iplen + 4);
    if (port == 0 || port > 65535 || *phys < 0)
        return rmq_seterr(err, RMQ_EINVAL, "'%s' is not an offset message id (port %u, offset %lld)", id, port,
                          (long long)*phys);
    snprintf(broker, broker_len, iplen == 4 ? "%s:%u" : "[%s]:%u", ip, port);
    return 0;
}

int rmq_lookup_offset(struct rmq_rpc *r, int64_t phys, struct rmq_rpc_reply *rep, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_VIEW_MESSAGE_BY_ID, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext_int(&req, "offset", phys);
    return rmq_admin_call(r, &req, rep, err);
}

int rmq_lookup_key(struct rmq_rpc *r, const char *topic, const char *key, bool uniq, int max,
                   struct rmq_rpc_reply *rep, char *err)
{
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_QUERY_MESSAGE, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    rmq_cmd_set_ext(&req, "key", key);
    rmq_cmd_set_ext_int(&req, "maxNum", max);
    rmq_cmd_set_ext_int(&req, "beginTimestamp", 0);
    rmq_cmd_set_ext_int(&req, "endTimestamp", rmq_now_ms() + 1000);
    if (uniq)
        rmq_cmd_set_ext(&req, "_UNIQUE_KEY_QUERY", "true");
    return rmq_admin_call(r, &req, rep, err);
}
