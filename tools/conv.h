/* conv.h: the TCP connections in a capture, in order of first appearance, as `synack ladder
 * --list` numbers them. A 4-tuple holds one connection until a SYN (without ACK) opens it again
 * with another initial sequence number (port reuse). Streaming: segments are fed one by one and
 * each gets its connection's index, so a second pass over a file can pick one connection out. */
#ifndef SYNACK_TOOLS_CONV_H
#define SYNACK_TOOLS_CONV_H

#include <stdint.h>
#include <stdio.h>

#include "tcp_seg.h"

typedef struct conv_info {
    uint8_t family;
    uint8_t a[16], b[16];       /* a: the opener (SYN without ACK), else the first sender */
    uint16_t pa, pb;
    uint64_t segs, bytes;       /* segments and payload bytes, both directions */
    synack_time_us first, last;
    uint8_t flags_seen;         /* every flag seen in either direction */
    bool syn_seen[2];           /* per direction, 0: a to b */
    uint32_t syn_seq[2];
} conv_info;

typedef struct conv_table {
    conv_info *v;
    size_t n, cap;
    uint32_t *slots;            /* open addressing: 1 + index of the tuple's latest connection */
    size_t nslots;
} conv_table;

/* The segment's connection index (0-based), or -1 when out of memory. */
long conv_add(conv_table *t, const tcp_seg *s);
/* True when s travels from the connection's a to its b. */
bool conv_a_to_b(const conv_info *c, const tcp_seg *s);
/* Does s belong to the connection's 4-tuple (either direction)? */
bool conv_same_tuple(const conv_info *c, const tcp_seg *s);
void conv_free(conv_table *t);
/* `--list`: one line per connection: number, endpoints, segments, bytes, flags seen, duration. */
void conv_print(FILE *out, const conv_table *t);

#endif
