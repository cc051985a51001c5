/* stack_script.h: plays a byte string as a script of segments, ICMP errors, clock steps and user
 * calls against one dual-stack host (198.18.0.1, 2001:db8::1), and the builder that writes such
 * scripts (seed corpora, regression inputs). Shared by the libFuzzer target (stack_input.c), the
 * random smoke test and the corpus replay test (tests/unit/fuzz_*.c).
 *
 * The remote side is eight peer slots (IPv4 for slots 0-3, IPv6 for 4-7; port 40000 + slot % 4)
 * that follow what the stack sends, so segments can be written relative to the connection:
 * "the peer's next sequence number", "everything the stack sent", SACK blocks over the stack's
 * data in flight. A handshake is three operations, not a guess at a 32-bit ISN.
 *
 * Format (version SCRIPT_VERSION): byte 0 the version, byte 1 configuration bits, then
 * operations, each an opcode byte and fixed operands (script_op below). A script whose version
 * differs does not parse (script_result.parsed); a last operation cut short (as libFuzzer's
 * inputs often end) reads its missing operands as 0 (script_result.whole is then false). Every
 * run ends by closing everything and running the clock out: no memory may be left. */
#ifndef SYNACK_STACK_SCRIPT_H
#define SYNACK_STACK_SCRIPT_H

#include "fuzz_common.h"

enum { SCRIPT_VERSION = 3, SCRIPT_SLOTS = 8, SCRIPT_LISTEN_PORT = 80, SCRIPT_CLOSED_PORT = 81 };

/* Configuration bits (byte 1). */
enum {
    SCRIPT_CFG_RFC793 = 1,     /* rfc5961 off */
    SCRIPT_CFG_NO_SACK = 2,
    SCRIPT_CFG_NO_TS = 4,
    SCRIPT_CFG_NO_WS = 8,
    SCRIPT_CFG_KEEP_SYNFIN = 16, /* drop_synfin off */
    SCRIPT_CFG_SMALL_BUF = 32,   /* 1 KiB buffers, 2 reassembly ranges */
};

/* Operations. Operands follow the opcode, in the order listed. */
enum script_op {
    OP_SEG,      /* slot, flags, seq mode, seq delta, ack mode, ack delta, wnd, opts, len:
                  * a TCP segment from a peer slot (see script_seg) */
    OP_SEG_BIG,  /* as OP_SEG with a 2-byte length (up to 1400) */
    OP_ICMP,     /* slot, kind, seq offset, mtu(2): an ICMP/ICMPv6 error quoting our segment */
    OP_TIME,     /* how, amount: advance the clock (milliseconds, or to the next deadline) */
    OP_CONNECT,  /* slot: active open to the slot's address and port */
    OP_ACCEPT,   /* -: take a connection from the listener (it belongs to its peer's slot) */
    OP_SEND,     /* slot, len(2) */
    OP_RECV,     /* slot, len(2) */
    OP_SHUTDOWN, /* slot, how */
    OP_CLOSE,    /* slot */
    OP_ABORT,    /* slot */
    OP_SOCKOPT,  /* slot, which, value */
    OP_RAW,      /* len, bytes...: any packet at all (IPv6 when the first nibble says so) */
    OP_LISTEN,   /* port selector: listen again (or on 81) */
    OP_FRAG,     /* slot, flags, len(2), cut, order: an in-sequence segment (as OP_SEG with
                  * SEQ_NEXT, ACK_ALL) sent as IP fragments (see script_frag) */
    OP_COUNT
};

/* Sequence number modes of OP_SEG. */
enum { SEQ_NEXT, SEQ_NEXT_PLUS, SEQ_NEXT_MINUS, SEQ_STACK_ACK, SEQ_RAW };
enum { ACK_ALL, ACK_MINUS, ACK_ISS, ACK_RAW, ACK_PLUS };
/* Option bits of OP_SEG. */
enum { O_MSS = 1, O_WS = 2, O_SACK_OK = 4, O_TS = 8, O_SACK1 = 16, O_SACK2 = 32, O_BAD = 64, O_ALT_PORT = 128 };

