/* time_wait.c (state tests): TIME-WAIT after an active close, reached by close() (orphaned: the
 * buffers are freed at once) or shutdown(SHUT_WR): every segment kind with acceptable, old and
 * out-of-window sequence numbers (RFC 9293 3.10.7.4), the user calls, and the 2*MSL timer with
 * its restart on a retransmitted FIN. */
#include "sync_checks.h"

static peer *tw(const synack_config *cfg, enum peer_how how)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_time_wait(p, how));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_TIME_WAIT)

static peer *tw_closed(const synack_config *cfg) { return tw(cfg, PEER_BY_CLOSE); }
/* The sequence, RST and SYN checks every synchronized state shares (sync_checks.h). */
static const sync_state tw_sync = {
    .state = SYNACK_TIME_WAIT,
    .enter = tw_closed,
    .enter_open = NULL,
    .reset_error = 0,
    .reset_frees = false,
    .rst_off = 6,
    .syn_off = 100,
};

/* ---- the 2*MSL timer ---- */

/* RFC 9293 3.10.8 TIME-WAIT TIMEOUT (MSL 30 s: 60 s): "delete the TCB, enter the CLOSED state";
 * nothing is sent. On entry "turn off the other timers" (3.10.7.4 eighth); an orphaned TIME-WAIT
 * holds no buffers (fsm.c keeps it small). */
