/* numbers.c (unit): the numbers an off-path attacker must not guess (issue 7). ISNs (RFC 6528):
 * a 4 us clock plus a keyed hash that moves with every input bit and fills its output evenly;
 * timestamp offsets (RFC 7323 5.4) seen on the wire; ephemeral ports (RFC 6056 3.3.4): in range,
 * not sequential, unrelated across destinations, the whole range usable, freed ports reused.
 * Everything in virtual time under fixed secrets, so every figure is the same on every run; the
 * statistical checks are also run on deliberately weak functions to show that they can fail. */
#include "test.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <synack/socket.h>
#include <synack/stack.h>

#include "stack_impl.h"
#include "wire/wire.h"

/* ---- helpers ---- */

static synack_stack *stack_with(uint64_t seed, const uint8_t *secret, uint32_t lo, uint32_t hi)
{
    synack_config c;
    synack_config_default(&c);
    c.addr = synack_addr_v4(198, 18, 0, 1);
    c.seed = seed;
    if (secret) memcpy(c.secret, secret, sizeof c.secret);
    c.ephemeral_lo = lo;
    c.ephemeral_hi = hi;
    c.sndbuf_bytes = c.rcvbuf_bytes = 1024; /* hundreds of connections, little memory */
    synack_stack *st = synack_stack_new(&c);
    if (!st) abort();
    synack_poll(st, SYNACK_SEC(1));
    return st;
}

static synack_endpoint ep4(uint32_t addr, uint16_t port)
{
    synack_endpoint e = {synack_addr_v4((uint8_t)(addr >> 24), (uint8_t)(addr >> 16),
                                        (uint8_t)(addr >> 8), (uint8_t)addr), port};
    return e;
}

