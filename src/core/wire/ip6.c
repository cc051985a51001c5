/* ip6.c: IPv6 base header and extension-header walk (RFC 8200), and the IPv6 pseudo-header
 * sum. Owns the byte layout only: what to do with a packet is the stack's decision. */
#include <string.h>

#include "wire/bytes.h"
#include "wire/wire.h"

enum { EXT_HOP = 0, EXT_ROUTING = 43, EXT_FRAGMENT = 44, EXT_DSTOPTS = 60, EXT_NONE = 59 };

/* At most this many extension headers are walked: more is an attack, not a packet. */
#define MAX_EXT_HEADERS 8

enum wire_verdict ip6_parse(const uint8_t *pkt, size_t len, ip6_hdr *out,
                            const uint8_t **payload, size_t *payload_len)
{
    memset(out, 0, sizeof *out);
    if (len < IP6_HDR_LEN) return WIRE_IP_SHORT;
    if (pkt[0] >> 4 != 6) return WIRE_IP_VERSION;
    size_t plen = rd16(pkt + 4);
    if (plen + IP6_HDR_LEN > len) return WIRE_IP_LEN; /* jumbograms (plen 0) are not supported */
    out->tclass = (uint8_t)((pkt[0] & 0x0f) << 4 | pkt[1] >> 4);
    out->flow = ((uint32_t)(pkt[1] & 0x0f) << 16) | rd16(pkt + 2);
    out->hlim = pkt[7];
    memcpy(out->src, pkt + 8, 16);
    memcpy(out->dst, pkt + 24, 16);
    uint8_t next = pkt[6];
    size_t off = IP6_HDR_LEN, end = IP6_HDR_LEN + plen, next_at = 6;
    for (int n = 0;; n++) {
        if (next != EXT_HOP && next != EXT_ROUTING && next != EXT_DSTOPTS && next != EXT_FRAGMENT)
            break;
        if (n == MAX_EXT_HEADERS || off + 8 > end) return WIRE_IP6_EXT;
        if (next == EXT_HOP && n != 0) return WIRE_IP6_EXT; /* hop-by-hop only comes first */
        size_t hlen;
        if (next == EXT_FRAGMENT) {
            uint16_t fo = rd16(pkt + off + 2);
            if ((fo & 0xfff8) != 0 || (fo & 1)) {
                /* RFC 8200 4.5: the fragmentable part follows; the reassembler takes it. */
                out->frag_hdr_off = (uint16_t)off;
                out->frag_prev_next = (uint16_t)next_at;
                out->frag_off = fo & 0xfff8;
                out->frag_more = fo & 1;
                out->frag_id = rd32(pkt + off + 4);
                out->next = pkt[off];
                *payload = pkt + off + IP6_FRAG_HDR_LEN;
                *payload_len = end - off - IP6_FRAG_HDR_LEN;
                return WIRE_IP_FRAGMENT;
            }
            /* An atomic fragment (offset 0, M clear) is a whole packet, processed in isolation
             * from any other fragment with the same identification (RFC 6946 4). */
            out->atomic_frag = true;
            hlen = 8;
        } else {
            hlen = ((size_t)pkt[off + 1] + 1) * 8;
        }
        if (off + hlen > end) return WIRE_IP6_EXT;
        next = pkt[off];
        next_at = off;
        off += hlen;
    }
    if (next == EXT_NONE) return WIRE_IP6_EXT;
    out->next = next;
    *payload = pkt + off;
    *payload_len = end - off;
    return WIRE_OK;
}

size_t ip6_emit(uint8_t *buf, size_t cap, const ip6_hdr *h, size_t payload_len)
{
    if (cap < IP6_HDR_LEN || payload_len > 0xffff) return 0;
    buf[0] = (uint8_t)(0x60 | h->tclass >> 4);
    buf[1] = (uint8_t)((h->tclass & 0x0f) << 4 | ((h->flow >> 16) & 0x0f));
    wr16(buf + 2, (uint16_t)h->flow);
    wr16(buf + 4, (uint16_t)payload_len);
    buf[6] = h->next;
    buf[7] = h->hlim;
    memcpy(buf + 8, h->src, 16);
    memcpy(buf + 24, h->dst, 16);
    return IP6_HDR_LEN;
}

uint32_t cksum_pseudo_ip6(const uint8_t src[16], const uint8_t dst[16], uint32_t len, uint8_t proto)
{
    uint8_t tail[8];
    wr32(tail, len);
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = proto;
    uint32_t s = cksum_add(0, src, 16);
    s = cksum_add(s, dst, 16);
    return cksum_add(s, tail, 8);
}
