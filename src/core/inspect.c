/* inspect.c: read-only snapshots of connections, counters and memory for tools. Reads the TCBs,
 * never changes them. */
#include <stdlib.h>
#include <string.h>

#include "stack_impl.h"

static void fill_netstat_timer(const synack_stack *st, const tcb *t, synack_conn_info *ci)
{
    /* Which timer netstat -o shows, following Linux's /proc/net/tcp: retransmit "on", zero
     * window "probe", keepalive "keepalive", TIME-WAIT (and the FIN-WAIT-2 reaper, which Linux
     * runs as a time-wait socket) "timewait", else "off". */
    const synack_time_us *d = t->deadline;
    int which = -1;
    uint8_t kind = SYNACK_NT_OFF;
    if (d[SYNACK_TIMER_TIME_WAIT] != SYNACK_TIME_NEVER) which = SYNACK_TIMER_TIME_WAIT, kind = SYNACK_NT_TIMEWAIT;
    /* As Linux's /proc/net/tcp (one retransmit timer for RTO, reorder and probe): "on" with
     * the earliest of the three. */
    else if (d[SYNACK_TIMER_REXMT] != SYNACK_TIME_NEVER || d[SYNACK_TIMER_TLP] != SYNACK_TIME_NEVER ||
             d[SYNACK_TIMER_RACK] != SYNACK_TIME_NEVER) {
        which = SYNACK_TIMER_REXMT, kind = SYNACK_NT_ON;
        if (d[SYNACK_TIMER_TLP] < d[which]) which = SYNACK_TIMER_TLP;
        if (d[SYNACK_TIMER_RACK] < d[which]) which = SYNACK_TIMER_RACK;
    }
    else if (d[SYNACK_TIMER_PERSIST] != SYNACK_TIME_NEVER) which = SYNACK_TIMER_PERSIST, kind = SYNACK_NT_PROBE;
    else if (d[SYNACK_TIMER_FIN_WAIT_2] != SYNACK_TIME_NEVER) which = SYNACK_TIMER_FIN_WAIT_2, kind = SYNACK_NT_TIMEWAIT;
    else if (d[SYNACK_TIMER_KEEPALIVE] != SYNACK_TIME_NEVER) which = SYNACK_TIMER_KEEPALIVE, kind = SYNACK_NT_KEEPALIVE;
    /* An opening connection ends at the establishment deadline even if a retransmission is
     * due later (at 63 s a SYN's next backoff says 64 s, but it has 12 s left): show the earlier,
     * as the time this timer state really has. */
    if (which == SYNACK_TIMER_REXMT && d[SYNACK_TIMER_CONN_EST] < d[which]) which = SYNACK_TIMER_CONN_EST;
    ci->nt_timer = kind;
    ci->nt_remaining_us = which >= 0 && d[which] > st->now ? d[which] - st->now : 0;
    ci->nt_retransmits = kind == SYNACK_NT_ON ? t->rexmt_shift : 0;
    ci->nt_probes = kind == SYNACK_NT_PROBE ? t->persist_shift : kind == SYNACK_NT_KEEPALIVE ? t->keep_probes : 0;
}

/* Octets acknowledged and received: offsets from ISS and IRS plus the counted 2^32 wraps, less
 * the SYN and FIN, which take a sequence number each but are no data. */
static uint64_t bytes_acked(const tcb *t)
{
    if (t->state == SYNACK_LISTEN || (t->snd_una == t->iss && !t->snd_una_wraps)) return 0;
    uint64_t off = ((uint64_t)t->snd_una_wraps << 32) + (uint32_t)(t->snd_una - t->iss) - 1;
    bool fin_acked = t->fin_queued && seq_gt(t->snd_una, t->snd_buf_seq + t->sndbuf.len);
    return off && fin_acked ? off - 1 : off;
}

static uint64_t bytes_received(const tcb *t)
{
    if (t->state == SYNACK_LISTEN || t->state == SYNACK_SYN_SENT ||
        (t->rcv_nxt == t->irs && !t->rcv_nxt_wraps))
        return 0;
    uint64_t off = ((uint64_t)t->rcv_nxt_wraps << 32) + (uint32_t)(t->rcv_nxt - t->irs) - 1;
    return off && t->fin_rcvd ? off - 1 : off;
}