/* splitmix64: the test's own deterministic source of tuples. */
static uint64_t mix_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    uint64_t z = (mix_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An IPv4 4-tuple as 96 bits: local addr, remote addr, local port, remote port. */
typedef struct tuple4 { uint32_t laddr, raddr; uint16_t lport, rport; } tuple4;

static void tuple_flip(tuple4 *t, int bit)
{
    if (bit < 32) t->laddr ^= 1u << bit;
    else if (bit < 64) t->raddr ^= 1u << (bit - 32);
    else if (bit < 80) t->lport ^= (uint16_t)(1u << (bit - 64));
    else t->rport ^= (uint16_t)(1u << (bit - 80));
}

typedef uint32_t (*isn_fn)(synack_stack *st, const tuple4 *t);

static uint32_t real_isn(synack_stack *st, const tuple4 *t)
{
    synack_endpoint l = ep4(t->laddr, t->lport), r = ep4(t->raddr, t->rport);
    return tcp_isn(st, &l, &r);
}

/* Weak generators the statistics must reject: a multiplicative hash (each input bit moves only
 * the output bits above it) and an RFC 793-style clock plus port (sequential tuples give
 * perfectly even low bytes). */
static uint32_t weak_mult(synack_stack *st, const tuple4 *t)
{
    return (uint32_t)(st->now / 4) + (t->laddr ^ t->raddr * 2654435761u ^
                                      ((uint32_t)t->lport << 16 | t->rport) * 40503u);
}
static uint32_t weak_counter(synack_stack *st, const tuple4 *t)
{
    return (uint32_t)(st->now / 4) + t->rport + t->raddr;
}

/* A connection from st to remote; its local port, or the negative errno of connect(). The
 * socket is returned in *sd (or -1). */
static int connect_port(synack_stack *st, synack_endpoint remote, int *sd)
{
    *sd = synack_socket(st);
    if (*sd < 0) abort();
    int r = synack_connect(st, *sd, &remote);
    if (r != -EINPROGRESS) {
        synack_close(st, *sd);
        *sd = -1;
        return r;
    }
    synack_endpoint l;
    if (synack_getsockname(st, *sd, &l) < 0) abort();
    return l.port;
}

static void drain(synack_stack *st)
{
    static uint8_t buf[65536];
    while (synack_output(st, buf, sizeof buf) > 0) {}
}

/* The SYNs st has sent since the last drain: remote port and TSval of each (up to max). */
static size_t collect_syns(synack_stack *st, uint16_t *dport, uint32_t *seq, uint32_t *tsval, size_t max)
{
    static uint8_t buf[65536];
    size_t n, k = 0;
    while ((n = synack_output(st, buf, sizeof buf)) > 0) {
        ip4_hdr ip;
        const uint8_t *payload;
        size_t plen;
        tcp_seg s;
        if (ip4_parse(buf, n, &ip, &payload, &plen) != WIRE_OK ||
            tcp_parse(payload, plen, ip.src, ip.dst, &s) != WIRE_OK) {
            test_fail(__FILE__, __LINE__, "malformed packet");
            continue;
        }
        if (!(s.flags & SYNACK_SYN) || k >= max) continue;
        CHECK(s.opts.has_ts);
        dport[k] = s.dport;
        seq[k] = s.seq;
        tsval[k] = s.opts.ts_val;
        k++;
    }
    return k;
}

/* ---- ISNs (RFC 6528) ---- */

/* RFC 6528 3: ISN = M + F(4-tuple, secret), M a 4 us timer: one 4-tuple's ISNs grow with time,
 * by one per 4 us, and wrap after 2^32 ticks (4.77 h). */
static void isn_follows_the_4us_clock(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    synack_endpoint l = ep4(0xc6120001, 40000), r = ep4(0xc6120002, 80);
    synack_time_us t0 = SYNACK_SEC(1); /* a multiple of 4 us */
    uint32_t isn0 = tcp_isn(st, &l, &r);
    synack_poll(st, t0 + 3);
    CHECK_EQ(tcp_isn(st, &l, &r), isn0);
    synack_poll(st, t0 + 4);
    CHECK_EQ(tcp_isn(st, &l, &r), isn0 + 1);
    synack_poll(st, t0 + 4000);
    CHECK_EQ(tcp_isn(st, &l, &r), isn0 + 1000);
    uint32_t prev = tcp_isn(st, &l, &r);
    for (int i = 1; i <= 1000; i++) { /* increasing, in sequence space, at any step */
        synack_poll(st, t0 + 4000 + (synack_time_us)i * 997);
        uint32_t x = tcp_isn(st, &l, &r);
        CHECK((int32_t)(x - prev) > 0);
        prev = x;
    }
    synack_poll(st, t0 + 4 * (1ull << 32));
    CHECK_EQ(tcp_isn(st, &l, &r), isn0);
    synack_stack_free(st);
}

/* On the wire: a SYN carries tcp_isn of its 4-tuple; the same 4-tuple one second later starts
 * 250,000 further on; another remote port at the same time starts elsewhere. */
static void isn_on_the_wire(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    synack_endpoint remote = ep4(0xc6120002, 80), remote2 = ep4(0xc6120002, 81);
    uint16_t dp[4];
    uint32_t seq[4], ts[4];
    int sd, sd2;
    int port = connect_port(st, remote, &sd);
    CHECK(port > 0);
    synack_endpoint local = ep4(0xc6120001, (uint16_t)port);
    CHECK_EQ(collect_syns(st, dp, seq, ts, 4), 1);
    CHECK_EQ(seq[0], tcp_isn(st, &local, &remote));
    uint32_t first = seq[0];
    CHECK(connect_port(st, remote2, &sd2) > 0);
    CHECK_EQ(collect_syns(st, dp, seq, ts, 4), 1);
    CHECK(seq[0] != first);
    CHECK_EQ(synack_abort(st, sd), 0);
    CHECK_EQ(synack_abort(st, sd2), 0);
    drain(st);

    synack_poll(st, SYNACK_SEC(2));
    sd = synack_socket(st);
    CHECK_EQ(synack_bind(st, sd, &local), 0);
    CHECK_EQ(synack_connect(st, sd, &remote), -EINPROGRESS);
    CHECK_EQ(collect_syns(st, dp, seq, ts, 4), 1);
    CHECK_EQ(seq[0] - first, 250000u);
    CHECK_EQ(synack_abort(st, sd), 0);
    synack_stack_free(st);
}

/* At one instant, 4096 different 4-tuples: no two ISNs alike. */
static void isn_differs_across_tuples(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    enum { N = 4096 };
    static uint32_t v[N];
    for (int i = 0; i < N; i++) {
        tuple4 t = {0xc6120001, 0xc6120002 + (uint32_t)(i >> 8), 40000, (uint16_t)(1000 + (i & 255))};
        v[i] = real_isn(st, &t);
    }
    int dup = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) dup += v[i] == v[j];
    CHECK_EQ(dup, 0);
    synack_stack_free(st);
}

