/* seeds.h: the stack fuzzer's seed corpus and regression inputs, written with the script builder
 * (stack_script.h), each with what it must reach: the states it walks through and counters that
 * must move. tests/unit/fuzz_corpus.c checks that the files in tests/fuzz/corpus/stack and
 * tests/fuzz/regressions are exactly these scripts in the current format and still reach what
 * they were recorded for; `build-asan/unit_fuzz_corpus --write` regenerates them. */
#ifndef SYNACK_FUZZ_SEEDS_H
#define SYNACK_FUZZ_SEEDS_H

#include "stack_script.h"

#define ST(x) (1u << SYNACK_##x)
enum { A = SYNACK_ACK, S = SYNACK_SYN, F = SYNACK_FIN, R = SYNACK_RST, P = SYNACK_PSH };

typedef struct seed {
    const char *name;
    bool regression;             /* tests/fuzz/regressions, else tests/fuzz/corpus/stack */
    void (*build)(script_buf *s, int slot);
    bool both_families;          /* built for slot 0 (IPv4) and slot 4 (IPv6) */
    uint32_t cfg;
    uint32_t states;             /* states that must be entered */
    int counters[4];             /* counters that must be nonzero (0-terminated; 0 is ip_in) */
    bool saved;                  /* a fuzzer finding saved as found (fuzz_corpus.c), not built */
} seed;

/* Options of a SYN: everything the stack can negotiate. */
#define SYN_OPTS (O_MSS | O_WS | O_SACK_OK)

/* A passive open from slot k; mss_sel picks the peer's MSS option, 536 + 128 * mss_sel. */
static void b_passive_mss(script_buf *s, int k, uint8_t mss_sel)
{
    sb_seg(s, k, S, SEQ_NEXT, mss_sel, ACK_ALL, 0, 0xff, SYN_OPTS, 0);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_byte(s, OP_ACCEPT);
}
static void b_passive(script_buf *s, int k) { b_passive_mss(s, k, 0); }
static void b_active(script_buf *s, int k)
{
    sb_op1(s, OP_CONNECT, (uint32_t)k);
    sb_seg(s, k, S | A, SEQ_NEXT, 0, ACK_ALL, 3, 0xff, SYN_OPTS, 0);
}

