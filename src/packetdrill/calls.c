/* calls.c: the socket calls of the packetdrill interface, translated to synack's socket API with
 * Linux's conventions: sockaddr structures, Linux option names and units, O_NONBLOCK per
 * descriptor, and blocking calls that sleep on the instance's condition variable. */
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "adapter.h"

/* ---- helpers ---- */

/* The synack socket behind fd, or -EBADF. Looked up again after every wait: another thread may
 * have closed the descriptor (and the map may have moved) meanwhile. */
static int get(pd *p, int fd, pd_sock **out)
{
    *out = pd_sock_get(p, fd);
    return *out ? 0 : -EBADF;
}

/* A sockaddr from the script into a synack endpoint. AF_INET6 sockets carry IPv4 as
 * IPv4-mapped addresses (::ffff:a.b.c.d); :: means any. Other IPv6 addresses are not ours. */
static int to_endpoint(const pd_sock *s, const struct sockaddr *sa, socklen_t len, bool connect,
                       synack_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->addr.family = SYNACK_AF_INET;
    if (!sa) return -EFAULT;
    if (s->domain == AF_INET) {
        struct sockaddr_in in;
        if (len < sizeof in) return -EINVAL;
        memcpy(&in, sa, sizeof in);
        if (in.sin_family != AF_INET) return -EAFNOSUPPORT;
        memcpy(ep->addr.bytes, &in.sin_addr, 4);
        ep->port = ntohs(in.sin_port);
        return 0;
    }
    struct sockaddr_in6 in6;
    if (len < 24) return -EINVAL; /* SIN6_LEN_RFC2133: the scope id is optional */
    memset(&in6, 0, sizeof in6);
    memcpy(&in6, sa, len < sizeof in6 ? len : sizeof in6);
    if (in6.sin6_family != AF_INET6) return -EAFNOSUPPORT;
    ep->port = ntohs(in6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
        memcpy(ep->addr.bytes, in6.sin6_addr.s6_addr + 12, 4);
        return 0;
    }
    if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr)) return 0;
    /* A real IPv6 address: the core has it if ip_version=ipv6 gave the stack an addr6; if
     * not, connect() and bind() report it (ENETUNREACH, EADDRNOTAVAIL). */
    (void)connect;
    ep->addr.family = SYNACK_AF_INET6;
    memcpy(ep->addr.bytes, in6.sin6_addr.s6_addr, 16);
    return 0;
}

/* A synack endpoint into the caller's sockaddr, truncated to *len; *len becomes the full size. */
static void from_endpoint(const pd_sock *s, const synack_endpoint *ep, struct sockaddr *sa,
                          socklen_t *len)
{
    union {
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } u;
    socklen_t n;
    memset(&u, 0, sizeof u);
    if (s->domain == AF_INET) {
        u.in.sin_family = AF_INET;
        u.in.sin_port = htons(ep->port);
        memcpy(&u.in.sin_addr, ep->addr.bytes, 4);
        n = sizeof u.in;
    } else {
        u.in6.sin6_family = AF_INET6;
        u.in6.sin6_port = htons(ep->port);
        if (ep->addr.family == SYNACK_AF_INET6) {
            memcpy(u.in6.sin6_addr.s6_addr, ep->addr.bytes, 16);
        } else {
            u.in6.sin6_addr.s6_addr[10] = 0xff;
            u.in6.sin6_addr.s6_addr[11] = 0xff;
            memcpy(u.in6.sin6_addr.s6_addr + 12, ep->addr.bytes, 4);
        }
        n = sizeof u.in6;
    }
    if (!sa || !len) return;
    memcpy(sa, &u, *len < n ? *len : n);
    *len = n;
}

/* Total length of an iovec array, or a negative errno. */
static long iov_total(const struct iovec *iov, int iovcnt, size_t *total)
{
    *total = 0;
    if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
    if (iovcnt > 0 && !iov) return -EFAULT;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > (size_t)SSIZE_MAX - *total) return -EINVAL;
        *total += iov[i].iov_len;
    }
    return 0;
}

