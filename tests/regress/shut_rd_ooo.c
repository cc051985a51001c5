/* shut_rd_ooo.c — regression test, the defect below is fixed (found by the stack fuzzer,
 * tests/fuzz/regressions/shut_rd_ooo.bin): shutdown(SHUT_RD) with out-of-order data held.
 * From then on in-order data is acknowledged and discarded (RCV.NXT advances), but the
 * out-of-order ranges stayed in the set: RCV.NXT passed their start, so the set no longer lay
 * beyond RCV.NXT (the checked builds' invariant aborted) and later segments were written into
 * the receive ring at offsets computed from a RCV.NXT behind them. Now shutdown(SHUT_RD) forgets
 * the out-of-order data too (it will never be read); the peer learns that from the ACKs, which
 * neither cover nor SACK it, and sends it again. */
#include "peer.h"

static void shut_rd_then_data_past_held_range(bool sack)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.sack = sack;
    peer *p = peer_new(&cfg);
    p->sack = sack;
    CHECK(peer_to_established_passive(p));
    uint32_t base = p->snd_nxt;
    static uint8_t c[100], a[300];
    memset(c, 'C', sizeof c);
    memset(a, 'A', sizeof a);
    peer_send(p, F_ACK, base + 200, p->rcv_nxt, c, 100); /* [200, 300) held beyond a hole */
    CHECK_EQ(synack_shutdown(p->st, p->sd, 0), 0);    /* SHUT_RD */
    synack_mem_info m;
    synack_mem_get(p->st, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);                /* nothing held that will be read */
    peer_clear(p);
    peer_send(p, F_ACK, base, p->rcv_nxt, a, 250);     /* [0, 250): passes the held range's start */
    peer_collect(p);
    CHECK(p->nseg >= 1);
    CHECK_EQ(p->seg[p->nseg - 1].ack, base + 250);     /* acknowledged (and discarded) */
    CHECK_EQ(p->seg[p->nseg - 1].opts.sack_count, 0); /* [200, 300) is no longer claimed */
    peer_clear(p);
    peer_send(p, F_ACK, base + 250, p->rcv_nxt, a, 100); /* the rest, in order */
    peer_collect(p);
    CHECK(p->nseg >= 1);
    CHECK_EQ(p->seg[p->nseg - 1].ack, base + 350);
    p->snd_nxt = base + 350;
    peer_clear(p);
    static uint8_t got[64];
    CHECK_EQ(synack_recv(p->st, p->sd, got, sizeof got), 0); /* reading is shut: end of data */
    PEER_FINISH(p);
}

static void without_sack(void) { shut_rd_then_data_past_held_range(false); }
static void with_sack(void) { shut_rd_then_data_past_held_range(true); }

int main(void)
{
    RUN(without_sack);
    RUN(with_sack);
    return test_report();
}
