/* reass_script.h: plays a byte string as a script of IPv4 and IPv6 fragments against one host
 * (198.18.0.1, 2001:db8::1, a listener on port 80), for the reassembly fuzzer (reass_input.c)
 * and the corpus replay (tests/unit/fuzz_corpus.c). Fragments are cut from a template message
 * (an ICMP or ICMPv6 echo request, a TCP SYN with data, an ICMP error, IPv6 with a Destination
 * Options header, another protocol) at any offsets, sizes, flags, identifications and sources,
 * duplicated, overlapping, missing, and the clock advanced past timeouts in virtual time.
 *
 * Checked on every run: the checked build's invariants after every packet and timer (the
 * reassembly queue's in check.c); every echo reply the stack sends carries the data bytes the
 * template had at the same offsets (a datagram is rebuilt exactly or not at all; template data
 * depends on the offset only, so fragments of different templates agree where they overlap);
 * and once the clock has run out no reassembly byte, slot or connection is left.
 *
 * Format (version REASS_SCRIPT_VERSION): byte 0 the version, byte 1 configuration bits, then
 * operations, each an opcode byte and fixed operands (reass_op). Operands past the end read 0. */
#ifndef SYNACK_REASS_SCRIPT_H
#define SYNACK_REASS_SCRIPT_H

#include "fuzz_common.h"

enum { REASS_SCRIPT_VERSION = 1, REASS_SRCS = 4, REASS_MSG_MAX = 65536, REASS_CUT_MAX = 256 };

/* Configuration bits (byte 1). */
enum {
    REASS_CFG_SMALL_POOL = 1, /* 8 datagrams of at most 8 fragments (else 32 of 64) */
    REASS_CFG_SMALL_MEM = 2,  /* 4 KiB for the stack, 2 KiB a source (else 256 KiB, 64 KiB) */
    REASS_CFG_OFF = 4,        /* no reassembly: every fragment dropped and counted */
    REASS_CFG_SHORT = 8,      /* 15 s timeouts, RFC 791's lower bound (else 30 s / 60 s) */
};

enum reass_op {
    R_MSG,  /* src, kind, len(2): the template; src bit 0 IPv6, bits 1-2 the source */
    R_FRAG, /* id, off(2), len(2), flags: one fragment of the template (flags: R_F_*) */
    R_CUT,  /* id, piece, order: the whole template as fragments (see reass_cut) */
    R_TIME, /* how, amount: milliseconds, seconds (how & 2), or the next deadline (how & 1) */
    R_OP_COUNT
};
enum { R_F_MORE = 1, R_F_HBH = 2, R_F_OTHER_SRC = 4 };
/* Template kinds. */
enum { K_ECHO, K_TCP_SYN, K_ICMP_ERROR, K_DSTOPTS_ECHO, K_OTHER, K_COUNT };

typedef struct reass_run_state {
    synack_stack *st;
    synack_time_us now;
    bool v6;
    uint32_t src;          /* peer number of the template's source */
    uint8_t proto;         /* the template's first Next Header / Protocol */
    uint8_t msg[REASS_MSG_MAX];
    uint32_t msg_len;
    bool bad_reply;        /* an echo reply whose data differs from the template's */
    script_result *res;
} reass_run_state;

/* Octet i of every template's data: a function of the offset alone. */
static inline uint8_t reass_pattern(uint32_t i) { return (uint8_t)(i * 7 + (i >> 8) * 13 + 1); }

/* R_MSG: builds the template (the fragmentable part of a datagram from peer src). */
static inline void reass_msg(reass_run_state *rs, script_in *in)
{
    uint32_t s = script_take(in, 1), kind = script_take(in, 1) % K_COUNT, len = script_take(in, 2);
    rs->v6 = s & 1;
    rs->src = (s >> 1) % REASS_SRCS;
    uint8_t src[16];
    fz_peer_addr(src, rs->v6, rs->src);
    uint8_t *m = rs->msg;
    uint32_t hdr = kind == K_DSTOPTS_ECHO && rs->v6 ? 8 : 0; /* a Destination Options header first */
    uint32_t l4 = kind == K_TCP_SYN ? 20 : 8;
    if (len < hdr + l4) len = hdr + l4;
    if (len > REASS_MSG_MAX - 8) len = REASS_MSG_MAX - 8;
    for (uint32_t i = 0; i < len || i < 64; i++) m[i] = reass_pattern(i); /* over the last one's headers */
    uint8_t icmp = rs->v6 ? IP_PROTO_ICMP6 : IP_PROTO_ICMP;
    rs->proto = kind == K_TCP_SYN ? IP_PROTO_TCP : kind == K_OTHER ? 17 : icmp;
    if (hdr) {
        m[0] = icmp, m[1] = 0, m[2] = 1, m[3] = 4, memset(m + 4, 0, 4); /* PadN */
        rs->proto = 60;
    }
    uint8_t *t = m + hdr;
    uint32_t tl = len - hdr;
    switch (kind) {
    case K_TCP_SYN: {
        tcp_seg h;
        memset(&h, 0, sizeof h);
        h.sport = (uint16_t)(40000 + rs->src), h.dport = 80, h.seq = 7000u * (rs->src + 1);
        h.flags = SYNACK_SYN, h.wnd = 65535;
        tcp_hdr_emit(t, 20, &h, 0);
        fz_l4_cksum(t, tl, 16, rs->v6, src, IP_PROTO_TCP);
        break;
    }
    case K_ICMP_ERROR: /* port unreachable quoting a segment of ours: an error, never answered */
        t[0] = rs->v6 ? 1 : 3, t[1] = rs->v6 ? 4 : 3;
        memset(t + 4, 0, 4);
        fz_l4_cksum(t, tl, 2, rs->v6, src, icmp);
        break;
    case K_OTHER:
        break;
    default: /* an echo request: the reply carries the data back (RFC 792, RFC 4443 4.1) */
        t[0] = rs->v6 ? 128 : 8, t[1] = 0;
        wr16(t + 4, 0x5a17), wr16(t + 6, (uint16_t)len);
        fz_l4_cksum(t, tl, 2, rs->v6, src, icmp);
        break;
    }
    rs->msg_len = len;
}

