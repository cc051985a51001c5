/* calls.c: the libc functions the preload library interposes. Each looks its descriptor up in
 * the table (without the lock): a kernel descriptor goes straight to the real function; a
 * synack socket runs its call between pl_enter and pl_leave, holding the one lock. Blocking
 * calls wait on the socket's mirror descriptor without the lock (pl_block), never by spinning.
 * The only exported symbols of the library are the ones defined here. */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <synack/inspect.h>
#include <synack/loop.h>

#define EXPORT __attribute__((visibility("default")))

extern void __chk_fail(void) __attribute__((noreturn));

static int fail(int e)
{
    errno = e;
    return -1;
}

/* Ends a call holding the lock: r < 0 is -errno. */
static int done(psock *s, int r)
{
    pl_leave(s);
    return r < 0 ? fail(-r) : r;
}

static ssize_t done_sz(psock *s, ssize_t r)
{
    pl_leave(s);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* Starts a call on s: EBADF for a socket inherited across fork, ENETDOWN when the stack
 * stopped. Declares st. */
#define ENTER(s, st)                                                                               \
    if ((s)->dead) return fail(EBADF);                                                             \
    synack_stack *st = pl_enter();                                                                 \
    if (!st) return fail(ENETDOWN);                                                                \
    if ((s)->sd < 0) return done(NULL, -EBADF)

static bool is_tcp(int domain, int type, int protocol)
{
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    return (domain == AF_INET || domain == AF_INET6) && base == SOCK_STREAM &&
           (protocol == 0 || protocol == IPPROTO_TCP);
}

EXPORT int socket(int domain, int type, int protocol)
{
    if (!is_tcp(domain, type, protocol)) return REAL(socket)(domain, type, protocol);
    int r = pl_start();
    if (r < 0) return fail(-r);
    synack_stack *st = pl_enter();
    if (!st) return fail(ENETDOWN);
    int sd = synack_socket(st);
    int fd = sd < 0 ? sd : pl_sock_new(st, sd, domain, type);
    return done(NULL, fd);
}

EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(bind)(fd, sa, len);
    ENTER(s, st);
    synack_endpoint ep;
    int r = pl_addr_in(s, sa, len, &ep);
    if (r == -ENETUNREACH) r = -EADDRNOTAVAIL;
    if (r == 0) r = synack_bind(st, s->sd, &ep);
    return done(s, r);
}

EXPORT int listen(int fd, int backlog)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(listen)(fd, backlog);
    ENTER(s, st);
    return done(s, synack_listen(st, s->sd, backlog));
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(accept4)(fd, sa, len, flags);
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return fail(EINVAL);
    ENTER(s, st);
    for (;;) {
        synack_endpoint remote;
        int c = synack_accept(st, s->sd, &remote);
        if (c >= 0) {
            /* synack's wildcard listeners take both families: refuse what this socket's
             * family would never have received (the peer sees a reset). */
            bool v6 = remote.addr.family == SYNACK_AF_INET6;
            if ((s->family == AF_INET && v6) || (s->family == AF_INET6 && s->v6only && !v6)) {
                synack_abort(st, c);
                continue;
            }
            int nfd = pl_sock_new(st, c, s->family, flags);
            if (nfd >= 0) {
                psock *n = pl_sock(nfd);
                n->v6only = s->v6only;
                pl_addr_out(n, &remote, sa, len);
            }
            return done(s, nfd);
        }
        if (c != -EAGAIN || s->nonblock) return done(s, c);
        int w = pl_block(s, POLLIN, s->rcvtimeo_ms);
        if (w < 0) return fail(-w);
    }
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
    if (!pl_sock(fd)) return REAL(accept)(fd, sa, len);
    return accept4(fd, sa, len, 0);
}

EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(connect)(fd, sa, len);
    ENTER(s, st);
    synack_endpoint ep;
    int r = pl_addr_in(s, sa, len, &ep);
    if (r < 0) return done(s, r);
    r = synack_connect(st, s->sd, &ep);
    if (r != -EINPROGRESS || s->nonblock) return done(s, r);
    for (;;) {
        int state = synack_socket_state(st, s->sd);
        if (state >= SYNACK_ESTABLISHED) return done(s, 0);
        if (state == SYNACK_CLOSED || state < 0) {
            int e = 0;
            size_t n = sizeof e;
            synack_getsockopt(st, s->sd, SYNACK_SO_ERROR, &e, &n);
            return done(s, -(e ? e : ECONNREFUSED));
        }
        int w = pl_block(s, POLLOUT, s->sndtimeo_ms);
        if (w == -EAGAIN) w = -EINPROGRESS; /* SO_SNDTIMEO ran out, as the kernel says it */
        if (w < 0) return fail(-w);
    }
}

/* ---- data ---- */

enum { SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_DONTROUTE | MSG_CONFIRM,
       RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC };

static size_t iov_total(const struct iovec *iov, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++) t += iov[i].iov_len;
    return t;
}

/* Sends the iovecs; a blocking socket sends everything, as the kernel's TCP does (a signal or
 * SO_SNDTIMEO ends it early with the count sent so far). MSG_MORE is a hint synack's Nagle
 * already acts on in spirit: the bytes are the same either way. */
static ssize_t sock_sendv(psock *s, const struct iovec *iov, int iovcnt, int flags)
{
    if (flags & ~SEND_FLAGS) return fail(EOPNOTSUPP); /* MSG_OOB, MSG_FASTOPEN, MSG_ZEROCOPY */
    if (iovcnt < 0 || iovcnt > IOV_MAX) return fail(EINVAL);
    ENTER(s, st);
    bool nb = s->nonblock || (flags & MSG_DONTWAIT);
    size_t sent = 0;
    int i = 0;
    size_t off = 0;
    while (i < iovcnt && iov[i].iov_len == 0) i++;
    if (i == iovcnt) {
        /* Zero bytes: still report the socket's state (ENOTCONN, EPIPE...). */
        ssize_t n = synack_send(st, s->sd, "", 0);
        return done_sz(s, n < 0 ? n : 0);
    }
    while (i < iovcnt) {
        ssize_t n = synack_send(st, s->sd, (const char *)iov[i].iov_base + off, iov[i].iov_len - off);
        if (n > 0) {
            sent += (size_t)n;
            off += (size_t)n;
            while (i < iovcnt && off == iov[i].iov_len) {
                i++;
                off = 0;
            }
            continue;
        }
        if (n == -EAGAIN && !nb) {
            int w = pl_block(s, POLLOUT, s->sndtimeo_ms);
            if (w < 0) return sent ? (ssize_t)sent : fail(-w);
            continue;
        }
        if (sent) break;
        if (n == 0) break;
        pl_leave(s);
        if (n == -EPIPE && !(flags & MSG_NOSIGNAL)) pthread_kill(pthread_self(), SIGPIPE);
        return fail((int)-n);
    }
    return done_sz(s, (ssize_t)sent);
}

/* Receives into the iovecs: what is there (at least one byte, waiting on a blocking socket),
 * all of it with MSG_WAITALL, 0 at the peer's FIN. */
