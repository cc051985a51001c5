/* check.c: the invariants of check.h. Every function only reads. */
#include "check.h"

#include <string.h>

#include "ip/reass_impl.h"

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
    /* Data or a FIN sent and not acknowledged always has a timer that will act on it: the
     * retransmission timer (RFC 6298 5.1), or the persist timer under a zero window (RFC 9293
     * 3.8.6.1). A timer path that returned without either left the connection silent. */
    if (TCPS_HAVE_ESTABLISHED(t->state) && t->state != SYNACK_TIME_WAIT && t->snd_una != t->snd_max)
        CHECK_INV(t->deadline[SYNACK_TIMER_REXMT] != SYNACK_TIME_NEVER ||
                  t->deadline[SYNACK_TIMER_PERSIST] != SYNACK_TIME_NEVER);
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
    /* The transmit log holds memory only while it holds entries or the send buffer holds data
     * to send, and its entries cover outstanding data only: the first ends beyond SND.UNA, the
     * last no further than SND.MAX (the ends are checked, not every entry: this runs after
     * every event). */
    const txlog *l = &t->txlog;
    CHECK_INV(l->e != NULL || l->n == 0);
    if (l->e && l->n == 0) CHECK_INV(t->bufs_on && t->sndbuf.len > 0 && l->head == 0);
    if (l->n) {
        const txent *first = &l->e[l->head], *last = &l->e[(l->head + l->n - 1) % l->cap];
        CHECK_INV(l->n <= l->cap && l->head < l->cap);
        CHECK_INV(seq_lt(first->start, first->end) && seq_gt(first->end, t->snd_una));
        CHECK_INV(seq_leq(first->end, last->end) && seq_leq(last->end, t->snd_max));
    }
}

/* ---- the reassembly queue (ip/reass.c) ---- */

/* Memory a datagram's fragments are charged: each fragment its record, its payload and, at
 * offset 0, the header it came with (the per-fragment check below pins f->mem to that). */
static size_t reass_dgram_mem(const reass_dgram *d)
{
    size_t hdr = d->frags && d->frags->off == 0 ? d->frags->hdr_len : 0;
    return (size_t)d->nfrags * sizeof(reass_frag) + d->have + hdr;
}

/* One datagram: its fragments sorted by offset and disjoint (overlaps discard the datagram
 * before anything is stored, RFC 5722), inside [0, end) once the last one came, their counts and
 * bytes what the slot says; it sits in its hash chain under its key and in its family's FIFO. */
void reass_dgram_check(const synack_stack *st, const reass_dgram *d, int fam)
{
    const reass_state *r = &st->reass;
    CHECK_INV(d >= r->pool && d < r->pool + st->cfg.frag_max_datagrams);
    CHECK_INV(d->state == R_LIVE || d->state == R_DEAD);
    CHECK_INV(d->fam == fam);
    CHECK_INV(fam == REASS_FAM6 ? d->key_proto == 0 : true);
    /* The timeout runs from the first-arriving fragment (RFC 8200 4.5), so FIFO order is
     * deadline order and the head is the next deadline. */
    CHECK_INV(d->deadline == d->created + (fam == REASS_FAM6 ? st->cfg.frag6_timeout_us : st->cfg.frag_timeout_us));
    CHECK_INV(d->created <= st->now);
    CHECK_INV(d->fprev ? d->fprev->fnext == d && d->fprev->deadline <= d->deadline : r->head[fam] == d);
    CHECK_INV(d->fnext ? d->fnext->fprev == d : r->tail[fam] == d);
    /* Hash chain: the link that points at d is its bucket's head or its predecessor's next. */
    CHECK_INV(d->hpprev != NULL && *d->hpprev == d);
    reass_dgram *const *bucket = &r->hash[d->hash & r->hash_mask];
    if (d->hpprev != bucket) {
        const reass_dgram *pred = (const reass_dgram *)((const char *)d->hpprev - offsetof(reass_dgram, hnext));
        CHECK_INV(pred >= r->pool && pred < r->pool + st->cfg.frag_max_datagrams);
        CHECK_INV((pred->hash & r->hash_mask) == (d->hash & r->hash_mask));
    }
    CHECK_INV(d->hnext == NULL || d->hnext->hpprev == &d->hnext);
    /* Its source's record names its family and address. */
    const reass_src *s = d->src_rec;
    size_t alen = fam == REASS_FAM6 ? 16 : 4;
    CHECK_INV(s >= r->srcs && s < r->srcs + st->cfg.frag_max_datagrams);
    CHECK_INV(s->fam == fam && memcmp(s->addr, d->src, alen) == 0 && s->datagrams > 0);
    if (d->state == R_DEAD) { /* discarded: the slot waits out its timeout holding nothing */
        CHECK_INV(d->frags == NULL && d->tail == NULL && d->nfrags == 0 && d->have == 0);
        return;
    }
    CHECK_INV(d->frags != NULL && d->tail != NULL); /* a live slot is made for a fragment it keeps */
    uint32_t n = 0, have = 0, prev_end = 0;
    const reass_frag *last = NULL;
    for (const reass_frag *f = d->frags; f; f = f->next) {
        CHECK_INV(++n <= st->cfg.frag_max_fragments);
        CHECK_INV(f->len > 0);
        CHECK_INV(f == d->frags || f->off >= prev_end); /* sorted and disjoint */
        CHECK_INV(f->hdr_len == 0 || f->off == 0);      /* only the first keeps a header */
        CHECK_INV(f->mem == sizeof(reass_frag) + f->hdr_len + f->len);
        CHECK_INV(!d->have_last || f->off + f->len <= d->end);
        prev_end = f->off + f->len;
        have += f->len;
        last = f;
    }
    CHECK_INV(last == d->tail);
    CHECK_INV(n == d->nfrags && have == d->have);
    /* A live datagram is incomplete: complete() hands it on as soon as it covers [0, end). */
    CHECK_INV(!d->have_last || d->have < d->end);
}

