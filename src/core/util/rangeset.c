/* rangeset.c: insertion into a short sorted array; sets hold tens of ranges, so linear work is
 * cheaper than any tree. Order is by sequence number relative to the first range. */
#include "util/rangeset.h"

#include <string.h>

#include "util/seq.h"

void rangeset_init(rangeset *rs, seq_range *mem, uint16_t cap)
{
    rs->r = mem;
    rs->cap = cap;
    rs->n = 0;
    rs->recent = 0;
}

bool rangeset_add(rangeset *rs, uint32_t start, uint32_t end)
{
    if (!seq_lt(start, end)) return true;
    /* Find the first range whose end >= start (it may merge). */
    uint16_t i = 0;
    while (i < rs->n && seq_lt(rs->r[i].end, start)) i++;
    /* Find the last range whose start <= end. */
    uint16_t j = i;
    while (j < rs->n && seq_leq(rs->r[j].start, end)) j++;
    if (j == i) { /* no overlap: insert at i */
        if (rs->n == rs->cap) return false;
        memmove(&rs->r[i + 1], &rs->r[i], (size_t)(rs->n - i) * sizeof rs->r[0]);
        rs->r[i].start = start;
        rs->r[i].end = end;
        rs->n++;
    } else { /* merge ranges i..j-1 with the new one */
        uint32_t s = seq_min(start, rs->r[i].start);
        uint32_t e = seq_max(end, rs->r[j - 1].end);
        rs->r[i].start = s;
        rs->r[i].end = e;
        memmove(&rs->r[i + 1], &rs->r[j], (size_t)(rs->n - j) * sizeof rs->r[0]);
        rs->n = (uint16_t)(rs->n - (j - i - 1));
    }
    rs->recent = i;
    return true;
}

uint32_t rangeset_advance(rangeset *rs, uint32_t upto)
{
    uint16_t drop = 0;
    while (drop < rs->n && seq_leq(rs->r[drop].start, upto)) {
        upto = seq_max(upto, rs->r[drop].end);
        drop++;
    }
    if (drop) {
        memmove(&rs->r[0], &rs->r[drop], (size_t)(rs->n - drop) * sizeof rs->r[0]);
        rs->n = (uint16_t)(rs->n - drop);
        rs->recent = rs->recent >= drop ? (uint16_t)(rs->recent - drop) : 0;
    }
    return upto;
}

uint32_t rangeset_next_gap(const rangeset *rs, uint32_t *start, uint32_t end)
{
    uint32_t at = *start;
    uint16_t i = 0;
    /* Ranges are sorted and disjoint: skip those below `at`, step over any that cover it. */
    for (; i < rs->n; i++) {
        if (seq_leq(rs->r[i].end, at)) continue;
        if (seq_gt(rs->r[i].start, at)) break;
        at = rs->r[i].end;
    }
    if (!seq_lt(at, end)) {
        *start = end;
        return 0;
    }
    uint32_t stop = i < rs->n && seq_lt(rs->r[i].start, end) ? rs->r[i].start : end;
    *start = at;
    return stop - at;
}

int rangeset_sack_blocks(const rangeset *rs, seq_range *out, int max)
{
    int k = 0;
    if (rs->n == 0 || max <= 0) return 0;
    uint16_t first = rs->recent < rs->n ? rs->recent : 0;
    out[k++] = rs->r[first];
    for (uint16_t i = 0; i < rs->n && k < max; i++)
        if (i != first) out[k++] = rs->r[i];
    return k;
}