/* ---- socket, bind, listen, accept, connect ---- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
    pd *p = ud;
    int r;
    pd_enter(p);
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!p->st) r = -(p->init_err ? p->init_err : EINVAL);
    else if (domain != AF_INET && domain != AF_INET6) r = -EAFNOSUPPORT;
    else if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP)) r = -EPROTONOSUPPORT;
    else if ((r = synack_socket(p->st)) >= 0) {
        int sd = r;
        r = pd_sock_add(p, sd, domain);
        if (r < 0) synack_close(p->st, sd);
        else p->socks[r].nonblock = (type & SOCK_NONBLOCK) != 0;
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    pd *p = ud;
    pd_sock *s;
    synack_endpoint ep;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) r = to_endpoint(s, addr, addrlen, false, &ep);
    if (!r) r = synack_bind(p->st, s->sd, &ep);
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_listen(void *ud, int fd, int backlog)
{
    pd *p = ud;
    pd_sock *s;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) r = synack_listen(p->st, s->sd, backlog);
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    pd *p = ud;
    pd_sock *s;
    synack_endpoint remote;
    pd_enter(p);
    int r;
    for (;;) {
        if ((r = get(p, fd, &s)) < 0) break;
        r = synack_accept(p->st, s->sd, &remote);
        if (r != -EAGAIN || s->nonblock) break;
        if (!pd_wait(p)) {
            r = -EBADF;
            break;
        }
    }
    if (r >= 0) {
        pd_sock ls = *s; /* pd_sock_add may move the map */
        int nsd = r;
        r = pd_sock_add(p, nsd, ls.domain);
        if (r < 0) synack_close(p->st, nsd);
        else from_endpoint(&ls, &remote, addr, addrlen);
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

static bool opening(int state) { return state == SYNACK_SYN_SENT || state == SYNACK_SYN_RECEIVED; }

