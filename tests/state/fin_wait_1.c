/* fin_wait_1.c (state tests): FIN-WAIT-1, our FIN sent and not yet acknowledged, reached by
 * close() (orphaned connection) or shutdown(SHUT_WR) (the socket stays): every segment kind with
 * acceptable, old and out-of-window sequence numbers (RFC 9293 3.10.7.4), the user calls, the
 * FIN's retransmission, R2 and the user timeout. */
#include "sync_checks.h"

/* Our FIN's sequence number is p->rcv_nxt - 1 once it was collected. */
#define FIN_SEQ(p) ((p)->rcv_nxt - 1)

static peer *fw1(const synack_config *cfg, enum peer_how how)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_fin_wait_1(p, how));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_FIN_WAIT_1)

static peer *fw1_closed(const synack_config *cfg) { return fw1(cfg, PEER_BY_CLOSE); }
static peer *fw1_shut(const synack_config *cfg) { return fw1(cfg, PEER_BY_SHUTDOWN); }
/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state fw1_sync = {
    .state = SYNACK_FIN_WAIT_1,
    .enter = fw1_closed,
    .enter_open = fw1_shut,
    .reset_error = ECONNRESET,
    .reset_frees = false,
    .rst_off = 7,
    .syn_off = 0,
};

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter
 * FIN-WAIT-2" (Figure 5: rcv ACK of FIN); nothing sent. After close() the FIN-WAIT-2 reaper is
 * armed (10 min); after shutdown() it is not (the application may still read). */
static void fw1_ack_of_fin_to_fin_wait_2(void)
{
    /* CELL(FIN_WAIT_1, ACK, OK) */
    /* TRANSITION(FIN_WAIT_1, FIN_WAIT_2) */
    for (int how = 0; how < 2; how++) {
        peer *p = fw1(NULL, (enum peer_how)how);
        peer_send_ack(p);
        EXPECT_NONE(p);
        EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
        synack_time_us reaper = peer_deadline(p, SYNACK_TIMER_FIN_WAIT_2);
        if (how == PEER_BY_CLOSE) CHECK_EQ(reaper, p->now + SYNACK_SEC(600));
        else CHECK_EQ(reaper, SYNACK_TIME_NEVER);
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_REXMT), SYNACK_TIME_NEVER);
        CHECK_EQ(synack_transition_count(p->st, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2), 1);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 fifth: an ACK that does not cover the FIN (here: of the data before it) leaves
 * FIN-WAIT-1. */
