/* socket.c: the BSD-like descriptor layer over the core's connection handles (synack/conn.h):
 * the descriptor table (descriptor -> handle, a free list, pages of 4,096 added up to max_sockets) lives here,
 * in the stack's user slot, and every call maps a descriptor to its handle. Errors are the
 * negative errno values a C programmer expects. No blocking: callers poll. Uses only what the
 * core exports (include/synack). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <synack/conn.h>
#include <synack/socket.h>

/* A descriptor's slot, 8 bytes: the connection's handle (aligned, so even), or for a free
 * descriptor the next free one, odd: ((next + 1) << 1) | 1, with next -1 for none. */
typedef uintptr_t sock_slot;
static inline bool slot_free(sock_slot v) { return v & 1u; }
static inline sock_slot slot_link(int next) { return ((sock_slot)(uint32_t)(next + 1) << 1) | 1u; }
static inline int slot_next(sock_slot v) { return (int)(v >> 1) - 1; }

/* Slots come in pages of SOCK_PAGE descriptors, added as descriptors are needed, so that growing
 * never copies the table (nor leaves the old copy to the C library's free lists, resident) and
 * the table costs 8 bytes a descriptor, not up to twice 16. Descriptors below `fresh` have been
 * handed out at least once; those at or above it are free and never touched. */
enum { SOCK_PAGE_SHIFT = 12, SOCK_PAGE = 1 << SOCK_PAGE_SHIFT };

typedef struct sock_table {
    sock_slot **pages;    /* directory of pages (doubles: a pointer per 4,096 descriptors) */
    uint32_t npages, dir_cap;
    uint32_t fresh;       /* the lowest descriptor never handed out */
    int free_head;        /* -1: none released */
    uint32_t in_use;
} sock_table;

static inline sock_slot *slot_at(const sock_table *tb, uint32_t sd)
{
    return &tb->pages[sd >> SOCK_PAGE_SHIFT][sd & (SOCK_PAGE - 1)];
}

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
    for (uint32_t i = 0; i < tb->npages; i++) mem_release(a, tb->pages[i]);
    mem_release(a, tb->pages);
    mem_release(a, tb);
}

static size_t table_bytes(const void *user)
{
    const sock_table *tb = user;
    return ((size_t)tb->npages * SOCK_PAGE + tb->dir_cap) * sizeof(sock_slot);
}
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
    if (!tb || sd < 0 || (uint32_t)sd >= tb->fresh) return NULL;
    sock_slot v = *slot_at(tb, (uint32_t)sd);
    return slot_free(v) ? NULL : (synack_conn *)v;
}

/* One more page of descriptors (up to max_sockets); descriptors keep their numbers. */
static bool sock_grow(synack_stack *st, sock_table *tb)
{
    const synack_config *cfg = synack_stack_config(st);
    if ((uint64_t)tb->npages * SOCK_PAGE >= cfg->max_sockets) return false;
    const synack_allocator *a = &cfg->allocator;
    if (tb->npages == tb->dir_cap) {
        uint32_t cap = tb->dir_cap ? tb->dir_cap * 2 : 4;
        sock_slot **d = mem_alloc(a, (size_t)cap * sizeof *d);
        if (!d) return false;
        if (tb->pages) memcpy(d, tb->pages, (size_t)tb->npages * sizeof *d);
        mem_release(a, tb->pages);
        tb->pages = d;
        tb->dir_cap = cap;
    }
    sock_slot *page = mem_alloc(a, (size_t)SOCK_PAGE * sizeof *page);
    if (!page) return false;
    tb->pages[tb->npages++] = page;
    return true;
}

/* The limit on descriptors: max_sockets, within the pages there are. */
static bool sock_fresh_ok(const synack_stack *st, const sock_table *tb)
{
    return tb->fresh < synack_stack_config(st)->max_sockets && tb->fresh < (uint64_t)tb->npages * SOCK_PAGE;
}

static bool sock_room(synack_stack *st, sock_table *tb)
{
    return tb && (tb->free_head >= 0 || sock_fresh_ok(st, tb) ||
                  (tb->fresh < synack_stack_config(st)->max_sockets && sock_grow(st, tb)));
}

static int sock_attach(sock_table *tb, synack_conn *c)
{
    int sd = tb->free_head;
    if (sd >= 0) tb->free_head = slot_next(*slot_at(tb, (uint32_t)sd));
    else sd = (int)tb->fresh++;
    *slot_at(tb, (uint32_t)sd) = (sock_slot)c;
    tb->in_use++;
    synack_conn_set_socket(c, sd);
    return sd;
}

static void sock_release(synack_stack *st, int sd)
{
    sock_table *tb = synack_stack_user(st);
    *slot_at(tb, (uint32_t)sd) = slot_link(tb->free_head);
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
