/*
 * conf_load.c — reading a properties file with inih.
 *
 * inih (Debian's libinih 55, built with its defaults) differs from java.util.Properties
 * in ways that matter for broker.conf, so it reads through line_reader() below, which
 * hands it one cleaned-up line at a time:
 *   - inih's handler gets no line number (INI_HANDLER_LINENO is 0 in the packaged library);
 *     the reader counts lines, and since inih calls the handler for a line before asking
 *     for the next one, the handler knows which line it is on;
 *   - inih reads a line starting with blanks as a continuation of the previous value
 *     (Python style); Java ignores leading blanks, so the reader strips them;
 *   - Java joins a line ending in an odd number of backslashes with the next one;
 *   - Java comments start with '#' or '!'; inih knows '#' and ';' only;
 *   - a line without '=' or ':' is an error in inih that it reports only as "the first
 *     bad line"; the reader reports each one itself;
 *   - inih cuts lines at 200 bytes silently, and treats " ;" as the start of an inline
 *     comment (namesrvAddr = a:9876 ; b:9876 would lose b; `#` inside a value is kept
 *     by this build, but other builds may treat " #" like " ;"). For such lines the
 *     reader passes inih "key=" plus a placeholder and keeps the real value aside; the
 *     handler swaps it back. ':' as separator works in inih as in Java.
 * `[section]` headers are skipped: rmq files need none, INI habits should not hurt.
 */
#include "conf/conf_int.h"

#include "util/fsutil.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLACEHOLDER "\x1f"     /* a value that cannot occur in a text file */
#define MAX_FILE (16 << 20)

struct props {
    struct rmq_conf *c;
    const char *name;           /* file name used in messages                        */
    const char *p;              /* next unread byte                                  */
    int next_line;              /* number of the next physical line                  */
    int line;                   /* first physical line of the line inih is handling  */
    char *logical;              /* the current logical line (continuations joined)   */
    size_t cap;
    char *held;                 /* real value when inih got the placeholder          */
    bool oom;                   /* out of memory: the reader stopped early           */
};

static void where(const struct props *pr, char *out, size_t n)
{
    snprintf(out, n, "%s:%d", pr->name, pr->line);
}

