/* synack/conn.h: the core's connection handles, for a socket layer above it (src/api/socket.c
 * keeps the descriptor table and calls these; the packetdrill adapter and the preload library go
 * through that layer). A handle is one TCB: the calls are the RFC 9293 3.10 user calls (OPEN,
 * SEND, RECEIVE, CLOSE, ABORT, STATUS) and the options, with BSD's errno results. The socket
 * layer also gets one opaque slot in the stack for its table, freed with the stack. */
#ifndef SYNACK_CONN_H
#define SYNACK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "inspect.h"
#include "stack.h"

typedef struct synack_conn synack_conn;

/* ---- the socket layer's slot in the stack ---- */
typedef struct synack_user_ops {
    void (*free)(synack_stack *st, void *user);   /* at synack_stack_free, after every connection */
    size_t (*table_bytes)(const void *user);      /* for synack_mem_get's table_bytes */
    uint32_t (*in_use)(const void *user);         /* for synack_mem_get's sockets_in_use */
} synack_user_ops;
/* Sets the slot once; false when it is taken. */
bool synack_stack_set_user(synack_stack *st, void *user, const synack_user_ops *ops);
void *synack_stack_user(const synack_stack *st);

/* ---- handles ---- */
/* A new connection in CLOSED, or NULL (no memory, max_conns). */
synack_conn *synack_conn_new(synack_stack *st);
/* Frees a handle that was never opened (its descriptor could not be made). */
void synack_conn_discard(synack_stack *st, synack_conn *c);
/* The descriptor that names the handle in events and netstat (-1: none). */
void synack_conn_set_socket(synack_conn *c, int sd);
int synack_conn_state(const synack_conn *c);
void synack_conn_info_get(const synack_stack *st, const synack_conn *c, synack_conn_info *out);

/* The user calls (as synack/socket.h, on a handle). */
int synack_conn_bind(synack_stack *st, synack_conn *c, const synack_endpoint *local);
int synack_conn_listen(synack_stack *st, synack_conn *c, int backlog);
/* 0 when an accepted child waits (take it with synack_conn_accept), -EAGAIN, -EINVAL. */
int synack_conn_accept_ready(const synack_conn *listener);
synack_conn *synack_conn_accept(synack_stack *st, synack_conn *listener, synack_endpoint *remote);
int synack_conn_connect(synack_stack *st, synack_conn *c, const synack_endpoint *remote);
ssize_t synack_conn_send(synack_stack *st, synack_conn *c, const void *buf, size_t len);
ssize_t synack_conn_recv(synack_stack *st, synack_conn *c, void *buf, size_t len, bool peek);
int synack_conn_shutdown(synack_stack *st, synack_conn *c, int how);
/* The handle is gone for the caller after these two. */
int synack_conn_close(synack_stack *st, synack_conn *c);
int synack_conn_abort(synack_stack *st, synack_conn *c);
int synack_conn_setopt(synack_stack *st, synack_conn *c, int opt, const void *val, size_t len);
int synack_conn_getopt(synack_stack *st, synack_conn *c, int opt, void *val, size_t *len);
int synack_conn_local(const synack_conn *c, synack_endpoint *local);
int synack_conn_remote(const synack_conn *c, synack_endpoint *remote);
int synack_conn_poll(const synack_conn *c);
int synack_conn_readable_bytes(const synack_conn *c);

#endif
