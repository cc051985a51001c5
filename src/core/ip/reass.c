/* reass.c: IP reassembly. IPv4 by RFC 791 (with RFC 815's observation that holes need no list of
 * their own) and IPv6 by RFC 8200 4.5, RFC 5722 (overlaps) and RFC 6946 (atomic fragments never
 * get here: ip6_parse lets them through as whole packets).
 *
 * Owns: the datagram slots (a pool of frag_max_datagrams, made with the stack), the memory that
 * holds fragments (taken per fragment from a stack budget, frag_mem_bytes, and a per-source one,
 * frag_src_mem_bytes; all of it given back when a datagram completes, fails or times out), the
 * per-family timeout FIFOs behind synack_next_deadline, the drop policy, and "fragment
 * reassembly time exceeded". Must not parse headers beyond what the policy needs (wire/ does)
 * nor deliver datagrams itself (ip.c does, from ip_input_reassembled).
 *
 * Policy, in one place:
 * - Fragments of a datagram never overlap in memory. An exact duplicate (same offset and length)
 *   is dropped and the datagram kept (RFC 8200 4.5 allows this); any other overlap discards the
 *   whole datagram, for IPv6 as RFC 5722 requires and for IPv4 alike (Linux does the same since
 *   4.20): overlap is how RFC 1858 / RFC 3128 attacks rewrite a header after a filter saw it, and
 *   keeping either copy lets sender and receiver disagree on what was sent.
 * - A discarded datagram keeps its slot, without memory, until its timeout, so that its later
 *   fragments are dropped too ("including those not yet received", RFC 5722) and never start a
 *   new datagram; no ICMP is sent for it.
 * - The first fragment must hold the whole transport header (RFC 1858 3.1 and RFC 3128 for TCP
 *   over IPv4, RFC 7112 for IPv6), and an IPv4 TCP fragment at offset 8 bytes is dropped
 *   (RFC 1858 3.2: it can only be there to rewrite the TCP flags).
 * - Budgets: a source holds at most frag_src_mem_bytes and a quarter of the slots; beyond that
 *   its new datagram is discarded. The stack holds at most frag_mem_bytes and frag_max_datagrams;
 *   beyond that the oldest datagram is evicted (as Linux's evictor), so a flood from many
 *   sources delays, but cannot stop, reassembly for everyone.
 */
#include "ip/reass.h"
#include "ip/reass_impl.h"

#include <stdlib.h>
#include <string.h>

#include "ip/ip.h"
#include "stack_impl.h"
#include "wire/bytes.h"

enum { EXT_HOP = 0, EXT_ROUTING = 43, EXT_DSTOPTS = 60 };
enum { IP_MAX_DATAGRAM = 65535 };

/* What ip.c hands in, one shape for both families. */
typedef struct frag_in {
    uint8_t fam, key_proto, proto;
    const uint8_t *src, *dst;
    uint32_t id, off, len;
    bool more;
    const uint8_t *hdr;
    uint32_t hdr_len;
    uint16_t prev_next;
    const uint8_t *data;
} frag_in;

static size_t alen(uint8_t fam) { return fam == REASS_FAM6 ? 16 : 4; }

bool reass_config_valid(const synack_config *c)
{
    if (c->frag_max_datagrams == 0) return true; /* reassembly off */
    return c->frag_max_datagrams <= 65536 && c->frag_max_fragments >= 2 &&
           c->frag_max_fragments <= 8192 && c->frag_src_mem_bytes > 0 &&
           c->frag_src_mem_bytes <= c->frag_mem_bytes &&
           /* RFC 791: "The current recommendation for the initial timer setting is 15 seconds";
            * below that a slow link cannot deliver a large datagram's fragments at all. */
           c->frag_timeout_us >= SYNACK_SEC(15) && c->frag6_timeout_us >= SYNACK_SEC(15) &&
           c->frag_timeout_us <= SYNACK_SEC(3600) && c->frag6_timeout_us <= SYNACK_SEC(3600);
}

