/* stack.c: the stack object: configuration, pools, IPv4 input dispatch, the outbound packet queue,
 * events, connection lookup and the timer heap. It owns no protocol decisions: TCP lives in tcp/. */
#include "stack_impl.h"

#include "check.h"

#include "ip/ip.h"
#include "ip/reass.h"

#include <stdlib.h>
#include <string.h>

void synack_config_default(synack_config *c)
{
    memset(c, 0, sizeof *c);
    c->addr = synack_addr_v4(198, 18, 0, 1);
    c->seed = 1;
    c->max_conns = 1u << 20;   /* a limit, not a preallocation: tables grow with the load */
    c->max_sockets = 1u << 20;
    c->max_time_wait = 262144; /* Linux's tcp_max_tw_buckets on a large machine */
    c->tw_reuse = true;
    c->mss = 1460;
    c->sndbuf_bytes = 256 * 1024;
    c->rcvbuf_bytes = 256 * 1024;
    c->wscale = 7;
    c->sack = true;
    c->timestamps = true;
    c->nagle = true;
    c->initial_cwnd_segments = 10;
    memcpy(c->congestion_control, "newreno", sizeof "newreno");
    c->reass_max_ranges = 32;
    c->ephemeral_lo = 32768;
    c->ephemeral_hi = 60999;
    c->backlog_max = 4096;
    c->syn_queue_max = 2048;
    c->syncookies = SYNACK_SYNCOOKIES_AUTO;
    c->outq_bytes = 1024 * 1024;
    c->eventq_len = 4096;
    c->conn_timeout_us = SYNACK_SEC(75);
    c->rto_initial_us = SYNACK_SEC(1);
    c->rto_min_us = SYNACK_MS(200);
    c->rto_max_us = SYNACK_SEC(120);
    c->msl_us = SYNACK_SEC(30);
    c->fin_wait_2_timeout_us = SYNACK_SEC(600);
    c->delack_us = SYNACK_MS(40);
    c->persist_min_us = SYNACK_MS(200);
    c->persist_max_us = SYNACK_SEC(60);
    c->keepalive_idle_us = SYNACK_SEC(7200);
    c->keepalive_intvl_us = SYNACK_SEC(75);
    c->keepalive_probes = 9;
    c->keepalive = false;
    c->user_timeout_us = 0;
    c->max_retransmits = 15;
    c->rfc5961 = true;
    c->drop_synfin = true;
    c->icmp_ratelimit_per_sec = 1000;
    c->challenge_ack_limit = 1000;
    c->mtu = 1500;
    c->frag_max_datagrams = 256;
    c->frag_max_fragments = 128;
    c->frag_mem_bytes = 4u << 20;
    c->frag_src_mem_bytes = 1u << 20;
    c->frag_timeout_us = SYNACK_SEC(30);
    c->frag6_timeout_us = SYNACK_SEC(60);
}

static bool config_valid(const synack_config *c)
{
    bool v4 = c->addr.family == SYNACK_AF_INET, v6 = c->addr6.family == SYNACK_AF_INET6;
    return (v4 || c->addr.family == SYNACK_AF_NONE) && (v6 || c->addr6.family == SYNACK_AF_NONE) &&
           (v4 || v6) && c->mtu >= 576 && c->mtu <= 65535 && c->max_conns > 0 && c->max_sockets > 0 &&
           c->mss >= 64 && c->sndbuf_bytes >= 1024 && c->rcvbuf_bytes >= 1024 &&
           c->wscale <= 14 && c->initial_cwnd_segments > 0 && c->reass_max_ranges > 0 &&
           c->reass_max_ranges <= 1024 && c->ephemeral_lo > 0 && c->ephemeral_lo <= c->ephemeral_hi &&
           c->ephemeral_hi <= 65535 && c->outq_bytes >= 65536 + OUTQ_REC_HDR &&
           c->tso_max_bytes <= 65535 &&
           c->sndbuf_bytes <= BUF_MAX_BYTES && c->rcvbuf_bytes <= BUF_MAX_BYTES && c->max_sockets < (1u << 31) && c->eventq_len > 0 &&
           c->rto_min_us > 0 && c->rto_min_us <= c->rto_max_us && c->rto_initial_us > 0 &&
           c->delack_us > 0 && c->persist_min_us > 0 && c->persist_min_us <= c->persist_max_us &&
           c->keepalive_intvl_us > 0 && c->keepalive_idle_us > 0 &&
           /* the listen queue lengths are 16-bit counters in the TCB */
           c->backlog_max >= 1 && c->backlog_max <= 65535 && c->syn_queue_max >= 1 &&
           c->syn_queue_max <= 65535 && c->syncookies <= SYNACK_SYNCOOKIES_ALWAYS &&
           c->challenge_ack_limit <= UINT32_MAX / 2 && reass_config_valid(c) &&
           memchr(c->congestion_control, 0, sizeof c->congestion_control) &&
           cc_find(c->congestion_control) >= 0;
}

