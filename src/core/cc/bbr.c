/* bbr.c: BBR as Linux ships it (BBRv1), after draft-cardwell-iccrg-bbr-congestion-control-00
 * (section numbers below are that draft's). A model of the path: the bottleneck bandwidth
 * (BtlBw, windowed max of delivery-rate samples over 10 rounds) and the round-trip
 * propagation time (RTprop, windowed min of RTT samples over 10 s); from them the pacing rate
 * (pacing_gain * BtlBw) and cwnd (cwnd_gain * BDP). States STARTUP, DRAIN, PROBE_BW (the eight
 * phase gain cycle) and PROBE_RTT. Loss is not a congestion signal: BBR owns the window during
 * recovery (packet conservation for a round, then its model, 4.2.3.4).
 *
 * Inputs: cc_ack's delivery-rate sample (rate_delivered over rate_interval_us). An ACK without
 * one (rate_interval_us == 0) is no bandwidth sample: the model keeps what it had, and with no
 * estimate at all cwnd stays at the initial window (4.2.3.2: BDP unknown). Rounds are counted
 * in delivered bytes, as hystart.c does. No random numbers: the probe_bw phase to start from
 * is taken from the clock. */
#include "cc/cc.h"

#include <assert.h>
#include <string.h>

#define BBR_UNIT 256u                     /* gains in 1/256 */
#define HIGH_GAIN 739u                    /* 2/ln(2) = 2.885 (4.3.2.1) */
#define DRAIN_GAIN (BBR_UNIT * BBR_UNIT / HIGH_GAIN) /* 1/high_gain (4.3.3) */
#define CWND_GAIN (2u * BBR_UNIT)         /* probe_bw (4.3.4) */
#define BTLBW_FILTER_ROUNDS 10u           /* 4.1.1.4 */
#define RTPROP_FILTER_US 10000000u        /* 10 s (4.1.2.3) */
#define PROBE_RTT_US 200000u              /* 200 ms (4.3.5) */
#define MIN_PIPE_SEGS 4u                  /* 4.2.3.3 */
#define CYCLE_LEN 8u
#define INITIAL_CWND_SEGS 10u

static const uint16_t pacing_gain_cycle[CYCLE_LEN] = {BBR_UNIT * 5 / 4, BBR_UNIT * 3 / 4, BBR_UNIT, BBR_UNIT,
                                                      BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT};

