/* cc_path.c: congestion control on the simulated link, in virtual time. HyStart++ leaves slow
 * start when the bottleneck queue starts to delay packets, before the queue overflows; BBR's
 * pacing spreads a window over the round trip through SYNACK_TIMER_PACING where NewReno sends
 * it in a burst; SYNACK_SO_CONGESTION chooses per socket (ENOENT for unknown names); the link
 * marks ECN-capable packets CE above its ce_threshold instead of letting the queue grow. */
#include <errno.h>
#include <stdlib.h>

#include "drivers/link.h"
#include "pair.h"
#include "test.h"
#include "wire/wire.h"

typedef struct watch {
    uint64_t queue_drops, lost, data_sent;
    synack_time_us last_sent_at, from; /* bursts counted from `from` on */
    uint32_t burst, max_burst; /* data segments sent at one instant */
} watch;

static void tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    (void)to, (void)pkt;
    watch *w = ctx;
    if (what == SYNACK_TAP_QUEUE_DROP) w->queue_drops++;
    if (what == SYNACK_TAP_LOST) w->lost++;
    if (what != SYNACK_TAP_SENT || from != 0 || len < 40 + 100) return; /* client data only */
    w->data_sent++;
    w->burst = t == w->last_sent_at ? w->burst + 1 : 1;
    w->last_sent_at = t;
    if (w->from && t >= w->from && w->burst > w->max_burst) w->max_burst = w->burst;
}

static void big_buffers(synack_config *cfg, const char *cc)
{
    synack_config_default(cfg);
    cfg->sndbuf_bytes = cfg->rcvbuf_bytes = 8u << 20;
    size_t n = strlen(cc) + 1;
    memcpy(cfg->congestion_control, cc, n);
}

/* A 20 Mbit/s bottleneck with 40 ms of round trip and a queue of 2000 packets (a BDP is 70):
 * slow start doubles into the queue, whose delay grows by about a BDP's worth per round. */
static void hystart_leaves_before_loss(void)
{
    synack_config cfg;
    big_buffers(&cfg, "cubic");
    pair p;
    pair_open(&p, &cfg, &cfg, 5);
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(20);
    imp.rate_bps = 20000000;
    imp.queue_limit = 2000;
    synack_sim_impair(p.sim, p.ci, p.si, &imp);
    synack_impair back = {0};
    back.delay_us = SYNACK_MS(20);
    synack_sim_impair(p.sim, p.si, p.ci, &back);
    watch w = {0};
    synack_sim_set_tap(p.sim, tap, &w);
    int l = pair_listen(&p, 80);
    int c = pair_connect(&p, 80);
    int a = pair_establish(&p, l, c);
    static uint8_t buf[1 << 16], sink[1 << 16];
    synack_time_us start = synack_sim_now(p.sim), left_ss = 0;
    uint32_t cwnd_at_exit = 0;
    uint64_t drops_at_exit = 0;
    size_t rcvd = 0;
    while (rcvd < (16u << 20) && synack_sim_now(p.sim) < start + SYNACK_SEC(30)) {
        synack_send(p.c, c, buf, sizeof buf);
        ssize_t r;
        while ((r = synack_recv(p.s, a, sink, sizeof sink)) > 0) rcvd += (size_t)r;
        synack_conn_info ci;
        CHECK(synack_socket_info(p.c, c, &ci));
        if (!left_ss && strcmp(ci.cc_phase, "slow-start")) {
            left_ss = synack_sim_now(p.sim);
            cwnd_at_exit = ci.cwnd;
            drops_at_exit = w.queue_drops;
            printf("  left slow start at %.3f s: %s, cwnd %u (%u segments), srtt %.1f ms, rexmits %u\n",
                   (double)(left_ss - start) / 1e6, ci.cc_phase, ci.cwnd, ci.cwnd / ci.snd_mss,
                   (double)ci.srtt_us / 1e3, ci.retransmits_total);
            CHECK_EQ(ci.retransmits_total, 0);
        }
        if (!synack_sim_step(p.sim, SYNACK_TIME_NEVER)) break;
    }
    synack_conn_info ci;
    CHECK(synack_socket_info(p.c, c, &ci));
    printf("  16 MiB in %.3f s, queue drops %llu, retransmissions %u, final %s cwnd %u\n",
           (double)(synack_sim_now(p.sim) - start) / 1e6, (unsigned long long)w.queue_drops,
           ci.retransmits_total, ci.cc_phase, ci.cwnd);
    CHECK(left_ss != 0);
    CHECK_EQ(drops_at_exit, 0);    /* before any loss */
    CHECK(cwnd_at_exit < 2000u * 1500u); /* well before the queue was full */
    CHECK(rcvd >= 16u << 20);
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(5));
    pair_close(&p);
}

/* Sends 1 MiB over 10 ms each way, 10 Mbit/s, with the given algorithm; returns the largest
 * burst leaving the sender at one instant. */
