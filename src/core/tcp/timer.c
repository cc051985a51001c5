/* timer.c: per-connection deadlines and what happens when each expires. A connection holds one
 * deadline per timer; the stack's heap holds each connection once, keyed by its earliest
 * deadline, so finding the next wake-up is O(1) and firing is O(log n). No ticks, no scans. */
#include <errno.h>

#include "stack_impl.h"

/* The connection's key in the heap: its earliest deadline. The heap moves only when the key
 * changed (or an earlier insertion found no memory). */
static void set_next(synack_stack *st, tcb *t, synack_time_us m)
{
    if (m == t->next_deadline && (m == SYNACK_TIME_NEVER || t->heap_idx != UINT32_MAX)) return;
    t->next_deadline = m;
    stack_heap_update(st, t);
}

static void recompute(synack_stack *st, tcb *t)
{
    synack_time_us m = SYNACK_TIME_NEVER;
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++)
        if (t->deadline[i] < m) m = t->deadline[i];
    set_next(st, t, m);
}

/* Called per segment and per ACK (RTO, TLP, delayed ACK): the key is recomputed only when the
 * earliest deadline may have moved later; a deadline set again to its value costs nothing. */
void tcp_timer_arm(synack_stack *st, tcb *t, int timer, synack_time_us at)
{
    synack_time_us old = t->deadline[timer];
    if (old == at) return;
    t->deadline[timer] = at;
    if (at <= t->next_deadline) set_next(st, t, at); /* the new earliest */
    else if (old == t->next_deadline) recompute(st, t); /* the earliest moved later */
}

void tcp_timer_cancel(synack_stack *st, tcb *t, int timer)
{
    synack_time_us old = t->deadline[timer];
    if (old == SYNACK_TIME_NEVER) return;
    t->deadline[timer] = SYNACK_TIME_NEVER;
    if (old == t->next_deadline) recompute(st, t);
}

void tcp_timer_cancel_all(synack_stack *st, tcb *t)
{
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++) t->deadline[i] = SYNACK_TIME_NEVER;
    recompute(st, t);
}

void tcp_rexmt_arm(synack_stack *st, tcb *t)
{
    tcp_timer_arm(st, t, SYNACK_TIMER_REXMT, st->now + tcp_rto_backed_off(st, t));
}

void tcp_keepalive_reset(synack_stack *st, tcb *t)
{
    /* Lazy, as in FreeBSD: the deadline is not moved on every segment; when it fires we look at
     * last_rcv_time and sleep again if the connection was not idle long enough. */
    if (t->keepalive && (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT))
        tcp_timer_arm(st, t, SYNACK_TIMER_KEEPALIVE, t->last_rcv_time + tcp_us_of_ms(t->keepidle_ms));
    else
        tcp_timer_cancel(st, t, SYNACK_TIMER_KEEPALIVE);
}

static void timer_event(synack_stack *st, tcb *t, int timer)
{
    stack_timer_event(st, t->id, t->sd, t->state, &t->local, &t->remote, timer);
}

/* RFC 6298 5.4-5.6 and RFC 9293 3.8.3: retransmit the earliest unacknowledged segment, back off,
 * and after too many tries give up (R2). SYNs are bounded by the establishment timer instead. */
