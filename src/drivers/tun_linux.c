/* tun_linux.c: the Linux TUN device: attach/create by name, bring up, MTU, offload negotiation
 * (IFF_VNET_HDR, TUNSETOFFLOAD), one-packet reads and writes (a packet in pieces: one writev), plain or behind a virtio-net header.
 * Knows nothing of the stack, clocks or impairments; never exits or aborts: every failure is a
 * sentence in the caller's buffer. */
#include <synack/tun.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TUN_PATH "/dev/net/tun"

_Static_assert(sizeof(struct virtio_net_hdr) == SYNACK_TUN_VNET_HDR_LEN, "virtio-net header size");
_Static_assert(SYNACK_TUN_F_CSUM == TUN_F_CSUM && SYNACK_TUN_F_TSO4 == TUN_F_TSO4 &&
               SYNACK_TUN_F_TSO6 == TUN_F_TSO6, "TUN offload bits");

/* Writes "<what>: <strerror(e)>" into err; returns -1 with errno = e. */
static int fail(char *err, size_t cap, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, int e, const char *fmt, ...)
{
    if (err && cap) {
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(err, cap, "%s: %s", what, strerror(e));
    }
    errno = e;
    return -1;
}

/* Interface ioctls go through any socket of the current network namespace. */
static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    int r = ioctl(s, req, ifr);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static int get_mtu(const char *name)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    return ifreq_ioctl(SIOCGIFMTU, &ifr) < 0 ? -1 : ifr.ifr_mtu;
}

static int set_mtu(const char *name, int mtu)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_mtu = mtu;
    return ifreq_ioctl(SIOCSIFMTU, &ifr);
}

static int set_up(const char *name)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) < 0) return -1;
    if (ifr.ifr_flags & IFF_UP) return 0;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int synack_tun_open(const char *name, unsigned flags, int mtu, synack_tun_info *info, char *err,
                    size_t errcap)
{
    synack_tun_info local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    if (!name) name = "";
    if (strlen(name) >= IFNAMSIZ)
        return fail(err, errcap, EINVAL, "device name '%s' is longer than 15 characters", name);
    bool existed = *name && if_nametoindex(name) != 0;
    if (!existed && *name && (flags & SYNACK_TUN_NO_CREATE))
        return fail(err, errcap, ENODEV, "TUN device '%s' does not exist (create it with scripts/netns.sh "
                                 "or `ip tuntap add mode tun`)", name);

    int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENXIO || e == ENODEV)
            return fail(err, errcap, e, "cannot open %s (no TUN support here: load the tun module, or "
                                     "give the container the device)", TUN_PATH);
        if (e == EACCES || e == EPERM)
            return fail(err, errcap, e, "cannot open %s (run as root or with CAP_NET_ADMIN)", TUN_PATH);
        return fail(err, errcap, e, "cannot open %s", TUN_PATH);
    }

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (flags & SYNACK_TUN_MULTI_QUEUE) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    if (flags & SYNACK_TUN_OFFLOAD) ifr.ifr_flags |= IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int r = ioctl(fd, TUNSETIFF, &ifr);
    if (r < 0 && errno == EINVAL && (flags & SYNACK_TUN_OFFLOAD) && !(flags & SYNACK_TUN_OFFLOAD_REQUIRED)) {
        ifr.ifr_flags &= (short)~IFF_VNET_HDR; /* a kernel without the header: plain packets */
        r = ioctl(fd, TUNSETIFF, &ifr);
    }
    if (r < 0) {
        int e = errno;
        close(fd);
        switch (e) {
        case EPERM:
        case EACCES:
            return fail(err, errcap, e, existed ? "cannot attach to TUN device '%s' (not root, or the "
                                               "device belongs to another user)"
                                             : "cannot create TUN device '%s' (run as root or with "
                                               "CAP_NET_ADMIN)", name);
        case EBUSY:
            return fail(err, errcap, e, "TUN device '%s' is in use by another process", name);
        case EINVAL:
            if (existed)
                return fail(err, errcap, e, "'%s' is not a TUN device, or its single/multi-queue "
                                         "mode differs", name);
            return fail(err, errcap, e, "cannot create TUN device '%s'", name);
        default:
            return fail(err, errcap, e, existed ? "cannot attach to TUN device '%s'"
                                             : "cannot create TUN device '%s'", name);
        }
    }
    snprintf(info->name, sizeof info->name, "%s", ifr.ifr_name);
    info->created = !existed;
    info->vnet_hdr = ifr.ifr_flags & IFF_VNET_HDR;
    if (info->vnet_hdr) {
        int hl = SYNACK_TUN_VNET_HDR_LEN;
        unsigned want = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        if (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0) {
            int e = errno;
            close(fd);
            return fail(err, errcap, e, "cannot set the virtio-net header size of %s", info->name);
        }
        /* TSO needs checksum offload; without TSO, checksums alone are still worth having. */
        if (ioctl(fd, TUNSETOFFLOAD, want) == 0) info->offloads = want;
        else if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0) info->offloads = TUN_F_CSUM;
        if (!info->offloads && (flags & SYNACK_TUN_OFFLOAD_REQUIRED)) {
            int e = errno;
            close(fd);
            return fail(err, errcap, e, "TUN device %s refuses checksum offload", info->name);
        }
    } else if (flags & SYNACK_TUN_OFFLOAD_REQUIRED) {
        close(fd);
        return fail(err, errcap, EOPNOTSUPP, "TUN device %s: no virtio-net header here", info->name);
    } else {
        /* Offloads granted to an earlier holder of a persistent device outlive it: a plain
         * reader must not be handed super-segments. (Fails harmlessly on old kernels.) */
        (void)ioctl(fd, TUNSETOFFLOAD, 0u);
    }

    /* An existing device was configured by whoever made it: we change its MTU only when asked to.
     * It is brought up either way (a no-op when it is up), or the kernel would not send to it. */
    int cur = get_mtu(info->name);
    if (mtu > 0 && cur != mtu && set_mtu(info->name, mtu) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errcap, e, "cannot set the MTU of %s to %d", info->name, mtu);
    }
    if (set_up(info->name) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errcap, e, "cannot bring up TUN device '%s'", info->name);
    }
    info->mtu = get_mtu(info->name);
    if (info->mtu <= 0) info->mtu = mtu > 0 ? mtu : 1500;
    return fd;
}

