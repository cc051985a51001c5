/* sim_link.c: tests of the simulated wire (src/drivers/link.c) and pcap writer, without stacks.
 * Every packet carries its send index in its first 8 bytes so deliveries can be matched to sends.
 * Must not need sim.c or the TCP core: it is built alone while the core is in progress. */
#include "drivers/link.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct tap_log {
    size_t counts[SYNACK_TAP_NO_ROUTE + 1];
} tap_log;

static void count_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                      size_t len)
{
    tap_log *log = ctx;
    if (what >= 0 && what <= SYNACK_TAP_NO_ROUTE) log->counts[what]++;
}

/* Fills buf[0..len) with the index (8 bytes, big-endian) then a pattern derived from it. */
static void make_pkt(uint8_t *buf, size_t len, uint64_t index)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = i < 8 ? (uint8_t)(index >> (56 - 8 * i)) : (uint8_t)(index * 31 + i);
}

static uint64_t pkt_index(const uint8_t *buf)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | buf[i];
    return v;
}

static void send_one(sim_link *l, synack_time_us now, int from, int to, size_t len, uint64_t index)
{
    uint8_t buf[2048];
    make_pkt(buf, len, index);
    link_send(l, now, from, to, buf, len);
}

/* Pops everything (whatever its time) into out[], in delivery order; returns how many. */
static size_t drain(sim_link *l, link_pkt *out, size_t cap)
{
    size_t n = 0;
    link_pkt p;
    while (link_pop_due(l, SYNACK_TIME_NEVER, &p)) {
        if (n < cap) out[n++] = p;
        else free(p.data);
    }
    return n;
}

static void free_pkts(link_pkt *p, size_t n)
{
    for (size_t i = 0; i < n; i++) free(p[i].data);
}

static void test_perfect_wire(void)
{
    sim_link *l = link_new(1);
    CHECK(l != NULL);
    for (uint64_t i = 0; i < 5; i++) send_one(l, 100, 0, 1, 60, i);
    CHECK_EQ(link_in_flight(l), 5);
    CHECK_EQ(link_next_time(l), 100);
    link_pkt p;
    CHECK(!link_pop_due(l, 99, &p));
    for (uint64_t i = 0; i < 5; i++) {
        CHECK(link_pop_due(l, 100, &p));
        CHECK_EQ(p.at, 100);
        CHECK_EQ(p.from, 0);
        CHECK_EQ(p.to, 1);
        CHECK_EQ(p.len, 60);
        CHECK_EQ(pkt_index(p.data), i); /* FIFO among equal times */
        uint8_t want[60];
        make_pkt(want, 60, i);
        CHECK(memcmp(p.data, want, 60) == 0);
        free(p.data);
    }
    CHECK(!link_pop_due(l, SYNACK_TIME_NEVER, &p));
    CHECK_EQ(link_in_flight(l), 0);
    CHECK(link_next_time(l) == SYNACK_TIME_NEVER);
    link_free(l);
}

static void test_loss_rate(void)
{
    sim_link *l = link_new(7);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    synack_impair imp = {0};
    imp.loss = 0.1;
    CHECK(link_impair(l, 0, 1, &imp));
    const size_t n = 100000;
    size_t delivered = 0;
    link_pkt p;
    for (uint64_t i = 0; i < n; i++) {
        send_one(l, i, 0, 1, 40, i);
        while (link_pop_due(l, i, &p)) {
            delivered++;
            free(p.data);
        }
    }
    size_t lost = n - delivered;
    /* Binomial(1e5, 0.1): sd ~95, so +-500 is over 5 sd; the seed is fixed anyway. */
    CHECK(lost > 9500 && lost < 10500);
    CHECK_EQ(log.counts[SYNACK_TAP_LOST], lost);
    CHECK_EQ(log.counts[SYNACK_TAP_SENT], n);
    /* The other direction is untouched. */
    for (uint64_t i = 0; i < 1000; i++) send_one(l, n, 1, 0, 40, i);
    CHECK_EQ(link_in_flight(l), 1000);
    link_free(l);
}

