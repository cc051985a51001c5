/* old_syn_rfc793.c — regression test, the defect below is fixed: with cfg.rfc5961 = false (RFC 793
 * behaviour) an old SYN that lies left of the window, retransmitted with text reaching into the
 * window, reset the connection: check_syn() ran on the untrimmed segment. RFC 9293 3.10.7.4 first
 * trims "any portions that lie outside the window (including SYN and FIN)"; only a SYN in the
 * window is the RFC 793 error that resets. */
#include "peer.h"

/* ESTABLISHED (passive) with 100 octets received; the peer's first SYN again, now carrying 150
 * octets: the SYN (at IRS) is left of the window, the text overlaps it. */
static void old_syn_with_text_no_reset(void)
{
    synack_config cfg = peer_config_rfc793();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_passive(p));
    static uint8_t d[150];
    memset(d, 'd', sizeof d);
    peer_send_data(p, d, 100);
    peer_clear(p);
    peer_send(p, F_SYN, p->iss, 0, d, 150); /* no ACK bit: dropped after trimming (fifth step) */
    peer_collect(p);
    bool rst = false;
    for (size_t i = 0; i < p->nseg; i++) rst |= (p->seg[i].flags & F_RST) != 0;
    printf("old SYN: %zu segments, RST %s, state %s\n", p->nseg, rst ? "yes" : "no",
           synack_state_rfc_name(peer_state(p)));
    CHECK(!rst);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    CHECK_EQ(peer_last_error(p), 0);
    PEER_FINISH(p);
}

/* Active open, then the peer's SYN-ACK again with 150 octets of which 100 arrived already: the
 * SYN is trimmed, the 100 are duplicates, the last 50 are new text and are acknowledged. */
static void old_syn_ack_with_text_delivers_new_part(void)
{
    synack_config cfg = peer_config_rfc793();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_active(p));
    static uint8_t d[150];
    for (int i = 0; i < 150; i++) d[i] = (uint8_t)i;
    peer_send_data(p, d, 100);
    peer_clear(p);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, d, 150);
    p->snd_nxt = p->iss + 151;
    peer_advance(p, SYNACK_MS(50)); /* the new text may wait for the delayed ACK */
    peer_collect(p);
    bool rst = false;
    for (size_t i = 0; i < p->nseg; i++) rst |= (p->seg[i].flags & F_RST) != 0;
    CHECK(!rst);
    CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].ack == p->iss + 151);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    static uint8_t got[200];
    CHECK_EQ(synack_recv(p->st, p->sd, got, sizeof got), 150);
    CHECK(memcmp(got, d, 150) == 0);
    PEER_FINISH(p);
}

/* The RFC 793 rule itself is unchanged: a SYN in the window resets. */
static void syn_in_window_still_resets(void)
{
    synack_config cfg = peer_config_rfc793();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_passive(p));
    peer_send(p, F_SYN, p->snd_nxt + 10, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(old_syn_with_text_no_reset);
    RUN(old_syn_ack_with_text_delivers_new_part);
    RUN(syn_in_window_still_resets);
    return test_report();
}
