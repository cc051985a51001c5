/* icmp.c: ICMPv4 (RFC 792) and ICMPv6 (RFC 4443): echo replies, rate-limited, and errors about
 * our TCP segments handed to the matching connection (RFC 1122 4.2.3.9, RFC 5927, path MTU per
 * RFC 1191 and RFC 8201). Neighbour discovery is not needed on a point-to-point TUN link. */
#include <errno.h>
#include <string.h>

#include "ip/ip.h"
#include "stack_impl.h"
#include "wire/bytes.h"

enum { ICMP4_ECHO_REPLY = 0, ICMP4_UNREACH = 3, ICMP4_ECHO = 8, ICMP4_TIME_EXCEEDED = 11 };
enum { ICMP6_UNREACH = 1, ICMP6_TOO_BIG = 2, ICMP6_TIME_EXCEEDED = 3, ICMP6_ECHO = 128,
       ICMP6_ECHO_REPLY = 129 };

/* A token bucket refilled from the stack's clock: at most rate replies a second, bursts of
 * the same size. */
static bool icmp_allow(synack_stack *st)
{
    uint32_t rate = st->cfg.icmp_ratelimit_per_sec;
    if (rate == 0) return true;
    synack_time_us per = 1000000u / rate ? 1000000u / rate : 1;
    uint64_t add = (st->now - st->icmp_refill_at) / per;
    if (add) {
        st->icmp_tokens = st->icmp_tokens + add > rate ? rate : (uint32_t)(st->icmp_tokens + add);
        st->icmp_refill_at += add * per;
    }
    if (st->icmp_tokens == 0) {
        CNT(st, icmp_rate_limited);
        return false;
    }
    st->icmp_tokens--;
    return true;
}

/* The checksum of an ICMP message head || body (8-byte head), with ICMPv6's pseudo-header. */
static void icmp_cksum(uint8_t head[8], const uint8_t *body, size_t body_len, const synack_addr *from,
                       const synack_addr *to)
{
    wr16(head + 2, 0);
    uint32_t s = to->family == SYNACK_AF_INET6
                     ? cksum_pseudo_ip6(from->bytes, to->bytes, (uint32_t)(8 + body_len), IP_PROTO_ICMP6)
                     : 0;
    s = cksum_add(s, head, 8); /* even length: the body's sum continues it */
    wr16(head + 2, cksum_fold(cksum_add(s, body, body_len)));
}

/* Sends an echo reply that mirrors the request (identifier, sequence, data). A reply larger than
 * the link is fragmented: echo replies do not set DF (RFC 792 asks for the data back whole, and
 * the request itself may have come in fragments). */
static void echo_reply(synack_stack *st, const synack_addr *to, const synack_addr *from,
                       const uint8_t *msg, size_t len, uint8_t type, uint8_t proto)
{
    if (!icmp_allow(st)) return;
    uint8_t head[8];
    memcpy(head, msg, 8);
    head[0] = type;
    head[1] = 0;
    icmp_cksum(head, msg + 8, len - 8, from, to);
    if (ip_send(st, from, to, proto, head, 8, msg + 8, len - 8, false)) CNT(st, icmp_echo_reply);
}

void icmp_reass_time_exceeded(synack_stack *st, const synack_addr *to, const uint8_t *quote, size_t qlen)
{
    const synack_addr *self = ip_local_addr(st, to->family);
    if (!self || !icmp_allow(st)) return;
    /* RFC 792 Time Exceeded, code 1 "fragment reassembly time exceeded"; RFC 4443 3.3 the same
     * as type 3 code 1. The 4 bytes after the checksum are unused and zero in both. */
    bool v6 = to->family == SYNACK_AF_INET6;
    uint8_t head[8] = {v6 ? ICMP6_TIME_EXCEEDED : ICMP4_TIME_EXCEEDED, 1, 0, 0, 0, 0, 0, 0};
    icmp_cksum(head, quote, qlen, self, to);
    uint8_t proto = to->family == SYNACK_AF_INET6 ? IP_PROTO_ICMP6 : IP_PROTO_ICMP;
    if (ip_send(st, self, to, proto, head, 8, quote, qlen, false)) CNT(st, icmp_time_exceeded_out);
}

/* The TCP header inside an ICMP error: which connection, and the sequence number it sent. */
static void to_tcp(synack_stack *st, const synack_addr *inner_src, const synack_addr *inner_dst,
                   const uint8_t *tcp, size_t avail, int err, bool hard, uint32_t mtu)
{
    if (avail < 8) {
        CNT(st, icmp_bad);
        return;
    }
    synack_endpoint local = {*inner_src, rd16(tcp)}, remote = {*inner_dst, rd16(tcp + 2)};
    tcp_icmp_error(st, &local, &remote, rd32(tcp + 4), err, hard, mtu);
}

