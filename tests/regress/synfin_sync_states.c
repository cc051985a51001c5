/* synfin_sync_states.c — regression test, the defect below is fixed: cfg.drop_synfin dropped
 * SYN+FIN in every state, before the connection was even looked up. FreeBSD's drop_synfin applies
 * to LISTEN and SYN-SENT only; in a synchronized state a SYN is a SYN (RFC 9293 3.10.7.4 fourth:
 * RFC 5961 4.2 challenge ACK, or the RFC 793 reset), and a closed port answers with the RST of
 * 3.10.7.1. */
#include "peer.h"

/* ESTABLISHED, SYN+FIN in the window: a challenge ACK, as for any SYN. */
static void established_synfin_challenge_ack(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_passive(p));
    peer_send(p, F_SYN | F_FIN, p->snd_nxt, 0, NULL, 0);
    peer_collect(p);
    printf("ESTABLISHED + SYN,FIN: %zu segments sent\n", p->nseg);
    EXPECT_ACKED_AND_STAYS(p, SYNACK_ESTABLISHED);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack), 1);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_synfin), 0);
    PEER_FINISH(p);
}

/* RFC 793 mode: SYN+FIN in the window resets like a SYN. */
static void established_synfin_rfc793_resets(void)
{
    synack_config cfg = peer_config_rfc793();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_passive(p));
    peer_send(p, F_SYN | F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* FIN-WAIT-2 too: any synchronized state. */
static void fin_wait_2_synfin_challenge_ack(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_fin_wait_2(p, PEER_BY_SHUTDOWN));
    peer_send(p, F_SYN | F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

/* LISTEN and SYN-SENT keep the policy. */
static void listen_and_syn_sent_still_drop(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN | F_FIN, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_synfin), 1);
    PEER_FINISH(p);
    p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    peer_send(p, F_SYN | F_FIN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_synfin), 1);
    PEER_FINISH(p);
}

/* No connection and no listener: the RST of 3.10.7.1 (FreeBSD answers a closed port so). */
static void closed_port_synfin_rst(void)
{
    peer *p = peer_new(NULL);
    peer_send(p, F_SYN | F_FIN, 5000, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, 0, 5002);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(established_synfin_challenge_ack);
    RUN(established_synfin_rfc793_resets);
    RUN(fin_wait_2_synfin_challenge_ack);
    RUN(listen_and_syn_sent_still_drop);
    RUN(closed_port_synfin_rst);
    return test_report();
}