static ssize_t sock_recvv(psock *s, const struct iovec *iov, int iovcnt, int flags)
{
    if (flags & ~RECV_FLAGS) return fail(EOPNOTSUPP); /* MSG_OOB, MSG_TRUNC, MSG_ERRQUEUE */
    if (iovcnt < 0 || iovcnt > IOV_MAX) return fail(EINVAL);
    size_t total = iov_total(iov, iovcnt);
    if (total == 0) return 0;
    bool peek = flags & MSG_PEEK;
    uint8_t *tmp = NULL;
    if (peek && iovcnt > 1) {
        /* synack_peek reads from the start: peek into one buffer, then scatter. */
        tmp = malloc(total);
        if (!tmp) return fail(ENOMEM);
    }
    if (s->dead) {
        free(tmp);
        return fail(EBADF);
    }
    synack_stack *st = pl_enter();
    if (!st || s->sd < 0) {
        free(tmp);
        if (!st) return fail(ENETDOWN);
        return done(NULL, -EBADF);
    }
    bool nb = s->nonblock || (flags & MSG_DONTWAIT);
    size_t got = 0;
    for (;;) {
        ssize_t n;
        if (peek) {
            n = synack_peek(st, s->sd, tmp ? tmp : iov[0].iov_base, tmp ? total : iov[0].iov_len);
            if (n > 0 && tmp) {
                size_t left = (size_t)n, o = 0;
                for (int i = 0; i < iovcnt && left; i++) {
                    size_t c = iov[i].iov_len < left ? iov[i].iov_len : left;
                    memcpy(iov[i].iov_base, tmp + o, c);
                    o += c;
                    left -= c;
                }
            }
        } else {
            /* Fill from where we are: find the iovec holding byte `got`. */
            size_t skip = got;
            int i = 0;
            while (i < iovcnt && skip >= iov[i].iov_len) skip -= iov[i++].iov_len;
            n = synack_recv(st, s->sd, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
        }
        if (n > 0) {
            got += (size_t)n;
            if (peek || got == total) break;
            continue; /* the next iovec, or more of the same: take what is there */
        }
        if (n == 0) break; /* the peer's FIN */
        if (n == -EAGAIN) {
            if (got && !(flags & MSG_WAITALL)) break;
            if (nb) {
                if (got) break;
                free(tmp);
                return done_sz(s, n);
            }
            int w = pl_block(s, POLLIN, s->rcvtimeo_ms);
            if (w < 0) {
                free(tmp);
                return got ? (ssize_t)got : fail(-w);
            }
            continue;
        }
        if (got) break;
        free(tmp);
        return done_sz(s, n);
    }
    free(tmp);
    return done_sz(s, (ssize_t)got);
}

static ssize_t sock_send(psock *s, const void *buf, size_t len, int flags)
{
    struct iovec v = {(void *)buf, len};
    return sock_sendv(s, &v, 1, flags);
}

static ssize_t sock_recv(psock *s, void *buf, size_t len, int flags)
{
    struct iovec v = {buf, len};
    return sock_recvv(s, &v, 1, flags);
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    psock *s = pl_sock(fd);
    return s ? sock_recv(s, buf, len, 0) : REAL(read)(fd, buf, len);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    psock *s = pl_sock(fd);
    return s ? sock_send(s, buf, len, 0) : REAL(write)(fd, buf, len);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    psock *s = pl_sock(fd);
    return s ? sock_recvv(s, iov, n, 0) : REAL(readv)(fd, iov, n);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    psock *s = pl_sock(fd);
    return s ? sock_sendv(s, iov, n, 0) : REAL(writev)(fd, iov, n);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    psock *s = pl_sock(fd);
    return s ? sock_send(s, buf, len, flags) : REAL(send)(fd, buf, len, flags);
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    psock *s = pl_sock(fd);
    return s ? sock_recv(s, buf, len, flags) : REAL(recv)(fd, buf, len, flags);
}

/* TCP ignores a destination on a connected socket, as the kernel's does. */
EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
                      socklen_t alen)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(sendto)(fd, buf, len, flags, sa, alen);
    return sock_send(s, buf, len, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa, socklen_t *alen)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(recvfrom)(fd, buf, len, flags, sa, alen);
    ssize_t n = sock_recv(s, buf, len, flags);
    if (n >= 0 && sa && alen) *alen = 0; /* TCP gives no source address, as on Linux */
    return n;
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(sendmsg)(fd, m, flags);
    if (m->msg_controllen) return fail(EOPNOTSUPP); /* no ancillary data on synack sockets */
    return sock_sendv(s, m->msg_iov, (int)m->msg_iovlen, flags);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(recvmsg)(fd, m, flags);
    ssize_t n = sock_recvv(s, m->msg_iov, (int)m->msg_iovlen, flags);
    if (n >= 0) {
        m->msg_namelen = 0;
        m->msg_controllen = 0;
        m->msg_flags = 0;
    }
    return n;
}

EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
    if (!pl_sock(fd)) return REAL(sendmmsg)(fd, v, n, flags);
    return fail(EOPNOTSUPP);
}

EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, struct timespec *t)
{
    if (!pl_sock(fd)) return REAL(recvmmsg)(fd, v, n, flags, t);
    return fail(EOPNOTSUPP);
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen) __chk_fail();
    return read(fd, buf, len);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen) __chk_fail();
    return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *sa,
                              socklen_t *alen)
{
    if (len > buflen) __chk_fail();
    return recvfrom(fd, buf, len, flags, sa, alen);
}

/* sendfile to a synack socket: read and send in 64 KiB pieces (blocking as the socket is).
 * From a synack socket: EINVAL, as the kernel says for a source it cannot map. */
EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
    psock *so = pl_sock(out);
    if (pl_sock(in)) return fail(EINVAL);
    if (!so) return REAL(sendfile)(out, in, offset, count);
    static const size_t cap = 65536;
    char *buf = malloc(cap);
    if (!buf) return fail(ENOMEM);
    size_t total = 0;
    off_t pos = offset ? *offset : 0;
    while (total < count) {
        size_t want = count - total < cap ? count - total : cap;
        ssize_t r = offset ? pread(in, buf, want, pos) : REAL(read)(in, buf, want);
        if (r < 0) {
            int e = errno;
            free(buf);
            if (total) break;
            return fail(e);
        }
        if (r == 0) break;
        ssize_t w = sock_send(so, buf, (size_t)r, 0);
        if (w < 0) {
            int e = errno;
            free(buf);
            /* Put the file position back before what was read and not sent. */
            if (!offset) lseek(in, -(off_t)r, SEEK_CUR);
            if (total) return (ssize_t)total;
            return fail(e);
        }
        total += (size_t)w;
        pos += w;
        if (w < r) {
            /* A non-blocking socket took part: put the file position back for the rest. */
            if (!offset) lseek(in, (off_t)(w - r), SEEK_CUR);
            break;
        }
    }
    free(buf);
    if (offset) *offset = pos;
    return (ssize_t)total;
}

EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
    return sendfile(out, in, offset, count);
}

EXPORT ssize_t splice(int in, loff_t *oin, int out, loff_t *oout, size_t len, unsigned flags)
{
    if (pl_sock(in) || pl_sock(out)) return fail(EINVAL); /* no kernel pipe behind synack sockets */
    return REAL(splice)(in, oin, out, oout, len, flags);
}

EXPORT int shutdown(int fd, int how)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(shutdown)(fd, how);
    ENTER(s, st);
    return done(s, synack_shutdown(st, s->sd, how));
}

/* ---- descriptors ---- */

EXPORT int close(int fd)
{
    psock *s = pl_fd_get(fd);
    if (!s) return REAL(close)(fd);
    if (s == PL_INTERNAL) return fail(EBADF); /* not the program's: it never opened it */
    pl_lock();
    if (pl_fd_get(fd) == s) pl_fd_release(fd);
    pl_leave(NULL);
    return REAL(close)(fd);
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    if (flags & CLOSE_RANGE_CLOEXEC) return REAL(close_range)(first, last, flags);
    if (first > last) return fail(EINVAL);
    pl_lock();
    /* Close the program's descriptors in the range, around the library's own. */
    unsigned lo = first;
    int r = 0;
    for (unsigned fd = first; fd <= last && fd < (1u << 20); fd++) {
        psock *e = pl_fd_get((int)fd);
        if (e == PL_INTERNAL) {
            if (fd > lo && REAL(close_range)(lo, fd - 1, flags) < 0) r = -1;
            lo = fd + 1;
        } else if (e) {
            pl_fd_release((int)fd);
        }
        if (fd == UINT_MAX) break;
    }
    if (lo <= last && REAL(close_range)(lo, last, flags) < 0) r = -1;
    pl_leave(NULL);
    return r;
}

EXPORT void closefrom(int lowfd)
{
    if (lowfd < 0) lowfd = 0;
    close_range((unsigned)lowfd, ~0u, 0);
}

