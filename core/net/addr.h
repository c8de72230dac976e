/*
 * addr.h — the addresses rmq listens on and connects to, as text and as sockaddrs.
 *
 * Every place that takes an address accepts the same forms (DESIGN §4):
 *   host:port       IPv4 literal ("127.0.0.1:10911") or host name ("broker-a:10911")
 *   [v6]:port       IPv6 literal in brackets ("[::1]:9876", "[fe80::1%eth0]:9876");
 *                   a bare "::1:9876" is refused: it cannot be split unambiguously
 *   unix:/path      a Unix stream socket (relative paths allowed: "unix:run/rmq.sock")
 *   a;b;c           a list, as RocketMQ's namesrvAddr writes it; spaces around entries and
 *                   empty entries ("a; b;") are ignored
 * Port 0 is accepted by the parser (a listener then picks a free port and reports it); a
 * connection to port 0 fails at connect time.
 *
 * Parsing is pure and never touches DNS. rmq_addr_resolve() turns a host name into a
 * sockaddr with getaddrinfo(), which BLOCKS for names that are not literals: call it at start
 * up or from a tool, not on a busy loop (literals and "localhost" from /etc/hosts are fast).
 * All functions are thread-safe (no shared state).
 *
 * Errors: 0 or a negative RMQ_E* code, detail in err (RMQ_ERRLEN bytes, may be NULL):
 *   RMQ_EINVAL    the text is not an address (the message says which part and why)
 *   RMQ_ETOOBIG   a unix socket path longer than sun_path holds (107 bytes)
 *   RMQ_ENOTFOUND a host name getaddrinfo() cannot resolve
 */
#ifndef RMQ_NET_ADDR_H
#define RMQ_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum rmq_addr_kind { RMQ_ADDR_TCP = 1, RMQ_ADDR_UNIX = 2 };

#define RMQ_ADDR_HOSTMAX 253  /* longest host name (DNS) or IPv6 literal with zone */
#define RMQ_ADDR_PATHMAX 107  /* longest unix socket path: sizeof sun_path - 1 */
#define RMQ_ADDR_TEXTLEN 272  /* enough for any formatted address plus its NUL */

struct rmq_addr {
    enum rmq_addr_kind kind;
    uint16_t port;                    /* TCP only                                    */
    char host[RMQ_ADDR_HOSTMAX + 1];  /* TCP: without brackets ("::1", "broker-a")   */
    char path[RMQ_ADDR_PATHMAX + 1];  /* unix: the path after "unix:"                */
};

/* Parses one address (leading and trailing spaces ignored) into *a. 0 or RMQ_EINVAL /
 * RMQ_ETOOBIG; *a is undefined on error. */
int rmq_addr_parse(const char *text, struct rmq_addr *a, char *err);

/* Parses a ';'-separated list. On success *v is a malloc'd array of *n >= 1 addresses that
 * the caller frees with free(); an empty list is RMQ_EINVAL ("empty address list"). On error
 * *v is NULL, *n is 0 and err names the bad entry. */
int rmq_addr_list_parse(const char *text, struct rmq_addr **v, size_t *n, char *err);

/* Formats a as "127.0.0.1:10911", "[::1]:9876" or "unix:/path" into out (n bytes; truncated
 * when too small; RMQ_ADDR_TEXTLEN always suffices); returns out. Parsing the result gives a
 * back. */
char *rmq_addr_format(const struct rmq_addr *a, char *out, size_t n);

/* Formats n addresses joined with ';' (RocketMQ's list form); truncates; returns out. */
char *rmq_addr_list_format(const struct rmq_addr *v, size_t count, char *out, size_t n);

/* True when a and b name the same endpoint as text (host names are not resolved). */
bool rmq_addr_equal(const struct rmq_addr *a, const struct rmq_addr *b);

/* The sockaddr to bind (passive) or connect to. TCP names resolve with getaddrinfo (may
 * block, see above); when a name has both IPv4 and IPv6 addresses the first IPv4 one is
 * taken, as Java does by default. 0, RMQ_ENOTFOUND or RMQ_ETOOBIG. */
int rmq_addr_resolve(const struct rmq_addr *a, bool passive, struct sockaddr_storage *ss,
                     socklen_t *len, char *err);

/* The address of a sockaddr (AF_INET, AF_INET6 with IPv4-mapped addresses shown as IPv4,
 * AF_UNIX; an unnamed unix peer has an empty path). 0 or RMQ_EINVAL for other families. */
int rmq_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct rmq_addr *a);

#endif