typedef struct script_slot {
    bool have_stack;      /* the stack has sent something to this slot */
    uint16_t stack_port;  /* the stack's port (80 for passive opens, ephemeral for active) */
    uint32_t stack_iss, stack_nxt, stack_una; /* what the stack sent; what the peer acked */
    uint32_t peer_nxt;    /* the peer's next sequence number */
    uint32_t stack_ack;   /* what the stack last acknowledged (its RCV.NXT) */
    uint32_t ts;          /* the stack's last TSval (the peer's TSecr) */
    int sd;               /* the stack's socket for this connection, -1 */
} script_slot;

typedef struct script_run_state {
    synack_stack *st;
    synack_time_us now;
    script_slot slot[SCRIPT_SLOTS];
    int lsd;
    bool trace; /* SCRIPT_TRACE=1: print operations and events */
    uint32_t frag_id; /* the next IP Identification of OP_FRAG */
    script_result *res;
} script_run_state;

static inline bool script_v6(int slot) { return slot >= 4; }
static inline uint16_t script_peer_port(int slot) { return (uint16_t)(40000 + (slot & 3)); }

static inline const uint8_t *script_peer(int slot) { return script_v6(slot) ? script_peer6 : script_peer4; }

static inline synack_endpoint script_peer_ep(int slot)
{
    return fz_endpoint(script_v6(slot), script_peer(slot), script_peer_port(slot));
}

/* Reads what the stack sent: peer slots learn the stack's port, ISS, SND.NXT, RCV.NXT, TSval. */
static inline void script_drain(script_run_state *rs)
{
    static uint8_t out[65536];
    size_t n;
    synack_event ev;
    while ((n = synack_output(rs->st, out, sizeof out)) > 0) {
        bool v6;
        tcp_seg s;
        if (!fz_out_tcp(out, n, &v6, &s)) continue;
        int k = (s.dport - 40000) & 3;
        if (s.dport < 40000 || s.dport > 40003) continue;
        script_slot *sl = &rs->slot[k + (v6 ? 4 : 0)];
        if (s.flags & SYNACK_RST) continue;
        if (s.flags & SYNACK_SYN) sl->stack_iss = s.seq, sl->stack_una = s.seq;
        uint32_t end = s.seq + s.len + !!(s.flags & SYNACK_SYN) + !!(s.flags & SYNACK_FIN);
        if (!sl->have_stack || (int32_t)(end - sl->stack_nxt) > 0 || (s.flags & SYNACK_SYN)) sl->stack_nxt = end;
        sl->have_stack = true;
        sl->stack_port = s.sport;
        if (s.flags & SYNACK_ACK) sl->stack_ack = s.ack;
        if (s.opts.has_ts) sl->ts = s.opts.ts_val;
    }
    while (synack_event_next(rs->st, &ev)) {
        if (ev.type == SYNACK_EV_STATE && ev.to < 32) rs->res->states |= 1u << ev.to;
        if (rs->trace) {
            char line[256];
            printf("    %s\n", synack_event_format(&ev, line, sizeof line));
        }
    }
}

static inline void script_drain_cb(void *rs) { script_drain(rs); }

/* A segment from a peer slot, as OP_SEG's operands describe it. */
typedef struct script_seg_args {
    int k;
    uint8_t flags;
    uint32_t seq_mode, seq_d, seq_raw, ack_mode, ack_d, ack_raw, wnd, opt, len;
} script_seg_args;

/* Builds the segment into pkt (IP header included) and returns the packet's size; *seq_out and
 * *ack_out are the numbers it carries. Payload octets are a function of their sequence number, so a
 * retransmission carries the same bytes (and the receiver's output can be checked). */
