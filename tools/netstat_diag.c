/* netstat_diag.c: the diagnosis under `synack netstat --host`: rules for the troubles people
 * meet in their netstat tables, each firing only on evidence it can show (counts, owners,
 * sysctls, TcpExt counters), and silent when the pattern is absent. Thresholds are in netstat.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "netstat.h"

static ns_diag *next_diag(ns_diag *out, size_t cap, size_t *n, const char *rule)
{
    if (*n >= cap) return NULL;
    ns_diag *d = &out[(*n)++];
    memset(d, 0, sizeof *d);
    d->rule = rule;
    return d;
}

static void evidence(ns_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void evidence(ns_diag *d, const char *fmt, ...)
{
    if (d->n_evidence >= NS_DIAG_EVIDENCE) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->evidence[d->n_evidence++], sizeof d->evidence[0], fmt, ap);
    va_end(ap);
}

static char *ep(const synack_endpoint *e, char *buf, size_t cap) { return fmt_endpoint(e, false, buf, cap); }

static bool same_ep(const synack_endpoint *a, const synack_endpoint *b)
{
    return a->port == b->port && synack_addr_eq(&a->addr, &b->addr);
}

/* Groups of rows by a key: at most 64 groups are told apart, enough for the evidence lines. */
#define GROUPS 64
typedef struct group {
    const ns_row *first;
    size_t n;
    uint32_t max_retrans;
    uint64_t recv_q;
} group;

static size_t group_add(group *g, size_t ng, const ns_row *r, bool (*same)(const ns_row *, const ns_row *))
{
    for (size_t i = 0; i < ng; i++)
        if (same(g[i].first, r)) {
            g[i].n++;
            if (r->timer_retrans > g[i].max_retrans) g[i].max_retrans = r->timer_retrans;
            g[i].recv_q += r->recv_q;
            return ng;
        }
    if (ng == GROUPS) return ng;
    g[ng].first = r;
    g[ng].n = 1;
    g[ng].max_retrans = r->timer_retrans;
    g[ng].recv_q = r->recv_q;
    return ng + 1;
}

static bool same_pid(const ns_row *a, const ns_row *b) { return a->pid == b->pid; }
static bool same_remote(const ns_row *a, const ns_row *b) { return same_ep(&a->remote, &b->remote); }
static bool same_peer(const ns_row *a, const ns_row *b) { return synack_addr_eq(&a->remote.addr, &b->remote.addr); }

static int by_count(const void *a, const void *b)
{
    const group *x = a, *y = b;
    return (x->n < y->n) - (x->n > y->n);
}

static void owner(const ns_row *r, char *buf, size_t cap)
{
    if (r->pid > 0) snprintf(buf, cap, "%s (pid %d)", r->comm, r->pid);
    else snprintf(buf, cap, "an unknown process (uid %u; run as root to see it)", r->uid);
}

/* CLOSE_WAIT accumulating: the peer closed, the application did not. */
static void rule_close_wait(const ns_table *t, ns_diag *out, size_t cap, size_t *nd)
{
    group g[GROUPS];
    size_t ng = 0, n = 0, unread = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].state == SYNACK_CLOSE_WAIT) {
            n++;
            if (t->rows[i].recv_q > 1) unread++; /* Linux counts the FIN's sequence number in Recv-Q */
            ng = group_add(g, ng, &t->rows[i], same_pid);
        }
    if (n < NS_DIAG_CLOSE_WAIT_MIN) return;
    qsort(g, ng, sizeof *g, by_count);
    ns_diag *d = next_diag(out, cap, nd, "close-wait");
    if (!d) return;
    char who[96], a[64], b[64];
    owner(g[0].first, who, sizeof who);
    snprintf(d->summary, sizeof d->summary,
             "%zu connections in CLOSE_WAIT: the application is not closing them (most: %s)", n, who);
    evidence(d, "%zu sockets in CLOSE_WAIT (rule: %d or more): their peers sent FIN, the local "
                "application never called close()", n, NS_DIAG_CLOSE_WAIT_MIN);
    for (size_t i = 0; i < ng && i < 4; i++) {
        owner(g[i].first, who, sizeof who);
        evidence(d, "%s holds %zu of them, e.g. %s <- %s", who, g[i].n,
                 ep(&g[i].first->local, a, sizeof a), ep(&g[i].first->remote, b, sizeof b));
    }
    if (unread) evidence(d, "%zu of them still have unread data in Recv-Q: the application stopped reading too", unread);
    snprintf(d->advice, sizeof d->advice,
             "Fix the application: after read() returns 0 (end of stream), close the socket; look for "
             "a leaked descriptor or a thread blocked before close(). No kernel timer ends CLOSE_WAIT; "
             "restarting the process frees them.");
}

