/* tcp_seg.c: IPv4 (RFC 791) and IPv6 (RFC 8200) headers down to the TCP header (RFC 9293 3.1)
 * and its options, from untrusted captured bytes. Lengths are checked before every read. */
#include "tcp_seg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <synack/event.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_options(const uint8_t *o, size_t olen, tcp_seg *s)
{
    for (size_t i = 0; i < olen;) {
        uint8_t kind = o[i];
        if (kind == 0) break; /* end of option list */
        if (kind == 1) {      /* no-operation */
            i++;
            continue;
        }
        if (i + 1 >= olen) break;
        uint8_t len = o[i + 1];
        if (len < 2 || i + len > olen) break; /* malformed: keep what was read */
        const uint8_t *v = o + i + 2;
        if (kind == 2 && len == 4) s->mss = rd16(v);
        else if (kind == 3 && len == 3) s->wscale = v[0] > 14 ? 14 : v[0]; /* RFC 7323 2.3 */
        else if (kind == 4 && len == 2) s->sack_ok = true;
        else if (kind == 8 && len == 10) s->ts = true;
        else if (kind == 5)
            for (size_t b = 0; b + 8 <= (size_t)len - 2 && s->nsack < TCP_SEG_MAX_SACK; b += 8) {
                s->sack[s->nsack][0] = rd32(v + b);
                s->sack[s->nsack][1] = rd32(v + b + 4);
                s->nsack++;
            }
        i += len;
    }
}

/* The TCP header at tcp (cap bytes captured), with ip_payload bytes in the IP datagram. */
static bool parse_tcp(const uint8_t *tcp, size_t cap, size_t ip_payload, tcp_seg *s, const char **why)
{
    if (cap < 20 || ip_payload < 20) {
        *why = "TCP header cut short";
        return false;
    }
    size_t off = (size_t)(tcp[12] >> 4) * 4;
    if (off < 20 || off > ip_payload || off > cap) {
        *why = "bad TCP data offset";
        return false;
    }
    s->sport = rd16(tcp);
    s->dport = rd16(tcp + 2);
    s->seq = rd32(tcp + 4);
    s->ack = rd32(tcp + 8);
    s->flags = tcp[13];
    s->win = rd16(tcp + 14);
    s->len = (uint32_t)(ip_payload - off);
    parse_options(tcp + 20, off - 20, s);
    return true;
}

static bool decode_v4(const uint8_t *p, size_t len, tcp_seg *s, const char **why)
{
    size_t ihl = (size_t)(p[0] & 15) * 4;
    if (len < 20 || ihl < 20 || ihl > len) {
        *why = "IPv4 header cut short";
        return false;
    }
    size_t total = rd16(p + 2);
    /* Offloaded captures can carry 0 (TSO): the captured length is all there is then. */
    if (total == 0) total = len;
    if (total < ihl) {
        *why = "bad IPv4 total length";
        return false;
    }
    if ((rd16(p + 6) & 0x3fff) != 0) { /* MF or a fragment offset */
        *why = "IPv4 fragment";
        return false;
    }
    if (p[9] != 6) {
        *why = "not TCP";
        return false;
    }
    s->family = 4;
    memcpy(s->src, p + 12, 4);
    memcpy(s->dst, p + 16, 4);
    return parse_tcp(p + ihl, len - ihl, total - ihl, s, why);
}

static bool decode_v6(const uint8_t *p, size_t len, tcp_seg *s, const char **why)
{
    if (len < 40) {
        *why = "IPv6 header cut short";
        return false;
    }
    size_t payload = rd16(p + 4);
    if (payload == 0) payload = len - 40; /* jumbo or offloaded: what was captured */
    uint8_t next = p[6];
    size_t off = 40, end = 40 + payload;
    /* RFC 8200 4: walk hop-by-hop, routing, destination options and fragment headers. */
    for (int hops = 0; hops < 16; hops++) {
        if (next == 6) break;
        if (next != 0 && next != 43 && next != 60 && next != 44) {
            *why = "not TCP";
            return false;
        }
        if (off + 8 > len || off + 8 > end) {
            *why = "IPv6 extension header cut short";
            return false;
        }
        if (next == 44) {
            *why = "IPv6 fragment";
            return false;
        }
        size_t hlen = ((size_t)p[off + 1] + 1) * 8;
        next = p[off];
        off += hlen;
    }
    if (next != 6 || off > end || off > len) {
        *why = "not TCP";
        return false;
    }
    s->family = 6;
    memcpy(s->src, p + 8, 16);
    memcpy(s->dst, p + 24, 16);
    return parse_tcp(p + off, len - off, end - off, s, why);
}

bool tcp_seg_decode(const uint8_t *pkt, size_t len, synack_time_us t, tcp_seg *s, const char **why)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->wscale = -1;
    *why = "empty packet";
    if (len < 1) return false;
    switch (pkt[0] >> 4) {
    case 4: return decode_v4(pkt, len, s, why);
    case 6: return decode_v6(pkt, len, s, why);
    default: *why = "not IP"; return false;
    }
}

uint32_t tcp_seg_space(const tcp_seg *s)
{
    return s->len + !!(s->flags & SYNACK_SYN) + !!(s->flags & SYNACK_FIN);
}

char *tcp_seg_endpoint(const uint8_t *addr, uint8_t family, uint16_t port, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    if (family == 6) {
        inet_ntop(AF_INET6, addr, a, sizeof a);
        snprintf(buf, cap, "[%s]:%u", a, port);
    } else {
        inet_ntop(AF_INET, addr, a, sizeof a);
        snprintf(buf, cap, "%s:%u", a, port);
    }
    return buf;
}
