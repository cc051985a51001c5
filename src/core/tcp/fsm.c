/* fsm.c: the state machine as data. The legal-next table is RFC 9293 Figure 5 with its notes;
 * tcp_set_state() is the only place a state changes: it checks the table, runs entry actions,
 * counts the transition and queues a traced event with its cause. */
#include <string.h>

#include "stack_impl.h"

#define S(x) SYNACK_##x
/* legal[from][to]. Beyond Figure 5's arrows (RFC 9293 3.3.2):
 *  - note 1: SYN-RECEIVED -> LISTEN on RST (or SYN) after a passive open;
 *  - note 2: FIN-WAIT-1 -> TIME-WAIT when the FIN arrives with the ACK of ours;
 *  - note 3: RST received (or ABORT) in any state ends in CLOSED (or LISTEN, note 1);
 *  - timeouts: SYN-SENT/SYN-RECEIVED (connection establishment), any synchronized state (R2 /
 *    user timeout / keepalive) and FIN-WAIT-2 (the 10-minute reaper, a BSD tradition) -> CLOSED;
 *  - SYN-RECEIVED -> CLOSE-WAIT when a FIN arrives (3.10.7.4, eighth step). */
static const bool legal[SYNACK_STATE_COUNT][SYNACK_STATE_COUNT] = {
    [S(CLOSED)] = {[S(LISTEN)] = 1, [S(SYN_SENT)] = 1},
    [S(LISTEN)] = {[S(SYN_RECEIVED)] = 1, [S(SYN_SENT)] = 1, [S(CLOSED)] = 1},
    [S(SYN_SENT)] = {[S(SYN_RECEIVED)] = 1, [S(ESTABLISHED)] = 1, [S(CLOSED)] = 1},
    [S(SYN_RECEIVED)] = {[S(ESTABLISHED)] = 1, [S(FIN_WAIT_1)] = 1, [S(LISTEN)] = 1,
                         [S(CLOSE_WAIT)] = 1, [S(CLOSED)] = 1},
    [S(ESTABLISHED)] = {[S(FIN_WAIT_1)] = 1, [S(CLOSE_WAIT)] = 1, [S(CLOSED)] = 1},
    [S(CLOSE_WAIT)] = {[S(LAST_ACK)] = 1, [S(CLOSED)] = 1},
    [S(FIN_WAIT_1)] = {[S(FIN_WAIT_2)] = 1, [S(CLOSING)] = 1, [S(TIME_WAIT)] = 1, [S(CLOSED)] = 1},
    [S(CLOSING)] = {[S(TIME_WAIT)] = 1, [S(CLOSED)] = 1},
    [S(LAST_ACK)] = {[S(CLOSED)] = 1},
    [S(FIN_WAIT_2)] = {[S(TIME_WAIT)] = 1, [S(CLOSED)] = 1},
    [S(TIME_WAIT)] = {[S(CLOSED)] = 1},
};

bool tcp_transition_legal(int from, int to)
{
    return from >= 0 && from < SYNACK_STATE_COUNT && to >= 0 && to < SYNACK_STATE_COUNT &&
           legal[from][to];
}

/* Entry actions: what every arrival in a state implies, whatever the cause. */
static void enter_state(synack_stack *st, tcb *t, int from)
{
    switch (t->state) {
    case S(ESTABLISHED):
        tcp_timer_cancel(st, t, SYNACK_TIMER_CONN_EST);
        tcp_keepalive_reset(st, t);
        break;
    case S(CLOSE_WAIT):
        tcp_timer_cancel(st, t, SYNACK_TIMER_CONN_EST);
        break;
    case S(FIN_WAIT_2):
        /* BSD: reap FIN-WAIT-2 only when the application can no longer receive (it closed). */
        if (t->user_closed && st->cfg.fin_wait_2_timeout_us)
            tcp_timer_arm(st, t, SYNACK_TIMER_FIN_WAIT_2, st->now + st->cfg.fin_wait_2_timeout_us);
        break;
    case S(TIME_WAIT):
        /* RFC 9293 3.10.7.4: "turn off the other timers" and wait 2*MSL. The buffers are no
         * longer needed once the application holds no unread data: keep TIME-WAIT small. */
        tcp_timer_cancel_all(st, t);
        tcp_timer_arm(st, t, SYNACK_TIMER_TIME_WAIT, st->now + 2 * st->cfg.msl_us);
        if (t->sd < 0 || t->rcvbuf.len == 0) tcp_buffers_free(st, t);
        tcp_cc_release(st, t); /* all we sent is acknowledged: the algorithm has no more work */
        break;
    case S(CLOSED):
        tcp_timer_cancel_all(st, t);
        tcp_cc_release(st, t);
        break;
    default:
        break;
    }
    (void)from;
}

void tcp_set_state(synack_stack *st, tcb *t, int to, synack_cause cause)
{
    int from = t->state;
    if (from == to) return;
    /* state_since_ms is the low 32 bits of the stack's milliseconds: the difference is right
     * for any stay shorter than 49 days, whatever the clock's origin. */
    uint32_t now_ms = (uint32_t)(st->now / 1000), stay_ms = now_ms - t->state_since_ms;
    synack_time_us since = (synack_time_us)stay_ms * 1000u <= st->now ? st->now - (synack_time_us)stay_ms * 1000u : 0;
    t->state = (uint8_t)to;
    t->state_since_ms = now_ms;
    stack_note_transition(st, t->id, t->sd, &t->local, &t->remote, from, to, cause, since);
    enter_state(st, t, from);
}
