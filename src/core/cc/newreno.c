/* newreno.c: congestion control: RFC 5681 slow start and congestion avoidance, fast retransmit,
 * and NewReno fast recovery (RFC 6582). Inputs are explicit: bytes newly acknowledged, duplicate
 * ACKs, and timeouts; the connection's window fields are the only state it changes. */
#include "stack_impl.h"

#define CWND_MAX (1u << 30)

void cc_init(synack_stack *st, tcb *t)
{
    /* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)) for 10 segments; we take the configured
     * segment count times the effective MSS. */
    t->cwnd = st->cfg.initial_cwnd_segments * t->snd_mss;
    t->ssthresh = CWND_MAX; /* RFC 5681 3.1: arbitrarily high */
    t->dupacks = 0;
    t->bytes_acked = 0;
    t->in_recovery = false;
}

static uint32_t half_flight(const tcb *t)
{
    uint32_t h = tcp_flight(t) / 2; /* RFC 5681 (4) */
    return h > 2u * t->snd_mss ? h : 2u * t->snd_mss;
}

void cc_ack(synack_stack *st, tcb *t, uint32_t acked)
{
    t->dupacks = 0;
    if (t->in_recovery) {
        if (seq_geq(t->snd_una, t->recover)) {
            /* RFC 6582 3.2 step 3, full ACK: deflate the window (RFC 6675: to ssthresh). */
            uint32_t f = tcp_flight(t) + t->snd_mss;
            t->cwnd = t->ssthresh < f || tcp_sack_recovery(t) ? t->ssthresh : f;
            t->in_recovery = false;
            t->bytes_acked = 0;
        } else if (tcp_sack_recovery(t)) {
            /* RFC 6675: a partial ACK needs nothing special: output fills the pipe again,
             * holes first. */
        } else {
            /* Partial ACK: retransmit the next hole, deflate by the amount acknowledged, add
             * back one MSS (RFC 6582 3.2 step 3 partial). */
            tcp_retransmit_first(st, t);
            t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
            if (acked >= t->snd_mss) t->cwnd += t->snd_mss;
            if (t->cwnd < t->snd_mss) t->cwnd = t->snd_mss;
        }
        return;
    }
    if (t->cwnd < t->ssthresh) {
        /* Slow start with appropriate byte counting, L = 1 (RFC 5681 3.1, RFC 3465). */
        t->cwnd += acked < t->snd_mss ? acked : t->snd_mss;
    } else {
        /* Congestion avoidance: one MSS per window of data acknowledged. */
        t->bytes_acked += acked;
        if (t->bytes_acked >= t->cwnd) {
            t->bytes_acked -= t->cwnd;
            t->cwnd += t->snd_mss;
        }
    }
    if (t->cwnd > CWND_MAX) t->cwnd = CWND_MAX;
}

void cc_dupack(synack_stack *st, tcb *t)
{
    t->dupacks++;
    if (t->in_recovery) {
        /* RFC 6582 3.2 step 4: inflate. With SACK the pipe estimate does this work. */
        if (!tcp_sack_recovery(t)) t->cwnd += t->snd_mss;
        return;
    }
    /* Three duplicate ACKs, or (RFC 6675 IsLost) three segments' worth SACKed above SND.UNA.
     * Early retransmit (RFC 5827): with fewer than four segments outstanding and nothing new
     * to send, one duplicate ACK fewer than the segments outstanding is enough. */
    uint32_t mss = tcp_data_mss(t), thresh = 3;
    uint32_t segs = (tcp_flight(t) + mss - 1) / mss;
    bool nothing_new = !t->bufs_on || t->snd_nxt == t->snd_buf_seq + t->sndbuf.len;
    if (segs < 4 && segs >= 2 && nothing_new) thresh = segs - 1;
    bool lost = t->dupacks >= thresh ||
                (t->sack_ok && t->bufs_on && tcp_sacked_bytes(t) >= thresh * mss);
    if (!lost) return;
    /* RFC 6582 3.2 step 2: no new recovery for data that was in flight at the last one. We take
     * "covers recover" inclusively: at snd_una == recover all of that data is acknowledged. */
    if (seq_lt(t->snd_una, t->recover)) return;
    t->ssthresh = half_flight(t);
    t->recover = t->snd_max;
    t->in_recovery = true;
    t->rexmit_high = t->snd_una;
    t->rexmit_mark = t->snd_max;
    CNT(st, tcp_fast_rexmt);
    tcp_retransmit_first(st, t);
    /* RFC 6675 5: cwnd = ssthresh and the pipe decides; NewReno inflates by the 3 dupacks. */
    t->cwnd = tcp_sack_recovery(t) ? t->ssthresh : t->ssthresh + 3u * t->snd_mss;
}

void cc_rto(synack_stack *st, tcb *t, bool first)
{
    (void)st;
    if (first) t->ssthresh = half_flight(t); /* RFC 5681 (4) */
    t->cwnd = t->snd_mss;         /* loss window, RFC 5681 3.1 */
    t->recover = t->snd_max;      /* RFC 6582 4: no fast recovery for what was in flight */
    t->in_recovery = false;
    t->dupacks = 0;
    t->bytes_acked = 0;
}
