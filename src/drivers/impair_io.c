/* impair_io.c: impairments for real links: a two-node sim_link (link.c) between a link (the TUN
 * device) and the stack; link_impair.c wraps it as a link. The --impair text is parsed in tools/
 * (impair_text.c). Reuses link.c's seeded engine rather than
 * a second one; must not do I/O or read a clock itself (the loop passes "now" in). */
#include "impair_io.h"

#include <stdlib.h>
#include <string.h>

struct impair_io {
    sim_link *link;
    impair_io_stats stats;
};

/* ---- the decorator ---- */

static void count_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                      size_t len)
{
    impair_io *io = ctx;
    if (to < 0 || to > 1) return;
    switch (what) {
    case SYNACK_TAP_SENT: io->stats.offered[to]++; break;
    case SYNACK_TAP_LOST:
    case SYNACK_TAP_QUEUE_DROP:
    case SYNACK_TAP_MTU_DROP: io->stats.lost[to]++; break;
    case SYNACK_TAP_DUPLICATED: io->stats.duplicated[to]++; break;
    case SYNACK_TAP_CORRUPTED: io->stats.corrupted[to]++; break;
    default: break;
    }
}

impair_io *impair_io_new(const synack_impair *to_stack, const synack_impair *to_kernel, uint64_t seed)
{
    impair_io *io = calloc(1, sizeof *io);
    if (!io) return NULL;
    io->link = link_new(seed);
    if (!io->link || !link_impair(io->link, IMPAIR_NODE_KERNEL, IMPAIR_NODE_STACK, to_stack) ||
        !link_impair(io->link, IMPAIR_NODE_STACK, IMPAIR_NODE_KERNEL, to_kernel)) {
        impair_io_free(io);
        return NULL;
    }
    link_set_tap(io->link, count_tap, io);
    return io;
}

void impair_io_free(impair_io *io)
{
    if (!io) return;
    link_free(io->link);
    free(io);
}

void impair_io_from_kernel(impair_io *io, uint64_t now, const uint8_t *pkt, size_t len)
{
    link_send(io->link, now, IMPAIR_NODE_KERNEL, IMPAIR_NODE_STACK, pkt, len);
}

void impair_io_from_stack(impair_io *io, uint64_t now, const uint8_t *pkt, size_t len)
{
    link_send(io->link, now, IMPAIR_NODE_STACK, IMPAIR_NODE_KERNEL, pkt, len);
}

uint64_t impair_io_next_time(const impair_io *io) { return link_next_time(io->link); }

bool impair_io_pop(impair_io *io, uint64_t now, link_pkt *out) { return link_pop_due(io->link, now, out); }

void impair_io_get_stats(const impair_io *io, impair_io_stats *out) { *out = io->stats; }
