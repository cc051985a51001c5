/* ladder.c (unit): `synack ladder`'s parts on made-up input (issue 10): the packet decoder on
 * every truncation and on random bytes, IPv6 extension headers and fragments; the pcap reader on
 * a cut and a corrupt file; connections split on port reuse; the model's numbers (Wireshark's
 * bases, window scaling), its arrival placement (crossing FINs) and inferred states, a capture
 * that starts mid-connection, and a long capture built in linear time. */
#include "test.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <synack/event.h>

#include "conv.h"
#include "ladder_cli.h"
#include "ladder_model.h"
#include "pcap_read.h"
#include "tcp_seg.h"

static const uint8_t A4[4] = {198, 18, 0, 1}, B4[4] = {198, 18, 0, 2};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* An IPv4 packet: 20-byte header, TCP with optional options (multiple of 4) and payload. */
static size_t ip4(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp, uint32_t seq,
                  uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts, size_t olen, size_t payload)
{
    size_t tl = 20 + olen + payload, total = 20 + tl;
    memset(p, 0, total);
    p[0] = 0x45;
    put16(p + 2, (uint16_t)total);
    p[8] = 64;
    p[9] = 6;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    uint8_t *t = p + 20;
    put16(t, sp);
    put16(t + 2, dp);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((20 + olen) / 4 << 4);
    t[13] = flags;
    put16(t + 14, win);
    if (olen) memcpy(t + 20, opts, olen);
    return total;
}

static void decode_every_length(void)
{
    static const uint8_t opts[] = {2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0};
    uint8_t p[128];
    size_t n = ip4(p, A4, B4, 40000, 80, 1000, 0, SYNACK_SYN, 65535, opts, sizeof opts, 0);
    tcp_seg s;
    const char *why;
    CHECK(tcp_seg_decode(p, n, 7, &s, &why));
    CHECK_EQ(s.family, 4);
    CHECK_EQ(s.sport, 40000);
    CHECK_EQ(s.seq, 1000);
    CHECK_EQ(s.mss, 1460);
    CHECK_EQ(s.wscale, 7);
    CHECK(s.sack_ok);
    CHECK_EQ(s.len, 0);
    CHECK_EQ(tcp_seg_space(&s), 1);
    /* Every shorter capture of the header is refused, none read past its end (ASan). */
    for (size_t k = 0; k < n; k++) {
        uint8_t *c = malloc(k ? k : 1);
        memcpy(c, p, k);
        CHECK(!tcp_seg_decode(c, k, 0, &s, &why));
        free(c);
    }
    /* Payload beyond the snap length: len from the IP header, as Wireshark's tcp.len. */
    n = ip4(p, A4, B4, 1, 2, 5, 6, SYNACK_ACK | SYNACK_PSH, 100, NULL, 0, 60);
    CHECK(tcp_seg_decode(p, 60, 0, &s, &why));
    CHECK_EQ(s.len, 60);
    /* A fragment, another protocol, a bad data offset. */
    put16(p + 6, 0x2000);
    CHECK(!tcp_seg_decode(p, n, 0, &s, &why));
    CHECK_STR(why, "IPv4 fragment");
    put16(p + 6, 0);
    p[9] = 17;
    CHECK(!tcp_seg_decode(p, n, 0, &s, &why));
    p[9] = 6;
    p[20 + 12] = 0xf0; /* 60-byte TCP header in a 40+60-byte datagram: fits, options garbage */
    CHECK(tcp_seg_decode(p, n, 0, &s, &why));
    p[20 + 12] = 0x40; /* 16 bytes: below the minimum */
    CHECK(!tcp_seg_decode(p, n, 0, &s, &why));
}

