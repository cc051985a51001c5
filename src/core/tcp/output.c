/* output.c: deciding what to send (window, Nagle, sender SWS avoidance, FIN) and building
 * segments into the stack's outbound queue. Never blocks: when the queue is full the connection
 * waits on the pending list and is resumed as the driver drains packets. */
#include <string.h>

#include "stack_impl.h"

#include "ip/ip.h"

#define MAX_HDRS (IP_MAX_HDR + TCP_HDR_LEN + 40)

/* Timestamp clock: milliseconds, as Linux (RFC 7323 5.4 allows 1 ms to 1 s per tick), plus the
 * connection's offset so that TSval reveals neither the host clock nor other connections'. */
static uint32_t ts_val(const synack_stack *st, const tcb *t) { return (uint32_t)(st->now / 1000u) + t->ts_offset; }

uint32_t tcp_rcv_window(const tcb *t)
{
    return t->bufs_on ? ring_space(&t->rcvbuf) : t->rcvbuf_size;
}

/* The window field. Receiver SWS avoidance (RFC 9293 3.8.6.2.2): move the right edge only by at
 * least min(buffer/2, MSS); never move it left (RFC 9293 3.8.6). */
static uint16_t window_field(tcb *t, bool syn)
{
    uint32_t free_bytes = tcp_rcv_window(t);
    uint32_t promised = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    uint32_t step = t->rcvbuf_size / 2 < t->rcv_mss ? t->rcvbuf_size / 2 : t->rcv_mss;
    uint32_t wnd = promised;
    if (free_bytes > promised && (free_bytes - promised >= step || free_bytes == t->rcvbuf_size))
        wnd = free_bytes;
    uint8_t shift = syn ? 0 : t->rcv_wscale;
    /* Round down: never promise more than the buffer holds. A kept promise is rounded up
     * (so the edge does not move left) only when the buffer really has that room; otherwise
     * the field's edge moves left by less than one scale unit, as RFC 7323 2.4 allows. */
    uint32_t field = wnd >> shift;
    uint32_t up = (wnd + (1u << shift) - 1) >> shift;
    if (wnd == promised && (uint64_t)up << shift <= free_bytes) field = up;
    if (field > 0xffff) field = 0xffff;
    uint32_t edge = t->rcv_nxt + (field << shift);
    /* RFC 9293 3.8.6 (SHLD-14): our edge (RCV.ADV, what we accept) stays where it was: the
     * sender may have filled it before this field arrives, and the buffer has room for it.
     * Trimmed as beyond the window, those octets drew a spurious loss recovery. */
    if (wnd == promised && promised <= free_bytes && seq_lt(edge, t->rcv_adv)) edge = t->rcv_adv;
    t->rcv_adv = edge;
    return (uint16_t)field;
}

static void build_options(synack_stack *st, tcb *t, uint8_t flags, uint32_t len, tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    if (flags & SYNACK_SYN) {
        bool synack = flags & SYNACK_ACK;
        o->has_mss = true;
        o->mss = t->rcv_mss;
        /* On a SYN-ACK, offer only what the peer's SYN offered (RFC 7323 1.3, RFC 2018 2). */
        o->has_wscale = synack ? t->ws_ok : st->cfg.wscale > 0;
        o->wscale = t->rcv_wscale;
        o->sack_ok = synack ? t->sack_ok : st->cfg.sack;
        o->has_ts = synack ? t->ts_ok : st->cfg.timestamps;
    } else {
        o->has_ts = t->ts_ok;
        if (t->sack_ok && t->bufs_on && (t->ooo.n || t->dsack_on) && !(flags & SYNACK_RST)) {
            seq_range blocks[TCP_MAX_SACK];
            int max = t->ts_ok ? 3 : 4; /* 40 option bytes: TS leaves room for three */
            /* With data, only as many blocks as the segment has room for under the MSS. */
            /* A super-segment (TSO) repeats its options on every piece: none to spare. */
            uint32_t room = !len ? 40 : len < tcp_data_mss(t) ? tcp_data_mss(t) - len : 0;
            int fit = room >= 12 ? (int)((room - 4) / 8) : 0;
            if (fit < max) max = fit;
            int k = 0;
            /* RFC 2883 4: the D-SACK block first, once, "for each duplicate segment". */
            if (t->dsack_on && max > 0) {
                o->sack[k].left = t->dsack_start;
                o->sack[k].right = t->dsack_end;
                k++;
                t->dsack_on = false;
                CNT(st, tcp_dsack_sent);
            }
            int n = t->ooo.n ? rangeset_sack_blocks(&t->ooo, blocks, max - k) : 0;
            for (int i = 0; i < n; i++, k++) {
                o->sack[k].left = blocks[i].start;
                o->sack[k].right = blocks[i].end;
            }
            o->sack_count = (uint8_t)k;
        }
    }
    if (o->has_ts) {
        o->ts_val = ts_val(st, t);
        o->ts_ecr = (flags & SYNACK_ACK) ? t->ts_recent : 0;
    }
}

