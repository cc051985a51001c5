/* pcap_read.h: reads classic libpcap capture files (either byte order, microsecond or nanosecond
 * stamps) and hands out each packet from its IP header on: link types Ethernet (with VLAN tags),
 * raw IP (what synack's own writer emits), IPv4/IPv6-only, Linux cooked (SLL, SLL2) and BSD
 * loopback. The file is untrusted: record lengths are bounded, a truncated record ends the read. */
#ifndef SYNACK_TOOLS_PCAP_READ_H
#define SYNACK_TOOLS_PCAP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/types.h>

#define PCAP_READ_MAX_RECORD (256u * 1024u) /* larger than any snaplen in use */

typedef struct pcap_reader {
    FILE *f;
    bool swap, nano;
    uint32_t linktype;
    uint8_t *buf;
    uint64_t records;    /* read so far */
    uint64_t not_ip;     /* records whose link layer carries something else */
    bool truncated;      /* the file ended inside a record */
} pcap_reader;

/* Opens path; false after writing why into err (not a pcap, pcapng, unknown link type...). */
bool pcap_reader_open(pcap_reader *r, const char *path, char *err, size_t cap);
/* The next IP packet: 1 with *pkt, *len (valid until the next call) and its time; 0 at the end
 * of the file (r->truncated tells whether it ended cleanly). Non-IP records are skipped. */
int pcap_reader_next(pcap_reader *r, synack_time_us *t, const uint8_t **pkt, size_t *len);
void pcap_reader_close(pcap_reader *r);

#endif
