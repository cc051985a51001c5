/* transfer.c: bulk transfers through the simulated link, byte-exact, in both directions at once,
 * through loss, reordering, duplication, corruption and delay, with ISNs just below 2^32 so the
 * sequence space wraps during the transfer. */
#include <errno.h>
#include <stdlib.h>

#include "pair.h"
#include "test.h"

/* The byte at offset i of a stream, reproducible without storing the stream. */
static uint8_t stream_byte(uint64_t seed, uint64_t i)
{
    uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull + seed;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return (uint8_t)(x >> ((i & 7) * 8));
}

typedef struct flow {
    synack_stack *tx_st, *rx_st;
    int tx, rx;
    uint64_t seed, total, sent, received, errors;
    uint8_t chunk[16384]; /* generated once, offered until the stack takes it */
    size_t chunk_len, chunk_off;
} flow;

static void pump(flow *f)
{
    uint8_t buf[16384];
    for (;;) {
        if (f->chunk_off == f->chunk_len) {
            uint64_t left = f->total - f->sent - (f->chunk_len - f->chunk_off);
            if (left == 0) break;
            f->chunk_len = left < sizeof f->chunk ? (size_t)left : sizeof f->chunk;
            for (size_t i = 0; i < f->chunk_len; i++) f->chunk[i] = stream_byte(f->seed, f->sent + i);
            f->chunk_off = 0;
        }
        ssize_t w = synack_send(f->tx_st, f->tx, f->chunk + f->chunk_off, f->chunk_len - f->chunk_off);
        if (w <= 0) break;
        f->chunk_off += (size_t)w;
        f->sent += (uint64_t)w;
    }
    for (;;) {
        ssize_t r = synack_recv(f->rx_st, f->rx, buf, sizeof buf);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != stream_byte(f->seed, f->received + (uint64_t)i)) f->errors++;
        f->received += (uint64_t)r;
    }
}

static void run_transfer(const synack_impair *imp, uint64_t bytes, uint32_t isn, uint64_t seed,
                         synack_time_us limit)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.isn_fixed = true;
    cfg.isn_value = isn;
    cfg.max_retransmits = 60; /* 10% loss both ways: be patient rather than give up */
    pair p;
    pair_open(&p, &cfg, &cfg, seed);
    synack_sim_impair(p.sim, p.ci, p.si, imp);
    synack_sim_impair(p.sim, p.si, p.ci, imp);
    int l = pair_listen(&p, 5001);
    int c = pair_connect(&p, 5001);
    int a = pair_establish(&p, l, c);
    CHECK(a >= 0);
    if (a < 0) {
        pair_close(&p);
        return;
    }
    static flow up, down;
    up = (flow){.tx_st = p.c, .rx_st = p.s, .tx = c, .rx = a, .seed = seed ^ 1, .total = bytes};
    down = (flow){.tx_st = p.s, .rx_st = p.c, .tx = a, .rx = c, .seed = seed ^ 2, .total = bytes};
    while (synack_sim_now(p.sim) < limit) {
        pump(&up);
        pump(&down);
        if (up.received == bytes && down.received == bytes) break;
        synack_sim_flush(p.sim);
        if (!synack_sim_step(p.sim, limit)) break;
    }
    CHECK_EQ(up.received, bytes);
    CHECK_EQ(down.received, bytes);
    CHECK_EQ(up.errors, 0);
    CHECK_EQ(down.errors, 0);
    synack_conn_info ci;
    synack_socket_info(p.c, c, &ci);
    printf("  %llu bytes each way in %.3f s virtual; client rexmt %llu, fast %llu, rto %llu, "
           "bad cksum %llu, ooo %llu; server rexmt %llu\n",
           (unsigned long long)bytes, (double)synack_sim_now(p.sim) / 1e6,
           (unsigned long long)synack_counter(p.c, SYNACK_CNT_tcp_rexmt),
           (unsigned long long)synack_counter(p.c, SYNACK_CNT_tcp_fast_rexmt),
           (unsigned long long)synack_counter(p.c, SYNACK_CNT_tcp_rto_fired),
           (unsigned long long)synack_counter(p.c, SYNACK_CNT_tcp_bad_cksum),
           (unsigned long long)synack_counter(p.c, SYNACK_CNT_tcp_ooo),
           (unsigned long long)synack_counter(p.s, SYNACK_CNT_tcp_rexmt));
    /* The sequence space wrapped: ISN + bytes passed 2^32. */
    CHECK((uint64_t)isn + bytes > 0xffffffffull);
    /* Orderly close from both sides, then TIME-WAIT runs out. */
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(600));
    synack_mem_info m;
    synack_mem_get(p.c, &m);
    CHECK_EQ(m.conns_in_use, 0);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    synack_mem_get(p.s, &m);
    CHECK_EQ(m.conns_in_use, 0);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    CHECK_EQ(synack_counter(p.c, SYNACK_CNT_tcp_illegal_transition), 0);
    CHECK_EQ(synack_counter(p.s, SYNACK_CNT_tcp_illegal_transition), 0);
    pair_close(&p);
}

static void clean_link_64mib(void)
{
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(5);
    imp.rate_bps = 1000000000ull;
    run_transfer(&imp, 64ull << 20, 0xffffff00u, 7, SYNACK_SEC(3600));
}

static void impaired_link_64mib(void)
{
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(5);
    imp.jitter_us = SYNACK_MS(1);
    imp.rate_bps = 1000000000ull;
    imp.loss = 0.10;
    imp.duplicate = 0.02;
    imp.reorder = 0.05;
    imp.reorder_delay_us = SYNACK_MS(3);
    imp.corrupt = 0.02;
    run_transfer(&imp, 64ull << 20, 0xfffff000u, 11, SYNACK_SEC(36000));
}

int main(void)
{
    RUN(clean_link_64mib);
    RUN(impaired_link_64mib);
    return test_report();
}
