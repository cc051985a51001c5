/* slab.c: chunk carving, per-chunk free lists and the spare-chunk hysteresis. */
#include "util/slab.h"


#define SLAB_MIN_CHUNK (64u * 1024u)
#define SLAB_MIN_SPARES 4u

struct slab_chunk {
    slab_chunk *next, *prev; /* partial list, or spare list (next only) */
    void *free;              /* freed objects, linked through their first word */
    uint32_t nfree;          /* free objects: on the list and never handed out */
    uint32_t carved;         /* objects handed out at least once; the rest were never touched */
    uint8_t on_partial;
};

/* Objects start after the header, 64-byte aligned so hot objects do not straddle lines. */
#define CHUNK_HDR ((sizeof(slab_chunk) + 63u) & ~(size_t)63u)

void slab_init(slab *s, size_t obj_size, uint64_t limit, const synack_allocator *alloc)
{
    slab_init_chunk(s, obj_size, SLAB_MIN_CHUNK, limit, alloc);
}

void slab_init_chunk(slab *s, size_t obj_size, size_t chunk_min, uint64_t limit, const synack_allocator *alloc)
{
    /* 8-byte multiples: no object here needs more alignment (pointers, 64-bit times), and a
     * 728-byte TCB would take 736 at 16. Power-of-two sizes keep their natural alignment. */
    size_t sz = (obj_size + 7u) & ~(size_t)7u;
    if (sz < sizeof(void *)) sz = sizeof(void *);
    size_t chunk = SLAB_MIN_CHUNK;
    while (chunk < chunk_min) chunk <<= 1;
    while (chunk - CHUNK_HDR < sz) chunk <<= 1;
    *s = (slab){0};
    s->obj_size = (uint32_t)sz;
    s->chunk_size = chunk;
    s->per_chunk = (uint32_t)((chunk - CHUNK_HDR) / sz);
    s->limit = limit;
    s->alloc = alloc;
}

static slab_chunk *chunk_of(const slab *s, void *obj)
{
    return (slab_chunk *)((uintptr_t)obj & ~(uintptr_t)(s->chunk_size - 1));
}

static void partial_push(slab *s, slab_chunk *c)
{
    c->prev = NULL;
    c->next = s->partial;
    if (s->partial) s->partial->prev = c;
    s->partial = c;
    c->on_partial = 1;
}

static void partial_remove(slab *s, slab_chunk *c)
{
    if (c->prev) c->prev->next = c->next;
    else s->partial = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
    c->on_partial = 0;
}

static void note_peak(slab *s)
{
    uint32_t used = s->chunks - s->spares;
    if (used > s->peak) s->peak = used;
}

static void trim_spares(slab *s)
{
    uint32_t used = s->chunks - s->spares;
    uint32_t keep = s->peak > used + SLAB_MIN_SPARES ? s->peak - used : SLAB_MIN_SPARES;
    while (s->spares > keep) {
        slab_chunk *x = s->spare;
        s->spare = x->next;
        s->spares--;
        alloc_release(s->alloc, x);
        s->chunks--;
        s->chunk_frees++;
    }
}

static slab_chunk *chunk_new(slab *s)
{
    slab_chunk *c = s->spare;
    if (c) { /* an empty chunk keeps its free list: no carving again */
        s->spare = c->next;
        s->spares--;
        partial_push(s, c);
        note_peak(s);
        return c;
    }
    c = alloc_bytes(s->alloc, s->chunk_size, s->chunk_size);
    if (!c) return NULL;
    s->chunks++;
    s->chunk_allocs++;
    /* Objects are carved as they are first needed (slab_alloc), in address order: a chunk's
     * pages the load never reached are never touched, so they cost no resident memory. */
    c->free = NULL;
    c->carved = 0;
    c->nfree = s->per_chunk;
    partial_push(s, c);
    note_peak(s);
    return c;
}

void *slab_alloc(slab *s)
{
    if (s->limit && s->in_use >= s->limit) return NULL;
    slab_chunk *c = s->partial;
    if (!c && !(c = chunk_new(s))) return NULL;
    void **o = c->free;
    if (o) c->free = *o;
    else o = (void **)(void *)((uint8_t *)c + CHUNK_HDR + (size_t)c->carved++ * s->obj_size);
    if (--c->nfree == 0) partial_remove(s, c);
    if (++s->in_use > s->high) s->high = s->in_use;
    return o;
}

void slab_free(slab *s, void *obj)
{
    if (!obj) return;
    slab_chunk *c = chunk_of(s, obj);
    *(void **)obj = c->free;
    c->free = obj;
    s->in_use--;
    if (++c->nfree == 1) partial_push(s, c);
    if (c->nfree < s->per_chunk) return;
    /* The chunk is empty: it becomes a spare. Spares are kept up to the recent peak of chunks in
     * use, so a load that comes in waves does not hand chunks back and forth to the C library
     * (page faults, munmap); slab_age() lets the peak fall with time. */
    partial_remove(s, c);
    c->next = s->spare;
    s->spare = c;
    s->spares++;
    trim_spares(s);
}

void slab_age(slab *s, uint64_t epoch)
{
    if (epoch <= s->epoch) return;
    uint64_t shift = epoch - s->epoch;
    s->epoch = epoch;
    uint32_t used = s->chunks - s->spares;
    s->peak = shift >= 32 ? 0 : s->peak >> shift;
    if (s->peak < used) s->peak = used;
    trim_spares(s);
}

void slab_destroy(slab *s)
{
    /* Chunks in full use are not on any list: the owner frees its objects first. */
    while (s->partial) {
        slab_chunk *c = s->partial;
        partial_remove(s, c);
        alloc_release(s->alloc, c);
    }
    while (s->spare) {
        slab_chunk *c = s->spare;
        s->spare = c->next;
        alloc_release(s->alloc, c);
    }
    s->chunks = s->spares = 0;
}