/* Avalanche: for many random tuples, flip each of the 96 input bits and count the ISN bits that
 * change. For a PRF, each output bit flips with probability 1/2: 16 of 32 on average. */
typedef struct avalanche { double mean, worst_input_bit, worst_output_bit; } avalanche;

static avalanche measure_avalanche(synack_stack *st, isn_fn f, int tuples)
{
    static long per_out[32], per_in[96];
    memset(per_out, 0, sizeof per_out);
    memset(per_in, 0, sizeof per_in);
    long total = 0;
    for (int n = 0; n < tuples; n++) {
        uint64_t a = next_rand(), b = next_rand();
        tuple4 t = {(uint32_t)a, (uint32_t)(a >> 32), (uint16_t)b, (uint16_t)(b >> 16)};
        uint32_t base = f(st, &t);
        for (int bit = 0; bit < 96; bit++) {
            tuple4 u = t;
            tuple_flip(&u, bit);
            uint32_t d = base ^ f(st, &u);
            int c = __builtin_popcount(d);
            total += c;
            per_in[bit] += c;
            for (int o = 0; o < 32; o++) per_out[o] += (d >> o) & 1;
        }
    }
    avalanche r = {(double)total / (tuples * 96.0), 0, 0};
    for (int i = 0; i < 96; i++) {
        double dev = fabs((double)per_in[i] / tuples - 16.0);
        if (dev > r.worst_input_bit) r.worst_input_bit = dev;
    }
    for (int o = 0; o < 32; o++) {
        double dev = fabs((double)per_out[o] / (tuples * 96.0) - 0.5);
        if (dev > r.worst_output_bit) r.worst_output_bit = dev;
    }
    return r;
}

/* Bounds: with 2000 tuples x 96 bits, the mean's standard deviation is 2.83 / sqrt(192000) =
 * 0.0065 bit; one input bit's mean over 2000 tuples has 0.063; one output bit's flip rate has
 * 0.0011. Each bound is 7 to 9 standard deviations wide. */
static bool avalanche_ok(const avalanche *a)
{
    return fabs(a->mean - 16.0) < 0.05 && a->worst_input_bit < 0.5 && a->worst_output_bit < 0.01;
}

static void isn_avalanche(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    avalanche a = measure_avalanche(st, real_isn, 2000);
    printf("  ISN avalanche: %.4f of 32 bits flip per input bit flipped (worst input bit %+.3f, "
           "worst output bit %.4f off 1/2)\n", a.mean, a.worst_input_bit, a.worst_output_bit);
    CHECK(avalanche_ok(&a));
    avalanche w = measure_avalanche(st, weak_mult, 2000);
    printf("  weak multiplicative hash:  %.4f (worst input bit %+.3f) -> rejected\n", w.mean,
           w.worst_input_bit);
    CHECK(!avalanche_ok(&w));
    synack_stack_free(st);
}

/* Chi-square of the ISN low byte over 25,600 sequential tuples (remote ports 1..100 of 256
 * remote addresses: the easiest case for a weak hash), 256 bins of 100 expected: 255 degrees of
 * freedom, mean 255, standard deviation 22.6; accepted within [142, 368] (5 sd either way: a
 * too-even spread is as suspect as a lumpy one). Monobit: the share of 1 bits over all 32 bits
 * of the same ISNs is 1/2 within 0.005 (9 sd of 819,200 bits). */
typedef struct spread { double chi2, ones; } spread;

