/* conn_user.c: the user calls of RFC 9293 3.10 (OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS) and
 * the socket options on a connection handle (synack/conn.h), with BSD's errno results. The
 * descriptor table that names handles is the socket layer's (src/api/socket.c), not the core's;
 * the core keeps only its opaque slot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <synack/conn.h>
#include <synack/socket.h>

#include "stack_impl.h"

#include "check.h"

/* A handle is a TCB; the public type stays opaque. */
static tcb *T(synack_conn *c) { return (tcb *)(void *)c; }
static const tcb *CT(const synack_conn *c) { return (const tcb *)(const void *)c; }
static synack_conn *H(tcb *t) { return (synack_conn *)(void *)t; }

bool synack_stack_set_user(synack_stack *st, void *user, const synack_user_ops *ops)
{
    if (st->user) return false;
    st->user = user;
    st->user_ops = ops;
    return true;
}

void *synack_stack_user(const synack_stack *st) { return st->user; }

synack_conn *synack_conn_new(synack_stack *st) { return H(tcp_tcb_alloc(st)); }
void synack_conn_discard(synack_stack *st, synack_conn *c) { tcp_tcb_free(st, T(c)); }
void synack_conn_set_socket(synack_conn *c, int sd) { T(c)->sd = sd; }
int synack_conn_state(const synack_conn *c) { return CT(c)->state; }

int synack_conn_bind(synack_stack *st, synack_conn *c, const synack_endpoint *local)
{
    tcb *t = T(c);
    if (t->state != SYNACK_CLOSED || t->local.port || t->opened) return -EINVAL;
    if (local->addr.family != SYNACK_AF_INET && local->addr.family != SYNACK_AF_INET6 &&
        local->addr.family != SYNACK_AF_NONE)
        return -EAFNOSUPPORT;
    if (!synack_addr_is_any(&local->addr) && !synack_addr_eq(&local->addr, &st->cfg.addr) &&
        !synack_addr_eq(&local->addr, &st->cfg.addr6))
        return -EADDRNOTAVAIL;
    synack_endpoint ep = *local;
    if (ep.addr.family == SYNACK_AF_NONE) ep.addr.family = SYNACK_AF_INET;
    if (ep.port == 0) {
        synack_endpoint none = {{SYNACK_AF_INET, {0}}, 0};
        ep.port = stack_ephemeral_port(st, &none);
        if (!ep.port) return -EADDRINUSE;
    } else if (stack_local_in_use(st, &ep, t->reuseaddr)) {
        return -EADDRINUSE;
    }
    t->local = ep;
    return 0;
}

int synack_conn_listen(synack_stack *st, synack_conn *c, int backlog)
{
    tcb *t = T(c);
    if (t->local.port == 0) { /* listen() without bind(): an ephemeral port, as Linux */
        synack_endpoint any = {{SYNACK_AF_INET, {0}}, 0};
        int r = synack_conn_bind(st, c, &any);
        if (r < 0) return r;
    }
    return tcp_user_listen(st, t, backlog);
}

int synack_conn_accept_ready(const synack_conn *listener)
{
    const tcb *t = CT(listener);
    if (t->state != SYNACK_LISTEN) return -EINVAL;
    return t->aq_head ? 0 : -EAGAIN;
}

synack_conn *synack_conn_accept(synack_stack *st, synack_conn *listener, synack_endpoint *remote)
{
    tcb *t = T(listener);
    tcb *c = t->state == SYNACK_LISTEN ? t->aq_head : NULL;
    if (!c) return NULL;
    t->aq_head = c->aq_next;
    if (!t->aq_head) t->aq_tail = NULL;
    t->aq_len--;
    c->aq_next = NULL;
    c->parent = NULL;
    c->in_aq = false;
    if (remote) *remote = c->remote;
    /* A child reset or closed by the peer before accept still hands back its socket with the
     * connection's state; it is a normal accept, as on BSD. */
    return H(c);
}

int synack_conn_connect(synack_stack *st, synack_conn *c, const synack_endpoint *remote)
{
    tcb *t = T(c);
    if (t->so_error && t->state == SYNACK_CLOSED && t->opened) {
        int e = t->so_error;
        t->so_error = 0;
        return -e;
    }
    if (t->state >= SYNACK_ESTABLISHED) return -EISCONN;
    return tcp_user_connect(st, t, remote);
}

