/* socket.c: the BSD-like descriptor layer over the core's connection handles (synack/conn.h):
 * the descriptor table (descriptor -> handle, a free list, doubling up to max_sockets) lives here,
 * in the stack's user slot, and every call maps a descriptor to its handle. Errors are the
 * negative errno values a C programmer expects. No blocking: callers poll. Uses only what the
 * core exports (include/synack). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <synack/conn.h>
#include <synack/socket.h>

typedef struct sock_slot {
    synack_conn *c; /* NULL when the descriptor is free */
    int next_free;
} sock_slot;

typedef struct sock_table {
    sock_slot *slots;
    uint32_t cap;
    int free_head; /* -1: none free */
    uint32_t in_use;
} sock_table;

/* The stack's allocator (synack_config.allocator), the C library when it has none. */
static void *mem_alloc(const synack_allocator *a, size_t size)
{
    return a->alloc ? a->alloc(a->ctx, 0, size) : malloc(size);
}

static void mem_release(const synack_allocator *a, void *p)
{
    if (!p) return;
    if (a->release) a->release(a->ctx, p);
    else free(p);
}

static void table_free(synack_stack *st, void *user)
{
    sock_table *tb = user;
    const synack_allocator *a = &synack_stack_config(st)->allocator;
    mem_release(a, tb->slots);
    mem_release(a, tb);
}

static size_t table_bytes(const void *user) { return (size_t)((const sock_table *)user)->cap * sizeof(sock_slot); }
static uint32_t table_in_use(const void *user) { return ((const sock_table *)user)->in_use; }

static const synack_user_ops table_ops = {.free = table_free, .table_bytes = table_bytes, .in_use = table_in_use};

/* The stack's table, made on first use (a stack that never opens a socket has none). */
static sock_table *table_of(synack_stack *st, bool make)
{
    sock_table *tb = synack_stack_user(st);
    if (tb || !make) return tb;
    const synack_allocator *a = &synack_stack_config(st)->allocator;
    tb = mem_alloc(a, sizeof *tb);
    if (!tb) return NULL;
    memset(tb, 0, sizeof *tb);
    tb->free_head = -1;
    if (!synack_stack_set_user(st, tb, &table_ops)) {
        mem_release(a, tb);
        return NULL;
    }
    return tb;
}

static synack_conn *sock_conn(const synack_stack *st, int sd)
{
    const sock_table *tb = synack_stack_user(st);
    if (!tb || sd < 0 || (uint32_t)sd >= tb->cap) return NULL;
    return tb->slots[sd].c;
}

/* Doubles the descriptor table (up to max_sockets); descriptors keep their numbers. */
static bool sock_grow(synack_stack *st, sock_table *tb)
{
    const synack_config *cfg = synack_stack_config(st);
    uint32_t cap = tb->cap ? tb->cap * 2 : 64;
    if (cap > cfg->max_sockets) cap = cfg->max_sockets;
    if (cap <= tb->cap) return false;
    const synack_allocator *a = &cfg->allocator;
    sock_slot *s = mem_alloc(a, (size_t)cap * sizeof *s);
    if (!s) return false;
    if (tb->slots) {
        memcpy(s, tb->slots, (size_t)tb->cap * sizeof *s);
        mem_release(a, tb->slots);
    }
    for (uint32_t i = cap; i-- > tb->cap;) {
        s[i].c = NULL;
        s[i].next_free = tb->free_head;
        tb->free_head = (int)i;
    }
    tb->slots = s;
    tb->cap = cap;
    return true;
}

static bool sock_room(synack_stack *st, sock_table *tb) { return tb && (tb->free_head >= 0 || sock_grow(st, tb)); }

static int sock_attach(sock_table *tb, synack_conn *c)
{
    int sd = tb->free_head;
    tb->free_head = tb->slots[sd].next_free;
    tb->slots[sd].c = c;
    tb->in_use++;
    synack_conn_set_socket(c, sd);
    return sd;
}

