/* rangeset.h: a small sorted set of disjoint sequence ranges [start, end) for out-of-order data.
 * Bounded by its capacity: when a new range cannot be held the caller drops the segment. The same
 * set yields SACK blocks (RFC 2018), the most recently changed range first. */
#ifndef SYNACK_RANGESET_H
#define SYNACK_RANGESET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct seq_range { uint32_t start, end; } seq_range;

typedef struct rangeset {
    seq_range *r;
    uint16_t n, cap;
    uint16_t recent; /* index of the range last added to (for SACK ordering) */
} rangeset;

void rangeset_init(rangeset *rs, seq_range *mem, uint16_t cap);
/* Adds [start,end), merging overlapping and adjacent ranges. False (set unchanged) when full. */
bool rangeset_add(rangeset *rs, uint32_t start, uint32_t end);
/* Removes everything below `upto`; if the first range then starts at or before `upto`, removes it
 * too and returns its end (the new RCV.NXT). Otherwise returns `upto`. */
uint32_t rangeset_advance(rangeset *rs, uint32_t upto);
/* The first run of [*start, end) the set does not hold: moves *start to where it begins and
 * returns its length; 0 when the set holds everything left. Reassembly writes only these runs,
 * so octets already held are never overwritten by a later copy (RFC 9293 3.10: "just the new
 * data"). */
uint32_t rangeset_next_gap(const rangeset *rs, uint32_t *start, uint32_t end);
/* Writes up to max blocks, most recent first. Returns the count. */
int rangeset_sack_blocks(const rangeset *rs, seq_range *out, int max);
static inline void rangeset_clear(rangeset *rs) { rs->n = 0; rs->recent = 0; }

#endif
