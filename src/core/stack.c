/* stack.c: the core's entry API: configuration, the stack object and its pools, packets and time
 * in (input dispatch, timers), packets out (synack_output), the next deadline. The services it
 * hosts each have their file: conn_table.c (4-tuple and listener lookup), outq.c (outbound queue),
 * events.c (event ring, transition bookkeeping, traces), timer_heap.c. No protocol decisions: TCP
 * lives in tcp/, IP in ip/. */
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
    memcpy(c->congestion_control, "cubic", sizeof "cubic");
    c->ecn = SYNACK_ECN_PASSIVE;
    c->reass_max_ranges = 32;
    c->sack_max_ranges = 256;
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
           c->reass_max_ranges <= 1024 && c->sack_max_ranges > 0 && c->sack_max_ranges <= 1024 &&
           c->ephemeral_lo > 0 && c->ephemeral_lo <= c->ephemeral_hi &&
           c->ephemeral_hi <= 65535 && c->outq_bytes >= 65536 + OUTQ_REC_HDR &&
           c->tso_max_bytes <= 65535 &&
           c->sndbuf_bytes <= BUF_MAX_BYTES && c->rcvbuf_bytes <= BUF_MAX_BYTES && c->max_sockets < (1u << 31) && c->eventq_len > 0 &&
           c->rto_min_us > 0 && c->rto_min_us <= c->rto_max_us && c->rto_initial_us > 0 &&
           c->delack_us > 0 && c->persist_min_us > 0 && c->persist_min_us <= c->persist_max_us &&
           c->keepalive_intvl_us > 0 && c->keepalive_idle_us > 0 &&
           /* the TCB holds these in 32-bit milliseconds and the probe count in 8 bits */
           c->keepalive_intvl_us <= TCP_DURATION_US_MAX && c->keepalive_idle_us <= TCP_DURATION_US_MAX &&
           c->user_timeout_us <= TCP_DURATION_US_MAX && c->keepalive_probes <= UINT8_MAX &&
           /* the listen queue lengths are 16-bit counters in the TCB */
           c->backlog_max >= 1 && c->backlog_max <= 65535 && c->syn_queue_max >= 1 &&
           c->syn_queue_max <= 65535 && c->syncookies <= SYNACK_SYNCOOKIES_ALWAYS &&
           c->challenge_ack_limit <= UINT32_MAX / 2 && reass_config_valid(c) &&
           memchr(c->congestion_control, 0, sizeof c->congestion_control) &&
           cc_find(c->congestion_control) >= 0 && c->ecn <= SYNACK_ECN_PASSIVE;
}

synack_stack *synack_stack_new(const synack_config *cfg)
{
    if (!cfg || !config_valid(cfg)) return NULL;
    synack_stack *st = alloc_zeroed(&cfg->allocator, sizeof *st);
    if (!st) return NULL;
    st->cfg = *cfg;
    const synack_allocator *a = &st->cfg.allocator;
    /* 512 KiB chunks: the allocator's cost for an aligned chunk (measured with glibc: 8 to 10 KiB
     * of resident memory each) is then under 2% of the TCBs (bench/memory.c). */
    slab_init_chunk(&st->tcb_slab, sizeof(tcb), 512u << 10, cfg->max_conns, a);
    slab_init(&st->cc_state_slab, CC_PRIV_BYTES, cfg->max_conns, a);
    bufpool_init(&st->bufs, cfg->reass_max_ranges, cfg->sack_max_ranges, a);
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
    /* The socket layer's table goes first: no descriptor outlives the stack. */
    if (st->user && st->user_ops && st->user_ops->free) st->user_ops->free(st, st->user);
    st->user = NULL;
    while (st->all_head) {
        tcb *t = st->all_head;
        t->sd = -1;
        tcp_tcb_free(st, t);
    }
    tcp_tw_destroy(st);
    bufpool_destroy(&st->bufs);
    slab_destroy(&st->tcb_slab);
    slab_destroy(&st->cc_state_slab);
    htable_destroy(&st->conns);
    const synack_allocator *a = &st->cfg.allocator;
    alloc_release(a, st->heap);
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
        slab_age(&st->cc_state_slab, epoch);
        slab_age(&st->tw.recs, epoch);
        slab_age(&st->bufs.ranges, epoch);
        slab_age(&st->bufs.small, epoch);
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

size_t synack_output_meta(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta)
{
    return stack_outq_take(st, buf, cap, meta);
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

void stack_buffer_account(synack_stack *st, long delta)
{
    st->buffer_bytes = (size_t)((long)st->buffer_bytes + delta);
    if (st->buffer_bytes > st->buffer_bytes_high) st->buffer_bytes_high = st->buffer_bytes;
}
