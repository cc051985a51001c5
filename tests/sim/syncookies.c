/* syncookies.c: SYN cookies and the separate SYN and accept queues (RFC 4987 3.6; Linux's
 * behaviour where RFC 9293 3.10.7.2 leaves resource limits open). Exact exchanges against the
 * scripted peer (IPv4), and an option matrix between two real stacks over the simulated link
 * (IPv4 and IPv6), all in virtual time. */
#include <stdlib.h>

#include "pair.h"
#include "peer.h"
#include "test.h"

static const char hello[] = "hello, cookie";

static synack_config cookie_cfg(uint8_t mode, bool ts)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.syncookies = mode;
    cfg.timestamps = ts;
    cfg.sack = ts;
    return cfg;
}

static uint64_t cnt(peer *p, int c) { return synack_counter(p->st, c); }

/* The listener's half-open children and accept queue. */
static uint16_t syn_queue(peer *p)
{
    synack_conn_info ci;
    return synack_socket_info(p->st, p->lsd, &ci) ? ci.syn_queue_len : 0xffff;
}

/* Sends a SYN from sport with ISN isn; returns the one SYN-ACK (cleared from p->seg). */
static peer_seg syn_from(peer *p, uint16_t sport, uint32_t isn)
{
    peer_seg s;
    memset(&s, 0, sizeof s);
    peer_tx tx = {F_SYN, isn, 0, -1, NULL, 0, NULL, sport};
    peer_inject(p, &tx);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        s = p->seg[0];
        CHECK_EQ(s.flags, F_SYN | F_ACK);
        CHECK_EQ(s.ack, isn + 1);
    }
    peer_clear(p);
    return s;
}

/* The final ACK of the handshake answering synack, from sport, with optional data. */
static void ack_of(peer *p, uint16_t sport, uint32_t isn, const peer_seg *synack, const void *data,
                   uint32_t len)
{
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = synack->opts.has_ts;
    o.ts_val = p->ts_val + (uint32_t)(p->now / 1000u);
    o.ts_ecr = synack->opts.ts_val;
    peer_tx tx = {len ? F_ACK | F_PSH : F_ACK, isn + 1, synack->seq + 1, -1, data, len, &o, sport};
    peer_inject(p, &tx);
}

/* ---- a cookie SYN-ACK keeps no state, encodes the options, and the connection works ---- */

static void cookie_round_trip_exact(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, true);
    peer *p = peer_new(&cfg);
    p->wscale = 3;
    CHECK(peer_to_listen(p));
    uint32_t conns = peer_conns(p);
    peer_seg sa = syn_from(p, PEER_PORT, p->iss);
    /* No state: no child, nothing in the SYN queue, no timer. */
    CHECK_EQ(peer_conns(p), conns);
    CHECK_EQ(syn_queue(p), 0);
    CHECK_EQ(synack_next_deadline(p->st), SYNACK_TIME_NEVER);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_sent), 1);
    /* Options as a child would offer them; the peer's options in the low 6 bits of TSval:
     * window scale 3, SACK-permitted (bit 4), no ECN (bit 5). */
    CHECK(sa.opts.has_mss && sa.opts.mss == 1460);
    CHECK(sa.opts.has_wscale && sa.opts.wscale == cfg.wscale);
    CHECK(sa.opts.sack_ok);
    CHECK(sa.opts.has_ts);
    CHECK_EQ(sa.opts.ts_val & 63u, 3u | 0x10u);
    CHECK_EQ(sa.wnd, 65535);
    /* The final ACK carries data: the connection is made, ESTABLISHED, and takes the data. */
    ack_of(p, PEER_PORT, p->iss, &sa, hello, sizeof hello);
    p->snd_nxt = p->iss + 1 + sizeof hello;
    p->rcv_nxt = sa.seq + 1;
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
    p->sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(p->sd >= 0);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_LISTEN, SYNACK_SYN_RECEIVED), 1);
    CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_ESTABLISHED), 1);
    char buf[64];
    CHECK_EQ(synack_recv(p->st, p->sd, buf, sizeof buf), (long)sizeof hello);
    CHECK(memcmp(buf, hello, sizeof hello) == 0);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK(ci.ts_ok && ci.sack_ok && ci.ws_ok);
    CHECK_EQ(ci.snd_wscale, 3);
    CHECK_EQ(ci.rcv_wscale, cfg.wscale);
    CHECK_EQ(ci.snd_mss, 1460);
    CHECK_EQ(ci.iss, sa.seq);
    /* The window the peer sends is scaled by its 3. */
    CHECK_EQ(ci.snd_wnd, 65535u << 3);
    /* Data the other way; our TSval now is the plain clock, not below the cookie's. */
    peer_clear(p);
    CHECK_EQ(synack_send(p->st, p->sd, "pong", 4), 4);
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) {
        CHECK_EQ(p->seg[0].len, 4);
        CHECK_EQ(p->seg[0].seq, sa.seq + 1);
        CHECK(p->seg[0].opts.has_ts && (int32_t)(p->seg[0].opts.ts_val - sa.opts.ts_val) >= 0);
    }
    peer_clear(p);
    PEER_FINISH(p);
}

