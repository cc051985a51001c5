/* port_queue.c (sim): the driver's port predicate (synack_config.port_ok) in the RFC 6056 search.
 * A stack on queue q of an N-queue TUN device keeps the local ports whose flows the steering
 * program hands to q (tun.h synack_tun_queue_port_ok): every active open lands there, for any
 * remote port, while the ports stay randomised (not a fixed stride); a predicate that refuses
 * everything ends the search after num_ephemeral tries with EADDRNOTAVAIL; bind(port 0) asks
 * with remote port 0 and may then take any port. */
#include <errno.h>
#include <stdio.h>

#include <synack/tun.h>

#include "duo.h"
#include "test.h"

/* Counts calls, then defers to the TUN queue predicate (or refuses all with queue NULL). */
typedef struct probe {
    const synack_tun_queue *queue;
    unsigned calls, remote_port_zero;
} probe;

static bool probe_ok(void *ctx, uint16_t local_port, const synack_endpoint *remote)
{
    probe *p = ctx;
    p->calls++;
    if (!remote->port) p->remote_port_zero++;
    return p->queue && synack_tun_queue_port_ok((void *)p->queue, local_port, remote);
}

/* A client configuration that asks pr. */
static synack_config probed_config(probe *pr)
{
    synack_config cc;
    synack_config_default(&cc);
    cc.port_ok = probe_ok;
    cc.port_ok_ctx = pr;
    return cc;
}

/* 2 and 3 queues, every queue, two server ports: 40 connections each, every local port on its
 * own queue, data both ways byte-exact; the steps between successive ports vary. */
static void active_opens_land_on_their_queue(void)
{
    for (unsigned nq = 2; nq <= 3; nq++) {
        for (unsigned q = 0; q < nq; q++) {
            synack_tun_queue tq = {.index = q, .count = nq};
            probe pr = {.queue = &tq};
            synack_config cc = probed_config(&pr);
            duo d;
            duo_open(&d, &cc, NULL);
            uint16_t sports[2] = {7, 8080};
            int l[2] = {duo_listen(&d, sports[0]), duo_listen(&d, sports[1])};
            enum { N = 40 };
            int prev = -1, distinct_steps = 0, seen[64] = {0};
            for (int i = 0; i < N; i++) {
                int k = i & 1, c, a = duo_connect(&d, l[k], sports[k], 0, &c);
                CHECK(a >= 0);
                synack_endpoint le;
                CHECK_EQ(synack_getsockname(d.c, c, &le), 0);
                CHECK_EQ(synack_tun_port_queue(le.port, sports[k], nq), q);
                CHECK(le.port >= cc.ephemeral_lo && le.port <= cc.ephemeral_hi);
                char msg[16], got[16];
                int n = snprintf(msg, sizeof msg, "conn %d", i);
                CHECK_EQ(synack_send(d.c, c, msg, (size_t)n), n);
                duo_pump(&d);
                CHECK_EQ(synack_recv(d.s, a, got, sizeof got), n);
                CHECK(!memcmp(msg, got, (size_t)n));
                if (k == 0) {
                    if (prev >= 0) {
                        int step = ((int)le.port - prev + 65536) % 65536;
                        if (step < 64 && !seen[step]++) distinct_steps++;
                    }
                    prev = le.port;
                }
                CHECK_EQ(synack_abort(d.c, c), 0);
                CHECK_EQ(synack_abort(d.s, a), 0);
                duo_pump(&d);
            }
            /* About nq ports tried per connection (a 1/nq chance each). */
            printf("  %u queues, queue %u: %u ports asked for %d connections, %d distinct steps\n", nq,
                   q, pr.calls, N, distinct_steps);
            CHECK(pr.calls >= (unsigned)N);
            CHECK(pr.calls < (unsigned)N * nq * 4);
            CHECK(distinct_steps >= 4);
            CHECK_EQ(pr.remote_port_zero, 0);
            synack_close(d.s, l[0]);
            synack_close(d.s, l[1]);
            duo_free(&d);
        }
    }
}

/* A predicate that takes nothing: connect() fails with EADDRNOTAVAIL after asking about each
 * of the 100 ports once (bounded), and the stack is unharmed (a later open without it works). */
static void refusing_everything_is_bounded(void)
{
    probe pr = {.queue = NULL};
    synack_config cc = probed_config(&pr);
    cc.ephemeral_lo = 50000;
    cc.ephemeral_hi = 50099;
    duo d;
    duo_open(&d, &cc, NULL);
    int l = duo_listen(&d, 7);
    int c = synack_socket(d.c);
    synack_endpoint r = duo_server_ep(7);
    CHECK_EQ(synack_connect(d.c, c, &r), -EADDRNOTAVAIL);
    CHECK_EQ(pr.calls, 100);
    synack_close(d.c, c);
    /* An explicitly bound port is the application's choice: not asked. */
    int c2, a = duo_connect(&d, l, 7, 50050, &c2);
    CHECK(a >= 0);
    CHECK_EQ(pr.calls, 100);
    synack_abort(d.c, c2);
    synack_abort(d.s, a);
    duo_pump(&d);
    synack_close(d.s, l);
    duo_free(&d);
}

/* bind(port 0): the peer is unknown, the predicate is asked with remote port 0; the TUN queue
 * predicate takes any port then (it cannot know where the flow will land). */
static void bind_port_zero_asks_without_remote(void)
{
    synack_tun_queue tq = {.index = 1, .count = 2};
    probe pr = {.queue = &tq};
    synack_config cc = probed_config(&pr);
    duo d;
    duo_open(&d, &cc, NULL);
    int s = synack_socket(d.c);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 0};
    CHECK_EQ(synack_bind(d.c, s, &any), 0);
    CHECK_EQ(pr.calls, 1);
    CHECK_EQ(pr.remote_port_zero, 1);
    synack_close(d.c, s);
    duo_free(&d);
}

int main(void)
{
    RUN(active_opens_land_on_their_queue);
    RUN(refusing_everything_is_bounded);
    RUN(bind_port_zero_asks_without_remote);
    return test_report();
}
