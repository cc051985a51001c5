/* control.h: what the network commands (serve, get, connect, netstat) share: their common options
 * (--dev, --addr, --addr6, --impair, -v...), bringing a stack up on a TUN device with its event
 * loop, and the Unix control socket through which `synack netstat` reads a running stack. */
#ifndef SYNACK_TOOLS_CONTROL_H
#define SYNACK_TOOLS_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/loop.h>
#include <synack/stack.h>
#include <synack/tun.h>

#define NET_DEFAULT_DEV "tun0"
#define NET_CONTROL_DIR "/run/synack"

typedef struct net_opts {
    const char *cmd;              /* "synack serve": the prefix of messages */
    const char *dev;              /* TUN device name, default tun0 */
    bool no_create;               /* --no-create: attach only */
    synack_addr addr, addr6;      /* family NONE when not given */
    int mtu;                      /* 0: keep the device's */
    int offload;                  /* --offload: 1 on (fail without), -1 off, 0 default: on
                                     where the device supports it and nothing is impaired */
    const char *impair;           /* --impair text, or NULL */
    const char *control;          /* --control PATH, or NULL for the default (serve) / none */
    int verbose;
    bool seed_set;
    uint64_t seed;
    /* Knobs of the stack; 0 = the core's default. */
    synack_time_us user_timeout_us, msl_us, conn_timeout_us, rto_min_us, fin_wait_2_us;
    uint32_t sndbuf, rcvbuf;
} net_opts;

void net_opts_init(net_opts *o, const char *cmd);
/* Takes argv[*i] (and its value, advancing *i) when it is a shared option. Returns 1 when taken,
 * 0 when it is not one of ours, -1 after printing why its value is bad. */
int net_opts_take(net_opts *o, int argc, char **argv, int *i);
/* The shared options' help lines. */
void net_opts_usage(FILE *f);
/* Parses an IPv4 or IPv6 literal (brackets allowed around IPv6). */
bool net_addr_parse(const char *text, synack_addr *out);

typedef struct control_server control_server;

typedef struct net_runtime {
    int tun_fd;
    synack_tun_info tun;
    synack_stack *st;
    synack_loop *lp;
    control_server *ctl;
    uint64_t seed;
} net_runtime;

/* Opens the device, makes the stack and the loop (and the control socket when ctl_path is not
 * NULL). Returns 0, or an exit status after printing a sentence for the person. */
int net_start(const net_opts *o, const char *ctl_path, net_runtime *rt);
/* Frees everything net_start made; at -v prints the loop's and stack's figures first. */
void net_stop(net_runtime *rt);
/* The default control path of a device in this network namespace:
 * /run/synack/net<inode of /proc/self/ns/net>-<dev>.ctl. */
void net_control_default(const char *dev, char *buf, size_t cap);
/* --control NAME (no '/'): /run/synack/NAME.ctl, a named instance; with a '/': that path. */
void net_control_resolve(const char *name, char *buf, size_t cap);
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

#endif
