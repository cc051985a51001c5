/* txlog.c: the transmit log, one entry per segment (or TSO super-segment) sent and not yet
 * acknowledged: its sequence range, when it was last sent, whether it was sent again, and the
 * delivery-rate snapshot taken then. RACK (tcp/rack.c) reads the send times; the
 * delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation) comes from the snapshots.
 *
 * The entries live in a ring in slab memory (tcp/buffers.h size classes), held only while data
 * is outstanding or waiting in the send buffer: it doubles when full (a copy, amortised O(1)
 * per segment) up to TXLOG_MAX_ENTRIES, after which the newest entry absorbs further segments
 * (coarser, still correct). Entries are in sequence order and contiguous, so an entry is found by binary search.
 * This file owns no policy: it records and reports deliveries. */
#include "stack_impl.h"

enum { TXLOG_MAX_ENTRIES = 1u << 16 };

static bool grow(synack_stack *st, txlog *l)
{
    if (l->n >= TXLOG_MAX_ENTRIES) return false;
    /* Most connections have a few segments out: a small block first, then the classes. */
    uint32_t want = l->cap ? tcp_block_bytes(l->cls) * 2 : BUF_SMALL_BYTES;
    uint8_t cls;
    txent *mem = tcp_block_alloc(st, want, &cls);
    if (!mem) return false;
    for (uint32_t i = 0; i < l->n; i++) mem[i] = *txlog_at(l, i);
    if (l->e) tcp_block_free(st, l->e, l->cls);
    l->e = mem;
    l->cap = tcp_block_bytes(cls) / (uint32_t)sizeof(txent);
    l->head = 0;
    l->cls = cls;
    return true;
}

void tcp_txlog_clear(synack_stack *st, tcb *t)
{
    txlog *l = &t->txlog;
    if (l->e) tcp_block_free(st, l->e, l->cls);
    l->e = NULL;
    l->cap = l->head = l->n = 0;
    t->rack.relost_bytes = 0;
}

/* The entry is no longer a lost retransmission waiting to be resent. */
static void relost_clear(tcb *t, txent *e)
{
    if (!(e->flags & TXE_RELOST)) return;
    e->flags &= ~(uint32_t)TXE_RELOST;
    uint32_t n = e->end - e->start;
    t->rack.relost_bytes = t->rack.relost_bytes > n ? t->rack.relost_bytes - n : 0;
}

/* The index of the first entry ending after seq (n when none). */
static uint32_t find(const txlog *l, uint32_t seq)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seq_gt(txlog_at(l, mid)->end, seq)) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* draft-cheng 3.2 "Upon transmitting or retransmitting a data packet". */
static void snapshot(const synack_stack *st, const tcb *t, txent *e)
{
    e->xmit_us = st->now;
    e->first_tx_us = t->rate.first_tx_us;
    e->delivered_us = t->rate.delivered_us;
    e->delivered = t->rate.delivered;
    if (t->rate.app_limited) e->flags |= TXE_APP_LIMITED;
    else e->flags &= ~(uint32_t)TXE_APP_LIMITED;
}

void tcp_txlog_sent(synack_stack *st, tcb *t, uint32_t seq, uint32_t seqlen)
{
    txlog *l = &t->txlog;
    uint32_t end = seq + seqlen;
    /* "If there are no packets in flight yet, then the interval starts now." */
    if (l->n == 0) t->rate.first_tx_us = t->rate.delivered_us = st->now;
    uint32_t tail = l->n ? txlog_at(l, l->n - 1)->end : seq;
    if (seq_lt(seq, tail)) { /* sent before: mark the entries it covers */
        uint32_t stop = seq_lt(end, tail) ? end : tail;
        for (uint32_t i = find(l, seq); i < l->n && seq_lt(txlog_at(l, i)->start, stop); i++) {
            txent *e = txlog_at(l, i);
            if (e->flags & TXE_SACKED) continue;
            relost_clear(t, e);
            e->flags |= TXE_RETRANS | TXE_EVER_RETRANS;
            snapshot(st, t, e);
        }
    }
    if (!seq_gt(end, tail)) return;
    uint32_t from = seq_gt(seq, tail) ? seq : tail;
    if (l->n == l->cap && !grow(st, l)) {
        if (l->n == 0) return; /* no memory at all: RACK and the rate sample go without it */
        txent *last = txlog_at(l, l->n - 1);
        relost_clear(t, last);
        last->end = end; /* the newest entry absorbs the segment */
        snapshot(st, t, last);
        return;
    }
    txent *e = txlog_at(l, l->n++);
    e->start = from;
    e->end = end;
    e->flags = 0;
    snapshot(st, t, e);
}