static void test_loss_mask(void)
{
    sim_link *l = link_new(1);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    uint64_t mask[2] = {0, 0};
    const uint64_t drop[] = {0, 3, 63, 64, 65, 99};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) mask[drop[i] / 64] |= 1ull << (drop[i] % 64);
    mask[1] |= 1ull << (120 - 64); /* beyond loss_mask_bits: must be ignored */
    synack_impair imp = {0};
    imp.loss_mask = mask;
    imp.loss_mask_bits = 100;
    CHECK(link_impair(l, 2, 3, &imp));
    mask[0] = ~0ull; /* the link keeps its own copy */
    for (uint64_t i = 0; i < 130; i++) send_one(l, i, 2, 3, 20, i);
    link_pkt got[200];
    size_t n = drain(l, got, 200);
    CHECK_EQ(n, 130 - 6);
    CHECK_EQ(log.counts[SYNACK_TAP_LOST], 6);
    size_t k = 0;
    for (uint64_t i = 0; i < 130 && k < n; i++) {
        bool dropped = false;
        for (size_t j = 0; j < sizeof drop / sizeof drop[0]; j++) dropped |= drop[j] == i;
        if (dropped) continue;
        CHECK_EQ(pkt_index(got[k].data), i);
        k++;
    }
    CHECK_EQ(k, n);
    free_pkts(got, n);
    link_free(l);
}

static void test_delay_jitter(void)
{
    sim_link *l = link_new(3);
    synack_impair imp = {0};
    imp.delay_us = 5000;
    CHECK(link_impair(l, 0, 1, &imp));
    send_one(l, 10, 0, 1, 40, 0);
    CHECK_EQ(link_next_time(l), 5010);
    link_pkt p;
    CHECK(!link_pop_due(l, 5009, &p));
    CHECK(link_pop_due(l, 5010, &p));
    free(p.data);

    imp.jitter_us = 300;
    CHECK(link_impair(l, 0, 1, &imp));
    synack_time_us lo = SYNACK_TIME_NEVER, hi = 0;
    const uint64_t n = 20000;
    for (uint64_t i = 0; i < n; i++) send_one(l, i * 10, 0, 1, 40, i);
    static link_pkt got[20000];
    size_t m = drain(l, got, n);
    CHECK_EQ(m, n);
    for (size_t i = 0; i < m; i++) {
        synack_time_us sent = pkt_index(got[i].data) * 10;
        synack_time_us d = got[i].at - sent;
        CHECK(got[i].at >= sent + 5000 && got[i].at <= sent + 5300);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        if (i) CHECK(got[i].at >= got[i - 1].at); /* popped in time order */
    }
    /* Both ends of [0, jitter] are reachable (each has probability 1/301 per packet). */
    CHECK_EQ(lo, 5000);
    CHECK_EQ(hi, 5300);
    free_pkts(got, m);
    link_free(l);
}

static void test_rate_limiter(void)
{
    sim_link *l = link_new(1);
    synack_impair imp = {0};
    imp.rate_bps = 12000000; /* 1500 bytes = 12000 bits = 1 ms */
    imp.delay_us = 500;
    CHECK(link_impair(l, 0, 1, &imp));
    for (uint64_t i = 0; i < 10; i++) send_one(l, 0, 0, 1, 1500, i);
    link_pkt got[16];
    size_t n = drain(l, got, 16);
    CHECK_EQ(n, 10);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(pkt_index(got[i].data), i);
        CHECK_EQ(got[i].at, 1000 * (i + 1) + 500);
    }
    free_pkts(got, n);
    /* After the wire went idle, the next packet starts when it is sent. */
    send_one(l, 50000, 0, 1, 1500, 0);
    /* And one sent mid-serialization waits for the previous one. */
    send_one(l, 50200, 0, 1, 750, 1);
    n = drain(l, got, 16);
    CHECK_EQ(n, 2);
    CHECK_EQ(got[0].at, 51500);
    CHECK_EQ(got[1].at, 52000);
    free_pkts(got, n);

    /* Fractions carry: 100 bytes at 3 Mbit/s is 266.67 us; ends at 266.67, 533.33, 800.00. */
    imp.delay_us = 0;
    imp.rate_bps = 3000000;
    CHECK(link_impair(l, 1, 0, &imp));
    for (uint64_t i = 0; i < 3; i++) send_one(l, 0, 1, 0, 100, i);
    n = drain(l, got, 16);
    CHECK_EQ(n, 3);
    CHECK_EQ(got[0].at, 267);
    CHECK_EQ(got[1].at, 534);
    CHECK_EQ(got[2].at, 800);
    free_pkts(got, n);
    link_free(l);
}