static void on_rexmt(synack_stack *st, tcb *t)
{
    CNT(st, tcp_rto_fired);
    /* Opening: our SYN is unacknowledged, also in FIN-WAIT-1 after CLOSE in SYN-RECEIVED, where
     * a zero window must not start window probes (they would read before the send buffer). */
    bool opening = t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RECEIVED || t->snd_una == t->iss;
    if (t->rexmt_shift >= st->cfg.max_retransmits && (!opening || !st->cfg.conn_timeout_us)) {
        tcp_drop(st, t, ETIMEDOUT, cause_timer(SYNACK_TIMER_REXMT));
        return;
    }
    t->rtt_timing = false; /* Karn */
    if (!opening && t->snd_wnd == 0) {
        /* The peer shrank its window to zero under our data: that data is beyond the window
         * and its silence is no loss (SHLD-17). Probe the window instead of counting R2. */
        t->snd_nxt = t->snd_una;
        t->persist_shift = 0;
        tcp_timer_arm(st, t, SYNACK_TIMER_PERSIST, st->now + tcp_rto_backed_off(st, t));
        return;
    }
    if (t->rexmt_shift < 30) t->rexmt_shift++;
    /* RFC 5681 3.1: ssthresh is set on the first timeout of a segment and then held. */
    if (!opening) tcp_recovery_on_rto(st, t, t->rexmt_shift == 1);
    if (t->bufs_on) tcp_sack_reset(st, t); /* the peer may have reneged (RFC 2018 8) */
    t->snd_nxt = t->snd_una; /* go back: resend from the first unacknowledged octet */
    CNT(st, tcp_rexmt);
    tcp_output(st, t);
    tcp_rexmt_arm(st, t);
}

static void on_persist(synack_stack *st, tcb *t)
{
    /* RFC 9293 3.8.6.1: probe a zero window with one octet, backing off up to persist_max. */
    if (t->snd_wnd != 0) { /* the window opened but sender SWS avoidance held back: override */
        t->force_send = true;
        tcp_output(st, t);
        t->force_send = false;
        return;
    }
    /* MUST-37: keep probing as long as the peer answers; a peer that stops answering is
     * gone, as after R2 (3.8.3). The count restarts with every segment received. */
    if (t->persist_probes >= st->cfg.max_retransmits) {
        CNT(st, tcp_conn_drop_timeout);
        tcp_drop(st, t, ETIMEDOUT, cause_timer(SYNACK_TIMER_PERSIST));
        return;
    }
    t->persist_probes++;
    CNT(st, tcp_persist_probe);
    /* The probe is the next octet (or our FIN) at SND.UNA. It is not counted in flight
     * (SND.NXT stays), so when the window opens the data goes out normally; SND.MAX covers it
     * so that an ACK of it is valid if the peer had room after all. */
    bool data = t->bufs_on && t->sndbuf.len > 0;
    bool fin = t->fin_queued && t->snd_una == t->snd_buf_seq + t->sndbuf.len;
    if (!data && !fin) return; /* everything was acknowledged meanwhile */
    tcp_send_segment(st, t, t->snd_una, data ? SYNACK_ACK : SYNACK_ACK | SYNACK_FIN, data ? 1 : 0);
    if (seq_gt(t->snd_una + 1, t->snd_max)) t->snd_max = t->snd_una + 1;
    /* The user timeout covers data stuck behind a zero window too (as Linux does). */
    if (t->user_timeout_ms && !tcp_timer_armed(t, SYNACK_TIMER_USER_TIMEOUT))
        tcp_timer_arm(st, t, SYNACK_TIMER_USER_TIMEOUT, st->now + tcp_us_of_ms(t->user_timeout_ms));
    if (t->persist_shift < 30) t->persist_shift++;
    synack_time_us base = t->rto_us;
    for (int i = 0; i < t->persist_shift && base < st->cfg.persist_max_us; i++) base *= 2;
    if (base < st->cfg.persist_min_us) base = st->cfg.persist_min_us;
    if (base > st->cfg.persist_max_us) base = st->cfg.persist_max_us;
    tcp_timer_arm(st, t, SYNACK_TIMER_PERSIST, st->now + base);
}

