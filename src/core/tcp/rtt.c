/* rtt.c: round-trip time estimation and the retransmission timeout (RFC 6298). Samples come from
 * one timed segment at a time, never from a retransmitted one (Karn's algorithm, RFC 6298 3). */
#include "stack_impl.h"

/* Clock granularity G of RFC 6298 2: our clock counts microseconds. */
#define RTT_GRANULARITY_US 1000u

void tcp_rtt_sample(synack_stack *st, tcb *t, synack_time_us rtt)
{
    if (rtt == 0) rtt = 1;
    uint32_t r32 = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
    if (t->min_rtt_us == 0 || r32 < t->min_rtt_us) t->min_rtt_us = r32;
    if (t->srtt_us == 0) { /* RFC 6298 2.2: first measurement */
        t->srtt_us = rtt;
        t->rttvar_us = rtt / 2;
    } else { /* RFC 6298 2.3, alpha = 1/8, beta = 1/4 */
        synack_time_us delta = t->srtt_us > rtt ? t->srtt_us - rtt : rtt - t->srtt_us;
        t->rttvar_us = (3 * t->rttvar_us + delta) / 4;
        t->srtt_us = (7 * t->srtt_us + rtt) / 8;
    }
    /* RTO = SRTT + max(G, K*RTTVAR) (RFC 6298 2.3). RFC 6298 2.4 then asks for a 1 s floor; like
     * Linux (tcp_rtt_estimator keeps mdev_max >= rto_min) we put the configurable 200 ms floor
     * under the variance term instead. A floor under the whole RTO left RTO ~= SRTT + 1 ms on a
     * steady 200 ms path: every ACK a little late became a spurious timeout. */
    synack_time_us var = 4 * t->rttvar_us;
    if (var < RTT_GRANULARITY_US) var = RTT_GRANULARITY_US;
    if (var < st->cfg.rto_min_us) var = st->cfg.rto_min_us;
    synack_time_us rto = t->srtt_us + var;
    if (rto > st->cfg.rto_max_us) rto = st->cfg.rto_max_us;
    t->rto_us = rto;
}

synack_time_us tcp_rto_backed_off(const synack_stack *st, const tcb *t)
{
    synack_time_us rto = t->rto_us;
    for (int i = 0; i < t->rexmt_shift && rto < st->cfg.rto_max_us; i++) rto *= 2; /* 5.5 */
    return rto > st->cfg.rto_max_us ? st->cfg.rto_max_us : rto;
}
