/* ladder_cli.h: `synack ladder`: the sequence diagram of one connection, from a pcap file or from
 * one of the demo's simulated scenarios (the same segments its link carried). */
#ifndef SYNACK_TOOLS_LADDER_CLI_H
#define SYNACK_TOOLS_LADDER_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "tcp_seg.h"

typedef struct seg_vec {
    tcp_seg *v;
    size_t n, cap;
} seg_vec;

bool seg_vec_push(seg_vec *sv, const tcp_seg *s);
void seg_vec_free(seg_vec *sv);

/* The segments of connection `conn` (1-based) among all of sv, in order, into out. Returns the
 * number of connections in sv, or -1 when out of memory. */
long seg_vec_pick(const seg_vec *sv, long conn, seg_vec *out);

int cmd_ladder(int argc, char **argv);

#endif
