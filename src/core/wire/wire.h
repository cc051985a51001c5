/* wire.h: IPv4 and TCP header views: parse (validate, never read out of bounds) and emit.
 * Owns the byte layout only; no protocol decisions. */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a packet was rejected; each maps to a named counter in the stack. */
enum wire_verdict {
    WIRE_OK = 0,
    WIRE_IP_SHORT,       /* shorter than 20 bytes */
    WIRE_IP_VERSION,     /* version != 4 */
    WIRE_IP_HLEN,        /* IHL < 5 or header beyond packet */
    WIRE_IP_LEN,         /* total length < IHL*4 or beyond the buffer */
    WIRE_IP_CKSUM,       /* header checksum wrong */
    WIRE_IP_FRAGMENT,    /* a fragment (IPv4 MF or offset != 0; IPv6 non-atomic): the header view
                          * and payload are filled for the reassembler (ip/reass.c) */
    WIRE_TCP_SHORT,      /* shorter than 20 bytes */
    WIRE_TCP_OFF,        /* data offset < 5 or beyond the segment */
    WIRE_TCP_OPT,        /* option length 0/1 or past the header end */
    WIRE_TCP_CKSUM,      /* checksum over pseudo-header wrong */
    WIRE_IP6_EXT,        /* IPv6 extension header chain malformed or unsupported */
};

/* ---- Internet checksum (RFC 1071) ---- */
/* Adds len bytes at p to a running 32-bit one's-complement sum (folds as needed; any length,
 * odd lengths padded with zero as the RFC says). Start with sum = 0. */
uint32_t cksum_add(uint32_t sum, const uint8_t *p, size_t len);
/* cksum_add without the run-time choice of a wider vector loop (tests compare both). */
uint32_t cksum_add_portable(uint32_t sum, const uint8_t *p, size_t len);
/* Copies len bytes from src to dst (not overlapping) and adds them to sum as cksum_add(sum,
 * src, len) does, touching the bytes once more while they are in cache. */
uint32_t cksum_copy(uint32_t sum, uint8_t *dst, const uint8_t *src, size_t len);
/* Adds part, the cksum_add(0, ...) of a piece that starts offset bytes into the summed data
 * (an odd offset pairs its bytes the other way), to sum: joins pieces of any lengths. */
uint32_t cksum_add_at(uint32_t sum, uint32_t part, size_t offset);
/* RFC 1624: the checksum field check after a 16-bit (32-bit) word of the covered data changed
 * from old_word to new_word, without summing the rest again. Values as on the wire. */
uint16_t cksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word);
uint16_t cksum_update32(uint16_t check, uint32_t old_word, uint32_t new_word);
/* Folds and complements: the value to store in a checksum field. */
uint16_t cksum_fold(uint32_t sum);
/* cksum_fold(cksum_add(0, p, hlen)) for an IPv4 header (hlen 20 to 60, a multiple of 4): the
 * value to store in its checksum field (zeroed), or 0 when checking a header that has one. */
uint16_t cksum_ip4_header(const uint8_t *p, size_t hlen);
/* Sum of the IPv4 TCP pseudo-header (src, dst, zero, proto 6, tcp length). */
uint32_t cksum_pseudo_ip4(const uint8_t src[4], const uint8_t dst[4], uint32_t tcp_len);

/* Sum of the IPv6 pseudo-header (RFC 8200 8.1) for an upper-layer packet of len bytes. */
uint32_t cksum_pseudo_ip6(const uint8_t src[16], const uint8_t dst[16], uint32_t len, uint8_t proto);

/* ---- IPv4 ---- */
#define IP4_HDR_LEN 20
#define IP_PROTO_TCP 6
typedef struct ip4_hdr {
    uint8_t hlen;        /* header bytes (IHL*4) */
    uint8_t tos;
    uint16_t total_len;  /* from the header */
    uint16_t id;
    bool df;
    bool mf;             /* more fragments */
    uint16_t frag_off;   /* fragment offset in bytes (the field times 8) */
    uint8_t ttl;
    uint8_t proto;
    uint8_t src[4], dst[4];
} ip4_hdr;
/* Validates and parses an IPv4 packet; on WIRE_OK sets *payload / *payload_len to the bytes after
 * the header up to total_len (trailing link padding ignored). Checks the header checksum. A valid
 * fragment returns WIRE_IP_FRAGMENT with *out and the payload filled as for WIRE_OK (mf,
 * frag_off set): callers that do not reassemble simply drop it. */
enum wire_verdict ip4_parse(const uint8_t *pkt, size_t len, ip4_hdr *out,
                            const uint8_t **payload, size_t *payload_len);
/* Writes a 20-byte header (no options) with its checksum for a payload of payload_len bytes.
 * Uses h->tos, id, df, mf, frag_off (a multiple of 8), ttl, proto, src, dst. Returns 20, or 0 if
 * cap < 20. */
