/* ladder.h: a simulated-link tap that decodes each IPv4/TCP packet and draws it as one line of a
 * two-column ladder diagram (left host, arrow with flags/relative seq/ack/options, right host).
 * Owns its decoding, per-flow ISN memory and the lines it holds; knows nothing about stacks. */
#ifndef SYNACK_TOOLS_LADDER_H
#define SYNACK_TOOLS_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <synack/sim.h>

typedef struct ladder ladder;

/* Lines go to out (may be NULL in collect mode). color: ANSI colors by segment kind. */
ladder *ladder_new(FILE *out, bool color);
void ladder_free(ladder *l);

/* The host drawn in the left column; packets from it point right. Default: the sender of the
 * first packet seen. */
void ladder_set_left(ladder *l, const synack_addr *addr);
/* Printed before every line (e.g. spaces to line up with other output). Copied. */
void ladder_set_prefix(ladder *l, const char *prefix);
/* Every tap call is passed on to fn as well, so one sim tap can feed a pcap too. */
void ladder_chain(ladder *l, synack_tap_fn fn, void *ctx);

/* Collect mode: lines are kept until ladder_flush() prints them or ladder_clear() drops them;
 * ladder_count()/ladder_format() read them. Otherwise each line is printed as soon as the fate
 * of its packet is known (at the next packet, or at ladder_flush()). */
void ladder_set_collect(ladder *l, bool on);
size_t ladder_count(const ladder *l);
/* Writes line i (without prefix or color, no newline); returns buf. */
char *ladder_format(const ladder *l, size_t i, char *buf, size_t cap);
void ladder_flush(ladder *l);
void ladder_clear(ladder *l);
/* Forgets the flows (ISNs, window scales) and the left host: a new capture starts. */
void ladder_reset(ladder *l);

/* The synack_tap_fn; ctx is the ladder. Draws SENT packets and marks their fate (lost, no route,
 * dropped for size or queue, corrupted, duplicated). */
void ladder_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                size_t len);

#endif
