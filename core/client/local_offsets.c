/*
 * local_offsets.c — a group's offsets in a JSON file (broadcasting consumers).
 */
#include "client/local_offsets.h"

#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE (64u << 20)

struct rmq_local_offsets {
    char *path, *group;
    json_t *offsets;   /* the array of entries */
    bool dirty;
};

void rmq_local_offsets_default_path(char *out, size_t n, const char *group)
{
    char safe[256];
    snprintf(safe, sizeof safe, "%s", group);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    const char *home = getenv("RMQ_HOME");
    if (home && *home) {
        snprintf(out, n, "%s/offsets/%s.json", home, safe);
        return;
    }
    home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/tmp";
    }
    snprintf(out, n, "%s/.rmq/offsets/%s.json", home, safe);
}

static bool valid_entry(json_t *e)
{
    return json_is_object(e) && json_is_string(json_object_get(e, "topic")) &&
           json_is_string(json_object_get(e, "brokerName")) && json_is_integer(json_object_get(e, "queueId")) &&
           json_is_integer(json_object_get(e, "offset"));
}

struct rmq_local_offsets *rmq_local_offsets_open(const char *path, const char *group, char *err)
{
    json_t *offsets = NULL;
    size_t len;
    char *text = rmq_read_file(path, MAX_FILE, &len);
    if (!text && errno != ENOENT) {
        rmq_seterr(err, -errno, "cannot read local offsets %s: %s", path, strerror(errno));
        return NULL;
    }
    if (text) {
        json_error_t je;
        json_t *root = json_loadb(text, len, 0, &je);
        free(text);
        offsets = json_incref(json_object_get(root, "offsets"));
        json_decref(root);
        bool ok = json_is_array(offsets);
        for (size_t i = 0; ok && i < json_array_size(offsets); i++)
            ok = valid_entry(json_array_get(offsets, i));
        if (!ok) {
            json_decref(offsets);
            rmq_seterr(err, RMQ_EINVAL, "local offsets %s: not {\"offsets\":[{topic, brokerName, queueId, offset}…]}%s%s",
                       path, root ? "" : ": ", root ? "" : je.text);
            return NULL;
        }
    }
    struct rmq_local_offsets *lo = calloc(1, sizeof *lo);
    if (!lo || !(lo->path = strdup(path)) || !(lo->group = strdup(group)))
        rmq_panic("out of memory");
    lo->offsets = offsets ? offsets : json_array();
    return lo;
}

static json_t *find(const struct rmq_local_offsets *lo, const char *topic, const char *broker, int qid)
{
    size_t i;
    json_t *e;
    json_array_foreach(lo->offsets, i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "topic")), topic) &&
            !strcmp(json_string_value(json_object_get(e, "brokerName")), broker) &&
            json_integer_value(json_object_get(e, "queueId")) == qid)
            return e;
    }
    return NULL;
}

int64_t rmq_local_offsets_get(const struct rmq_local_offsets *lo, const char *topic, const char *broker, int qid)
{
    json_t *e = find(lo, topic, broker, qid);
    int64_t off = e ? (int64_t)json_integer_value(json_object_get(e, "offset")) : -1;
    return off >= 0 ? off : -1;
}

void rmq_local_offsets_set(struct rmq_local_offsets *lo, const char *topic, const char *broker, int qid,
                           int64_t offset)
{
    json_t *e = find(lo, topic, broker, qid);
    if (e) {
        if (json_integer_value(json_object_get(e, "offset")) == offset)
            return;
        json_object_set_new(e, "offset", json_integer(offset));
    } else {
        json_array_append_new(lo->offsets, json_pack("{s:s, s:s, s:i, s:I}", "topic", topic, "brokerName", broker,
                                                     "queueId", qid, "offset", (json_int_t)offset));
    }
    lo->dirty = true;
}

int rmq_local_offsets_save(struct rmq_local_offsets *lo, char *err)
{
    if (!lo->dirty)
        return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", lo->path);
    int rc = rmq_mkdir_p(dirname(dir), 0755);
    if (rc)
        return rmq_seterr(err, rc, "cannot create the directory of %s: %s", lo->path, strerror(-rc));
    json_t *root = json_pack("{s:s, s:O}", "group", lo->group, "offsets", lo->offsets);
    char *text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    if (!text)
        rmq_panic("out of memory");
    rc = rmq_write_file_atomic(lo->path, text, strlen(text), 0);
    free(text);
    if (rc)
        return rmq_seterr(err, rc, "cannot write local offsets %s: %s", lo->path, strerror(-rc));
    lo->dirty = false;
    return 0;
}

const char *rmq_local_offsets_path(const struct rmq_local_offsets *lo) { return lo->path; }

void rmq_local_offsets_free(struct rmq_local_offsets *lo)
{
    if (!lo)
        return;
    json_decref(lo->offsets);
    free(lo->path);
    free(lo->group);
    free(lo);
}
