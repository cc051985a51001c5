/* recovery.c: loss detection and recovery, between TCP and the congestion control algorithm
 * (cc/cc.h). With SACK, RACK-TLP (tcp/rack.c, RFC 8985) decides what is lost and recovery
 * paces the repair with Proportional Rate Reduction (RFC 6937); without SACK, duplicate ACKs
 * (RFC 5681 3.2, early retransmit RFC 5827) and NewReno fast recovery (RFC 6582). Congestion
 * responses found spurious are undone: by D-SACK (RFC 2883, RFC 3708) and, for timeouts, by
 * F-RTO (RFC 5682) with the Eifel response (RFC 4015). The algorithm answers congestion events
 * with its window; during recovery the window is recovery's unless the algorithm owns it. */
#include <string.h>

#include "stack_impl.h"

/* What this ACK tells the algorithm, from the connection. rate: take this ACK's delivery-rate
 * sample (once per ACK). */
static cc_ack ack_sample(synack_stack *st, tcb *t, uint32_t acked, uint32_t prior_flight,
                         synack_time_us rtt, bool rate)
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
    if (rate) tcp_rate_sample(st, t, &a);
    else a.delivered = t->rate.delivered;
    a.lost = t->ack_lost;
    a.ece_bytes = t->ack_ece ? t->ack_delivered : 0;
    return a;
}

void tcp_cc_init(synack_stack *st, tcb *t)
{
    /* RFC 6928: IW = the configured segment count times the effective MSS. */
    t->cc.mss = tcp_data_mss(t);
    t->cc.cwnd = st->cfg.initial_cwnd_segments * tcp_data_mss(t);
    t->cc.ssthresh = CC_CWND_MAX; /* RFC 5681 3.1: arbitrarily high */
    t->cc.pacing_rate = 0;
    t->cc.prior_cwnd = t->cc.prior_ssthresh = 0;
    t->cc_ready = true;
    t->dupacks = 0;
    t->in_recovery = false;
    memset(&t->rate, 0, sizeof t->rate);
    memset(&t->rack, 0, sizeof t->rack);
    t->rack.reo_wnd_mult = 1;
    t->rack.fack = t->rack.lost_upto = t->snd_una;
    t->undo_on = t->undo_dsacked = false;
    t->frto = 0;
    t->ecn_high = t->snd_una;
    t->ecn_ece_pending = t->ecn_cwr_pending = t->ecn_reduced = false;
    cc_ops_of(&t->cc)->init(&t->cc, st->now);
    t->cc_phase_seen = SYNACK_CC_NONE;
    CC_TRACE(st, t, INIT);
}

int tcp_cc_select(synack_stack *st, tcb *t, const char *name)
{
    int i = cc_find(name);
    if (i < 0) return -1;
    t->cc.algo = (uint8_t)i;
    /* Switching a running connection keeps its window, as Linux's TCP_CONGESTION does. */
    if (t->cc_ready) cc_ops_of(&t->cc)->init(&t->cc, st->now);
    if (t->cc_ready) CC_TRACE(st, t, INIT);
    return 0;
}

/* The window before a congestion response, for its undo (RFC 4015 3.2, RFC 3708 5). */
static void undo_begin(tcb *t)
{
    t->cc.prior_cwnd = t->cc.cwnd;
    t->cc.prior_ssthresh = t->cc.ssthresh;
    t->undo_on = true;
    t->undo_dsacked = false;
    t->undo_marker = t->undo_high = t->snd_una;
    t->undo_retrans = 0;
}

/* The last congestion response was spurious: restore the window it cut (RFC 4015 3.2 as
 * Linux's tcp_undo_cwnd_reduction: the larger of now and before). */
