/* stack_script.h: plays a byte string as a script of packets, clock steps and user calls
 * against one stack, with valid checksums so that input reaches the TCP state machine. Shared by
 * the libFuzzer target (stack_input.c) and the deterministic smoke test under ASan. Every run
 * ends by closing everything and running the clock out: no memory may be left. */
#ifndef SYNACK_STACK_SCRIPT_H
#define SYNACK_STACK_SCRIPT_H

#include <stdlib.h>
#include <string.h>

#include <synack/inspect.h>
#include <synack/socket.h>

#include "wire/bytes.h"
#include "wire/wire.h"

typedef struct script_in {
    const uint8_t *p;
    size_t n;
} script_in;

static inline uint32_t script_take(script_in *in, size_t k)
{
    uint32_t v = 0;
    for (size_t i = 0; i < k; i++) {
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n) in->p++, in->n--;
    }
    return v;
}

/* Builds one IPv4/TCP packet from the script: ports from a small set so segments meet
 * connections, raw options and payload, valid checksums (mostly). */
static inline size_t script_packet(script_in *in, uint8_t *pkt, uint32_t *last_seq, uint32_t *last_ack)
{
    uint8_t opt[40];
    uint32_t sel = script_take(in, 1);
    size_t optlen = (script_take(in, 1) % 11) * 4;
    for (size_t i = 0; i < optlen; i++) opt[i] = (uint8_t)script_take(in, 1);
    size_t datalen = script_take(in, 1) % 200;
    uint8_t *tcp = pkt + 20;
    wr16(tcp, (uint16_t)(40000 + (sel & 3)));
    wr16(tcp + 2, (uint16_t)((sel & 4) ? 80 : 81));
    /* Sequence numbers near what the stack last sent, or anywhere. */
    uint32_t seq = script_take(in, 4), ack = script_take(in, 4);
    if (sel & 8) seq = *last_ack + (seq % 64) - 32;
    if (sel & 16) ack = *last_seq + (ack % 64) - 32;
    wr32(tcp + 4, seq);
    wr32(tcp + 8, ack);
    tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    tcp[13] = (uint8_t)script_take(in, 1);
    wr16(tcp + 14, (uint16_t)script_take(in, 2));
    wr16(tcp + 16, 0);
    wr16(tcp + 18, 0);
    memcpy(tcp + 20, opt, optlen);
    for (size_t i = 0; i < datalen; i++) tcp[20 + optlen + i] = (uint8_t)(i * 7);
    size_t tcplen = 20 + optlen + datalen;
    static const uint8_t src[4] = {198, 18, 0, 2}, dst[4] = {198, 18, 0, 1};
    if (!(sel & 32)) tcp_cksum_set(tcp, tcplen, src, dst);
    ip4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = IP_PROTO_TCP;
    memcpy(ip.src, src, 4);
    memcpy(ip.dst, dst, 4);
    ip4_emit(pkt, 20, &ip, tcplen);
    return 20 + tcplen;
}

static inline void script_drain(synack_stack *st, uint32_t *last_seq, uint32_t *last_ack)
{
    static uint8_t out[65536];
    size_t n;
    synack_event ev;
    while ((n = synack_output(st, out, sizeof out)) > 0) {
        if (n >= 40) {
            *last_seq = rd32(out + 24);
            *last_ack = rd32(out + 28);
        }
    }
    while (synack_event_next(st, &ev)) {
    }
}