/* draft-cheng 3.3 UpdateRateSample(), and RACK's view of the delivery (RFC 8985 6.2). */
static void delivered(synack_stack *st, tcb *t, txent *e, uint32_t bytes)
{
    rate_state *r = &t->rate;
    rate_sample *rs = &st->rs;
    relost_clear(t, e);
    r->delivered += bytes;
    r->delivered_us = st->now;
    if (!rs->valid || e->delivered > rs->prior_delivered) {
        rs->valid = true;
        rs->prior_delivered = e->delivered;
        rs->prior_us = e->delivered_us;
        rs->app_limited = e->flags & TXE_APP_LIMITED;
        rs->send_elapsed = e->xmit_us - e->first_tx_us;
        rs->ack_elapsed = r->delivered_us - e->delivered_us;
        r->first_tx_us = e->xmit_us;
    }
    if (!(e->flags & (TXE_RETRANS | TXE_EVER_RETRANS)) && e->xmit_us >= rs->rtt_xmit_us) {
        rs->rtt_us = st->now - e->xmit_us;
        rs->rtt_xmit_us = e->xmit_us;
    }
    tcp_rack_delivered(st, t, e);
}

void tcp_txlog_acked(synack_stack *st, tcb *t, uint32_t ack)
{
    txlog *l = &t->txlog;
    while (l->n) {
        txent *e = txlog_at(l, 0);
        if (seq_leq(e->end, ack)) {
            if (!(e->flags & TXE_SACKED)) delivered(st, t, e, e->end - e->start);
            l->head = l->head + 1 == l->cap ? 0 : l->head + 1;
            l->n--;
            continue;
        }
        if (seq_lt(e->start, ack) && !(e->flags & TXE_SACKED)) {
            /* Part of a super-segment: those octets are delivered; the entry waits for the rest. */
            t->rate.delivered += ack - e->start;
            if (e->flags & TXE_RELOST) t->rack.relost_bytes -= ack - e->start;
            e->start = ack;
        }
        break;
    }
    /* Empty: the block goes back, unless the send buffer holds more that goes out at once (a
     * bulk sender empties the log every round trip: freeing it cost a new block and the copies
     * of every doubling back to its size, each round). */
    if (l->n == 0) {
        if (t->bufs_on && t->sndbuf.len > 0) l->head = 0;
        else tcp_txlog_clear(st, t);
    }
}

void tcp_txlog_sacked(synack_stack *st, tcb *t, uint32_t l_seq, uint32_t r_seq)
{
    txlog *l = &t->txlog;
    /* The scoreboard range that now holds [l_seq, r_seq): entries wholly inside it are SACKed. */
    uint32_t ms = l_seq, me = r_seq;
    for (uint16_t i = 0; i < t->scoreboard.n; i++) {
        const seq_range *g = &t->scoreboard.r[i];
        if (seq_leq(g->start, l_seq) && seq_geq(g->end, r_seq)) {
            ms = g->start;
            me = g->end;
            break;
        }
    }
    for (uint32_t i = find(l, l_seq); i < l->n; i++) {
        txent *e = txlog_at(l, i);
        if (!seq_lt(e->start, r_seq)) break;
        if ((e->flags & TXE_SACKED) || seq_lt(e->start, ms) || seq_gt(e->end, me)) continue;
        e->flags |= TXE_SACKED;
        delivered(st, t, e, e->end - e->start);
        /* The timed segment arrived (RFC 6298 with SACK, as Linux's sack_rtt): measured now,
         * not when the cumulative ACK passes it after the holes before it are repaired, which
         * at 6% loss made SRTT ten times the path's RTT and the RTO over a second. */
        if (t->rtt_timing && !(e->flags & TXE_EVER_RETRANS) && seq_in(t->rtt_seq, e->start, e->end)) {
            tcp_rtt_sample(st, t, st->now - t->rtt_start);
            t->rtt_timing = false;
        }
    }
}

