/* input.c: SEGMENT ARRIVES, organised as RFC 9293 3.10.7 is: CLOSED, LISTEN and SYN-SENT have
 * their own functions; the synchronized states run the RFC's steps (sequence, RST, SYN, ACK, text,
 * FIN) as small functions returning an explicit verdict. The segment travels as a const argument. */
#include <errno.h>
#include <string.h>

#include "stack_impl.h"

#include "check.h"

enum verdict {
    V_CONTINUE, /* go on to the next step */
    V_DROP,     /* stop; send whatever output is owed (ACKs) */
    V_GONE,     /* the tcb was deleted or returned to LISTEN: touch it no more */
};

/* The part of a segment still to be processed after trimming to the window. */
typedef struct seg_view {
    uint32_t seq;
    const uint8_t *data;
    uint32_t len;
    bool fin;
} seg_view;

static void opts_from_syn(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    const tcp_opts *o = &seg->opts;
    /* RFC 9293 3.7.1 (MUST-15): without the option, 536 for IPv4 and 1220 for IPv6. */
    uint16_t dflt = t->remote.addr.family == SYNACK_AF_INET6 ? 1220 : 536;
    uint16_t peer_mss = o->has_mss && o->mss >= 64 ? o->mss : dflt;
    t->snd_mss = peer_mss < t->rcv_mss ? peer_mss : t->rcv_mss;
    t->ws_ok = o->has_wscale && st->cfg.wscale > 0;
    t->snd_wscale = t->ws_ok ? (o->wscale > 14 ? 14 : o->wscale) : 0; /* RFC 7323 2.3 */
    t->rcv_wscale = t->ws_ok ? st->cfg.wscale : 0;
    t->sack_ok = st->cfg.sack && o->sack_ok;
    t->ts_ok = st->cfg.timestamps && o->has_ts;
    if (t->ts_ok) t->ts_recent = o->ts_val;
    /* RFC 3168 6.1.1: a SYN with ECE and CWR asks for ECN; a SYN-ACK with ECE alone grants
     * what our SYN asked. */
    uint8_t ecn = seg->flags & (SYNACK_ECE | SYNACK_CWR);
    if (seg->flags & SYNACK_ACK) t->ecn_ok = t->ecn_asked && ecn == SYNACK_ECE;
    else t->ecn_ok = st->cfg.ecn != SYNACK_ECN_OFF && ecn == (SYNACK_ECE | SYNACK_CWR);
    /* The window of a SYN is never scaled (RFC 7323 2.2). */
    t->snd_wnd = seg->wnd;
    t->max_snd_wnd = seg->wnd;
    t->snd_wl1 = seg->seq;
    t->snd_wl2 = seg->ack;
}

/* RFC 6298 5.7: after a SYN (or SYN-ACK) timed out, data transfer starts with RTO >= 3 s. */
static void syn_timed_out_rto(tcb *t)
{
    if (t->rexmt_shift > 0 && t->srtt_us == 0 && t->rto_us < SYNACK_SEC(3)) t->rto_us = SYNACK_SEC(3);
}

/* ---- CLOSED / LISTEN (RFC 9293 3.10.7.1, 3.10.7.2) ---- */

static enum verdict sync_input(synack_stack *st, tcb *t, const tcp_seg *in);

/* A passive child of lst, in LISTEN as a copy of the listener's settings, so that its trace
 * shows Figure 5's LISTEN -> SYN-RECEIVED arrow and, on RST, note 1's way back. NULL when the
 * connection pool is empty. */
static tcb *child_new(synack_stack *st, tcb *lst, const synack_endpoint *local,
                      const synack_endpoint *remote)
{
    tcb *c = tcp_tcb_alloc(st);
    if (!c) return NULL;
    c->state = SYNACK_LISTEN;
    c->parent = lst;
    c->passive = true;
    c->opened = true;
    c->local = *local;
    c->remote = *remote;
    c->nodelay = lst->nodelay;
    c->cc.algo = lst->cc.algo;
    c->keepalive = lst->keepalive;
    c->linger_on = lst->linger_on;
    c->linger_sec = lst->linger_sec;
    c->sndbuf_size = lst->sndbuf_size;
    c->rcvbuf_size = lst->rcvbuf_size;
    c->rcv_mss = lst->rcv_mss_set ? lst->rcv_mss : tcp_announce_mss(st, &remote->addr);
    c->user_timeout_ms = lst->user_timeout_ms;
    c->keepidle_ms = lst->keepidle_ms;
    c->keepintvl_ms = lst->keepintvl_ms;
    c->keepcnt = lst->keepcnt;
    c->ts_offset = tcp_ts_offset(st, local, remote);
    return c;
}

/* The final ACK of a cookie handshake (RFC 4987 3.6). The connection the cookie describes is
 * rebuilt in SYN-RECEIVED, exactly as if its SYN-ACK had been sent from a TCB, and the ACK then
 * completes it through the ordinary SYN-RECEIVED steps (so the child's trace is LISTEN ->
 * SYN-RECEIVED -> ESTABLISHED, and data on the ACK is taken). Returns false when the segment
 * is no valid cookie ACK: the caller answers as RFC 9293 3.10.7.2 says (a reset). */