synack_stack *synack_stack_new(const synack_config *cfg)
{
    if (!cfg || !config_valid(cfg)) return NULL;
    synack_stack *st = alloc_zeroed(&cfg->allocator, sizeof *st);
    if (!st) return NULL;
    st->cfg = *cfg;
    const synack_allocator *a = &st->cfg.allocator;
    st->free_sock = -1;
    slab_init(&st->tcb_slab, sizeof(tcb), cfg->max_conns, a);
    bufpool_init(&st->bufs, cfg->reass_max_ranges, a);
    bool ok = htable_init(&st->conns, 256, a) && tcp_tw_init(st);
    st->outq_mem = alloc_bytes(a, 0, cfg->outq_bytes);
    st->events = alloc_zeroed(a, (size_t)cfg->eventq_len * sizeof *st->events);
    if (!ok || !st->outq_mem || !st->events) {
        synack_stack_free(st);
        return NULL;
    }
    ring_init(&st->outq, st->outq_mem, cfg->outq_bytes);
    st->icmp_tokens = cfg->icmp_ratelimit_per_sec;
    st->next_conn_id = 1;
    siphash_key master = siphash_key_from_bytes(cfg->secret);
    master.k0 ^= cfg->seed; /* tests vary the seed alone and stay deterministic */
    st->keys.isn = siphash_derive(&master, KEY_LABEL_ISN);
    st->keys.ts = siphash_derive(&master, KEY_LABEL_TS);
    st->keys.port = siphash_derive(&master, KEY_LABEL_PORT);
    st->keys.port_index = siphash_derive(&master, KEY_LABEL_PORT_INDEX);
    st->keys.hash = siphash_derive(&master, KEY_LABEL_HASH);
    st->keys.cookie = siphash_derive(&master, KEY_LABEL_COOKIE);
    st->keys.challenge = siphash_derive(&master, KEY_LABEL_CHALLENGE);
    if (!reass_init(st)) {
        synack_stack_free(st);
        return NULL;
    }
    return st;
}

void synack_stack_free(synack_stack *st)
{
    if (!st) return;
    while (st->all_head) {
        tcb *t = st->all_head;
        t->sd = -1;
        tcp_tcb_free(st, t);
    }
    tcp_tw_destroy(st);
    bufpool_destroy(&st->bufs);
    slab_destroy(&st->tcb_slab);
    htable_destroy(&st->conns);
    const synack_allocator *a = &st->cfg.allocator;
    alloc_release(a, st->heap);
    alloc_release(a, st->socks);
    alloc_release(a, st->outq_mem);
    alloc_release(a, st->events);
    reass_free(st);
    synack_allocator own = *a; /* the stack holds its allocator: copy it before freeing */
    alloc_release(&own, st);
}

const synack_config *synack_stack_config(const synack_stack *st) { return &st->cfg; }
synack_time_us synack_now(const synack_stack *st) { return st->now; }

static void advance_time(synack_stack *st, synack_time_us now)
{
    if (now > st->now) st->now = now; /* time never runs backwards inside the core */
}

/* ---- input ---- */

void synack_input(synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len)
{
    advance_time(st, now);
    ip_input(st, pkt, len, false);
    STACK_CHECK(st);
}

