/* cc_sim.c: congestion control figures in virtual time on the simulated link (synack/sim.h).
 *  1. cc_sim_transfer: goodput and completion time of SIZE (64 MiB) for newreno, cubic and bbr
 *     at loss 0 / 0.1 / 1 / 5% (data direction), RTT 10 / 40 / 200 ms, without and with 2%
 *     reordering (held back 10 ms, as `--impair reorder=2%`), over a 100 Mbit/s bottleneck with a
 *     queue of one BDP (at least 64 packets); next to the Mathis bound MSS/RTT * 1.22/sqrt(p) for
 *     the loss-based algorithms; RTOs and retransmissions per run. A run stops at CAP_S of
 *     virtual time and reports how much it moved.
 *  2. cc_sim_fill: a 1 Gbit/s x 100 ms path (queue one BDP): time to reach 90% utilisation and
 *     the utilisation over 60 s, per algorithm.
 * One JSON line per run. --smoke: 4 MiB, fewer cells, 10 s for the second figure.
 * --rtt MS, --loss P, --reorder P pick the cells of the first figure; --trace prints the sender's
 * congestion control events and retransmissions (synack_trace_set) of each run on stderr, as
 * `synack trace` shows them, to see why a cell is slow.
 *   bench_cc_sim [--smoke] [--only transfer|fill] [--cc NAME] [--size MIB] [--rtt MS] [--loss P]
 *                [--reorder P] [--trace] */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/inspect.h>
#include <synack/sim.h>
#include <synack/socket.h>

#include "support/bench.h"

static bool trace_runs; /* --trace */

#define MSS_BYTES 1448.0 /* data per segment with timestamps on a 1500-byte MTU */

typedef struct run_cfg {
    const char *cc;
    double loss, reorder;
    synack_time_us rtt_us;
    uint64_t rate_bps, size;
    synack_time_us cap_us;
    synack_time_us sample_us; /* figure 2: utilisation per interval; 0: off */
    uint64_t seed;
} run_cfg;

typedef struct run_out {
    bool done;
    synack_time_us elapsed_us;
    uint64_t bytes, rto, rexmt;
    synack_time_us t90_us; /* figure 2: first interval at >= 90% of the rate */
    uint64_t bytes_total_window; /* figure 2: bytes delivered in the whole window */
    char phase[32];
} run_out;

