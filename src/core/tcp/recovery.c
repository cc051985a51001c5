/* recovery.c: loss detection and recovery, between TCP and the congestion control algorithm
 * (cc/cc.h). Duplicate ACKs and the SACK scoreboard detect loss (RFC 5681 3.2, RFC 6675 5,
 * early retransmit RFC 5827); NewReno fast recovery (RFC 6582) without SACK. The algorithm
 * answers congestion events with its window; during recovery the window is recovery's. */
#include "stack_impl.h"

/* What this ACK tells the algorithm, from the connection. */
static cc_ack ack_sample(const synack_stack *st, const tcb *t, uint32_t acked, uint32_t prior_flight,
                         synack_time_us rtt)
{
    cc_ack a = {0};
    a.now = st->now;
    a.acked = acked;
    a.prior_in_flight = prior_flight;
    a.in_flight = tcp_flight(t);
    a.rtt_us = rtt;
    a.srtt_us = t->srtt_us;
    a.min_rtt_us = t->min_rtt_us;
    a.in_recovery = t->in_recovery;
    /* RFC 7661's sense: the application, not the window, kept the network short of cwnd. */
    uint32_t unsent = t->bufs_on ? t->sndbuf.len - (t->snd_nxt - t->snd_buf_seq) : 0;
    a.app_limited = unsent == 0 && prior_flight < t->cc.cwnd;
    return a;
}

void tcp_cc_init(synack_stack *st, tcb *t)
{
    /* RFC 6928: IW = the configured segment count times the effective MSS. */
    t->cc.mss = t->snd_mss;
    t->cc.cwnd = st->cfg.initial_cwnd_segments * t->snd_mss;
    t->cc.ssthresh = CC_CWND_MAX; /* RFC 5681 3.1: arbitrarily high */
    t->cc.pacing_rate = 0;
    t->cc.prior_cwnd = t->cc.prior_ssthresh = 0;
    t->cc_ready = true;
    t->dupacks = 0;
    t->in_recovery = false;
    cc_ops_of(&t->cc)->init(&t->cc, st->now);
}

int tcp_cc_select(synack_stack *st, tcb *t, const char *name)
{
    int i = cc_find(name);
    if (i < 0) return -1;
    t->cc.algo = (uint8_t)i;
    /* Switching a running connection keeps its window, as Linux's TCP_CONGESTION does. */
    if (t->cc_ready) cc_ops_of(&t->cc)->init(&t->cc, st->now);
    return 0;
}

/* Enters recovery for a congestion event (RFC 5681 3.2 steps 2-3, RFC 6675 5). */
static void enter_recovery(synack_stack *st, tcb *t, enum cc_event ev)
{
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0);
    t->cc.prior_cwnd = t->cc.cwnd;
    t->cc.prior_ssthresh = t->cc.ssthresh;
    cc_ops_of(&t->cc)->on_congestion(&t->cc, ev, false, &a);
    t->recover = t->snd_max;
    t->in_recovery = true;
    t->rexmit_high = t->snd_una;
    t->rexmit_mark = t->snd_max;
}

void tcp_recovery_on_ack(synack_stack *st, tcb *t, uint32_t acked, uint32_t prior_flight, synack_time_us rtt)
{
    t->dupacks = 0;
    t->cc.mss = t->snd_mss;
    const cc_ops *ops = cc_ops_of(&t->cc);
    if (t->in_recovery) {
        if (seq_geq(t->snd_una, t->recover)) {
            /* RFC 6582 3.2 step 3, full ACK: deflate the window (RFC 6675: to ssthresh). */
            uint32_t f = tcp_flight(t) + t->snd_mss;
            if (!ops->owns_recovery)
                t->cc.cwnd = t->cc.ssthresh < f || tcp_sack_recovery(t) ? t->cc.ssthresh : f;
            t->in_recovery = false;
            cc_ack a = ack_sample(st, t, acked, prior_flight, rtt);
            if (ops->on_recovery_end) ops->on_recovery_end(&t->cc, &a);
        } else if (tcp_sack_recovery(t) || ops->owns_recovery) {
            /* RFC 6675: a partial ACK needs nothing special: output fills the pipe again,
             * holes first. */
            cc_ack a = ack_sample(st, t, acked, prior_flight, rtt);
            ops->on_ack(&t->cc, &a);
        } else {
            /* Partial ACK: retransmit the next hole, deflate by the amount acknowledged, add
             * back one MSS (RFC 6582 3.2 step 3 partial). */
            tcp_retransmit_first(st, t, SYNACK_REXMIT_PARTIAL_ACK);
            uint32_t w = t->cc.cwnd > acked ? t->cc.cwnd - acked : 0;
            if (acked >= t->snd_mss) w += t->snd_mss;
            t->cc.cwnd = w < t->snd_mss ? t->snd_mss : w;
        }
        return;
    }
    cc_ack a = ack_sample(st, t, acked, prior_flight, rtt);
    ops->on_ack(&t->cc, &a);
}

void tcp_recovery_on_dupack(synack_stack *st, tcb *t)
{
    t->dupacks++;
    if (t->in_recovery) {
        /* RFC 6582 3.2 step 4: inflate. With SACK the pipe estimate does this work. */
        if (!tcp_sack_recovery(t) && !cc_ops_of(&t->cc)->owns_recovery) t->cc.cwnd += t->snd_mss;
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
    enter_recovery(st, t, CC_EV_LOSS);
    CNT(st, tcp_fast_rexmt);
    tcp_retransmit_first(st, t, SYNACK_REXMIT_FAST);
    /* RFC 6675 5: cwnd = ssthresh and the pipe decides; NewReno inflates by the 3 dupacks. */
    if (!tcp_sack_recovery(t) && !cc_ops_of(&t->cc)->owns_recovery) t->cc.cwnd += 3u * t->snd_mss;
}

void tcp_recovery_on_rto(synack_stack *st, tcb *t, bool first)
{
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0);
    if (first) {
        t->cc.prior_cwnd = t->cc.cwnd;
        t->cc.prior_ssthresh = t->cc.ssthresh;
    }
    cc_ops_of(&t->cc)->on_congestion(&t->cc, CC_EV_RTO, first, &a);
    t->recover = t->snd_max;      /* RFC 6582 4: no fast recovery for what was in flight */
    t->in_recovery = false;
    t->dupacks = 0;
}