static spread measure_spread(synack_stack *st, isn_fn f)
{
    static long bins[256];
    memset(bins, 0, sizeof bins);
    long ones = 0, n = 0;
    for (uint32_t a = 0; a < 256; a++)
        for (uint16_t p = 1; p <= 100; p++) {
            tuple4 t = {0xc6120001, 0xc6130000 + a, 40000, p};
            uint32_t x = f(st, &t);
            bins[x & 255]++;
            ones += __builtin_popcount(x);
            n++;
        }
    double expect = (double)n / 256, chi2 = 0;
    for (int i = 0; i < 256; i++) chi2 += (bins[i] - expect) * (bins[i] - expect) / expect;
    spread s = {chi2, (double)ones / (32.0 * (double)n)};
    return s;
}

static bool spread_ok(const spread *s)
{
    return s->chi2 > 142 && s->chi2 < 368 && fabs(s->ones - 0.5) < 0.005;
}

static void isn_spread(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    spread s = measure_spread(st, real_isn);
    printf("  ISN low byte chi-square %.1f (255 dof), share of 1 bits %.5f\n", s.chi2, s.ones);
    CHECK(spread_ok(&s));
    spread w = measure_spread(st, weak_counter);
    printf("  weak clock+port counter: chi-square %.1f -> rejected\n", w.chi2);
    CHECK(!spread_ok(&w));
    synack_stack_free(st);
}

/* The secret and the seed key everything: change either and the ISN, the timestamp offset and
 * the first ephemeral port of the same 4-tuple at the same time change; keep both and they
 * repeat exactly (reproducible runs). */
static void numbers_follow_the_secret(void)
{
    static const uint8_t s1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t s2[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};
    synack_stack *st[4] = {stack_with(1, NULL, 32768, 60999), stack_with(2, NULL, 32768, 60999),
                           stack_with(1, s1, 32768, 60999), stack_with(1, s2, 32768, 60999)};
    synack_stack *again = stack_with(1, s1, 32768, 60999);
    synack_endpoint l = ep4(0xc6120001, 40000), r = ep4(0xc6120002, 80);
    uint32_t isn[4], off[4];
    int port[4], sd;
    for (int i = 0; i < 4; i++) {
        isn[i] = tcp_isn(st[i], &l, &r);
        off[i] = tcp_ts_offset(st[i], &l, &r);
        port[i] = connect_port(st[i], r, &sd);
        CHECK(port[i] > 0);
    }
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) {
            CHECK(isn[i] != isn[j]);
            CHECK(off[i] != off[j]);
            CHECK(port[i] != port[j]);
        }
    CHECK_EQ(tcp_isn(again, &l, &r), isn[2]);
    CHECK_EQ(tcp_ts_offset(again, &l, &r), off[2]);
    CHECK_EQ(connect_port(again, r, &sd), port[2]);
    CHECK(off[0] != isn[0]); /* timestamp offsets and ISNs use different keys */
    for (int i = 0; i < 4; i++) synack_stack_free(st[i]);
    synack_stack_free(again);
}

/* ---- timestamps (RFC 7323 5.4) ---- */

/* Two connections opened at the same instant show different TSvals, neither of which is the
 * stack's clock; one connection's TSvals (its SYN and the retransmissions at 1, 3 and 7 s) grow
 * with the 1 ms timestamp clock. */
static void timestamps_on_the_wire(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    int a, b;
    CHECK(connect_port(st, ep4(0xc6120002, 80), &a) > 0);
    CHECK(connect_port(st, ep4(0xc6120003, 80), &b) > 0);
    uint16_t dp[16];
    uint32_t seq[16], ts[16];
    CHECK_EQ(collect_syns(st, dp, seq, ts, 16), 2);
    CHECK(ts[0] != ts[1]);
    uint32_t clock_ms = (uint32_t)(synack_now(st) / 1000);
    CHECK(ts[0] != clock_ms && ts[1] != clock_ms);
    CHECK_EQ(synack_abort(st, b), 0);
    drain(st);

    uint32_t prev = ts[0];
    synack_time_us prev_t = synack_now(st);
    int seen = 0;
    for (int step = 0; step < 8; step++) {
        synack_time_us d = synack_next_deadline(st);
        if (d == SYNACK_TIME_NEVER || d > SYNACK_SEC(9)) break;
        synack_poll(st, d);
        size_t k = collect_syns(st, dp, seq, ts, 16);
        for (size_t i = 0; i < k; i++) {
            CHECK((int32_t)(ts[i] - prev) > 0);
            CHECK_EQ(ts[i] - prev, (uint32_t)((d - prev_t) / 1000));
            prev = ts[i];
            prev_t = d;
            seen++;
        }
    }
    CHECK_EQ(seen, 3);
    CHECK_EQ(synack_abort(st, a), 0);
    synack_stack_free(st);
}