static bool cookie_ack(synack_stack *st, tcb *lst, const tcp_seg *seg,
                       const synack_endpoint *local, const synack_endpoint *remote)
{
    syncookie_opts co;
    if (!tcp_syncookie_expected(st, lst) || !tcp_syncookie_check(st, seg, local, remote, &co))
        return false;
    if (lst->aq_len >= lst->backlog) { /* as Linux: drop; the peer retransmits (see check_ack) */
        DROP(st, tcp_listen_overflow, lst->id, SYNACK_LISTEN, local, remote, seg);
        return true;
    }
    tcb *c = child_new(st, lst, local, remote);
    if (!c) {
        DROP(st, tcp_no_tcb, lst->id, SYNACK_LISTEN, local, remote, seg);
        return true;
    }
    c->from_cookie = true;
    c->cookie_until = co.until;
    c->irs = seg->seq - 1;
    c->rcv_nxt = seg->seq;
    /* The window our SYN-ACK offered (syncookie.c): the right edge the ACK is checked against. */
    c->rcv_adv = c->rcv_nxt + (c->rcvbuf_size < 0xffff ? c->rcvbuf_size : 0xffff);
    c->last_ack_sent = c->rcv_nxt;
    c->iss = seg->ack - 1;
    c->snd_una = c->iss;
    c->snd_nxt = c->snd_max = c->iss + 1; /* the SYN-ACK was sent */
    c->snd_buf_seq = c->iss + 1;
    c->recover = c->iss;
    c->snd_mss = co.mss < c->rcv_mss ? co.mss : c->rcv_mss;
    c->ts_ok = co.ts_ok;
    if (c->ts_ok) c->ts_recent = seg->opts.ts_val; /* the SYN's TSval is gone; this is newer */
    c->ws_ok = co.ws_ok;
    c->snd_wscale = co.snd_wscale;
    c->rcv_wscale = co.ws_ok ? st->cfg.wscale : 0;
    c->sack_ok = co.sack_ok;
    stack_hash_insert(st, c);
    lst->syn_rcvd_len++;
    tcp_set_state(st, c, SYNACK_SYN_RECEIVED, cause_seg(seg->flags));
    if (sync_input(st, c, seg) != V_GONE) stack_output_later(st, c);
    return true;
}

