/*
 * fsutil.h — small file-system helpers shared by the store, config and tools.
 */
#ifndef RMQ_UTIL_FSUTIL_H
#define RMQ_UTIL_FSUTIL_H

#include <stddef.h>

/* mkdir -p; 0 or -errno. */
int rmq_mkdir_p(const char *path, int mode);

/* Replace path with data durably: write path.tmp, fsync, rename over path, fsync the
 * directory. A crash leaves either the old or the new content, never a mix. When
 * keep_backup is set the previous content is first copied to path.bak (RocketMQ keeps
 * *.json.bak beside its config files). 0 or -errno. */
int rmq_write_file_atomic(const char *path, const void *data, size_t len, int keep_backup);

/* Read a whole file into a NUL-terminated malloc'd buffer; *len gets its size.
 * Returns NULL with errno set on failure; files over max bytes fail with EFBIG. */
char *rmq_read_file(const char *path, size_t max, size_t *len);

/* rm -rf of a directory tree this program made (store dirs in tests and tools). */
int rmq_remove_tree(const char *path);

/* Joins a and b with '/', into out (size n); returns out. */
char *rmq_path_join(char *out, size_t n, const char *a, const char *b);

#endif
