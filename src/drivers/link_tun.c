/* link_tun.c: a TUN device (tun_linux.c) as a link: one read or write per packet (TUN has no
 * recvmmsg; a packet in pieces goes out in one writev), a virtio-net header in the headroom when
 * the device has offloads. One instance per queue of a multi-queue device. Does not own the descriptor; knows no stack. */
#include <synack/driver.h>
#include <synack/tun.h>

#include <errno.h>
#include <stdlib.h>

#define PKT_CAP 65536 /* any IPv4 or IPv6 packet without jumbograms */
#define VHDR SYNACK_TUN_VNET_HDR_LEN

_Static_assert(VHDR <= SYNACK_LINK_HEADROOM, "the virtio-net header fits the headroom");

typedef struct tun_link {
    synack_link base;
    int fd;
    bool vnet;
    uint64_t rx_errors, tx_errors;
    uint8_t buf[VHDR + PKT_CAP]; /* [virtio-net header room][packet] */
} tun_link;

static int tun_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    tun_link *t = (tun_link *)l;
    int handed = 0;
    for (unsigned n = 0; n < max; n++) {
        synack_tun_rx info = {0};
        ssize_t r = t->vnet ? synack_tun_read_vnet(t->fd, t->buf, sizeof t->buf, &info)
                            : synack_tun_read(t->fd, t->buf, sizeof t->buf);
        if (r == 0) break;
        if (r == -EPROTO) { /* a header we cannot honour: the packet is dropped */
            t->rx_errors++;
            continue;
        }
        if (r < 0) {
            t->rx_errors++;
            if (r == -EBADFD || r == -EIO || r == -ENXIO || r == -EBADF) return (int)r;
            break;
        }
        synack_link_pkt p = {.data = t->vnet ? t->buf + VHDR : t->buf, .len = (size_t)r,
                             .in_flags = info.csum_valid ? SYNACK_IN_CSUM_VALID : 0};
        p.meta.gso_size = info.gso_size;
        rx(ctx, &p);
        handed++;
    }
    return handed;
}

static int tun_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    tun_link *t = (tun_link *)l;
    int sent = 0, first_err = 0;
    for (unsigned i = 0; i < n; i++) {
        synack_link_pkt *p = &pkts[i];
        int r;
        if (t->vnet) {
            const synack_out_meta *m = &p->meta;
            synack_tun_tx tx = {.gso_size = m->gso_size, .hdr_len = m->hdr_len, .csum_start = m->csum_start,
                                .csum_offset = m->csum_offset, .ipv6 = m->ipv6};
            bool partial = m->gso_size || m->csum_start;
            r = p->npieces ? synack_tun_writev_vnet(t->fd, p->data - VHDR, p->len, p->pieces, p->npieces, partial ? &tx : NULL)
                           : synack_tun_write_vnet(t->fd, p->data - VHDR, p->len, partial ? &tx : NULL);
        } else {
            r = p->npieces ? synack_tun_writev(t->fd, p->data, p->len, p->pieces, p->npieces)
                           : synack_tun_write(t->fd, p->data, p->len);
        }
        /* A TUN write takes the whole packet or fails; a failed one is lost as on a wire. */
        if (r < 0) {
            t->tx_errors++;
            if (!first_err) first_err = r;
        } else {
            sent++;
        }
    }
    return sent || !first_err ? sent : first_err;
}

static int tun_poll_fd(const synack_link *l) { return ((const tun_link *)l)->fd; }

static void tun_stats(const synack_link *l, synack_link_stats *acc)
{
    const tun_link *t = (const tun_link *)l;
    acc->rx_errors += t->rx_errors;
    acc->tx_errors += t->tx_errors;
}

static void tun_close(synack_link *l) { free(l); }

static const synack_link_ops tun_ops = {
    .kind = "tun", .recv_batch = tun_recv, .send_batch = tun_send, .poll_fd = tun_poll_fd,
    .stats = tun_stats, .close = tun_close,
};

synack_link *synack_link_tun(int fd, bool vnet_hdr)
{
    tun_link *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base.ops = &tun_ops;
    t->base.caps = SYNACK_LINK_TX_PIECES | (vnet_hdr ? SYNACK_LINK_TX_OFFLOAD : 0);
    t->fd = fd;
    t->vnet = vnet_hdr;
    return &t->base;
}
