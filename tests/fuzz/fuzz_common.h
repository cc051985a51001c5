/* fuzz_common.h: what every script-driven fuzz target shares (stack_script.h, reass_script.h,
 * listen_script.h): reading operands from the input, the host's and the peers' addresses, IP
 * headers and transport checksums for packets to the stack, IPv4 and IPv6 fragments of a
 * payload, draining the stack's output, and the end of every run: close, run the clock out, and
 * nothing (connections, buffers, reassembly bytes or slots) may be left. Tests only: the
 * libFuzzer targets, the smoke test and the corpus replay (tests/unit/fuzz_*.c). */
#ifndef SYNACK_FUZZ_COMMON_H
#define SYNACK_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/inspect.h>
#include <synack/socket.h>

#include "wire/bytes.h"
#include "wire/wire.h"

/* ---- operands ---- */

typedef struct script_in {
    const uint8_t *p;
    size_t n;
    bool short_read; /* an operand ran past the end (read as 0) */
} script_in;

/* k bytes, big-endian; past the end they read 0 and short_read is set. */
static inline uint32_t script_take(script_in *in, size_t k)
{
    uint32_t v = 0;
    for (size_t i = 0; i < k; i++) {
        if (!in->n) in->short_read = true;
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n) in->p++, in->n--;
    }
    return v;
}

/* ---- addresses: the host is 198.18.0.1 and 2001:db8::1; peers 198.18.0.2+ and 2001:db8::2+ ---- */

static const uint8_t script_our4[4] = {198, 18, 0, 1}, script_peer4[4] = {198, 18, 0, 2};
static const uint8_t script_our6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t script_peer6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* Peer number i's address (i = 0 is script_peer4 / script_peer6), 16 bytes written. */
static inline void fz_peer_addr(uint8_t *out, bool v6, uint32_t i)
{
    memset(out, 0, 16);
    if (v6) {
        memcpy(out, script_peer6, 16);
        wr16(out + 14, (uint16_t)(2 + i));
    } else {
        memcpy(out, script_peer4, 4);
        out[2] = (uint8_t)((2 + i) >> 8), out[3] = (uint8_t)(2 + i);
    }
}

static inline synack_endpoint fz_endpoint(bool v6, const uint8_t *addr, uint16_t port)
{
    synack_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr.family = v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
    memcpy(ep.addr.bytes, addr, v6 ? 16 : 4);
    ep.port = port;
    return ep;
}

/* The stack's configuration every target starts from: both addresses, a fixed seed, queues
 * sized for one script (a 1 MiB output queue made and zeroed per run would cost more than the
 * run: fuzzing speed is runs per second). */
static inline void fz_config(synack_config *cfg)
{
    synack_config_default(cfg);
    cfg->addr = synack_addr_v4(198, 18, 0, 1);
    cfg->addr6.family = SYNACK_AF_INET6;
    memcpy(cfg->addr6.bytes, script_our6, 16);
    cfg->seed = 1;
    cfg->outq_bytes = 1 << 17;
    cfg->eventq_len = 64;
}

/* ---- packets ---- */

/* Wraps a transport payload (already at buf + 20 or buf + 40) in an IPv4 or IPv6 header from src
 * to the host; returns the packet's size. */
static inline size_t fz_ip(uint8_t *buf, bool v6, const uint8_t *src, uint8_t proto, size_t plen)
{
    if (v6) {
        ip6_hdr h;
        memset(&h, 0, sizeof h);
        h.next = proto;
        h.hlim = 64;
        memcpy(h.src, src, 16);
        memcpy(h.dst, script_our6, 16);
        ip6_emit(buf, 40, &h, plen);
        return 40 + plen;
    }
    ip4_hdr h;
    memset(&h, 0, sizeof h);
    h.ttl = 64;
    h.proto = proto;
    memcpy(h.src, src, 4);
    memcpy(h.dst, script_our4, 4);
    ip4_emit(buf, 20, &h, plen);
    return 20 + plen;
}

/* Sets the checksum at cks_off of a TCP, ICMP or ICMPv6 message from src to the host (IPv4
 * ICMP has no pseudo-header). */
static inline void fz_l4_cksum(uint8_t *l4, size_t len, size_t cks_off, bool v6, const uint8_t *src, uint8_t proto)
{
    wr16(l4 + cks_off, 0);
    uint32_t sum = v6 ? cksum_pseudo_ip6(src, script_our6, (uint32_t)len, proto)
                      : (proto == IP_PROTO_TCP ? cksum_pseudo_ip4(src, script_our4, (uint32_t)len) : 0);
    wr16(l4 + cks_off, cksum_fold(cksum_add(sum, l4, len)));
}

/* Where a protocol's checksum sits in its header (0: none we compute). */
static inline size_t fz_cksum_off(uint8_t proto)
{
    return proto == IP_PROTO_TCP ? 16 : (proto == IP_PROTO_ICMP || proto == IP_PROTO_ICMP6) ? 2 : 0;
}

/* One fragment of payload[off, off + len) from src to the host: IPv4 with MF and the offset, or
 * IPv6 with a Fragment header (after a hop-by-hop options header when hbh). The bytes past
 * payload_len (a fragment reaching beyond the datagram) are zero. Returns the packet's size. */