/* Returns false if the stack broke an invariant the script can see (leak, illegal transition). */
static inline bool script_run(const uint8_t *data, size_t size)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.max_conns = 16;
    cfg.max_sockets = 16;
    cfg.sndbuf_bytes = cfg.rcvbuf_bytes = 4096;
    cfg.reass_max_ranges = 4;
    cfg.outq_bytes = 1 << 17;
    cfg.eventq_len = 64;
    cfg.rfc5961 = data && size && (data[0] & 1);
    synack_stack *st = synack_stack_new(&cfg);
    if (!st) return false;
    script_in in = {data, size};
    synack_time_us now = 0;
    uint32_t last_seq = 0, last_ack = 0;
    int socks[8];
    int nsocks = 0;
    uint8_t pkt[20 + 60 + 256], buf[512];
    int l = synack_socket(st);
    synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), 80};
    synack_bind(st, l, &ep);
    synack_listen(st, l, 4);
    while (in.n) {
        uint32_t op = script_take(&in, 1) % 14;
        int sd = nsocks ? socks[script_take(&in, 1) % (uint32_t)nsocks] : -1;
        switch (op) {
        case 0: case 1: case 2: case 3: case 4: { /* packets are the main course */
            size_t len = script_packet(&in, pkt, &last_seq, &last_ack);
            synack_input(st, now, pkt, len);
            break;
        }
        case 5: /* time passes: small steps or up to the next deadline */
            now += script_take(&in, 1) & 1 ? SYNACK_MS(script_take(&in, 1)) : 0;
            if (synack_next_deadline(st) != SYNACK_TIME_NEVER && (script_take(&in, 1) & 1))
                now = synack_next_deadline(st) > now ? synack_next_deadline(st) : now;
            synack_poll(st, now);
            break;
        case 6: {
            int a = synack_accept(st, l, NULL);
            if (a >= 0 && nsocks < 8) socks[nsocks++] = a;
            else if (a >= 0) synack_close(st, a);
            break;
        }
        case 7: {
            if (nsocks >= 8) break;
            int c = synack_socket(st);
            synack_endpoint to = {synack_addr_v4(198, 18, 0, 2), (uint16_t)(40000 + script_take(&in, 1) % 4)};
            if (c >= 0) {
                synack_connect(st, c, &to);
                socks[nsocks++] = c;
            }
            break;
        }
        case 8:
            if (sd >= 0) synack_send(st, sd, buf, script_take(&in, 2) % sizeof buf);
            break;
        case 9:
            if (sd >= 0) synack_recv(st, sd, buf, sizeof buf);
            break;
        case 10:
            if (sd >= 0) synack_shutdown(st, sd, (int)(script_take(&in, 1) % 3));
            break;
        case 12: { /* raw bytes: IPv6, extension headers, anything */
            size_t len = script_take(&in, 1) % sizeof pkt;
            for (size_t i = 0; i < len; i++) pkt[i] = (uint8_t)script_take(&in, 1);
            if (len && (script_take(&in, 1) & 1)) pkt[0] = (uint8_t)(0x60 | (pkt[0] & 0x0f));
            synack_input(st, now, pkt, len);
            break;
        }
        case 13: { /* an ICMP error with a valid checksum quoting one of our segments */
            uint8_t *ic = pkt + 20;
            memset(ic, 0, 8);
            ic[0] = (uint8_t)(script_take(&in, 1) & 1 ? 3 : 11);
            ic[1] = (uint8_t)(script_take(&in, 1) % 6);
            wr16(ic + 6, (uint16_t)script_take(&in, 2));
            uint8_t *q = ic + 8; /* quoted IPv4 header from us to the peer, then TCP ports/seq */
            memset(q, 0, 28);
            q[0] = 0x45;
            q[9] = IP_PROTO_TCP;
            q[12] = 198, q[13] = 18, q[14] = 0, q[15] = 1;
            q[16] = 198, q[17] = 18, q[18] = 0, q[19] = 2;
            wr16(q + 20, (uint16_t)script_take(&in, 2));
            wr16(q + 22, (uint16_t)(40000 + script_take(&in, 1) % 4));
            wr32(q + 24, last_seq - (script_take(&in, 1) % 64));
            wr16(ic + 2, cksum_fold(cksum_add(0, ic, 36)));
            ip4_hdr ip;
            memset(&ip, 0, sizeof ip);
            ip.ttl = 64;
            ip.proto = IP_PROTO_ICMP;
            ip.src[0] = 198, ip.src[1] = 18, ip.src[2] = 0, ip.src[3] = 2;
            ip.dst[0] = 198, ip.dst[1] = 18, ip.dst[2] = 0, ip.dst[3] = 1;
            ip4_emit(pkt, 20, &ip, 36);
            synack_input(st, now, pkt, 56);
            break;
        }
        default:
            if (sd >= 0) {
                if (script_take(&in, 1) & 1) synack_close(st, sd);
                else synack_abort(st, sd);
                for (int i = 0; i < nsocks; i++)
                    if (socks[i] == sd) socks[i] = socks[--nsocks];
            }
            break;
        }
        script_drain(st, &last_seq, &last_ack);
    }
    for (int i = 0; i < nsocks; i++) synack_close(st, socks[i]);
    synack_close(st, l);
    for (int i = 0; i < 200 && synack_next_deadline(st) != SYNACK_TIME_NEVER; i++) {
        now = synack_next_deadline(st) > now ? synack_next_deadline(st) : now;
        synack_poll(st, now);
        script_drain(st, &last_seq, &last_ack);
    }
    synack_mem_info m;
    synack_mem_get(st, &m);
    if (getenv("SCRIPT_DEBUG")) { synack_netstat_print(st, stdout, true); printf("conns %u buf %zu illegal %llu\n", m.conns_in_use, m.buffer_bytes_in_use, (unsigned long long)synack_counter(st, SYNACK_CNT_tcp_illegal_transition)); }
    bool ok = m.conns_in_use == 0 && m.buffer_bytes_in_use == 0 &&
              synack_counter(st, SYNACK_CNT_tcp_illegal_transition) == 0;
    synack_stack_free(st);
    return ok;
}

#endif
