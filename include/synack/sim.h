/* synack/sim.h: the simulated link and virtual-time driver (src/drivers/sim.c, link.c).
 * Connects two or more stacks in one process, advances a virtual clock from deadline to deadline,
 * and applies seeded, reproducible impairments per direction. */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include "stack.h"

#define SYNACK_SIM_MAX_NODES 8

/* Impairments of one direction (from node -> to node). All zero = a perfect wire. */
typedef struct synack_impair {
    synack_time_us delay_us;    /* one-way propagation delay */
    synack_time_us jitter_us;   /* extra delay uniform in [0, jitter] (may reorder) */
    uint64_t rate_bps;          /* serialization rate in bits/s; 0 = infinite */
    uint32_t queue_limit;       /* packets waiting for the rate limiter; 0 = unlimited */
    /* RFC 3168 5: with at least this many packets waiting for the rate limiter, an ECN-capable
     * packet (ECT(0) or ECT(1)) is marked CE instead of queued unmarked; 0 = never mark. The
     * queue_limit drop still applies to every packet. */
    uint32_t ce_threshold;
    uint32_t mtu;               /* larger packets are dropped; 0 = no limit */
    double loss;                /* drop probability */
    double duplicate;           /* probability a packet is delivered twice */
    double reorder;             /* probability a packet is held back by reorder_delay_us */
    synack_time_us reorder_delay_us;
    double corrupt;             /* probability one random bit of the packet is flipped */
    /* Exact drops: bit i of loss_mask (i < loss_mask_bits) set drops the i-th packet
     * (counting from 0) sent in this direction. Applied in addition to loss. */
    const uint64_t *loss_mask;
    size_t loss_mask_bits;
} synack_impair;

enum synack_tap_what { SYNACK_TAP_SENT, SYNACK_TAP_DELIVERED, SYNACK_TAP_LOST, SYNACK_TAP_QUEUE_DROP,
                       SYNACK_TAP_MTU_DROP, SYNACK_TAP_CORRUPTED, SYNACK_TAP_DUPLICATED,
                       SYNACK_TAP_NO_ROUTE, SYNACK_TAP_CE_MARKED };

/* Called for every packet event on the link (for ladders, pcap, tracing). */
typedef void (*synack_tap_fn)(void *ctx, synack_time_us t, int what, int from, int to,
                              const uint8_t *pkt, size_t len);

typedef struct synack_sim synack_sim;

synack_sim *synack_sim_new(uint64_t seed);
/* Frees the simulator and the packets in flight; the stacks belong to the caller. */
void synack_sim_free(synack_sim *sim);
/* Attaches a stack; packets are routed by destination address to the stack with that address.
 * Returns the node index, or -1 when full. */
int synack_sim_add(synack_sim *sim, synack_stack *st);
void synack_sim_impair(synack_sim *sim, int from, int to, const synack_impair *imp);
void synack_sim_set_tap(synack_sim *sim, synack_tap_fn fn, void *ctx);
synack_time_us synack_sim_now(const synack_sim *sim);

/* Drains every stack's output into the link at the current time (no clock advance). */
void synack_sim_flush(synack_sim *sim);
/* Advances to the next event (a delivery or a stack deadline) not after `limit`, handles everything
 * due then, and flushes outputs. Returns false when there is nothing to do up to `limit` (the
 * clock is then set to `limit` if it is not NEVER). */
bool synack_sim_step(synack_sim *sim, synack_time_us limit);
/* Runs until virtual time t (all events up to t handled; clock ends at t). */
void synack_sim_run_until(synack_sim *sim, synack_time_us t);
/* Runs until done(ctx) returns true (checked after each step) or the clock passes limit, or
 * nothing is left to do. Returns done(ctx). */
bool synack_sim_run_while_not(synack_sim *sim, synack_time_us limit, bool (*done)(void *ctx), void *ctx);
/* Packets currently in flight on the link. */
size_t synack_sim_in_flight(const synack_sim *sim);

/* pcap capture (LINKTYPE_RAW): a tap that writes every DELIVERED/SENT packet once. */
typedef struct synack_pcap synack_pcap;
synack_pcap *synack_pcap_open(const char *path); /* NULL on error (errno set) */
void synack_pcap_write(synack_pcap *p, synack_time_us t, const uint8_t *pkt, size_t len);
void synack_pcap_close(synack_pcap *p);
/* A synack_tap_fn that records SENT packets into ctx (a synack_pcap *). */
void synack_pcap_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                     size_t len);

#endif
