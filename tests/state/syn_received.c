/* syn_received.c (state tests): SYN-RECEIVED reached passively (a SYN to a listener; the
 * connection has no socket until accept) and actively (simultaneous open from SYN-SENT): every
 * segment kind with acceptable, old and out-of-window sequence numbers (RFC 9293 3.10.7.4), the
 * user calls (active case), SYN-ACK retransmission and the establishment limit. */
#include "peer.h"

static peer *passive(const synack_config *cfg)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_syn_received_passive(p));
    return p;
}

static peer *active(const synack_config *cfg)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_syn_received_active(p));
    return p;
}

/* The passive child is gone and the listener is untouched (note 1: back to LISTEN). */
static void back_in_listen(peer *p)
{
    EXPECT_STATE(p, SYNACK_CLOSED); /* the child's TCB no longer exists */
    CHECK_EQ(synack_socket_state(p->st, p->lsd), SYNACK_LISTEN);
    CHECK_EQ(peer_conns(p), 1);
    CHECK_EQ(synack_accept(p->st, p->lsd, NULL), -EAGAIN);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_LISTEN), 1);
}

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT: ESTABLISHED (Figure 5:
 * rcv ACK of SYN); nothing is sent; the connection is then ready for accept. */
static void srcvd_ack_ok_established(void)
{
    /* CELL(SYN_RECEIVED, ACK, OK) */
    /* TRANSITION(SYN_RECEIVED, ESTABLISHED) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    int sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(sd >= 0);
    p->sd = sd;
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, p->stack_iss + 1);
    CHECK_EQ(ci.snd_wnd, p->wnd);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_REXMT], SYNACK_TIME_NEVER);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_CONN_EST], SYNACK_TIME_NEVER);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_ESTABLISHED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>, and
 * (3.5.2 group 2) the connection remains in the same state. */
static void srcvd_ack_bad_ack_rst(void)
{
    /* CELL(SYN_RECEIVED, ACK, OK) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss, NULL, 0); /* = SND.UNA: acks nothing */
    EXPECT_SEG(p, F_RST, p->stack_iss, 0);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 2, NULL, 0); /* > SND.NXT */
    EXPECT_SEG(p, F_RST, p->stack_iss + 2, 0);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: SEG.SEQ < RCV.NXT (zero length): not acceptable:
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop, even with a good ACK field. */
static void srcvd_ack_old_seq_acked(void)
{
    /* CELL(SYN_RECEIVED, ACK, OLD) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: beyond the window: ACK and drop. */
static void srcvd_ack_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, ACK, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK, peer_oow(p), p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* ---- SYN / SYN-ACK ---- */

/* A retransmitted SYN (SEG.SEQ = IRS, below RCV.NXT). RFC 9293 3.10.7.4 first would answer with
 * a bare ACK; documented implementation choice (input.c, as Linux): the SYN-ACK was evidently
 * lost, so the SYN-ACK <SEQ=ISS><ACK=RCV.NXT> is sent again. */
static void srcvd_syn_retransmit_resends_syn_ack(void)
{
    /* CELL(SYN_RECEIVED, SYN, OLD) */
    peer *p = passive(NULL);
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    EXPECT_SEG(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fourth, SYN-RECEIVED after a passive OPEN: a SYN in the window returns the
 * connection to LISTEN (the listener stays; the child goes), nothing sent. Same with RFC 5961 on
 * or off: 5961's challenge ACK is for the synchronized states. */
static void srcvd_syn_in_window_back_to_listen(void)
{
    /* CELL(SYN_RECEIVED, SYN, OK) */
    /* TRANSITION(SYN_RECEIVED, LISTEN) */
    for (int rfc5961 = 0; rfc5961 < 2; rfc5961++) {
        synack_config cfg;
        peer_config(&cfg);
        cfg.rfc5961 = rfc5961;
        peer *p = passive(&cfg);
        peer_send(p, F_SYN, p->snd_nxt + 5, 0, NULL, 0);
        EXPECT_NONE(p);
        back_in_listen(p);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 first: a SYN beyond the window is unacceptable: ACK and drop. */
static void srcvd_syn_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, SYN, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_SYN, peer_oow(p), 0, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fourth comes before fifth: a SYN-ACK in the window of a passive
 * SYN-RECEIVED returns it to LISTEN even though its ACK field is good. */
static void srcvd_syn_ack_in_window_back_to_listen(void)
{
    /* CELL(SYN_RECEIVED, SYN_ACK, OK) */
    /* TRANSITION(SYN_RECEIVED, LISTEN) */
    peer *p = passive(NULL);
    peer_send(p, F_SYN | F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    back_in_listen(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: SYN-ACK beyond the window: ACK and drop. */
static void srcvd_syn_ack_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, SYN_ACK, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_SYN | F_ACK, peer_oow(p), p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return". */
static void srcvd_fin_no_ack_dropped(void)
{
    /* CELL(SYN_RECEIVED, FIN, OK) */
    peer *p = passive(NULL);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: FIN beyond the window: ACK and drop. */
static void srcvd_fin_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, FIN, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth (ACK of SYN: ESTABLISHED) then eighth (FIN in SYN-RECEIVED /
 * ESTABLISHED: CLOSE-WAIT), ACK of the FIN <SEQ=SND.NXT><ACK=RCV.NXT>. The core takes this as
 * SYN-RECEIVED -> ESTABLISHED -> CLOSE-WAIT within the one segment, as the fifth step says. */
static void srcvd_fin_ack_ok_close_wait(void)
{
    /* CELL(SYN_RECEIVED, FIN_ACK, OK) */
    /* TRANSITION(SYN_RECEIVED, CLOSE_WAIT) */
    peer *p = passive(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    p->snd_nxt++;
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    int sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(sd >= 0);
    p->sd = sd;
    char b[4];
    CHECK_EQ(synack_recv(p->st, sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: a FIN below RCV.NXT is old: ACK and drop. */
static void srcvd_fin_ack_old_acked(void)
{
    /* CELL(SYN_RECEIVED, FIN_ACK, OLD) */
    peer *p = passive(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void srcvd_fin_ack_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, FIN_ACK, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->stack_iss + 1, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, SYN-RECEIVED after passive OPEN: RST at RCV.NXT returns it to LISTEN;
 * "The user need not be informed"; nothing is sent (Figure 11 line 4, note 1). */
static void srcvd_rst_exact_back_to_listen(void)
{
    /* CELL(SYN_RECEIVED, RST, OK) */
    /* TRANSITION(SYN_RECEIVED, LISTEN) */
    peer *p = passive(NULL);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    back_in_listen(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 second, RFC 5961 check 3: in the window but not RCV.NXT: challenge ACK
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop. */
static void srcvd_rst_in_window_challenge_ack(void)
{
    /* CELL(SYN_RECEIVED, RST, OK) */
    peer *p = passive(NULL);
    peer_send(p, F_RST, p->snd_nxt + 100, 0, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.5.3 / RFC 793 (cfg.rfc5961 = false): any RST in the window is valid: LISTEN. */
static void srcvd_rst_in_window_rfc793_back_to_listen(void)
{
    /* CELL(SYN_RECEIVED, RST, OK) */
    /* TRANSITION(SYN_RECEIVED, LISTEN) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.rfc5961 = false;
    peer *p = passive(&cfg);
    peer_send(p, F_RST, p->snd_nxt + 100, 0, NULL, 0);
    EXPECT_NONE(p);
    back_in_listen(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first ("unless the RST bit is set, if so drop") and RFC 5961 check 1: a RST
 * outside the window (beyond it, or old) is dropped silently. */
static void srcvd_rst_oow_and_old_dropped(void)
{
    /* CELL(SYN_RECEIVED, RST, OOW) */
    /* CELL(SYN_RECEIVED, RST, OLD) */
    peer *p = passive(NULL);
    peer_send(p, F_RST, peer_oow(p), 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_RST, p->snd_nxt - 1, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 second: the ACK bit of a RST changes nothing (RST is checked first). */
static void srcvd_rst_ack_exact_back_to_listen(void)
{
    /* CELL(SYN_RECEIVED, RST_ACK, OK) */
    peer *p = passive(NULL);
    peer_send(p, F_RST | F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    back_in_listen(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: out-of-window RST+ACK dropped. */
static void srcvd_rst_ack_oow_dropped(void)
{
    /* CELL(SYN_RECEIVED, RST_ACK, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_RST | F_ACK, peer_oow(p), p->stack_iss + 1, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 fifth (ESTABLISHED) then seventh: the text is taken and acknowledged; the
 * ACK is delayed (RFC 1122 4.2.3.2, 40 ms default) and the data waits for accept + recv. */
static void srcvd_data_ok_delivered(void)
{
    /* CELL(SYN_RECEIVED, DATA, OK) */
    peer *p = passive(NULL);
    peer_send_data(p, "hello", 5);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    peer_advance(p, SYNACK_MS(40));
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    int sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(sd >= 0);
    p->sd = sd;
    char b[8];
    CHECK_EQ(synack_recv(p->st, sd, b, sizeof b), 5);
    CHECK(memcmp(b, "hello", 5) == 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: text without the ACK bit is dropped with the segment. */
static void srcvd_data_no_ack_dropped(void)
{
    /* CELL(SYN_RECEIVED, DATA, OK) */
    peer *p = passive(NULL);
    peer_send(p, F_PSH, p->snd_nxt, 0, "hello", 5);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data entirely below RCV.NXT: ACK and drop. */
static void srcvd_data_old_acked(void)
{
    /* CELL(SYN_RECEIVED, DATA, OLD) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 5, p->stack_iss + 1, "12345", 4);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data beyond the window: ACK and drop. */
static void srcvd_data_oow_acked(void)
{
    /* CELL(SYN_RECEIVED, DATA, OOW) */
    peer *p = passive(NULL);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->stack_iss + 1, "12345", 5);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* ---- timers (passive) ---- */

/* RFC 9293 3.10.8 / RFC 6298 5.5: the SYN-ACK is retransmitted with a doubling timeout. */
static void srcvd_timer_rexmt_syn_ack(void)
{
    /* CELL(SYN_RECEIVED, TIMER_REXMT, ANY) */
    peer *p = passive(NULL);
    synack_time_us t0 = p->now;
    peer_advance(p, SYNACK_SEC(8));
    static const int at[] = {1, 3, 7};
    CHECK_EQ(p->nseg, 3);
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].flags, F_SYN | F_ACK);
        CHECK_EQ(p->seg[i].seq, p->stack_iss);
        CHECK_EQ(p->seg[i].ack, p->iss + 1);
        CHECK_EQ(p->seg[i].t - t0, SYNACK_SEC(at[i]));
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);
}

/* Connection-establishment timer (75 s): the embryonic connection is dropped silently; the
 * listener stays, and the slot it held in the backlog is free again for the next SYN. */
static void srcvd_timer_conn_est_drops_child(void)
{
    /* CELL(SYN_RECEIVED, TIMER_CONN_EST, ANY) */
    /* TRANSITION(SYN_RECEIVED, CLOSED) */
    peer *p = passive(NULL);
    CHECK_EQ(synack_listen(p->st, p->lsd, 1), 0); /* backlog of one: the child fills it */
    peer_advance(p, SYNACK_SEC(75) - 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    peer_clear(p);
    peer_advance(p, 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 1);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_CLOSED), 1);
    /* A new attempt must be served: the dropped child no longer counts against the backlog. */
    peer_send(p, F_SYN, p->iss + 1000, 0, NULL, 0);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) CHECK_EQ(p->seg[0].flags, F_SYN | F_ACK);
    peer_clear(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_listen_drop), 0);
    PEER_FINISH(p);
}

/* Documented implementation choice (user.c, as Linux): closing the listener aborts its embryonic
 * connections with a RST <SEQ=SND.NXT> (RST,ACK once a SYN was received). */
static void srcvd_listener_close_resets_child(void)
{
    /* CELL(SYN_RECEIVED, CLOSE, ANY) */
    /* TRANSITION(SYN_RECEIVED, CLOSED) */
    peer *p = passive(NULL);
    CHECK_EQ(synack_close(p->st, p->lsd), 0);
    p->lsd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* ---- active SYN-RECEIVED (simultaneous open) ---- */

/* RFC 9293 Figure 7 line 6: in SYN-RECEIVED after a simultaneous open, the peer's SYN-ACK
 * <SEQ=IRS><ACK=ISS+1><CTL=SYN,ACK> completes the handshake: ESTABLISHED, with no RST. */
static void srcvd_active_syn_ack_figure7_established(void)
{
    /* CELL(SYN_RECEIVED, SYN_ACK, OLD) */
    /* TRANSITION(SYN_RECEIVED, ESTABLISHED) */
    peer *p = active(NULL);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    peer_collect(p);
    for (size_t i = 0; i < p->nseg; i++) CHECK(!(p->seg[i].flags & F_RST));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: the ACK of our SYN-ACK: ESTABLISHED, and the socket is connected. */
static void srcvd_active_ack_established(void)
{
    /* CELL(SYN_RECEIVED, ACK, OK) */
    /* TRANSITION(SYN_RECEIVED, ESTABLISHED) */
    peer *p = active(NULL);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    CHECK(synack_poll_socket(p->st, p->sd) & SYNACK_POLLOUT);
    synack_event ev;
    bool connected = false;
    while (synack_event_next(p->st, &ev)) connected |= ev.type == SYNACK_EV_CONNECTED;
    CHECK(connected);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 second, SYN-RECEIVED after an active OPEN: "the connection was refused;
 * signal the user connection refused ... enter the CLOSED state and delete the TCB". */
static void srcvd_active_rst_refused(void)
{
    /* CELL(SYN_RECEIVED, RST, OK) */
    /* TRANSITION(SYN_RECEIVED, CLOSED) */
    peer *p = active(NULL);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNREFUSED);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNREFUSED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fourth, active SYN-RECEIVED is handled as the synchronized states: RFC 5961
 * challenge ACK for a SYN in the window (rfc5961 on); RFC 793 reset (off): RST, CLOSED, reset. */
static void srcvd_active_syn_in_window(void)
{
    /* CELL(SYN_RECEIVED, SYN, OK) */
    peer *p = active(NULL);
    peer_send(p, F_SYN, p->snd_nxt + 10, 0, NULL, 0);
    EXPECT_SEG(p, F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    PEER_FINISH(p);

    synack_config cfg;
    peer_config(&cfg);
    cfg.rfc5961 = false;
    p = active(&cfg);
    peer_send(p, F_SYN, p->snd_nxt + 10, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.4 SYN-RECEIVED: "If no SENDs have been issued and there is no pending data to
 * send, then form a FIN segment and send it, and enter FIN-WAIT-1 state" (Figure 5: CLOSE /
 * snd FIN). Then the peer's ACKs take it on to FIN-WAIT-2. */
static void srcvd_active_close_fin_wait_1(void)
{
    /* CELL(SYN_RECEIVED, CLOSE, ANY) */
    /* TRANSITION(SYN_RECEIVED, FIN_WAIT_1) */
    peer *p = active(NULL);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    EXPECT_SEG(p, F_FIN | F_ACK, p->stack_iss + 1, p->snd_nxt);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_FIN_WAIT_1), 1);
    /* The peer acknowledges the SYN, then the FIN: FIN-WAIT-2. */
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    peer_clear(p);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 2, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

/* shutdown(SHUT_WR) in SYN-RECEIVED is CLOSE for the sending side: FIN-WAIT-1; the FIN follows
 * the SYN (at the latest once the SYN is acknowledged), and the socket can still receive. */
static void srcvd_active_shutdown_fin_wait_1(void)
{
    /* CELL(SYN_RECEIVED, SHUTDOWN, ANY) */
    /* TRANSITION(SYN_RECEIVED, FIN_WAIT_1) */
    peer *p = active(NULL);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->stack_iss + 1, "hi", 2);
    p->snd_nxt += 2;
    peer_collect(p);
    bool fin = false;
    for (size_t i = 0; i < p->nseg; i++)
        fin |= (p->seg[i].flags & F_FIN) && p->seg[i].seq == p->stack_iss + 1;
    CHECK(fin);
    peer_clear(p);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 2);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    PEER_FINISH(p);
}

/* The connection-establishment timer bounds the handshake only. After shutdown(SHUT_WR) in
 * SYN-RECEIVED the handshake completes (RFC 9293 3.10.7.4 fifth: the ACK of our SYN synchronizes
 * the connection) and the half-closed connection keeps receiving: 75 s after connect() it must
 * not be dropped with ETIMEDOUT. */
static void srcvd_active_shutdown_then_synchronized_outlives_conn_est(void)
{
    /* CELL(SYN_RECEIVED, SHUTDOWN, ANY) */
    /* CELL(SYN_RECEIVED, TIMER_CONN_EST, ANY) */
    peer *p = active(NULL);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0); /* ACK of the SYN */
    peer_clear(p);
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 2, NULL, 0); /* ACK of the FIN */
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    peer_advance(p, SYNACK_SEC(80));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    CHECK_EQ(peer_last_error(p), 0);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->stack_iss + 2, "still", 5);
    p->snd_nxt += 5;
    peer_clear(p);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 5);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 SYN-RECEIVED: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>", CLOSED. The
 * stack adds the ACK bit once synchronized (output.c, as Linux). */
static void srcvd_active_abort_rst(void)
{
    /* CELL(SYN_RECEIVED, ABORT, ANY) */
    /* TRANSITION(SYN_RECEIVED, CLOSED) */
    peer *p = active(NULL);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->stack_iss + 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 SYN-RECEIVED: "Queue the data for transmission after entering ESTABLISHED". */
static void srcvd_active_send_queued(void)
{
    /* CELL(SYN_RECEIVED, SEND, ANY) */
    peer *p = active(NULL);
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    EXPECT_NONE(p);
    peer_send_ack(p);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_ACK | F_PSH);
        CHECK_EQ(p->seg[0].seq, p->stack_iss + 1);
        CHECK_EQ(p->seg[0].len, 3);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 SYN-RECEIVED: queue the RECEIVE: -EAGAIN (non-blocking). */
static void srcvd_active_recv_eagain(void)
{
    /* CELL(SYN_RECEIVED, RECV, ANY) */
    peer *p = active(NULL);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 / RFC 6298: the SYN-ACK of a simultaneous open is retransmitted (1 s, 2 s). */
static void srcvd_active_timer_rexmt(void)
{
    /* CELL(SYN_RECEIVED, TIMER_REXMT, ANY) */
    peer *p = active(NULL);
    synack_time_us t0 = p->now;
    peer_advance(p, SYNACK_SEC(3));
    CHECK_EQ(p->nseg, 2);
    for (size_t i = 0; i < p->nseg && i < 2; i++) {
        CHECK_EQ(p->seg[i].flags, F_SYN | F_ACK);
        CHECK_EQ(p->seg[i].seq, p->stack_iss);
        CHECK_EQ(p->seg[i].ack, p->iss + 1);
    }
    if (p->nseg == 2) {
        CHECK_EQ(p->seg[0].t - t0, SYNACK_SEC(1));
        CHECK_EQ(p->seg[1].t - t0, SYNACK_SEC(3));
    }
    peer_clear(p);
    PEER_FINISH(p);
}

/* Connection-establishment timer (75 s from connect): CLOSED, ETIMEDOUT, nothing sent at expiry. */
static void srcvd_active_timer_conn_est(void)
{
    /* CELL(SYN_RECEIVED, TIMER_CONN_EST, ANY) */
    /* TRANSITION(SYN_RECEIVED, CLOSED) */
    peer *p = active(NULL);
    peer_advance(p, SYNACK_SEC(75) - 1);
    EXPECT_STATE(p, SYNACK_SYN_RECEIVED);
    peer_clear(p);
    peer_advance(p, 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(srcvd_ack_ok_established);
    RUN(srcvd_ack_bad_ack_rst);
    RUN(srcvd_ack_old_seq_acked);
    RUN(srcvd_ack_oow_acked);
    RUN(srcvd_syn_retransmit_resends_syn_ack);
    RUN(srcvd_syn_in_window_back_to_listen);
    RUN(srcvd_syn_oow_acked);
    RUN(srcvd_syn_ack_in_window_back_to_listen);
    RUN(srcvd_syn_ack_oow_acked);
    RUN(srcvd_fin_no_ack_dropped);
    RUN(srcvd_fin_oow_acked);
    RUN(srcvd_fin_ack_ok_close_wait);
    RUN(srcvd_fin_ack_old_acked);
    RUN(srcvd_fin_ack_oow_acked);
    RUN(srcvd_rst_exact_back_to_listen);
    RUN(srcvd_rst_in_window_challenge_ack);
    RUN(srcvd_rst_in_window_rfc793_back_to_listen);
    RUN(srcvd_rst_oow_and_old_dropped);
    RUN(srcvd_rst_ack_exact_back_to_listen);
    RUN(srcvd_rst_ack_oow_dropped);
    RUN(srcvd_data_ok_delivered);
    RUN(srcvd_data_no_ack_dropped);
    RUN(srcvd_data_old_acked);
    RUN(srcvd_data_oow_acked);
    RUN(srcvd_timer_rexmt_syn_ack);
    RUN(srcvd_timer_conn_est_drops_child);
    RUN(srcvd_listener_close_resets_child);
    RUN(srcvd_active_syn_ack_figure7_established);
    RUN(srcvd_active_ack_established);
    RUN(srcvd_active_rst_refused);
    RUN(srcvd_active_syn_in_window);
    RUN(srcvd_active_close_fin_wait_1);
    RUN(srcvd_active_shutdown_fin_wait_1);
    RUN(srcvd_active_shutdown_then_synchronized_outlives_conn_est);
    RUN(srcvd_active_abort_rst);
    RUN(srcvd_active_send_queued);
    RUN(srcvd_active_recv_eagain);
    RUN(srcvd_active_timer_rexmt);
    RUN(srcvd_active_timer_conn_est);
    return test_report();
}
