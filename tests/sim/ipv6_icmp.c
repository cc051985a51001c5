/* ipv6_icmp.c: TCP over IPv6 end to end, a dual-stack listener, ICMP and ICMPv6 echo (with the
 * rate limit), and ICMP errors reaching connections: port unreachable aborts an opening
 * connection, "fragmentation needed" / "packet too big" lower the path MTU. */
#include <errno.h>

#include "pair.h"
#include "test.h"
#include "wire/bytes.h"
#include "wire/wire.h"

static synack_endpoint ep6(const char *text, uint16_t port)
{
    synack_endpoint ep = {{0}, port};
    synack_addr_parse(text, &ep.addr);
    return ep;
}

static void ipv6_connection_and_data(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 3);
    int l = pair_listen(&p, 80);
    int c = synack_socket(p.c);
    synack_endpoint srv = ep6("2001:db8::2", 80);
    CHECK_EQ(synack_connect(p.c, c, &srv), -EINPROGRESS);
    int a = pair_establish(&p, l, c);
    CHECK(a >= 0);
    synack_endpoint peer;
    CHECK_EQ(synack_getpeername(p.s, a, &peer), 0);
    char text[64];
    CHECK_STR(synack_addr_format(&peer.addr, text, sizeof text), "2001:db8::1");
    static uint8_t buf[200000], got[200000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 31 + 7);
    size_t sent = 0, rcvd = 0;
    for (int i = 0; i < 100000 && rcvd < sizeof buf; i++) {
        ssize_t w = synack_send(p.c, c, buf + sent, sizeof buf - sent);
        if (w > 0) sent += (size_t)w;
        ssize_t r = synack_recv(p.s, a, got + rcvd, sizeof got - rcvd);
        if (r > 0) rcvd += (size_t)r;
        synack_sim_step(p.sim, SYNACK_TIME_NEVER);
    }
    CHECK_EQ(rcvd, sizeof buf);
    CHECK(memcmp(buf, got, sizeof buf) == 0);
    synack_conn_info ci;
    synack_socket_info(p.c, c, &ci);
    CHECK_EQ(ci.snd_mss, 1440); /* 1500 - 40 (IPv6) - 20 (TCP) */
    synack_netstat_print(p.c, stdout, true);
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(120));
    synack_mem_info m;
    synack_mem_get(p.c, &m);
    CHECK_EQ(m.conns_in_use, 0);
    pair_close(&p);
}

static void dual_stack_listener(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 4);
    int l = pair_listen(&p, 8080);
    int c4 = pair_connect(&p, 8080);
    int a4 = pair_establish(&p, l, c4);
    int c6 = synack_socket(p.c);
    synack_endpoint srv = ep6("2001:db8::2", 8080);
    synack_connect(p.c, c6, &srv);
    int a6 = pair_establish(&p, l, c6);
    CHECK(a4 >= 0 && a6 >= 0);
    CHECK_EQ(synack_socket_state(p.c, c4), SYNACK_ESTABLISHED);
    CHECK_EQ(synack_socket_state(p.c, c6), SYNACK_ESTABLISHED);
    synack_endpoint e4, e6;
    synack_getsockname(p.s, a4, &e4);
    synack_getsockname(p.s, a6, &e6);
    CHECK_EQ(e4.addr.family, SYNACK_AF_INET);
    CHECK_EQ(e6.addr.family, SYNACK_AF_INET6);
    pair_close(&p);
}

/* Builds an ICMP echo request from the peer to the stack; returns the packet length. */
static size_t echo_request(uint8_t *pkt, bool v6, uint16_t id, uint16_t seq)
{
    uint8_t *icmp = pkt + (v6 ? 40 : 20);
    size_t len = 8 + 16;
    icmp[0] = v6 ? 128 : 8;
    icmp[1] = 0;
    wr16(icmp + 4, id);
    wr16(icmp + 6, seq);
    for (int i = 0; i < 16; i++) icmp[8 + i] = (uint8_t)i;
    wr16(icmp + 2, 0);
    if (v6) {
        ip6_hdr h = {0};
        synack_addr s, d;
        synack_addr_parse("2001:db8::9", &s);
        synack_addr_parse("2001:db8::1", &d);
        memcpy(h.src, s.bytes, 16);
        memcpy(h.dst, d.bytes, 16);
        h.next = 58;
        h.hlim = 64;
        wr16(icmp + 2, cksum_fold(cksum_add(cksum_pseudo_ip6(h.src, h.dst, (uint32_t)len, 58), icmp, len)));
        return ip6_emit(pkt, 40, &h, len) + len;
    }
    ip4_hdr h = {0};
    const uint8_t s[4] = {198, 18, 0, 9}, d[4] = {198, 18, 0, 1};
    memcpy(h.src, s, 4);
    memcpy(h.dst, d, 4);
    h.proto = 1;
    h.ttl = 64;
    wr16(icmp + 2, cksum_fold(cksum_add(0, icmp, len)));
    return ip4_emit(pkt, 20, &h, len) + len;
}