static void undo(synack_stack *st, tcb *t)
{
    const cc_ops *ops = cc_ops_of(&t->cc);
    if (t->cc.cwnd < t->cc.prior_cwnd) t->cc.cwnd = t->cc.prior_cwnd;
    if (t->cc.ssthresh < t->cc.prior_ssthresh) t->cc.ssthresh = t->cc.prior_ssthresh;
    if (ops->undo) ops->undo(&t->cc);
    t->undo_on = false;
    t->in_recovery = false;
    t->recover = t->snd_una; /* no longer after a timeout either */
    if (t->undo_total < UINT16_MAX) t->undo_total++;
    (void)st;
}

/* Enters recovery for a congestion event (RFC 5681 3.2 steps 2-3, RFC 6675 5, RFC 6937 3). */
static void enter_recovery(synack_stack *st, tcb *t, enum cc_event ev)
{
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0, false);
    undo_begin(t);
    cc_ops_of(&t->cc)->on_congestion(&t->cc, ev, false, &a);
    t->recover = t->snd_max;
    t->in_recovery = true;
    t->rexmit_high = t->snd_una;
    tcp_txlog_relost_forget(t); /* every hole from SND.UNA is resent in order now */
    t->rexmit_mark = t->snd_max;
    /* RFC 6937 3: "RecoverFS = snd.nxt - snd.una", nothing delivered or sent yet. */
    t->prr_delivered = t->prr_out = 0;
    t->recover_fs = tcp_flight(t);
    t->rack.tlp_on = false;
    tcp_timer_cancel(st, t, SYNACK_TIMER_TLP);
}

/* RFC 6937 3, on every ACK during recovery: PRR while the pipe is above ssthresh, then the
 * slow start reduction bound (PRR-SSRB) to rebuild it. cwnd = pipe + sndcnt. entering: the
 * ACK that started recovery, which must let the first retransmission out (as Linux). */
static void prr_update(tcb *t, uint32_t delivered, bool entering)
{
    uint32_t mss = tcp_data_mss(t);
    t->prr_delivered += delivered;
    uint32_t pipe = tcp_sack_pipe(t), ssth = t->cc.ssthresh;
    int64_t sndcnt;
    if (pipe > ssth) {
        uint64_t fs = t->recover_fs ? t->recover_fs : 1;
        /* sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
        sndcnt = (int64_t)(((uint64_t)t->prr_delivered * ssth + fs - 1) / fs) - (int64_t)t->prr_out;
    } else {
        /* limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS */
        int64_t limit = (int64_t)t->prr_delivered - (int64_t)t->prr_out;
        if (limit < (int64_t)delivered) limit = delivered;
        limit += mss;
        sndcnt = (int64_t)ssth - (int64_t)pipe;
        if (sndcnt > limit) sndcnt = limit;
    }
    if (sndcnt < 0) sndcnt = 0;
    if (entering && sndcnt < (int64_t)mss) sndcnt = mss;
    uint64_t cwnd = (uint64_t)pipe + (uint64_t)sndcnt;
    if (cwnd < mss) cwnd = mss;
    t->cc.cwnd = cwnd > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)cwnd;
}

static bool prr_on(const tcb *t) { return tcp_sack_recovery(t) && !cc_ops_of(&t->cc)->owns_recovery; }

void tcp_recovery_on_loss(synack_stack *st, tcb *t, enum cc_event ev)
{
    if (t->in_recovery) return;
    /* RFC 6582 3.2 step 2: no new recovery for data that was in flight at the last one (or at
     * the last timeout: RTO recovery goes on). */
    if (seq_lt(t->snd_una, t->recover)) return;
    enter_recovery(st, t, ev);
    CC_TRACE(st, t, RACK);
    CNT(st, tcp_fast_rexmt);
    if (prr_on(t)) CNT(st, tcp_prr_recoveries);
}

/* RACK's part of an ACK: mark losses, enter recovery for them; whether it entered. */
static bool rack_step(synack_stack *st, tcb *t)
{
    if (!tcp_rack_on(t)) return false;
    bool was = t->in_recovery;
    if (tcp_rack_detect_loss(st, t)) tcp_recovery_on_loss(st, t, CC_EV_LOSS);
    return !was && t->in_recovery;
}