ssize_t synack_conn_send(synack_stack *st, synack_conn *c, const void *buf, size_t len)
{
    tcb *t = T(c);
    ssize_t r = tcp_user_send(st, t, buf, len);
    TCB_CHECK(st, t);
    return r;
}

ssize_t synack_conn_recv(synack_stack *st, synack_conn *c, void *buf, size_t len, bool peek)
{
    tcb *t = T(c);
    ssize_t r = tcp_user_recv(st, t, buf, len, peek);
    TCB_CHECK(st, t);
    return r;
}

int synack_conn_shutdown(synack_stack *st, synack_conn *c, int how)
{
    tcb *t = T(c);
    if (how < 0 || how > 2) return -EINVAL;
    return tcp_user_shutdown(st, t, how);
}

int synack_conn_close(synack_stack *st, synack_conn *c)
{
    tcb *t = T(c);
    return tcp_user_close(st, t);
}

int synack_conn_abort(synack_stack *st, synack_conn *c)
{
    tcb *t = T(c);
    t->sd = -1;
    t->user_closed = true;
    return tcp_user_abort(st, t);
}

static int get_int(const void *val, size_t len, int *out)
{
    if (!val || len < sizeof(int)) return -EINVAL;
    memcpy(out, val, sizeof *out);
    return 0;
}

static int get_u64(const void *val, size_t len, uint64_t *out)
{
    if (!val || len < sizeof(uint64_t)) return -EINVAL;
    memcpy(out, val, sizeof *out);
    return 0;
}

int synack_conn_setopt(synack_stack *st, synack_conn *c, int opt, const void *val, size_t len)
{
    tcb *t = T(c);
    int v = 0;
    uint64_t u = 0;
    switch (opt) {
    case SYNACK_SO_NODELAY:
        if (get_int(val, len, &v)) return -EINVAL;
        t->nodelay = v != 0;
        if (t->nodelay) tcp_output(st, t);
        return 0;
    case SYNACK_SO_KEEPALIVE:
        if (get_int(val, len, &v)) return -EINVAL;
        t->keepalive = v != 0;
        tcp_keepalive_reset(st, t);
        return 0;
    case SYNACK_SO_REUSEADDR:
        if (get_int(val, len, &v)) return -EINVAL;
        t->reuseaddr = v != 0;
        return 0;
    case SYNACK_SO_LINGER: {
        struct synack_linger l;
        if (!val || len < sizeof l) return -EINVAL;
        memcpy(&l, val, sizeof l);
        t->linger_on = l.onoff != 0;
        t->linger_sec = (uint16_t)(l.seconds < 0 ? 0 : l.seconds > 65535 ? 65535 : l.seconds);
        return 0;
    }
    case SYNACK_SO_SNDBUF:
    case SYNACK_SO_RCVBUF:
        if (get_int(val, len, &v) || v < 1024) return -EINVAL;
        if (t->bufs_on || t->state != SYNACK_CLOSED) return -EISCONN; /* buffers are sized once */
        if (opt == SYNACK_SO_SNDBUF) t->sndbuf_size = (uint32_t)v;
        else t->rcvbuf_size = (uint32_t)v;
        return 0;
    case SYNACK_SO_MAXSEG:
        if (get_int(val, len, &v) || v < 64 || v > 65495) return -EINVAL;
        if (t->state != SYNACK_CLOSED && t->state != SYNACK_LISTEN) return -EISCONN;
        t->rcv_mss = (uint16_t)v;
        t->rcv_mss_set = true;
        return 0;
    case SYNACK_SO_USER_TIMEOUT:
        if (get_u64(val, len, &u) || u > TCP_DURATION_US_MAX) return -EINVAL;
        t->user_timeout_ms = tcp_ms_of_us(u);
        if (!u) tcp_timer_cancel(st, t, SYNACK_TIMER_USER_TIMEOUT);
        return 0;
    case SYNACK_SO_KEEPIDLE:
    case SYNACK_SO_KEEPINTVL:
        if (get_u64(val, len, &u) || u == 0 || u > TCP_DURATION_US_MAX) return -EINVAL;
        if (opt == SYNACK_SO_KEEPIDLE) t->keepidle_ms = tcp_ms_of_us(u);
        else t->keepintvl_ms = tcp_ms_of_us(u);
        tcp_keepalive_reset(st, t);
        return 0;
    case SYNACK_SO_KEEPCNT:
        if (get_int(val, len, &v) || v < 1 || v > UINT8_MAX) return -EINVAL;
        t->keepcnt = (uint8_t)v;
        return 0;
    case SYNACK_SO_CONGESTION: {
        char name[16];
        if (!val || len == 0) return -EINVAL;
        size_t n = strnlen(val, len < sizeof name ? len : sizeof name);
        if (n >= sizeof name) return -ENOENT;
        memcpy(name, val, n);
        name[n] = 0;
        return tcp_cc_select(st, t, name) ? -ENOENT : 0; /* Linux: ENOENT for an unknown name */
    }
    default:
        return -ENOPROTOOPT;
    }
}

