/* duo.h: two stacks joined directly (no simulated link, no delay), client 198.18.0.1 and server
 * 198.18.0.2, for scale and lifecycle tests that need many connections quickly. Virtual time
 * moves only when the test says so. */
#ifndef SYNACK_TEST_DUO_H
#define SYNACK_TEST_DUO_H

#include <synack/inspect.h>
#include <synack/socket.h>

typedef struct duo {
    synack_stack *c, *s;
    synack_time_us now;
} duo;

/* cc / sc may be NULL for defaults; addresses and seeds are set here. */
void duo_open(duo *d, synack_config *cc, synack_config *sc);
void duo_free(duo *d);
/* Moves packets both ways until both stacks are quiet; returns the packets moved. */
uint64_t duo_pump(duo *d);
/* Advances time, runs due timers on both stacks, and pumps. */
void duo_advance(duo *d, synack_time_us us);
synack_endpoint duo_server_ep(uint16_t port);
/* A listening socket on the server's port (backlog 4096). */
int duo_listen(duo *d, uint16_t port);
/* connect() from the client (optionally from a bound port, with SO_REUSEADDR), pump, accept on
 * lsd: the accepted socket, or -1. *csd gets the client socket. */
int duo_connect(duo *d, int lsd, uint16_t port, uint16_t from_port, int *csd);

#endif
