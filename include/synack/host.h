/* synack/host.h: what a drop-in takes from the Linux host it stands in for. The core never reads
 * the host; the tools (serve, get, connect) and `synack run` (the preload) call these before they
 * make the stack, so that synack follows the choices the host's administrator made. */
#ifndef SYNACK_HOST_H
#define SYNACK_HOST_H

#include <stdbool.h>

#include "stack.h"

/* Where cfg->congestion_control came from (synack_config_host_cc). */
enum synack_cc_source {
    SYNACK_CC_FROM_DEFAULT, /* the library's default (cubic) */
    SYNACK_CC_FROM_HOST,    /* the host's net.ipv4.tcp_congestion_control */
    SYNACK_CC_FROM_USER,    /* named by the caller (--cc, SYNACK_CC) */
};

/* Chooses cfg->congestion_control: name when it is not NULL (the caller checks it, the stack
 * refuses an unknown one); else the host's net.ipv4.tcp_congestion_control, read from
 * /proc/sys of the calling thread's network namespace, when synack has that algorithm; else
 * the library's default stays. Returns where the choice came from. */
enum synack_cc_source synack_config_host_cc(synack_config *cfg, const char *name);

#endif
