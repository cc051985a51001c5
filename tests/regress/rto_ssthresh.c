/* rto_ssthresh.c — regression test, the defect below is fixed: RFC 5681 3.1: "when a TCP sender detects segment loss using the retransmission
 * timer and the given segment has already been retransmitted by way of the retransmission timer at
 * least once, the value of ssthresh is held constant." cc_rto() recomputes ssthresh from the
 * FlightSize at every timeout; after the first go-back, FlightSize is one segment, so the second
 * timeout collapses ssthresh to 2*SMSS. */
#include <string.h>

#include "peer.h"

static void second_rto_keeps_ssthresh(void)
{
    /* The halving of RFC 5681 (4) is NewReno's: CUBIC takes 0.7 (RFC 9438 4.6). */
    synack_config cfg;
    peer_config(&cfg);
    memcpy(cfg.congestion_control, "newreno", sizeof "newreno");
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_active(p));
    static uint8_t d[10 * 1460];
    CHECK_EQ(synack_send(p->st, p->sd, d, sizeof d), (long)sizeof d);
    peer_collect(p);
    printf("initial flight: %zu segments\n", p->nseg);
    peer_clear(p);
    synack_conn_info ci;
    peer_advance_to_deadline(p, SYNACK_SEC(10)); /* first RTO */
    peer_clear(p);
    CHECK(peer_info(p, &ci));
    uint32_t ss1 = ci.ssthresh;
    printf("after RTO 1: cwnd %u ssthresh %u\n", ci.cwnd, ci.ssthresh);
    peer_advance_to_deadline(p, SYNACK_SEC(10)); /* second RTO of the same segment */
    peer_clear(p);
    CHECK(peer_info(p, &ci));
    printf("after RTO 2: cwnd %u ssthresh %u\n", ci.cwnd, ci.ssthresh);
    CHECK_EQ(ss1, 5 * 1460);
    CHECK_EQ(ci.ssthresh, ss1);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(second_rto_keeps_ssthresh);
    return test_report();
}