static inline void reass_send(reass_run_state *rs, uint32_t id, uint32_t off, uint32_t len, uint32_t flags)
{
    static uint8_t pkt[40 + 8 + 8 + 2048];
    uint8_t src[16];
    fz_peer_addr(src, rs->v6, (rs->src + ((flags & R_F_OTHER_SRC) ? 1 : 0)) % REASS_SRCS);
    /* Fragments reaching past the template carry pattern bytes too: a datagram built from them
     * holds the pattern wherever it holds no header (a whole one, offset 0 and no MF, as well). */
    size_t n = fz_frag(pkt, sizeof pkt, rs->v6, src, rs->proto, id, rs->msg, sizeof rs->msg, off, len,
                       flags & R_F_MORE, flags & R_F_HBH);
    if (n) synack_input(rs->st, rs->now, pkt, n);
}

/* R_CUT: the template in fragments of 8 * (1 + piece % 128) octets (at most REASS_CUT_MAX),
 * ordered by order % 8: in order; reversed; the last first; every fragment twice; one
 * fragment left out (the datagram times out); a fragment shifted by 8 octets (an overlap: the
 * datagram is discarded); every other one first; in order after a hop-by-hop header (IPv6). */
static inline void reass_cut(reass_run_state *rs, script_in *in)
{
    uint32_t id = script_take(in, 1), piece = 8 * (1 + script_take(in, 1) % 128), order = script_take(in, 1) % 8;
    uint32_t count = (rs->msg_len + piece - 1) / piece;
    if (count > REASS_CUT_MAX) count = REASS_CUT_MAX;
    uint32_t sends = order == 3 ? 2 * count : count;
    for (uint32_t i = 0; i < sends; i++) {
        uint32_t j = i;
        switch (order) {
        case 1: j = count - 1 - i; break;
        case 2: j = i ? i - 1 : count - 1; break;
        case 3: j = i / 2; break;
        case 6: j = i < (count + 1) / 2 ? 2 * i : 2 * (i - (count + 1) / 2) + 1; break;
        default: break;
        }
        if (order == 4 && j == count / 2 && count > 1) continue; /* missing */
        uint32_t off = j * piece, len = rs->msg_len - off < piece ? rs->msg_len - off : piece;
        if (order == 5 && j == count / 2 && j) off -= 8; /* overlaps the fragment before it */
        bool more = j + 1 < count;
        reass_send(rs, id, off, len, (more ? R_F_MORE : 0) | (order == 7 ? R_F_HBH : 0));
    }
}

/* Takes the stack's output: an echo reply that came whole must carry the template's data. */
static inline void reass_drain(reass_run_state *rs)
{
    static uint8_t out[65536];
    size_t n;
    synack_event ev;
    while ((n = synack_output(rs->st, out, sizeof out)) > 0) {
        bool v6 = (out[0] >> 4) == 6;
        size_t hl = v6 ? 40 : (size_t)(out[0] & 15) * 4;
        if (n < hl + 8) continue;
        uint8_t proto = v6 ? out[6] : out[9];
        bool frag = v6 ? proto == IP_PROTO_FRAGMENT : (rd16(out + 6) & 0x3fff) != 0;
        const uint8_t *ic = out + hl;
        if (frag || ic[0] != (v6 ? 129 : 0) || proto != (v6 ? IP_PROTO_ICMP6 : IP_PROTO_ICMP)) continue;
        /* The data starts 8 octets into the message, as in the request (after any extension
         * header that came with it, which the reply does not carry). */
        for (size_t i = 8; i < n - hl; i++)
            if (ic[i] != reass_pattern((uint32_t)i) && ic[i] != reass_pattern((uint32_t)i + 8)) rs->bad_reply = true;
    }
    while (synack_event_next(rs->st, &ev))
        if (ev.type == SYNACK_EV_STATE && ev.to < 32) rs->res->states |= 1u << ev.to;
}

