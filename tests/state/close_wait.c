/* close_wait.c (state tests): CLOSE-WAIT, the peer's FIN received and the application not yet
 * closed: every segment kind with acceptable, old and out-of-window sequence numbers (RFC 9293
 * 3.10.7.4), the user calls (CLOSE -> LAST-ACK), and the timers that still run: retransmission,
 * keepalive and the user timeout. */
#include "sync_checks.h"

static peer *cw(const synack_config *cfg)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_close_wait(p));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_CLOSE_WAIT)

/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state cw_sync = {
    .state = SYNACK_CLOSE_WAIT,
    .enter = cw,
    .enter_open = NULL,
    .reset_error = ECONNRESET,
    .reset_frees = false,
    .rst_off = 4,
    .syn_off = 0,
};

/* ---- user calls ---- */

/* RFC 9293 3.10.4 CLOSE-WAIT and Figure 5 (CLOSE / snd FIN): LAST-ACK with
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>. */
static void cw_close_to_last_ack(void)
{
    /* CELL(CLOSE_WAIT, CLOSE, ANY) */
    /* TRANSITION(CLOSE_WAIT, LAST_ACK) */
    peer *p = cw(NULL);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_FIN | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_CLOSE_WAIT, SYNACK_LAST_ACK), 1);
    PEER_FINISH(p);
}

