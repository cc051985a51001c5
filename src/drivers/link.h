/* link.h: the simulated wire without stacks: per-direction impairments, the seeded PRNG and the
 * in-flight packet heap (src/drivers/link.c). Knows nothing about routing or synack_stack, so it
 * can be tested alone; sim.c decides who sends to whom and hands packets to the stacks. */
#ifndef SYNACK_DRIVERS_LINK_H
#define SYNACK_DRIVERS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/sim.h"

/* Nodes are numbered 0..LINK_MAX_NODES-1; every ordered pair (from, to) is one direction. */
#define LINK_MAX_NODES SYNACK_SIM_MAX_NODES

typedef struct sim_link sim_link;

/* A packet taken off the link. The caller owns data and must free() it. */
typedef struct link_pkt {
    synack_time_us at; /* delivery time */
    int from, to;
    size_t len;
    uint8_t *data;
} link_pkt;

/* NULL when out of memory. The seed fixes every random choice the link will ever make. */
sim_link *link_new(uint64_t seed);
/* Frees the link and every packet still in flight. NULL is fine. */
void link_free(sim_link *l);
/* Sets the impairments of direction from -> to (NULL = a perfect wire). The loss mask is copied,
 * so the caller's array need not outlive the call. Returns false on a bad index or no memory (the
 * old impairments are then kept). */
bool link_impair(sim_link *l, int from, int to, const synack_impair *imp);
/* Events SENT, LOST, QUEUE_DROP, MTU_DROP, CORRUPTED and DUPLICATED go to fn (DELIVERED and
 * NO_ROUTE are the caller's: only it knows when a packet reaches a stack). */
void link_set_tap(sim_link *l, synack_tap_fn fn, void *ctx);
/* Puts a copy of pkt on the wire at time now, applying the impairments of from -> to. */
void link_send(sim_link *l, synack_time_us now, int from, int to, const uint8_t *pkt, size_t len);
/* The earliest delivery time of a packet in flight, or SYNACK_TIME_NEVER. */
synack_time_us link_next_time(const sim_link *l);
/* Takes the earliest packet due at or before now (ties in the order they were put on the wire).
 * Returns false when none is due. */
bool link_pop_due(sim_link *l, synack_time_us now, link_pkt *out);
size_t link_in_flight(const sim_link *l);

#endif