static void props_report(struct props *pr, enum rmq_conf_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void props_report(struct props *pr, enum rmq_conf_level level, const char *fmt, ...)
{
    char loc[RMQ_ERRLEN], msg[RMQ_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    where(pr, loc, sizeof loc);
    conf_report(pr->c, level, loc, "%s", msg);
}

static int append(struct props *pr, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > pr->cap) {
        size_t cap = (*len + n + 1) * 2;
        char *p = realloc(pr->logical, cap);
        if (!p)
            return -ENOMEM;
        pr->logical = p;
        pr->cap = cap;
    }
    memcpy(pr->logical + *len, s, n);
    *len += n;
    pr->logical[*len] = 0;
    return 0;
}

/* Reads the next logical line into pr->logical (without the newline): leading blanks
 * stripped, '\r' dropped, backslash continuations joined. false at end of text. */
static bool read_logical(struct props *pr)
{
    size_t len = 0;
    bool first = true;
    if (!*pr->p)
        return false;
    if (append(pr, &len, "", 0))
        return !(pr->oom = true);
    pr->line = pr->next_line;
    while (*pr->p) {
        const char *s = pr->p, *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        pr->p = nl ? nl + 1 : s + n;
        pr->next_line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (pr->line == 1 && first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;   /* UTF-8 byte order mark */
            n -= 3;
        }
        while (n && (*s == ' ' || *s == '\t' || *s == '\f')) {
            s++;
            n--;
        }
        /* a comment line is never continued (java.util.Properties) */
        if (first && n && (*s == '#' || *s == '!'))
            return append(pr, &len, s, n) == 0;
        size_t bs = 0;
        while (bs < n && s[n - 1 - bs] == '\\')
            bs++;
        if (append(pr, &len, s, bs % 2 ? n - 1 : n))
            return !(pr->oom = true);
        first = false;
        if (bs % 2 == 0)
            break;
    }
    return true;
}

/* True when inih would not pass value through intact: an inline-comment start
 * (blank then ';' or '#') or a line that does not fit its buffer. */
static bool inih_would_mangle(const char *line, int num)
{
    if (strlen(line) + 2 > (size_t)num)     /* + '\n' + NUL */
        return true;
    for (const char *p = line; *p; p++)
        if ((*p == ';' || *p == '#') && p > line && (p[-1] == ' ' || p[-1] == '\t'))
            return true;
    return false;
}

static char *line_reader(char *buf, int num, void *stream)
{
    struct props *pr = stream;
    free(pr->held);
    pr->held = NULL;
    if (!read_logical(pr))
        return NULL;
    const char *l = pr->logical;
    buf[0] = '\n';
    buf[1] = 0;
    if (!*l || *l == '#' || *l == '!' || *l == ';' || *l == '[')
        return buf;   /* blank, comment, or a section header: nothing for inih to do */
    size_t keylen = strcspn(l, "=:");
    if (!l[keylen]) {
        props_report(pr, RMQ_CONF_ERROR, "expected 'key=value', got '%s'", l);
        return buf;
    }
    if (!inih_would_mangle(l, num)) {
        snprintf(buf, (size_t)num, "%s\n", l);
        return buf;
    }
    /* hand over "key=" + placeholder, keep the trimmed value for the handler */
    const char *v = l + keylen + 1;
    v += strspn(v, " \t\f");
    size_t vlen = strlen(v);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\f'))
        vlen--;
    if (keylen + sizeof PLACEHOLDER + 2 > (size_t)num) {
        props_report(pr, RMQ_CONF_ERROR, "key too long");
        return buf;
    }
    if (!(pr->held = strndup(v, vlen))) {
        pr->oom = true;
        return NULL;
    }
    snprintf(buf, (size_t)num, "%.*s=" PLACEHOLDER "\n", (int)keylen, l);
    return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct props *pr = user;
    struct rmq_conf *c = pr->c;
    if (pr->held && strcmp(value, PLACEHOLDER) == 0)
        value = pr->held;
    const struct rmq_conf_key *k = rmq_conf_find(name);
    if (!k) {
        props_report(pr, RMQ_CONF_WARNING, "unknown key '%s'", name);
        return 1;
    }
    if (!(k->flags & c->daemon)) {
        props_report(pr, RMQ_CONF_WARNING, "'%s' is a %s key; ignored", name,
                     c->daemon == RMQ_DAEMON_BROKER ? "name server" : "broker");
        return 1;
    }
    size_t i = conf_key_index(k);
    char why[RMQ_ERRLEN];
    int rc = conf_assign(c, k, value, why, sizeof why);
    if (rc) {
        props_report(pr, RMQ_CONF_ERROR, "%s: %s", name, why[0] ? why : rmq_strerror(rc));
        return 1;   /* keep going: every error is reported */
    }
    if (c->st->src[i] == SRC_FILE)
        props_report(pr, RMQ_CONF_WARNING, "'%s' also set on line %d; this line wins",
                     name, c->st->line[i]);
    if (why[0])
        props_report(pr, RMQ_CONF_WARNING, "%s: %s", name, why);
    c->st->src[i] = SRC_FILE;
    c->st->line[i] = pr->line;
    return 1;
}

int rmq_conf_load_string(struct rmq_conf *c, const char *name, const char *text, char *err)
{
    struct props pr = {.c = c, .name = name, .p = text, .next_line = 1};
    free(c->st->file);
    if (!(c->st->file = strdup(name)))
        return rmq_seterr(err, -ENOMEM, "out of memory");
    c->st->nerrors = 0;
    int rc = ini_parse_stream(line_reader, &pr, handler, &pr);
    free(pr.logical);
    free(pr.held);
    if (rc > 0)   /* the reader hands inih only lines it accepts: should not happen */
        conf_report(c, RMQ_CONF_ERROR, NULL, "%s:%d: cannot parse this line", name, rc);
    else if (rc < 0 || pr.oom)
        return rmq_seterr(err, -ENOMEM, "out of memory reading '%s'", name);
    int ne = c->st->nerrors;
    if (ne)
        return rmq_seterr(err, RMQ_ECONFIG, "%s: %d error%s", name, ne, ne == 1 ? "" : "s");
    return 0;
}

int rmq_conf_load(struct rmq_conf *c, const char *path, char *err)
{
    size_t len;
    char *text = rmq_read_file(path, MAX_FILE, &len);
    if (!text) {
        int e = errno;
        return rmq_seterr(err, -e, "cannot open '%s': %s", path, strerror(e));
    }
    int rc = rmq_conf_load_string(c, path, text, err);
    free(text);
    return rc;
}