/* iss_floor: nonzero when the SYN reopens a TIME-WAIT 4-tuple: the new ISN must lie beyond it. */
static void listen_input(synack_stack *st, tcb *lst, const tcp_seg *seg,
                         const synack_endpoint *local, const synack_endpoint *remote, uint32_t iss_floor)
{
    if (seg->flags & SYNACK_RST) return;          /* "An incoming RST should be ignored" */
    if (seg->flags & SYNACK_ACK) {
        if (!(seg->flags & SYNACK_SYN) && cookie_ack(st, lst, seg, local, remote)) return;
        tcp_send_rst_reply(st, local, remote, seg); /* "<SEQ=SEG.ACK><CTL=RST>" */
        return;
    }
    if (!(seg->flags & SYNACK_SYN)) return;       /* anything else: drop */
    /* Policy (cfg.drop_synfin, FreeBSD's net.inet.tcp.drop_synfin): SYN+FIN opens nothing. It
     * applies at a listener and in SYN-SENT only, as FreeBSD's does. */
    if (st->cfg.drop_synfin && (seg->flags & SYNACK_FIN)) {
        DROP(st, tcp_synfin, lst->id, SYNACK_LISTEN, local, remote, seg);
        return;
    }
    /* RFC 9293 3.10.7.2 leaves resource limits to the implementation. Two queues, as Linux:
     * a full accept queue drops the SYN (tcp_conn_request(): no point in a handshake the
     * application has no room for; the peer retransmits), cookie or not; a full SYN queue
     * answers with a cookie (or drops, cookies off). */
    if (lst->aq_len >= lst->backlog) {
        DROP(st, tcp_syn_aq_full, lst->id, SYNACK_LISTEN, local, remote, seg);
        return;
    }
    bool cookies = st->cfg.syncookies != SYNACK_SYNCOOKIES_OFF;
    if (st->cfg.syncookies == SYNACK_SYNCOOKIES_ALWAYS || lst->syn_rcvd_len >= st->cfg.syn_queue_max) {
        if (cookies) tcp_syncookie_send(st, lst, seg, local, remote);
        else DROP(st, tcp_listen_drop, lst->id, SYNACK_LISTEN, local, remote, seg);            /* the peer will retransmit its SYN */
        return;
    }
    tcb *c = child_new(st, lst, local, remote);
    if (!c) { /* the pool is empty: a cookie needs no TCB until the handshake completes */
        if (cookies) tcp_syncookie_send(st, lst, seg, local, remote);
        else DROP(st, tcp_no_tcb, lst->id, SYNACK_LISTEN, local, remote, seg);
        return;
    }
    c->irs = seg->seq;
    c->rcv_nxt = seg->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    opts_from_syn(st, c, seg);
    c->iss = tcp_isn(st, local, remote);
    if (iss_floor && !seq_gt(c->iss, iss_floor)) c->iss = iss_floor; /* RFC 9293 3.4.1 */
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->snd_buf_seq = c->iss + 1;
    c->recover = c->iss;
    stack_hash_insert(st, c);
    lst->syn_rcvd_len++;
    tcp_set_state(st, c, SYNACK_SYN_RECEIVED, cause_seg(seg->flags));
    if (st->cfg.conn_timeout_us)
        tcp_timer_arm(st, c, SYNACK_TIMER_CONN_EST, st->now + st->cfg.conn_timeout_us);
    /* Data on a SYN is not acknowledged: the peer sends it again once we are synchronized. */
    tcp_output(st, c);
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */

static enum verdict process_text(synack_stack *st, tcb *t, const seg_view *v);
static enum verdict process_fin(synack_stack *st, tcb *t, const tcp_seg *seg, const seg_view *v);
static void trim_to_window(synack_stack *st, tcb *t, const tcp_seg *seg, seg_view *v);

/* RCV.NXT and the window once the peer's SYN is in: the window is the one our own SYN offered
 * (never scaled, RFC 7323 2.2), so that text on the SYN is accepted as far as it reaches. */
static void syn_sent_rcv_init(tcb *t, const tcp_seg *seg)
{
    uint32_t offered = t->rcv_adv - t->rcv_nxt; /* set when our SYN was built, RCV.NXT = 0 then */
    t->irs = seg->seq;
    t->rcv_nxt = seg->seq + 1;
    t->rcv_adv = t->rcv_nxt + offered;
}

/* Simultaneous open: "If there are other controls or text in the segment, queue them for
 * processing after the ESTABLISHED state has been reached". The text goes into the receive ring
 * at RCV.NXT without being committed, remembered in the out-of-order set, so it is neither
 * readable nor acknowledged before ESTABLISHED (as 3.10.7.4 would have it for SYN-RECEIVED);
 * deliver_held() takes it in then. A FIN after it is remembered as a FIN beyond a hole. */
static void syn_sent_hold(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    seg_view v = {seg->seq, seg->data, seg->len, (seg->flags & SYNACK_FIN) != 0};
    trim_to_window(st, t, seg, &v);
    if (!t->bufs_on || (v.len == 0 && !v.fin)) return;
    if (v.len) {
        /* Memory comes with the data (tcp/buffers.h); without it the text is left to be sent
         * again, as any segment dropped for want of memory. */
        if (!tcp_ring_reserve(st, &t->rcvbuf, t->rcvbuf.len + v.len, &t->rcv_hint) ||
            !tcp_ranges_reserve(st, &t->ooo)) {
            CNT(st, tcp_no_buffer);
            return;
        }
        ring_write_at(&t->rcvbuf, t->rcvbuf.len, v.data, v.len);
        if (!rangeset_add(&t->ooo, v.seq, v.seq + v.len)) return; /* an empty set holds one */
        CNT(st, tcp_ooo);
    }
    if (v.fin) {
        t->ooo_fin = true;
        t->ooo_fin_seq = v.seq + v.len;
    }
}

/* ESTABLISHED reached: text held since the SYN (see syn_sent_hold) becomes readable and is
 * acknowledged at once. */
static void deliver_held(synack_stack *st, tcb *t)
{
    if (!t->bufs_on || !t->ooo.n || t->ooo.r[0].start != t->rcv_nxt) return;
    uint32_t upto = rangeset_advance(&t->ooo, t->rcv_nxt);
    ring_commit(&t->rcvbuf, upto - t->rcv_nxt);
    t->rcv_nxt = upto;
    tcp_ranges_release_if_empty(st, &t->ooo);
    t->ack_now = true;
    if (t->sd >= 0) stack_event_simple(st, t, SYNACK_EV_READABLE, 0);
}

static enum verdict syn_sent_input(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    bool ack = seg->flags & SYNACK_ACK;
    /* Policy (cfg.drop_synfin, as FreeBSD's net.inet.tcp.drop_synfin): SYN+FIN is dropped
     * silently in SYN-SENT, as at a listener; the synchronized states apply the SYN rules. */
    if (st->cfg.drop_synfin && (seg->flags & SYNACK_SYN) && (seg->flags & SYNACK_FIN)) {
        DROP_T(st, tcp_synfin, t, seg);
        return V_DROP;
    }
    /* first: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)" */
    if (ack && (seq_leq(seg->ack, t->iss) || seq_gt(seg->ack, t->snd_max))) {
        tcp_send_rst_reply(st, &t->local, &t->remote, seg);
        return V_DROP;
    }
    /* second: RST. Acceptable only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT). */
    if (seg->flags & SYNACK_RST) {
        if (!ack) return V_DROP;
        tcp_drop(st, t, ECONNREFUSED, cause_seg(seg->flags));
        return V_GONE;
    }
    /* fourth: SYN. */
    if (!(seg->flags & SYNACK_SYN)) return V_DROP;
    syn_sent_rcv_init(t, seg);
    opts_from_syn(st, t, seg);
    tcp_cc_init(st, t);
    if (ack) {
        t->snd_una = seg->ack;
        if (t->rtt_timing && t->rexmt_shift == 0) tcp_rtt_sample(st, t, st->now - t->rtt_start);
        syn_timed_out_rto(t);
        t->rtt_timing = false;
        t->rexmt_shift = 0;
        tcp_timer_cancel(st, t, SYNACK_TIMER_REXMT);
        t->ack_now = true; /* "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" */
        tcp_set_state(st, t, SYNACK_ESTABLISHED, cause_seg(seg->flags));
        stack_event_simple(st, t, SYNACK_EV_CONNECTED, 0);
        /* "If there are other controls or text in the segment, then continue processing at the
         * sixth step below where the URG bit is checked": text and FIN, trimmed to the window
         * our SYN offered. The ACK above then acknowledges them. */
        if (seg->len == 0 && !(seg->flags & SYNACK_FIN)) return V_DROP;
        seg_view v = {seg->seq, seg->data, seg->len, (seg->flags & SYNACK_FIN) != 0};
        trim_to_window(st, t, seg, &v);
        enum verdict r = process_text(st, t, &v);
        if (r != V_CONTINUE) return r;
        return process_fin(st, t, seg, &v);
    }
    /* Simultaneous open: "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" and SYN-RECEIVED. */
    t->snd_nxt = t->iss;
    t->rtt_timing = false;
    tcp_set_state(st, t, SYNACK_SYN_RECEIVED, cause_seg(seg->flags));
    tcp_timer_cancel(st, t, SYNACK_TIMER_REXMT);
    syn_sent_hold(st, t, seg);
    return V_DROP;
}

/* ---- synchronized states (RFC 9293 3.10.7.4) ---- */

static uint32_t rcv_wnd(const tcb *t)
{
    return seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
}

/* Table 6: the four acceptability cases. */
static bool acceptable(const tcb *t, uint32_t seq, uint32_t seg_len)
{
    uint32_t wnd = rcv_wnd(t);
    if (seg_len == 0) return wnd == 0 ? seq == t->rcv_nxt : seq_in(seq, t->rcv_nxt, t->rcv_nxt + wnd);
    if (wnd == 0) return false;
    return seq_in(seq, t->rcv_nxt, t->rcv_nxt + wnd) ||
           seq_in(seq + seg_len - 1, t->rcv_nxt, t->rcv_nxt + wnd);
}

/* Passive child back to LISTEN (note 1): the listener stays, the child goes. */
static enum verdict back_to_listen(synack_stack *st, tcb *t, uint8_t flags)
{
    tcp_set_state(st, t, SYNACK_LISTEN, cause_seg(flags));
    tcp_tcb_free(st, t);
    return V_GONE;
}

/* RFC 2883 4: duplicate data received: report it as the first SACK block of the next ACK,
 * which goes at once. The latest duplicate wins. */
static void dsack_note(synack_stack *st, tcb *t, uint32_t start, uint32_t end)
{
    (void)st;
    if (!t->sack_ok || !t->bufs_on || !seq_lt(start, end)) return;
    t->dsack_start = start;
    t->dsack_end = end;
    t->dsack_on = true;
    t->ack_now = true;
}

/* first: sequence number */
static enum verdict check_seq(synack_stack *st, tcb *t, const tcp_seg *seg, seg_view *v)
{
    uint32_t seg_len = seg->len + !!(seg->flags & SYNACK_SYN) + !!(seg->flags & SYNACK_FIN);
    /* A copy of the SYN that opened a passive connection: our SYN-ACK was lost. Answer with the
     * SYN-ACK again (as Linux does) rather than the bare ACK of the generic rule. */
    if (t->state == SYNACK_SYN_RECEIVED && (seg->flags & (SYNACK_SYN | SYNACK_ACK)) == SYNACK_SYN &&
        seg->seq == t->irs) {
        tcp_retransmit_first(st, t, SYNACK_REXMIT_DUP_SYN);
        tcp_rexmt_arm(st, t); /* restart the timer, or a second SYN-ACK follows at once */
        return V_DROP;
    }
    /* PAWS (RFC 7323 5.3): a timestamp older than TS.Recent marks an old duplicate. */
    if (t->ts_ok && seg->opts.has_ts && !(seg->flags & SYNACK_RST) &&
        (int32_t)(seg->opts.ts_val - t->ts_recent) < 0) {
        DROP_T(st, tcp_unacceptable, t, seg);
        t->ack_now = true;
        return V_DROP;
    }
    /* "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
     * made to accept valid ACKs, URGs, and RSTs": a zero-window probe at RCV.NXT still carries
     * an ACK and a window; its text and FIN are dropped (and an ACK is sent). */
    if (rcv_wnd(t) == 0 && seg->seq == t->rcv_nxt && seg_len > 0 && !(seg->flags & SYNACK_SYN)) {
        DROP_T(st, tcp_unacceptable, t, seg);
        t->ack_now = true;
        v->seq = seg->seq;
        v->data = seg->data;
        v->len = 0;
        v->fin = false;
        return V_CONTINUE;
    }
    if (!acceptable(t, seg->seq, seg_len)) {
        DROP_T(st, tcp_unacceptable, t, seg);
        if (seg->flags & SYNACK_RST) return V_DROP;
        /* Data we hold already: a duplicate (RFC 2883). */
        if (seg->len && seq_leq(seg->seq + seg->len, t->rcv_nxt)) dsack_note(st, t, seg->seq, seg->seq + seg->len);
        /* TIME-WAIT: the only thing that can arrive is a retransmission of the remote FIN:
         * acknowledge it and restart the 2 MSL timeout (3.10.7.4, eighth step). */
        if (t->state == SYNACK_TIME_WAIT && (seg->flags & SYNACK_FIN) &&
            seg->seq + seg->len + 1 == t->rcv_nxt)
            tcp_timer_arm(st, t, SYNACK_TIMER_TIME_WAIT, st->now + 2 * st->cfg.msl_us);
        t->ack_now = true; /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
        return V_DROP;
    }
    v->seq = seg->seq;
    v->data = seg->data;
    v->len = seg->len;
    v->fin = seg->flags & SYNACK_FIN;
    return V_CONTINUE;
}

/* Trims the view to the idealized segment that begins at RCV.NXT and ends in the window. */
static void trim_to_window(synack_stack *st, tcb *t, const tcp_seg *seg, seg_view *v)
{
    /* A SYN here is one left of the window (RFC 793 mode, see check_syn) or the SYN of SYN-SENT:
     * its octet comes before the text. */
    if (seg->flags & SYNACK_SYN) v->seq++;
    if (seq_lt(v->seq, t->rcv_nxt)) {
        uint32_t d = t->rcv_nxt - v->seq;
        CNT(st, tcp_dup_data);
        dsack_note(st, t, v->seq, v->seq + (d < v->len ? d : v->len));
        if (d >= v->len) {
            if (d > v->len) v->fin = false; /* the FIN is old too */
            v->data += v->len;
            v->len = 0;
        } else {
            v->data += d;
            v->len -= d;
        }
        v->seq = t->rcv_nxt;
    }
    uint32_t wnd = rcv_wnd(t);
    if (t->bufs_on && wnd > ring_space(&t->rcvbuf)) wnd = ring_space(&t->rcvbuf); /* never past the ring */
    uint32_t edge = t->rcv_nxt + wnd;
    if (seq_gt(v->seq + v->len, edge)) {
        CNT(st, tcp_rcv_beyond_wnd);
        v->len = edge - v->seq;
        v->fin = false;
    }
}

/* RFC 5961 3.2, 4.2 and 5.2: the challenge ACK, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, the one
 * way every step sends it. RFC 5961 10: "An implementation SHOULD include an ACK throttling
 * mechanism". As Linux after CVE-2016-5696, the budget is per stack and per second, and each
 * second's budget is drawn anew in [limit/2, limit/2 + limit): a fixed global count is a side
 * channel that lets an off-path attacker learn whether his guessed 4-tuple or sequence number
 * drew a challenge. The draw is SipHash of the window number under the stack's own key. */
static enum verdict challenge_ack(synack_stack *st, tcb *t)
{
    uint64_t window = st->now / SYNACK_SEC(1) + 1; /* + 1: 0 means "no window yet" */
    if (window != st->challenge_window) {
        uint32_t limit = st->cfg.challenge_ack_limit;
        uint8_t b[8];
        for (int i = 0; i < 8; i++) b[i] = (uint8_t)(window >> (8 * i));
        st->challenge_window = window;
        st->challenge_left = limit ? (limit + 1) / 2 + (uint32_t)(siphash24(&st->keys.challenge, b, 8) % limit) : 0;
    }
    if (st->challenge_left == 0) {
        CNT(st, tcp_challenge_ack_limited);
        return V_DROP;
    }
    st->challenge_left--;
    CNT(st, tcp_challenge_ack);
    t->ack_now = true;
    return V_DROP;
}

/* second: RST */
static enum verdict check_rst(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    if (!(seg->flags & SYNACK_RST)) return V_CONTINUE;
    /* RFC 5961 3.2: only an exact match resets; in-window RSTs get a challenge ACK. */
    if (st->cfg.rfc5961 && seg->seq != t->rcv_nxt) return challenge_ack(st, t);
    CNT(st, tcp_conn_reset);
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
        if (t->passive) return back_to_listen(st, t, seg->flags);
        tcp_drop(st, t, ECONNREFUSED, cause_seg(seg->flags)); /* "connection refused" */
        return V_GONE;
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
    case SYNACK_CLOSE_WAIT:
        tcp_drop(st, t, ECONNRESET, cause_seg(seg->flags)); /* "connection reset" */
        return V_GONE;
    case SYNACK_CLOSING:
    case SYNACK_LAST_ACK:
        /* "enter the CLOSED state, delete the TCB". Our FIN was never acknowledged: an
         * application still holding the socket (after shutdown) learns of the reset, as on
         * Linux (tcp_reset) and FreeBSD (so_error = ECONNRESET for CLOSING and LAST-ACK). */
        tcp_drop(st, t, ECONNRESET, cause_seg(seg->flags));
        return V_GONE;
    default: /* TIME-WAIT: enter CLOSED, delete the TCB */
        tcp_set_state(st, t, SYNACK_CLOSED, cause_seg(seg->flags));
        tcp_closed(st, t);
        return V_GONE;
    }
}