/* TIME_WAIT against the ephemeral port range: connect() may fail with EADDRNOTAVAIL. */
static void rule_time_wait(const ns_table *t, const ns_host_facts *f, ns_diag *out, size_t cap, size_t *nd)
{
    if (f->port_lo <= 0 || f->port_hi < f->port_lo) return;
    unsigned range = (unsigned)(f->port_hi - f->port_lo + 1);
    group g[GROUPS];
    size_t ng = 0, n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ns_row *r = &t->rows[i];
        if (r->state != SYNACK_TIME_WAIT || r->local.port < f->port_lo || r->local.port > f->port_hi) continue;
        n++;
        ng = group_add(g, ng, r, same_remote);
    }
    if (!n) return;
    qsort(g, ng, sizeof *g, by_count);
    /* A 4-tuple is unique per destination: each destination has the whole range to itself. */
    if (g[0].n * 100 < (size_t)range * NS_DIAG_TW_PERCENT) return;
    ns_diag *d = next_diag(out, cap, nd, "time-wait-ports");
    if (!d) return;
    char a[64];
    snprintf(d->summary, sizeof d->summary,
             "TIME_WAIT holds %zu%% of the ephemeral ports towards %s: new connections there may fail "
             "with EADDRNOTAVAIL", g[0].n * 100 / range, ep(&g[0].first->remote, a, sizeof a));
    evidence(d, "ephemeral ports: net.ipv4.ip_local_port_range = %d %d (%u ports)", f->port_lo, f->port_hi, range);
    for (size_t i = 0; i < ng && i < 3; i++)
        evidence(d, "%zu TIME_WAIT from ephemeral ports to %s (%zu%% of the range; rule: %d%%)", g[i].n,
                 ep(&g[i].first->remote, a, sizeof a), g[i].n * 100 / range, NS_DIAG_TW_PERCENT);
    evidence(d, "%zu TIME_WAIT from ephemeral ports in all; each lasts 60 s on Linux", n);
    if (f->tw_reuse >= 0) evidence(d, "net.ipv4.tcp_tw_reuse = %d", f->tw_reuse);
    snprintf(d->advice, sizeof d->advice,
             "This host closes first, so it keeps TIME_WAIT (2*MSL, 60 s). Reuse connections (HTTP "
             "keep-alive, a connection pool), let the server close first, widen "
             "net.ipv4.ip_local_port_range, or set net.ipv4.tcp_tw_reuse=1 (timestamps on: reuse for "
             "outgoing connections is then safe). Do not shorten TIME-WAIT with SO_LINGER 0 resets.");
}

/* Listen queues: half-open connections piling up (flood, lost ACKs) or a full accept queue
 * (the application accepts too slowly). */