static void fw1_ack_not_of_fin_stays(void)
{
    /* CELL(FIN_WAIT_1, ACK, OK) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    CHECK_EQ(synack_send(p->st, p->sd, "data", 4), 4);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1); /* sends are built when output is taken: the data and the FIN together */
    peer_clear(p);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt - 1, NULL, 0); /* the data, not the FIN */
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt - 1, NULL, 0); /* duplicate */
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: an ACK of something not yet sent: ACK, drop, stay. */
static void fw1_ack_unsent_acked(void)
{
    /* CELL(FIN_WAIT_1, ACK, OK) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt + 5, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: old sequence number: ACK, drop (the ACK of our FIN is not taken). */
static void fw1_ack_old_seq_acked(void)
{
    /* CELL(FIN_WAIT_1, ACK, OLD) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw1_ack_oow_acked(void)
{
    /* CELL(FIN_WAIT_1, ACK, OOW) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 eighth, FIN-WAIT-1, our FIN not acknowledged: CLOSING (Figure 5: rcv FIN /
 * snd ACK; Figure 13 simultaneous close), <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void fw1_fin_crossing_to_closing(void)
{
    /* CELL(FIN_WAIT_1, FIN_ACK, OK) */
    /* TRANSITION(FIN_WAIT_1, CLOSING) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, FIN_SEQ(p), NULL, 0);
    p->snd_nxt++;
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSING);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_FIN_WAIT_1, SYNACK_CLOSING), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 eighth and note 2: a FIN that also acknowledges our FIN: TIME-WAIT, the 2MSL
 * timer started (60 s), the other timers off; <SEQ=SND.NXT><ACK=RCV.NXT>. The core passes
 * through FIN-WAIT-2 within the segment (fifth step: "enter FIN-WAIT-2 and continue processing
 * in that state"). */
static void fw1_fin_acking_ours_to_time_wait(void)
{
    /* CELL(FIN_WAIT_1, FIN_ACK, OK) */
    /* TRANSITION(FIN_WAIT_1, TIME_WAIT) */
    for (int how = 0; how < 2; how++) {
        peer *p = fw1(NULL, (enum peer_how)how);
        peer_send_fin(p);
        EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
        EXPECT_STATE(p, SYNACK_TIME_WAIT);
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_REXMT), SYNACK_TIME_NEVER);
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_FIN_WAIT_2), SYNACK_TIME_NEVER);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 fifth: FIN without ACK is dropped. */
static void fw1_fin_no_ack_dropped(void)
{
    /* CELL(FIN_WAIT_1, FIN, OK) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw1_fin_oow_acked(void)
{
    /* CELL(FIN_WAIT_1, FIN, OOW) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: an old FIN: ACK, stay. */
static void fw1_fin_ack_old_acked(void)
{
    /* CELL(FIN_WAIT_1, FIN_ACK, OLD) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw1_fin_ack_oow_acked(void)
{
    /* CELL(FIN_WAIT_1, FIN_ACK, OOW) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, FIN-WAIT-1: RST at RCV.NXT: reset responses, CLOSED, TCB deleted. */
static void fw1_rst_exact_closed(void)
{
    /* CELL(FIN_WAIT_1, RST, OK) */
    /* TRANSITION(FIN_WAIT_1, CLOSED) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNRESET);
    PEER_FINISH(p);

    p = fw1(NULL, PEER_BY_CLOSE); /* orphaned: the TCB simply goes */
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK) and RFC 793 (reset) for an in-window RST. */
static void fw1_rst_in_window(void)
{
    /* CELL(FIN_WAIT_1, RST, OK) */
    sync_check_rst_in_window(&fw1_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1: dropped silently. */
static void fw1_rst_oow_and_old_dropped(void)
{
    /* CELL(FIN_WAIT_1, RST, OOW) */
    /* CELL(FIN_WAIT_1, RST, OLD) */
    sync_check_rst_oow_and_old(&fw1_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK behaves as RST. */
static void fw1_rst_ack(void)
{
    /* CELL(FIN_WAIT_1, RST_ACK, OK) */
    /* CELL(FIN_WAIT_1, RST_ACK, OOW) */
    sync_check_rst_ack(&fw1_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth / RFC 5961 4.2: challenge ACK; RFC 793: reset. */
static void fw1_syn_in_window(void)
{
    /* CELL(FIN_WAIT_1, SYN, OK) */
    /* CELL(FIN_WAIT_1, SYN_ACK, OK) */
    sync_check_syn_in_window(&fw1_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void fw1_syn_oow_acked(void)
{
    /* CELL(FIN_WAIT_1, SYN, OOW) */
    /* CELL(FIN_WAIT_1, SYN_ACK, OOW) */
    sync_check_syn_oow(&fw1_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh, FIN-WAIT-1 (after shutdown): the text is delivered and acknowledged
 * (delayed ACK, 40 ms). */
static void fw1_data_ok_after_shutdown(void)
{
    /* CELL(FIN_WAIT_1, DATA, OK) */
    /* CELL(FIN_WAIT_1, TIMER_DELACK, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, FIN_SEQ(p), "late", 4); /* our FIN not yet acked */
    p->snd_nxt += 4;
    EXPECT_NONE(p);
    peer_advance(p, SYNACK_MS(40));
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* Documented choice (input.c, as Linux; RFC 2525 2.17): data for a connection the application
 * closed cannot be delivered: RST <SEQ=SND.NXT> and CLOSED. */
static void fw1_data_after_close_rst(void)
{
    /* CELL(FIN_WAIT_1, DATA, OK) */
    /* TRANSITION(FIN_WAIT_1, CLOSED) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, FIN_SEQ(p), "late", 4);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: old data: ACK, drop. */
static void fw1_data_old_acked(void)
{
    /* CELL(FIN_WAIT_1, DATA, OLD) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 4, p->rcv_nxt, "old!", 4);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data beyond the window: ACK, drop. */
static void fw1_data_oow_acked(void)
{
    /* CELL(FIN_WAIT_1, DATA, OOW) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "far", 3);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- user calls (after shutdown, so the socket is still there) ---- */

/* RFC 9293 3.10.4 FIN-WAIT-1: "An ok response would be acceptable ... as long as a second FIN is
 * not emitted": close() returns 0, nothing is sent, the connection continues orphaned. */
static void fw1_close_no_second_fin(void)
{
    /* CELL(FIN_WAIT_1, CLOSE, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_send_ack(p); /* now the reaper arms on entering FIN-WAIT-2 */
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_FIN_WAIT_2), p->now + SYNACK_SEC(600));
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 FIN-WAIT-1: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>", CLOSED. */
static void fw1_abort_rst(void)
{
    /* CELL(FIN_WAIT_1, ABORT, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 FIN-WAIT-1: "Return error: connection closing" — -EPIPE; nothing sent. */
static void fw1_send_epipe(void)
{
    /* CELL(FIN_WAIT_1, SEND, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 FIN-WAIT-1: receiving goes on: -EAGAIN, then the data. */
static void fw1_recv(void)
{
    /* CELL(FIN_WAIT_1, RECV, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, FIN_SEQ(p), "abc", 3);
    p->snd_nxt += 3;
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 3);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_clear(p);
    PEER_FINISH(p);
}

/* shutdown again: 0, no second FIN (3.10.4: the first FIN may only be retransmitted). */
static void fw1_shutdown_again(void)
{
    /* CELL(FIN_WAIT_1, SHUTDOWN, ANY) */
    peer *p = fw1(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RDWR), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* RFC 9293 3.10.8 / RFC 6298 5.5: the FIN is retransmitted with backoff. */
static void fw1_timer_rexmt_fin(void)
{
    /* CELL(FIN_WAIT_1, TIMER_REXMT, ANY) */
    peer *p = fw1(NULL, PEER_BY_CLOSE);
    synack_time_us t0 = p->now, rto = peer_rto(p);
    CHECK(rto >= SYNACK_MS(200) && rto < SYNACK_MS(201)); /* SRTT ~0 + the 200 ms floor */
    peer_advance(p, 7 * rto);
    CHECK_EQ(p->nseg, 3);
    static const int backoff[] = {1, 3, 7}; /* RTO, then doubling (RFC 6298 5.5) */
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].flags, F_FIN | F_ACK);
        CHECK_EQ(p->seg[i].seq, FIN_SEQ(p));
        CHECK_EQ(p->seg[i].t - t0, backoff[i] * rto);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* RFC 9293 3.8.3 R2: the FIN never acknowledged: CLOSED, ETIMEDOUT to a socket still open. */
static void fw1_timer_r2_etimedout(void)
{
    /* CELL(FIN_WAIT_1, TIMER_REXMT, ANY) */
    /* TRANSITION(FIN_WAIT_1, CLOSED) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.max_retransmits = 2;
    peer *p = fw1(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_SEC(30));
    CHECK_EQ(p->nseg, 2);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 USER TIMEOUT: the FIN unacknowledged for the user timeout: CLOSED, ETIMEDOUT
 * (and the stack's RST). */
static void fw1_timer_user_timeout(void)
{
    /* CELL(FIN_WAIT_1, TIMER_USER_TIMEOUT, ANY) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.user_timeout_us = SYNACK_MS(500);
    peer *p = fw1(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_MS(500));
    peer_collect(p);
    CHECK_EQ(p->nseg, 2); /* the FIN again at 200 ms, then the RST */
    if (p->nseg == 2) CHECK_EQ(p->seg[1].flags, F_RST | F_ACK);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(fw1_ack_of_fin_to_fin_wait_2);
    RUN(fw1_ack_not_of_fin_stays);
    RUN(fw1_ack_unsent_acked);
    RUN(fw1_ack_old_seq_acked);
    RUN(fw1_ack_oow_acked);
    RUN(fw1_fin_crossing_to_closing);
    RUN(fw1_fin_acking_ours_to_time_wait);
    RUN(fw1_fin_no_ack_dropped);
    RUN(fw1_fin_oow_acked);
    RUN(fw1_fin_ack_old_acked);
    RUN(fw1_fin_ack_oow_acked);
    RUN(fw1_rst_exact_closed);
    RUN(fw1_rst_in_window);
    RUN(fw1_rst_oow_and_old_dropped);
    RUN(fw1_rst_ack);
    RUN(fw1_syn_in_window);
    RUN(fw1_syn_oow_acked);
    RUN(fw1_data_ok_after_shutdown);
    RUN(fw1_data_after_close_rst);
    RUN(fw1_data_old_acked);
    RUN(fw1_data_oow_acked);
    RUN(fw1_close_no_second_fin);
    RUN(fw1_abort_rst);
    RUN(fw1_send_epipe);
    RUN(fw1_recv);
    RUN(fw1_shutdown_again);
    RUN(fw1_timer_rexmt_fin);
    RUN(fw1_timer_r2_etimedout);
    RUN(fw1_timer_user_timeout);
    return test_report();
}