static uint32_t burst_of(const char *cc, bool *pacing_armed)
{
    synack_config cfg;
    big_buffers(&cfg, "newreno");
    pair p;
    pair_open(&p, &cfg, &cfg, 9);
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(10);
    /* A bottleneck, so that the delivery rate BBR measures is a rate (an infinite link gives it
     * samples as fast as the sender, and a 1 ms quantum at that rate is a window). */
    imp.rate_bps = 10000000;
    imp.queue_limit = 1000;
    synack_sim_impair(p.sim, p.ci, p.si, &imp);
    synack_sim_impair(p.sim, p.si, p.ci, &imp);
    watch w = {0};
    synack_sim_set_tap(p.sim, tap, &w);
    int l = pair_listen(&p, 80);
    int c = synack_socket(p.c);
    CHECK_EQ(synack_setsockopt(p.c, c, SYNACK_SO_CONGESTION, cc, strlen(cc)), 0);
    synack_endpoint ep = pair_server_ep(80);
    int rc = synack_connect(p.c, c, &ep);
    CHECK(rc == 0 || rc == -EINPROGRESS);
    int a = pair_establish(&p, l, c);
    pair_run(&p, SYNACK_SEC(1)); /* an RTT sample, and the clock past 1 s */
    static uint8_t buf[1 << 16], sink[1 << 16];
    size_t rcvd = 0;
    *pacing_armed = false;
    synack_time_us start = synack_sim_now(p.sim);
    /* After the first window: the active opener's algorithm starts before the handshake's RTT
     * sample, so BBR paces its first window at high_gain * IW / 1 ms (draft 4.2.1). */
    w.from = start + SYNACK_MS(25);
    while (rcvd < (1u << 20) && synack_sim_now(p.sim) < start + SYNACK_SEC(30)) {
        synack_send(p.c, c, buf, sizeof buf);
        ssize_t r;
        while ((r = synack_recv(p.s, a, sink, sizeof sink)) > 0) rcvd += (size_t)r;
        synack_conn_info ci;
        CHECK(synack_socket_info(p.c, c, &ci));
        if (ci.deadline_us[SYNACK_TIMER_PACING] != SYNACK_TIME_NEVER) *pacing_armed = true;
        if (!synack_sim_step(p.sim, SYNACK_TIME_NEVER)) break;
    }
    CHECK(rcvd >= 1u << 20);
    /* Then idle, and a second burst of writes: with the window open (no restart window here),
     * only pacing keeps the sender from putting its whole cwnd on the wire at once. The first
     * transfer's ACK clock spread both algorithms' segments; this is where pacing shows. */
    for (synack_time_us until = synack_sim_now(p.sim) + SYNACK_SEC(30); synack_sim_now(p.sim) < until;) {
        ssize_t r; /* everything written so far delivered and acknowledged */
        while ((r = synack_recv(p.s, a, sink, sizeof sink)) > 0) continue;
        synack_conn_info ci;
        CHECK(synack_socket_info(p.c, c, &ci));
        if (ci.send_q == 0) break;
        if (!synack_sim_step(p.sim, SYNACK_TIME_NEVER)) break;
    }
    pair_run(&p, SYNACK_MS(500));
    w.max_burst = 0;
    w.burst = 0;
    w.from = synack_sim_now(p.sim);
    rcvd = 0;
    uint64_t sent_before = w.data_sent;
    for (int i = 0; i < 4; i++) synack_send(p.c, c, buf, sizeof buf);
    while (rcvd < (1u << 18) && synack_sim_now(p.sim) < w.from + SYNACK_SEC(30)) {
        ssize_t r;
        while ((r = synack_recv(p.s, a, sink, sizeof sink)) > 0) rcvd += (size_t)r;
        if (!synack_sim_step(p.sim, SYNACK_TIME_NEVER)) break;
    }
    CHECK(rcvd >= 1u << 18);
    printf("  after idle: %llu data segments sent\n", (unsigned long long)(w.data_sent - sent_before));
    char name[16];
    size_t len = sizeof name;
    CHECK_EQ(synack_getsockopt(p.c, c, SYNACK_SO_CONGESTION, name, &len), 0);
    CHECK_STR(name, cc);
    printf("  %s: 1 MiB, idle, 256 KiB: %.3f s, largest burst after idle %u segments, pacing timer %s\n", cc,
           (double)(synack_sim_now(p.sim) - start) / 1e6, w.max_burst, *pacing_armed ? "armed" : "never");
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(5));
    pair_close(&p);
    return w.max_burst;
}

/* BBR paces at pacing_gain * its bandwidth estimate: after idle, at most the quantum (two
 * segments, or 1 ms at the rate: under 3 segments at 1.25 x 10 Mbit/s) plus one leaves at one
 * instant. NewReno sends its open window as one burst. */
