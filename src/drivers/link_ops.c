/* link_ops.c: calls through a link's ops table (driver.h), so that callers never reach into it.
 * Owns nothing. */
#include <synack/driver.h>

#include <string.h>

int synack_link_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    return l->ops->recv_batch(l, now, max, rx, ctx);
}

int synack_link_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    return n ? l->ops->send_batch(l, now, pkts, n) : 0;
}

int synack_link_poll_fd(const synack_link *l) { return l->ops->poll_fd ? l->ops->poll_fd(l) : -1; }

synack_time_us synack_link_next_time(const synack_link *l)
{
    return l->ops->next_time ? l->ops->next_time(l) : SYNACK_TIME_NEVER;
}

void synack_link_get_stats(const synack_link *l, synack_link_stats *out)
{
    memset(out, 0, sizeof *out);
    if (l->ops->stats) l->ops->stats(l, out);
}

void synack_link_close(synack_link *l)
{
    if (l) l->ops->close(l);
}
