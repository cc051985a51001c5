/* cc_trace.c: the congestion control phase of a connection, as `synack trace` and netstat -e
 * show it: the congestion response TCP has on (fast recovery, the go-back after a timeout, an
 * ECN reduction), else the algorithm's own phase (cc_ops.phase). The phase is computed only when
 * someone subscribed to SYNACK_TRACE_CC (or netstat asks); a connection remembers the last one
 * traced in one byte so that an event says where it came from. */
#include <string.h>

#include "stack_impl.h"

/* The algorithm's phase text as the public enum: the names are the ones event.h lists. */
static int algo_phase(const tcb *t)
{
    const char *name = tcp_cc_algo_phase(t); /* the chosen algorithm's, state or not */
    if (!*name) return SYNACK_CC_OTHER;
    for (int p = SYNACK_CC_SLOW_START; p < SYNACK_CC_RECOVERY; p++)
        if (!strcmp(name, synack_cc_phase_name(p))) return p;
    return SYNACK_CC_OTHER;
}

int tcp_cc_phase(const tcb *t)
{
    if (!t->cc_ready) return SYNACK_CC_NONE;
    if (t->in_recovery) return SYNACK_CC_RECOVERY;
    /* After a timeout RECOVER is SND.MAX of then (RFC 6582 4); an undo or the ACK of it all
     * brings it back to SND.UNA. */
    if (seq_lt(t->snd_una, t->recover)) return SYNACK_CC_LOSS;
    if (t->ecn_reduced) return SYNACK_CC_CWR;
    return algo_phase(t);
}

static bool is_response(int phase)
{
    return phase == SYNACK_CC_RECOVERY || phase == SYNACK_CC_LOSS || phase == SYNACK_CC_CWR;
}

void tcp_cc_trace(synack_stack *st, tcb *t, int reason)
{
    int from = t->cc_phase_seen, to = tcp_cc_phase(t);
    /* Responses and undos are news even within one phase (a second timeout, an ECE in
     * recovery's shadow, a restored window); the algorithm's moves only when the phase moves. */
    bool always = reason != SYNACK_CC_REASON_ACK && reason != SYNACK_CC_REASON_RECOVERED;
    if (from == to && !always) return;
    if (reason == SYNACK_CC_REASON_ACK && is_response(from) && !is_response(to))
        reason = SYNACK_CC_REASON_RECOVERED;
    t->cc_phase_seen = (uint8_t)to;
    stack_cc_event(st, t, reason, from, to);
}
