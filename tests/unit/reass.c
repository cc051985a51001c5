/* reass.c: IP reassembly (src/core/ip/reass.c) through the stack's public calls, in virtual time.
 * Echo requests (IPv4 and IPv6) and TCP segments are cut into fragments by hand and fed in every
 * order (all permutations up to 5 fragments, seeded random orders and sizes for 64 KiB), with
 * duplicates, overlaps, gaps, too many fragments, too large datagrams, tiny first fragments,
 * nested and atomic fragments, and over the per-source and per-stack budgets. Each datagram is
 * either rebuilt exactly (the echo reply carries the request's bytes back, fragmented itself when
 * it exceeds the MTU; the TCP bytes reach recv()) or dropped under its own counter; reassembly
 * memory is back to zero after each, and every slot is free once the timeouts ran. */
#include <stdlib.h>

#include "peer.h"
#include "test.h"
#include "wire/bytes.h"
#include "wire/wire.h"

static const uint8_t ME4[4] = {198, 18, 0, 1};
static const uint8_t PEER4[5][4] = {{198, 18, 0, 9}, {198, 18, 0, 10}, {198, 18, 0, 11},
                                    {198, 18, 0, 12}, {198, 18, 0, 13}};
static uint8_t ME6[16], PEER6[3][16];

static synack_stack *st;
static synack_time_us now;

static const uint8_t *peer_addr(bool v6, int i) { return v6 ? PEER6[i] : PEER4[i]; }

static void config(synack_config *cfg)
{
    synack_config_default(cfg);
    cfg->addr = synack_addr_v4(198, 18, 0, 1);
    synack_addr_parse("2001:db8::1", &cfg->addr6);
    cfg->icmp_ratelimit_per_sec = 0; /* every request answered, however many the test sends */
}

static void start(const synack_config *cfg)
{
    synack_config c;
    if (!cfg) {
        config(&c);
        cfg = &c;
    }
    st = synack_stack_new(cfg);
    if (!st) abort();
    now = SYNACK_SEC(1);
    synack_poll(st, now);
}

static uint64_t cnt(int c) { return synack_counter(st, c); }
#define CNT_OF(name) cnt(SYNACK_CNT_##name)

static size_t reass_bytes(void)
{
    synack_mem_info m;
    synack_mem_get(st, &m);
    return m.reass_bytes_in_use;
}

static uint32_t reass_slots(void)
{
    synack_mem_info m;
    synack_mem_get(st, &m);
    return m.reass_datagrams;
}

/* Runs every deadline out: afterwards no slot and no byte may be left. Frees the stack. */
static void finish(void)
{
    for (int guard = 0; guard < 1000; guard++) {
        synack_time_us d = synack_next_deadline(st);
        if (d == SYNACK_TIME_NEVER) break;
        if (d > now) now = d;
        synack_poll(st, now);
        uint8_t buf[2048];
        while (synack_output(st, buf, sizeof buf) > 0) {}
    }
    CHECK_EQ(synack_next_deadline(st), SYNACK_TIME_NEVER);
    CHECK_EQ(reass_bytes(), 0);
    CHECK_EQ(reass_slots(), 0);
    synack_stack_free(st);
    st = NULL;
}

/* ---- building ---- */

/* An ICMP (or ICMPv6) echo request carrying data_len bytes: the whole upper-layer message. */
static size_t echo_msg(uint8_t *m, bool v6, const uint8_t *src, size_t data_len, uint16_t seq)
{
    m[0] = v6 ? 128 : 8;
    m[1] = 0;
    wr16(m + 2, 0);
    wr16(m + 4, 0x5a17);
    wr16(m + 6, seq);
    for (size_t i = 0; i < data_len; i++) m[8 + i] = (uint8_t)(i * 7 + seq + (i >> 8));
    size_t len = 8 + data_len;
    uint32_t s = v6 ? cksum_pseudo_ip6(src, ME6, (uint32_t)len, IP_PROTO_ICMP6) : 0;
    wr16(m + 2, cksum_fold(cksum_add(s, m, len)));
    return len;
}

typedef struct frag {
    uint32_t off, len;
    bool more;
} frag;

/* One fragment packet of payload[off, off+len) to us: IPv4 with MF/offset, or IPv6 with a
 * Fragment header straight after the base header. */
static size_t frag_pkt(uint8_t *out, bool v6, const uint8_t *src, uint8_t proto, uint32_t id,
                       const uint8_t *payload, frag f)
{
    if (v6) {
        ip6_hdr h;
        memset(&h, 0, sizeof h);
        memcpy(h.src, src, 16);
        memcpy(h.dst, ME6, 16);
        h.next = IP_PROTO_FRAGMENT;
        h.hlim = 64;
        ip6_emit(out, 40, &h, 8 + f.len);
        out[40] = proto;
        out[41] = 0;
        wr16(out + 42, (uint16_t)(f.off | (f.more ? 1 : 0)));
        wr32(out + 44, id);
        memcpy(out + 48, payload + f.off, f.len);
        return 48 + f.len;
    }
    ip4_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.src, src, 4);
    memcpy(h.dst, ME4, 4);
    h.id = (uint16_t)id;
    h.mf = f.more;
    h.frag_off = (uint16_t)f.off;
    h.ttl = 64;
    h.proto = proto;
    ip4_emit(out, 20, &h, f.len);
    memcpy(out + 20, payload + f.off, f.len);
    return 20 + f.len;
}

static uint8_t pktbuf[70000];

static void send_frag(bool v6, const uint8_t *src, uint8_t proto, uint32_t id, const uint8_t *payload, frag f)
{
    size_t n = frag_pkt(pktbuf, v6, src, proto, id, payload, f);
    now += 10;
    synack_input(st, now, pktbuf, n);
}

/* Cuts total bytes into pieces of per bytes (a multiple of 8); returns the count. */
static size_t split(frag *fr, size_t total, size_t per)
{
    size_t n = 0;
    for (size_t off = 0; off < total; off += per, n++) {
        fr[n].off = (uint32_t)off;
        fr[n].len = (uint32_t)(total - off < per ? total - off : per);
        fr[n].more = off + per < total;
    }
    return n;
}

/* ---- what the stack sent: a test-side reassembly of its output ---- */

typedef struct out_dgram {
    int npkts, over_mtu, df;
    bool v6, complete, frag_hdr;
    uint8_t proto;
    uint8_t dst[16];
    size_t len;
    uint8_t data[70000];
    uint8_t first[2048]; /* the first packet as sent */
    size_t first_len;
} out_dgram;

static out_dgram outd;

