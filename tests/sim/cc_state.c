/* cc_state.c (sim): per-connection memory that only senders pay for. The congestion control
 * algorithm's private state (cc_conn.priv, tcp/cc_state.c) is attached when a connection first
 * has data to send, not at ESTABLISHED; it goes back at TIME-WAIT, CLOSED and free; without it
 * (never sent, or the pool had no block) the connection runs NewReno without private state, and
 * the next send tries the pool again. The TCB's size is pinned (tcb.h's layout). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include <synack/conn.h>

#include "duo.h"
#include "stack_impl.h"
#include "test.h"

/* The size the layout of tcb.h reached (LP64): 736 bytes, from 920 before the algorithm's state
 * left the TCB (-120), holes were removed (-24), keepalive/user-timeout durations went to 32-bit
 * milliseconds (-15), the listener's accept queue shared its bytes with the rate state (-32) and
 * the rarely-set flags became bits (-14); the netstat -e counters (ce_rcvd, tlp_total,
 * undo_total, cc_phase_seen: +9) came in meanwhile, and RACK's count of retransmissions lost
 * again (relost_bytes, relost_from: +8). A TCB that grows must come with a reason
 * (and this number). */
#if UINTPTR_MAX == UINT64_MAX
static_assert(sizeof(tcb) <= 736, "tcb grew past 736 bytes: see tcb.h's layout note");
static_assert(sizeof(cc_conn) <= 40, "cc_conn holds a pointer to the algorithm's state, not the state");
#endif

static tcb *tcb_of_sd(synack_stack *st, int sd)
{
    for (tcb *t = st->all_head; t; t = t->all_next)
        if (t->sd == sd) return t;
    return NULL;
}

/* Sends len bytes from csd and reads them all at ssd. */
static void transfer(duo *d, synack_stack *from, int fsd, synack_stack *to, int tsd, size_t len)
{
    static uint8_t buf[65536];
    size_t sent = 0, got = 0;
    for (int round = 0; round < 10000 && got < len; round++) {
        if (sent < len) {
            size_t n = len - sent < sizeof buf ? len - sent : sizeof buf;
            long r = synack_send(from, fsd, buf, n);
            if (r > 0) sent += (size_t)r;
            else CHECK(r == -EAGAIN);
        }
        duo_advance(d, SYNACK_MS(1));
        long r;
        while ((r = synack_recv(to, tsd, buf, sizeof buf)) > 0) got += (size_t)r;
    }
    CHECK_EQ(got, len);
}

static const char *phase_of(synack_stack *st, tcb *t)
{
    synack_conn_info ci;
    synack_conn_info_get(st, (const synack_conn *)(const void *)t, &ci);
    return ci.cc_phase;
}

/* An idle connection holds no state; the sender gets it on its first send, the receiver never;
 * both give it back when the connection ends. */
static void attached_on_first_send_released_on_close(void)
{
    duo d;
    duo_open(&d, NULL, NULL);
    int lsd = duo_listen(&d, 80), csd = -1;
    int ssd = duo_connect(&d, lsd, 80, 0, &csd);
    CHECK(ssd >= 0 && csd >= 0);
    tcb *ct = tcb_of_sd(d.c, csd), *sv = tcb_of_sd(d.s, ssd);
    CHECK(ct && sv);
    if (!ct || !sv) return;
    CHECK(ct->cc_ready && sv->cc_ready);
    CHECK(ct->cc.priv == NULL && sv->cc.priv == NULL);
    CHECK_EQ(d.c->cc_state_slab.in_use, 0u);
    /* Idle: the phase its algorithm (CUBIC) starts in. */
    CHECK_STR(phase_of(d.c, ct), "slow-start");

    transfer(&d, d.c, csd, d.s, ssd, 200000);
    CHECK(ct->cc.priv != NULL);
    CHECK_EQ(d.c->cc_state_slab.in_use, 1u);
    CHECK(sv->cc.priv == NULL); /* receive-only: it ACKs, the algorithm never runs */
    CHECK_EQ(d.s->cc_state_slab.in_use, 0u);
    CHECK(ct->cc.cwnd > 10 * tcp_data_mss(ct)); /* CUBIC grew the window in slow start */
    printf("  sender cwnd %u after 200,000 bytes; receiver holds no state\n", ct->cc.cwnd);

    transfer(&d, d.s, ssd, d.c, csd, 5000); /* the answer: the server becomes a sender */
    CHECK(sv->cc.priv != NULL);
    CHECK_EQ(d.s->cc_state_slab.in_use, 1u);

    /* The client closes first: TIME-WAIT (socket still open) gives the block back; the server's
     * LAST-ACK -> CLOSED does. */
    CHECK_EQ(synack_shutdown(d.c, csd, 2), 0);
    duo_pump(&d);
    CHECK_EQ(synack_close(d.s, ssd), 0);
    duo_advance(&d, SYNACK_MS(10));
    CHECK_EQ(ct->state, SYNACK_TIME_WAIT);
    CHECK(ct->cc.priv == NULL);
    CHECK_EQ(d.c->cc_state_slab.in_use, 0u);
    CHECK_EQ(d.s->cc_state_slab.in_use, 0u);
    synack_close(d.c, csd);
    synack_close(d.s, lsd);
    duo_free(&d);
}