/* Waits out the handshake of a blocking connect; returns 0 or the connection's error. */
static int connect_finish(pd *p, int fd, bool block)
{
    pd_sock *s;
    for (;;) {
        int r = get(p, fd, &s);
        if (r < 0) return r;
        int state = synack_socket_state(p->st, s->sd);
        if (!opening(state)) break;
        if (!block) return -EALREADY;
        if (!pd_wait(p)) return -EBADF;
    }
    s->connecting = false;
    int state = synack_socket_state(p->st, s->sd);
    if (state >= SYNACK_ESTABLISHED) return 0;
    int e = 0;
    size_t len = sizeof e;
    synack_getsockopt(p->st, s->sd, SYNACK_SO_ERROR, &e, &len);
    return e ? -e : -ECONNABORTED;
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    pd *p = ud;
    pd_sock *s;
    synack_endpoint ep;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r && s->connecting) {
        /* Linux: connect() again after a non-blocking one reports how it went (0 once, then
         * EISCONN), or EALREADY while the handshake is still going. */
        r = connect_finish(p, fd, !s->nonblock);
    } else {
        if (!r) r = to_endpoint(s, addr, addrlen, true, &ep);
        if (!r) r = synack_connect(p->st, s->sd, &ep);
        if (r == -EINPROGRESS) {
            if (s->nonblock) s->connecting = true;
            else r = connect_finish(p, fd, true);
        }
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

/* ---- receiving ---- */

static long do_recv(pd *p, int fd, const struct iovec *iov, int iovcnt, int flags)
{
    size_t total;
    long r = iov_total(iov, iovcnt, &total);
    if (r < 0) return r;
    pd_sock *s;
    if ((r = get(p, fd, &s)) < 0) return r;
    if (flags & MSG_OOB) return -EINVAL; /* no urgent data is ever held */
    if (total == 0) return 0;
    for (int i = 0; i < iovcnt; i++)
        if (!iov[i].iov_base && iov[i].iov_len) return -EFAULT;
    /* One contiguous buffer for the stack; scattered afterwards. */
    uint8_t *buf = iovcnt == 1 ? iov[0].iov_base : malloc(total);
    if (!buf) return -ENOMEM;
    bool peek = flags & MSG_PEEK;
    bool waitall = (flags & MSG_WAITALL) && !peek;
    size_t got = 0;
    for (;;) {
        if ((r = get(p, fd, &s)) < 0) break;
        bool block = !s->nonblock && !(flags & MSG_DONTWAIT);
        r = peek ? synack_peek(p->st, s->sd, buf + got, total - got)
                 : synack_recv(p->st, s->sd, buf + got, total - got);
        if (r > 0) {
            got += (size_t)r;
            p->dirty = true; /* the window may have opened */
            if (!waitall || got == total || !block) break;
            continue;
        }
        if (r != -EAGAIN || !block) break;
        if (!pd_wait(p)) {
            r = -EBADF;
            break;
        }
    }
    if (got) r = (long)got; /* a later error or EOF waits for the next call, as on Linux */
    if (r > 0 && iovcnt != 1) {
        size_t off = 0;
        for (int i = 0; i < iovcnt && off < (size_t)r; i++) {
            size_t n = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len : (size_t)r - off;
            memcpy(iov[i].iov_base, buf + off, n);
            off += n;
        }
    }
    if (iovcnt != 1) free(buf);
    return r;
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
    pd *p = ud;
    struct iovec v = {buf, count};
    pd_enter(p);
    long r = do_recv(p, fd, &v, 1, 0);
    pd_leave(p);
    return pd_ret(r);
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
    pd *p = ud;
    pd_enter(p);
    long r = do_recv(p, fd, iov, iovcnt, 0);
    pd_leave(p);
    return pd_ret(r);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
    pd *p = ud;
    struct iovec v = {buf, len};
    pd_enter(p);
    long r = do_recv(p, fd, &v, 1, flags);
    pd_leave(p);
    return pd_ret(r);
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
                           struct sockaddr *src_addr, socklen_t *addrlen)
{
    pd *p = ud;
    struct iovec v = {buf, len};
    pd_enter(p);
    long r = do_recv(p, fd, &v, 1, flags);
    pd_leave(p);
    if (r >= 0 && addrlen) *addrlen = 0; /* TCP reports no source address (Linux) */
    return pd_ret(r);
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
    pd *p = ud;
    if (!msg) return pd_ret(-EFAULT);
    pd_enter(p);
    long r = do_recv(p, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
    pd_leave(p);
    if (r >= 0) {
        msg->msg_namelen = 0;
        msg->msg_controllen = 0;
        msg->msg_flags = 0;
    }
    return pd_ret(r);
}

/* ---- sending ---- */

static long do_send(pd *p, int fd, const struct iovec *iov, int iovcnt, int flags)
{
    size_t total;
    long r = iov_total(iov, iovcnt, &total);
    if (r < 0) return r;
    pd_sock *s;
    if ((r = get(p, fd, &s)) < 0) return r;
    if (flags & (MSG_OOB | MSG_FASTOPEN)) return -EOPNOTSUPP;
    for (int i = 0; i < iovcnt; i++)
        if (!iov[i].iov_base && iov[i].iov_len) return -EFAULT;
    const uint8_t *buf = iovcnt == 1 ? iov[0].iov_base : NULL;
    uint8_t *gathered = NULL;
    if (iovcnt != 1 && total) {
        gathered = malloc(total);
        if (!gathered) return -ENOMEM;
        size_t off = 0;
        for (int i = 0; i < iovcnt; i++) {
            memcpy(gathered + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        buf = gathered;
    }
    /* A blocking send returns only when everything is queued (or on an error), as Linux's. */
    size_t sent = 0;
    for (;;) {
        if ((r = get(p, fd, &s)) < 0) break;
        bool block = !s->nonblock && !(flags & MSG_DONTWAIT);
        r = synack_send(p->st, s->sd, buf + sent, total - sent);
        if (r > 0) {
            sent += (size_t)r;
            p->dirty = true;
        }
        if (sent == total || (r < 0 && r != -EAGAIN) || r == 0 || !block) break;
        if (!pd_wait(p)) {
            r = -EBADF;
            break;
        }
    }
    free(gathered);
    return sent ? (long)sent : r;
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
    pd *p = ud;
    struct iovec v = {(void *)buf, count};
    pd_enter(p);
    long r = do_send(p, fd, &v, 1, 0);
    pd_leave(p);
    return pd_ret(r);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
    pd *p = ud;
    pd_enter(p);
    long r = do_send(p, fd, iov, iovcnt, 0);
    pd_leave(p);
    return pd_ret(r);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
    pd *p = ud;
    struct iovec v = {(void *)buf, len};
    pd_enter(p);
    long r = do_send(p, fd, &v, 1, flags);
    pd_leave(p);
    return pd_ret(r);
}

/* The destination of a connected TCP socket is ignored, as Linux does. */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *dest_addr, socklen_t addrlen)
{
    return pd_send(ud, fd, buf, len, flags);
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
    pd *p = ud;
    if (!msg) return pd_ret(-EFAULT);
    pd_enter(p);
    long r = do_send(p, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
    pd_leave(p);
    return pd_ret(r);
}

/* ---- descriptor control ---- */

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
    pd *p = ud;
    pd_sock *s;
    int arg = 0;
    if (cmd == F_SETFL || cmd == F_SETFD) { /* packetdrill passes one int, or nothing */
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) {
        switch (cmd) {
        case F_GETFL:
            r = O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
            break;
        case F_SETFL:
            s->nonblock = (arg & O_NONBLOCK) != 0;
            break;
        case F_GETFD:
        case F_SETFD: /* close-on-exec lives on the host descriptor */
            r = cmd == F_GETFD ? fcntl(fd, F_GETFD) : fcntl(fd, F_SETFD, arg);
            if (r < 0) r = -errno;
            break;
        default:
            r = -EINVAL;
        }
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
    pd *p = ud;
    pd_sock *s;
    int *argp = NULL;
    if (request == FIONREAD || request == SIOCOUTQ || request == FIONBIO) {
        va_list ap;
        va_start(ap, request);
        argp = va_arg(ap, int *);
        va_end(ap);
    }
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r && !argp && (request == FIONREAD || request == SIOCOUTQ || request == FIONBIO))
        r = -EFAULT;
    if (!r) {
        int state = synack_socket_state(p->st, s->sd);
        synack_conn_info ci;
        switch (request) {
        case FIONREAD: /* SIOCINQ */
            if (state == SYNACK_LISTEN) r = -EINVAL;
            else if ((r = synack_readable_bytes(p->st, s->sd)) >= 0) {
                *argp = r;
                r = 0;
            }
            break;
        case SIOCOUTQ:
            if (state == SYNACK_LISTEN) r = -EINVAL;
            else {
                *argp = synack_socket_info(p->st, s->sd, &ci) ? (int)ci.send_q : 0;
                r = 0;
            }
            break;
        case FIONBIO:
            s->nonblock = *argp != 0;
            break;
        default:
            r = -ENOTTY;
        }
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_close(void *ud, int fd)
{
    pd *p = ud;
    pd_sock *s;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) {
        r = synack_close(p->st, s->sd);
        pd_sock_remove(p, fd);
    }
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_shutdown(void *ud, int fd, int how)
{
    pd *p = ud;
    pd_sock *s;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) r = synack_shutdown(p->st, s->sd, how); /* SHUT_RD/WR/RDWR have synack's values */
    pd_leave(p);
    return (int)pd_ret(r);
}

/* ---- options ---- */

enum opt_unit { U_INT, U_SEC, U_MS }; /* Linux int, int seconds, unsigned milliseconds */

typedef struct opt_map {
    int level, name;
    int synack;    /* enum synack_sockopt */
    int unit;      /* for synack's uint64 microsecond options */
    bool u64;
} opt_map;

static const opt_map opt_table[] = {
    {SOL_SOCKET, SO_ERROR, SYNACK_SO_ERROR, U_INT, false},
    {SOL_SOCKET, SO_RCVBUF, SYNACK_SO_RCVBUF, U_INT, false},
    {SOL_SOCKET, SO_SNDBUF, SYNACK_SO_SNDBUF, U_INT, false},
    {SOL_SOCKET, SO_REUSEADDR, SYNACK_SO_REUSEADDR, U_INT, false},
    {SOL_SOCKET, SO_KEEPALIVE, SYNACK_SO_KEEPALIVE, U_INT, false},
    {IPPROTO_TCP, TCP_NODELAY, SYNACK_SO_NODELAY, U_INT, false},
    {IPPROTO_TCP, TCP_MAXSEG, SYNACK_SO_MAXSEG, U_INT, false},
    {IPPROTO_TCP, TCP_KEEPCNT, SYNACK_SO_KEEPCNT, U_INT, false},
    {IPPROTO_TCP, TCP_KEEPIDLE, SYNACK_SO_KEEPIDLE, U_SEC, true},
    {IPPROTO_TCP, TCP_KEEPINTVL, SYNACK_SO_KEEPINTVL, U_SEC, true},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, SYNACK_SO_USER_TIMEOUT, U_MS, true},
};

static const opt_map *opt_find(int level, int name)
{
    for (size_t i = 0; i < sizeof opt_table / sizeof opt_table[0]; i++)
        if (opt_table[i].level == level && opt_table[i].name == name) return &opt_table[i];
    return NULL;
}

static uint64_t unit_us(int unit) { return unit == U_SEC ? 1000000u : unit == U_MS ? 1000u : 1u; }

static int set_opt(pd *p, pd_sock *s, int level, int name, const void *val, socklen_t len)
{
    if (!val) return -EFAULT;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l;
        if (len < sizeof l) return -EINVAL;
        memcpy(&l, val, sizeof l);
        struct synack_linger sl = {l.l_onoff, l.l_linger};
        return synack_setsockopt(p->st, s->sd, SYNACK_SO_LINGER, &sl, sizeof sl);
    }
    const opt_map *m = opt_find(level, name);
    if (!m || m->synack == SYNACK_SO_ERROR) return -ENOPROTOOPT;
    int v;
    if (len < sizeof v) return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (!m->u64) return synack_setsockopt(p->st, s->sd, m->synack, &v, sizeof v);
    if (v < 0) return -EINVAL;
    uint64_t us = (uint64_t)(unsigned)v * unit_us(m->unit);
    return synack_setsockopt(p->st, s->sd, m->synack, &us, sizeof us);
}

/* Copies a value out the way Linux does for ints: at most *len bytes, *len = bytes copied. */
static int put_out(const void *v, size_t size, void *val, socklen_t *len)
{
    if (!val || !len) return -EFAULT;
    size_t n = *len < size ? *len : size;
    memcpy(val, v, n);
    *len = (socklen_t)n;
    return 0;
}

static const uint8_t linux_state[SYNACK_STATE_COUNT] = {
    [SYNACK_CLOSED] = TCP_CLOSE,          [SYNACK_LISTEN] = TCP_LISTEN,
    [SYNACK_SYN_SENT] = TCP_SYN_SENT,     [SYNACK_SYN_RECEIVED] = TCP_SYN_RECV,
    [SYNACK_ESTABLISHED] = TCP_ESTABLISHED, [SYNACK_CLOSE_WAIT] = TCP_CLOSE_WAIT,
    [SYNACK_FIN_WAIT_1] = TCP_FIN_WAIT1,  [SYNACK_CLOSING] = TCP_CLOSING,
    [SYNACK_LAST_ACK] = TCP_LAST_ACK,     [SYNACK_FIN_WAIT_2] = TCP_FIN_WAIT2,
    [SYNACK_TIME_WAIT] = TCP_TIME_WAIT,
};

/* TCP_INFO with what synack's inspection view knows; other fields stay zero. */
static int tcp_info_get(pd *p, pd_sock *s, void *val, socklen_t *len)
{
    struct tcp_info ti;
    synack_conn_info ci;
    memset(&ti, 0, sizeof ti);
    if (synack_socket_info(p->st, s->sd, &ci)) {
        uint32_t mss = ci.snd_mss ? ci.snd_mss : 1;
        ti.tcpi_state = ci.state < SYNACK_STATE_COUNT ? linux_state[ci.state] : TCP_CLOSE;
        ti.tcpi_retransmits = (uint8_t)ci.nt_retransmits;
        ti.tcpi_probes = (uint8_t)ci.nt_probes;
        ti.tcpi_rto = (uint32_t)ci.rto_us;
        ti.tcpi_snd_mss = ci.snd_mss;
        ti.tcpi_rtt = (uint32_t)ci.srtt_us;
        ti.tcpi_rttvar = (uint32_t)ci.rttvar_us;
        ti.tcpi_snd_cwnd = ci.cwnd / mss;
        ti.tcpi_snd_ssthresh = ci.ssthresh / mss;
        ti.tcpi_unacked = (ci.snd_nxt - ci.snd_una + mss - 1) / mss;
    } else {
        ti.tcpi_state = TCP_CLOSE;
    }
    return put_out(&ti, sizeof ti, val, len);
}

static int get_opt(pd *p, pd_sock *s, int level, int name, void *val, socklen_t *len)
{
    if (!val || !len) return -EFAULT;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct synack_linger sl;
        size_t n = sizeof sl;
        int r = synack_getsockopt(p->st, s->sd, SYNACK_SO_LINGER, &sl, &n);
        if (r < 0) return r;
        struct linger l = {sl.onoff, sl.seconds};
        return put_out(&l, sizeof l, val, len);
    }
    if (level == SOL_SOCKET && (name == SO_TYPE || name == SO_PROTOCOL || name == SO_DOMAIN ||
                                name == SO_ACCEPTCONN)) {
        int v = name == SO_TYPE       ? SOCK_STREAM
                : name == SO_PROTOCOL ? IPPROTO_TCP
                : name == SO_DOMAIN   ? s->domain
                                      : synack_socket_state(p->st, s->sd) == SYNACK_LISTEN;
        return put_out(&v, sizeof v, val, len);
    }
    if (level == IPPROTO_TCP && name == TCP_INFO) return tcp_info_get(p, s, val, len);
    const opt_map *m = opt_find(level, name);
    if (!m) return -ENOPROTOOPT;
    int v;
    if (m->u64) {
        uint64_t us = 0;
        size_t n = sizeof us;
        int r = synack_getsockopt(p->st, s->sd, m->synack, &us, &n);
        if (r < 0) return r;
        uint64_t x = us / unit_us(m->unit);
        v = x > INT_MAX ? INT_MAX : (int)x;
    } else {
        size_t n = sizeof v;
        int r = synack_getsockopt(p->st, s->sd, m->synack, &v, &n);
        if (r < 0) return r;
    }
    return put_out(&v, sizeof v, val, len);
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
    pd *p = ud;
    pd_sock *s;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) r = get_opt(p, s, level, name, val, len);
    pd_leave(p);
    return (int)pd_ret(r);
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
    pd *p = ud;
    pd_sock *s;
    pd_enter(p);
    int r = get(p, fd, &s);
    if (!r) r = set_opt(p, s, level, name, val, len);
    pd_leave(p);
    return (int)pd_ret(r);
}