static void decode_ipv6(void)
{
    uint8_t p[128];
    memset(p, 0, sizeof p);
    p[0] = 0x60;
    put16(p + 4, 8 + 20);
    p[6] = 0;  /* hop-by-hop options first */
    p[7] = 64;
    p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
    p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
    p[40] = 6; /* next: TCP; length 0 (8 bytes) */
    uint8_t *t = p + 48;
    put16(t, 5000);
    put16(t + 2, 6000);
    put32(t + 4, 77);
    t[12] = 0x50;
    t[13] = SYNACK_SYN;
    tcp_seg s;
    const char *why;
    CHECK(tcp_seg_decode(p, 68, 0, &s, &why));
    CHECK_EQ(s.family, 6);
    CHECK_EQ(s.dport, 6000);
    CHECK_EQ(s.src[15], 1);
    char ep[64];
    CHECK_STR(tcp_seg_endpoint(s.dst, 6, 6000, ep, sizeof ep), "[2001:db8::2]:6000");
    p[6] = 44; /* a fragment header */
    CHECK(!tcp_seg_decode(p, 68, 0, &s, &why));
    CHECK_STR(why, "IPv6 fragment");
    for (size_t k = 0; k < 68; k++) CHECK(!tcp_seg_decode(p, k, 0, &s, &why) || k >= 68);
}

static void decode_random_bytes(void)
{
    srand(10);
    uint8_t p[200];
    tcp_seg s;
    const char *why;
    int ok = 0;
    for (int i = 0; i < 200000; i++) {
        size_t n = (size_t)rand() % sizeof p;
        for (size_t k = 0; k < n; k++) p[k] = (uint8_t)rand();
        if (n) p[0] = (uint8_t)((rand() & 1 ? 0x40 : 0x60) | (p[0] & 15));
        if (n > 9 && rand() & 1) p[9] = 6;
        ok += tcp_seg_decode(p, n, 0, &s, &why);
        if (ok && s.len > 65535 + 40) CHECK(false);
    }
    CHECK(ok > 0); /* some random headers do decode: the fuzzing reached the TCP parser */
}

static const char *tmp_file(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/tmp/synack-unit-ladder-%d-%s", (int)getpid(), name);
    return buf;
}

static void pcap_cut_and_corrupt(void)
{
    char path[256], err[256];
    tmp_file(path, sizeof path, "x.pcap");
    uint8_t pkt[64];
    size_t n = ip4(pkt, A4, B4, 1, 2, 3, 4, SYNACK_ACK, 5, NULL, 0, 0);
    FILE *f = fopen(path, "wb");
    uint32_t hdr[6] = {0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 101};
    fwrite(hdr, 4, 6, f);
    for (int i = 0; i < 3; i++) {
        uint32_t rec[4] = {1, (uint32_t)i, (uint32_t)n, (uint32_t)n};
        fwrite(rec, 4, 4, f);
        fwrite(pkt, 1, n, f);
    }
    uint32_t huge[4] = {1, 0, 0x7fffffffu, 0x7fffffffu}; /* a corrupt record length */
    fwrite(huge, 4, 4, f);
    fclose(f);
    pcap_reader r;
    CHECK(pcap_reader_open(&r, path, err, sizeof err));
    synack_time_us t;
    const uint8_t *ip;
    size_t len;
    int got = 0;
    while (pcap_reader_next(&r, &t, &ip, &len) == 1) {
        CHECK_EQ(len, n);
        CHECK_EQ(t, 1000000u + (synack_time_us)got);
        got++;
    }
    CHECK_EQ(got, 3);
    CHECK(r.truncated);
    pcap_reader_close(&r);
    /* Mutations of the file: any byte, any value; the reader never reads past what it has. */
    f = fopen(path, "rb");
    uint8_t orig[512];
    size_t flen = fread(orig, 1, sizeof orig, f);
    fclose(f);
    srand(11);
    for (int i = 0; i < 300; i++) {
        uint8_t m[512];
        memcpy(m, orig, flen);
        for (int k = 0; k < 4; k++) m[(size_t)rand() % flen] = (uint8_t)rand();
        f = fopen(path, "wb");
        fwrite(m, 1, (size_t)rand() % (flen + 1), f);
        fclose(f);
        if (!pcap_reader_open(&r, path, err, sizeof err)) continue;
        while (pcap_reader_next(&r, &t, &ip, &len) == 1) {
            tcp_seg s;
            const char *why;
            tcp_seg_decode(ip, len, t, &s, &why);
        }
        pcap_reader_close(&r);
    }
    remove(path);
}