static void test_queue_limit(void)
{
    sim_link *l = link_new(1);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    synack_impair imp = {0};
    imp.rate_bps = 12000000;
    imp.queue_limit = 4;
    CHECK(link_impair(l, 0, 1, &imp));
    for (uint64_t i = 0; i < 10; i++) send_one(l, 0, 0, 1, 1500, i);
    CHECK_EQ(link_in_flight(l), 4);
    CHECK_EQ(log.counts[SYNACK_TAP_QUEUE_DROP], 6);
    /* At 1 ms the first packet has left, making room for exactly one. */
    send_one(l, 999, 0, 1, 1500, 10);
    CHECK_EQ(log.counts[SYNACK_TAP_QUEUE_DROP], 7);
    send_one(l, 1000, 0, 1, 1500, 11);
    send_one(l, 1000, 0, 1, 1500, 12);
    CHECK_EQ(log.counts[SYNACK_TAP_QUEUE_DROP], 8);
    link_pkt got[16];
    size_t n = drain(l, got, 16);
    CHECK_EQ(n, 5);
    CHECK_EQ(pkt_index(got[4].data), 11);
    CHECK_EQ(got[4].at, 5000);
    free_pkts(got, n);
    link_free(l);
}

static void test_mtu(void)
{
    sim_link *l = link_new(1);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    synack_impair imp = {0};
    imp.mtu = 1000;
    CHECK(link_impair(l, 0, 1, &imp));
    send_one(l, 0, 0, 1, 999, 0);
    send_one(l, 0, 0, 1, 1000, 1);
    send_one(l, 0, 0, 1, 1001, 2);
    send_one(l, 0, 0, 1, 1500, 3);
    CHECK_EQ(link_in_flight(l), 2);
    CHECK_EQ(log.counts[SYNACK_TAP_MTU_DROP], 2);
    CHECK_EQ(log.counts[SYNACK_TAP_SENT], 4);
    link_pkt got[4];
    size_t n = drain(l, got, 4);
    CHECK_EQ(n, 2);
    CHECK_EQ(got[0].len, 999);
    CHECK_EQ(got[1].len, 1000);
    free_pkts(got, n);
    link_free(l);
}

static void test_duplicate(void)
{
    sim_link *l = link_new(5);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    synack_impair imp = {0};
    imp.duplicate = 1.0;
    CHECK(link_impair(l, 0, 1, &imp));
    for (uint64_t i = 0; i < 100; i++) send_one(l, i, 0, 1, 50, i);
    static link_pkt got[20000];
    size_t n = drain(l, got, 20000);
    CHECK_EQ(n, 200);
    CHECK_EQ(log.counts[SYNACK_TAP_DUPLICATED], 100);
    for (size_t i = 0; i + 1 < n; i += 2) {
        CHECK_EQ(pkt_index(got[i].data), i / 2);
        CHECK(got[i].len == got[i + 1].len && memcmp(got[i].data, got[i + 1].data, 50) == 0);
        CHECK_EQ(got[i].at, got[i + 1].at);
    }
    free_pkts(got, n);

    imp.duplicate = 0.25;
    CHECK(link_impair(l, 0, 1, &imp));
    for (uint64_t i = 0; i < 10000; i++) send_one(l, 1000, 0, 1, 50, i);
    n = drain(l, got, 20000);
    /* Binomial(1e4, 0.25): sd ~43. */
    CHECK(n > 10000 + 2300 && n < 10000 + 2700);
    CHECK_EQ(log.counts[SYNACK_TAP_DUPLICATED], 100 + (n - 10000));
    free_pkts(got, n);
    link_free(l);
}

static int popcount8(uint8_t x)
{
    int c = 0;
    for (; x; x &= (uint8_t)(x - 1)) c++;
    return c;
}

static void test_corrupt(void)
{
    sim_link *l = link_new(9);
    tap_log log = {{0}};
    link_set_tap(l, count_tap, &log);
    synack_impair imp = {0};
    imp.corrupt = 1.0;
    CHECK(link_impair(l, 0, 1, &imp));
    const size_t n = 2000, len = 64;
    for (uint64_t i = 0; i < n; i++) send_one(l, 0, 0, 1, len, i);
    static link_pkt got[2000];
    size_t m = drain(l, got, n);
    CHECK_EQ(m, n);
    CHECK_EQ(log.counts[SYNACK_TAP_CORRUPTED], n);
    size_t header_hits = 0;
    for (size_t i = 0; i < m; i++) {
        uint8_t want[64];
        make_pkt(want, len, i); /* FIFO: i-th delivered is i-th sent */
        int bits = 0;
        for (size_t j = 0; j < len; j++) {
            bits += popcount8(want[j] ^ got[i].data[j]);
            if (j < 8 && want[j] != got[i].data[j]) header_hits++;
        }
        CHECK_EQ(bits, 1);
    }
    /* The bit is uniform over the packet: the first 8 of 64 bytes get about 1/8 of the hits. */
    CHECK(header_hits > 150 && header_hits < 350);
    free_pkts(got, m);
    link_free(l);
}

