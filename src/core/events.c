/* events.c: the event ring (traces: the oldest is dropped when full, nobody depends on them) and
 * the bookkeeping every state change and timer shares: per-state transition counts, the illegal-
 * transition counter, and the traced event. */
#include "stack_impl.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

/* The slot i places after the head. The ring's size is configured, not a power of two, and a
 * division per event (every segment received queues or merges one) costs more than the rest
 * of the bookkeeping: head + i < 2 * cap, so one subtraction wraps it. */
static uint32_t ev_slot(const synack_stack *st, uint32_t i)
{
    uint64_t at = (uint64_t)st->ev_head + i, cap = st->cfg.eventq_len;
    return (uint32_t)(at >= cap ? at - cap : at);
}

void stack_event_push(synack_stack *st, const synack_event *ev)
{
    if (st->ev_len == st->cfg.eventq_len) { /* drop the oldest: traces, not control */
        st->ev_head = ev_slot(st, 1);
        st->ev_len--;
        CNT(st, event_overflow);
    }
    st->events[ev_slot(st, st->ev_len)] = *ev;
    st->ev_len++;
}

/* An event of one connection at the current time, in state `state` (from = to). */
static synack_event event_of(const synack_stack *st, uint32_t conn_id, int sd, int type, int state,
                             const synack_endpoint *local, const synack_endpoint *remote)
{
    synack_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time = st->now;
    ev.conn_id = conn_id;
    ev.socket = sd;
    ev.type = (uint8_t)type;
    ev.from = ev.to = (uint8_t)state;
    ev.local = *local;
    ev.remote = *remote;
    ev.prev_state_us = SYNACK_TIME_NEVER;
    return ev;
}

void stack_event_simple(synack_stack *st, tcb *t, int type, int err)
{
    /* "Data arrived" (or "room freed") once per run: the same news for the same socket, back to
     * back and not yet taken, is not queued again. A bulk flow queued a 72-byte record per
     * segment that told its reader nothing new; the reader still sees every run. */
    if ((type == SYNACK_EV_READABLE || type == SYNACK_EV_WRITABLE) && st->ev_len) {
        synack_event *last = &st->events[ev_slot(st, st->ev_len - 1)];
        if (last->type == type && last->conn_id == t->id && last->socket == t->sd) {
            last->time = st->now;
            return;
        }
    }
    synack_event ev = event_of(st, t->id, t->sd, type, t->state, &t->local, &t->remote);
    ev.err = err;
    stack_event_push(st, &ev);
}

void stack_note_transition(synack_stack *st, uint32_t conn_id, int sd, const synack_endpoint *local,
                           const synack_endpoint *remote, int from, int to, synack_cause cause,
                           synack_time_us from_since)
{
    /* An illegal transition is a bug in a caller: counted in a running stack (tests assert the
     * counter stays zero), fatal in checked builds. */
    if (!tcp_transition_legal(from, to)) {
        CNT(st, tcp_illegal_transition);
        CHECK_INV(!"illegal state transition");
    }
    st->transitions[from][to]++;
    CNT(st, tcp_state_changes);
    synack_event ev = event_of(st, conn_id, sd, SYNACK_EV_STATE, to, local, remote);
    ev.from = (uint8_t)from;
    ev.cause = cause;
    /* The time in the old state, as bcc's tcpstates reports it (a trace reader needs it; the
     * entry time is not otherwise visible once the state is left). */
    if (from_since != SYNACK_TIME_NEVER) ev.prev_state_us = st->now >= from_since ? st->now - from_since : 0;
    stack_event_push(st, &ev);
}

void synack_trace_set(synack_stack *st, unsigned mask)
{
    st->trace_mask = mask & (SYNACK_TRACE_RETRANSMITS | SYNACK_TRACE_DROPS | SYNACK_TRACE_CC);
}

unsigned synack_trace_get(const synack_stack *st) { return st->trace_mask; }

void stack_drop_event(synack_stack *st, int counter, uint32_t conn_id, int state, const synack_endpoint *local,
                      const synack_endpoint *remote, const tcp_seg *seg)
{
    synack_event ev = event_of(st, conn_id, -1, SYNACK_EV_DROP, state, local, remote);
    ev.reason = (uint16_t)counter;
    if (seg) {
        ev.seq = seg->seq;
        ev.len = (uint32_t)seg->len;
        ev.cause.detail = seg->flags;
    }
    stack_event_push(st, &ev);
}

void stack_rexmit_event(synack_stack *st, const tcb *t, int reason, uint32_t seq, uint32_t len)
{
    synack_event ev = event_of(st, t->id, t->sd, SYNACK_EV_RETRANSMIT, t->state, &t->local, &t->remote);
    ev.reason = (uint16_t)reason;
    ev.seq = seq;
    ev.len = len;
    if (reason == SYNACK_REXMIT_TIMEOUT) ev.cause = cause_timer(SYNACK_TIMER_REXMT);
    stack_event_push(st, &ev);
}

void stack_cc_event(synack_stack *st, const tcb *t, int reason, int from, int to)
{
    synack_event ev = event_of(st, t->id, t->sd, SYNACK_EV_CC, t->state, &t->local, &t->remote);
    ev.reason = (uint16_t)reason;
    ev.cc_algo = t->cc.algo;
    ev.cc_from = (uint8_t)from;
    ev.cc_to = (uint8_t)to;
    ev.cwnd = t->cc.cwnd;
    ev.ssthresh = t->cc.ssthresh;
    ev.pacing_rate = t->cc.pacing_rate;
    stack_event_push(st, &ev);
}

void stack_timer_event(synack_stack *st, uint32_t conn_id, int sd, int state, const synack_endpoint *local,
                       const synack_endpoint *remote, int timer)
{
    synack_event ev = event_of(st, conn_id, sd, SYNACK_EV_TIMER, state, local, remote);
    ev.cause = cause_timer(timer);
    stack_event_push(st, &ev);
}

bool synack_event_next(synack_stack *st, synack_event *ev)
{
    if (st->ev_len == 0) return false;
    *ev = st->events[st->ev_head];
    st->ev_head = ev_slot(st, 1);
    st->ev_len--;
    return true;
}

