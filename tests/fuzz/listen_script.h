/* listen_script.h: plays a byte string as a script against one listener, for the SYN/listen
 * fuzzer (listen_input.c) and the corpus replay (tests/unit/fuzz_corpus.c): SYNs and floods of
 * SYNs from 64 peers (IPv4 and IPv6) with any options, sequence numbers and timestamps, ACKs that
 * complete handshakes and SYN cookies (or try to, with wrong numbers), RSTs, data and FINs,
 * accept() and close() interleaved, the listener opened again, the clock advanced.
 *
 * Checked after every operation: no listener's SYN queue above syn_queue_max, no accept queue
 * above its backlog, no more half-open children than the SYN queue allows; every accepted
 * connection comes from a peer that sent a SYN, on the listener's port, synchronized. At the end
 * everything is closed, the clock runs out, and nothing may be left.
 *
 * Format (version LISTEN_SCRIPT_VERSION): byte 0 the version, bytes 1-3 the configuration
 * (listen_config), then operations, each an opcode byte and fixed operands (listen_op). */
#ifndef SYNACK_LISTEN_SCRIPT_H
#define SYNACK_LISTEN_SCRIPT_H

#include "fuzz_common.h"

enum { LISTEN_SCRIPT_VERSION = 1, LISTEN_PEERS = 64, LISTEN_ACCEPTED = 16, LISTEN_PORT = 80 };

/* Byte 1: syncookies (bits 0-1, % 3: off, auto, always), the listener's address (bits 2-3:
 * 0.0.0.0, ::, 198.18.0.1, 2001:db8::1), timestamps off (16), SACK off (32), window scaling
 * off (64). Byte 2: backlog 1 + b % 8. Byte 3: syn_queue_max 1 + b % 8 (bits 0-3) and max_conns
 * 4 + 4 * (b >> 4). */
enum { L_CFG_NO_TS = 16, L_CFG_NO_SACK = 32, L_CFG_NO_WS = 64 };

enum listen_op {
    L_SYN,      /* peer, opts, seq, tsval: a SYN (opts: L_O_*) */
    L_FLOOD,    /* count, first peer, opts: a SYN from each of count peers */
    L_ACK,      /* peer, mode, delta: the third segment of the handshake (see listen_ack) */
    L_RST,      /* peer, mode, delta: a reset at, in or beyond the window */
    L_ACCEPT,   /* -: accept() once */
    L_CLOSE,    /* index: close (or abort, index & 16) the accepted connection index % 16 */
    L_TIME,     /* how, amount: milliseconds, seconds (how & 2), or the next deadline (how & 1) */
    L_RELISTEN, /* backlog: close the listener (and its queues) and listen again */
    L_RECV,     /* index: read from the accepted connection index % 16 */
    L_OP_COUNT
};
enum { L_O_MSS = 1, L_O_WS = 2, L_O_SACK = 4, L_O_TS = 8, L_O_DATA = 16, L_O_TINY_MSS = 32, L_O_FIN = 64,
       L_O_BAD = 128 };

typedef struct listen_peer {
    bool syn_sent;
    uint32_t seq;       /* the peer's next sequence number */
    uint32_t stack_iss; /* from the stack's last SYN-ACK to it (a cookie or not) */
    uint32_t stack_ts;  /* the stack's last TSval to it */
    bool synack;
    uint32_t ts;        /* the peer's last TSval (later segments send more, or PAWS drops them) */
} listen_peer;

typedef struct listen_run_state {
    synack_stack *st;
    synack_time_us now;
    synack_config cfg;
    bool lv6, lwild;    /* the listener's family and whether it is a wildcard */
    int lsd;
    uint32_t backlog;
    listen_peer peer[LISTEN_PEERS];
    int acc[LISTEN_ACCEPTED];
    int broken;         /* the line of the check that failed: a queue above its limit, or an
                         * inconsistent accepted connection (0: none) */
    script_result *res;
} listen_run_state;

/* Peer i: IPv6 for 32-63; 16 addresses a family, two ports each. */
static inline bool listen_v6(uint32_t i) { return i >= 32; }
static inline uint16_t listen_port(uint32_t i) { return (uint16_t)(40000 + (i / 16) % 2); }
static inline void listen_addr(uint8_t *a, uint32_t i) { fz_peer_addr(a, listen_v6(i), i % 16); }

/* The peer a packet from the stack goes to, or -1. */
static inline int listen_peer_of(const uint8_t *addr, bool v6, uint16_t port)
{
    if (port != 40000 && port != 40001) return -1;
    uint8_t a[16];
    for (uint32_t n = 0; n < 16; n++) {
        listen_addr(a, (v6 ? 32 : 0) + n);
        if (!memcmp(a, addr, v6 ? 16 : 4)) return (int)((v6 ? 32 : 0) + n + 16 * (port - 40000u));
    }
    return -1;
}