static inline size_t script_seg_build(script_run_state *rs, const script_seg_args *a, uint8_t *pkt, size_t cap,
                                      uint32_t *seq_out, uint32_t *ack_out)
{
    int k = a->k;
    script_slot *sl = &rs->slot[k];
    uint8_t flags = a->flags;
    uint32_t seq = sl->peer_nxt, ack = sl->stack_nxt, len = a->len;
    switch (a->seq_mode) {
    case SEQ_NEXT_PLUS: seq += a->seq_d * 8; break;   /* out of order, ahead */
    case SEQ_NEXT_MINUS: seq -= a->seq_d * 8; break;  /* old, overlapping */
    case SEQ_STACK_ACK: seq = sl->stack_ack + a->seq_d - 128; break;
    case SEQ_RAW: seq = a->seq_raw; break;
    default: break;
    }
    switch (a->ack_mode) {
    case ACK_MINUS: ack -= a->ack_d; break;
    case ACK_ISS: ack = sl->stack_iss + a->ack_d; break;
    case ACK_RAW: ack = a->ack_raw; break;
    case ACK_PLUS: ack += a->ack_d; break;
    default: break;
    }
    if ((flags & SYNACK_SYN) && a->seq_mode == SEQ_NEXT && !(flags & SYNACK_ACK) && !sl->peer_nxt)
        sl->peer_nxt = seq = 1000000u * (uint32_t)(k + 1); /* the peer's ISN */
    bool v6 = script_v6(k);
    size_t hl = v6 ? 40 : 20;
    uint8_t *tcp = pkt + hl;
    tcp_opts o;
    memset(&o, 0, sizeof o);
    uint32_t opt = a->opt;
    if (opt & O_MSS) o.has_mss = true, o.mss = (uint16_t)(536 + (a->seq_d & 7) * 128);
    if (opt & O_WS) o.has_wscale = true, o.wscale = (uint8_t)(a->ack_d % 16);
    if (opt & O_SACK_OK) o.sack_ok = true;
    if (opt & O_TS) o.has_ts = true, o.ts_val = (uint32_t)(rs->now / 1000u) + 7, o.ts_ecr = sl->ts;
    if (opt & (O_SACK1 | O_SACK2)) { /* blocks over the stack's data in flight */
        uint32_t fl = sl->stack_nxt - sl->stack_una;
        uint32_t q = fl / 4 ? fl / 4 : 1;
        o.sack[0].left = sl->stack_una + q, o.sack[0].right = sl->stack_una + 2 * q;
        o.sack_count = 1;
        if (opt & O_SACK2) {
            o.sack[1].left = sl->stack_una + 3 * q, o.sack[1].right = sl->stack_nxt;
            o.sack_count = 2;
        }
    }
    size_t ol = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, (flags & SYNACK_SYN) != 0);
    if ((opt & O_BAD) && ol + 4 <= 40) { /* a malformed option: kind 8 (TS) with length 3 */
        uint8_t *x = tcp + TCP_HDR_LEN + ol;
        x[0] = 8, x[1] = (uint8_t)(2 + (a->seq_d & 3)), x[2] = 1, x[3] = 1;
        ol += 4;
    }
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = script_peer_port(k);
    h.dport = sl->stack_port ? sl->stack_port : SCRIPT_LISTEN_PORT;
    if (opt & O_ALT_PORT) /* the other of 80 and 81 (a closed port, or a second listener) */
        h.dport = h.dport == SCRIPT_LISTEN_PORT ? SCRIPT_CLOSED_PORT : SCRIPT_LISTEN_PORT;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.wnd = (uint16_t)(a->wnd << 8 | a->wnd);
    size_t th = tcp_hdr_emit(tcp, 60, &h, ol);
    size_t room = cap - hl - th;
    if (len > room) len = (uint32_t)room;
    uint32_t dseq = seq + !!(flags & SYNACK_SYN);
    for (uint32_t i = 0; i < len; i++) tcp[th + i] = (uint8_t)((dseq + i) * 7 + (a->seq_d & 1));
    fz_l4_cksum(tcp, th + len, 16, v6, script_peer(k), IP_PROTO_TCP);
    *seq_out = seq, *ack_out = ack;
    return fz_ip(pkt, v6, script_peer(k), IP_PROTO_TCP, th + len);
}

