/* sack.c: the sender's SACK scoreboard (RFC 2018) and loss recovery driven by it (a compact
 * RFC 6675): which octets the peer holds above SND.UNA, which holes count as lost, the "pipe"
 * of data still in the network, and which hole to retransmit next. */
#include "stack_impl.h"

/* Records the peer's SACK blocks; blocks beyond what we sent are ignored (RFC 2018 8: a sender
 * must not trust them). A first block below the cumulative ACK, or inside the second block,
 * reports a duplicate (D-SACK, RFC 2883 4) and goes to recovery (tcp/recovery.c). Newly SACKed
 * octets reach the transmit log (RACK, delivery rate). */
void tcp_sack_update(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    t->dsack_rcvd = false;
    if (!t->sack_ok || !t->bufs_on) return;
    const tcp_opts *o = &seg->opts;
    for (int i = 0; i < o->sack_count; i++) {
        uint32_t l = o->sack[i].left, r = o->sack[i].right;
        if (!seq_lt(l, r) || seq_gt(r, t->snd_max)) continue;
        if (i == 0 && (seq_leq(r, seg->ack) ||
                       (o->sack_count > 1 && seq_geq(l, o->sack[1].left) && seq_leq(r, o->sack[1].right)))) {
            /* Only what could be ours: within the last window of data sent. */
            if (r - l <= t->max_snd_wnd + tcp_data_mss(t) && seq_geq(l, t->iss)) tcp_recovery_on_dsack(st, t, l, r);
            continue;
        }
        if (!seq_gt(l, t->snd_una)) continue;
        /* Already held in full: a block repeated from an earlier ACK says nothing new. */
        uint32_t gap = l;
        if (t->scoreboard.r && rangeset_next_gap(&t->scoreboard, &gap, r) == 0) continue;
        if (!tcp_board_reserve(st, &t->scoreboard)) break; /* no memory: as a full board */
        if (!rangeset_add(&t->scoreboard, l, r)) break; /* full: the rest will come again */
        tcp_txlog_sacked(st, t, gap, r);
    }
}

void tcp_sack_trim(synack_stack *st, tcb *t)
{
    rangeset *rs = &t->scoreboard;
    uint16_t drop = 0;
    while (drop < rs->n && seq_leq(rs->r[drop].end, t->snd_una)) drop++;
    if (drop) {
        for (uint16_t i = drop; i < rs->n; i++) rs->r[i - drop] = rs->r[i];
        rs->n = (uint16_t)(rs->n - drop);
        rs->recent = 0;
    }
    if (rs->n && seq_lt(rs->r[0].start, t->snd_una)) rs->r[0].start = t->snd_una;
    tcp_board_release_if_empty(st, rs);
    if (seq_lt(t->rexmit_high, t->snd_una)) t->rexmit_high = t->snd_una;
}

uint32_t tcp_sacked_bytes(const tcb *t)
{
    uint32_t n = 0;
    for (uint16_t i = 0; i < t->scoreboard.n; i++) n += t->scoreboard.r[i].end - t->scoreboard.r[i].start;
    return n;
}

/* The end of the highest SACKed range: holes below it are deemed lost (RFC 6675 IsLost, with
 * the simplification that any hole below SACKed data counts once recovery has begun). */
static uint32_t high_sacked(const tcb *t)
{
    return t->scoreboard.n ? t->scoreboard.r[t->scoreboard.n - 1].end : t->snd_una;
}

/* Holes below this edge count as lost: RACK's (RFC 8985, tcp/rack.c) with SACK; otherwise every
 * hole below the highest SACKed octet. */
static uint32_t lost_edge(const tcb *t)
{
    if (!tcp_rack_on(t)) return high_sacked(t);
    uint32_t e = t->rack.lost_upto;
    if (!seq_gt(e, t->snd_una)) return t->snd_una;
    return seq_gt(e, t->snd_max) ? t->snd_max : e;
}

/* Octets of holes in [from, to). */
static uint32_t hole_bytes(const tcb *t, uint32_t from, uint32_t to)
{
    uint32_t n = 0, at = from;
    for (uint16_t i = 0; i < t->scoreboard.n && seq_lt(at, to); i++) {
        const seq_range *r = &t->scoreboard.r[i];
        if (seq_leq(r->end, at)) continue;
        uint32_t stop = seq_lt(r->start, to) ? r->start : to;
        if (seq_gt(stop, at)) n += stop - at;
        at = seq_max(at, r->end);
    }
    if (seq_lt(at, to)) n += to - at;
    return n;
}

/* RFC 6675 "pipe": what is still in the network: everything sent and neither acknowledged nor
 * SACKed, less the holes deemed lost and not yet sent again (those between rexmit_high and
 * the lost edge, and retransmissions lost again). */
uint32_t tcp_sack_pipe(const tcb *t)
{
    uint32_t out = t->snd_max - t->snd_una - tcp_sacked_bytes(t);
    uint32_t from = seq_max(t->rexmit_high, t->snd_una), edge = lost_edge(t);
    if (seq_gt(edge, from)) out -= hole_bytes(t, from, edge);
    /* and the retransmissions RACK found lost again (below rexmit_high, so not counted above) */
    return out > t->rack.relost_bytes ? out - t->rack.relost_bytes : 0;
}

/* The next lost octet range to retransmit (RFC 6675 NextSeg rule 1): the first hole at or
 * after rexmit_high and below the lost edge. Returns its length (0: none). */
uint32_t tcp_sack_next_hole(const tcb *t, uint32_t *seq)
{
    uint32_t at = seq_max(t->rexmit_high, t->snd_una), edge = lost_edge(t);
    for (uint16_t i = 0; i < t->scoreboard.n && seq_lt(at, edge); i++) {
        const seq_range *r = &t->scoreboard.r[i];
        if (seq_leq(r->end, at)) continue;
        if (seq_lt(at, r->start)) {
            *seq = at;
            return (seq_lt(r->start, edge) ? r->start : edge) - at;
        }
        at = r->end;
    }
    if (seq_lt(at, edge)) {
        *seq = at;
        return edge - at;
    }
    return 0;
}

/* After a timeout the peer may have reneged: forget what it said (RFC 2018 8). */
void tcp_sack_reset(synack_stack *st, tcb *t)
{
    rangeset_clear(&t->scoreboard);
    tcp_board_release_if_empty(st, &t->scoreboard);
    t->rexmit_high = t->snd_una;
}

/* In go-back retransmission, octets the peer holds need not be sent again: the next octet
 * at or after seq that is not SACKed. */
uint32_t tcp_sack_skip(const tcb *t, uint32_t seq)
{
    for (uint16_t i = 0; i < t->scoreboard.n; i++) {
        const seq_range *r = &t->scoreboard.r[i];
        if (seq_leq(r->start, seq) && seq_lt(seq, r->end)) return r->end;
    }
    return seq;
}

/* The length of data from seq that is not SACKed (up to the next SACKed range), capped. */
uint32_t tcp_sack_run(const tcb *t, uint32_t seq, uint32_t cap)
{
    for (uint16_t i = 0; i < t->scoreboard.n; i++) {
        const seq_range *r = &t->scoreboard.r[i];
        if (seq_gt(r->start, seq)) return r->start - seq < cap ? r->start - seq : cap;
    }
    return cap;
}
