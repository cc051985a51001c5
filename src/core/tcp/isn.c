/* isn.c: the numbers a connection shows the world that an off-path attacker must not predict:
 * the initial sequence number (RFC 6528) and the timestamp offset (RFC 7323 5.4, 7.1). Both are
 * SipHash-2-4 of the 4-tuple under their own key; nothing here reads a clock: time is st->now. */
#include <string.h>

#include "stack_impl.h"

/* The 4-tuple as bytes, in a fixed layout: addresses (16 bytes each, IPv4 in the first 4), the
 * family, then the ports. */
static size_t tuple_bytes(const synack_endpoint *local, const synack_endpoint *remote, uint8_t out[38])
{
    memcpy(out, local->addr.bytes, 16);
    memcpy(out + 16, remote->addr.bytes, 16);
    out[32] = local->addr.family;
    out[33] = remote->addr.family;
    out[34] = (uint8_t)(local->port >> 8);
    out[35] = (uint8_t)local->port;
    out[36] = (uint8_t)(remote->port >> 8);
    out[37] = (uint8_t)remote->port;
    return 38;
}

uint64_t tcp_tuple_prf(const siphash_key *key, const synack_endpoint *local, const synack_endpoint *remote)
{
    uint8_t b[38];
    return siphash24(key, b, tuple_bytes(local, remote, b));
}

uint64_t tcp_tuple_prf_with(const siphash_key *key, const synack_endpoint *local,
                            const synack_endpoint *remote, const uint8_t *extra, size_t extra_len)
{
    uint8_t b[38 + TCP_PRF_EXTRA_MAX];
    size_t n = tuple_bytes(local, remote, b);
    if (extra_len > TCP_PRF_EXTRA_MAX) extra_len = TCP_PRF_EXTRA_MAX;
    memcpy(b + n, extra, extra_len);
    return siphash24(key, b, n + extra_len);
}

uint32_t tcp_isn(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    if (st->cfg.isn_fixed) return st->cfg.isn_value;
    /* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer
     * ticking every 4 microseconds, F a PRF: successive ISNs of one 4-tuple increase with time
     * (RFC 9293 3.4.1), while the offset of another 4-tuple tells nothing about this one. */
    return (uint32_t)(st->now / 4u) + (uint32_t)tcp_tuple_prf(&st->keys.isn, local, remote);
}

uint32_t tcp_ts_offset(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    /* RFC 7323 5.4 and 7.1: a random offset per connection (here per 4-tuple, so that a new
     * incarnation of a tuple keeps a monotonic clock for PAWS and RFC 6191) hides the host's
     * clock and uptime. */
    return (uint32_t)tcp_tuple_prf(&st->keys.ts, local, remote);
}
