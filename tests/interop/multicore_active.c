/* multicore_active.c: active opens from every queue of a multi-queue TUN device. N stacks on N
 * threads, each brought up by the tools' net_start on its queue (which sets the stack's port
 * predicate, synack_tun_queue_port_ok), each opens K connections to a kernel echo server, sends
 * BYTES of its own pattern, half-closes and checks the echo byte-exact. Replies to a port chosen
 * for another queue would reach a stack without that connection: it would count tcp_no_conn and
 * answer with a RST. So: every connection byte-exact, every local port on its own queue, every
 * queue received packets, and no stack counted a segment for no connection.
 *
 *   multicore_active DEV QUEUES CONNS BYTES HOST PORT [--wrong-queue]
 *
 * --wrong-queue binds each connection to a port of the next queue instead (an explicit port:
 * the predicate is not asked): the negative control, which must fail those checks. Bounded: 30 s
 * (3 s for the control).
 * Prints one line per queue; exit 0 when every check holds, 1 otherwise. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/tun.h>

#include "control.h"

#define MAX_QUEUES 8
#define MAX_CONNS 64
#define LIMIT_US SYNACK_SEC(30)

typedef struct conn {
    int sd;
    uint16_t lport;
    size_t sent, got;
    bool shut, done, failed;
} conn;

typedef struct core {
    net_runtime rt;
    unsigned q, nq, nconns;
    size_t bytes;
    synack_endpoint remote;
    bool wrong_queue, started;
    synack_time_us deadline;
    conn c[MAX_CONNS];
    unsigned done, failed, wrong_port;
    uint8_t buf[65536];
} core;

/* The byte at offset i of connection k of queue q: different per connection and position. */
static uint8_t pattern(unsigned q, unsigned k, size_t i)
{
    return (uint8_t)(i * 131u + (i >> 9) + q * 71u + k * 13u);
}

/* A port of queue `want` for the remote port, from the top of the ephemeral range down. */
static uint16_t port_on_queue(unsigned want, unsigned nq, uint16_t rport, unsigned k)
{
    unsigned skip = k;
    for (uint32_t p = 60999; p >= 32768; p--)
        if (synack_tun_port_queue((uint16_t)p, rport, nq) == want && !skip--) return (uint16_t)p;
    return 0;
}

static void open_all(core *co)
{
    synack_stack *st = co->rt.st;
    for (unsigned k = 0; k < co->nconns; k++) {
        conn *c = &co->c[k];
        c->sd = synack_socket(st);
        if (c->sd < 0) {
            c->failed = true;
            continue;
        }
        if (co->wrong_queue) {
            synack_endpoint any = {synack_addr_v4(0, 0, 0, 0),
                                   port_on_queue((co->q + 1) % co->nq, co->nq, co->remote.port, k)};
            synack_bind(st, c->sd, &any);
        }
        int r = synack_connect(st, c->sd, &co->remote);
        synack_endpoint le;
        if ((r < 0 && r != -EINPROGRESS) || synack_getsockname(st, c->sd, &le) < 0) {
            fprintf(stderr, "queue %u conn %u: connect: %s\n", co->q, k, strerror(-r));
            c->failed = true;
            continue;
        }
        c->lport = le.port;
        if (synack_tun_port_queue(le.port, co->remote.port, co->nq) != co->q) co->wrong_port++;
    }
}

/* One connection's progress; true once it is finished (done or failed). */
static bool step(core *co, unsigned k)
{
    conn *c = &co->c[k];
    synack_stack *st = co->rt.st;
    if (c->done || c->failed) return true;
    int ev = synack_poll_socket(st, c->sd);
    if (ev & SYNACK_POLLERR) {
        int e = 0;
        size_t elen = sizeof e;
        synack_getsockopt(st, c->sd, SYNACK_SO_ERROR, &e, &elen);
        fprintf(stderr, "queue %u conn %u (port %u): %s\n", co->q, k, c->lport, strerror(e));
        c->failed = true;
        synack_close(st, c->sd);
        return true;
    }
    if (!(ev & SYNACK_POLLOUT) && !c->sent) return false; /* not established yet */
    while (c->sent < co->bytes) {
        uint8_t out[4096];
        size_t n = co->bytes - c->sent < sizeof out ? co->bytes - c->sent : sizeof out;
        for (size_t i = 0; i < n; i++) out[i] = pattern(co->q, k, c->sent + i);
        ssize_t w = synack_send(st, c->sd, out, n);
        if (w <= 0) break;
        c->sent += (size_t)w;
    }
    if (c->sent == co->bytes && !c->shut) {
        synack_shutdown(st, c->sd, SYNACK_SHUT_WR);
        c->shut = true;
    }
    for (;;) {
        ssize_t n = synack_recv(st, c->sd, co->buf, sizeof co->buf);
        if (n == -EAGAIN) return false;
        if (n < 0 || (n == 0 && c->got != co->bytes)) {
            fprintf(stderr, "queue %u conn %u: %zu of %zu bytes echoed (%s)\n", co->q, k, c->got,
                    co->bytes, n < 0 ? strerror((int)-n) : "early EOF");
            c->failed = true;
            synack_close(st, c->sd);
            return true;
        }
        if (n == 0) {
            c->done = true;
            synack_close(st, c->sd);
            return true;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (co->buf[i] != pattern(co->q, k, c->got + (size_t)i)) {
                fprintf(stderr, "queue %u conn %u: byte %zu differs\n", co->q, k, c->got + (size_t)i);
                c->failed = true;
                synack_abort(st, c->sd);
                return true;
            }
        }
        c->got += (size_t)n;
    }
}