ssize_t synack_tun_read(int fd, void *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -errno;
    }
}

int synack_tun_write(int fd, const void *pkt, size_t len)
{
    for (;;) {
        ssize_t n = write(fd, pkt, len);
        if (n >= 0) return 0;
        if (errno == EINTR) continue;
        return -errno;
    }
}

/* The virtio-net header is in the device's byte order, which for TUN is the host's unless
 * TUNSETVNETBE/LE said otherwise (we never do). */
ssize_t synack_tun_read_vnet(int fd, uint8_t *buf, size_t cap, synack_tun_rx *rx)
{
    memset(rx, 0, sizeof *rx);
    ssize_t n = synack_tun_read(fd, buf, cap);
    if (n <= 0) return n;
    if ((size_t)n < SYNACK_TUN_VNET_HDR_LEN) return -EPROTO;
    struct virtio_net_hdr h;
    memcpy(&h, buf, sizeof h);
    uint8_t gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    /* Only TCP super-segments were offered (TUN_F_TSO4/6); anything else is not ours to cut. */
    if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6)
        return -EPROTO;
    rx->csum_valid = h.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
    rx->gso_size = gso != VIRTIO_NET_HDR_GSO_NONE ? h.gso_size : 0;
    return n - SYNACK_TUN_VNET_HDR_LEN;
}

static void vnet_hdr_fill(uint8_t *buf, const synack_tun_tx *tx);

int synack_tun_write_vnet(int fd, uint8_t *buf, size_t len, const synack_tun_tx *tx)
{
    vnet_hdr_fill(buf, tx);
    return synack_tun_write(fd, buf, len + SYNACK_TUN_VNET_HDR_LEN);
}

int synack_tun_writev(int fd, const uint8_t *buf, size_t len, const synack_out_piece *pieces,
                      unsigned npieces)
{
    /* TUN takes one packet per write: the pieces of one packet go out as one. */
    struct iovec iov[1 + SYNACK_OUT_PIECES];
    unsigned n = 0;
    iov[n].iov_base = (void *)(uintptr_t)buf;
    iov[n++].iov_len = len;
    for (unsigned i = 0; i < npieces && i < SYNACK_OUT_PIECES; i++) {
        iov[n].iov_base = (void *)(uintptr_t)pieces[i].data;
        iov[n++].iov_len = pieces[i].len;
    }
    for (;;) {
        ssize_t r = writev(fd, iov, (int)n);
        if (r >= 0) return 0;
        if (errno == EINTR) continue;
        return -errno;
    }
}

int synack_tun_writev_vnet(int fd, uint8_t *buf, size_t len, const synack_out_piece *pieces,
                           unsigned npieces, const synack_tun_tx *tx)
{
    vnet_hdr_fill(buf, tx);
    return synack_tun_writev(fd, buf, len + SYNACK_TUN_VNET_HDR_LEN, pieces, npieces);
}

static void vnet_hdr_fill(uint8_t *buf, const synack_tun_tx *tx)
{
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    if (tx && tx->csum_start) {
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = tx->csum_start;
        h.csum_offset = tx->csum_offset;
    }
    if (tx && tx->gso_size) {
        h.gso_type = tx->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
        h.gso_size = tx->gso_size;
        h.hdr_len = tx->hdr_len;
    }
    memcpy(buf, &h, sizeof h);
}