EXPORT int dup(int fd)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(dup)(fd);
    pl_lock();
    int n = REAL(dup)(fd);
    if (n >= 0 && !pl_fd_bind(n, s)) {
        REAL(close)(n);
        n = -EMFILE;
    }
    pl_unlock();
    return n < -1 ? fail(-n) : n;
}

static int dup_to(int old, int new, int flags, bool three)
{
    psock *so = pl_sock(old);
    if (!so && !pl_fd_get(new)) return three ? REAL(dup3)(old, new, flags) : REAL(dup2)(old, new);
    pl_lock();
    if (pl_fd_internal(new) && !pl_fd_evict_internal(new)) {
        pl_unlock();
        return fail(EBUSY); /* the library's own descriptor; Linux says EBUSY in dup2 races */
    }
    int r = three ? REAL(dup3)(old, new, flags) : REAL(dup2)(old, new);
    int e = errno;
    if (r >= 0 && old != new) {
        if (pl_sock(new)) pl_fd_release(new); /* the kernel closed it */
        if (so && !pl_fd_bind(new, so)) {
            REAL(close)(new);
            r = -1;
            e = EMFILE;
        }
    }
    pl_leave(NULL);
    errno = e;
    return r;
}

EXPORT int dup2(int old, int new) { return dup_to(old, new, 0, false); }
EXPORT int dup3(int old, int new, int flags) { return dup_to(old, new, flags, true); }

static int sock_fcntl(psock *s, int fd, int cmd, void *arg)
{
    switch (cmd) {
    case F_GETFL: {
        int r = REAL(fcntl)(fd, F_GETFL);
        return r < 0 ? r : (r & ~O_NONBLOCK) | (s->nonblock ? O_NONBLOCK : 0);
    }
    case F_SETFL: {
        int fl = (int)(intptr_t)arg;
        if (fl & O_ASYNC) return fail(EINVAL); /* no signal-driven I/O on synack sockets */
        int r = REAL(fcntl)(fd, F_SETFL, fl);
        if (r == 0) {
            pl_lock();
            s->nonblock = (fl & O_NONBLOCK) != 0;
            pl_unlock();
        }
        return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        pl_lock();
        int n = REAL(fcntl)(fd, cmd, (int)(intptr_t)arg);
        if (n >= 0 && !pl_fd_bind(n, s)) {
            REAL(close)(n);
            n = -EMFILE;
        }
        pl_unlock();
        return n < -1 ? fail(-n) : n;
    }
    case F_SETOWN:
    case F_SETOWN_EX:
    case F_SETSIG:
        return fail(EINVAL); /* signal-driven I/O: not supported */
    default:
        return REAL(fcntl)(fd, cmd, arg);
    }
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    psock *s = pl_sock(fd);
    return s ? sock_fcntl(s, fd, cmd, arg) : REAL(fcntl)(fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    psock *s = pl_sock(fd);
    return s ? sock_fcntl(s, fd, cmd, arg) : REAL(fcntl)(fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    psock *s = pl_sock(fd);
    if (!s) return REAL(ioctl)(fd, req, arg);
    switch (req) {
    case FIONBIO: {
        if (!arg) return fail(EFAULT);
        int on;
        memcpy(&on, arg, sizeof on);
        int r = REAL(ioctl)(fd, FIONBIO, arg);
        if (r == 0) {
            pl_lock();
            s->nonblock = on != 0;
            pl_unlock();
        }
        return r;
    }
    case FIONREAD:  /* SIOCINQ */
    case TIOCOUTQ: { /* SIOCOUTQ */
        if (!arg) return fail(EFAULT);
        ENTER(s, st);
        int v;
        if (req == FIONREAD) {
            if (synack_socket_state(st, s->sd) == SYNACK_LISTEN) return done(s, -EINVAL);
            v = synack_readable_bytes(st, s->sd);
        } else {
            synack_conn_info ci;
            v = synack_socket_info(st, s->sd, &ci) ? (int)ci.send_q : 0;
        }
        if (v >= 0) memcpy(arg, &v, sizeof v);
        return done(s, v < 0 ? v : 0);
    }
    case FIOCLEX:
    case FIONCLEX:
        return REAL(ioctl)(fd, req, arg);
    default:
        return fail(ENOTTY); /* as the kernel answers an ioctl a TCP socket does not have */
    }
}

/* ---- options and names ---- */

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(getsockopt)(fd, level, name, val, len);
    ENTER(s, st);
    return done(s, pl_getsockopt(st, s, level, name, val, len));
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(setsockopt)(fd, level, name, val, len);
    ENTER(s, st);
    return done(s, pl_setsockopt(st, s, level, name, val, len));
}

/* getsockname and getpeername differ only in which end of the connection they name. */
static int name_of(psock *s, int (*get)(synack_stack *, int, synack_endpoint *), struct sockaddr *sa,
                   socklen_t *len)
{
    if (!sa || !len) return fail(EFAULT);
    ENTER(s, st);
    synack_endpoint ep;
    int r = get(st, s->sd, &ep);
    if (r == 0) pl_addr_out(s, &ep, sa, len);
    return done(s, r);
}

EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(getsockname)(fd, sa, len);
    return name_of(s, synack_getsockname, sa, len);
}

EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
    psock *s = pl_sock(fd);
    if (!s) return REAL(getpeername)(fd, sa, len);
    return name_of(s, synack_getpeername, sa, len);
}

/* ---- poll and select ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll with synack sockets among fds: the kernel waits on the mirrors; then the revents of
 * synack sockets are the stack's own answer (POLLERR included, which a mirror cannot show).
 * timeout_ms < 0: forever. */
static int poll_mixed(struct pollfd *fds, nfds_t n, int timeout_ms, const sigset_t *mask)
{
    int64_t end = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    for (;;) {
        int left = -1;
        if (end >= 0) {
            int64_t l = end - mono_ms();
            left = l < 0 ? 0 : l > INT_MAX ? INT_MAX : (int)l;
        }
        int r;
        if (mask) {
            struct timespec ts = {left / 1000, (long)(left % 1000) * 1000000L};
            r = REAL(ppoll)(fds, n, left < 0 ? NULL : &ts, mask);
        } else {
            r = REAL(poll)(fds, n, left);
        }
        if (r <= 0) return r;
        synack_stack *st = pl_enter();
        int count = 0;
        for (nfds_t i = 0; i < n; i++) {
            psock *s = pl_sock(fds[i].fd);
            if (s) {
                short got = fds[i].revents;
                if (s->dead || !st || s->sd < 0) {
                    fds[i].revents = POLLNVAL;
                } else {
                    int ev = synack_poll_socket(st, s->sd);
                    short rev = 0;
                    if (ev & SYNACK_POLLIN) rev |= POLLIN | POLLRDNORM;
                    if (ev & SYNACK_POLLOUT) rev |= POLLOUT | POLLWRNORM;
                    if (ev & SYNACK_POLLRDHUP) rev |= POLLRDHUP;
                    rev &= fds[i].events;
                    if (ev & SYNACK_POLLERR) rev |= POLLERR;
                    if (ev & SYNACK_POLLHUP) rev |= POLLHUP;
                    fds[i].revents = rev;
                    if (!rev && got) pl_mirror_update(st, s, false); /* never true: a guard */
                }
            }
            if (fds[i].revents) count++;
        }
        if (st) pl_leave(NULL);
        if (count || (end >= 0 && mono_ms() >= end)) return count;
    }
}

static bool any_sock(const struct pollfd *fds, nfds_t n)
{
    for (nfds_t i = 0; i < n; i++)
        if (pl_sock(fds[i].fd)) return true;
    return false;
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!any_sock(fds, n)) return REAL(poll)(fds, n, timeout_ms);
    return poll_mixed(fds, n, timeout_ms, NULL);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen)
{
    if (fdslen / sizeof *fds < n) __chk_fail();
    return poll(fds, n, timeout_ms);
}

