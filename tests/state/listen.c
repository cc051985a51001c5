/* listen.c (state tests): LISTEN: every segment kind arriving at a listener (RFC 9293 3.10.7.2),
 * the user calls on a listening socket, and the transitions out of LISTEN (to SYN-RECEIVED on a
 * SYN, to CLOSED on CLOSE/ABORT, to SYN-SENT on an active OPEN). */
#include "peer.h"

/* A listener with nothing else: the segment must not create a connection. */
static void listen_no_child(peer *p)
{
    CHECK_EQ(peer_conns(p), 1);
    EXPECT_STATE(p, SYNACK_LISTEN);
    CHECK_EQ(synack_accept(p->st, p->lsd, NULL), -EAGAIN);
}

/* RFC 9293 3.10.7.2 first: "An incoming RST should be ignored." */
static void listen_rst_ignored(void)
{
    /* CELL(LISTEN, RST, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_RST, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 first: the RST check comes before the ACK check: no RST answers a RST. */
static void listen_rst_ack_ignored(void)
{
    /* CELL(LISTEN, RST_ACK, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_RST | F_ACK, p->iss, 1234, NULL, 0);
    EXPECT_NONE(p);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 second: "Any acknowledgment is bad": <SEQ=SEG.ACK><CTL=RST>. */
static void listen_ack_gets_rst(void)
{
    /* CELL(LISTEN, ACK, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_ACK, p->iss, 5555, NULL, 0);
    EXPECT_SEG(p, F_RST, 5555, 0);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 second: a SYN-ACK bears an ACK, checked before the SYN (Figure 11 line 3-4). */
static void listen_syn_ack_gets_rst(void)
{
    /* CELL(LISTEN, SYN_ACK, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN | F_ACK, p->iss, 8888, NULL, 0);
    EXPECT_SEG(p, F_RST, 8888, 0);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 fourth: neither RST, ACK nor SYN: "Drop the segment and return." */
static void listen_fin_dropped(void)
{
    /* CELL(LISTEN, FIN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_FIN, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 second: FIN+ACK bears an ACK: <SEQ=SEG.ACK><CTL=RST>. */
static void listen_fin_ack_gets_rst(void)
{
    /* CELL(LISTEN, FIN_ACK, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_FIN | F_ACK, p->iss, 31337, NULL, 0);
    EXPECT_SEG(p, F_RST, 31337, 0);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 second: data with an ACK gets <SEQ=SEG.ACK><CTL=RST>. */
static void listen_data_gets_rst(void)
{
    /* CELL(LISTEN, DATA, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_ACK | F_PSH, p->iss, 700, "hello", 5);
    EXPECT_SEG(p, F_RST, 700, 0);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 fourth: data without ACK or SYN is dropped silently. */
static void listen_data_no_ack_dropped(void)
{
    /* CELL(LISTEN, DATA, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_PSH, p->iss, 0, "hello", 5);
    EXPECT_NONE(p);
    listen_no_child(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 third and Figure 5 (rcv SYN / snd SYN,ACK):
 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ+1, SND.NXT = ISS+1, SND.UNA = ISS; the
 * listener itself stays in LISTEN. */
static void listen_syn_to_syn_received(void)
{
    /* CELL(LISTEN, SYN, ANY) */
    /* TRANSITION(LISTEN, SYN_RECEIVED) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    int lsd = p->lsd;
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_SYN | F_ACK);
        CHECK_EQ(p->seg[0].ack, p->iss + 1);
        CHECK_EQ(p->seg[0].sport, PEER_STACK_PORT);
        CHECK(p->seg[0].opts.has_mss);
        CHECK_EQ(p->seg[0].opts.mss, 1460);
        /* 3.7.1 / RFC 7323 / RFC 2018: answer only the options the SYN offered. */
        CHECK(!p->seg[0].opts.has_wscale);
        CHECK(!p->seg[0].opts.has_ts);
        CHECK(!p->seg[0].opts.sack_ok);
    }
    peer_clear(p);
    synack_conn_info ci[4];
    CHECK_EQ(synack_conn_list(p->st, ci, 4), 2);
    CHECK_EQ(ci[0].state, SYNACK_LISTEN);
    CHECK_EQ(ci[1].state, SYNACK_SYN_RECEIVED);
    CHECK_EQ(ci[1].irs, p->iss);
    CHECK_EQ(ci[1].rcv_nxt, p->iss + 1);
    CHECK_EQ(ci[1].snd_una, ci[1].iss);
    CHECK_EQ(ci[1].snd_nxt, ci[1].iss + 1);
    CHECK_EQ(synack_socket_state(p->st, lsd), SYNACK_LISTEN);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_LISTEN, SYNACK_SYN_RECEIVED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 third: text on a SYN "should be queued for processing later". Documented
 * implementation choice (input.c): data on a SYN is not acknowledged; the SYN-ACK acknowledges
 * the SYN only and the peer sends the data again once synchronized. */
static void listen_syn_with_data_acks_syn_only(void)
{
    /* CELL(LISTEN, SYN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN, p->iss, 0, "early", 5);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_SYN | F_ACK);
        CHECK_EQ(p->seg[0].ack, p->iss + 1);
    }
    peer_clear(p);
    CHECK_EQ(peer_conns(p), 2);
    PEER_FINISH(p);
}

/* Policy (cfg.drop_synfin): SYN+FIN at a listener is dropped and creates nothing. */
static void listen_syn_fin_dropped(void)
{
    /* CELL(LISTEN, SYN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN | F_FIN, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    listen_no_child(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_synfin), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.2 leaves resource exhaustion open; with SYN cookies off the stack drops a SYN
 * beyond the SYN queue (cfg.syn_queue_max half-open children) silently (the peer retransmits
 * it), as BSD and Linux do, and counts it. The listen backlog bounds the accept queue only. */
static void listen_syn_queue_full_drops_syn(void)
{
    /* CELL(LISTEN, SYN, ANY) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.syncookies = SYNACK_SYNCOOKIES_OFF;
    cfg.syn_queue_max = 1;
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    CHECK_EQ(peer_collect(p), 1);
    peer_clear(p);
    peer_tx tx = {F_SYN, 9000, 0, -1, NULL, 0, NULL, PEER_PORT + 1};
    peer_inject(p, &tx);
    EXPECT_NONE(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_listen_drop), 1);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_syncookie_sent), 0);
    CHECK_EQ(peer_conns(p), 2);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.4 LISTEN: "Delete TCB, enter CLOSED state" (Figure 5: CLOSE / delete TCB). */
static void listen_close_to_closed(void)
{
    /* CELL(LISTEN, CLOSE, ANY) */
    /* TRANSITION(LISTEN, CLOSED) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_close(p->st, p->lsd), 0);
    p->lsd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_LISTEN, SYNACK_CLOSED), 1);
    /* The port is free again: a SYN now meets CLOSED (3.10.7.1). */
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, 0, p->iss + 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 LISTEN: "Delete TCB, enter CLOSED state, and return." No segment. */
static void listen_abort_to_closed(void)
{
    /* CELL(LISTEN, ABORT, ANY) */
    /* TRANSITION(LISTEN, CLOSED) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_abort(p->st, p->lsd), 0);
    p->lsd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 LISTEN: without a remote socket, "error: remote socket unspecified"; the
 * socket API has no remote on send: -ENOTCONN, nothing sent, still LISTEN. */
static void listen_send_enotconn(void)
{
    /* CELL(LISTEN, SEND, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_send(p->st, p->lsd, "x", 1), -ENOTCONN);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LISTEN);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 LISTEN queues a RECEIVE until ESTABLISHED; in the socket model connections
 * come out of accept() as new sockets and a listening socket never carries data: -ENOTCONN. */
static void listen_recv_enotconn(void)
{
    /* CELL(LISTEN, RECV, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->lsd, b, sizeof b), -ENOTCONN);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LISTEN);
    PEER_FINISH(p);
}

/* shutdown (POSIX) on a listening socket: not connected, -ENOTCONN; the listener stays. */
static void listen_shutdown_enotconn(void)
{
    /* CELL(LISTEN, SHUTDOWN, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_shutdown(p->st, p->lsd, SYNACK_SHUT_RDWR), -ENOTCONN);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LISTEN);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.1 LISTEN: "If the OPEN call is active and the remote socket is specified, then
 * change the connection from passive to active, select an ISS. Send a SYN segment ... Enter
 * SYN-SENT state" (Figure 5: LISTEN --SEND / snd SYN--> SYN-SENT). connect() is the active OPEN. */
static void listen_active_open_to_syn_sent(void)
{
    /* TRANSITION(LISTEN, SYN_SENT) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), PEER_PORT};
    CHECK_EQ(synack_connect(p->st, p->lsd, &ep), -EINPROGRESS);
    CHECK_EQ(synack_socket_state(p->st, p->lsd), SYNACK_SYN_SENT);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) CHECK_EQ(p->seg[0].flags, F_SYN);
    peer_clear(p);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_LISTEN, SYNACK_SYN_SENT), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8: no timer runs in LISTEN (only connections have timers). */
static void listen_no_timers(void)
{
    /* CELL(LISTEN, TIMER_NONE, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    peer_advance(p, SYNACK_SEC(7200));
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LISTEN);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(listen_rst_ignored);
    RUN(listen_rst_ack_ignored);
    RUN(listen_ack_gets_rst);
    RUN(listen_syn_ack_gets_rst);
    RUN(listen_fin_dropped);
    RUN(listen_fin_ack_gets_rst);
    RUN(listen_data_gets_rst);
    RUN(listen_data_no_ack_dropped);
    RUN(listen_syn_to_syn_received);
    RUN(listen_syn_with_data_acks_syn_only);
    RUN(listen_syn_fin_dropped);
    RUN(listen_syn_queue_full_drops_syn);
    RUN(listen_close_to_closed);
    RUN(listen_abort_to_closed);
    RUN(listen_send_enotconn);
    RUN(listen_recv_enotconn);
    RUN(listen_shutdown_enotconn);
    RUN(listen_active_open_to_syn_sent);
    RUN(listen_no_timers);
    return test_report();
}
