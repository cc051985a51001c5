/* persist_before_established.c — regression test, the defect below is fixed (found by the stack
 * fuzzer in its first seconds, tests/fuzz/regressions/persist_before_established.bin): a
 * zero-window probe before our SYN was acknowledged. In a simultaneous open with data queued by
 * send() in SYN-SENT, the peer's SYN offering a zero window, and close() in SYN-RECEIVED
 * (FIN-WAIT-1 with the SYN still unacknowledged), the persist timer probed "the octet at
 * SND.UNA" while SND.UNA was still ISS, one before the send buffer: ring_read_at() read at
 * offset 2^32 - 1 (ASan: SEGV). Nothing but the SYN may be sent before the SYN
 * is acknowledged (RFC 9293 3.10.2: data is queued "for transmission after entering ESTABLISHED"). */
#include "peer.h"

static void zero_window_syn_unacked_no_probe(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    CHECK_EQ(synack_send(p->st, p->sd, "queued", 6), 6);
    p->wnd = 0;
    peer_send(p, F_SYN, p->iss, 0, NULL, 0); /* simultaneous open, zero window */
    p->snd_nxt = p->iss + 1;
    EXPECT_SEG(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    CHECK_EQ(synack_shutdown(p->st, p->sd, 1), 0); /* FIN-WAIT-1, our SYN unacknowledged */
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_advance(p, SYNACK_SEC(10)); /* SYN-ACK retransmissions; no probe of data */
    peer_collect(p);
    for (size_t i = 0; i < p->nseg; i++) {
        CHECK_EQ(p->seg[i].len, 0);
        CHECK(p->seg[i].flags & F_SYN);
    }
    peer_clear(p);
    /* The handshake completes with the window open: the data goes out. */
    p->wnd = 65535;
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_collect(p);
    CHECK(p->nseg >= 1 && p->seg[0].len == 6 && p->seg[0].seq == p->stack_iss + 1);
    peer_clear(p);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(zero_window_syn_unacked_no_probe);
    return test_report();
}
