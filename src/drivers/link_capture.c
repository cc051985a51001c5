/* link_capture.c: the capture wrapper (driver.h synack_link_capture): every packet that crosses
 * the inner link, both ways, goes into a pcap file (pcap.c) before it moves on. Offloaded packets
 * are written whole (a super-segment is a valid IP packet with its total length set, larger than
 * the MTU) with their partial TCP checksum completed in a copy, so that readers see checksums a
 * wire would carry; the packet itself is not touched. Owns the inner link and the file. */
#include <synack/driver.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PKT_CAP 65536
#define IPPROTO_TCP_NUM 6

typedef struct capture_link {
    synack_link base;
    synack_link *inner;
    synack_pcap *pcap;
    int64_t clock_offset_us;
    uint64_t captured;
    synack_time_us now;
    synack_link_rx_fn up; /* the caller's receive callback during a receive call */
    void *up_ctx;
    uint8_t copy[PKT_CAP];
} capture_link;

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
    for (; len > 1; p += 2, len -= 2) acc += (uint32_t)p[0] << 8 | p[1];
    if (len) acc += (uint32_t)p[0] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

/* Recomputes the TCP checksum of an IPv4 or IPv6 (no extension headers) packet in place; other
 * packets are left as they are. Lengths come from the packet and are checked against len. */
static void complete_tcp_checksum(uint8_t *pkt, size_t len)
{
    size_t ip_hlen, tcp_len;
    uint32_t acc = 0;
    if (len >= 20 && pkt[0] >> 4 == 4) {
        ip_hlen = (size_t)(pkt[0] & 15) * 4;
        size_t total = (size_t)pkt[2] << 8 | pkt[3];
        if (pkt[9] != IPPROTO_TCP_NUM || ip_hlen < 20 || total > len || total < ip_hlen + 20) return;
        if ((pkt[6] & 0x3f) || pkt[7]) return; /* a fragment: no whole segment to sum */
        tcp_len = total - ip_hlen;
        acc = sum16(pkt + 12, 8, 0);
    } else if (len >= 40 && pkt[0] >> 4 == 6) {
        ip_hlen = 40;
        size_t payload = (size_t)pkt[4] << 8 | pkt[5];
        if (pkt[6] != IPPROTO_TCP_NUM || payload + 40 > len || payload < 20) return;
        tcp_len = payload;
        acc = sum16(pkt + 8, 32, 0);
    } else {
        return;
    }
    acc += IPPROTO_TCP_NUM + (uint32_t)(tcp_len >> 16) + (uint32_t)(tcp_len & 0xffffu);
    uint8_t *tcp = pkt + ip_hlen;
    tcp[16] = tcp[17] = 0;
    uint16_t c = fold(sum16(tcp, tcp_len, acc));
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
}

static void capture(capture_link *c, const synack_link_pkt *p, bool partial)
{
    synack_time_us t = (synack_time_us)((int64_t)c->now + c->clock_offset_us);
    c->captured++;
    if (!partial || p->len > sizeof c->copy) {
        synack_pcap_write(c->pcap, t, p->data, p->len);
        return;
    }
    memcpy(c->copy, p->data, p->len);
    complete_tcp_checksum(c->copy, p->len);
    synack_pcap_write(c->pcap, t, c->copy, p->len);
}

static void from_inner(void *ctx, const synack_link_pkt *p)
{
    capture_link *c = ctx;
    /* The kernel vouches for the checksum (virtio-net DATA_VALID or NEEDS_CSUM): it may be partial,
     * and recomputing a valid one gives the same. */
    capture(c, p, p->in_flags & SYNACK_IN_CSUM_VALID);
    c->up(c->up_ctx, p);
}

static int capture_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    capture_link *c = (capture_link *)l;
    c->now = now;
    c->up = rx;
    c->up_ctx = ctx;
    return synack_link_recv(c->inner, now, max, from_inner, c);
}

static int capture_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    capture_link *c = (capture_link *)l;
    c->now = now;
    for (unsigned i = 0; i < n; i++) capture(c, &pkts[i], pkts[i].meta.csum_start || pkts[i].meta.gso_size);
    return synack_link_send(c->inner, now, pkts, n);
}

static int capture_poll_fd(const synack_link *l) { return synack_link_poll_fd(((const capture_link *)l)->inner); }

static synack_time_us capture_next_time(const synack_link *l)
{
    return synack_link_next_time(((const capture_link *)l)->inner);
}

static void capture_stats(const synack_link *l, synack_link_stats *acc)
{
    const capture_link *c = (const capture_link *)l;
    acc->captured += c->captured;
    if (c->inner->ops->stats) c->inner->ops->stats(c->inner, acc);
}

static void capture_close(synack_link *l)
{
    capture_link *c = (capture_link *)l;
    synack_link_close(c->inner);
    synack_pcap_close(c->pcap);
    free(c);
}

static const synack_link_ops capture_ops = {
    .kind = "capture", .recv_batch = capture_recv, .send_batch = capture_send,
    .poll_fd = capture_poll_fd, .next_time = capture_next_time, .stats = capture_stats,
    .close = capture_close,
};

synack_link *synack_link_capture(synack_link *inner, const char *path, int64_t clock_offset_us)
{
    capture_link *c = calloc(1, sizeof *c);
    if (!c) {
        synack_link_close(inner);
        return NULL;
    }
    c->pcap = synack_pcap_open(path);
    if (!c->pcap) {
        int e = errno;
        free(c);
        synack_link_close(inner);
        errno = e;
        return NULL;
    }
    c->base.ops = &capture_ops;
    c->base.caps = inner->caps & ~(unsigned)SYNACK_LINK_TX_PIECES; /* it copies contiguous packets */
    c->inner = inner;
    c->clock_offset_us = clock_offset_us;
    return &c->base;
}
