/* conv.c: connections of a capture by 4-tuple, with a hash from the tuple (either direction) to
 * its latest connection: O(1) per segment, memory per connection, not per segment. */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

#include <synack/event.h>

static size_t alen(uint8_t family) { return family == 6 ? 16 : 4; }

bool conv_a_to_b(const conv_info *c, const tcp_seg *s)
{
    size_t n = alen(c->family);
    return s->sport == c->pa && s->dport == c->pb && !memcmp(s->src, c->a, n) && !memcmp(s->dst, c->b, n);
}

static bool b_to_a(const conv_info *c, const tcp_seg *s)
{
    size_t n = alen(c->family);
    return s->sport == c->pb && s->dport == c->pa && !memcmp(s->src, c->b, n) && !memcmp(s->dst, c->a, n);
}

bool conv_same_tuple(const conv_info *c, const tcp_seg *s)
{
    return c->family == s->family && (conv_a_to_b(c, s) || b_to_a(c, s));
}

/* FNV-1a over the tuple with its two endpoints in a fixed order, so both directions agree. */
static uint64_t tuple_hash(const tcp_seg *s)
{
    size_t n = alen(s->family);
    const uint8_t *x = s->src, *y = s->dst;
    uint16_t px = s->sport, py = s->dport;
    int c = memcmp(x, y, n);
    if (c > 0 || (c == 0 && px > py)) {
        x = s->dst, y = s->src;
        px = s->dport, py = s->sport;
    }
    uint64_t h = 1469598103934665603ull;
#define MIX(b) (h = (h ^ (uint8_t)(b)) * 1099511628211ull)
    MIX(s->family);
    for (size_t i = 0; i < n; i++) MIX(x[i]);
    for (size_t i = 0; i < n; i++) MIX(y[i]);
    MIX(px >> 8); MIX(px); MIX(py >> 8); MIX(py);
#undef MIX
    return h;
}

static bool grow_slots(conv_table *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 64;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return false;
    /* Reinsert the latest connection of each tuple: walk from the newest so older ones lose. */
    for (size_t i = t->n; i-- > 0;) {
        const conv_info *c = &t->v[i];
        tcp_seg k;
        memset(&k, 0, sizeof k);
        k.family = c->family;
        memcpy(k.src, c->a, 16);
        memcpy(k.dst, c->b, 16);
        k.sport = c->pa;
        k.dport = c->pb;
        size_t j = tuple_hash(&k) & (ns - 1);
        bool dup = false;
        for (; slots[j]; j = (j + 1) & (ns - 1))
            if (conv_same_tuple(&t->v[slots[j] - 1], &k)) dup = true;
        if (!dup) slots[j] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return true;
}

static conv_info *new_conv(conv_table *t, const tcp_seg *s)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        conv_info *v = realloc(t->v, cap * sizeof *v);
        if (!v) return NULL;
        t->v = v;
        t->cap = cap;
    }
    conv_info *c = &t->v[t->n];
    memset(c, 0, sizeof *c);
    c->family = s->family;
    /* A SYN-ACK first means the SYN was not captured: its receiver opened the connection. */
    bool reply = (s->flags & (SYNACK_SYN | SYNACK_ACK)) == (SYNACK_SYN | SYNACK_ACK);
    memcpy(c->a, reply ? s->dst : s->src, 16);
    memcpy(c->b, reply ? s->src : s->dst, 16);
    c->pa = reply ? s->dport : s->sport;
    c->pb = reply ? s->sport : s->dport;
    c->first = s->t;
    t->n++;
    return c;
}

long conv_add(conv_table *t, const tcp_seg *s)
{
    if ((t->n + 1) * 2 > t->nslots && !grow_slots(t)) return -1;
    size_t j = tuple_hash(s) & (t->nslots - 1);
    for (; t->slots[j]; j = (j + 1) & (t->nslots - 1))
        if (conv_same_tuple(&t->v[t->slots[j] - 1], s)) break;
    conv_info *c = t->slots[j] ? &t->v[t->slots[j] - 1] : NULL;
    bool open = (s->flags & (SYNACK_SYN | SYNACK_ACK)) == SYNACK_SYN;
    if (c && open) { /* a new ISN from a direction that already opened: a new connection */
        int dir = conv_a_to_b(c, s) ? 0 : 1;
        if (c->syn_seen[dir] && c->syn_seq[dir] != s->seq) c = NULL;
    }
    if (!c) {
        c = new_conv(t, s);
        if (!c) return -1;
        t->slots[j] = (uint32_t)t->n;
    }
    int dir = conv_a_to_b(c, s) ? 0 : 1;
    if (open && !c->syn_seen[dir]) {
        c->syn_seen[dir] = true;
        c->syn_seq[dir] = s->seq;
    }
    c->segs++;
    c->bytes += s->len;
    c->last = s->t;
    c->flags_seen |= s->flags;
    return (long)(c - t->v);
}

void conv_free(conv_table *t)
{
    free(t->v);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

void conv_print(FILE *out, const conv_table *t)
{
    fprintf(out, "%4s  %-46s %-46s %7s %10s  %-16s %s\n", "conn", "from (opener)", "to", "segs",
            "bytes", "flags seen", "seconds");
    for (size_t i = 0; i < t->n; i++) {
        const conv_info *c = &t->v[i];
        char a[64], b[64], f[48];
        tcp_seg_endpoint(c->a, c->family, c->pa, a, sizeof a);
        tcp_seg_endpoint(c->b, c->family, c->pb, b, sizeof b);
        synack_flags_format(c->flags_seen, f, sizeof f);
        fprintf(out, "%4zu  %-46s %-46s %7llu %10llu  %-16s %.6f\n", i + 1, a, b,
                (unsigned long long)c->segs, (unsigned long long)c->bytes, f,
                (double)(c->last - c->first) / 1e6);
    }
}
