/* link_impair.c: the impairment wrapper (driver.h synack_link_impair): packets between an inner
 * link (node "kernel") and the stack cross impair_io's simulated wire, so --impair loss=5%,...
 * applies to both directions of any link. Owns the inner link and the packets in flight. */
#include <synack/driver.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair_io.h"

#define PKT_CAP 65536

typedef struct impair_link {
    synack_link base;
    synack_link *inner;
    impair_io *io;
    synack_time_us now; /* of the receive call in progress (for the inner link's callback) */
    uint8_t out[SYNACK_LINK_HEADROOM + PKT_CAP]; /* a due packet with headroom, toward inner */
} impair_link;

static void from_inner(void *ctx, const synack_link_pkt *p)
{
    impair_link *im = ctx;
    impair_io_from_kernel(im->io, im->now, p->data, p->len);
}

static int impair_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    impair_link *im = (impair_link *)l;
    im->now = now;
    int r = synack_link_recv(im->inner, now, max, from_inner, im);
    if (r < 0) return r;
    /* Whatever is due now, both ways: up to the stack, or down to the inner link. */
    int handed = 0;
    link_pkt p;
    while (impair_io_pop(im->io, now, &p)) {
        if (p.to == IMPAIR_NODE_STACK) {
            synack_link_pkt up = {.data = p.data, .len = p.len};
            rx(ctx, &up);
            handed++;
        } else if (p.len <= PKT_CAP) {
            memcpy(im->out + SYNACK_LINK_HEADROOM, p.data, p.len);
            synack_link_pkt down = {.data = im->out + SYNACK_LINK_HEADROOM, .len = p.len};
            synack_link_send(im->inner, now, &down, 1);
        }
        free(p.data);
    }
    return handed;
}

static int impair_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    impair_link *im = (impair_link *)l;
    for (unsigned i = 0; i < n; i++) impair_io_from_stack(im->io, now, pkts[i].data, pkts[i].len);
    return (int)n;
}

static int impair_poll_fd(const synack_link *l) { return synack_link_poll_fd(((const impair_link *)l)->inner); }

static synack_time_us impair_next_time(const synack_link *l)
{
    const impair_link *im = (const impair_link *)l;
    synack_time_us a = impair_io_next_time(im->io), b = synack_link_next_time(im->inner);
    return a < b ? a : b;
}

static void impair_stats(const synack_link *l, synack_link_stats *acc)
{
    const impair_link *im = (const impair_link *)l;
    impair_io_stats s;
    impair_io_get_stats(im->io, &s);
    acc->lost += s.lost[0] + s.lost[1];
    acc->duplicated += s.duplicated[0] + s.duplicated[1];
    acc->corrupted += s.corrupted[0] + s.corrupted[1];
    if (im->inner->ops->stats) im->inner->ops->stats(im->inner, acc);
}

static void impair_close(synack_link *l)
{
    impair_link *im = (impair_link *)l;
    synack_link_close(im->inner);
    impair_io_free(im->io);
    free(im);
}

static const synack_link_ops impair_ops = {
    .kind = "impair", .recv_batch = impair_recv, .send_batch = impair_send, .poll_fd = impair_poll_fd,
    .next_time = impair_next_time, .stats = impair_stats, .close = impair_close,
};

synack_link *synack_link_impair(synack_link *inner, const synack_impair *imp, uint64_t seed)
{
    if (inner->caps & SYNACK_LINK_TX_OFFLOAD) {
        synack_link_close(inner);
        errno = EINVAL;
        return NULL;
    }
    impair_link *im = calloc(1, sizeof *im);
    if (im) im->io = impair_io_new(imp, imp, seed);
    if (!im || !im->io) {
        free(im);
        synack_link_close(inner);
        errno = ENOMEM;
        return NULL;
    }
    im->base.ops = &impair_ops;
    im->inner = inner;
    return &im->base;
}