/* After the segment went: the peer's next sequence number, and what it acknowledged. */
static inline void script_seg_sent(script_run_state *rs, const script_seg_args *a, uint32_t seq, uint32_t ack,
                                   uint32_t len)
{
    script_slot *sl = &rs->slot[a->k];
    if (a->seq_mode == SEQ_NEXT && !(a->flags & SYNACK_RST))
        sl->peer_nxt = seq + len + !!(a->flags & SYNACK_SYN) + !!(a->flags & SYNACK_FIN);
    if ((a->flags & SYNACK_ACK) && (int32_t)(ack - sl->stack_una) > 0 && (int32_t)(ack - sl->stack_nxt) <= 0)
        sl->stack_una = ack;
}

/* OP_SEG / OP_SEG_BIG: a segment from a peer slot. */
static inline void script_seg(script_run_state *rs, script_in *in, bool big)
{
    static uint8_t pkt[40 + 60 + 1500];
    script_seg_args a;
    memset(&a, 0, sizeof a);
    a.k = (int)(script_take(in, 1) % SCRIPT_SLOTS);
    a.flags = (uint8_t)script_take(in, 1);
    a.seq_mode = script_take(in, 1) % 5, a.seq_d = script_take(in, 1);
    a.seq_raw = a.seq_mode == SEQ_RAW ? script_take(in, 4) : 0;
    a.ack_mode = script_take(in, 1) % 5, a.ack_d = script_take(in, 1);
    a.ack_raw = a.ack_mode == ACK_RAW ? script_take(in, 4) : 0;
    a.wnd = script_take(in, 1);
    a.opt = script_take(in, 1);
    a.len = big ? script_take(in, 2) % 1401 : script_take(in, 1);
    uint32_t seq, ack;
    size_t n = script_seg_build(rs, &a, pkt, sizeof pkt, &seq, &ack);
    size_t hl = script_v6(a.k) ? 40 : 20;
    uint32_t len = (uint32_t)(n - hl - (size_t)(pkt[hl + 12] >> 4) * 4);
    synack_input(rs->st, rs->now, pkt, n);
    script_seg_sent(rs, &a, seq, ack, len);
}

/* OP_FRAG: an in-sequence segment cut into IP fragments of 8 * (1 + cut % 16) octets, sent in
 * one of four orders (order % 4: in order, reversed, in order with the first fragment twice,
 * odd-numbered ones first), IPv6 fragments after a hop-by-hop header when order & 4. A first
 * fragment shorter than the TCP header is refused (RFC 1858, RFC 7112): also worth reaching. */
static inline void script_frag(script_run_state *rs, script_in *in)
{
    static uint8_t pkt[40 + 60 + 1500], frag[40 + 16 + 1500];
    script_seg_args a;
    memset(&a, 0, sizeof a);
    a.k = (int)(script_take(in, 1) % SCRIPT_SLOTS);
    a.flags = (uint8_t)script_take(in, 1);
    a.len = script_take(in, 2) % 1401;
    a.wnd = 0xff;
    uint32_t cut = script_take(in, 1), order = script_take(in, 1);
    uint32_t seq, ack;
    size_t n = script_seg_build(rs, &a, pkt, sizeof pkt, &seq, &ack);
    bool v6 = script_v6(a.k);
    size_t hl = v6 ? 40 : 20;
    const uint8_t *msg = pkt + hl;
    uint32_t mlen = (uint32_t)(n - hl), piece = 8 * (1 + cut % 16);
    uint32_t count = (mlen + piece - 1) / piece, id = ++rs->frag_id;
    for (uint32_t i = 0; i < count + ((order & 3) == 2); i++) {
        uint32_t j = i;
        if ((order & 3) == 1) j = count - 1 - i;
        else if ((order & 3) == 2) j = i ? i - 1 : 0;
        else if ((order & 3) == 3) j = i < count / 2 ? 2 * i + 1 : 2 * (i - count / 2);
        uint32_t off = j * piece, len = mlen - off < piece ? mlen - off : piece;
        size_t fn = fz_frag(frag, sizeof frag, v6, script_peer(a.k), IP_PROTO_TCP, id, msg, mlen, off, len,
                            off + len < mlen, (order & 4) != 0);
        if (fn) synack_input(rs->st, rs->now, frag, fn);
    }
    script_seg_sent(rs, &a, seq, ack, mlen - (uint32_t)(msg[12] >> 4) * 4);
}