void synack_input_flags(synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len,
                        unsigned flags)
{
    advance_time(st, now);
    ip_input(st, pkt, len, flags & SYNACK_IN_CSUM_VALID);
    STACK_CHECK(st);
}

void synack_poll(synack_stack *st, synack_time_us now)
{
    advance_time(st, now);
    tcp_timer_fire_due(st, st->now);
    tcp_tw_expire(st);
    reass_expire(st);
    /* Once a second of stack time, caches shrink towards what the load has needed lately. */
    uint64_t epoch = st->now / SYNACK_SEC(1);
    if (epoch != st->tcb_slab.epoch) {
        slab_age(&st->tcb_slab, epoch);
        slab_age(&st->tw.recs, epoch);
        slab_age(&st->bufs.ranges, epoch);
        for (uint32_t i = 0; i < BUF_CLASSES; i++) slab_age(&st->bufs.cls[i], epoch);
    }
    STACK_CHECK(st);
}

synack_time_us synack_next_deadline(const synack_stack *st)
{
    if (st->pending_head) return st->now; /* output is waiting to be taken */
    synack_time_us t = st->heap_len ? st->heap[0]->next_deadline : SYNACK_TIME_NEVER;
    synack_time_us w = tcp_tw_next_deadline(st), r = reass_next_deadline(st);
    if (w < t) t = w;
    return r < t ? r : t;
}

/* ---- output queue ---- */

uint8_t *stack_outq_reserve(synack_stack *st, size_t len)
{
    /* Records never wrap: if the tail has no room for the whole record we pad with a zero-length
     * marker and start again at the beginning of the ring's memory. */
    if (out_direct_active(st)) { /* one packet per synack_output_iov() call */
        if (st->direct.used || len > st->direct.cap) return NULL;
        return st->direct.buf;
    }
    ring *q = &st->outq;
    if (len + OUTQ_REC_HDR > q->cap) return NULL;
    uint32_t tail = q->head + q->len;
    if (tail >= q->cap) tail -= q->cap;
    uint32_t contiguous = q->cap - tail;
    uint32_t need = (uint32_t)len + OUTQ_REC_HDR;
    if (contiguous < need) {
        if (ring_space(q) < contiguous + need) return NULL;
        if (contiguous >= 2) {
            q->buf[tail] = 0;
            q->buf[tail + 1] = 0;
        }
        q->len += contiguous; /* skipped bytes belong to the padding record */
        tail = 0;
    } else if (ring_space(q) < need) {
        return NULL;
    }
    return q->buf + tail + OUTQ_REC_HDR;
}

void stack_outq_commit_meta(synack_stack *st, size_t len, uint16_t gso_size, uint16_t csum_start)
{
    if (out_direct_active(st)) {
        out_direct *d = &st->direct;
        d->used = true;
        d->hdr_len = len - d->piece_len[0] - d->piece_len[1];
        d->gso_size = gso_size;
        d->csum_start = csum_start;
        CNT(st, tcp_out);
        return;
    }
    ring *q = &st->outq;
    uint32_t tail = q->head + q->len;
    if (tail >= q->cap) tail -= q->cap;
    uint8_t *h = q->buf + tail;
    h[0] = (uint8_t)(len >> 8);
    h[1] = (uint8_t)len;
    h[2] = (uint8_t)(gso_size >> 8);
    h[3] = (uint8_t)gso_size;
    h[4] = (uint8_t)(csum_start >> 8);
    h[5] = (uint8_t)csum_start;
    q->len += (uint32_t)len + OUTQ_REC_HDR;
    st->outq_count++;
    CNT(st, tcp_out);
}

void stack_outq_commit(synack_stack *st, size_t len) { stack_outq_commit_meta(st, len, 0, 0); }

static void pending_append(synack_stack *st, tcb *t)
{
    t->out_pending = true;
    t->out_next = NULL;
    t->out_prev = st->pending_tail;
    if (st->pending_tail) st->pending_tail->out_next = t;
    else st->pending_head = t;
    st->pending_tail = t;
}

void stack_output_later(synack_stack *st, tcb *t)
{
    if (t->out_pending) return;
    pending_append(st, t);
}

