/* sim_basic.c: two real stacks on the simulated link: packets cross, at the virtual times the
 * impairments say, and timers run from deadlines. A smoke test of sim.c, not of TCP details
 * (those belong to tests/state and the packetdrill scripts). */
#include "synack/sim.h"
#include "synack/socket.h"
#include "test.h"

#include <errno.h>

typedef struct tap_rec {
    size_t counts[SYNACK_TAP_CE_MARKED + 1];
    synack_time_us first_delivery[2]; /* to node 0 / node 1; NEVER until one happens */
} tap_rec;

static void record(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                   size_t len)
{
    tap_rec *r = ctx;
    r->counts[what]++;
    if (what == SYNACK_TAP_DELIVERED && to >= 0 && to < 2 &&
        r->first_delivery[to] == SYNACK_TIME_NEVER)
        r->first_delivery[to] = t;
}

typedef struct world {
    synack_stack *a, *b;
    synack_sim *sim;
    tap_rec rec;
    int listener, client, accepted;
} world;

static synack_stack *make_stack(uint8_t last, uint64_t seed)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(10, 0, 0, last);
    cfg.seed = seed;
    return synack_stack_new(&cfg);
}

static bool setup(world *w, synack_time_us delay)
{
    memset(w, 0, sizeof *w);
    w->rec.first_delivery[0] = w->rec.first_delivery[1] = SYNACK_TIME_NEVER;
    w->accepted = -1;
    w->a = make_stack(1, 1);
    w->b = make_stack(2, 2);
    w->sim = synack_sim_new(1234);
    CHECK(w->a && w->b && w->sim);
    if (!w->a || !w->b || !w->sim) return false;
    CHECK_EQ(synack_sim_add(w->sim, w->a), 0);
    CHECK_EQ(synack_sim_add(w->sim, w->b), 1);
    synack_sim_set_tap(w->sim, record, &w->rec);
    synack_impair imp = {0};
    imp.delay_us = delay;
    synack_sim_impair(w->sim, 0, 1, &imp);
    synack_sim_impair(w->sim, 1, 0, &imp);

    synack_endpoint local = {synack_addr_v4(10, 0, 0, 2), 80};
    w->listener = synack_socket(w->b);
    CHECK(w->listener >= 0);
    CHECK_EQ(synack_bind(w->b, w->listener, &local), 0);
    CHECK_EQ(synack_listen(w->b, w->listener, 8), 0);
    w->client = synack_socket(w->a);
    CHECK(w->client >= 0);
    return true;
}

static void teardown(world *w)
{
    synack_sim_free(w->sim);
    synack_stack_free(w->a);
    synack_stack_free(w->b);
}

static bool accepted(void *ctx)
{
    world *w = ctx;
    if (w->accepted < 0) w->accepted = synack_accept(w->b, w->listener, NULL);
    return w->accepted >= 0;
}

static void test_handshake_crosses(void)
{
    world w;
    if (!setup(&w, SYNACK_MS(10))) return;
    synack_endpoint server = {synack_addr_v4(10, 0, 0, 2), 80};
    CHECK_EQ(synack_connect(w.a, w.client, &server), -EINPROGRESS);
    CHECK(synack_sim_run_while_not(w.sim, SYNACK_SEC(5), accepted, &w));
    /* SYN at 0 arrives at 10 ms; SYN-ACK back at 20 ms; the ACK completes it at 30 ms. */
    CHECK_EQ(w.rec.first_delivery[1], SYNACK_MS(10));
    CHECK_EQ(w.rec.first_delivery[0], SYNACK_MS(20));
    CHECK_EQ(synack_sim_now(w.sim), SYNACK_MS(30));
    CHECK(w.rec.counts[SYNACK_TAP_SENT] >= 3);
    CHECK_EQ(w.rec.counts[SYNACK_TAP_NO_ROUTE], 0);
    CHECK_EQ(synack_sim_in_flight(w.sim), 0);
    teardown(&w);
}

static void test_lost_syn_retransmitted(void)
{
    world w;
    if (!setup(&w, SYNACK_MS(10))) return;
    uint64_t mask = 1; /* drop the first packet A -> B: the SYN */
    synack_impair imp = {0};
    imp.delay_us = SYNACK_MS(10);
    imp.loss_mask = &mask;
    imp.loss_mask_bits = 1;
    synack_sim_impair(w.sim, 0, 1, &imp);
    synack_endpoint server = {synack_addr_v4(10, 0, 0, 2), 80};
    CHECK_EQ(synack_connect(w.a, w.client, &server), -EINPROGRESS);
    CHECK(synack_sim_run_while_not(w.sim, SYNACK_SEC(10), accepted, &w));
    CHECK_EQ(w.rec.counts[SYNACK_TAP_LOST], 1);
    /* The retransmitted SYN leaves after the initial RTO (1 s), driven by the stack deadline. */
    CHECK_EQ(w.rec.first_delivery[1], SYNACK_SEC(1) + SYNACK_MS(10));
    teardown(&w);
}

static void test_no_route(void)
{
    world w;
    if (!setup(&w, 0)) return;
    synack_endpoint nowhere = {synack_addr_v4(10, 0, 0, 9), 80};
    CHECK_EQ(synack_connect(w.a, w.client, &nowhere), -EINPROGRESS);
    synack_sim_flush(w.sim);
    CHECK_EQ(w.rec.counts[SYNACK_TAP_NO_ROUTE], 1);
    CHECK_EQ(synack_sim_in_flight(w.sim), 0);
    synack_sim_run_until(w.sim, SYNACK_MS(500));
    CHECK_EQ(synack_sim_now(w.sim), SYNACK_MS(500));
    CHECK_EQ(w.rec.counts[SYNACK_TAP_DELIVERED], 0);
    teardown(&w);
}

int main(void)
{
    RUN(test_handshake_crosses);
    RUN(test_lost_syn_retransmitted);
    RUN(test_no_route);
    return test_report();
}