static void seed_established_data(script_buf *s, int k)
{
    b_passive(s, k);
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 100);
    sb_recv(s, k);
    sb_send(s, k, 300);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_time_next(s);
}
static void seed_passive_close(script_buf *s, int k) /* CLOSE-WAIT, LAST-ACK */
{
    b_passive(s, k);
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 50);
    sb_seg(s, k, A | F, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_recv(s, k);
    sb_op1(s, OP_CLOSE, (uint32_t)k);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
}
static void seed_active_close(script_buf *s, int k) /* FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT */
{
    b_active(s, k);
    sb_send(s, k, 200);
    sb_op2(s, OP_SHUTDOWN, (uint32_t)k, 1);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_seg(s, k, A | F | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 20);
    sb_recv(s, k);
    sb_time_next(s);
}
static void seed_simultaneous_close(script_buf *s, int k) /* CLOSING */
{
    b_passive(s, k);
    sb_op2(s, OP_SHUTDOWN, (uint32_t)k, 1);
    sb_seg(s, k, A | F, SEQ_NEXT, 0, ACK_MINUS, 1, 0xff, 0, 0); /* crosses our FIN */
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_time_next(s);
}
static void seed_simultaneous_open(script_buf *s, int k)
{
    sb_op1(s, OP_CONNECT, (uint32_t)k);
    sb_seg(s, k, S, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, SYN_OPTS, 5);
    sb_seg(s, k, S | A, SEQ_STACK_ACK, 127, ACK_ALL, 0, 0xff, SYN_OPTS, 0); /* at its ISN again */
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_recv(s, k);
}
static void seed_syn_ack_data(script_buf *s, int k)
{
    sb_op1(s, OP_CONNECT, (uint32_t)k);
    sb_seg(s, k, S | A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, SYN_OPTS, 40);
    sb_recv(s, k);
    sb_op1(s, OP_ABORT, (uint32_t)k);
}
/* Out of order, overlapping and contained copies, then the hole filled: SACK blocks out. */
static void seed_ooo_overlap(script_buf *s, int k)
{
    b_passive(s, k);
    sb_seg(s, k, A, SEQ_NEXT_PLUS, 25, ACK_ALL, 0, 0xff, 0, 100);  /* [200, 300) */
    sb_seg(s, k, A, SEQ_NEXT_PLUS, 30, ACK_ALL, 0, 0xff, 0, 100);  /* [240, 340) overlaps */
    sb_seg(s, k, A, SEQ_NEXT_PLUS, 26, ACK_ALL, 0, 0xff, 0, 40);   /* [208, 248) contained */
    sb_seg(s, k, A, SEQ_NEXT_PLUS, 60, ACK_ALL, 0, 0xff, 0, 48);   /* a second range [480, 528) */
    sb_seg(s, k, A | F, SEQ_NEXT_PLUS, 66, ACK_ALL, 0, 0xff, 0, 0); /* FIN beyond a hole, at 528 */
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 210);         /* fills [0, 210) */
    sb_seg(s, k, A, SEQ_STACK_ACK, 128, ACK_ALL, 0, 0xff, 0, 140);  /* fills [340, 480): FIN */
    sb_recv(s, k);
    sb_seg(s, k, A, SEQ_NEXT_MINUS, 5, ACK_ALL, 0, 0xff, 0, 60);   /* old duplicate */
    sb_recv(s, k);
}
/* The stack sends; the peer SACKs around a hole: fast retransmit, SACK recovery. */
static void seed_sack_recovery(script_buf *s, int k)
{
    b_passive(s, k);
    sb_send(s, k, 4000);
    for (int i = 0; i < 3; i++) sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ISS, 1, 0xff, 0, 0); /* dupacks */
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ISS, 1, 0xff, O_SACK1, 0);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ISS, 1, 0xff, O_SACK2, 0);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ISS, 1, 0xff, O_SACK2, 0);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ISS, 1, 0xff, O_SACK2, 0);
    sb_time_ms(s, 5);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_send(s, k, 3000);
    sb_time_next(s); /* retransmission timeout */
    sb_time_next(s);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
}
static void seed_icmp(script_buf *s, int k)
{
    sb_op1(s, OP_CONNECT, (uint32_t)k);
    sb_icmp(s, k, 1, 0, 0); /* host unreachable / administratively prohibited: soft */
    sb_icmp(s, k, 0, 0, 0); /* port unreachable: ECONNREFUSED */
    sb_op1(s, OP_CLOSE, (uint32_t)k);
    b_passive_mss(s, k + 1, 7); /* MSS 1432: room for the path MTU to lower it */
    sb_send(s, k + 1, 3000);
    sb_icmp(s, k + 1, 3, 0, 100); /* fragmentation needed / packet too big */
    sb_icmp(s, k + 1, 4, 0, 0);   /* time exceeded: soft */
    sb_seg(s, k + 1, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
}
static void seed_rst(script_buf *s, int k)
{
    b_passive(s, k);
    sb_seg(s, k, R, SEQ_NEXT_PLUS, 1, ACK_ALL, 0, 0, 0, 0); /* in window: challenge ACK */
    sb_seg(s, k, S, SEQ_NEXT_PLUS, 0, ACK_ALL, 0, 0xff, 0, 0); /* SYN: challenge ACK */
    sb_seg(s, k, R, SEQ_NEXT, 0, ACK_ALL, 0, 0, 0, 0);      /* exact: reset */
    sb_recv(s, k);
    sb_seg(s, k + 1, S | F, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0); /* SYN+FIN at the listener */
    sb_seg(s, k + 2, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, O_ALT_PORT, 10); /* closed port */
}
static void seed_rfc793(script_buf *s, int k)
{
    b_passive(s, k);
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 30);
    sb_seg(s, k, S | A, SEQ_NEXT_MINUS, 5, ACK_ALL, 0, 0xff, 0, 80); /* old SYN left of the window */
    sb_seg(s, k, S, SEQ_NEXT_PLUS, 8, ACK_ALL, 0, 0xff, 0, 0);   /* SYN in the window: reset */
}
static void seed_timestamps(script_buf *s, int k)
{
    sb_seg(s, k, S, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, SYN_OPTS | O_TS, 0);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, O_TS, 0);
    sb_byte(s, OP_ACCEPT);
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, O_TS, 100);
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 100); /* no TS after agreeing */
    sb_seg(s, k, A | P, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, O_TS | O_BAD, 100);
    sb_recv(s, k);
    sb_time_ms(s, 50);
}
static void seed_keepalive(script_buf *s, int k)
{
    b_passive(s, k);
    sb_byte(s, OP_SOCKOPT), sb_byte(s, (uint32_t)k), sb_byte(s, 1), sb_byte(s, 1); /* keepalive */
    sb_byte(s, OP_SOCKOPT), sb_byte(s, (uint32_t)k), sb_byte(s, 4), sb_byte(s, 10); /* idle 1 s */
    for (int i = 0; i < 12; i++) sb_time_next(s);
}
/* Data and a FIN in IP fragments, every order, a duplicate fragment and a tiny first fragment
 * that is refused (RFC 1858 / RFC 7112), then the close. */
