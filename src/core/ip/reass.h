/* reass.h: IP reassembly (RFC 791 and RFC 815 for IPv4; RFC 8200 4.5, RFC 5722 and RFC 6946 for
 * IPv6): the per-stack state that stack_impl.h embeds, and the calls ip.c and stack.c make. */
#ifndef SYNACK_REASS_H
#define SYNACK_REASS_H

#include <synack/stack.h>

#include "util/siphash.h"
#include "wire/wire.h"

typedef struct synack_stack synack_stack;
typedef struct reass_dgram reass_dgram;
typedef struct reass_src reass_src;

enum { REASS_FAM4, REASS_FAM6, REASS_FAMS };

typedef struct reass_state {
    reass_dgram *pool, *free;     /* frag_max_datagrams slots, made with the stack */
    reass_dgram **hash;           /* by (family, source, destination, id[, protocol]) */
    uint32_t hash_mask;
    reass_src *srcs, *free_srcs;  /* one record per source address with datagrams in reassembly */
    reass_src **src_hash;
    /* Timeout FIFOs, one per family: every datagram of a family waits the same time from its
     * first-arriving fragment, so arrival order is deadline order and the head is the earliest. */
    reass_dgram *head[REASS_FAMS], *tail[REASS_FAMS];
    siphash_key key;              /* hash key, and the IPv6 identification secret (RFC 7739) */
    size_t bytes, bytes_high;     /* fragment memory held (and datagrams being rebuilt) */
    uint32_t in_use;              /* slots in use, live or discarded */
} reass_state;

bool reass_config_valid(const synack_config *c);
/* Makes the slot pool and hashes (fixed, sized by the config); reass_free gives everything back,
 * also on a half-made stack. */
bool reass_init(synack_stack *st);
void reass_free(synack_stack *st);

/* One fragment for us, from ip.c after its address checks: pkt is the whole packet, ip and
 * payload what ip4_parse / ip6_parse returned with WIRE_IP_FRAGMENT. A datagram that completes
 * goes back to ip.c (ip_input_reassembled) before this returns. */
void reass_input4(synack_stack *st, const uint8_t *pkt, const ip4_hdr *ip, const uint8_t *payload,
                  size_t plen);
void reass_input6(synack_stack *st, const uint8_t *pkt, const ip6_hdr *ip, const uint8_t *payload,
                  size_t plen);

/* Abandons every datagram whose time is up (ICMP time exceeded where RFC 792 / RFC 4443 ask for
 * it): O(1) per expired datagram, nothing when none is due. */
void reass_expire(synack_stack *st);
/* The earliest reassembly deadline, or SYNACK_TIME_NEVER: O(1). */
synack_time_us reass_next_deadline(const synack_stack *st);

/* An Identification for an IPv6 fragmented packet to dst (RFC 7739 5.3: a keyed hash of the
 * destination plus a counter, so an observer can neither predict nor count our traffic). */
uint32_t reass_ip6_id(synack_stack *st, const synack_addr *dst);

#endif
