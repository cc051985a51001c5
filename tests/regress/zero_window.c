/* zero_window.c — regression test, the defect below is fixed: zero-window handling defects.
 *  A. A FIN is sent into a zero window and then retransmitted by the REXMT timer; although the
 *     peer acknowledges every copy (window still 0), R2 drops the connection (RFC 1122 4.2.2.17,
 *     RFC 9293 3.8.6.1).
 *  B. The peer shrinks its window to zero with data in flight: RTOs that send nothing still count
 *     towards R2 and the connection is timed out while the peer answers every probe
 *     (RFC 9293 3.8.6.1: "SHOULD NOT time out the connection").
 *  C. After a persist probe, SND.MAX = SND.UNA + 1 and every pure ACK is sent with
 *     SEQ = SND.MAX, one beyond the zero-window receiver's RCV.NXT: unacceptable there
 *     (RFC 9293 Table 6: RCV.WND = 0, SEG.LEN = 0 needs SEG.SEQ = RCV.NXT). */
#include "peer.h"

static synack_config cfg_small_r2(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.max_retransmits = 4;
    return cfg;
}

/* The peer acknowledges ack with a zero window. */
static void ack_zero(peer *p, uint32_t ack)
{
    peer_tx tx = {F_ACK, p->snd_nxt, ack, 0, NULL, 0, NULL, 0};
    peer_inject(p, &tx);
}

static void fin_into_zero_window(void)
{
    synack_config cfg = cfg_small_r2();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    ack_zero(p, p->rcv_nxt); /* all data acknowledged, the receiver's buffer is full */
    peer_clear(p);
    uint32_t fin_seq = p->rcv_nxt;
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    peer_collect(p);
    printf("A: after shutdown with wnd=0: %s\n", peer_dump(p));
    peer_clear(p);
    /* The zero-window peer answers everything it gets with ACK(fin_seq), window 0. */
    for (int i = 0; i < 40 && peer_state(p) != SYNACK_CLOSED; i++) {
        if (!peer_advance_to_deadline(p, SYNACK_SEC(600))) break;
        if (p->nseg) ack_zero(p, fin_seq);
        peer_clear(p);
    }
    printf("A: after %.0f s of answered probes: state %s, error %d\n", (double)p->now / 1e6,
           synack_state_rfc_name(peer_state(p)), peer_last_error(p));
    CHECK_EQ(peer_state(p), SYNACK_FIN_WAIT_1); /* still open: the peer is alive */
    PEER_FINISH(p);
}

static void shrink_to_zero_times_out(void)
{
    synack_config cfg = cfg_small_r2();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_active(p));
    uint32_t una = p->rcv_nxt;
    static uint8_t d[1000];
    CHECK_EQ(synack_send(p->st, p->sd, d, sizeof d), (long)sizeof d);
    peer_clear(p);
    ack_zero(p, una); /* the receiver shrinks its window to zero: 1000 octets beyond the edge */
    peer_clear(p);
    for (int i = 0; i < 60 && peer_state(p) != SYNACK_CLOSED; i++) {
        if (!peer_advance_to_deadline(p, SYNACK_SEC(600))) break;
        if (p->nseg) ack_zero(p, una);
        peer_clear(p);
    }
    printf("B: after %.0f s of answered probes: state %s, error %d, probes %llu\n",
           (double)p->now / 1e6, synack_state_rfc_name(peer_state(p)), peer_last_error(p),
           (unsigned long long)synack_counter(p->st, SYNACK_CNT_tcp_persist_probe));
    CHECK_EQ(peer_state(p), SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

static void ack_seq_after_probe(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    uint32_t una = p->rcv_nxt;
    ack_zero(p, una);
    peer_clear(p);
    CHECK_EQ(synack_send(p->st, p->sd, "more", 4), 4); /* held back: zero window */
    peer_advance_to_deadline(p, SYNACK_SEC(10));      /* persist probe: 1 octet at SND.UNA */
    peer_collect(p);
    printf("C: probe: %s\n", peer_dump(p));
    peer_clear(p);
    ack_zero(p, una); /* the probe octet is not accepted: window still 0 */
    peer_clear(p);
    /* Now the peer sends data of its own; the stack must ACK it with SEQ = SND.UNA. */
    peer_tx tx = {F_ACK | F_PSH, p->snd_nxt, una, 0, "hello", 5, NULL, 0}; /* window still 0 */
    peer_inject(p, &tx);
    p->snd_nxt += 5;
    peer_advance(p, SYNACK_MS(100));
    peer_collect(p);
    printf("C: ACK of our data: %s (peer RCV.NXT=%u)\n", peer_dump(p), una);
    CHECK(p->nseg >= 1);
    if (p->nseg >= 1) {
        CHECK_EQ(p->seg[0].ack, p->snd_nxt);
        CHECK_EQ(p->seg[0].seq, una); /* the only SEQ a zero-window receiver accepts */
    }
    peer_clear(p);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(fin_into_zero_window);
    RUN(shrink_to_zero_times_out);
    RUN(ack_seq_after_probe);
    return test_report();
}