bool reass_init(synack_stack *st)
{
    reass_state *r = &st->reass;
    uint32_t n = st->cfg.frag_max_datagrams;
    r->key = siphash_derive(&st->keys.hash, 0x66726167u /* "frag" */);
    if (n == 0) return true;
    uint32_t hsize = 16;
    while (hsize < 2 * n) hsize <<= 1;
    r->hash_mask = hsize - 1;
    const synack_allocator *a = &st->cfg.allocator;
    r->pool = alloc_zeroed(a, (size_t)n * sizeof *r->pool);
    r->hash = alloc_zeroed(a, (size_t)hsize * sizeof *r->hash);
    r->srcs = alloc_zeroed(a, (size_t)n * sizeof *r->srcs);
    r->src_hash = alloc_zeroed(a, (size_t)hsize * sizeof *r->src_hash);
    if (!r->pool || !r->hash || !r->srcs || !r->src_hash) return false;
    for (uint32_t i = n; i-- > 0;) {
        r->pool[i].hnext = r->free;
        r->free = &r->pool[i];
        r->srcs[i].hnext = r->free_srcs;
        r->free_srcs = &r->srcs[i];
    }
    return true;
}

static void mem_add(synack_stack *st, reass_dgram *d, size_t n)
{
    reass_state *r = &st->reass;
    r->bytes += n;
    if (r->bytes > r->bytes_high) r->bytes_high = r->bytes;
    if (d && d->src_rec) d->src_rec->bytes += n;
}

static void mem_sub(synack_stack *st, reass_dgram *d, size_t n)
{
    st->reass.bytes -= n;
    if (d && d->src_rec) d->src_rec->bytes -= n;
}

static void frags_free(synack_stack *st, reass_dgram *d)
{
    reass_frag *f = d->frags;
    while (f) {
        reass_frag *next = f->next;
        mem_sub(st, d, f->mem);
        alloc_release(&st->cfg.allocator, f);
        f = next;
    }
    d->frags = d->tail = NULL;
    d->nfrags = d->have = 0;
}

void reass_free(synack_stack *st)
{
    reass_state *r = &st->reass;
    if (r->pool)
        for (uint32_t i = 0; i < st->cfg.frag_max_datagrams; i++)
            if (r->pool[i].state != R_FREE) frags_free(st, &r->pool[i]);
    const synack_allocator *a = &st->cfg.allocator;
    alloc_release(a, r->pool);
    alloc_release(a, r->hash);
    alloc_release(a, r->srcs);
    alloc_release(a, r->src_hash);
    memset(r, 0, sizeof *r);
}

/* ---- sources ---- */

static uint32_t src_hash(const reass_state *r, uint8_t fam, const uint8_t *addr)
{
    uint8_t k[17];
    k[0] = fam;
    memcpy(k + 1, addr, alen(fam));
    return (uint32_t)siphash24(&r->key, k, 1 + alen(fam)) & r->hash_mask;
}

static reass_src *src_find(reass_state *r, uint8_t fam, const uint8_t *addr)
{
    for (reass_src *s = r->src_hash[src_hash(r, fam, addr)]; s; s = s->hnext)
        if (s->fam == fam && memcmp(s->addr, addr, alen(fam)) == 0) return s;
    return NULL;
}

/* A record exists for every source with a live datagram, so there are never more records in use
 * than live slots: when a slot is free, so is a record. */
static reass_src *src_get(reass_state *r, uint8_t fam, const uint8_t *addr)
{
    reass_src *s = src_find(r, fam, addr);
    if (s || !r->free_srcs) return s;
    s = r->free_srcs;
    r->free_srcs = s->hnext;
    memset(s, 0, sizeof *s);
    s->fam = fam;
    memcpy(s->addr, addr, alen(fam));
    uint32_t h = src_hash(r, fam, addr);
    s->hnext = r->src_hash[h];
    r->src_hash[h] = s;
    return s;
}

