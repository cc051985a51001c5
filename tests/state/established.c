/* established.c (state tests): ESTABLISHED, reached actively and passively: every segment kind
 * with acceptable, old and out-of-window sequence numbers and acceptable/duplicate/unsent/too-old
 * ACK fields (RFC 9293 3.10.7.4, RFC 5961 on and off), the user calls, and every timer that runs
 * here (retransmission, delayed ACK, persist, keepalive, user timeout); TS/SACK variants too. */
#include "peer.h"
#include "util/seq.h"

static peer *est(const synack_config *cfg)
{
    peer *p = peer_new(cfg);
    CHECK(peer_to_established_active(p));
    return p;
}

#define ACKED_AND_STAYS(p) EXPECT_ACKED_AND_STAYS((p), SYNACK_ESTABLISHED)

/* Sends n bytes from the stack and collects the segment; returns SND.NXT before the send. */
static uint32_t stack_sends(peer *p, const char *data, uint32_t n)
{
    uint32_t seq = p->rcv_nxt;
    CHECK_EQ(synack_send(p->st, p->sd, data, n), n);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    peer_clear(p);
    return seq;
}

/* ---- SYN / SYN-ACK ---- */

/* RFC 9293 3.10.7.4 fourth with RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence
 * number, gets a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped. */
static void est_syn_in_window_challenge_ack(void)
{
    /* CELL(ESTABLISHED, SYN, OK) */
    peer *p = est(NULL);
    peer_send(p, F_SYN, p->snd_nxt, 0, NULL, 0);
    ACKED_AND_STAYS(p);
    peer_send(p, F_SYN, p->snd_nxt + 1000, 0, NULL, 0);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack), 2);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fourth, RFC 793 behaviour (rfc5961 off): "If the SYN is in the window it is
 * an error: send a reset ... connection reset ... enter the CLOSED state". */
