/*
 * listen.c — the listeners every rmq daemon opens (DESIGN §4): a TCP port on all
 * interfaces and, when configured, a Unix socket.
 */
#include "net/server.h"

#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int rmq_server_listen_std(struct rmq_server *s, int port, const char *unix_path, int *bound_port,
                          char *err)
{
    struct rmq_addr a, bound;
    char text[PATH_MAX + 16];
    snprintf(text, sizeof text, "0.0.0.0:%d", port);
    int rc = rmq_addr_parse(text, &a, err);
    if (rc == 0)
        rc = rmq_server_listen(s, &a, &bound, err);
    if (rc)
        return rc;
    if (bound_port)
        *bound_port = bound.port;
    if (!unix_path || !*unix_path)
        return 0;
    snprintf(text, sizeof text, "unix:%s", unix_path);
    if ((rc = rmq_addr_parse(text, &a, err)))
        return rc;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", unix_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if ((rc = rmq_mkdir_p(dir, 0755)) < 0)
            return rmq_seterr(err, rc, "cannot create the directory '%s' of the unix socket: %s", dir,
                              strerror(-rc));
    }
    return rmq_server_listen(s, &a, NULL, err);
}
