#include "net/addr.h"

#include "util/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define FORMS "expected host:port, [v6]:port or unix:/path"

/* Port digits in [p, e): 1–5 digits, at most 65535. */
static int parse_port(const char *p, const char *e, uint16_t *port)
{
    if (p == e || e - p > 5)
        return -1;
    unsigned v = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static bool host_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '-' || ch == '.' || ch == '_';
}

/* One address in [s, e), already trimmed; text is the whole entry for messages. */
static int parse_n(const char *s, const char *e, struct rmq_addr *a, char *err)
{
    int len = (int)(e - s);
    memset(a, 0, sizeof *a);
    if (s == e)
        return rmq_seterr(err, RMQ_EINVAL, "empty address (" FORMS ")");
    if (e - s >= 5 && memcmp(s, "unix:", 5) == 0) {
        size_t n = (size_t)(e - s - 5);
        a->kind = RMQ_ADDR_UNIX;
        if (n == 0)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': empty unix socket path", len, s);
        if (n > RMQ_ADDR_PATHMAX)
            return rmq_seterr(err, RMQ_ETOOBIG,
                              "bad address '%.*s': unix socket path is %zu bytes, the limit is %d",
                              len, s, n, RMQ_ADDR_PATHMAX);
        if (memchr(s + 5, 0, n))
            return rmq_seterr(err, RMQ_EINVAL, "bad address: NUL in unix socket path");
        memcpy(a->path, s + 5, n);
        return 0;
    }
    a->kind = RMQ_ADDR_TCP;
    const char *hs, *he, *colon;
    if (*s == '[') {
        hs = s + 1;
        he = memchr(hs, ']', (size_t)(e - hs));
        if (!he)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': missing ']'", len, s);
        colon = he + 1;
        if (colon == e)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': missing port (" FORMS ")", len, s);
        if (*colon != ':')
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': expected ':' after ']'", len, s);
        char v6[RMQ_ADDR_HOSTMAX + 1];
        size_t hn = (size_t)(he - hs);
        if (hn == 0 || hn > RMQ_ADDR_HOSTMAX)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': bad IPv6 address", len, s);
        memcpy(v6, hs, hn);
        v6[hn] = 0;
        char *zone = strchr(v6, '%');
        if (zone)
            *zone = 0;
        struct in6_addr in6;
        if (inet_pton(AF_INET6, v6, &in6) != 1 || (zone && !zone[1]))
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': bad IPv6 address", len, s);
    } else {
        colon = NULL;
        for (const char *p = s; p < e; p++)
            if (*p == ':') {
                if (colon)
                    return rmq_seterr(err, RMQ_EINVAL,
                                      "bad address '%.*s': an IPv6 address needs brackets, "
                                      "as in [::1]:9876", len, s);
                colon = p;
            }
        if (!colon)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': missing port (" FORMS ")", len, s);
        hs = s;
        he = colon;
        if (hs == he)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': missing host (" FORMS ")", len, s);
        if (he - hs > RMQ_ADDR_HOSTMAX)
            return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': host name too long", len, s);
        for (const char *p = hs; p < he; p++)
            if (!host_char(*p))
                return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': bad character '%c' in host",
                                  len, s, *p);
    }
    if (parse_port(colon + 1, e, &a->port) < 0)
        return rmq_seterr(err, RMQ_EINVAL, "bad address '%.*s': port must be a number 0-65535",
                          len, s);
    memcpy(a->host, hs, (size_t)(he - hs));
    return 0;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

int rmq_addr_parse(const char *text, struct rmq_addr *a, char *err)
{
    const char *s = text, *e = text + strlen(text);
    trim(&s, &e);
    return parse_n(s, e, a, err);
}

int rmq_addr_list_parse(const char *text, struct rmq_addr **v, size_t *n, char *err)
{
    *v = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ';';
    struct rmq_addr *out = calloc(cap, sizeof *out);
    if (!out)
        return rmq_seterr(err, -ENOMEM, "cannot allocate an address list");
    size_t cnt = 0;
    for (const char *s = text;;) {
        const char *sep = strchr(s, ';');
        const char *e = sep ? sep : s + strlen(s);
        const char *ts = s, *te = e;
        trim(&ts, &te);
        if (ts < te) {
            int rc = parse_n(ts, te, &out[cnt], err);
            if (rc < 0) {
                free(out);
                return rc;
            }
            cnt++;
        }
        if (!sep)
            break;
        s = sep + 1;
    }
    if (cnt == 0) {
        free(out);
        return rmq_seterr(err, RMQ_EINVAL, "empty address list (" FORMS ", separated by ';')");
    }
    *v = out;
    *n = cnt;
    return 0;
}

char *rmq_addr_format(const struct rmq_addr *a, char *out, size_t n)
{
    if (a->kind == RMQ_ADDR_UNIX)
        snprintf(out, n, "unix:%s", a->path);
    else if (strchr(a->host, ':'))
        snprintf(out, n, "[%s]:%u", a->host, (unsigned)a->port);
    else
        snprintf(out, n, "%s:%u", a->host, (unsigned)a->port);
    return out;
}

char *rmq_addr_list_format(const struct rmq_addr *v, size_t count, char *out, size_t n)
{
    size_t used = 0;
    if (n)
        out[0] = 0;
    for (size_t i = 0; i < count && used + 1 < n; i++) {
        char one[RMQ_ADDR_TEXTLEN];
        int w = snprintf(out + used, n - used, "%s%s", i ? ";" : "",
                         rmq_addr_format(&v[i], one, sizeof one));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return out;
}

bool rmq_addr_equal(const struct rmq_addr *a, const struct rmq_addr *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == RMQ_ADDR_UNIX)
        return strcmp(a->path, b->path) == 0;
    return a->port == b->port && strcasecmp(a->host, b->host) == 0;
}

int rmq_addr_resolve(const struct rmq_addr *a, bool passive, struct sockaddr_storage *ss,
                     socklen_t *len, char *err)
{
    memset(ss, 0, sizeof *ss);
    if (a->kind == RMQ_ADDR_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strlen(a->path);
        if (n == 0 || n >= sizeof un->sun_path)
            return rmq_seterr(err, RMQ_ETOOBIG, "unix socket path '%s' is %zu bytes, the limit is %zu",
                              a->path, n, sizeof un->sun_path - 1);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->path, n + 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)a->port);
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0 || !res) {
        char t[RMQ_ADDR_TEXTLEN];
        return rmq_seterr(err, RMQ_ENOTFOUND, "cannot resolve '%s': %s",
                          rmq_addr_format(a, t, sizeof t),
                          rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *r = res; r; r = r->ai_next)
        if (r->ai_family == AF_INET) {
            pick = r;
            break;
        }
    memcpy(ss, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int rmq_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct rmq_addr *a)
{
    memset(a, 0, sizeof *a);
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        a->kind = RMQ_ADDR_TCP;
        a->port = ntohs(in->sin_port);
        inet_ntop(AF_INET, &in->sin_addr, a->host, sizeof a->host);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        a->kind = RMQ_ADDR_TCP;
        a->port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], a->host, sizeof a->host);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, a->host, sizeof a->host);
        return 0;
    }
    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t off = offsetof(struct sockaddr_un, sun_path);
        a->kind = RMQ_ADDR_UNIX;
        if (len > off && un->sun_path[0]) {
            size_t n = strnlen(un->sun_path, len - off);
            if (n > RMQ_ADDR_PATHMAX)
                n = RMQ_ADDR_PATHMAX;
            memcpy(a->path, un->sun_path, n);
        }
        return 0;
    }
    return RMQ_EINVAL;
}