static void echo_and_rate_limit(void)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(198, 18, 0, 1);
    synack_addr_parse("2001:db8::1", &cfg.addr6);
    cfg.icmp_ratelimit_per_sec = 10;
    synack_stack *st = synack_stack_new(&cfg);
    uint8_t pkt[128], out[256];
    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = echo_request(pkt, v6, 0x1234, 7);
        synack_input(st, SYNACK_SEC(10 + v6), pkt, n);
        size_t m = synack_output(st, out, sizeof out);
        CHECK_EQ(m, n);
        size_t hl = v6 ? 40 : 20;
        CHECK_EQ(out[hl], v6 ? 129 : 0);           /* echo reply */
        CHECK_EQ(rd16(out + hl + 4), 0x1234);      /* identifier */
        CHECK_EQ(rd16(out + hl + 6), 7);           /* sequence */
        CHECK(memcmp(out + hl + 8, pkt + hl + 8, 16) == 0);
        if (v6) {
            ip6_hdr h;
            const uint8_t *pl;
            size_t pll;
            CHECK_EQ(ip6_parse(out, m, &h, &pl, &pll), WIRE_OK);
            CHECK_EQ(cksum_fold(cksum_add(cksum_pseudo_ip6(h.src, h.dst, (uint32_t)pll, 58), pl, pll)), 0);
            CHECK_EQ(h.src[15], 1);
            CHECK_EQ(h.dst[15], 9);
        } else {
            ip4_hdr h;
            const uint8_t *pl;
            size_t pll;
            CHECK_EQ(ip4_parse(out, m, &h, &pl, &pll), WIRE_OK);
            CHECK_EQ(cksum_fold(cksum_add(0, pl, pll)), 0);
        }
    }
    /* A flood in one instant: the bucket (10 a second) lets 10 through. */
    int replies = 0;
    for (int i = 0; i < 100; i++) {
        size_t n = echo_request(pkt, false, 1, (uint16_t)i);
        synack_input(st, SYNACK_SEC(20), pkt, n);
        while (synack_output(st, out, sizeof out)) replies++;
    }
    CHECK_EQ(replies, 10);
    CHECK_EQ(synack_counter(st, SYNACK_CNT_icmp_rate_limited), 90);
    /* A bad checksum is dropped and counted. */
    size_t n = echo_request(pkt, false, 1, 1);
    pkt[30] ^= 1;
    synack_input(st, SYNACK_SEC(30), pkt, n);
    CHECK_EQ(synack_output(st, out, sizeof out), 0);
    CHECK_EQ(synack_counter(st, SYNACK_CNT_icmp_bad), 1);
    synack_stack_free(st);
}

/* An ICMP error quoting the segment pkt (which the stack sent). */
static size_t icmp_error_for(uint8_t *out, const uint8_t *sent, size_t sent_len, uint8_t type,
                             uint8_t code, uint32_t mtu)
{
    bool v6 = sent[0] >> 4 == 6;
    size_t hl = v6 ? 40 : 20, quote = v6 ? 40 + 8 : 20 + 8;
    if (quote > sent_len) quote = sent_len;
    uint8_t *icmp = out + hl;
    memset(icmp, 0, 8);
    icmp[0] = type;
    icmp[1] = code;
    if (v6) wr32(icmp + 4, mtu);
    else wr16(icmp + 6, (uint16_t)mtu);
    memcpy(icmp + 8, sent, quote);
    size_t len = 8 + quote;
    if (v6) {
        ip6_hdr h = {0};
        memcpy(h.src, sent + 24, 16); /* from the router on the way: here, the peer */
        memcpy(h.dst, sent + 8, 16);
        h.next = 58;
        h.hlim = 64;
        wr16(icmp + 2, cksum_fold(cksum_add(cksum_pseudo_ip6(h.src, h.dst, (uint32_t)len, 58), icmp, len)));
        return ip6_emit(out, 40, &h, len) + len;
    }
    ip4_hdr h = {0};
    memcpy(h.src, sent + 16, 4);
    memcpy(h.dst, sent + 12, 4);
    h.proto = 1;
    h.ttl = 64;
    wr16(icmp + 2, cksum_fold(cksum_add(0, icmp, len)));
    return ip4_emit(out, 20, &h, len) + len;
}

