/* conn_rate.c: figure 1, connection rate on one core, in process, default configuration.
 * Two stacks joined in-process (bench_pair: zero-delay wire, virtual clock 10 us per round); each
 * connection opens, sends a 1-byte request, gets a 1-byte response and closes, the client first
 * (--mode client) or the server first (--mode server); TIME-WAIT is kept as configured (2*MSL =
 * 60 s of virtual time). Stops at --count connections or --cap wall seconds, whichever first,
 * and prints one JSON line with what it reached. The server listens on --ports ports (61 by
 * default, coprime to the 28,232 ephemeral ports) so that 4-tuples do not repeat within 1.7 M
 * connections; that is the only thing besides the addresses that differs from one default host.
 *   conn_rate [--mode client|server] [--count N] [--cap S] [--outstanding K] [--ports P] */
#include "support/bench.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *mode = "client";
    uint64_t count = 1000000;
    double cap_s = 15;
    uint32_t outstanding = 1000;
    int ports = 61;
    uint32_t max_conns = 0; /* 0: the default; otherwise max_conns = max_sockets (not in make bench) */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--count")) count = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--outstanding")) outstanding = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ports")) ports = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-conns")) max_conns = (uint32_t)atoi(argv[i + 1]);
        else {
            fprintf(stderr, "conn_rate: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    bool client_first = strcmp(mode, "server") != 0;

    long rss_before = bench_status_kb("VmRSS");
    synack_config ca, cb;
    synack_config_default(&ca);
    synack_config_default(&cb);
    if (max_conns) ca.max_conns = ca.max_sockets = cb.max_conns = cb.max_sockets = max_conns;
    bench_pair p;
    bench_rr rr;
    if (!bench_pair_init(&p, &ca, &cb, 10) ||
        !bench_rr_init(&rr, &p, client_first ? RR_CLIENT_CLOSE : RR_SERVER_CLOSE, ports, count,
                       outstanding)) {
        fprintf(stderr, "conn_rate: setup failed\n");
        return 1;
    }
    long rss_setup = bench_status_kb("VmRSS");
    synack_time_us v0 = p.now;
    double t0 = bench_wall_s();
    const char *stopped = "count";
    for (uint64_t r = 0;; r++) {
        bench_rr_round(&rr);
        if (rr.completed + rr.failed >= count) break;
        if (bench_wall_s() - t0 > cap_s) {
            stopped = "wall_cap";
            break;
        }
    }
    double wall = bench_wall_s() - t0;
    double virt = (double)(p.now - v0) / 1e6;
    long rss_after = bench_status_kb("VmRSS"), hwm = bench_status_kb("VmHWM");
    synack_mem_info ma, mb;
    synack_mem_get(p.a, &ma);
    synack_mem_get(p.b, &mb);
    uint64_t tw_c = bench_in_state(p.a, SYNACK_TIME_WAIT), tw_s = bench_in_state(p.b, SYNACK_TIME_WAIT);
    printf("{\"bench\":\"conn_rate_%s_close\",\"value\":%.1f,\"unit\":\"conn/s\","
           "\"completed\":%llu,\"failed\":%llu,\"started\":%llu,\"stopped_by\":\"%s\","
           "\"wall_s\":%.3f,\"virtual_s\":%.4f,\"virtual_conn_per_s\":%.1f,"
           "\"rss_before_kb\":%ld,\"rss_after_setup_kb\":%ld,\"rss_after_kb\":%ld,\"vmhwm_kb\":%ld,"
           "\"time_wait_end\":%llu,\"time_wait_client\":%llu,\"time_wait_server\":%llu,"
           "\"conns_high_client\":%u,\"conns_high_server\":%u,\"open_refused_rounds\":%llu,"
           "\"last_open_errno\":%d,\"syn_dropped_no_tcb\":%llu,\"rexmt\":%llu,"
           "\"tw_overflow_closed\":%llu,\"events_lost\":%llu,\"outstanding\":%u,\"listen_ports\":%d,\"step_us\":10,"
           "\"config\":\"%s\"}\n",
           client_first ? "client" : "server", wall > 0 ? (double)rr.completed / wall : 0.0,
           (unsigned long long)rr.completed, (unsigned long long)rr.failed,
           (unsigned long long)rr.started, stopped, wall, virt,
           virt > 0 ? (double)rr.completed / virt : 0.0, rss_before, rss_setup, rss_after, hwm,
           (unsigned long long)(tw_c + tw_s), (unsigned long long)tw_c, (unsigned long long)tw_s,
           ma.conns_high, mb.conns_high, (unsigned long long)rr.open_blocked, rr.last_open_err,
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_no_tcb),
           (unsigned long long)(synack_counter(p.a, SYNACK_CNT_tcp_rexmt) +
                                synack_counter(p.b, SYNACK_CNT_tcp_rexmt)),
           (unsigned long long)(synack_counter(p.a, SYNACK_CNT_tcp_tw_overflow) +
                                synack_counter(p.b, SYNACK_CNT_tcp_tw_overflow)),
           (unsigned long long)(synack_counter(p.a, SYNACK_CNT_event_overflow) +
                                synack_counter(p.b, SYNACK_CNT_event_overflow)),
           outstanding, ports,
           max_conns ? "max_conns/max_sockets set by --max-conns" : "synack_config_default, addresses only");
    bench_rr_free(&rr);
    bench_pair_free(&p);
    return 0;
}