static void src_release(reass_state *r, reass_dgram *d)
{
    reass_src *s = d->src_rec;
    if (!s) return;
    d->src_rec = NULL;
    if (--s->datagrams > 0) return;
    for (reass_src **pp = &r->src_hash[src_hash(r, s->fam, s->addr)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == s) {
            *pp = s->hnext;
            break;
        }
    }
    s->hnext = r->free_srcs;
    r->free_srcs = s;
}

/* ---- slots ---- */

static uint32_t key_hash(const reass_state *r, const frag_in *f)
{
    uint8_t k[40];
    size_t n = alen(f->fam);
    k[0] = f->fam;
    k[1] = f->key_proto;
    wr32(k + 2, f->id);
    memcpy(k + 6, f->src, n);
    memcpy(k + 6 + n, f->dst, n);
    return (uint32_t)siphash24(&r->key, k, 6 + 2 * n);
}

static reass_dgram *dgram_find(reass_state *r, const frag_in *f, uint32_t h)
{
    size_t n = alen(f->fam);
    for (reass_dgram *d = r->hash[h & r->hash_mask]; d; d = d->hnext)
        if (d->hash == h && d->fam == f->fam && d->id == f->id && d->key_proto == f->key_proto &&
            memcmp(d->src, f->src, n) == 0 && memcmp(d->dst, f->dst, n) == 0)
            return d;
    return NULL;
}

/* Discards a datagram's fragments; the slot stays (R_DEAD), still counted against its source's
 * share of the slots, so that a source sending overlaps cannot fill the pool with dead slots. */
static void dgram_kill(synack_stack *st, reass_dgram *d)
{
    frags_free(st, d);
    d->state = R_DEAD;
}

/* Gives the slot back: out of the hash and the FIFO, memory returned. */
static void dgram_release(synack_stack *st, reass_dgram *d)
{
    reass_state *r = &st->reass;
    dgram_kill(st, d);
    src_release(r, d);
    *d->hpprev = d->hnext;
    if (d->hnext) d->hnext->hpprev = d->hpprev;
    if (d->fprev) d->fprev->fnext = d->fnext;
    else r->head[d->fam] = d->fnext;
    if (d->fnext) d->fnext->fprev = d->fprev;
    else r->tail[d->fam] = d->fprev;
    memset(d, 0, sizeof *d);
    d->hnext = r->free;
    r->free = d;
    r->in_use--;
}

/* The datagram that started first, of either family. */
static reass_dgram *dgram_oldest(reass_state *r)
{
    reass_dgram *a = r->head[REASS_FAM4], *b = r->head[REASS_FAM6];
    if (!a || (b && b->created < a->created)) return b;
    return a;
}

static reass_dgram *dgram_new(synack_stack *st, const frag_in *f, uint32_t h)
{
    reass_state *r = &st->reass;
    uint32_t src_max = (st->cfg.frag_max_datagrams + 3) / 4;
    reass_src *s = src_find(r, f->fam, f->src);
    if (s && s->datagrams >= src_max) {
        CNT(st, reass_src_budget);
        return NULL;
    }
    if (!r->free) {
        dgram_release(st, dgram_oldest(r));
        CNT(st, reass_evicted);
    }
    s = src_get(r, f->fam, f->src);
    if (!s || !r->free) return NULL; /* cannot happen: see src_get */
    reass_dgram *d = r->free;
    r->free = d->hnext;
    r->in_use++;
    memset(d, 0, sizeof *d);
    d->state = R_LIVE;
    d->fam = f->fam;
    d->key_proto = f->key_proto;
    d->id = f->id;
    d->hash = h;
    memcpy(d->src, f->src, alen(f->fam));
    memcpy(d->dst, f->dst, alen(f->fam));
    d->src_rec = s;
    s->datagrams++;
    d->created = st->now;
    /* RFC 8200 4.5: abandoned if not complete within 60 seconds "of the reception of the
     * first-arriving fragment"; the same for IPv4 (RFC 1122 3.3.2: a fixed timeout, not the TTL). */
    d->deadline = st->now + (f->fam == REASS_FAM6 ? st->cfg.frag6_timeout_us : st->cfg.frag_timeout_us);
    reass_dgram **b = &r->hash[h & r->hash_mask];
    d->hnext = *b;
    if (*b) (*b)->hpprev = &d->hnext;
    d->hpprev = b;
    *b = d;
    d->fprev = r->tail[d->fam];
    if (d->fprev) d->fprev->fnext = d;
    else r->head[d->fam] = d;
    r->tail[d->fam] = d;
    return d;
}

