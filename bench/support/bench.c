/* bench.c: see bench.h. */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long bench_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    size_t n = strlen(field);
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

void bench_pktq_push(bench_pktq *q, const uint8_t *pkt, size_t len)
{
    if (q->len + len + 2 > q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1 << 20;
        while (cap < q->len + len + 2) cap *= 2;
        uint8_t *nb = realloc(q->buf, cap);
        if (!nb) {
            fprintf(stderr, "bench: out of memory for the wire queue\n");
            exit(1);
        }
        q->buf = nb;
        q->cap = cap;
    }
    q->buf[q->len] = (uint8_t)(len >> 8);
    q->buf[q->len + 1] = (uint8_t)len;
    memcpy(q->buf + q->len + 2, pkt, len);
    q->len += len + 2;
    q->count++;
}

bool bench_pair_init(bench_pair *p, synack_config *ca, synack_config *cb, synack_time_us step_us)
{
    memset(p, 0, sizeof *p);
    ca->addr = synack_addr_v4(198, 18, 0, 1);
    cb->addr = synack_addr_v4(198, 18, 0, 2);
    p->a = synack_stack_new(ca);
    p->b = synack_stack_new(cb);
    p->step_us = step_us;
    p->now = SYNACK_SEC(1);
    if (!p->a || !p->b) {
        bench_pair_free(p);
        return false;
    }
    synack_poll(p->a, p->now);
    synack_poll(p->b, p->now);
    return true;
}

void bench_pair_free(bench_pair *p)
{
    synack_stack_free(p->a);
    synack_stack_free(p->b);
    free(p->to_a.buf);
    free(p->to_b.buf);
    p->a = p->b = NULL;
    p->to_a.buf = p->to_b.buf = NULL;
}

static size_t deliver_q(bench_pair *p, bench_pktq *q, synack_stack *st)
{
    size_t n = 0;
    for (size_t off = 0; off < q->len;) {
        size_t len = ((size_t)q->buf[off] << 8) | q->buf[off + 1];
        synack_input(st, p->now, q->buf + off + 2, len);
        off += len + 2;
        n++;
    }
    q->len = q->count = 0;
    return n;
}

size_t bench_pair_deliver(bench_pair *p)
{
    size_t n = deliver_q(p, &p->to_b, p->b);
    n += deliver_q(p, &p->to_a, p->a);
    p->pkts += n;
    return n;
}

/* Routes by IPv4 destination: 198.18.0.1 is a, 198.18.0.2 is b, anything else is the void. */
static void take_from(bench_pair *p, synack_stack *st)
{
    size_t len;
    while ((len = synack_output(st, p->scratch, sizeof p->scratch)) > 0) {
        const uint8_t *d = p->scratch + 16;
        if (len >= 20 && d[0] == 198 && d[1] == 18 && d[2] == 0 && (d[3] == 1 || d[3] == 2))
            bench_pktq_push(d[3] == 1 ? &p->to_a : &p->to_b, p->scratch, len);
        else
            p->pkts_void++;
    }
}

size_t bench_pair_take(bench_pair *p)
{
    size_t before = p->to_a.count + p->to_b.count;
    take_from(p, p->a);
    take_from(p, p->b);
    return p->to_a.count + p->to_b.count - before;
}

void bench_pair_tick(bench_pair *p)
{
    p->now += p->step_us;
    p->rounds++;
    synack_poll(p->a, p->now);
    synack_poll(p->b, p->now);
}

void bench_pair_jump(bench_pair *p, synack_time_us t)
{
    if (t > p->now) p->now = t;
    synack_poll(p->a, p->now);
    synack_poll(p->b, p->now);
}

/* ---- the request/response workload ---- */

enum { S_FREE, C_CONNECTING, C_WAIT_RESP, C_WAIT_EOF, C_HELD, S_WAIT_REQ, S_WAIT_EOF, S_HELD };