/* Our SYN or SYN-ACK. RFC 3168 6.1.1: an ECN-setup SYN carries ECE and CWR, the SYN-ACK that
 * accepts it ECE alone. A SYN sent again goes without them, as Linux's: a path that drops
 * ECN-setup SYNs still lets the connection open. */
static uint8_t syn_flags(const synack_stack *st, tcb *t)
{
    uint8_t f = SYNACK_SYN;
    if (TCPS_HAVE_RCVD_SYN(t->state)) {
        f |= SYNACK_ACK;
        if (t->ecn_ok) f |= SYNACK_ECE;
        return f;
    }
    t->ecn_asked = st->cfg.ecn == SYNACK_ECN_ON && t->rexmt_shift == 0;
    if (t->ecn_asked) f |= SYNACK_ECE | SYNACK_CWR;
    return f;
}

/* Copies n bytes at offset off of the send ring to dst, summing them on the way when sum is
 * set (one pass over the data instead of a copy and a checksum pass). The ring may wrap at an
 * odd offset: the second piece's sum joins at its position. */
static uint32_t sndbuf_copy(const ring *r, uint32_t off, uint8_t *dst, uint32_t n, bool sum)
{
    if (!sum) {
        ring_read_at(r, off, dst, n);
        return 0;
    }
    uint32_t pos = r->head + off;
    if (pos >= r->cap) pos -= r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    uint32_t s = cksum_copy(0, dst, r->buf + pos, first);
    if (n > first) s = cksum_add_at(s, cksum_copy(0, dst + first, r->buf, n - first), first);
    return s;
}

/* The most data bytes one segment may carry: the MSS, or with TSO (cfg.tso_max_bytes) as many
 * whole MSS as fit a super-segment of that size, headers included. */
static uint32_t seg_max_len(const synack_stack *st, const tcb *t)
{
    uint32_t mss = tcp_data_mss(t);
    if (!st->cfg.tso_max_bytes) return mss;
    uint32_t hdrs = (uint32_t)ip_header_len(&t->remote.addr) + TCP_HDR_LEN + 40;
    uint32_t room = st->cfg.tso_max_bytes > hdrs ? st->cfg.tso_max_bytes - hdrs : 0;
    return room / mss > 1 ? room / mss * mss : mss;
}

/* Builds IP + TCP headers into the queue and copies len data bytes from the send buffer at the
 * offset of seq. Returns false when the queue has no room. More than one MSS of data (TSO) goes
 * out as one super-segment for the link to cut (gso_size = the MSS) with a partial checksum. */