static int ts_ms(const struct timespec *ts)
{
    if (!ts) return -1;
    int64_t ms = (int64_t)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : ms < 0 ? 0 : (int)ms;
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if (!any_sock(fds, n)) return REAL(ppoll)(fds, n, ts, mask);
    sigset_t none;
    if (!mask) {
        /* ppoll with no mask is poll with a finer timeout. */
        sigprocmask(SIG_SETMASK, NULL, &none);
        mask = &none;
    }
    return poll_mixed(fds, n, ts_ms(ts), mask);
}

/* select as poll when synack sockets are in the sets (select's readiness is poll's: readable
 * = POLLIN|POLLHUP|POLLERR, writable = POLLOUT|POLLERR, exceptional = POLLPRI). */
static int select_mixed(int nfds, fd_set *rs, fd_set *ws, fd_set *es, int timeout_ms, const sigset_t *mask)
{
    struct pollfd pf[FD_SETSIZE];
    nfds_t n = 0;
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
        short ev = 0;
        if (rs && FD_ISSET(fd, rs)) ev |= POLLIN;
        if (ws && FD_ISSET(fd, ws)) ev |= POLLOUT;
        if (es && FD_ISSET(fd, es)) ev |= POLLPRI;
        if (!ev) continue;
        pf[n].fd = fd;
        pf[n].events = ev;
        pf[n++].revents = 0;
    }
    int r = poll_mixed(pf, n, timeout_ms, mask);
    if (r < 0) return r;
    for (nfds_t i = 0; i < n; i++)
        if (pf[i].revents & POLLNVAL) return fail(EBADF);
    if (rs) FD_ZERO(rs);
    if (ws) FD_ZERO(ws);
    if (es) FD_ZERO(es);
    int count = 0;
    for (nfds_t i = 0; i < n; i++) {
        short rv = pf[i].revents;
        if (rs && (pf[i].events & POLLIN) && (rv & (POLLIN | POLLHUP | POLLERR))) FD_SET(pf[i].fd, rs), count++;
        if (ws && (pf[i].events & POLLOUT) && (rv & (POLLOUT | POLLERR))) FD_SET(pf[i].fd, ws), count++;
        if (es && (pf[i].events & POLLPRI) && (rv & POLLPRI)) FD_SET(pf[i].fd, es), count++;
    }
    return count;
}

static bool any_sock_set(int nfds, fd_set *rs, fd_set *ws, fd_set *es)
{
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
        if (((rs && FD_ISSET(fd, rs)) || (ws && FD_ISSET(fd, ws)) || (es && FD_ISSET(fd, es))) && pl_sock(fd))
            return true;
    return false;
}

EXPORT int select(int nfds, fd_set *rs, fd_set *ws, fd_set *es, struct timeval *tv)
{
    if (!any_sock_set(nfds, rs, ws, es)) return REAL(select)(nfds, rs, ws, es, tv);
    int ms = -1;
    if (tv) {
        int64_t m = (int64_t)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
        ms = m > INT_MAX ? INT_MAX : m < 0 ? 0 : (int)m;
    }
    int64_t t0 = mono_ms();
    int r = select_mixed(nfds, rs, ws, es, ms, NULL);
    if (tv) {
        /* Linux leaves the time not slept in the timeout. */
        int64_t left = ms - (mono_ms() - t0);
        if (left < 0) left = 0;
        tv->tv_sec = left / 1000;
        tv->tv_usec = (left % 1000) * 1000;
    }
    return r;
}

EXPORT int pselect(int nfds, fd_set *rs, fd_set *ws, fd_set *es, const struct timespec *ts,
                   const sigset_t *mask)
{
    if (!any_sock_set(nfds, rs, ws, es)) return REAL(pselect)(nfds, rs, ws, es, ts, mask);
    sigset_t cur;
    if (!mask) {
        sigprocmask(SIG_SETMASK, NULL, &cur);
        mask = &cur;
    }
    return select_mixed(nfds, rs, ws, es, ts_ms(ts), mask);
}
