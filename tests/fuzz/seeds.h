/* seeds.h: the script fuzzers' seed corpora and regression inputs, written with their builders
 * (stack_script.h, reass_script.h, listen_script.h), each with what it must reach: the states
 * it walks through and counters that must move. tests/unit/fuzz_corpus.c checks that the files
 * in tests/fuzz/corpus/<target> and tests/fuzz/regressions are exactly these scripts in the
 * current formats and still reach what they were recorded for; `build-asan/unit_fuzz_corpus
 * --write` regenerates them. */
#ifndef SYNACK_FUZZ_SEEDS_H
#define SYNACK_FUZZ_SEEDS_H

#include "listen_script.h"
#include "reass_script.h"
#include "stack_script.h"

/* The script targets, their corpus directories (tests/fuzz/corpus/<dir>) and players. */
enum seed_target { T_STACK, T_REASS, T_LISTEN, T_COUNT };
static const char *const seed_target_dir[T_COUNT] = {"stack", "reass", "listen"};

static inline void seed_target_run(int target, const uint8_t *data, size_t size, script_result *r)
{
    if (target == T_REASS) reass_run_ex(data, size, r);
    else if (target == T_LISTEN) listen_run_ex(data, size, r);
    else script_run_ex(data, size, r);
}

#define ST(x) (1u << SYNACK_##x)
enum { A = SYNACK_ACK, S = SYNACK_SYN, F = SYNACK_FIN, R = SYNACK_RST, P = SYNACK_PSH };

