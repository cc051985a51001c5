/* alloc.h: every allocation the core makes goes through the stack's allocator (synack_config's
 * allocator; the C library when unset), so an embedder can supply its own memory and tests can
 * fail any one allocation on purpose. Allocations are few and coarse: slab chunks, bucket and
 * heap arrays, the stack object; none per connection or per packet. */
#ifndef SYNACK_ALLOC_H
#define SYNACK_ALLOC_H

#include <stddef.h>

#include <synack/stack.h>

/* size bytes aligned to align (a power of two; 0 = malloc's alignment); NULL when exhausted. */
void *alloc_bytes(const synack_allocator *a, size_t align, size_t size);
void *alloc_zeroed(const synack_allocator *a, size_t size);
void alloc_release(const synack_allocator *a, void *p);
/* A larger (or smaller) array: the first keep bytes are copied; the old one is released only on
 * success. */
void *alloc_resize(const synack_allocator *a, void *old, size_t keep, size_t size);

#endif