static inline void listen_send(listen_run_state *rs, uint32_t i, uint8_t flags, uint32_t seq, uint32_t ack,
                               const tcp_opts *o, bool bad_opt, uint32_t data_len)
{
    static uint8_t pkt[40 + 60 + 64];
    bool v6 = listen_v6(i);
    uint8_t src[16];
    listen_addr(src, i);
    uint8_t *tcp = pkt + (v6 ? 40 : 20);
    size_t ol = tcp_opts_emit(tcp + TCP_HDR_LEN, 36, o, (flags & SYNACK_SYN) != 0);
    if (bad_opt) { /* window scale with length 2: malformed */
        uint8_t *x = tcp + TCP_HDR_LEN + ol;
        x[0] = 3, x[1] = 2, x[2] = 1, x[3] = 1;
        ol += 4;
    }
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = listen_port(i), h.dport = LISTEN_PORT, h.seq = seq, h.ack = ack, h.flags = flags;
    h.wnd = 65535;
    size_t th = tcp_hdr_emit(tcp, 60, &h, ol);
    for (uint32_t k = 0; k < data_len; k++) tcp[th + k] = (uint8_t)(seq + k);
    fz_l4_cksum(tcp, th + data_len, 16, v6, src, IP_PROTO_TCP);
    synack_input(rs->st, rs->now, pkt, fz_ip(pkt, v6, src, IP_PROTO_TCP, th + data_len));
}

static inline void listen_syn(listen_run_state *rs, uint32_t i, uint32_t opts, uint32_t seq_b, uint32_t ts_b)
{
    listen_peer *p = &rs->peer[i];
    tcp_opts o;
    memset(&o, 0, sizeof o);
    /* MSS from 1220 up: inside both families' cookie tables (unless tiny: below them). */
    if (opts & (L_O_MSS | L_O_TINY_MSS)) o.has_mss = true, o.mss = (opts & L_O_TINY_MSS) ? 200 : (uint16_t)(1220 + (ts_b & 7) * 32);
    if (opts & L_O_WS) o.has_wscale = true, o.wscale = (uint8_t)(ts_b % 16);
    if (opts & L_O_SACK) o.sack_ok = true;
    p->ts = ts_b << 8 | i;
    if (opts & L_O_TS) o.has_ts = true, o.ts_val = p->ts, o.ts_ecr = 0;
    p->seq = seq_b << 24 | i << 16 | 1;
    p->syn_sent = true;
    p->synack = false;
    uint32_t len = (opts & L_O_DATA) ? 10 : 0;
    listen_send(rs, i, (uint8_t)(SYNACK_SYN | ((opts & L_O_FIN) ? SYNACK_FIN : 0)), p->seq, 0, &o,
                (opts & L_O_BAD) != 0, len);
    p->seq += 1; /* the data on a SYN is not acknowledged: sent again after the handshake */
}

/* L_ACK modes (mode % 6): the right acknowledgment (with the stack's TSval echoed when
 * timestamps are on); one too far (delta); one short (delta); right but without timestamps;
 * right with 20 octets of data; right with a FIN. */
static inline void listen_ack(listen_run_state *rs, uint32_t i, uint32_t mode, uint32_t delta)
{
    listen_peer *p = &rs->peer[i];
    tcp_opts o;
    memset(&o, 0, sizeof o);
    mode %= 6;
    if (mode != 3) o.has_ts = true, o.ts_val = ++p->ts, o.ts_ecr = p->stack_ts;
    uint32_t ack = p->stack_iss + 1 + (mode == 1 ? 1 + delta : 0) - (mode == 2 ? 1 + delta : 0);
    uint8_t flags = (uint8_t)(SYNACK_ACK | (mode == 5 ? SYNACK_FIN : 0));
    uint32_t len = mode == 4 ? 20 : 0;
    listen_send(rs, i, flags, p->seq, ack, &o, false, len);
    p->seq += len + (mode == 5);
}

/* Reads the stack's output: each peer learns the ISN (cookie or not) and TSval of its SYN-ACK. */
static inline void listen_drain(listen_run_state *rs)
{
    static uint8_t out[65536];
    size_t n;
    synack_event ev;
    while ((n = synack_output(rs->st, out, sizeof out)) > 0) {
        bool v6;
        tcp_seg s;
        if (!fz_out_tcp(out, n, &v6, &s)) continue;
        int i = listen_peer_of(out + (v6 ? 24 : 16), v6, s.dport);
        if (i < 0 || (s.flags & (SYNACK_SYN | SYNACK_ACK)) != (SYNACK_SYN | SYNACK_ACK)) continue;
        rs->peer[i].stack_iss = s.seq;
        rs->peer[i].synack = true;
        if (s.opts.has_ts) rs->peer[i].stack_ts = s.opts.ts_val;
    }
    while (synack_event_next(rs->st, &ev))
        if (ev.type == SYNACK_EV_STATE && ev.to < 32) rs->res->states |= 1u << ev.to;
}

