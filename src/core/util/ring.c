/* ring.c: byte ring copies, split in at most two memcpy calls at the wrap point. */
#include "util/ring.h"

#include <string.h>

void ring_init(ring *r, uint8_t *mem, uint32_t cap)
{
    r->buf = mem;
    r->cap = cap;
    r->limit = cap;
    r->head = 0;
    r->len = 0;
}

void ring_write_at(ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
    if (n == 0) return; /* buf may be NULL */
    uint32_t pos = r->head + off;
    if (pos >= r->cap) pos -= r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, src, first);
    if (n > first) memcpy(r->buf, src + first, n - first);
}

void ring_read_at(const ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
    if (n == 0) return;
    uint32_t pos = r->head + off;
    if (pos >= r->cap) pos -= r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(dst, r->buf + pos, first);
    if (n > first) memcpy(dst + first, r->buf, n - first);
}

uint32_t ring_append(ring *r, const uint8_t *src, uint32_t n)
{
    if (n > ring_space(r)) n = ring_space(r);
    if (n > r->cap - r->len) n = r->cap - r->len;
    if (n) ring_write_at(r, r->len, src, n);
    r->len += n;
    return n;
}

void ring_consume(ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->head += n;
    if (r->head >= r->cap) r->head -= r->cap;
    r->len -= n;
    /* The head is not reset when the ring empties: out-of-order data may sit past len. */
}

void ring_move(ring *r, uint8_t *mem, uint32_t new_cap)
{
    ring_read_at(r, 0, mem, r->cap);
    r->buf = mem;
    r->cap = new_cap;
    r->head = 0;
}
