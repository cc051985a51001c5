/* demo.c: the scenarios of `synack demo`: two synack stacks (client 198.18.0.1, server
 * 198.18.0.2) on a simulated link with 10 ms one-way delay, driven step by step in virtual time.
 * Owns the scripts, the step layout and the summary; ladder.c draws segments, trace.c events. */
#include "demo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <synack/inspect.h>
#include <synack/sim.h>
#include <synack/socket.h>

#include "ladder.h"
#include "trace.h"

#define LINK_DELAY_US SYNACK_MS(10)
#define WRAP_COLUMN 100
#define MAX_ROWS 64

enum { CLIENT = 1, SERVER = 2, BOTH = 3 };

/* What was printed last, so that blank lines separate tables from trace lines and no more. */
enum last_kind { LAST_HEADER, LAST_LINE, LAST_TABLE, LAST_ROWS };

typedef struct demo {
    FILE *out;
    bool color;
    const char *pcap_dir;
    /* The world of the running scenario, rebuilt for each so its clock starts at 0. */
    synack_stack *c, *s;
    synack_sim *sim;
    ladder *lad;
    synack_pcap *pcap;
    int scen_no, step_no;
    /* Across scenarios, for the summary. */
    bool state_shown[SYNACK_STATE_COUNT];
    bool explained[SYNACK_STATE_COUNT];
    uint64_t timer_fired[SYNACK_TIMER_COUNT];
    unsigned timers_this_show; /* bit per timer, set by the last show() */
    synack_time_us virtual_us;
    int unmet;                 /* steps that did not go as expected */
    int deviations;            /* places where the stack differs from RFC 9293's figures */
    enum last_kind last;
    bool io_error;
    const demo_hooks *hooks;   /* other outputs observing the run (--html, ladders) */
} demo;

/* ---- output helpers ---- */

static const char *col(const demo *d, const char *code) { return d->color ? code : ""; }
#define BOLD(d) col(d, "\033[1m")
#define DIM(d) col(d, "\033[2m")
#define RESET(d) col(d, "\033[0m")

static synack_time_us now(const demo *d) { return synack_sim_now(d->sim); }

/* Prints text wrapped at WRAP_COLUMN, indented by three spaces; the first line starts with
 * label (continuation lines are indented past it); each line in color code. ASCII only. */
static void say_as(demo *d, const char *label, const char *code, const char *text)
{
    const size_t indent = 3 + strlen(label), width = WRAP_COLUMN - indent;
    bool first = true;
    while (*text) {
        size_t len = strlen(text), cut = len;
        if (len > width) {
            cut = width;
            while (cut > 0 && text[cut] != ' ') cut--;
            if (cut == 0) cut = width;
        }
        fprintf(d->out, "   %s%*s%.*s%s\n", col(d, code), (int)(indent - 3), first ? label : "",
                (int)cut, text, *code ? RESET(d) : "");
        first = false;
        text += cut;
        while (*text == ' ') text++;
    }
}

static void say(demo *d, const char *text) { say_as(d, "", "", text); }

static void step(demo *d, const char *title, const char *explain)
{
    d->step_no++;
    if (d->hooks && d->hooks->step) d->hooks->step(d->hooks->ctx, d->scen_no, d->step_no, title, explain);
    fprintf(d->out, "\n%s-- %d.%d  %s%s\n", BOLD(d), d->scen_no, d->step_no, title, RESET(d));
    say(d, explain);
    fputc('\n', d->out);
    d->last = LAST_HEADER;
}

/* Called before printing a trace or ladder line: a table just above gets a blank line. */
static void line_follows(demo *d)
{
    if (d->last == LAST_TABLE || d->last == LAST_ROWS) fputc('\n', d->out);
    d->last = LAST_LINE;
}

static const char *tag_of(int who) { return who == CLIENT ? "client" : "server"; }

