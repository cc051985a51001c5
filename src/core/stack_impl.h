/* stack_impl.h: the stack object and its shared services (lookup, output queue, events, counters,
 * timer heap, sockets). Everything per stack, nothing global: many stacks live in one process. */
#ifndef SYNACK_STACK_IMPL_H
#define SYNACK_STACK_IMPL_H

#include <synack/conn.h>
#include <synack/inspect.h>
#include <synack/stack.h>

#include "ip/reass.h"
#include "tcp/buffers.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"
#include "util/alloc.h"
#include "util/htable.h"
#include "util/siphash.h"
#include "util/slab.h"

/* Keys derived from cfg.secret, one per use, so that learning one output reveals no other. */
typedef struct stack_keys {
    siphash_key isn, ts, port, port_index, hash, cookie, challenge;
} stack_keys;
enum { KEY_LABEL_ISN = 1, KEY_LABEL_TS, KEY_LABEL_PORT, KEY_LABEL_HASH, KEY_LABEL_COOKIE,
       KEY_LABEL_PORT_INDEX, KEY_LABEL_CHALLENGE };

/* RFC 6056 3.3.4 Algorithm 4: the table of perturbation counters (tcp/port.c). */
enum { PORT_TABLE_LEN = 1024 };

/* Direct output (outdirect.c): while synack_output_iov() builds one packet, emit() writes its
 * headers into the caller's buffer instead of the output queue and leaves the data where it is,
 * in the send ring (at most two pieces: the ring may wrap). buf is NULL outside that call. */
typedef struct out_direct {
    uint8_t *buf;
    size_t cap;
    bool used;                    /* the one packet of this call is built */
    size_t hdr_len;               /* bytes in buf */
    uint16_t gso_size, csum_start;
    const uint8_t *piece[2];
    uint32_t piece_len[2];
} out_direct;

/* Connections made from a SYN cookie that ended while their cookie could still validate: a
 * replay of their final ACK must not open them again (syncookie.c). Bounded; oldest first out. */
enum { COOKIE_ENDED_MAX = 256 };
typedef struct cookie_ended {
    uint64_t tag;                 /* SipHash of the 4-tuple, ISS and IRS */
    synack_time_us until;         /* the cookie can no longer validate after this */
} cookie_ended;

struct synack_stack {
    synack_config cfg;
    synack_time_us now;
    stack_keys keys;

    /* Connections: a slab of TCBs (grows and shrinks with the load, capped by max_conns), a list
     * of all of them for the rare walks (netstat, teardown), and the 4-tuple / listener hash. */
    slab tcb_slab;
    slab cc_state_slab;   /* congestion control private state, for senders only (cc_state.c) */
    tcb *all_head;
    uint32_t conns_in_use, conns_high, next_conn_id; /* TIME-WAIT records included */
    htable conns;

    /* Compact TIME-WAIT records (tcp/timewait.c). */
    tw_table tw;

    /* Receive and send buffers and range sets, by size class (tcp/buffers.c). */
    bufpool bufs;

    /* The socket layer's slot (synack/conn.h): its descriptor table lives above the core. */
    void *user;
    const synack_user_ops *user_ops;

    /* Timer heap of tcbs keyed by their earliest deadline; the array doubles and halves. */
    tcb **heap;
    uint32_t heap_len, heap_cap;

    /* Outbound packet queue: [u16 length][u16 gso_size][u16 csum_start][packet] records in a
     * byte ring (OUTQ_REC_HDR bytes of header). */
    ring outq;
    uint8_t *outq_mem;
    uint32_t outq_count;
    tcb *pending_head, *pending_tail; /* connections that wanted to send into a full queue */
    bool outq_blocked;            /* the queue filled: pending output waits until it is empty */
    out_direct direct;            /* outdirect.c */
    uint64_t pending_visits;      /* connections taken off the pending list (work done, tests) */
    tcb *recent;                  /* the connection the last lookup found (cleared when it is
                                     unhashed): a bulk flow's segments skip the keyed hash */

    /* Events ring. */
    synack_event *events;
    uint32_t ev_head, ev_len;
    unsigned trace_mask;          /* SYNACK_TRACE_*: which per-segment events to queue */

    uint64_t counters[SYNACK_COUNTER_COUNT];
    uint64_t transitions[SYNACK_STATE_COUNT][SYNACK_STATE_COUNT];
    size_t buffer_bytes, buffer_bytes_high;
    uint16_t port_table[PORT_TABLE_LEN]; /* tcp/port.c: RFC 6056 3.3.4 table[] */
    uint64_t port_draws;                 /* tcp/port.c: counter of the keyed step stream */
    uint16_t ip_id;
    uint32_t icmp_tokens;         /* echo-reply token bucket */
    synack_time_us icmp_refill_at;
    /* RFC 5961 10 challenge-ACK budget of the current one-second window (input.c). */
    uint64_t challenge_window;    /* window number + 1; 0 = no window yet */
    uint32_t challenge_left;
    cookie_ended cookie_ended[COOKIE_ENDED_MAX];
    uint32_t cookie_ended_next;
    uint32_t frag6_id;            /* IPv6 fragment identification counter (hashed, RFC 7739) */
    reass_state reass;            /* IP reassembly (ip/reass.c) */
    rate_sample rs;               /* tcp/txlog.c: the delivery-rate sample of the ACK at hand */
};

enum { HASH_NONE, HASH_TUPLE, HASH_LISTENER };
enum { OUTQ_REC_HDR = 6 };

#define CNT(st, name) ((st)->counters[SYNACK_CNT_##name]++)
/* A dropped arriving segment: counted always, traced (with the segment's 4-tuple as the
 * connection sees it, conn_id 0 when none) only while someone subscribed to drops. */
