/* cubic.c: CUBIC (RFC 9438) with HyStart++ (RFC 9406, hystart.c) for slow start. The window
 * follows W_cubic(t) = C * (t - K)^3 + W_max (RFC 9438 4.2) between congestion events, never
 * below the Reno-friendly estimate W_est (4.3); beta 0.7, C 0.4, fast convergence (4.7).
 * Windows are kept in segments as the RFC writes them (double) and handed to TCP in bytes.
 * Loss recovery itself is tcp/recovery.c's; this file only answers with windows. */
#include "cc/cc.h"
#include "cc/hystart.h"

#include <assert.h>
#include <string.h>

#define BETA_CUBIC 0.7 /* RFC 9438 4.6 */
#define C_CUBIC 0.4    /* RFC 9438 5 */
/* RFC 9438 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta). */
#define ALPHA_CUBIC (3.0 * (1.0 - BETA_CUBIC) / (1.0 + BETA_CUBIC))

typedef struct cubic {
    double w_max;          /* segments: window just before the last reduction (4.6, 4.7) */
    double k_s;            /* seconds for W_cubic to climb back to W_max (4.2 Figure 2) */
    double cwnd_epoch;     /* segments: cwnd when the congestion avoidance stage began */
    double w_est;          /* segments: Reno-friendly estimate (4.3) */
    double cwnd_prior;     /* segments: cwnd at the last congestion event (4.3 alpha switch) */
    double grow_frac;      /* bytes of growth not yet whole */
    synack_time_us t_epoch;/* start of the congestion avoidance stage, when epoch_on */
    synack_time_us last_ack;
    double undo_w_max, undo_cwnd_prior; /* before the last congestion event (4.9) */
    bool epoch_on;         /* a congestion avoidance stage is running */
    bool reno_region;      /* the last update took W_est (for the phase name) */
    hystart hs;
} cubic;
static_assert(sizeof(cubic) <= CC_PRIV_BYTES, "cubic state fits cc_conn");

static cubic *state(cc_conn *c) { return (cubic *)c->priv; }
static const cubic *cstate(const cc_conn *c) { return (const cubic *)c->priv; }

/* Cube root by Newton's method (no libm in the core); called once per congestion epoch. */
static double cube_root(double x)
{
    if (x <= 0) return 0;
    double r = x > 1 ? x / 3 : 1;
    for (int i = 0; i < 200; i++) {
        double next = (2 * r + x / (r * r)) / 3;
        if (next == r || (next > r ? next - r : r - next) < r * 1e-12) return next;
        r = next;
    }
    return r;
}

double cubic_w(double w_max, double k_s, double t_s)
{
    double d = t_s - k_s;
    return C_CUBIC * d * d * d + w_max; /* RFC 9438 Figure 1 */
}

double cubic_k(double w_max, double cwnd_epoch)
{
    return cube_root((w_max - cwnd_epoch) / C_CUBIC); /* RFC 9438 Figure 2 */
}

static void cubic_init(cc_conn *c, synack_time_us now)
{
    (void)now;
    cubic *s = state(c);
    memset(s, 0, sizeof *s);
    hystart_init(&s->hs);
    c->pacing_rate = 0; /* not paced (measured: bench/cc_sim.c); a switch from BBR stops it */
    /* A switch from another algorithm mid-connection: slow start is over if ssthresh was set. */
    if (c->ssthresh < CC_CWND_MAX) hystart_on_congestion(&s->hs);
}

/* RFC 9438 4.2: a congestion avoidance stage begins at its first ACK. */
static void start_epoch(cubic *s, const cc_conn *c, synack_time_us now)
{
    double cwnd = (double)c->cwnd / c->mss;
    s->t_epoch = now;
    s->epoch_on = true;
    s->cwnd_epoch = cwnd;
    s->w_est = cwnd;
    s->grow_frac = 0;
    /* Above the last W_max (first stage after slow start, or after a timeout, 4.8): K = 0 and
     * the curve starts at this window, as Linux's bic_origin_point. */
    if (s->w_max < cwnd) s->w_max = cwnd;
    s->k_s = cubic_k(s->w_max, cwnd);
}