/* Makes room for need more bytes within frag_mem_bytes by evicting the oldest datagrams other
 * than d; false when d itself is the oldest left. */
static bool make_room(synack_stack *st, reass_dgram *d, size_t need)
{
    reass_state *r = &st->reass;
    while (r->bytes + need > st->cfg.frag_mem_bytes) {
        reass_dgram *v = dgram_oldest(r);
        if (!v || v == d) return false;
        dgram_release(st, v);
        CNT(st, reass_evicted);
    }
    return true;
}

/* RFC 1858 3.1, RFC 3128 and RFC 7112: the offset-0 fragment must carry the whole header chain
 * through the transport header, or a filter that read it could be fooled by the next fragment. */
static bool first_has_transport_header(const frag_in *f)
{
    const uint8_t *p = f->data;
    size_t n = f->len;
    uint8_t next = f->proto;
    for (int i = 0; f->fam == REASS_FAM6 && i < 8 && (next == EXT_ROUTING || next == EXT_DSTOPTS); i++) {
        if (n < 2 || ((size_t)p[1] + 1) * 8 > n) return false;
        size_t hl = ((size_t)p[1] + 1) * 8;
        next = p[0];
        p += hl;
        n -= hl;
    }
    if (next == IP_PROTO_TCP) return n >= TCP_HDR_LEN && n >= (size_t)(p[12] >> 4) * 4;
    if (next == IP_PROTO_ICMP || next == IP_PROTO_ICMP6) return n >= 8;
    return true;
}

/* ---- completion and timeout ---- */

static void complete(synack_stack *st, reass_dgram *d)
{
    reass_frag *first = d->frags;
    bool v6 = d->fam == REASS_FAM6;
    /* IPv6: the unfragmentable part is the first fragment's headers without the Fragment header. */
    size_t hl = v6 ? first->hdr_len - IP6_FRAG_HDR_LEN : first->hdr_len;
    size_t total = hl + d->end;
    /* RFC 791: the Total Length field (header included) is 16 bits; RFC 8200 4.5: a Payload
     * Length over 65,535 is an error. The "ping of death" is this check missing. */
    if ((v6 ? total - IP6_HDR_LEN : total) > IP_MAX_DATAGRAM) {
        dgram_kill(st, d);
        CNT(st, reass_too_big);
        return;
    }
    uint8_t *buf = alloc_bytes(&st->cfg.allocator, 0, total);
    if (!buf) {
        dgram_kill(st, d);
        CNT(st, reass_mem);
        return;
    }
    mem_add(st, NULL, total);
    memcpy(buf, first->bytes, hl);
    if (v6) {
        buf[d->prev_next] = d->next; /* the Fragment header is gone: link past it */
        wr16(buf + 4, (uint16_t)(total - IP6_HDR_LEN));
    } else {
        wr16(buf + 2, (uint16_t)total);
        wr16(buf + 6, (uint16_t)(rd16(buf + 6) & 0x4000)); /* keep DF; MF and offset cleared */
        wr16(buf + 10, 0);
        wr16(buf + 10, cksum_fold(cksum_add(0, buf, hl)));
    }
    for (reass_frag *f = d->frags; f; f = f->next) memcpy(buf + hl + f->off, f->bytes + f->hdr_len, f->len);
    dgram_release(st, d);
    CNT(st, reass_ok);
    ip_input_reassembled(st, buf, total);
    alloc_release(&st->cfg.allocator, buf);
    mem_sub(st, NULL, total);
}

/* RFC 792 (type 11 code 1) and RFC 4443 3.3 (type 3 code 1): sent only when the offset-0
 * fragment arrived, quoting it; never about an ICMP error (RFC 1122 3.2.2, RFC 4443 2.4 (e)). */