static int put_int(void *val, size_t *len, int v)
{
    if (!val || !len || *len < sizeof v) return -EINVAL;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

static int put_u64(void *val, size_t *len, uint64_t v)
{
    if (!val || !len || *len < sizeof v) return -EINVAL;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

int synack_conn_getopt(synack_stack *st, synack_conn *c, int opt, void *val, size_t *len)
{
    tcb *t = T(c);
    switch (opt) {
    case SYNACK_SO_NODELAY: return put_int(val, len, t->nodelay);
    case SYNACK_SO_KEEPALIVE: return put_int(val, len, t->keepalive);
    case SYNACK_SO_REUSEADDR: return put_int(val, len, t->reuseaddr);
    case SYNACK_SO_SNDBUF: return put_int(val, len, (int)t->sndbuf_size);
    case SYNACK_SO_RCVBUF: return put_int(val, len, (int)t->rcvbuf_size);
    case SYNACK_SO_MAXSEG:
        return put_int(val, len, TCPS_HAVE_ESTABLISHED(t->state) ? t->snd_mss : t->rcv_mss);
    case SYNACK_SO_USER_TIMEOUT: return put_u64(val, len, tcp_us_of_ms(t->user_timeout_ms));
    case SYNACK_SO_KEEPIDLE: return put_u64(val, len, tcp_us_of_ms(t->keepidle_ms));
    case SYNACK_SO_KEEPINTVL: return put_u64(val, len, tcp_us_of_ms(t->keepintvl_ms));
    case SYNACK_SO_KEEPCNT: return put_int(val, len, (int)t->keepcnt);
    case SYNACK_SO_ERROR: {
        int e = t->so_error;
        t->so_error = 0;
        return put_int(val, len, e);
    }
    case SYNACK_SO_CONGESTION: {
        const char *name = cc_algo_of(&t->cc)->name;
        size_t n = strlen(name) + 1;
        if (!val || !len || *len < n) return -EINVAL;
        memcpy(val, name, n);
        *len = n;
        return 0;
    }
    case SYNACK_SO_LINGER: {
        struct synack_linger l = {t->linger_on, t->linger_sec};
        if (!val || !len || *len < sizeof l) return -EINVAL;
        memcpy(val, &l, sizeof l);
        *len = sizeof l;
        return 0;
    }
    default:
        return -ENOPROTOOPT;
    }
}

int synack_conn_local(const synack_conn *c, synack_endpoint *local)
{
    const tcb *t = CT(c);
    *local = t->local;
    if (local->addr.family == SYNACK_AF_NONE) local->addr.family = SYNACK_AF_INET;
    return 0;
}

int synack_conn_remote(const synack_conn *c, synack_endpoint *remote)
{
    const tcb *t = CT(c);
    if (!t->opened || t->state == SYNACK_LISTEN) return -ENOTCONN;
    *remote = t->remote;
    return 0;
}

int synack_conn_poll(const synack_conn *c)
{
    const tcb *t = CT(c);
    int r = 0;
    if (t->state == SYNACK_LISTEN) return t->aq_head ? SYNACK_POLLIN : 0;
    if (t->so_error) r |= SYNACK_POLLERR;
    if ((t->bufs_on && t->rcvbuf.len) || t->fin_rcvd || t->rd_shut) r |= SYNACK_POLLIN;
    if (t->fin_rcvd) r |= SYNACK_POLLRDHUP;
    if ((t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT) && !t->fin_queued &&
        (!t->bufs_on || ring_space(&t->sndbuf) > 0))
        r |= SYNACK_POLLOUT;
    if (t->state == SYNACK_CLOSED && t->opened) r |= SYNACK_POLLHUP | SYNACK_POLLIN;
    return r;
}

int synack_conn_readable_bytes(const synack_conn *c)
{
    const tcb *t = CT(c);
    return t->bufs_on ? (int)t->rcvbuf.len : 0;
}