static void port_unreachable_refuses_connect(void)
{
    for (int v6 = 0; v6 < 2; v6++) {
        synack_config cfg;
        synack_config_default(&cfg);
        synack_addr_parse("2001:db8::1", &cfg.addr6);
        synack_stack *st = synack_stack_new(&cfg);
        int c = synack_socket(st);
        synack_endpoint to = v6 ? ep6("2001:db8::2", 80) : (synack_endpoint){synack_addr_v4(198, 18, 0, 2), 80};
        CHECK_EQ(synack_connect(st, c, &to), -EINPROGRESS);
        uint8_t syn[128], err[256];
        size_t n = synack_output(st, syn, sizeof syn);
        CHECK(n > 0);
        size_t e = icmp_error_for(err, syn, n, v6 ? 1 : 3, v6 ? 4 : 3, 0);
        synack_input(st, SYNACK_MS(5), err, e);
        CHECK_EQ(synack_socket_state(st, c), SYNACK_CLOSED);
        char b[4];
        CHECK_EQ(synack_recv(st, c, b, sizeof b), -ECONNREFUSED);
        CHECK_EQ(synack_counter(st, SYNACK_CNT_icmp_hard_error), 1);
        synack_close(st, c);
        synack_stack_free(st);
    }
}

static void soft_error_reported_on_timeout(void)
{
    synack_config cfg;
    synack_config_default(&cfg);
    synack_stack *st = synack_stack_new(&cfg);
    int c = synack_socket(st);
    synack_endpoint to = {synack_addr_v4(198, 18, 0, 2), 80};
    synack_connect(st, c, &to);
    uint8_t syn[128], err[256];
    size_t n = synack_output(st, syn, sizeof syn);
    size_t e = icmp_error_for(err, syn, n, 3, 1 /* host unreachable: soft */, 0);
    synack_input(st, SYNACK_MS(5), err, e);
    CHECK_EQ(synack_socket_state(st, c), SYNACK_SYN_SENT);
    /* A forged error about a sequence number we never sent is ignored (RFC 5927). */
    uint8_t forged[128];
    memcpy(forged, syn, n);
    wr32(forged + 20 + 4, rd32(syn + 20 + 4) + 1000);
    e = icmp_error_for(err, forged, n, 3, 1, 0);
    synack_input(st, SYNACK_MS(6), err, e);
    CHECK_EQ(synack_counter(st, SYNACK_CNT_icmp_error_ignored), 1);
    while (synack_next_deadline(st) != SYNACK_TIME_NEVER) {
        synack_poll(st, synack_next_deadline(st));
        while (synack_output(st, syn, sizeof syn)) {
        }
    }
    char b[4];
    CHECK_EQ(synack_recv(st, c, b, sizeof b), -EHOSTUNREACH); /* not just ETIMEDOUT */
    CHECK_EQ(synack_now(st), SYNACK_SEC(75));
    synack_close(st, c);
    synack_stack_free(st);
}

/* Captures the first full-sized data segment the client sends, to quote it in an ICMP error. */
static uint8_t captured[2000];
static size_t captured_len, max_seen;
static void tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    (void)ctx, (void)t, (void)to;
    if (what != SYNACK_TAP_SENT || from != 0) return;
    if (len > 1000 && !captured_len) {
        memcpy(captured, pkt, len);
        captured_len = len;
    }
    if (captured_len && len > max_seen) max_seen = len;
}

static void path_mtu_lowered(void)
{
    for (int v6 = 0; v6 < 2; v6++) {
        pair p;
        pair_open(&p, NULL, NULL, 5);
        captured_len = max_seen = 0;
        synack_sim_set_tap(p.sim, tap, NULL);
        int l = pair_listen(&p, 80);
        int c = synack_socket(p.c);
        synack_endpoint srv = v6 ? ep6("2001:db8::2", 80) : pair_server_ep(80);
        synack_connect(p.c, c, &srv);
        int a = pair_establish(&p, l, c);
        static uint8_t buf[100000];
        CHECK(synack_send(p.c, c, buf, sizeof buf) > 0);
        synack_sim_flush(p.sim);
        CHECK(captured_len == 1500);
        uint8_t err[256];
        size_t e = icmp_error_for(err, captured, captured_len, v6 ? 2 : 3, v6 ? 0 : 4, 1280);
        max_seen = 0;
        synack_input(p.c, synack_sim_now(p.sim), err, e);
        CHECK_EQ(synack_counter(p.c, SYNACK_CNT_icmp_pmtu), 1);
        size_t total = 0;
        char r[4096];
        for (int i = 0; i < 100000 && total < sizeof buf; i++) {
            ssize_t n = synack_recv(p.s, a, r, sizeof r);
            if (n > 0) total += (size_t)n;
            synack_sim_step(p.sim, SYNACK_TIME_NEVER);
        }
        CHECK_EQ(total, sizeof buf);
        CHECK(max_seen <= 1280);
        CHECK(max_seen >= 1200);
        pair_close(&p);
    }
}

int main(void)
{
    RUN(ipv6_connection_and_data);
    RUN(dual_stack_listener);
    RUN(echo_and_rate_limit);
    RUN(port_unreachable_refuses_connect);
    RUN(soft_error_reported_on_timeout);
    RUN(path_mtu_lowered);
    return test_report();
}
