/* syn_sent.c (state tests): SYN-SENT after connect(): every segment kind with an acceptable ACK
 * (OK: SND.UNA < SEG.ACK =< SND.NXT, or no ACK), an old one (OLD: SEG.ACK =< ISS) and one beyond
 * SND.NXT (OOW) per RFC 9293 3.10.7.3; the user calls; SYN retransmission and the 75 s limit. */
#include "peer.h"

static peer *syn_sent(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_syn_sent(p));
    return p;
}

/* RFC 9293 3.10.7.3 fourth + Figure 5 (rcv SYN,ACK / snd ACK): ESTABLISHED and
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; SND.WND from the SYN; the user learns it is connected. */
static void syn_sent_syn_ack_ok_established(void)
{
    /* CELL(SYN_SENT, SYN_ACK, OK) */
    /* TRANSITION(SYN_SENT, ESTABLISHED) */
    peer *p = syn_sent();
    p->wnd = 30000;
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    p->snd_nxt = p->iss + 1;
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->iss + 1);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.irs, p->iss);
    CHECK_EQ(ci.rcv_nxt, p->iss + 1);
    CHECK_EQ(ci.snd_una, p->stack_iss + 1);
    CHECK_EQ(ci.snd_wnd, 30000);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_REXMT], SYNACK_TIME_NEVER);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_CONN_EST], SYNACK_TIME_NEVER);
    CHECK(synack_poll_socket(p->st, p->sd) & SYNACK_POLLOUT);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_SENT, SYNACK_ESTABLISHED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>, discard, stay SYN-SENT
 * (Figure 8 line 4-5: the answer to the SYN-ACK of an old duplicate SYN). */
static void syn_sent_syn_ack_old_ack_rst(void)
{
    /* CELL(SYN_SENT, SYN_ACK, OLD) */
    peer *p = syn_sent();
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: SEG.ACK > SND.NXT: RST, stay; the real SYN-ACK still completes. */
static void syn_sent_syn_ack_oow_ack_rst(void)
{
    /* CELL(SYN_SENT, SYN_ACK, OOW) */
    peer *p = syn_sent();
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 2, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss + 2, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->iss + 1);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fourth: text on a SYN-ACK: "continue processing at the sixth step": the text
 * is queued and the ACK covers it (tests/regress/syn_data.c for FIN, window and simultaneous
 * open). */
static void syn_sent_syn_ack_with_data_queued(void)
{
    /* CELL(SYN_SENT, SYN_ACK, OK) */
    peer *p = syn_sent();
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, "early", 5);
    p->snd_nxt = p->iss + 6;
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->iss + 6);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 5);
    CHECK(memcmp(b, "early", 5) == 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fourth, no ACK: simultaneous open (Figure 7 line 3, Figure 5 rcv SYN /
 * snd SYN,ACK): SYN-RECEIVED and <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
static void syn_sent_syn_to_syn_received(void)
{
    /* CELL(SYN_SENT, SYN, OK) */
    /* TRANSITION(SYN_SENT, SYN_RECEIVED) */
    peer *p = syn_sent();
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    EXPECT_SEG(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.irs, p->iss);
    CHECK_EQ(ci.rcv_nxt, p->iss + 1);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_SENT, SYNACK_SYN_RECEIVED), 1);
    PEER_FINISH(p);
}