/* fourth: SYN */
static enum verdict check_syn(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    if (!(seg->flags & SYNACK_SYN)) return V_CONTINUE;
    /* RFC 793 behaviour: only "a SYN in the window" is an error. A SYN left of the window (an
     * old one, retransmitted with text that reaches into the window, which is why it passed the
     * first step) is among "any portions that lie outside the window (including SYN and FIN)"
     * that the first step trims off: processing goes on with its text (trim_to_window). RFC 5961
     * 4.2 instead answers every SYN, "irrespective of the sequence number". */
    if (!st->cfg.rfc5961 && seq_lt(seg->seq, t->rcv_nxt)) return V_CONTINUE;
    if (t->state == SYNACK_SYN_RECEIVED && t->passive) return back_to_listen(st, t, seg->flags);
    if (st->cfg.rfc5961) return challenge_ack(st, t); /* RFC 5961 4.2: whatever the sequence number */
    /* RFC 793 behaviour: a SYN in the window is an error: reset. */
    tcp_send_rst(st, t);
    tcp_drop(st, t, ECONNRESET, cause_seg(seg->flags));
    return V_GONE;
}

static bool fin_acked(const tcb *t)
{
    return t->fin_queued && seq_gt(t->snd_una, t->snd_buf_seq + t->sndbuf.len);
}