static void tw_timer_2msl_closed(void)
{
    /* CELL(TIME_WAIT, TIMER_TIME_WAIT, ANY) */
    /* TRANSITION(TIME_WAIT, CLOSED) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++)
        if (i != SYNACK_TIMER_TIME_WAIT) CHECK_EQ(ci.deadline_us[i], SYNACK_TIME_NEVER);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_TIME_WAIT], p->now + SYNACK_SEC(60));
    synack_mem_info m;
    synack_mem_get(p->st, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    peer_advance(p, SYNACK_SEC(60) - 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    peer_advance(p, 1);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_TIME_WAIT, SYNACK_CLOSED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 (first step note and fifth, TIME-WAIT): "The only thing that can arrive in
 * this state is a retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL
 * timeout." */
static void tw_fin_retransmitted_restarts_2msl(void)
{
    /* CELL(TIME_WAIT, FIN_ACK, OLD) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_advance(p, SYNACK_SEC(30));
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
    peer_advance(p, SYNACK_SEC(59));
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    peer_advance(p, SYNACK_SEC(1));
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 eighth, TIME-WAIT: a FIN in sequence: "Remain in the TIME-WAIT state. Restart
 * the 2 MSL time-wait timeout", and acknowledge it. */
static void tw_fin_ack_in_window_restarts(void)
{
    /* CELL(TIME_WAIT, FIN_ACK, OK) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_advance(p, SYNACK_SEC(10));
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: a FIN beyond the window is not a retransmission: ACK, no restart. */
static void tw_fin_ack_oow_no_restart(void)
{
    /* CELL(TIME_WAIT, FIN_ACK, OOW) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    synack_time_us end = peer_deadline(p, SYNACK_TIMER_TIME_WAIT);
    peer_advance(p, SYNACK_SEC(10));
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), end);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth (no ACK: drop) and first (out of window: ACK). */
static void tw_fin_no_ack(void)
{
    /* CELL(TIME_WAIT, FIN, OK) */
    /* CELL(TIME_WAIT, FIN, OOW) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth, TIME-WAIT: a plain acceptable ACK changes nothing; nothing sent. */
static void tw_ack_ok_nothing(void)
{
    /* CELL(TIME_WAIT, ACK, OK) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    synack_time_us end = peer_deadline(p, SYNACK_TIMER_TIME_WAIT);
    peer_send_ack(p);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), end);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void tw_ack_old_and_oow_acked(void)
{
    /* CELL(TIME_WAIT, ACK, OLD) */
    /* CELL(TIME_WAIT, ACK, OOW) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK, p->snd_nxt - 2, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second, TIME-WAIT: "enter the CLOSED state, delete the TCB, and return". */
static void tw_rst_exact_closed(void)
{
    /* CELL(TIME_WAIT, RST, OK) */
    /* TRANSITION(TIME_WAIT, CLOSED) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 (challenge ACK); RFC 793 (in-window RST closes). */
static void tw_rst_in_window(void)
{
    /* CELL(TIME_WAIT, RST, OK) */
    sync_check_rst_in_window(&tw_sync);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1. */
static void tw_rst_oow_and_old_dropped(void)
{
    /* CELL(TIME_WAIT, RST, OOW) */
    /* CELL(TIME_WAIT, RST, OLD) */
    sync_check_rst_oow_and_old(&tw_sync);
}

/* RFC 9293 3.10.7.4 second: RST+ACK as RST. */
static void tw_rst_ack(void)
{
    /* CELL(TIME_WAIT, RST_ACK, OK) */
    /* CELL(TIME_WAIT, RST_ACK, OOW) */
    sync_check_rst_ack(&tw_sync);
}

/* ---- SYN ---- */

/* RFC 9293 3.10.7.4 fourth, TIME-WAIT: RFC 5961 challenge ACK (the timestamp-based acceptance of
 * RFC 6191 is optional and synack does not use it); RFC 793: RST and CLOSED. */
static void tw_syn_in_window(void)
{
    /* CELL(TIME_WAIT, SYN, OK) */
    /* CELL(TIME_WAIT, SYN_ACK, OK) */
    sync_check_syn_in_window(&tw_sync);
}

/* RFC 9293 3.10.7.4 first. */
static void tw_syn_oow_acked(void)
{
    /* CELL(TIME_WAIT, SYN, OOW) */
    /* CELL(TIME_WAIT, SYN_ACK, OOW) */
    sync_check_syn_oow(&tw_sync);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh, TIME-WAIT: "Ignore the segment text". */
static void tw_data_in_window_ignored(void)
{
    /* CELL(TIME_WAIT, DATA, OK) */
    peer *p = tw(NULL, PEER_BY_SHUTDOWN);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "ghost", 5);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void tw_data_old_and_oow_acked(void)
{
    /* CELL(TIME_WAIT, DATA, OLD) */
    /* CELL(TIME_WAIT, DATA, OOW) */
    peer *p = tw(NULL, PEER_BY_CLOSE);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 5, p->rcv_nxt, "olds", 4);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "far", 3);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- user calls (after shutdown) ---- */

/* RFC 9293 3.10.4 TIME-WAIT: "error: connection closing" — the descriptor goes (0); the
 * connection stays in TIME-WAIT until 2*MSL, without buffers. */
static void tw_close_keeps_time_wait(void)
{
    /* CELL(TIME_WAIT, CLOSE, ANY) */
    peer *p = tw(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    synack_mem_info m;
    synack_mem_get(p->st, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    CHECK_EQ(m.conns_in_use, 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 TIME-WAIT: "Respond with ok and delete the TCB, enter CLOSED" — no RST. */
static void tw_abort_no_rst(void)
{
    /* CELL(TIME_WAIT, ABORT, ANY) */
    /* TRANSITION(TIME_WAIT, CLOSED) */
    peer *p = tw(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 TIME-WAIT: "error: connection closing": -EPIPE. */
static void tw_send_epipe(void)
{
    /* CELL(TIME_WAIT, SEND, ANY) */
    peer *p = tw(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    EXPECT_NONE(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 TIME-WAIT: unread data is still delivered, then "connection closing" (0). */
static void tw_recv_then_eof(void)
{
    /* CELL(TIME_WAIT, RECV, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_fin_wait_2(p, PEER_BY_SHUTDOWN));
    peer_send(p, F_FIN | F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "kept", 4);
    p->snd_nxt += 5;
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    CHECK(memcmp(b, "kept", 4) == 0);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* shutdown in TIME-WAIT: 0, nothing sent. */
static void tw_shutdown_noop(void)
{
    /* CELL(TIME_WAIT, SHUTDOWN, ANY) */
    peer *p = tw(NULL, PEER_BY_SHUTDOWN);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RDWR), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_TIME_WAIT);
    PEER_FINISH(p);
}

/* The same life with timestamps and SACK negotiated (RFC 7323, RFC 2018): TIME-WAIT is reached,
 * every segment carries TS, and a retransmitted FIN with a current TSval is acknowledged and
 * restarts 2*MSL. PAWS (RFC 7323 5.3): one with a TSval older than TS.Recent is only ACKed. */
static void tw_ts_sack_variant(void)
{
    /* CELL(TIME_WAIT, FIN_ACK, OLD) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.timestamps = true;
    cfg.sack = true;
    peer *p = tw(&cfg, PEER_BY_CLOSE);
    peer_advance(p, SYNACK_SEC(20));
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    peer_collect(p);
    CHECK(p->nseg == 1 && p->seg[0].opts.has_ts && p->seg[0].flags == F_ACK);
    peer_clear(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), p->now + SYNACK_SEC(60));
    peer_advance(p, SYNACK_SEC(20));
    synack_time_us end = peer_deadline(p, SYNACK_TIMER_TIME_WAIT);
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = p->ts_val; /* older than the FIN's */
    peer_tx old = {F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, -1, NULL, 0, &o, 0};
    peer_inject(p, &old);
    ACKED_AND_STAYS(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_TIME_WAIT), end);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(tw_timer_2msl_closed);
    RUN(tw_fin_retransmitted_restarts_2msl);
    RUN(tw_fin_ack_in_window_restarts);
    RUN(tw_fin_ack_oow_no_restart);
    RUN(tw_fin_no_ack);
    RUN(tw_ack_ok_nothing);
    RUN(tw_ack_old_and_oow_acked);
    RUN(tw_rst_exact_closed);
    RUN(tw_rst_in_window);
    RUN(tw_rst_oow_and_old_dropped);
    RUN(tw_rst_ack);
    RUN(tw_syn_in_window);
    RUN(tw_syn_oow_acked);
    RUN(tw_data_in_window_ignored);
    RUN(tw_data_old_and_oow_acked);
    RUN(tw_close_keeps_time_wait);
    RUN(tw_abort_no_rst);
    RUN(tw_send_epipe);
    RUN(tw_recv_then_eof);
    RUN(tw_shutdown_noop);
    RUN(tw_ts_sack_variant);
    return test_report();
}