/* The queue limits, after every operation. */
static inline void listen_check_queues(listen_run_state *rs)
{
    static synack_conn_info ci[128];
    size_t n = synack_conn_list(rs->st, ci, 128);
    uint32_t half_open = 0;
    for (size_t k = 0; k < n && k < 128; k++) {
        if (ci[k].state == SYNACK_LISTEN) {
            if (ci[k].syn_queue_len > rs->cfg.syn_queue_max || ci[k].recv_q > rs->backlog) rs->broken = __LINE__;
        } else if (ci[k].state == SYNACK_SYN_RECEIVED) {
            half_open++;
        }
    }
    if (half_open > rs->cfg.syn_queue_max || (rs->cfg.syncookies == SYNACK_SYNCOOKIES_ALWAYS && half_open))
        rs->broken = __LINE__;
}

/* accept(): a connection from a peer that sent a SYN, to the listener's port, synchronized. */
static inline void listen_accept(listen_run_state *rs)
{
    synack_endpoint peer, local;
    int a = synack_accept(rs->st, rs->lsd, &peer);
    if (a < 0) return;
    bool v6 = peer.addr.family == SYNACK_AF_INET6;
    int i = listen_peer_of(peer.addr.bytes, v6, peer.port);
    if (i < 0 || !rs->peer[i].syn_sent) rs->broken = __LINE__;
    if (synack_getsockname(rs->st, a, &local) != 0 || local.port != LISTEN_PORT ||
        (!rs->lwild && (local.addr.family == SYNACK_AF_INET6) != rs->lv6))
        rs->broken = __LINE__;
    static synack_conn_info ci[128];
    size_t n = synack_conn_list(rs->st, ci, 128);
    for (size_t k = 0; k < n && k < 128; k++)
        if (ci[k].socket == a && ci[k].state < SYNACK_ESTABLISHED && ci[k].state != SYNACK_CLOSED) rs->broken = __LINE__;
    for (int k = 0; k < LISTEN_ACCEPTED; k++)
        if (rs->acc[k] == a) rs->broken = __LINE__; /* a descriptor handed out twice */
    int slot = 0;
    while (slot < LISTEN_ACCEPTED && rs->acc[slot] >= 0) slot++;
    if (slot == LISTEN_ACCEPTED) {
        synack_close(rs->st, a);
        return;
    }
    rs->acc[slot] = a;
}

static inline void listen_open(listen_run_state *rs, uint32_t backlog_b)
{
    rs->lsd = synack_socket(rs->st);
    synack_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr.family = rs->lv6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
    if (!rs->lwild) memcpy(ep.addr.bytes, rs->lv6 ? script_our6 : script_our4, rs->lv6 ? 16 : 4);
    ep.port = LISTEN_PORT;
    rs->backlog = 1 + backlog_b % 8;
    if (rs->lsd >= 0 && (synack_bind(rs->st, rs->lsd, &ep) != 0 || synack_listen(rs->st, rs->lsd, (int)rs->backlog) != 0)) {
        synack_close(rs->st, rs->lsd);
        rs->lsd = -1;
    }
}

