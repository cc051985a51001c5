/* timewait.c: the compact TIME-WAIT record: creation from a TCB, SEGMENT ARRIVES for it
 * (RFC 9293 3.10.7.4 as it applies to TIME-WAIT, RFC 5961, RFC 7323 PAWS, RFC 6191), 2*MSL
 * expiry from a FIFO, and reuse of its 4-tuple by a new SYN or by connect(). */
#include <string.h>

#include "stack_impl.h"

bool tcp_tw_init(synack_stack *st)
{
    tw_table *tw = &st->tw;
    memset(tw, 0, sizeof *tw);
    slab_init_chunk(&tw->recs, sizeof(tw_rec), 256u << 10, st->cfg.max_time_wait, &st->cfg.allocator); /* as the TCBs' */
    return htable_init(&tw->hash, 256, &st->cfg.allocator);
}

static void list_remove(tw_table *tw, tw_rec *w)
{
    if (w->prev) w->prev->next = w->next;
    else tw->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else tw->tail = w->prev;
    w->prev = w->next = NULL;
}

/* Deadlines are equal in length, so a new one goes at the tail; a socket that kept its TCB in
 * TIME-WAIT and was closed later carries an older deadline and walks back a little. */
static void list_insert(tw_table *tw, tw_rec *w)
{
    tw_rec *after = tw->tail;
    while (after && after->deadline > w->deadline) after = after->prev;
    w->prev = after;
    w->next = after ? after->next : tw->head;
    if (w->next) w->next->prev = w;
    else tw->tail = w;
    if (after) after->next = w;
    else tw->head = w;
}

static void rec_free(synack_stack *st, tw_rec *w)
{
    tw_table *tw = &st->tw;
    htable_remove(&tw->hash, &w->hn);
    list_remove(tw, w);
    slab_free(&tw->recs, w);
    tw->count--;
    st->conns_in_use--;
}

void tcp_tw_destroy(synack_stack *st)
{
    while (st->tw.head) rec_free(st, st->tw.head);
    htable_destroy(&st->tw.hash);
    slab_destroy(&st->tw.recs);
}

/* TIME-WAIT -> CLOSED for a record: the same trace and counters as a TCB's transition. */
static void rec_close(synack_stack *st, tw_rec *w, synack_cause cause)
{
    /* Every 2*MSL is equally long, so the record's deadline tells when TIME-WAIT (last) began. */
    synack_time_us twice_msl = 2 * st->cfg.msl_us;
    synack_time_us since = w->deadline >= twice_msl ? w->deadline - twice_msl : 0;
    stack_note_transition(st, w->id, -1, &w->local, &w->remote, SYNACK_TIME_WAIT, SYNACK_CLOSED, cause, since);
    rec_free(st, w);
}

void tcp_tw_replace(synack_stack *st, tcb *t)
{
    tw_table *tw = &st->tw;
    tw_rec *w = slab_alloc(&tw->recs);
    if (!w) { /* Linux: "time wait bucket table overflow": the connection just ends */
        CNT(st, tcp_tw_overflow);
        tcp_set_state(st, t, SYNACK_CLOSED, cause_timer(SYNACK_TIMER_TIME_WAIT));
        tcp_closed(st, t);
        return;
    }
    memset(w, 0, sizeof *w);
    w->deadline = t->deadline[SYNACK_TIMER_TIME_WAIT];
    w->local = t->local;
    w->remote = t->remote;
    w->id = t->id;
    w->snd_nxt = t->snd_max; /* our FIN is acknowledged: SND.NXT = SND.MAX */
    w->rcv_nxt = t->rcv_nxt;
    w->rcv_wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    w->rcv_wscale = t->rcv_wscale;
    w->ts_ok = t->ts_ok;
    w->ts_recent = t->ts_recent;
    w->ts_offset = t->ts_offset;
    w->ts_recent_sec = (uint32_t)(st->now / 1000000u);
    htable_insert(&tw->hash, &w->hn, stack_tuple_hash(st, &w->local, &w->remote));
    list_insert(tw, w);
    tw->count++;
    CNT(st, tcp_tw_compact);
    /* The TCB goes without a state change: the connection lives on in the record. */
    tcp_tcb_free(st, t);
    st->conns_in_use++;
}

tw_rec *tcp_tw_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    if (!st->tw.count) return NULL;
    return tcp_tw_lookup_hashed(st, local, remote, stack_tuple_hash(st, local, remote));
}