/* New data acknowledged: free the send buffer, time the RTT, restart or stop the timer. */
static void ack_advance(synack_stack *st, tcb *t, uint32_t ack)
{
    synack_time_us rtt = 0;
    if (t->rtt_timing && seq_gt(ack, t->rtt_seq)) {
        rtt = st->now - t->rtt_start;
        tcp_rtt_sample(st, t, rtt);
        t->rtt_timing = false;
    }
    uint32_t acked = ack - t->snd_una, prior_flight = tcp_flight(t);
    if (t->snd_una == t->iss) { /* our SYN is acknowledged: the handshake is over */
        acked--;
        tcp_timer_cancel(st, t, SYNACK_TIMER_CONN_EST);
    }
    uint32_t data = seq_gt(ack, t->snd_buf_seq) ? ack - t->snd_buf_seq : 0;
    if (data > t->sndbuf.len) data = t->sndbuf.len; /* the rest is our FIN */
    bool was_full = t->bufs_on && ring_space(&t->sndbuf) == 0;
    if (data) {
        ring_consume(&t->sndbuf, data);
        t->snd_buf_seq += data;
        tcp_ring_release_if_empty(st, &t->sndbuf, &t->snd_hint);
    }
    uint32_t old_una = t->snd_una, sacked_before = t->bufs_on ? tcp_sacked_bytes(t) : 0;
    tcp_snd_una_set(t, ack);
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    if (t->bufs_on) tcp_sack_trim(st, t);
    if (t->bufs_on && t->cc_ready) tcp_txlog_acked(st, t, ack);
    /* RFC 6937 DeliveredData: the octets acknowledged that were not SACKed before. */
    uint32_t sacked_below = sacked_before - (t->bufs_on ? tcp_sacked_bytes(t) : 0);
    t->ack_delivered += (ack - old_una) - sacked_below;
    t->rexmt_shift = 0;
    t->persist_shift = 0;
    if (t->snd_una == t->snd_max) { /* everything acknowledged: RFC 6298 5.2 */
        tcp_timer_cancel(st, t, SYNACK_TIMER_REXMT);
        tcp_timer_cancel(st, t, SYNACK_TIMER_USER_TIMEOUT);
    } else { /* RFC 6298 5.3 */
        tcp_rexmt_arm(st, t);
        if (t->user_timeout_ms)
            tcp_timer_arm(st, t, SYNACK_TIMER_USER_TIMEOUT, st->now + tcp_us_of_ms(t->user_timeout_ms));
    }
    if (TCPS_HAVE_ESTABLISHED(t->state)) tcp_recovery_on_ack(st, t, acked, prior_flight, rtt);
    if (was_full && data && t->sd >= 0) stack_event_simple(st, t, SYNACK_EV_WRITABLE, 0);
}

static void window_update(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    /* RFC 9293 3.10.7.4: update only from a newer segment (SND.WL1/SND.WL2 rule). */
    if (seq_lt(t->snd_wl1, seg->seq) || (t->snd_wl1 == seg->seq && seq_leq(t->snd_wl2, seg->ack))) {
        uint32_t wnd = (uint32_t)seg->wnd << t->snd_wscale;
        t->snd_wnd = wnd;
        t->snd_wl1 = seg->seq;
        t->snd_wl2 = seg->ack;
        if (wnd > t->max_snd_wnd) t->max_snd_wnd = wnd;
        if (wnd > 0) {
            tcp_timer_cancel(st, t, SYNACK_TIMER_PERSIST);
            /* RFC 6298 5.1: data outstanding keeps the retransmission timer running. A timeout
             * under a zero window handed over to the persist timer (on_rexmt); if everything in
             * flight is SACKed, tcp_output sends nothing that would restart it, and the
             * connection would wait forever (found by the stack fuzzer). */
            if (t->snd_una != t->snd_max && !tcp_timer_armed(t, SYNACK_TIMER_REXMT))
                tcp_rexmt_arm(st, t);
        }
    }
}