static void time_exceeded(synack_stack *st, const reass_dgram *d)
{
    const reass_frag *f = d->frags;
    if (!f || f->off != 0) return;
    bool v6 = d->fam == REASS_FAM6;
    uint8_t proto = v6 ? d->next : d->key_proto;
    const uint8_t *l4 = f->bytes + f->hdr_len;
    if (proto == IP_PROTO_ICMP && !v6 && (l4[0] == 3 || l4[0] == 4 || l4[0] == 5 || l4[0] == 11 || l4[0] == 12))
        return;
    if (proto == IP_PROTO_ICMP6 && v6 && l4[0] < 128) return;
    /* IPv4: the header and the first 64 bits of data at least (RFC 792), up to a 576-byte
     * message (RFC 1812 4.3.2.3, as Linux); IPv6: as much as fits in 1280 bytes (RFC 4443 2.4 (c)). */
    size_t limit = v6 ? 1280 - IP6_HDR_LEN - 8 : 576 - IP4_HDR_LEN - 8;
    size_t qlen = f->hdr_len + f->len < limit ? f->hdr_len + f->len : limit;
    synack_addr to = {v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET, {0}};
    memcpy(to.bytes, d->src, alen(d->fam));
    icmp_reass_time_exceeded(st, &to, f->bytes, qlen);
}

void reass_expire(synack_stack *st)
{
    reass_state *r = &st->reass;
    for (int fam = 0; fam < REASS_FAMS; fam++) {
        reass_dgram *d;
        while ((d = r->head[fam]) && d->deadline <= st->now) {
            if (d->state == R_LIVE) {
                CNT(st, reass_timeout);
                time_exceeded(st, d);
            }
            dgram_release(st, d);
        }
    }
}

synack_time_us reass_next_deadline(const synack_stack *st)
{
    const reass_state *r = &st->reass;
    synack_time_us t = SYNACK_TIME_NEVER;
    for (int fam = 0; fam < REASS_FAMS; fam++)
        if (r->head[fam] && r->head[fam]->deadline < t) t = r->head[fam]->deadline;
    return t;
}

/* ---- input ---- */