/* Takes every packet the stack queued; they must all belong to one datagram (or be one). */
static int take_output(out_dgram *o, uint32_t mtu)
{
    memset(o, 0, offsetof(out_dgram, data));
    static uint8_t buf[65536];
    size_t n, got = 0;
    bool have_end = false;
    while ((n = synack_output(st, buf, sizeof buf)) > 0) {
        if (o->npkts == 0) {
            o->first_len = n < sizeof o->first ? n : sizeof o->first;
            memcpy(o->first, buf, o->first_len);
        }
        o->npkts++;
        if (n > mtu) o->over_mtu++;
        const uint8_t *pl;
        size_t pll, off = 0;
        bool more = false;
        if (buf[0] >> 4 == 6) {
            ip6_hdr h;
            enum wire_verdict v = ip6_parse(buf, n, &h, &pl, &pll);
            CHECK(v == WIRE_OK || v == WIRE_IP_FRAGMENT);
            if (v == WIRE_IP_FRAGMENT) {
                off = h.frag_off;
                more = h.frag_more;
                o->frag_hdr = true;
            }
            o->v6 = true;
            o->proto = h.next;
            memcpy(o->dst, h.dst, 16);
        } else {
            ip4_hdr h;
            enum wire_verdict v = ip4_parse(buf, n, &h, &pl, &pll);
            CHECK(v == WIRE_OK || v == WIRE_IP_FRAGMENT);
            off = h.frag_off;
            more = h.mf;
            o->df += h.df;
            o->proto = h.proto;
            memcpy(o->dst, h.src, 0);
            memcpy(o->dst, h.dst, 4);
        }
        if (off + pll > sizeof o->data) continue;
        memcpy(o->data + off, pl, pll);
        got += pll;
        if (!more) {
            o->len = off + pll;
            have_end = true;
        }
    }
    o->complete = have_end && got == o->len;
    return o->npkts;
}

/* The reply to the request msg (len bytes) from src is in o, byte for byte. */
static bool is_echo_reply(const out_dgram *o, bool v6, const uint8_t *src, const uint8_t *msg, size_t len)
{
    if (!o->complete || o->len != len || o->v6 != v6 || memcmp(o->dst, src, v6 ? 16 : 4) != 0) return false;
    if (o->data[0] != (v6 ? 129 : 0) || o->data[1] != 0) return false;
    if (memcmp(o->data + 4, msg + 4, len - 4) != 0) return false;
    uint32_t s = v6 ? cksum_pseudo_ip6(ME6, src, (uint32_t)len, IP_PROTO_ICMP6) : 0;
    return cksum_fold(cksum_add(s, o->data, len)) == 0;
}

static uint8_t msg[70000];

/* Sends the request msg as fragments fr in the order given; checks the reply. */
static void echo_in_order(bool v6, int src_i, uint32_t id, size_t len, const frag *fr, const size_t *order,
                          size_t n, const char *what)
{
    const uint8_t *src = peer_addr(v6, src_i);
    uint64_t ok0 = CNT_OF(reass_ok);
    size_t held0 = reass_bytes(); /* other datagrams' */
    for (size_t i = 0; i < n; i++) send_frag(v6, src, v6 ? IP_PROTO_ICMP6 : IP_PROTO_ICMP, id, msg, fr[order[i]]);
    take_output(&outd, 1500);
    bool good = is_echo_reply(&outd, v6, src, msg, len);
    test_checks++;
    /* One fragment alone is no fragment (IPv4 MF clear, offset 0) or an atomic one (IPv6). */
    if (!good || CNT_OF(reass_ok) != ok0 + (n > 1) || outd.over_mtu || reass_bytes() > held0) {
        char o[256];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 16 < sizeof o; i++) k += (size_t)snprintf(o + k, sizeof o - k, " %zu", order[i]);
        test_fail(__FILE__, __LINE__, "%s IPv%d, %zu fragments, order%s: reply %s (%d packets, %d over the MTU), %zu bytes held",
                  what, v6 ? 6 : 4, n, o, good ? "ok" : "wrong", outd.npkts, outd.over_mtu, reass_bytes());
    }
}

/* ---- every order ---- */