static run_out run_one(const run_cfg *rc)
{
    run_out out;
    memset(&out, 0, sizeof out);
    synack_config ca, cb;
    synack_config_default(&ca);
    uint64_t bdp = rc->rate_bps / 8 * rc->rtt_us / 1000000u;
    uint32_t buf = (uint32_t)(bdp * 4 < (4u << 20) ? (4u << 20) : bdp * 4 > (256u << 20) ? (256u << 20) : bdp * 4);
    ca.sndbuf_bytes = ca.rcvbuf_bytes = buf;
    /* the receive window must cover the buffer: 65535 << wscale */
    while (ca.wscale < 14 && (65535u << ca.wscale) < buf) ca.wscale++;
    snprintf(ca.congestion_control, sizeof ca.congestion_control, "%s", rc->cc);
    cb = ca;
    ca.addr = synack_addr_v4(198, 18, 0, 1);
    cb.addr = synack_addr_v4(198, 18, 0, 2);
    ca.seed = rc->seed * 2 + 1;
    cb.seed = rc->seed * 2 + 2;
    synack_stack *a = synack_stack_new(&ca), *b = synack_stack_new(&cb);
    synack_sim *sim = synack_sim_new(rc->seed);
    if (!a || !b || !sim) {
        fprintf(stderr, "cc_sim: no stack for %s\n", rc->cc);
        exit(1);
    }
    int na = synack_sim_add(sim, a), nb = synack_sim_add(sim, b);
    if (trace_runs) synack_trace_set(a, SYNACK_TRACE_CC | SYNACK_TRACE_RETRANSMITS);
    synack_impair fwd = {0}, back = {0};
    fwd.delay_us = back.delay_us = rc->rtt_us / 2;
    fwd.rate_bps = rc->rate_bps;
    uint64_t q = bdp / 1500;
    fwd.queue_limit = (uint32_t)(q < 64 ? 64 : q);
    fwd.loss = rc->loss;
    fwd.reorder = back.reorder = rc->reorder;
    fwd.reorder_delay_us = back.reorder_delay_us = 10000;
    synack_sim_impair(sim, na, nb, &fwd);
    synack_sim_impair(sim, nb, na, &back);

    int l = synack_socket(b);
    synack_endpoint le = {cb.addr, 5001};
    synack_bind(b, l, &le);
    synack_listen(b, l, 8);
    int c = synack_socket(a);
    synack_connect(a, c, &le);
    int s = -1;
    static uint8_t src[1 << 16], sink[1 << 16];
    synack_time_us start = 0, next_sample = 0;
    uint64_t sent = 0, rcvd = 0, sample_bytes = 0;
    synack_time_us limit = SYNACK_SEC(5) + rc->cap_us;
    bool stall_told = false;
    while (synack_sim_now(sim) < limit) {
        if (s < 0) {
            synack_endpoint re;
            s = synack_accept(b, l, &re);
            if (s >= 0) {
                start = synack_sim_now(sim);
                next_sample = start + rc->sample_us;
                limit = start + rc->cap_us;
            }
        }
        if (s >= 0) {
            while (sent < rc->size) {
                size_t n = rc->size - sent < sizeof src ? (size_t)(rc->size - sent) : sizeof src;
                ssize_t w = synack_send(a, c, src, n);
                if (w <= 0) break;
                sent += (uint64_t)w;
            }
            ssize_t r;
            while ((r = synack_recv(b, s, sink, sizeof sink)) > 0) rcvd += (uint64_t)r;
            if (rc->sample_us) {
                while (synack_sim_now(sim) >= next_sample) {
                    /* bytes in this interval against the link's rate (payload over wire bytes
                     * per full segment: 1448 / 1500) */
                    double cap = (double)rc->rate_bps / 8 * rc->sample_us / 1e6 * (MSS_BYTES / 1500.0);
                    if (!out.t90_us && (double)(rcvd - sample_bytes) >= 0.9 * cap) out.t90_us = next_sample - start;
                    sample_bytes = rcvd;
                    next_sample += rc->sample_us;
                }
            }
            if (rcvd >= rc->size) {
                out.done = true;
                break;
            }
        }
        if (trace_runs) {
            synack_event ev;
            char line[256];
            while (synack_event_next(a, &ev))
                if (ev.type == SYNACK_EV_CC || ev.type == SYNACK_EV_RETRANSMIT || ev.type == SYNACK_EV_STATE ||
                    (ev.type == SYNACK_EV_TIMER && ev.cause.detail != SYNACK_TIMER_DELACK &&
                     ev.cause.detail != SYNACK_TIMER_PACING))
                    fprintf(stderr, "%s\n", synack_event_format(&ev, line, sizeof line));
            /* RFC 6298 5.1: data outstanding keeps the retransmission timer running. Say when
             * it does not (once): such a connection can wait for ever. */
            synack_conn_info ti;
            if (!stall_told && synack_socket_info(a, c, &ti) && ti.snd_una != ti.snd_nxt &&
                ti.deadline_us[SYNACK_TIMER_REXMT] == SYNACK_TIME_NEVER) {
                fprintf(stderr, "%.6f: data outstanding (%u octets) and no retransmission timer\n",
                        (double)synack_sim_now(sim) / 1e6, ti.snd_nxt - ti.snd_una);
                stall_told = true;
            }
        }
        if (!synack_sim_step(sim, limit)) break;
    }
    out.elapsed_us = synack_sim_now(sim) - start;
    out.bytes = rcvd;
    out.rto = synack_counter(a, SYNACK_CNT_tcp_rto_fired);
    out.rexmt = synack_counter(a, SYNACK_CNT_tcp_rexmt);
    synack_conn_info ci;
    if (synack_socket_info(a, c, &ci)) snprintf(out.phase, sizeof out.phase, "%s", ci.cc_phase);
    if (trace_runs && synack_socket_info(a, c, &ci)) {
        /* Where the sender stands at the end: a stalled run says here what it waits for. */
        fprintf(stderr, "end: %s snd_una %u snd_nxt %u snd_wnd %u send_q %u cwnd %u ssthresh %u %s/%s "
                        "pacing %llu B/s timers:", synack_state_rfc_name(ci.state), ci.snd_una, ci.snd_nxt,
                ci.snd_wnd, ci.send_q, ci.cwnd, ci.ssthresh, ci.cc_phase, synack_cc_phase_name(ci.cc_state),
                (unsigned long long)ci.pacing_rate);
        for (int i = 0; i < SYNACK_TIMER_COUNT; i++)
            if (ci.deadline_us[i] != SYNACK_TIME_NEVER)
                fprintf(stderr, " %s@%.6f", synack_timer_name(i), (double)ci.deadline_us[i] / 1e6);
        fprintf(stderr, " (now %.6f)\n", (double)synack_sim_now(sim) / 1e6);
    }
    synack_sim_free(sim);
    synack_stack_free(a);
    synack_stack_free(b);
    return out;
}

static bool wanted(const char *only, const char *cc)
{
    return !only || !strcmp(only, cc);
}

