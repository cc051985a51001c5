/* invariants.c (unit): the checked builds' invariants (src/core/check.h) hold on a live
 * connection and stop the process when a structure is broken: each corruption below, made in a
 * forked child, must end it with SIGABRT. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fuzz/fuzz_common.h"
#include "check.h"
#include "ip/reass_impl.h"
#include "test.h"

#include <synack/socket.h>

#ifdef SYNACK_CHECKS
static synack_stack *stack_with_conn(tcb **out)
{
    synack_config c;
    fz_config(&c); /* both addresses: the fragments below are for us */
    synack_stack *st = synack_stack_new(&c);
    int sd = synack_socket(st);
    synack_endpoint peer = {synack_addr_v4(198, 18, 0, 9), 80};
    CHECK_EQ(synack_connect(st, sd, &peer), -EINPROGRESS);
    *out = st->all_head; /* the only connection */
    return st;
}

static void frag_in(synack_stack *st, bool v6, uint32_t peer, uint32_t id, uint32_t off, uint32_t len)
{
    static uint8_t payload[256], pkt[512];
    uint8_t src[16];
    fz_peer_addr(src, v6, peer);
    size_t n = fz_frag(pkt, sizeof pkt, v6, src, 200 /* no transport header to check */, id, payload,
                       sizeof payload, off, len, true, false);
    synack_input(st, SYNACK_SEC(1), pkt, n);
}

/* Fragments held: IPv4 datagram 1 at [0, 16) and [32, 48), datagram 2 at [8, 24), both from
 * peer 0; IPv6 datagram 3 at [64, 80) from peer 1. */
static void hold_fragments(synack_stack *st)
{
    frag_in(st, false, 0, 1, 0, 16);
    frag_in(st, false, 0, 1, 32, 16);
    frag_in(st, false, 0, 2, 8, 16);
    frag_in(st, true, 1, 3, 64, 16);
    synack_mem_info m;
    synack_mem_get(st, &m);
    if (m.reass_datagrams != 3) _exit(3); /* not the structure the corruptions expect */
}

/* Runs corrupt() then the checks in a child; true when the child aborted. */
static bool aborts(void (*corrupt)(synack_stack *, tcb *))
{
    pid_t pid = fork();
    if (pid == 0) {
        tcb *t;
        synack_stack *st = stack_with_conn(&t);
        hold_fragments(st);
        stack_check(st); /* intact: must pass */
        corrupt(st, t);
        tcb_check(st, t);
        stack_check(st);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void none(synack_stack *st, tcb *t) { (void)st, (void)t; }
static void snd_nxt_behind(synack_stack *st, tcb *t) { (void)st, t->snd_nxt = t->snd_una - 1; }
static void deadline_stale(synack_stack *st, tcb *t) { (void)st, t->next_deadline += 1; }
static void heap_lost(synack_stack *st, tcb *t) { (void)st, t->heap_idx = UINT32_MAX; } /* armed, not in the heap */
static void ring_overfull(synack_stack *st, tcb *t) { (void)st, t->bufs_on = true, t->sndbuf.len = t->sndbuf.limit + 1; }
static void illegal_count(synack_stack *st, tcb *t) { (void)t, st->counters[SYNACK_CNT_tcp_illegal_transition] = 1; }

/* The reassembly queue. */
static reass_dgram *first4(synack_stack *st) { return st->reass.head[REASS_FAM4]; }
static void frags_unsorted(synack_stack *st, tcb *t)
{
    (void)t;
    reass_dgram *d = first4(st); /* [0,16) [32,48) listed as [32,48) [0,16) */
    reass_frag *a = d->frags, *b = a->next;
    d->frags = b, b->next = a, a->next = NULL, d->tail = a;
}
static void frags_overlap(synack_stack *st, tcb *t) { (void)t, first4(st)->frags->next->off = 8; }
static void frag_count_wrong(synack_stack *st, tcb *t) { (void)t, first4(st)->nfrags++; }
static void have_wrong(synack_stack *st, tcb *t) { (void)t, first4(st)->have += 8; }
static void frag_beyond_end(synack_stack *st, tcb *t)
{
    (void)t;
    first4(st)->have_last = true, first4(st)->end = 40; /* [32, 48) reaches past it */
}
static void stack_bytes_wrong(synack_stack *st, tcb *t) { (void)t, st->reass.bytes += 1; }
static void source_bytes_moved(synack_stack *st, tcb *t)
{
    (void)t; /* the totals still agree, the per-source ones do not */
    first4(st)->src_rec->bytes -= 8;
    st->reass.head[REASS_FAM6]->src_rec->bytes += 8;
}
static void source_count_wrong(synack_stack *st, tcb *t) { (void)t, first4(st)->src_rec->datagrams++; }
static void fifo_link_broken(synack_stack *st, tcb *t) { (void)t, first4(st)->fnext->fprev = NULL; }
static void fifo_out_of_order(synack_stack *st, tcb *t)
{
    (void)t; /* the second datagram's timeout before the first's */
    first4(st)->fnext->created -= 1, first4(st)->fnext->deadline -= 1;
}
static void deadline_not_timeout(synack_stack *st, tcb *t) { (void)t, first4(st)->deadline += 1; }
static void hash_link_broken(synack_stack *st, tcb *t) { (void)t, first4(st)->hpprev = &first4(st)->hnext; }
static void dead_slot_holds(synack_stack *st, tcb *t) { (void)t, first4(st)->state = R_DEAD; }
static void slot_leaked(synack_stack *st, tcb *t) { (void)t, st->reass.free = st->reass.free->hnext; }
static void wrong_family_fifo(synack_stack *st, tcb *t) { (void)t, st->reass.head[REASS_FAM6]->fam = REASS_FAM4; }

static void broken_reassembly_aborts(void)
{
    CHECK(!aborts(none));
    CHECK(aborts(frags_unsorted));
    CHECK(aborts(frags_overlap));
    CHECK(aborts(frag_count_wrong));
    CHECK(aborts(have_wrong));
    CHECK(aborts(frag_beyond_end));
    CHECK(aborts(stack_bytes_wrong));
    CHECK(aborts(source_bytes_moved));
    CHECK(aborts(source_count_wrong));
    CHECK(aborts(fifo_link_broken));
    CHECK(aborts(fifo_out_of_order));
    CHECK(aborts(deadline_not_timeout));
    CHECK(aborts(hash_link_broken));
    CHECK(aborts(dead_slot_holds));
    CHECK(aborts(slot_leaked));
    CHECK(aborts(wrong_family_fifo));
}

static void broken_structures_abort(void)
{
    CHECK(!aborts(none));
    CHECK(aborts(snd_nxt_behind));
    CHECK(aborts(deadline_stale));
    CHECK(aborts(heap_lost));
    CHECK(aborts(ring_overfull));
    CHECK(aborts(illegal_count));
}
#endif

int main(void)
{
#ifdef SYNACK_CHECKS
    RUN(broken_structures_abort);
    RUN(broken_reassembly_aborts);
#endif
    return test_report();
}
