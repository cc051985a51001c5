/* ip.c: the network layer of the stack: validates IPv4 and IPv6 packets, keeps only those for
 * our addresses, verifies upper-layer checksums, and hands TCP and ICMP their payloads. IPv4
 * fragments are dropped and counted (no reassembly: TCP segments are sized by MSS and PMTU, and
 * we set DF). Emits headers for what the stack sends. */
#include <string.h>

#include "ip/ip.h"
#include "stack_impl.h"
#include "wire/bytes.h"

static const uint8_t wire_counter[] = {
    [WIRE_IP_SHORT] = SYNACK_CNT_ip_bad_short,     [WIRE_IP_VERSION] = SYNACK_CNT_ip_bad_version,
    [WIRE_IP_HLEN] = SYNACK_CNT_ip_bad_hlen,       [WIRE_IP_LEN] = SYNACK_CNT_ip_bad_len,
    [WIRE_IP_CKSUM] = SYNACK_CNT_ip_bad_cksum,     [WIRE_IP_FRAGMENT] = SYNACK_CNT_ip_fragment,
    [WIRE_TCP_SHORT] = SYNACK_CNT_tcp_bad_short,   [WIRE_TCP_OFF] = SYNACK_CNT_tcp_bad_off,
    [WIRE_TCP_OPT] = SYNACK_CNT_tcp_bad_opt,       [WIRE_TCP_CKSUM] = SYNACK_CNT_tcp_bad_cksum,
    [WIRE_IP6_EXT] = SYNACK_CNT_ip6_bad_ext,
};

const synack_addr *ip_local_addr(const synack_stack *st, int family)
{
    if (family == SYNACK_AF_INET6) return st->cfg.addr6.family == SYNACK_AF_INET6 ? &st->cfg.addr6 : NULL;
    return st->cfg.addr.family == SYNACK_AF_INET ? &st->cfg.addr : NULL;
}

/* The pseudo-header sum. IPv4 needs one only for TCP here (ICMPv4 has none). */
static uint32_t pseudo_sum(const synack_addr *src, const synack_addr *dst, uint32_t len, uint8_t proto)
{
    if (src->family == SYNACK_AF_INET6) return cksum_pseudo_ip6(src->bytes, dst->bytes, len, proto);
    return cksum_pseudo_ip4(src->bytes, dst->bytes, len);
}

void ip_l4_cksum_set(uint8_t *l4, size_t len, size_t cksum_off, const synack_addr *src,
                     const synack_addr *dst, uint8_t proto)
{
    wr16(l4 + cksum_off, 0);
    uint32_t s = proto == IP_PROTO_ICMP ? 0 : pseudo_sum(src, dst, (uint32_t)len, proto);
    wr16(l4 + cksum_off, cksum_fold(cksum_add(s, l4, len)));
}

size_t ip_header_emit(synack_stack *st, uint8_t *p, const synack_addr *src, const synack_addr *dst,
                      uint8_t proto, size_t payload_len)
{
    if (dst->family == SYNACK_AF_INET6) {
        ip6_hdr h;
        memset(&h, 0, sizeof h);
        h.next = proto;
        h.hlim = 64;
        memcpy(h.src, src->bytes, 16);
        memcpy(h.dst, dst->bytes, 16);
        return ip6_emit(p, IP6_HDR_LEN, &h, payload_len);
    }
    ip4_hdr h;
    memset(&h, 0, sizeof h);
    h.id = st->ip_id++;
    h.df = true; /* RFC 1191: path MTU discovery */
    h.ttl = 64;
    h.proto = proto;
    memcpy(h.src, src->bytes, 4);
    memcpy(h.dst, dst->bytes, 4);
    return ip4_emit(p, IP4_HDR_LEN, &h, payload_len);
}

static void tcp_deliver(synack_stack *st, const synack_addr *src, const synack_addr *dst,
                        const uint8_t *payload, size_t plen)
{
    tcp_seg seg;
    if (cksum_fold(cksum_add(pseudo_sum(src, dst, (uint32_t)plen, IP_PROTO_TCP), payload, plen)) != 0) {
        CNT(st, tcp_bad_cksum);
        return;
    }
    enum wire_verdict v = tcp_parse(payload, plen, NULL, NULL, &seg);
    if (v != WIRE_OK) {
        st->counters[wire_counter[v]]++;
        return;
    }
    if (seg.sport == 0 || seg.dport == 0) {
        CNT(st, tcp_bad_port);
        return;
    }
    synack_endpoint local = {*dst, seg.dport}, remote = {*src, seg.sport};
    CNT(st, tcp_in);
    tcp_input(st, &local, &remote, &seg);
}

static void ip4_input(synack_stack *st, const uint8_t *pkt, size_t len)
{
    ip4_hdr ip;
    const uint8_t *payload;
    size_t plen;
    enum wire_verdict v = ip4_parse(pkt, len, &ip, &payload, &plen);
    if (v != WIRE_OK) {
        st->counters[wire_counter[v]]++;
        return;
    }
    if (st->cfg.addr.family != SYNACK_AF_INET || memcmp(ip.dst, st->cfg.addr.bytes, 4) != 0) {
        CNT(st, ip_not_for_us);
        return;
    }
    /* Broadcast, multicast and our own address are never valid sources (RFC 1122 4.2.3.10). */
    if (ip.src[0] >= 224 || memcmp(ip.src, ip.dst, 4) == 0 || !(ip.src[0] | ip.src[1] | ip.src[2] | ip.src[3])) {
        CNT(st, ip_bad_src);
        return;
    }
    synack_addr src = {SYNACK_AF_INET, {0}}, dst = {SYNACK_AF_INET, {0}};
    memcpy(src.bytes, ip.src, 4);
    memcpy(dst.bytes, ip.dst, 4);
    if (ip.proto == IP_PROTO_TCP) tcp_deliver(st, &src, &dst, payload, plen);
    else if (ip.proto == IP_PROTO_ICMP) icmp4_input(st, &ip, payload, plen);
    else CNT(st, ip_not_tcp);
}

static void ip6_input(synack_stack *st, const uint8_t *pkt, size_t len)
{
    ip6_hdr ip;
    const uint8_t *payload;
    size_t plen;
    enum wire_verdict v = ip6_parse(pkt, len, &ip, &payload, &plen);
    if (v != WIRE_OK) {
        st->counters[wire_counter[v]]++;
        return;
    }
    if (st->cfg.addr6.family != SYNACK_AF_INET6 || memcmp(ip.dst, st->cfg.addr6.bytes, 16) != 0) {
        CNT(st, ip_not_for_us);
        return;
    }
    static const uint8_t unspecified[16];
    if (ip.src[0] == 0xff || memcmp(ip.src, ip.dst, 16) == 0 || memcmp(ip.src, unspecified, 16) == 0) {
        CNT(st, ip_bad_src); /* multicast, ourselves, or :: */
        return;
    }
    synack_addr src = {SYNACK_AF_INET6, {0}}, dst = {SYNACK_AF_INET6, {0}};
    memcpy(src.bytes, ip.src, 16);
    memcpy(dst.bytes, ip.dst, 16);
    if (ip.next == IP_PROTO_TCP) tcp_deliver(st, &src, &dst, payload, plen);
    else if (ip.next == IP_PROTO_ICMP6) icmp6_input(st, &ip, payload, plen);
    else CNT(st, ip_not_tcp);
}

void ip_input(synack_stack *st, const uint8_t *pkt, size_t len)
{
    CNT(st, ip_in);
    if (len >= 1 && pkt[0] >> 4 == 6) ip6_input(st, pkt, len);
    else ip4_input(st, pkt, len);
}