static void pacing_spreads_the_window(void)
{
    bool armed_bbr, armed_reno;
    uint32_t bbr = burst_of("bbr", &armed_bbr), reno = burst_of("newreno", &armed_reno);
    CHECK(armed_bbr);
    CHECK(!armed_reno);
    CHECK(bbr <= 3);
    CHECK(reno >= 10);
}

static void sockopt_congestion(void)
{
    synack_config cfg;
    synack_config_default(&cfg);
    CHECK_STR(cfg.congestion_control, "cubic");
    memcpy(cfg.congestion_control, "vegas", sizeof "vegas");
    CHECK(synack_stack_new(&cfg) == NULL); /* unknown name: the config is refused */
    synack_config_default(&cfg);
    synack_stack *st = synack_stack_new(&cfg);
    CHECK(st != NULL);
    int s = synack_socket(st);
    char name[16];
    size_t len = sizeof name;
    CHECK_EQ(synack_getsockopt(st, s, SYNACK_SO_CONGESTION, name, &len), 0);
    CHECK_STR(name, "cubic");
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_SO_CONGESTION, "bbr", 3), 0);
    len = sizeof name;
    CHECK_EQ(synack_getsockopt(st, s, SYNACK_SO_CONGESTION, name, &len), 0);
    CHECK_STR(name, "bbr");
    CHECK_EQ(len, 4);
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_SO_CONGESTION, "newreno\0junk", 12), 0); /* NUL ends it */
    len = sizeof name;
    CHECK_EQ(synack_getsockopt(st, s, SYNACK_SO_CONGESTION, name, &len), 0);
    CHECK_STR(name, "newreno");
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_SO_CONGESTION, "reno", 4), -ENOENT);
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_SO_CONGESTION, "cubicbbrnewrenoxx", 17), -ENOENT);
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_SO_CONGESTION, "cubic", 0), -EINVAL);
    len = 3; /* too small for "newreno" */
    CHECK_EQ(synack_getsockopt(st, s, SYNACK_SO_CONGESTION, name, &len), -EINVAL);
    synack_close(st, s);
    synack_stack_free(st);
}

/* An IPv4 header with the given ECN bits and a valid checksum, then padding. */
static void make_ip4(uint8_t *p, size_t len, uint8_t ecn)
{
    memset(p, 0, len);
    p[0] = 0x45;
    p[1] = ecn;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = 6;
    p[12] = 198, p[13] = 18, p[14] = 0, p[15] = 1;
    p[16] = 198, p[17] = 18, p[18] = 0, p[19] = 2;
    uint16_t ck = cksum_fold(cksum_add(0, p, 20));
    p[10] = (uint8_t)(ck >> 8);
    p[11] = (uint8_t)ck;
}

/* RFC 3168 5 on the simulated bottleneck: with ce_threshold 3, the fourth and later packets of
 * a burst are marked CE when ECT(0)/ECT(1), left alone when Not-ECT; the IPv4 checksum stays
 * valid; IPv6 marks in the Traffic Class. */
static void link_marks_ce_above_threshold(void)
{
    sim_link *l = link_new(1);
    synack_impair imp = {0};
    imp.rate_bps = 1000000;
    imp.ce_threshold = 3;
    CHECK(link_impair(l, 0, 1, &imp));
    uint8_t pkt[200];
    const uint8_t ecns[8] = {2, 2, 2, 2, 1, 0, 2, 3};
    for (int i = 0; i < 8; i++) {
        make_ip4(pkt, sizeof pkt, ecns[i]);
        link_send(l, 0, 0, 1, pkt, sizeof pkt);
    }
    uint8_t pkt6[100] = {0};
    pkt6[0] = 0x60;
    pkt6[1] = 0x20; /* Traffic Class 0x02: ECT(0) */
    link_send(l, 0, 0, 1, pkt6, sizeof pkt6);
    link_pkt out;
    int i = 0, marked = 0;
    while (link_pop_due(l, SYNACK_SEC(1), &out)) {
        if (i < 8) {
            uint8_t ecn = out.data[1] & 3;
            uint8_t want = i >= 3 && ecns[i] != 0 ? 3 : ecns[i];
            CHECK_EQ(ecn, want);
            CHECK_EQ(cksum_fold(cksum_add(0, out.data, 20)), 0); /* still valid */
            marked += ecn == 3 && ecns[i] != 3;
        } else {
            CHECK_EQ((out.data[1] >> 4) & 3, 3);
        }
        free(out.data);
        i++;
    }
    CHECK_EQ(i, 9);
    CHECK_EQ(marked, 3); /* packets 3, 4 and 6; 5 is Not-ECT, 7 was CE already */
    link_free(l);
}

int main(void)
{
    RUN(sockopt_congestion);
    RUN(link_marks_ce_above_threshold);
    RUN(pacing_spreads_the_window);
    RUN(hystart_leaves_before_loss);
    return test_report();
}