static bool next_permutation(size_t *a, size_t n)
{
    if (n < 2) return false;
    size_t i = n - 1;
    while (i > 0 && a[i - 1] >= a[i]) i--;
    if (i == 0) return false;
    size_t j = n - 1;
    while (a[j] <= a[i - 1]) j--;
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (size_t l = i, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

static void all_permutations(void)
{
    start(NULL);
    uint32_t id = 100;
    int rounds = 0;
    for (int v6 = 0; v6 < 2; v6++) {
        for (size_t n = 1; n <= 5; n++) {
            /* n fragments of 64 bytes each but the last (40): a request of n*64-24 bytes. */
            size_t len = echo_msg(msg, v6, peer_addr(v6, 0), n * 64 - 24 - 8, (uint16_t)n);
            frag fr[8];
            CHECK_EQ(split(fr, len, 64), n);
            size_t order[8];
            for (size_t i = 0; i < n; i++) order[i] = i;
            do {
                echo_in_order(v6, 0, id++, len, fr, order, n, "permutation");
                rounds++;
            } while (next_permutation(order, n));
        }
    }
    CHECK_EQ(rounds, 2 * (1 + 2 + 6 + 24 + 120));
    /* n == 1 is an IPv4 datagram with MF clear and offset 0: not a fragment at all; for IPv6 it
     * is an atomic fragment (RFC 6946), also whole. Neither is "reassembled". */
    CHECK_EQ(CNT_OF(reass_ok), (uint64_t)rounds - 2);
    CHECK_EQ(CNT_OF(reass_atomic6), 1);
    finish();
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void shuffle(size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd((uint32_t)i), t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The largest echo requests (65,535-byte datagrams) in 1480- and random-sized fragments, in
 * random orders; the replies are as large, so the stack fragments them itself. */
static void random_orders_64k(void)
{
    start(NULL);
    uint32_t id = 7000;
    static frag fr[9000];
    static size_t order[9000];
    for (int v6 = 0; v6 < 2; v6++) {
        size_t len = echo_msg(msg, v6, peer_addr(v6, 1), v6 ? 65535 - 8 : 65535 - 20 - 8, 9);
        for (int round = 0; round < 40; round++) {
            size_t n;
            if (round % 2 == 0) {
                n = split(fr, len, 1480);
            } else { /* random sizes, multiples of 8 (the first holds the ICMP header) */
                n = 0;
                for (size_t off = 0; off < len; n++) {
                    size_t per = 8 * (1 + rnd(500));
                    fr[n].off = (uint32_t)off;
                    fr[n].len = (uint32_t)(len - off < per ? len - off : per);
                    off += fr[n].len;
                    fr[n].more = off < len;
                }
            }
            for (size_t i = 0; i < n; i++) order[i] = i;
            shuffle(order, n);
            echo_in_order(v6, 1, id++, len, fr, order, n, "random");
            CHECK(outd.npkts >= 45);
            /* IPv4 replies go without DF (so they may be fragmented); IPv6 ones in fragments. */
            CHECK_EQ(outd.df, 0);
            CHECK_EQ(outd.frag_hdr, v6);
        }
    }
    CHECK_EQ(CNT_OF(reass_ok), 80);
    CHECK(CNT_OF(ip_frag_out) >= 80 * 45);
    synack_mem_info m;
    synack_mem_get(st, &m);
    CHECK(m.reass_bytes_high >= 65535); /* the memory was really used... */
    finish();                            /* ...and is all back */
}

/* Every fragment sent twice or three times, interleaved, before the last one completes the
 * datagram: duplicates are dropped alone (RFC 8200 4.5), the datagram completes once. */
static void duplicates(void)
{
    start(NULL);
    static frag fr[64], seq[256];
    static size_t order[256];
    for (int v6 = 0; v6 < 2; v6++) {
        for (int round = 0; round < 20; round++) {
            size_t len = echo_msg(msg, v6, peer_addr(v6, 0), 3000, (uint16_t)round);
            size_t n = split(fr, len, 8 * (20 + rnd(100))), m = 0;
            size_t last = rnd((uint32_t)n); /* held back: it completes the datagram */
            uint64_t dup0 = CNT_OF(reass_dup);
            size_t dups = 0;
            for (size_t i = 0; i < n; i++) {
                if (i == last) continue;
                size_t copies = 1 + rnd(3);
                for (size_t c = 0; c < copies; c++) seq[m++] = fr[i];
                dups += copies - 1;
            }
            for (size_t i = 0; i < m; i++) order[i] = i;
            shuffle(order, m);
            uint32_t id = 20000 + (uint32_t)round;
            for (size_t i = 0; i < m; i++) send_frag(v6, peer_addr(v6, 0), v6 ? 58 : 1, id, msg, seq[order[i]]);
            CHECK_EQ(take_output(&outd, 1500), 0);
            CHECK_EQ(CNT_OF(reass_dup), dup0 + dups);
            send_frag(v6, peer_addr(v6, 0), v6 ? 58 : 1, id, msg, fr[last]);
            take_output(&outd, 1500);
            CHECK(is_echo_reply(&outd, v6, peer_addr(v6, 0), msg, len));
            CHECK_EQ(reass_bytes(), 0);
            CHECK_EQ(reass_slots(), 0);
        }
    }
    /* A duplicate after completion starts a new datagram (the old one is gone): it waits and
     * times out like any incomplete one. */
    size_t len = echo_msg(msg, false, PEER4[0], 100, 1);
    frag fr2[2] = {{0, 64, true}, {64, (uint32_t)len - 64, false}};
    send_frag(false, PEER4[0], 1, 555, msg, fr2[0]);
    send_frag(false, PEER4[0], 1, 555, msg, fr2[1]);
    take_output(&outd, 1500);
    CHECK(is_echo_reply(&outd, false, PEER4[0], msg, len));
    send_frag(false, PEER4[0], 1, 555, msg, fr2[1]);
    CHECK_EQ(reass_slots(), 1);
    CHECK(reass_bytes() > 0);
    finish();
}

/* ---- overlaps ---- */

typedef struct overlap_case {
    const char *name;
    frag a, b; /* a arrives first, then b overlapping it */
} overlap_case;

static const overlap_case overlaps[] = {
    {"b over a's tail", {0, 64, true}, {32, 64, true}},
    {"b over a's head", {64, 64, true}, {32, 64, true}},
    {"b inside a", {0, 128, true}, {32, 32, true}},
    {"b around a", {32, 32, true}, {0, 128, true}},
    {"same start, longer", {0, 64, true}, {0, 128, true}},
    {"same end, later start", {64, 64, true}, {96, 32, true}},
    {"last over a", {64, 64, true}, {96, 200, false}},
};

/* IPv6: RFC 5722, the whole datagram goes, and with it every later fragment of it. IPv4: the
 * same policy (see reass.c). Nothing is answered, nothing is held, no ICMP at the timeout. */
static void overlapping(void)
{
    for (int v6 = 0; v6 < 2; v6++) {
        for (size_t c = 0; c < sizeof overlaps / sizeof overlaps[0]; c++) {
            start(NULL);
            const overlap_case *oc = &overlaps[c];
            size_t len = echo_msg(msg, v6, PEER6[0], 280 - 8, 3);
            if (!v6) len = echo_msg(msg, false, PEER4[0], 280 - 8, 3);
            const uint8_t *src = peer_addr(v6, 0);
            uint8_t proto = v6 ? 58 : 1;
            send_frag(v6, src, proto, 77, msg, oc->a);
            send_frag(v6, src, proto, 77, msg, oc->b);
            test_checks++;
            if (CNT_OF(reass_overlap) != 1) test_fail(__FILE__, __LINE__, "IPv%d %s: not dropped", v6 ? 6 : 4, oc->name);
            CHECK_EQ(reass_bytes(), 0);
            /* The rest of the datagram, correctly cut, changes nothing. */
            frag fr[8];
            size_t n = split(fr, len, 64);
            for (size_t i = 0; i < n; i++) send_frag(v6, src, proto, 77, msg, fr[i]);
            CHECK_EQ(take_output(&outd, 1500), 0);
            CHECK_EQ(CNT_OF(reass_dead), n);
            CHECK_EQ(CNT_OF(reass_ok), 0);
            CHECK_EQ(reass_bytes(), 0);
            CHECK_EQ(reass_slots(), 1);
            /* At the timeout the slot is freed silently (the first fragment came, but the
             * datagram was discarded, not timed out). */
            now += v6 ? SYNACK_SEC(60) : SYNACK_SEC(30);
            synack_poll(st, now);
            CHECK_EQ(take_output(&outd, 1500), 0);
            CHECK_EQ(CNT_OF(reass_timeout), 0);
            CHECK_EQ(CNT_OF(icmp_time_exceeded_out), 0);
            CHECK_EQ(reass_slots(), 0);
            /* The same identification afterwards is a new datagram and completes. */
            size_t order[8];
            for (size_t i = 0; i < n; i++) order[i] = n - 1 - i;
            echo_in_order(v6, 0, 77, len, fr, order, n, "after overlap");
            finish();
        }
    }
}

/* ---- gaps and timeouts ---- */

static void missing_fragment_times_out(void)
{
    for (int v6 = 0; v6 < 2; v6++) {
        for (int miss_first = 0; miss_first < 2; miss_first++) {
            start(NULL);
            const uint8_t *src = peer_addr(v6, 2);
            size_t len = echo_msg(msg, v6, src, 4000, 1);
            frag fr[8];
            size_t n = split(fr, len, 1024);
            size_t skip = miss_first ? 0 : 2;
            synack_time_us t0 = now + 10; /* the first-arriving fragment's time */
            uint8_t first_pkt[2048];
            size_t first_len = frag_pkt(first_pkt, v6, src, v6 ? 58 : 1, 4242, msg, fr[0]);
            for (size_t i = 0; i < n; i++)
                if (i != skip) send_frag(v6, src, v6 ? 58 : 1, 4242, msg, fr[i]);
            CHECK_EQ(take_output(&outd, 1500), 0);
            CHECK(reass_bytes() >= len - 1024);
            /* The stack's next deadline is the reassembly timeout (30 s IPv4 as Linux, 60 s
             * IPv6 as RFC 8200), counted from the first-arriving fragment. */
            synack_time_us want = t0 + (v6 ? SYNACK_SEC(60) : SYNACK_SEC(30));
            CHECK_EQ(synack_next_deadline(st), want);
            synack_poll(st, want - 1);
            CHECK_EQ(CNT_OF(reass_timeout), 0);
            CHECK_EQ(take_output(&outd, 1500), 0);
            now = want;
            synack_poll(st, now);
            CHECK_EQ(CNT_OF(reass_timeout), 1);
            CHECK_EQ(reass_bytes(), 0);
            CHECK_EQ(reass_slots(), 0);
            CHECK_EQ(synack_next_deadline(st), SYNACK_TIME_NEVER);
            if (miss_first) {
                /* RFC 792 / RFC 4443 3.3: no first fragment, no Time Exceeded. */
                CHECK_EQ(take_output(&outd, 1500), 0);
                CHECK_EQ(CNT_OF(icmp_time_exceeded_out), 0);
            } else {
                CHECK_EQ(take_output(&outd, 1500), 1);
                CHECK_EQ(CNT_OF(icmp_time_exceeded_out), 1);
                CHECK(outd.complete);
                CHECK(memcmp(outd.dst, src, v6 ? 16 : 4) == 0);
                CHECK_EQ(outd.proto, v6 ? 58 : 1);
                CHECK_EQ(outd.data[0], v6 ? 3 : 11); /* Time Exceeded */
                CHECK_EQ(outd.data[1], 1);           /* fragment reassembly time exceeded */
                CHECK_EQ(rd32(outd.data + 4), 0);
                uint32_t s = v6 ? cksum_pseudo_ip6(ME6, src, (uint32_t)outd.len, 58) : 0;
                CHECK_EQ(cksum_fold(cksum_add(s, outd.data, outd.len)), 0);
                /* The quote is the first fragment as it came: its header and data (RFC 792:
                 * "Internet Header + 64 bits of Data"; IPv6 up to the 1280-byte minimum MTU). */
                size_t qlen = outd.len - 8;
                CHECK(qlen >= (v6 ? 48u : 28u));
                CHECK(8 + qlen + (v6 ? 40 : 20) <= (v6 ? 1280u : 576u));
                CHECK(memcmp(outd.data + 8, first_pkt, qlen < first_len ? qlen : first_len) == 0);
            }
            finish();
        }
    }
}

/* Deadlines of many datagrams leave in arrival order, per family, and synack_next_deadline
 * always names the earliest. */
static void deadlines_in_order(void)
{
    start(NULL);
    synack_time_us t[6];
    size_t len = echo_msg(msg, false, PEER4[0], 100, 1);
    frag first = {0, 64, true};
    for (int i = 0; i < 6; i++) {
        now += SYNACK_SEC(1);
        bool v6 = i % 2;
        if (v6) echo_msg(msg, true, PEER6[0], 100, 1);
        else echo_msg(msg, false, PEER4[0], 100, 1);
        send_frag(v6, peer_addr(v6, 0), v6 ? 58 : 1, 900 + (uint32_t)i, msg, first);
        t[i] = now + (v6 ? SYNACK_SEC(60) : SYNACK_SEC(30));
    }
    (void)len;
    CHECK_EQ(reass_slots(), 6);
    synack_time_us expect[6] = {t[0], t[2], t[4], t[1], t[3], t[5]};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(synack_next_deadline(st), expect[i]);
        now = expect[i];
        synack_poll(st, now);
        CHECK_EQ(reass_slots(), 5 - i);
        CHECK_EQ(take_output(&outd, 1500), 1); /* each had its first fragment: Time Exceeded */
    }
    CHECK_EQ(CNT_OF(reass_timeout), 6);
    finish();
}

/* ---- limits ---- */

static void too_many_fragments(void)
{
    synack_config cfg;
    config(&cfg);
    cfg.frag_max_fragments = 8;
    start(&cfg);
    frag fr[16];
    size_t order[16];
    size_t len = echo_msg(msg, false, PEER4[0], 8 * 64 - 8, 1);
    size_t n = split(fr, len, 64);
    CHECK_EQ(n, 8);
    for (size_t i = 0; i < n; i++) order[i] = (i * 3) % 8;
    echo_in_order(false, 0, 1, len, fr, order, n, "eight fragments");
    len = echo_msg(msg, false, PEER4[0], 9 * 64 - 8, 2);
    n = split(fr, len, 64);
    CHECK_EQ(n, 9);
    for (size_t i = 0; i < n; i++) send_frag(false, PEER4[0], 1, 2, msg, fr[i]);
    CHECK_EQ(take_output(&outd, 1500), 0);
    CHECK_EQ(CNT_OF(reass_too_many), 1);
    CHECK_EQ(reass_bytes(), 0);
    /* IPv6 alike. */
    len = echo_msg(msg, true, PEER6[0], 9 * 64 - 8, 2);
    n = split(fr, len, 64);
    for (size_t i = 0; i < n; i++) send_frag(true, PEER6[0], 58, 2, msg, fr[n - 1 - i]);
    CHECK_EQ(take_output(&outd, 1500), 0);
    CHECK_EQ(CNT_OF(reass_too_many), 2);
    CHECK_EQ(reass_bytes(), 0);
    finish();
}

/* Writes an IPv4 header of hlen bytes (NOP options) for a fragment; returns hlen. */
static size_t ip4_hdr_opts(uint8_t *p, size_t hlen, const uint8_t *src, uint16_t id, uint32_t off,
                           bool more, size_t plen)
{
    memset(p, 0, hlen);
    p[0] = (uint8_t)(0x40 | hlen / 4);
    wr16(p + 2, (uint16_t)(hlen + plen));
    wr16(p + 4, id);
    wr16(p + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
    p[8] = 64;
    p[9] = IP_PROTO_ICMP;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, ME4, 4);
    memset(p + 20, 1, hlen - 20); /* NOPs */
    wr16(p + 10, cksum_fold(cksum_add(0, p, hlen)));
    return hlen;
}

/* Datagrams that would exceed 65,535 bytes: the "ping of death". */
static void too_large(void)
{
    start(NULL);
    echo_msg(msg, false, PEER4[0], 65000, 1);
    /* A fragment ending past 65,535 - 20: dropped as it comes, and its datagram with it. */
    send_frag(false, PEER4[0], 1, 1, msg, (frag){0, 1024, true});
    static uint8_t big[70000];
    memset(big, 0xab, sizeof big);
    send_frag(false, PEER4[0], 1, 1, big, (frag){65512, 8, false});
    CHECK_EQ(CNT_OF(reass_too_big), 1);
    CHECK_EQ(reass_bytes(), 0);
    /* With 40 bytes of options on the first fragment, 65,500 bytes of payload fit the offsets but
     * not the Total Length: caught when the datagram completes. */
    size_t h = ip4_hdr_opts(pktbuf, 60, PEER4[1], 2, 0, true, 32768);
    memcpy(pktbuf + h, msg, 32768);
    synack_input(st, now, pktbuf, h + 32768);
    h = ip4_hdr_opts(pktbuf, 20, PEER4[1], 2, 32768, false, 65500 - 32768);
    memcpy(pktbuf + h, big, 65500 - 32768);
    synack_input(st, now, pktbuf, h + 65500 - 32768);
    CHECK_EQ(CNT_OF(reass_too_big), 2);
    CHECK_EQ(take_output(&outd, 1500), 0);
    CHECK_EQ(reass_bytes(), 0);
    /* The same with a 20-byte header fits exactly: 20 + 65,500 <= 65,535. Options on the first
     * fragment are kept in the rebuilt header (RFC 791). */
    size_t len = echo_msg(msg, false, PEER4[1], 65500 - 8, 3);
    frag a = {0, 32768, true}, b = {32768, (uint32_t)len - 32768, false};
    send_frag(false, PEER4[1], 1, 3, msg, b);
    send_frag(false, PEER4[1], 1, 3, msg, a);
    take_output(&outd, 1500);
    CHECK(is_echo_reply(&outd, false, PEER4[1], msg, len));
    /* IPv6: offset + length over 65,535. */
    echo_msg(msg, true, PEER6[0], 200, 1);
    send_frag(true, PEER6[0], 58, 5, msg, (frag){0, 64, true});
    send_frag(true, PEER6[0], 58, 5, big, (frag){65528, 16, false});
    CHECK_EQ(CNT_OF(reass_too_big), 3);
    CHECK_EQ(reass_bytes(), 0);
    finish();
}

/* One source may hold frag_src_mem_bytes and a quarter of the slots; others are not hurt. */
static void per_source_budget(void)
{
    synack_config cfg;
    config(&cfg);
    cfg.frag_src_mem_bytes = 16 * 1024;
    cfg.frag_max_datagrams = 8;
    start(&cfg);
    /* 20 KiB from one source in 1 KiB fragments: over its 16 KiB before the end. */
    size_t len = echo_msg(msg, false, PEER4[0], 20 * 1024, 1);
    frag fr[64];
    size_t n = split(fr, len, 1024);
    for (size_t i = 0; i < n; i++) send_frag(false, PEER4[0], 1, 1, msg, fr[i]);
    CHECK_EQ(take_output(&outd, 1500), 0);
    CHECK_EQ(CNT_OF(reass_src_budget), 1);
    CHECK(CNT_OF(reass_dead) > 0);
    CHECK_EQ(reass_bytes(), 0);
    /* Another source's 12 KiB datagram is rebuilt. */
    len = echo_msg(msg, false, PEER4[1], 12 * 1024, 2);
    n = split(fr, len, 1024);
    size_t order[64];
    for (size_t i = 0; i < n; i++) order[i] = i;
    shuffle(order, n);
    echo_in_order(false, 1, 2, len, fr, order, n, "other source");
    /* Slots: two incomplete datagrams per source (8 / 4); the third is refused. */
    len = echo_msg(msg, false, PEER4[2], 100, 3);
    for (uint32_t id = 10; id < 13; id++) send_frag(false, PEER4[2], 1, id, msg, (frag){0, 64, true});
    CHECK_EQ(reass_slots(), 1 /* the dead one */ + 2);
    CHECK_EQ(CNT_OF(reass_src_budget), 2);
    /* The per-source counts are per address: IPv6 from another address is fine. */
    len = echo_msg(msg, true, PEER6[2], 3000, 4);
    n = split(fr, len, 1232);
    for (size_t i = 0; i < n; i++) order[i] = n - 1 - i;
    echo_in_order(true, 2, 4, len, fr, order, n, "IPv6 source");
    finish();
}

/* The stack's budget: the oldest datagram is evicted for a new one (memory, then slots). */
static void stack_budget_evicts_oldest(void)
{
    synack_config cfg;
    config(&cfg);
    cfg.frag_mem_bytes = 64 * 1024;
    cfg.frag_src_mem_bytes = 48 * 1024;
    cfg.frag_max_datagrams = 4;
    start(&cfg);
    /* Sources 0 and 1 each hold ~28 KiB of an incomplete datagram. */
    frag fr[64];
    size_t order[64];
    for (int s = 0; s < 2; s++) {
        echo_msg(msg, false, PEER4[s], 40 * 1024 - 8, 1);
        split(fr, 40 * 1024, 1024);
        for (size_t i = 0; i < 28; i++) send_frag(false, PEER4[s], 1, 50, msg, fr[i]);
    }
    CHECK(reass_bytes() > 56 * 1024);
    CHECK_EQ(reass_slots(), 2);
    /* Source 2's 16 KiB datagram needs room: source 0's (the oldest) goes. */
    size_t len = echo_msg(msg, false, PEER4[2], 16 * 1024, 2);
    size_t n = split(fr, len, 1024);
    for (size_t i = 0; i < n; i++) order[i] = i;
    echo_in_order(false, 2, 60, len, fr, order, n, "evicting");
    CHECK_EQ(CNT_OF(reass_evicted), 1);
    CHECK_EQ(reass_slots(), 1);
    /* Source 1's datagram is intact: its last 12 fragments complete it. */
    len = echo_msg(msg, false, PEER4[1], 40 * 1024 - 8, 1);
    n = split(fr, len, 1024);
    for (size_t i = 28; i < n; i++) send_frag(false, PEER4[1], 1, 50, msg, fr[i]);
    take_output(&outd, 1500);
    CHECK(is_echo_reply(&outd, false, PEER4[1], msg, len));
    CHECK_EQ(reass_bytes(), 0);
    /* Slots: four incomplete datagrams (four sources, one each: a quarter of the pool), and a
     * fifth source's datagram evicts the oldest. */
    echo_msg(msg, false, PEER4[0], 100, 1);
    for (int s = 0; s < 4; s++) send_frag(false, PEER4[s], 1, 70, msg, (frag){0, 64, true});
    CHECK_EQ(reass_slots(), 4);
    send_frag(false, PEER4[0], 1, 71, msg, (frag){0, 64, true}); /* over source 0's quarter */
    CHECK_EQ(CNT_OF(reass_src_budget), 1);
    len = echo_msg(msg, false, PEER4[4], 200, 5);
    n = split(fr, len, 64);
    for (size_t i = 0; i < n; i++) order[i] = i;
    echo_in_order(false, 4, 80, len, fr, order, n, "slot eviction");
    CHECK_EQ(CNT_OF(reass_evicted), 2);
    CHECK_EQ(reass_slots(), 3);
    finish();
}

/* ---- attacks and malformed fragments ---- */

static void tiny_and_offset_one(void)
{
    start(NULL);
    static uint8_t tcp[64];
    memset(tcp, 0, sizeof tcp);
    wr16(tcp, 40000);
    wr16(tcp + 2, 80);
    tcp[12] = 0x50;
    tcp[13] = SYNACK_SYN;
    /* RFC 1858 3.1: a first fragment of 8 or 16 bytes cannot hold the TCP header. */
    send_frag(false, PEER4[0], IP_PROTO_TCP, 1, tcp, (frag){0, 8, true});
    send_frag(false, PEER4[0], IP_PROTO_TCP, 2, tcp, (frag){0, 16, true});
    CHECK_EQ(CNT_OF(reass_tiny), 2);
    /* A 24-byte first fragment whose header claims 40 bytes (options) is short too. */
    tcp[12] = 0xa0;
    send_frag(false, PEER4[0], IP_PROTO_TCP, 3, tcp, (frag){0, 24, true});
    CHECK_EQ(CNT_OF(reass_tiny), 3);
    /* RFC 1858 3.2: a TCP fragment at offset 8 bytes (FO=1) rewrites the flags: dropped. */
    send_frag(false, PEER4[0], IP_PROTO_TCP, 4, tcp, (frag){8, 16, true});
    CHECK_EQ(CNT_OF(reass_tcp_off1), 1);
    /* IPv6 (RFC 7112): the first fragment must hold the TCP header, also behind a Destination
     * Options header in the fragmentable part. */
    tcp[12] = 0x50;
    send_frag(true, PEER6[0], IP_PROTO_TCP, 5, tcp, (frag){0, 16, true});
    static uint8_t dst_tcp[64];
    dst_tcp[0] = IP_PROTO_TCP;
    dst_tcp[1] = 0; /* 8 bytes of options */
    memcpy(dst_tcp + 8, tcp, 20);
    send_frag(true, PEER6[0], 60, 6, dst_tcp, (frag){0, 24, true});
    CHECK_EQ(CNT_OF(reass_tiny), 5);
    send_frag(true, PEER6[0], 60, 7, dst_tcp, (frag){0, 32, true}); /* 8 + 24: holds it */
    CHECK_EQ(CNT_OF(reass_tiny), 5);
    CHECK_EQ(reass_slots(), 1);
    /* ICMP first fragments need their 8-byte header. Lengths: with more to come a multiple of 8,
     * never empty. */
    echo_msg(msg, false, PEER4[1], 100, 1);
    send_frag(false, PEER4[1], 1, 8, msg, (frag){0, 12, true});
    send_frag(false, PEER4[1], 1, 9, msg, (frag){16, 0, false});
    send_frag(true, PEER6[1], 58, 9, msg, (frag){16, 20, true});
    CHECK_EQ(CNT_OF(reass_bad_len), 3);
    CHECK_EQ(reass_slots(), 1);
    finish();
}

static void disagreeing_ends(void)
{
    start(NULL);
    size_t len = echo_msg(msg, false, PEER4[0], 100, 1);
    (void)len;
    /* A fragment past the end a last fragment fixed. */
    send_frag(false, PEER4[0], 1, 1, msg, (frag){24, 8, false});
    send_frag(false, PEER4[0], 1, 1, msg, (frag){32, 8, true});
    CHECK_EQ(CNT_OF(reass_bad_end), 1);
    /* Two last fragments with different ends. */
    send_frag(false, PEER4[0], 1, 2, msg, (frag){24, 8, false});
    send_frag(false, PEER4[0], 1, 2, msg, (frag){40, 8, false});
    CHECK_EQ(CNT_OF(reass_bad_end), 2);
    /* A last fragment before data already held. */
    send_frag(true, PEER6[0], 58, 3, msg, (frag){40, 8, true});
    send_frag(true, PEER6[0], 58, 3, msg, (frag){24, 8, false});
    CHECK_EQ(CNT_OF(reass_bad_end), 3);
    CHECK_EQ(reass_bytes(), 0);
    CHECK_EQ(take_output(&outd, 1500), 0);
    finish();
}

/* RFC 6946: an atomic fragment (offset 0, M clear) is processed alone, even with the
 * identification of a datagram being reassembled, which it leaves alone. */
static void atomic_fragment(void)
{
    start(NULL);
    size_t len = echo_msg(msg, true, PEER6[0], 300, 1);
    frag fr[8];
    size_t n = split(fr, len, 64);
    for (size_t i = 1; i < n; i++) send_frag(true, PEER6[0], 58, 31337, msg, fr[i]);
    static uint8_t amsg[512];
    size_t alen = echo_msg(amsg, true, PEER6[0], 40, 2);
    send_frag(true, PEER6[0], 58, 31337, amsg, (frag){0, (uint32_t)alen, false});
    CHECK_EQ(CNT_OF(reass_atomic6), 1);
    take_output(&outd, 1500);
    CHECK(is_echo_reply(&outd, true, PEER6[0], amsg, alen));
    CHECK_EQ(reass_slots(), 1);
    send_frag(true, PEER6[0], 58, 31337, msg, fr[0]);
    take_output(&outd, 1500);
    CHECK(is_echo_reply(&outd, true, PEER6[0], msg, len));
    CHECK_EQ(CNT_OF(reass_ok), 1);
    finish();
}

/* A Fragment header inside the reassembled packet is not reassembled again (no recursion). */
static void nested_fragment(void)
{
    start(NULL);
    static uint8_t inner[256];
    inner[0] = 58;
    wr16(inner + 2, 8 | 1);
    wr32(inner + 4, 99);
    echo_msg(inner + 8, true, PEER6[0], 100, 1);
    send_frag(true, PEER6[0], IP_PROTO_FRAGMENT, 1, inner, (frag){0, 64, true});
    send_frag(true, PEER6[0], IP_PROTO_FRAGMENT, 1, inner, (frag){64, 52, false});
    CHECK_EQ(CNT_OF(reass_ok), 1);
    CHECK_EQ(CNT_OF(reass_nested), 1);
    CHECK_EQ(take_output(&outd, 1500), 0);
    finish();
}

/* No Time Exceeded about a fragmented ICMP error (RFC 1122 3.2.2, RFC 4443 2.4 (e)). */
static void no_error_about_errors(void)
{
    start(NULL);
    static uint8_t err[256];
    memset(err, 0, sizeof err);
    err[0] = 3; /* destination unreachable */
    send_frag(false, PEER4[0], 1, 1, err, (frag){0, 64, true});
    err[0] = 1;
    send_frag(true, PEER6[0], 58, 1, err, (frag){0, 64, true});
    now += SYNACK_SEC(61);
    synack_poll(st, now);
    CHECK_EQ(CNT_OF(reass_timeout), 2);
    CHECK_EQ(CNT_OF(icmp_time_exceeded_out), 0);
    CHECK_EQ(take_output(&outd, 1500), 0);
    finish();
}

static void disabled_and_config(void)
{
    synack_config cfg;
    config(&cfg);
    cfg.frag_max_datagrams = 0;
    start(&cfg);
    echo_msg(msg, false, PEER4[0], 100, 1);
    send_frag(false, PEER4[0], 1, 1, msg, (frag){0, 64, true});
    CHECK_EQ(CNT_OF(reass_off), 1);
    CHECK_EQ(CNT_OF(ip_fragment), 1);
    CHECK_EQ(reass_slots(), 0);
    finish();
    config(&cfg);
    cfg.frag_timeout_us = SYNACK_SEC(14); /* RFC 791: 15 s at least */
    CHECK(synack_stack_new(&cfg) == NULL);
    config(&cfg);
    cfg.frag6_timeout_us = SYNACK_SEC(10);
    CHECK(synack_stack_new(&cfg) == NULL);
    config(&cfg);
    cfg.frag_src_mem_bytes = cfg.frag_mem_bytes + 1;
    CHECK(synack_stack_new(&cfg) == NULL);
    config(&cfg);
    cfg.frag_max_fragments = 1;
    CHECK(synack_stack_new(&cfg) == NULL);
}

/* A seeded storm: 24 datagrams at a time (3 sources x 4 identifications x 2 families), each a valid echo
 * request cut into pieces, sent piece by random piece with duplicates, and now and then a random
 * fragment (overlapping, misaligned, past the end...) thrown in, time moving on, under tight
 * budgets. Nothing crashes (ASan/UBSan watch), memory never exceeds the budget, every reply
 * is a valid echo reply, every drop reason is exercised, and once the timeouts ran nothing is
 * held. */
typedef struct plan {
    uint8_t msg[4200];
    size_t len, n;
    frag fr[64];
} plan;

static void plan_make(plan *pl, bool v6, const uint8_t *src, uint16_t seq)
{
    pl->len = echo_msg(pl->msg, v6, src, 2000 + rnd(2000), seq); /* 3 to 32 pieces */
    pl->n = split(pl->fr, pl->len, 8 * (16 + rnd(100)));
}

static void random_storm(void)
{
    synack_config cfg;
    config(&cfg);
    cfg.frag_mem_bytes = 48 * 1024;
    cfg.frag_src_mem_bytes = 24 * 1024;
    cfg.frag_max_datagrams = 24;
    cfg.frag_max_fragments = 16;
    start(&cfg);
    static plan plans[2][3][4];
    for (int f = 0; f < 2; f++)
        for (int sr = 0; sr < 3; sr++)
            for (int id = 0; id < 4; id++) plan_make(&plans[f][sr][id], f, peer_addr(f, sr), (uint16_t)id);
    size_t high = 0;
    uint64_t replies = 0;
    for (int i = 0; i < 40000; i++) {
        int f = (int)rnd(2), sr = (int)rnd(3), id = (int)rnd(4);
        plan *pl = &plans[f][sr][id];
        frag x = pl->fr[rnd((uint32_t)pl->n)];
        if (rnd(400) == 0) { /* a stray: anywhere, any length, any flag */
            x.off = 8 * rnd((uint32_t)pl->len / 8);
            x.len = 1 + rnd(600);
            x.more = rnd(2);
            if (x.off + x.len > sizeof pl->msg) x.len = (uint32_t)(sizeof pl->msg - x.off);
        }
        send_frag(f, peer_addr(f, sr), f ? 58 : 1, 1000 + (uint32_t)id, pl->msg, x);
        size_t b = reass_bytes();
        if (b > high) high = b;
        if (take_output(&outd, 1500)) {
            CHECK_EQ(outd.over_mtu, 0);
            if (outd.data[0] == (f ? 129 : 0)) { /* a reply: to this plan's request, exactly */
                CHECK(is_echo_reply(&outd, f, peer_addr(f, sr), pl->msg, pl->len));
                replies++;
                plan_make(pl, f, peer_addr(f, sr), (uint16_t)(id + i));
            }
        }
        if (rnd(200) == 0 || i % 4000 == 3999) { /* time runs; now and then past every timeout */
            now += i % 4000 == 3999 ? SYNACK_SEC(61) : SYNACK_MS(rnd(3000));
            synack_poll(st, now);
            uint8_t buf[2048];
            while (synack_output(st, buf, sizeof buf) > 0) {} /* Time Exceeded: checked elsewhere */
        }
    }
    printf("storm: %" PRIu64 " replies, %" PRIu64 " rebuilt, %" PRIu64 " overlaps, %" PRIu64 " timeouts, %" PRIu64
           " evicted, %" PRIu64 " duplicates, high %zu bytes\n", replies, CNT_OF(reass_ok), CNT_OF(reass_overlap),
           CNT_OF(reass_timeout), CNT_OF(reass_evicted), CNT_OF(reass_dup), high);
    CHECK(high <= cfg.frag_mem_bytes);
    /* Every datagram rebuilt was answered, but for those a stray completed with the wrong bytes
     * (the ICMP checksum catches them). */
    CHECK(replies <= CNT_OF(reass_ok) && replies + CNT_OF(icmp_bad) >= CNT_OF(reass_ok));
    CHECK(replies > 200);
    CHECK(CNT_OF(reass_overlap) > 0 && CNT_OF(reass_timeout) > 0 && CNT_OF(reass_dead) > 0);
    CHECK(CNT_OF(reass_bad_len) > 0 && CNT_OF(reass_bad_end) > 0 && CNT_OF(reass_dup) > 0);
    CHECK(CNT_OF(reass_too_many) > 0 && CNT_OF(reass_evicted) + CNT_OF(reass_src_budget) > 0);
    CHECK(CNT_OF(icmp_time_exceeded_out) > 0);
    finish();
}

/* ---- TCP through fragments ---- */

static const uint8_t stack_ip[4] = {198, 18, 0, 1}, peer_ip[4] = {198, 18, 0, 2};

/* A 2,000-byte TCP segment from the scripted peer, in 4 fragments, in each of the 24 orders: the
 * connection receives every byte exactly and acknowledges each segment. */
static void tcp_segment_every_order(void)
{
    peer *p = peer_new(NULL);
    CHECK(peer_to_established_passive(p));
    static uint8_t seg[2100], data[24 * 2000], got[24 * 2000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 131 + (i >> 9));
    size_t order[4] = {0, 1, 2, 3}, rcvd = 0;
    int k = 0;
    do {
        tcp_seg h;
        memset(&h, 0, sizeof h);
        h.sport = PEER_PORT;
        h.dport = PEER_STACK_PORT;
        h.seq = p->snd_nxt;
        h.ack = p->rcv_nxt;
        h.flags = F_ACK | F_PSH;
        h.wnd = 65535;
        size_t hl = tcp_hdr_emit(seg, 60, &h, 0);
        memcpy(seg + hl, data + k * 2000, 2000);
        tcp_cksum_set(seg, hl + 2000, peer_ip, stack_ip);
        frag fr[4];
        CHECK_EQ(split(fr, hl + 2000, 512), 4);
        for (int i = 0; i < 4; i++) {
            ip4_hdr ip;
            memset(&ip, 0, sizeof ip);
            ip.id = (uint16_t)(1000 + k);
            ip.mf = fr[order[i]].more;
            ip.frag_off = (uint16_t)fr[order[i]].off;
            ip.ttl = 64;
            ip.proto = IP_PROTO_TCP;
            memcpy(ip.src, peer_ip, 4);
            memcpy(ip.dst, stack_ip, 4);
            ip4_emit(pktbuf, 20, &ip, fr[order[i]].len);
            memcpy(pktbuf + 20, seg + fr[order[i]].off, fr[order[i]].len);
            p->now += 100;
            synack_input(p->st, p->now, pktbuf, 20 + fr[order[i]].len);
            if (i < 3) CHECK_EQ(synack_recv(p->st, p->sd, got + rcvd, sizeof got - rcvd), -EAGAIN);
        }
        p->snd_nxt += 2000;
        ssize_t r = synack_recv(p->st, p->sd, got + rcvd, sizeof got - rcvd);
        CHECK_EQ(r, 2000);
        if (r > 0) rcvd += (size_t)r;
        peer_advance(p, SYNACK_MS(200)); /* the (delayed) ACK */
        CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].ack == p->snd_nxt);
        peer_clear(p);
        k++;
    } while (next_permutation(order, 4));
    CHECK_EQ(k, 24);
    CHECK_EQ(rcvd, sizeof data);
    CHECK(memcmp(got, data, sizeof data) == 0);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_reass_ok), 24);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_bad_cksum), 0);
    PEER_FINISH(p);
}

