/* synack/tun.h: the Linux TUN device (IFF_TUN | IFF_NO_PI): raw IP packets in and out of the
 * kernel, one packet per read/write. Opens a device by name (attaching to one made by
 * `ip tuntap add` or scripts/netns.sh) or creates it. With offloads (IFF_VNET_HDR and
 * TUNSETOFFLOAD) each packet carries a virtio-net header: the kernel hands over TCP
 * super-segments of up to 64 KiB (GSO) with checksums left partial, and takes them the same way
 * (TSO: it cuts them itself). Knows nothing about the stack or clocks. */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "stack.h" /* synack_out_piece */

enum synack_tun_flags {
    SYNACK_TUN_NO_CREATE = 1, /* fail when the device does not exist yet */
    SYNACK_TUN_MULTI_QUEUE = 2, /* IFF_MULTI_QUEUE: needed to attach to a multi-queue device */
    SYNACK_TUN_OFFLOAD = 4,     /* ask for the virtio-net header and checksum/TSO offloads; the
                                   device opens plain when the kernel refuses (see info) */
    SYNACK_TUN_OFFLOAD_REQUIRED = 8 /* with SYNACK_TUN_OFFLOAD: fail instead of opening plain */
};

/* The offloads in force (TUN_F_* of linux/if_tun.h). */
enum synack_tun_offloads { SYNACK_TUN_F_CSUM = 1, SYNACK_TUN_F_TSO4 = 2, SYNACK_TUN_F_TSO6 = 4 };

typedef struct synack_tun_info {
    char name[16];  /* IFNAMSIZ: the device's name as the kernel gave it */
    bool created;   /* we made it: it vanishes when the descriptor closes */
    int mtu;        /* the device's MTU after opening */
    bool vnet_hdr;  /* packets carry a virtio-net header: use the _vnet calls */
    unsigned offloads; /* enum synack_tun_offloads granted by TUNSETOFFLOAD */
} synack_tun_info;

/* Bytes of virtio-net header in front of each packet with vnet_hdr (struct virtio_net_hdr). */
#define SYNACK_TUN_VNET_HDR_LEN 10

/* What the header of a packet read from the kernel said. */
typedef struct synack_tun_rx {
    bool csum_valid;      /* DATA_VALID, or NEEDS_CSUM (a partial checksum from the local
                             kernel: nothing crossed a wire, so there is nothing to verify) */
    uint16_t gso_size;    /* > 0: a TCP super-segment the kernel did not cut (GSO) */
} synack_tun_rx;

/* What a packet written to the kernel needs (virtio-net terms). */
typedef struct synack_tun_tx {
    uint16_t gso_size;    /* > 0: cut into TCP segments of this many data bytes (TSO) */
    uint16_t hdr_len;     /* IP + TCP header bytes of a super-segment */
    uint16_t csum_start;  /* > 0: partial checksum, summed from here ... */
    uint16_t csum_offset; /* ... and stored at csum_start + csum_offset */
    bool ipv6;
} synack_tun_tx;

/* Opens (or creates, unless SYNACK_TUN_NO_CREATE) the TUN device `name` ("" or NULL: the kernel
 * picks tunN). A device we create is brought up, with mtu when mtu > 0; an existing device gets
 * mtu only when mtu > 0 and differs. Returns a non-blocking, close-on-exec descriptor, or -1 with
 * a sentence for a person in err (not root, no /dev/net/tun, busy, not a TUN device...). */
int synack_tun_open(const char *name, unsigned flags, int mtu, synack_tun_info *info, char *err,
                    size_t errcap);

/* One packet into buf. Returns its length, 0 when none is waiting (EAGAIN), or -errno. */
ssize_t synack_tun_read(int fd, void *buf, size_t cap);
/* One packet to the kernel. Returns 0, or -errno (the packet is then lost, as on a wire). */
int synack_tun_write(int fd, const void *pkt, size_t len);

/* With vnet_hdr: reads one packet into buf (header included); the IP packet starts at
 * buf + SYNACK_TUN_VNET_HDR_LEN. Returns the IP packet's length, 0 when none is waiting, or
 * -errno; -EPROTO for a header it cannot honour (dropped). */
ssize_t synack_tun_read_vnet(int fd, uint8_t *buf, size_t cap, synack_tun_rx *rx);
/* With vnet_hdr: writes the IP packet at buf + SYNACK_TUN_VNET_HDR_LEN (len bytes), filling the
 * header room in front of it from tx (NULL: a complete packet). Returns 0 or -errno. */
int synack_tun_write_vnet(int fd, uint8_t *buf, size_t len, const synack_tun_tx *tx);
/* The same for a packet in pieces (synack_output_iov): the first len bytes at buf +
 * SYNACK_TUN_VNET_HDR_LEN, then the npieces pieces, in one writev. Returns 0 or -errno. */
int synack_tun_writev_vnet(int fd, uint8_t *buf, size_t len, const synack_out_piece *pieces,
                           unsigned npieces, const synack_tun_tx *tx);
/* A plain packet (no header) in pieces, in one writev. Returns 0 or -errno. */
int synack_tun_writev(int fd, const uint8_t *buf, size_t len, const synack_out_piece *pieces,
                      unsigned npieces);

/* Multi-queue devices (SYNACK_TUN_MULTI_QUEUE, one descriptor per queue): attaches a steering
 * program to the device (fd: any of its queues) so that the kernel hands a TCP segment to queue
 * synack_tun_port_queue(source port, destination port, nqueues): every queue's stack can then
 * tell which connections reach it, and an active open can pick a local port that lands on its own
 * queue. Non-TCP packets and IPv4 fragments go to queue 0. Returns 0, or -errno with a sentence in
 * err (no eBPF: not root, or a kernel without it). */
int synack_tun_steer_by_ports(int fd, unsigned nqueues, char *err, size_t errcap);
/* The queue of a TCP segment between these ports (the order does not matter). */
unsigned synack_tun_port_queue(uint16_t port_a, uint16_t port_b, unsigned nqueues);
/* One queue of a steered device, as the stack on it sees it. */
typedef struct synack_tun_queue {
    unsigned index, count; /* this stack's queue of count */
} synack_tun_queue;
/* For synack_config.port_ok with ctx a synack_tun_queue: true when the flow from local_port to
 * remote lands on that queue, so that an active open of the stack on it gets its replies (about
 * one port in count). remote->port 0 (bind to port 0: the peer is not known yet): true. */
bool synack_tun_queue_port_ok(void *ctx, uint16_t local_port, const synack_endpoint *remote);

#endif
