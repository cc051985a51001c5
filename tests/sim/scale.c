/* scale.c (sim): the connection lifecycle at scale, two stacks joined directly in virtual time:
 * the tables grow through a million concurrent connections and shrink back; an idle ESTABLISHED
 * endpoint holds no buffer memory; TIME-WAIT becomes compact records that expire on time; a
 * burst of closes larger than the output queue drains without losing a FIN; a burst of aborts
 * of connections waiting for the queue leaves the pending list in linear time. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "duo.h"
#include "stack_impl.h"
#include "test.h"

/* A descriptor slot of src/api/socket.c: a handle pointer, or the free-list link in its place. */
enum { SOCK_SLOT_BYTES = sizeof(void *) };

#include <synack/inspect.h>
#include <synack/socket.h>

static size_t table_bytes(synack_stack *st)
{
    synack_mem_info m;
    synack_mem_get(st, &m);
    return m.table_bytes;
}

/* One million concurrent ESTABLISHED connections with the default limits (only the client's
 * ephemeral range widened, and 16 server ports, so that the 4-tuples exist), then all closed:
 * the tables grow, hold no buffer memory while idle, and shrink back. */
static void million_connections_grow_and_shrink(void)
{
    enum { PORTS = 16, BATCH = 2048 }; /* within the listen backlogs (4096 each) */
    uint32_t n = getenv("SCALE_CONNS") ? (uint32_t)atoi(getenv("SCALE_CONNS")) : 1000000;
    synack_config cc;
    synack_config_default(&cc);
    cc.ephemeral_lo = 1024;
    cc.ephemeral_hi = 65535;
    duo d;
    duo_open(&d, &cc, NULL);
    size_t empty_c = table_bytes(d.c), empty_s = table_bytes(d.s);
    int lsd[PORTS];
    for (int i = 0; i < PORTS; i++) {
        lsd[i] = synack_socket(d.s);
        synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), (uint16_t)(1000 + i)};
        CHECK_EQ(synack_bind(d.s, lsd[i], &any), 0);
        CHECK_EQ(synack_listen(d.s, lsd[i], 4096), 0);
    }
    int *csd = malloc(sizeof(int) * n), *ssd = malloc(sizeof(int) * n);
    uint32_t made = 0, accepted = 0;
    while (made < n) {
        for (uint32_t b = 0; b < BATCH && made < n; b++, made++) {
            csd[made] = synack_socket(d.c);
            synack_endpoint ep = duo_server_ep((uint16_t)(1000 + made % PORTS));
            if (csd[made] < 0 || synack_connect(d.c, csd[made], &ep) != -EINPROGRESS) break;
        }
        duo_pump(&d);
        for (int i = 0; i < PORTS; i++) {
            int a;
            while ((a = synack_accept(d.s, lsd[i], NULL)) >= 0) ssd[accepted++] = a;
        }
    }
    CHECK_EQ(made, n);
    CHECK_EQ(accepted, n);
    synack_mem_info mc, ms;
    synack_mem_get(d.c, &mc);
    synack_mem_get(d.s, &ms);
    CHECK_EQ(mc.conns_in_use, n);
    CHECK_EQ(ms.conns_in_use, n + PORTS);
    CHECK_EQ(mc.buffer_bytes_in_use + ms.buffer_bytes_in_use, 0); /* idle: no buffer memory */
    /* Per idle ESTABLISHED endpoint: TCB, socket slot, hash and heap share, all tables. */
    double per_c = (double)mc.table_bytes / n, per_s = (double)ms.table_bytes / n;
    printf("  %u connections: %.0f bytes per client endpoint, %.0f per server endpoint\n", n, per_c, per_s);
    /* 728-byte TCBs in 512 KiB chunks, 8-byte descriptor slots, the hash's share: 760 to 780
     * bytes (a 1,024-byte budget before the CC state left the TCB; README's figure is RSS). */
    CHECK(per_c <= 800 && per_s <= 800);
    /* One request and answer on every connection, then closes from the client: TIME-WAIT. */
    if (made != n || accepted != n) n = accepted < made ? accepted : made; /* failed above */
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) bad += synack_send(d.c, csd[i], "q", 1) != 1;
    duo_pump(&d);
    char b;
    for (uint32_t i = 0; i < n; i++)
        bad += synack_recv(d.s, ssd[i], &b, 1) != 1 || synack_send(d.s, ssd[i], "a", 1) != 1;
    duo_pump(&d);
    for (uint32_t i = 0; i < n; i++) bad += synack_recv(d.c, csd[i], &b, 1) != 1 || synack_close(d.c, csd[i]) != 0;
    duo_pump(&d);
    for (uint32_t i = 0; i < n; i++) bad += synack_close(d.s, ssd[i]) != 0;
    duo_pump(&d);
    CHECK_EQ(bad, 0);
    synack_mem_get(d.c, &mc);
    uint32_t tw = mc.time_wait;
    CHECK_EQ(tw, n < cc.max_time_wait ? n : cc.max_time_wait);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_tw_overflow), n - tw);
    CHECK_EQ(mc.conns_in_use, tw);
    CHECK_EQ(mc.buffer_bytes_in_use, 0);
    duo_advance(&d, SYNACK_SEC(60) - 1);
    synack_mem_get(d.c, &mc);
    CHECK_EQ(mc.time_wait, tw);
    duo_advance(&d, 1);
    synack_mem_get(d.c, &mc);
    synack_mem_get(d.s, &ms);
    CHECK_EQ(mc.conns_in_use, 0);
    CHECK_EQ(ms.conns_in_use, PORTS);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_illegal_transition) + synack_counter(d.s, SYNACK_CNT_tcp_illegal_transition), 0);
    /* Shrunk back: the caches halve what they keep every second (util/slab.h); ten seconds on,
     * what remains is the socket tables (descriptors keep their numbers) and a few spare
     * chunks, not a million connections' worth. */
    duo_advance(&d, SYNACK_SEC(10));
    size_t after_c = table_bytes(d.c) - (size_t)n * SOCK_SLOT_BYTES, after_s = table_bytes(d.s) - (size_t)n * SOCK_SLOT_BYTES;
    printf("  tables: client %zu -> %zu bytes, server %zu -> %zu bytes (sockets excluded)\n", empty_c, after_c, empty_s, after_s);
    if (!(after_c < 8u << 20 && after_s < 8u << 20)) {
        synack_stack *x = d.c;
        printf("tcb %zu tw %zu ranges %zu conns %llu twh %llu heap %u socks %u\n", slab_bytes(&x->tcb_slab), slab_bytes(&x->tw.recs), slab_bytes(&x->bufs.ranges), (unsigned long long)htable_bytes(&x->conns), (unsigned long long)htable_bytes(&x->tw.hash), x->heap_cap, 0u);
        for (unsigned i = 0; i < BUF_CLASSES; i++) if (slab_bytes(&x->bufs.cls[i])) printf(" cls%u %zu\n", i, slab_bytes(&x->bufs.cls[i]));
    }
    CHECK(after_c < 8u << 20 && after_s < 8u << 20);
    for (int i = 0; i < PORTS; i++) synack_close(d.s, lsd[i]);
    free(csd);
    free(ssd);
    duo_free(&d);
}

