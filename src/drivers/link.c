/* link.c: the simulated wire: per-direction impairments, a seeded PRNG per direction and the
 * in-flight heap ordered by (delivery time, send order). Owns packet copies until they are popped.
 * Must not read a clock, use global state, or know about stacks and routing (that is sim.c). */
#include "link.h"

#include <stdlib.h>
#include <string.h>

/* ---- PRNG: xoshiro256**, seeded through splitmix64 (both public domain, Vigna/Blackman). ---- */

typedef struct link_rng {
    uint64_t s[4];
} link_rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(link_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void rng_seed(link_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

/* True with probability p. Draws nothing when p <= 0 (or NaN), so an impairment that is off does
 * not shift the random sequence of the ones that are on. */
static bool rng_chance(link_rng *r, double p)
{
    if (!(p > 0)) return false;
    return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* Uniform in [0, n), n > 0, without modulo bias (rejects the short top slice). */
static uint64_t rng_below(link_rng *r, uint64_t n)
{
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= threshold) return x % n;
    }
}

/* ---- State ---- */

typedef struct link_dir {
    synack_impair imp;  /* imp.loss_mask points at mask (our copy) */
    uint64_t *mask;
    link_rng rng;       /* one stream per direction: impairing a->b never changes b->a's draws */
    uint64_t sent;      /* packets offered in this direction: the loss_mask index */
    /* Rate limiter: the end of the last serialization, kept exactly as busy_us + busy_frac/rate
     * so that odd sizes at odd rates do not accumulate rounding error. */
    synack_time_us busy_us;
    uint64_t busy_frac;
    /* Departure times (rounded up) of packets not yet fully serialized, oldest first: a ring.
     * Its length is the queue that queue_limit bounds. */
    synack_time_us *q;
    size_t q_head, q_len, q_cap;
} link_dir;

typedef struct link_entry {
    synack_time_us at;
    uint64_t seq; /* FIFO tie-break among equal delivery times */
    int from, to;
    size_t len;
    uint8_t *data;
} link_entry;

struct sim_link {
    link_dir dirs[LINK_MAX_NODES][LINK_MAX_NODES];
    link_entry *heap;
    size_t n, cap;
    uint64_t seq;
    synack_tap_fn tap;
    void *tap_ctx;
};

static bool valid_node(int i) { return i >= 0 && i < LINK_MAX_NODES; }

/* Times saturate below NEVER: a packet delayed absurdly far is still "in flight", not lost. */
static synack_time_us time_add(synack_time_us a, synack_time_us b)
{
    if (a >= SYNACK_TIME_NEVER - 1 || b >= SYNACK_TIME_NEVER - 1 - a) return SYNACK_TIME_NEVER - 1;
    return a + b;
}

static void tap(sim_link *l, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                size_t len)
{
    if (l->tap) l->tap(l->tap_ctx, t, what, from, to, pkt, len);
}

sim_link *link_new(uint64_t seed)
{
    sim_link *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    for (int f = 0; f < LINK_MAX_NODES; f++)
        for (int t = 0; t < LINK_MAX_NODES; t++) {
            /* Mix the direction into the seed before splitmix so each stream is distinct. */
            uint64_t dir = (uint64_t)(f * LINK_MAX_NODES + t + 1);
            rng_seed(&l->dirs[f][t].rng, seed ^ (dir * 0xd1b54a32d192ed03u));
        }
    return l;
}

void link_free(sim_link *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->heap[i].data);
    free(l->heap);
    for (int f = 0; f < LINK_MAX_NODES; f++)
        for (int t = 0; t < LINK_MAX_NODES; t++) {
            free(l->dirs[f][t].mask);
            free(l->dirs[f][t].q);
        }
    free(l);
}

bool link_impair(sim_link *l, int from, int to, const synack_impair *imp)
{
    static const synack_impair perfect;
    if (!valid_node(from) || !valid_node(to)) return false;
    link_dir *d = &l->dirs[from][to];
    if (!imp) imp = &perfect;
    uint64_t *mask = NULL;
    size_t bits = imp->loss_mask ? imp->loss_mask_bits : 0;
    if (bits) {
        size_t words = bits / 64 + (bits % 64 != 0);
        mask = malloc(words * sizeof *mask);
        if (!mask) return false;
        memcpy(mask, imp->loss_mask, words * sizeof *mask);
    }
    /* busy_frac is in units of the old rate; round the busy time up rather than misread it. */
    if (imp->rate_bps != d->imp.rate_bps && d->busy_frac) {
        d->busy_us = time_add(d->busy_us, 1);
        d->busy_frac = 0;
    }
    free(d->mask);
    d->mask = mask;
    d->imp = *imp;
    d->imp.loss_mask = mask;
    d->imp.loss_mask_bits = bits;
    return true;
}