/* OP_ICMP: an error about one of our segments to the slot, quoting its first 8 TCP octets. */
static inline void script_icmp(script_run_state *rs, script_in *in)
{
    static uint8_t pkt[40 + 8 + 40 + 8];
    int k = (int)(script_take(in, 1) % SCRIPT_SLOTS);
    uint32_t kind = script_take(in, 1), off = script_take(in, 1), mtu = script_take(in, 2);
    script_slot *sl = &rs->slot[k];
    bool v6 = script_v6(k);
    size_t hl = v6 ? 40 : 20, qh = v6 ? 40 : 20;
    uint8_t *ic = pkt + hl;
    memset(ic, 0, 8 + qh + 8);
    if (v6) {
        static const uint8_t t6[][2] = {{1, 4}, {1, 1}, {1, 3}, {2, 0}, {3, 0}, {1, 0}};
        ic[0] = t6[kind % 6][0], ic[1] = t6[kind % 6][1];
        if (ic[0] == 2) wr32(ic + 4, 1000 + mtu);
    } else {
        static const uint8_t t4[][2] = {{3, 3}, {3, 1}, {3, 2}, {3, 4}, {11, 0}, {3, 0}};
        ic[0] = t4[kind % 6][0], ic[1] = t4[kind % 6][1];
        if (ic[0] == 3 && ic[1] == 4) wr16(ic + 6, (uint16_t)(400 + mtu % 1200));
    }
    uint8_t *q = ic + 8; /* the quoted header: from us to the peer */
    if (v6) {
        q[0] = 0x60;
        wr16(q + 4, 20);
        q[6] = IP_PROTO_TCP;
        q[7] = 64;
        memcpy(q + 8, script_our6, 16);
        memcpy(q + 24, script_peer6, 16);
    } else {
        q[0] = 0x45;
        wr16(q + 2, 40);
        q[8] = 64;
        q[9] = IP_PROTO_TCP;
        memcpy(q + 12, script_our4, 4);
        memcpy(q + 16, script_peer4, 4);
    }
    wr16(q + qh, sl->stack_port ? sl->stack_port : SCRIPT_LISTEN_PORT);
    wr16(q + qh + 2, script_peer_port(k));
    wr32(q + qh + 4, sl->stack_una + off);
    size_t il = 8 + qh + 8;
    fz_l4_cksum(ic, il, 2, v6, script_peer(k), v6 ? 58 : 1);
    size_t n = fz_ip(pkt, v6, script_peer(k), v6 ? 58 : IP_PROTO_ICMP, il);
    synack_input(rs->st, rs->now, pkt, n);
}

static inline void script_forget(script_run_state *rs, int sd)
{
    for (int i = 0; i < SCRIPT_SLOTS; i++)
        if (rs->slot[i].sd == sd) rs->slot[i].sd = -1;
}

