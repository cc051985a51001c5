/* cc_algos.c: the congestion control table (src/core/cc) driven directly through its
 * operations with explicit inputs, in virtual time. Every algorithm runs the same event script
 * and keeps the same invariants (cwnd >= 1 MSS, no growth while application-limited, ssthresh
 * after loss and timeout, undo restores); then CUBIC against RFC 9438's formula, HyStart++'s
 * exit on an RTT increase (and RFC 9406 4.2's per-ACK rule, ACK by ACK), and BBR's four states from synthetic delivery-rate samples. */
#include "cc/cc.h"
#include "cc/hystart.h"
#include "test.h"

#define MSS 1448u
#define RTT_US 100000u

static const cc_ops *algo(const char *name)
{
    int i = cc_find(name);
    CHECK(i >= 0);
    return i >= 0 ? cc_algos[i] : cc_algos[0];
}

/* The algorithm's private state, which TCP attaches from its pool (tcp/cc_state.c): one block,
 * as each test drives one connection at a time. */
static _Alignas(16) uint8_t priv_block[CC_PRIV_BYTES];

static void conn_init(cc_conn *c, const char *name, synack_time_us now)
{
    memset(c, 0, sizeof *c);
    memset(priv_block, 0, sizeof priv_block);
    c->priv = priv_block;
    c->algo = (uint8_t)cc_find(name);
    c->mss = MSS;
    c->cwnd = 10 * MSS;
    c->ssthresh = CC_CWND_MAX;
    cc_ops_of(c)->init(c, now);
}

/* One ACK of `acked` bytes with everything else the caller's. */
static cc_ack ack_of(synack_time_us now, uint32_t acked, uint32_t in_flight, synack_time_us rtt)
{
    cc_ack a;
    memset(&a, 0, sizeof a);
    a.now = now;
    a.acked = acked;
    a.prior_in_flight = in_flight + acked;
    a.in_flight = in_flight;
    a.rtt_us = rtt;
    a.srtt_us = rtt ? rtt : RTT_US;
    a.min_rtt_us = RTT_US;
    return a;
}

/* A round trip of ACKs, two segments each, as a window of cwnd delivers them; the sender
 * refills the window behind each ACK (in flight after an ACK: the window less what it acked,
 * as TCP reports it before sending more). A delivery-rate sample rides on every ACK when bw is
 * set (bytes per second). Returns the time after it. */
static synack_time_us round_trip(cc_conn *c, synack_time_us now, synack_time_us rtt, uint64_t bw, bool app_limited)
{
    uint32_t window = c->cwnd, acks = window / (2 * MSS);
    if (acks == 0) acks = 1;
    for (uint32_t i = 0; i < acks; i++) {
        synack_time_us t = now + rtt * (i + 1) / acks;
        cc_ack a = ack_of(t, window / acks, window - window / acks, i == 0 ? rtt : 0);
        a.ack_rtt_us = rtt; /* the transmit log's sample rides on every ACK */
        a.app_limited = app_limited;
        if (bw) {
            a.rate_interval_us = rtt;
            a.rate_delivered = (uint32_t)(bw * rtt / 1000000u);
            a.rate_app_limited = app_limited;
        }
        cc_ops_of(c)->on_ack(c, &a);
        CHECK(c->cwnd >= MSS);
    }
    return now + rtt;
}