void tcp_txlog_relost_mark(tcb *t, txent *e)
{
    if (e->flags & (TXE_RELOST | TXE_SACKED)) return;
    e->flags |= TXE_RELOST;
    t->rack.relost_bytes += e->end - e->start;
    if (t->rack.relost_bytes == e->end - e->start || seq_lt(e->start, t->rack.relost_from))
        t->rack.relost_from = e->start;
}

void tcp_txlog_relost_forget(tcb *t)
{
    txlog *l = &t->txlog;
    for (uint32_t i = 0; i < l->n && t->rack.relost_bytes; i++) relost_clear(t, txlog_at(l, i));
    t->rack.relost_bytes = 0;
}

uint32_t tcp_txlog_next_relost(tcb *t, uint32_t *seq)
{
    txlog *l = &t->txlog;
    if (!t->rack.relost_bytes) return 0;
    /* Entries below relost_from hold none: the search is amortised over the episode. */
    for (uint32_t i = find(l, t->rack.relost_from); i < l->n; i++) {
        txent *e = txlog_at(l, i);
        if (!(e->flags & TXE_RELOST)) continue;
        t->rack.relost_from = e->start;
        /* Octets of it the peer holds (SACKed in pieces) need not go again. */
        uint32_t from = tcp_sack_skip(t, seq_lt(e->start, t->snd_una) ? t->snd_una : e->start);
        if (!seq_lt(from, e->end)) {
            relost_clear(t, e);
            continue;
        }
        *seq = from;
        return tcp_sack_run(t, from, e->end - from);
    }
    t->rack.relost_bytes = 0; /* the count and the flags agree: none left */
    return 0;
}

void tcp_rate_check_app_limited(tcb *t)
{
    /* draft-cheng 3.4: nothing left to send, and cwnd not the limit: mark the bubble. */
    if (!t->bufs_on || !seq_leq(t->snd_nxt, t->snd_buf_seq + t->sndbuf.len)) return;
    uint32_t unsent = t->sndbuf.len - (t->snd_nxt - t->snd_buf_seq);
    if (unsent == 0 && tcp_in_network(t) < t->cc.cwnd) { /* "C.pipe < cwnd" */
        uint64_t mark = t->rate.delivered + tcp_in_network(t);
        t->rate.app_limited = mark ? mark : 1;
    }
}

void tcp_rate_begin(synack_stack *st)
{
    st->rs.valid = false;
    st->rs.rtt_us = st->rs.rtt_xmit_us = 0;
}

void tcp_rate_sample(synack_stack *st, tcb *t, cc_ack *a)
{
    rate_state *r = &t->rate;
    rate_sample *rs = &st->rs;
    /* draft-cheng 3.3: the application-limited phase ends once its bubble is delivered. */
    if (r->app_limited && r->delivered > r->app_limited) r->app_limited = 0;
    a->delivered = r->delivered;
    a->rate_delivered = 0;
    a->rate_interval_us = 0;
    a->rate_app_limited = false;
    a->ack_rtt_us = rs->rtt_us;
    if (!rs->valid) return;
    rs->valid = false;
    /* "use the longer of the two intervals": the send rate or the ACK rate, whichever is
     * slower, so that ACK compression does not inflate the sample. */
    synack_time_us interval = rs->send_elapsed > rs->ack_elapsed ? rs->send_elapsed : rs->ack_elapsed;
    uint64_t d = r->delivered - rs->prior_delivered;
    /* "Normally we expect interval >= MinRTT": shorter ones are not trusted. */
    if (interval == 0 || (t->min_rtt_us && interval < t->min_rtt_us) || d > UINT32_MAX) return;
    a->rate_delivered = (uint32_t)d;
    a->rate_interval_us = interval;
    a->rate_app_limited = rs->app_limited;
    /* As Linux's tcpi_delivery_rate: an application-limited sample replaces only a lower one. */
    uint64_t rate = d * 1000000u / interval;
    if (!rs->app_limited || rate >= r->last_rate) {
        r->last_rate = rate;
        r->last_app_limited = rs->app_limited;
    }
}