enum bbr_mode { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

/* Kathleen Nichols' windowed max with three samples, as Linux's minmax. */
typedef struct bw_sample {
    uint32_t round;
    uint64_t bw; /* bytes per second */
} bw_sample;

typedef struct bbr {
    bw_sample bw[3];              /* best, second and third best in the window */
    uint64_t delivered;           /* bytes acknowledged over the connection's life */
    uint64_t next_round_delivered;
    uint64_t full_bw;             /* 4.3.2.2: the bandwidth full-pipe detection compares to */
    synack_time_us rtprop_stamp, probe_rtt_done_stamp, cycle_stamp;
    uint32_t rtprop_us;           /* UINT32_MAX: no sample yet */
    uint32_t round_count, prior_cwnd;
    uint16_t pacing_gain, cwnd_gain;
    uint8_t mode, cycle_idx, full_bw_count;
    bool filled_pipe, round_start, probe_rtt_round_done, packet_conservation, rtprop_expired;
} bbr;
static_assert(sizeof(bbr) <= CC_PRIV_BYTES, "bbr state fits cc_conn");

static bbr *state(cc_conn *c) { return (bbr *)c->priv; }
static const bbr *cstate(const cc_conn *c) { return (const bbr *)c->priv; }

static uint64_t btl_bw(const bbr *b) { return b->bw[0].bw; }

/* Windowed max filter update (Linux lib/win_minmax.c's algorithm, written anew). */
static void bw_filter_update(bbr *b, uint32_t round, uint64_t bw)
{
    bw_sample s = {round, bw};
    if (bw >= b->bw[0].bw || round - b->bw[2].round > BTLBW_FILTER_ROUNDS) {
        b->bw[0] = b->bw[1] = b->bw[2] = s; /* a new best, or the window has no samples left */
        return;
    }
    if (bw >= b->bw[1].bw) b->bw[1] = b->bw[2] = s;
    else if (bw >= b->bw[2].bw) b->bw[2] = s;
    /* Age out the best when it falls out of the window; keep the spacing of the others. */
    uint32_t dt = round - b->bw[0].round;
    if (dt > BTLBW_FILTER_ROUNDS) {
        b->bw[0] = b->bw[1];
        b->bw[1] = b->bw[2];
        b->bw[2] = s;
        if (round - b->bw[0].round > BTLBW_FILTER_ROUNDS) {
            b->bw[0] = b->bw[1];
            b->bw[1] = b->bw[2];
        }
    } else if (b->bw[1].round == b->bw[0].round && dt > BTLBW_FILTER_ROUNDS / 4) {
        b->bw[1] = b->bw[2] = s;
    } else if (b->bw[2].round == b->bw[1].round && dt > BTLBW_FILTER_ROUNDS / 2) {
        b->bw[2] = s;
    }
}

/* gain * BtlBw * RTprop in bytes; 0 when either is unknown. */
static uint64_t bdp_bytes(const bbr *b, uint32_t gain)
{
    if (b->rtprop_us == UINT32_MAX || !btl_bw(b)) return 0;
    double bdp = (double)btl_bw(b) * b->rtprop_us / 1e6 * gain / BBR_UNIT;
    return bdp > (double)CC_CWND_MAX ? CC_CWND_MAX : (uint64_t)bdp;
}

/* 4.2.2: segments the sender hands the link at once, as Linux's tso_segs_goal. */
static uint32_t send_quantum(const cc_conn *c)
{
    if (c->pacing_rate < 1200000u / 8) return c->mss;
    if (c->pacing_rate < 24000000u / 8) return 2 * c->mss;
    uint64_t q = c->pacing_rate / 1000; /* 1 ms */
    return q > 65536 ? 65536 : (uint32_t)q;
}

/* 4.2.3.2: cwnd_gain * BDP plus room for the quantization of sends and delayed ACKs; the
 * initial window while the BDP is unknown. */
static uint32_t target_cwnd(const bbr *b, const cc_conn *c, uint32_t gain)
{
    uint64_t bdp = bdp_bytes(b, gain);
    if (!bdp) return INITIAL_CWND_SEGS * c->mss;
    bdp += 3u * send_quantum(c);
    return bdp > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)bdp;
}

static void set_pacing_rate(bbr *b, cc_conn *c, uint32_t gain)
{
    /* 4.2.1: the nominal rate, a shade under the estimate (Linux: 1% below) */
    uint64_t rate = btl_bw(b) * gain / BBR_UNIT;
    rate -= rate / 100;
    if (rate && (b->filled_pipe || rate > c->pacing_rate)) c->pacing_rate = rate;
}

static void enter_startup(bbr *b)
{
    b->mode = BBR_STARTUP;
    b->pacing_gain = HIGH_GAIN;
    b->cwnd_gain = HIGH_GAIN;
}

static void advance_cycle(bbr *b, synack_time_us now)
{
    b->cycle_idx = (uint8_t)((b->cycle_idx + 1) % CYCLE_LEN);
    b->cycle_stamp = now;
    b->pacing_gain = pacing_gain_cycle[b->cycle_idx];
}

static void enter_probe_bw(bbr *b, synack_time_us now)
{
    b->mode = BBR_PROBE_BW;
    b->pacing_gain = BBR_UNIT;
    b->cwnd_gain = CWND_GAIN;
    /* 4.3.4.4: start at a phase other than the 3/4 one, chosen at random in Linux; here from
     * the clock, which is as good as random for spreading flows and keeps the core pure. */
    uint32_t r = (uint32_t)(now / 1000u) % (CYCLE_LEN - 1);
    b->cycle_idx = (uint8_t)(CYCLE_LEN - 1 - r); /* then advanced once: 0 or 2..7, never 1 */
    advance_cycle(b, now);
    if (b->cycle_idx == 1) advance_cycle(b, now);
}

static uint32_t save_cwnd(const bbr *b, const cc_conn *c, bool in_recovery)
{
    if (!in_recovery && b->mode != BBR_PROBE_RTT) return c->cwnd;
    return b->prior_cwnd > c->cwnd ? b->prior_cwnd : c->cwnd;
}

static void bbr_init(cc_conn *c, synack_time_us now)
{
    bbr *b = state(c);
    memset(b, 0, sizeof *b);
    b->rtprop_us = UINT32_MAX;
    b->rtprop_stamp = now;
    enter_startup(b);
    c->ssthresh = CC_CWND_MAX; /* BBR does not use it */
    /* 4.2.1 initial pacing: high_gain * InitialCwnd / SRTT, SRTT taken as 1 ms until known. */
    c->pacing_rate = (uint64_t)c->cwnd * 1000u * HIGH_GAIN / BBR_UNIT;
}