/* The same script for every algorithm. */
static void same_script_every_algorithm(void)
{
    for (unsigned i = 0; i < cc_algo_count; i++) {
        const char *name = cc_algos[i]->name;
        const cc_ops *ops = cc_algos[i];
        cc_conn c;
        synack_time_us now = SYNACK_SEC(1);
        conn_init(&c, name, now);
        printf("  %-8s init cwnd %u phase %s\n", name, c.cwnd, ops->phase(&c));
        /* Growth when the window is the limit (a 10 Mbit/s delivery rate for BBR). */
        for (int r = 0; r < 4; r++) now = round_trip(&c, now, RTT_US, 1250000, false);
        uint32_t grown = c.cwnd;
        CHECK(grown > 10 * MSS);
        /* No growth while the application is the limit (RFC 9438 5.8, RFC 7661). */
        for (int r = 0; r < 4; r++) now = round_trip(&c, now, RTT_US, 1250000, true);
        printf("  %-8s grown to %u, after 4 app-limited rounds %u (%s)\n", name, grown, c.cwnd, ops->phase(&c));
        CHECK_EQ(c.cwnd, grown);
        /* Loss: recovery starts; the caller keeps the old window for undo. */
        cc_conn before = c;
        c.prior_cwnd = c.cwnd;
        c.prior_ssthresh = c.ssthresh;
        cc_ack a = ack_of(now, 0, c.cwnd, 0);
        ops->on_congestion(&c, CC_EV_LOSS, false, &a);
        printf("  %-8s loss: cwnd %u -> %u, ssthresh %u\n", name, before.cwnd, c.cwnd, c.ssthresh);
        CHECK(c.cwnd >= MSS);
        if (!strcmp(name, "newreno")) CHECK_EQ(c.ssthresh, before.cwnd / 2);        /* RFC 5681 (4) */
        if (!strcmp(name, "cubic")) CHECK_EQ(c.ssthresh, (uint32_t)(before.cwnd * 0.7)); /* RFC 9438 4.6 */
        if (!strcmp(name, "bbr")) {                                                  /* 4.2.3.4 */
            CHECK_EQ(c.ssthresh, CC_CWND_MAX);
            CHECK(c.cwnd >= before.cwnd); /* in flight plus a segment: conservation */
        } else {
            CHECK(c.cwnd < before.cwnd);
        }
        /* Spurious: the caller restores cwnd and ssthresh, the algorithm its own state. */
        c.cwnd = c.prior_cwnd;
        c.ssthresh = c.prior_ssthresh;
        if (ops->undo) ops->undo(&c);
        CHECK_EQ(c.cwnd, before.cwnd);
        CHECK_EQ(c.ssthresh, before.ssthresh);
        if (ops->on_recovery_end) {
            cc_ack e = ack_of(now, MSS, c.cwnd - MSS, 0);
            ops->on_recovery_end(&c, &e);
        }
        /* After the undo the window keeps growing from where it was, not from the cut. */
        for (int r = 0; r < 2; r++) now = round_trip(&c, now, RTT_US, 1250000, false);
        CHECK(c.cwnd >= before.cwnd);
        /* Timeout: the loss window (RFC 5681 3.1); a second timeout keeps ssthresh. */
        uint32_t w = c.cwnd;
        a = ack_of(now, 0, w, 0);
        ops->on_congestion(&c, CC_EV_RTO, true, &a);
        uint32_t ss = c.ssthresh;
        CHECK_EQ(c.cwnd, MSS);
        if (!strcmp(name, "newreno")) CHECK_EQ(ss, w / 2);
        if (!strcmp(name, "cubic")) CHECK_EQ(ss, (uint32_t)(w * 0.7));
        a = ack_of(now + SYNACK_SEC(1), 0, MSS, 0);
        ops->on_congestion(&c, CC_EV_RTO, false, &a);
        CHECK_EQ(c.cwnd, MSS);
        CHECK_EQ(c.ssthresh, ss);
        /* And it grows again from one segment. */
        for (int r = 0; r < 3; r++) now = round_trip(&c, now + SYNACK_SEC(1), RTT_US, 1250000, false);
        CHECK(c.cwnd > MSS);
        printf("  %-8s after RTO and 3 rounds: cwnd %u ssthresh %u phase %s\n", name, c.cwnd, c.ssthresh,
               ops->phase(&c));
    }
}

/* An independent cube root for the expected values. */
static double cbrt_newton(double x)
{
    double r = x;
    for (int i = 0; i < 100; i++) r = (2 * r + x / (r * r)) / 3;
    return r;
}