void icmp4_input(synack_stack *st, const ip4_hdr *ip, const uint8_t *msg, size_t len)
{
    CNT(st, icmp_in);
    if (len < 8 || cksum_fold(cksum_add(0, msg, len)) != 0) {
        CNT(st, icmp_bad);
        return;
    }
    synack_addr peer = {SYNACK_AF_INET, {0}};
    memcpy(peer.bytes, ip->src, 4);
    uint8_t type = msg[0], code = msg[1];
    if (type == ICMP4_ECHO) {
        echo_reply(st, &peer, &st->cfg.addr, msg, len, ICMP4_ECHO_REPLY, IP_PROTO_ICMP);
        return;
    }
    if (type != ICMP4_UNREACH && type != ICMP4_TIME_EXCEEDED) return;
    /* The quoted datagram: its IPv4 header and at least 8 octets of TCP (RFC 792). */
    const uint8_t *in = msg + 8;
    size_t in_len = len - 8;
    if (in_len < IP4_HDR_LEN || in[0] >> 4 != 4) {
        CNT(st, icmp_bad);
        return;
    }
    size_t ihl = (size_t)(in[0] & 0x0f) * 4;
    if (ihl < IP4_HDR_LEN || ihl > in_len || in[9] != IP_PROTO_TCP) {
        CNT(st, icmp_bad);
        return;
    }
    synack_addr isrc = {SYNACK_AF_INET, {0}}, idst = {SYNACK_AF_INET, {0}};
    memcpy(isrc.bytes, in + 12, 4);
    memcpy(idst.bytes, in + 16, 4);
    int err = EHOSTUNREACH;
    bool hard = false;
    uint32_t mtu = 0;
    if (type == ICMP4_UNREACH) {
        switch (code) {
        case 0: err = ENETUNREACH; break;
        case 2: err = ENOPROTOOPT; hard = true; break; /* RFC 1122: codes 2-4 are hard */
        case 3: err = ECONNREFUSED; hard = true; break;
        case 4: /* fragmentation needed and DF set: the next-hop MTU (RFC 1191) */
            mtu = rd16(msg + 6);
            if (mtu == 0) mtu = 576; /* an old router: fall back to the minimum datagram */
            break;
        default: err = EHOSTUNREACH; break;
        }
    }
    to_tcp(st, &isrc, &idst, in + ihl, in_len - ihl, err, hard, mtu);
}

void icmp6_input(synack_stack *st, const ip6_hdr *ip, const uint8_t *msg, size_t len)
{
    CNT(st, icmp_in);
    synack_addr peer = {SYNACK_AF_INET6, {0}}, self = {SYNACK_AF_INET6, {0}};
    memcpy(peer.bytes, ip->src, 16);
    memcpy(self.bytes, ip->dst, 16);
    if (len < 8 || cksum_fold(cksum_add(cksum_pseudo_ip6(ip->src, ip->dst, (uint32_t)len, IP_PROTO_ICMP6),
                                        msg, len)) != 0) {
        CNT(st, icmp_bad);
        return;
    }
    uint8_t type = msg[0], code = msg[1];
    if (type == ICMP6_ECHO) {
        echo_reply(st, &peer, &self, msg, len, ICMP6_ECHO_REPLY, IP_PROTO_ICMP6);
        return;
    }
    if (type != ICMP6_UNREACH && type != ICMP6_TOO_BIG && type != ICMP6_TIME_EXCEEDED) return;
    const uint8_t *in = msg + 8;
    size_t in_len = len - 8;
    /* Only a TCP header straight after the quoted IPv6 header is understood. */
    if (in_len < IP6_HDR_LEN || in[0] >> 4 != 6 || in[6] != IP_PROTO_TCP) {
        CNT(st, icmp_bad);
        return;
    }
    synack_addr isrc = {SYNACK_AF_INET6, {0}}, idst = {SYNACK_AF_INET6, {0}};
    memcpy(isrc.bytes, in + 8, 16);
    memcpy(idst.bytes, in + 24, 16);
    int err = EHOSTUNREACH;
    bool hard = false;
    uint32_t mtu = 0;
    if (type == ICMP6_TOO_BIG) {
        mtu = rd32(msg + 4);
        if (mtu < 1280) mtu = 1280; /* RFC 8201 4: never below the IPv6 minimum */
    } else if (type == ICMP6_UNREACH) {
        switch (code) {
        case 0: err = ENETUNREACH; break;
        case 1: err = EACCES; break;
        case 4: err = ECONNREFUSED; hard = true; break; /* port unreachable */
        default: err = EHOSTUNREACH; break;
        }
    }
    to_tcp(st, &isrc, &idst, in + IP6_HDR_LEN, in_len - IP6_HDR_LEN, err, hard, mtu);
}