static bool emit(synack_stack *st, tcb *t, uint32_t seq, uint8_t flags, uint32_t len)
{
    /* Inside synack_output_iov() the data stays in the send ring (outdirect.c). */
    bool in_place = len && out_direct_active(st);
    uint8_t *p = stack_outq_reserve(st, MAX_HDRS + (in_place ? 0 : len));
    if (!p) return false;
    bool again = seq_lt(seq, t->snd_max);
    /* RFC 3168 6.1.2-6.1.5: new data is ECN-capable (ECT(0)), never retransmissions or pure
     * ACKs; the first new data after a reduction carries CWR; ACKs echo CE with ECE until the
     * peer's CWR. */
    bool ect = t->ecn_ok && len && !again && !(flags & (SYNACK_SYN | SYNACK_RST));
    if (ect && t->ecn_cwr_pending) {
        flags |= SYNACK_CWR;
        t->ecn_cwr_pending = false;
        CNT(st, tcp_ecn_cwr_sent);
    }
    if (t->ecn_ok && t->ecn_ece_pending && (flags & SYNACK_ACK) && !(flags & (SYNACK_SYN | SYNACK_RST)))
        flags |= SYNACK_ECE;
    tcp_opts o;
    build_options(st, t, flags, len, &o);
    size_t iph = ip_header_len(&t->remote.addr);
    uint8_t *tcp = p + iph;
    size_t opt_len = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, flags & SYNACK_SYN);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = t->local.port;
    h.dport = t->remote.port;
    h.seq = seq;
    h.flags = flags;
    if (flags & SYNACK_ACK) {
        h.ack = t->rcv_nxt;
        t->last_ack_sent = t->rcv_nxt;
    }
    h.wnd = (flags & SYNACK_RST) ? 0 : window_field(t, flags & SYNACK_SYN);
    size_t hl = tcp_hdr_emit(tcp, 60, &h, opt_len);
    uint32_t mss = tcp_data_mss(t);
    bool tso = len > mss;
    bool partial = tso || st->cfg.tx_csum_offload;
    uint32_t off = seq - t->snd_buf_seq, data_sum = 0;
    if (in_place) data_sum = out_direct_data(st, &t->sndbuf, off, len, !partial);
    else if (len) data_sum = sndbuf_copy(&t->sndbuf, off, tcp + hl, len, !partial);
    ip_tcp_cksum_finish(tcp, hl, len, data_sum, &t->local.addr, &t->remote.addr, partial);
    ip_header_emit(st, p, &t->local.addr, &t->remote.addr, IP_PROTO_TCP, hl + len);
    if (ect) ip_header_set_ecn(p, &t->remote.addr, 2);
    stack_outq_commit_meta(st, iph + hl + len, tso ? (uint16_t)mss : 0, partial ? (uint16_t)iph : 0);
    if (tso) CNT(st, tcp_tso_out);
    /* Sent before (below SND.MAX) and taking sequence space: a retransmission of this
     * connection, whichever path sent it (RTO, fast or SACK recovery, SYN backoff). */
    if ((len || (flags & (SYNACK_SYN | SYNACK_FIN))) && !(flags & SYNACK_RST) && again)
        t->rexmit_total++;
    /* Data and FIN of an established connection: the transmit log (RACK, delivery rate) and
     * recovery's accounting (PRR, undo). */
    uint32_t seqlen = len + !!(flags & SYNACK_FIN);
    if (seqlen && t->cc_ready && t->bufs_on && !(flags & (SYNACK_SYN | SYNACK_RST))) {
        tcp_txlog_sent(st, t, seq, seqlen);
        tcp_recovery_on_send(t, seq, len, again);
    }
    if (flags & SYNACK_ACK) { /* this segment carries our ACK: nothing is owed any more */
        t->ack_now = false;
        t->delack_segs = 0;
        tcp_timer_cancel(st, t, SYNACK_TIMER_DELACK);
    }
    if (flags & SYNACK_RST) CNT(st, tcp_rst_out);
    return true;
}

void tcp_send_segment(synack_stack *st, tcb *t, uint32_t seq, uint8_t flags, uint32_t len)
{
    if (!emit(st, t, seq, flags, len)) stack_pending_add(st, t);
}

void tcp_send_ack(synack_stack *st, tcb *t)
{
    /* After a timeout snd_nxt was pulled back to snd_una, but the peer may hold data up to
     * snd_max: an ACK sequenced below its RCV.NXT would be unacceptable there and answered by
     * an ACK, forever. Pure ACKs carry the next unsent sequence number, as in BSD. */
    uint32_t seq = tcp_timer_armed(t, SYNACK_TIMER_PERSIST) ? t->snd_nxt : t->snd_max;
    tcp_send_segment(st, t, seq, SYNACK_ACK, 0); /* while probing: the probe is beyond RCV.NXT */
}

