/* ooo_overlap.c — regression test, the defect below is fixed: overlapping out-of-order data.
 * After C[100,200) then D[150,250) are queued beyond a hole, process_text() wrote all of D into
 * the receive ring at its offset, so the application read D's copy of octets 150-200, which
 * were already held (and, with SACK on, already reported to the peer as received). In the
 * contained case D[120,180) spliced into the middle of C. RFC 9293 3.10 trims a segment to
 * "just the new data"; Linux and the BSDs keep the octets already queued. */
#include "peer.h"

/* Offsets are relative to the stack's RCV.NXT at the start; [0, 100) is the hole. */
static void replay(uint32_t d_from, uint32_t d_to, bool sack)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.sack = sack;
    peer *p = peer_new(&cfg);
    p->sack = sack;
    CHECK(peer_to_established_passive(p));
    uint32_t base = p->snd_nxt;
    static uint8_t a[100], c[100], d[100];
    memset(a, 'A', sizeof a);
    memset(c, 'C', sizeof c);
    memset(d, 'D', sizeof d);
    peer_send(p, F_ACK, base + 100, p->rcv_nxt, c, 100);             /* C [100,200) */
    peer_send(p, F_ACK, base + d_from, p->rcv_nxt, d, d_to - d_from); /* D overlaps C */
    if (sack) { /* the last duplicate ACK reports what is held: one block [100, max end) */
        peer_collect(p);
        CHECK(p->nseg >= 1);
        const peer_seg *s = &p->seg[p->nseg - 1];
        /* A copy held in full is a duplicate: RFC 2883 4.1.2 reports it first (D-SACK), then
         * the block that holds it. */
        int k = d_to <= 200 ? 1 : 0;
        CHECK_EQ(s->opts.sack_count, 1 + k);
        if (k) {
            CHECK_EQ(s->opts.sack[0].left, base + d_from);
            CHECK_EQ(s->opts.sack[0].right, base + d_to);
        }
        CHECK_EQ(s->opts.sack[k].left, base + 100);
        CHECK_EQ(s->opts.sack[k].right, base + (d_to > 200 ? d_to : 200));
    }
    peer_clear(p);
    peer_send(p, F_ACK, base, p->rcv_nxt, a, 100); /* fills the hole [0,100) */
    p->snd_nxt = base + (d_to > 200 ? d_to : 200);
    peer_collect(p);
    CHECK(p->nseg >= 1);
    CHECK_EQ(p->seg[p->nseg - 1].ack, p->snd_nxt);
    peer_clear(p);
    static uint8_t got[400];
    long n = synack_recv(p->st, p->sd, got, sizeof got);
    CHECK_EQ(n, (long)(p->snd_nxt - base));
    int wrong = 0, first_wrong = -1;
    for (long i = 0; i < n; i++) {
        char want = i < 100 ? 'A' : i < 200 ? 'C' : 'D';
        if (got[i] != want && wrong++ == 0) first_wrong = (int)i;
    }
    printf("D[%u,%u) sack=%d: %d octets differ from the first copy (first at %d: '%c')\n", d_from,
           d_to, sack, wrong, first_wrong, first_wrong >= 0 ? got[first_wrong] : '-');
    CHECK_EQ(wrong, 0);
    PEER_FINISH(p);
}

/* C[100,200) then D[150,250): octets 150-200 are C's, 200-250 D's. */
static void partial_overlap_keeps_held_octets(void)
{
    replay(150, 250, false);
    replay(150, 250, true);
}

/* C[100,200) then D[120,180): nothing new, all of C stays. */
static void contained_copy_changes_nothing(void)
{
    replay(120, 180, false);
    replay(120, 180, true);
}

/* The in-order segment that fills the hole overlaps held data too: [0,150) after C[100,200). */
static void in_order_overlap_keeps_held_octets(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_passive(p));
    uint32_t base = p->snd_nxt;
    static uint8_t a[150], c[100];
    memset(a, 'A', sizeof a);
    memset(c, 'C', sizeof c);
    peer_send(p, F_ACK, base + 100, p->rcv_nxt, c, 100);
    peer_send(p, F_ACK, base, p->rcv_nxt, a, 150);
    p->snd_nxt = base + 200;
    peer_clear(p);
    static uint8_t got[300];
    CHECK_EQ(synack_recv(p->st, p->sd, got, sizeof got), 200);
    int wrong = 0;
    for (int i = 0; i < 200; i++) wrong += got[i] != (i < 100 ? 'A' : 'C');
    CHECK_EQ(wrong, 0);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(partial_overlap_keeps_held_octets);
    RUN(contained_copy_changes_nothing);
    RUN(in_order_overlap_keeps_held_octets);
    return test_report();
}