/* Without timestamps the cookie cannot carry window scale or SACK: none is offered (Linux). */
static void cookie_without_timestamps_has_no_options(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, false);
    cfg.sack = true;
    peer *p = peer_new(&cfg);
    p->wscale = 6;
    p->sack = true;
    p->mss = 1400; /* class 1300 */
    CHECK(peer_to_listen(p));
    peer_seg sa = syn_from(p, PEER_PORT, p->iss);
    CHECK(sa.opts.has_mss);
    CHECK(!sa.opts.has_wscale && !sa.opts.sack_ok && !sa.opts.has_ts);
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0);
    p->sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(p->sd >= 0);
    synack_conn_info ci;
    CHECK(peer_info(p, &ci));
    CHECK(!ci.ts_ok && !ci.sack_ok && !ci.ws_ok);
    CHECK_EQ(ci.snd_mss, 1300);
    CHECK_EQ(ci.snd_wnd, 65535);
    peer_clear(p);
    PEER_FINISH(p);
}

/* An MSS below the smallest class cannot be encoded without breaking MUST-16: dropped. */
static void cookie_mss_below_table_dropped(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, false);
    peer *p = peer_new(&cfg);
    p->mss = 500;
    CHECK(peer_to_listen(p));
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_small_mss), 1);
    PEER_FINISH(p);
}

/* ---- validity ---- */

/* A cookie validates in the 64 s period it was made in and the next one, never later. */
static void cookie_expires(void)
{
    for (int ts = 0; ts < 2; ts++) {
        synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, ts);
        peer *p = peer_new(&cfg); /* now = 1 s: period 0 */
        CHECK(peer_to_listen(p));
        peer_seg a = syn_from(p, PEER_PORT, 1000);
        peer_seg b = syn_from(p, PEER_PORT + 1, 2000);
        peer_advance(p, SYNACK_SEC(127) - 1); /* 127.999999 s: period 1 */
        ack_of(p, PEER_PORT, 1000, &a, NULL, 0);
        EXPECT_NONE(p);
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
        peer_advance(p, 1); /* 128 s: period 2, the cookie is dead */
        ack_of(p, PEER_PORT + 1, 2000, &b, NULL, 0);
        EXPECT_SEG(p, F_RST, b.seq + 1, 0); /* RFC 9293 3.10.7.2: <SEQ=SEG.ACK><CTL=RST> */
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_bad), 1);
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
        CHECK_EQ(peer_conns(p), 2); /* the listener and a's connection */
        PEER_FINISH(p);
    }
}