static void rule_listen(const ns_table *t, const ns_host_facts *f, ns_diag *out, size_t cap, size_t *nd)
{
    for (size_t i = 0; i < t->n; i++) {
        const ns_row *l = &t->rows[i];
        if (l->state != SYNACK_LISTEN) continue;
        size_t half = 0;
        for (size_t k = 0; k < t->n; k++) {
            const ns_row *r = &t->rows[k];
            if (r->state == SYNACK_SYN_RECEIVED && r->local.port == l->local.port &&
                (synack_addr_is_any(&l->local.addr) || synack_addr_eq(&l->local.addr, &r->local.addr)))
                half++;
        }
        bool full = l->send_q && l->recv_q >= l->send_q;
        if (!full && half < NS_DIAG_SYN_RECV_MIN) continue;
        ns_diag *d = next_diag(out, cap, nd, full ? "accept-queue-full" : "syn-recv");
        if (!d) return;
        char a[64], who[96];
        ep(&l->local, a, sizeof a);
        owner(l, who, sizeof who);
        if (full)
            snprintf(d->summary, sizeof d->summary,
                     "the accept queue of %s is full: %s accepts too slowly, new handshakes are dropped", a, who);
        else
            snprintf(d->summary, sizeof d->summary,
                     "%zu half-open connections (SYN_RECV) on %s: a SYN flood, or the clients' ACKs are lost", half, a);
        evidence(d, "listener %s (%s): accept queue %u of %u (Recv-Q/Send-Q)", a, who, l->recv_q, l->send_q);
        evidence(d, "%zu connections in SYN_RECV on this port (rule: %d or more, or a full accept queue)",
                 half, NS_DIAG_SYN_RECV_MIN);
        if (f->listen_overflows >= 0)
            evidence(d, "TcpExt ListenOverflows = %lld, ListenDrops = %lld (since this namespace began)",
                     (long long)f->listen_overflows, (long long)f->listen_drops);
        if (f->syncookies >= 0) evidence(d, "net.ipv4.tcp_syncookies = %d, tcp_max_syn_backlog = %d",
                                         f->syncookies, f->max_syn_backlog);
        if (full)
            snprintf(d->advice, sizeof d->advice,
                     "Make the application accept() faster (more workers, no blocking work before accept), "
                     "or give listen() a larger backlog (capped by net.core.somaxconn). Clients see "
                     "retransmitted SYNs and slow connects meanwhile.");
        else
            snprintf(d->advice, sizeof d->advice,
                     "If the sources are many and never complete: a SYN flood; keep net.ipv4.tcp_syncookies=1 "
                     "and filter upstream. If they are real clients: their ACKs are lost (a firewall or a "
                     "broken path); compare with the clients' side.");
    }
}

/* Many SYN_SENT to one destination: no SYN-ACK and no RST: unreachable or filtered. */
static void rule_syn_sent(const ns_table *t, ns_diag *out, size_t cap, size_t *nd)
{
    group g[GROUPS];
    size_t ng = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].state == SYNACK_SYN_SENT) ng = group_add(g, ng, &t->rows[i], same_remote);
    qsort(g, ng, sizeof *g, by_count);
    for (size_t i = 0; i < ng && g[i].n >= NS_DIAG_SYN_SENT_MIN; i++) {
        ns_diag *d = next_diag(out, cap, nd, "syn-sent");
        if (!d) return;
        char a[64], who[96];
        ep(&g[i].first->remote, a, sizeof a);
        owner(g[i].first, who, sizeof who);
        snprintf(d->summary, sizeof d->summary,
                 "%zu connections stuck in SYN_SENT to %s: it is unreachable or a firewall drops the SYNs", g[i].n, a);
        evidence(d, "%zu sockets in SYN_SENT to %s (rule: %d or more to one destination), e.g. from %s",
                 g[i].n, a, NS_DIAG_SYN_SENT_MIN, who);
        evidence(d, "SYNs retransmitted up to %u times without a SYN-ACK or a RST", g[i].max_retrans);
        snprintf(d->advice, sizeof d->advice,
                 "A closed port answers with RST at once; silence means the SYNs or the answers are "
                 "dropped. Check the route and firewalls (ping, traceroute -T -p PORT, nft list ruleset), "
                 "and whether the server is up. Clients give up after net.ipv4.tcp_syn_retries.");
    }
}