static inline void script_user(script_run_state *rs, uint32_t op, script_in *in)
{
    static uint8_t buf[4096];
    synack_stack *st = rs->st;
    int k = op == OP_ACCEPT || op == OP_LISTEN ? 0 : (int)(script_take(in, 1) % SCRIPT_SLOTS);
    script_slot *sl = &rs->slot[k];
    switch (op) {
    case OP_CONNECT: {
        if (sl->sd >= 0) break;
        int c = synack_socket(st);
        if (c < 0) break;
        synack_endpoint to = script_peer_ep(k);
        synack_connect(st, c, &to);
        sl->sd = c;
        sl->stack_port = 0; /* learnt from the SYN */
        sl->peer_nxt = 0;
        break;
    }
    case OP_ACCEPT: {
        synack_endpoint peer;
        if (rs->lsd < 0) break;
        int a = synack_accept(st, rs->lsd, &peer);
        if (a < 0) break;
        int j = (peer.port - 40000) & 3;
        j += peer.addr.family == SYNACK_AF_INET6 ? 4 : 0;
        if (rs->slot[j].sd >= 0) synack_close(st, rs->slot[j].sd);
        rs->slot[j].sd = a;
        break;
    }
    case OP_SEND: {
        uint32_t n = script_take(in, 2) % sizeof buf;
        for (uint32_t i = 0; i < n; i++) buf[i] = (uint8_t)i;
        if (sl->sd >= 0) synack_send(st, sl->sd, buf, n);
        break;
    }
    case OP_RECV: {
        uint32_t n = script_take(in, 2) % sizeof buf;
        if (sl->sd >= 0) synack_recv(st, sl->sd, buf, n);
        break;
    }
    case OP_SHUTDOWN: {
        int how = (int)(script_take(in, 1) % 3);
        if (sl->sd >= 0) synack_shutdown(st, sl->sd, how);
        break;
    }
    case OP_CLOSE:
    case OP_ABORT:
        if (sl->sd < 0) break;
        if (op == OP_CLOSE) synack_close(st, sl->sd);
        else synack_abort(st, sl->sd), synack_close(st, sl->sd);
        script_forget(rs, sl->sd);
        break;
    case OP_SOCKOPT: {
        uint32_t which = script_take(in, 1) % 5, v = script_take(in, 1);
        if (sl->sd < 0) break;
        int iv = (int)(v & 1);
        uint64_t us = (uint64_t)v * 100000u;
        struct synack_linger lg = {(int)(v & 1), (int)(v >> 1)};
        if (which == 0) synack_setsockopt(st, sl->sd, SYNACK_SO_NODELAY, &iv, sizeof iv);
        else if (which == 1) synack_setsockopt(st, sl->sd, SYNACK_SO_KEEPALIVE, &iv, sizeof iv);
        else if (which == 2) synack_setsockopt(st, sl->sd, SYNACK_SO_LINGER, &lg, sizeof lg);
        else if (which == 3) synack_setsockopt(st, sl->sd, SYNACK_SO_USER_TIMEOUT, &us, sizeof us);
        else synack_setsockopt(st, sl->sd, SYNACK_SO_KEEPIDLE, &us, sizeof us);
        break;
    }
    case OP_LISTEN: {
        uint32_t which = script_take(in, 1);
        if (rs->lsd >= 0 && !(which & 1)) break;
        if (rs->lsd >= 0) synack_close(st, rs->lsd);
        rs->lsd = synack_socket(st);
        synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), (which & 2) ? SCRIPT_CLOSED_PORT : SCRIPT_LISTEN_PORT};
        if (rs->lsd >= 0) {
            synack_bind(st, rs->lsd, &ep);
            synack_listen(st, rs->lsd, (int)(1 + (which >> 2) % 4));
        }
        break;
    }
    default:
        break;
    }
}

static inline void script_config(synack_config *cfg, uint32_t bits)
{
    fz_config(cfg);
    cfg->max_conns = 16;
    cfg->max_sockets = 16;
    cfg->sndbuf_bytes = cfg->rcvbuf_bytes = (bits & SCRIPT_CFG_SMALL_BUF) ? 1024 : 4096;
    cfg->reass_max_ranges = (bits & SCRIPT_CFG_SMALL_BUF) ? 2 : 4;
    cfg->sack_max_ranges = cfg->reass_max_ranges; /* full boards stay within a script's reach */
    cfg->rfc5961 = !(bits & SCRIPT_CFG_RFC793);
    cfg->sack = !(bits & SCRIPT_CFG_NO_SACK);
    cfg->timestamps = !(bits & SCRIPT_CFG_NO_TS);
    cfg->wscale = (bits & SCRIPT_CFG_NO_WS) ? 0 : 7;
    cfg->drop_synfin = !(bits & SCRIPT_CFG_KEEP_SYNFIN);
}

/* Plays a script. res->ok is false if the stack broke an invariant the script can see (leak,
 * illegal transition); res->parsed whether the input was a whole script of this version. */