/* Forged ACKs: wrong ACK number, another 4-tuple, another peer ISN, random guesses. */
static void cookie_forged_rejected(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, false);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_seg sa = syn_from(p, PEER_PORT, p->iss);
    peer_send(p, F_ACK, p->iss + 1, sa.seq + 2, NULL, 0); /* ACK number off by one */
    EXPECT_SEG(p, F_RST, sa.seq + 2, 0);
    peer_tx other = {F_ACK, p->iss + 1, sa.seq + 1, -1, NULL, 0, NULL, PEER_PORT + 7};
    peer_inject(p, &other); /* the same numbers from another port */
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    if (p->nseg == 1) CHECK_EQ(p->seg[0].flags, F_RST);
    peer_clear(p);
    peer_send(p, F_ACK, p->iss + 2, sa.seq + 1, NULL, 0); /* as if the peer's ISN were another */
    EXPECT_SEG(p, F_RST, sa.seq + 1, 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_bad), 3);
    /* Blind guesses: 26 bits of MAC leave 20000 tries a 0.03% chance; with this seed, none. */
    uint32_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        peer_tx g = {F_ACK, 77, x, -1, NULL, 0, NULL, (uint16_t)(1024 + i % 20000)};
        peer_inject(p, &g);
        peer_clear(p);
    }
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_bad), 20003);
    CHECK_EQ(peer_conns(p), 1);
    /* The real one still works. */
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
    CHECK_EQ(peer_conns(p), 2);
    PEER_FINISH(p);
}

/* A tampered TSecr fails the cookie too: the ECN bit we never set, or a clock value older than
 * any cookie can be. */
static void cookie_ts_bits_checked(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, true);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_seg sa = syn_from(p, PEER_PORT, p->iss);
    peer_seg bad = sa;
    bad.opts.ts_val = sa.opts.ts_val | 0x20u; /* ECN */
    ack_of(p, PEER_PORT, p->iss, &bad, NULL, 0);
    peer_clear(p);
    bad.opts.ts_val = sa.opts.ts_val - 64u * 5000u; /* same bits, our clock of 5 min ago */
    ack_of(p, PEER_PORT, p->iss, &bad, NULL, 0);
    peer_clear(p);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_bad), 2);
    CHECK_EQ(peer_conns(p), 1);
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
    PEER_FINISH(p);
}

/* auto: until the listener has sent a cookie, an ACK to it is an ordinary ACK to LISTEN. */
static void cookie_auto_not_checked_before_overflow(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_AUTO, false);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_send(p, F_ACK, 5, 77, NULL, 0);
    EXPECT_SEG(p, F_RST, 77, 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_bad), 0);
    PEER_FINISH(p);
}

/* A replayed cookie ACK: while the connection exists it goes to the connection (a duplicate
 * ACK: nothing happens); once the connection ended (its TCB deleted) it would make a new one,
 * so the stack remembers ended cookie connections while their cookie lives and answers as RFC
 * 9293 3.10.7.2 does for an ACK to LISTEN: <SEQ=SEG.ACK><CTL=RST>. */
static void cookie_replay(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, false);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    peer_seg sa = syn_from(p, PEER_PORT, p->iss);
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0);
    p->snd_nxt = p->iss + 1;
    p->rcv_nxt = sa.seq + 1;
    p->sd = synack_accept(p->st, p->lsd, NULL);
    CHECK(p->sd >= 0);
    peer_clear(p);
    uint32_t conns = peer_conns(p);
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0); /* replay: a duplicate ACK to the connection */
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    CHECK_EQ(peer_conns(p), conns);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
    /* The peer closes, we close: LAST-ACK, then CLOSED and the TCB is gone. */
    peer_send_fin(p);
    EXPECT_SEG(p, F_ACK, sa.seq + 1, p->snd_nxt);
    CHECK_EQ(synack_close(p->st, p->sd), 0);
    p->sd = -1;
    EXPECT_SEG(p, F_FIN | F_ACK, sa.seq + 1, p->snd_nxt);
    peer_send(p, F_ACK, p->snd_nxt, sa.seq + 2, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(peer_conns(p), conns - 1);
    ack_of(p, PEER_PORT, p->iss, &sa, NULL, 0); /* replay after the end */
    EXPECT_SEG(p, F_RST, sa.seq + 1, 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ended), 1);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 1);
    CHECK_EQ(peer_conns(p), conns - 1);
    PEER_FINISH(p);
}

/* ---- the two queues ---- */

/* The SYN queue is not bounded by the backlog; a full SYN queue answers with cookies and does
 * not stop handshakes (cookie or not) from completing and being accepted. */
