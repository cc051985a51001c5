/* output_iov.c (sim): synack_output_iov, the output path without the output queue's copies.
 * Two identical pairs of stacks (same seeds, same calls, same virtual time) move the same data:
 * one takes its output with synack_output (headers and data copied through the queue), the
 * other with synack_output_iov (headers built in the caller's buffer, data in place in the send
 * ring), gathered into one buffer. Every packet must be byte-for-byte the same, across send-ring
 * wraps at odd offsets, with complete checksums the receiver verifies. With tx_csum_offload,
 * the partial checksum the in-place path leaves is completed by the test's "link" as a NIC would
 * and verified by the receiver; with the link vouching for checksums instead, the receiver
 * skips its pass and counts the segments as offloaded. */
#include <stdlib.h>
#include <string.h>

#include "duo.h"
#include "test.h"

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>

#include "wire/wire.h"

enum { TOTAL = 300001, PIECE = 7001 };

typedef enum { VIA_COPY, VIA_IOV, VIA_IOV_LINK_COMPLETES, VIA_IOV_LINK_VOUCHES } via;

typedef struct log {
    uint8_t *buf;
    size_t len, cap;
    uint64_t pkts;
} log_t;

static void log_add(log_t *l, const uint8_t *p, size_t n)
{
    if (l->len + n + 2 > l->cap) {
        l->cap = (l->len + n + 2) * 2;
        l->buf = realloc(l->buf, l->cap);
    }
    l->buf[l->len] = (uint8_t)(n >> 8);
    l->buf[l->len + 1] = (uint8_t)n;
    memcpy(l->buf + l->len + 2, p, n);
    l->len += n + 2;
    l->pkts++;
}

/* Takes one packet from st by way v into pkt; returns its length (0: none). */
static size_t take(synack_stack *st, via v, uint8_t *pkt, size_t cap)
{
    if (v == VIA_COPY) return synack_output(st, pkt, cap);
    synack_out_meta m;
    synack_out_piece pc[SYNACK_OUT_PIECES];
    unsigned np = 99;
    size_t n = synack_output_iov(st, pkt, cap, &m, pc, &np);
    if (!n) return 0;
    CHECK(np <= SYNACK_OUT_PIECES);
    for (unsigned i = 0; i < np; i++) {
        CHECK(pc[i].len > 0);
        memcpy(pkt + n, pc[i].data, pc[i].len);
        n += pc[i].len;
    }
    CHECK_EQ(m.gso_size, 0);
    if (v == VIA_IOV) CHECK_EQ(m.csum_start, 0);
    if (v == VIA_IOV_LINK_COMPLETES && m.csum_start) { /* the link finishes the sum, as a NIC */
        uint8_t *f = pkt + m.csum_start + m.csum_offset;
        uint32_t pseudo = (uint32_t)(f[0] << 8 | f[1]);
        f[0] = f[1] = 0;
        uint16_t c = cksum_fold(cksum_add(pseudo, pkt + m.csum_start, n - m.csum_start));
        f[0] = (uint8_t)(c >> 8);
        f[1] = (uint8_t)c;
    }
    return n;
}

static uint64_t pump(duo *d, via v, log_t *lg)
{
    static uint8_t pkt[65536];
    unsigned flags = v == VIA_IOV_LINK_VOUCHES ? SYNACK_IN_CSUM_VALID : 0;
    uint64_t moved = 0;
    for (;;) {
        uint64_t round = 0;
        size_t n;
        while ((n = take(d->c, v, pkt, sizeof pkt)) > 0) {
            log_add(lg, pkt, n);
            synack_input_flags(d->s, d->now, pkt, n, flags);
            round++;
        }
        while ((n = take(d->s, v, pkt, sizeof pkt)) > 0) {
            log_add(lg, pkt, n);
            synack_input_flags(d->c, d->now, pkt, n, flags);
            round++;
        }
        if (!round) return moved;
        moved += round;
    }
}