/* 4.1.1.3: one round trip passes when the data sent at its start has been delivered: what
 * is in flight now, and the bytes this ACK frees, which the sender sends next. */
static void update_round(bbr *b, const cc_ack *a)
{
    b->delivered += a->acked;
    b->round_start = false;
    if (b->delivered >= b->next_round_delivered) {
        b->next_round_delivered = b->delivered + a->in_flight + a->acked;
        b->round_count++;
        b->round_start = true;
        b->packet_conservation = false;
    }
}

static void update_btlbw(bbr *b, const cc_ack *a)
{
    if (!a->rate_interval_us || !a->rate_delivered) return; /* no sample on this ACK */
    uint64_t bw = (uint64_t)a->rate_delivered * 1000000u / a->rate_interval_us;
    /* 4.1.1.5: app-limited samples only raise the estimate. */
    if (bw >= btl_bw(b) || !a->rate_app_limited) bw_filter_update(b, b->round_count, bw);
}

/* 4.3.4.4 */
static bool next_cycle_phase(const bbr *b, const cc_ack *a)
{
    bool full_length = b->rtprop_us != UINT32_MAX && a->now - b->cycle_stamp > b->rtprop_us;
    if (b->pacing_gain == BBR_UNIT) return full_length;
    if (b->pacing_gain > BBR_UNIT)
        return full_length && (a->lost > 0 || a->prior_in_flight >= bdp_bytes(b, b->pacing_gain));
    return full_length || a->prior_in_flight <= bdp_bytes(b, BBR_UNIT);
}

/* 4.3.2.2: the pipe is full when three rounds bring less than 25% more bandwidth. */
static void check_full_pipe(bbr *b, const cc_ack *a)
{
    if (b->filled_pipe || !b->round_start || a->rate_app_limited || !btl_bw(b)) return;
    if (btl_bw(b) >= b->full_bw + b->full_bw / 4) {
        b->full_bw = btl_bw(b);
        b->full_bw_count = 0;
        return;
    }
    if (++b->full_bw_count >= 3) b->filled_pipe = true;
}

static void update_rtprop(bbr *b, const cc_ack *a)
{
    b->rtprop_expired = a->now > b->rtprop_stamp + RTPROP_FILTER_US;
    if (!a->rtt_us) return;
    uint32_t rtt = a->rtt_us > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)a->rtt_us;
    if (rtt <= b->rtprop_us || b->rtprop_expired) {
        b->rtprop_us = rtt;
        b->rtprop_stamp = a->now;
    }
}

static void exit_probe_rtt(bbr *b, cc_conn *c, synack_time_us now)
{
    if (b->prior_cwnd > c->cwnd) c->cwnd = b->prior_cwnd; /* 4.3.5: restore */
    if (b->filled_pipe) enter_probe_bw(b, now);
    else enter_startup(b);
}

/* 4.3.5 */
static void check_probe_rtt(bbr *b, cc_conn *c, const cc_ack *a)
{
    if (b->mode != BBR_PROBE_RTT && b->rtprop_expired) {
        b->prior_cwnd = save_cwnd(b, c, a->in_recovery);
        b->mode = BBR_PROBE_RTT;
        b->pacing_gain = BBR_UNIT;
        b->cwnd_gain = BBR_UNIT;
        b->probe_rtt_done_stamp = 0;
    }
    if (b->mode != BBR_PROBE_RTT) return;
    if (!b->probe_rtt_done_stamp && a->in_flight <= MIN_PIPE_SEGS * c->mss) {
        b->probe_rtt_done_stamp = a->now + PROBE_RTT_US;
        b->probe_rtt_round_done = false;
        b->next_round_delivered = b->delivered;
    } else if (b->probe_rtt_done_stamp) {
        if (b->round_start) b->probe_rtt_round_done = true;
        if (b->probe_rtt_round_done && a->now > b->probe_rtt_done_stamp) {
            b->rtprop_stamp = a->now;
            exit_probe_rtt(b, c, a->now);
        }
    }
}

