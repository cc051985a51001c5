/* impair_io.h: the simulated wire's impairments (link.c) as a decorator on a real device: packets
 * between the kernel and the stack pass through a sim_link with two nodes, so --impair loss=5%,...
 * applies to both directions of a TUN link. */
#ifndef SYNACK_DRIVERS_IMPAIR_IO_H
#define SYNACK_DRIVERS_IMPAIR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

/* The two ends of the impaired link (link.c node numbers). */
enum { IMPAIR_NODE_STACK = 0, IMPAIR_NODE_KERNEL = 1 };

typedef struct impair_io impair_io;

typedef struct impair_io_stats {
    uint64_t offered[2];   /* packets put on the link toward node i */
    uint64_t lost[2], duplicated[2], corrupted[2];
} impair_io_stats;

/* NULL when out of memory. to_stack/to_kernel may be NULL (a perfect direction). */
impair_io *impair_io_new(const synack_impair *to_stack, const synack_impair *to_kernel, uint64_t seed);
void impair_io_free(impair_io *io);
/* A packet read from the device, on its way to the stack. */
void impair_io_from_kernel(impair_io *io, uint64_t now, const uint8_t *pkt, size_t len);
/* A packet the stack sent, on its way to the device. */
void impair_io_from_stack(impair_io *io, uint64_t now, const uint8_t *pkt, size_t len);
/* The earliest delivery time of a packet in flight, or SYNACK_TIME_NEVER. */
uint64_t impair_io_next_time(const impair_io *io);
/* Takes a packet due at or before now; out->to says which end gets it (IMPAIR_NODE_*). The
 * caller frees out->data. False when none is due. */
bool impair_io_pop(impair_io *io, uint64_t now, link_pkt *out);
void impair_io_get_stats(const impair_io *io, impair_io_stats *out);

#endif