bool bench_rr_init(bench_rr *rr, bench_pair *p, int mode, int nports, uint64_t total,
                   uint32_t outstanding)
{
    memset(rr, 0, sizeof *rr);
    rr->p = p;
    rr->mode = mode;
    rr->nports = nports;
    rr->port0 = 10000;
    rr->total = total;
    rr->target_outstanding = outstanding;
    rr->cmax = synack_stack_config(p->a)->max_sockets;
    rr->smax = synack_stack_config(p->b)->max_sockets;
    rr->cst = calloc(rr->cmax, 1);
    rr->sst = calloc(rr->smax, 1);
    rr->listeners = calloc((size_t)nports, sizeof *rr->listeners);
    if (!rr->cst || !rr->sst || !rr->listeners) return false;
    for (int i = 0; i < nports; i++) {
        int l = synack_socket(p->b);
        synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), (uint16_t)(rr->port0 + i)};
        if (l < 0 || synack_bind(p->b, l, &ep) < 0 || synack_listen(p->b, l, 4096) < 0) return false;
        rr->listeners[i] = l;
    }
    return true;
}

void bench_rr_free(bench_rr *rr)
{
    free(rr->cst);
    free(rr->sst);
    free(rr->listeners);
}

static const uint8_t one_byte = 'x';

static void client_close(bench_rr *rr, int sd, bool ok)
{
    synack_close(rr->p->a, sd);
    rr->cst[sd] = S_FREE;
    rr->outstanding--;
    if (ok) rr->completed++;
    else rr->failed++;
}

static void client_read(bench_rr *rr, int sd)
{
    synack_stack *a = rr->p->a;
    uint8_t buf[16];
    for (;;) {
        uint8_t s = rr->cst[sd];
        if (s != C_WAIT_RESP && s != C_WAIT_EOF) return;
        ssize_t n = synack_recv(a, sd, buf, sizeof buf);
        if (n == -EAGAIN) return;
        if (n < 0 || (n == 0 && s == C_WAIT_RESP)) {
            client_close(rr, sd, false);
            return;
        }
        if (n == 0 || rr->mode == RR_CLIENT_CLOSE) { /* EOF after the response, or we close first */
            client_close(rr, sd, true);
            return;
        }
        rr->cst[sd] = C_WAIT_EOF;
    }
}

static void server_close(bench_rr *rr, int sd, bool ok)
{
    synack_close(rr->p->b, sd);
    rr->sst[sd] = S_FREE;
    if (ok) rr->server_done++;
}

static void server_read(bench_rr *rr, int sd)
{
    synack_stack *b = rr->p->b;
    uint8_t buf[16];
    for (;;) {
        uint8_t s = rr->sst[sd];
        if (s != S_WAIT_REQ && s != S_WAIT_EOF) return;
        ssize_t n = synack_recv(b, sd, buf, sizeof buf);
        if (n == -EAGAIN) return;
        if (n <= 0) {
            server_close(rr, sd, n == 0 && s == S_WAIT_EOF);
            return;
        }
        if (s == S_WAIT_REQ) {
            if (synack_send(b, sd, &one_byte, 1) != 1) {
                server_close(rr, sd, false);
                return;
            }
            if (rr->mode == RR_SERVER_CLOSE) {
                server_close(rr, sd, true);
                return;
            }
            rr->sst[sd] = S_WAIT_EOF;
        }
    }
}

static void server_accept(bench_rr *rr, int lsd)
{
    synack_stack *b = rr->p->b;
    synack_endpoint peer;
    int sd;
    while ((sd = synack_accept(b, lsd, &peer)) >= 0) {
        if ((uint32_t)sd >= rr->smax) { /* cannot happen: descriptors are below max_sockets */
            synack_close(b, sd);
            continue;
        }
        if (rr->mode == RR_HOLD) {
            rr->sst[sd] = S_HELD;
            rr->server_held++;
            continue;
        }
        rr->sst[sd] = S_WAIT_REQ;
        server_read(rr, sd);
    }
}

static void client_connected(bench_rr *rr, int sd)
{
    if (rr->cst[sd] != C_CONNECTING) return;
    if (rr->mode == RR_HOLD) {
        rr->cst[sd] = C_HELD;
        rr->held++;
        return;
    }
    if (synack_send(rr->p->a, sd, &one_byte, 1) != 1) {
        client_close(rr, sd, false);
        return;
    }
    rr->cst[sd] = C_WAIT_RESP;
    client_read(rr, sd);
}

static bool is_listener(const bench_rr *rr, int sd)
{
    for (int i = 0; i < rr->nports; i++)
        if (rr->listeners[i] == sd) return true;
    return false;
}

