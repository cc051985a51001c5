/* port.c: ephemeral port selection, RFC 6056 3.3.4 Algorithm 4 ("Double-Hash Port Selection"),
 * with the stack's table of perturbation counters (st->port_table). It owns which local port an
 * unbound socket gets on connect() or bind(port 0); it never reads a clock or calls rand(): the
 * secrets are keys derived from cfg.secret (stack.c), the randomness a SipHash stream. A driver
 * may narrow the ports with cfg.port_ok (a multi-queue link keeps those its queue receives); the
 * core does not know why. */
#include <string.h>

#include "ip/ip.h"
#include "stack_impl.h"

/* The most the counter of a bucket moves beyond the ports tried (see port_step). */
enum { PORT_STEP_SPREAD = 8 };

_Static_assert((PORT_TABLE_LEN & (PORT_TABLE_LEN - 1)) == 0, "PORT_TABLE_LEN is a power of two");

/* How far table[index] moves after a selection that tried `tried` ports. RFC 6056 3.3.4 increments
 * table[index] once per port tried (table[index]++ in its loop). Alone, that makes the ports of
 * successive connections to one destination consecutive, and lets a host that shares our bucket
 * count our connections to others (Klein, Kol, Gilad, "Device Tracking via Linux's New TCP Source
 * Port Selection Algorithm", USENIX Security 2022). RFC 6056 3.3.5 (Algorithm 5) already advances
 * its counter by random increments; like Linux since that paper (commit ca7af0402550, "tcp: add
 * small random increments to the source port"), the counter advances by the ports tried or by a
 * secret draw in 1..PORT_STEP_SPREAD, whichever is more: the next port to a destination is
 * 1..8 further on (4.5 on average, so a port comes back after about num_ephemeral / 4.5
 * connections to one destination). The draw is SipHash of a counter under the port key: a keyed
 * stream, unpredictable without the secret, deterministic under a fixed one. */
static uint32_t port_step(synack_stack *st, uint32_t tried)
{
    uint8_t ctr[8];
    uint64_t n = st->port_draws++;
    for (int i = 0; i < 8; i++) ctr[i] = (uint8_t)(n >> (8 * i));
    /* An 8-byte message: never the 38-byte tuple layout hashed under the same key. */
    uint32_t draw = 1 + (uint32_t)(siphash24(&st->keys.port, ctr, sizeof ctr) % PORT_STEP_SPREAD);
    return tried > draw ? tried : draw;
}

/* table[index] += step, kept modulo num_ephemeral (below 65536, so it fits the uint16_t): the
 * RFC's counter wraps at 65536, which is not a multiple of the range and would make the ports of
 * a destination jump once per wrap; modulo the range they stay evenly spaced. */
static void port_advance(synack_stack *st, uint32_t index, uint32_t tried, uint32_t num_ephemeral)
{
    uint32_t v = st->port_table[index] + port_step(st, tried);
    st->port_table[index] = (uint16_t)(v % num_ephemeral);
}

uint16_t stack_ephemeral_port(synack_stack *st, const synack_endpoint *remote)
{
    uint32_t num_ephemeral = st->cfg.ephemeral_hi - st->cfg.ephemeral_lo + 1;
    const synack_addr *self = ip_local_addr(st, remote->addr.family);
    synack_endpoint local = {self ? *self : st->cfg.addr, 0};

    /* RFC 6056 3.3.4:
     *   offset = F(local_IP, remote_IP, remote_port, secret_key1);
     *   index = G(local_IP, remote_IP, remote_port, secret_key2);
     * F and G are SipHash-2-4 of the same inputs (the local port left 0) under two independent
     * keys. table[] starts at zero rather than at random values: the keyed offset already puts
     * each destination's first port at a secret place, and only differences of table[index]
     * could ever be observed. */
    uint32_t offset = (uint32_t)(tcp_tuple_prf(&st->keys.port, &local, remote) % num_ephemeral);
    uint32_t index = (uint32_t)tcp_tuple_prf(&st->keys.port_index, &local, remote) & (PORT_TABLE_LEN - 1);
    uint32_t base = offset + st->port_table[index];

    for (uint32_t i = 0; i < num_ephemeral; i++) {
        /* port = min_ephemeral + (offset + table[index]) % num_ephemeral, table[index] having
         * been incremented once per port tried before (here: + i). */
        local.port = (uint16_t)(st->cfg.ephemeral_lo + (base + i) % num_ephemeral);
        /* check_suitable_port(): for connect(), O(1): the 4-tuple must be free (or held by a
         * TIME-WAIT record that may be reused) and no listener on the port (ports that sockets
         * merely bound are not checked). For bind(port 0): a port nobody holds (a walk of the
         * connections; bind is rare). */
        bool suitable;
        if (st->cfg.port_ok && !st->cfg.port_ok(st->cfg.port_ok_ctx, local.port, remote)) {
            /* The driver's predicate (a multi-queue link: the port's flow would reach another
             * queue's stack): as a port in use, tried and passed over. */
            suitable = false;
        } else if (remote->port) {
            uint32_t h = stack_tuple_hash(st, &local, remote); /* one hash for both tables */
            suitable = !stack_lookup_hashed(st, &local, remote, h) && !stack_lookup_listener(st, &local) &&
                       tcp_tw_reusable(st, &local, remote, h);
        } else {
            suitable = !stack_local_in_use(st, &local, false);
        }
        if (suitable) {
            port_advance(st, index, i + 1, num_ephemeral);
            return local.port;
        }
    }
    /* Every port tried: RFC 6056 3.3.4 "return ERROR" (the caller says EADDRNOTAVAIL). */
    port_advance(st, index, num_ephemeral, num_ephemeral);
    return 0;
}