/* 4.2.3: cwnd from the model, packet conservation in the first round of recovery. */
static void set_cwnd(bbr *b, cc_conn *c, const cc_ack *a)
{
    uint32_t min_cwnd = MIN_PIPE_SEGS * c->mss, cwnd = c->cwnd;
    if (a->lost) cwnd = cwnd > a->lost + c->mss ? cwnd - a->lost : c->mss;
    if (b->packet_conservation) {
        uint32_t need = a->in_flight + a->acked;
        if (cwnd < need) cwnd = need;
    } else if (a->acked && !a->app_limited) { /* the application is the limit: no growth (RFC 7661) */
        uint32_t target = target_cwnd(b, c, b->cwnd_gain);
        uint64_t grown = (uint64_t)cwnd + a->acked;
        if (b->filled_pipe) cwnd = grown < target ? (uint32_t)grown : target;
        else if (cwnd < target || b->delivered < INITIAL_CWND_SEGS * c->mss)
            cwnd = grown > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)grown;
        if (cwnd < min_cwnd) cwnd = min_cwnd;
    }
    if (b->mode == BBR_PROBE_RTT && cwnd > min_cwnd) cwnd = min_cwnd;
    c->cwnd = cwnd;
}

static void bbr_on_ack(cc_conn *c, const cc_ack *a)
{
    bbr *b = state(c);
    update_round(b, a);
    update_btlbw(b, a);
    if (b->mode == BBR_PROBE_BW && next_cycle_phase(b, a)) advance_cycle(b, a->now);
    check_full_pipe(b, a);
    if (b->mode == BBR_STARTUP && b->filled_pipe) { /* 4.3.3 */
        b->mode = BBR_DRAIN;
        b->pacing_gain = DRAIN_GAIN;
        b->cwnd_gain = HIGH_GAIN;
    }
    if (b->mode == BBR_DRAIN && a->in_flight <= target_cwnd(b, c, BBR_UNIT)) enter_probe_bw(b, a->now);
    update_rtprop(b, a);
    check_probe_rtt(b, c, a);
    if (!btl_bw(b) && a->srtt_us && !b->filled_pipe) {
        /* 4.2.1: no bandwidth estimate yet: high_gain * cwnd / SRTT once SRTT is known. */
        uint64_t r = (uint64_t)c->cwnd * 1000000u / a->srtt_us * HIGH_GAIN / BBR_UNIT;
        c->pacing_rate = r ? r : 1;
    }
    set_pacing_rate(b, c, b->pacing_gain);
    set_cwnd(b, c, a);
}

/* 4.2.3.4: recovery begins with packet conservation (cwnd = in flight + what this ACK
 * delivered) for one round; a timeout leaves one segment. Both remember the window to return
 * to. ECN is no signal for BBRv1 (Linux's bbr ignores it too). */
static void bbr_on_congestion(cc_conn *c, enum cc_event ev, bool first_timeout, const cc_ack *a)
{
    bbr *b = state(c);
    if (ev == CC_EV_ECN) return;
    if (ev == CC_EV_RTO && !first_timeout) {
        c->cwnd = c->mss;
        return;
    }
    b->prior_cwnd = save_cwnd(b, c, false);
    if (ev == CC_EV_RTO) {
        c->cwnd = c->mss;
        return;
    }
    uint32_t w = a->in_flight + (a->acked > c->mss ? a->acked : c->mss);
    c->cwnd = w;
    b->packet_conservation = true;
    b->next_round_delivered = b->delivered; /* the round starts now */
}

static void bbr_on_recovery_end(cc_conn *c, const cc_ack *a)
{
    bbr *b = state(c);
    b->packet_conservation = false;
    if (b->prior_cwnd > c->cwnd) c->cwnd = b->prior_cwnd; /* 4.2.3.4: restore */
    bbr_on_ack(c, a); /* this ACK is a sample like any other */
}

/* A spurious congestion event: as Linux's bbr_undo_cwnd, forget the full-pipe count. */
static void bbr_undo(cc_conn *c)
{
    bbr *b = state(c);
    b->full_bw = 0;
    b->full_bw_count = 0;
}

static const char *bbr_phase(const cc_conn *c)
{
    static const char *const names[] = {"startup", "drain", "probe-bw", "probe-rtt"};
    const bbr *b = cstate(c);
    return b->mode < 4 ? names[b->mode] : "?";
}

const cc_ops cc_bbr = {
    .name = "bbr",
    .owns_recovery = true,
    .init = bbr_init,
    .on_ack = bbr_on_ack,
    .on_congestion = bbr_on_congestion,
    .on_recovery_end = bbr_on_recovery_end,
    .undo = bbr_undo,
    .phase = bbr_phase,
};