static size_t inversions(const link_pkt *p, size_t n)
{
    size_t inv = 0;
    for (size_t i = 1; i < n; i++) inv += pkt_index(p[i].data) < pkt_index(p[i - 1].data);
    return inv;
}

static void test_reorder(void)
{
    sim_link *l = link_new(11);
    synack_impair imp = {0};
    imp.delay_us = 1000;
    CHECK(link_impair(l, 0, 1, &imp));
    static link_pkt got[1000];
    for (uint64_t i = 0; i < 1000; i++) send_one(l, i * 10, 0, 1, 40, i);
    size_t n = drain(l, got, 1000);
    CHECK_EQ(n, 1000);
    CHECK_EQ(inversions(got, n), 0);
    free_pkts(got, n);

    imp.reorder = 0.2;
    imp.reorder_delay_us = 35; /* overtaken by the next 3 packets */
    CHECK(link_impair(l, 0, 1, &imp));
    size_t held = 0;
    for (uint64_t i = 0; i < 1000; i++) send_one(l, 100000 + i * 10, 0, 1, 40, i);
    n = drain(l, got, 1000);
    CHECK_EQ(n, 1000);
    size_t inv = inversions(got, n);
    CHECK(inv > 100);
    for (size_t i = 0; i < n; i++) {
        synack_time_us sent = 100000 + pkt_index(got[i].data) * 10;
        CHECK(got[i].at == sent + 1000 || got[i].at == sent + 1035);
        held += got[i].at == sent + 1035;
    }
    CHECK(held > 150 && held < 250);
    free_pkts(got, n);
    link_free(l);
}

/* A fingerprint of everything a run delivered: times, order, lengths and bytes. */
static uint64_t run_scenario(uint64_t seed)
{
    sim_link *l = link_new(seed);
    synack_impair imp = {0};
    imp.delay_us = 2000;
    imp.jitter_us = 500;
    imp.loss = 0.1;
    imp.duplicate = 0.1;
    imp.corrupt = 0.1;
    imp.reorder = 0.1;
    imp.reorder_delay_us = 300;
    imp.rate_bps = 100000000;
    link_impair(l, 0, 1, &imp);
    link_impair(l, 1, 0, &imp);
    uint64_t h = 1469598103934665603u;
    link_pkt p;
    for (uint64_t i = 0; i < 5000; i++) {
        send_one(l, i * 20, (int)(i & 1), (int)(~i & 1), 40 + (size_t)(i % 1000), i);
        while (link_pop_due(l, i * 20, &p)) {
            h = (h ^ p.at) * 1099511628211u;
            h = (h ^ (uint64_t)p.from) * 1099511628211u;
            for (size_t j = 0; j < p.len; j++) h = (h ^ p.data[j]) * 1099511628211u;
            free(p.data);
        }
    }
    link_free(l); /* with packets still in flight */
    return h;
}

static void test_determinism(void)
{
    uint64_t a = run_scenario(42), b = run_scenario(42), c = run_scenario(43);
    CHECK(a == b);
    CHECK(a != c);
}

/* Jittered deliveries on 1 -> 0, with or without heavy loss configured on 0 -> 1. */
static uint64_t reverse_fingerprint(double forward_loss)
{
    sim_link *l = link_new(99);
    synack_impair fwd = {0}, rev = {0};
    fwd.loss = forward_loss;
    rev.jitter_us = 1000;
    link_impair(l, 0, 1, &fwd);
    link_impair(l, 1, 0, &rev);
    uint64_t h = 0;
    link_pkt p;
    for (uint64_t i = 0; i < 1000; i++) {
        send_one(l, i, 0, 1, 40, i);
        send_one(l, i, 1, 0, 40, i);
    }
    while (link_pop_due(l, SYNACK_TIME_NEVER, &p)) {
        if (p.from == 1) h = h * 31 + p.at * 1000 + pkt_index(p.data);
        free(p.data);
    }
    link_free(l);
    return h;
}

static void test_directions_independent(void)
{
    /* Each direction has its own random stream: impairing one must not perturb the other. */
    CHECK(reverse_fingerprint(0) == reverse_fingerprint(0.5));
}