/* RFC 9438 4.2: after a loss at W_max = 100 segments, cwnd follows W(t) = C(t-K)^3 + W_max
 * with K = cbrt(W_max (1 - beta) / C), t from the start of congestion avoidance. */
static void cubic_follows_rfc9438_curve(void)
{
    cc_conn c;
    synack_time_us now = SYNACK_SEC(1);
    conn_init(&c, "cubic", now);
    c.cwnd = 100 * MSS;
    cc_ack a = ack_of(now, 0, c.cwnd, 0);
    cc_cubic.on_congestion(&c, CC_EV_LOSS, false, &a);
    CHECK_EQ(c.cwnd, 70 * MSS);
    cc_ack e = ack_of(now, 0, c.cwnd, 0);
    cc_cubic.on_recovery_end(&c, &e);
    double k = cbrt_newton(100 * (1 - 0.7) / 0.4);
    CHECK(k > 4.21 && k < 4.22);
    CHECK(cubic_k(100, 70) > k - 1e-9 && cubic_k(100, 70) < k + 1e-9);
    /* ACKs every 5 ms for 8 s: a window's worth per RTT (100 ms). */
    synack_time_us start = now, step = 5000;
    const double checks[] = {1.0, 2.0, 3.0, k, 5.0, 6.0, 7.0};
    size_t next = 0;
    for (synack_time_us t = start + step; t <= start + SYNACK_SEC(7) && next < 7; t += step) {
        uint32_t per_ack = (uint32_t)((uint64_t)c.cwnd * step / RTT_US);
        cc_ack x = ack_of(t, per_ack, c.cwnd - per_ack, 0);
        x.srtt_us = RTT_US;
        cc_cubic.on_ack(&c, &x);
        double ts = (double)(t - start) / 1e6;
        if (ts + 1e-9 >= checks[next]) {
            double d = ts - k, want = 0.4 * d * d * d + 100;
            double got = (double)c.cwnd / MSS;
            /* 4.3: W_est = 70 + alpha_cubic per RTT up to cwnd_prior = 100, then 1 per RTT. */
            double rounds = ts / 0.1, alpha = 3 * (1 - 0.7) / (1 + 0.7), to_prior = 30 / alpha;
            double est = rounds <= to_prior ? 70 + alpha * rounds : 100 + (rounds - to_prior);
            printf("  t=%.3f s: cwnd %.2f segments, W_cubic(t) %.2f, W_est %.2f (%s)\n", ts, got, want, est,
                   cc_cubic.phase(&c));
            if (est < want) {
                /* cwnd aims one RTT ahead (4.4): within the curve's growth over one RTT, +-1 */
                double ahead = 0.4 * (d + 0.1) * (d + 0.1) * (d + 0.1) + 100;
                CHECK(got >= want - 1.0 && got <= ahead + 1.0);
                CHECK_STR(cc_cubic.phase(&c), "congestion-avoidance");
            } else { /* the Reno-friendly region */
                CHECK(got >= est - 1.0 && got <= est + 1.0);
                CHECK_STR(cc_cubic.phase(&c), "reno-friendly");
            }
            next++;
        }
    }
    CHECK_EQ(next, 7);
}

/* RFC 9438 4.6: ssthresh = flight_size * beta; with less in flight than cwnd (the peer's
 * window was the limit) the reduction starts from what was in flight. */
static void cubic_reduces_from_flight_size(void)
{
    cc_conn c;
    conn_init(&c, "cubic", SYNACK_SEC(1));
    c.cwnd = 200 * MSS;
    cc_ack a = ack_of(SYNACK_SEC(1), 0, 100 * MSS, 0);
    cc_cubic.on_congestion(&c, CC_EV_LOSS, false, &a);
    CHECK_EQ(c.ssthresh, 70 * MSS);
    CHECK_EQ(c.cwnd, 70 * MSS);
}

