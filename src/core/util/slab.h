/* slab.h: a cache of fixed-size objects carved from aligned chunks, so that connections, TIME-WAIT
 * records, sockets and buffers never go through malloc one by one. A chunk holds its own free
 * list; chunks with free objects sit on a partial list; a chunk that empties is kept as a spare
 * (hysteresis: up to the recent peak of chunks in use, which halves every epoch) or given back, so the cache grows with the
 * load and shrinks back without trimming and regrowing the heap on every connection. */
#ifndef SYNACK_SLAB_H
#define SYNACK_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/alloc.h"

typedef struct slab_chunk slab_chunk;

typedef struct slab {
    uint32_t obj_size;      /* bytes per object, a multiple of 8 */
    uint32_t per_chunk;     /* objects per chunk */
    size_t chunk_size;      /* a power of two; chunks are aligned to it */
    slab_chunk *partial;    /* chunks with at least one free object (doubly linked) */
    slab_chunk *spare;      /* empty chunks kept for reuse (singly linked) */
    uint32_t chunks, spares;
    uint32_t peak;          /* most chunks in use lately: spares are kept up to it */
    uint64_t epoch;         /* slab_age()'s clock */
    uint64_t in_use, high, limit; /* objects; limit 0 = none */
    uint64_t chunk_allocs, chunk_frees;
    const synack_allocator *alloc;
} slab;

/* Objects of obj_size bytes (rounded up to 8; aligned to 8, and power-of-two sizes to 64). limit caps the objects in use (0: none). */
void slab_init(slab *s, size_t obj_size, uint64_t limit, const synack_allocator *alloc);
/* The same with chunks of at least chunk_min bytes (a power of two), for objects that come by
 * the hundred thousand: each chunk costs the allocator a page or two besides itself (the
 * alignment), which a larger chunk spreads over more objects. Untouched parts of a chunk cost
 * no resident memory (objects are carved when first needed). */
void slab_init_chunk(slab *s, size_t obj_size, size_t chunk_min, uint64_t limit, const synack_allocator *alloc);
/* NULL when the limit is reached or memory is exhausted. The object is not zeroed. */
void *slab_alloc(slab *s);
void slab_free(slab *s, void *obj);
/* Time passes (the caller's epochs, e.g. seconds of stack time): the peak halves per epoch and
 * spares beyond it go back. */
void slab_age(slab *s, uint64_t epoch);
/* Releases every chunk; objects still in use are lost (only for tearing a stack down). */
void slab_destroy(slab *s);
/* Bytes held from the system (chunks, spares included). */
static inline size_t slab_bytes(const slab *s) { return (size_t)s->chunks * s->chunk_size; }

#endif