int main(int argc, char **argv)
{
    bool smoke = false;
    const char *only = NULL, *only_cc = NULL;
    uint64_t size = 64u << 20;
    double only_loss = -1, only_reorder = -1;
    unsigned only_rtt = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) smoke = true;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--cc") && i + 1 < argc) only_cc = argv[++i];
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = strtoull(argv[++i], NULL, 10) << 20;
        else if (!strcmp(argv[i], "--rtt") && i + 1 < argc) only_rtt = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--loss") && i + 1 < argc) only_loss = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--reorder") && i + 1 < argc) only_reorder = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--trace")) trace_runs = true;
        else {
            fprintf(stderr, "usage: bench_cc_sim [--smoke] [--only transfer|fill] [--cc NAME] [--size MIB] "
                            "[--rtt MS] [--loss P] [--reorder P] [--trace]\n");
            return 2;
        }
    }
    if (smoke) size = 4u << 20;
    static const char *const ccs[] = {"newreno", "cubic", "bbr"};
    static const double losses[] = {0, 0.001, 0.01, 0.05};
    static const unsigned rtts_ms[] = {10, 40, 200};
    static const double reorders[] = {0, 0.02};
    if (wanted(only, "transfer")) {
        for (unsigned ri = 0; ri < 3; ri++)
            for (unsigned oi = 0; oi < 2; oi++)
                for (unsigned li = 0; li < 4; li++)
                    for (unsigned ci = 0; ci < 3; ci++) {
                        if (only_cc && strcmp(only_cc, ccs[ci])) continue;
                        if ((only_rtt && only_rtt != rtts_ms[ri]) || (only_loss >= 0 && only_loss != losses[li]) ||
                            (only_reorder >= 0 && only_reorder != reorders[oi]))
                            continue;
                        if (smoke && (ri == 2 || li == 1 || li == 2)) continue; /* smoke: fewer cells */
                        run_cfg rc = {ccs[ci], losses[li], reorders[oi], SYNACK_MS(rtts_ms[ri]),
                                      100000000ull, size, SYNACK_SEC(smoke ? 60 : 600), 0, 7};
                        double w0 = bench_wall_s();
                        run_out o = run_one(&rc);
                        double secs = (double)o.elapsed_us / 1e6;
                        double goodput = secs > 0 ? (double)o.bytes * 8 / secs / 1e6 : 0;
                        printf("{\"bench\":\"cc_sim_transfer\",\"cc\":\"%s\",\"loss\":%g,\"rtt_ms\":%u,"
                               "\"reorder\":%g,\"rate_mbps\":100,\"size_bytes\":%llu,\"completed\":%s,"
                               "\"bytes\":%llu,\"time_s\":%.3f,\"goodput_mbps\":%.3f,\"unit\":\"Mbit/s\","
                               "\"value\":%.3f,",
                               rc.cc, rc.loss, rtts_ms[ri], rc.reorder, (unsigned long long)size,
                               o.done ? "true" : "false", (unsigned long long)o.bytes, secs, goodput, goodput);
                        if (rc.loss > 0 && strcmp(rc.cc, "bbr")) {
                            double mathis = MSS_BYTES * 8 / ((double)rtts_ms[ri] / 1e3) * 1.22 / sqrt(rc.loss) / 1e6;
                            printf("\"mathis_mbps\":%.3f,\"vs_mathis\":%.3f,", mathis, goodput / mathis);
                        } else {
                            printf("\"mathis_mbps\":null,");
                        }
                        printf("\"rto\":%llu,\"retransmits\":%llu,\"final_phase\":\"%s\",\"wall_s\":%.2f}\n",
                               (unsigned long long)o.rto, (unsigned long long)o.rexmt, o.phase, bench_wall_s() - w0);
                        fflush(stdout);
                    }
    }
    if (wanted(only, "fill")) {
        for (unsigned ci = 0; ci < 3; ci++) {
            if (only_cc && strcmp(only_cc, ccs[ci])) continue;
            synack_time_us window = SYNACK_SEC(smoke ? 10 : 60);
            run_cfg rc = {ccs[ci], 0, 0, SYNACK_MS(100), 1000000000ull, UINT64_MAX / 2, window, SYNACK_MS(100), 11};
            double w0 = bench_wall_s();
            run_out o = run_one(&rc);
            double secs = (double)o.elapsed_us / 1e6;
            double cap = 1e9 / 8 * secs * (MSS_BYTES / 1500.0);
            double util = cap > 0 ? (double)o.bytes / cap : 0;
            printf("{\"bench\":\"cc_sim_fill\",\"cc\":\"%s\",\"rate_mbps\":1000,\"rtt_ms\":100,\"window_s\":%.0f,"
                   "\"t90_s\":", rc.cc, secs);
            if (o.t90_us) printf("%.3f", (double)o.t90_us / 1e6);
            else printf("null");
            printf(",\"utilisation\":%.4f,\"unit\":\"fraction\",\"value\":%.4f,\"bytes\":%llu,\"rto\":%llu,"
                   "\"retransmits\":%llu,\"final_phase\":\"%s\",\"wall_s\":%.2f}\n",
                   util, util, (unsigned long long)o.bytes, (unsigned long long)o.rto,
                   (unsigned long long)o.rexmt, o.phase, bench_wall_s() - w0);
            fflush(stdout);
        }
    }
    return 0;
}