static void establish_passive(synack_stack *st, tcb *t)
{
    tcb *lst = t->parent;
    if (!lst) return;
    lst->syn_rcvd_len--;
    t->in_aq = true;
    t->aq_next = NULL;
    if (lst->aq_tail) lst->aq_tail->aq_next = t;
    else lst->aq_head = t;
    lst->aq_tail = t;
    lst->aq_len++;
    stack_event_simple(st, lst, SYNACK_EV_ACCEPTABLE, 0);
}

/* fifth: ACK */
static enum verdict check_ack(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    if (!(seg->flags & SYNACK_ACK)) return V_DROP; /* "if the ACK bit is off, drop" */
    uint32_t ack = seg->ack;
    if (t->state == SYNACK_SYN_RECEIVED) {
        if (!(seq_lt(t->snd_una, ack) && seq_leq(ack, t->snd_max))) {
            tcp_send_rst_reply(st, &t->local, &t->remote, seg); /* <SEQ=SEG.ACK><CTL=RST> */
            return V_DROP;
        }
        /* The handshake is complete but the listener's accept queue is full. As Linux
         * (tcp_check_req() with tcp_abort_on_overflow = 0): drop the ACK and stay in
         * SYN-RECEIVED; the peer's next segment, or its answer to our retransmitted SYN-ACK,
         * completes it once accept() made room. */
        if (t->passive && t->parent && t->parent->aq_len >= t->parent->backlog) {
            DROP_T(st, tcp_listen_overflow, t, seg);
            return V_DROP;
        }
        if (!t->bufs_on && !tcp_buffers_alloc(st, t)) {
            tcp_send_rst(st, t);
            tcp_drop(st, t, ENOBUFS, cause_seg(seg->flags));
            return V_GONE;
        }
        tcp_cc_init(st, t);
        syn_timed_out_rto(t);
        tcp_set_state(st, t, SYNACK_ESTABLISHED, cause_seg(seg->flags));
        t->snd_wnd = (uint32_t)seg->wnd << t->snd_wscale;
        t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = seg->seq;
        t->snd_wl2 = ack;
        if (t->passive) establish_passive(st, t);
        else stack_event_simple(st, t, SYNACK_EV_CONNECTED, 0);
        deliver_held(st, t); /* text that came on a simultaneous open's SYN */
    }
    if (seq_gt(ack, t->snd_max)) { /* acks something not yet sent: ACK and drop */
        DROP_T(st, tcp_ack_unsent, t, seg);
        t->ack_now = true;
        return V_DROP;
    }
    /* RFC 5961 5.2: ACKs too far behind are blind injection attempts. */
    if (st->cfg.rfc5961 && seq_lt(ack, t->snd_una - t->max_snd_wnd) && t->max_snd_wnd) {
        CNT(st, tcp_old_ack);
        return challenge_ack(st, t); /* "discarded and an ACK sent back" */
    }
    uint32_t sacked_before = t->bufs_on ? tcp_sacked_bytes(t) : 0;
    t->ack_lost = 0;
    t->ack_ece = t->ecn_ok && (seg->flags & SYNACK_ECE);
    tcp_rate_begin(st);
    tcp_sack_update(st, t, seg);
    t->ack_delivered = (t->bufs_on ? tcp_sacked_bytes(t) : 0) - sacked_before;
    if (seq_gt(ack, t->snd_una)) {
        ack_advance(st, t, ack);
    } else if (ack == t->snd_una && seg->len == 0 && !(seg->flags & SYNACK_FIN) &&
               ((uint32_t)seg->wnd << t->snd_wscale) == t->snd_wnd && t->snd_wnd != 0 &&
               t->snd_max != t->snd_una && tcp_timer_armed(t, SYNACK_TIMER_REXMT)) {
        /* RFC 5681 2 (a): data outstanding under the retransmission timer; answers to
         * zero-window probes are not duplicate ACKs. */
        CNT(st, tcp_old_ack); /* a duplicate ACK in RFC 5681's sense */
        tcp_recovery_on_dupack(st, t);
    } else if (t->cc_ready && TCPS_HAVE_ESTABLISHED(t->state) && t->snd_una != t->snd_max) {
        tcp_recovery_on_other_ack(st, t); /* SACK news on data or a window update */
    }
    window_update(st, t, seg);
    /* RFC 3168 6.1.2: the peer echoes congestion. */
    if (t->ecn_ok && t->cc_ready && (seg->flags & SYNACK_ECE) && !(seg->flags & SYNACK_SYN))
        tcp_recovery_on_ece(st, t);

    switch (t->state) {
    case SYNACK_FIN_WAIT_1:
        if (fin_acked(t)) tcp_set_state(st, t, SYNACK_FIN_WAIT_2, cause_seg(seg->flags));
        break;
    case SYNACK_CLOSING:
        if (fin_acked(t)) tcp_set_state(st, t, SYNACK_TIME_WAIT, cause_seg(seg->flags));
        return V_DROP; /* "otherwise ignore the segment" */
    case SYNACK_LAST_ACK:
        if (fin_acked(t)) {
            tcp_set_state(st, t, SYNACK_CLOSED, cause_seg(seg->flags));
            tcp_closed(st, t);
            return V_GONE;
        }
        break;
    default:
        break;
    }
    return V_CONTINUE;
}

/* Writes into the receive ring the octets of the view that are not held yet. RFC 9293 3.10
 * (3.10.7.4 first) keeps "just the new data": octets already queued out of order stay as they
 * first came (as Linux and the BSDs keep them), never overwritten by a later, maybe different,
 * copy that could splice into data the peer was told (SACK) we hold. */
static void write_new_octets(tcb *t, const seg_view *v)
{
    uint32_t at = v->seq, end = v->seq + v->len, n;
    while ((n = rangeset_next_gap(&t->ooo, &at, end)) > 0) {
        ring_write_at(&t->rcvbuf, t->rcvbuf.len + (at - t->rcv_nxt), v->data + (at - v->seq), n);
        at += n;
    }
}