enum { BURST_N = 40000 };

/* BURST_N established connections to port 80 over a duo whose client may use every port. */
static int burst_open(duo *d, int *csd, int *ssd)
{
    synack_config cc;
    synack_config_default(&cc);
    cc.ephemeral_lo = 1024;
    cc.ephemeral_hi = 65535;
    duo_open(d, &cc, NULL);
    int l = duo_listen(d, 80);
    int ok = 0;
    for (int i = 0; i < BURST_N; i++) {
        ssd[i] = duo_connect(d, l, 80, 0, &csd[i]);
        ok += ssd[i] >= 0;
    }
    CHECK_EQ(ok, BURST_N);
    return l;
}

/* 40,000 closes at once: 40,000 FINs where the 1 MiB output queue holds about 16,000. They go
 * out as the driver drains the queue, each connection built once per drain, none lost. */
static void close_burst_larger_than_output_queue(void)
{
    enum { N = BURST_N };
    duo d;
    static int csd[N], ssd[N];
    int l = burst_open(&d, csd, ssd);
    uint64_t full_before = synack_counter(d.c, SYNACK_CNT_out_queue_full);
    uint64_t visits_before = d.c->pending_visits;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) synack_close(d.c, csd[i]);
    /* Everything is queued or pending; the drain delivers every FIN. */
    uint64_t moved = duo_pump(&d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t full = synack_counter(d.c, SYNACK_CNT_out_queue_full) - full_before;
    uint64_t visits = d.c->pending_visits - visits_before;
    printf("  %d closes: %llu packets moved, %llu output-queue-full events, %llu pending-list "
           "visits, %.3f s of real time (not asserted: the build and the machine decide it)\n", N,
           (unsigned long long)moved, (unsigned long long)full, (unsigned long long)visits,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    /* The work done, not the time: every connection is taken off the pending list a bounded
     * number of times (once per FIN it waited to send, and the ACK of the peer's FIN), never
     * once per drain of the queue for every waiting connection (~N * N / queue_len). */
    CHECK(visits > 0);
    CHECK(visits <= 3 * (uint64_t)N);
    /* The burst did not fit, and cost each connection one failed attempt (at its close) plus one
     * per drain of the queue, not a retry of every waiting connection per drain (which was
     * quadratic: ~N * N / queue_len). */
    CHECK(full > 0);
    CHECK(full <= N + N / 100);
    char b;
    int eof = 0;
    for (int i = 0; i < N; i++) eof += synack_recv(d.s, ssd[i], &b, 1) == 0;
    CHECK_EQ(eof, N);
    for (int i = 0; i < N; i++) synack_close(d.s, ssd[i]);
    duo_pump(&d);
    duo_advance(&d, SYNACK_SEC(60));
    synack_mem_info m;
    synack_mem_get(d.c, &m);
    CHECK_EQ(m.conns_in_use, 0);
    synack_mem_get(d.s, &m);
    CHECK_EQ(m.conns_in_use, 1);
    synack_close(d.s, l);
    duo_free(&d);
}

/* 40,000 connections waiting on the pending list (their FINs did not fit the output queue) are
 * aborted: each leaves the list in O(1) (it was a walk of the list per connection, quadratic),
 * and no aborted connection is visited again. */
static void abort_burst_while_pending(void)
{
    enum { N = BURST_N };
    duo d;
    static int csd[N], ssd[N];
    int l = burst_open(&d, csd, ssd);
    for (int i = 0; i < N; i++) CHECK_EQ(synack_shutdown(d.c, csd[i], SYNACK_SHUT_WR), 0);
    /* Take some output: the queue fills and the rest of the FINs wait on the pending list. */
    uint8_t pkt[2048];
    for (int i = 0; i < 100; i++) CHECK(synack_output(d.c, pkt, sizeof pkt) > 0);
    CHECK(d.c->pending_head != NULL);
    uint64_t visits_before = d.c->pending_visits;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) CHECK_EQ(synack_abort(d.c, csd[i]), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(d.c->pending_head == NULL && d.c->pending_tail == NULL);
    printf("  %d aborts of waiting connections: %.3f s of real time (not asserted)\n", N,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    duo_pump(&d);
    CHECK_EQ(d.c->pending_visits, visits_before); /* none of them was visited again */
    synack_mem_info m;
    synack_mem_get(d.c, &m);
    CHECK_EQ(m.conns_in_use, 0);
    for (int i = 0; i < N; i++) synack_abort(d.s, ssd[i]);
    synack_close(d.s, l);
    duo_free(&d);
}

int main(void)
{
    RUN(close_burst_larger_than_output_queue);
    RUN(abort_burst_while_pending);
    RUN(million_connections_grow_and_shrink);
    return test_report();
}