/* The wire views the reassembler relies on: ip4_parse / ip4_emit fragment fields, and
 * ip6_parse's report of where the Fragment header sits behind other extension headers. */
static void wire_fragment_fields(void)
{
    uint8_t p[256];
    ip4_hdr h, g;
    memset(&h, 0, sizeof h);
    memcpy(h.src, PEER4[0], 4);
    memcpy(h.dst, ME4, 4);
    h.id = 0xbeef;
    h.mf = true;
    h.frag_off = 8 * 0x1fff; /* the largest offset */
    h.ttl = 9;
    h.proto = 1;
    CHECK_EQ(ip4_emit(p, sizeof p, &h, 16), 20);
    CHECK_EQ(rd16(p + 6), 0x3fff);
    const uint8_t *pl;
    size_t pll;
    CHECK_EQ(ip4_parse(p, 36, &g, &pl, &pll), WIRE_IP_FRAGMENT);
    CHECK(g.mf && !g.df && g.frag_off == 8 * 0x1fff && g.id == 0xbeef && pll == 16 && pl == p + 20);
    h.mf = false;
    h.frag_off = 0;
    h.df = true;
    ip4_emit(p, sizeof p, &h, 16);
    CHECK_EQ(ip4_parse(p, 36, &g, &pl, &pll), WIRE_OK);
    CHECK(!g.mf && g.df && g.frag_off == 0);
    /* IPv6: base, Destination Options (8), Fragment (offset 16, M), then 24 bytes of data. */
    ip6_hdr x, y;
    memset(&x, 0, sizeof x);
    memcpy(x.src, PEER6[0], 16);
    memcpy(x.dst, ME6, 16);
    x.next = 60;
    ip6_emit(p, 40, &x, 8 + 8 + 24);
    memset(p + 40, 0, 8);
    p[40] = IP_PROTO_FRAGMENT;
    p[48] = IP_PROTO_TCP;
    wr16(p + 50, 16 | 1);
    wr32(p + 52, 0xfeedf00d);
    CHECK_EQ(ip6_parse(p, 40 + 40, &y, &pl, &pll), WIRE_IP_FRAGMENT);
    CHECK(y.frag_hdr_off == 48 && y.frag_prev_next == 40 && y.frag_off == 16 && y.frag_more &&
          y.frag_id == 0xfeedf00d && y.next == IP_PROTO_TCP && pl == p + 56 && pll == 24);
    /* Atomic: offset 0, M clear: a whole packet, flagged. */
    wr16(p + 50, 0);
    CHECK_EQ(ip6_parse(p, 40 + 40, &y, &pl, &pll), WIRE_OK);
    CHECK(y.atomic_frag && y.next == IP_PROTO_TCP);
}

int main(void)
{
    synack_addr a;
    synack_addr_parse("2001:db8::1", &a);
    memcpy(ME6, a.bytes, 16);
    const char *peers6[3] = {"2001:db8::9", "2001:db8::a", "2001:db8:1::b"};
    for (int i = 0; i < 3; i++) {
        synack_addr_parse(peers6[i], &a);
        memcpy(PEER6[i], a.bytes, 16);
    }
    RUN(wire_fragment_fields);
    RUN(all_permutations);
    RUN(random_orders_64k);
    RUN(duplicates);
    RUN(overlapping);
    RUN(missing_fragment_times_out);
    RUN(deadlines_in_order);
    RUN(too_many_fragments);
    RUN(too_large);
    RUN(per_source_budget);
    RUN(stack_budget_evicts_oldest);
    RUN(tiny_and_offset_one);
    RUN(disagreeing_ends);
    RUN(atomic_fragment);
    RUN(nested_fragment);
    RUN(no_error_about_errors);
    RUN(disabled_and_config);
    RUN(random_storm);
    RUN(tcp_segment_every_order);
    return test_report();
}
