/* sack.c: the sender's SACK scoreboard (RFC 2018) and loss recovery driven by it (a compact
 * RFC 6675): which octets the peer holds above SND.UNA, which holes count as lost, the "pipe"
 * of data still in the network, and which hole to retransmit next. */
#include "stack_impl.h"

/* A retransmission lost again: data first sent after it is SACKed three segments past it
 * while its hole is still open (as Linux's tcp_mark_lost_retrans). Resend the holes. */
static void lost_retransmissions(tcb *t)
{
    if (!t->in_recovery || !seq_gt(t->rexmit_high, t->snd_una) || !t->scoreboard.n) return;
    uint32_t hs = t->scoreboard.r[t->scoreboard.n - 1].end;
    if (seq_gt(hs, t->rexmit_mark + 3u * tcp_data_mss(t))) {
        t->rexmit_high = t->snd_una;
        t->rexmit_mark = t->snd_max;
    }
}

/* Records the peer's SACK blocks; blocks at or below SND.UNA (D-SACK) or beyond what we sent
 * are ignored (RFC 2018 8: a sender must not trust them). */
void tcp_sack_update(synack_stack *st, tcb *t, const tcp_seg *seg)
{
    if (!t->sack_ok || !t->bufs_on) return;
    for (int i = 0; i < seg->opts.sack_count; i++) {
        uint32_t l = seg->opts.sack[i].left, r = seg->opts.sack[i].right;
        if (!seq_lt(l, r) || !seq_gt(l, t->snd_una) || seq_gt(r, t->snd_max)) continue;
        if (!tcp_ranges_reserve(st, &t->scoreboard)) break; /* no memory: as a full board */
        if (!rangeset_add(&t->scoreboard, l, r)) break; /* full: the rest will come again */
    }
    lost_retransmissions(t);
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
    tcp_ranges_release_if_empty(st, rs);
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

/* RFC 6675 "pipe": what is still in the network: everything sent beyond the highest SACKed
 * octet, plus the holes below it that we have already retransmitted. */
uint32_t tcp_sack_pipe(const tcb *t)
{
    uint32_t hs = high_sacked(t);
    uint32_t beyond = seq_gt(t->snd_max, hs) ? t->snd_max - hs : 0;
    uint32_t upto = seq_lt(t->rexmit_high, hs) ? t->rexmit_high : hs;
    return beyond + (seq_gt(upto, t->snd_una) ? hole_bytes(t, t->snd_una, upto) : 0);
}

/* The next lost octet range to retransmit (RFC 6675 NextSeg rule 1): the first hole at or
 * after rexmit_high and below the highest SACKed octet. Returns its length (0: none). */
uint32_t tcp_sack_next_hole(const tcb *t, uint32_t *seq)
{
    uint32_t at = seq_max(t->rexmit_high, t->snd_una), hs = high_sacked(t);
    for (uint16_t i = 0; i < t->scoreboard.n; i++) {
        const seq_range *r = &t->scoreboard.r[i];
        if (seq_leq(r->end, at)) continue;
        if (seq_lt(at, r->start)) {
            *seq = at;
            return r->start - at;
        }
        at = r->end;
    }
    (void)hs;
    return 0;
}

/* After a timeout the peer may have reneged: forget what it said (RFC 2018 8). */
void tcp_sack_reset(synack_stack *st, tcb *t)
{
    rangeset_clear(&t->scoreboard);
    tcp_ranges_release_if_empty(st, &t->scoreboard);
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