size_t ip4_emit(uint8_t *buf, size_t cap, const ip4_hdr *h, size_t payload_len);

/* ---- IPv6 ---- */
#define IP6_HDR_LEN 40
#define IP_PROTO_ICMP 1
#define IP_PROTO_ICMP6 58
typedef struct ip6_hdr {
    uint8_t tclass;
    uint32_t flow;
    uint8_t next;        /* the upper-layer protocol after any extension headers */
    uint8_t hlim;
    uint8_t src[16], dst[16];
    bool atomic_frag;    /* a fragment header with offset 0 and M clear was walked (RFC 6946) */
    /* Set for WIRE_IP_FRAGMENT (a fragment header with offset != 0 or M set): */
    uint16_t frag_hdr_off;   /* where the fragment header starts in the packet */
    uint16_t frag_prev_next; /* offset of the Next Header byte that names the fragment header */
    uint16_t frag_off;       /* fragment offset in bytes */
    bool frag_more;          /* M flag */
    uint32_t frag_id;        /* Identification */
} ip6_hdr;
/* Validates the base header and walks the extension headers (hop-by-hop, routing, destination
 * options, fragment) with every read bounded; *payload is the upper-layer data. A fragment that
 * is not atomic (offset != 0 or M set) is WIRE_IP_FRAGMENT with the frag_* fields set, next = the
 * fragment header's Next Header and *payload the fragmentable part after it (the walk stops
 * there: what follows is only meaningful once reassembled); ESP/AH/unknown chains WIRE_IP6_EXT. */
enum wire_verdict ip6_parse(const uint8_t *pkt, size_t len, ip6_hdr *out,
                            const uint8_t **payload, size_t *payload_len);
/* Writes a 40-byte header (no extension headers); returns 40, or 0 if cap < 40. */
#define IP6_FRAG_HDR_LEN 8
#define IP_PROTO_FRAGMENT 44
size_t ip6_emit(uint8_t *buf, size_t cap, const ip6_hdr *h, size_t payload_len);

/* ---- TCP ---- */
#define TCP_HDR_LEN 20
#define TCP_MAX_SACK 4
typedef struct tcp_opts {
    bool has_mss;     uint16_t mss;
    bool has_wscale;  uint8_t wscale;
    bool sack_ok;
    bool has_ts;      uint32_t ts_val, ts_ecr;
    uint8_t sack_count;
    struct { uint32_t left, right; } sack[TCP_MAX_SACK];
} tcp_opts;

typedef struct tcp_seg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;       /* SYNACK_FIN.. as on the wire (low 8 bits of byte 13) */
    uint16_t wnd;        /* raw, unscaled */
    uint16_t urp;
    uint8_t hlen;        /* header bytes including options */
    tcp_opts opts;
    const uint8_t *data; /* payload view (into the packet) */
    uint32_t len;        /* payload bytes */
    uint8_t ip_ecn;      /* the IP header's ECN field (RFC 3168 5), set by the IP layer */
} tcp_seg;

/* Parses a TCP segment of len bytes (the IP payload). Options: EOL ends the list, NOP skipped,
 * known options with a wrong length are ignored (not fatal), unknown options skipped by their
 * length; length 0 or 1, or past the header end, is WIRE_TCP_OPT. If src/dst are non-NULL the
 * checksum is verified with the IPv4 pseudo-header. SACK blocks beyond TCP_MAX_SACK ignored. */
enum wire_verdict tcp_parse(const uint8_t *seg, size_t len, const uint8_t *ip4_src,
                            const uint8_t *ip4_dst, tcp_seg *out);

/* Emits options in the order and padding Linux uses, so captures look familiar:
 *   SYN: MSS(4); then if sack_ok && has_ts: SACK_PERM(2) TS(10) [= "sackOK,TS" 12 bytes];
 *        if has_ts only: NOP NOP TS; if sack_ok only: NOP NOP SACK_PERM; then if has_wscale:
 *        NOP WS(3).
 *   otherwise: if has_ts: NOP NOP TS; then if sack_count: NOP NOP SACK(2+8n).
 * Returns bytes written (a multiple of 4, at most 40), or 0 if nothing / no room. */
size_t tcp_opts_emit(uint8_t *buf, size_t cap, const tcp_opts *o, bool syn);

/* Writes header fields (seq, ack, flags, wnd, urp, ports) plus opt_len bytes of options already
 * at buf+20, with data offset = (20+opt_len)/4. The checksum field is left 0: call
 * tcp_cksum_set after the payload is in place. Returns 20+opt_len or 0 if no room. */
size_t tcp_hdr_emit(uint8_t *buf, size_t cap, const tcp_seg *h, size_t opt_len);
/* Computes and stores the TCP checksum of seg (header+payload, tcp_len bytes). */
void tcp_cksum_set(uint8_t *seg, size_t tcp_len, const uint8_t src[4], const uint8_t dst[4]);

#endif
