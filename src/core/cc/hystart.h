/* hystart.h: HyStart++ (RFC 9406), slow start that leaves early when the RTT grows, before the
 * queue it fills overflows. A helper an algorithm embeds in its cc_conn.priv (CUBIC does). */
#ifndef SYNACK_CC_HYSTART_H
#define SYNACK_CC_HYSTART_H

#include "cc/cc.h"

enum hystart_phase { HYSTART_SS, HYSTART_CSS, HYSTART_DONE };

typedef struct hystart {
    uint64_t delivered;            /* bytes acknowledged since init: the round clock */
    uint64_t window_end;           /* the round ends when delivered reaches this (RFC 9406 4.2) */
    uint32_t last_round_min_rtt;   /* microseconds; UINT32_MAX: none (RFC's infinity) */
    uint32_t current_round_min_rtt;
    uint32_t css_baseline_min_rtt;
    uint16_t rtt_sample_count;
    uint8_t css_rounds;            /* rounds spent in CSS */
    uint8_t phase;                 /* enum hystart_phase */
} hystart;

void hystart_init(hystart *h);
/* Slow start for one ACK while cwnd < ssthresh: grows c->cwnd (by up to L = 8 segments per ACK,
 * a quarter of that in CSS) and sets c->ssthresh = c->cwnd when HyStart++ ends slow start. */
void hystart_on_ack(hystart *h, cc_conn *c, const cc_ack *a);
/* A loss or ECN signal ends HyStart++ for this connection (RFC 9406 4.2, last paragraph). */
static inline void hystart_on_congestion(hystart *h) { h->phase = HYSTART_DONE; }
static inline bool hystart_in_css(const hystart *h) { return h->phase == HYSTART_CSS; }

#endif