static inline void script_run_ex(const uint8_t *data, size_t size, script_result *res)
{
    memset(res, 0, sizeof *res);
    script_in in = {data, size, false};
    uint32_t bits;
    if (!fz_script_begin(&in, SCRIPT_VERSION, 1, &bits)) {
        res->ok = true;
        return;
    }
    synack_config cfg;
    script_config(&cfg, bits);
    script_run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.res = res;
    rs.trace = getenv("SCRIPT_TRACE") != NULL;
    rs.st = synack_stack_new(&cfg);
    if (!rs.st) return;
    for (int i = 0; i < SCRIPT_SLOTS; i++) rs.slot[i].sd = -1;
    rs.lsd = synack_socket(rs.st);
    synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), SCRIPT_LISTEN_PORT};
    synack_bind(rs.st, rs.lsd, &ep);
    synack_listen(rs.st, rs.lsd, 4);
    script_drain(&rs);
    while (in.n) {
        uint32_t op = script_take(&in, 1) % OP_COUNT;
        res->ops |= 1u << op;
        if (rs.trace) {
            printf("t=%.3f op %u:", (double)rs.now / 1e6, op);
            for (size_t i = 0; i < 12 && i < in.n; i++) printf(" %02x", in.p[i]);
            printf("\n");
        }
        switch (op) {
        case OP_SEG:
        case OP_SEG_BIG:
            script_seg(&rs, &in, op == OP_SEG_BIG);
            break;
        case OP_ICMP:
            script_icmp(&rs, &in);
            break;
        case OP_FRAG:
            script_frag(&rs, &in);
            break;
        case OP_TIME:
            fz_time_op(rs.st, &rs.now, &in);
            break;
        case OP_RAW: {
            static uint8_t pkt[256];
            size_t len = script_take(&in, 1);
            for (size_t i = 0; i < len; i++) pkt[i] = (uint8_t)script_take(&in, 1);
            synack_input(rs.st, rs.now, pkt, len);
            break;
        }
        default:
            script_user(&rs, op, &in);
            break;
        }
        script_drain(&rs);
        if (rs.trace) {
            synack_conn_info ci[16];
            size_t nc = synack_conn_list(rs.st, ci, 16);
            for (size_t i = 0; i < nc && i < 16; i++)
                if (ci[i].state != SYNACK_LISTEN)
                    printf("    conn %u %s: una +%u nxt +%u wnd %u send_q %u rexmt %s persist %s\n",
                           ci[i].conn_id, synack_state_rfc_name(ci[i].state), ci[i].snd_una - ci[i].iss,
                           ci[i].snd_nxt - ci[i].iss, ci[i].snd_wnd, ci[i].send_q,
                           ci[i].deadline_us[SYNACK_TIMER_REXMT] != SYNACK_TIME_NEVER ? "on" : "off",
                           ci[i].deadline_us[SYNACK_TIMER_PERSIST] != SYNACK_TIME_NEVER ? "on" : "off");
        }
    }
    res->parsed = true;
    res->whole = !in.short_read;
    for (int i = 0; i < SCRIPT_SLOTS; i++)
        if (rs.slot[i].sd >= 0) synack_close(rs.st, rs.slot[i].sd), script_forget(&rs, rs.slot[i].sd);
    if (rs.lsd >= 0) synack_close(rs.st, rs.lsd);
    rs.now = fz_run_out(rs.st, rs.now, 200, script_drain_cb, &rs);
    fz_counters(rs.st, res);
    synack_mem_info m;
    synack_mem_get(rs.st, &m);
    if (getenv("SCRIPT_DEBUG")) {
        synack_netstat_print(rs.st, stdout, true);
        synack_conn_info ci[16];
        size_t nc = synack_conn_list(rs.st, ci, 16);
        for (size_t i = 0; i < nc && i < 16; i++)
            printf("conn %u: iss %u una +%u nxt +%u wnd %u cwnd %u mss %u rcv_nxt %u\n", ci[i].conn_id,
                   ci[i].iss, ci[i].snd_una - ci[i].iss, ci[i].snd_nxt - ci[i].iss, ci[i].snd_wnd,
                   ci[i].cwnd, ci[i].snd_mss, ci[i].rcv_nxt);
        printf("conns %u buf %zu illegal %llu\n", m.conns_in_use, m.buffer_bytes_in_use,
               (unsigned long long)res->counters[SYNACK_CNT_tcp_illegal_transition]);
    }
    res->ok = fz_clean(rs.st);
    synack_stack_free(rs.st);
}

