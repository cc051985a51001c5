/* alloc.c: the allocator indirection; the C library by default. */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

void *alloc_bytes(const synack_allocator *a, size_t align, size_t size)
{
    if (a && a->alloc) return a->alloc(a->ctx, align, size);
    return align > 16 ? aligned_alloc(align, (size + align - 1) & ~(align - 1)) : malloc(size);
}

void *alloc_zeroed(const synack_allocator *a, size_t size)
{
    void *p = alloc_bytes(a, 0, size);
    if (p) memset(p, 0, size);
    return p;
}

void alloc_release(const synack_allocator *a, void *p)
{
    if (!p) return;
    if (a && a->release) a->release(a->ctx, p);
    else free(p);
}

void *alloc_resize(const synack_allocator *a, void *old, size_t keep, size_t size)
{
    void *p = alloc_bytes(a, 0, size);
    if (!p) return NULL;
    if (old && keep) memcpy(p, old, keep < size ? keep : size);
    alloc_release(a, old);
    return p;
}