/* FIN_WAIT2 accumulating: peers that do not close their side. */
static void rule_fin_wait2(const ns_table *t, const ns_host_facts *f, ns_diag *out, size_t cap, size_t *nd)
{
    group g[GROUPS];
    size_t ng = 0, n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].state == SYNACK_FIN_WAIT_2) {
            n++;
            ng = group_add(g, ng, &t->rows[i], same_peer);
        }
    if (n < NS_DIAG_FIN_WAIT2_MIN) return;
    qsort(g, ng, sizeof *g, by_count);
    ns_diag *d = next_diag(out, cap, nd, "fin-wait-2");
    if (!d) return;
    char a[64];
    snprintf(d->summary, sizeof d->summary,
             "%zu connections in FIN_WAIT2: their peers acknowledged our FIN but do not close their side", n);
    evidence(d, "%zu sockets in FIN_WAIT2 (rule: %d or more)", n, NS_DIAG_FIN_WAIT2_MIN);
    for (size_t i = 0; i < ng && i < 3; i++) {
        synack_endpoint host = {g[i].first->remote.addr, 0};
        ep(&host, a, sizeof a);
        a[strlen(a) - 2] = 0; /* the address without ":0" */
        evidence(d, "%zu of them with %s", g[i].n, a);
    }
    if (f->fin_timeout_s >= 0) evidence(d, "net.ipv4.tcp_fin_timeout = %d s (orphaned ones end then)", f->fin_timeout_s);
    snprintf(d->advice, sizeof d->advice,
             "The remote applications do not close after our close: fix them, or rely on "
             "net.ipv4.tcp_fin_timeout for orphaned sockets. A socket still open here (shutdown() "
             "only) waits for ever: close it.");
}

/* Established connections with data unacknowledged and retransmissions growing: a dead peer. */
static void rule_dead_peer(const ns_table *t, const ns_host_facts *f, ns_diag *out, size_t cap, size_t *nd)
{
    ns_diag *d = NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ns_row *r = &t->rows[i];
        if ((r->state != SYNACK_ESTABLISHED && r->state != SYNACK_CLOSE_WAIT) || r->timer != SYNACK_NT_ON ||
            r->timer_retrans < NS_DIAG_RETRANS_MIN || r->send_q == 0)
            continue;
        if (!d) d = next_diag(out, cap, nd, "dead-peer");
        if (!d) return;
        char a[64], b[64], w[32], who[96];
        owner(r, who, sizeof who);
        evidence(d, "%s -> %s (%s): %u bytes unacknowledged, the same data sent %u times, next try in %s",
                 ep(&r->local, a, sizeof a), ep(&r->remote, b, sizeof b), who, r->send_q, r->timer_retrans + 1,
                 fmt_duration(r->timer_us, w, sizeof w));
        n++;
    }
    if (!d) return;
    snprintf(d->summary, sizeof d->summary,
             "%zu established connection(s) retransmit without answer: the peer may be dead or the path broken", n);
    if (f->retries2 >= 0)
        evidence(d, "net.ipv4.tcp_retries2 = %d: the kernel gives up only after about %s", f->retries2,
                 f->retries2 >= 15 ? "15 minutes" : "a shorter time");
    snprintf(d->advice, sizeof d->advice,
             "To notice a dead peer sooner: TCP_USER_TIMEOUT on the socket (e.g. 30 s), or keepalive "
             "(SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT; net.ipv4.tcp_keepalive_time is %d s) for idle "
             "connections; lower net.ipv4.tcp_retries2 host-wide. Check the path to the peer.",
             f->keepalive_time_s);
}

size_t ns_diagnose(const ns_table *t, const ns_host_facts *f, ns_diag *out, size_t cap)
{
    size_t n = 0;
    rule_close_wait(t, out, cap, &n);
    rule_time_wait(t, f, out, cap, &n);
    rule_listen(t, f, out, cap, &n);
    rule_syn_sent(t, out, cap, &n);
    rule_fin_wait2(t, f, out, cap, &n);
    rule_dead_peer(t, f, out, cap, &n);
    return n;
}
