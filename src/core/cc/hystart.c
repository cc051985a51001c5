/* hystart.c: HyStart++ (RFC 9406). Rounds are counted in delivered bytes: a round ends when
 * what was in flight at its start has been acknowledged, the byte count standing for RFC 9406's
 * windowEnd = SND.NXT (the algorithm sees no sequence numbers). Inputs only from cc_ack.
 * RTT samples are per ACK (cc_ack.ack_rtt_us, from the transmit log: the newest segment the
 * ACK delivered), so the RFC's rule applies unchanged: the delay check runs on every ACK once
 * the round has N_RTT_SAMPLE samples, and a round's minimum replaces the last one's when it
 * ends. Without a per-ACK sample (no transmit log memory) the RFC 6298 sample stands in. */
#include "cc/hystart.h"

#include <string.h>

/* RFC 9406 4.3 constants. */
#define MIN_RTT_THRESH_US 4000u
#define MAX_RTT_THRESH_US 16000u
#define MIN_RTT_DIVISOR 8u
#define N_RTT_SAMPLE 8u
#define CSS_GROWTH_DIVISOR 4u
#define CSS_ROUNDS 5u
#define L_SEGMENTS 8u /* not paced: L = 8 (RFC 9406 4.3) */
#define NO_RTT UINT32_MAX

void hystart_init(hystart *h)
{
    memset(h, 0, sizeof *h);
    h->last_round_min_rtt = h->current_round_min_rtt = h->css_baseline_min_rtt = NO_RTT;
    h->phase = HYSTART_SS;
}

/* RFC 9406 4.2: "if (currentRoundMinRTT >= (lastRoundMinRTT + RttThresh))" exit to CSS. */
static bool delay_increased(const hystart *h)
{
    if (h->current_round_min_rtt == NO_RTT || h->last_round_min_rtt == NO_RTT) return false;
    uint32_t thresh = h->last_round_min_rtt / MIN_RTT_DIVISOR;
    if (thresh > MAX_RTT_THRESH_US) thresh = MAX_RTT_THRESH_US;
    if (thresh < MIN_RTT_THRESH_US) thresh = MIN_RTT_THRESH_US;
    return (uint64_t)h->current_round_min_rtt >= (uint64_t)h->last_round_min_rtt + thresh;
}

/* The delay checks of RFC 9406 4.2, for standard slow start and for CSS. */
static void check_delay(hystart *h)
{
    if (h->phase == HYSTART_SS && delay_increased(h)) {
        h->css_baseline_min_rtt = h->current_round_min_rtt;
        h->phase = HYSTART_CSS;
        h->css_rounds = 0;
    } else if (h->phase == HYSTART_CSS && h->current_round_min_rtt != NO_RTT &&
               h->current_round_min_rtt < h->css_baseline_min_rtt) {
        /* "the slow start exit was spurious": back to standard slow start */
        h->css_baseline_min_rtt = NO_RTT;
        h->phase = HYSTART_SS;
    }
}

void hystart_on_ack(hystart *h, cc_conn *c, const cc_ack *a)
{
    /* "keep track of minimum observed RTT: currentRoundMinRTT = min(currentRoundMinRTT,
     * currRTT); rttSampleCount += 1", then the checks once N_RTT_SAMPLE samples are in. */
    synack_time_us sample = a->ack_rtt_us ? a->ack_rtt_us : a->rtt_us;
    if (sample) {
        uint32_t r = sample > NO_RTT - 1 ? NO_RTT - 1 : (uint32_t)sample;
        if (r < h->current_round_min_rtt) h->current_round_min_rtt = r;
        if (h->rtt_sample_count < UINT16_MAX) h->rtt_sample_count++;
        if (h->rtt_sample_count >= N_RTT_SAMPLE) check_delay(h);
    }
    h->delivered += a->acked;
    if (h->delivered >= h->window_end) { /* a round ended: the next one starts */
        if (h->phase == HYSTART_CSS && ++h->css_rounds >= CSS_ROUNDS) {
            /* "If CSS_ROUNDS rounds are complete, enter congestion avoidance" */
            h->phase = HYSTART_DONE;
            c->ssthresh = c->cwnd;
            return;
        }
        /* "lastRoundMinRTT = currentRoundMinRTT; currentRoundMinRTT = infinity;
         * rttSampleCount = 0" */
        h->last_round_min_rtt = h->current_round_min_rtt;
        h->current_round_min_rtt = NO_RTT;
        h->rtt_sample_count = 0;
        /* windowEnd = SND.NXT: what is in flight and what this ACK lets the sender send */
        h->window_end = h->delivered + a->in_flight + a->acked;
    }
    /* cwnd += min(L * SMSS, bytes_acked), divided by CSS_GROWTH_DIVISOR in CSS. */
    uint32_t grow = a->acked < L_SEGMENTS * c->mss ? a->acked : L_SEGMENTS * c->mss;
    if (h->phase == HYSTART_CSS) grow /= CSS_GROWTH_DIVISOR;
    uint32_t room = c->ssthresh > c->cwnd ? c->ssthresh - c->cwnd : 0;
    c->cwnd += grow < room ? grow : room;
}
