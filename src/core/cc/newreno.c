/* newreno.c: RFC 5681 slow start and congestion avoidance with the RFC 6582 / RFC 6675 response
 * to loss (ssthresh = half of what was in flight). The recovery itself (fast retransmit, window
 * inflation, partial ACKs) is tcp/recovery.c's. */
#include "cc/cc.h"

#include <assert.h>
#include <string.h>

typedef struct newreno {
    uint32_t bytes_acked; /* congestion avoidance: bytes acknowledged toward the next MSS */
} newreno;
static_assert(sizeof(newreno) <= CC_PRIV_BYTES, "newreno state fits cc_conn");

static newreno *state(cc_conn *c) { return (newreno *)c->priv; }

static void nr_init(cc_conn *c, synack_time_us now)
{
    (void)now;
    memset(c->priv, 0, sizeof(newreno));
    c->pacing_rate = 0; /* not paced (a switch from BBR stops pacing) */
}

static void nr_on_ack(cc_conn *c, const cc_ack *a)
{
    /* No growth while the application, not the window, limits the sender (RFC 7661 4.3). */
    if (a->in_recovery || a->app_limited) return;
    if (c->cwnd < c->ssthresh) {
        /* Slow start with appropriate byte counting, L = 1 (RFC 5681 3.1, RFC 3465). */
        c->cwnd += a->acked < c->mss ? a->acked : c->mss;
    } else {
        /* Congestion avoidance: one MSS per window of data acknowledged (RFC 5681 3.1). */
        newreno *s = state(c);
        s->bytes_acked += a->acked;
        if (s->bytes_acked >= c->cwnd) {
            s->bytes_acked -= c->cwnd;
            c->cwnd += c->mss;
        }
    }
    if (c->cwnd > CC_CWND_MAX) c->cwnd = CC_CWND_MAX;
}

/* RFC 5681's response, shared with the stateless variant. */
static void reno_on_congestion(cc_conn *c, enum cc_event ev, bool first_timeout, const cc_ack *a)
{
    if (ev == CC_EV_RTO) {
        if (first_timeout) c->ssthresh = cc_half_flight(c, a->prior_in_flight); /* RFC 5681 (4) */
        c->cwnd = c->mss; /* loss window, RFC 5681 3.1 */
        return;
    }
    c->ssthresh = cc_half_flight(c, a->prior_in_flight); /* RFC 5681 (4), RFC 3168 6.1.2 */
    c->cwnd = c->ssthresh;
}

static void nr_on_congestion(cc_conn *c, enum cc_event ev, bool first_timeout, const cc_ack *a)
{
    state(c)->bytes_acked = 0;
    reno_on_congestion(c, ev, first_timeout, a);
}

static void nr_on_recovery_end(cc_conn *c, const cc_ack *a)
{
    (void)a;
    state(c)->bytes_acked = 0;
}

static const char *nr_phase(const cc_conn *c)
{
    return c->cwnd < c->ssthresh ? "slow-start" : "congestion-avoidance";
}

const cc_ops cc_newreno = {
    .name = "newreno",
    .init = nr_init,
    .on_ack = nr_on_ack,
    .on_congestion = nr_on_congestion,
    .on_recovery_end = nr_on_recovery_end,
    .phase = nr_phase,
};

/* NewReno with no private state, for a connection that has none attached (cc/cc.h): one that
 * never had data to send (its FIN, an ECE) or whose pool had no block left (tcp/cc_state.c).
 * Congestion avoidance by RFC 5681 (3), cwnd += SMSS*SMSS/cwnd per ACK, which needs no counter;
 * the response to loss is NewReno's. */
static void nrs_init(cc_conn *c, synack_time_us now)
{
    (void)now;
    c->pacing_rate = 0;
}

static void nrs_on_ack(cc_conn *c, const cc_ack *a)
{
    if (a->in_recovery || a->app_limited || !a->acked) return;
    if (c->cwnd < c->ssthresh) {
        c->cwnd += a->acked < c->mss ? a->acked : c->mss;
    } else {
        uint32_t inc = (uint32_t)((uint64_t)c->mss * c->mss / (c->cwnd ? c->cwnd : 1));
        c->cwnd += inc ? inc : 1; /* RFC 5681 3.1: "at least 1 byte" */
    }
    if (c->cwnd > CC_CWND_MAX) c->cwnd = CC_CWND_MAX;
}

const cc_ops cc_newreno_stateless = {
    .name = "newreno",
    .init = nrs_init,
    .on_ack = nrs_on_ack,
    .on_congestion = reno_on_congestion,
    .phase = nr_phase,
};