/* ---- ephemeral ports (RFC 6056 3.3.4) ---- */

/* 400 successive connections to one destination (each aborted before the next): every port in
 * the range, no port twice, and the step between successive ports a secret draw of 1..8 (RFC
 * 6056's counter alone would make every step 1): at most a quarter of the steps are +1 (1/8
 * expected) and at least six different steps occur. */
static void ports_same_destination_not_sequential(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    synack_endpoint r = ep4(0xc6120002, 443);
    enum { N = 400 };
    int ports[N], sd;
    for (int i = 0; i < N; i++) {
        ports[i] = connect_port(st, r, &sd);
        CHECK(ports[i] >= 32768 && ports[i] <= 60999);
        CHECK_EQ(synack_abort(st, sd), 0);
        drain(st);
    }
    int plus_one = 0, seen_step[32] = {0}, distinct = 0, repeats = 0;
    for (int i = 1; i < N; i++) {
        int step = (ports[i] - ports[i - 1] + 28232) % 28232;
        plus_one += step == 1;
        if (step >= 0 && step < 32 && !seen_step[step]++) distinct++;
        CHECK(step >= 1 && step <= 8);
        for (int j = 0; j < i; j++) repeats += ports[j] == ports[i];
    }
    printf("  same destination: %d of %d steps are +1, %d distinct steps\n", plus_one, N - 1, distinct);
    CHECK(plus_one < N / 4);
    CHECK(distinct >= 6);
    CHECK_EQ(repeats, 0);
    synack_stack_free(st);
}

/* The first ports of 512 destinations (one remote address, or one remote port, apart): spread
 * over the range (chi-square over 8 equal bins, 7 degrees of freedom, below 30: p < 1e-4), and
 * destinations next to each other get ports that are not next to each other (the seed-7 run has
 * 3 such pairs by chance, the mean over 200 seeds is 0.31). */
static void ports_unrelated_across_destinations(void)
{
    synack_stack *st = stack_with(7, NULL, 32768, 60999);
    enum { N = 512 };
    int ports[N], sd, bins[8] = {0};
    for (int i = 0; i < N; i++) {
        synack_endpoint r = i < N / 2 ? ep4(0xc6130000 + (uint32_t)i, 80)
                                      : ep4(0xc6120002, (uint16_t)(1000 + i));
        ports[i] = connect_port(st, r, &sd);
        CHECK(ports[i] >= 32768 && ports[i] <= 60999);
        CHECK_EQ(synack_abort(st, sd), 0);
        drain(st);
        bins[(ports[i] - 32768) * 8 / 28232]++;
    }
    double chi2 = 0, e = N / 8.0;
    for (int i = 0; i < 8; i++) chi2 += (bins[i] - e) * (bins[i] - e) / e;
    int near = 0;
    for (int i = 1; i < N; i++) near += abs(ports[i] - ports[i - 1]) <= 8;
    printf("  %d destinations: chi-square %.1f over 8 bins, %d neighbours within 8 ports\n", N, chi2, near);
    CHECK(chi2 < 30);
    CHECK(near <= 5); /* 0.31 on average over seeds (17 / 28232 per pair); 511 if sequential */
    synack_stack_free(st);
}

/* A range of 16 ports: 16 connections to one destination use each port once, the 17th gets
 * EADDRNOTAVAIL; another destination can still use the same ports (the 4-tuple differs); a port
 * freed by an abort is the one the next connection gets; a listener's port is never chosen. */