/* RFC 8985 6.2 step 4: leaving recovery ages the widened reordering window. */
static void recovery_done(synack_stack *st, tcb *t, const cc_ack *a)
{
    const cc_ops *ops = cc_ops_of(&t->cc);
    t->in_recovery = false;
    if (t->rack.reo_wnd_persist && --t->rack.reo_wnd_persist == 0) t->rack.reo_wnd_mult = 1;
    if (ops->on_recovery_end) ops->on_recovery_end(&t->cc, a);
    /* Every retransmission of the episode came back as a D-SACK: it was spurious. */
    if (t->undo_on && t->undo_dsacked && t->undo_retrans == 0) {
        undo(st, t);
        CNT(st, tcp_spurious_undo);
        CC_TRACE(st, t, DSACK_UNDO);
    }
}

void tcp_recovery_on_ack(synack_stack *st, tcb *t, uint32_t acked, uint32_t prior_flight, synack_time_us rtt)
{
    t->dupacks = 0;
    t->cc.mss = tcp_data_mss(t);
    const cc_ops *ops = cc_ops_of(&t->cc);
    bool entered = rack_step(st, t);
    tcp_tlp_on_ack(st, t, t->snd_una, false);
    if (t->in_recovery) {
        if (seq_geq(t->snd_una, t->recover)) {
            /* RFC 6582 3.2 step 3, full ACK: deflate the window (RFC 6675, RFC 6937: to
             * ssthresh). */
            uint32_t f = tcp_flight(t) + tcp_data_mss(t);
            if (!ops->owns_recovery)
                t->cc.cwnd = t->cc.ssthresh < f || tcp_sack_recovery(t) ? t->cc.ssthresh : f;
            cc_ack a = ack_sample(st, t, acked, prior_flight, rtt, true);
            recovery_done(st, t, &a);
        } else if (tcp_sack_recovery(t) || ops->owns_recovery) {
            /* RFC 6675: a partial ACK needs nothing special: output fills the pipe again,
             * holes first, as much as PRR lets it. */
            cc_ack a = ack_sample(st, t, acked, prior_flight, rtt, true);
            ops->on_ack(&t->cc, &a);
            if (prr_on(t)) prr_update(t, t->ack_delivered, entered);
        } else {
            /* Partial ACK: retransmit the next hole, deflate by the amount acknowledged, add
             * back one MSS (RFC 6582 3.2 step 3 partial). */
            tcp_retransmit_first(st, t, SYNACK_REXMIT_PARTIAL_ACK);
            uint32_t w = t->cc.cwnd > acked ? t->cc.cwnd - acked : 0, mss = tcp_data_mss(t);
            if (acked >= mss) w += mss;
            t->cc.cwnd = w < mss ? mss : w;
        }
    } else {
        cc_ack a = ack_sample(st, t, acked, prior_flight, rtt, true);
        ops->on_ack(&t->cc, &a);
        tcp_frto_on_ack(st, t, true, false);
    }
    /* Keep the "in flight at the last recovery" mark within reach of SND.UNA, so that sequence
     * comparisons with it stay meaningful across the 2^31 wrap. */
    if (!t->in_recovery && seq_gt(t->snd_una, t->recover)) t->recover = t->snd_una;
    /* The reduction for an ECE lasts until SND.UNA is strictly beyond what was in flight then:
     * an ACK of exactly that data left the receiver before our CWR reached it, and its ECE is
     * the same congestion signal (as Linux ends TCP_CA_CWR only at snd_una != high_seq). */
    if (t->ecn_reduced && seq_gt(t->snd_una, t->ecn_high)) t->ecn_reduced = false;
    if (!t->ecn_reduced && seq_gt(t->snd_una, t->ecn_high)) t->ecn_high = t->snd_una;
    CC_TRACE(st, t, ACK);
    tcp_tlp_arm(st, t);
}