/* RFC 9438 4.3: on a short RTT the Reno estimate is above the curve and cwnd follows it. */
static void cubic_reno_friendly_region(void)
{
    cc_conn c;
    synack_time_us now = SYNACK_SEC(1), rtt = 1000; /* 1 ms */
    conn_init(&c, "cubic", now);
    c.cwnd = 20 * MSS;
    cc_ack a = ack_of(now, 0, c.cwnd, 0);
    cc_cubic.on_congestion(&c, CC_EV_LOSS, false, &a);
    cc_cubic.on_recovery_end(&c, &a);
    uint32_t w0 = c.cwnd;
    for (int r = 0; r < 20; r++) now = round_trip(&c, now, rtt, 0, false);
    /* 20 RTTs of W_est: 0.53 segment per RTT up to cwnd_prior, 1 beyond it; W_cubic barely moved. */
    double grown = (double)(c.cwnd - w0) / MSS;
    printf("  1 ms RTT, 20 rounds: %.2f segments grown (%s)\n", grown, cc_cubic.phase(&c));
    CHECK(grown >= 20 * 0.529 * 0.8 && grown <= 20 * 1.0 * 1.2);
    CHECK_STR(cc_cubic.phase(&c), "reno-friendly");
}

/* RFC 9406: rounds with a 50 ms RTT, then one whose RTT is 10 ms more (the threshold is
 * max(4 ms, min(50/8, 16) ms) = 6.25 ms): CSS; five CSS rounds later, congestion avoidance. */
static void hystart_leaves_on_rtt_increase(void)
{
    cc_conn c;
    synack_time_us now = SYNACK_SEC(1);
    conn_init(&c, "cubic", now);
    for (int r = 0; r < 4; r++) now = round_trip(&c, now, 50000, 0, false);
    CHECK_STR(cc_cubic.phase(&c), "slow-start");
    CHECK_EQ(c.ssthresh, CC_CWND_MAX);
    now = round_trip(&c, now, 60000, 0, false);
    now = round_trip(&c, now, 60000, 0, false);
    CHECK_STR(cc_cubic.phase(&c), "conservative-slow-start");
    uint32_t w = c.cwnd;
    now = round_trip(&c, now, 60000, 0, false);
    /* CSS grows by a quarter of slow start: about 1.25x per round, not 2x */
    printf("  CSS round: cwnd %u -> %u\n", w, c.cwnd);
    CHECK(c.cwnd > w && c.cwnd < w + w / 2);
    for (int r = 0; r < 5; r++) now = round_trip(&c, now, 60000, 0, false);
    CHECK(c.ssthresh != CC_CWND_MAX);
    CHECK(strcmp(cc_cubic.phase(&c), "slow-start") && strcmp(cc_cubic.phase(&c), "conservative-slow-start"));
    /* Without the increase it stays in slow start. */
    conn_init(&c, "cubic", now);
    for (int r = 0; r < 8; r++) now = round_trip(&c, now, 50000 + (r % 2) * 2000, 0, false);
    CHECK_STR(cc_cubic.phase(&c), "slow-start");
    CHECK_EQ(c.ssthresh, CC_CWND_MAX);
}

/* One ACK of one segment straight into HyStart++ with a per-ACK RTT sample. next_round: when
 * this ACK ends a round, the next one lasts that many one-segment ACKs (in flight is set so). */
static void hs_ack(hystart *h, cc_conn *c, synack_time_us *now, uint32_t rtt_us, uint32_t next_round)
{
    *now += 1000;
    cc_ack a = ack_of(*now, MSS, next_round ? next_round * MSS - MSS : 4 * MSS, 0);
    a.ack_rtt_us = rtt_us;
    hystart_on_ack(h, c, &a);
}

/* RFC 9406 4.2 ACK by ACK: a round of samples at base, then rounds of `acks` ACKs at `rtt`.
 * Returns the ACK (1-based) of the first high round at which CSS began; 0: it never did. */
