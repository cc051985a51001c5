/* synack/driver.h: the link interface between a stack's real-time loop (loop.h) and whatever
 * carries its packets: one small ops table (receive a batch, send a batch, a descriptor to wait
 * on, a time to wake, close). Links: a TUN device (plain or with virtio-net offloads, one queue
 * of a multi-queue device), an in-memory pair (two loops in one process), a pcap replay.
 * Wrappers take a link and are one, with the same ops: impairment (the simulated wire's seeded
 * loss, delay, ... between the device and the stack) and capture (pcap of what crosses the link
 * below). A link never calls into a stack: packets go up through the receive callback. */
#ifndef SYNACK_DRIVER_H
#define SYNACK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "stack.h"

/* Writable bytes in front of every packet handed to send_batch, for a link's own header (the
 * virtio-net header of a TUN device with offloads), so that no link copies a packet to prefix it. */
#define SYNACK_LINK_HEADROOM 16

typedef struct synack_link synack_link;

/* One packet on its way through a link. */
typedef struct synack_link_pkt {
    uint8_t *data;        /* the IP packet (no link header) */
    size_t len;
    unsigned in_flags;    /* received: enum synack_input_flags (the link vouched for the checksum) */
    synack_out_meta meta; /* sent: offload needs (partial checksum, TSO); received: gso_size > 0 for
                             a super-segment. All zero: a complete, wire-sized packet */
    /* sent, only to links with SYNACK_LINK_TX_PIECES: the packet is len bytes at data (headers)
     * followed by these pieces (the data, in place in the stack's send buffers: valid during the
     * send call only). npieces 0: data holds the whole packet. */
    const synack_out_piece *pieces;
    unsigned npieces;
} synack_link_pkt;

/* Hands one received packet up; the packet is valid only during the call. */
typedef void (*synack_link_rx_fn)(void *ctx, const synack_link_pkt *pkt);

enum synack_link_caps {
    /* send_batch takes packets with synack_out_meta needs (partial checksums, super-segments): the
     * loop then takes output with synack_output_meta. Without it, only complete packets. */
    SYNACK_LINK_TX_OFFLOAD = 1,
    /* send_batch takes packets in pieces (synack_link_pkt pieces: headers at data, the payload
     * where the stack keeps it) and writes each at once (writev): the loop then takes output with
     * synack_output_iov and the payload is copied once, by the kernel. Links that need contiguous
     * packets (memory pair, pcap replay, impairment, capture) do not set it. */
    SYNACK_LINK_TX_PIECES = 2,
};

/* What a link (and the wrappers below it) counted. */
typedef struct synack_link_stats {
    uint64_t rx_errors, tx_errors;       /* reads that failed, packets a send could not take */
    uint64_t lost, duplicated, corrupted; /* impairment, both directions */
    uint64_t captured;                    /* packets written by capture wrappers */
} synack_link_stats;

typedef struct synack_link_ops {
    const char *kind; /* "tun", "memory", "pcap-replay", "impair", "capture" */
    /* Takes up to max packets that are ready at time now and hands each to rx. Returns how many
     * were handed up, or -errno when the link is gone for good (a device removed). */
    int (*recv_batch)(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx,
                      void *ctx);
    /* Sends n packets (each with SYNACK_LINK_HEADROOM writable bytes in front of data). Returns
     * how many the link took; the others are lost as on a wire (counted in tx_errors) and the
     * first error is returned as -errno when none was taken. */
    int (*send_batch)(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n);
    /* A descriptor that becomes readable (EPOLLIN) when recv_batch has work, or -1. */
    int (*poll_fd)(const synack_link *l);
    /* The earliest time recv_batch has work that no descriptor announces (a delayed packet, the
     * next packet of a replay), or SYNACK_TIME_NEVER. */
    synack_time_us (*next_time)(const synack_link *l);
    /* Adds this link's figures (and its inner link's) to *acc. */
    void (*stats)(const synack_link *l, synack_link_stats *acc);
    /* Frees the link (a wrapper frees its inner link too). */
    void (*close)(synack_link *l);
} synack_link_ops;

/* Every link starts with this. */
struct synack_link {
    const synack_link_ops *ops;
    unsigned caps;     /* enum synack_link_caps */
};

/* The ops through the table (NULL-safe close). */
int synack_link_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx);
int synack_link_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n);
int synack_link_poll_fd(const synack_link *l);
synack_time_us synack_link_next_time(const synack_link *l);
void synack_link_get_stats(const synack_link *l, synack_link_stats *out);
void synack_link_close(synack_link *l);

/* ---- links ---- */

/* A TUN device (or one queue of a multi-queue device) opened with synack_tun_open (tun.h); vnet_hdr
 * as synack_tun_info says. The link does not close fd. NULL when out of memory. */
synack_link *synack_link_tun(int fd, bool vnet_hdr);

/* Two links joined in memory: what is sent on *a arrives at *b and back, through the simulated
 * wire's impairments per direction (a_to_b, b_to_a; NULL = perfect) seeded by seed. Each end may
 * run in its own thread (a mutex guards each direction; an eventfd wakes the receiver). Each end
 * is closed on its own; the shared state goes with the last. False when out of memory. */
bool synack_link_memory_pair(const synack_impair *a_to_b, const synack_impair *b_to_a, uint64_t seed,
                             synack_link **a, synack_link **b);

/* Replays a pcap file (LINKTYPE_RAW, or IPv4/IPv6 228/229, microsecond or nanosecond stamps) as
 * received traffic, keeping the gaps between packets (the first is due at the first receive
 * call) unless as_fast is set. Packets sent are counted and dropped (wrap the link in a capture
 * to keep them). NULL with errno set (EINVAL: not a pcap of raw IP). */
synack_link *synack_link_pcap_replay(const char *path, bool as_fast);
/* True once every packet of the file was handed up; *total is the file's packet count. */
bool synack_link_pcap_replay_done(const synack_link *l, uint64_t *total);

/* ---- wrappers (they own inner from here on, and close it; on failure too) ---- */

/* Applies the impairments to both directions between inner (node "kernel") and the stack. inner
 * must not have SYNACK_LINK_TX_OFFLOAD (the impairments cut and corrupt wire-sized, complete
 * packets): NULL with errno EINVAL then, ENOMEM without memory. */
synack_link *synack_link_impair(synack_link *inner, const synack_impair *imp, uint64_t seed);

/* Writes every packet crossing inner, both ways, to a pcap file (LINKTYPE_RAW), stamped with
 * the loop's clock plus clock_offset_us (the wall clock minus CLOCK_MONOTONIC for real traffic,
 * 0 for virtual time). Super-segments are written whole (IP total length and TCP header as sent,
 * valid packets larger than the MTU) and partial checksums (offloads) are completed in the copy,
 * so readers see what the segments would carry on a wire. NULL with errno set. */
synack_link *synack_link_capture(synack_link *inner, const char *path, int64_t clock_offset_us);

#endif
