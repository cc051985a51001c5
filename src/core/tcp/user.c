/* user.c: the user calls of RFC 9293 3.10 (OPEN, SEND, RECEIVE, CLOSE, ABORT) plus shutdown, and
 * the life of a TCB: allocation from the pool, buffers, ISNs, and deletion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack_impl.h"

#include "ip/ip.h"

tcb *tcp_tcb_alloc(synack_stack *st)
{
    tcb *t = slab_alloc(&st->tcb_slab);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->in_use = true;
    t->id = st->next_conn_id++;
    t->sd = -1;
    t->state = SYNACK_CLOSED;
    t->state_since_ms = (uint32_t)(st->now / 1000);
    t->heap_idx = UINT32_MAX;
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++) t->deadline[i] = SYNACK_TIME_NEVER;
    t->next_deadline = SYNACK_TIME_NEVER;
    const synack_config *c = &st->cfg;
    t->nodelay = !c->nagle;
    t->cc.algo = (uint8_t)cc_find(c->congestion_control);
    t->keepalive = c->keepalive;
    t->sndbuf_size = c->sndbuf_bytes;
    t->rcvbuf_size = c->rcvbuf_bytes;
    t->rcv_mss = c->mss;
    t->snd_mss = 536;
    t->rto_us = c->rto_initial_us;
    t->user_timeout_ms = tcp_ms_of_us(c->user_timeout_us);
    t->keepidle_ms = tcp_ms_of_us(c->keepalive_idle_us);
    t->keepintvl_ms = tcp_ms_of_us(c->keepalive_intvl_us);
    t->keepcnt = (uint8_t)c->keepalive_probes;
    t->last_rcv_time = st->now;
    t->all_next = st->all_head;
    if (st->all_head) st->all_head->all_prev = t;
    st->all_head = t;
    st->conns_in_use++;
    if (st->conns_in_use > st->conns_high) st->conns_high = st->conns_in_use;
    return t;
}

bool tcp_buffers_alloc(synack_stack *st, tcb *t)
{
    /* No memory yet: the rings get it as data comes (tcp/buffers.c). */
    (void)st;
    if (t->bufs_on) return true;
    t->bufs_on = true;
    t->sndbuf = (ring){.limit = t->sndbuf_size};
    t->rcvbuf = (ring){.limit = t->rcvbuf_size};
    t->ooo = (rangeset){0};
    t->scoreboard = (rangeset){0};
    return true;
}

void tcp_buffers_trim(synack_stack *st, tcb *t)
{
    if (!t->bufs_on) return;
    tcp_ring_release_if_empty(st, &t->sndbuf, &t->snd_hint);
    if (!t->ooo.n) tcp_ring_release_if_empty(st, &t->rcvbuf, &t->rcv_hint);
    tcp_ranges_release_if_empty(st, &t->ooo);
    tcp_board_release_if_empty(st, &t->scoreboard);
}

void tcp_buffers_free(synack_stack *st, tcb *t)
{
    if (!t->bufs_on) return;
    /* Sequence bookkeeping stays consistent with an empty send buffer: no more data. */
    t->snd_buf_seq += t->sndbuf.len;
    t->sndbuf.len = t->rcvbuf.len = 0;
    rangeset_clear(&t->ooo);
    rangeset_clear(&t->scoreboard);
    tcp_buffers_trim(st, t);
    tcp_txlog_clear(st, t);
    t->bufs_on = false;
    memset(&t->sndbuf, 0, sizeof t->sndbuf);
    memset(&t->rcvbuf, 0, sizeof t->rcvbuf);
}

static void aq_remove(tcb *lst, tcb *t)
{
    tcb *prev = NULL;
    for (tcb *c = lst->aq_head; c; prev = c, c = c->aq_next) {
        if (c != t) continue;
        if (prev) prev->aq_next = c->aq_next;
        else lst->aq_head = c->aq_next;
        if (lst->aq_tail == c) lst->aq_tail = prev;
        lst->aq_len--;
        return;
    }
}


void tcp_tcb_free(synack_stack *st, tcb *t)
{
    if (!t->in_use) return;
    tcp_syncookie_ended(st, t);
    stack_hash_remove(st, t);
    if (t->parent) { /* a passive child not yet accepted: give back its backlog slot */
        if (t->in_aq) aq_remove(t->parent, t);
        else if (t->parent->syn_rcvd_len) t->parent->syn_rcvd_len--;
        t->parent = NULL;
        t->in_aq = false;
    }
    tcp_timer_cancel_all(st, t);
    stack_heap_remove(st, t);
    stack_pending_remove(st, t);
    tcp_buffers_free(st, t);
    tcp_cc_release(st, t);
    t->in_use = false;
    if (t->all_prev) t->all_prev->all_next = t->all_next;
    else st->all_head = t->all_next;
    if (t->all_next) t->all_next->all_prev = t->all_prev;
    slab_free(&st->tcb_slab, t);
    st->conns_in_use--;
}