/* An application call, as a trace line under the host's tag. */
static void app(demo *d, int who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void app(demo *d, int who, const char *fmt, ...)
{
    va_list ap;
    line_follows(d);
    trace_line_start(d->out, tag_of(who), now(d));
    fprintf(d->out, "%sapp: ", col(d, "\033[35m"));
    va_start(ap, fmt);
    vfprintf(d->out, fmt, ap);
    va_end(ap);
    fprintf(d->out, "%s\n", RESET(d));
}

/* A step that did not go as the script expects: say so plainly, and fail the run. */
static void unmet(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unmet(demo *d, const char *fmt, ...)
{
    va_list ap;
    char text[512];
    d->unmet++;
    line_follows(d);
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    say_as(d, "NOTE: not as expected: ", "\033[1;31m", text);
}

/* Where the stack's behaviour differs from what RFC 9293 draws: shown, not hidden; the run
 * still succeeds (the protocol did complete). */
static void deviation(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void deviation(demo *d, const char *fmt, ...)
{
    va_list ap;
    char text[512];
    d->deviations++;
    line_follows(d);
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    say_as(d, "NOTE: ", "\033[33m", text);
}

static const char *errno_name(int e)
{
    switch (e) {
    case EINPROGRESS: return "EINPROGRESS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EADDRINUSE: return "EADDRINUSE";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ENOBUFS: return "ENOBUFS";
    default: return "E?";
    }
}

/* "0", "18" or "-ECONNRESET (Connection reset by peer)". */
static const char *ret_text(long r, char *buf, size_t cap)
{
    if (r >= 0) snprintf(buf, cap, "%ld", r);
    else snprintf(buf, cap, "-%s (%s)", errno_name((int)-r), strerror((int)-r));
    return buf;
}

static const char *ep_text(const synack_endpoint *ep, char *buf, size_t cap)
{
    char a[48];
    snprintf(buf, cap, "%s:%u", synack_addr_format(&ep->addr, a, sizeof a), ep->port);
    return buf;
}

/* ---- events and ladder ---- */

static void drain_events(demo *d, synack_stack *st, int who)
{
    synack_event ev;
    while (synack_event_next(st, &ev)) {
        if (ev.type == SYNACK_EV_TIMER && ev.cause.detail < SYNACK_TIMER_COUNT) {
            d->timer_fired[ev.cause.detail]++;
            d->timers_this_show |= 1u << ev.cause.detail;
        }
        if (!trace_event_shown(&ev)) continue;
        line_follows(d);
        trace_print_event(d->out, tag_of(who), &ev, d->color);
        if (ev.type != SYNACK_EV_STATE || ev.from >= SYNACK_STATE_COUNT || ev.to >= SYNACK_STATE_COUNT)
            continue;
        d->state_shown[ev.from] = d->state_shown[ev.to] = true;
        if (!d->explained[ev.to]) { /* explain each state once, where it first appears */
            d->explained[ev.to] = true;
            trace_print_explainer(d->out, ev.to, d->color);
        }
    }
}

/* Sends what the applications' calls queued, then prints what happened since the last show():
 * each stack's events (the cause comes before the segments it produced), then the segments. */
static void show(demo *d)
{
    synack_sim_flush(d->sim);
    d->timers_this_show = 0;
    drain_events(d, d->c, CLIENT);
    drain_events(d, d->s, SERVER);
    if (ladder_count(d->lad)) line_follows(d);
    ladder_flush(d->lad);
}

/* Runs the simulation up to `until`, showing everything as it happens. */
static void run_to(demo *d, synack_time_us until)
{
    while (synack_sim_step(d->sim, until)) show(d);
    show(d);
}

/* ---- netstat ---- */

static void mark_table_states(demo *d, const synack_stack *st)
{
    synack_conn_info rows[MAX_ROWS];
    size_t n = synack_conn_list(st, rows, MAX_ROWS);
    for (size_t i = 0; i < n && i < MAX_ROWS; i++)
        if (rows[i].state < SYNACK_STATE_COUNT) d->state_shown[rows[i].state] = true;
}

/* `netstat -ano` of one host, as synack_netstat_print writes it, indented under a prompt. The
 * "Active Internet connections" banner is left out: the prompt says what the table is. With
 * header false only the rows are printed (a `watch netstat` look). */
static void netstat_host(demo *d, int who, bool header)
{
    synack_stack *st = who == CLIENT ? d->c : d->s;
    if (d->hooks && d->hooks->table) d->hooks->table(d->hooks->ctx, tag_of(who), now(d), st);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        synack_netstat_print(st, d->out, true);
        return;
    }
    synack_netstat_print(st, m, true);
    fclose(m);
    mark_table_states(d, st);
    if (header && d->last != LAST_HEADER && d->last != LAST_TABLE) fputc('\n', d->out);
    d->last = header ? LAST_TABLE : LAST_ROWS;
    if (header) {
        char tm[32];
        snprintf(tm, sizeof tm, "%llu.%06lu", (unsigned long long)(now(d) / 1000000u),
                 (unsigned long)(now(d) % 1000000u));
        fprintf(d->out, "    %s%s$ netstat -ano%s   %s(at %s)%s\n", BOLD(d), tag_of(who), RESET(d),
                DIM(d), tm, RESET(d));
    }
    int line_no = 0, rows = 0;
    for (char *line = text; line && *line; line_no++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        if (line_no == 1 && header) fprintf(d->out, "    %s%s%s\n", DIM(d), line, RESET(d));
        else if (line_no >= 2) {
            fprintf(d->out, "    %s\n", line);
            rows++;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!rows) fprintf(d->out, "    (no connections)\n");
    free(text);
}

static void tables(demo *d, int which)
{
    if (which & CLIENT) netstat_host(d, CLIENT, true);
    if (which & SERVER) netstat_host(d, SERVER, true);
}

/* ---- waiting for a moment ---- */

enum wait_kind {
    UNTIL_SOCK_STATE, /* socket sd is in state */
    UNTIL_SOME_IN,    /* some connection of the stack is in state */
    UNTIL_NONE_IN,    /* no connection of the stack is in state */
    UNTIL_READABLE,   /* socket sd has data (or end of stream) to read */
};
typedef struct waiter {
    enum wait_kind kind;
    int who;
    int sd;
    int state;
} waiter;

static size_t count_in(const synack_stack *st, int state)
{
    synack_conn_info rows[MAX_ROWS];
    size_t n = synack_conn_list(st, rows, MAX_ROWS), k = 0;
    for (size_t i = 0; i < n && i < MAX_ROWS; i++) k += rows[i].state == state;
    return k;
}

static bool met(demo *d, const waiter *w)
{
    synack_stack *st = w->who == CLIENT ? d->c : d->s;
    switch (w->kind) {
    case UNTIL_SOCK_STATE: return synack_socket_state(st, w->sd) == w->state;
    case UNTIL_SOME_IN: return count_in(st, w->state) > 0;
    case UNTIL_NONE_IN: return count_in(st, w->state) == 0;
    case UNTIL_READABLE: return (synack_poll_socket(st, w->sd) & SYNACK_POLLIN) != 0;
    }
    return false;
}

/* Steps the simulation until the moment w describes (at most `within` of virtual time), showing
 * every step. A moment that never comes is reported, not papered over. */
static bool wait_for(demo *d, waiter w, synack_time_us within, const char *moment)
{
    synack_time_us limit = now(d) + within;
    while (!met(d, &w)) {
        if (!synack_sim_step(d->sim, limit)) break;
        show(d);
    }
    if (met(d, &w)) return true;
    show(d);
    unmet(d, "%s %s did not happen within %.2f s", tag_of(w.who), moment, (double)within / 1e6);
    return false;
}

static waiter sock_in(int who, int sd, int state) { return (waiter){UNTIL_SOCK_STATE, who, sd, state}; }
static waiter some_in(int who, int state) { return (waiter){UNTIL_SOME_IN, who, -1, state}; }
static waiter none_in(int who, int state) { return (waiter){UNTIL_NONE_IN, who, -1, state}; }
static waiter readable(int who, int sd) { return (waiter){UNTIL_READABLE, who, sd, 0}; }

/* ---- application calls ---- */

static synack_endpoint endpoint(int who, uint16_t port)
{
    synack_endpoint ep = {who == CLIENT ? synack_addr_v4(198, 18, 0, 1) : synack_addr_v4(198, 18, 0, 2),
                          port};
    return ep;
}

static int app_listen(demo *d, uint16_t port)
{
    char r[96];
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), port};
    int sd = synack_socket(d->s);
    int rc = sd < 0 ? sd : synack_bind(d->s, sd, &any);
    if (rc == 0) rc = synack_listen(d->s, sd, 16);
    app(d, SERVER, "socket(); bind(0.0.0.0:%u); listen(backlog 16) = %s", port, ret_text(rc, r, sizeof r));
    if (rc < 0) unmet(d, "the server could not listen on port %u", port);
    show(d);
    return rc < 0 ? -1 : sd;
}

/* bind (when port is non-zero) and connect; returns the socket. */
static int app_connect(demo *d, int who, uint16_t local_port, const synack_endpoint *to)
{
    synack_stack *st = who == CLIENT ? d->c : d->s;
    char r[96], e[64];
    int sd = synack_socket(st);
    if (sd < 0) {
        unmet(d, "socket() failed: %s", ret_text(sd, r, sizeof r));
        return -1;
    }
    if (local_port) {
        synack_endpoint me = endpoint(who, local_port);
        int rc = synack_bind(st, sd, &me);
        app(d, who, "socket(); bind(%s) = %s", ep_text(&me, e, sizeof e), ret_text(rc, r, sizeof r));
    }
    int rc = synack_connect(st, sd, to);
    app(d, who, "connect(%s) = %s", ep_text(to, e, sizeof e), ret_text(rc, r, sizeof r));
    if (rc != -EINPROGRESS) unmet(d, "connect() should return -EINPROGRESS on a non-blocking socket");
    show(d);
    return sd;
}

static int app_accept(demo *d, int lsd)
{
    char r[96], e[64];
    synack_endpoint peer = {{0}, 0};
    int sd = synack_accept(d->s, lsd, &peer);
    if (sd >= 0) app(d, SERVER, "accept() = socket %d, from %s", sd, ep_text(&peer, e, sizeof e));
    else app(d, SERVER, "accept() = %s", ret_text(sd, r, sizeof r));
    show(d);
    return sd;
}

static void app_send(demo *d, int who, int sd, const char *text)
{
    char r[96];
    synack_stack *st = who == CLIENT ? d->c : d->s;
    size_t len = strlen(text);
    ssize_t n = synack_send(st, sd, text, len);
    app(d, who, "send(%zu bytes) = %s", len, ret_text((long)n, r, sizeof r));
    if (n != (ssize_t)len) unmet(d, "send() should queue all %zu bytes", len);
    show(d);
}

/* recv() and print what came, its first line quoted. */
static ssize_t app_recv(demo *d, int who, int sd)
{
    char buf[512], r[96];
    synack_stack *st = who == CLIENT ? d->c : d->s;
    ssize_t n = synack_recv(st, sd, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        size_t first = strcspn(buf, "\r\n");
        app(d, who, "recv() = %zd  \"%.*s%s\"", n, (int)first, buf, first < (size_t)n ? "..." : "");
    } else if (n == 0) {
        app(d, who, "recv() = 0  (end of stream: the peer sent FIN)");
    } else {
        app(d, who, "recv() = %s", ret_text((long)n, r, sizeof r));
    }
    show(d);
    return n;
}

static void app_close(demo *d, int who, int sd)
{
    char r[96];
    int rc = synack_close(who == CLIENT ? d->c : d->s, sd);
    app(d, who, "close() = %s", ret_text(rc, r, sizeof r));
    show(d);
}

/* What a non-blocking connect() caller does when poll says the socket is done: SO_ERROR. */
static int app_so_error(demo *d, int who, int sd)
{
    int err = 0;
    size_t len = sizeof err;
    int rc = synack_getsockopt(who == CLIENT ? d->c : d->s, sd, SYNACK_SO_ERROR, &err, &len);
    if (rc < 0) err = -rc;
    if (err) app(d, who, "getsockopt(SO_ERROR) = %s: \"%s\"", errno_name(err), strerror(err));
    else app(d, who, "getsockopt(SO_ERROR) = 0 (no error)");
    return err;
}

/* ---- the world of one scenario ---- */

/* The ladder passes every packet on: to the capture file and to the hooks' observer. */
static void world_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                      size_t len)
{
    demo *d = ctx;
    if (d->pcap) synack_pcap_tap(d->pcap, t, what, from, to, pkt, len);
    if (d->hooks && d->hooks->tap) d->hooks->tap(d->hooks->ctx, t, what, from, to, pkt, len);
}