static void syn_queue_full_does_not_block_accept(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_AUTO, false);
    cfg.syn_queue_max = 4;
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_listen(p->st, p->lsd, 2), 0);
    peer_seg half[4];
    for (int i = 0; i < 4; i++) half[i] = syn_from(p, (uint16_t)(PEER_PORT + 1 + i), 1000u * (uint32_t)i);
    CHECK_EQ(syn_queue(p), 4); /* more than the backlog of 2: the limits are separate */
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_sent), 0);
    peer_seg ck = syn_from(p, PEER_PORT, p->iss); /* the SYN queue is full: a cookie */
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_sent), 1);
    CHECK_EQ(syn_queue(p), 4);
    ack_of(p, PEER_PORT, p->iss, &ck, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(syn_queue(p), 4);
    int a = synack_accept(p->st, p->lsd, NULL);
    CHECK(a >= 0);
    CHECK_EQ(synack_socket_state(p->st, a), SYNACK_ESTABLISHED);
    ack_of(p, PEER_PORT + 1, 0, &half[0], NULL, 0); /* a half-open one completes too */
    EXPECT_NONE(p);
    CHECK_EQ(syn_queue(p), 3);
    int b = synack_accept(p->st, p->lsd, NULL);
    CHECK(b >= 0);
    CHECK_EQ(synack_socket_state(p->st, b), SYNACK_ESTABLISHED);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_listen_drop), 0);
    PEER_FINISH(p);
}

/* A full accept queue: new SYNs are dropped (Linux's tcp_conn_request), a completing
 * handshake's ACK is dropped and its child stays in SYN-RECEIVED (no RST), and once accept()
 * makes room the retransmitted SYN-ACK's answer completes it. The SYN queue still holds its
 * children meanwhile. */
static void accept_queue_full(void)
{
    for (int mode = SYNACK_SYNCOOKIES_OFF; mode <= SYNACK_SYNCOOKIES_AUTO; mode++) {
        synack_config cfg = cookie_cfg((uint8_t)mode, false);
        peer *p = peer_new(&cfg);
        CHECK(peer_to_listen(p));
        CHECK_EQ(synack_listen(p->st, p->lsd, 1), 0);
        peer_seg a = syn_from(p, PEER_PORT + 1, 1000);
        peer_seg b = syn_from(p, PEER_PORT + 2, 2000);
        CHECK_EQ(syn_queue(p), 2);
        ack_of(p, PEER_PORT + 1, 1000, &a, NULL, 0);
        EXPECT_NONE(p);
        CHECK_EQ(syn_queue(p), 1);
        peer_tx c = {F_SYN, 3000, 0, -1, NULL, 0, NULL, PEER_PORT + 3};
        peer_inject(p, &c); /* the accept queue (1) is full: dropped */
        EXPECT_NONE(p);
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syn_aq_full), 1);
        ack_of(p, PEER_PORT + 2, 2000, &b, "req", 3); /* completes into a full queue: dropped */
        EXPECT_NONE(p);
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_listen_overflow), 1);
        CHECK_EQ(syn_queue(p), 1);
        CHECK_EQ(synack_transition_count(p->st, SYNACK_SYN_RECEIVED, SYNACK_ESTABLISHED), 1);
        int sa = synack_accept(p->st, p->lsd, NULL);
        CHECK(sa >= 0);
        CHECK_EQ(synack_accept(p->st, p->lsd, NULL), -EAGAIN);
        /* b's SYN-ACK is retransmitted at its RTO (1 s); the peer answers it again. */
        peer_advance(p, SYNACK_SEC(1));
        CHECK_EQ(p->nseg, 1);
        if (p->nseg == 1) {
            CHECK_EQ(p->seg[0].flags, F_SYN | F_ACK);
            CHECK_EQ(p->seg[0].seq, b.seq);
        }
        peer_clear(p);
        ack_of(p, PEER_PORT + 2, 2000, &b, "req", 3);
        int sb = synack_accept(p->st, p->lsd, NULL);
        CHECK(sb >= 0);
        char buf[8];
        CHECK_EQ(synack_recv(p->st, sb, buf, sizeof buf), 3);
        CHECK_EQ(syn_queue(p), 0);
        CHECK_EQ(cnt(p, SYNACK_CNT_tcp_rst_out), 0);
        peer_clear(p);
        PEER_FINISH(p);
    }
}

