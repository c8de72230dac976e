/*
 * conf.c — life cycle of struct rmq_conf: defaults, reporting, overrides, printing.
 * Reading files is conf_load.c; derived values and cross-key checks are conf_finish.c.
 */
#include "conf/conf_int.h"

#include "util/log.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *conf_home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && *h)
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir ? pw->pw_dir : "/";
}

int rmq_conf_init(struct rmq_conf *c, enum rmq_daemon d)
{
    size_t n;
    const struct rmq_conf_key *keys = rmq_conf_keys(&n);
    memset(c, 0, sizeof *c);
    c->daemon = d;
    c->st = calloc(1, sizeof *c->st);
    if (!c->st)
        return -ENOMEM;
    c->st->nkeys = n;
    c->st->src = calloc(n, sizeof *c->st->src);   /* all SRC_DEFAULT */
    c->st->line = calloc(n, sizeof *c->st->line);
    if (!c->st->src || !c->st->line) {
        rmq_conf_free(c);
        return -ENOMEM;
    }
    /* Defaults go through the same parser as files, so a default is always a valid
     * value (the unit test walks the table); every key gets one, other daemon's too. */
    for (size_t i = 0; i < n; i++) {
        const char *def = rmq_conf_key_default(&keys[i], d);
        if (!def)
            continue;
        char expanded[4096], why[RMQ_ERRLEN];
        if (strncmp(def, "$HOME/", 6) == 0) {
            snprintf(expanded, sizeof expanded, "%s%s", conf_home_dir(), def + 5);
            def = expanded;
        }
        int rc = conf_assign(c, &keys[i], def, why, sizeof why);
        if (rc == -ENOMEM) {
            rmq_conf_free(c);
            return rc;
        }
        if (rc)
            rmq_panic("default of %s: %s", keys[i].name, why);
    }
    return 0;
}

void rmq_conf_free(struct rmq_conf *c)
{
    if (!c)
        return;
    size_t n;
    const struct rmq_conf_key *keys = rmq_conf_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (keys[i].type == RMQ_CONF_STR) {
            char **f = conf_field(c, &keys[i]);
            free(*f);
            *f = NULL;
        }
    if (c->st) {
        free(c->st->file);
        free(c->st->src);
        free(c->st->line);
        free(c->st);
        c->st = NULL;
    }
}

void rmq_conf_set_reporter(struct rmq_conf *c, rmq_conf_reporter *fn, void *arg)
{
    c->st->report = fn;
    c->st->report_arg = arg;
}

static void vreport(struct rmq_conf *c, enum rmq_conf_level level, const char *prefix,
                    const char *fmt, va_list ap)
{
    char text[2 * RMQ_ERRLEN];
    int n = prefix ? snprintf(text, sizeof text, "%s: ", prefix) : 0;
    if (n < 0 || (size_t)n >= sizeof text)
        n = 0;
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    if (level == RMQ_CONF_ERROR)
        c->st->nerrors++;
    if (c->st->report)
        c->st->report(c->st->report_arg, level, text);
    else
        rmq_log(level == RMQ_CONF_ERROR ? RMQ_LOG_ERROR : RMQ_LOG_WARN, "config: %s", text);
}

void conf_report(struct rmq_conf *c, enum rmq_conf_level level, const char *prefix,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, level, prefix, fmt, ap);
    va_end(ap);
}

void conf_report_key(struct rmq_conf *c, enum rmq_conf_level level,
                     const struct rmq_conf_key *k, const char *fmt, ...)
{
    char where[RMQ_ERRLEN], msg[RMQ_ERRLEN];
    size_t i = conf_key_index(k);
    const char *prefix = NULL;
    if (c->st->src[i] == SRC_FILE && c->st->file) {
        snprintf(where, sizeof where, "%s:%d", c->st->file, c->st->line[i]);
        prefix = where;
    } else if (c->st->src[i] == SRC_ENV) {
        prefix = "NAMESRV_ADDR";   /* the only key read from the environment */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    conf_report(c, level, prefix, "%s: %s", k->name, msg);
}

int rmq_conf_set(struct rmq_conf *c, const char *key, const char *value, char *err)
{
    const struct rmq_conf_key *k = rmq_conf_find(key);
    if (!k)
        return rmq_seterr(err, RMQ_ENOTFOUND, "unknown key '%s'", key);
    if (!(k->flags & c->daemon))
        return rmq_seterr(err, RMQ_ENOTFOUND, "'%s' is not a %s key", key,
                          c->daemon == RMQ_DAEMON_BROKER ? "broker" : "name server");
    char why[RMQ_ERRLEN];
    int rc = conf_assign(c, k, value, why, sizeof why);
    if (rc)
        return rmq_seterr(err, rc, "%s: %s", k->name, why[0] ? why : rmq_strerror(rc));
    c->st->src[conf_key_index(k)] = SRC_CMDLINE;
    if (why[0])
        conf_report(c, RMQ_CONF_WARNING, NULL, "%s: %s", k->name, why);
    return 0;
}

int rmq_conf_print(const struct rmq_conf *c, FILE *out, int flags)
{
    size_t n;
    const struct rmq_conf_key *keys = rmq_conf_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const struct rmq_conf_key *k = &keys[i];
        if (!(k->flags & c->daemon))
            continue;
        if ((flags & RMQ_CONF_PRINT_IMPORTANT) && !(k->flags & RMQ_CONF_IMPORTANT))
            continue;
        if (k->type == RMQ_CONF_STR) {   /* strings may be longer than any buffer */
            const char *s = *(char *const *)conf_cfield(c, k);
            fprintf(out, "%s=%s\n", k->name, s ? s : "");
        } else {
            char v[64];
            rmq_conf_get(c, k->name, v, sizeof v);
            fprintf(out, "%s=%s\n", k->name, v);
        }
    }
    return ferror(out) ? -EIO : 0;
}

int rmq_conf_print_defaults(enum rmq_daemon d, FILE *out)
{
    size_t n;
    const struct rmq_conf_key *keys = rmq_conf_keys(&n);
    fprintf(out, "# rmq %s configuration: every key with its default (rmq config defaults%s).\n"
                 "# Sizes are in bytes, times in milliseconds unless the comment says otherwise.\n",
            d == RMQ_DAEMON_BROKER ? "broker" : "name server",
            d == RMQ_DAEMON_NAMESRV ? " --namesrv" : "");
    for (size_t i = 0; i < n; i++) {
        const struct rmq_conf_key *k = &keys[i];
        if (!(k->flags & d))
            continue;
        const char *def = rmq_conf_key_default(k, d);
        char exp[256] = "";
        if (k->type == RMQ_CONF_ENUM || k->type == RMQ_CONF_INT || k->type == RMQ_CONF_LONG)
            conf_expected(k, exp, sizeof exp);
        fprintf(out, "\n# %s%s\n", k->help, k->flags & RMQ_CONF_RMQ ? " [rmq]" : "");
        if (exp[0])
            fprintf(out, "#   accepted: %s\n", exp);
        if (k->alias)
            fprintf(out, "#   also spelled %s\n", k->alias);
        if (def)
            fprintf(out, "#%s=%s\n", k->name, def);
        else
            fprintf(out, "#   default: %s\n#%s=\n", k->def_doc ? k->def_doc : "none", k->name);
    }
    return ferror(out) ? -EIO : 0;
}
