/* net_opts.h: the stack options that serve, get and connect share (--dev, --addr, --impair, the
 * timers, buffers and connection limits, -v): their getopt_long table, their parsing into a
 * net_opts, and their help lines. control.c turns a net_opts into a running stack. */
#ifndef SYNACK_TOOLS_NET_OPTS_H
#define SYNACK_TOOLS_NET_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/host.h>
#include <synack/stack.h>

#include "cli.h"

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
    const char *pcap;             /* --pcap FILE: capture what crosses the device, or NULL */
    unsigned queue, queues;       /* serve --cores: this stack's queue of a multi-queue device
                                     (queues > 1); 0, 0: a single-queue device */
    const char *control;          /* --control PATH, or NULL for the default (serve) / none */
    int verbose;
    bool seed_set;
    uint64_t seed;
    /* Knobs of the stack; 0 = the core's default. */
    synack_time_us user_timeout_us, msl_us, conn_timeout_us, rto_min_us, fin_wait_2_us;
    uint32_t sndbuf, rcvbuf;
    /* Connection limits (synack_config max_conns, max_sockets, max_time_wait, syn_queue_max,
     * syncookies); 0 = the core's default (--max-time-wait 0 is meaningful: see has_max_tw). */
    uint32_t max_conns, max_sockets, max_time_wait, syn_queue;
    bool has_max_tw;
    int syncookies;               /* -1: default, else enum synack_syncookies */
    const char *cc;               /* --cc: congestion control by name, NULL: the default */
    int ecn;                      /* --ecn: -1 default, else enum synack_ecn */
    uint32_t busy_poll_us;        /* --busy-poll: the loop's spin before it blocks; 0 = none */
} net_opts;

enum {
    NET_OPT_DEV = 0x300, NET_OPT_NO_CREATE, NET_OPT_ADDR, NET_OPT_ADDR6, NET_OPT_MTU, NET_OPT_IMPAIR,
    NET_OPT_CONTROL, NET_OPT_SEED, NET_OPT_USER_TIMEOUT, NET_OPT_MSL, NET_OPT_CONNECT_TIMEOUT,
    NET_OPT_RTO_MIN, NET_OPT_FIN_WAIT_2, NET_OPT_SNDBUF, NET_OPT_RCVBUF, NET_OPT_MAX_CONNS,
    NET_OPT_MAX_SOCKETS, NET_OPT_MAX_TIME_WAIT, NET_OPT_SYN_QUEUE, NET_OPT_SYNCOOKIES,
    NET_OPT_VERBOSE, NET_OPT_OFFLOAD, NET_OPT_PCAP, NET_OPT_CC, NET_OPT_ECN,
    NET_OPT_BUSY_POLL,
};

/* Goes into a command's getopt_long table (and "v" into its short options). */
#define NET_SHORTOPTS "v"
#define NET_LONGOPTS                                                        \
    {"dev", required_argument, NULL, NET_OPT_DEV},                          \
    {"no-create", no_argument, NULL, NET_OPT_NO_CREATE},                    \
    {"addr", required_argument, NULL, NET_OPT_ADDR},                        \
    {"addr6", required_argument, NULL, NET_OPT_ADDR6},                      \
    {"mtu", required_argument, NULL, NET_OPT_MTU},                          \
    {"impair", required_argument, NULL, NET_OPT_IMPAIR},                    \
    {"offload", required_argument, NULL, NET_OPT_OFFLOAD},                  \
    {"pcap", required_argument, NULL, NET_OPT_PCAP},                        \
    {"control", required_argument, NULL, NET_OPT_CONTROL},                  \
    {"seed", required_argument, NULL, NET_OPT_SEED},                        \
    {"user-timeout", required_argument, NULL, NET_OPT_USER_TIMEOUT},        \
    {"msl", required_argument, NULL, NET_OPT_MSL},                          \
    {"connect-timeout", required_argument, NULL, NET_OPT_CONNECT_TIMEOUT},  \
    {"rto-min", required_argument, NULL, NET_OPT_RTO_MIN},                  \
    {"fin-wait-2-timeout", required_argument, NULL, NET_OPT_FIN_WAIT_2},    \
    {"sndbuf", required_argument, NULL, NET_OPT_SNDBUF},                    \
    {"rcvbuf", required_argument, NULL, NET_OPT_RCVBUF},                    \
    {"max-conns", required_argument, NULL, NET_OPT_MAX_CONNS},              \
    {"max-sockets", required_argument, NULL, NET_OPT_MAX_SOCKETS},          \
    {"max-time-wait", required_argument, NULL, NET_OPT_MAX_TIME_WAIT},      \
    {"syn-queue", required_argument, NULL, NET_OPT_SYN_QUEUE},              \
    {"syncookies", required_argument, NULL, NET_OPT_SYNCOOKIES},            \
    {"cc", required_argument, NULL, NET_OPT_CC},                            \
    {"ecn", required_argument, NULL, NET_OPT_ECN},                          \
    {"busy-poll", required_argument, NULL, NET_OPT_BUSY_POLL},              \
    {"verbose", no_argument, NULL, NET_OPT_VERBOSE}

void net_opts_init(net_opts *o, const char *cmd);
/* Takes option opt (a getopt_long val) with its argument. Returns 1 when taken, 0 when it is not
 * a stack option, -1 after printing which value is bad (exit CLI_EXIT_USAGE). */
int net_opts_apply(net_opts *o, const cli *c, int opt, const char *arg);
/* Copies what was given into cfg (what was not keeps cfg's value). */
/* The options into cfg. The congestion control: --cc, else SYNACK_CC, else the host's
 * net.ipv4.tcp_congestion_control when synack has it, else the library's default; returns
 * which. */
enum synack_cc_source net_opts_config(const net_opts *o, synack_config *cfg);
/* The shared options' help lines. */
void net_opts_usage(FILE *f);
/* Parses an IPv4 or IPv6 literal (brackets allowed around IPv6). */
bool net_addr_parse(const char *text, synack_addr *out);

#endif
