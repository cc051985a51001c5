/* closed.c (state tests): CLOSED, the state without a TCB: what a segment for no connection gets
 * back (RFC 9293 3.10.7.1, 3.5.2 group 1), the user calls on a socket with no connection or a
 * reset one, and the two ways out (passive and active OPEN). */
#include "peer.h"

enum { ISN = 200000 };

/* A segment for a port nobody listens on, checked against the expected answer; returns the peer
 * for the test's PEER_FINISH. */
static peer *closed_reply(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint8_t rflags,
                          uint32_t rseq, uint32_t rack)
{
    peer *p = peer_new(NULL);
    peer_send(p, flags, seq, ack, NULL, len);
    if (rflags) EXPECT_SEG(p, rflags, rseq, rack);
    else EXPECT_NONE(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_no_conn), rflags ? 1 : (flags & F_RST) ? 1 : 0);
    CHECK_EQ(peer_conns(p), 0); /* nothing was created */
    return p;
}

/* RFC 9293 3.10.7.1: no ACK bit -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN counts 1. */
static void closed_syn_gets_rst_ack(void)
{
    /* CELL(CLOSED, SYN, ANY) */
    PEER_FINISH(closed_reply(F_SYN, ISN, 0, 0, F_RST | F_ACK, 0, ISN + 1));
}

/* RFC 9293 3.10.7.1: ACK bit on -> <SEQ=SEG.ACK><CTL=RST>. */
static void closed_syn_ack_gets_rst(void)
{
    /* CELL(CLOSED, SYN_ACK, ANY) */
    PEER_FINISH(closed_reply(F_SYN | F_ACK, ISN, 777, 0, F_RST, 777, 0));
}

/* RFC 9293 3.10.7.1: ACK bit on -> <SEQ=SEG.ACK><CTL=RST>. */
static void closed_ack_gets_rst(void)
{
    /* CELL(CLOSED, ACK, ANY) */
    PEER_FINISH(closed_reply(F_ACK, ISN, 4242, 0, F_RST, 4242, 0));
}

/* RFC 9293 3.10.7.1: a FIN without ACK counts one in SEG.LEN. */
static void closed_fin_gets_rst_ack(void)
{
    /* CELL(CLOSED, FIN, ANY) */
    PEER_FINISH(closed_reply(F_FIN, ISN, 0, 0, F_RST | F_ACK, 0, ISN + 1));
}

/* RFC 9293 3.10.7.1 */
static void closed_fin_ack_gets_rst(void)
{
    /* CELL(CLOSED, FIN_ACK, ANY) */
    PEER_FINISH(closed_reply(F_FIN | F_ACK, ISN, 99, 0, F_RST, 99, 0));
}

/* RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded." */
static void closed_rst_ignored(void)
{
    /* CELL(CLOSED, RST, ANY) */
    PEER_FINISH(closed_reply(F_RST, ISN, 0, 0, 0, 0, 0));
}

/* RFC 9293 3.10.7.1 */
static void closed_rst_ack_ignored(void)
{
    /* CELL(CLOSED, RST_ACK, ANY) */
    PEER_FINISH(closed_reply(F_RST | F_ACK, ISN, 55, 0, 0, 0, 0));
}

/* RFC 9293 3.10.7.1: data is discarded; the RST takes its SEQ from the ACK field (Figure 10). */
static void closed_data_gets_rst(void)
{
    /* CELL(CLOSED, DATA, ANY) */
    PEER_FINISH(closed_reply(F_ACK | F_PSH, ISN, 3000, 10, F_RST, 3000, 0));
}

/* RFC 9293 3.10.7.1: data without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
static void closed_data_no_ack_gets_rst_ack(void)
{
    /* CELL(CLOSED, DATA, ANY) */
    PEER_FINISH(closed_reply(F_PSH, ISN, 0, 10, F_RST | F_ACK, 0, ISN + 10));
}

