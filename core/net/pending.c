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
        if (!t->slot[i])
            return NONE;
        if (t->v[t->slot[i] - 1].opaque == op)
            return i;
    }
}

static void t_slot_put(struct rmq_ptable *t, uint32_t idx)
{
    uint32_t mask = t->scap - 1;
    uint32_t i = hash32(t->v[idx].opaque) & mask;
    while (t->slot[i])
        i = (i + 1) & mask;
    t->slot[i] = idx + 1;
}

static void t_grow_slots(struct rmq_ptable *t)
{
    uint32_t old = t->scap, *os = t->slot;
    t->scap = old ? old * 2 : 64;
    t->slot = calloc(t->scap, sizeof *t->slot);
    if (!t->slot)
        rmq_panic("out of memory for the pending-request map");
    for (uint32_t i = 0; i < old; i++)
        if (os[i])
            t_slot_put(t, os[i] - 1);
    free(os);
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void t_slot_erase(struct rmq_ptable *t, uint32_t i)
{
    uint32_t mask = t->scap - 1;
    for (;;) {
        t->slot[i] = 0;
        uint32_t j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (!t->slot[j])
                return;
            uint32_t k = hash32(t->v[t->slot[j] - 1].opaque) & mask;
            /* the entry at j may stay when its home k lies cyclically in (i, j] */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                continue;
            break;
        }
        t->slot[i] = t->slot[j];
        i = j;
    }
}

static bool h_less(const struct rmq_ptable *t, uint32_t a, uint32_t b)
{
    const struct rmq_pend *x = &t->v[a], *y = &t->v[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

static void h_set(struct rmq_ptable *t, uint32_t pos, uint32_t idx)
{
    t->heap[pos] = idx;
    t->v[idx].hidx = pos;
}

static void h_up(struct rmq_ptable *t, uint32_t pos)
{
    uint32_t idx = t->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!h_less(t, idx, t->heap[parent]))
            break;
        h_set(t, pos, t->heap[parent]);
        pos = parent;
    }
    h_set(t, pos, idx);
}

static void h_down(struct rmq_ptable *t, uint32_t pos)
{
    uint32_t idx = t->heap[pos];
    for (;;) {
        uint32_t l = 2 * pos + 1, m = l;
        if (l >= t->hn)
            break;
        if (l + 1 < t->hn && h_less(t, t->heap[l + 1], t->heap[l]))
            m = l + 1;
        if (!h_less(t, t->heap[m], idx))
            break;
        h_set(t, pos, t->heap[m]);
        pos = m;
    }
    h_set(t, pos, idx);
}

/* Adds an entry and returns its pool index (the caller fills in the fields first read by
 * the heap: deadline and seq are passed here). */
static uint32_t t_add(struct rmq_ptable *t, int32_t op, double deadline, uint64_t seq)
{
    if ((t->count + 1) * 2 > t->scap)
        t_grow_slots(t);
    uint32_t idx;
    if (t->free_head != NONE && t->capv) {
        idx = t->free_head;
        t->free_head = t->v[idx].hidx;
    } else {
        if (t->nv == t->capv) {
            t->capv = t->capv ? t->capv * 2 : 64;
            t->v = realloc(t->v, t->capv * sizeof *t->v);
            t->heap = realloc(t->heap, t->capv * sizeof *t->heap);
            if (!t->v || !t->heap)
                rmq_panic("out of memory for pending requests");
        }
        idx = t->nv++;
    }
    struct rmq_pend *p = &t->v[idx];
    memset(p, 0, sizeof *p);
    p->opaque = op;
    p->deadline = deadline;
    p->seq = seq;
    t_slot_put(t, idx);
    t->heap[t->hn++] = idx;
    h_up(t, t->hn - 1);
    t->count++;
    return idx;
}

/* Removes the entry at slot position s; returns a copy of it. */
static struct rmq_pend t_take(struct rmq_ptable *t, uint32_t s)
{
    uint32_t idx = t->slot[s] - 1;
    struct rmq_pend p = t->v[idx];
    t_slot_erase(t, s);
    uint32_t pos = p.hidx, last = t->heap[--t->hn];
    if (pos < t->hn) {
        h_set(t, pos, last);
        h_up(t, pos);
        h_down(t, t->v[last].hidx);
    }
    t->v[idx].hidx = t->free_head;
    t->free_head = idx;
    t->count--;
    return p;
}

static void t_free(struct rmq_ptable *t)
{
    free(t->v);
    free(t->slot);
    free(t->heap);
    memset(t, 0, sizeof *t);
    t->free_head = NONE;
}

void rmq_ptable_init(struct rmq_ptable *t)
{
    memset(t, 0, sizeof *t);
    t->free_head = NONE;
}

bool rmq_ptable_has(const struct rmq_ptable *t, int32_t opaque)
{
    return t_find(t, opaque) != NONE;
}

struct rmq_pend *rmq_ptable_add(struct rmq_ptable *t, int32_t opaque, double deadline,
                                uint64_t seq)
{
    uint32_t idx = t_add(t, opaque, deadline, seq);  /* may move t->v */
    return &t->v[idx];
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
    return t->hn ? &t->v[t->heap[0]] : NULL;
}

void rmq_ptable_free(struct rmq_ptable *t)
{
    t_free(t);
}
