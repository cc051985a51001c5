/* last_ack.c (state tests): LAST-ACK, the passive close: the peer's FIN received, ours sent and
 * not yet acknowledged, reached by close() in CLOSE-WAIT (orphaned) or shutdown(SHUT_WR): every
 * segment kind with acceptable, old and out-of-window sequence numbers (RFC 9293 3.10.7.4), the
 * user calls, the FIN's retransmission, R2 and the user timeout. */
#include "sync_checks.h"

#define FIN_SEQ(p) ((p)->rcv_nxt - 1) /* our FIN, once collected */

static peer *la(const synack_config *cfg, enum peer_how how)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_last_ack(p, how));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_LAST_ACK)

static peer *la_closed(const synack_config *cfg) { return la(cfg, PEER_BY_CLOSE); }
/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state la_sync = {
    .state = SYNACK_LAST_ACK,
    .enter = la_closed,
    .enter_open = NULL,
    .reset_error = 0,
    .reset_frees = true,
    .rst_off = 2,
    .syn_off = 0,
};

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter the
 * CLOSED state, and return" (Figure 5: rcv ACK of FIN); nothing is sent. */
static void la_ack_of_fin_closed(void)
{
    /* CELL(LAST_ACK, ACK, OK) */
    /* TRANSITION(LAST_ACK, CLOSED) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_LAST_ACK, SYNACK_CLOSED), 1);
    PEER_FINISH(p);

    p = la(NULL, PEER_BY_SHUTDOWN); /* the socket sees a clean end: no error, EOF */
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), 0);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: an ACK short of our FIN leaves LAST-ACK; one of unsent data gets an
 * ACK. */