/* RFC 9293 3.10.7.1 with a SYN carrying data: SEG.LEN = 1 + data. */
static void closed_syn_with_data_gets_rst_ack(void)
{
    /* CELL(CLOSED, SYN, ANY) */
    PEER_FINISH(closed_reply(F_SYN, ISN, 0, 20, F_RST | F_ACK, 0, ISN + 21));
}

/* SYN+FIN at a closed port: the RST of 3.10.7.1, SEG.LEN counting both controls. The drop_synfin
 * policy (default on) applies at a listener and in SYN-SENT only, as FreeBSD's does. */
static void closed_syn_fin_rst(void)
{
    /* CELL(CLOSED, SYN, ANY) */
    peer *p = peer_new(NULL);
    peer_send(p, F_SYN | F_FIN, ISN, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, 0, ISN + 2);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_synfin), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.1: a connection that was reset is CLOSED: its 4-tuple has no TCB any more, so
 * even though the application still holds the socket, segments get the CLOSED answer. */
static void closed_after_reset_segments_get_rst(void)
{
    /* CELL(CLOSED, ACK, ANY) */
    /* CELL(CLOSED, DATA, ANY) */
    /* CELL(CLOSED, SYN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    EXPECT_SEG(p, F_RST, p->rcv_nxt, 0);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt + 5, "abc", 3);
    EXPECT_SEG(p, F_RST, p->rcv_nxt + 5, 0);
    peer_send(p, F_SYN, p->iss + 5000, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, 0, p->iss + 5001);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 CLOSED: "error: connection does not exist" -> -ENOTCONN on a fresh socket. */
static void closed_send_fresh_enotconn(void)
{
    /* CELL(CLOSED, SEND, ANY) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    CHECK_EQ(synack_send(p->st, sd, "x", 1), -ENOTCONN);
    CHECK_EQ(synack_socket_state(p->st, sd), SYNACK_CLOSED);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 CLOSED: "error: connection does not exist". */
static void closed_recv_fresh_enotconn(void)
{
    /* CELL(CLOSED, RECV, ANY) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    char b[8];
    CHECK_EQ(synack_recv(p->st, sd, b, sizeof b), -ENOTCONN);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* shutdown (POSIX, not an RFC call) on a socket that never connected: -ENOTCONN. */
static void closed_shutdown_fresh_enotconn(void)
{
    /* CELL(CLOSED, SHUTDOWN, ANY) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    CHECK_EQ(synack_shutdown(p->st, sd, SYNACK_SHUT_WR), -ENOTCONN);
    CHECK_EQ(synack_shutdown(p->st, sd, SYNACK_SHUT_RDWR), -ENOTCONN);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.4 CLOSED: the connection does not exist; the socket layer releases the
 * descriptor (0), and any later call on it is -EBADF. Nothing goes on the wire. */
static void closed_close_fresh_releases(void)
{
    /* CELL(CLOSED, CLOSE, ANY) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    CHECK_EQ(synack_close(p->st, sd), 0);
    CHECK_EQ(synack_send(p->st, sd, "x", 1), -EBADF);
    CHECK_EQ(synack_close(p->st, sd), -EBADF);
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 CLOSED: no connection, nothing to reset: no segment; the descriptor goes. */
static void closed_abort_fresh_releases(void)
{
    /* CELL(CLOSED, ABORT, ANY) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    CHECK_EQ(synack_abort(p->st, sd), 0);
    CHECK_EQ(synack_abort(p->st, sd), -EBADF);
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 (RST in ESTABLISHED): "any outstanding RECEIVEs and SEND should receive
 * reset responses": the error is reported once (-ECONNRESET), then the stream reads as ended. */
static void closed_after_reset_recv_econnreset(void)
{
    /* CELL(CLOSED, RECV, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNRESET);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    CHECK(synack_poll_socket(p->st, p->sd) & SYNACK_POLLHUP);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 CLOSED after a reset: -ECONNRESET first, then -EPIPE (the connection is gone). */
static void closed_after_reset_send_error(void)
{
    /* CELL(CLOSED, SEND, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -ECONNRESET);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* SO_ERROR reports the reset once (RFC 9293 3.10.7.4 "unsolicited connection reset signal"). */
static void closed_after_reset_so_error(void)
{
    /* CELL(CLOSED, RECV, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    int e = 0;
    size_t len = sizeof e;
    CHECK_EQ(synack_getsockopt(p->st, p->sd, SYNACK_SO_ERROR, &e, &len), 0);
    CHECK_EQ(e, ECONNRESET);
    CHECK_EQ(synack_getsockopt(p->st, p->sd, SYNACK_SO_ERROR, &e, &len), 0);
    CHECK_EQ(e, 0);
    PEER_FINISH(p);
}

/* shutdown after a reset: there is no connection (-ENOTCONN), nothing is sent. */
static void closed_after_reset_shutdown(void)
{
    /* CELL(CLOSED, SHUTDOWN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), -ENOTCONN);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* CLOSE / ABORT of a socket whose connection was reset: the TCB goes, nothing is sent (there is
 * no connection to tell). */
static void closed_after_reset_close_and_abort(void)
{
    /* CELL(CLOSED, CLOSE, ANY) */
    /* CELL(CLOSED, ABORT, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);

    p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8: no timer runs for a connection that does not exist. */
static void closed_no_timers(void)
{
    /* CELL(CLOSED, TIMER_NONE, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_closed_by_reset(p));
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    peer_advance(p, SYNACK_SEC(3600));
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* Figure 5: CLOSED --passive OPEN / create TCB--> LISTEN. Nothing is sent. */
static void closed_passive_open_listen(void)
{
    /* TRANSITION(CLOSED, LISTEN) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    EXPECT_STATE(p, SYNACK_LISTEN);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_CLOSED, SYNACK_LISTEN), 1);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* Figure 5: CLOSED --active OPEN / snd SYN--> SYN-SENT; 3.10.1: <SEQ=ISS><CTL=SYN>. */
static void closed_active_open_syn_sent(void)
{
    /* TRANSITION(CLOSED, SYN_SENT) */
    peer *p = peer_new(NULL);
    int sd = synack_socket(p->st);
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), PEER_PORT};
    CHECK_EQ(synack_connect(p->st, sd, &ep), -EINPROGRESS);
    p->sd = sd;
    synack_conn_info ci;
    CHECK(synack_socket_info(p->st, sd, &ci));
    EXPECT_SEG(p, F_SYN, ci.iss, 0);
    CHECK_EQ(ci.snd_una, ci.iss);
    CHECK_EQ(ci.snd_nxt, ci.iss + 1);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_CLOSED, SYNACK_SYN_SENT), 1);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(closed_syn_gets_rst_ack);
    RUN(closed_syn_ack_gets_rst);
    RUN(closed_ack_gets_rst);
    RUN(closed_fin_gets_rst_ack);
    RUN(closed_fin_ack_gets_rst);
    RUN(closed_rst_ignored);
    RUN(closed_rst_ack_ignored);
    RUN(closed_data_gets_rst);
    RUN(closed_data_no_ack_gets_rst_ack);
    RUN(closed_syn_with_data_gets_rst_ack);
    RUN(closed_syn_fin_rst);
    RUN(closed_after_reset_segments_get_rst);
    RUN(closed_send_fresh_enotconn);
    RUN(closed_recv_fresh_enotconn);
    RUN(closed_shutdown_fresh_enotconn);
    RUN(closed_close_fresh_releases);
    RUN(closed_abort_fresh_releases);
    RUN(closed_after_reset_recv_econnreset);
    RUN(closed_after_reset_send_error);
    RUN(closed_after_reset_so_error);
    RUN(closed_after_reset_shutdown);
    RUN(closed_after_reset_close_and_abort);
    RUN(closed_no_timers);
    RUN(closed_passive_open_listen);
    RUN(closed_active_open_syn_sent);
    return test_report();
}