tw_rec *tcp_tw_lookup_hashed(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                             uint32_t h)
{
    if (!st->tw.count) return NULL;
    for (int pass = 0; pass < 2; pass++)
        for (hnode *n = htable_chain(&st->tw.hash, h, pass); n; n = n->next) {
            tw_rec *w = (tw_rec *)(void *)n;
            if (n->hash == h && w->local.port == local->port && w->remote.port == remote->port &&
                synack_addr_eq(&w->local.addr, &local->addr) && synack_addr_eq(&w->remote.addr, &remote->addr))
                return w;
        }
    return NULL;
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with our timestamp if the connection had them. */
static void rec_ack(synack_stack *st, const tw_rec *w)
{
    tcp_opts o;
    memset(&o, 0, sizeof o);
    if (w->ts_ok) {
        o.has_ts = true;
        o.ts_val = (uint32_t)(st->now / 1000u) + w->ts_offset;
        o.ts_ecr = w->ts_recent;
    }
    uint32_t field = w->rcv_wnd >> w->rcv_wscale;
    tcp_send_bare(st, &w->local, &w->remote, w->snd_nxt, w->rcv_nxt, SYNACK_ACK,
                  (uint16_t)(field > 0xffff ? 0xffff : field), &o);
}

static void restart_2msl(synack_stack *st, tw_rec *w)
{
    w->deadline = st->now + 2 * st->cfg.msl_us;
    list_remove(&st->tw, w);
    list_insert(&st->tw, w);
}

/* RFC 6191 2 (timestamps) and RFC 9293 3.6.1 / RFC 1122 4.2.2.13 (sequence numbers): may this
 * SYN open a new incarnation of the 4-tuple? */
static bool syn_may_reuse(const synack_stack *st, const tw_rec *w, const tcp_seg *seg)
{
    bool new_ts = st->cfg.timestamps && seg->opts.has_ts;
    if (w->ts_ok && new_ts) {
        int32_t d = (int32_t)(seg->opts.ts_val - w->ts_recent);
        return d > 0 || (d == 0 && seq_gt(seg->seq, w->rcv_nxt));
    }
    if (!w->ts_ok && new_ts) return true;
    return seq_gt(seg->seq, w->rcv_nxt);
}

static bool acceptable(const tw_rec *w, uint32_t seq, uint32_t seg_len)
{
    if (seg_len == 0) return w->rcv_wnd == 0 ? seq == w->rcv_nxt : seq_in(seq, w->rcv_nxt, w->rcv_nxt + w->rcv_wnd);
    if (w->rcv_wnd == 0) return false;
    return seq_in(seq, w->rcv_nxt, w->rcv_nxt + w->rcv_wnd) ||
           seq_in(seq + seg_len - 1, w->rcv_nxt, w->rcv_nxt + w->rcv_wnd);
}

bool tcp_tw_input(synack_stack *st, tw_rec *w, const tcp_seg *seg, uint32_t *iss_floor)
{
    uint8_t f = seg->flags;
    /* A new connection request on this 4-tuple, with a listener to take it (RFC 6191). */
    if ((f & (SYNACK_SYN | SYNACK_ACK | SYNACK_RST | SYNACK_FIN)) == SYNACK_SYN && stack_lookup_listener(st, &w->local)) {
        if (!syn_may_reuse(st, w, seg)) { /* RFC 6191: "silently drop the incoming SYN" */
            DROP(st, tcp_tw_syn_refused, w->id, SYNACK_TIME_WAIT, &w->local, &w->remote, seg);
            return false;
        }
        CNT(st, tcp_tw_syn_reused);
        /* RFC 9293 3.4.1: the new ISN lies beyond every sequence number the old one used. */
        *iss_floor = w->snd_nxt + 65535u + 2u;
        rec_close(st, w, cause_seg(f));
        return true;
    }
    uint32_t seg_len = seg->len + !!(f & SYNACK_SYN) + !!(f & SYNACK_FIN);
    /* first: PAWS (RFC 7323 5.3), then the acceptability test. */
    if (w->ts_ok && seg->opts.has_ts && !(f & SYNACK_RST) && (int32_t)(seg->opts.ts_val - w->ts_recent) < 0) {
        DROP(st, tcp_unacceptable, w->id, SYNACK_TIME_WAIT, &w->local, &w->remote, seg);
        rec_ack(st, w);
        return false;
    }
    if (!acceptable(w, seg->seq, seg_len)) {
        DROP(st, tcp_unacceptable, w->id, SYNACK_TIME_WAIT, &w->local, &w->remote, seg);
        if (f & SYNACK_RST) return false;
        /* "The only thing that can arrive in this state is a retransmission of the remote FIN.
         * Acknowledge it, and restart the 2 MSL timeout." */
        if ((f & SYNACK_FIN) && seg->seq + seg->len + 1 == w->rcv_nxt) restart_2msl(st, w);
        rec_ack(st, w);
        return false;
    }
    /* second: RST. RFC 5961 3.2: only an exact match; else a challenge ACK. */
    if (f & SYNACK_RST) {
        if (st->cfg.rfc5961 && seg->seq != w->rcv_nxt) {
            CNT(st, tcp_challenge_ack);
            rec_ack(st, w);
            return false;
        }
        CNT(st, tcp_conn_reset);
        rec_close(st, w, cause_seg(f)); /* "enter the CLOSED state, delete the TCB" */
        return false;
    }
    /* fourth: SYN. RFC 5961 4.2: challenge ACK; RFC 793: reset. */
    if (f & SYNACK_SYN) {
        if (st->cfg.rfc5961) {
            CNT(st, tcp_challenge_ack);
            rec_ack(st, w);
            return false;
        }
        tcp_send_bare(st, &w->local, &w->remote, w->snd_nxt, w->rcv_nxt, SYNACK_RST | SYNACK_ACK, 0, NULL);
        CNT(st, tcp_rst_out);
        CNT(st, tcp_conn_reset);
        rec_close(st, w, cause_seg(f));
        return false;
    }
    /* fifth: ACK. "If the ACK bit is off drop the segment." */
    if (!(f & SYNACK_ACK)) return false;
    if (w->ts_ok && seg->opts.has_ts && seq_leq(seg->seq, w->rcv_nxt)) { /* RFC 7323 4.3 */
        w->ts_recent = seg->opts.ts_val;
        w->ts_recent_sec = (uint32_t)(st->now / 1000000u);
    }
    if (seq_gt(seg->ack, w->snd_nxt)) { /* acknowledges something never sent */
        DROP(st, tcp_ack_unsent, w->id, SYNACK_TIME_WAIT, &w->local, &w->remote, seg);
        rec_ack(st, w);
        return false;
    }
    /* seventh: text is ignored. eighth: a FIN at RCV.NXT (the peer's FIN again, in the window):
     * acknowledge it and restart the 2 MSL timeout. */
    uint32_t seq = seg->seq, len = seg->len;
    if (seq_lt(seq, w->rcv_nxt)) {
        uint32_t d = w->rcv_nxt - seq;
        len = d >= len ? 0 : len - d;
        seq = w->rcv_nxt;
    }
    if ((f & SYNACK_FIN) && seq + len == w->rcv_nxt) {
        restart_2msl(st, w);
        rec_ack(st, w);
    }
    return false;
}

static bool may_reuse(const synack_stack *st, const tw_rec *w)
{
    return st->cfg.tw_reuse && w->ts_ok && (uint32_t)(st->now / 1000000u) - w->ts_recent_sec >= 1;
}

bool tcp_tw_reusable(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote, uint32_t h)
{
    tw_rec *w = tcp_tw_lookup_hashed(st, local, remote, h);
    return !w || may_reuse(st, w);
}

bool tcp_tw_reuse(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                  uint32_t *iss_floor)
{
    tw_rec *w = tcp_tw_lookup(st, local, remote);
    if (!w) return true;
    if (!may_reuse(st, w)) return false;
    CNT(st, tcp_tw_connect_reused);
    *iss_floor = w->snd_nxt + 65535u + 2u;
    rec_close(st, w, cause_user(SYNACK_CALL_OPEN_ACTIVE));
    return true;
}

void tcp_tw_expire(synack_stack *st)
{
    tw_rec *w;
    while ((w = st->tw.head) && w->deadline <= st->now) {
        /* RFC 9293 3.10.8: "If the time-wait timeout expires on a connection delete the TCB,
         * enter the CLOSED state and return." */
        stack_timer_event(st, w->id, -1, SYNACK_TIME_WAIT, &w->local, &w->remote, SYNACK_TIMER_TIME_WAIT);
        rec_close(st, w, cause_timer(SYNACK_TIMER_TIME_WAIT));
    }
}

synack_time_us tcp_tw_next_deadline(const synack_stack *st)
{
    return st->tw.head ? st->tw.head->deadline : SYNACK_TIME_NEVER;
}