static void fill(const synack_stack *st, const tcb *t, synack_conn_info *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->conn_id = t->id;
    ci->socket = t->sd;
    ci->state = t->state;
    ci->local = t->local;
    if (ci->local.addr.family == SYNACK_AF_NONE) ci->local.addr.family = SYNACK_AF_INET;
    ci->remote = t->remote;
    if (ci->remote.addr.family == SYNACK_AF_NONE) ci->remote.addr.family = SYNACK_AF_INET;
    if (t->state == SYNACK_LISTEN) {
        ci->recv_q = t->aq_len; /* as Linux: the accept queue */
        ci->syn_queue_len = t->syn_rcvd_len;
    } else if (t->bufs_on) {
        ci->recv_q = t->rcvbuf.len;
        ci->send_q = t->sndbuf.len;
    }
    fill_netstat_timer(st, t, ci);
    memcpy(ci->deadline_us, t->deadline, sizeof ci->deadline_us);
    ci->iss = t->iss;
    ci->irs = t->irs;
    ci->snd_una = t->snd_una;
    ci->snd_nxt = t->snd_nxt;
    ci->snd_wnd = t->snd_wnd;
    ci->rcv_nxt = t->rcv_nxt;
    ci->rcv_wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    ci->cwnd = t->cc.cwnd;
    ci->ssthresh = t->cc.ssthresh;
    ci->snd_mss = t->snd_mss;
    ci->srtt_us = t->srtt_us;
    ci->rttvar_us = t->rttvar_us;
    ci->rto_us = t->rto_us;
    ci->ts_ok = t->ts_ok;
    ci->sack_ok = t->sack_ok;
    ci->ws_ok = t->ws_ok;
    ci->snd_wscale = t->snd_wscale;
    ci->rcv_wscale = t->rcv_wscale;
    ci->dual_stack = t->state == SYNACK_LISTEN && synack_addr_is_any(&t->local.addr) &&
                     st->cfg.addr.family != SYNACK_AF_NONE && st->cfg.addr6.family != SYNACK_AF_NONE;
    if (ci->dual_stack) { /* shown as Linux shows a dual-stack socket: [::]:port */
        memset(&ci->local.addr, 0, sizeof ci->local.addr);
        ci->local.addr.family = SYNACK_AF_INET6;
        ci->remote.addr = ci->local.addr;
    }
    ci->bytes_acked = bytes_acked(t);
    ci->bytes_received = bytes_received(t);
    ci->retransmits_total = t->rexmit_total;
    ci->state_age_us = (synack_time_us)(uint32_t)((uint32_t)(st->now / 1000) - t->state_since_ms) * 1000u;
    ci->cc_name = cc_algo_of(&t->cc)->name;
    if (t->cc_ready) { /* a listener's bytes there are its accept queue (tcb.h) */
        ci->delivery_rate = t->rate.last_rate;
        ci->delivery_rate_app_limited = t->rate.last_app_limited;
    }
    ci->ecn_ok = t->ecn_ok;
    ci->cc_phase = t->cc_ready ? tcp_cc_algo_phase(t) : "";
    ci->cc_state = (uint8_t)tcp_cc_phase(t);
    ci->min_rtt_us = t->min_rtt_us;
    ci->pacing_rate = t->cc.pacing_rate;
    ci->ecn_ce_rcvd = t->ce_rcvd;
    ci->ecn_ece_echo = t->ecn_ece_pending;
    ci->ecn_cwr_pending = t->ecn_cwr_pending;
    ci->tlp_total = t->tlp_total;
    ci->undo_total = t->undo_total;
}

/* A compact TIME-WAIT record as netstat sees it: TIME-WAIT with its 2*MSL timer. */
static void fill_tw(const synack_stack *st, const tw_rec *w, synack_conn_info *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->conn_id = w->id;
    ci->socket = -1;
    ci->state = SYNACK_TIME_WAIT;
    ci->local = w->local;
    ci->remote = w->remote;
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++) ci->deadline_us[i] = SYNACK_TIME_NEVER;
    ci->deadline_us[SYNACK_TIMER_TIME_WAIT] = w->deadline;
    ci->nt_timer = SYNACK_NT_TIMEWAIT;
    ci->nt_remaining_us = w->deadline > st->now ? w->deadline - st->now : 0;
    ci->snd_una = ci->snd_nxt = w->snd_nxt;
    ci->rcv_nxt = w->rcv_nxt;
    ci->rcv_wnd = w->rcv_wnd;
    /* The record keeps no counters (it is kept small): those stay zero. Its age is counted from
     * the last FIN, which (re)started the 2*MSL wait. */
    synack_time_us left = ci->nt_remaining_us, msl2 = 2 * st->cfg.msl_us;
    ci->state_age_us = msl2 > left ? msl2 - left : 0;
    ci->cc_name = "";
    ci->cc_phase = "";
}

