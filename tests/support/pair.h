/* pair.h: two dual-stack hosts on a simulated link (client 198.18.0.1 and 2001:db8::1, server
 * 198.18.0.2 and 2001:db8::2), for scenario tests. Everything runs in virtual time. */
#ifndef SYNACK_TEST_PAIR_H
#define SYNACK_TEST_PAIR_H

#include <synack/inspect.h>
#include <synack/sim.h>
#include <synack/socket.h>

typedef struct pair {
    synack_stack *c, *s;
    synack_sim *sim;
    int ci, si; /* node indexes */
} pair;

/* cfg_c / cfg_s may be NULL for defaults (addresses are set by pair_open). */
void pair_open(pair *p, const synack_config *cfg_c, const synack_config *cfg_s, uint64_t seed);
/* Frees everything; checks that no buffer memory is left once all sockets are closed. */
void pair_close(pair *p);
void pair_run(pair *p, synack_time_us for_us);
/* Listens on port on the server; returns the listening socket. */
int pair_listen(pair *p, uint16_t port);
/* Client connects to server:port; returns the client socket (connect pending). */
int pair_connect(pair *p, uint16_t port);
/* Runs until the server has a connection to accept and the client is established; returns the
 * accepted socket (or -1). */
int pair_establish(pair *p, int lsd, int csd);
synack_endpoint pair_server_ep(uint16_t port);

#endif