static void seed_fragments(script_buf *s, int k)
{
    b_passive(s, k);
    sb_frag(s, k, A | P, 600, 9, 0);  /* 80-octet fragments, in order */
    sb_frag(s, k, A | P, 600, 9, 1);  /* reversed */
    sb_frag(s, k, A | P, 500, 2, 2);  /* 24-octet fragments, the first twice */
    sb_frag(s, k, A | P, 300, 4, 7);  /* odd ones first (IPv6: after a hop-by-hop header) */
    sb_recv(s, k);
    sb_frag(s, k, A | P, 100, 0, 0);  /* 8-octet first fragment: refused, the rest times out */
    sb_time_ms(s, 200);
    sb_frag(s, k, A | F, 0, 3, 0);    /* a FIN with a hole before it: out of order */
    sb_op1(s, OP_CLOSE, (uint32_t)k);
    sb_time_next(s);
}
/* Zero window: probes while the peer keeps answering with a zero window, then the application
 * goes away (once a leak: probing that never gave up). */
static void regress_persist(script_buf *s, int k)
{
    b_passive(s, k);
    sb_seg(s, k, A, SEQ_NEXT, 0, ACK_ALL, 0, 0, 0, 0);
    sb_send(s, k, 2000);
    for (int i = 0; i < 6; i++) {
        sb_time_next(s);
        sb_seg(s, k, A, SEQ_NEXT, 0, ACK_MINUS, 1, 0, 0, 0);
    }
    sb_op1(s, OP_CLOSE, (uint32_t)k);
    for (int i = 0; i < 6; i++) {
        sb_time_next(s);
        sb_seg(s, k, A, SEQ_NEXT, 0, ACK_MINUS, 1, 0, 0, 0);
    }
}
/* Listener children in every stage, some sent back to LISTEN, then the listener closed and
 * opened again (once a hash chain cycle: a child freed under a stale key). */