static void ports_whole_range(void)
{
    synack_stack *st = stack_with(7, NULL, 50000, 50015);
    synack_endpoint r = ep4(0xc6120002, 80), other = ep4(0xc6120002, 81);
    int lsd = synack_socket(st);
    synack_endpoint lep = ep4(0, 50003);
    lep.addr.family = SYNACK_AF_INET;
    CHECK_EQ(synack_bind(st, lsd, &lep), 0);
    CHECK_EQ(synack_listen(st, lsd, 4), 0);

    int sds[16], used[16] = {0}, n = 0, sd;
    for (;;) {
        int p = connect_port(st, r, &sd);
        if (p < 0) {
            CHECK_EQ(p, -EADDRNOTAVAIL);
            break;
        }
        CHECK(p >= 50000 && p <= 50015 && p != 50003);
        if (p >= 50000 && p <= 50015) used[p - 50000]++;
        if (n < 16) sds[n++] = sd;
        else test_fail(__FILE__, __LINE__, "more than 15 ports");
        drain(st);
    }
    CHECK_EQ(n, 15);
    for (int i = 0; i < 16; i++) CHECK_EQ(used[i], i == 3 ? 0 : 1);

    int o;
    int po = connect_port(st, other, &o);
    CHECK(po >= 50000 && po <= 50015 && po != 50003);
    CHECK_EQ(synack_abort(st, o), 0);

    synack_endpoint freed;
    CHECK_EQ(synack_getsockname(st, sds[7], &freed), 0);
    CHECK_EQ(synack_abort(st, sds[7]), 0);
    CHECK_EQ(connect_port(st, r, &sds[7]), freed.port);
    CHECK_EQ(connect_port(st, r, &sd), -EADDRNOTAVAIL);
    drain(st);
    for (int i = 0; i < n; i++) CHECK_EQ(synack_abort(st, sds[i]), 0);
    CHECK_EQ(synack_close(st, lsd), 0);
    synack_stack_free(st);
}

/* bind(port 0) takes a port nobody holds: 16 binds fill a 16-port range with distinct ports,
 * the 17th fails with EADDRINUSE, and a closed socket's port is bound again. */
static void ports_bind_zero(void)
{
    synack_stack *st = stack_with(7, NULL, 50000, 50015);
    synack_endpoint any = ep4(0, 0);
    any.addr.family = SYNACK_AF_INET;
    int sds[16], used[16] = {0};
    for (int i = 0; i < 16; i++) {
        sds[i] = synack_socket(st);
        CHECK_EQ(synack_bind(st, sds[i], &any), 0);
        CHECK_EQ(synack_listen(st, sds[i], 1), 0); /* a listener holds its port for good */
        synack_endpoint l;
        CHECK_EQ(synack_getsockname(st, sds[i], &l), 0);
        CHECK(l.port >= 50000 && l.port <= 50015);
        if (l.port >= 50000 && l.port <= 50015) used[l.port - 50000]++;
    }
    for (int i = 0; i < 16; i++) CHECK_EQ(used[i], 1);
    int extra = synack_socket(st);
    CHECK_EQ(synack_bind(st, extra, &any), -EADDRINUSE);
    synack_endpoint freed, again;
    CHECK_EQ(synack_getsockname(st, sds[5], &freed), 0);
    CHECK_EQ(synack_close(st, sds[5]), 0);
    CHECK_EQ(synack_bind(st, extra, &any), 0);
    CHECK_EQ(synack_getsockname(st, extra, &again), 0);
    CHECK_EQ(again.port, freed.port);
    synack_stack_free(st);
}

int main(void)
{
    RUN(isn_follows_the_4us_clock);
    RUN(isn_on_the_wire);
    RUN(isn_differs_across_tuples);
    RUN(isn_avalanche);
    RUN(isn_spread);
    RUN(numbers_follow_the_secret);
    RUN(timestamps_on_the_wire);
    RUN(ports_same_destination_not_sequential);
    RUN(ports_unrelated_across_destinations);
    RUN(ports_whole_range);
    RUN(ports_bind_zero);
    return test_report();
}