/* Documented choice (user.c, RFC 2525 2.17): close() with unread data aborts with a RST. */
static void cw_close_unread_data_rst(void)
{
    /* CELL(CLOSE_WAIT, CLOSE, ANY) */
    /* TRANSITION(CLOSE_WAIT, CLOSED) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    peer_send(p, F_FIN | F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "unread", 6);
    p->snd_nxt += 7;
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* shutdown(SHUT_WR) in CLOSE-WAIT is the CLOSE of 3.10.4: FIN, LAST-ACK; the socket remains. */
static void cw_shutdown_to_last_ack(void)
{
    /* CELL(CLOSE_WAIT, SHUTDOWN, ANY) */
    /* TRANSITION(CLOSE_WAIT, LAST_ACK) */
    peer *p = cw(NULL);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(p, F_FIN | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_LAST_ACK);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 CLOSE-WAIT: <SEQ=SND.NXT><CTL=RST> (with ACK), CLOSED, TCB deleted. */
static void cw_abort_rst(void)
{
    /* CELL(CLOSE_WAIT, ABORT, ANY) */
    /* TRANSITION(CLOSE_WAIT, CLOSED) */
    peer *p = cw(NULL);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 CLOSE-WAIT: "Segmentize the buffer and send it with a piggybacked ACK". */
static void cw_send_ok(void)
{
    /* CELL(CLOSE_WAIT, SEND, ANY) */
    peer *p = cw(NULL);
    uint32_t seq = p->rcv_nxt;
    CHECK_EQ(synack_send(p->st, p->sd, "reply", 5), 5);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_ACK | F_PSH);
        CHECK_EQ(p->seg[0].seq, seq);
        CHECK_EQ(p->seg[0].ack, p->snd_nxt);
        CHECK_EQ(p->seg[0].len, 5);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 CLOSE-WAIT: data on hand is delivered; then "connection closing" = end of
 * stream (0). */
static void cw_recv_then_eof(void)
{
    /* CELL(CLOSE_WAIT, RECV, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_active(p));
    peer_send(p, F_FIN | F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "tail", 4);
    p->snd_nxt += 5;
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 first: the peer's FIN again (its ACK was lost): old, so ACK it, stay. */
static void cw_fin_retransmitted_acked(void)
{
    /* CELL(CLOSE_WAIT, FIN_ACK, OLD) */
    peer *p = cw(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 eighth, CLOSE-WAIT: "Remain in the CLOSE-WAIT state"; the FIN is acknowledged
 * (the stream already ended: RCV.NXT does not move a second time). */
static void cw_fin_ack_at_rcv_nxt_stays(void)
{
    /* CELL(CLOSE_WAIT, FIN_ACK, OK) */
    peer *p = cw(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void cw_fin_ack_oow_acked(void)
{
    /* CELL(CLOSE_WAIT, FIN_ACK, OOW) */
    peer *p = cw(NULL);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth (no ACK bit: drop) and first (out of window: ACK). */
static void cw_fin_no_ack(void)
{
    /* CELL(CLOSE_WAIT, FIN, OK) */
    /* CELL(CLOSE_WAIT, FIN, OOW) */
    peer *p = cw(NULL);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, CLOSE-WAIT: as ESTABLISHED: SND.UNA advances; unsent: ACK. */
static void cw_ack_ok(void)
{
    /* CELL(CLOSE_WAIT, ACK, OK) */
    peer *p = cw(NULL);
    uint32_t seq = p->rcv_nxt;
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    peer_send_ack(p);
    EXPECT_NONE(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, seq + 3);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt + 10, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void cw_ack_old_and_oow_acked(void)
{
    /* CELL(CLOSE_WAIT, ACK, OLD) */
    /* CELL(CLOSE_WAIT, ACK, OOW) */
    peer *p = cw(NULL);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, CLOSE-WAIT: reset responses, CLOSED. */
static void cw_rst_exact_closed(void)
{
    /* CELL(CLOSE_WAIT, RST, OK) */
    /* TRANSITION(CLOSE_WAIT, CLOSED) */
    peer *p = cw(NULL);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK); RFC 793 (reset). */
static void cw_rst_in_window(void)
{
    /* CELL(CLOSE_WAIT, RST, OK) */
    sync_check_rst_in_window(&cw_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1. */
static void cw_rst_oow_and_old_dropped(void)
{
    /* CELL(CLOSE_WAIT, RST, OOW) */
    /* CELL(CLOSE_WAIT, RST, OLD) */
    sync_check_rst_oow_and_old(&cw_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK as RST. */
static void cw_rst_ack(void)
{
    /* CELL(CLOSE_WAIT, RST_ACK, OK) */
    /* CELL(CLOSE_WAIT, RST_ACK, OOW) */
    sync_check_rst_ack(&cw_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth: RFC 5961 challenge ACK; RFC 793 reset. */
static void cw_syn_in_window(void)
{
    /* CELL(CLOSE_WAIT, SYN, OK) */
    /* CELL(CLOSE_WAIT, SYN_ACK, OK) */
    sync_check_syn_in_window(&cw_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void cw_syn_oow_acked(void)
{
    /* CELL(CLOSE_WAIT, SYN, OOW) */
    /* CELL(CLOSE_WAIT, SYN_ACK, OOW) */
    sync_check_syn_oow(&cw_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh, CLOSE-WAIT: "This should not occur since a FIN has been received
 * from the remote side. Ignore the segment text." Nothing is delivered. */
static void cw_data_after_fin_ignored(void)
{
    /* CELL(CLOSE_WAIT, DATA, OK) */
    peer *p = cw(NULL);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "ghost", 5);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data before the FIN again (old), or beyond the window: ACK, drop. */
static void cw_data_old_and_oow_acked(void)
{
    /* CELL(CLOSE_WAIT, DATA, OLD) */
    /* CELL(CLOSE_WAIT, DATA, OOW) */
    peer *p = cw(NULL);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 4, p->rcv_nxt, "abc", 3);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "abc", 3);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* RFC 9293 3.10.8 / RFC 6298: data sent in CLOSE-WAIT is retransmitted with backoff. */
static void cw_timer_rexmt(void)
{
    /* CELL(CLOSE_WAIT, TIMER_REXMT, ANY) */
    peer *p = cw(NULL);
    uint32_t seq = p->rcv_nxt;
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    synack_time_us t0 = p->now, rto = peer_rto(p);
    peer_advance(p, 3 * rto);
    CHECK_EQ(p->nseg, 2);
    for (size_t i = 0; i < p->nseg && i < 2; i++) {
        CHECK_EQ(p->seg[i].seq, seq);
        CHECK_EQ(p->seg[i].len, 3);
    }
    if (p->nseg == 2) {
        CHECK_EQ(p->seg[0].t - t0, rto);
        CHECK_EQ(p->seg[1].t - t0, 3 * rto);
    }
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 1122 4.2.3.6: keepalive runs in CLOSE-WAIT too (the connection is still open for sending);
 * unanswered: RST and ETIMEDOUT. */
static void cw_timer_keepalive(void)
{
    /* CELL(CLOSE_WAIT, TIMER_KEEPALIVE, ANY) */
    /* TRANSITION(CLOSE_WAIT, CLOSED) */
    peer *p = cw(NULL);
    int on = 1, cnt = 2;
    uint64_t idle = SYNACK_SEC(5), intvl = SYNACK_SEC(1);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPIDLE, &idle, sizeof idle), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPINTVL, &intvl, sizeof intvl), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPCNT, &cnt, sizeof cnt), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPALIVE, &on, sizeof on), 0);
    uint32_t nxt = p->rcv_nxt;
    peer_advance(p, SYNACK_SEC(7));
    CHECK_EQ(p->nseg, 3);
    if (p->nseg == 3) {
        CHECK_EQ(p->seg[0].flags, F_ACK);
        CHECK_EQ(p->seg[0].seq, nxt - 1);
        CHECK_EQ(p->seg[1].seq, nxt - 1);
        CHECK_EQ(p->seg[2].flags, F_RST | F_ACK);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 USER TIMEOUT in CLOSE-WAIT: CLOSED, ETIMEDOUT. */
static void cw_timer_user_timeout(void)
{
    /* CELL(CLOSE_WAIT, TIMER_USER_TIMEOUT, ANY) */
    peer *p = cw(NULL);
    uint64_t ut = SYNACK_MS(300);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_USER_TIMEOUT, &ut, sizeof ut), 0);
    CHECK_EQ(synack_send(p->st, p->sd, "abc", 3), 3);
    peer_clear(p);
    peer_advance(p, SYNACK_MS(300));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(cw_close_to_last_ack);
    RUN(cw_close_unread_data_rst);
    RUN(cw_shutdown_to_last_ack);
    RUN(cw_abort_rst);
    RUN(cw_send_ok);
    RUN(cw_recv_then_eof);
    RUN(cw_fin_retransmitted_acked);
    RUN(cw_fin_ack_at_rcv_nxt_stays);
    RUN(cw_fin_ack_oow_acked);
    RUN(cw_fin_no_ack);
    RUN(cw_ack_ok);
    RUN(cw_ack_old_and_oow_acked);
    RUN(cw_rst_exact_closed);
    RUN(cw_rst_in_window);
    RUN(cw_rst_oow_and_old_dropped);
    RUN(cw_rst_ack);
    RUN(cw_syn_in_window);
    RUN(cw_syn_oow_acked);
    RUN(cw_data_after_fin_ignored);
    RUN(cw_data_old_and_oow_acked);
    RUN(cw_timer_rexmt);
    RUN(cw_timer_keepalive);
    RUN(cw_timer_user_timeout);
    return test_report();
}
