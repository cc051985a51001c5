/* tcp_seg.h: one TCP segment as a capture shows it: decoded from an IPv4 or IPv6 packet by this
 * file's own parser (not the core's: the ladder is a second opinion on the stack). Every byte
 * is untrusted: a packet that is not a whole, unfragmented TCP header is refused, not guessed. */
#ifndef SYNACK_TOOLS_TCP_SEG_H
#define SYNACK_TOOLS_TCP_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/types.h>

#define TCP_SEG_MAX_SACK 4

typedef struct tcp_seg {
    synack_time_us t;
    uint8_t family;           /* 4 or 6 */
    uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;            /* FIN 0x01 ... CWR 0x80 (SYNACK_FIN, ...) */
    uint16_t win;             /* as on the wire, unscaled */
    uint32_t len;             /* payload bytes, from the IP length (not the captured length) */
    /* Options of interest (RFC 9293 3.1, RFC 7323, RFC 2018). */
    int wscale;               /* -1: none */
    uint16_t mss;             /* 0: none */
    bool sack_ok, ts;
    int nsack;
    uint32_t sack[TCP_SEG_MAX_SACK][2];
} tcp_seg;

/* Decodes pkt (starting at the IP header, len captured bytes) taken at time t. false when it is
 * not a TCP segment this decoder can read whole (another protocol, a fragment, a short header);
 * *why then says which. */
bool tcp_seg_decode(const uint8_t *pkt, size_t len, synack_time_us t, tcp_seg *s, const char **why);

/* The sequence space the segment occupies: payload, plus one each for SYN and FIN. */
uint32_t tcp_seg_space(const tcp_seg *s);

/* "198.18.0.1:80" or "[2001:db8::1]:80". */
char *tcp_seg_endpoint(const uint8_t *addr, uint8_t family, uint16_t port, char *buf, size_t cap);

#endif