static bool world_open(demo *d, int n, const char *slug)
{
    synack_config cc, sc;
    synack_config_default(&cc);
    synack_config_default(&sc);
    cc.addr = synack_addr_v4(198, 18, 0, 1);
    sc.addr = synack_addr_v4(198, 18, 0, 2);
    cc.seed = 1000 + 2 * (uint64_t)n; /* fixed seeds: the demo prints the same every time */
    sc.seed = 1001 + 2 * (uint64_t)n;
    d->c = synack_stack_new(&cc);
    d->s = synack_stack_new(&sc);
    d->sim = synack_sim_new((uint64_t)n);
    if (!d->c || !d->s || !d->sim) return false;
    synack_sim_add(d->sim, d->c); /* node 0 */
    synack_sim_add(d->sim, d->s); /* node 1 */
    synack_impair imp;
    memset(&imp, 0, sizeof imp);
    imp.delay_us = LINK_DELAY_US;
    synack_sim_impair(d->sim, 0, 1, &imp);
    synack_sim_impair(d->sim, 1, 0, &imp);
    ladder_reset(d->lad);
    ladder_set_left(d->lad, &cc.addr);
    ladder_chain(d->lad, world_tap, d);
    d->pcap = NULL;
    if (d->pcap_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/synack-demo-%d-%s.pcap", d->pcap_dir, n, slug);
        d->pcap = synack_pcap_open(path);
        if (d->pcap) {
            fprintf(d->out, "   (capture: %s)\n", path);
        } else {
            fprintf(stderr, "synack demo: cannot write %s: %s\n", path, strerror(errno));
            d->io_error = true;
        }
    }
    synack_sim_set_tap(d->sim, ladder_tap, d->lad);
    d->scen_no = n;
    d->step_no = 0;
    return true;
}

