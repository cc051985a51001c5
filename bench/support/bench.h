/* bench.h: shared pieces of the benchmark programs (the programs under bench/): wall clock and RSS readings, a
 * two-stack harness that moves packets in-process under a fixed-step virtual clock, and a
 * request/response workload driven by the public socket API and events.
 * Benchmarks are not tests: these programs print figures (one JSON line per run); bench/run.py
 * takes medians and ratios. Nothing here may include the core's private headers. */
#ifndef SYNACK_BENCH_H
#define SYNACK_BENCH_H

#include <stdio.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>

double bench_wall_s(void);                 /* CLOCK_MONOTONIC, seconds */
long bench_status_kb(const char *field);   /* "VmRSS", "VmHWM" from /proc/self/status; -1 if absent */

/* Packets waiting on the wire: [u16 length][bytes] records. */
typedef struct bench_pktq {
    uint8_t *buf;
    size_t len, cap, count;
} bench_pktq;
void bench_pktq_push(bench_pktq *q, const uint8_t *pkt, size_t len);

/* Two stacks, client a (198.18.0.1) and server b (198.18.0.2), joined by a zero-delay wire. Each
 * round: deliver what was taken last round, let the caller's application run, take every output,
 * advance the virtual clock by step_us and run due timers. A packet addressed to neither stack
 * (a SYN-ACK to a spoofed source) is dropped and counted. */
typedef struct bench_pair {
    synack_stack *a, *b;
    synack_time_us now, step_us;
    bench_pktq to_a, to_b;
    uint64_t rounds, pkts, pkts_void;
    uint8_t scratch[65536];
} bench_pair;
/* Both configs must be filled by the caller (addresses are set here). Returns false on failure. */
bool bench_pair_init(bench_pair *p, synack_config *ca, synack_config *cb, synack_time_us step_us);
void bench_pair_free(bench_pair *p);
size_t bench_pair_deliver(bench_pair *p); /* returns packets delivered */
size_t bench_pair_take(bench_pair *p);    /* returns packets taken */
void bench_pair_tick(bench_pair *p);      /* now += step, poll both */
void bench_pair_jump(bench_pair *p, synack_time_us t); /* set the clock to t (>= now), poll both */

/* The request/response workload: open, 1-byte request, 1-byte response, close. */
enum { RR_CLIENT_CLOSE, RR_SERVER_CLOSE, RR_HOLD /* handshake only, keep both ends open */ };
typedef struct bench_rr {
    bench_pair *p;
    int mode;
    int nports;               /* listeners on ports port0 .. port0+nports-1 */
    uint16_t port0;
    int *listeners;
    uint8_t *cst, *sst;       /* per descriptor state, client and server */
    uint32_t cmax, smax;
    uint32_t target_outstanding;
    uint32_t window;          /* RR_HOLD: handshakes in progress at once (0 = no limit) */
    uint64_t total;           /* connections to start */
    uint64_t started, completed, failed, held, server_held, server_done;
    uint32_t outstanding;     /* client descriptors open */
    uint64_t open_blocked;    /* rounds where socket()/connect() refused a new connection */
    int last_open_err;
    uint64_t ev_overflow_seen;
    /* Optional per-event hook (figure 3 watches TIME-WAIT -> CLOSED on the client). */
    void (*on_event)(void *ctx, bool client, const synack_event *ev);
    void *ctx;
} bench_rr;
bool bench_rr_init(bench_rr *rr, bench_pair *p, int mode, int nports, uint64_t total,
                   uint32_t outstanding);
void bench_rr_free(bench_rr *rr);
/* One round of the pair with the workload's application in it. Returns packets moved. */
size_t bench_rr_round(bench_rr *rr);
/* Connections in a state, counted by the stack's transition counters (O(states)). */
uint64_t bench_in_state(const synack_stack *st, int state);

#endif