/* An allocator that refuses the next slab chunk (a 64 KiB-aligned request) when armed. */
typedef struct refuser {
    bool armed;
    long refused;
} refuser;

static void *ref_alloc(void *ctx, size_t align, size_t size)
{
    refuser *r = ctx;
    if (r->armed && align >= 4096) {
        r->armed = false;
        r->refused++;
        return NULL;
    }
    return align > 16 ? aligned_alloc(align, (size + align - 1) & ~(align - 1)) : malloc(size);
}

static void ref_release(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* No block for the state: the send goes on under NewReno without private state (its window
 * still grows), counted; the next send that finds memory attaches the state and starts the
 * chosen algorithm with the window as it is. */
static void exhausted_pool_falls_back_to_stateless_newreno(void)
{
    refuser rf = {0};
    synack_config cc;
    synack_config_default(&cc);
    cc.allocator = (synack_allocator){ref_alloc, ref_release, &rf};
    duo d;
    duo_open(&d, &cc, NULL);
    int lsd = duo_listen(&d, 80), csd = -1;
    int ssd = duo_connect(&d, lsd, 80, 0, &csd);
    CHECK(ssd >= 0 && csd >= 0);
    tcb *ct = tcb_of_sd(d.c, csd);
    CHECK(ct != NULL);
    if (!ct) return;
    CHECK_EQ(d.c->cc_state_slab.chunks, 0u); /* nobody sent yet: the pool has no chunk */

    /* The first chunk request of this send is the pool's (attach comes before the ring). */
    rf.armed = true;
    static uint8_t buf[4000];
    long r = synack_send(d.c, csd, buf, sizeof buf);
    CHECK_EQ(r, (long)sizeof buf);
    CHECK_EQ(rf.refused, 1);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_cc_state_nomem), 1u);
    CHECK(ct->cc.priv == NULL);
    CHECK(cc_ops_of(&ct->cc) == &cc_newreno_stateless);
    uint32_t iw = ct->cc.cwnd;
    duo_pump(&d);
    long n;
    while ((n = synack_recv(d.s, ssd, buf, sizeof buf)) > 0) {}
    CHECK(ct->cc.cwnd > iw); /* slow start ran without private state */
    CHECK(ct->cc.priv == NULL);

    /* Memory again: the next send attaches the state; CUBIC takes over the window. */
    uint32_t before = ct->cc.cwnd;
    CHECK(synack_send(d.c, csd, buf, sizeof buf) > 0);
    CHECK(ct->cc.priv != NULL);
    CHECK(cc_ops_of(&ct->cc) == &cc_cubic);
    CHECK_EQ(ct->cc.cwnd, before);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_cc_state_nomem), 1u);
    duo_pump(&d);
    while ((n = synack_recv(d.s, ssd, buf, sizeof buf)) > 0) {}
    transfer(&d, d.c, csd, d.s, ssd, 100000);
    CHECK(ct->cc.cwnd > before); /* CUBIC goes on growing it */
    synack_close(d.c, csd);
    synack_close(d.s, ssd);
    synack_close(d.s, lsd);
    duo_advance(&d, SYNACK_SEC(1));
    duo_free(&d);
}

/* The stateless NewReno: RFC 5681 (3) in congestion avoidance, NewReno's loss response. */
static void stateless_newreno_by_rfc5681(void)
{
    cc_conn c = {0};
    c.mss = 1000;
    c.cwnd = 10000;
    c.ssthresh = 5000;
    const cc_ops *ops = cc_ops_of(&c);
    CHECK(ops == &cc_newreno_stateless);
    ops->init(&c, 0);
    cc_ack a = {0};
    a.acked = 1000;
    ops->on_ack(&c, &a);
    CHECK_EQ(c.cwnd, 10000u + 1000u * 1000u / 10000u); /* cwnd += SMSS*SMSS/cwnd */
    a.app_limited = true;
    ops->on_ack(&c, &a);
    CHECK_EQ(c.cwnd, 10100u); /* no growth while application-limited (RFC 7661) */
    a.prior_in_flight = 8000;
    ops->on_congestion(&c, CC_EV_LOSS, false, &a);
    CHECK_EQ(c.ssthresh, 4000u);
    CHECK_EQ(c.cwnd, 4000u);
    ops->on_congestion(&c, CC_EV_RTO, true, &a);
    CHECK_EQ(c.cwnd, 1000u);
    c.ssthresh = 8000;
    a.app_limited = false;
    ops->on_ack(&c, &a);
    CHECK_EQ(c.cwnd, 2000u); /* slow start below ssthresh */
    CHECK_STR(ops->phase(&c), "slow-start");
}

int main(void)
{
    RUN(attached_on_first_send_released_on_close);
    RUN(exhausted_pool_falls_back_to_stateless_newreno);
    RUN(stateless_newreno_by_rfc5681);
    return test_report();
}