void tcp_send_rst(synack_stack *st, tcb *t)
{
    /* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>; with an ACK once synchronized, as Linux. */
    uint8_t flags = SYNACK_RST;
    if (TCPS_HAVE_RCVD_SYN(t->state) && t->state != SYNACK_LISTEN) flags |= SYNACK_ACK;
    emit(st, t, t->snd_max, flags, 0); /* snd_max: see tcp_send_ack */
}

void tcp_send_rst_reply(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                        const tcp_seg *seg)
{
    /* RFC 9293 3.10.7.1: if the ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
     * otherwise <SEQ=SEG.ACK><CTL=RST>. Never answer a RST. */
    if (seg->flags & SYNACK_RST) return;
    bool ok = seg->flags & SYNACK_ACK
                  ? tcp_send_bare(st, local, remote, seg->ack, 0, SYNACK_RST, 0, NULL)
                  : tcp_send_bare(st, local, remote, 0,
                                  seg->seq + seg->len + !!(seg->flags & SYNACK_SYN) + !!(seg->flags & SYNACK_FIN),
                                  SYNACK_RST | SYNACK_ACK, 0, NULL);
    if (ok) CNT(st, tcp_rst_out);
}

bool tcp_send_bare(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                   uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const tcp_opts *o)
{
    size_t iph = ip_header_len(&remote->addr);
    uint8_t *p = stack_outq_reserve(st, iph + TCP_HDR_LEN + 40);
    if (!p) {
        CNT(st, out_queue_full);
        return false;
    }
    uint8_t *tcp = p + iph;
    size_t opt_len = o ? tcp_opts_emit(tcp + TCP_HDR_LEN, 40, o, false) : 0;
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = local->port;
    h.dport = remote->port;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.wnd = wnd;
    size_t hl = tcp_hdr_emit(tcp, TCP_HDR_LEN + 40, &h, opt_len);
    ip_l4_cksum_set(tcp, hl, 16, &local->addr, &remote->addr, IP_PROTO_TCP);
    ip_header_emit(st, p, &local->addr, &remote->addr, IP_PROTO_TCP, hl);
    stack_outq_commit(st, iph + hl);
    return true;
}

static void after_send(synack_stack *st, tcb *t, uint32_t seq, uint32_t seqlen)
{
    bool new_data = seq_geq(seq, t->snd_max);
    t->snd_nxt = seq + seqlen;
    if (seq_gt(t->snd_nxt, t->snd_max)) t->snd_max = t->snd_nxt;
    if (new_data && !t->rtt_timing && seqlen) { /* time one fresh segment (Karn) */
        t->rtt_timing = true;
        t->rtt_seq = seq;
        t->rtt_start = st->now;
    }
    if (seqlen && !tcp_timer_armed(t, SYNACK_TIMER_REXMT)) {
        tcp_timer_cancel(st, t, SYNACK_TIMER_PERSIST);
        tcp_rexmt_arm(st, t);
    }
    if (new_data && seqlen) tcp_tlp_arm(st, t); /* RFC 8985 7.2: new data sent */
    if (seqlen && t->user_timeout_ms && !tcp_timer_armed(t, SYNACK_TIMER_USER_TIMEOUT))
        tcp_timer_arm(st, t, SYNACK_TIMER_USER_TIMEOUT, st->now + tcp_us_of_ms(t->user_timeout_ms));
}

/* Sends our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED, or after CLOSE there) while it is
 * unacknowledged and not in flight. */
