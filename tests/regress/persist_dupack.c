/* persist_dupack.c — regression test, the defect below is fixed: the peer's answers to zero-window probes are counted as duplicate ACKs
 * (check_ack: ack == SND.UNA, no data, same window, SND.MAX != SND.UNA because the probe octet
 * moved SND.MAX). The third answer triggers a fast retransmit: a full segment is sent into the zero
 * window, ssthresh collapses to 2*SMSS, and every further answer inflates cwnd by one SMSS.
 * RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT: "(a) the receiver of the ACK has outstanding data") and
 * RFC 9293 3.8.6.1 (a zero window is probed, not a loss signal). */
#include "peer.h"

static void probe_answers_are_not_dupacks(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    uint32_t una = p->rcv_nxt;
    peer_tx z = {F_ACK, p->snd_nxt, una, 0, NULL, 0, NULL, 0};
    peer_inject(p, &z); /* all acknowledged, window 0 */
    peer_clear(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    uint32_t cwnd0 = ci.cwnd, ss0 = ci.ssthresh;
    static uint8_t d[5000];
    CHECK_EQ(synack_send(p->st, p->sd, d, sizeof d), (long)sizeof d);
    peer_clear(p);
    uint32_t biggest = 0;
    for (int i = 0; i < 8; i++) {
        peer_advance_to_deadline(p, SYNACK_SEC(120));
        peer_collect(p);
        for (size_t k = 0; k < p->nseg; k++)
            if (p->seg[k].len > biggest) biggest = p->seg[k].len;
        peer_clear(p);
        z.ack = una;
        peer_inject(p, &z); /* the zero-window receiver answers each probe: ACK(una), wnd 0 */
        peer_collect(p);
        for (size_t k = 0; k < p->nseg; k++)
            if (p->seg[k].len > biggest) biggest = p->seg[k].len;
        peer_clear(p);
    }
    CHECK(peer_info(p, &ci));
    printf("fast retransmits %llu, largest segment into the zero window %u, cwnd %u -> %u, "
           "ssthresh %u -> %u\n",
           (unsigned long long)synack_counter(p->st, SYNACK_CNT_tcp_fast_rexmt), biggest, cwnd0,
           ci.cwnd, ss0, ci.ssthresh);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_fast_rexmt), 0);
    CHECK(biggest <= 1);
    CHECK_EQ(ci.cwnd, cwnd0);
    CHECK_EQ(ci.ssthresh, ss0);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(probe_answers_are_not_dupacks);
    return test_report();
}
