/* rst_closing_error.c — regression test, the defect below is fixed: a RST in LAST-ACK (or CLOSING)
 * closed the connection with no error for an application still holding the socket (after
 * shutdown(SHUT_WR)); it read 0 as if the close had completed. Linux (tcp_reset) and FreeBSD
 * (tcp_input: so_error = ECONNRESET for CLOSING and LAST-ACK) both report ECONNRESET: the peer
 * never acknowledged our FIN, so the user should receive "connection reset" (RFC 9293 3.10.7.4). */
#include "peer.h"

static void check_reset_error(peer *p, int state)
{
    EXPECT_STATE(p, state);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    int ev = peer_last_error(p);
    char b[8];
    long r = synack_recv(p->st, p->sd, b, sizeof b);
    printf("%s + RST: error event %d, recv %ld (ECONNRESET = %d)\n", synack_state_rfc_name(state), ev, r,
           ECONNRESET);
    CHECK_EQ(ev, ECONNRESET);
    CHECK_EQ(r, -ECONNRESET);
    PEER_FINISH(p);
}

static void last_ack_rst_econnreset(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_last_ack(p, PEER_BY_SHUTDOWN));
    check_reset_error(p, SYNACK_LAST_ACK);
}

static void closing_rst_econnreset(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_closing(p, PEER_BY_SHUTDOWN));
    check_reset_error(p, SYNACK_CLOSING);
}

/* RFC 793 mode: an in-window RST in LAST-ACK resets too, with the same error. */
static void last_ack_rst_in_window_rfc793(void)
{
    synack_config cfg = peer_config_rfc793();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_last_ack(p, PEER_BY_SHUTDOWN));
    peer_send(p, F_RST, p->snd_nxt + 2, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(last_ack_rst_econnreset);
    RUN(closing_rst_econnreset);
    RUN(last_ack_rst_in_window_rfc793);
    return test_report();
}