static void app(synack_loop *lp, void *ctx)
{
    core *co = ctx;
    synack_time_us now = synack_loop_now(lp);
    if (!co->started) {
        co->started = true;
        /* The negative control needs only the first misdirected replies. */
        co->deadline = now + (co->wrong_queue ? SYNACK_SEC(3) : LIMIT_US);
        open_all(co);
    }
    unsigned finished = 0;
    co->done = co->failed = 0;
    for (unsigned k = 0; k < co->nconns; k++) {
        finished += step(co, k);
        co->done += co->c[k].done;
        co->failed += co->c[k].failed;
    }
    if (finished == co->nconns) synack_loop_stop(lp, 0);
    else if (now >= co->deadline) synack_loop_stop(lp, 1);
    else synack_loop_wake_at(lp, co->deadline);
}

static void *run(void *arg)
{
    core *co = arg;
    return (void *)(intptr_t)synack_loop_run(co->rt.lp);
}

int main(int argc, char **argv)
{
    if (argc < 7 || argc > 8 || (argc == 8 && strcmp(argv[7], "--wrong-queue"))) {
        fprintf(stderr, "usage: %s DEV QUEUES CONNS BYTES HOST PORT [--wrong-queue]\n", argv[0]);
        return 2;
    }
    unsigned nq = (unsigned)atoi(argv[2]), nconns = (unsigned)atoi(argv[3]);
    size_t bytes = (size_t)atol(argv[4]);
    synack_endpoint remote = {.port = (uint16_t)atoi(argv[6])};
    if (nq < 2 || nq > MAX_QUEUES || nconns < 1 || nconns > MAX_CONNS || !bytes ||
        !net_addr_parse(argv[5], &remote.addr) || !remote.port) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    static core cores[MAX_QUEUES];
    pthread_t th[MAX_QUEUES];
    int rc = 0;
    unsigned up = 0;
    for (unsigned q = 0; q < nq && !rc; q++) {
        core *co = &cores[q];
        net_opts o;
        net_opts_init(&o, "multicore_active");
        o.dev = argv[1];
        o.no_create = true;
        o.offload = -1;
        o.queue = q;
        o.queues = nq;
        net_addr_parse("198.18.0.2", &o.addr);
        co->q = q;
        co->nq = nq;
        co->nconns = nconns;
        co->bytes = bytes;
        co->remote = remote;
        co->wrong_queue = argc == 8;
        if ((rc = net_start(&o, NULL, &co->rt))) break;
        synack_loop_set_app(co->rt.lp, app, co);
        up++;
    }
    unsigned running = 0;
    for (unsigned q = 0; q < up && !rc; q++, running++)
        if (pthread_create(&th[q], NULL, run, &cores[q])) rc = 1;
    for (unsigned q = 0; q < running; q++) {
        void *ret;
        pthread_join(th[q], &ret);
        if ((intptr_t)ret != 0) rc = 1;
        synack_loop_flush(cores[q].rt.lp); /* the last ACKs */
    }
    for (unsigned q = 0; q < up; q++) {
        core *co = &cores[q];
        synack_loop_stats s;
        synack_loop_get_stats(co->rt.lp, &s);
        uint64_t no_conn = synack_counter(co->rt.st, SYNACK_CNT_tcp_no_conn);
        uint64_t rst_out = synack_counter(co->rt.st, SYNACK_CNT_tcp_rst_out);
        printf("queue %u: %u connections, %u byte-exact, %u failed, %u ports of another queue, "
               "%llu packets in, %llu out, %llu segments for no connection, %llu RSTs sent\n",
               q, co->nconns, co->done, co->failed, co->wrong_port, (unsigned long long)s.pkts_in,
               (unsigned long long)s.pkts_out, (unsigned long long)no_conn, (unsigned long long)rst_out);
        if (co->done != co->nconns || co->wrong_port || no_conn || rst_out || !s.pkts_in) rc = 1;
        net_stop(&co->rt);
    }
    fflush(stdout);
    return rc;
}