static inline void reass_drain_cb(void *rs) { reass_drain(rs); }

static inline void reass_config(synack_config *cfg, uint32_t bits)
{
    fz_config(cfg);
    cfg->max_conns = 16;
    cfg->max_sockets = 4;
    cfg->icmp_ratelimit_per_sec = 0; /* every echo answered */
    cfg->frag_max_datagrams = (bits & REASS_CFG_OFF) ? 0 : (bits & REASS_CFG_SMALL_POOL) ? 8 : 32;
    cfg->frag_max_fragments = (bits & REASS_CFG_SMALL_POOL) ? 8 : 64;
    cfg->frag_mem_bytes = (bits & REASS_CFG_SMALL_MEM) ? 4096 : 256u << 10;
    cfg->frag_src_mem_bytes = (bits & REASS_CFG_SMALL_MEM) ? 2048 : 64u << 10;
    if (bits & REASS_CFG_SHORT) cfg->frag_timeout_us = cfg->frag6_timeout_us = SYNACK_SEC(15);
}

/* Plays a script; res->ok is false when a reply was wrong or anything was left at the end. */
static inline void reass_run_ex(const uint8_t *data, size_t size, script_result *res)
{
    memset(res, 0, sizeof *res);
    script_in in = {data, size, false};
    uint32_t bits;
    if (!fz_script_begin(&in, REASS_SCRIPT_VERSION, 1, &bits)) {
        res->ok = true;
        return;
    }
    synack_config cfg;
    reass_config(&cfg, bits);
    static reass_run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.res = res;
    rs.st = synack_stack_new(&cfg);
    if (!rs.st) return;
    rs.now = SYNACK_SEC(1);
    int lsd = synack_socket(rs.st);
    synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), 80};
    synack_bind(rs.st, lsd, &ep);
    synack_listen(rs.st, lsd, 4);
    reass_drain(&rs);
    for (uint32_t i = 0; i < sizeof rs.msg; i++) rs.msg[i] = reass_pattern(i);
    rs.msg_len = 8; /* an empty template until R_MSG */
    while (in.n) {
        uint32_t op = script_take(&in, 1) % R_OP_COUNT;
        res->ops |= 1u << op;
        switch (op) {
        case R_MSG:
            reass_msg(&rs, &in);
            break;
        case R_FRAG: {
            uint32_t id = script_take(&in, 1), off = script_take(&in, 2), len = script_take(&in, 2) % 2048;
            reass_send(&rs, id, off, len, script_take(&in, 1));
            break;
        }
        case R_CUT:
            reass_cut(&rs, &in);
            break;
        default:
            fz_time_op(rs.st, &rs.now, &in);
            break;
        }
        reass_drain(&rs);
    }
    res->parsed = true;
    res->whole = !in.short_read;
    synack_close(rs.st, lsd);
    rs.now = fz_run_out(rs.st, rs.now, 100, reass_drain_cb, &rs);
    fz_counters(rs.st, res);
    res->ok = !rs.bad_reply && fz_clean(rs.st);
    if (getenv("SCRIPT_DEBUG")) {
        synack_mem_info m;
        synack_mem_get(rs.st, &m);
        printf("reass: bad reply %d conns %u buffers %zu reass bytes %zu slots %u next %lld\n", rs.bad_reply,
               m.conns_in_use, m.buffer_bytes_in_use, m.reass_bytes_in_use, m.reass_datagrams,
               (long long)synack_next_deadline(rs.st));
    }
    synack_stack_free(rs.st);
}

/* ---- writing scripts ---- */

static inline void rb_start(script_buf *s, uint32_t cfg_bits)
{
    s->n = 0;
    sb_byte(s, REASS_SCRIPT_VERSION);
    sb_byte(s, cfg_bits);
}
static inline void rb_msg(script_buf *s, bool v6, uint32_t src, uint32_t kind, uint32_t len)
{
    sb_byte(s, R_MSG), sb_byte(s, (v6 ? 1u : 0u) | src << 1), sb_byte(s, kind), sb_u16(s, len);
}
static inline void rb_frag(script_buf *s, uint32_t id, uint32_t off, uint32_t len, uint32_t flags)
{
    sb_byte(s, R_FRAG), sb_byte(s, id), sb_u16(s, off), sb_u16(s, len), sb_byte(s, flags);
}
static inline void rb_cut(script_buf *s, uint32_t id, uint32_t piece_bytes, uint32_t order)
{
    sb_byte(s, R_CUT), sb_byte(s, id), sb_byte(s, piece_bytes / 8 - 1), sb_byte(s, order);
}
static inline void rb_time_s(script_buf *s, uint32_t sec) { sb_byte(s, R_TIME), sb_byte(s, 2), sb_byte(s, sec); }
static inline void rb_time_next(script_buf *s) { sb_byte(s, R_TIME), sb_byte(s, 1), sb_byte(s, 0); }

#endif