static tcp_seg seg(bool a_to_b, synack_time_us t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, uint32_t len)
{
    tcp_seg s;
    memset(&s, 0, sizeof s);
    s.t = t;
    s.family = 4;
    memcpy(s.src, a_to_b ? A4 : B4, 4);
    memcpy(s.dst, a_to_b ? B4 : A4, 4);
    s.sport = a_to_b ? 40000 : 80;
    s.dport = a_to_b ? 80 : 40000;
    s.seq = seq, s.ack = ack, s.flags = flags, s.win = win, s.len = len;
    s.wscale = -1;
    return s;
}

static void conv_port_reuse(void)
{
    conv_table t;
    memset(&t, 0, sizeof t);
    tcp_seg s = seg(true, 0, 100, 0, SYNACK_SYN, 1, 0);
    CHECK_EQ(conv_add(&t, &s), 0);
    CHECK_EQ(conv_add(&t, &s), 0); /* a retransmitted SYN */
    tcp_seg r = seg(false, 1, 900, 101, SYNACK_SYN | SYNACK_ACK, 1, 0);
    CHECK_EQ(conv_add(&t, &r), 0);
    s.seq = 5000; /* the same 4-tuple opened again */
    CHECK_EQ(conv_add(&t, &s), 1);
    r.ack = 5001;
    CHECK_EQ(conv_add(&t, &r), 1);
    tcp_seg other = seg(true, 2, 1, 0, SYNACK_SYN, 1, 0);
    other.sport = 40001;
    CHECK_EQ(conv_add(&t, &other), 2);
    for (int i = 0; i < 5000; i++) { /* the hash grows; every tuple keeps its connection */
        other.sport = (uint16_t)(41000 + i);
        CHECK_EQ(conv_add(&t, &other), 3 + i);
    }
    CHECK_EQ(conv_add(&t, &r), 1);
    CHECK_EQ(t.n, 5003);
    CHECK(conv_a_to_b(&t.v[0], &s));
    conv_free(&t);
}

static void model_simultaneous_close(void)
{
    /* Handshake with window scaling, then both FINs at one instant, then both ACKs. */
    tcp_seg v[7];
    v[0] = seg(true, 0, 1000, 0, SYNACK_SYN, 65535, 0);
    v[0].wscale = 7;
    v[1] = seg(false, 10, 5000, 1001, SYNACK_SYN | SYNACK_ACK, 65535, 0);
    v[1].wscale = 2;
    v[2] = seg(true, 20, 1001, 5001, SYNACK_ACK, 100, 0);
    v[3] = seg(true, 30, 1001, 5001, SYNACK_FIN | SYNACK_ACK, 100, 0);
    v[4] = seg(false, 30, 5001, 1001, SYNACK_FIN | SYNACK_ACK, 100, 0);
    v[5] = seg(true, 40, 1002, 5002, SYNACK_ACK, 100, 0);
    v[6] = seg(false, 40, 5002, 1002, SYNACK_ACK, 100, 0);
    ladder_model m;
    CHECK(ladder_model_build(&m, v, 7));
    CHECK_EQ(m.initial[LM_LEFT], SYNACK_CLOSED);
    CHECK_EQ(m.initial[LM_RIGHT], SYNACK_LISTEN);
    CHECK_EQ(m.nrows, 9); /* 7 sends, 2 late arrivals (the crossing FIN and ACK) */
    CHECK_EQ(m.rows[2].win, 100u << 7);
    CHECK_EQ(m.rows[2].rel_seq, 1);
    CHECK_EQ(m.rows[2].rel_ack, 1);
    CHECK_EQ(m.rows[3].state[LM_LEFT], SYNACK_FIN_WAIT_1);
    CHECK(!m.rows[3].arrives_here);           /* crossed by the server's FIN */
    CHECK_EQ(m.rows[4].state[LM_RIGHT], SYNACK_FIN_WAIT_1);
    CHECK_EQ(m.rows[4].state[LM_LEFT], SYNACK_CLOSING);
    CHECK(m.rows[5].arrival);
    CHECK_EQ(m.rows[5].seg, 3);
    CHECK_EQ(m.rows[5].state[LM_RIGHT], SYNACK_CLOSING);
    CHECK_EQ(m.rows[m.nrows - 1].state[LM_LEFT], SYNACK_TIME_WAIT);
    CHECK_EQ(m.rows[m.nrows - 1].state[LM_RIGHT], SYNACK_TIME_WAIT);
    char label[256];
    CHECK_STR(ladder_model_label(&m, &m.rows[1], label, sizeof label),
              "SYN,ACK seq=0 ack=1 win=65535 len=0 [wscale 2]");
    ladder_model_free(&m);
}

