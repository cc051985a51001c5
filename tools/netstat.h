/* netstat.h: `synack netstat`, in small parts that share one row model:
 *   netstat_cli.c      arguments (getopt_long, ss-style filter words), the --watch loop
 *   netstat_wire.c     gathering from a running synack: the control socket's "conns" lines
 *   netstat_host.c     gathering from the Linux host: NETLINK_SOCK_DIAG (/proc/net/tcp fallback)
 *   netstat_render.c   the table (-o, -e, -p), JSON, and the filter
 *   netstat_explain.c  --explain, English and Chinese
 *   netstat_diag.c     --host's diagnosis rules
 * A row is what one line of the table says; each source fills what it knows (NS_UNKNOWN else).
 * No protocol knowledge here: states and timers come from the sources as they report them. */
#ifndef SYNACK_TOOLS_NETSTAT_H
#define SYNACK_TOOLS_NETSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/event.h>
#include <synack/inspect.h>

#define NS_UNKNOWN UINT64_MAX

typedef struct ns_row {
    uint8_t state;          /* enum synack_tcp_state */
    bool dual_stack;        /* a wildcard listener taking IPv4 and IPv6 (shown tcp6 :::port) */
    synack_endpoint local, remote; /* the family gives the Proto column: tcp or tcp6 */
    uint32_t recv_q, send_q;
    uint8_t timer;          /* enum synack_netstat_timer */
    uint64_t timer_us;      /* time left on it */
    uint32_t timer_retrans, timer_probes;
    /* -e details (ss -i); has_info is false when the source had none. */
    bool has_info;
    uint64_t srtt_us, rttvar_us, rto_us;
    uint32_t mss, cwnd, ssthresh; /* segments; ssthresh UINT32_MAX: not yet set (infinite) */
    uint32_t snd_wnd, rcv_wnd;    /* bytes; UINT32_MAX when unknown */
    uint32_t retrans_total;
    uint64_t bytes_acked, bytes_received; /* NS_UNKNOWN when unknown */
    uint64_t state_age_us;  /* NS_UNKNOWN when unknown (the kernel does not say) */
    uint64_t est_left_us;   /* time left before establishment gives up; NS_UNKNOWN: none */
    bool ts_ok, sack_ok, ws_ok;
    uint8_t snd_wscale, rcv_wscale;
    char cc[16];
    char cc_phase[32]; /* the algorithm's phase ("slow-start", "probe-bw"); "" unknown */
    /* synack's congestion control details (-e); has_cc_detail false where the source has none.
     * cc_state: the phase with the congestion response on ("recovery", "loss", "cwr"), as the
     * trace names it; rates in bytes per second, 0: none (pacing: not paced). */
    bool has_cc_detail;
    char cc_state[32];
    uint64_t min_rtt_us, delivery_rate, pacing_rate;
    bool delivery_app_limited, ecn_ok, ecn_ece_echo, ecn_cwr_pending;
    uint32_t ecn_ce_rcvd, tlp_total, undo_total;
    /* Who owns it. synack: conn id and socket (-1: orphaned); host: inode, uid, pid/comm. */
    uint32_t conn_id;
    int sd;
    uint64_t inode;
    uint32_t uid;
    int pid;                /* 0 when unknown */
    char comm[32];
} ns_row;

typedef struct ns_table {
    ns_row *rows;
    size_t n, cap;
    bool host;              /* rows from the Linux host (else from a synack stack) */
    char source[128];       /* "synack serve (pid 123) via /run/synack/..." or "host (netlink)" */
    int owner_pid;          /* synack: the process running the stack (from SO_PEERCRED) */
    char owner_comm[32];
} ns_table;

ns_row *ns_table_add(ns_table *t);  /* a zeroed row with unknowns marked, or NULL (no memory) */
void ns_row_init(ns_row *r);
void ns_table_free(ns_table *t);
/* A synack connection snapshot as a row. */
void ns_row_from_conn(ns_row *r, const synack_conn_info *ci);

/* ---- filter: -a/-l, -4/-6, `state NAME`, `exclude NAME`, `sport OP :PORT`, `dport ...`,
 * `src ADDR`, `dst ADDR` (ss words; all of them must hold) ---- */
enum ns_op { NS_EQ, NS_NE, NS_LT, NS_LE, NS_GT, NS_GE };
#define NS_MAX_TERMS 16
typedef struct ns_filter {
    uint32_t states;        /* bit per state to show; 0: by -a/-l (netstat's default) */
    uint32_t excluded;      /* bits never shown */
    bool all, listening;    /* -a, -l */
    int family;             /* 0, SYNACK_AF_INET, SYNACK_AF_INET6 */
    int n_ports;
    struct { bool dst; uint8_t op; uint16_t port; } ports[NS_MAX_TERMS];
    int n_addrs;
    struct { bool dst; synack_addr addr; } addrs[NS_MAX_TERMS];
} ns_filter;

