/* check.c: the invariants of check.h. Every function only reads. */
#include "check.h"

#ifdef SYNACK_CHECKS
/* check_fail() lives with the drivers (src/drivers/check_fail.c): the core does not print. */

void ring_check(const ring *r)
{
    CHECK_INV(r->len <= r->limit);
    CHECK_INV(r->cap == 0 ? r->buf == NULL && r->len == 0 : r->buf != NULL);
    CHECK_INV(r->cap == 0 || r->head < r->cap);
    CHECK_INV(r->len <= r->cap || r->cap == 0);
}

void rangeset_check(const rangeset *rs)
{
    CHECK_INV(rs->n <= rs->cap);
    CHECK_INV(rs->r != NULL || rs->cap == 0);
    for (uint16_t i = 0; i < rs->n; i++) {
        CHECK_INV(seq_lt(rs->r[i].start, rs->r[i].end));
        if (i) CHECK_INV(seq_lt(rs->r[i - 1].end, rs->r[i].start)); /* sorted, disjoint, not adjacent */
    }
}

void heap_check_at(const synack_stack *st, uint32_t i)
{
    CHECK_INV(i < st->heap_len);
    const tcb *t = st->heap[i];
    CHECK_INV(t->heap_idx == i);
    CHECK_INV(t->next_deadline != SYNACK_TIME_NEVER);
    if (i) CHECK_INV(st->heap[(i - 1) / 2]->next_deadline <= t->next_deadline);
    for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < st->heap_len; c++)
        CHECK_INV(t->next_deadline <= st->heap[c]->next_deadline);
}

void tcb_check(const synack_stack *st, const tcb *t)
{
    CHECK_INV(t->in_use);
    CHECK_INV(t->state < SYNACK_STATE_COUNT);
    /* RFC 9293 3.3.1: SND.UNA =< SND.NXT =< SND.MAX (the highest ever sent). */
    CHECK_INV(seq_leq(t->snd_una, t->snd_nxt));
    CHECK_INV(seq_leq(t->snd_nxt, t->snd_max));
    /* Timers: the heap key is the earliest deadline, and the TCB is in the heap iff it has one. */
    synack_time_us m = SYNACK_TIME_NEVER;
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++)
        if (t->deadline[i] < m) m = t->deadline[i];
    CHECK_INV(t->next_deadline == m);
    CHECK_INV((t->heap_idx != UINT32_MAX) == (m != SYNACK_TIME_NEVER));
    if (t->heap_idx != UINT32_MAX) heap_check_at(st, t->heap_idx);
    if (t->bufs_on) {
        ring_check(&t->sndbuf);
        ring_check(&t->rcvbuf);
        rangeset_check(&t->ooo);
        rangeset_check(&t->scoreboard);
        /* Out-of-order data lies beyond RCV.NXT and within the receive buffer's limit. */
        for (uint16_t i = 0; i < t->ooo.n; i++) {
            CHECK_INV(seq_geq(t->ooo.r[i].start, t->rcv_nxt)); /* at RCV.NXT: SYN data held until ESTABLISHED */
            CHECK_INV(t->ooo.r[i].end - t->rcv_nxt <= t->rcvbuf.limit - t->rcvbuf.len);
        }
    } else {
        CHECK_INV(t->sndbuf.cap == 0 && t->rcvbuf.cap == 0 && t->ooo.r == NULL && t->scoreboard.r == NULL);
    }
    /* The transmit log holds memory only while it holds entries, and those cover outstanding
     * data only: the first ends beyond SND.UNA, the last no further than SND.MAX (the ends
     * are checked, not every entry: this runs after every event). */
    const txlog *l = &t->txlog;
    CHECK_INV((l->n == 0) == (l->e == NULL));
    if (l->n) {
        const txent *first = &l->e[l->head], *last = &l->e[(l->head + l->n - 1) % l->cap];
        CHECK_INV(l->n <= l->cap && l->head < l->cap);
        CHECK_INV(seq_lt(first->start, first->end) && seq_gt(first->end, t->snd_una));
        CHECK_INV(seq_leq(first->end, last->end) && seq_leq(last->end, t->snd_max));
    }
}

void stack_check(const synack_stack *st)
{
    if (st->heap_len) heap_check_at(st, 0);
    CHECK_INV(st->heap_len <= st->heap_cap);
    CHECK_INV(st->conns_in_use >= st->tw.count);
    CHECK_INV(st->tw.head == NULL || st->tw.head->prev == NULL);
    CHECK_INV(st->tw.head == NULL || st->tw.head->next == NULL || st->tw.head->deadline <= st->tw.head->next->deadline);
    CHECK_INV(st->counters[SYNACK_CNT_tcp_illegal_transition] == 0);
}
#endif