static int hs_exit_ack(uint32_t base_us, uint32_t rtt_us, uint32_t acks, cc_conn *c, hystart *h)
{
    synack_time_us now = SYNACK_SEC(1);
    memset(c, 0, sizeof *c);
    c->mss = MSS;
    c->cwnd = 10 * MSS;
    c->ssthresh = CC_CWND_MAX;
    hystart_init(h);
    hs_ack(h, c, &now, base_us, 10);                        /* the first ACK closes round 0 */
    for (int i = 0; i < 10; i++) hs_ack(h, c, &now, base_us, i == 9 ? acks : 0); /* round 1 */
    for (uint32_t i = 0; i < acks; i++) {
        hs_ack(h, c, &now, rtt_us, i + 1 == acks ? acks : 0);
        if (hystart_in_css(h)) return (int)i + 1;
    }
    return 0;
}

/* RFC 9406 4.2 with a sample on every ACK: the delay check waits for N_RTT_SAMPLE (8) samples
 * of the round, then fires on the ACK whose round minimum is at least lastRoundMinRTT +
 * RttThresh, RttThresh = max(4 ms, min(lastRoundMinRTT / 8, 16 ms)); a later round whose
 * minimum falls below the CSS baseline goes back to slow start; five CSS rounds end it. */
static void hystart_per_ack_rfc9406(void)
{
    cc_conn c;
    hystart h;
    /* 100 ms: RttThresh 12.5 ms. 112.5 ms exits at the 8th ACK of the round, not before. */
    CHECK_EQ(hs_exit_ack(100000, 112500, 20, &c, &h), 8);
    CHECK_EQ(hs_exit_ack(100000, 112499, 20, &c, &h), 0);
    CHECK_EQ(c.ssthresh, CC_CWND_MAX);
    /* A round of 7 ACKs has too few samples: no exit however large the increase. */
    CHECK_EQ(hs_exit_ack(100000, 200000, 7, &c, &h), 0);
    /* 20 ms: the 4 ms floor. 200 ms: the 16 ms ceiling. */
    CHECK_EQ(hs_exit_ack(20000, 24000, 20, &c, &h), 8);
    CHECK_EQ(hs_exit_ack(20000, 23999, 20, &c, &h), 0);
    CHECK_EQ(hs_exit_ack(200000, 216000, 20, &c, &h), 8);
    CHECK_EQ(hs_exit_ack(200000, 215999, 20, &c, &h), 0);
    /* One low sample among the high ones keeps the round's minimum low: no exit. */
    {
        synack_time_us now = SYNACK_SEC(1);
        CHECK_EQ(hs_exit_ack(100000, 120000, 4, &c, &h), 0); /* rounds of 4: never 8 samples */
        hystart_init(&h);
        hs_ack(&h, &c, &now, 100000, 10);
        for (int i = 0; i < 10; i++) hs_ack(&h, &c, &now, 100000, i == 9 ? 20 : 0);
        hs_ack(&h, &c, &now, 105000, 0);
        for (int i = 0; i < 12; i++) hs_ack(&h, &c, &now, 130000, 0);
        CHECK(!hystart_in_css(&h));
    }
    /* CSS: growth a quarter of slow start's; a round whose minimum (after 8 samples) is below
     * the baseline is a spurious exit: back to slow start. */
    CHECK_EQ(hs_exit_ack(100000, 115000, 20, &c, &h), 8);
    synack_time_us now = SYNACK_SEC(5);
    uint32_t w = c.cwnd;
    hs_ack(&h, &c, &now, 115000, 0);
    CHECK_EQ(c.cwnd - w, MSS / 4);
    for (int i = 9; i < 20; i++) hs_ack(&h, &c, &now, 115000, i == 19 ? 20 : 0); /* CSS round 1 */
    CHECK(hystart_in_css(&h));
    for (int i = 0; i < 7; i++) hs_ack(&h, &c, &now, 114000, 0);
    CHECK(hystart_in_css(&h)); /* 7 samples: not yet */
    hs_ack(&h, &c, &now, 114000, 0);
    CHECK(!hystart_in_css(&h));
    CHECK_EQ(c.ssthresh, CC_CWND_MAX);
    /* Five CSS rounds, each with its RTT at the baseline: congestion avoidance (ssthresh = cwnd). */
    CHECK_EQ(hs_exit_ack(100000, 115000, 20, &c, &h), 8);
    for (int r = 0; r < 5; r++)
        for (int i = r == 0 ? 8 : 0; i < 20; i++) hs_ack(&h, &c, &now, 115000, i == 19 ? 20 : 0);
    CHECK(!hystart_in_css(&h));
    CHECK_EQ(c.ssthresh, c.cwnd);
    printf("  exits at the 8th sample of a round; thresholds 4 / 12.5 / 16 ms; CSS back to SS; 5 CSS rounds\n");
}