/* seventh: segment text. Out-of-order data goes straight into the receive ring at its offset;
 * the range set remembers what is there. */
static enum verdict process_text(synack_stack *st, tcb *t, const seg_view *v)
{
    if (v->len == 0) return V_CONTINUE;
    if (t->state != SYNACK_ESTABLISHED && t->state != SYNACK_FIN_WAIT_1 &&
        t->state != SYNACK_FIN_WAIT_2)
        return V_CONTINUE; /* the peer's FIN came already: ignore the text */
    if (t->user_closed) {
        /* Data after the application closed: nobody will read it. Reset, as Linux does and
         * RFC 2525 2.17 suggests, so the peer learns its data is lost. */
        tcp_send_rst(st, t);
        tcp_drop(st, t, ECONNRESET, cause_seg(SYNACK_ACK));
        return V_GONE;
    }
    if (!t->bufs_on) return V_DROP;
    if (t->rd_shut) { /* shutdown(SHUT_RD): acknowledge and discard what arrives in order */
        if (v->seq == t->rcv_nxt) tcp_rcv_nxt_set(t, t->rcv_nxt + v->len);
        t->ack_now = true;
        return V_CONTINUE;
    }
    uint32_t off = v->seq - t->rcv_nxt;
    /* Memory for the data comes now (trim_to_window kept it under the buffer's limit). */
    if (!tcp_ring_reserve(st, &t->rcvbuf, t->rcvbuf.len + off + v->len, &t->rcv_hint)) {
        CNT(st, tcp_no_buffer); /* dropped unacknowledged: the peer sends it again */
        return V_DROP;
    }
    if (off == 0) {
        write_new_octets(t, v);
        ring_commit(&t->rcvbuf, v->len);
        tcp_rcv_nxt_set(t, t->rcv_nxt + v->len);
        if (t->ooo.n) {
            uint32_t upto = rangeset_advance(&t->ooo, t->rcv_nxt);
            ring_commit(&t->rcvbuf, upto - t->rcv_nxt);
            tcp_rcv_nxt_set(t, upto);
            tcp_ranges_release_if_empty(st, &t->ooo);
            t->ack_now = true; /* a hole filled: ACK at once (RFC 5681 4.2) */
        }
        /* Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2): at least every second full segment. */
        uint32_t full = t->rcv_mss - (t->ts_ok ? 12u : 0u);
        if (v->len >= full || v->len >= tcp_data_mss(t)) t->delack_segs++;
        /* A GSO super-segment from the link (several segments the kernel did not cut) counts
         * as the segments it holds, so it is ACKed at once as they would have been. */
        if (v->len > full) {
            t->delack_segs += v->len / full;
            CNT(st, tcp_gso_in);
        }
        if (t->delack_segs >= 2) t->ack_now = true;
        else if (!tcp_timer_armed(t, SYNACK_TIMER_DELACK))
            tcp_timer_arm(st, t, SYNACK_TIMER_DELACK, st->now + st->cfg.delack_us);
        if (t->sd >= 0) stack_event_simple(st, t, SYNACK_EV_READABLE, 0);
    } else {
        /* Held already, every octet: a duplicate beyond a hole (RFC 2883 4.1.2). */
        uint32_t gap = v->seq;
        if (t->ooo.n && rangeset_next_gap(&t->ooo, &gap, v->seq + v->len) == 0)
            dsack_note(st, t, v->seq, v->seq + v->len);
        /* Written before the set learns of the range (it tells what is new). If the set has no
         * room the octets sit in ring space nobody counts as held: harmless, overwritten later. */
        write_new_octets(t, v);
        if (!tcp_ranges_reserve(st, &t->ooo) || !rangeset_add(&t->ooo, v->seq, v->seq + v->len))
            DROP_T(st, tcp_reass_drop, t, NULL);
        else
            CNT(st, tcp_ooo);
        t->ack_now = true; /* out of order: duplicate ACK at once (RFC 5681 4.2) */
    }
    return V_CONTINUE;
}

/* eighth: FIN */
static enum verdict process_fin(synack_stack *st, tcb *t, const tcp_seg *seg, const seg_view *v)
{
    uint32_t fin_seq;
    if (v->fin) {
        fin_seq = v->seq + v->len;
        if (seq_gt(fin_seq, t->rcv_nxt)) { /* beyond a hole: remember it */
            t->ooo_fin = true;
            t->ooo_fin_seq = fin_seq;
            return V_CONTINUE;
        }
    } else if (t->ooo_fin && t->ooo_fin_seq == t->rcv_nxt) {
        fin_seq = t->rcv_nxt; /* the hole before a held FIN just filled */
    } else {
        return V_CONTINUE;
    }
    if (fin_seq != t->rcv_nxt) return V_CONTINUE;
    t->ooo_fin = false;
    if (!t->fin_rcvd) {
        t->fin_rcvd = true;
        tcp_rcv_nxt_set(t, t->rcv_nxt + 1);
        if (t->sd >= 0) stack_event_simple(st, t, SYNACK_EV_READABLE, 0);
    }
    t->ack_now = true;
    synack_cause c = cause_seg(seg->flags | SYNACK_FIN);
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
        tcp_set_state(st, t, SYNACK_CLOSE_WAIT, c);
        break;
    case SYNACK_FIN_WAIT_1: /* note 2: our FIN acknowledged too -> TIME-WAIT; else CLOSING */
        tcp_set_state(st, t, fin_acked(t) ? SYNACK_TIME_WAIT : SYNACK_CLOSING, c);
        break;
    case SYNACK_FIN_WAIT_2:
        tcp_set_state(st, t, SYNACK_TIME_WAIT, c);
        break;
    case SYNACK_TIME_WAIT: /* restart the 2 MSL time-wait timeout */
        tcp_timer_arm(st, t, SYNACK_TIMER_TIME_WAIT, st->now + 2 * st->cfg.msl_us);
        break;
    default: /* CLOSE-WAIT, CLOSING, LAST-ACK: remain */
        break;
    }
    return V_CONTINUE;
}

