/* ip.c: the network layer of the stack: validates IPv4 and IPv6 packets, keeps only those for
 * our addresses, hands fragments to the reassembler (ip/reass.c) and takes whole datagrams back,
 * verifies upper-layer checksums, and hands TCP and ICMP their payloads. Emits headers for what
 * the stack sends, and fragments a datagram of ours that does not fit the link (ip_send). */
#include <string.h>

#include "ip/ip.h"
#include "ip/reass.h"
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

void ip_tcp_cksum_finish(uint8_t *tcp, size_t hdr_len, size_t data_len, uint32_t data_sum,
                         const synack_addr *src, const synack_addr *dst, bool partial)
{
    uint32_t s = pseudo_sum(src, dst, (uint32_t)(hdr_len + data_len), IP_PROTO_TCP);
    if (partial) { /* as Linux's CHECKSUM_PARTIAL: the folded pseudo-header sum, uncomplemented */
        wr16(tcp + 16, (uint16_t)~cksum_fold(s));
        return;
    }
    wr16(tcp + 16, 0);
    s = cksum_add(s, tcp, hdr_len);
    /* hdr_len is a multiple of 4, so the data's own sum joins without a swap. */
    wr16(tcp + 16, cksum_fold(cksum_add_at(s, data_sum, hdr_len)));
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

/* A drop trace for a TCP segment that could not be parsed: the ports and sequence number are
 * read where they would be (bytes from the wire, so only as far as they are there). */
static void tcp_drop_unparsed(synack_stack *st, int counter, const synack_addr *src, const synack_addr *dst,
                              const uint8_t *payload, size_t plen)
{
    synack_endpoint local = {*dst, 0}, remote = {*src, 0};
    tcp_seg seg;
    memset(&seg, 0, sizeof seg);
    if (plen >= 4) {
        remote.port = rd16(payload);
        local.port = rd16(payload + 2);
    }
    if (plen >= 8) seg.seq = rd32(payload + 4);
    if (plen >= 14) seg.flags = payload[13];
    if (plen >= 20) seg.len = (uint32_t)(plen - 20u);
    stack_drop_event(st, counter, 0, SYNACK_CLOSED, &local, &remote, &seg);
}

void ip_header_set_ecn(uint8_t *p, const synack_addr *dst, uint8_t ecn)
{
    if (dst->family == SYNACK_AF_INET6) { /* Traffic Class bits 0-1: the low bits of byte 1's high nibble */
        p[1] = (uint8_t)((p[1] & ~0x30u) | (uint8_t)((ecn & 3u) << 4));
        return;
    }
    /* IPv4 TOS byte, low two bits; the header checksum follows (RFC 1624: ~C' = ~C + ~m + m'). */
    uint16_t old = (uint16_t)(p[0] << 8 | p[1]);
    p[1] = (uint8_t)((p[1] & ~3u) | (ecn & 3u));
    uint16_t now = (uint16_t)(p[0] << 8 | p[1]);
    uint32_t c = (uint16_t)~(p[10] << 8 | p[11]);
    c += (uint16_t)~old;
    c += now;
    while (c >> 16) c = (c & 0xffff) + (c >> 16);
    c = (uint16_t)~c;
    p[10] = (uint8_t)(c >> 8);
    p[11] = (uint8_t)c;
}

/* csum_ok: the link vouched for the checksum (synack_input_flags), so the pass over the data is
 * skipped. */
static void tcp_deliver(synack_stack *st, const synack_addr *src, const synack_addr *dst,
                        const uint8_t *payload, size_t plen, bool csum_ok, uint8_t ecn)
{
    tcp_seg seg;
    if (csum_ok) CNT(st, tcp_csum_offloaded);
    else if (cksum_fold(cksum_add(pseudo_sum(src, dst, (uint32_t)plen, IP_PROTO_TCP), payload, plen)) != 0) {
        CNT(st, tcp_bad_cksum);
        if (st->trace_mask & SYNACK_TRACE_DROPS) tcp_drop_unparsed(st, SYNACK_CNT_tcp_bad_cksum, src, dst, payload, plen);
        return;
    }
    enum wire_verdict v = tcp_parse(payload, plen, NULL, NULL, &seg);
    if (v != WIRE_OK) {
        st->counters[wire_counter[v]]++;
        if (st->trace_mask & SYNACK_TRACE_DROPS) tcp_drop_unparsed(st, wire_counter[v], src, dst, payload, plen);
        return;
    }
    synack_endpoint local = {*dst, seg.dport}, remote = {*src, seg.sport};
    if (seg.sport == 0 || seg.dport == 0) {
        DROP(st, tcp_bad_port, 0, SYNACK_CLOSED, &local, &remote, &seg);
        return;
    }
    seg.ip_ecn = ecn & 3;
    CNT(st, tcp_in);
    tcp_input(st, &local, &remote, &seg);
}

/* reassembled: pkt was rebuilt by ip/reass.c, so it must not be a fragment again. */
static void ip4_input(synack_stack *st, const uint8_t *pkt, size_t len, bool reassembled, bool csum_ok)
{
    ip4_hdr ip;
    const uint8_t *payload;
    size_t plen;
    enum wire_verdict v = ip4_parse(pkt, len, &ip, &payload, &plen);
    if (v != WIRE_OK && v != WIRE_IP_FRAGMENT) {
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
    if (v == WIRE_IP_FRAGMENT) {
        /* RFC 1122 3.3.2: "The IP layer MUST implement reassembly of IP datagrams." */
        CNT(st, ip_fragment);
        if (reassembled) CNT(st, reass_nested);
        else reass_input4(st, pkt, &ip, payload, plen);
        return;
    }
    synack_addr src = {SYNACK_AF_INET, {0}}, dst = {SYNACK_AF_INET, {0}};
    memcpy(src.bytes, ip.src, 4);
    memcpy(dst.bytes, ip.dst, 4);
    if (ip.proto == IP_PROTO_TCP) tcp_deliver(st, &src, &dst, payload, plen, csum_ok, ip.tos);
    else if (ip.proto == IP_PROTO_ICMP) icmp4_input(st, &ip, payload, plen);
    else CNT(st, ip_not_tcp);
}

static void ip6_input(synack_stack *st, const uint8_t *pkt, size_t len, bool reassembled, bool csum_ok)
{
    ip6_hdr ip;
    const uint8_t *payload;
    size_t plen;
    enum wire_verdict v = ip6_parse(pkt, len, &ip, &payload, &plen);
    if (v != WIRE_OK && v != WIRE_IP_FRAGMENT) {
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
    if (v == WIRE_IP_FRAGMENT) {
        /* RFC 8200 4.5: the destination reassembles. A fragment inside a reassembled packet is
         * not unwrapped again (no recursion through the reassembler). */
        CNT(st, ip_fragment);
        if (reassembled) CNT(st, reass_nested);
        else reass_input6(st, pkt, &ip, payload, plen);
        return;
    }
    if (ip.atomic_frag) CNT(st, reass_atomic6); /* RFC 6946 4: processed in isolation */
    synack_addr src = {SYNACK_AF_INET6, {0}}, dst = {SYNACK_AF_INET6, {0}};
    memcpy(src.bytes, ip.src, 16);
    memcpy(dst.bytes, ip.dst, 16);
    if (ip.next == IP_PROTO_TCP) tcp_deliver(st, &src, &dst, payload, plen, csum_ok, ip.tclass);
    else if (ip.next == IP_PROTO_ICMP6) icmp6_input(st, &ip, payload, plen);
    else CNT(st, ip_not_tcp);
}

void ip_input_reassembled(synack_stack *st, const uint8_t *pkt, size_t len)
{
    /* A datagram rebuilt from fragments had its checksum completed before it was cut. */
    if (len >= 1 && pkt[0] >> 4 == 6) ip6_input(st, pkt, len, true, false);
    else ip4_input(st, pkt, len, true, false);
}

/* Copies n bytes at offset off of the concatenation head || body. */
static void copy_parts(uint8_t *to, const uint8_t *head, size_t head_len, const uint8_t *body,
                       size_t off, size_t n)
{
    if (off < head_len) {
        size_t k = head_len - off < n ? head_len - off : n;
        memcpy(to, head + off, k);
        to += k;
        off += k;
        n -= k;
    }
    if (n) memcpy(to, body + (off - head_len), n);
}

static size_t emit_hdr(synack_stack *st, uint8_t *p, const synack_addr *src, const synack_addr *dst,
                       uint8_t proto, size_t payload_len, bool df, bool mf, uint16_t frag_off,
                       uint16_t id)
{
    if (dst->family == SYNACK_AF_INET6) return ip_header_emit(st, p, src, dst, proto, payload_len);
    ip4_hdr h;
    memset(&h, 0, sizeof h);
    h.id = id;
    h.df = df;
    h.mf = mf;
    h.frag_off = frag_off;
    h.ttl = 64;
    h.proto = proto;
    memcpy(h.src, src->bytes, 4);
    memcpy(h.dst, dst->bytes, 4);
    return ip4_emit(p, IP4_HDR_LEN, &h, payload_len);
}

bool ip_send(synack_stack *st, const synack_addr *src, const synack_addr *dst, uint8_t proto,
             const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len, bool df)
{
    bool v6 = dst->family == SYNACK_AF_INET6;
    size_t total = head_len + body_len, hl = ip_header_len(dst), mtu = st->cfg.mtu;
    if (hl + total <= mtu) {
        uint8_t *p = stack_outq_reserve(st, hl + total);
        if (!p) return false;
        emit_hdr(st, p, src, dst, proto, total, df, false, 0, st->ip_id++);
        copy_parts(p + hl, head, head_len, body, 0, total);
        stack_outq_commit(st, hl + total);
        return true;
    }
    /* RFC 791: DF forbids fragmenting; RFC 8200 4.5: only the source fragments IPv6, and a
     * payload over 65,535 bytes cannot be described at all. */
    if ((!v6 && df) || total > (v6 ? 65535u : 65535u - IP4_HDR_LEN)) {
        CNT(st, ip_out_too_big);
        return false;
    }
    /* Each fragment's data is a multiple of 8 octets but the last (RFC 791, RFC 8200 4.5). */
    size_t per = (mtu - hl - (v6 ? IP6_FRAG_HDR_LEN : 0)) & ~(size_t)7;
    uint16_t id4 = st->ip_id++;
    uint32_t id6 = v6 ? reass_ip6_id(st, dst) : 0;
    for (size_t off = 0; off < total; off += per) {
        size_t n = total - off < per ? total - off : per;
        bool more = off + n < total;
        size_t fl = hl + (v6 ? IP6_FRAG_HDR_LEN : 0) + n;
        uint8_t *p = stack_outq_reserve(st, fl);
        if (!p) return false; /* the receiver's reassembly times out; counted as out_queue_full */
        uint8_t *data = p + hl;
        if (v6) {
            /* RFC 8200 4.5: the unfragmentable part (our base header), then the Fragment header. */
            ip_header_emit(st, p, src, dst, IP_PROTO_FRAGMENT, IP6_FRAG_HDR_LEN + n);
            p[hl] = proto;
            p[hl + 1] = 0;
            wr16(p + hl + 2, (uint16_t)(off | (more ? 1 : 0)));
            wr32(p + hl + 4, id6);
            data += IP6_FRAG_HDR_LEN;
        } else {
            emit_hdr(st, p, src, dst, proto, n, false, more, (uint16_t)off, id4);
        }
        copy_parts(data, head, head_len, body, off, n);
        stack_outq_commit(st, fl);
        CNT(st, ip_frag_out);
    }
    return true;
}

void ip_input(synack_stack *st, const uint8_t *pkt, size_t len, bool csum_ok)
{
    CNT(st, ip_in);
    if (len >= 1 && pkt[0] >> 4 == 6) ip6_input(st, pkt, len, false, csum_ok);
    else ip4_input(st, pkt, len, false, csum_ok);
}