#define DROP(st, name, conn_id, state, local, remote, seg)                                       \
    do {                                                                                         \
        CNT(st, name);                                                                           \
        if ((st)->trace_mask & SYNACK_TRACE_DROPS)                                               \
            stack_drop_event(st, SYNACK_CNT_##name, conn_id, state, local, remote, seg);          \
    } while (0)
/* The same for a connection's own segment. */
#define DROP_T(st, name, t, seg) DROP(st, name, (t)->id, (t)->state, &(t)->local, &(t)->remote, seg)

/* The hash of a 4-tuple (listeners: local port alone), keyed by keys.hash. */
uint32_t stack_tuple_hash(const synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
/* Lookup: exact 4-tuple first, then a listener on the local port. */
tcb *stack_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
tcb *stack_lookup_listener(synack_stack *st, const synack_endpoint *local);
/* The same with the tuple's hash already computed (input looks in two tables with it). */
tcb *stack_lookup_hashed(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote, uint32_t h);
/* The connection of the last successful lookup when it has this 4-tuple, else NULL: O(1), no
 * hash (the segments of one flow arrive back to back). */
tcb *stack_lookup_recent(const synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
void stack_hash_insert(synack_stack *st, tcb *t);
void stack_hash_remove(synack_stack *st, tcb *t);
/* True when some connection or listener uses this local endpoint (for bind/EADDRINUSE). */
bool stack_local_in_use(synack_stack *st, const synack_endpoint *local, bool reuseaddr);
/* tcp/port.c: an ephemeral port for a connection to remote (RFC 6056 3.3.4), or for bind() when
 * remote->port is 0; 0 when every port of the range is taken. */
uint16_t stack_ephemeral_port(synack_stack *st, const synack_endpoint *remote);

/* Output queue (outq.c): reserve room for a packet of up to len bytes; NULL when full. */
uint8_t *stack_outq_reserve(synack_stack *st, size_t len);
void stack_outq_commit(synack_stack *st, size_t len);
/* Commits a packet with offload needs: gso_size > 0 for a TCP super-segment, csum_start > 0
 * (the IP header length) when its TCP checksum is partial. */
void stack_outq_commit_meta(synack_stack *st, size_t len, uint16_t gso_size, uint16_t csum_start);
void stack_pending_add(synack_stack *st, tcb *t);
/* Takes t off the pending list, wherever it is (O(1)); nothing when it is not on it. */
void stack_pending_remove(synack_stack *st, tcb *t);
/* Takes the first connection off the (non-empty) pending list and builds its output; true when
 * it had to wait again (back on the list), false when it is done. */
bool stack_pending_output(synack_stack *st);
/* Takes the next queued packet (no pending output is built); 0 when the queue is empty. */
size_t stack_outq_pop(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta);

/* outdirect.c: inside synack_output_iov(), emit() takes its data in place (out_direct_data)
 * instead of copying it; a connection that has more to send goes back to the head of the
 * pending list (out_direct_requeue) for the next call. */
static inline bool out_direct_active(const synack_stack *st) { return st->direct.buf != NULL; }
/* Records len bytes at offset off of ring r as the packet's data and returns their sum when
 * sum is set (one pass over the data, no copy). */
uint32_t out_direct_data(synack_stack *st, const ring *r, uint32_t off, uint32_t len, bool sum);
void out_direct_requeue(synack_stack *st, tcb *t);
/* Output for this connection is built when the driver next takes packets, so that a batch of
 * input segments is answered by one ACK (RFC 9293 3.10.7.4, MUST-58/59). */
void stack_output_later(synack_stack *st, tcb *t);
/* Takes the next queued packet (building pending output first); 0 when none (synack_output_meta). */
size_t stack_outq_take(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta);

void stack_event_push(synack_stack *st, const synack_event *ev);
/* Per-segment trace events (only called when st->trace_mask asks for them: see DROP). */
void stack_drop_event(synack_stack *st, int counter, uint32_t conn_id, int state, const synack_endpoint *local,
                      const synack_endpoint *remote, const tcp_seg *seg);
void stack_rexmit_event(synack_stack *st, const tcb *t, int reason, uint32_t seq, uint32_t len);
void stack_cc_event(synack_stack *st, const tcb *t, int reason, int from, int to);
#define REXMIT_TRACE(st, t, reason, seq, len)                                                    \
    do {                                                                                         \
        if ((st)->trace_mask & SYNACK_TRACE_RETRANSMITS)                                         \
            stack_rexmit_event(st, t, SYNACK_REXMIT_##reason, seq, len);                         \
    } while (0)
/* Congestion control events (tcp/cc_trace.c), queued only while someone subscribes. */
#define CC_TRACE(st, t, reason)                                                                  \
    do {                                                                                         \
        if ((st)->trace_mask & SYNACK_TRACE_CC) tcp_cc_trace(st, t, SYNACK_CC_REASON_##reason);  \
    } while (0)
void stack_event_simple(synack_stack *st, tcb *t, int type, int err);

/* Timer heap. */
void stack_heap_update(synack_stack *st, tcb *t);
void stack_heap_remove(synack_stack *st, tcb *t);

/* The state-change bookkeeping every transition shares, for TCBs and TIME-WAIT records alike:
 * counts it, flags an illegal one, and queues the traced event. */
void stack_note_transition(synack_stack *st, uint32_t conn_id, int sd, const synack_endpoint *local,
                           const synack_endpoint *remote, int from, int to, synack_cause cause,
                           synack_time_us from_since);
/* Queues a timer-fired event. */
void stack_timer_event(synack_stack *st, uint32_t conn_id, int sd, int state, const synack_endpoint *local,
                       const synack_endpoint *remote, int timer);

void stack_buffer_account(synack_stack *st, long delta);

#endif