static void model_midstream_and_reset(void)
{
    /* No SYN captured: Wireshark's bases make the first segment of each direction seq=1. */
    tcp_seg v[3];
    v[0] = seg(true, 0, 7000, 9000, SYNACK_ACK | SYNACK_PSH, 10, 5);
    v[1] = seg(false, 1, 9000, 7005, SYNACK_ACK, 10, 0);
    v[2] = seg(true, 2, 7005, 9000, SYNACK_RST | SYNACK_ACK, 0, 0);
    ladder_model m;
    CHECK(ladder_model_build(&m, v, 3));
    CHECK(m.midstream);
    CHECK_EQ(m.rows[0].rel_seq, 1);
    CHECK_EQ(m.rows[0].rel_ack, 1); /* the other side's base from this ACK, as tshark shows it */
    CHECK_EQ(m.rows[1].rel_seq, 1);
    CHECK_EQ(m.rows[1].rel_ack, 6);
    CHECK_EQ(m.rows[2].state[LM_LEFT], SYNACK_CLOSED);
    CHECK_EQ(m.rows[2].state[LM_RIGHT], SYNACK_CLOSED); /* in window: believed */
    ladder_model_free(&m);
    /* An RST outside the receive window is not believed (RFC 5961 3.2). */
    v[2].seq = 7005 + 100000;
    CHECK(ladder_model_build(&m, v, 3));
    CHECK_EQ(m.rows[2].state[LM_RIGHT], SYNACK_ESTABLISHED);
    ladder_model_free(&m);
}

static void model_linear(void)
{
    /* 200,000 data segments one way, none acknowledged until the end: each is queued and
     * delivered once. The bound is generous (ASan, a loaded machine); quadratic would take hours. */
    size_t n = 200000;
    tcp_seg *v = malloc(n * sizeof *v);
    v[0] = seg(true, 0, 0, 0, SYNACK_SYN, 100, 0);
    for (size_t i = 1; i < n - 1; i++) v[i] = seg(true, i, (uint32_t)(1 + (i - 1) * 100), 1, SYNACK_ACK, 100, 100);
    v[n - 1] = seg(false, n, 1, (uint32_t)(1 + (n - 2) * 100), SYNACK_ACK, 100, 0);
    clock_t c0 = clock();
    ladder_model m;
    CHECK(ladder_model_build(&m, v, n));
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK(secs < 20);
    CHECK(m.nrows >= n);
    ladder_model_free(&m);
    free(v);
}

int main(void)
{
    RUN(decode_every_length);
    RUN(decode_ipv6);
    RUN(decode_random_bytes);
    RUN(pcap_cut_and_corrupt);
    RUN(conv_port_reuse);
    RUN(model_simultaneous_close);
    RUN(model_midstream_and_reset);
    RUN(model_linear);
    return test_report();
}