void stack_pending_remove(synack_stack *st, tcb *t)
{
    if (!t->out_pending) return;
    if (t->out_prev) t->out_prev->out_next = t->out_next;
    else st->pending_head = t->out_next;
    if (t->out_next) t->out_next->out_prev = t->out_prev;
    else st->pending_tail = t->out_prev;
    t->out_next = t->out_prev = NULL;
    t->out_pending = false;
}

void stack_pending_add(synack_stack *st, tcb *t)
{
    if (t->out_pending) return;
    if (out_direct_active(st)) { /* not a full queue: the next call continues this connection */
        out_direct_requeue(st, t);
        return;
    }
    pending_append(st, t);
    st->outq_blocked = true; /* resume when the driver has emptied the queue */
    CNT(st, out_queue_full);
}

/* Builds the output connections are waiting for, in order, until the queue fills: the rest stay
 * on the list, untouched, and resume as the driver drains the queue. No connection is retried
 * more than once per drain, so a burst of closes larger than the queue costs no busy work, and
 * no FIN is lost: a connection leaves the list only once its segments are built. */
static void run_pending(synack_stack *st)
{
    while (st->pending_head)
        if (stack_pending_output(st)) break; /* the queue filled: t waits at the tail again */
}

bool stack_pending_output(synack_stack *st)
{
    tcb *t = st->pending_head;
    st->pending_visits++;
    stack_pending_remove(st, t);
    tcp_output(st, t);
    if (t->out_pending) return true;
    /* An orphaned TIME-WAIT with its last ACK sent becomes a compact record. */
    if (t->state == SYNACK_TIME_WAIT && t->sd < 0 && !t->ack_now) tcp_tw_replace(st, t);
    return false;
}

size_t synack_output_meta(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta)
{
    ring *q = &st->outq;
    if (q->len == 0) st->outq_blocked = false;
    if (st->pending_head && !st->outq_blocked) run_pending(st);
    for (;;) {
        size_t n = stack_outq_pop(st, buf, cap, meta);
        if (n) return n;
        if (!st->pending_head) return 0;
        st->outq_blocked = false; /* drained: the waiting connections resume */
        run_pending(st);
        if (q->len == 0) return 0;
    }
}

size_t stack_outq_pop(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta)
{
    ring *q = &st->outq;
    while (q->len > 0) {
        uint32_t contiguous = q->cap - q->head;
        if (contiguous < OUTQ_REC_HDR) { /* too short for a header: skipped padding */
            ring_consume(q, contiguous);
            continue;
        }
        const uint8_t *h = q->buf + q->head;
        size_t len = ((size_t)h[0] << 8) | h[1];
        if (len == 0) { /* padding marker to the end of memory */
            ring_consume(q, contiguous);
            continue;
        }
        size_t out = 0;
        if (len <= cap) {
            memcpy(buf, h + OUTQ_REC_HDR, len);
            out = len;
            memset(meta, 0, sizeof *meta);
            meta->gso_size = (uint16_t)(h[2] << 8 | h[3]);
            meta->csum_start = (uint16_t)(h[4] << 8 | h[5]);
            meta->ipv6 = (buf[0] >> 4) == 6;
            if (meta->csum_start) meta->csum_offset = 16; /* TCP is the only partial sum */
            if (meta->gso_size) meta->hdr_len = (uint16_t)(meta->csum_start + (buf[meta->csum_start + 12] >> 4) * 4);
        } else {
            CNT(st, out_too_big);
        }
        ring_consume(q, (uint32_t)len + OUTQ_REC_HDR);
        st->outq_count--;
        if (out) return out;
    }
    return 0;
}

size_t synack_output(synack_stack *st, uint8_t *buf, size_t cap)
{
    synack_out_meta m;
    for (;;) {
        size_t n = synack_output_meta(st, buf, cap, &m);
        if (n == 0) return 0;
        if (m.gso_size) { /* a link without segmentation offload cannot carry it */
            CNT(st, out_too_big);
            continue;
        }
        if (m.csum_start) { /* complete the partial checksum here, for a plain link */
            uint8_t *f = buf + m.csum_start + m.csum_offset;
            uint32_t pseudo = (uint32_t)(f[0] << 8 | f[1]);
            f[0] = f[1] = 0;
            uint16_t c = cksum_fold(cksum_add(pseudo, buf + m.csum_start, n - m.csum_start));
            f[0] = (uint8_t)(c >> 8);
            f[1] = (uint8_t)c;
        }
        return n;
    }
}