/* RFC 9438 4.2-4.5: one ACK in congestion avoidance. */
static void congestion_avoidance(cubic *s, cc_conn *c, const cc_ack *a, uint32_t acked)
{
    if (!acked) return;
    if (!s->epoch_on) start_epoch(s, c, a->now);
    double mss = c->mss, cwnd = (double)c->cwnd / mss, segs = acked / mss;
    double rtt_s = (double)(a->srtt_us ? a->srtt_us : 100000) / 1e6;
    double t_s = (double)(a->now - s->t_epoch) / 1e6;
    /* 4.3: W_est grows by alpha per window acknowledged; alpha is 1 once W_est reached the
     * window of the last congestion event. */
    double alpha = s->w_est >= s->cwnd_prior ? 1.0 : ALPHA_CUBIC;
    s->w_est += alpha * segs / cwnd;
    double target;
    if (cubic_w(s->w_max, s->k_s, t_s) < s->w_est) {
        target = s->w_est; /* 4.3 Reno-friendly region: cwnd = W_est */
        s->reno_region = true;
    } else {
        /* 4.4, 4.5: aim at W_cubic(t + RTT), no higher than 1.5 cwnd, and move a fraction
         * (target - cwnd) / cwnd of a segment per segment acknowledged. */
        double w = cubic_w(s->w_max, s->k_s, t_s + rtt_s);
        if (w < cwnd) w = cwnd;
        if (w > 1.5 * cwnd) w = 1.5 * cwnd;
        target = cwnd + (w - cwnd) / cwnd * segs;
        s->reno_region = false;
    }
    double grow = (target - cwnd) * mss + s->grow_frac;
    if (grow < 1) {
        s->grow_frac = grow > 0 ? grow : 0;
        return;
    }
    uint32_t whole = grow > (double)CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)grow;
    s->grow_frac = grow - whole;
    c->cwnd = c->cwnd > CC_CWND_MAX - whole ? CC_CWND_MAX : c->cwnd + whole;
}

static void cubic_on_ack(cc_conn *c, const cc_ack *a)
{
    cubic *s = state(c);
    synack_time_us last = s->last_ack;
    s->last_ack = a->now;
    if (a->in_recovery) return;
    if (a->app_limited) {
        /* RFC 9438 5.8: no growth while the application limits the sender, and t does not
         * count such periods: the epoch moves forward by them. */
        if (s->epoch_on && last && a->now > last) s->t_epoch += a->now - last;
        return;
    }
    uint32_t acked = a->acked;
    if (c->cwnd < c->ssthresh) {
        uint32_t before = c->cwnd;
        hystart_on_ack(&s->hs, c, a);
        if (c->cwnd < c->ssthresh) return;
        /* Reached ssthresh: what was not needed to get there counts toward avoidance. */
        uint32_t used = c->cwnd - before;
        acked = acked > used ? acked - used : 0;
    }
    congestion_avoidance(s, c, a, acked);
}

/* RFC 9438 4.6 (loss, ECN) and 4.8 (timeout). */
static void cubic_on_congestion(cc_conn *c, enum cc_event ev, bool first_timeout, const cc_ack *a)
{
    cubic *s = state(c);
    hystart_on_congestion(&s->hs);
    s->epoch_on = false;
    if (ev == CC_EV_RTO && !first_timeout) {
        c->cwnd = c->mss;
        return;
    }
    s->undo_w_max = s->w_max;
    s->undo_cwnd_prior = s->cwnd_prior;
    /* 4.6: ssthresh = flight_size * beta. "Implementations that use cwnd MUST use other
     * measures to prevent cwnd from growing when the volume of bytes in flight is smaller than
     * cwnd": TCP here does not stop growth when the peer's window is the limit, so the window
     * that met congestion is what was in flight when it is less than cwnd. */
    uint32_t w_bytes = a->prior_in_flight && a->prior_in_flight < c->cwnd ? a->prior_in_flight : c->cwnd;
    double cwnd = (double)w_bytes / c->mss;
    s->cwnd_prior = cwnd;
    /* 4.7 fast convergence: a window smaller than the last W_max releases bandwidth. */
    s->w_max = cwnd < s->w_max ? cwnd * (1.0 + BETA_CUBIC) / 2.0 : cwnd;
    uint64_t ss = (uint64_t)((double)w_bytes * BETA_CUBIC);
    if (ss < 2u * c->mss) ss = 2u * c->mss;
    c->ssthresh = (uint32_t)ss;
    if (ev == CC_EV_RTO) {
        /* 4.8: Reno's loss window; the next stage starts from K = 0 at its own window. */
        c->cwnd = c->mss;
        s->w_max = 0;
    } else {
        c->cwnd = c->ssthresh;
    }
}

static void cubic_on_recovery_end(cc_conn *c, const cc_ack *a)
{
    (void)a;
    state(c)->epoch_on = false; /* congestion avoidance starts at the next ACK */
}

/* RFC 9438 4.9: a spurious congestion event; TCP restores cwnd and ssthresh. */
static void cubic_undo(cc_conn *c)
{
    cubic *s = state(c);
    s->w_max = s->undo_w_max;
    s->cwnd_prior = s->undo_cwnd_prior;
    s->epoch_on = false;
}

static const char *cubic_phase(const cc_conn *c)
{
    const cubic *s = cstate(c);
    if (c->cwnd < c->ssthresh) return hystart_in_css(&s->hs) ? "conservative-slow-start" : "slow-start";
    return s->reno_region ? "reno-friendly" : "congestion-avoidance";
}

const cc_ops cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_congestion = cubic_on_congestion,
    .on_recovery_end = cubic_on_recovery_end,
    .undo = cubic_undo,
    .phase = cubic_phase,
};
