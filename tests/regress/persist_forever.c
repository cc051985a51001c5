/* persist_forever.c — regression test, the defect below is fixed: zero-window probing never gives up. on_persist() re-arms itself forever and
 * nothing counts unanswered probes, so a peer that advertises a zero window and then vanishes pins
 * the TCB and its buffers for ever, even after the application closed the socket (orphan). RFC 9293
 * 3.8.6.1 / RFC 1122 4.2.2.17 keep the connection open only "as long as the receiving TCP continues
 * to send acknowledgments in response to the probe segments"; R2 (3.8.3) must apply otherwise. */
#include "peer.h"

/* Lets a silent day pass, discarding what the stack sends. */
static void silent_day(peer *p)
{
    for (int i = 0; i < 24 * 60; i++) {
        peer_advance(p, SYNACK_SEC(60));
        peer_clear(p);
    }
}

static void vanished_zero_window_peer_orphan(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    peer_tx z = {F_ACK, p->snd_nxt, p->rcv_nxt, 0, NULL, 0, NULL, 0};
    peer_inject(p, &z); /* everything acknowledged, window 0 ... then the peer is gone */
    peer_clear(p);
    CHECK_EQ(synack_send(p->st, p->sd, "more", 4), 4);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    silent_day(p);
    printf("after a day: state %s, persist probes %llu, conns %u\n",
           synack_state_rfc_name(peer_state(p)),
           (unsigned long long)synack_counter(p->st, SYNACK_CNT_tcp_persist_probe), peer_conns(p));
    CHECK_EQ(peer_conns(p), 0);
    peer_free(p);
}

static void vanished_zero_window_peer_open_socket(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.user_timeout_us = SYNACK_SEC(30); /* even a user timeout does not end it */
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    peer_tx z = {F_ACK, p->snd_nxt, p->rcv_nxt, 0, NULL, 0, NULL, 0};
    peer_inject(p, &z);
    peer_clear(p);
    CHECK_EQ(synack_send(p->st, p->sd, "more", 4), 4);
    silent_day(p);
    int err = peer_last_error(p);
    printf("after a day: state %s, error %d\n", synack_state_rfc_name(peer_state(p)), err);
    CHECK_EQ(err, ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(vanished_zero_window_peer_orphan);
    RUN(vanished_zero_window_peer_open_socket);
    return test_report();
}
