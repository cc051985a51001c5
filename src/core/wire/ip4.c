/* ip4.c: IPv4 header validation (ip4_parse) and construction (ip4_emit).
 * Owns only the byte layout; what to do with the packet (protocol, addresses) is the caller's. */
#include "wire/wire.h"

#include <string.h>

#include "wire/bytes.h"

#define IP4_FLAG_DF 0x4000u
#define IP4_FLAG_MF 0x2000u
#define IP4_FRAG_OFF_MASK 0x1fffu

enum wire_verdict ip4_parse(const uint8_t *pkt, size_t len, ip4_hdr *out,
                            const uint8_t **payload, size_t *payload_len)
{
    /* Checks run in the order each one's precondition needs: nothing beyond byte 19 is read
     * until the IHL is known to fit, nothing beyond the header until total_len is known to fit.
     * out is cleared first (as tcp_parse does) so a rejected packet never leaves stale fields. */
    memset(out, 0, sizeof *out);
    if (len < IP4_HDR_LEN)
        return WIRE_IP_SHORT;
    if ((pkt[0] >> 4) != 4)
        return WIRE_IP_VERSION;
    size_t hlen = (size_t)(pkt[0] & 0x0f) * 4;
    if (hlen < IP4_HDR_LEN || hlen > len)
        return WIRE_IP_HLEN;
    size_t total = rd16(pkt + 2);
    if (total < hlen || total > len)
        return WIRE_IP_LEN;
    /* A correct header (options included) sums to 0xffff, so the folded complement is 0. */
    if (cksum_ip4_header(pkt, hlen) != 0)
        return WIRE_IP_CKSUM;
    uint16_t frag = rd16(pkt + 6);

    out->hlen = (uint8_t)hlen;
    out->tos = pkt[1];
    out->total_len = (uint16_t)total;
    out->id = rd16(pkt + 4);
    out->df = (frag & IP4_FLAG_DF) != 0;
    out->mf = (frag & IP4_FLAG_MF) != 0;
    out->frag_off = (uint16_t)((frag & IP4_FRAG_OFF_MASK) << 3);
    out->ttl = pkt[8];
    out->proto = pkt[9];
    memcpy(out->src, pkt + 12, 4);
    memcpy(out->dst, pkt + 16, 4);
    /* Options (hlen > 20) are skipped, and bytes past total_len are link-layer padding
     * (Ethernet pads short frames to 60 bytes), so the payload is bounded by total_len. */
    *payload = pkt + hlen;
    *payload_len = total - hlen;
    /* RFC 791: a fragment is a datagram with MF set or a non-zero offset. It is reported as
     * such, fully parsed, so that only a caller that reassembles goes on with it. */
    if (out->mf || out->frag_off)
        return WIRE_IP_FRAGMENT;
    return WIRE_OK;
}

size_t ip4_emit(uint8_t *buf, size_t cap, const ip4_hdr *h, size_t payload_len)
{
    /* A payload that cannot be described by the 16-bit total length is refused too, rather than
     * silently emitting a truncated length field. */
    if (cap < IP4_HDR_LEN || payload_len > 0xffffu - IP4_HDR_LEN)
        return 0;
    buf[0] = 0x45; /* version 4, IHL 5: we never send options */
    buf[1] = h->tos;
    wr16(buf + 2, (uint16_t)(IP4_HDR_LEN + payload_len));
    wr16(buf + 4, h->id);
    wr16(buf + 6, (uint16_t)((h->df ? IP4_FLAG_DF : 0) | (h->mf ? IP4_FLAG_MF : 0) |
                             ((h->frag_off >> 3) & IP4_FRAG_OFF_MASK)));
    buf[8] = h->ttl;
    buf[9] = h->proto;
    wr16(buf + 10, 0);
    memcpy(buf + 12, h->src, 4);
    memcpy(buf + 16, h->dst, 4);
    wr16(buf + 10, cksum_ip4_header(buf, IP4_HDR_LEN));
    return IP4_HDR_LEN;
}
