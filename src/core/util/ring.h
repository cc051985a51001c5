/* ring.h: a byte ring over caller-provided memory. The send buffer's head is SND.UNA's first data
 * byte; the receive buffer's head is the first unread byte, and out-of-order data is written past
 * the committed length at its offset, so reassembly needs no per-segment memory. */
#ifndef SYNACK_RING_H
#define SYNACK_RING_H

#include <stdint.h>

typedef struct ring {
    uint8_t *buf;
    uint32_t cap;   /* bytes of memory at buf (may be 0: memory comes when data does) */
    uint32_t limit; /* most bytes the ring may hold: the configured buffer size */
    uint32_t head, len;
} ring;

/* A ring over mem, limited to its size. */
void ring_init(ring *r, uint8_t *mem, uint32_t cap);
/* Room left under the limit (memory for it may still have to be reserved: tcp/buffers.h). */
static inline uint32_t ring_space(const ring *r) { return r->limit - r->len; }
/* Copies n bytes to offset off from the head; off + n <= cap. Does not change len. */
void ring_write_at(ring *r, uint32_t off, const uint8_t *src, uint32_t n);
/* Copies n bytes from offset off; off + n <= cap. */
void ring_read_at(const ring *r, uint32_t off, uint8_t *dst, uint32_t n);
/* Appends up to n bytes (as many as the memory at buf holds); returns how many fit. */
uint32_t ring_append(ring *r, const uint8_t *src, uint32_t n);
/* Marks n more bytes (already written past len) as committed. */
static inline void ring_commit(ring *r, uint32_t n) { r->len += n; }
/* Drops n bytes from the head. */
void ring_consume(ring *r, uint32_t n);
/* Moves the contents (all cap bytes, so out-of-order data past len keeps its offset) to mem of
 * new_cap >= cap bytes, starting at the head. */
void ring_move(ring *r, uint8_t *mem, uint32_t new_cap);

#endif