static void sock_release(synack_stack *st, int sd)
{
    sock_table *tb = synack_stack_user(st);
    tb->slots[sd].c = NULL;
    tb->slots[sd].next_free = tb->free_head;
    tb->free_head = sd;
    tb->in_use--;
}

int synack_socket(synack_stack *st)
{
    sock_table *tb = table_of(st, true);
    if (!sock_room(st, tb)) return -EMFILE;
    synack_conn *c = synack_conn_new(st);
    if (!c) return -ENOBUFS;
    return sock_attach(tb, c);
}

int synack_bind(synack_stack *st, int sd, const synack_endpoint *local)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_bind(st, c, local) : -EBADF;
}

int synack_listen(synack_stack *st, int sd, int backlog)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_listen(st, c, backlog) : -EBADF;
}

int synack_accept(synack_stack *st, int sd, synack_endpoint *remote)
{
    synack_conn *l = sock_conn(st, sd);
    if (!l) return -EBADF;
    int r = synack_conn_accept_ready(l);
    if (r < 0) return r;
    /* Room for the descriptor first: without it the child stays queued. */
    sock_table *tb = table_of(st, false);
    if (!sock_room(st, tb)) return -EMFILE;
    return sock_attach(tb, synack_conn_accept(st, l, remote));
}

int synack_connect(synack_stack *st, int sd, const synack_endpoint *remote)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_connect(st, c, remote) : -EBADF;
}

ssize_t synack_send(synack_stack *st, int sd, const void *buf, size_t len)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_send(st, c, buf, len) : -EBADF;
}

ssize_t synack_recv(synack_stack *st, int sd, void *buf, size_t len)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_recv(st, c, buf, len, false) : -EBADF;
}

ssize_t synack_peek(synack_stack *st, int sd, void *buf, size_t len)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_recv(st, c, buf, len, true) : -EBADF;
}

int synack_shutdown(synack_stack *st, int sd, int how)
{
    synack_conn *c = sock_conn(st, sd);
    if (!c) return -EBADF;
    if (how < 0 || how > 2) return -EINVAL;
    return synack_conn_shutdown(st, c, how);
}

int synack_close(synack_stack *st, int sd)
{
    synack_conn *c = sock_conn(st, sd);
    if (!c) return -EBADF;
    sock_release(st, sd);
    return synack_conn_close(st, c);
}

int synack_abort(synack_stack *st, int sd)
{
    synack_conn *c = sock_conn(st, sd);
    if (!c) return -EBADF;
    sock_release(st, sd);
    return synack_conn_abort(st, c);
}

int synack_setsockopt(synack_stack *st, int sd, int opt, const void *val, size_t len)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_setopt(st, c, opt, val, len) : -EBADF;
}

int synack_getsockopt(synack_stack *st, int sd, int opt, void *val, size_t *len)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_getopt(st, c, opt, val, len) : -EBADF;
}

int synack_getsockname(synack_stack *st, int sd, synack_endpoint *local)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_local(c, local) : -EBADF;
}

int synack_getpeername(synack_stack *st, int sd, synack_endpoint *remote)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_remote(c, remote) : -EBADF;
}

int synack_poll_socket(synack_stack *st, int sd)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_poll(c) : SYNACK_POLLERR;
}

int synack_readable_bytes(synack_stack *st, int sd)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_readable_bytes(c) : -EBADF;
}

/* ---- inspection by descriptor (synack/inspect.h) ---- */

int synack_socket_state(const synack_stack *st, int sd)
{
    synack_conn *c = sock_conn(st, sd);
    return c ? synack_conn_state(c) : -1;
}

bool synack_socket_info(const synack_stack *st, int sd, synack_conn_info *out)
{
    synack_conn *c = sock_conn(st, sd);
    if (!c) return false;
    synack_conn_info_get(st, c, out);
    return true;
}
