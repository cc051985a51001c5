/* ladder_states.c (unit): the ladder's inferred states against the stacks' own. Two synack
 * stacks on the simulated link (10 ms each way) play the canonical scenarios; every segment on
 * the link goes to the ladder model, every state event of each side's connection is recorded;
 * the sequence of states the ladder infers for each side must be the one the stack went
 * through (issue 10: "states inferred as RFC 9293 3.3.2 defines the transitions"). Each run
 * stops before any timer could end a state unseen (TIME-WAIT's 2*MSL). */
#include "test.h"

#include <errno.h>
#include <stdlib.h>

#include <synack/event.h>
#include <synack/sim.h>
#include <synack/socket.h>
#include <synack/stack.h>

#include "ladder_cli.h"
#include "ladder_model.h"

#define MAXSEQ 16

typedef struct run {
    synack_stack *st[2];
    synack_sim *sim;
    seg_vec segs;
    int seq[2][MAXSEQ]; /* states each side went through, from its first */
    int n[2];
} run;

static void tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    (void)from, (void)to;
    tcp_seg s;
    const char *why;
    if (what == SYNACK_TAP_SENT && tcp_seg_decode(pkt, len, t, &s, &why)) seg_vec_push(&((run *)ctx)->segs, &s);
}

static void note(run *r, int side, int state)
{
    if (r->n[side] && r->seq[side][r->n[side] - 1] == state) return;
    if (r->n[side] < MAXSEQ) r->seq[side][r->n[side]++] = state;
}

/* Drains both stacks' events: state changes of connections (not of listening sockets). */
static void drain(run *r)
{
    for (int k = 0; k < 2; k++) {
        synack_event ev;
        while (synack_event_next(r->st[k], &ev)) {
            if (ev.type != SYNACK_EV_STATE || ev.remote.port == 0) continue;
            note(r, k, ev.from);
            note(r, k, ev.to);
        }
    }
}

static void advance(run *r, synack_time_us dt)
{
    synack_time_us until = synack_sim_now(r->sim) + dt;
    synack_sim_flush(r->sim);
    drain(r);
    while (synack_sim_step(r->sim, until)) drain(r);
    drain(r);
}

static void setup(run *r)
{
    memset(r, 0, sizeof *r);
    for (int k = 0; k < 2; k++) {
        synack_config c;
        synack_config_default(&c);
        c.addr = synack_addr_v4(198, 18, 0, (uint8_t)(1 + k));
        c.seed = 77 + (uint64_t)k;
        r->st[k] = synack_stack_new(&c);
    }
    r->sim = synack_sim_new(5);
    synack_sim_add(r->sim, r->st[0]);
    synack_sim_add(r->sim, r->st[1]);
    synack_impair imp;
    memset(&imp, 0, sizeof imp);
    imp.delay_us = SYNACK_MS(10);
    synack_sim_impair(r->sim, 0, 1, &imp);
    synack_sim_impair(r->sim, 1, 0, &imp);
    synack_sim_set_tap(r->sim, tap, r);
}

/* Client (side 0) connects to the server's (side 1) port 80; returns the two sockets. */
static void open_passive(run *r, int *c, int *a)
{
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 80}, srv = {synack_addr_v4(198, 18, 0, 2), 80};
    int l = synack_socket(r->st[1]);
    CHECK_EQ(synack_bind(r->st[1], l, &any), 0);
    CHECK_EQ(synack_listen(r->st[1], l, 4), 0);
    *c = synack_socket(r->st[0]);
    CHECK_EQ(synack_connect(r->st[0], *c, &srv), -EINPROGRESS);
    advance(r, SYNACK_MS(100));
    synack_endpoint peer;
    *a = synack_accept(r->st[1], l, &peer);
    CHECK(*a >= 0);
    r->seq[1][0] = SYNACK_LISTEN; /* the connection was born of the listener */
    if (r->n[1] == 0) r->n[1] = 1;
}

/* The ladder's states per side (initial, then each change) against the stack's. */
static void compare(run *r, const char *what)
{
    ladder_model m;
    CHECK(ladder_model_build(&m, r->segs.v, r->segs.n));
    for (int side = 0; side < 2; side++) {
        int seq[MAXSEQ], n = 0;
        seq[n++] = m.initial[side];
        for (size_t i = 0; i < m.nrows && n < MAXSEQ; i++)
            if (m.rows[i].changed[side]) seq[n++] = m.rows[i].state[side];
        bool same = n == r->n[side];
        for (int i = 0; same && i < n; i++) same = seq[i] == r->seq[side][i];
        test_checks++;
        if (!same) {
            char a[256] = "", b[256] = "";
            for (int i = 0; i < n; i++) snprintf(a + strlen(a), sizeof a - strlen(a), " %s", synack_state_rfc_name(seq[i]));
            for (int i = 0; i < r->n[side]; i++)
                snprintf(b + strlen(b), sizeof b - strlen(b), " %s", synack_state_rfc_name(r->seq[side][i]));
            test_fail(__FILE__, __LINE__, "%s, %s side: ladder infers%s; the stack went%s", what,
                      side ? "server" : "client", a, b);
        }
    }
    ladder_model_free(&m);
    synack_sim_free(r->sim);
    synack_stack_free(r->st[0]);
    synack_stack_free(r->st[1]);
    seg_vec_free(&r->segs);
}

static void client_close(void)
{
    run r;
    int c, a;
    setup(&r);
    open_passive(&r, &c, &a);
    synack_close(r.st[0], c);
    advance(&r, SYNACK_MS(200));
    synack_close(r.st[1], a);
    advance(&r, SYNACK_SEC(1));
    compare(&r, "client close");
}

static void server_close(void)
{
    run r;
    int c, a;
    setup(&r);
    open_passive(&r, &c, &a);
    CHECK_EQ(synack_send(r.st[1], a, "bye\n", 4), 4);
    synack_close(r.st[1], a);
    advance(&r, SYNACK_MS(200));
    synack_close(r.st[0], c);
    advance(&r, SYNACK_SEC(1));
    compare(&r, "server close");
}

static void simultaneous_close(void)
{
    run r;
    int c, a;
    setup(&r);
    open_passive(&r, &c, &a);
    synack_close(r.st[0], c);
    synack_close(r.st[1], a);
    advance(&r, SYNACK_SEC(1));
    compare(&r, "simultaneous close");
}

static void abort_reset(void)
{
    run r;
    int c, a;
    setup(&r);
    open_passive(&r, &c, &a);
    synack_abort(r.st[0], c);
    advance(&r, SYNACK_SEC(1));
    compare(&r, "abort");
}

static void simultaneous_open(void)
{
    run r;
    setup(&r);
    int s[2];
    for (int k = 0; k < 2; k++) {
        synack_endpoint me = {synack_addr_v4(198, 18, 0, (uint8_t)(1 + k)), (uint16_t)(5000 + k)};
        synack_endpoint to = {synack_addr_v4(198, 18, 0, (uint8_t)(2 - k)), (uint16_t)(5001 - k)};
        s[k] = synack_socket(r.st[k]);
        CHECK_EQ(synack_bind(r.st[k], s[k], &me), 0);
        CHECK_EQ(synack_connect(r.st[k], s[k], &to), -EINPROGRESS);
    }
    advance(&r, SYNACK_MS(200));
    compare(&r, "simultaneous open");
}

int main(void)
{
    RUN(client_close);
    RUN(server_close);
    RUN(simultaneous_close);
    RUN(abort_reset);
    RUN(simultaneous_open);
    return test_report();
}