static bool output_syn(synack_stack *st, tcb *t)
{
    if (t->snd_una != t->iss) return false; /* our SYN is acknowledged */
    if (t->snd_nxt == t->iss) {
        uint8_t flags = syn_flags(st, t);
        if (!emit(st, t, t->iss, flags, 0)) {
            stack_pending_add(st, t);
            return true;
        }
        /* SND.MAX past the ISS: this SYN went out before, the timer sent it back here. */
        if (seq_gt(t->snd_max, t->iss)) REXMIT_TRACE(st, t, TIMEOUT, t->iss, 0);
        after_send(st, t, t->iss, 1);
    } else if (t->ack_now && t->state == SYNACK_SYN_RECEIVED) {
        tcp_send_ack(st, t);
    }
    /* CLOSE in SYN-RECEIVED: "form a FIN segment and send it" (3.10.4) behind the SYN-ACK, but
     * only "if no SENDs have been issued and there is no pending data": data waits for the ACK
     * of our SYN ("queue for processing after entering ESTABLISHED", 3.10.2), and so do window
     * probes of it, which would read before the send buffer (SND.UNA is still ISS). */
    return t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RECEIVED ||
           (t->bufs_on && t->sndbuf.len > 0);
}

/* SACK loss recovery (RFC 6675 5): while the pipe leaves a segment's room in cwnd, resend the
 * next hole below the highest SACKed octet. Returns whether anything was sent. */
static bool sack_retransmit(synack_stack *st, tcb *t)
{
    bool sent = false;
    if (!tcp_sack_recovery(t)) return false;
    uint32_t mss = tcp_data_mss(t), fin_seq = t->snd_buf_seq + t->sndbuf.len;
    for (int guard = 0; guard < 256; guard++) {
        if (tcp_sack_pipe(t) + mss > t->cc.cwnd) break;
        /* Retransmissions lost again first: they hold SND.UNA back the longest. */
        uint32_t seq = 0, len = tcp_txlog_next_relost(t, &seq);
        bool relost = len != 0;
        if (!relost) len = tcp_sack_next_hole(t, &seq);
        if (len == 0 || !seq_lt(seq, fin_seq)) break;
        if (len > mss) len = mss;
        if (seq_gt(seq + len, fin_seq)) len = fin_seq - seq;
        if (!tcp_pace_allows(st, t)) {
            tcp_pace_wait(st, t);
            break;
        }
        if (!emit(st, t, seq, SYNACK_ACK, len)) {
            stack_pending_add(st, t);
            break;
        }
        tcp_pace_sent(st, t, len);
        CNT(st, tcp_rexmt);
        if (tcp_rack_on(t)) REXMIT_TRACE(st, t, RACK, seq, len);
        else REXMIT_TRACE(st, t, SACK, seq, len);
        if (seq_in(t->rtt_seq, seq, seq + len)) t->rtt_timing = false; /* Karn */
        if (!relost) t->rexmit_high = seq + len;
        /* The first unacknowledged segment sent again: give the copy a full RTO (as Linux's
         * tcp_xmit_retransmit_queue). Left running from the original's send, the timer fired
         * a few milliseconds after the repair and took cwnd to one segment on every loss. */
        if (seq == t->snd_una) tcp_rexmt_arm(st, t);
        sent = true;
    }
    return sent;
}

