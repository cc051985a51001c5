/* control.h: what the network commands (serve, get, connect, netstat) share: bringing a stack up
 * on a TUN device with its event loop from their common options (net_opts.h), and the Unix
 * control socket through which `synack netstat` reads a running stack. */
#ifndef SYNACK_TOOLS_CONTROL_H
#define SYNACK_TOOLS_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/loop.h>
#include <synack/stack.h>
#include <synack/tun.h>

#include "net_opts.h"

typedef struct control_server control_server;

typedef struct net_runtime {
    int tun_fd;
    synack_tun_info tun;
    synack_stack *st;
    synack_link *link; /* the device, wrapped in capture (--pcap) and impairment (--impair) */
    synack_loop *lp;
    control_server *ctl;
    uint64_t seed;
    synack_tun_queue queue; /* a queue of a multi-queue device: the stack's port predicate's */
} net_runtime;

/* Opens the device, makes the stack and the loop (and the control socket when ctl_path is not
 * NULL). Returns 0, or an exit status after printing a sentence for the person. */
int net_start(const net_opts *o, const char *ctl_path, net_runtime *rt);
/* The wall clock minus the loop's clock (CLOCK_MONOTONIC), for pcap stamps of real traffic. */
int64_t net_wall_minus_monotonic_us(void);
/* Frees everything net_start made; at -v prints the loop's and stack's figures first. */
void net_stop(net_runtime *rt);
/* The default control path of a device in this network namespace:
 * /run/synack/net<inode of /proc/self/ns/net>-<dev>.ctl. */
void net_control_default(const char *dev, char *buf, size_t cap);
/* --control NAME (no '/'): /run/synack/NAME.ctl, a named instance; with a '/': that path. */
void net_control_resolve(const char *name, char *buf, size_t cap);
/* This namespace's control socket when neither --control nor --dev was given: tun0's if it
 * exists, else the only one there is. 0, or an exit status after telling prog's user why. */
int net_control_find(const char *prog, char *buf, size_t cap);
/* The inode of this process's network namespace (0 when unknown). */
unsigned long net_netns_id(void);

/* Control server: accepts on a Unix stream socket; each client sends one line ("conns": the
 * table for `synack netstat` (netstat_wire.c); "netstat", "netstat -o": text; "stats") and gets
 * the answer back. NULL after logging why. */
control_server *control_listen(synack_loop *lp, const char *path);
void control_close(control_server *cs);

/* The network subcommands (argv[0] is the command name); each returns the exit status. */
int cmd_serve(int argc, char **argv);   /* serve.c */
int cmd_get(int argc, char **argv);     /* client.c */
int cmd_connect(int argc, char **argv); /* client.c */
int cmd_netstat(int argc, char **argv); /* netstat_cli.c */
int cmd_run(int argc, char **argv);     /* run.c: a program on synack via the preload library */

#endif
