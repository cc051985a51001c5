/* sack_recovery.c: loss recovery with and without SACK. Three segments of one window are lost
 * (exact loss mask): NewReno (RFC 6582) repairs one hole per round trip; SACK recovery (RFC 6675)
 * resends all three within the same round trip. Neither needs a retransmission timeout. */
#include "pair.h"
#include "test.h"

typedef struct outcome {
    synack_time_us done_at;
    uint64_t rto, fast, rexmt;
    synack_time_us first_rexmt, last_rexmt; /* when the holes were resent */
} outcome;

static uint32_t highest_sent;
static synack_time_us first_rexmt, last_rexmt;
static int losses_of_first_hole; /* how often the segment at the first lost sequence was lost */
static uint32_t first_lost_seq;

/* Watches the client's data segments: one below the highest sent is a retransmission. */
static void tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    (void)ctx, (void)to;
    if (from != 0 || len < 40) return;
    const uint8_t *tcp = pkt + 20;
    uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    if (what == SYNACK_TAP_LOST) {
        if (!first_lost_seq) first_lost_seq = seq;
        if (seq == first_lost_seq) losses_of_first_hole++;
    }
    if (what != SYNACK_TAP_SENT) return;
    size_t data = len - 20 - (size_t)(tcp[12] >> 4) * 4;
    if (!data) return;
    if ((int32_t)(seq - highest_sent) < 0) {
        if (!first_rexmt) first_rexmt = t;
        last_rexmt = t;
    } else {
        highest_sent = seq + (uint32_t)data;
    }
}

/* loss_mask: client -> server packets 0-63 to drop; loss_mask_hi: packets 64-127. */
static outcome run(bool sack, uint64_t loss_mask, uint64_t loss_mask_hi)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.sack = sack;
    /* The recovery timings compared here are NewReno's windows (RFC 6582 against RFC 6675). */
    memcpy(cfg.congestion_control, "newreno", sizeof "newreno");
    cfg.isn_fixed = true; /* sequence numbers small and increasing, for the tap */
    cfg.isn_value = 1;
    highest_sent = 0;
    first_rexmt = last_rexmt = 0;
    first_lost_seq = 0;
    losses_of_first_hole = 0;
    pair p;
    pair_open(&p, &cfg, &cfg, 21);
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(20);
    imp.rate_bps = 100000000ull;
    /* Client -> server packets, counted from 0 (the SYN). */
    static uint64_t mask[2];
    mask[0] = loss_mask;
    mask[1] = loss_mask_hi;
    imp.loss_mask = mask;
    imp.loss_mask_bits = 128;
    synack_sim_impair(p.sim, p.ci, p.si, &imp);
    imp.loss_mask = NULL;
    imp.loss_mask_bits = 0;
    synack_sim_impair(p.sim, p.si, p.ci, &imp);
    synack_sim_set_tap(p.sim, tap, NULL);
    int l = pair_listen(&p, 80);
    int c = pair_connect(&p, 80);
    int a = pair_establish(&p, l, c);
    static uint8_t buf[200000], got[200000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 13);
    size_t sent = 0, rcvd = 0;
    synack_time_us start = synack_sim_now(p.sim);
    while (rcvd < sizeof buf && synack_sim_now(p.sim) < start + SYNACK_SEC(60)) {
        ssize_t w = synack_send(p.c, c, buf + sent, sizeof buf - sent);
        if (w > 0) sent += (size_t)w;
        ssize_t r;
        while ((r = synack_recv(p.s, a, got + rcvd, sizeof got - rcvd)) > 0) rcvd += (size_t)r;
        if (!synack_sim_step(p.sim, SYNACK_TIME_NEVER)) break;
    }
    CHECK_EQ(rcvd, sizeof buf);
    CHECK(memcmp(buf, got, sizeof buf) == 0);
    outcome o = {synack_sim_now(p.sim) - start, synack_counter(p.c, SYNACK_CNT_tcp_rto_fired),
                 synack_counter(p.c, SYNACK_CNT_tcp_fast_rexmt), synack_counter(p.c, SYNACK_CNT_tcp_rexmt),
                 first_rexmt, last_rexmt};
    printf("  sack=%d: %.3f s, rto %llu, fast recoveries %llu, retransmitted segments %llu, "
           "holes resent over %.3f s\n", sack, (double)o.done_at / 1e6, (unsigned long long)o.rto,
           (unsigned long long)o.fast, (unsigned long long)o.rexmt,
           (double)(o.last_rexmt - o.first_rexmt) / 1e6);
    pair_close(&p);
    return o;
}

static void three_losses_one_window(void)
{
    uint64_t mask = (1ull << 32) | (1ull << 34) | (1ull << 36);
    outcome reno = run(false, mask, 0), sack = run(true, mask, 0);
    CHECK_EQ(reno.rto, 0);
    CHECK_EQ(sack.rto, 0);
    CHECK_EQ(reno.fast, 1);
    CHECK_EQ(sack.fast, 1);
    CHECK_EQ(sack.rexmt, 3); /* exactly the three holes, nothing SACKed is resent */
    /* NewReno learns of one hole per round trip (40 ms): the third is resent two round trips
     * after the first. SACK shows all three at once: resent within a few milliseconds. */
    CHECK(reno.last_rexmt - reno.first_rexmt >= SYNACK_MS(80));
    CHECK(sack.last_rexmt - sack.first_rexmt < SYNACK_MS(10));
    CHECK(sack.done_at < reno.done_at);
}

/* The retransmission is lost too. Data sent after it is SACKed while its hole stays open: the
 * sender resends it again at once instead of waiting for the retransmission timer. */
static void lost_retransmission(void)
{
    /* Packet 32 is a data segment; with SACK on, packet 65 is its retransmission (new data
     * goes out on the SACKs before it: SACKed octets are not in flight). */
    outcome o = run(true, 1ull << 32, 1ull << (65 - 64));
    CHECK_EQ(losses_of_first_hole, 2); /* the scenario really lost the retransmission */
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.rexmt, 2);
}

int main(void)
{
    RUN(three_losses_one_window);
    RUN(lost_retransmission);
    return test_report();
}