void tcp_output(synack_stack *st, tcb *t)
{
    if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN || t->state == SYNACK_TIME_WAIT) {
        if (t->state == SYNACK_TIME_WAIT && t->ack_now) tcp_send_ack(st, t);
        return;
    }
    if (output_syn(st, t)) return;
    if (!t->bufs_on) { /* no buffers (a passive child closed before ESTABLISHED): FIN and ACKs */
        if (t->fin_queued && t->snd_nxt == t->snd_buf_seq) {
            if (!emit(st, t, t->snd_nxt, SYNACK_FIN | SYNACK_ACK, 0)) {
                stack_pending_add(st, t);
                return;
            }
            after_send(st, t, t->snd_nxt, 1);
        } else if (t->ack_now) {
            tcp_send_ack(st, t);
        }
        return;
    }
    bool sent = sack_retransmit(st, t);
    for (;;) {
        uint32_t fin_seq = t->snd_buf_seq + t->sndbuf.len;
        bool rexmit = seq_lt(t->snd_nxt, t->snd_max);
        if (rexmit && t->scoreboard.n) { /* going back: skip what the peer holds */
            t->snd_nxt = tcp_sack_skip(t, t->snd_nxt);
            rexmit = seq_lt(t->snd_nxt, t->snd_max);
        }
        if (seq_gt(t->snd_nxt, fin_seq)) break; /* FIN sent and not being retransmitted */
        uint32_t off = t->snd_nxt - t->snd_buf_seq;
        uint32_t left = t->sndbuf.len - off;
        uint32_t flight = tcp_flight(t);
        /* The congestion window limits what is in the network (tcp_in_network: SACKed octets
         * are not); the peer's window limits what is unacknowledged. */
        uint32_t in_net = tcp_in_network(t);
        uint32_t by_wnd = t->snd_wnd > flight ? t->snd_wnd - flight : 0;
        /* Limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment
         * go beyond cwnd, so that a small window still produces the third. */
        uint32_t allowed = t->cc.cwnd;
        if (!t->in_recovery && t->dupacks > 0 && t->dupacks < 3) allowed += t->dupacks * tcp_data_mss(t);
        uint32_t by_cwnd = allowed > in_net ? allowed - in_net : 0;
        /* The tail loss probe sends one new segment whatever cwnd says (RFC 8985 7.3). */
        if (t->rack.probe_now && by_cwnd < tcp_data_mss(t)) by_cwnd = tcp_data_mss(t);
        uint32_t usable = by_wnd < by_cwnd ? by_wnd : by_cwnd;
        if (t->force_send && usable == 0 && t->snd_wnd > flight) usable = t->snd_wnd - flight;
        uint32_t len = left < usable ? left : usable;
        uint32_t mss = tcp_data_mss(t), max_len = seg_max_len(st, t);
        if (len > max_len) len = max_len;
        /* A super-segment short of the end of the data carries whole segments only: the rest
         * waits for the window as any short segment would (Nagle, SWS avoidance). */
        if (len > mss && len < left) len -= len % mss;
        if (rexmit && t->scoreboard.n) len = tcp_sack_run(t, t->snd_nxt, len);
        if (len > 0 && len < mss && !rexmit && !t->force_send) {
            /* Nagle (RFC 9293 3.7.4) and sender SWS avoidance (3.8.6.2.1): a short segment
             * goes only when it is all we have and nothing is outstanding (or Nagle is off),
             * or when it fills at least half of the largest window the peer offered. */
            bool last = len == left && (t->nodelay || flight == 0);
            bool half = len >= t->max_snd_wnd / 2 && t->max_snd_wnd > 0;
            if (!last && !half) len = 0;
        }
        uint8_t flags = SYNACK_ACK;
        /* The FIN follows the last octet, if the window has room for its sequence number
         * (else the persist timer probes, RFC 9293 3.8.6.1). */
        if (t->fin_queued && len == left && (len < usable || rexmit)) flags |= SYNACK_FIN;
        if (len == 0 && (left > 0 || !(flags & SYNACK_FIN))) break;
        if (len && len == left) flags |= SYNACK_PSH;
        if (len && !tcp_pace_allows(st, t)) { /* pacing.c: not yet; the timer resumes us */
            tcp_pace_wait(st, t);
            break;
        }
        if (!emit(st, t, t->snd_nxt, flags, len)) {
            stack_pending_add(st, t);
            return;
        }
        tcp_pace_sent(st, t, len);
        if (rexmit) { /* SND.NXT went back: the retransmission timer's go-back */
            CNT(st, tcp_rexmt);
            REXMIT_TRACE(st, t, TIMEOUT, t->snd_nxt, len);
        }
        after_send(st, t, t->snd_nxt, len + !!(flags & SYNACK_FIN));
        sent = true;
        if (flags & SYNACK_FIN) break;
        if (t->rack.probe_now) break; /* one probe segment */
    }
    if (t->cc_ready) tcp_rate_check_app_limited(t);
    if (!sent && t->ack_now) tcp_send_ack(st, t);
    /* Zero window with data waiting and nothing in flight: probe (RFC 9293 3.8.6.1). Also the
     * sender-SWS override timer when a small window holds data back. */
    uint32_t fin_seq = t->snd_buf_seq + t->sndbuf.len;
    uint32_t unsent = t->sndbuf.len - (t->snd_nxt - t->snd_buf_seq);
    if (t->fin_queued && t->snd_nxt == fin_seq) unsent++; /* the FIN waits too */
    if (seq_leq(t->snd_nxt, fin_seq) && unsent > 0 &&
        t->snd_nxt == t->snd_una && !tcp_timer_armed(t, SYNACK_TIMER_REXMT) &&
        !tcp_timer_armed(t, SYNACK_TIMER_PERSIST) && !tcp_timer_armed(t, SYNACK_TIMER_PACING)) {
        t->persist_shift = 0;
        synack_time_us d = t->rto_us;
        if (d < st->cfg.persist_min_us) d = st->cfg.persist_min_us;
        if (d > st->cfg.persist_max_us) d = st->cfg.persist_max_us;
        tcp_timer_arm(st, t, SYNACK_TIMER_PERSIST, st->now + d);
    }
}