static void test_free_in_flight(void)
{
    /* LeakSanitizer reports if link_free misses packets, the mask copy or the rate queue. */
    sim_link *l = link_new(1);
    uint64_t mask = 0x5;
    synack_impair imp = {0};
    imp.delay_us = 1000000;
    imp.rate_bps = 1000000;
    imp.duplicate = 0.5;
    imp.loss_mask = &mask;
    imp.loss_mask_bits = 64;
    CHECK(link_impair(l, 0, 1, &imp));
    CHECK(link_impair(l, 0, 1, &imp)); /* replacing frees the old mask */
    for (uint64_t i = 0; i < 500; i++) send_one(l, i, 0, 1, 100, i);
    CHECK(link_in_flight(l) > 400);
    link_free(l);
    link_free(NULL);
}

static void test_bad_index(void)
{
    sim_link *l = link_new(1);
    synack_impair imp = {0};
    CHECK(!link_impair(l, -1, 0, &imp));
    CHECK(!link_impair(l, 0, LINK_MAX_NODES, &imp));
    CHECK(link_impair(l, 0, 1, NULL));
    send_one(l, 0, LINK_MAX_NODES, 0, 40, 0);
    CHECK_EQ(link_in_flight(l), 0);
    link_free(l);
}

/* ---- pcap ---- */

static uint32_t host32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t host16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void test_pcap(void)
{
    char path[] = "/tmp/synack_pcap_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);

    synack_pcap *pc = synack_pcap_open(path);
    CHECK(pc != NULL);
    if (!pc) return;
    uint8_t a[20], b[1], c[300];
    make_pkt(a, sizeof a, 1);
    b[0] = 0x45;
    make_pkt(c, sizeof c, 3);
    synack_pcap_write(pc, 0, a, sizeof a);
    synack_pcap_tap(pc, 1234567, SYNACK_TAP_SENT, 0, 1, b, sizeof b);
    synack_pcap_tap(pc, 1300000, SYNACK_TAP_DELIVERED, 0, 1, b, sizeof b); /* not recorded */
    synack_pcap_tap(pc, 1300000, SYNACK_TAP_LOST, 0, 1, b, sizeof b);      /* not recorded */
    synack_pcap_write(pc, SYNACK_SEC(5000) + 999999, c, sizeof c);
    synack_pcap_close(pc);
    synack_pcap_close(NULL);

    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    static uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    CHECK_EQ(n, 24 + (16 + 20) + (16 + 1) + (16 + 300));
    if (n != 24 + 36 + 17 + 316) return;

    const uint8_t *p = buf;
    CHECK_EQ(host32(p), 0xa1b2c3d4u);
    CHECK_EQ(host16(p + 4), 2);
    CHECK_EQ(host16(p + 6), 4);
    CHECK_EQ(host32(p + 8), 0);
    CHECK_EQ(host32(p + 12), 0);
    CHECK_EQ(host32(p + 16), 65535);
    CHECK_EQ(host32(p + 20), 101);
    p += 24;

    CHECK_EQ(host32(p), 0);
    CHECK_EQ(host32(p + 4), 0);
    CHECK_EQ(host32(p + 8), 20);
    CHECK_EQ(host32(p + 12), 20);
    CHECK(memcmp(p + 16, a, 20) == 0);
    p += 36;

    CHECK_EQ(host32(p), 1);
    CHECK_EQ(host32(p + 4), 234567);
    CHECK_EQ(host32(p + 8), 1);
    CHECK_EQ(host32(p + 12), 1);
    CHECK_EQ(p[16], 0x45);
    p += 17;

    CHECK_EQ(host32(p), 5000);
    CHECK_EQ(host32(p + 4), 999999);
    CHECK_EQ(host32(p + 8), 300);
    CHECK_EQ(host32(p + 12), 300);
    CHECK(memcmp(p + 16, c, 300) == 0);

    errno = 0;
    CHECK(synack_pcap_open("/nonexistent-dir/x.pcap") == NULL);
    CHECK(errno != 0);
}

int main(void)
{
    RUN(test_perfect_wire);
    RUN(test_loss_rate);
    RUN(test_loss_mask);
    RUN(test_delay_jitter);
    RUN(test_rate_limiter);
    RUN(test_queue_limit);
    RUN(test_mtu);
    RUN(test_duplicate);
    RUN(test_corrupt);
    RUN(test_reorder);
    RUN(test_determinism);
    RUN(test_directions_independent);
    RUN(test_free_in_flight);
    RUN(test_bad_index);
    RUN(test_pcap);
    return test_report();
}
