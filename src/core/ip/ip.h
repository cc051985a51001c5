/* ip.h: the network layer: IPv4/IPv6 input dispatch, header emission, upper-layer checksums and
 * ICMP/ICMPv6 (echo, and errors delivered to TCP). */
#ifndef SYNACK_IP_H
#define SYNACK_IP_H

#include <synack/types.h>

#include "wire/wire.h"

typedef struct synack_stack synack_stack;

#define IP_MAX_HDR IP6_HDR_LEN

void ip_input(synack_stack *st, const uint8_t *pkt, size_t len, bool csum_ok);
/* Writes the IP header for a payload of payload_len bytes; returns its length (20 or 40). */
size_t ip_header_emit(synack_stack *st, uint8_t *p, const synack_addr *src, const synack_addr *dst,
                      uint8_t proto, size_t payload_len);
/* Sets the ECN field (RFC 3168 5: ECT(0) = 2, CE = 3) of a header ip_header_emit wrote (the
 * IPv4 header checksum updated). */
void ip_header_set_ecn(uint8_t *p, const synack_addr *dst, uint8_t ecn);
static inline size_t ip_header_len(const synack_addr *a)
{
    return a->family == SYNACK_AF_INET6 ? IP6_HDR_LEN : IP4_HDR_LEN;
}
/* The TCP checksum of a segment whose data_len data bytes after its hdr_len header bytes sum to
 * data_sum (cksum_copy while they were copied in): complete, or partial (the pseudo-header sum
 * alone, for a link that completes it). */
void ip_tcp_cksum_finish(uint8_t *tcp, size_t hdr_len, size_t data_len, uint32_t data_sum,
                         const synack_addr *src, const synack_addr *dst, bool partial);
/* Computes and stores the checksum at l4 + cksum_off over len bytes, with the pseudo-header for
 * TCP and ICMPv6 (ICMPv4 has none: pass proto IP_PROTO_ICMP). */
void ip_l4_cksum_set(uint8_t *l4, size_t len, size_t cksum_off, const synack_addr *src,
                     const synack_addr *dst, uint8_t proto);
/* The local address of the stack for a family, or NULL when it has none. */
const synack_addr *ip_local_addr(const synack_stack *st, int family);
/* A datagram rebuilt by the reassembler, processed as if it had arrived whole. */
void ip_input_reassembled(synack_stack *st, const uint8_t *pkt, size_t len);
/* Queues a datagram whose payload is head || body (the upper-layer header and checksum already
 * final). When it does not fit the link MTU it is fragmented (IPv4 when df is false, IPv6 with a
 * Fragment header); false when it was not queued (counted). */
bool ip_send(synack_stack *st, const synack_addr *src, const synack_addr *dst, uint8_t proto,
             const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len, bool df);

/* icmp.c */
void icmp4_input(synack_stack *st, const ip4_hdr *ip, const uint8_t *msg, size_t len);
void icmp6_input(synack_stack *st, const ip6_hdr *ip, const uint8_t *msg, size_t len);
/* Sends "fragment reassembly time exceeded" (ICMP 11/1, ICMPv6 3/1) to `to`, quoting qlen bytes
 * of the first fragment, from our address of that family, within the ICMP rate limit. */
void icmp_reass_time_exceeded(synack_stack *st, const synack_addr *to, const uint8_t *quote, size_t qlen);

#endif