void tcp_retransmit_first(synack_stack *st, tcb *t, int reason)
{
    if (t->snd_una == t->iss) { /* the SYN itself */
        uint8_t flags = syn_flags(st, t);
        t->rtt_timing = false; /* Karn */
        if (st->trace_mask & SYNACK_TRACE_RETRANSMITS) stack_rexmit_event(st, t, reason, t->iss, 0);
        tcp_send_segment(st, t, t->iss, flags, 0);
        return;
    }
    if (!t->bufs_on) return;
    uint32_t off = t->snd_una - t->snd_buf_seq;
    uint32_t left = off <= t->sndbuf.len ? t->sndbuf.len - off : 0;
    uint32_t len = left < tcp_data_mss(t) ? left : tcp_data_mss(t);
    uint8_t flags = SYNACK_ACK;
    if (t->fin_queued && len == left && seq_gt(t->snd_max, t->snd_buf_seq + t->sndbuf.len))
        flags |= SYNACK_FIN;
    if (len == 0 && !(flags & SYNACK_FIN)) return;
    if (seq_in(t->rtt_seq, t->snd_una, t->snd_una + len + 1)) t->rtt_timing = false; /* Karn */
    if (t->bufs_on && len) len = tcp_sack_run(t, t->snd_una, len);
    if (seq_gt(t->snd_una + len, t->rexmit_high)) t->rexmit_high = t->snd_una + len;
    CNT(st, tcp_rexmt);
    if (st->trace_mask & SYNACK_TRACE_RETRANSMITS) stack_rexmit_event(st, t, reason, t->snd_una, len);
    tcp_send_segment(st, t, t->snd_una, flags, len);
    tcp_pace_sent(st, t, len); /* not held back (a loss repair), but it uses the rate */
    tcp_rexmt_arm(st, t);      /* a full RTO for the copy, as in sack_retransmit */
}

bool tcp_retransmit_last(synack_stack *st, tcb *t)
{
    /* RFC 8985 7.3: "retransmit the highest-sequence segment sent so far", up to one MSS. */
    if (!t->bufs_on || t->snd_una == t->snd_max) return false;
    uint32_t fin_seq = t->snd_buf_seq + t->sndbuf.len;
    bool fin = t->fin_queued && seq_gt(t->snd_max, fin_seq);
    /* Only octets the send buffer holds: not our SYN, not beyond the buffer (a probe). */
    uint32_t data_end = seq_lt(t->snd_max, fin_seq) ? t->snd_max : fin_seq;
    uint32_t from = seq_gt(t->snd_buf_seq, t->snd_una) ? t->snd_buf_seq : t->snd_una;
    uint32_t avail = seq_gt(data_end, from) ? data_end - from : 0;
    uint32_t len = avail < tcp_data_mss(t) ? avail : tcp_data_mss(t);
    if (len == 0 && !fin) return false;
    uint32_t seq = data_end - len;
    uint8_t flags = SYNACK_ACK | (fin ? SYNACK_FIN : 0) | (len ? SYNACK_PSH : 0);
    if (seq_in(t->rtt_seq, seq, seq + len + 1)) t->rtt_timing = false; /* Karn */
    CNT(st, tcp_rexmt);
    REXMIT_TRACE(st, t, TLP, seq, len);
    tcp_send_segment(st, t, seq, flags, len);
    return true;
}