/* ---- events ---- */

void stack_event_push(synack_stack *st, const synack_event *ev)
{
    uint32_t cap = st->cfg.eventq_len;
    if (st->ev_len == cap) { /* drop the oldest: traces, not control */
        st->ev_head = (st->ev_head + 1) % cap;
        st->ev_len--;
        CNT(st, event_overflow);
    }
    st->events[(st->ev_head + st->ev_len) % cap] = *ev;
    st->ev_len++;
}

/* An event of one connection at the current time, in state `state` (from = to). */
static synack_event event_of(const synack_stack *st, uint32_t conn_id, int sd, int type, int state,
                             const synack_endpoint *local, const synack_endpoint *remote)
{
    synack_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time = st->now;
    ev.conn_id = conn_id;
    ev.socket = sd;
    ev.type = (uint8_t)type;
    ev.from = ev.to = (uint8_t)state;
    ev.local = *local;
    ev.remote = *remote;
    ev.prev_state_us = SYNACK_TIME_NEVER;
    return ev;
}

void stack_event_simple(synack_stack *st, tcb *t, int type, int err)
{
    /* "Data arrived" (or "room freed") once per run: the same news for the same socket, back to
     * back and not yet taken, is not queued again. A bulk flow queued a 72-byte record per
     * segment that told its reader nothing new; the reader still sees every run. */
    if ((type == SYNACK_EV_READABLE || type == SYNACK_EV_WRITABLE) && st->ev_len) {
        synack_event *last = &st->events[(st->ev_head + st->ev_len - 1) % st->cfg.eventq_len];
        if (last->type == type && last->conn_id == t->id && last->socket == t->sd) {
            last->time = st->now;
            return;
        }
    }
    synack_event ev = event_of(st, t->id, t->sd, type, t->state, &t->local, &t->remote);
    ev.err = err;
    stack_event_push(st, &ev);
}

void stack_note_transition(synack_stack *st, uint32_t conn_id, int sd, const synack_endpoint *local,
                           const synack_endpoint *remote, int from, int to, synack_cause cause,
                           synack_time_us from_since)
{
    /* An illegal transition is a bug in a caller: counted in a running stack (tests assert the
     * counter stays zero), fatal in checked builds. */
    if (!tcp_transition_legal(from, to)) {
        CNT(st, tcp_illegal_transition);
        CHECK_INV(!"illegal state transition");
    }
    st->transitions[from][to]++;
    CNT(st, tcp_state_changes);
    synack_event ev = event_of(st, conn_id, sd, SYNACK_EV_STATE, to, local, remote);
    ev.from = (uint8_t)from;
    ev.cause = cause;
    /* The time in the old state, as bcc's tcpstates reports it (a trace reader needs it; the
     * entry time is not otherwise visible once the state is left). */
    if (from_since != SYNACK_TIME_NEVER) ev.prev_state_us = st->now >= from_since ? st->now - from_since : 0;
    stack_event_push(st, &ev);
}

void synack_trace_set(synack_stack *st, unsigned mask)
{
    st->trace_mask = mask & (SYNACK_TRACE_RETRANSMITS | SYNACK_TRACE_DROPS);
}

unsigned synack_trace_get(const synack_stack *st) { return st->trace_mask; }

void stack_drop_event(synack_stack *st, int counter, uint32_t conn_id, int state, const synack_endpoint *local,
                      const synack_endpoint *remote, const tcp_seg *seg)
{
    synack_event ev = event_of(st, conn_id, -1, SYNACK_EV_DROP, state, local, remote);
    ev.reason = (uint16_t)counter;
    if (seg) {
        ev.seq = seg->seq;
        ev.len = (uint32_t)seg->len;
        ev.cause.detail = seg->flags;
    }
    stack_event_push(st, &ev);
}