static uint64_t pace_min, pace_max; /* over the ACKs of bbr_round */
static synack_time_us last_rtt;     /* of the previous bbr_round */

/* One round trip of a fluid BBR path: the sender delivers min(cwnd, what the path carries in a
 * round trip); the delivery rate is that over the RTT, the RTT grows with the queue. */
static synack_time_us bbr_round(cc_conn *c, synack_time_us now, uint64_t btl_bw, uint32_t rtprop_us,
                                uint32_t cap_in_flight, const char **seen, int *n_seen)
{
    uint64_t bdp = btl_bw * rtprop_us / 1000000u;
    /* What goes out in a round trip: cwnd, or less when the pacing rate is the limit. */
    uint64_t paced = c->pacing_rate * (last_rtt > rtprop_us ? last_rtt : rtprop_us) / 1000000u;
    uint32_t flight = c->cwnd < cap_in_flight ? c->cwnd : cap_in_flight;
    if (paced < flight) flight = paced > 2 * MSS ? (uint32_t)paced : 2 * MSS;
    uint64_t queue = flight > bdp ? flight - bdp : 0;
    synack_time_us rtt = rtprop_us + queue * 1000000u / btl_bw;
    last_rtt = rtt;
    uint64_t rate = (uint64_t)flight * 1000000u / rtt;
    uint32_t acks = flight / (2 * MSS);
    if (acks == 0) acks = 1;
    for (uint32_t i = 0; i < acks; i++) {
        synack_time_us t = now + rtt * (i + 1) / acks;
        uint32_t per = flight / acks;
        cc_ack a = ack_of(t, per, flight - per, i == 0 ? rtt : 0);
        a.srtt_us = rtt;
        a.rate_interval_us = rtt;
        a.rate_delivered = (uint32_t)(rate * rtt / 1000000u);
        cc_bbr.on_ack(c, &a);
        if (c->pacing_rate < pace_min) pace_min = c->pacing_rate;
        if (c->pacing_rate > pace_max) pace_max = c->pacing_rate;
        const char *p = cc_bbr.phase(c);
        if (*n_seen == 0 || strcmp(seen[*n_seen - 1], p)) {
            if (*n_seen < 16) seen[(*n_seen)++] = p;
            printf("  %.3f s: %s, cwnd %u, pacing %.2f Mbit/s\n", (double)t / 1e6, p, c->cwnd,
                   (double)c->pacing_rate * 8 / 1e6);
        }
    }
    return now + rtt;
}

/* draft-cardwell-iccrg-bbr-congestion-control-00 4.3: STARTUP fills the pipe (bandwidth stops
 * growing), DRAIN empties the queue, PROBE_BW cycles its gains, and after 10 s without a
 * smaller RTT sample PROBE_RTT holds 4 segments for 200 ms and a round. */