static void on_keepalive(synack_stack *st, tcb *t)
{
    if (!t->keepalive || (t->state != SYNACK_ESTABLISHED && t->state != SYNACK_CLOSE_WAIT)) return;
    synack_time_us idle_until = t->last_rcv_time + tcp_us_of_ms(t->keepidle_ms);
    if (t->keep_probes == 0 && idle_until > st->now) {
        tcp_timer_arm(st, t, SYNACK_TIMER_KEEPALIVE, idle_until);
        return;
    }
    if (t->keep_probes >= t->keepcnt) { /* RFC 1122 4.2.3.6: the peer is gone */
        tcp_send_rst(st, t);
        tcp_drop(st, t, ETIMEDOUT, cause_timer(SYNACK_TIMER_KEEPALIVE));
        return;
    }
    /* A keepalive probe: <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data, so the peer must answer. */
    CNT(st, tcp_keepalive_probe);
    t->keep_probes++;
    tcp_send_segment(st, t, t->snd_una - 1, SYNACK_ACK, 0);
    tcp_timer_arm(st, t, SYNACK_TIMER_KEEPALIVE, st->now + tcp_us_of_ms(t->keepintvl_ms));
}

static void on_timer(synack_stack *st, tcb *t, int timer)
{
    timer_event(st, t, timer);
    switch (timer) {
    case SYNACK_TIMER_REXMT:
        /* A probe due at the same moment goes instead (RFC 8985 7.2: PTO capped at the RTO). */
        if (tcp_timer_armed(t, SYNACK_TIMER_TLP) && t->deadline[SYNACK_TIMER_TLP] <= st->now) {
            bool probe_was_out = t->rack.tlp_on;
            tcp_timer_cancel(st, t, SYNACK_TIMER_TLP);
            tcp_tlp_on_timer(st, t);
            /* Only a probe sent just now stands in for the timeout (and re-armed the timer);
             * with an earlier probe still unanswered the timeout must run, or nothing would
             * be left to retransmit the data. */
            if (!probe_was_out && t->rack.tlp_on) break;
        }
        on_rexmt(st, t);
        break;
    case SYNACK_TIMER_PERSIST:
        on_persist(st, t);
        break;
    case SYNACK_TIMER_KEEPALIVE:
        on_keepalive(st, t);
        break;
    case SYNACK_TIMER_RACK: /* RFC 8985 6.3: the reordering window of a segment passed */
        tcp_rack_on_timer(st, t);
        break;
    case SYNACK_TIMER_TLP: /* RFC 8985 7.3: no ACK for two round trips: probe the tail */
        tcp_tlp_on_timer(st, t);
        break;
    case SYNACK_TIMER_DELACK:
        t->ack_now = true;
        tcp_output(st, t);
        break;
    case SYNACK_TIMER_PACING: /* pacing.c: the next permitted send time has come */
        tcp_output(st, t);
        break;
    case SYNACK_TIMER_CONN_EST: /* 75 s: the connection could not be established */
        CNT(st, tcp_conn_drop_timeout);
        tcp_drop(st, t, ETIMEDOUT, cause_timer(timer));
        break;
    case SYNACK_TIMER_USER_TIMEOUT: /* RFC 9293 3.10.8: data unacknowledged for too long */
        CNT(st, tcp_conn_drop_timeout);
        tcp_send_rst(st, t);
        tcp_drop(st, t, ETIMEDOUT, cause_timer(timer));
        break;
    case SYNACK_TIMER_FIN_WAIT_2: /* the peer never sent its FIN: reap silently, as BSD does */
        CNT(st, tcp_conn_drop_timeout);
        tcp_set_state(st, t, SYNACK_CLOSED, cause_timer(timer));
        tcp_closed(st, t);
        break;
    case SYNACK_TIMER_TIME_WAIT: /* RFC 9293 3.10.8: 2MSL elapsed, delete the TCB */
        tcp_set_state(st, t, SYNACK_CLOSED, cause_timer(timer));
        tcp_closed(st, t);
        break;
    }
}

void tcp_timer_fire_due(synack_stack *st, synack_time_us now)
{
    while (st->heap_len && st->heap[0]->next_deadline <= now) {
        tcb *t = st->heap[0];
        int which = 0;
        for (int i = 1; i < SYNACK_TIMER_COUNT; i++)
            if (t->deadline[i] < t->deadline[which]) which = i;
        t->deadline[which] = SYNACK_TIME_NEVER;
        recompute(st, t);
        on_timer(st, t, which);
    }
}
