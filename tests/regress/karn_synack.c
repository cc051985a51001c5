/* karn_synack.c — regression test, the defect below is fixed: Karn's algorithm (RFC 6298 3) on the SYN-ACK resent for a duplicate SYN.
 * check_seq() answers a copy of the SYN by tcp_retransmit_first(), whose SYN branch returns before
 * the Karn line (rtt_timing = false), so the ACK of the second SYN-ACK is timed from the first. */
#include "peer.h"

static void dup_syn_synack_not_timed(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_received_passive(p)); /* SYN-ACK #1 at t = 1 s, timed */
    peer_advance(p, SYNACK_MS(900));         /* the peer never saw it: its SYN again */
    peer_clear(p);
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    peer_collect(p);
    CHECK(p->nseg == 1 && p->seg[0].flags == (F_SYN | F_ACK)); /* SYN-ACK #2, a retransmission */
    peer_clear(p);
    peer_advance(p, SYNACK_MS(20));          /* real RTT: 20 ms */
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    peer_clear(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    printf("srtt %.3f s, rto %.3f s (the SYN-ACK was retransmitted: no sample expected)\n",
           (double)ci.srtt_us / 1e6, (double)ci.rto_us / 1e6);
    CHECK_EQ(ci.srtt_us, 0);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(dup_syn_synack_not_timed);
    return test_report();
}