static void est_syn_in_window_rfc793_reset(void)
{
    /* CELL(ESTABLISHED, SYN, OK) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    synack_config cfg = peer_config_rfc793();
    peer *p = est(&cfg);
    peer_send(p, F_SYN, p->snd_nxt + 10, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first (Figure 9 line 3-4): a SYN outside the window gets an ACK, with RFC 5961
 * on or off. */
static void est_syn_oow_acked(void)
{
    /* CELL(ESTABLISHED, SYN, OOW) */
    for (int rfc5961 = 0; rfc5961 < 2; rfc5961++) {
        synack_config cfg = peer_config_rfc793();
        cfg.rfc5961 = rfc5961;
        peer *p = est(&cfg);
        peer_send(p, F_SYN, peer_oow(p), 0, NULL, 0);
        ACKED_AND_STAYS(p);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 first: an old SYN (below RCV.NXT) gets an ACK, with RFC 5961 on or off. */
static void est_syn_old_acked(void)
{
    /* CELL(ESTABLISHED, SYN, OLD) */
    for (int rfc5961 = 0; rfc5961 < 2; rfc5961++) {
        synack_config cfg = peer_config_rfc793();
        cfg.rfc5961 = rfc5961;
        peer *p = est(&cfg);
        peer_send(p, F_SYN, p->iss - 500, 0, NULL, 0);
        ACKED_AND_STAYS(p);
        PEER_FINISH(p);
    }
}

/* RFC 5961 4.2 / RFC 9293 3.10.7.4 fourth: the SYN bit decides, the ACK bit does not. */
static void est_syn_ack_in_window_challenge_ack(void)
{
    /* CELL(ESTABLISHED, SYN_ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_SYN | F_ACK, p->snd_nxt + 3, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fourth (RFC 793 behaviour): SYN-ACK in the window: reset. */
static void est_syn_ack_in_window_rfc793_reset(void)
{
    /* CELL(ESTABLISHED, SYN_ACK, OK) */
    synack_config cfg = peer_config_rfc793();
    peer *p = est(&cfg);
    peer_send(p, F_SYN | F_ACK, p->snd_nxt + 3, p->rcv_nxt, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* The handshake's last ACK was lost: the peer retransmits its SYN-ACK (SEQ = IRS, old). 3.10.7.4
 * first: not acceptable, so ACK it again and stay. */
static void est_syn_ack_retransmitted_reacked(void)
{
    /* CELL(ESTABLISHED, SYN_ACK, OLD) */
    peer *p = est(NULL);
    peer_send(p, F_SYN | F_ACK, p->iss, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void est_syn_ack_oow_acked(void)
{
    /* CELL(ESTABLISHED, SYN_ACK, OOW) */
    peer *p = est(NULL);
    peer_send(p, F_SYN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- ACK ---- */

/* RFC 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: SND.UNA <- SEG.ACK, the retransmission
 * timer stops when all is acknowledged (RFC 6298 5.2); nothing is sent. */
static void est_ack_ok_advances_una(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    peer *p = est(NULL);
    uint32_t seq = stack_sends(p, "hello", 5);
    CHECK(peer_deadline(p, SYNACK_TIMER_REXMT) != SYNACK_TIME_NEVER);
    peer_send_ack(p);
    EXPECT_NONE(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, seq + 5);
    CHECK_EQ(ci.send_q, 0);
    CHECK_EQ(ci.deadline_us[SYNACK_TIMER_REXMT], SYNACK_TIME_NEVER);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored". */
static void est_ack_duplicate_ignored(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    peer *p = est(NULL);
    stack_sends(p, "hello", 5);
    peer_send_ack(p);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt - 5, NULL, 0); /* older than SND.UNA */
    EXPECT_NONE(p);
    peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0); /* = SND.UNA */
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send
 * an ACK, drop the segment, and return" — the text on it is not taken. */
static void est_ack_unsent_acked_and_dropped(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt + 100, "zz", 2);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_ack_unsent), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth with RFC 5961 5.2: SEG.ACK below SND.UNA - MAX.SND.WND is discarded with
 * an ACK (blind data injection); without RFC 5961 it is merely a duplicate ACK and the text is
 * taken. */
static void est_ack_too_old(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    peer *p = est(NULL);
    uint32_t ancient = p->rcv_nxt - 70000; /* MAX.SND.WND is 65535 */
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, ancient, "zz", 2);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);

    synack_config cfg = peer_config_rfc793();
    p = est(&cfg);
    ancient = p->rcv_nxt - 70000;
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, ancient, "zz", 2);
    p->snd_nxt += 2;
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 2);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: the send window follows the newest segment (SND.WL1/SND.WL2 rule):
 * an older one does not move it back. */
static void est_ack_window_update_rule(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    peer *p = est(NULL);
    peer_send_data(p, "abc", 3);
    peer_tx tx = {F_ACK, p->snd_nxt, p->rcv_nxt, 4000, NULL, 0, NULL, 0};
    peer_inject(p, &tx);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_wnd, 4000);
    peer_tx old = {F_ACK, p->snd_nxt - 3, p->rcv_nxt, 100, NULL, 0, NULL, 0}; /* SEG.SEQ < WL1 */
    peer_inject(p, &old); /* old: also unacceptable, so ACKed */
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_wnd, 4000);
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: a zero-length segment below RCV.NXT is not acceptable: ACK, drop. */
static void est_ack_old_seq_acked(void)
{
    /* CELL(ESTABLISHED, ACK, OLD) */
    peer *p = est(NULL);
    peer_send(p, F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: beyond the window: ACK, drop; the ACK field is not used. */
static void est_ack_oow_acked(void)
{
    /* CELL(ESTABLISHED, ACK, OOW) */
    peer *p = est(NULL);
    uint32_t seq = stack_sends(p, "hello", 5);
    peer_send(p, F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, seq);
    PEER_FINISH(p);
}

/* ---- FIN ---- */

/* RFC 9293 3.10.7.4 fifth: a FIN without the ACK bit is dropped before the eighth step. */
static void est_fin_no_ack_dropped(void)
{
    /* CELL(ESTABLISHED, FIN, OK) */
    peer *p = est(NULL);
    peer_send(p, F_FIN, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void est_fin_oow_acked(void)
{
    /* CELL(ESTABLISHED, FIN, OOW) */
    peer *p = est(NULL);
    peer_send(p, F_FIN, peer_oow(p), 0, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 eighth and Figure 5 (rcv FIN / snd ACK): CLOSE-WAIT, RCV.NXT over the FIN,
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the user sees the end of the stream (recv 0). */
static void est_fin_ack_ok_close_wait(void)
{
    /* CELL(ESTABLISHED, FIN_ACK, OK) */
    /* TRANSITION(ESTABLISHED, CLOSE_WAIT) */
    peer *p = est(NULL);
    peer_send_fin(p);
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    char b[4];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    CHECK(synack_poll_socket(p->st, p->sd) & SYNACK_POLLRDHUP);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_ESTABLISHED, SYNACK_CLOSE_WAIT), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 seventh then eighth: data and FIN in one segment. */
static void est_fin_ack_with_data(void)
{
    /* CELL(ESTABLISHED, FIN_ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_FIN | F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "bye", 3);
    p->snd_nxt += 4;
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 3);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: an old FIN (below RCV.NXT) gets an ACK; nothing changes. */
static void est_fin_ack_old_acked(void)
{
    /* CELL(ESTABLISHED, FIN_ACK, OLD) */
    peer *p = est(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first. */
static void est_fin_ack_oow_acked(void)
{
    /* CELL(ESTABLISHED, FIN_ACK, OOW) */
    peer *p = est(NULL);
    peer_send(p, F_FIN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first (SHLD-31): a FIN beyond a hole is held; when the hole fills, the FIN
 * takes effect: CLOSE-WAIT and one ACK covering data and FIN. */
static void est_fin_beyond_hole_held(void)
{
    /* CELL(ESTABLISHED, FIN_ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_FIN | F_ACK, p->snd_nxt + 5, p->rcv_nxt, NULL, 0);
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "12345", 5);
    p->snd_nxt += 6;
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSE_WAIT);
    PEER_FINISH(p);
}

/* ---- RST ---- */

/* RFC 9293 3.10.7.4 second (RFC 5961 check 2): RST at RCV.NXT: "any outstanding RECEIVEs and SEND
 * should receive reset responses ... Enter the CLOSED state, delete the TCB"; nothing is sent. */
static void est_rst_exact_reset(void)
{
    /* CELL(ESTABLISHED, RST, OK) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    peer *p = est(NULL);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -ECONNRESET);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_ESTABLISHED, SYNACK_CLOSED), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.5.3 (SHLD-2): a RST may carry data; it still resets. */
static void est_rst_with_data_resets(void)
{
    /* CELL(ESTABLISHED, RST, OK) */
    peer *p = est(NULL);
    peer_send(p, F_RST, p->snd_nxt, 0, "diagnostic", 10);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* RFC 5961 check 3: in the window, not RCV.NXT: challenge ACK, drop. */
static void est_rst_in_window_challenge_ack(void)
{
    /* CELL(ESTABLISHED, RST, OK) */
    peer *p = est(NULL);
    peer_send(p, F_RST, p->snd_nxt + 1, 0, NULL, 0);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.5.3 without RFC 5961: "A reset is valid if its sequence number is in the window". */
static void est_rst_in_window_rfc793_reset(void)
{
    /* CELL(ESTABLISHED, RST, OK) */
    synack_config cfg = peer_config_rfc793();
    peer *p = est(&cfg);
    peer_send(p, F_RST, p->snd_nxt + 1000, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: with RCV.WND = 0 "special allowance should be made to accept ... RSTs":
 * a RST at RCV.NXT (Table 6 row 1) still resets. */
static void est_rst_zero_window_resets(void)
{
    /* CELL(ESTABLISHED, RST, OK) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 1024;
    peer *p = est(&cfg);
    static char fill[1024];
    memset(fill, 'f', sizeof fill);
    peer_send_data(p, fill, sizeof fill);
    peer_advance(p, SYNACK_MS(40));
    peer_clear(p);
    CHECK_EQ(peer_rcv_wnd(p), 0);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first / RFC 5961 check 1: out of the window (beyond, or old): dropped
 * silently, with RFC 5961 on or off. */
static void est_rst_oow_and_old_dropped(void)
{
    /* CELL(ESTABLISHED, RST, OOW) */
    /* CELL(ESTABLISHED, RST, OLD) */
    for (int rfc5961 = 0; rfc5961 < 2; rfc5961++) {
        synack_config cfg = peer_config_rfc793();
        cfg.rfc5961 = rfc5961;
        peer *p = est(&cfg);
        peer_send(p, F_RST, peer_oow(p), 0, NULL, 0);
        EXPECT_NONE(p);
        peer_send(p, F_RST, p->snd_nxt - 1, 0, NULL, 0);
        EXPECT_NONE(p);
        EXPECT_STATE(p, SYNACK_ESTABLISHED);
        PEER_FINISH(p);
    }
}

/* RFC 9293 3.10.7.4 second: RST+ACK at RCV.NXT resets (the ACK field is not checked first). */
static void est_rst_ack_exact_reset(void)
{
    /* CELL(ESTABLISHED, RST_ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_RST | F_ACK, p->snd_nxt, p->rcv_nxt + 999, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ECONNRESET);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first / RFC 5961. */
static void est_rst_ack_oow_dropped(void)
{
    /* CELL(ESTABLISHED, RST_ACK, OOW) */
    peer *p = est(NULL);
    peer_send(p, F_RST | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 5961 check 3 applies to RST+ACK as well. */
static void est_rst_ack_in_window_challenge_ack(void)
{
    /* CELL(ESTABLISHED, RST_ACK, OK) */
    peer *p = est(NULL);
    peer_send(p, F_RST | F_ACK, p->snd_nxt + 2, p->rcv_nxt, NULL, 0);
    ACKED_AND_STAYS(p);
    PEER_FINISH(p);
}

/* ---- data ---- */

/* RFC 9293 3.10.7.4 seventh: text at RCV.NXT is taken and acknowledged; the ACK is delayed
 * (RFC 1122 4.2.3.2; 40 ms default) and comes from the delayed-ACK timer. */
static void est_data_ok_delayed_ack(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    /* CELL(ESTABLISHED, TIMER_DELACK, ANY) */
    peer *p = est(NULL);
    peer_send_data(p, "hello", 5);
    EXPECT_NONE(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_DELACK), p->now + SYNACK_MS(40));
    peer_advance(p, SYNACK_MS(40) - 1);
    EXPECT_NONE(p);
    peer_advance(p, 1);
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 5);
    CHECK(memcmp(b, "hello", 5) == 0);
    PEER_FINISH(p);
}

/* RFC 5681 4.2 / RFC 1122 4.2.3.2: an ACK at least for every second full-sized segment. */
static void est_data_two_full_segments_ack_now(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    peer *p = est(NULL);
    static char big[1460];
    memset(big, 'a', sizeof big);
    peer_send_data(p, big, sizeof big);
    EXPECT_NONE(p);
    peer_send_data(p, big, sizeof big);
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 fifth: data without the ACK bit is dropped. */
static void est_data_no_ack_dropped(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    peer *p = est(NULL);
    peer_send(p, F_PSH, p->snd_nxt, 0, "abc", 3);
    EXPECT_NONE(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first (SHLD-31) and RFC 5681 4.2: in-window data beyond RCV.NXT is held and
 * answered at once with a duplicate ACK; filling the hole is acknowledged at once too. */
static void est_data_out_of_order_held(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    peer *p = est(NULL);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt + 3, p->rcv_nxt, "def", 3);
    ACKED_AND_STAYS(p);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, "abc", 3);
    p->snd_nxt += 6;
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 6);
    CHECK(memcmp(b, "abcdef", 6) == 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data wholly below RCV.NXT is a duplicate: ACK at once, not delivered
 * twice. */
static void est_data_old_acked(void)
{
    /* CELL(ESTABLISHED, DATA, OLD) */
    peer *p = est(NULL);
    peer_send_data(p, "abc", 3);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 3, p->rcv_nxt, "abc", 3);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 3);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: "If a segment's contents straddle the boundary between old and new,
 * only the new parts are processed." */
static void est_data_straddling_trimmed(void)
{
    /* CELL(ESTABLISHED, DATA, OLD) */
    peer *p = est(NULL);
    peer_send_data(p, "abc", 3);
    peer_send(p, F_ACK | F_PSH, p->snd_nxt - 3, p->rcv_nxt, "abcdef", 6);
    p->snd_nxt += 3;
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 6);
    CHECK(memcmp(b, "abcdef", 6) == 0);
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: data beyond the window: ACK, drop. */
static void est_data_oow_acked(void)
{
    /* CELL(ESTABLISHED, DATA, OOW) */
    peer *p = est(NULL);
    peer_send(p, F_ACK | F_PSH, peer_oow(p), p->rcv_nxt, "abc", 3);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable, but special
 * allowance should be made to accept valid ACKs, URGs, and RSTs." A zero-window probe carrying a
 * new ACK: the byte is refused and ACKed, but SND.UNA advances. */
static void est_data_zero_window_ack_still_processed(void)
{
    /* CELL(ESTABLISHED, DATA, OOW) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 2048;
    peer *p = est(&cfg);
    static char fill[1024];
    memset(fill, 'f', sizeof fill);
    peer_send_data(p, fill, sizeof fill);
    peer_send_data(p, fill, sizeof fill);
    peer_advance(p, SYNACK_MS(40));
    peer_clear(p);
    CHECK_EQ(peer_rcv_wnd(p), 0);
    uint32_t seq = stack_sends(p, "abc", 3);
    peer_send(p, F_ACK, p->snd_nxt, seq + 3, "p", 1); /* probe + ACK of our 3 bytes */
    EXPECT_SEG(p, F_ACK, seq + 3, p->snd_nxt);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, seq + 3);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 2048);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.7.4 first: with a zero window a zero-length segment at RCV.NXT is acceptable
 * (Table 6 row 1), and its ACK is processed. */
static void est_ack_zero_window_acceptable(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 1024;
    peer *p = est(&cfg);
    static char fill[1024];
    memset(fill, 'f', sizeof fill);
    peer_send_data(p, fill, sizeof fill);
    peer_advance(p, SYNACK_MS(40));
    peer_clear(p);
    CHECK_EQ(peer_rcv_wnd(p), 0);
    uint32_t seq = stack_sends(p, "abc", 3);
    peer_send_ack(p);
    EXPECT_NONE(p);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK_EQ(ci.snd_una, seq + 3);
    PEER_FINISH(p);
}

/* ---- user calls ---- */

/* RFC 9293 3.10.4 ESTABLISHED and Figure 5 (CLOSE / snd FIN): FIN-WAIT-1 and
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>. */
static void est_close_fin_wait_1(void)
{
    /* CELL(ESTABLISHED, CLOSE, ANY) */
    /* TRANSITION(ESTABLISHED, FIN_WAIT_1) */
    peer *p = est(NULL);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_FIN | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1), 1);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.4: "Queue this until all preceding SENDs have been segmentized, then form a FIN":
 * with the window closed, the FIN waits behind the data and goes with its last octet. */
static void est_close_fin_after_data(void)
{
    /* CELL(ESTABLISHED, CLOSE, ANY) */
    peer *p = est(NULL);
    peer_tx zw = {F_ACK, p->snd_nxt, p->rcv_nxt, 0, NULL, 0, NULL, 0};
    peer_inject(p, &zw);
    CHECK_EQ(synack_send(p->st, p->sd, "tail", 4), 4);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    peer_send_ack(p); /* window reopens */
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_FIN | F_ACK | F_PSH);
        CHECK_EQ(p->seg[0].len, 4);
    }
    peer_clear(p);
    PEER_FINISH(p);
}

/* Documented choice (user.c, RFC 2525 2.17): close() with unread data aborts: RST, CLOSED. */
static void est_close_unread_data_rst(void)
{
    /* CELL(ESTABLISHED, CLOSE, ANY) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    peer *p = est(NULL);
    peer_send_data(p, "unread", 6);
    peer_clear(p);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* SO_LINGER {1, 0}: close() is an abort (RST). */
static void est_close_linger_zero_rst(void)
{
    /* CELL(ESTABLISHED, CLOSE, ANY) */
    peer *p = est(NULL);
    struct synack_linger l = {1, 0};
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_LINGER, &l, sizeof l), 0);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.5 ESTABLISHED: <SEQ=SND.NXT><CTL=RST> (with ACK, output.c's documented choice),
 * queues flushed, CLOSED, TCB deleted. */
static void est_abort_rst(void)
{
    /* CELL(ESTABLISHED, ABORT, ANY) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    peer *p = est(NULL);
    CHECK_EQ(synack_abort(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_conns(p), 0);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.2 ESTABLISHED: segmentize and send with a piggybacked ACK. */
static void est_send_segment(void)
{
    /* CELL(ESTABLISHED, SEND, ANY) */
    peer *p = est(NULL);
    CHECK_EQ(synack_send(p->st, p->sd, "hello", 5), 5);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_ACK | F_PSH);
        CHECK_EQ(p->seg[0].seq, p->rcv_nxt - 5);
        CHECK_EQ(p->seg[0].ack, p->snd_nxt);
        CHECK_EQ(p->seg[0].len, 5);
        CHECK(memcmp(p->seg[0].data, "hello", 5) == 0);
    }
    peer_clear(p);
    /* Nagle (RFC 9293 3.7.4): a second small segment waits while the first is unacknowledged. */
    CHECK_EQ(synack_send(p->st, p->sd, "again", 5), 5);
    EXPECT_NONE(p);
    peer_send_ack(p);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) CHECK_EQ(p->seg[0].len, 5);
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.3 ESTABLISHED: nothing there yet: -EAGAIN; then the data. */
static void est_recv(void)
{
    /* CELL(ESTABLISHED, RECV, ANY) */
    peer *p = est(NULL);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    peer_send_data(p, "data", 4);
    CHECK_EQ(synack_recv(p->st, p->sd, b, 2), 2);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 2);
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), -EAGAIN);
    peer_clear(p);
    PEER_FINISH(p);
}

/* shutdown(SHUT_WR) is CLOSE of the sending side (RFC 9293 3.6 "simplex" close): FIN-WAIT-1 with
 * a FIN; the socket keeps receiving; sending is -EPIPE. */
static void est_shutdown_wr_fin_wait_1(void)
{
    /* CELL(ESTABLISHED, SHUTDOWN, ANY) */
    /* TRANSITION(ESTABLISHED, FIN_WAIT_1) */
    peer *p = est(NULL);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(p, F_FIN | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -EPIPE);
    peer_send_data(p, "more", 4);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    peer_clear(p);
    PEER_FINISH(p);
}

/* shutdown(SHUT_RD): nothing is sent; reads return 0; later data is acknowledged and discarded. */
static void est_shutdown_rd_discards(void)
{
    /* CELL(ESTABLISHED, SHUTDOWN, ANY) */
    peer *p = est(NULL);
    CHECK_EQ(synack_shutdown(p->st, p->sd, SYNACK_SHUT_RD), 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 0);
    peer_send_data(p, "gone", 4);
    EXPECT_SEG(p, F_ACK, p->rcv_nxt, p->snd_nxt);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* The passive side: the same ESTABLISHED behaviour after accept (RFC 9293 3.10.7.4). */
static void est_passive_data_and_close(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    /* CELL(ESTABLISHED, CLOSE, ANY) */
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_passive(p));
    peer_send_data(p, "ping", 4);
    char b[8];
    CHECK_EQ(synack_recv(p->st, p->sd, b, sizeof b), 4);
    peer_clear(p); /* a window update may follow the read (user.c) */
    CHECK_EQ(synack_send(p->st, p->sd, "pong", 4), 4);
    EXPECT_SEG(p, F_ACK | F_PSH, p->stack_iss + 1, p->snd_nxt);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_FIN | F_ACK, p->stack_iss + 5, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_FIN_WAIT_1);
    PEER_FINISH(p);
}

/* ---- timers ---- */

/* RFC 9293 3.10.8 / RFC 6298 5.4-5.5: the first unacknowledged segment is sent again at RTO, then
 * at doubling intervals. */
static void est_timer_rexmt_backoff(void)
{
    /* CELL(ESTABLISHED, TIMER_REXMT, ANY) */
    peer *p = est(NULL);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    synack_time_us rto = ci.rto_us;
    CHECK_EQ(rto, ci.srtt_us + SYNACK_MS(200)); /* RTT ~0 on the virtual wire: SRTT + the floor */
    synack_time_us t0 = p->now;
    uint32_t seq = stack_sends(p, "hello", 5);
    peer_advance(p, rto * 7);
    CHECK_EQ(p->nseg, 3);
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].seq, seq);
        CHECK_EQ(p->seg[i].len, 5);
        CHECK_EQ(p->seg[i].flags, F_ACK | F_PSH);
    }
    if (p->nseg == 3) {
        CHECK_EQ(p->seg[0].t - t0, rto);
        CHECK_EQ(p->seg[1].t - t0, 3 * rto);
        CHECK_EQ(p->seg[2].t - t0, 7 * rto);
    }
    peer_clear(p);
    /* The ACK stops it. */
    peer_send_ack(p);
    CHECK_EQ(peer_deadline(p, SYNACK_TIMER_REXMT), SYNACK_TIME_NEVER);
    PEER_FINISH(p);
}

/* RFC 9293 3.8.3 (R2) / RFC 1122 4.2.3.5: after max_retransmits the connection is closed with
 * ETIMEDOUT; no RST is sent (the peer is presumed gone). */
static void est_timer_rexmt_r2_etimedout(void)
{
    /* CELL(ESTABLISHED, TIMER_REXMT, ANY) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    synack_config cfg;
    peer_config(&cfg);
    cfg.max_retransmits = 3;
    peer *p = est(&cfg);
    stack_sends(p, "hello", 5);
    peer_advance(p, SYNACK_SEC(60));
    CHECK_EQ(p->nseg, 3);
    for (size_t i = 0; i < p->nseg; i++) CHECK(!(p->seg[i].flags & F_RST));
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    CHECK_EQ(synack_send(p->st, p->sd, "x", 1), -ETIMEDOUT);
    PEER_FINISH(p);
}

/* RFC 9293 3.8.6.1: with a zero send window, data waits and a 1-octet probe goes after the persist
 * time (max(RTO, 200 ms)), backing off. When the window opens (the peer dropped the probe octet:
 * ACK = SND.UNA), the data must follow: at once, or — if Nagle holds it behind the unacknowledged
 * probe octet — when that octet is retransmitted (RFC 6298 5.1: a segment with data in flight runs
 * the retransmission timer). Either way all 10 octets are sent within a few RTOs. */
static void est_timer_persist_probe(void)
{
    /* CELL(ESTABLISHED, TIMER_PERSIST, ANY) */
    peer *p = est(NULL);
    peer_tx zw = {F_ACK, p->snd_nxt, p->rcv_nxt, 0, NULL, 0, NULL, 0};
    peer_inject(p, &zw);
    uint32_t una = p->rcv_nxt;
    CHECK_EQ(synack_send(p->st, p->sd, "0123456789", 10), 10);
    EXPECT_NONE(p);
    synack_time_us t0 = p->now, rto = peer_rto(p);
    peer_advance(p, 7 * rto);
    CHECK_EQ(p->nseg, 3);
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].seq, una);
        CHECK_EQ(p->seg[i].len, 1);
        CHECK_EQ(p->seg[i].data[0], '0');
    }
    if (p->nseg == 3) {
        CHECK_EQ(p->seg[0].t - t0, rto); /* persist: max(RTO, persist_min), backing off */
        CHECK_EQ(p->seg[1].t - t0, 3 * rto);
        CHECK_EQ(p->seg[2].t - t0, 7 * rto);
    }
    peer_clear(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_persist_probe), 3);
    EXPECT_STATE(p, SYNACK_ESTABLISHED); /* MUST NOT close for a zero window (3.8.6.1) */
    peer_send(p, F_ACK, p->snd_nxt, una, NULL, 0); /* window open again */
    peer_advance(p, SYNACK_SEC(2));
    uint32_t covered = una; /* how far [una, ...) was sent contiguously */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nseg; i++)
            if (seq_leq(p->seg[i].seq, covered) && seq_gt(p->seg[i].seq + p->seg[i].len, covered))
                covered = p->seg[i].seq + p->seg[i].len;
    CHECK_EQ(covered - una, 10);
    peer_clear(p);
    peer_send(p, F_ACK, p->snd_nxt, una + 10, NULL, 0);
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 1122 4.2.3.6: keepalive after the idle time, <SEQ=SND.NXT-1><ACK=RCV.NXT> with no data, at
 * the interval; after KEEPCNT unanswered probes the connection is dropped (ETIMEDOUT) and, as
 * Linux does, a RST is sent. */
static void est_timer_keepalive_etimedout(void)
{
    /* CELL(ESTABLISHED, TIMER_KEEPALIVE, ANY) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    peer *p = est(NULL);
    int on = 1, cnt = 3;
    uint64_t idle = SYNACK_SEC(10), intvl = SYNACK_SEC(2);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPIDLE, &idle, sizeof idle), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPINTVL, &intvl, sizeof intvl), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPCNT, &cnt, sizeof cnt), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPALIVE, &on, sizeof on), 0);
    synack_time_us t0 = p->now;
    uint32_t nxt = p->rcv_nxt;
    peer_advance(p, SYNACK_SEC(16));
    CHECK_EQ(p->nseg, 4);
    for (size_t i = 0; i < p->nseg && i < 3; i++) {
        CHECK_EQ(p->seg[i].flags, F_ACK);
        CHECK_EQ(p->seg[i].seq, nxt - 1);
        CHECK_EQ(p->seg[i].ack, p->snd_nxt);
        CHECK_EQ(p->seg[i].len, 0);
        CHECK_EQ(p->seg[i].t - t0, SYNACK_SEC(10) + i * SYNACK_SEC(2));
    }
    if (p->nseg == 4) {
        CHECK_EQ(p->seg[3].flags, F_RST | F_ACK);
        CHECK_EQ(p->seg[3].seq, nxt);
        CHECK_EQ(p->seg[3].t - t0, SYNACK_SEC(16));
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* RFC 1122 4.2.3.6: an answered probe keeps the connection; probing starts over only after a
 * full idle time ("MUST only be sent when no data or acknowledgement packets have been received
 * ... within an interval"). */
static void est_timer_keepalive_answered(void)
{
    /* CELL(ESTABLISHED, TIMER_KEEPALIVE, ANY) */
    peer *p = est(NULL);
    int on = 1;
    uint64_t idle = SYNACK_SEC(10), intvl = SYNACK_SEC(2);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPIDLE, &idle, sizeof idle), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPINTVL, &intvl, sizeof intvl), 0);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_KEEPALIVE, &on, sizeof on), 0);
    peer_advance(p, SYNACK_SEC(10));
    EXPECT_SEG(p, F_ACK, p->rcv_nxt - 1, p->snd_nxt);
    peer_send_ack(p);
    EXPECT_NONE(p);
    peer_advance(p, SYNACK_SEC(10) - 1);
    EXPECT_NONE(p);
    peer_advance(p, 1);
    EXPECT_SEG(p, F_ACK, p->rcv_nxt - 1, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 9293 3.10.8 USER TIMEOUT: data unacknowledged for the user timeout: CLOSED, ETIMEDOUT; the
 * stack also sends RST <SEQ=SND.NXT> (timer.c). */
static void est_timer_user_timeout(void)
{
    /* CELL(ESTABLISHED, TIMER_USER_TIMEOUT, ANY) */
    /* TRANSITION(ESTABLISHED, CLOSED) */
    peer *p = est(NULL);
    uint64_t ut = SYNACK_MS(2500);
    CHECK_EQ(synack_setsockopt(p->st, p->sd, SYNACK_SO_USER_TIMEOUT, &ut, sizeof ut), 0);
    uint32_t seq = stack_sends(p, "hello", 5);
    peer_advance(p, SYNACK_MS(2500));
    CHECK_EQ(p->nseg, 4); /* 3 retransmissions (0.2, 0.6, 1.4 s) then the RST */
    if (p->nseg == 4) {
        CHECK_EQ(p->seg[3].flags, F_RST | F_ACK);
        CHECK_EQ(p->seg[3].seq, seq + 5);
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    CHECK_EQ(peer_last_error(p), ETIMEDOUT);
    PEER_FINISH(p);
}

/* The connection-establishment timer stops once ESTABLISHED: nothing at 75 s, idle is fine. */
static void est_timer_conn_est_cancelled(void)
{
    /* CELL(ESTABLISHED, TIMER_CONN_EST, ANY) */
    peer *p = est(NULL);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    peer_advance(p, SYNACK_SEC(3600));
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* ---- option variants (timestamps and SACK on) ---- */

static synack_config cfg_ts_sack(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.timestamps = true;
    cfg.sack = true;
    return cfg;
}

/* RFC 7323 3.2 / RFC 2018 2: both offered and accepted; every later segment carries TS with
 * TSecr = the peer's latest TSval. */
static void est_ts_sack_active_handshake(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    synack_config cfg = cfg_ts_sack();
    peer *p = peer_new(&cfg);
    int sd = synack_socket(p->st);
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), PEER_PORT};
    CHECK_EQ(synack_connect(p->st, sd, &ep), -EINPROGRESS);
    p->sd = sd;
    synack_conn_info ci;
    CHECK(synack_socket_info(p->st, sd, &ci));
    p->conn_id = ci.conn_id;
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK(p->seg[0].opts.has_ts);
        CHECK(p->seg[0].opts.sack_ok);
        CHECK(p->seg[0].opts.has_mss);
        CHECK(p->seg[0].opts.has_wscale);
    }
    peer_clear(p);
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    p->snd_nxt = p->iss + 1;
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_ACK);
        CHECK(p->seg[0].opts.has_ts);
        CHECK_EQ(p->seg[0].opts.ts_ecr, p->ts_val + (uint32_t)(p->now / 1000));
    }
    peer_clear(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    CHECK_EQ(synack_send(p->st, p->sd, "ts", 2), 2);
    peer_collect(p);
    CHECK(p->nseg == 1 && p->seg[0].opts.has_ts);
    peer_clear(p);
    PEER_FINISH(p);
}

/* RFC 7323 / RFC 2018 on the passive side: the SYN-ACK answers TS (TSecr = SYN's TSval) and
 * SACK-permitted. */
static void est_ts_sack_passive_handshake(void)
{
    /* CELL(ESTABLISHED, ACK, OK) */
    synack_config cfg = cfg_ts_sack();
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    p->snd_nxt = p->iss + 1;
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].flags, F_SYN | F_ACK);
        CHECK(p->seg[0].opts.has_ts);
        CHECK(p->seg[0].opts.sack_ok);
        CHECK_EQ(p->seg[0].opts.ts_ecr, p->ts_val + (uint32_t)(p->now / 1000));
    }
    peer_clear(p);
    peer_send_ack(p);
    EXPECT_NONE(p);
    int sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(sd >= 0);
    p->sd = sd;
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* RFC 7323 5.3 (PAWS): a segment whose TSval is older than TS.Recent is an old duplicate: ACK,
 * drop, data not delivered. */
static void est_paws_old_timestamp_dropped(void)
{
    /* CELL(ESTABLISHED, DATA, OLD) */
    synack_config cfg = cfg_ts_sack();
    peer *p = est(&cfg);
    peer_advance(p, SYNACK_SEC(1));
    peer_clear(p);
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = p->ts_val - 100; /* before the SYN-ACK's */
    o.ts_ecr = p->ts_recent;
    peer_tx tx = {F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, -1, "old", 3, &o, 0};
    peer_inject(p, &tx);
    ACKED_AND_STAYS(p);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 0);
    PEER_FINISH(p);
}

/* RFC 2018 4: out-of-order data is answered with a SACK block covering it. */
static void est_sack_block_for_out_of_order(void)
{
    /* CELL(ESTABLISHED, DATA, OK) */
    synack_config cfg = cfg_ts_sack();
    peer *p = est(&cfg);
    uint32_t from = p->snd_nxt + 10;
    peer_send(p, F_ACK | F_PSH, from, p->rcv_nxt, "later", 5);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].ack, p->snd_nxt);
        CHECK_EQ(p->seg[0].opts.sack_count, 1);
        CHECK_EQ(p->seg[0].opts.sack[0].left, from);
        CHECK_EQ(p->seg[0].opts.sack[0].right, from + 5);
    }
    peer_clear(p);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(est_syn_in_window_challenge_ack);
    RUN(est_syn_in_window_rfc793_reset);
    RUN(est_syn_oow_acked);
    RUN(est_syn_old_acked);
    RUN(est_syn_ack_in_window_challenge_ack);
    RUN(est_syn_ack_in_window_rfc793_reset);
    RUN(est_syn_ack_retransmitted_reacked);
    RUN(est_syn_ack_oow_acked);
    RUN(est_ack_ok_advances_una);
    RUN(est_ack_duplicate_ignored);
    RUN(est_ack_unsent_acked_and_dropped);
    RUN(est_ack_too_old);
    RUN(est_ack_window_update_rule);
    RUN(est_ack_old_seq_acked);
    RUN(est_ack_oow_acked);
    RUN(est_fin_no_ack_dropped);
    RUN(est_fin_oow_acked);
    RUN(est_fin_ack_ok_close_wait);
    RUN(est_fin_ack_with_data);
    RUN(est_fin_ack_old_acked);
    RUN(est_fin_ack_oow_acked);
    RUN(est_fin_beyond_hole_held);
    RUN(est_rst_exact_reset);
    RUN(est_rst_with_data_resets);
    RUN(est_rst_in_window_challenge_ack);
    RUN(est_rst_in_window_rfc793_reset);
    RUN(est_rst_zero_window_resets);
    RUN(est_rst_oow_and_old_dropped);
    RUN(est_rst_ack_exact_reset);
    RUN(est_rst_ack_oow_dropped);
    RUN(est_rst_ack_in_window_challenge_ack);
    RUN(est_data_ok_delayed_ack);
    RUN(est_data_two_full_segments_ack_now);
    RUN(est_data_no_ack_dropped);
    RUN(est_data_out_of_order_held);
    RUN(est_data_old_acked);
    RUN(est_data_straddling_trimmed);
    RUN(est_data_oow_acked);
    RUN(est_data_zero_window_ack_still_processed);
    RUN(est_ack_zero_window_acceptable);
    RUN(est_close_fin_wait_1);
    RUN(est_close_fin_after_data);
    RUN(est_close_unread_data_rst);
    RUN(est_close_linger_zero_rst);
    RUN(est_abort_rst);
    RUN(est_send_segment);
    RUN(est_recv);
    RUN(est_shutdown_wr_fin_wait_1);
    RUN(est_shutdown_rd_discards);
    RUN(est_passive_data_and_close);
    RUN(est_timer_rexmt_backoff);
    RUN(est_timer_rexmt_r2_etimedout);
    RUN(est_timer_persist_probe);
    RUN(est_timer_keepalive_etimedout);
    RUN(est_timer_keepalive_answered);
    RUN(est_timer_user_timeout);
    RUN(est_timer_conn_est_cancelled);
    RUN(est_ts_sack_active_handshake);
    RUN(est_ts_sack_passive_handshake);
    RUN(est_paws_old_timestamp_dropped);
    RUN(est_sack_block_for_out_of_order);
    return test_report();
}
