/* synflood.c: figure 4, a SYN flood in the simulator. --flood spoofed SYNs (random sources in
 * 198.18.0.0/15 and random ports, none of them the client) arrive at a listener on a default
 * server, one per 10 us of virtual time (100,000 SYN/s), while a legitimate client starts one
 * connection every 10 ms (open, 1-byte request, 1-byte response, close). After the flood, the run
 * goes on (jumping from deadline to deadline) until every legitimate connection has succeeded or
 * failed. Reports the legitimate success rate, the peak number of SYN-RECEIVED connections, RSS.
 * Both stacks use synack_config_default (addresses only: SYN queue, cookies, backlog_max as
 * they come); listen(backlog 4096).
 * --flood 0 gives the same run without the flood (the anchor).
 *   synflood [--flood N] [--cap S] */
#include "support/bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1) s += (uint32_t)(b[n - 1] << 8);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* An IPv4 SYN with an MSS option, 44 bytes, from src:sport to 198.18.0.2:dport. */
static size_t make_syn(uint8_t *pkt, const uint8_t src[4], uint16_t sport, uint16_t dport, uint32_t seq)
{
    memset(pkt, 0, 44);
    pkt[0] = 0x45;
    pkt[3] = 44;
    pkt[6] = 0x40; /* DF */
    pkt[8] = 64;
    pkt[9] = 6;
    memcpy(pkt + 12, src, 4);
    pkt[16] = 198, pkt[17] = 18, pkt[18] = 0, pkt[19] = 2;
    uint16_t c = fold(sum16(pkt, 20, 0));
    pkt[10] = (uint8_t)(c >> 8), pkt[11] = (uint8_t)c;
    uint8_t *t = pkt + 20;
    t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport, t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
    t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8), t[7] = (uint8_t)seq;
    t[12] = 6 << 4;
    t[13] = SYNACK_SYN;
    t[14] = 0xff, t[15] = 0xff;
    t[20] = 2, t[21] = 4, t[22] = 0x05, t[23] = 0xb4; /* MSS 1460 */
    uint8_t pseudo[12] = {0};
    memcpy(pseudo, pkt + 12, 8);
    pseudo[9] = 6;
    pseudo[11] = 24;
    c = fold(sum16(t, 24, sum16(pseudo, 12, 0)));
    t[16] = (uint8_t)(c >> 8), t[17] = (uint8_t)c;
    return 44;
}

int main(int argc, char **argv)
{
    uint64_t flood = 1000000;
    double cap_s = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--flood")) flood = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else {
            fprintf(stderr, "synflood: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const uint64_t flood_rounds = 1000000; /* 10 s of virtual time, flood or not */
    const uint64_t legit_every = 1000;      /* rounds: one legitimate connection per 10 ms */
    long rss0 = bench_status_kb("VmRSS");
    synack_config ca, cb;
    synack_config_default(&ca);
    synack_config_default(&cb);
    bench_pair p;
    bench_rr rr;
    if (!bench_pair_init(&p, &ca, &cb, 10) || !bench_rr_init(&rr, &p, RR_CLIENT_CLOSE, 1, 0, 100000)) {
        fprintf(stderr, "synflood: setup failed\n");
        return 1;
    }
    /* bench_rr_init asks for backlog 4096; the stack caps it at backlog_max. */
    synack_time_us v0 = p.now;
    double t0 = bench_wall_s();
    uint64_t sent = 0, peak_syn_recv = 0, round = 0;
    uint8_t pkt[64];
    const char *stopped = "all_done";
    for (;; round++) {
        bool flooding = round < flood_rounds;
        if (flooding) {
            uint64_t due = flood * (round + 1) / flood_rounds;
            for (; sent < due; sent++) {
                uint32_t r = rnd();
                uint8_t src[4] = {198, (uint8_t)(18 + (r & 1)), (uint8_t)(r >> 1), (uint8_t)(r >> 9)};
                if (src[1] == 18 && src[2] == 0 && (src[3] == 1 || src[3] == 2)) src[3] = 3;
                make_syn(pkt, src, (uint16_t)(1024 + rnd() % 64000), rr.port0, rnd());
                bench_pktq_push(&p.to_b, pkt, 44);
            }
            if (round % legit_every == 0) rr.total++;
        }
        size_t moved = bench_rr_round(&rr);
        uint64_t sr = bench_in_state(p.b, SYNACK_SYN_RECEIVED);
        if (sr > peak_syn_recv) peak_syn_recv = sr;
        if (!flooding) {
            if (rr.completed + rr.failed >= rr.total) break;
            if (!moved && !p.to_a.count && !p.to_b.count) { /* idle: jump to the next deadline */
                synack_time_us da = synack_next_deadline(p.a), db = synack_next_deadline(p.b);
                synack_time_us d = da < db ? da : db;
                if (d != SYNACK_TIME_NEVER && d > p.now) bench_pair_jump(&p, d - p.step_us);
            }
        }
        if ((round & 1023) == 0 && bench_wall_s() - t0 > cap_s) {
            stopped = "wall_cap";
            break;
        }
    }
    double wall = bench_wall_s() - t0;
    uint64_t legit = rr.total;
    double pct = legit ? 100.0 * (double)rr.completed / (double)legit : 0;
    printf("{\"bench\":\"%s\",\"value\":%.2f,\"unit\":\"%% legit success\","
           "\"legit\":%llu,\"legit_ok\":%llu,\"legit_failed\":%llu,\"legit_unfinished\":%llu,"
           "\"spoofed_syns\":%llu,\"peak_syn_recv\":%llu,\"syn_dropped_backlog\":%llu,"
           "\"syn_dropped_no_tcb\":%llu,\"syncookies_sent\":%llu,\"syncookies_ok\":%llu,\"synack_rexmt\":%llu,\"replies_to_spoofed\":%llu,"
           "\"rss_before_kb\":%ld,\"vmhwm_kb\":%ld,\"virtual_s\":%.2f,\"wall_s\":%.2f,"
           "\"stopped_by\":\"%s\",\"config\":\"synack_config_default, addresses only; listen backlog 4096\"}\n",
           flood ? "synflood_legit_success" : "synflood_legit_success_no_flood", pct,
           (unsigned long long)legit, (unsigned long long)rr.completed,
           (unsigned long long)rr.failed, (unsigned long long)(legit - rr.completed - rr.failed),
           (unsigned long long)sent, (unsigned long long)peak_syn_recv,
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_listen_drop),
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_no_tcb),
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_syncookie_sent),
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_syncookie_ok),
           (unsigned long long)synack_counter(p.b, SYNACK_CNT_tcp_rexmt),
           (unsigned long long)p.pkts_void, rss0, bench_status_kb("VmHWM"),
           (double)(p.now - v0) / 1e6, wall, stopped);
    fflush(stdout);
    _exit(0);
}
