/* preload.h: what the preload library's files share (never installed, never exported). The
 * library (libsynack-preload.so) interposes the libc socket calls of an unmodified program: TCP
 * sockets (AF_INET/AF_INET6, SOCK_STREAM) go to a synack stack that runs on its own thread on a
 * TUN device; every other descriptor goes to the kernel through the real functions (dlsym
 * RTLD_NEXT). runtime.c owns the stack, its thread, the lock, the descriptor table and the
 * readiness mirrors; calls.c the interposed entry points; sockopt.c addresses and options. */
#ifndef SYNACK_PRELOAD_H
#define SYNACK_PRELOAD_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <synack/socket.h>
#include <synack/stack.h>

/* ---- the real libc functions ---- */

typedef struct pl_real {
    int (*socket)(int, int, int);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    int (*listen)(int, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned, int, struct timespec *);
    ssize_t (*sendfile)(int, int, off_t *, size_t);
    int (*shutdown)(int, int);
    int (*close)(int);
    int (*close_range)(unsigned, unsigned, int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*ioctl)(int, unsigned long, ...);
    int (*getsockopt)(int, int, int, void *, socklen_t *);
    int (*setsockopt)(int, int, int, const void *, socklen_t);
    int (*getsockname)(int, struct sockaddr *, socklen_t *);
    int (*getpeername)(int, struct sockaddr *, socklen_t *);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
    int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
    ssize_t (*splice)(int, loff_t *, int, loff_t *, size_t, unsigned);
} pl_real;

extern pl_real pl_libc;
void pl_real_resolve(void);
#define REAL(fn) (pl_libc.fn ? pl_libc.fn : (pl_real_resolve(), pl_libc.fn))

/* ---- synack sockets as the program sees them ---- */

/* One synack socket: one per socket()/accept(), shared by every program descriptor that names
 * it (dup, dup2, F_DUPFD share one open file description, as in the kernel). The program's
 * descriptor is one end of a Unix stream socketpair whose readiness mirrors the synack socket
 * (see mirror_update in runtime.c); we keep a private duplicate of that end and the other end. */
typedef struct psock {
    int sd;              /* synack descriptor; -1 once closed (exit, or closed while blocked) */
    int app_fd;          /* our duplicate of the program's end (internal, close-on-exec) */
    int peer_fd;         /* the other end (internal, close-on-exec) */
    int refs;            /* program descriptors naming this socket */
    int busy;            /* calls blocked on it (without the lock) */
    int family;          /* AF_INET or AF_INET6, as created */
    bool nonblock;       /* O_NONBLOCK of the shared open file description */
    bool v6only;         /* IPV6_V6ONLY */
    bool reuseport;      /* SO_REUSEPORT: stored and reported; synack shares no ports */
    bool dead;           /* inherited across fork(): the stack stayed with the parent */
    int rcvtimeo_ms, sndtimeo_ms; /* SO_RCVTIMEO / SO_SNDTIMEO for blocking calls; -1 = none */
    unsigned mirror;     /* MIRROR_* bits the program's descriptor shows now */
    unsigned tokens;     /* bytes queued to make it readable (edge-triggered pulses) */
} psock;

enum { MIRROR_R = 1, MIRROR_W = 2, MIRROR_RDHUP = 4, MIRROR_HUP = 8 };

/* The descriptor table, read without the lock: NULL (a kernel descriptor), a psock, or
 * PL_INTERNAL (a descriptor the library owns that the program must not see). */
#define PL_INTERNAL ((psock *)1)
psock *pl_fd_get(int fd);
bool pl_fd_internal(int fd);
static inline psock *pl_sock(int fd)
{
    psock *s = pl_fd_get(fd);
    return s == PL_INTERNAL ? NULL : s;
}

/* ---- runtime (runtime.c) ---- */

/* Starts the stack on first use. Returns 0, or -errno (ENETDOWN after printing why once). */
int pl_start(void);
/* True in a child made by fork() without exec: no stack runs there. */
bool pl_forked_child(void);

/* Every call on a synack socket runs between enter and leave, holding the one lock: enter
 * advances the stack to the current time; leave brings the mirrors up to date, sends what the
 * call queued and wakes the stack's thread if its next deadline moved earlier. */
synack_stack *pl_enter(void);
void pl_leave(psock *s);
void pl_lock(void);
void pl_unlock(void);

/* Makes a psock for synack descriptor sd and gives the program a descriptor for it
 * (SOCK_CLOEXEC / SOCK_NONBLOCK in flags). Holding the lock. Returns the descriptor or -errno
 * (sd is then closed). */
int pl_sock_new(synack_stack *st, int sd, int family, int flags);
/* Binds program descriptor fd to s (dup); holding the lock. Returns false when fd is too large. */
bool pl_fd_bind(int fd, psock *s);
/* Forgets program descriptor fd; the last one closes the synack socket. Holding the lock. */
void pl_fd_release(int fd);
/* Moves an internal descriptor out of the way before the program takes its number (dup2).
 * False when it cannot move (the device, the loop's wake-up descriptor). Holding the lock. */
bool pl_fd_evict_internal(int fd);
/* Brings s's mirror up to date (holding the lock); pulse: new data arrived. */
void pl_mirror_update(synack_stack *st, psock *s, bool pulse);

/* Waits without the lock until s's descriptor shows events (POLLIN/POLLOUT), up to timeout_ms
 * (-1 forever). Returns 0, -EAGAIN on timeout, -EINTR. */
int pl_wait(psock *s, short events, int timeout_ms);
/* Called holding the lock by a blocking call that must wait: releases the lock, waits (as
 * pl_wait) and takes it again. Returns 0 with the lock held; or -errno without it: -EAGAIN
 * (timeout), -EINTR, -EBADF (closed meanwhile), -ENETDOWN (the stack stopped). */
int pl_block(psock *s, short events, int timeout_ms);

/* ---- addresses and options (sockopt.c) ---- */

/* sockaddr -> endpoint for a socket of family fam. Returns 0 or -errno. */
int pl_addr_in(const psock *s, const struct sockaddr *sa, socklen_t len, synack_endpoint *ep);
/* endpoint -> sockaddr as the socket's family shows it (IPv4 on an AF_INET6 socket: mapped). */
void pl_addr_out(const psock *s, const synack_endpoint *ep, struct sockaddr *sa, socklen_t *len);
int pl_getsockopt(synack_stack *st, psock *s, int level, int name, void *val, socklen_t *len);
int pl_setsockopt(synack_stack *st, psock *s, int level, int name, const void *val, socklen_t len);

#endif
