/* stack_impl.h: the stack object and its shared services (lookup, output queue, events, counters,
 * timer heap, sockets). Everything per stack, nothing global: many stacks live in one process. */
#ifndef SYNACK_STACK_IMPL_H
#define SYNACK_STACK_IMPL_H

#include <synack/inspect.h>
#include <synack/stack.h>

#include "ip/reass.h"
#include "tcp/tcb.h"
#include "util/siphash.h"

typedef struct sock_slot {
    tcb *t;        /* NULL when the descriptor is free */
    int next_free;
} sock_slot;

/* Keys derived from cfg.secret, one per use, so that learning one output reveals no other. */
typedef struct stack_keys {
    siphash_key isn, ts, port, hash, cookie;
} stack_keys;
enum { KEY_LABEL_ISN = 1, KEY_LABEL_TS, KEY_LABEL_PORT, KEY_LABEL_HASH, KEY_LABEL_COOKIE };

struct synack_stack {
    synack_config cfg;
    synack_time_us now;
    stack_keys keys;

    /* Connection pool and 4-tuple / listener lookup (chained hash, O(1)). */
    tcb *tcbs;
    tcb *free_tcbs;           /* linked through hnext */
    uint32_t conns_in_use, conns_high, next_conn_id;
    tcb **hash;
    uint32_t hash_mask;

    /* Sockets: descriptor -> tcb. */
    sock_slot *socks;
    int free_sock, sockets_in_use;

    /* Timer heap of tcbs keyed by their earliest deadline. */
    tcb **heap;
    uint32_t heap_len;

    /* Outbound packet queue: [u16 length][packet] records in a byte ring. */
    ring outq;
    uint8_t *outq_mem;
    uint32_t outq_count;
    tcb *pending_head, *pending_tail; /* connections that wanted to send into a full queue */

    /* Events ring. */
    synack_event *events;
    uint32_t ev_head, ev_len;

    uint64_t counters[SYNACK_COUNTER_COUNT];
    uint64_t transitions[SYNACK_STATE_COUNT][SYNACK_STATE_COUNT];
    size_t buffer_bytes, buffer_bytes_high;
    uint32_t ephemeral_next;
    uint16_t ip_id;
    uint32_t icmp_tokens;         /* echo-reply token bucket */
    synack_time_us icmp_refill_at;
    uint32_t frag6_id;            /* IPv6 fragment identification counter (hashed, RFC 7739) */
    reass_state reass;            /* IP reassembly (ip/reass.c) */
};

enum { HASH_NONE, HASH_TUPLE, HASH_LISTENER };

#define CNT(st, name) ((st)->counters[SYNACK_CNT_##name]++)

/* Lookup: exact 4-tuple first, then a listener on the local port. */
tcb *stack_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
tcb *stack_lookup_listener(synack_stack *st, const synack_endpoint *local);
void stack_hash_insert(synack_stack *st, tcb *t);
void stack_hash_remove(synack_stack *st, tcb *t);
/* True when some connection or listener uses this local endpoint (for bind/EADDRINUSE). */
bool stack_local_in_use(synack_stack *st, const synack_endpoint *local, bool reuseaddr);
uint16_t stack_ephemeral_port(synack_stack *st, const synack_endpoint *remote);

/* Output queue: reserve room for a packet of up to len bytes; NULL when full. */
uint8_t *stack_outq_reserve(synack_stack *st, size_t len);
void stack_outq_commit(synack_stack *st, size_t len);
void stack_pending_add(synack_stack *st, tcb *t);
/* Output for this connection is built when the driver next takes packets, so that a batch of
 * input segments is answered by one ACK (RFC 9293 3.10.7.4, MUST-58/59). */
void stack_output_later(synack_stack *st, tcb *t);

void stack_event_push(synack_stack *st, const synack_event *ev);
void stack_event_simple(synack_stack *st, tcb *t, int type, int err);

/* Timer heap. */
void stack_heap_update(synack_stack *st, tcb *t);
void stack_heap_remove(synack_stack *st, tcb *t);

void stack_buffer_account(synack_stack *st, long delta);

#endif
