/* rcv_window_overrun.c — regression test, the defect below is fixed: the receive window's right edge creeps past the buffer. window_field()
 * rounds a "kept promise" UP to the window-scale unit each time it sends an ACK, so with
 * wscale 7 every ACK can move RCV.ADV up to 127 octets beyond rcv_nxt + free buffer space.
 * A peer that fills the advertised window then overruns the receive ring. */
#include "peer.h"
#include "util/seq.h"

static void rcv_edge_beyond_buffer(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 4096; /* a multiple of 128: the first offer is exact */
    peer *p = peer_new(&cfg);
    p->wscale = 0; /* the peer agrees to window scaling: our shift is 7 */
    CHECK(peer_to_established_active(p));

    uint8_t a[100];
    memset(a, 'A', sizeof a);
    peer_send_data(p, a, sizeof a);
    peer_advance(p, SYNACK_MS(50)); /* delayed ACK */
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    uint32_t adv = p->seg[0].ack + ((uint32_t)p->seg[0].wnd << 7);
    uint32_t buf_edge = p->snd_nxt + (4096 - 100);
    printf("advertised right edge = rcv_nxt + %u, buffer room = %u\n", adv - p->snd_nxt, 4096 - 100);
    CHECK(seq_leq(adv, buf_edge)); /* RFC 9293 3.8.6: never offer more than can be buffered */
    peer_clear(p);

    /* The peer fills exactly what was offered. */
    static uint8_t b[4096];
    memset(b, 'B', sizeof b);
    uint32_t n = adv - p->snd_nxt;
    peer_send_data(p, b, n);
    peer_clear(p);
    int readable = synack_readable_bytes(p->st, p->sd);
    printf("readable = %d (buffer 4096)\n", readable);
    CHECK(readable <= 4096);
    static uint8_t got[16384];
    long r = synack_recv(p->st, p->sd, got, sizeof got);
    printf("recv = %ld, first byte '%c' (expected 'A')\n", r, got[0]);
    CHECK_EQ(got[0], 'A');
    PEER_FINISH(p);
}

/* Once len > cap, ring_space() underflows: the stack advertises the largest window and the next
 * segments are written past the end of the receive buffer (ASan: heap-buffer-overflow). */
static void rcv_overrun_heap_overflow(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 4096;
    peer *p = peer_new(&cfg);
    p->wscale = 0;
    CHECK(peer_to_established_active(p));
    static uint8_t b[4096];
    memset(b, 'B', sizeof b);
    peer_send_data(p, b, 100);
    peer_advance(p, SYNACK_MS(50));
    peer_clear(p);
    peer_send_data(p, b, 4096); /* fills the offered edge: ring len 4196 > cap 4096 */
    peer_collect(p);
    printf("after overrun: %zu segs, last wnd field %u\n", p->nseg, p->nseg ? p->seg[p->nseg - 1].wnd : 0);
    peer_clear(p);
    for (int i = 0; i < 3; i++) {
        peer_send_data(p, b, 4096);
        peer_collect(p);
        printf("round %d: readable %d, wnd field %u\n", i, synack_readable_bytes(p->st, p->sd),
               p->nseg ? p->seg[p->nseg - 1].wnd : 0);
        peer_clear(p);
    }
    CHECK(synack_readable_bytes(p->st, p->sd) <= 4096);
    PEER_FINISH(p);
}

/* Default configuration (256 KiB buffer, wscale 7), a benign sender and a slow reader: each
 * delayed ACK can push the edge further past the buffer; the excess accumulates. */
static void rcv_edge_creeps_default_config(void)
{
    peer *p = peer_new(NULL);
    p->wscale = 0;
    CHECK(peer_to_established_active(p));
    static uint8_t b[1000];
    uint32_t total = 0, worst = 0;
    for (int i = 0; i < 50; i++) {
        peer_send_data(p, b, 1000 - (uint32_t)i); /* odd sizes, never read by the app */
        total += 1000 - (uint32_t)i;
        peer_advance(p, SYNACK_MS(50));
        peer_collect(p);
        for (size_t k = 0; k < p->nseg; k++) {
            uint32_t edge = p->seg[k].ack + ((uint32_t)p->seg[k].wnd << 7);
            uint32_t room_edge = p->snd_nxt + (256 * 1024 - total);
            if ((int32_t)(edge - room_edge) > (int32_t)worst) worst = edge - room_edge;
        }
        peer_clear(p);
    }
    printf("default config: advertised edge exceeds free buffer by up to %u octets\n", worst);
    CHECK_EQ(worst, 0);
    PEER_FINISH(p);
}

/* The other side of rounding down: a kept promise that cannot be rounded up moves the window
 * field's edge left by less than a unit, but octets the sender put in flight up to the edge
 * offered before are still accepted (RFC 9293 3.8.6: SHLD-14, the buffer has room for them).
 * Dropping them cost bench_bulk a spurious loss recovery every ~16,000 segments. */
static void rcv_round_down_keeps_offered_edge(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.rcvbuf_bytes = 4096; /* offered whole at first: edge = RCV.NXT + 4096 */
    peer *p = peer_new(&cfg);
    p->wscale = 0;
    CHECK(peer_to_established_active(p));
    uint32_t offered_edge = p->snd_nxt + 4096;
    static uint8_t b[4096];
    memset(b, 'C', sizeof b);
    peer_send_data(p, b, 100);
    peer_advance(p, SYNACK_MS(50)); /* delayed ACK: 3996 free, 31 units of 128 said */
    peer_collect(p);
    CHECK_EQ(p->nseg, 1);
    uint32_t said_edge = p->seg[0].ack + ((uint32_t)p->seg[0].wnd << 7);
    printf("edge offered first = +%u, said after 100 octets = +%u\n", 4096u, said_edge - (offered_edge - 4096));
    CHECK(seq_lt(said_edge, offered_edge)); /* the case under test: the field rounded down */
    peer_clear(p);
    uint64_t beyond0 = synack_counter(p->st, SYNACK_CNT_tcp_rcv_beyond_wnd);
    peer_send_data(p, b, offered_edge - p->snd_nxt); /* was in flight before that ACK came */
    peer_collect(p);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_rcv_beyond_wnd) - beyond0, 0);
    CHECK_EQ(synack_readable_bytes(p->st, p->sd), 4096);
    CHECK(p->nseg >= 1 && p->seg[p->nseg - 1].ack == offered_edge);
    peer_clear(p);
    PEER_FINISH(p);
}

int main(void)
{
    RUN(rcv_edge_creeps_default_config);
    RUN(rcv_edge_beyond_buffer);
    RUN(rcv_overrun_heap_overflow);
    RUN(rcv_round_down_keeps_offered_edge);
    return test_report();
}