void tcp_closed(synack_stack *st, tcb *t)
{
    /* The connection is over. A socket still holding it keeps the TCB (state CLOSED, error,
     * unread data) until close(); new segments for the 4-tuple meet no connection. */
    if (t->sd < 0) {
        tcp_tcb_free(st, t);
        return;
    }
    tcp_syncookie_ended(st, t);
    stack_hash_remove(st, t);
    tcp_timer_cancel_all(st, t);
    stack_pending_remove(st, t);
}

void tcp_drop(synack_stack *st, tcb *t, int err, synack_cause cause)
{
    if (err == ETIMEDOUT && t->soft_error) err = t->soft_error; /* say why, as Linux does */
    if (t->sd >= 0) {
        t->so_error = err;
        stack_event_simple(st, t, SYNACK_EV_ERROR, err);
    }
    if (t->bufs_on) { /* RFC 9293: "All segment queues should be flushed" */
        ring_consume(&t->sndbuf, t->sndbuf.len);
        if (err == ECONNRESET) ring_consume(&t->rcvbuf, t->rcvbuf.len);
        rangeset_clear(&t->ooo);
        tcp_buffers_trim(st, t);
    }
    tcp_set_state(st, t, SYNACK_CLOSED, cause);
    tcp_closed(st, t);
}

uint16_t tcp_announce_mss(const synack_stack *st, const synack_addr *peer)
{
    uint32_t fit = st->cfg.mtu - (uint32_t)ip_header_len(peer) - TCP_HDR_LEN;
    return (uint16_t)(st->cfg.mss < fit ? st->cfg.mss : fit);
}

static void abort_children(synack_stack *st, tcb *lst);

int tcp_user_connect(synack_stack *st, tcb *t, const synack_endpoint *remote)
{
    bool from_listen = t->state == SYNACK_LISTEN;
    if (t->state != SYNACK_CLOSED && !from_listen)
        return t->state == SYNACK_SYN_SENT ? -EALREADY : -EISCONN;
    if (t->opened) return -EISCONN; /* a connection was here already */
    if ((remote->addr.family != SYNACK_AF_INET && remote->addr.family != SYNACK_AF_INET6) ||
        remote->port == 0 || synack_addr_is_any(&remote->addr))
        return -EINVAL;
    const synack_addr *self = ip_local_addr(st, remote->addr.family);
    if (!self) return -ENETUNREACH; /* no address of that family: no route */
    if (t->local.port == 0) {
        t->local.port = stack_ephemeral_port(st, remote);
        if (!t->local.port) return -EADDRNOTAVAIL;
    }
    synack_endpoint local = {*self, t->local.port};
    uint32_t iss_floor = 0;
    if (stack_lookup(st, &local, remote) || !tcp_tw_reuse(st, &local, remote, &iss_floor)) return -EADDRINUSE;
    if (from_listen) {
        /* RFC 9293 3.10.1: an active OPEN on a listening connection "change[s] the connection
         * from passive to active": it stops listening (pending children are reset). */
        stack_hash_remove(st, t);
        abort_children(st, t);
        /* backlog and the rest of the listener block: its bytes are the delivery-rate state's. */
        memset(&t->rate, 0, sizeof t->rate);
    }
    t->local = local;
    t->remote = *remote;
    if (!tcp_buffers_alloc(st, t)) {
        if (from_listen) tcp_set_state(st, t, SYNACK_CLOSED, cause_user(SYNACK_CALL_OPEN_ACTIVE));
        return -ENOBUFS;
    }
    t->opened = true;
    if (!t->rcv_mss_set) t->rcv_mss = tcp_announce_mss(st, &remote->addr);
    t->rcv_wscale = st->cfg.wscale; /* offered in our SYN; cleared if the peer does not agree */
    t->iss = tcp_isn(st, &t->local, remote);
    if (iss_floor && !seq_gt(t->iss, iss_floor)) t->iss = iss_floor; /* RFC 9293 3.4.1 */
    t->ts_offset = tcp_ts_offset(st, &t->local, remote);
    t->snd_una = t->snd_nxt = t->snd_max = t->iss;
    t->snd_buf_seq = t->iss + 1;
    t->recover = t->iss;
    tcp_set_state(st, t, SYNACK_SYN_SENT, cause_user(SYNACK_CALL_OPEN_ACTIVE));
    stack_hash_insert(st, t);
    if (st->cfg.conn_timeout_us)
        tcp_timer_arm(st, t, SYNACK_TIMER_CONN_EST, st->now + st->cfg.conn_timeout_us);
    tcp_output(st, t);
    return -EINPROGRESS;
}