/* Parses the words after the options (argv[0..argc)); false after writing why into err. */
bool ns_filter_parse(ns_filter *f, int argc, char **argv, char *err, size_t cap);
/* A state word as ss (established, syn-recv, listening...), netstat (SYN_RECV) or the RFC
 * (SYN-RECEIVED) writes it, or a group (all, connected, synchronized, bucket, big); a bit mask,
 * 0 when unknown. */
uint32_t ns_state_mask(const char *word);
bool ns_filter_match(const ns_filter *f, const ns_row *r);

/* ---- options and output ---- */
enum ns_lang { NS_LANG_EN, NS_LANG_ZH };
typedef struct ns_opts {
    bool timers, extended, processes, json, explain, host, proc_only, stats, numeric;
    int lang;
    ns_filter filter;
} ns_opts;

/* The language of --explain when --lang is not given: Chinese when LC_ALL, LC_MESSAGES or LANG
 * (the first set, as setlocale reads them) starts with "zh". */
int ns_lang_default(void);

/* Facts about the host the diagnosis weighs (read by netstat_host.c; -1 / 0 when unreadable). */
typedef struct ns_host_facts {
    int port_lo, port_hi;        /* net.ipv4.ip_local_port_range */
    int tw_reuse;                /* net.ipv4.tcp_tw_reuse */
    int fin_timeout_s;           /* net.ipv4.tcp_fin_timeout */
    int retries2;                /* net.ipv4.tcp_retries2 */
    int keepalive_time_s;        /* net.ipv4.tcp_keepalive_time */
    int64_t listen_overflows, listen_drops; /* TcpExt in /proc/net/netstat */
    int max_syn_backlog;         /* net.ipv4.tcp_max_syn_backlog */
    int syncookies;              /* net.ipv4.tcp_syncookies */
} ns_host_facts;

/* One diagnosis: a rule that fired, what it concludes, the evidence, what to do. */
#define NS_DIAG_EVIDENCE 8
typedef struct ns_diag {
    const char *rule;            /* "close-wait", "time-wait-ports", ... */
    char summary[256];
    char evidence[NS_DIAG_EVIDENCE][240];
    int n_evidence;
    char advice[512];
} ns_diag;
#define NS_DIAG_MAX 16
/* Runs every rule over the (unfiltered) table; returns how many fired (at most cap). */
size_t ns_diagnose(const ns_table *t, const ns_host_facts *facts, ns_diag *out, size_t cap);
/* The thresholds, for the help text and the tests. */
enum { NS_DIAG_CLOSE_WAIT_MIN = 8, NS_DIAG_FIN_WAIT2_MIN = 8, NS_DIAG_SYN_SENT_MIN = 3,
       NS_DIAG_SYN_RECV_MIN = 8, NS_DIAG_RETRANS_MIN = 3, NS_DIAG_TW_PERCENT = 50 };

/* --explain: one paragraph per state present in the rows shown. Returns the text length. */
size_t ns_explain_state(char *buf, size_t cap, int state, const ns_row *rows, size_t n, int lang,
                        bool host);

/* The table as netstat prints it (with -o, -e, -p); the filter decides the header line too. */
void ns_render_table(FILE *out, const ns_opts *o, const ns_table *t);
/* Everything as one JSON document: source, connections, and explanations / diagnoses when given. */
void ns_render_json(FILE *out, const ns_opts *o, const ns_table *t, const ns_diag *d, size_t nd);
/* The --explain section and the diagnosis section, as text. */
void ns_render_explain(FILE *out, const ns_opts *o, const ns_table *t);
void ns_render_diag(FILE *out, const ns_diag *d, size_t nd);

/* ---- sources ---- */
/* From a synack's control socket at path: 0, or an exit status after printing why. */
int ns_gather_control(const char *path, ns_table *t);
/* The stack's table as the control socket sends it ("conns" request). */
void ns_wire_write(FILE *out, const synack_stack *st);
/* Parses what ns_wire_write wrote; false on a malformed document. */
bool ns_wire_parse(const char *text, ns_table *t);
/* From the host (current network namespace): netlink, or /proc/net/tcp{,6} when netlink fails
 * or proc_only. 0, or an exit status after printing why. */
int ns_gather_host(ns_table *t, bool proc_only, bool processes);
/* Parses one /proc/net/tcp or tcp6 line into a row; false for the header or a bad line. */
bool ns_proc_line(const char *line, bool v6, ns_row *r);
void ns_host_facts_read(ns_host_facts *f);
/* Fills pid and comm of each row from /proc/PID/fd (where permissions allow). */
void ns_host_processes(ns_table *t);

#endif
