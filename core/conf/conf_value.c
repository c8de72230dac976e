/*
 * conf_value.c — turning text into typed fields and back, one function per direction,
 * driven by the row's type. Numbers follow Java's Integer/Long.parseX (optional sign,
 * decimal digits, nothing else), booleans accept true/false in any case only.
 */
#include "conf/conf_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void *conf_field(struct rmq_conf *c, const struct rmq_conf_key *k)
{
    return (char *)c + k->off;
}

const void *conf_cfield(const struct rmq_conf *c, const struct rmq_conf_key *k)
{
    return (const char *)c + k->off;
}

/* Enum fields are written through int: enum types with only small non-negative values are
 * int-sized (and int may alias the unsigned type GCC picks). */
_Static_assert(sizeof(enum rmq_broker_role) == sizeof(int), "enum field size");
_Static_assert(sizeof(enum rmq_flush_disk_type) == sizeof(int), "enum field size");

void conf_expected(const struct rmq_conf_key *k, char *out, size_t n)
{
    size_t len = 0;
    switch (k->type) {
    case RMQ_CONF_INT:
    case RMQ_CONF_LONG:
        snprintf(out, n, "an integer from %lld to %lld", k->min, k->max);
        return;
    case RMQ_CONF_BOOL:
        snprintf(out, n, "true or false");
        return;
    case RMQ_CONF_ENUM:
        /* "A, B or C" from the NULL-terminated list */
        out[0] = 0;
        for (int i = 0; k->values[i]; i++) {
            const char *sep = i == 0 ? "" : k->values[i + 1] ? ", " : " or ";
            int w = snprintf(out + len, n - len, "%s%s", sep, k->values[i]);
            if (w < 0 || (size_t)w >= n - len)
                return;
            len += (size_t)w;
        }
        return;
    case RMQ_CONF_STR:
        snprintf(out, n, "%s", k->form ? k->form : "a string");
        return;
    }
}

/* Java's parseInt/parseLong: [+-]digits, no blanks, no base prefix. */
static bool parse_ll(const char *s, long long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* why = "<what> '<value>'<after> (expected …)" */
static int bad_value(const struct rmq_conf_key *k, const char *value, const char *what,
                     const char *after, char *why, size_t n)
{
    char exp[256];
    conf_expected(k, exp, sizeof exp);
    snprintf(why, n, "%s '%s'%s (expected %s)", what, value, after, exp);
    return RMQ_EINVAL;
}

#define INVALID(k, v, why, n) bad_value(k, v, "invalid value", "", why, n)

static int assign_number(struct rmq_conf *c, const struct rmq_conf_key *k, const char *value,
                         char *why, size_t n)
{
    long long v;
    if (!parse_ll(value, &v))
        return INVALID(k, value, why, n);
    if (v < k->min || v > k->max) {
        if (!(k->flags & RMQ_CONF_CLAMP))
            return bad_value(k, value, "value", " out of range", why, n);
        long long to = v < k->min ? k->min : k->max;
        snprintf(why, n, "%lld is %s %lld; using %lld as RocketMQ does", v,
                 v < k->min ? "below" : "above", to, to);
        v = to;
    }
    if (k->type == RMQ_CONF_INT)
        *(int *)conf_field(c, k) = (int)v;
    else
        *(int64_t *)conf_field(c, k) = v;
    return 0;
}

int conf_set_str(struct rmq_conf *c, const struct rmq_conf_key *k, const char *s)
{
    char **f = conf_field(c, k);
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        return -ENOMEM;
    free(*f);
    *f = copy;
    return 0;
}

/* ';' lists: "a:1 ; b:2;" is stored as "a:1;b:2" (blanks around items and empty items
 * dropped), so whoever splits the value later needs no trimming. */
static int assign_list(struct rmq_conf *c, const struct rmq_conf_key *k, const char *value,
                       char *why, size_t n)
{
    char *norm = malloc(strlen(value) + 1), *out = norm;
    if (!norm)
        return -ENOMEM;
    for (const char *p = value; *p;) {
        p += strspn(p, " \t;");
        size_t len = strcspn(p, ";");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            if (out != norm)
                *out++ = ';';
            memcpy(out, p, len);
            out += len;
        }
        p += strcspn(p, ";");
    }
    *out = 0;
    int rc = k->check && !k->check(norm) ? INVALID(k, value, why, n) : conf_set_str(c, k, norm);
    free(norm);
    return rc;
}

int conf_assign(struct rmq_conf *c, const struct rmq_conf_key *k, const char *value,
                char *why, size_t n)
{
    why[0] = 0;
    switch (k->type) {
    case RMQ_CONF_INT:
    case RMQ_CONF_LONG:
        return assign_number(c, k, value, why, n);
    case RMQ_CONF_BOOL:
        /* Java's Boolean.parseBoolean reads anything but "true" as false; a typo such
         * as "ture" would silently turn a feature off, so rmq refuses it. */
        if (strcasecmp(value, "true") == 0)
            *(bool *)conf_field(c, k) = true;
        else if (strcasecmp(value, "false") == 0)
            *(bool *)conf_field(c, k) = false;
        else
            return INVALID(k, value, why, n);
        return 0;
    case RMQ_CONF_ENUM:
        for (int i = 0; k->values[i]; i++)
            if (strcmp(value, k->values[i]) == 0) {  /* Java's valueOf: exact case */
                *(int *)conf_field(c, k) = i;
                return 0;
            }
        return INVALID(k, value, why, n);
    case RMQ_CONF_STR:
        if (value[0] == 0) {
            if (k->flags & RMQ_CONF_NONEMPTY)
            {
            char exp[256];
            conf_expected(k, exp, sizeof exp);
            snprintf(why, n, "empty value (expected %s)", exp);
            return RMQ_EINVAL;
        }
            if (k->flags & RMQ_CONF_OPTIONAL)
                return conf_set_str(c, k, NULL);
            return conf_set_str(c, k, "");
        }
        if (k->flags & RMQ_CONF_LIST)
            return assign_list(c, k, value, why, n);
        if (k->check && !k->check(value))
            return INVALID(k, value, why, n);
        return conf_set_str(c, k, value);   /* 0 or -ENOMEM */
    }
    return RMQ_EINVAL;
}

int rmq_conf_get(const struct rmq_conf *c, const char *key, char *out, size_t n)
{
    const struct rmq_conf_key *k = rmq_conf_find(key);
    if (!k)
        return RMQ_ENOTFOUND;
    const void *f = conf_cfield(c, k);
    int w = 0;
    switch (k->type) {
    case RMQ_CONF_INT:
        w = snprintf(out, n, "%d", *(const int *)f);
        break;
    case RMQ_CONF_LONG:
        w = snprintf(out, n, "%" PRId64, *(const int64_t *)f);
        break;
    case RMQ_CONF_BOOL:
        w = snprintf(out, n, "%s", *(const bool *)f ? "true" : "false");
        break;
    case RMQ_CONF_ENUM: {
        int v = *(const int *)f;
        w = snprintf(out, n, "%s", v >= 0 && k->values[v] ? k->values[v] : "?");
        break;
    }
    case RMQ_CONF_STR: {
        const char *s = *(char *const *)f;
        w = snprintf(out, n, "%s", s ? s : "");
        break;
    }
    }
    return w < 0 || (size_t)w >= n ? RMQ_ETOOBIG : 0;
}
