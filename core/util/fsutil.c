#include "util/fsutil.h"

#include "util/os.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rmq_mkdir_p(const char *path, int mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int write_fd_durably(const char *path, const void *data, size_t len)
{
    int fd = rmq_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -errno;
    if (rmq_os_write(fd, data, len) < 0 || rmq_os_fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return -e;
    }
    close(fd);
    return 0;
}

int rmq_write_file_atomic(const char *path, const void *data, size_t len, int keep_backup)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    if (keep_backup) {
        size_t old_len;
        char *old = rmq_read_file(path, (size_t)1 << 30, &old_len);
        if (old) {
            char bak[PATH_MAX];
            snprintf(bak, sizeof bak, "%s.bak", path);
            int rc = write_fd_durably(bak, old, old_len);
            free(old);
            if (rc)
                return rc;
        }
    }
    int rc = write_fd_durably(tmp, data, len);
    if (rc)
        return rc;
    if (rmq_os_rename(tmp, path) < 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    return rmq_os_fsync_dir(path) < 0 ? -errno : 0;
}

char *rmq_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return NULL;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (!buf)
        return NULL;
    buf[got] = 0;
    if (len)
        *len = got;
    errno = e;
    return buf;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

int rmq_remove_tree(const char *path)
{
    if (access(path, F_OK) < 0)
        return 0;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

char *rmq_path_join(char *out, size_t n, const char *a, const char *b)
{
    snprintf(out, n, "%s/%s", a, b);
    return out;
}