static void frag_input(synack_stack *st, const frag_in *f)
{
    reass_state *r = &st->reass;
    if (st->cfg.frag_max_datagrams == 0) {
        CNT(st, reass_off);
        return;
    }
    /* RFC 791 and RFC 8200 4.5: every fragment but the last carries a multiple of 8 octets (the
     * offset unit); an empty fragment carries nothing to reassemble. */
    if (f->len == 0 || (f->more && (f->len & 7))) {
        CNT(st, reass_bad_len);
        return;
    }
    uint32_t h = key_hash(r, f);
    reass_dgram *d = dgram_find(r, f, h);
    if (d && d->state == R_DEAD) {
        CNT(st, reass_dead); /* RFC 5722: "including those not yet received" */
        return;
    }
    if (f->off == 0 && !first_has_transport_header(f)) {
        CNT(st, reass_tiny);
        return;
    }
    /* RFC 1858 3.2 (and RFC 3128): "if FO=1 and PROTOCOL=TCP then drop packet". */
    if (f->fam == REASS_FAM4 && f->key_proto == IP_PROTO_TCP && f->off == 8) {
        CNT(st, reass_tcp_off1);
        return;
    }
    uint32_t fend = f->off + f->len;
    if (fend > IP_MAX_DATAGRAM - (f->fam == REASS_FAM4 ? IP4_HDR_LEN : 0)) {
        if (d) dgram_kill(st, d);
        CNT(st, reass_too_big);
        return;
    }
    if (!d && !(d = dgram_new(st, f, h))) return;
    /* Where it goes: after the last fragment that starts at or before it. In-order arrival
     * appends in O(1); otherwise a walk of at most frag_max_fragments. */
    reass_frag *prev = NULL, *next = d->frags;
    if (d->tail && d->tail->off <= f->off) {
        prev = d->tail;
        next = NULL;
    } else {
        while (next && next->off <= f->off) {
            prev = next;
            next = next->next;
        }
    }
    if (prev && prev->off == f->off && prev->len == f->len) {
        CNT(st, reass_dup); /* RFC 8200 4.5: exact duplicates may be dropped alone */
        return;
    }
    if ((prev && prev->off + prev->len > f->off) || (next && fend > next->off)) {
        dgram_kill(st, d); /* RFC 5722 for IPv6; our policy for IPv4 (see the top) */
        CNT(st, reass_overlap);
        return;
    }
    /* The last fragment fixes the length: nothing may lie beyond it, nor a second end differ. */
    bool bad_end = f->more ? d->have_last && fend > d->end
                           : (d->have_last ? fend != d->end : d->tail && d->tail->off + d->tail->len > fend);
    if (bad_end) {
        dgram_kill(st, d);
        CNT(st, reass_bad_end);
        return;
    }
    if (d->nfrags >= st->cfg.frag_max_fragments) {
        dgram_kill(st, d);
        CNT(st, reass_too_many);
        return;
    }
    uint32_t hdr_len = f->off == 0 ? f->hdr_len : 0;
    size_t need = sizeof(reass_frag) + hdr_len + f->len;
    if (d->src_rec->bytes + need > st->cfg.frag_src_mem_bytes) {
        dgram_kill(st, d);
        CNT(st, reass_src_budget);
        return;
    }
    reass_frag *n = make_room(st, d, need) ? alloc_bytes(&st->cfg.allocator, 0, need) : NULL;
    if (!n) {
        dgram_kill(st, d);
        CNT(st, reass_mem);
        return;
    }
    n->off = f->off;
    n->len = f->len;
    n->hdr_len = hdr_len;
    n->mem = need;
    memcpy(n->bytes, f->hdr, hdr_len);
    memcpy(n->bytes + hdr_len, f->data, f->len);
    n->next = next;
    if (prev) prev->next = n;
    else d->frags = n;
    if (!next) d->tail = n;
    mem_add(st, d, need);
    d->nfrags++;
    d->have += f->len;
    if (!f->more) {
        d->have_last = true;
        d->end = fend;
    }
    if (f->off == 0) {
        d->next = f->proto;
        d->prev_next = f->prev_next;
    }
    /* Disjoint fragments inside [0, end) that add up to end cover it: complete. */
    if (d->have_last && d->have == d->end) complete(st, d);
}

void reass_input4(synack_stack *st, const uint8_t *pkt, const ip4_hdr *ip, const uint8_t *payload,
                  size_t plen)
{
    frag_in f = {
        .fam = REASS_FAM4, .key_proto = ip->proto, .proto = ip->proto, .src = ip->src, .dst = ip->dst,
        .id = ip->id, .off = ip->frag_off, .len = (uint32_t)plen, .more = ip->mf,
        .hdr = pkt, .hdr_len = ip->hlen, .data = payload,
    };
    frag_input(st, &f);
}

void reass_input6(synack_stack *st, const uint8_t *pkt, const ip6_hdr *ip, const uint8_t *payload,
                  size_t plen)
{
    frag_in f = {
        .fam = REASS_FAM6, .key_proto = 0, .proto = ip->next, .src = ip->src, .dst = ip->dst,
        .id = ip->frag_id, .off = ip->frag_off, .len = (uint32_t)plen, .more = ip->frag_more,
        .hdr = pkt, .hdr_len = (uint32_t)ip->frag_hdr_off + IP6_FRAG_HDR_LEN,
        .prev_next = ip->frag_prev_next, .data = payload,
    };
    frag_input(st, &f);
}

uint32_t reass_ip6_id(synack_stack *st, const synack_addr *dst)
{
    uint8_t k[17];
    k[0] = 'i';
    memcpy(k + 1, dst->bytes, 16);
    return (uint32_t)siphash24(&st->reass.key, k, sizeof k) + st->frag6_id++;
}