void stack_rexmit_event(synack_stack *st, const tcb *t, int reason, uint32_t seq, uint32_t len)
{
    synack_event ev = event_of(st, t->id, t->sd, SYNACK_EV_RETRANSMIT, t->state, &t->local, &t->remote);
    ev.reason = (uint16_t)reason;
    ev.seq = seq;
    ev.len = len;
    if (reason == SYNACK_REXMIT_TIMEOUT) ev.cause = cause_timer(SYNACK_TIMER_REXMT);
    stack_event_push(st, &ev);
}

void stack_timer_event(synack_stack *st, uint32_t conn_id, int sd, int state, const synack_endpoint *local,
                       const synack_endpoint *remote, int timer)
{
    synack_event ev = event_of(st, conn_id, sd, SYNACK_EV_TIMER, state, local, remote);
    ev.cause = cause_timer(timer);
    stack_event_push(st, &ev);
}

bool synack_event_next(synack_stack *st, synack_event *ev)
{
    if (st->ev_len == 0) return false;
    *ev = st->events[st->ev_head];
    st->ev_head = (st->ev_head + 1) % st->cfg.eventq_len;
    st->ev_len--;
    return true;
}

/* ---- lookup ---- */

uint32_t stack_tuple_hash(const synack_stack *st, const synack_endpoint *l, const synack_endpoint *r)
{
    /* Keyed by its own secret: without it, nobody can aim segments at one hash chain. */
    return (uint32_t)tcp_tuple_prf(&st->keys.hash, l, r);
}

static const synack_endpoint no_remote;

static bool ep_eq(const synack_endpoint *a, const synack_endpoint *b)
{
    return a->port == b->port && synack_addr_eq(&a->addr, &b->addr);
}

static inline tcb *tcb_of(hnode *n) { return (tcb *)(void *)((uint8_t *)n - offsetof(tcb, hn)); }

/* The key a tcb is filed under: listeners by port alone, everything else by 4-tuple. It is
 * decided at insertion and remembered (in hn.hash), so later state changes cannot orphan it. */
static uint32_t hash_key(const synack_stack *st, const tcb *t, bool listener)
{
    if (listener) {
        synack_endpoint l = {no_remote.addr, t->local.port};
        return stack_tuple_hash(st, &l, &no_remote);
    }
    return stack_tuple_hash(st, &t->local, &t->remote);
}

void stack_hash_insert(synack_stack *st, tcb *t)
{
    if (t->hashed != HASH_NONE) return;
    bool listener = t->state == SYNACK_LISTEN && !t->parent;
    htable_insert(&st->conns, &t->hn, hash_key(st, t, listener));
    t->hashed = listener ? HASH_LISTENER : HASH_TUPLE;
}

void stack_hash_remove(synack_stack *st, tcb *t)
{
    if (t->hashed == HASH_NONE) return;
    if (st->recent == t) st->recent = NULL;
    htable_remove(&st->conns, &t->hn);
    t->hashed = HASH_NONE;
}

tcb *stack_lookup(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    return stack_lookup_hashed(st, local, remote, stack_tuple_hash(st, local, remote));
}

tcb *stack_lookup_hashed(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote, uint32_t h)
{
    for (int pass = 0; pass < 2; pass++)
        for (hnode *n = htable_chain(&st->conns, h, pass); n; n = n->next) {
            tcb *t = tcb_of(n);
            if (n->hash == h && t->state != SYNACK_LISTEN && ep_eq(&t->local, local) && ep_eq(&t->remote, remote)) {
                st->recent = t;
                return t;
            }
        }
    return NULL;
}

tcb *stack_lookup_recent(const synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    tcb *t = st->recent;
    return t && ep_eq(&t->remote, remote) && ep_eq(&t->local, local) ? t : NULL;
}

tcb *stack_lookup_listener(synack_stack *st, const synack_endpoint *local)
{
    synack_endpoint l = {no_remote.addr, local->port};
    uint32_t h = stack_tuple_hash(st, &l, &no_remote);
    for (int pass = 0; pass < 2; pass++)
        for (hnode *n = htable_chain(&st->conns, h, pass); n; n = n->next) {
            tcb *t = tcb_of(n);
            if (n->hash == h && t->state == SYNACK_LISTEN && !t->parent && t->local.port == local->port &&
                (synack_addr_is_any(&t->local.addr) || synack_addr_eq(&t->local.addr, &local->addr)))
                return t;
        }
    return NULL;
}