static void regress_children(script_buf *s, int k)
{
    (void)k;
    for (int j = 0; j < 8; j++) sb_seg(s, j, S, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, SYN_OPTS, 0);
    sb_seg(s, 1, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_seg(s, 5, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_seg(s, 2, R, SEQ_NEXT, 0, ACK_ALL, 0, 0, 0, 0);      /* back to LISTEN */
    sb_seg(s, 6, S, SEQ_NEXT_PLUS, 1, ACK_ALL, 0, 0xff, 0, 0); /* SYN in SYN-RECEIVED */
    sb_byte(s, OP_ACCEPT);
    sb_op1(s, OP_LISTEN, 1); /* closes the listener and its children, listens again */
    sb_seg(s, 0, S, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, SYN_OPTS, 0);
    sb_seg(s, 0, A, SEQ_NEXT, 0, ACK_ALL, 0, 0xff, 0, 0);
    sb_byte(s, OP_ACCEPT);
    sb_time_next(s);
}

#define NCNT(x) SYNACK_CNT_##x
static const seed seeds[] = {
    {"established_data", false, seed_established_data, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(SYN_RECEIVED), {NCNT(tcp_in)}, false},
    {"passive_close", false, seed_passive_close, true, SCRIPT_CFG_NO_TS, ST(CLOSE_WAIT) | ST(LAST_ACK) | ST(CLOSED), {NCNT(tcp_in)}, false},
    {"active_close", false, seed_active_close, true, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(FIN_WAIT_1) | ST(FIN_WAIT_2) | ST(TIME_WAIT), {NCNT(tcp_in)}, false},
    {"simultaneous_close", false, seed_simultaneous_close, true, SCRIPT_CFG_NO_TS, ST(FIN_WAIT_1) | ST(CLOSING) | ST(TIME_WAIT), {NCNT(tcp_in)}, false},
    {"simultaneous_open", false, seed_simultaneous_open, true, SCRIPT_CFG_NO_TS | SCRIPT_CFG_KEEP_SYNFIN, ST(SYN_SENT) | ST(SYN_RECEIVED) | ST(ESTABLISHED), {NCNT(tcp_ooo)}, false},
    {"syn_ack_data", false, seed_syn_ack_data, true, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(tcp_rst_out)}, false},
    {"ooo_overlap", false, seed_ooo_overlap, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSE_WAIT), {NCNT(tcp_ooo), NCNT(tcp_unacceptable)}, false},
    {"sack_recovery", false, seed_sack_recovery, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED), {NCNT(tcp_fast_rexmt), NCNT(tcp_rto_fired), NCNT(tcp_rexmt)}, false},
    {"icmp_errors", false, seed_icmp, false, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(icmp_hard_error), NCNT(icmp_soft_error), NCNT(icmp_pmtu)}, false},
    {"icmp6_errors", false, seed_icmp, false, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(icmp_hard_error), NCNT(icmp_soft_error), NCNT(icmp_pmtu)}, false},
    {"rst_syn", false, seed_rst, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_challenge_ack), NCNT(tcp_conn_reset), NCNT(tcp_synfin), NCNT(tcp_no_conn)}, false},
    {"rfc793", false, seed_rfc793, true, SCRIPT_CFG_NO_TS | SCRIPT_CFG_RFC793, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_dup_data), NCNT(tcp_rst_out)}, false},
    {"timestamps", false, seed_timestamps, true, 0, ST(ESTABLISHED), {0}, false},
    {"keepalive", false, seed_keepalive, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_keepalive_probe)}, false},
    {"fragments", false, seed_fragments, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(FIN_WAIT_1), {NCNT(reass_ok), NCNT(reass_dup), NCNT(reass_tiny), NCNT(reass_timeout)}, false},
    {"persist_leak", true, regress_persist, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(FIN_WAIT_1), {NCNT(tcp_persist_probe)}, false},
    {"hash_chain_cycle", true, regress_children, false, SCRIPT_CFG_NO_TS, ST(SYN_RECEIVED) | ST(LISTEN) | ST(ESTABLISHED), {NCNT(tcp_conn_reset)}, false},
};
#undef NCNT

/* Builds seed i for slot k. The ICMP seeds pick their family by name. */
static inline void seed_build(const seed *sd, int k, script_buf *s)
{
    if (sd->build == seed_icmp) k = strstr(sd->name, "icmp6") ? 4 : 0;
    sb_start(s, sd->cfg);
    sd->build(s, k);
}

#endif
