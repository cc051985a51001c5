/* closing.c (state tests): CLOSING, the simultaneous close (RFC 9293 Figure 13): both FINs sent
 * and received, ours not yet acknowledged: every segment kind with acceptable, old and
 * out-of-window sequence numbers (3.10.7.4), the user calls, and the FIN's retransmission. */
#include "sync_checks.h"

#define FIN_SEQ(p) ((p)->rcv_nxt - 1) /* our FIN, once collected */

static peer *closing(const synack_config *cfg, enum peer_how how)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_closing(p, how));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_CLOSING)

static peer *closing_closed(const synack_config *cfg) { return closing(cfg, PEER_BY_CLOSE); }
/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state closing_sync = {
    .state = SYNACK_CLOSING,
    .enter = closing_closed,
    .enter_open = NULL,
    .reset_error = 0,
    .reset_frees = true,
    .rst_off = 3,
    .syn_off = 0,
};

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then enter the TIME-WAIT
 * state" (Figure 5: rcv ACK of FIN); the time-wait timer starts (60 s); nothing is sent. */
static void closing_ack_of_fin_to_time_wait(void)
{
    /* CELL(CLOSING, ACK, OK) */
    /* TRANSITION(CLOSING, TIME_WAIT) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_REXMT), SYNACK_TIME_NEVER);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_CLOSING, SYNACK_TIME_WAIT), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth, CLOSING: "otherwise, ignore the segment" (a duplicate ACK); an ACK of
 * something not sent gets an ACK (ESTABLISHED processing). */
static void closing_ack_not_of_fin(void)
{
    /* CELL(CLOSING, ACK, OK) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt, FIN_SEQ(p), NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt + 4, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: an unacceptable segment is ACKed and dropped — its ACK field, even one
 * covering our FIN, is not used. */
static void closing_ack_old_and_oow_acked(void)
{
    /* CELL(CLOSING, ACK, OLD) */
    /* CELL(CLOSING, ACK, OOW) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt - 2, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 first: the peer's FIN again (below RCV.NXT): ACK it, stay in CLOSING. */
static void closing_fin_retransmitted_acked(void)
{
    /* CELL(CLOSING, FIN_ACK, OLD) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, FIN_SEQ(p), NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth, CLOSING: a FIN+ACK in sequence not acknowledging our FIN is ignored
 * ("otherwise, ignore the segment"): nothing sent, CLOSING stays. */
static void closing_fin_ack_in_window_ignored(void)
{
    /* CELL(CLOSING, FIN_ACK, OK) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, FIN_SEQ(p), NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void closing_fin_ack_oow_acked(void)
{
    /* CELL(CLOSING, FIN_ACK, OOW) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth (no ACK: drop) and first (out of window: ACK). */
static void closing_fin_no_ack(void)
{
    /* CELL(CLOSING, FIN, OK) */
    /* CELL(CLOSING, FIN, OOW) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, CLOSING: "enter the CLOSED state, delete the TCB, and return". Our
 * FIN was never acknowledged: an application still holding the socket reads ECONNRESET, as on
 * Linux and FreeBSD (tests/regress/rst_closing_error.c). */
static void closing_rst_exact_closed(void)
{
    /* CELL(CLOSING, RST, OK) */
    /* TRANSITION(CLOSING, CLOSED) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNRESET);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0); /* the error is reported once */
    CHECK_EQ(synack_transition_count(p->st, SYNACK_CLOSING, SYNACK_CLOSED), 1);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK); RFC 793 (in-window RST closes). */
static void closing_rst_in_window(void)
{
    /* CELL(CLOSING, RST, OK) */
    sync_check_rst_in_window(&closing_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1. */
static void closing_rst_oow_and_old_dropped(void)
{
    /* CELL(CLOSING, RST, OOW) */
    /* CELL(CLOSING, RST, OLD) */
    sync_check_rst_oow_and_old(&closing_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK as RST. */
static void closing_rst_ack(void)
{
    /* CELL(CLOSING, RST_ACK, OK) */
    /* CELL(CLOSING, RST_ACK, OOW) */
    sync_check_rst_ack(&closing_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth: RFC 5961 challenge ACK; RFC 793 reset. */
static void closing_syn_in_window(void)
{
    /* CELL(CLOSING, SYN, OK) */
    /* CELL(CLOSING, SYN_ACK, OK) */
    sync_check_syn_in_window(&closing_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void closing_syn_oow_acked(void)
{
    /* CELL(CLOSING, SYN, OOW) */
    /* CELL(CLOSING, SYN_ACK, OOW) */
    sync_check_syn_oow(&closing_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 fifth/seventh, CLOSING: text after the peer's FIN is ignored (and the segment
 * is ignored when its ACK does not cover our FIN). */
static void closing_data_in_window_ignored(void)
{
    /* CELL(CLOSING, DATA, OK) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, FIN_SEQ(p), "ghost", 5);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void closing_data_old_and_oow_acked(void)
{
    /* CELL(CLOSING, DATA, OLD) */
    /* CELL(CLOSING, DATA, OOW) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 5, p->rcv_nxt, "olds", 4);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "far", 3);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- user calls (after shutdown) ---- */

/* RFC 9293 3.10.4 CLOSING: "error: connection closing" — the descriptor is released (0) and no
 * second FIN is sent; the connection finishes on its own. */
static void closing_close_no_second_fin(void)
{
    /* CELL(CLOSING, CLOSE, ANY) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 CLOSING: "Respond with ok and delete the TCB, enter CLOSED" — no RST. */
static void closing_abort_no_rst(void)
{
    /* CELL(CLOSING, ABORT, ANY) */
    /* TRANSITION(CLOSING, CLOSED) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 CLOSING: "error: connection closing": -EPIPE. */
static void closing_send_epipe(void)
{
    /* CELL(CLOSING, SEND, ANY) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 CLOSING: "error: connection closing": end of stream (0). */
static void closing_recv_eof(void)
{
    /* CELL(CLOSING, RECV, ANY) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* shutdown in CLOSING: both directions are already closed: 0, nothing sent. */
static void closing_shutdown_noop(void)
{
    /* CELL(CLOSING, SHUTDOWN, ANY) */
    peer *p = closing(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RDWR), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* RFC 9293 3.10.8 / RFC 6298: our FIN is retransmitted with backoff while CLOSING. */
static void closing_timer_rexmt_fin(void)
{
    /* CELL(CLOSING, TIMER_REXMT, ANY) */
    peer *p = closing(NULL, PEER_BY_CLOSE);
    synack_time_us t0 = p->now, rto = peer_rto(p);
    peer_advance(p, 3 * rto);
    CHECK_EQ(p->nseg, 2);
    for (size_t i = 0; i < p->nseg && i < 2; i++) {
        CHECK_EQ(p->seg[i].flags, F_FIN | F_ACK);
        CHECK_EQ(p->seg[i].seq, FIN_SEQ(p));
        CHECK_EQ(p->seg[i].ack, p->snd_nxt);
    }
    if (p->nseg == 2) CHECK_EQ(p->seg[1].t - t0, 3 * rto);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSING);
    PEER_FINISH(p);
}

/* RFC 9293 3.8.3 R2: the FIN never acknowledged: CLOSED, ETIMEDOUT to a socket still open. */
static void closing_timer_r2(void)
{
    /* CELL(CLOSING, TIMER_REXMT, ANY) */
    /* TRANSITION(CLOSING, CLOSED) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.max_retransmits = 2;
    peer *p = closing(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_SEC(30));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* Simultaneous close with timestamps and SACK negotiated: the same CLOSING -> TIME-WAIT path,
 * every segment carrying TS (RFC 7323 3.2). */
static void closing_ts_sack_variant(void)
{
    /* CELL(CLOSING, ACK, OK) */
    /* TRANSITION(CLOSING, TIME_WAIT) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.timestamps = true;
    cfg.sack = true;
    peer *p = closing(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_MS(100));
    peer_collect(p);
    for (size_t i = 0; i < p->nseg; i++) CHECK(p->seg[i].opts.has_ts);
    peer_clear(p);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(closing_ack_of_fin_to_time_wait);
    RUN(closing_ack_not_of_fin);
    RUN(closing_ack_old_and_oow_acked);
    RUN(closing_fin_retransmitted_acked);
    RUN(closing_fin_ack_in_window_ignored);
    RUN(closing_fin_ack_oow_acked);
    RUN(closing_fin_no_ack);
    RUN(closing_rst_exact_closed);
    RUN(closing_rst_in_window);
    RUN(closing_rst_oow_and_old_dropped);
    RUN(closing_rst_ack);
    RUN(closing_syn_in_window);
    RUN(closing_syn_oow_acked);
    RUN(closing_data_in_window_ignored);
    RUN(closing_data_old_and_oow_acked);
    RUN(closing_close_no_second_fin);
    RUN(closing_abort_no_rst);
    RUN(closing_send_epipe);
    RUN(closing_recv_eof);
    RUN(closing_shutdown_noop);
    RUN(closing_timer_rexmt_fin);
    RUN(closing_timer_r2);
    RUN(closing_ts_sack_variant);
    return test_report();
}
