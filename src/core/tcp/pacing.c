/* pacing.c: pacing as a deadline. When the congestion control sets a pacing rate, each data
 * segment moves the connection's next permitted send time on by its length at that rate;
 * tcp_output sends while that time has come and otherwise arms SYNACK_TIMER_PACING for it.
 * The core never sleeps nor reads a clock: the driver sees one more deadline. A quantum (the
 * larger of 1 ms at the rate and two segments, as Linux's fq and tcp_tso_autosize) may go at
 * once, so that a deadline is served per burst rather than per segment. Pure ACKs, SYNs and
 * FIN-only segments are not paced. */
#include "stack_impl.h"

#define NS_PER_S 1000000000u

/* The quantum in nanoseconds of sending at the pacing rate. */
static uint64_t quantum_ns(const tcb *t)
{
    uint64_t rate = t->cc.pacing_rate;
    uint64_t two_segs = (uint64_t)2 * tcp_data_mss(t) * NS_PER_S / rate;
    return two_segs > 1000000u ? two_segs : 1000000u;
}

bool tcp_pace_allows(const synack_stack *st, const tcb *t)
{
    if (!t->cc.pacing_rate) return true;
    return t->pace_next_ns <= st->now * 1000u + quantum_ns(t);
}

void tcp_pace_sent(const synack_stack *st, tcb *t, uint32_t len)
{
    if (!t->cc.pacing_rate || !len) return;
    uint64_t now_ns = st->now * 1000u;
    /* Idle time gives no credit beyond the quantum: the schedule restarts at now. */
    if (t->pace_next_ns < now_ns) t->pace_next_ns = now_ns;
    t->pace_next_ns += (uint64_t)len * NS_PER_S / t->cc.pacing_rate;
}

void tcp_pace_wait(synack_stack *st, tcb *t)
{
    uint64_t at_ns = t->pace_next_ns - quantum_ns(t);
    synack_time_us at = (at_ns + 999u) / 1000u; /* round up: the timer never fires too early */
    if (at <= st->now) at = st->now + 1;
    if (t->deadline[SYNACK_TIMER_PACING] != at) tcp_timer_arm(st, t, SYNACK_TIMER_PACING, at);
}
