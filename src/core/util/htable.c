/* htable.c: insertion, removal and the incremental resize. */
#include "util/htable.h"


#define MIGRATE_STEP 16u /* old buckets moved per insert or remove */

bool htable_init(htable *t, uint32_t min_buckets, const synack_allocator *alloc)
{
    *t = (htable){0};
    t->alloc = alloc;
    uint32_t n = 16;
    while (n < min_buckets && n < (1u << 30)) n <<= 1;
    t->b = alloc_zeroed(alloc, (size_t)n * sizeof *t->b);
    if (!t->b) return false;
    t->mask = n - 1;
    t->min_buckets = n;
    return true;
}

void htable_destroy(htable *t)
{
    alloc_release(t->alloc, t->b);
    alloc_release(t->alloc, t->old);
    t->b = t->old = NULL;
}

static void migrate_some(htable *t, uint32_t steps)
{
    while (t->old && steps--) {
        hnode *n = t->old[t->migrate];
        while (n) {
            hnode *next = n->next;
            hnode **dst = &t->b[n->hash & t->mask];
            n->next = *dst;
            *dst = n;
            n = next;
        }
        t->old[t->migrate] = NULL;
        if (++t->migrate > t->old_mask) {
            alloc_release(t->alloc, t->old);
            t->old = NULL;
            t->migrate = 0;
        }
    }
}

static void start_resize(htable *t, uint32_t buckets)
{
    if (t->old) migrate_some(t, UINT32_MAX); /* rare: finish the previous move first */
    hnode **nb = alloc_zeroed(t->alloc, (size_t)buckets * sizeof *nb);
    if (!nb) return; /* no memory: keep the current array, chains get longer */
    t->old = t->b;
    t->old_mask = t->mask;
    t->migrate = 0;
    t->b = nb;
    t->mask = buckets - 1;
    t->resizes++;
}

void htable_insert(htable *t, hnode *n, uint32_t hash)
{
    n->hash = hash;
    hnode **dst = &t->b[hash & t->mask];
    n->next = *dst;
    *dst = n;
    t->count++;
    if (!t->old && t->count > t->mask + 1 && t->mask < (1u << 30) - 1) start_resize(t, (t->mask + 1) * 2);
    migrate_some(t, MIGRATE_STEP);
}

static bool unlink_from(hnode **pp, hnode *n)
{
    for (; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            return true;
        }
    }
    return false;
}

void htable_remove(htable *t, hnode *n)
{
    bool found = false;
    if (t->old && (n->hash & t->old_mask) >= t->migrate) found = unlink_from(&t->old[n->hash & t->old_mask], n);
    if (!found) found = unlink_from(&t->b[n->hash & t->mask], n);
    if (!found) return;
    t->count--;
    if (!t->old && t->mask + 1 > t->min_buckets && t->count < (t->mask + 1) / 8)
        start_resize(t, (t->mask + 1) / 2);
    migrate_some(t, MIGRATE_STEP);
}
