/* conn_table.c: the connection table: connections and listeners in one keyed hash (by 4-tuple;
 * listeners by local port), exact match first then the listener, and whether a local endpoint is
 * taken (bind, EADDRINUSE). The TIME-WAIT records have their own table (tcp/timewait.c). */
#include <stddef.h>

#include "stack_impl.h"

#include <stdlib.h>
#include <string.h>

uint32_t stack_tuple_hash(const synack_stack *st, const synack_endpoint *l, const synack_endpoint *r)
{
    /* Keyed by its own secret: without it, nobody can aim segments at one hash chain. */
    return (uint32_t)tcp_tuple_prf(&st->keys.hash, l, r);
}

static const synack_endpoint no_remote;

/* synack_addr_eq with fixed-size compares (one load each for IPv4) instead of its byte loop:
 * every segment in is matched here twice. */
static bool ep_eq(const synack_endpoint *a, const synack_endpoint *b)
{
    if (a->port != b->port || a->addr.family != b->addr.family) return false;
    return a->addr.family == SYNACK_AF_INET6 ? memcmp(a->addr.bytes, b->addr.bytes, 16) == 0
                                              : memcmp(a->addr.bytes, b->addr.bytes, 4) == 0;
}

static inline tcb *tcb_of(hnode *n) { return (tcb *)(void *)((uint8_t *)n - offsetof(tcb, hn)); }

/* The key a tcb is filed under: listeners by port alone, everything else by 4-tuple. It is
 * decided at insertion and remembered (in hn.hash), so later state changes cannot orphan it. */
static uint32_t hash_key(const synack_stack *st, const tcb *t, bool listener)
{
    if (listener) {
        synack_endpoint l = {no_remote.addr, t->local.port};
        return stack_tuple_hash(st, &l, &no_remote);
    }
    return stack_tuple_hash(st, &t->local, &t->remote);
}

void stack_hash_insert(synack_stack *st, tcb *t)
{
    if (t->hashed != HASH_NONE) return;
    bool listener = t->state == SYNACK_LISTEN && !t->parent;
    htable_insert(&st->conns, &t->hn, hash_key(st, t, listener));
    t->hashed = listener ? HASH_LISTENER : HASH_TUPLE;
}

void stack_hash_remove(synack_stack *st, tcb *t)
{
    if (t->hashed == HASH_NONE) return;
    if (st->recent == t) st->recent = NULL;
    htable_remove(&st->conns, &t->hn);
    t->hashed = HASH_NONE;
}

tcb *stack_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    return stack_lookup_hashed(st, local, remote, stack_tuple_hash(st, local, remote));
}

tcb *stack_lookup_hashed(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote, uint32_t h)
{
    for (int pass = 0; pass < 2; pass++)
        for (hnode *n = htable_chain(&st->conns, h, pass); n; n = n->next) {
            tcb *t = tcb_of(n);
            if (n->hash == h && t->state != SYNACK_LISTEN && ep_eq(&t->local, local) && ep_eq(&t->remote, remote)) {
                st->recent = t;
                return t;
            }
        }
    return NULL;
}

tcb *stack_lookup_recent(const synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    tcb *t = st->recent;
    return t && ep_eq(&t->remote, remote) && ep_eq(&t->local, local) ? t : NULL;
}

tcb *stack_lookup_listener(synack_stack *st, const synack_endpoint *local)
{
    synack_endpoint l = {no_remote.addr, local->port};
    uint32_t h = stack_tuple_hash(st, &l, &no_remote);
    for (int pass = 0; pass < 2; pass++)
        for (hnode *n = htable_chain(&st->conns, h, pass); n; n = n->next) {
            tcb *t = tcb_of(n);
            if (n->hash == h && t->state == SYNACK_LISTEN && !t->parent && t->local.port == local->port &&
                (synack_addr_is_any(&t->local.addr) || synack_addr_eq(&t->local.addr, &local->addr)))
                return t;
        }
    return NULL;
}

bool stack_local_in_use(synack_stack *st, const synack_endpoint *local, bool reuseaddr)
{
    /* Binding is rare: a walk of the connections is acceptable here and keeps the hash simple.
     * With SO_REUSEADDR only a listener blocks the port (TIME-WAIT does not), as on Linux. */
    for (tcb *t = st->all_head; t; t = t->all_next) {
        if (t->local.port != local->port) continue;
        if (reuseaddr && t->state != SYNACK_LISTEN && t->state != SYNACK_CLOSED) continue;
        if (synack_addr_is_any(&t->local.addr) || synack_addr_is_any(&local->addr) ||
            synack_addr_eq(&t->local.addr, &local->addr))
            return true;
    }
    if (!reuseaddr)
        for (tw_rec *w = st->tw.head; w; w = w->next)
            if (w->local.port == local->port) return true;
    return false;
}

