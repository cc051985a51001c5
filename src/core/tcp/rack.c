/* rack.c: RACK-TLP loss detection (RFC 8985) for connections with SACK. A segment is lost when
 * a segment sent after it was delivered and the time since it was sent exceeds the RTT plus a
 * reordering window (RACK); a tail that draws no ACK at all is probed after about two round
 * trips instead of waiting for the retransmission timeout (TLP). Send times come from the
 * transmit log (tcp/txlog.c). What is lost is kept as two sequence numbers, not per segment:
 * every unSACKed octet below rack.lost_upto that was not resent since (rexmit_high) is lost,
 * because segments never resent are in the log in the order they were sent. Decisions about
 * the window are recovery's (tcp/recovery.c). */
#include "stack_impl.h"

/* RFC 8985 7.2: "WCDelAckT stands for worst case delayed ACK timer ... 200 ms". */
#define TLP_WC_DELACK_US SYNACK_MS(200)
/* A floor under the PTO, as Linux's tcp_schedule_loss_probe() (10 ms): on a LAN path 2*SRTT is a
 * millisecond, shorter than a busy peer takes to ACK, and every such probe is spurious. */
#define TLP_MIN_PTO_US SYNACK_MS(10)
/* RFC 8985 6.2 step 4: "DupThresh ... 3". */
#define RACK_DUPTHRESH 3u

/* RFC 8985 6.2 RACK_sent_after(). */
static bool sent_after(synack_time_us t1, uint32_t seq1, synack_time_us t2, uint32_t seq2)
{
    return t1 > t2 || (t1 == t2 && seq_gt(seq1, seq2));
}

void tcp_rack_delivered(synack_stack *st, tcb *t, const txent *e)
{
    rack_state *r = &t->rack;
    synack_time_us rtt = st->now - e->xmit_us;
    /* Step 2: the ACK of a retransmission may be the original's. "If Segment.retransmitted is
     * TRUE ... if rtt < RACK.min_RTT: continue". The TSecr test of the same step is left out,
     * as Linux's tcp_rack_advance() does: a receiver echoes the TSval of its last in-order
     * segment (RFC 7323 4.3), so every SACK of a retransmission beyond the first hole fails
     * it, and lost retransmissions would go undetected until the timeout. */
    bool believe = !(e->flags & TXE_RETRANS) || (t->min_rtt_us && rtt >= t->min_rtt_us);
    if (believe) {
        r->rtt_us = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
        if (!r->advanced || sent_after(e->xmit_us, e->end, r->xmit_us, r->end_seq)) {
            r->xmit_us = e->xmit_us;
            r->end_seq = e->end;
        }
        r->advanced = true;
    }
    /* Step 3: a segment delivered below the highest one delivered, never resent, was
     * reordered by the network. */
    if (seq_gt(e->end, r->fack)) r->fack = e->end;
    else if (seq_lt(e->end, r->fack) && !(e->flags & TXE_EVER_RETRANS)) r->reordering_seen = true;
}

/* RFC 8985 6.2 step 4, RACK_update_reo_wnd(). */
static synack_time_us reo_wnd(synack_stack *st, tcb *t)
{
    rack_state *r = &t->rack;
    if (r->dsack_round_on && seq_geq(t->snd_una, r->dsack_round)) r->dsack_round_on = false;
    /* One widening per round trip of D-SACKs (RFC 8985 6.2: "at most once per round trip"). */
    if (!r->dsack_round_on && t->dsack_rcvd) {
        r->dsack_round_on = true;
        r->dsack_round = t->snd_max;
        if (r->reo_wnd_mult < UINT8_MAX) r->reo_wnd_mult++;
        r->reo_wnd_persist = 16;
        CNT(st, tcp_rack_reo_wnd_grown);
    }
    if (!r->reordering_seen) {
        /* In fast or RTO recovery, or with DupThresh segments SACKed: no window. */
        if (t->in_recovery || seq_lt(t->snd_una, t->recover)) return 0;
        if (tcp_sacked_bytes(t) >= RACK_DUPTHRESH * tcp_data_mss(t)) return 0;
    }
    synack_time_us w = (synack_time_us)t->min_rtt_us * r->reo_wnd_mult / 4;
    return w < t->srtt_us ? w : t->srtt_us;
}