static inline size_t fz_frag(uint8_t *out, size_t cap, bool v6, const uint8_t *src, uint8_t proto, uint32_t id,
                             const uint8_t *payload, size_t payload_len, uint32_t off, uint32_t len, bool more,
                             bool hbh)
{
    size_t hl = v6 ? 40 + (hbh ? 8 : 0) + IP6_FRAG_HDR_LEN : 20;
    if (hl + len > cap || hl + len > 65535 + (v6 ? 40 : 0)) return 0;
    uint8_t *p = out + hl;
    for (uint32_t i = 0; i < len; i++) p[i] = off + i < payload_len ? payload[off + i] : 0;
    if (v6) {
        ip6_hdr h;
        memset(&h, 0, sizeof h);
        memcpy(h.src, src, 16);
        memcpy(h.dst, script_our6, 16);
        h.next = hbh ? 0 : IP_PROTO_FRAGMENT;
        h.hlim = 64;
        ip6_emit(out, 40, &h, hl - 40 + len);
        uint8_t *x = out + 40;
        if (hbh) { /* PadN over the six option bytes */
            memset(x, 0, 8);
            x[0] = IP_PROTO_FRAGMENT, x[2] = 1, x[3] = 4;
            x += 8;
        }
        x[0] = proto;
        x[1] = 0;
        wr16(x + 2, (uint16_t)((off & 0xfff8u) | (more ? 1 : 0)));
        wr32(x + 4, id);
        return hl + len;
    }
    ip4_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.src, src, 4);
    memcpy(h.dst, script_our4, 4);
    h.id = (uint16_t)id;
    h.mf = more;
    h.frag_off = (uint16_t)(off & 0xfff8u);
    h.ttl = 64;
    h.proto = proto;
    ip4_emit(out, 20, &h, len);
    return 20 + len;
}

/* ---- what the stack sends ---- */

/* An outgoing packet as a TCP segment: true, with *seg and *v6 set, when it is one that parses
 * (its checksum is not verified: the stack computed it). */
static inline bool fz_out_tcp(const uint8_t *out, size_t n, bool *v6, tcp_seg *seg)
{
    *v6 = (out[0] >> 4) == 6;
    size_t hl = *v6 ? 40 : (size_t)(out[0] & 15) * 4;
    uint8_t proto = *v6 ? out[6] : out[9];
    return proto == IP_PROTO_TCP && n >= hl + TCP_HDR_LEN && tcp_parse(out + hl, n - hl, NULL, NULL, seg) == WIRE_OK;
}

/* ---- the clock and the end of a run ---- */

/* Every script's time operation (operands how, amount): to the next deadline when how & 1 (and
 * there is one), else amount milliseconds (seconds when how & 2); then the stack is polled. */
static inline void fz_time_op(synack_stack *st, synack_time_us *now, script_in *in)
{
    uint32_t how = script_take(in, 1), amount = script_take(in, 1);
    synack_time_us next = synack_next_deadline(st);
    if ((how & 1) && next != SYNACK_TIME_NEVER) *now = next > *now ? next : *now;
    else *now += SYNACK_MS(amount) * ((how & 2) ? 1000 : 1);
    synack_poll(st, *now);
}

/* Takes everything the stack queued (packets and events) and throws it away. */
static inline void fz_discard_output(void *stack)
{
    static uint8_t out[65536];
    synack_event ev;
    synack_stack *st = stack;
    while (synack_output(st, out, sizeof out) > 0) {}
    while (synack_event_next(st, &ev)) {}
}

/* Runs every deadline out (at most `rounds`), the output taken by drain(ctx) after each (or
 * thrown away when drain is NULL); returns the time reached. */
static inline synack_time_us fz_run_out(synack_stack *st, synack_time_us now, int rounds, void (*drain)(void *),
                                        void *ctx)
{
    for (int i = 0; i < rounds && synack_next_deadline(st) != SYNACK_TIME_NEVER; i++) {
        synack_time_us d = synack_next_deadline(st);
        if (d > now) now = d;
        synack_poll(st, now);
        if (drain) drain(ctx);
        else fz_discard_output(st);
    }
    return now;
}

/* Once everything is closed and the clock has run out: nothing held, nothing illegal. */
static inline bool fz_clean(const synack_stack *st)
{
    synack_mem_info m;
    synack_mem_get(st, &m);
    return m.conns_in_use == 0 && m.buffer_bytes_in_use == 0 && m.reass_bytes_in_use == 0 &&
           m.reass_datagrams == 0 && synack_counter(st, SYNACK_CNT_tcp_illegal_transition) == 0 &&
           synack_next_deadline(st) == SYNACK_TIME_NEVER;
}

/* What a run reached, for the corpus replay (tests/unit/fuzz_corpus.c): every script target
 * fills one. */
typedef struct script_result {
    bool parsed;          /* the version matched: the input was read as a script */
    bool whole;           /* and no operation was cut short (operands past the end read 0) */
    bool ok;              /* no leak, no illegal transition, nothing left at the end */
    uint32_t states;      /* bit per state entered (state events) */
    uint32_t ops;         /* bit per operation kind executed */
    uint64_t counters[SYNACK_COUNTER_COUNT];
} script_result;

/* A script's header: the version byte, then hdr_bytes of configuration into *cfg (big-endian).
 * False when the version is another (or the header is cut short): not a script of this kind. */
static inline bool fz_script_begin(script_in *in, uint32_t version, size_t hdr_bytes, uint32_t *cfg)
{
    uint32_t v = script_take(in, 1);
    *cfg = script_take(in, hdr_bytes);
    return v == version && !in->short_read;
}

static inline void fz_counters(const synack_stack *st, script_result *res)
{
    for (int c = 0; c < SYNACK_COUNTER_COUNT; c++) res->counters[c] = synack_counter(st, c);
}

/* ---- writing scripts (seeds, regression inputs) ---- */

typedef struct script_buf {
    uint8_t b[8192];
    size_t n;
} script_buf;

static inline void sb_byte(script_buf *s, uint32_t v)
{
    if (s->n < sizeof s->b) s->b[s->n++] = (uint8_t)v;
}
static inline void sb_u16(script_buf *s, uint32_t v) { sb_byte(s, v >> 8), sb_byte(s, v & 0xff); }

#endif
