/* duo.c: two stacks joined directly; see duo.h. */
#include "duo.h"

#include <errno.h>

#include "test.h"

static uint8_t pkt[65536];

void duo_open(duo *d, synack_config *cc, synack_config *sc)
{
    synack_config c, s;
    if (!cc) synack_config_default(cc = &c);
    if (!sc) synack_config_default(sc = &s);
    cc->addr = synack_addr_v4(198, 18, 0, 1);
    sc->addr = synack_addr_v4(198, 18, 0, 2);
    cc->seed = 11;
    sc->seed = 12;
    d->c = synack_stack_new(cc);
    d->s = synack_stack_new(sc);
    d->now = 0;
    CHECK(d->c && d->s);
}

void duo_free(duo *d)
{
    synack_stack_free(d->c);
    synack_stack_free(d->s);
}

uint64_t duo_pump(duo *d)
{
    uint64_t moved = 0;
    for (;;) {
        uint64_t round = 0;
        size_t n;
        while ((n = synack_output(d->c, pkt, sizeof pkt)) > 0) synack_input(d->s, d->now, pkt, n), round++;
        while ((n = synack_output(d->s, pkt, sizeof pkt)) > 0) synack_input(d->c, d->now, pkt, n), round++;
        if (!round) return moved;
        moved += round;
    }
}

void duo_advance(duo *d, synack_time_us us)
{
    d->now += us;
    synack_poll(d->c, d->now);
    synack_poll(d->s, d->now);
    duo_pump(d);
}

synack_endpoint duo_server_ep(uint16_t port)
{
    synack_endpoint e = {synack_addr_v4(198, 18, 0, 2), port};
    return e;
}

int duo_listen(duo *d, uint16_t port)
{
    int l = synack_socket(d->s);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), port};
    CHECK_EQ(synack_bind(d->s, l, &any), 0);
    CHECK_EQ(synack_listen(d->s, l, 4096), 0);
    return l;
}

int duo_connect(duo *d, int lsd, uint16_t port, uint16_t from_port, int *csd)
{
    int c = synack_socket(d->c);
    *csd = c;
    if (from_port) {
        int one = 1;
        synack_setsockopt(d->c, c, SYNACK_SO_REUSEADDR, &one, sizeof one);
        synack_endpoint me = {synack_addr_v4(198, 18, 0, 1), from_port};
        if (synack_bind(d->c, c, &me) != 0) return -1;
    }
    synack_endpoint ep = duo_server_ep(port);
    int r = synack_connect(d->c, c, &ep);
    if (r != -EINPROGRESS) return r < 0 ? r : -1;
    duo_pump(d);
    return synack_accept(d->s, lsd, NULL);
}
