/* fin_wait_2.c (state tests): FIN-WAIT-2, our FIN acknowledged, waiting for the peer's, reached
 * by close() (orphaned: the 10-minute reaper runs) or shutdown(SHUT_WR) (no reaper): every segment
 * kind with acceptable, old and out-of-window sequence numbers (RFC 9293 3.10.7.4), the user calls
 * and the FIN-WAIT-2 timer. */
#include "sync_checks.h"

static peer *fw2(const synack_config *cfg, enum peer_how how)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_fin_wait_2(p, how));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_FIN_WAIT_2)

static peer *fw2_closed(const synack_config *cfg) { return fw2(cfg, PEER_BY_CLOSE); }
static peer *fw2_shut(const synack_config *cfg) { return fw2(cfg, PEER_BY_SHUTDOWN); }
/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state fw2_sync = {
    .state = SYNACK_FIN_WAIT_2,
    .enter = fw2_closed,
    .enter_open = fw2_shut,
    .reset_error = ECONNRESET,
    .reset_frees = false,
    .rst_off = 9,
    .syn_off = 1,
};

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 eighth, FIN-WAIT-2 (Figure 5: rcv FIN / snd ACK): TIME-WAIT, the time-wait
 * timer started (2*MSL = 60 s), the other timers (the reaper) off. */