/* Connects, sends TOTAL bytes in PIECE-byte writes (the ring wraps at odd offsets) while the
 * server reads in other pieces, closes; returns the packet log. */
static log_t run(via v, bool offload)
{
    log_t lg = {0};
    synack_config cc, sc;
    synack_config_default(&cc);
    synack_config_default(&sc);
    /* A small send ring that never empties (the receiver's small window and slow reads hold
     * data back): its head moves on as data is acknowledged and new data wraps around. */
    cc.sndbuf_bytes = sc.sndbuf_bytes = 32 * 1024;
    cc.rcvbuf_bytes = sc.rcvbuf_bytes = 12 * 1024;
    cc.tx_csum_offload = sc.tx_csum_offload = offload;
    duo d;
    duo_open(&d, &cc, &sc);
    int l = duo_listen(&d, 80);
    int csd = synack_socket(d.c);
    synack_endpoint srv = duo_server_ep(80);
    synack_connect(d.c, csd, &srv);
    pump(&d, v, &lg);
    int ssd = synack_accept(d.s, l, NULL);
    CHECK(ssd >= 0);
    static uint8_t src[TOTAL], got[TOTAL];
    for (size_t i = 0; i < TOTAL; i++) src[i] = (uint8_t)(i * 7 + i / 251);
    size_t sent = 0, rcvd = 0;
    for (int guard = 0; guard < 100000 && rcvd < TOTAL; guard++) {
        while (sent < TOTAL) {
            size_t want = TOTAL - sent < PIECE ? TOTAL - sent : PIECE;
            ssize_t n = synack_send(d.c, csd, src + sent, want);
            if (n <= 0) break;
            sent += (size_t)n;
        }
        pump(&d, v, &lg);
        ssize_t n = synack_recv(d.s, ssd, got + rcvd, TOTAL - rcvd < 5003 ? TOTAL - rcvd : 5003);
        if (n > 0) rcvd += (size_t)n;
        pump(&d, v, &lg);
        d.now += 1000;
        synack_poll(d.c, d.now);
        synack_poll(d.s, d.now);
    }
    CHECK_EQ(rcvd, (size_t)TOTAL);
    CHECK(memcmp(src, got, TOTAL) == 0);
    CHECK_EQ(synack_counter(d.s, SYNACK_CNT_tcp_bad_cksum), 0);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_bad_cksum), 0);
    uint64_t vouched = synack_counter(d.s, SYNACK_CNT_tcp_csum_offloaded);
    if (v == VIA_IOV_LINK_VOUCHES) CHECK(vouched > 0);
    else CHECK_EQ(vouched, 0);
    synack_close(d.c, csd);
    synack_close(d.s, ssd);
    pump(&d, v, &lg);
    synack_close(d.s, l);
    duo_free(&d);
    return lg;
}

static void iov_output_equals_copied_output(void)
{
    log_t a = run(VIA_COPY, false), b = run(VIA_IOV, false);
    printf("  %llu packets each way of taking them\n", (unsigned long long)a.pkts);
    CHECK(a.pkts > 100);
    CHECK_EQ(a.pkts, b.pkts);
    CHECK_EQ(a.len, b.len);
    CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
    free(a.buf);
    free(b.buf);
}

static void partial_checksums_in_place_complete_correctly(void)
{
    /* The receiver verifies every checksum the link completed (bad ones would be dropped and
     * counted, and the data would not arrive). */
    log_t a = run(VIA_IOV_LINK_COMPLETES, true);
    CHECK(a.pkts > 100);
    free(a.buf);
}

static void link_that_vouches_skips_the_receivers_pass(void)
{
    log_t a = run(VIA_IOV_LINK_VOUCHES, true);
    CHECK(a.pkts > 100);
    free(a.buf);
}

int main(void)
{
    RUN(iov_output_equals_copied_output);
    RUN(partial_checksums_in_place_complete_correctly);
    RUN(link_that_vouches_skips_the_receivers_pass);
    return test_report();
}