static void la_ack_not_of_fin(void)
{
    /* CELL(LAST_ACK, ACK, OK) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt, FIN_SEQ(p), NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt + 1, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: old or out-of-window: ACK, drop (the ACK field is not used). */
static void la_ack_old_and_oow_acked(void)
{
    /* CELL(LAST_ACK, ACK, OLD) */
    /* CELL(LAST_ACK, ACK, OOW) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 first: the peer's FIN again: ACK, stay. */
static void la_fin_retransmitted_acked(void)
{
    /* CELL(LAST_ACK, FIN_ACK, OLD) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, FIN_SEQ(p), NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 eighth, LAST-ACK: "Remain in the LAST-ACK state"; acknowledged. */
static void la_fin_ack_in_window_stays(void)
{
    /* CELL(LAST_ACK, FIN_ACK, OK) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, FIN_SEQ(p), NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void la_fin_ack_oow_acked(void)
{
    /* CELL(LAST_ACK, FIN_ACK, OOW) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth (no ACK: drop) and first (out of window: ACK). */
static void la_fin_no_ack(void)
{
    /* CELL(LAST_ACK, FIN, OK) */
    /* CELL(LAST_ACK, FIN, OOW) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, LAST-ACK: "enter the CLOSED state, delete the TCB". The application
 * still holding the socket (after shutdown) reads ECONNRESET, as on Linux and FreeBSD
 * (tests/regress/rst_closing_error.c). */
static void la_rst_exact_closed(void)
{
    /* CELL(LAST_ACK, RST, OK) */
    /* TRANSITION(LAST_ACK, CLOSED) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK); RFC 793 (closes). */
static void la_rst_in_window(void)
{
    /* CELL(LAST_ACK, RST, OK) */
    sync_check_rst_in_window(&la_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1. */
static void la_rst_oow_and_old_dropped(void)
{
    /* CELL(LAST_ACK, RST, OOW) */
    /* CELL(LAST_ACK, RST, OLD) */
    sync_check_rst_oow_and_old(&la_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK as RST. */
static void la_rst_ack(void)
{
    /* CELL(LAST_ACK, RST_ACK, OK) */
    /* CELL(LAST_ACK, RST_ACK, OOW) */
    sync_check_rst_ack(&la_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth: RFC 5961 challenge ACK; RFC 793 reset. */
static void la_syn_in_window(void)
{
    /* CELL(LAST_ACK, SYN, OK) */
    /* CELL(LAST_ACK, SYN_ACK, OK) */
    sync_check_syn_in_window(&la_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void la_syn_oow_acked(void)
{
    /* CELL(LAST_ACK, SYN, OOW) */
    /* CELL(LAST_ACK, SYN_ACK, OOW) */
    sync_check_syn_oow(&la_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh, LAST-ACK: "Ignore the segment text". */
static void la_data_in_window_ignored(void)
{
    /* CELL(LAST_ACK, DATA, OK) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, FIN_SEQ(p), "ghost", 5);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void la_data_old_and_oow_acked(void)
{
    /* CELL(LAST_ACK, DATA, OLD) */
    /* CELL(LAST_ACK, DATA, OOW) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 5, p->rcv_nxt, "olds", 4);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "far", 3);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- user calls (after shutdown) ---- */

/* RFC 9293 3.10.4 LAST-ACK: "error: connection closing" — the descriptor goes (0), and no second
 * FIN is sent. */
static void la_close_no_second_fin(void)
{
    /* CELL(LAST_ACK, CLOSE, ANY) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    peer_send_ack(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 LAST-ACK: "Respond with ok and delete the TCB, enter CLOSED" — no RST. */
static void la_abort_no_rst(void)
{
    /* CELL(LAST_ACK, ABORT, ANY) */
    /* TRANSITION(LAST_ACK, CLOSED) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 LAST-ACK: "error: connection closing": -EPIPE. */
static void la_send_epipe(void)
{
    /* CELL(LAST_ACK, SEND, ANY) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 LAST-ACK: "error: connection closing": end of stream (0). */
static void la_recv_eof(void)
{
    /* CELL(LAST_ACK, RECV, ANY) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* shutdown in LAST-ACK: 0, nothing sent. */
static void la_shutdown_noop(void)
{
    /* CELL(LAST_ACK, SHUTDOWN, ANY) */
    peer *p = la(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RDWR), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* RFC 9293 3.10.8 / RFC 6298: the FIN is retransmitted with backoff. */
static void la_timer_rexmt_fin(void)
{
    /* CELL(LAST_ACK, TIMER_REXMT, ANY) */
    peer *p = la(NULL, PEER_BY_CLOSE);
    synack_time_us t0 = p->now, rto = peer_rto(p);
    CHECK(rto >= SYNACK_MS(200) && rto < SYNACK_MS(201)); /* SRTT ~0 + the 200 ms floor */
    peer_advance(p, 7 * rto);
    CHECK_EQ(p->nseg, 3);
    static const int backoff[] = {1, 3, 7}; /* RTO, then doubling (RFC 6298 5.5) */
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].flags, F_FIN | F_ACK);
        CHECK_EQ(p->seg[i].seq, FIN_SEQ(p));
        CHECK_EQ(p->seg[i].ack, p->snd_nxt);
        CHECK_EQ(p->seg[i].t - t0, backoff[i] * rto);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    PEER_FINISH(p);
}

/* RFC 9293 3.8.3 R2: never acknowledged: CLOSED, ETIMEDOUT to a socket still open. */
static void la_timer_r2(void)
{
    /* CELL(LAST_ACK, TIMER_REXMT, ANY) */
    /* TRANSITION(LAST_ACK, CLOSED) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.max_retransmits = 2;
    peer *p = la(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_SEC(30));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 USER TIMEOUT in LAST-ACK: CLOSED, ETIMEDOUT. */
static void la_timer_user_timeout(void)
{
    /* CELL(LAST_ACK, TIMER_USER_TIMEOUT, ANY) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.user_timeout_us = SYNACK_MS(500);
    peer *p = la(&cfg, PEER_BY_SHUTDOWN);
    peer_advance(p, SYNACK_MS(500));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(la_ack_of_fin_closed);
    RUN(la_ack_not_of_fin);
    RUN(la_ack_old_and_oow_acked);
    RUN(la_fin_retransmitted_acked);
    RUN(la_fin_ack_in_window_stays);
    RUN(la_fin_ack_oow_acked);
    RUN(la_fin_no_ack);
    RUN(la_rst_exact_closed);
    RUN(la_rst_in_window);
    RUN(la_rst_oow_and_old_dropped);
    RUN(la_rst_ack);
    RUN(la_syn_in_window);
    RUN(la_syn_oow_acked);
    RUN(la_data_in_window_ignored);
    RUN(la_data_old_and_oow_acked);
    RUN(la_close_no_second_fin);
    RUN(la_abort_no_rst);
    RUN(la_send_epipe);
    RUN(la_recv_eof);
    RUN(la_shutdown_noop);
    RUN(la_timer_rexmt_fin);
    RUN(la_timer_r2);
    RUN(la_timer_user_timeout);
    return test_report();
}