static void drain_events(bench_rr *rr)
{
    synack_event ev;
    while (synack_event_next(rr->p->a, &ev)) {
        if (rr->on_event) rr->on_event(rr->ctx, true, &ev);
        int sd = ev.socket;
        if (sd < 0 || (uint32_t)sd >= rr->cmax) continue;
        switch (ev.type) {
        case SYNACK_EV_CONNECTED: client_connected(rr, sd); break;
        case SYNACK_EV_READABLE: client_read(rr, sd); break;
        case SYNACK_EV_ERROR:
            if (rr->cst[sd] != S_FREE) client_close(rr, sd, false);
            break;
        default: break;
        }
    }
    while (synack_event_next(rr->p->b, &ev)) {
        if (rr->on_event) rr->on_event(rr->ctx, false, &ev);
        int sd = ev.socket;
        if (sd < 0 || (uint32_t)sd >= rr->smax) continue;
        switch (ev.type) {
        case SYNACK_EV_ACCEPTABLE:
            if (is_listener(rr, sd)) server_accept(rr, sd);
            break;
        case SYNACK_EV_READABLE: server_read(rr, sd); break;
        case SYNACK_EV_ERROR:
            if (rr->sst[sd] != S_FREE) server_close(rr, sd, false);
            break;
        default: break;
        }
    }
}

/* Events are traces and the ring drops the oldest when full: if that happened, look at every
 * descriptor once, so that a lost readiness event cannot strand a connection. */
static void sweep_if_events_lost(bench_rr *rr)
{
    uint64_t lost = synack_counter(rr->p->a, SYNACK_CNT_event_overflow) +
                    synack_counter(rr->p->b, SYNACK_CNT_event_overflow);
    if (lost == rr->ev_overflow_seen) return;
    rr->ev_overflow_seen = lost;
    for (int i = 0; i < rr->nports; i++) server_accept(rr, rr->listeners[i]);
    for (uint32_t sd = 0; sd < rr->smax; sd++)
        if (rr->sst[sd] == S_WAIT_REQ || rr->sst[sd] == S_WAIT_EOF) server_read(rr, (int)sd);
    for (uint32_t sd = 0; sd < rr->cmax; sd++) {
        if (rr->cst[sd] == C_CONNECTING) {
            int s = synack_socket_state(rr->p->a, (int)sd);
            if (s >= SYNACK_ESTABLISHED) client_connected(rr, (int)sd);
            else if (s == SYNACK_CLOSED) client_close(rr, (int)sd, false);
        } else if (rr->cst[sd] == C_WAIT_RESP || rr->cst[sd] == C_WAIT_EOF) {
            client_read(rr, (int)sd);
        }
    }
}

static void open_new(bench_rr *rr)
{
    synack_stack *a = rr->p->a;
    while (rr->outstanding < rr->target_outstanding && rr->started < rr->total &&
           (rr->window == 0 || rr->outstanding - rr->held < rr->window)) {
        int sd = synack_socket(a);
        if (sd < 0) {
            rr->open_blocked++;
            rr->last_open_err = -sd;
            return;
        }
        synack_endpoint srv = {synack_addr_v4(198, 18, 0, 2),
                               (uint16_t)(rr->port0 + rr->started % (uint64_t)rr->nports)};
        int r = synack_connect(a, sd, &srv);
        if (r != -EINPROGRESS && r != 0) {
            synack_close(a, sd);
            rr->open_blocked++;
            rr->last_open_err = -r;
            return;
        }
        rr->cst[sd] = C_CONNECTING;
        rr->outstanding++;
        rr->started++;
    }
}

size_t bench_rr_round(bench_rr *rr)
{
    bench_pair *p = rr->p;
    size_t moved = bench_pair_deliver(p);
    drain_events(rr);
    sweep_if_events_lost(rr);
    open_new(rr);
    moved += bench_pair_take(p);
    bench_pair_tick(p);
    drain_events(rr); /* timers' events (errors, TIME-WAIT expiry) */
    return moved;
}

uint64_t bench_in_state(const synack_stack *st, int state)
{
    uint64_t in = 0, out = 0;
    for (int s = 0; s < SYNACK_STATE_COUNT; s++) {
        in += synack_transition_count(st, s, state);
        out += synack_transition_count(st, state, s);
    }
    return in - out;
}