static inline void listen_run_ex(const uint8_t *data, size_t size, script_result *res)
{
    memset(res, 0, sizeof *res);
    script_in in = {data, size, false};
    uint32_t hdr;
    if (!fz_script_begin(&in, LISTEN_SCRIPT_VERSION, 3, &hdr)) {
        res->ok = true;
        return;
    }
    uint32_t b1 = hdr >> 16, b2 = (hdr >> 8) & 0xff, b3 = hdr & 0xff;
    static listen_run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.res = res;
    fz_config(&rs.cfg);
    rs.cfg.syncookies = (uint8_t)(b1 % 4 % 3);
    rs.cfg.timestamps = !(b1 & L_CFG_NO_TS);
    rs.cfg.sack = !(b1 & L_CFG_NO_SACK);
    rs.cfg.wscale = (b1 & L_CFG_NO_WS) ? 0 : 7;
    rs.cfg.syn_queue_max = 1 + (b3 & 15) % 8;
    rs.cfg.max_conns = 4 + 4 * (b3 >> 4);
    rs.cfg.max_sockets = LISTEN_ACCEPTED + 4;
    rs.cfg.sndbuf_bytes = rs.cfg.rcvbuf_bytes = 4096;
    rs.lv6 = (b1 >> 2) & 1;
    rs.lwild = !((b1 >> 3) & 1);
    rs.st = synack_stack_new(&rs.cfg);
    if (!rs.st) return;
    rs.now = SYNACK_SEC(1);
    for (int k = 0; k < LISTEN_ACCEPTED; k++) rs.acc[k] = -1;
    listen_open(&rs, b2);
    listen_drain(&rs);
    while (in.n) {
        uint32_t op = script_take(&in, 1) % L_OP_COUNT;
        res->ops |= 1u << op;
        switch (op) {
        case L_SYN: {
            uint32_t i = script_take(&in, 1) % LISTEN_PEERS, opts = script_take(&in, 1);
            uint32_t seq_b = script_take(&in, 1), ts_b = script_take(&in, 1);
            listen_syn(&rs, i, opts, seq_b, ts_b);
            break;
        }
        case L_FLOOD: {
            uint32_t count = 1 + script_take(&in, 1) % LISTEN_PEERS, first = script_take(&in, 1);
            uint32_t opts = script_take(&in, 1) & ~(uint32_t)L_O_FIN;
            for (uint32_t k = 0; k < count; k++) listen_syn(&rs, (first + k) % LISTEN_PEERS, opts, k, k);
            break;
        }
        case L_ACK:
        case L_RST: {
            uint32_t i = script_take(&in, 1) % LISTEN_PEERS, mode = script_take(&in, 1), delta = script_take(&in, 1);
            if (op == L_ACK) {
                listen_ack(&rs, i, mode, delta);
            } else {
                tcp_opts o;
                memset(&o, 0, sizeof o);
                listen_peer *p = &rs.peer[i];
                uint32_t seq = p->seq + (mode % 3 == 1 ? delta : mode % 3 == 2 ? 1u << 30 : 0);
                listen_send(&rs, i, (uint8_t)(SYNACK_RST | ((mode & 4) ? SYNACK_ACK : 0)), seq, p->stack_iss + 1, &o,
                            false, 0);
            }
            break;
        }
        case L_ACCEPT:
            if (rs.lsd >= 0) listen_accept(&rs);
            break;
        case L_CLOSE:
        case L_RECV: {
            uint32_t k = script_take(&in, 1);
            int *a = &rs.acc[k % LISTEN_ACCEPTED];
            if (*a < 0) break;
            if (op == L_RECV) {
                static uint8_t buf[256];
                synack_recv(rs.st, *a, buf, sizeof buf);
                break;
            }
            if (k & 16) synack_abort(rs.st, *a);
            synack_close(rs.st, *a);
            *a = -1;
            break;
        }
        case L_RELISTEN: {
            uint32_t b = script_take(&in, 1);
            if (rs.lsd >= 0) synack_close(rs.st, rs.lsd);
            listen_open(&rs, b);
            break;
        }
        default:
            fz_time_op(rs.st, &rs.now, &in);
            break;
        }
        listen_drain(&rs);
        listen_check_queues(&rs);
    }
    res->parsed = true;
    res->whole = !in.short_read;
    for (int k = 0; k < LISTEN_ACCEPTED; k++)
        if (rs.acc[k] >= 0) synack_close(rs.st, rs.acc[k]);
    if (rs.lsd >= 0) synack_close(rs.st, rs.lsd);
    rs.now = fz_run_out(rs.st, rs.now, 300, NULL, NULL);
    fz_counters(rs.st, res);
    res->ok = !rs.broken && fz_clean(rs.st);
    if (getenv("SCRIPT_DEBUG")) {
        synack_mem_info m;
        synack_mem_get(rs.st, &m);
        printf("listen: broken %d conns %u buffers %zu next %lld\n", rs.broken, m.conns_in_use, m.buffer_bytes_in_use,
               (long long)synack_next_deadline(rs.st));
    }
    synack_stack_free(rs.st);
}

/* ---- writing scripts ---- */

static inline void lb_start(script_buf *s, uint32_t b1, uint32_t backlog, uint32_t syn_queue, uint32_t conns_b)
{
    s->n = 0;
    sb_byte(s, LISTEN_SCRIPT_VERSION);
    sb_byte(s, b1), sb_byte(s, backlog - 1), sb_byte(s, (syn_queue - 1) | conns_b << 4);
}
static inline void lb_syn(script_buf *s, uint32_t peer, uint32_t opts, uint32_t seq_b, uint32_t ts_b)
{
    sb_byte(s, L_SYN), sb_byte(s, peer), sb_byte(s, opts), sb_byte(s, seq_b), sb_byte(s, ts_b);
}
static inline void lb_op3(script_buf *s, int op, uint32_t a, uint32_t b, uint32_t c)
{
    sb_byte(s, (uint32_t)op), sb_byte(s, a), sb_byte(s, b), sb_byte(s, c);
}
static inline void lb_op1(script_buf *s, int op, uint32_t a) { sb_byte(s, (uint32_t)op), sb_byte(s, a); }

#endif
