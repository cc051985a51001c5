/* cc_state.c: the congestion control algorithm's private state (cc/cc.h, cc_conn.priv), out of
 * line. An idle or receive-only connection never runs its algorithm, so the block (CC_PRIV_BYTES)
 * comes from the stack's slab when the connection first has data to send and goes back when it
 * is closed, reaches TIME-WAIT or is freed. Until then cc_ops_of() runs NewReno without private
 * state, which needs none (a FIN, an ECE on a connection that never sent). When the slab has no
 * block (the allocator failed), the connection keeps running that stateless NewReno, counted in
 * tcp_cc_state_nomem, and the next send tries again. No malloc per connection: slab chunks. */
#include <string.h>

#include "stack_impl.h"

bool tcp_cc_attach(synack_stack *st, tcb *t)
{
    if (t->cc.priv) return true;
    void *p = slab_alloc(&st->cc_state_slab);
    if (!p) {
        CNT(st, tcp_cc_state_nomem);
        return false;
    }
    memset(p, 0, CC_PRIV_BYTES);
    t->cc.priv = p;
    /* The contract of cc.h: the state is attached, then init. Before ESTABLISHED the window is
     * not set yet: tcp_cc_init() calls init then. A connection that ran the stateless NewReno
     * keeps its window, as after a switch of algorithm (TCP_CONGESTION). */
    if (t->cc_ready) cc_ops_of(&t->cc)->init(&t->cc, st->now);
    return true;
}

const char *tcp_cc_algo_phase(const tcb *t)
{
    const cc_ops *ops = cc_algo_of(&t->cc);
    if (!ops->phase) return "";
    if (t->cc.priv) return ops->phase(&t->cc);
    /* Not a sender yet: the phase its algorithm starts in, from init on a scratch copy. */
    _Alignas(16) uint8_t scratch[CC_PRIV_BYTES] = {0};
    cc_conn c = t->cc;
    c.priv = scratch;
    ops->init(&c, 0);
    return ops->phase(&c); /* a string constant: it outlives the scratch state */
}

void tcp_cc_release(synack_stack *st, tcb *t)
{
    if (!t->cc.priv) return;
    slab_free(&st->cc_state_slab, t->cc.priv);
    t->cc.priv = NULL;
}