static inline bool script_run(const uint8_t *data, size_t size)
{
    script_result r;
    script_run_ex(data, size, &r);
    return r.ok;
}

/* ---- the builder: scripts written as calls, for seeds and regression inputs ---- */

static inline void sb_start(script_buf *s, uint32_t cfg_bits)
{
    s->n = 0;
    sb_byte(s, SCRIPT_VERSION);
    sb_byte(s, cfg_bits);
}
/* A segment: slot, flags, seq mode/delta, ack mode/delta, window byte, option bits, length. */
static inline void sb_seg(script_buf *s, int slot, uint8_t flags, int seq_mode, uint8_t seq_d, int ack_mode,
                          uint8_t ack_d, uint8_t wnd, uint8_t opts, uint32_t len)
{
    sb_byte(s, len > 255 ? OP_SEG_BIG : OP_SEG);
    sb_byte(s, (uint32_t)slot);
    sb_byte(s, flags);
    sb_byte(s, (uint32_t)seq_mode);
    sb_byte(s, seq_d);
    if (seq_mode == SEQ_RAW) sb_byte(s, 0), sb_byte(s, 0), sb_byte(s, 0), sb_byte(s, 0);
    sb_byte(s, (uint32_t)ack_mode);
    sb_byte(s, ack_d);
    if (ack_mode == ACK_RAW) sb_byte(s, 0), sb_byte(s, 0), sb_byte(s, 0), sb_byte(s, 0);
    sb_byte(s, wnd);
    sb_byte(s, opts);
    if (len > 255) sb_byte(s, len >> 8);
    sb_byte(s, len & 0xff);
}
static inline void sb_op1(script_buf *s, int op, uint32_t a) { sb_byte(s, (uint32_t)op), sb_byte(s, a); }
static inline void sb_op2(script_buf *s, int op, uint32_t a, uint32_t b)
{
    sb_byte(s, (uint32_t)op), sb_byte(s, a), sb_byte(s, b);
}
static inline void sb_send(script_buf *s, int slot, uint32_t len)
{
    sb_byte(s, OP_SEND), sb_byte(s, (uint32_t)slot), sb_byte(s, len >> 8), sb_byte(s, len & 0xff);
}
static inline void sb_recv(script_buf *s, int slot)
{
    sb_byte(s, OP_RECV), sb_byte(s, (uint32_t)slot), sb_byte(s, 0x0f), sb_byte(s, 0xff);
}
static inline void sb_time_ms(script_buf *s, uint32_t ms) { sb_op2(s, OP_TIME, 0, ms); }
static inline void sb_time_next(script_buf *s) { sb_op2(s, OP_TIME, 1, 0); }
/* OP_FRAG: an in-sequence segment of len octets with flags, cut and ordered (script_frag). */
static inline void sb_frag(script_buf *s, int slot, uint8_t flags, uint32_t len, uint32_t cut, uint32_t order)
{
    sb_byte(s, OP_FRAG), sb_byte(s, (uint32_t)slot), sb_byte(s, flags), sb_u16(s, len);
    sb_byte(s, cut), sb_byte(s, order);
}
static inline void sb_icmp(script_buf *s, int slot, uint32_t kind, uint32_t off, uint32_t mtu)
{
    sb_byte(s, OP_ICMP), sb_byte(s, (uint32_t)slot), sb_byte(s, kind), sb_byte(s, off);
    sb_byte(s, mtu >> 8), sb_byte(s, mtu & 0xff);
}

#endif
