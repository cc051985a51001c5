/* syn_data.c — regression test, the defect below is fixed: text on a SYN-ACK (active open) and on
 * a SYN in simultaneous open was dropped. RFC 9293 3.10.7.3, SYN-SENT fourth: on a SYN-ACK "If
 * there are other controls or text in the segment, then continue processing at the sixth step",
 * and on a bare SYN "queue them for processing after the ESTABLISHED state has been reached". */
#include "peer.h"

/* SYN-ACK with 5 octets: ESTABLISHED, the ACK covers them, the application reads them. */
static void syn_ack_data_queued_and_acked(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, "early", 5);
    p->snd_nxt = p->iss + 1 + 5;
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->iss + 6);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    char b[16];
    long n = synack_recv(p->st, p->sd, b, sizeof b);
    printf("recv after a SYN-ACK with 5 octets: %ld\n", n);
    CHECK_EQ(n, 5);
    CHECK(n == 5 && memcmp(b, "early", 5) == 0);
    /* Later data follows in sequence. */
    peer_send_data(p, "more", 4);
    peer_clear(p);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    PEER_FINISH(p);
}

/* SYN-ACK with text and FIN: the FIN is processed too (eighth step): CLOSE-WAIT. (SYN+FIN in
 * SYN-SENT is dropped by the drop_synfin policy: turned off here.) */
static void syn_ack_data_fin_close_wait(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.drop_synfin = false;
    peer *p = peer_new(&cfg);
    CHECK(peer_to_syn_sent(p));
    peer_send(p, F_SYN | F_ACK | F_FIN, p->iss, p->stack_iss + 1, "bye", 3);
    p->snd_nxt = p->iss + 1 + 3 + 1;
    peer_collect(p);
    CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].ack == p->iss + 5);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 3);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* Text beyond the window our SYN offered is trimmed (3.10.7.4 first / 3.10.7.3). */
static void syn_ack_data_trimmed_to_window(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 1024;
    peer *p = peer_new(&cfg);
    CHECK(peer_to_syn_sent(p));
    static uint8_t big[1400];
    memset(big, 'x', sizeof big);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, big, sizeof big);
    p->snd_nxt = p->iss + 1 + 1024;
    peer_collect(p);
    CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].ack == p->iss + 1025);
    peer_clear(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 1024);
    PEER_FINISH(p);
}

/* Simultaneous open: the peer's SYN carries 5 octets. The SYN-ACK acknowledges the SYN; the text
 * is held and becomes readable, and acknowledged, once ESTABLISHED is reached. */
static void simultaneous_open_syn_data_queued(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    peer_send(p, F_SYN, p->iss, 0, "early", 5);
    EXPECT_SEG(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    char b[16];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN); /* not before ESTABLISHED */
    /* The peer's SYN-ACK (Figure 7 line 4): it repeats its SYN and the text. */
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, "early", 5);
    p->snd_nxt = p->iss + 6;
    peer_collect(p);
    CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].flags == F_ACK && p->seg[p->nseg - 1].ack == p->iss + 6);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    long n = synack_recv(p->st, p->sd, b, sizeof b);
    printf("recv after a simultaneous open whose SYN had 5 octets: %ld\n", n);
    CHECK_EQ(n, 5);
    CHECK(n == 5 && memcmp(b, "early", 5) == 0);
    PEER_FINISH(p);
}

/* Same, completed by a bare ACK that sits after the held text (the peer's SND.NXT). */
static void simultaneous_open_syn_data_then_ack(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    peer_send(p, F_SYN, p->iss, 0, "early", 5);
    EXPECT_SEG(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1);
    peer_send(p, F_ACK, p->iss + 6, p->stack_iss + 1, NULL, 0);
    p->snd_nxt = p->iss + 6;
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->iss + 6);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    char b[16];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 5);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(syn_ack_data_queued_and_acked);
    RUN(syn_ack_data_fin_close_wait);
    RUN(syn_ack_data_trimmed_to_window);
    RUN(simultaneous_open_syn_data_queued);
    RUN(simultaneous_open_syn_data_then_ack);
    return test_report();
}