typedef struct seed {
    const char *name;
    bool regression;             /* tests/fuzz/regressions (stack target), else tests/fuzz/corpus/<target> */
    void (*build)(script_buf *s, int slot);
    bool both_families;          /* built for slot 0 (IPv4) and slot 4 (IPv6) */
    uint32_t cfg;                /* the stack script's configuration byte (the others write their own) */
    uint32_t states;             /* states that must be entered */
    int counters[4];             /* counters that must be nonzero (0-terminated; 0 is ip_in) */
    bool saved;                  /* a fuzzer finding saved as found (fuzz_corpus.c), not built */
    int target;                  /* enum seed_target (0: the stack fuzzer) */
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

/* ---- the reassembly fuzzer (reass_script.h): slot 0 builds IPv4, slot 4 IPv6 ---- */

/* An echo request in 256-octet fragments, in order: the reply carries the data back. */
static void reass_echo(script_buf *s, int k)
{
    rb_start(s, 0);
    rb_msg(s, k >= 4, 0, K_ECHO, 1000);
    rb_cut(s, 1, 256, 0);
}
/* Every order of R_CUT that completes, each datagram under its own id, with duplicates. */
static void reass_orders(script_buf *s, int k)
{
    rb_start(s, 0);
    rb_msg(s, k >= 4, 1, K_ECHO, 3000);
    static const uint8_t orders[] = {1, 2, 3, 6, 7};
    for (uint32_t i = 0; i < sizeof orders; i++) rb_cut(s, 10 + i, 8 * (10 + i), orders[i]);
}
/* An overlap discards the datagram (its later fragments too: RFC 5722); a missing fragment
 * times out with ICMP time exceeded; an ICMP error in fragments times out without one. */
static void reass_overlap_missing(script_buf *s, int k)
{
    rb_start(s, REASS_CFG_SHORT);
    rb_msg(s, k >= 4, 0, K_ECHO, 800);
    rb_cut(s, 1, 64, 5);
    rb_cut(s, 2, 64, 4);
    rb_msg(s, k >= 4, 2, K_ICMP_ERROR, 600);
    rb_cut(s, 3, 64, 4);
    rb_time_s(s, 16);
    rb_time_next(s);
}
/* Lengths and ends: past 65,535 octets, disagreeing ends, a non-last fragment not a multiple of
 * 8, too many fragments for one datagram. */
static void reass_limits(script_buf *s, int k)
{
    rb_start(s, REASS_CFG_SMALL_POOL);
    rb_msg(s, k >= 4, 0, K_ECHO, 4000);
    rb_frag(s, 1, 65528, 16, 0);            /* ends beyond 65,535 */
    rb_frag(s, 2, 0, 64, R_F_MORE);
    rb_frag(s, 2, 128, 64, 0);
    rb_frag(s, 2, 256, 8, 0);               /* a second, different end */
    rb_frag(s, 3, 0, 60, R_F_MORE);         /* not a multiple of 8 */
    rb_cut(s, 4, 32, 0);                    /* 125 fragments, 8 allowed */
    rb_time_next(s);
}
/* TCP in fragments: a SYN with data reaches the listener; a first fragment shorter than the TCP
 * header is refused (RFC 1858, RFC 7112), and IPv4's offset-8 fragment too (RFC 1858 3.2). */
static void reass_tcp(script_buf *s, int k)
{
    rb_start(s, 0);
    rb_msg(s, k >= 4, 1, K_TCP_SYN, 200);
    rb_cut(s, 1, 64, 1);
    rb_msg(s, k >= 4, 2, K_TCP_SYN, 100);
    rb_cut(s, 2, 8, 0);
    rb_time_next(s);
}
/* Budgets: one source over its share of slots and memory, then other sources evicting the
 * oldest datagrams from the stack's memory. */
static void reass_budgets(script_buf *s, int k)
{
    rb_start(s, REASS_CFG_SMALL_POOL | REASS_CFG_SMALL_MEM);
    rb_msg(s, k >= 4, 0, K_ECHO, 2000);
    for (uint32_t id = 1; id <= 4; id++) rb_frag(s, id, 0, 512, R_F_MORE);
    for (uint32_t src = 1; src < 4; src++) {
        rb_msg(s, k >= 4, src, K_ECHO, 2000);
        rb_frag(s, 9, 0, 1024, R_F_MORE);
        rb_frag(s, 9, 1024, 800, R_F_MORE);
    }
    rb_time_next(s);
}
/* IPv6: the fragmentable part starts with a Destination Options header; fragments after a
 * hop-by-hop header; reassembly off (every fragment counted). */
static void reass_ext6(script_buf *s, int k)
{
    (void)k;
    rb_start(s, 0);
    rb_msg(s, true, 0, K_DSTOPTS_ECHO, 600);
    rb_cut(s, 1, 128, 0);
    rb_cut(s, 2, 128, 7);
    rb_msg(s, true, 1, K_OTHER, 300);
    rb_cut(s, 3, 96, 2);
}
static void reass_off(script_buf *s, int k)
{
    rb_start(s, REASS_CFG_OFF);
    rb_msg(s, k >= 4, 0, K_ECHO, 500);
    rb_cut(s, 1, 128, 0);
}

/* ---- the listen fuzzer (listen_script.h): slot 0 makes an IPv4 listener and peers, 4 IPv6 ---- */

#define L_SYN_OPTS (L_O_MSS | L_O_WS | L_O_SACK | L_O_TS)
static uint32_t lpeer(int k, uint32_t n) { return (k >= 4 ? 32 : 0) + n; }

/* Handshakes completed and accepted, one with data and one with a FIN, then closed. */
static void listen_accepts(script_buf *s, int k)
{
    lb_start(s, 1 | (k >= 4 ? 4 : 0), 4, 4, 2);
    for (uint32_t n = 0; n < 3; n++) {
        lb_syn(s, lpeer(k, n), L_SYN_OPTS, n, 5);
        lb_op3(s, L_ACK, lpeer(k, n), n == 1 ? 4 : n == 2 ? 5 : 0, 0);
        sb_byte(s, L_ACCEPT);
    }
    lb_op1(s, L_RECV, 1);
    lb_op1(s, L_CLOSE, 0), lb_op1(s, L_CLOSE, 1 | 16), lb_op1(s, L_CLOSE, 2); /* FIN-WAIT-1, RST, LAST-ACK */
    sb_byte(s, L_TIME), sb_byte(s, 1), sb_byte(s, 0);
}
/* A flood past the SYN queue answered with cookies (auto); ACKs completing some cookies, one with
 * a wrong number, one without timestamps; the accept queue full. */
static void listen_cookies(script_buf *s, int k)
{
    lb_start(s, 1 | (k >= 4 ? 4 : 0), 2, 2, 4);
    lb_op3(s, L_FLOOD, 11, lpeer(k, 0), L_SYN_OPTS);
    for (uint32_t n = 4; n < 8; n++) lb_op3(s, L_ACK, lpeer(k, n), n == 6 ? 1 : n == 7 ? 3 : 0, 3);
    sb_byte(s, L_ACCEPT);
    lb_op3(s, L_ACK, lpeer(k, 9), 0, 0);
    lb_op3(s, L_ACK, lpeer(k, 10), 0, 0); /* the accept queue is full by now */
    lb_syn(s, lpeer(k, 12), L_SYN_OPTS, 1, 1);
    sb_byte(s, L_ACCEPT), sb_byte(s, L_ACCEPT);
    sb_byte(s, L_TIME), sb_byte(s, 2), sb_byte(s, 3);
}
/* Cookies always, including a SYN whose MSS is below the cookie table; RSTs to children; the
 * listener opened again under its children. */
static void listen_always(script_buf *s, int k)
{
    lb_start(s, 2 | (k >= 4 ? 4 : 0), 3, 3, 2);
    lb_syn(s, lpeer(k, 1), L_SYN_OPTS, 1, 1);
    lb_syn(s, lpeer(k, 2), L_O_TINY_MSS, 2, 2);
    lb_syn(s, lpeer(k, 3), L_O_MSS | L_O_SACK, 3, 3);
    lb_op3(s, L_ACK, lpeer(k, 1), 0, 0);
    lb_op3(s, L_ACK, lpeer(k, 3), 3, 0);
    sb_byte(s, L_ACCEPT), sb_byte(s, L_ACCEPT);
    lb_op3(s, L_RST, lpeer(k, 1), 0, 0);
    lb_op1(s, L_RELISTEN, 2);
}
/* Cookies off: the SYN queue full drops SYNs; half-open children reset and timed out; SYN+FIN
 * and malformed options; a specific-address listener. */
static void listen_off(script_buf *s, int k)
{
    lb_start(s, 0 | 8 | (k >= 4 ? 4 : 0), 2, 2, 1);
    lb_op3(s, L_FLOOD, 4, lpeer(k, 0), L_O_MSS | L_O_BAD);
    lb_syn(s, lpeer(k, 5), L_O_FIN, 0, 0);
    lb_op3(s, L_RST, lpeer(k, 0), 0, 0);
    lb_op3(s, L_RST, lpeer(k, 1), 1, 200);
    for (int i = 0; i < 8; i++) sb_byte(s, L_TIME), sb_byte(s, 1), sb_byte(s, 0);
}

#define NCNT(x) SYNACK_CNT_##x
static const seed seeds[] = {
    {"established_data", false, seed_established_data, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(SYN_RECEIVED), {NCNT(tcp_in)}, false, T_STACK},
    {"passive_close", false, seed_passive_close, true, SCRIPT_CFG_NO_TS, ST(CLOSE_WAIT) | ST(LAST_ACK) | ST(CLOSED), {NCNT(tcp_in)}, false, T_STACK},
    {"active_close", false, seed_active_close, true, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(FIN_WAIT_1) | ST(FIN_WAIT_2) | ST(TIME_WAIT), {NCNT(tcp_in)}, false, T_STACK},
    {"simultaneous_close", false, seed_simultaneous_close, true, SCRIPT_CFG_NO_TS, ST(FIN_WAIT_1) | ST(CLOSING) | ST(TIME_WAIT), {NCNT(tcp_in)}, false, T_STACK},
    {"simultaneous_open", false, seed_simultaneous_open, true, SCRIPT_CFG_NO_TS | SCRIPT_CFG_KEEP_SYNFIN, ST(SYN_SENT) | ST(SYN_RECEIVED) | ST(ESTABLISHED), {NCNT(tcp_ooo)}, false, T_STACK},
    {"syn_ack_data", false, seed_syn_ack_data, true, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(tcp_rst_out)}, false, T_STACK},
    {"ooo_overlap", false, seed_ooo_overlap, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSE_WAIT), {NCNT(tcp_ooo), NCNT(tcp_unacceptable)}, false, T_STACK},
    {"sack_recovery", false, seed_sack_recovery, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED), {NCNT(tcp_fast_rexmt), NCNT(tcp_rto_fired), NCNT(tcp_rexmt)}, false, T_STACK},
    {"icmp_errors", false, seed_icmp, false, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(icmp_hard_error), NCNT(icmp_soft_error), NCNT(icmp_pmtu)}, false, T_STACK},
    {"icmp6_errors", false, seed_icmp, false, SCRIPT_CFG_NO_TS, ST(SYN_SENT) | ST(ESTABLISHED), {NCNT(icmp_hard_error), NCNT(icmp_soft_error), NCNT(icmp_pmtu)}, false, T_STACK},
    {"rst_syn", false, seed_rst, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_challenge_ack), NCNT(tcp_conn_reset), NCNT(tcp_synfin), NCNT(tcp_no_conn)}, false, T_STACK},
    {"rfc793", false, seed_rfc793, true, SCRIPT_CFG_NO_TS | SCRIPT_CFG_RFC793, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_dup_data), NCNT(tcp_rst_out)}, false, T_STACK},
    {"timestamps", false, seed_timestamps, true, 0, ST(ESTABLISHED), {0}, false, T_STACK},
    {"keepalive", false, seed_keepalive, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(CLOSED), {NCNT(tcp_keepalive_probe)}, false, T_STACK},
    {"fragments", false, seed_fragments, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(FIN_WAIT_1), {NCNT(reass_ok), NCNT(reass_dup), NCNT(reass_tiny), NCNT(reass_timeout)}, false, T_STACK},
    {"persist_leak", true, regress_persist, true, SCRIPT_CFG_NO_TS, ST(ESTABLISHED) | ST(FIN_WAIT_1), {NCNT(tcp_persist_probe)}, false, T_STACK},
    {"hash_chain_cycle", true, regress_children, false, SCRIPT_CFG_NO_TS, ST(SYN_RECEIVED) | ST(LISTEN) | ST(ESTABLISHED), {NCNT(tcp_conn_reset)}, false, T_STACK},
    /* the reassembly fuzzer */
    {"echo", false, reass_echo, true, 0, 0, {NCNT(reass_ok), NCNT(icmp_echo_reply)}, false, T_REASS},
    {"orders", false, reass_orders, true, 0, 0, {NCNT(reass_ok), NCNT(reass_dup), NCNT(icmp_echo_reply)}, false, T_REASS},
    {"overlap_missing", false, reass_overlap_missing, true, 0, 0, {NCNT(reass_overlap), NCNT(reass_dead), NCNT(reass_timeout), NCNT(icmp_time_exceeded_out)}, false, T_REASS},
    {"limits", false, reass_limits, true, 0, 0, {NCNT(reass_too_big), NCNT(reass_bad_end), NCNT(reass_bad_len), NCNT(reass_too_many)}, false, T_REASS},
    {"tcp", false, reass_tcp, true, 0, ST(SYN_RECEIVED), {NCNT(reass_ok), NCNT(reass_tiny), NCNT(tcp_in)}, false, T_REASS},
    {"budgets", false, reass_budgets, true, 0, 0, {NCNT(reass_src_budget), NCNT(reass_evicted), NCNT(reass_timeout)}, false, T_REASS},
    {"ext6", false, reass_ext6, false, 0, 0, {NCNT(reass_ok), NCNT(icmp_echo_reply), NCNT(ip_not_tcp)}, false, T_REASS},
    {"off", false, reass_off, true, 0, 0, {NCNT(reass_off)}, false, T_REASS},
    /* the listen fuzzer */
    {"accepts", false, listen_accepts, true, 0, ST(SYN_RECEIVED) | ST(ESTABLISHED) | ST(CLOSE_WAIT) | ST(FIN_WAIT_1) | ST(LAST_ACK), {NCNT(tcp_in)}, false, T_LISTEN},
    {"cookies", false, listen_cookies, true, 0, ST(ESTABLISHED), {NCNT(tcp_syncookie_sent), NCNT(tcp_syncookie_ok), NCNT(tcp_syncookie_bad), NCNT(tcp_syn_aq_full)}, false, T_LISTEN},
    {"always", false, listen_always, true, 0, ST(ESTABLISHED), {NCNT(tcp_syncookie_sent), NCNT(tcp_syncookie_ok), NCNT(tcp_syncookie_small_mss)}, false, T_LISTEN},
    {"cookies_off", false, listen_off, true, 0, ST(SYN_RECEIVED), {NCNT(tcp_listen_drop), NCNT(tcp_synfin)}, false, T_LISTEN},
};
#undef NCNT

/* Builds seed i for slot k. The ICMP seeds pick their family by name. The stack script's
 * header is written here; the other targets' builders write their own. */
static inline void seed_build(const seed *sd, int k, script_buf *s)
{
    if (sd->build == seed_icmp) k = strstr(sd->name, "icmp6") ? 4 : 0;
    s->n = 0;
    if (sd->target == T_STACK) sb_start(s, sd->cfg);
    sd->build(s, k);
}

#endif
