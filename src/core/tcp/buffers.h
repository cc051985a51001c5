/* buffers.h: memory for a connection's rings and range sets. Nothing is held while a
 * connection is idle: a ring gets memory when data arrives (a size class, 1 KiB doubling up to
 * its limit), grows with the data, and gives it back as soon as it empties; range sets exist
 * only while out-of-order or SACKed data does. All of it comes from size-classed slabs
 * (util/slab.h), never from malloc per connection. */
#ifndef SYNACK_BUFFERS_H
#define SYNACK_BUFFERS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rangeset.h"
#include "util/ring.h"
#include "util/slab.h"

#define BUF_MIN_SHIFT 10u  /* the smallest class: 1 KiB */
#define BUF_CLASSES 17u    /* 1 KiB .. 64 MiB */
#define BUF_MAX_BYTES (1u << (BUF_MIN_SHIFT + BUF_CLASSES - 1))

/* A block smaller than the smallest class, for what most connections need little of (the
 * transmit log of a request or an answer): its class number is BUF_CLASSES. */
#define BUF_SMALL_BYTES 256u

typedef struct bufpool {
    slab cls[BUF_CLASSES];
    slab small;             /* BUF_SMALL_BYTES blocks */
    slab ranges;            /* range-set arrays of reass_max_ranges entries */
    slab board;             /* the sender's SACK scoreboards: sack_max_ranges entries */
} bufpool;

typedef struct synack_stack synack_stack;

void bufpool_init(bufpool *p, uint32_t ranges_per_set, uint32_t board_ranges, const synack_allocator *alloc);
void bufpool_destroy(bufpool *p);

/* Makes sure the ring has memory for its first `upto` bytes (upto <= limit). `hint` is a class
 * to start from when the ring has none (receive autotuning: what the last burst needed).
 * False when memory is exhausted; the ring is unchanged then. */
bool tcp_ring_reserve(synack_stack *st, ring *r, uint32_t upto, uint8_t *hint);
/* Gives the ring's memory back if it holds nothing (the caller knows no out-of-order data sits
 * past len). */
void tcp_ring_release_if_empty(synack_stack *st, ring *r, uint8_t *hint);
/* Memory for a range set before it takes its first range; false when exhausted. */
bool tcp_ranges_reserve(synack_stack *st, rangeset *rs);
void tcp_ranges_release_if_empty(synack_stack *st, rangeset *rs);
/* The same for the SACK scoreboard (its own capacity, sack_max_ranges). */
bool tcp_board_reserve(synack_stack *st, rangeset *rs);
void tcp_board_release_if_empty(synack_stack *st, rangeset *rs);
/* A block of at least bytes from the size classes (transmit log); *cls says which, for the
 * free. NULL when memory is exhausted. */
void *tcp_block_alloc(synack_stack *st, uint32_t bytes, uint8_t *cls);
static inline uint32_t tcp_block_bytes(uint8_t cls)
{
    return cls == BUF_CLASSES ? BUF_SMALL_BYTES : (uint32_t)1 << (BUF_MIN_SHIFT + cls);
}
void tcp_block_free(synack_stack *st, void *mem, uint8_t cls);

#endif