void tcp_recovery_on_dupack(synack_stack *st, tcb *t)
{
    t->dupacks++;
    if (tcp_rack_on(t)) {
        /* RFC 8985: time, not the count of duplicate ACKs, decides what is lost. */
        bool entered = rack_step(st, t);
        tcp_tlp_on_ack(st, t, t->snd_una, true);
        if (t->in_recovery && prr_on(t)) prr_update(t, t->ack_delivered, entered);
        tcp_frto_on_ack(st, t, false, true);
        return;
    }
    tcp_frto_on_ack(st, t, false, true);
    if (t->in_recovery) {
        /* RFC 6582 3.2 step 4: inflate. */
        if (!cc_ops_of(&t->cc)->owns_recovery) t->cc.cwnd += tcp_data_mss(t);
        return;
    }
    /* Three duplicate ACKs. Early retransmit (RFC 5827): with fewer than four segments
     * outstanding and nothing new to send, one duplicate ACK fewer than the segments
     * outstanding is enough. */
    uint32_t mss = tcp_data_mss(t), thresh = 3;
    uint32_t segs = (tcp_flight(t) + mss - 1) / mss;
    bool nothing_new = !t->bufs_on || t->snd_nxt == t->snd_buf_seq + t->sndbuf.len;
    if (segs < 4 && segs >= 2 && nothing_new) thresh = segs - 1;
    if (t->dupacks < thresh) return;
    /* RFC 6582 3.2 step 2: no new recovery for data that was in flight at the last one. We take
     * "covers recover" inclusively: at snd_una == recover all of that data is acknowledged. */
    if (seq_lt(t->snd_una, t->recover)) return;
    enter_recovery(st, t, CC_EV_LOSS);
    CC_TRACE(st, t, DUPACK);
    CNT(st, tcp_fast_rexmt);
    tcp_retransmit_first(st, t, SYNACK_REXMIT_FAST);
    /* NewReno inflates by the 3 dupacks. */
    if (!cc_ops_of(&t->cc)->owns_recovery) t->cc.cwnd += 3u * mss;
}

void tcp_recovery_on_other_ack(synack_stack *st, tcb *t)
{
    bool entered = rack_step(st, t);
    if (t->in_recovery && prr_on(t) && (entered || t->ack_delivered)) prr_update(t, t->ack_delivered, entered);
}

void tcp_recovery_on_rto(synack_stack *st, tcb *t, bool first)
{
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0, false);
    if (first) undo_begin(t);
    cc_ops_of(&t->cc)->on_congestion(&t->cc, CC_EV_RTO, first, &a);
    t->recover = t->snd_max;      /* RFC 6582 4: no fast recovery for what was in flight */
    t->in_recovery = false;
    t->dupacks = 0;
    t->rack.tlp_on = false;
    t->rack.lost_upto = t->snd_una; /* the scoreboard is forgotten too (RFC 2018 8) */
    tcp_txlog_relost_forget(t);
    tcp_timer_cancel(st, t, SYNACK_TIMER_TLP);
    tcp_timer_cancel(st, t, SYNACK_TIMER_RACK);
    /* F-RTO (RFC 5682 2.1): on the first timeout of the data, with more than one segment
     * outstanding, wait for the ACKs that follow before going back over the window. */
    t->frto = 0;
    if (first && t->bufs_on && tcp_flight(t) > tcp_data_mss(t)) {
        t->frto = 1;
        t->frto_high = t->snd_max;
    }
    CC_TRACE(st, t, RTO);
}