int tcp_user_listen(synack_stack *st, tcb *t, int backlog)
{
    if (t->state == SYNACK_LISTEN) {
        t->backlog = (uint16_t)(backlog < 1 ? 1 : (uint32_t)backlog > st->cfg.backlog_max ? st->cfg.backlog_max : (uint32_t)backlog);
        return 0;
    }
    if (t->state != SYNACK_CLOSED || t->opened) return -EINVAL;
    if (t->local.port == 0) return -EDESTADDRREQ;
    uint32_t b = backlog < 1 ? 1 : (uint32_t)backlog;
    t->backlog = (uint16_t)(b > st->cfg.backlog_max ? st->cfg.backlog_max : b);
    tcp_set_state(st, t, SYNACK_LISTEN, cause_user(SYNACK_CALL_OPEN_PASSIVE));
    stack_hash_insert(st, t);
    return 0;
}

/* Aborts every child of a listener that is going away (Linux does the same: RST). */
static void abort_children(synack_stack *st, tcb *lst)
{
    /* A walk of all connections: listeners close rarely. */
    for (tcb *c = st->all_head, *next; c; c = next) {
        next = c->all_next;
        if (c->parent != lst) continue;
        tcp_send_rst(st, c);
        tcp_set_state(st, c, SYNACK_CLOSED, cause_user(SYNACK_CALL_CLOSE));
        tcp_tcb_free(st, c);
    }
}

int tcp_user_abort(synack_stack *st, tcb *t)
{
    /* RFC 9293 3.10.5: RST from the synchronized states; LISTEN and SYN-SENT just delete. */
    switch (t->state) {
    case SYNACK_LISTEN:
        stack_hash_remove(st, t);
        abort_children(st, t);
        break;
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
    case SYNACK_CLOSE_WAIT:
        tcp_send_rst(st, t);
        break;
    default:
        break;
    }
    if (t->state != SYNACK_CLOSED) tcp_set_state(st, t, SYNACK_CLOSED, cause_user(SYNACK_CALL_ABORT));
    tcp_closed(st, t);
    return 0;
}

/* Queues our FIN after the data and moves to the closing state (3.10.4). */
static void send_fin(synack_stack *st, tcb *t, int call)
{
    if (t->fin_queued) return;
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
        t->fin_queued = true;
        tcp_set_state(st, t, SYNACK_FIN_WAIT_1, cause_user(call));
        break;
    case SYNACK_CLOSE_WAIT:
        t->fin_queued = true;
        tcp_set_state(st, t, SYNACK_LAST_ACK, cause_user(call));
        break;
    default:
        return;
    }
    tcp_output(st, t);
}

int tcp_user_close(synack_stack *st, tcb *t)
{
    bool unread = t->bufs_on && t->rcvbuf.len > 0;
    bool linger0 = t->linger_on && t->linger_sec == 0;
    t->user_closed = true;
    switch (t->state) {
    case SYNACK_CLOSED:
        break;
    case SYNACK_LISTEN:
        stack_hash_remove(st, t);
        abort_children(st, t);
        tcp_set_state(st, t, SYNACK_CLOSED, cause_user(SYNACK_CALL_CLOSE));
        break;
    case SYNACK_SYN_SENT: /* "Delete the TCB" */
        tcp_set_state(st, t, SYNACK_CLOSED, cause_user(SYNACK_CALL_CLOSE));
        break;
    default:
        if (unread || linger0) { /* RFC 2525 2.17 / SO_LINGER 0: abortive close */
            t->sd = -1;
            tcp_user_abort(st, t); /* frees the orphaned TCB */
            return 0;
        }
        send_fin(st, t, SYNACK_CALL_CLOSE);
        break;
    }
    t->sd = -1;
    if (t->state == SYNACK_CLOSED) {
        tcp_tcb_free(st, t);
    } else if (t->state == SYNACK_FIN_WAIT_2 && st->cfg.fin_wait_2_timeout_us &&
               !tcp_timer_armed(t, SYNACK_TIMER_FIN_WAIT_2)) {
        tcp_timer_arm(st, t, SYNACK_TIMER_FIN_WAIT_2, st->now + st->cfg.fin_wait_2_timeout_us);
    } else if (t->state == SYNACK_TIME_WAIT) {
        tcp_buffers_free(st, t);
        stack_output_later(st, t); /* becomes a compact record there (tcp/timewait.h) */
    }
    return 0;
}

