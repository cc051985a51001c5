/* timewait.h: TIME-WAIT as a compact record instead of a TCB, as Linux's tcp_timewait_sock and
 * FreeBSD's tcptw do. An orphaned connection that reaches TIME-WAIT keeps only what the state
 * needs (RFC 9293 3.10.7.4): the 4-tuple, SND.NXT, RCV.NXT and the window we offered, the
 * timestamp state for PAWS and for RFC 6191, and its 2*MSL deadline. Records live in their own
 * slab, hash and deadline-ordered list: all 2*MSL timers have the same length, so the list is
 * FIFO and expiry is O(1) per record, with no heap and no scan. */
#ifndef SYNACK_TIMEWAIT_H
#define SYNACK_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include <synack/types.h>

#include "util/htable.h"
#include "util/slab.h"

typedef struct tw_rec {
    hnode hn;                       /* in tw_table.hash, keyed like connections */
    struct tw_rec *prev, *next;     /* by deadline, earliest first */
    synack_time_us deadline;        /* 2*MSL after the last FIN */
    synack_endpoint local, remote;
    uint32_t id;                    /* the connection's id, kept for traces and netstat */
    uint32_t snd_nxt, rcv_nxt;
    uint32_t rcv_wnd;               /* window we offered, bytes (acceptability, our ACKs) */
    uint32_t ts_recent, ts_offset;  /* RFC 7323: TS.Recent; our clock's offset */
    uint32_t ts_recent_sec;         /* when TS.Recent was last updated, seconds of st->now */
    uint8_t rcv_wscale;
    bool ts_ok;
} tw_rec;

typedef struct tw_table {
    slab recs;
    htable hash;
    tw_rec *head, *tail;
    uint32_t count;
} tw_table;

typedef struct synack_stack synack_stack;
typedef struct tcb tcb;
typedef struct tcp_seg tcp_seg;

bool tcp_tw_init(synack_stack *st);
void tcp_tw_destroy(synack_stack *st);
/* Replaces an orphaned TCB in TIME-WAIT, with nothing left to send, by a record; the TCB is
 * freed. When the record table is full (max_time_wait) the connection closes at once, as Linux
 * does on "time wait bucket table overflow". */
void tcp_tw_replace(synack_stack *st, tcb *t);
tw_rec *tcp_tw_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
tw_rec *tcp_tw_lookup_hashed(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                             uint32_t h);
/* SEGMENT ARRIVES in TIME-WAIT. Returns true when the record let a new SYN through (RFC 6191 or
 * RFC 9293 3.6.1) and is gone: the caller hands the SYN to the listener, with *iss_floor the
 * sequence number the new ISN must exceed. */
bool tcp_tw_input(synack_stack *st, tw_rec *w, const tcp_seg *seg, uint32_t *iss_floor);
/* connect() to a 4-tuple a record holds: true (and the record is gone, *iss_floor set) when it may
 * be reused: timestamps were on and at least a second passed since the peer's last one (PAWS
 * then protects the new incarnation), as Linux's tcp_tw_reuse. */
bool tcp_tw_reuse(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                  uint32_t *iss_floor);
/* For choosing a port (h: the 4-tuple's hash): false when a record holds it and may not be reused yet. */
bool tcp_tw_reusable(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote, uint32_t h);
/* Ends every record whose 2*MSL has passed. */
void tcp_tw_expire(synack_stack *st);
synack_time_us tcp_tw_next_deadline(const synack_stack *st);

#endif