static void world_close(demo *d)
{
    if (d->sim && d->c && d->s) {
        show(d);
        d->virtual_us += now(d);
        /* The core counts transitions missing from its RFC 9293 table: each one is a bug. */
        uint64_t bad = synack_counter(d->c, SYNACK_CNT_tcp_illegal_transition) +
                       synack_counter(d->s, SYNACK_CNT_tcp_illegal_transition);
        if (bad) unmet(d, "the stacks made %llu state transition(s) outside RFC 9293's diagram",
                       (unsigned long long)bad);
    }
    synack_sim_free(d->sim);
    synack_stack_free(d->c);
    synack_stack_free(d->s);
    synack_pcap_close(d->pcap);
    d->sim = NULL;
    d->c = d->s = NULL;
    d->pcap = NULL;
}

/* A connection from the client to server port 80, as scenario 1 shows it, with less talk. */
static bool establish(demo *d, int *lsd, int *csd, int *asd)
{
    step(d, "Setup: the client connects to the server's port 80",
         "As in scenario 1: listen, then the three-way handshake SYN, SYN-ACK, ACK.");
    synack_endpoint srv = endpoint(SERVER, 80);
    *lsd = app_listen(d, 80);
    *csd = app_connect(d, CLIENT, 0, &srv);
    *asd = -1;
    if (*lsd < 0 || *csd < 0) return false;
    show(d);
    if (!wait_for(d, sock_in(CLIENT, *csd, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED") ||
        !wait_for(d, some_in(SERVER, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED"))
        return false;
    *asd = app_accept(d, *lsd);
    show(d);
    return *asd >= 0;
}

/* ---- the scenarios ---- */

static void scenario_handshake(demo *d)
{
    step(d, "The server listens on port 80 (passive open)",
         "socket(), bind() and listen() send nothing: the socket now waits for SYNs. netstat shows "
         "it as LISTEN, with foreign address 0.0.0.0:* (anyone may connect). State names: the text "
         "and the trace lines use RFC 9293's (SYN-SENT, SYN-RECEIVED, FIN-WAIT-1, FIN-WAIT-2, "
         "CLOSE-WAIT, LAST-ACK, TIME-WAIT, CLOSED); netstat tables use Linux netstat's for the same "
         "states (SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE).");
    int lsd = app_listen(d, 80);
    show(d);
    tables(d, SERVER);
    if (lsd < 0) return;

    step(d, "The client connects: its SYN is on the wire",
         "connect() sends a SYN with the client's options (MSS, SACK permitted, timestamps, window "
         "scale) and returns at once. The client is SYN-SENT; its retransmission timer runs: "
         "netstat -o shows on (seconds left/retransmissions/probes).");
    synack_endpoint srv = endpoint(SERVER, 80);
    int csd = app_connect(d, CLIENT, 0, &srv);
    show(d);
    tables(d, CLIENT);
    if (csd < 0) return;

    step(d, "The SYN arrives; the server answers SYN-ACK: SYN-RECEIVED",
         "The server creates a connection for this client in SYN-RECEIVED and sends SYN-ACK: its own "
         "SYN, plus the ACK of the client's. We stop while the SYN-ACK is in flight.");
    if (!wait_for(d, some_in(SERVER, SYNACK_SYN_RECEIVED), SYNACK_SEC(1), "SYN-RECEIVED")) return;
    tables(d, BOTH);

    step(d, "The SYN-ACK arrives: the client is ESTABLISHED and sends the last ACK",
         "For the client the handshake is done; connect() has succeeded. The server stays in "
         "SYN-RECEIVED until that ACK arrives, 10 ms later.");
    if (!wait_for(d, sock_in(CLIENT, csd, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED")) return;
    tables(d, BOTH);

    step(d, "The ACK arrives: the server is ESTABLISHED too",
         "The connection waits in the listener's accept queue (Recv-Q of a LISTEN line counts it) "
         "until the application calls accept().");
    if (!wait_for(d, some_in(SERVER, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED")) return;
    tables(d, SERVER);
    app_accept(d, lsd);
    show(d);
}

static void scenario_data(demo *d)
{
    int lsd, csd, asd;
    if (!establish(d, &lsd, &csd, &asd)) return;
    const char *request = "GET / HTTP/1.0\r\n\r\n";
    const char *response = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

    step(d, "The client sends a small request",
         "The bytes leave at once (PSH,ACK). Until the server acknowledges them they stay in the "
         "client's Send-Q, and the retransmission timer runs (on).");
    app_send(d, CLIENT, csd, request);
    show(d);
    tables(d, CLIENT);

    step(d, "The request arrives; the server application has not read it yet",
         "Received bytes wait in Recv-Q until the application reads them. The server delays its "
         "ACK briefly, hoping to send it along with a reply.");
    if (!wait_for(d, readable(SERVER, asd), SYNACK_SEC(1), "data to read")) return;
    app(d, SERVER, "poll() = POLLIN (%d bytes to read)", synack_readable_bytes(d->s, asd));
    tables(d, BOTH);

    step(d, "The server reads the request and answers",
         "Reading empties the receive buffer, so the server's TCP announces its larger window at "
         "once (the bare ACK, which also acknowledges the request); the response follows. The "
         "client's Send-Q empties when that ACK arrives, 10 ms later.");
    app_recv(d, SERVER, asd);
    app_send(d, SERVER, asd, response);
    show(d);
    tables(d, BOTH);

    step(d, "The response arrives; the client reads it and acknowledges after a short delay",
         "The client has nothing to send back, so its delayed-ACK timer (40 ms) fires and a bare "
         "ACK goes out. All queues are empty again.");
    if (!wait_for(d, readable(CLIENT, csd), SYNACK_SEC(1), "data to read")) return;
    app(d, CLIENT, "poll() = POLLIN (%d bytes to read)", synack_readable_bytes(d->c, csd));
    app_recv(d, CLIENT, csd);
    run_to(d, now(d) + SYNACK_MS(100));
    tables(d, BOTH);
}

static void scenario_close(demo *d)
{
    int lsd, csd, asd;
    if (!establish(d, &lsd, &csd, &asd)) return;

    step(d, "The client application closes: FIN-WAIT-1",
         "close() sends FIN: \"I have no more to send\". The client waits for its ACK in FIN-WAIT-1.");
    app_close(d, CLIENT, csd);
    show(d);
    tables(d, CLIENT);

    step(d, "The FIN arrives: the server acknowledges it and is CLOSE-WAIT",
         "The server's TCP ACKs the FIN at once; its application will read end-of-stream. Until the "
         "application calls close() the connection stays in CLOSE-WAIT.");
    if (!wait_for(d, some_in(SERVER, SYNACK_CLOSE_WAIT), SYNACK_SEC(1), "CLOSE-WAIT")) return;
    tables(d, BOTH);

    step(d, "The ACK arrives: the client is FIN-WAIT-2",
         "Half of the connection is closed. The client now waits for the server's FIN. Because the "
         "client application has closed its socket, a 10-minute FIN-WAIT-2 timer runs (netstat -o "
         "shows it as timewait, as Linux does).");
    if (!wait_for(d, some_in(CLIENT, SYNACK_FIN_WAIT_2), SYNACK_SEC(1), "FIN-WAIT-2")) return;
    tables(d, CLIENT);

    step(d, "The server application reads end-of-stream and closes: LAST-ACK",
         "recv() returns 0, the server closes too and sends its FIN. It waits for the last ACK.");
    app_recv(d, SERVER, asd);
    app_close(d, SERVER, asd);
    show(d);
    tables(d, SERVER);

    step(d, "The server's FIN arrives: the client is TIME-WAIT",
         "The client ACKs the FIN and enters TIME-WAIT for 2*MSL (60 s here): if that ACK is lost, "
         "the server resends its FIN and the client can still answer.");
    if (!wait_for(d, some_in(CLIENT, SYNACK_TIME_WAIT), SYNACK_SEC(1), "TIME-WAIT")) return;
    tables(d, BOTH);

    step(d, "The last ACK arrives: the server's connection is gone (CLOSED)",
         "Only the listener is left on the server. The client's TIME-WAIT timer counts down.");
    if (!wait_for(d, none_in(SERVER, SYNACK_LAST_ACK), SYNACK_SEC(1), "CLOSED")) return;
    tables(d, BOTH);

    step(d, "30 seconds later",
         "Nothing is sent during TIME-WAIT; the timer column keeps counting down.");
    run_to(d, now(d) + SYNACK_SEC(30));
    tables(d, CLIENT);

    step(d, "2*MSL after the FIN: TIME-WAIT expires",
         "The client's connection is deleted (CLOSED) and its port may be used again.");
    wait_for(d, none_in(CLIENT, SYNACK_TIME_WAIT), SYNACK_SEC(31), "TIME-WAIT expiry");
    tables(d, BOTH);
}

static void scenario_simultaneous_close(demo *d)
{
    int lsd, csd, asd;
    if (!establish(d, &lsd, &csd, &asd)) return;

    step(d, "Both applications close at the same instant",
         "Each side sends FIN and enters FIN-WAIT-1. The two FINs cross on the wire.");
    app_close(d, CLIENT, csd);
    app_close(d, SERVER, asd);
    show(d);
    tables(d, BOTH);

    step(d, "Each FIN arrives before the ACK of one's own: CLOSING",
         "A FIN received in FIN-WAIT-1 whose segment does not acknowledge our FIN moves us to "
         "CLOSING: both sides have sent FIN and wait for the ACK of it. Each ACKs the other's FIN.");
    if (!wait_for(d, some_in(CLIENT, SYNACK_CLOSING), SYNACK_SEC(1), "CLOSING") ||
        !wait_for(d, some_in(SERVER, SYNACK_CLOSING), SYNACK_SEC(1), "CLOSING"))
        return;
    tables(d, BOTH);

    step(d, "The ACKs arrive: both sides are TIME-WAIT",
         "Segments, not timers, drive CLOSING to TIME-WAIT: the ACK of our FIN does it. Only "
         "leaving TIME-WAIT is timed (2*MSL).");
    if (!wait_for(d, some_in(CLIENT, SYNACK_TIME_WAIT), SYNACK_SEC(1), "TIME-WAIT") ||
        !wait_for(d, some_in(SERVER, SYNACK_TIME_WAIT), SYNACK_SEC(1), "TIME-WAIT"))
        return;
    tables(d, BOTH);

    step(d, "60 seconds later: both TIME_WAITs expire",
         "Both connections are deleted; the server keeps only its listener.");
    wait_for(d, none_in(CLIENT, SYNACK_TIME_WAIT), SYNACK_SEC(61), "TIME-WAIT expiry");
    wait_for(d, none_in(SERVER, SYNACK_TIME_WAIT), SYNACK_SEC(1), "TIME-WAIT expiry");
    tables(d, BOTH);
}

static void scenario_simultaneous_open(demo *d)
{
    step(d, "Both sides connect to each other at the same instant",
         "Each binds a fixed port (client 5000, server 6000) and connects to the other's. There is "
         "no listener: two SYNs cross on the wire, both sides are SYN-SENT.");
    synack_endpoint to_server = endpoint(SERVER, 6000), to_client = endpoint(CLIENT, 5000);
    int csd = app_connect(d, CLIENT, 5000, &to_server);
    int ssd = app_connect(d, SERVER, 6000, &to_client);
    show(d);
    tables(d, BOTH);
    if (csd < 0 || ssd < 0) return;

    step(d, "Each receives the other's SYN while SYN-SENT: SYN-RECEIVED on both sides",
         "A SYN without ACK in SYN-SENT means the peer is opening too: each answers SYN-ACK (its "
         "SYN again, with the ACK of the peer's) and enters SYN-RECEIVED.");
    if (!wait_for(d, sock_in(CLIENT, csd, SYNACK_SYN_RECEIVED), SYNACK_SEC(1), "SYN-RECEIVED") ||
        !wait_for(d, sock_in(SERVER, ssd, SYNACK_SYN_RECEIVED), SYNACK_SEC(1), "SYN-RECEIVED"))
        return;
    tables(d, BOTH);

    step(d, "The SYN-ACKs cross, then both sides are ESTABLISHED",
         "Once each side's SYN is acknowledged the connection is open: one connection, opened "
         "from both ends, without any LISTEN.");
    synack_time_us synack_arrival = now(d) + LINK_DELAY_US;
    if (!wait_for(d, sock_in(CLIENT, csd, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED") ||
        !wait_for(d, sock_in(SERVER, ssd, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED"))
        return;
    if (now(d) > synack_arrival) /* the figure's way takes one crossing, not two */
        deviation(d, "RFC 9293 Figure 8 has each side ESTABLISHED when the peer's SYN-ACK arrives "
                     "(at %.3f s); here the SYN-ACKs were answered with bare ACKs and ESTABLISHED "
                     "came at %.3f s.", (double)synack_arrival / 1e6, (double)now(d) / 1e6);
    tables(d, BOTH);
}

static void scenario_no_answer(demo *d)
{
    step(d, "The link drops everything from the client to the server",
         "As if a firewall silently discarded the packets: the server never sees a SYN, so it never "
         "answers (not even with RST). The client connects to port 80.");
    synack_impair imp;
    memset(&imp, 0, sizeof imp);
    imp.delay_us = LINK_DELAY_US;
    imp.loss = 1.0;
    synack_sim_impair(d->sim, 0, 1, &imp);
    synack_endpoint srv = endpoint(SERVER, 80);
    int lsd = app_listen(d, 80);
    int csd = app_connect(d, CLIENT, 0, &srv);
    show(d);
    tables(d, BOTH);
    if (lsd < 0 || csd < 0) return;

    step(d, "The client resends its SYN, doubling the wait each time",
         "Retransmissions after 1, 2, 4, 8, 16 and 32 s (exponential backoff). After each one the "
         "timer column shows the next wait and the retransmission count: on (wait/count/0). The "
         "column shows whichever deadline comes first: after the sixth retransmission (63 s) that is "
         "no longer the next retransmission (at 127 s) but the 75 s connection-establishment "
         "deadline, so it reads on (12.00/6/0).");
    bool header = true;
    while (synack_socket_state(d->c, csd) == SYNACK_SYN_SENT && now(d) < SYNACK_SEC(80)) {
        if (!synack_sim_step(d->sim, SYNACK_SEC(80))) break;
        show(d);
        if ((d->timers_this_show & (1u << SYNACK_TIMER_REXMT)) &&
            synack_socket_state(d->c, csd) == SYNACK_SYN_SENT) {
            netstat_host(d, CLIENT, header);
            header = false;
        }
    }

    step(d, "75 s after connect(): the client gives up",
         "The connection-establishment timer (75 s, a BSD tradition) ends the attempt before the "
         "next retransmission. The socket is CLOSED (netstat: CLOSE) until the application, told ETIMEDOUT, "
         "closes it.");
    if (synack_socket_state(d->c, csd) != SYNACK_CLOSED) {
        unmet(d, "the client should have given up by now (state %s)",
              synack_state_netstat_name(synack_socket_state(d->c, csd)));
        return;
    }
    tables(d, CLIENT);
    if (app_so_error(d, CLIENT, csd) != ETIMEDOUT) unmet(d, "connect() should fail with ETIMEDOUT");
    app_close(d, CLIENT, csd);
    show(d);
    tables(d, CLIENT);
}

static void scenario_fin_wait_2(demo *d)
{
    int lsd, csd, asd;
    if (!establish(d, &lsd, &csd, &asd)) return;

    step(d, "The client closes; the server application never calls close()",
         "The server's TCP acknowledges the FIN (CLOSE-WAIT), but its application forgets the "
         "socket. The client reaches FIN-WAIT-2 and waits for a FIN that will not come.");
    app_close(d, CLIENT, csd);
    show(d);
    if (!wait_for(d, some_in(CLIENT, SYNACK_FIN_WAIT_2), SYNACK_SEC(1), "FIN-WAIT-2")) return;
    tables(d, BOTH);

    step(d, "5 minutes later",
         "Nobody sends anything. The client's FIN-WAIT-2 timer counts down from 10 minutes; the "
         "server's CLOSE-WAIT has no timer at all: only its application can end it.");
    run_to(d, now(d) + SYNACK_SEC(300));
    tables(d, BOTH);

    step(d, "10 minutes after FIN-WAIT-2 began: the client reaps the connection",
         "The FIN-WAIT-2 timer deletes the orphaned connection silently (no segment is sent). The "
         "server still shows CLOSE-WAIT: the classic sign of an application that leaks sockets.");
    wait_for(d, none_in(CLIENT, SYNACK_FIN_WAIT_2), SYNACK_SEC(301), "FIN-WAIT-2 reaping");
    tables(d, BOTH);

    step(d, "Much later the server application closes after all",
         "Its FIN reaches a client that no longer knows the connection, which answers RST; the "
         "server's LAST-ACK ends at once.");
    run_to(d, now(d) + SYNACK_SEC(100));
    app_recv(d, SERVER, asd);
    app_close(d, SERVER, asd);
    show(d);
    wait_for(d, none_in(SERVER, SYNACK_LAST_ACK), SYNACK_SEC(1), "the end of LAST-ACK");
    tables(d, SERVER);
}

static void scenario_refused_abort(demo *d)
{
    step(d, "The client connects to port 81, where nothing listens",
         "A SYN to a closed port is answered with RST (with the ACK of the SYN): \"nobody here\". "
         "The client goes from SYN-SENT straight to CLOSED.");
    synack_endpoint closed_port = endpoint(SERVER, 81);
    int lsd = app_listen(d, 80);
    int csd = app_connect(d, CLIENT, 0, &closed_port);
    show(d);
    if (lsd < 0 || csd < 0) return;
    if (!wait_for(d, sock_in(CLIENT, csd, SYNACK_CLOSED), SYNACK_SEC(1), "CLOSED")) return;
    tables(d, CLIENT);
    if (app_so_error(d, CLIENT, csd) != ECONNREFUSED) unmet(d, "connect() should fail with ECONNREFUSED");
    app_close(d, CLIENT, csd);
    show(d);

    step(d, "A connection to port 80, then the client application aborts it",
         "abort (like close() with SO_LINGER 0) sends RST instead of FIN and deletes the "
         "connection at once: no FIN-WAIT-1 or -2, no TIME-WAIT.");
    synack_endpoint srv = endpoint(SERVER, 80);
    csd = app_connect(d, CLIENT, 0, &srv);
    show(d);
    if (csd < 0 || !wait_for(d, sock_in(CLIENT, csd, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED") ||
        !wait_for(d, some_in(SERVER, SYNACK_ESTABLISHED), SYNACK_SEC(1), "ESTABLISHED"))
        return;
    int asd = app_accept(d, lsd);
    show(d);
    tables(d, BOTH);
    char r[96];
    int rc = synack_abort(d->c, csd);
    app(d, CLIENT, "abort() = %s", ret_text(rc, r, sizeof r));
    show(d);

    step(d, "The RST arrives: the server's connection is reset",
         "The server's connection goes to CLOSED at once; its application's next call fails with "
         "ECONNRESET. The socket is CLOSED (netstat: CLOSE) until the application closes it.");
    if (!wait_for(d, none_in(SERVER, SYNACK_ESTABLISHED), SYNACK_SEC(1), "reset")) return;
    tables(d, BOTH);
    if (app_recv(d, SERVER, asd) != -ECONNRESET) unmet(d, "recv() should fail with ECONNRESET");
    app_close(d, SERVER, asd);
    show(d);
    tables(d, SERVER);
}

typedef struct scenario {
    const char *slug, *title, *intro;
    void (*run)(demo *d);
} scenario;

static const scenario scenarios[DEMO_SCENARIOS] = {
    {"handshake", "Passive open and the three-way handshake",
     "The server listens; the client connects. Three segments (SYN, SYN-ACK, ACK) synchronize the "
     "two sides' sequence numbers.",
     scenario_handshake},
    {"data", "Data both ways",
     "A small request and its response. Watch Recv-Q (received, not yet read by the application) "
     "and Send-Q (sent, not yet acknowledged by the peer).",
     scenario_data},
    {"close", "Client-initiated close, and TIME-WAIT",
     "The four-segment close of the primer's first figure, then TIME-WAIT's quiet 2*MSL (60 s).",
     scenario_close},
    {"simultaneous-close", "Simultaneous close through CLOSING",
     "Both applications close at the same instant: the FINs cross (the primer's second figure).",
     scenario_simultaneous_close},
    {"simultaneous-open", "Simultaneous open",
     "Both sides connect to each other's fixed port at the same instant; the SYNs cross.",
     scenario_simultaneous_open},
    {"no-answer", "Connecting to a host that never answers",
     "Every packet from client to server is lost. The client resends its SYN with exponential "
     "backoff, then gives up after 75 s.",
     scenario_no_answer},
    {"fin-wait-2", "A peer that never sends its FIN",
     "The client closes; the server application never does. The client's FIN-WAIT-2 is reaped "
     "after 10 minutes (virtual: instant in real time); the server is left in CLOSE-WAIT.",
     scenario_fin_wait_2},
    {"refused-abort", "Connection refused, and abort",
     "A SYN to a closed port gets RST (ECONNREFUSED); an aborting application sends RST and its "
     "peer gets ECONNRESET.",
     scenario_refused_abort},
};

const char *demo_scenario_title(int n)
{
    return n >= 1 && n <= DEMO_SCENARIOS ? scenarios[n - 1].title : NULL;
}

/* ---- summary ---- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void summary(demo *d, int ran, const struct timespec *t0)
{
    int shown = 0;
    for (int s = 0; s < SYNACK_STATE_COUNT; s++) shown += d->state_shown[s];
    fprintf(d->out, "\n%s== Summary ==%s\n", BOLD(d), RESET(d));
    fprintf(d->out, "   netstat states shown (%d/%d):\n     ", shown, SYNACK_STATE_COUNT);
    for (int s = 0; s < SYNACK_STATE_COUNT; s++)
        if (d->state_shown[s]) fprintf(d->out, " %s", synack_state_netstat_name(s));
    if (shown < SYNACK_STATE_COUNT) {
        fprintf(d->out, "\n   not shown:");
        for (int s = 0; s < SYNACK_STATE_COUNT; s++)
            if (!d->state_shown[s]) fprintf(d->out, " %s", synack_state_netstat_name(s));
    }
    fprintf(d->out, "\n   timers fired:");
    int any = 0;
    for (int t = 0; t < SYNACK_TIMER_COUNT; t++) {
        if (!d->timer_fired[t]) continue;
        fprintf(d->out, "%s %s x%llu", any++ ? "," : "", synack_timer_name(t),
                (unsigned long long)d->timer_fired[t]);
    }
    fprintf(d->out, "%s\n", any ? "" : " none");
    fprintf(d->out, "   %d scenario%s, %.3f s of virtual time in %.3f s of real time\n", ran,
            ran == 1 ? "" : "s", (double)d->virtual_us / 1e6, seconds_since(t0));
    if (d->deviations)
        fprintf(d->out, "   %d place%s where this stack differs from RFC 9293's figures (NOTE lines)\n",
                d->deviations, d->deviations == 1 ? "" : "s");
    if (d->unmet)
        fprintf(d->out, "   %s%d step%s did not go as expected (see NOTE lines above)%s\n",
                col(d, "\033[1;31m"), d->unmet, d->unmet == 1 ? "" : "s", RESET(d));
}

int demo_run(FILE *out, int scenario_no, const char *pcap_dir, bool color)
{
    return demo_run_hooked(out, scenario_no, pcap_dir, color, NULL);
}

int demo_run_hooked(FILE *out, int scenario_no, const char *pcap_dir, bool color, const demo_hooks *hooks)
{
    if (scenario_no < 0 || scenario_no > DEMO_SCENARIOS) return 2;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    demo *d = calloc(1, sizeof *d);
    if (!d) return 2;
    d->out = out;
    d->color = color;
    d->pcap_dir = pcap_dir;
    d->hooks = hooks;
    if (pcap_dir && mkdir(pcap_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "synack demo: cannot create %s: %s\n", pcap_dir, strerror(errno));
        free(d);
        return 1;
    }
    d->lad = ladder_new(out, color);
    if (!d->lad) {
        free(d);
        return 2;
    }
    ladder_set_collect(d->lad, true); /* lines wait until show() has printed the events */
    ladder_set_prefix(d->lad, TRACE_LADDER_PREFIX);

    fprintf(out, "%ssynack demo%s: TCP's states as netstat shows them, on two simulated hosts "
                 "(one scenario: --scenario N; as a web page: --html FILE)\n",
            BOLD(d), RESET(d));
    fprintf(out, "   client 198.18.0.1 <-- 10 ms each way --> server 198.18.0.2, in virtual time (seconds)\n");
    say(d, "Each line: who, when, then what: \"app:\" a call the application made; \"conn N\" a state "
           "change, timer or error the stack reported; an arrow, a segment on the wire (seq and ack "
           "relative to each side's first sequence number, as Wireshark shows them). netstat -ano "
           "tables show both hosts at the moments that matter.");
    int ran = 0, rc = 0;
    for (int n = 1; n <= DEMO_SCENARIOS; n++) {
        if (scenario_no && n != scenario_no) continue;
        const scenario *sc = &scenarios[n - 1];
        fprintf(out, "\n%s== Scenario %d of %d: %s ==%s\n", BOLD(d), n, DEMO_SCENARIOS, sc->title,
                RESET(d));
        say(d, sc->intro);
        if (hooks && hooks->scenario) hooks->scenario(hooks->ctx, n, sc->slug, sc->title, sc->intro);
        if (!world_open(d, n, sc->slug)) {
            world_close(d);
            rc = 2;
            break;
        }
        sc->run(d);
        world_close(d);
        ran++;
    }
    summary(d, ran, &t0);
    if (!rc && (d->unmet || d->io_error)) rc = 1;
    ladder_free(d->lad);
    free(d);
    return rc;
}
