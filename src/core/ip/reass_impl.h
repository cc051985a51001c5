/* reass_impl.h: the reassembly queue's structures, private to ip/reass.c (which owns them) and
 * check.c (which only reads them for reass_check). Nothing else may include this. */
#ifndef SYNACK_REASS_IMPL_H
#define SYNACK_REASS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip/reass.h"

enum { R_FREE, R_LIVE, R_DEAD };

/* One fragment's bytes. The fragment at offset 0 also keeps the header it came with: the IPv4
 * header (RFC 791: the first fragment's header becomes the datagram's), or for IPv6 everything
 * up to and including the Fragment header (RFC 8200 4.5: the unfragmentable part). */
typedef struct reass_frag {
    struct reass_frag *next; /* by offset; fragments never overlap */
    uint32_t off, len;       /* payload bytes [off, off + len) of the datagram */
    uint32_t hdr_len;
    size_t mem;              /* bytes charged for this fragment */
    uint8_t bytes[];         /* hdr_len header bytes, then len payload bytes */
} reass_frag;

struct reass_src {
    reass_src *hnext;
    uint8_t fam;
    uint8_t addr[16];
    size_t bytes;
    uint32_t datagrams;
};

struct reass_dgram {
    reass_dgram *hnext, **hpprev; /* hash chain */
    reass_dgram *fnext, *fprev;   /* timeout FIFO of its family */
    reass_src *src_rec;           /* its source's record, while the slot is held */
    synack_time_us created, deadline;
    uint32_t hash, id;
    uint8_t state, fam;
    uint8_t key_proto;            /* IPv4: the Protocol (part of the key, RFC 791); IPv6: 0 */
    uint8_t next;                 /* IPv6: Next Header of the offset-0 fragment (RFC 8200 4.5) */
    uint16_t prev_next;           /* IPv6: where the byte naming the Fragment header sits */
    uint8_t src[16], dst[16];
    reass_frag *frags, *tail;
    uint32_t nfrags;
    uint32_t have;                /* payload bytes held (fragments are disjoint) */
    uint32_t end;                 /* payload length, once the last fragment came */
    bool have_last;
};

#endif
