#include "net/pending.h"

#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

static uint32_t hash32(int32_t op)
{
    uint32_t h = (uint32_t)op * 0x9E3779B1u;
    return h ^ (h >> 16);
}

/* Slot position of opaque, or NONE. */
static uint32_t t_find(const struct rmq_ptable *t, int32_t op)
{
    if (!t->scap)
        return NONE;
    uint32_t mask = t->scap - 1;
    for (uint32_t i = hash32(op) & mask;; i = (i + 1) & mask) {
        if (!t->slot[i].idx1)
            return NONE;
        if (t->slot[i].opaque == op)
            return i;
    }
}

static void t_slot_put(struct rmq_ptable *t, struct rmq_pslot e)
{
    uint32_t mask = t->scap - 1;
    uint32_t i = hash32(e.opaque) & mask;
    while (t->slot[i].idx1)
        i = (i + 1) & mask;
    t->slot[i] = e;
}

static void t_grow_slots(struct rmq_ptable *t)
{
    uint32_t old = t->scap;
    struct rmq_pslot *os = t->slot;
    t->scap = old ? old * 2 : 64;
    t->slot = calloc(t->scap, sizeof *t->slot);
    if (!t->slot)
        rmq_panic("out of memory for the pending-request map");
    for (uint32_t i = 0; i < old; i++)
        if (os[i].idx1)
            t_slot_put(t, os[i]);
    free(os);
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void t_slot_erase(struct rmq_ptable *t, uint32_t i)
{
    uint32_t mask = t->scap - 1;
    for (;;) {
        t->slot[i].idx1 = 0;
        uint32_t j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (!t->slot[j].idx1)
                return;
            uint32_t k = hash32(t->slot[j].opaque) & mask;
            /* the entry at j may stay when its home k lies cyclically in (i, j] */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                continue;
            break;
        }
        t->slot[i] = t->slot[j];
        i = j;
    }
}

/* (deadline, seq) of entry a comes before that of b */
static bool before(const struct rmq_ptable *t, uint32_t a, uint32_t b)
{
    const struct rmq_pend *x = &t->v[a], *y = &t->v[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

/* Links idx into the deadline list, searching back from the latest deadline. */
static void l_insert(struct rmq_ptable *t, uint32_t idx)
{
    uint32_t after = t->tail;
    while (after != NONE && before(t, idx, after))
        after = t->v[after].prev;
    struct rmq_pend *p = &t->v[idx];
    p->prev = after;
    p->next = after == NONE ? t->head : t->v[after].next;
    if (p->next == NONE)
        t->tail = idx;
    else
        t->v[p->next].prev = idx;
    if (after == NONE)
        t->head = idx;
    else
        t->v[after].next = idx;
}

static void l_unlink(struct rmq_ptable *t, uint32_t idx)
{
    const struct rmq_pend *p = &t->v[idx];
    if (p->prev == NONE)
        t->head = p->next;
    else
        t->v[p->prev].next = p->next;
    if (p->next == NONE)
        t->tail = p->prev;
    else
        t->v[p->next].prev = p->prev;
}

/* Adds an entry and returns its pool index (deadline and seq are passed here: the list
 * reads them to place it), or NONE when op is already present. */
static uint32_t t_add(struct rmq_ptable *t, int32_t op, double deadline, uint64_t seq)
{
    if ((t->count + 1) * 2 > t->scap)
        t_grow_slots(t);
    /* one probe finds the free slot or the opaque already there */
    uint32_t mask = t->scap - 1, s = hash32(op) & mask;
    for (; t->slot[s].idx1; s = (s + 1) & mask)
        if (t->slot[s].opaque == op)
            return NONE;
    uint32_t idx;
    if (t->free_head != NONE && t->capv) {
        idx = t->free_head;
        t->free_head = t->v[idx].next;
    } else {
        if (t->nv == t->capv) {
            t->capv = t->capv ? t->capv * 2 : 64;
            t->v = realloc(t->v, t->capv * sizeof *t->v);
            if (!t->v)
                rmq_panic("out of memory for pending requests");
        }
        idx = t->nv++;
    }
    struct rmq_pend *p = &t->v[idx];
    memset(p, 0, sizeof *p);
    p->opaque = op;
    p->deadline = deadline;
    p->seq = seq;
    t->slot[s] = (struct rmq_pslot){op, idx + 1};
    l_insert(t, idx);
    t->count++;
    return idx;
}

/* Removes the entry at slot position s; returns a copy of it. */
static struct rmq_pend t_take(struct rmq_ptable *t, uint32_t s)
{
    uint32_t idx = t->slot[s].idx1 - 1;
    struct rmq_pend p = t->v[idx];
    t_slot_erase(t, s);
    l_unlink(t, idx);
    t->v[idx].next = t->free_head;
    t->free_head = idx;
    t->count--;
    return p;
}

static void t_free(struct rmq_ptable *t)
{
    free(t->v);
    free(t->slot);
    rmq_ptable_init(t);
}

void rmq_ptable_init(struct rmq_ptable *t)
{
    memset(t, 0, sizeof *t);
    t->free_head = t->head = t->tail = NONE;
}

bool rmq_ptable_has(const struct rmq_ptable *t, int32_t opaque)
{
    return t_find(t, opaque) != NONE;
}

struct rmq_pend *rmq_ptable_add(struct rmq_ptable *t, int32_t opaque, double deadline,
                                uint64_t seq)
{
    uint32_t idx = t_add(t, opaque, deadline, seq);  /* may move t->v */
    return idx == NONE ? NULL : &t->v[idx];
}

bool rmq_ptable_take(struct rmq_ptable *t, int32_t opaque, struct rmq_pend *out)
{
    uint32_t s = t_find(t, opaque);
    if (s == NONE)
        return false;
    struct rmq_pend p = t_take(t, s);
    if (out)
        *out = p;
    return true;
}

const struct rmq_pend *rmq_ptable_min(const struct rmq_ptable *t)
{
    return t->head != NONE ? &t->v[t->head] : NULL;
}

void rmq_ptable_free(struct rmq_ptable *t)
{
    t_free(t);
}
