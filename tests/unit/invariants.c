/* invariants.c (unit): the checked builds' invariants (src/core/check.h) hold on a live
 * connection and stop the process when a structure is broken: each corruption below, made in a
 * forked child, must end it with SIGABRT. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "test.h"

#include <synack/socket.h>

#ifdef SYNACK_CHECKS
static synack_stack *stack_with_conn(tcb **out)
{
    synack_config c;
    synack_config_default(&c);
    synack_stack *st = synack_stack_new(&c);
    int sd = synack_socket(st);
    synack_endpoint peer = {synack_addr_v4(198, 18, 0, 9), 80};
    CHECK_EQ(synack_connect(st, sd, &peer), -EINPROGRESS);
    *out = st->all_head; /* the only connection */
    return st;
}

/* Runs corrupt() then the checks in a child; true when the child aborted. */
static bool aborts(void (*corrupt)(synack_stack *, tcb *))
{
    pid_t pid = fork();
    if (pid == 0) {
        tcb *t;
        synack_stack *st = stack_with_conn(&t);
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
#endif
    return test_report();
}
