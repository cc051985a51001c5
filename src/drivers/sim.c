/* sim.c: the virtual-time driver: attaches stacks, routes their output by destination address
 * onto the link (link.c), delivers due packets and runs due timers, deadline to deadline.
 * Must not read a real clock or hold global state; impairments and randomness live in link.c. */
#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps in a row that do not advance the clock before we call it a livelock (two stacks
 * ping-ponging over a zero-delay wire, or a stack whose deadline never moves past now). A real
 * exchange needs a handful of rounds per microsecond, not a million. */
#define SIM_LIVELOCK_STEPS (1u << 20)

struct synack_sim {
    sim_link *link;
    synack_stack *nodes[SYNACK_SIM_MAX_NODES];
    int n_nodes;
    synack_time_us now;
    synack_tap_fn tap;
    void *tap_ctx;
    synack_time_us last_step; /* for the livelock guard */
    uint32_t same_time_steps;
    uint8_t buf[65536];       /* synack_output target: any IPv4 packet fits */
};

synack_sim *synack_sim_new(uint64_t seed)
{
    synack_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return NULL;
    sim->link = link_new(seed);
    if (!sim->link) {
        free(sim);
        return NULL;
    }
    sim->last_step = SYNACK_TIME_NEVER;
    return sim;
}

void synack_sim_free(synack_sim *sim)
{
    if (!sim) return;
    link_free(sim->link);
    free(sim);
}

int synack_sim_add(synack_sim *sim, synack_stack *st)
{
    if (!st || sim->n_nodes >= SYNACK_SIM_MAX_NODES) return -1;
    sim->nodes[sim->n_nodes] = st;
    return sim->n_nodes++;
}

void synack_sim_impair(synack_sim *sim, int from, int to, const synack_impair *imp)
{
    /* Only a bad index or no memory for the mask copy fail; the old impairments then stay. */
    (void)link_impair(sim->link, from, to, imp);
}

void synack_sim_set_tap(synack_sim *sim, synack_tap_fn fn, void *ctx)
{
    sim->tap = fn;
    sim->tap_ctx = ctx;
    link_set_tap(sim->link, fn, ctx);
}

synack_time_us synack_sim_now(const synack_sim *sim) { return sim->now; }

size_t synack_sim_in_flight(const synack_sim *sim) { return link_in_flight(sim->link); }

static void tap(synack_sim *sim, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    if (sim->tap) sim->tap(sim->tap_ctx, sim->now, what, from, to, pkt, len);
}

/* The node owning the packet's destination address, or -1. The first match wins if two stacks
 * were (wrongly) given the same address. */
static int route(const synack_sim *sim, const uint8_t *pkt, size_t len)
{
    if (len < 1) return -1;
    int version = pkt[0] >> 4;
    const uint8_t *dst;
    size_t alen;
    uint8_t family;
    if (version == 4 && len >= 20) {
        dst = pkt + 16;
        alen = 4;
        family = SYNACK_AF_INET;
    } else if (version == 6 && len >= 40) {
        dst = pkt + 24;
        alen = 16;
        family = SYNACK_AF_INET6;
    } else {
        return -1;
    }
    for (int i = 0; i < sim->n_nodes; i++) {
        const synack_config *cfg = synack_stack_config(sim->nodes[i]);
        const synack_addr *a = family == SYNACK_AF_INET6 ? &cfg->addr6 : &cfg->addr;
        if (a->family == family && memcmp(a->bytes, dst, alen) == 0) return i;
    }
    return -1;
}

void synack_sim_flush(synack_sim *sim)
{
    /* Draining one stack cannot make another produce output (nothing is delivered here), so a
     * second pass only confirms; the cap guards against a stack that keeps refilling itself. */
    for (int pass = 0; pass < 16; pass++) {
        bool any = false;
        for (int i = 0; i < sim->n_nodes; i++) {
            size_t len;
            while ((len = synack_output(sim->nodes[i], sim->buf, sizeof sim->buf)) > 0) {
                any = true;
                int to = route(sim, sim->buf, len);
                if (to < 0) {
                    tap(sim, SYNACK_TAP_SENT, i, -1, sim->buf, len);
                    tap(sim, SYNACK_TAP_NO_ROUTE, i, -1, sim->buf, len);
                    continue;
                }
                link_send(sim->link, sim->now, i, to, sim->buf, len);
            }
        }
        if (!any) break;
    }
}

/* Polls every stack at the sim's time. Stacks with a timer due run it; the rest only advance
 * their clock, so that socket calls made between steps act at the sim's time rather than at the
 * last time that stack happened to see a packet (which would skew RTT samples and timers). */
static void sync_clocks(synack_sim *sim)
{
    for (int i = 0; i < sim->n_nodes; i++) synack_poll(sim->nodes[i], sim->now);
}

bool synack_sim_step(synack_sim *sim, synack_time_us limit)
{
    /* Socket calls made between steps may have queued packets without setting a deadline. */
    synack_sim_flush(sim);

    synack_time_us next = link_next_time(sim->link);
    for (int i = 0; i < sim->n_nodes; i++) {
        synack_time_us d = synack_next_deadline(sim->nodes[i]);
        if (d < next) next = d;
    }
    if (next < sim->now) next = sim->now; /* an overdue timer runs now: time never goes back */
    if (next == SYNACK_TIME_NEVER || next > limit) {
        if (limit != SYNACK_TIME_NEVER && limit > sim->now) {
            sim->now = limit;
            sync_clocks(sim); /* nothing is due before limit: this only moves their clocks */
        }
        return false;
    }

    if (next == sim->last_step) {
        if (++sim->same_time_steps >= SIM_LIVELOCK_STEPS) {
            fprintf(stderr, "synack_sim: livelock: %u steps at t=%llu us without time advancing\n",
                    sim->same_time_steps, (unsigned long long)next);
            abort();
        }
    } else {
        sim->last_step = next;
        sim->same_time_steps = 0;
    }
    sim->now = next;

    link_pkt p;
    while (link_pop_due(sim->link, sim->now, &p)) {
        tap(sim, SYNACK_TAP_DELIVERED, p.from, p.to, p.data, p.len);
        synack_input(sim->nodes[p.to], sim->now, p.data, p.len);
        free(p.data);
    }
    /* Runs the due timers, and brings every other stack to now as well. */
    sync_clocks(sim);
    synack_sim_flush(sim);
    return true;
}

void synack_sim_run_until(synack_sim *sim, synack_time_us t)
{
    while (synack_sim_step(sim, t)) {
    }
}

bool synack_sim_run_while_not(synack_sim *sim, synack_time_us limit, bool (*done)(void *ctx),
                              void *ctx)
{
    if (done(ctx)) return true;
    while (synack_sim_step(sim, limit))
        if (done(ctx)) return true;
    return done(ctx);
}