void link_set_tap(sim_link *l, synack_tap_fn fn, void *ctx)
{
    l->tap = fn;
    l->tap_ctx = ctx;
}

/* ---- Heap ---- */

static bool entry_before(const link_entry *a, const link_entry *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static bool heap_push(sim_link *l, link_entry e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        link_entry *h = realloc(l->heap, cap * sizeof *h);
        if (!h) return false;
        l->heap = h;
        l->cap = cap;
    }
    size_t i = l->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!entry_before(&e, &l->heap[parent])) break;
        l->heap[i] = l->heap[parent];
        i = parent;
    }
    l->heap[i] = e;
    return true;
}

static link_entry heap_pop(sim_link *l)
{
    link_entry top = l->heap[0];
    link_entry last = l->heap[--l->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->n) break;
        if (c + 1 < l->n && entry_before(&l->heap[c + 1], &l->heap[c])) c++;
        if (!entry_before(&l->heap[c], &last)) break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (l->n) l->heap[i] = last;
    return top;
}

synack_time_us link_next_time(const sim_link *l)
{
    return l->n ? l->heap[0].at : SYNACK_TIME_NEVER;
}

size_t link_in_flight(const sim_link *l) { return l->n; }

bool link_pop_due(sim_link *l, synack_time_us now, link_pkt *out)
{
    if (!l->n || l->heap[0].at > now) return false;
    link_entry e = heap_pop(l);
    out->at = e.at;
    out->from = e.from;
    out->to = e.to;
    out->len = e.len;
    out->data = e.data;
    return true;
}

/* ---- Rate limiter ---- */

static bool queue_push(link_dir *d, synack_time_us t)
{
    if (d->q_len == d->q_cap) {
        size_t cap = d->q_cap ? d->q_cap * 2 : 16;
        synack_time_us *q = malloc(cap * sizeof *q);
        if (!q) return false;
        for (size_t i = 0; i < d->q_len; i++) q[i] = d->q[(d->q_head + i) % d->q_cap];
        free(d->q);
        d->q = q;
        d->q_cap = cap;
        d->q_head = 0;
    }
    d->q[(d->q_head + d->q_len) % d->q_cap] = t;
    d->q_len++;
    return true;
}

/* Forgets packets whose last bit has left by now. */
static void queue_expire(link_dir *d, synack_time_us now)
{
    while (d->q_len && d->q[d->q_head] <= now) {
        d->q_head = (d->q_head + 1) % d->q_cap;
        d->q_len--;
    }
}

/* Serializes len bytes starting when both now has come and the previous packet has left:
 * returns the departure time (last bit out, rounded up to a microsecond). */
static synack_time_us serialize(link_dir *d, synack_time_us now, size_t len)
{
    uint64_t rate = d->imp.rate_bps;
    synack_time_us us = d->busy_us;
    uint64_t frac = d->busy_frac;
    if (now > us || (now == us && frac == 0)) {
        us = now;
        frac = 0;
    }
    /* bits * 1e6 / rate microseconds; a 64 KiB packet is ~5e11, far from overflow. Sizes beyond
     * any real packet saturate instead of wrapping. */
    uint64_t add = len > UINT64_MAX / 8000000u ? UINT64_MAX : (uint64_t)len * 8000000u;
    us = time_add(us, add / rate);
    uint64_t r = add % rate;
    if (frac >= rate - r) {
        us = time_add(us, 1);
        frac -= rate - r;
    } else {
        frac += r;
    }
    d->busy_us = us;
    d->busy_frac = frac;
    return frac ? time_add(us, 1) : us;
}

/* ---- Sending ---- */

/* RFC 3168 5: sets CE in an ECN-capable packet (IPv4 TOS or IPv6 Traffic Class), updating the
 * IPv4 header checksum incrementally (RFC 1624 eqn. 3). False when the packet is not ECT. */
