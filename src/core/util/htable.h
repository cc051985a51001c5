/* htable.h: an intrusive chained hash table that grows and shrinks with its contents without
 * stalling: a resize allocates the new bucket array and then moves a few old buckets on every
 * insert and remove (incremental rehash), so no single call rehashes a million entries. Lookups
 * look in both arrays while a move is in progress. Nodes carry their hash, so moving never
 * recomputes it. Load factor between 1/8 and 1; buckets cost 8 bytes each. */
#ifndef SYNACK_HTABLE_H
#define SYNACK_HTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/alloc.h"

typedef struct hnode {
    struct hnode *next;
    uint32_t hash;
} hnode;

typedef struct htable {
    hnode **b;            /* current buckets */
    hnode **old;          /* buckets being emptied into b, or NULL */
    uint32_t mask, old_mask;
    uint32_t migrate;     /* old buckets below this index are already moved */
    uint32_t count, min_buckets;
    uint64_t resizes;
    const synack_allocator *alloc;
} htable;

/* min_buckets: a power of two; the table never shrinks below it. False when out of memory. */
bool htable_init(htable *t, uint32_t min_buckets, const synack_allocator *alloc);
void htable_destroy(htable *t);
void htable_insert(htable *t, hnode *n, uint32_t hash);
void htable_remove(htable *t, hnode *n);

/* The chains to search for hash: pass 0 the current array, pass 1 the old one (NULL when none).
 *   for (int pass = 0; pass < 2; pass++)
 *       for (hnode *n = htable_chain(t, h, pass); n; n = n->next) ... */
static inline hnode *htable_chain(const htable *t, uint32_t hash, int pass)
{
    if (pass == 0) return t->b[hash & t->mask];
    if (!t->old || (hash & t->old_mask) < t->migrate) return 0;
    return t->old[hash & t->old_mask];
}

/* Bytes of bucket arrays held. */
static inline uint64_t htable_bytes(const htable *t)
{
    return ((uint64_t)t->mask + 1 + (t->old ? (uint64_t)t->old_mask + 1 : 0)) * sizeof(hnode *);
}

#endif