/* A cookie handshake completing into a full accept queue is dropped too (Linux), and counted. */
static void accept_queue_full_cookie(void)
{
    synack_config cfg = cookie_cfg(SYNACK_SYNCOOKIES_ALWAYS, false);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_listen(p));
    CHECK_EQ(synack_listen(p->st, p->lsd, 1), 0);
    peer_seg a = syn_from(p, PEER_PORT + 1, 1000);
    peer_seg b = syn_from(p, PEER_PORT + 2, 2000);
    ack_of(p, PEER_PORT + 1, 1000, &a, NULL, 0);
    ack_of(p, PEER_PORT + 2, 2000, &b, NULL, 0);
    EXPECT_NONE(p);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_listen_overflow), 1);
    CHECK_EQ(peer_conns(p), 2);
    CHECK(synack_accept(p->st, p->lsd, NULL) >= 0);
    ack_of(p, PEER_PORT + 2, 2000, &b, NULL, 0); /* the peer's retransmission */
    CHECK(synack_accept(p->st, p->lsd, NULL) >= 0);
    CHECK_EQ(cnt(p, SYNACK_CNT_tcp_syncookie_ok), 3);
    PEER_FINISH(p);
}

/* ---- every option combination between two real stacks, IPv4 and IPv6 ---- */

static bool run_until(pair *p, bool (*done)(void *), void *ctx, synack_time_us max)
{
    return synack_sim_run_while_not(p->sim, synack_sim_now(p->sim) + max, done, ctx);
}

typedef struct xfer {
    pair *p;
    int c, s;
    uint8_t *out_c, *out_s, *in_c, *in_s;
    size_t n, sent_c, sent_s, got_c, got_s;
    uint32_t max_wnd_c, max_wnd_s; /* largest send window each side saw */
} xfer;

static bool xfer_step(void *ctx)
{
    xfer *x = ctx;
    long r;
    if (x->sent_c < x->n && (r = synack_send(x->p->c, x->c, x->out_c + x->sent_c, x->n - x->sent_c)) > 0)
        x->sent_c += (size_t)r;
    if (x->sent_s < x->n && (r = synack_send(x->p->s, x->s, x->out_s + x->sent_s, x->n - x->sent_s)) > 0)
        x->sent_s += (size_t)r;
    while (x->got_s < x->n && (r = synack_recv(x->p->s, x->s, x->in_s + x->got_s, x->n - x->got_s)) > 0)
        x->got_s += (size_t)r;
    while (x->got_c < x->n && (r = synack_recv(x->p->c, x->c, x->in_c + x->got_c, x->n - x->got_c)) > 0)
        x->got_c += (size_t)r;
    synack_conn_info ci;
    if (synack_socket_info(x->p->c, x->c, &ci) && ci.snd_wnd > x->max_wnd_c) x->max_wnd_c = ci.snd_wnd;
    if (synack_socket_info(x->p->s, x->s, &ci) && ci.snd_wnd > x->max_wnd_s) x->max_wnd_s = ci.snd_wnd;
    return x->got_c == x->n && x->got_s == x->n;
}

typedef struct accept_wait {
    pair *p;
    int l, a;
} accept_wait;

static bool accepted(void *ctx)
{
    accept_wait *w = ctx;
    w->a = synack_accept(w->p->s, w->l, NULL);
    return w->a >= 0;
}

