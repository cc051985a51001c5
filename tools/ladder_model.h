/* ladder_model.h: one connection's segments turned into the rows of a sequence diagram: which
 * side sent each segment, where it arrives, its numbers as Wireshark shows them (seq and ack
 * relative to each side's ISN, the window scaled once both SYNs agreed), and each side's state
 * after each row, inferred from the segments alone by the transitions of RFC 9293 3.3.2
 * (Figure 5). No host is asked: the states are what the segments imply.
 *
 * A capture says when a segment left, not when it arrived. A segment is drawn as arriving at
 * once unless its receiver sends something later that shows it had not yet arrived: a segment
 * at the same instant (a crossing), or one whose ACK does not cover it, before the first that
 * does. It then arrives after the last such segment (the crossing FINs of a simultaneous close).
 * Segments of one direction arrive in the order they were sent. */
#ifndef SYNACK_TOOLS_LADDER_MODEL_H
#define SYNACK_TOOLS_LADDER_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "tcp_seg.h"

enum { LM_LEFT = 0, LM_RIGHT = 1 };

typedef struct lm_row {
    bool arrival;          /* a delayed arrival of seg (sent on an earlier row) */
    size_t seg;            /* index into the segments */
    uint8_t from;          /* the sending side */
    bool arrives_here;     /* a send row whose segment arrives within the row */
    uint32_t rel_seq, rel_ack;
    uint32_t win;          /* scaled as Wireshark's calculated window (RST: as sent) */
    int state[2];          /* each side's state after the row (enum synack_tcp_state) */
    bool changed[2];
} lm_row;

typedef struct ladder_model {
    const tcp_seg *segs;   /* the caller's, kept for the renderers */
    size_t nsegs;
    lm_row *rows;
    size_t nrows;
    int initial[2];
    bool midstream;        /* no SYN captured: the states start as ESTABLISHED, a guess */
    char name[2][64];      /* each side's endpoint, "198.18.0.1:49152" */
    synack_time_us t0;     /* times are drawn from here: the first segment, or the caller's
                            * (the capture's first packet, as Wireshark counts) */
} ladder_model;

/* Builds the rows; false only when out of memory. segs must all belong to one connection. */
bool ladder_model_build(ladder_model *m, const tcp_seg *segs, size_t n);
void ladder_model_free(ladder_model *m);

/* The segment's label: "SYN,ACK seq=0 ack=1 win=65535 len=0 [mss 1460,sackOK,TS,wscale 7]". */
char *ladder_model_label(const ladder_model *m, const lm_row *r, char *buf, size_t cap);

/* The explanation every rendering carries: how states and numbers were obtained. */
extern const char ladder_model_note_states[];
extern const char ladder_model_note_numbers[];

#endif