/* RFC 3168 6.1.3: CE on a segment makes us echo ECE on every ACK until the peer's CWR says
 * it reduced its window (a CWR segment that is itself CE-marked keeps the echo on). */
static void ecn_input(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    if (seg->flags & SYNACK_CWR) t->ecn_ece_pending = false;
    if (seg->ip_ecn == 3) {
        CNT(st, tcp_ecn_ce_rcvd);
        if (t->ce_rcvd < UINT32_MAX) t->ce_rcvd++;
        t->ecn_ece_pending = true;
        t->ack_now = true;
    }
}

static enum verdict sync_input(synack_stack *st, tcb *t, const tcp_seg *in)
{
    seg_view v;
    enum verdict r;
    tcp_seg trimmed;
    const tcp_seg *seg = in;
    /* Simultaneous open: the peer's SYN,ACK repeats the SYN we already hold (at IRS). Trim that
     * octet off, as RFC 9293 3.10.7.4 allows ("trimming off any portions that lie outside the
     * window (including SYN and FIN)"), so its ACK completes the handshake (Figure 8). */
    if (t->state == SYNACK_SYN_RECEIVED && !t->passive && (in->flags & SYNACK_SYN) &&
        (in->flags & SYNACK_ACK) && in->seq == t->irs) {
        trimmed = *in;
        trimmed.flags &= (uint8_t)~SYNACK_SYN;
        trimmed.seq++;
        seg = &trimmed;
    }
    if ((r = check_seq(st, t, seg, &v)) != V_CONTINUE) return r;
    if ((r = check_rst(st, t, seg)) != V_CONTINUE) return r;
    /* third: security and compartment are not used (RFC 9293 3.10.7.4 allows ignoring them). */
    if ((r = check_syn(st, t, seg)) != V_CONTINUE) return r;
    /* RFC 7323 4.3: TS.Recent is updated from a segment covering Last.ACK.sent. */
    if (t->ts_ok && seg->opts.has_ts && seq_leq(seg->seq, t->last_ack_sent))
        t->ts_recent = seg->opts.ts_val;
    if (t->ecn_ok) ecn_input(st, t, seg);
    if ((r = check_ack(st, t, seg)) != V_CONTINUE) return r;
    /* sixth: URG. synack leaves the urgent mechanism out (RFC 6093 discourages its use); the
     * pointer is ignored and the data delivered in line. */
    trim_to_window(st, t, seg, &v);
    if ((r = process_text(st, t, &v)) != V_CONTINUE) return r;
    return process_fin(st, t, seg, &v);
}

void tcp_input(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
               const tcp_seg *seg)
{
    /* The flow of the last segment first: no keyed hash for a bulk transfer's segments. */
    tcb *t = stack_lookup_recent(st, local, remote);
    uint32_t h = 0;
    if (!t) {
        h = stack_tuple_hash(st, local, remote);
        t = stack_lookup_hashed(st, local, remote, h);
    }
    if (!t) {
        uint32_t iss_floor = 0;
        tw_rec *w = tcp_tw_lookup_hashed(st, local, remote, h);
        /* A compact TIME-WAIT answers for itself, unless it let a new SYN through. */
        if (w && !tcp_tw_input(st, w, seg, &iss_floor)) return;
        tcb *lst = stack_lookup_listener(st, local);
        if (lst) {
            listen_input(st, lst, seg, local, remote, iss_floor);
            return;
        }
        DROP(st, tcp_no_conn, 0, SYNACK_CLOSED, local, remote, seg); /* CLOSED: "<SEQ=...><CTL=RST>" per 3.10.7.1 */
        tcp_send_rst_reply(st, local, remote, seg);
        return;
    }
    t->last_rcv_time = st->now;
    t->keep_probes = 0;
    t->persist_probes = 0; /* the peer answers: keep probing as long as it does (MUST-37) */
    enum verdict r = t->state == SYNACK_SYN_SENT ? syn_sent_input(st, t, seg) : sync_input(st, t, seg);
    /* MUST-59: process every queued segment before sending any ACK: output (ACKs and what the
     * ACKs allow to send) is built when the driver takes packets after its batch of input. */
    if (r != V_GONE) {
        stack_output_later(st, t);
        TCB_CHECK(st, t);
    }
}

void tcp_icmp_error(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                    uint32_t seq, int err, bool hard, uint32_t mtu)
{
    tcb *t = stack_lookup(st, local, remote);
    /* RFC 5927 4.1: believe only errors about data in flight (SND.UNA =< SEQ < SND.MAX). */
    if (!t || t->state == SYNACK_LISTEN || !seq_in(seq, t->snd_una, t->snd_max)) {
        CNT(st, icmp_error_ignored);
        return;
    }
    if (mtu) { /* path MTU (RFC 1191, RFC 8201): smaller segments, resent at once */
        uint32_t floor = local->addr.family == SYNACK_AF_INET6 ? 1280u : 552u;
        if (mtu < floor) mtu = floor;
        uint32_t mss = mtu - (uint32_t)(local->addr.family == SYNACK_AF_INET6 ? 40 : 20) - 20;
        if (mss >= t->snd_mss) return;
        CNT(st, icmp_pmtu);
        t->snd_mss = (uint16_t)mss;
        t->cc.mss = tcp_data_mss(t);
        if (t->cc.cwnd > t->cc.mss * st->cfg.initial_cwnd_segments)
            t->cc.cwnd = t->cc.mss * st->cfg.initial_cwnd_segments;
        t->snd_nxt = t->snd_una;
        t->rtt_timing = false;
        tcp_output(st, t);
        return;
    }
    /* RFC 1122 4.2.3.9: hard errors abort a connection being opened; once synchronized they
     * are treated as soft (RFC 5927 4.2), as Linux does. */
    if (hard && (t->state == SYNACK_SYN_SENT || (t->state == SYNACK_SYN_RECEIVED && !t->passive))) {
        CNT(st, icmp_hard_error);
        synack_cause c = {SYNACK_CAUSE_ICMP, (uint8_t)err};
        tcp_drop(st, t, err, c);
        return;
    }
    CNT(st, icmp_soft_error);
    t->soft_error = err;
}