static void matrix_case(bool v6, bool ts, bool ws, bool sack, uint16_t client_mss, uint16_t want_mss)
{
    synack_config cc, sc;
    synack_config_default(&cc);
    synack_config_default(&sc);
    sc.syncookies = SYNACK_SYNCOOKIES_ALWAYS;
    cc.mtu = sc.mtu = 2000; /* so that an IPv6 peer can announce 1460 */
    cc.mss = client_mss;
    cc.timestamps = ts;
    cc.wscale = ws ? 5 : 0;
    cc.sack = sack;
    pair p;
    pair_open(&p, &cc, &sc, 11);
    int l = pair_listen(&p, 80);
    int c = synack_socket(p.c);
    synack_endpoint ep = pair_server_ep(80);
    if (v6) synack_addr_parse("2001:db8::2", &ep.addr);
    CHECK_EQ(synack_connect(p.c, c, &ep), -EINPROGRESS);
    accept_wait w = {&p, l, -1};
    CHECK(run_until(&p, accepted, &w, SYNACK_SEC(5)));
    int a = w.a;
    CHECK(a >= 0);
    synack_conn_info si, ci;
    CHECK(synack_socket_info(p.s, a, &si));
    CHECK(synack_socket_info(p.c, c, &ci));
    CHECK_EQ(synack_counter(p.s, SYNACK_CNT_tcp_syncookie_ok), 1);
    CHECK_EQ(si.remote.addr.family, v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET);
    CHECK_EQ(si.snd_mss, want_mss);
    CHECK_EQ(si.ts_ok, ts);
    CHECK_EQ(si.ws_ok, ts && ws);
    CHECK_EQ(si.sack_ok, ts && sack);
    CHECK_EQ(si.snd_wscale, ts && ws ? 5 : 0);
    CHECK_EQ(si.rcv_wscale, ts && ws ? sc.wscale : 0);
    /* Both ends agree. */
    CHECK_EQ(ci.ts_ok, si.ts_ok);
    CHECK_EQ(ci.ws_ok, si.ws_ok);
    CHECK_EQ(ci.sack_ok, si.sack_ok);
    CHECK_EQ(ci.snd_wscale, si.rcv_wscale);
    /* Data both ways, byte-exact; windows beyond 64 KiB only when scaling was agreed. */
    xfer x;
    memset(&x, 0, sizeof x);
    x.p = &p;
    x.c = c;
    x.s = a;
    x.n = 300000;
    x.out_c = malloc(x.n), x.out_s = malloc(x.n), x.in_c = malloc(x.n), x.in_s = malloc(x.n);
    for (size_t i = 0; i < x.n; i++) x.out_c[i] = (uint8_t)(i * 7), x.out_s[i] = (uint8_t)(i * 13 + 1);
    CHECK(run_until(&p, xfer_step, &x, SYNACK_SEC(30)));
    CHECK(memcmp(x.in_s, x.out_c, x.n) == 0);
    CHECK(memcmp(x.in_c, x.out_s, x.n) == 0);
    CHECK_EQ(x.max_wnd_c > 65535, ts && ws);
    CHECK_EQ(x.max_wnd_s > 65535, ts && ws);
    free(x.out_c), free(x.out_s), free(x.in_c), free(x.in_s);
    CHECK_EQ(synack_counter(p.s, SYNACK_CNT_tcp_illegal_transition), 0);
    CHECK_EQ(synack_counter(p.c, SYNACK_CNT_tcp_illegal_transition), 0);
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(200));
    synack_mem_info m;
    synack_mem_get(p.s, &m);
    CHECK_EQ(m.conns_in_use, 0);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    pair_close(&p);
}

static void cookie_option_matrix(void)
{
    static const uint16_t v4[4] = {536, 1300, 1440, 1460}, v6[4] = {1220, 1340, 1440, 1460};
    int before = test_failures;
    for (int fam = 0; fam < 2; fam++)
        for (int ts = 0; ts < 2; ts++)
            for (int ws = 0; ws < 2; ws++)
                for (int sack = 0; sack < 2; sack++)
                    for (int m = 0; m < 4; m++) {
                        const uint16_t *tab = fam ? v6 : v4;
                        /* each class exactly, and (rounding down) a value just below the next */
                        matrix_case(fam, ts, ws, sack, tab[m], tab[m]);
                        if (m < 3 && ts == ws && ws == sack)
                            matrix_case(fam, ts, ws, sack, (uint16_t)(tab[m + 1] - 1), tab[m]);
                        if (test_failures != before) {
                            fprintf(stderr, "  in case v6=%d ts=%d ws=%d sack=%d mss=%u\n", fam, ts,
                                    ws, sack, tab[m]);
                            return;
                        }
                    }
}

int main(void)
{
    RUN(cookie_round_trip_exact);
    RUN(cookie_without_timestamps_has_no_options);
    RUN(cookie_mss_below_table_dropped);
    RUN(cookie_expires);
    RUN(cookie_forged_rejected);
    RUN(cookie_ts_bits_checked);
    RUN(cookie_auto_not_checked_before_overflow);
    RUN(cookie_replay);
    RUN(syn_queue_full_does_not_block_accept);
    RUN(accept_queue_full);
    RUN(accept_queue_full_cookie);
    RUN(cookie_option_matrix);
    return test_report();
}