/* Policy: SYN+FIN is dropped at a listener and in SYN-SENT (cfg.drop_synfin, as FreeBSD). */
static void syn_sent_syn_fin_dropped(void)
{
    /* CELL(SYN_SENT, SYN, ANY) */
    peer *p = syn_sent();
    peer_send(p, F_SYN | F_FIN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fifth: acceptable ACK, neither SYN nor RST: drop, nothing sent. */
static void syn_sent_ack_ok_dropped(void)
{
    /* CELL(SYN_SENT, ACK, OK) */
    peer *p = syn_sent();
    peer_send(p, F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>. */
static void syn_sent_ack_old_rst(void)
{
    /* CELL(SYN_SENT, ACK, OLD) */
    peer *p = syn_sent();
    peer_send(p, F_ACK, p->iss, p->stack_iss - 10, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss - 10, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first and Figure 9 (half-open discovery): an ACK of something never sent
 * gets <SEQ=SEG.ACK><CTL=RST>; SYN-SENT goes on. */
static void syn_sent_ack_oow_rst(void)
{
    /* CELL(SYN_SENT, ACK, OOW) */
    peer *p = syn_sent();
    peer_send(p, F_ACK, p->iss, p->stack_iss + 1000, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss + 1000, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fifth, and 3.10.7.4 eighth: "Do not process the FIN if the state is ...
 * SYN-SENT": dropped. */
static void syn_sent_fin_dropped(void)
{
    /* CELL(SYN_SENT, FIN, ANY) */
    peer *p = syn_sent();
    peer_send(p, F_FIN, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fifth: acceptable ACK, FIN ignored. */
static void syn_sent_fin_ack_ok_dropped(void)
{
    /* CELL(SYN_SENT, FIN_ACK, OK) */
    peer *p = syn_sent();
    peer_send(p, F_FIN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: unacceptable ACK: RST. */
static void syn_sent_fin_ack_oow_rst(void)
{
    /* CELL(SYN_SENT, FIN_ACK, OOW) */
    /* CELL(SYN_SENT, FIN_ACK, OLD) */
    peer *p = syn_sent();
    peer_send(p, F_FIN | F_ACK, p->iss, p->stack_iss + 50, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss + 50, 0);
    peer_send(p, F_FIN | F_ACK, p->iss, p->stack_iss, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 second: a RST without ACK: "drop the segment and return". */
static void syn_sent_rst_no_ack_ignored(void)
{
    /* CELL(SYN_SENT, RST, ANY) */
    peer *p = syn_sent();
    peer_send(p, F_RST, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 second: RST with an acceptable ACK: the user is told, CLOSED, TCB deleted.
 * The RFC's "connection reset" is ECONNREFUSED in the socket API (the connect failed). */
static void syn_sent_rst_ack_ok_refused(void)
{
    /* CELL(SYN_SENT, RST_ACK, OK) */
    /* TRANSITION(SYN_SENT, CLOSED) */
    peer *p = syn_sent();
    peer_send(p, F_RST | F_ACK, 0, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNREFUSED);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNREFUSED);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_SENT, SYNACK_CLOSED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: unacceptable ACK with RST: "drop the segment and return" (no RST). */
static void syn_sent_rst_ack_bad_ack_ignored(void)
{
    /* CELL(SYN_SENT, RST_ACK, OOW) */
    /* CELL(SYN_SENT, RST_ACK, OLD) */
    peer *p = syn_sent();
    peer_send(p, F_RST | F_ACK, 0, p->stack_iss + 7, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_RST | F_ACK, 0, p->stack_iss, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 fifth: data with an acceptable ACK but no SYN: dropped. */
static void syn_sent_data_ok_dropped(void)
{
    /* CELL(SYN_SENT, DATA, OK) */
    peer *p = syn_sent();
    peer_send(p, F_ACK | F_PSH, p->iss + 1, p->stack_iss + 1, "data", 4);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.3 first: data with an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>. */
static void syn_sent_data_bad_ack_rst(void)
{
    /* CELL(SYN_SENT, DATA, OOW) */
    /* CELL(SYN_SENT, DATA, OLD) */
    peer *p = syn_sent();
    peer_send(p, F_ACK | F_PSH, p->iss + 1, p->stack_iss + 9, "data", 4);
    EXPECT_SEG(p, F_RST, p->stack_iss + 9, 0);
    peer_send(p, F_ACK | F_PSH, p->iss + 1, p->stack_iss - 1, "data", 4);
    EXPECT_SEG(p, F_RST, p->stack_iss - 1, 0);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.4 SYN-SENT: "Delete the TCB" (Figure 5: CLOSE / delete TCB); nothing is sent,
 * and a late SYN-ACK then meets CLOSED (3.10.7.1). */
static void syn_sent_close_deletes(void)
{
    /* CELL(SYN_SENT, CLOSE, ANY) */
    /* TRANSITION(SYN_SENT, CLOSED) */
    peer *p = syn_sent();
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_RST, p->stack_iss + 1, 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 SYN-SENT: "Delete the TCB, enter CLOSED state" — no RST (nothing to reset). */
static void syn_sent_abort_deletes(void)
{
    /* CELL(SYN_SENT, ABORT, ANY) */
    peer *p = syn_sent();
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 SYN-SENT: "Queue the data for transmission after entering ESTABLISHED";
 * 3.10.7.3: queued data MAY ride on the handshake's ACK. */
static void syn_sent_send_queued(void)
{
    /* CELL(SYN_SENT, SEND, ANY) */
    peer *p = syn_sent();
    CHECK_EQ(synack_send(p->st, p->sd, "hello", 5), 5);
    EXPECT_NONE(p);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    p->snd_nxt = p->iss + 1;
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_ACK | F_PSH);
        CHECK_EQ(p->seg[0].seq, p->stack_iss + 1);
        CHECK_EQ(p->seg[0].ack, p->iss + 1);
        CHECK_EQ(p->seg[0].len, 5);
        CHECK(memcmp(p->seg[0].data, "hello", 5) == 0);
    }
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 SYN-SENT: "Queue for processing after entering ESTABLISHED" — non-blocking:
 * -EAGAIN. */
static void syn_sent_recv_eagain(void)
{
    /* CELL(SYN_SENT, RECV, ANY) */
    peer *p = syn_sent();
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* shutdown (POSIX) before the connection exists: -ENOTCONN, the open goes on (user.c). */
static void syn_sent_shutdown_enotconn(void)
{
    /* CELL(SYN_SENT, SHUTDOWN, ANY) */
    peer *p = syn_sent();
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), -ENOTCONN);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 RETRANSMISSION TIMEOUT and RFC 6298 2.1/5.5: the SYN goes again after the
 * initial RTO of 1 s, and the timeout doubles each time: 1, 3, 7, 15, 31, 63 s. */
static void syn_sent_timer_rexmt_backoff(void)
{
    /* CELL(SYN_SENT, TIMER_REXMT, ANY) */
    peer *p = syn_sent();
    synack_time_us t0 = p->now;
    peer_advance(p, SYNACK_SEC(64));
    static const int at[] = {1, 3, 7, 15, 31, 63};
    CHECK_EQ(p->nseg, 6);
    for (size_t i = 0; i < p->nseg && i < 6; i++) {
        CHECK_EQ(p->seg[i].flags, F_SYN);
        CHECK_EQ(p->seg[i].seq, p->stack_iss);
        CHECK_EQ(p->seg[i].t - t0, SYNACK_SEC(at[i]));
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    PEER_FINISH(p);
}

/* Connection-establishment timer (75 s, BSD tradition; our default): CLOSED with ETIMEDOUT, no
 * segment at expiry. */
static void syn_sent_timer_conn_est_etimedout(void)
{
    /* CELL(SYN_SENT, TIMER_CONN_EST, ANY) */
    /* TRANSITION(SYN_SENT, CLOSED) */
    peer *p = syn_sent();
    peer_advance(p, SYNACK_SEC(75) - 1);
    EXPECT_STATE(p, SYNACK_SYN_SENT);
    peer_clear(p);
    peer_advance(p, 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), PEER_PORT};
    CHECK_EQ(synack_connect(p->st, p->sd, &ep), -ETIMEDOUT);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_conn_drop_timeout), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 USER TIMEOUT: the SYN unacknowledged for the user timeout: CLOSED, the user
 * gets ETIMEDOUT. The stack also sends a RST <SEQ=SND.NXT> (user timeout and keepalive share
 * it, so a half-open peer learns of the end). */
static void syn_sent_timer_user_timeout(void)
{
    /* CELL(SYN_SENT, TIMER_USER_TIMEOUT, ANY) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.user_timeout_us = SYNACK_SEC(5);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_syn_sent(p));
    peer_advance(p, SYNACK_SEC(5));
    CHECK_EQ(p->nseg, 3); /* SYN at 1 s and 3 s, then the RST */
    if (p->nseg == 3) {
        CHECK_EQ(p->seg[2].flags, F_RST);
        CHECK_EQ(p->seg[2].seq, p->stack_iss + 1);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(syn_sent_syn_ack_ok_established);
    RUN(syn_sent_syn_ack_old_ack_rst);
    RUN(syn_sent_syn_ack_oow_ack_rst);
    RUN(syn_sent_syn_ack_with_data_queued);
    RUN(syn_sent_syn_to_syn_received);
    RUN(syn_sent_syn_fin_dropped);
    RUN(syn_sent_ack_ok_dropped);
    RUN(syn_sent_ack_old_rst);
    RUN(syn_sent_ack_oow_rst);
    RUN(syn_sent_fin_dropped);
    RUN(syn_sent_fin_ack_ok_dropped);
    RUN(syn_sent_fin_ack_oow_rst);
    RUN(syn_sent_rst_no_ack_ignored);
    RUN(syn_sent_rst_ack_ok_refused);
    RUN(syn_sent_rst_ack_bad_ack_ignored);
    RUN(syn_sent_data_ok_dropped);
    RUN(syn_sent_data_bad_ack_rst);
    RUN(syn_sent_close_deletes);
    RUN(syn_sent_abort_deletes);
    RUN(syn_sent_send_queued);
    RUN(syn_sent_recv_eagain);
    RUN(syn_sent_shutdown_enotconn);
    RUN(syn_sent_timer_rexmt_backoff);
    RUN(syn_sent_timer_conn_est_etimedout);
    RUN(syn_sent_timer_user_timeout);
    return test_report();
}