static void bbr_visits_every_state(void)
{
    cc_conn c;
    synack_time_us now = SYNACK_SEC(1);
    conn_init(&c, "bbr", now);
    const char *seen[16];
    int n = 0;
    uint64_t bw = 1250000; /* 10 Mbit/s */
    uint32_t rtprop = 40000;
    for (int r = 0; r < 30; r++) now = bbr_round(&c, now, bw, rtprop, UINT32_MAX, seen, &n);
    CHECK(n >= 3);
    CHECK_STR(seen[0], "startup");
    if (n >= 3) {
        CHECK_STR(seen[1], "drain");
        CHECK_STR(seen[2], "probe-bw");
    }
    /* In PROBE_BW: cwnd = 2 BDP (+ quantization), pacing near the bottleneck rate. */
    uint64_t bdp = bw * rtprop / 1000000u;
    printf("  probe-bw: cwnd %u (BDP %llu), pacing %llu B/s\n", c.cwnd, (unsigned long long)bdp,
           (unsigned long long)c.pacing_rate);
    CHECK(c.cwnd >= 2 * bdp && c.cwnd <= 2 * bdp + 6 * MSS);
    CHECK(c.pacing_rate >= bw * 3 / 4 * 98 / 100 && c.pacing_rate <= bw * 5 / 4);
    /* The gain cycle: pacing at 1.25 and 0.75 of the estimate within eight rounds. */
    pace_min = UINT64_MAX;
    pace_max = 0;
    for (int r = 0; r < 10; r++) now = bbr_round(&c, now, bw, rtprop, UINT32_MAX, seen, &n);
    printf("  gain cycle: pacing %.2f to %.2f of the bottleneck\n", (double)pace_min / bw, (double)pace_max / bw);
    CHECK(pace_max > bw * 12 / 10 && pace_min < bw * 8 / 10);
    /* The route lengthens to 45 ms: no sample beats 40 ms and after 10 s RTprop expires:
     * PROBE_RTT, then back to PROBE_BW with the window restored. */
    uint32_t before = c.cwnd;
    int n_before = n;
    synack_time_us end = now + SYNACK_SEC(11);
    bool probe_rtt = false;
    while (now < end) {
        now = bbr_round(&c, now, bw, rtprop + 5000, UINT32_MAX, seen, &n);
        if (!strcmp(cc_bbr.phase(&c), "probe-rtt")) {
            probe_rtt = true;
            CHECK(c.cwnd <= 4 * MSS);
        }
    }
    CHECK(probe_rtt);
    CHECK(n > n_before + 1);
    CHECK_STR(cc_bbr.phase(&c), "probe-bw");
    CHECK(c.cwnd >= before * 9 / 10);
}

/* Without delivery-rate samples (rate_interval_us == 0) BBR has no bandwidth estimate: it stays
 * in STARTUP at the initial window, pacing at high_gain * cwnd / SRTT. */
static void bbr_without_rate_samples(void)
{
    cc_conn c;
    synack_time_us now = SYNACK_SEC(1);
    conn_init(&c, "bbr", now);
    for (int r = 0; r < 10; r++) now = round_trip(&c, now, RTT_US, 0, false);
    CHECK_STR(cc_bbr.phase(&c), "startup");
    /* cwnd grows only while the first initial window is delivered (4.2.3.2): 2 IW at most */
    CHECK(c.cwnd <= 20 * MSS);
    uint64_t want = (uint64_t)c.cwnd * 1000000u / RTT_US * 739 / 256;
    CHECK(c.pacing_rate >= want * 9 / 10 && c.pacing_rate <= want * 11 / 10);
}

static void lookup(void)
{
    CHECK(algo("newreno") == &cc_newreno);
    CHECK(algo("cubic") == &cc_cubic);
    CHECK(algo("bbr") == &cc_bbr);
    CHECK_EQ(cc_find("reno"), -1);
    CHECK_EQ(cc_find(""), -1);
    CHECK(!cc_newreno.owns_recovery && !cc_cubic.owns_recovery && cc_bbr.owns_recovery);
}

int main(void)
{
    RUN(lookup);
    RUN(same_script_every_algorithm);
    RUN(cubic_follows_rfc9438_curve);
    RUN(cubic_reno_friendly_region);
    RUN(cubic_reduces_from_flight_size);
    RUN(hystart_leaves_on_rtt_increase);
    RUN(hystart_per_ack_rfc9406);
    RUN(bbr_visits_every_state);
    RUN(bbr_without_rate_samples);
    return test_report();
}