static void fw2_fin_ack_to_time_wait(void)
{
    /* CELL(FIN_WAIT_2, FIN_ACK, OK) */
    /* TRANSITION(FIN_WAIT_2, TIME_WAIT) */
    for (int how = 0; how < 2; how++) {
        peer *p = fw2(NULL, (enum peer_how)how);
        peer_send_fin(p);
        EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
        EXPECT_STATE(p, SYNACK_TIME_WAIT);
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
        CHECK_EQ(peer_deadline(p, SYNACK_TIMER_FIN_WAIT_2), SYNACK_TIME_NEVER);
        CHECK_EQ(synack_transition_count(p->st, SYNACK_FIN_WAIT_2, SYNACK_TIME_WAIT), 1);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 seventh then eighth: the last data and the FIN together. */
static void fw2_fin_ack_with_data(void)
{
    /* CELL(FIN_WAIT_2, FIN_ACK, OK) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_FIN | F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "last", 4);
    p->snd_nxt += 5;
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: FIN without ACK is dropped. */
static void fw2_fin_no_ack_dropped(void)
{
    /* CELL(FIN_WAIT_2, FIN, OK) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw2_fin_oow_acked(void)
{
    /* CELL(FIN_WAIT_2, FIN, OOW) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: an old FIN: ACK, stay. */
static void fw2_fin_ack_old_acked(void)
{
    /* CELL(FIN_WAIT_2, FIN_ACK, OLD) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw2_fin_ack_oow_acked(void)
{
    /* CELL(FIN_WAIT_2, FIN_ACK, OOW) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, FIN-WAIT-2: ESTABLISHED processing; nothing to answer. */
static void fw2_ack_ok_nothing(void)
{
    /* CELL(FIN_WAIT_2, ACK, OK) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt + 3, NULL, 0); /* acks the unsent: ACK, drop */
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw2_ack_old_and_oow_acked(void)
{
    /* CELL(FIN_WAIT_2, ACK, OLD) */
    /* CELL(FIN_WAIT_2, ACK, OOW) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, FIN-WAIT-2: reset responses, CLOSED, TCB deleted. */
static void fw2_rst_exact_closed(void)
{
    /* CELL(FIN_WAIT_2, RST, OK) */
    /* TRANSITION(FIN_WAIT_2, CLOSED) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNRESET);
    PEER_FINISH(p);

    p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK); RFC 793 (any in-window RST resets). */
static void fw2_rst_in_window(void)
{
    /* CELL(FIN_WAIT_2, RST, OK) */
    sync_check_rst_in_window(&fw2_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1. */
static void fw2_rst_oow_and_old_dropped(void)
{
    /* CELL(FIN_WAIT_2, RST, OOW) */
    /* CELL(FIN_WAIT_2, RST, OLD) */
    sync_check_rst_oow_and_old(&fw2_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK as RST. */
static void fw2_rst_ack(void)
{
    /* CELL(FIN_WAIT_2, RST_ACK, OK) */
    /* CELL(FIN_WAIT_2, RST_ACK, OOW) */
    sync_check_rst_ack(&fw2_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth: RFC 5961 challenge ACK; RFC 793 reset. */
static void fw2_syn_in_window(void)
{
    /* CELL(FIN_WAIT_2, SYN, OK) */
    /* CELL(FIN_WAIT_2, SYN_ACK, OK) */
    sync_check_syn_in_window(&fw2_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void fw2_syn_oow_acked(void)
{
    /* CELL(FIN_WAIT_2, SYN, OOW) */
    /* CELL(FIN_WAIT_2, SYN_ACK, OOW) */
    sync_check_syn_oow(&fw2_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh, FIN-WAIT-2 (after shutdown): delivered, ACK delayed 40 ms. */
static void fw2_data_ok_after_shutdown(void)
{
    /* CELL(FIN_WAIT_2, DATA, OK) */
    /* CELL(FIN_WAIT_2, TIMER_DELACK, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    peer_send_data(p, "more", 4);
    EXPECT_NONE(p);
    peer_advance(p, SYNACK_MS(40));
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

/* Documented choice (input.c, as Linux; RFC 2525 2.17): data after close(): RST, CLOSED. */
static void fw2_data_after_close_rst(void)
{
    /* CELL(FIN_WAIT_2, DATA, OK) */
    /* TRANSITION(FIN_WAIT_2, CLOSED) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "late", 4);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void fw2_data_old_and_oow_acked(void)
{
    /* CELL(FIN_WAIT_2, DATA, OLD) */
    /* CELL(FIN_WAIT_2, DATA, OOW) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 2, p->rcv_nxt, "ol", 2);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "far", 3);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* ---- user calls (after shutdown) ---- */

/* RFC 9293 3.10.4 FIN-WAIT-2: "ok" without a second FIN. Closing the socket makes the connection
 * an orphan, and the FIN-WAIT-2 reaper (10 min) starts now. */
static void fw2_close_arms_reaper(void)
{
    /* CELL(FIN_WAIT_2, CLOSE, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_FIN_WAIT_2), p->now + SYNACK_SEC(600));
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 FIN-WAIT-2: <SEQ=SND.NXT><CTL=RST>, CLOSED. */
static void fw2_abort_rst(void)
{
    /* CELL(FIN_WAIT_2, ABORT, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 FIN-WAIT-2: "error: connection closing": -EPIPE. */
static void fw2_send_epipe(void)
{
    /* CELL(FIN_WAIT_2, SEND, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 FIN-WAIT-2: receiving continues. */
static void fw2_recv(void)
{
    /* CELL(FIN_WAIT_2, RECV, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    peer_send_data(p, "xyz", 3);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 3);
    peer_clear(p);
    PEER_FINISH(p);
}

/* shutdown again in FIN-WAIT-2: 0, nothing sent. */
static void fw2_shutdown_again(void)
{
    /* CELL(FIN_WAIT_2, SHUTDOWN, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RDWR), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* FIN-WAIT-2 timer (10 min, BSD tradition; our default): an orphaned connection whose peer never
 * sends its FIN is reaped; documented choice (timer.c): silently, no RST. */
static void fw2_timer_reaper_after_close(void)
{
    /* CELL(FIN_WAIT_2, TIMER_FIN_WAIT_2, ANY) */
    /* TRANSITION(FIN_WAIT_2, CLOSED) */
    peer *p = fw2(NULL, PEER_BY_CLOSE);
    peer_advance(p, SYNACK_SEC(600) - 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    peer_advance(p, 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_FIN_WAIT_2, SYNACK_CLOSED), 1);
    /* The 4-tuple is free: a late segment meets CLOSED. */
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    EXPECT_SEG(p, F_RST, p->rcv_nxt, 0);
    PEER_FINISH(p);
}

/* While the application can still read (shutdown, not close) the reaper does not run (BSD). */
static void fw2_timer_no_reaper_while_open(void)
{
    /* CELL(FIN_WAIT_2, TIMER_FIN_WAIT_2, ANY) */
    peer *p = fw2(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    peer_advance(p, SYNACK_SEC(3600));
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_2);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(fw2_fin_ack_to_time_wait);
    RUN(fw2_fin_ack_with_data);
    RUN(fw2_fin_no_ack_dropped);
    RUN(fw2_fin_oow_acked);
    RUN(fw2_fin_ack_old_acked);
    RUN(fw2_fin_ack_oow_acked);
    RUN(fw2_ack_ok_nothing);
    RUN(fw2_ack_old_and_oow_acked);
    RUN(fw2_rst_exact_closed);
    RUN(fw2_rst_in_window);
    RUN(fw2_rst_oow_and_old_dropped);
    RUN(fw2_rst_ack);
    RUN(fw2_syn_in_window);
    RUN(fw2_syn_oow_acked);
    RUN(fw2_data_ok_after_shutdown);
    RUN(fw2_data_after_close_rst);
    RUN(fw2_data_old_and_oow_acked);
    RUN(fw2_close_arms_reaper);
    RUN(fw2_abort_rst);
    RUN(fw2_send_epipe);
    RUN(fw2_recv);
    RUN(fw2_shutdown_again);
    RUN(fw2_timer_reaper_after_close);
    RUN(fw2_timer_no_reaper_while_open);
    return test_report();
}