/* ---- poll ---- */

static short linux_events(int m)
{
    short e = 0;
    if (m & SYNACK_POLLIN) e |= POLLIN | POLLRDNORM;
    if (m & SYNACK_POLLOUT) e |= POLLOUT | POLLWRNORM;
    if (m & SYNACK_POLLERR) e |= POLLERR;
    if (m & SYNACK_POLLHUP) e |= POLLHUP;
    if (m & SYNACK_POLLRDHUP) e |= POLLRDHUP;
    return e;
}

/* The timeout is in milliseconds of virtual time: a poll that waits is woken by the main
 * thread's usleep/gettimeofday moving the clock, as a blocking call in a script must be. */
static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout)
{
    pd *p = ud;
    if (nfds > 4096) return (int)pd_ret(-EINVAL);
    if (nfds && !fds) return (int)pd_ret(-EFAULT);
    pd_enter(p);
    uint64_t deadline = timeout < 0 ? UINT64_MAX : p->now + (uint64_t)timeout * 1000u;
    int n;
    for (;;) {
        n = 0;
        for (nfds_t i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0) continue;
            pd_sock *s = pd_sock_get(p, fds[i].fd);
            if (!s) fds[i].revents = POLLNVAL;
            else
                fds[i].revents = (short)(linux_events(synack_poll_socket(p->st, s->sd)) &
                                         (fds[i].events | POLLERR | POLLHUP));
            if (fds[i].revents) n++;
        }
        if (n || p->now >= deadline) break;
        if (!pd_wait(p)) {
            n = -EBADF;
            break;
        }
    }
    pd_leave(p);
    return (int)pd_ret(n);
}

void pd_calls_fill(struct packetdrill_interface *ifc)
{
    ifc->socket = pd_socket;
    ifc->bind = pd_bind;
    ifc->listen = pd_listen;
    ifc->accept = pd_accept;
    ifc->connect = pd_connect;
    ifc->read = pd_read;
    ifc->readv = pd_readv;
    ifc->recv = pd_recv;
    ifc->recvfrom = pd_recvfrom;
    ifc->recvmsg = pd_recvmsg;
    ifc->write = pd_write;
    ifc->writev = pd_writev;
    ifc->send = pd_send;
    ifc->sendto = pd_sendto;
    ifc->sendmsg = pd_sendmsg;
    ifc->fcntl = pd_fcntl;
    ifc->ioctl = pd_ioctl;
    ifc->close = pd_close;
    ifc->shutdown = pd_shutdown;
    ifc->getsockopt = pd_getsockopt;
    ifc->setsockopt = pd_setsockopt;
    ifc->poll = pd_poll;
}
