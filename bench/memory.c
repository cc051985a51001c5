/* memory.c: figure 2, memory per connection.
 *   --what established: N idle ESTABLISHED connections between two stacks (handshake only, both
 *     ends held open); bytes per endpoint = RSS delta / (2N), measured from before the stacks
 *     exist (their pools are sized for N, so the pools are part of the cost) and also from after
 *     they were created (what connections add on top of the pools); synack_mem_get buffer bytes.
 *   --what timewait: N connections closed by the client first, left in TIME-WAIT on the client;
 *     bytes per TIME-WAIT connection = RSS delta / N (the server stack is default-sized, ~2 MB,
 *     and is included in the delta).
 *   --what peak: like established, for N = 1,000,000 by default, stopping early at --rss-cap-mb
 *     or --cap seconds; reports VmHWM and how far it got.
 * max_conns and max_sockets are raised to N + 1,024 only where the default is smaller, and
 * max_time_wait to N for --what timewait (only those; the JSON's config says so). One JSON line.
 *   memory --what established|timewait|peak [--n N] [--cap S] [--rss-cap-mb M] */
#include "support/bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *what = "established";
    uint64_t n = 0;
    double cap_s = 40;
    long rss_cap_mb = 6144;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--what")) what = argv[i + 1];
        else if (!strcmp(argv[i], "--n")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--rss-cap-mb")) rss_cap_mb = atol(argv[i + 1]);
        else {
            fprintf(stderr, "memory: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    bool tw = !strcmp(what, "timewait"), peak = !strcmp(what, "peak");
    if (!n) n = peak ? 1000000 : 100000;

    long rss0 = bench_status_kb("VmRSS");
    synack_config ca, cb;
    synack_config_default(&ca);
    synack_config_default(&cb);
    /* Raised only when the default cannot hold N (never lowered). */
    uint32_t need = (uint32_t)n + 1024;
    if (ca.max_conns < need) ca.max_conns = need;
    if (ca.max_sockets < need) ca.max_sockets = need;
    if (!tw && cb.max_conns < need) cb.max_conns = need;
    if (!tw && cb.max_sockets < need) cb.max_sockets = need;
    if (tw && ca.max_time_wait < n) ca.max_time_wait = (uint32_t)n;
    uint32_t raised = ca.max_conns;
    bench_pair p;
    bench_rr rr;
    if (!bench_pair_init(&p, &ca, &cb, 10) ||
        !bench_rr_init(&rr, &p, tw ? RR_CLIENT_CLOSE : RR_HOLD, 61, n, tw ? 900 : (uint32_t)n)) {
        fprintf(stderr, "memory: setup failed (max_conns %u)\n", raised);
        (void)raised;
        return 1;
    }
    rr.window = 2000;
    long rss1 = bench_status_kb("VmRSS");
    double t0 = bench_wall_s();
    const char *stopped = "count";
    uint32_t quiet = 0;
    for (uint64_t r = 0;; r++) {
        size_t moved = bench_rr_round(&rr);
        bool reached = tw ? rr.completed + rr.failed >= n : rr.held >= n && rr.server_held >= n;
        quiet = moved ? 0 : quiet + 1;
        if (reached && quiet >= 2) break;
        if ((r & 63) == 0) {
            if (bench_wall_s() - t0 > cap_s) {
                stopped = "wall_cap";
                break;
            }
            if (bench_status_kb("VmRSS") > rss_cap_mb * 1024) {
                stopped = "rss_cap";
                break;
            }
        }
    }
    double wall = bench_wall_s() - t0;
    long rss2 = bench_status_kb("VmRSS"), hwm = bench_status_kb("VmHWM");
    synack_mem_info ma, mb;
    synack_mem_get(p.a, &ma);
    synack_mem_get(p.b, &mb);
    uint64_t est = bench_in_state(p.a, SYNACK_ESTABLISHED) + bench_in_state(p.b, SYNACK_ESTABLISHED);
    uint64_t twn = bench_in_state(p.a, SYNACK_TIME_WAIT);
    double buf = (double)(ma.buffer_bytes_in_use + mb.buffer_bytes_in_use);
    if (tw) {
        printf("{\"bench\":\"mem_per_time_wait\",\"value\":%.0f,\"unit\":\"B/conn\","
               "\"n\":%llu,\"time_wait\":%llu,\"failed\":%llu,\"stopped_by\":\"%s\",\"wall_s\":%.2f,"
               "\"value_above_pools\":%.0f,\"buffer_bytes_per_conn\":%.0f,\"rss_before_kb\":%ld,"
               "\"rss_after_setup_kb\":%ld,\"rss_after_kb\":%ld,\"vmhwm_kb\":%ld,"
               "\"config\":\"default; client max_conns=%u max_sockets=%u max_time_wait=%u\"}\n",
               twn ? (double)(rss2 - rss0) * 1024 / (double)twn : 0.0, (unsigned long long)n,
               (unsigned long long)twn, (unsigned long long)rr.failed, stopped, wall,
               twn ? (double)(rss2 - rss1) * 1024 / (double)twn : 0.0,
               twn ? (double)ma.buffer_bytes_in_use / (double)twn : 0.0, rss0, rss1, rss2, hwm, ca.max_conns, ca.max_sockets, ca.max_time_wait);
    } else {
        printf("{\"bench\":\"%s\",\"value\":%.0f,\"unit\":\"%s\",\"n\":%llu,"
               "\"established_endpoints\":%llu,\"held_client\":%llu,\"held_server\":%llu,"
               "\"stopped_by\":\"%s\",\"wall_s\":%.2f,\"bytes_per_endpoint\":%.0f,"
               "\"bytes_per_endpoint_above_pools\":%.0f,\"buffer_bytes_per_endpoint\":%.0f,"
               "\"rss_before_kb\":%ld,\"rss_after_setup_kb\":%ld,\"rss_after_kb\":%ld,"
               "\"vmhwm_kb\":%ld,\"config\":\"default; max_conns %u/%u, max_sockets %u/%u (client/server)\"}\n",
               peak ? "mem_peak_1m_established" : "mem_per_established_endpoint",
               peak ? (double)hwm * 1024 : est ? (double)(rss2 - rss0) * 1024 / (double)est : 0.0,
               peak ? "B" : "B/endpoint", (unsigned long long)n, (unsigned long long)est,
               (unsigned long long)rr.held, (unsigned long long)rr.server_held, stopped, wall,
               est ? (double)(rss2 - rss0) * 1024 / (double)est : 0.0,
               est ? (double)(rss2 - rss1) * 1024 / (double)est : 0.0, est ? buf / (double)est : 0.0,
               rss0, rss1, rss2, hwm, ca.max_conns, cb.max_conns, ca.max_sockets, cb.max_sockets);
    }
    fflush(stdout);
    _exit(0); /* freeing a million buffers only costs time; the kernel takes the pages back */
}