/* Shown: listeners and connections; a socket that never connected is not a connection. */
static bool shown(const tcb *t)
{
    return t->state != SYNACK_CLOSED || t->opened;
}

static int by_id(const void *a, const void *b)
{
    const synack_conn_info *x = a, *y = b;
    return (x->conn_id > y->conn_id) - (x->conn_id < y->conn_id);
}

size_t synack_conn_list(const synack_stack *st, synack_conn_info *out, size_t cap)
{
    size_t n = 0;
    for (const tcb *t = st->all_head; t; t = t->all_next) { /* listeners first */
        if (!shown(t) || !(t->state == SYNACK_LISTEN && !t->parent)) continue;
        if (n < cap) fill(st, t, &out[n]);
        n++;
    }
    size_t first = n < cap ? n : cap;
    for (const tcb *t = st->all_head; t; t = t->all_next) {
        if (!shown(t) || (t->state == SYNACK_LISTEN && !t->parent)) continue;
        if (n < cap) fill(st, t, &out[n]);
        n++;
    }
    for (const tw_rec *w = st->tw.head; w; w = w->next) {
        if (n < cap) fill_tw(st, w, &out[n]);
        n++;
    }
    /* Listeners by id, then connections by id: ids grow with time, the order they were made. */
    size_t m = n < cap ? n : cap;
    if (first > 1) qsort(out, first, sizeof *out, by_id);
    if (m > first + 1) qsort(out + first, m - first, sizeof *out, by_id);
    return n;
}

bool synack_conn_get(const synack_stack *st, uint32_t conn_id, synack_conn_info *out)
{
    for (const tcb *t = st->all_head; t; t = t->all_next) {
        if (t->id == conn_id) {
            fill(st, t, out);
            return true;
        }
    }
    for (const tw_rec *w = st->tw.head; w; w = w->next) {
        if (w->id == conn_id) {
            fill_tw(st, w, out);
            return true;
        }
    }
    return false;
}

void synack_conn_info_get(const synack_stack *st, const synack_conn *c, synack_conn_info *out)
{
    fill(st, (const tcb *)(const void *)c, out);
}

uint64_t synack_counter(const synack_stack *st, int c)
{
    return c >= 0 && c < SYNACK_COUNTER_COUNT ? st->counters[c] : 0;
}

uint64_t synack_transition_count(const synack_stack *st, int from, int to)
{
    if (from < 0 || from >= SYNACK_STATE_COUNT || to < 0 || to >= SYNACK_STATE_COUNT) return 0;
    return st->transitions[from][to];
}

void synack_mem_get(const synack_stack *st, synack_mem_info *out)
{
    out->buffer_bytes_in_use = st->buffer_bytes;
    out->buffer_bytes_high = st->buffer_bytes_high;
    out->conns_in_use = st->conns_in_use;
    out->conns_high = st->conns_high;
    out->sockets_in_use = st->user && st->user_ops->in_use ? st->user_ops->in_use(st->user) : 0;
    out->time_wait = st->tw.count;
    size_t bytes = slab_bytes(&st->tcb_slab) + slab_bytes(&st->cc_state_slab) + slab_bytes(&st->tw.recs) + slab_bytes(&st->bufs.ranges) +
                   slab_bytes(&st->bufs.small);
    for (uint32_t i = 0; i < BUF_CLASSES; i++) bytes += slab_bytes(&st->bufs.cls[i]);
    bytes += htable_bytes(&st->conns) + htable_bytes(&st->tw.hash);
    bytes += (size_t)st->heap_cap * sizeof *st->heap;
    if (st->user && st->user_ops->table_bytes) bytes += st->user_ops->table_bytes(st->user);
    out->table_bytes = bytes;
    out->reass_bytes_in_use = st->reass.bytes;
    out->reass_bytes_high = st->reass.bytes_high;
    out->reass_datagrams = st->reass.in_use;
}