void reass_check(const synack_stack *st)
{
    const reass_state *r = &st->reass;
    uint32_t n = st->cfg.frag_max_datagrams;
    if (n == 0) {
        CHECK_INV(r->pool == NULL && r->bytes == 0 && r->in_use == 0);
        return;
    }
    if (r->in_use == 0) { /* the common case, O(1): nothing held (the walks below cost O(slots)) */
        CHECK_INV(r->head[REASS_FAM4] == NULL && r->head[REASS_FAM6] == NULL && r->bytes == 0);
        CHECK_INV(r->tail[REASS_FAM4] == NULL && r->tail[REASS_FAM6] == NULL && r->free != NULL);
        return;
    }
    size_t bytes = 0;
    uint32_t live = 0;
    for (int fam = 0; fam < REASS_FAMS; fam++) {
        CHECK_INV((r->head[fam] == NULL) == (r->tail[fam] == NULL));
        for (const reass_dgram *d = r->head[fam]; d; d = d->fnext) {
            CHECK_INV(++live <= r->in_use);
            reass_dgram_check(st, d, fam);
            bytes += reass_dgram_mem(d);
        }
    }
    /* Every slot in use is in a FIFO; the rest are on the free list. */
    CHECK_INV(live == r->in_use);
    uint32_t free_slots = 0;
    for (const reass_dgram *d = r->free; d; d = d->hnext) {
        CHECK_INV(++free_slots <= n - r->in_use);
        CHECK_INV(d->state == R_FREE);
    }
    CHECK_INV(free_slots == n - r->in_use);
    /* The stack's total is the sum of its datagrams' fragments (datagrams being rebuilt are
     * charged only inside reass.c's complete(), never between events), within its budget. */
    CHECK_INV(r->bytes == bytes);
    CHECK_INV(r->bytes <= st->cfg.frag_mem_bytes && r->bytes <= r->bytes_high);
    /* Each source's record: its datagrams and bytes are exactly those of the slots naming it,
     * within its shares (a quarter of the slots, frag_src_mem_bytes). */
    uint32_t srcs = 0, src_datagrams = 0;
    size_t src_bytes = 0;
    for (uint32_t b = 0; b <= r->hash_mask; b++) {
        for (const reass_src *s = r->src_hash[b]; s; s = s->hnext) {
            CHECK_INV(++srcs <= n);
            CHECK_INV(s->datagrams > 0 && s->datagrams <= (n + 3) / 4);
            CHECK_INV(s->bytes <= st->cfg.frag_src_mem_bytes);
            uint32_t dg = 0;
            size_t sb = 0;
            for (const reass_dgram *d = r->head[s->fam < REASS_FAMS ? s->fam : 0]; d; d = d->fnext)
                if (d->src_rec == s) dg++, sb += reass_dgram_mem(d);
            CHECK_INV(dg == s->datagrams && sb == s->bytes);
            src_datagrams += s->datagrams;
            src_bytes += s->bytes;
        }
    }
    CHECK_INV(src_datagrams == r->in_use && src_bytes == r->bytes);
    uint32_t free_srcs = 0;
    for (const reass_src *s = r->free_srcs; s; s = s->hnext) CHECK_INV(++free_srcs <= n - srcs);
    CHECK_INV(free_srcs == n - srcs);
}

void stack_check(const synack_stack *st)
{
    reass_check(st);
    if (st->heap_len) heap_check_at(st, 0);
    CHECK_INV(st->heap_len <= st->heap_cap);
    CHECK_INV(st->conns_in_use >= st->tw.count);
    CHECK_INV(st->tw.head == NULL || st->tw.head->prev == NULL);
    CHECK_INV(st->tw.head == NULL || st->tw.head->next == NULL || st->tw.head->deadline <= st->tw.head->next->deadline);
    CHECK_INV(st->counters[SYNACK_CNT_tcp_illegal_transition] == 0);
}
#endif