bool tcp_rack_detect_loss(synack_stack *st, tcb *t)
{
    rack_state *r = &t->rack;
    if (seq_lt(r->fack, t->snd_una)) r->fack = t->snd_una;
    if (seq_lt(r->lost_upto, t->snd_una)) r->lost_upto = t->snd_una;
    if (!r->advanced) return false;
    synack_time_us wnd = reo_wnd(st, t), timeout = 0;
    bool newly = false;
    const txlog *l = &t->txlog;
    for (uint32_t i = 0; i < l->n; i++) {
        txent *e = txlog_at(l, i);
        if (e->flags & TXE_SACKED) continue;
        if (!sent_after(r->xmit_us, r->end_seq, e->xmit_us, e->end)) {
            /* Sent after the last delivered segment: not lost by RACK. Entries never resent
             * are in sending order, so none after this one is either, except resent ones. */
            if (!(e->flags & TXE_RETRANS)) break;
            continue;
        }
        synack_time_us due = e->xmit_us + r->rtt_us + wnd;
        if (due <= st->now) {
            if (e->flags & TXE_RETRANS) {
                /* A retransmission lost again: this segment alone is to be resent (as Linux
                 * marks the one skb lost). Moving rexmit_high back to it instead would resend
                 * every hole repaired after it, in flight or not: with 6% loss most of what a
                 * large window resends. Above rexmit_high the hole is resent anyway. */
                if (seq_lt(e->start, t->rexmit_high) && !(e->flags & TXE_RELOST)) {
                    tcp_txlog_relost_mark(t, e);
                    newly = true;
                    CNT(st, tcp_rack_lost_rexmit);
                }
                if (seq_gt(e->end, r->lost_upto)) r->lost_upto = e->end;
            } else if (seq_gt(e->end, r->lost_upto)) {
                t->ack_lost += e->end - (seq_gt(r->lost_upto, e->start) ? r->lost_upto : e->start);
                r->lost_upto = e->end;
                newly = true;
            }
        } else if (due - st->now > timeout) {
            timeout = due - st->now; /* "timeout = max(remaining, timeout)" */
        }
    }
    if (newly) CNT(st, tcp_rack_loss);
    /* Step 5: a segment not yet lost may be by the time its window passes. */
    if (timeout) tcp_timer_arm(st, t, SYNACK_TIMER_RACK, st->now + timeout);
    else tcp_timer_cancel(st, t, SYNACK_TIMER_RACK);
    return newly;
}

void tcp_rack_on_timer(synack_stack *st, tcb *t)
{
    if (!tcp_rack_on(t) || !t->cc_ready) return;
    if (tcp_rack_detect_loss(st, t)) tcp_recovery_on_loss(st, t, CC_EV_LOSS);
    tcp_output(st, t);
}

/* RFC 8985 7.2: a probe may be scheduled while the connection is not in recovery, has data
 * in flight and no probe outstanding. */
void tcp_tlp_arm(synack_stack *st, tcb *t)
{
    rack_state *r = &t->rack;
    bool ok = tcp_rack_on(t) && t->cc_ready && TCPS_HAVE_ESTABLISHED(t->state) && !t->in_recovery &&
              !seq_lt(t->snd_una, t->recover) && !r->tlp_on && t->snd_una != t->snd_max &&
              t->snd_wnd != 0 && tcp_timer_armed(t, SYNACK_TIMER_REXMT) && !t->frto;
    if (!ok) {
        tcp_timer_cancel(st, t, SYNACK_TIMER_TLP);
        return;
    }
    /* TLP_calc_PTO(): two round trips, and the peer's delayed ACK when one segment is all
     * that can draw an ACK. */
    synack_time_us pto = SYNACK_SEC(1);
    if (t->srtt_us) {
        pto = 2 * t->srtt_us;
        if (tcp_flight(t) <= tcp_data_mss(t)) pto += TLP_WC_DELACK_US;
        if (pto < TLP_MIN_PTO_US) pto = TLP_MIN_PTO_US;
    }
    /* "If Now() + PTO > TCP_RTO_expire(): PTO = TCP_RTO_expire() - Now()": the probe goes
     * at the timeout's moment at the latest, instead of it (timer.c lets it win the tie). */
    synack_time_us at = st->now + pto;
    if (at > t->deadline[SYNACK_TIMER_REXMT]) at = t->deadline[SYNACK_TIMER_REXMT];
    tcp_timer_arm(st, t, SYNACK_TIMER_TLP, at);
}

/* RFC 8985 7.3 TLP_send_probe(): new data if the peer's window allows it, else the last
 * segment sent again; then the retransmission timer restarts. */
void tcp_tlp_on_timer(synack_stack *st, tcb *t)
{
    rack_state *r = &t->rack;
    if (!tcp_rack_on(t) || t->in_recovery || t->snd_una == t->snd_max || r->tlp_on) return;
    uint32_t unsent = t->sndbuf.len - (t->snd_nxt - t->snd_buf_seq);
    uint32_t before = t->snd_max;
    if (unsent && t->snd_wnd > tcp_flight(t)) {
        r->probe_now = true;
        tcp_output(st, t);
        r->probe_now = false;
    }
    r->tlp_retrans = t->snd_max == before;
    if (r->tlp_retrans && !tcp_retransmit_last(st, t)) return;
    CNT(st, tcp_tlp);
    if (t->tlp_total < UINT16_MAX) t->tlp_total++;
    r->tlp_on = true;
    r->tlp_end_seq = t->snd_max;
    tcp_rexmt_arm(st, t);
}

/* RFC 8985 7.4 TLP_process_ack(): did the probe repair a loss? Then the congestion response
 * a loss needs is taken, once. */
void tcp_tlp_on_ack(synack_stack *st, tcb *t, uint32_t ack, bool dup)
{
    rack_state *r = &t->rack;
    if (!r->tlp_on || seq_lt(ack, r->tlp_end_seq)) return;
    if (!r->tlp_retrans) {
        r->tlp_on = false;
        return;
    }
    if (t->dsack_rcvd) { /* both the original and the probe arrived: nothing was lost */
        r->tlp_on = false;
        return;
    }
    if (seq_gt(ack, r->tlp_end_seq) || (dup && !t->scoreboard.n)) {
        r->tlp_on = false;
        CNT(st, tcp_tlp_repaired);
        tcp_recovery_reduce(st, t);
    }
}
