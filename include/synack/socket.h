/* synack/socket.h: a BSD-like, non-blocking socket API over the core.
 * Every call acts at the stack's current time (synack_now). Calls return >= 0 on success and a
 * negative errno on failure (-ECONNREFUSED, -EAGAIN, ...), as the kernel does internally. */
#ifndef SYNACK_SOCKET_H
#define SYNACK_SOCKET_H

#include <sys/types.h> /* ssize_t */

#include "stack.h"

int synack_socket(synack_stack *st);
int synack_bind(synack_stack *st, int sd, const synack_endpoint *local);
int synack_listen(synack_stack *st, int sd, int backlog);
/* Returns a new socket, or -EAGAIN when the accept queue is empty. */
int synack_accept(synack_stack *st, int sd, synack_endpoint *remote);
/* Returns -EINPROGRESS when the SYN went out; SYNACK_EV_CONNECTED or an error follows. */
int synack_connect(synack_stack *st, int sd, const synack_endpoint *remote);
/* Returns bytes queued (possibly fewer than len), -EAGAIN when the buffer is full,
 * -EPIPE after shutdown(WR)/close, -ENOTCONN before connecting, or the connection's error. */
ssize_t synack_send(synack_stack *st, int sd, const void *buf, size_t len);
/* Returns bytes read, 0 at end of stream (peer's FIN), -EAGAIN when nothing is there. */
ssize_t synack_recv(synack_stack *st, int sd, void *buf, size_t len);
/* Like recv but leaves the data in the buffer. */
ssize_t synack_peek(synack_stack *st, int sd, void *buf, size_t len);

enum { SYNACK_SHUT_RD = 0, SYNACK_SHUT_WR = 1, SYNACK_SHUT_RDWR = 2 };
int synack_shutdown(synack_stack *st, int sd, int how);
/* Closes the descriptor. A connection goes on closing in the background (FIN, FIN-WAIT-2,
 * TIME-WAIT); with SO_LINGER {on, 0} or unread data it is aborted with RST (RFC 2525 2.17). */
int synack_close(synack_stack *st, int sd);
/* Sends RST and frees the connection at once (RFC 9293 3.10.5 ABORT). */
int synack_abort(synack_stack *st, int sd);

enum synack_sockopt {
    SYNACK_SO_NODELAY,       /* int: 1 disables Nagle */
    SYNACK_SO_KEEPALIVE,     /* int */
    SYNACK_SO_LINGER,        /* struct synack_linger */
    SYNACK_SO_SNDBUF,        /* int bytes (before connect) */
    SYNACK_SO_RCVBUF,        /* int bytes (before connect) */
    SYNACK_SO_MAXSEG,        /* int: MSS to announce (before connect); get: effective send MSS */
    SYNACK_SO_USER_TIMEOUT,  /* uint64 microseconds; 0 = off */
    SYNACK_SO_KEEPIDLE,      /* uint64 microseconds */
    SYNACK_SO_KEEPINTVL,     /* uint64 microseconds */
    SYNACK_SO_KEEPCNT,       /* int */
    SYNACK_SO_ERROR,         /* int: pending error (positive errno), cleared by reading */
    SYNACK_SO_REUSEADDR,     /* int: bind over TIME-WAIT connections */
    SYNACK_SO_CONGESTION,    /* char[]: congestion control by name, as TCP_CONGESTION; any time */
};
struct synack_linger { int onoff; int seconds; };
int synack_setsockopt(synack_stack *st, int sd, int opt, const void *val, size_t len);
int synack_getsockopt(synack_stack *st, int sd, int opt, void *val, size_t *len);

int synack_getsockname(synack_stack *st, int sd, synack_endpoint *local);
int synack_getpeername(synack_stack *st, int sd, synack_endpoint *remote);

/* Readiness, poll(2)-style bits. */
enum { SYNACK_POLLIN = 1, SYNACK_POLLOUT = 4, SYNACK_POLLERR = 8, SYNACK_POLLHUP = 16,
       SYNACK_POLLRDHUP = 0x2000 };
int synack_poll_socket(synack_stack *st, int sd);

/* Bytes readable now (FIONREAD). */
int synack_readable_bytes(synack_stack *st, int sd);

#endif