static bool mark_ce(uint8_t *p, size_t len)
{
    if (len >= 20 && p[0] >> 4 == 4) {
        uint8_t ecn = p[1] & 3;
        if (ecn == 0 || ecn == 3) return false; /* Not-ECT, or already CE */
        uint16_t old_word = (uint16_t)(p[0] << 8 | p[1]);
        p[1] |= 3;
        uint16_t new_word = (uint16_t)(p[0] << 8 | p[1]);
        uint32_t sum = (uint16_t)~(p[10] << 8 | p[11]);
        sum += (uint16_t)~old_word;
        sum += new_word;
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        uint16_t ck = (uint16_t)~sum;
        p[10] = (uint8_t)(ck >> 8);
        p[11] = (uint8_t)ck;
        return true;
    }
    if (len >= 40 && p[0] >> 4 == 6) {
        uint8_t ecn = (p[1] >> 4) & 3; /* the Traffic Class' low two bits */
        if (ecn == 0 || ecn == 3) return false;
        p[1] |= 0x30;
        return true;
    }
    return false;
}

/* Flips one uniformly chosen bit. */
static void corrupt(link_dir *d, uint8_t *p, size_t len)
{
    uint64_t bit = rng_below(&d->rng, (uint64_t)len * 8);
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Queues one copy; a copy we cannot store is as good as lost on the wire. */
static void enqueue(sim_link *l, synack_time_us now, synack_time_us at, int from, int to,
                    uint8_t *data, size_t len)
{
    link_entry e = {at, l->seq++, from, to, len, data};
    if (!heap_push(l, e)) {
        tap(l, now, SYNACK_TAP_LOST, from, to, data, len);
        free(data);
    }
}

static uint8_t *copy_of(const uint8_t *pkt, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (c && len) memcpy(c, pkt, len);
    return c;
}

void link_send(sim_link *l, synack_time_us now, int from, int to, const uint8_t *pkt, size_t len)
{
    if (!valid_node(from) || !valid_node(to)) return;
    link_dir *d = &l->dirs[from][to];
    const synack_impair *imp = &d->imp;
    uint64_t index = d->sent++;

    tap(l, now, SYNACK_TAP_SENT, from, to, pkt, len);
    if (imp->mtu && len > imp->mtu) {
        tap(l, now, SYNACK_TAP_MTU_DROP, from, to, pkt, len);
        return;
    }
    bool masked = index < imp->loss_mask_bits && (imp->loss_mask[index / 64] >> (index % 64) & 1);
    if (masked || rng_chance(&d->rng, imp->loss)) {
        tap(l, now, SYNACK_TAP_LOST, from, to, pkt, len);
        return;
    }

    synack_time_us depart = now;
    bool congested = false;
    if (imp->rate_bps) {
        queue_expire(d, now);
        if (imp->queue_limit && d->q_len >= imp->queue_limit) {
            tap(l, now, SYNACK_TAP_QUEUE_DROP, from, to, pkt, len);
            return;
        }
        congested = imp->ce_threshold && d->q_len >= imp->ce_threshold;
        depart = serialize(d, now, len);
        /* If the ring cannot grow we only undercount the queue; the timing stays right. */
        (void)queue_push(d, depart);
    }

    synack_time_us at = time_add(depart, imp->delay_us);
    if (imp->jitter_us)
        at = time_add(at, imp->jitter_us == UINT64_MAX ? rng_next(&d->rng)
                                                      : rng_below(&d->rng, imp->jitter_us + 1));
    if (rng_chance(&d->rng, imp->reorder)) at = time_add(at, imp->reorder_delay_us);

    uint8_t *data = copy_of(pkt, len);
    if (!data) {
        tap(l, now, SYNACK_TAP_LOST, from, to, pkt, len);
        return;
    }
    if (congested && mark_ce(data, len)) tap(l, now, SYNACK_TAP_CE_MARKED, from, to, data, len);
    if (rng_chance(&d->rng, imp->corrupt) && len) {
        corrupt(d, data, len);
        tap(l, now, SYNACK_TAP_CORRUPTED, from, to, data, len);
    }
    bool dup = rng_chance(&d->rng, imp->duplicate);
    enqueue(l, now, at, from, to, data, len);
    if (!dup) return;

    /* The second copy is made from what was sent, and may be corrupted on its own. It arrives
     * right behind the first (same time, later sequence), as netem does. */
    uint8_t *twin = copy_of(pkt, len);
    if (!twin) return;
    tap(l, now, SYNACK_TAP_DUPLICATED, from, to, twin, len);
    if (congested) mark_ce(twin, len);
    if (rng_chance(&d->rng, imp->corrupt) && len) {
        corrupt(d, twin, len);
        tap(l, now, SYNACK_TAP_CORRUPTED, from, to, twin, len);
    }
    enqueue(l, now, at, from, to, twin, len);
}