int tcp_user_shutdown(synack_stack *st, tcb *t, int how)
{
    if (t->state == SYNACK_LISTEN || t->state == SYNACK_CLOSED || t->state == SYNACK_SYN_SENT)
        return -ENOTCONN;
    if (how == 0 || how == 2) {
        t->rd_shut = true;
        if (t->bufs_on) {
            ring_consume(&t->rcvbuf, t->rcvbuf.len);
            /* Out-of-order data will never be read either. Kept, it would be passed by RCV.NXT,
             * which in-order data (acknowledged and discarded from now on) moves past it. */
            rangeset_clear(&t->ooo);
            tcp_buffers_trim(st, t);
        }
    }
    if (how == 1 || how == 2) send_fin(st, t, SYNACK_CALL_SHUTDOWN);
    return 0;
}

long tcp_user_send(synack_stack *st, tcb *t, const void *buf, size_t len)
{
    if (t->so_error) {
        int e = t->so_error;
        t->so_error = 0;
        return -e;
    }
    switch (t->state) {
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RECEIVED: /* RFC 9293 3.10.2: queue for transmission after establishment */
    case SYNACK_ESTABLISHED:
    case SYNACK_CLOSE_WAIT:
        break;
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return t->opened ? -EPIPE : -ENOTCONN;
    default:
        return -EPIPE; /* "error: connection closing" */
    }
    if (t->fin_queued) return -EPIPE;
    if (!t->bufs_on && !tcp_buffers_alloc(st, t)) return -ENOBUFS;
    /* The connection becomes a sender: its algorithm gets its state (cc_state.c; without a
     * block it sends under NewReno without state, and the next send tries again). */
    if (len) tcp_cc_attach(st, t);
    uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    if (n > ring_space(&t->sndbuf)) n = ring_space(&t->sndbuf);
    /* Memory for what is appended; under memory pressure, what fits in what the ring has. */
    if (!tcp_ring_reserve(st, &t->sndbuf, t->sndbuf.len + n, &t->snd_hint)) CNT(st, tcp_no_buffer);
    n = ring_append(&t->sndbuf, buf, n);
    if (n == 0) return !len ? 0 : t->sndbuf.len ? -EAGAIN : -ENOBUFS;
    /* Built when the driver next takes output, as for input: an application writing in pieces
     * (chargen: 7 KiB a call) then goes out as whole super-segments, not one per write. */
    stack_output_later(st, t);
    return (long)n;
}

void tcp_window_update(synack_stack *st, tcb *t)
{
    /* Announce the reopened window when it grew by two segments or half the buffer, so a
     * sender stopped by a full buffer resumes without waiting for its persist timer. Built when
     * the driver next takes output: an application reading in small pieces sends one window
     * update per batch, not one per read (with 64 KiB super-segments arriving, four per read
     * of 16 KiB otherwise). */
    if (!TCPS_HAVE_ESTABLISHED(t->state) || t->fin_rcvd) return;
    uint32_t promised = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    uint32_t free_bytes = tcp_rcv_window(t);
    uint32_t most = 65535u << t->rcv_wscale; /* what the window field can say */
    if (free_bytes > most) free_bytes = most;
    uint32_t step = 2u * t->rcv_mss < t->rcvbuf_size / 2 ? 2u * t->rcv_mss : t->rcvbuf_size / 2;
    if (free_bytes >= promised + step) {
        t->ack_now = true;
        stack_output_later(st, t);
    }
}

long tcp_user_recv(synack_stack *st, tcb *t, void *buf, size_t len, bool peek)
{
    if (t->state == SYNACK_LISTEN) return -ENOTCONN;
    uint32_t have = t->bufs_on ? t->rcvbuf.len : 0;
    if (have) {
        uint32_t n = len < have ? (uint32_t)len : have;
        ring_read_at(&t->rcvbuf, 0, buf, n);
        if (!peek) {
            ring_consume(&t->rcvbuf, n);
            if (!t->rcvbuf.len && !t->ooo.n) tcp_ring_release_if_empty(st, &t->rcvbuf, &t->rcv_hint);
            tcp_window_update(st, t);
        }
        return (long)n;
    }
    if (t->so_error) {
        int e = t->so_error;
        if (!peek) t->so_error = 0;
        return -e;
    }
    if (t->fin_rcvd || t->rd_shut) return 0;
    if (t->state == SYNACK_CLOSED) return t->opened ? 0 : -ENOTCONN;
    return -EAGAIN;
}