bool stack_local_in_use(synack_stack *st, const synack_endpoint *local, bool reuseaddr)
{
    /* Binding is rare: a walk of the connections is acceptable here and keeps the hash simple.
     * With SO_REUSEADDR only a listener blocks the port (TIME-WAIT does not), as on Linux. */
    for (tcb *t = st->all_head; t; t = t->all_next) {
        if (t->local.port != local->port) continue;
        if (reuseaddr && t->state != SYNACK_LISTEN && t->state != SYNACK_CLOSED) continue;
        if (synack_addr_is_any(&t->local.addr) || synack_addr_is_any(&local->addr) ||
            synack_addr_eq(&t->local.addr, &local->addr))
            return true;
    }
    if (!reuseaddr)
        for (tw_rec *w = st->tw.head; w; w = w->next)
            if (w->local.port == local->port) return true;
    return false;
}

/* ---- timer heap (binary min-heap of tcbs by next_deadline) ---- */

static void heap_swap(synack_stack *st, uint32_t a, uint32_t b)
{
    tcb *x = st->heap[a];
    st->heap[a] = st->heap[b];
    st->heap[b] = x;
    st->heap[a]->heap_idx = a;
    st->heap[b]->heap_idx = b;
}

static void heap_sift(synack_stack *st, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (st->heap[p]->next_deadline <= st->heap[i]->next_deadline) break;
        heap_swap(st, p, i);
        i = p;
    }
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < st->heap_len && st->heap[l]->next_deadline < st->heap[m]->next_deadline) m = l;
        if (r < st->heap_len && st->heap[r]->next_deadline < st->heap[m]->next_deadline) m = r;
        if (m == i) break;
        heap_swap(st, i, m);
        i = m;
    }
}

void stack_heap_remove(synack_stack *st, tcb *t)
{
    uint32_t i = t->heap_idx;
    if (i == UINT32_MAX) return;
    uint32_t last = --st->heap_len;
    if (i != last) {
        st->heap[i] = st->heap[last];
        st->heap[i]->heap_idx = i;
        heap_sift(st, i);
    }
    t->heap_idx = UINT32_MAX;
    if (st->heap_cap > 1024 && st->heap_len < st->heap_cap / 4) { /* shrink back with the load */
        tcb **h = alloc_resize(&st->cfg.allocator, st->heap, (size_t)st->heap_len * sizeof *h, (size_t)(st->heap_cap / 2) * sizeof *h);
        if (h) {
            st->heap = h;
            st->heap_cap /= 2;
        }
    }
}

void stack_heap_update(synack_stack *st, tcb *t)
{
    if (t->next_deadline == SYNACK_TIME_NEVER) {
        stack_heap_remove(st, t);
        return;
    }
    if (t->heap_idx == UINT32_MAX) {
        if (st->heap_len == st->heap_cap) {
            /* Doubling: amortized O(1); a copy of 8 bytes per armed connection, once per
             * doubling. Without memory the timer cannot be kept: fail loudly in counters. */
            uint32_t cap = st->heap_cap ? st->heap_cap * 2 : 64;
            tcb **h = alloc_resize(&st->cfg.allocator, st->heap, (size_t)st->heap_len * sizeof *h, (size_t)cap * sizeof *h);
            if (!h) {
                CNT(st, timer_no_memory);
                return;
            }
            st->heap = h;
            st->heap_cap = cap;
        }
        t->heap_idx = st->heap_len++;
        st->heap[t->heap_idx] = t;
    }
    heap_sift(st, t->heap_idx);
}

void stack_buffer_account(synack_stack *st, long delta)
{
    st->buffer_bytes = (size_t)((long)st->buffer_bytes + delta);
    if (st->buffer_bytes > st->buffer_bytes_high) st->buffer_bytes_high = st->buffer_bytes;
}