/* RFC 5682 2 (the basic algorithm; SACK information only through the cumulative ACK). */
void tcp_frto_on_ack(synack_stack *st, tcb *t, bool advanced, bool dup)
{
    if (!t->frto) return;
    uint32_t mss = tcp_data_mss(t);
    if (t->frto == 1) {
        /* 2a: a duplicate ACK, or everything up to "recover" acknowledged: the timeout
         * stands; go on as after any timeout. */
        if (!advanced || seq_geq(t->snd_una, t->frto_high)) {
            t->frto = 0;
            (void)dup;
            return;
        }
        /* 2b: new data acknowledged: send up to two new segments instead of going back. */
        uint32_t fin_seq = t->snd_buf_seq + t->sndbuf.len;
        bool unsent = seq_lt(t->snd_max, fin_seq);
        if (!unsent || t->snd_wnd <= t->snd_max - t->snd_una) {
            t->frto = 0; /* nothing new to send (or no room): conventional recovery */
            return;
        }
        t->snd_nxt = t->snd_max;
        t->cc.cwnd = tcp_flight(t) + 2 * mss;
        t->frto = 2;
        return;
    }
    t->frto = 0;
    if (advanced) {
        /* 3b: data never retransmitted was acknowledged: the timeout was spurious. The Eifel
         * response (RFC 4015): restore the window, go on with new data. */
        CNT(st, tcp_frto_spurious);
        undo(st, t);
        CC_TRACE(st, t, FRTO_UNDO);
        return;
    }
    /* 3a: a duplicate ACK: the timeout was genuine. "set the congestion window to no more than
     * 3 * MSS" and retransmit from SND.UNA in slow start. */
    if (t->cc.cwnd > 3 * mss) t->cc.cwnd = 3 * mss;
    t->snd_nxt = t->snd_una;
}

void tcp_recovery_reduce(synack_stack *st, tcb *t)
{
    if (t->in_recovery) return;
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0, false);
    undo_begin(t);
    t->undo_on = false; /* nothing retransmitted in this episode to be reported back */
    cc_ops_of(&t->cc)->on_congestion(&t->cc, CC_EV_LOSS, false, &a);
    CC_TRACE(st, t, TLP);
}

void tcp_recovery_on_ece(synack_stack *st, tcb *t)
{
    if (t->ecn_reduced || seq_lt(t->snd_una, t->ecn_high)) return; /* once per window */
    t->ecn_reduced = true;
    t->ecn_high = t->snd_max;
    t->ecn_cwr_pending = true;
    /* A loss response in progress has reduced the window already: only the CWR is owed. */
    if (t->in_recovery || seq_lt(t->snd_una, t->recover)) return;
    CNT(st, tcp_ecn_ece_rcvd);
    cc_ack a = ack_sample(st, t, 0, tcp_flight(t), 0, false);
    t->undo_on = false; /* a congestion mark is no spurious loss: nothing to undo */
    cc_ops_of(&t->cc)->on_congestion(&t->cc, CC_EV_ECN, false, &a);
    CC_TRACE(st, t, ECN);
}

void tcp_recovery_on_dsack(synack_stack *st, tcb *t, uint32_t l, uint32_t r)
{
    CNT(st, tcp_dsack_rcvd);
    t->dsack_rcvd = true;
    /* RFC 3708 / Linux's undo_retrans: a D-SACK for data of this episode accounts for one of
     * its retransmissions. Only within what the episode resent: a copy the network duplicated
     * elsewhere says nothing about our retransmissions. */
    if (!t->undo_on || t->undo_retrans == 0 || seq_lt(l, t->undo_marker) || seq_gt(r, t->undo_high)) return;
    uint32_t mss = tcp_data_mss(t), segs = (r - l + mss - 1) / mss;
    t->undo_retrans = segs >= t->undo_retrans ? 0 : t->undo_retrans - segs;
    t->undo_dsacked = true;
    if (t->undo_retrans == 0 && !t->in_recovery && !t->frto) {
        undo(st, t);
        CNT(st, tcp_spurious_undo);
        CC_TRACE(st, t, DSACK_UNDO);
    }
}

void tcp_recovery_on_send(tcb *t, uint32_t seq, uint32_t len, bool rexmit)
{
    if (t->in_recovery) t->prr_out += len; /* RFC 6937: "prr_out += (data sent)" */
    if (!rexmit || !t->undo_on || !len) return;
    t->undo_retrans += (len + tcp_data_mss(t) - 1) / tcp_data_mss(t);
    if (seq_gt(seq + len, t->undo_high)) t->undo_high = seq + len;
}
