/* ladder.c: decodes IPv4/TCP packets seen on the simulated link into ladder lines, with sequence
 * numbers relative to each direction's ISN (as Wireshark shows them) and the packet's fate.
 * The decoder is its own, deliberately independent of the core's parser: it is a second opinion. */
#include "ladder.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <synack/event.h>

#define ARROW_WIDTH 68  /* fits a SYN,ACK with the usual four options */
#define EP_WIDTH 16     /* "198.18.0.1:32771" */
#define MAX_FLOWS 32

enum fate { FATE_OK, FATE_LOST, FATE_NO_ROUTE, FATE_TOO_BIG, FATE_QUEUE };

typedef struct ladder_entry {
    synack_time_us t;
    bool to_right;
    bool duplicated, corrupted;
    uint8_t fate;   /* enum fate */
    uint8_t flags;  /* TCP flags, for color; 0 for non-TCP */
    uint32_t len;   /* payload bytes */
    char left[24], right[24];
    char label[160];
} ladder_entry;

/* What we remember of one direction of a TCP flow: the sender's ISN and SYN options. */
typedef struct flow_dir {
    bool used;
    uint8_t src[4], dst[4];
    uint16_t sport, dport;
    bool base_known;
    uint32_t base;     /* ISN (or the first sequence number seen) */
    bool syn_seen, wscale_offered;
    uint8_t wscale;
} flow_dir;

struct ladder {
    FILE *out;
    bool color, collect;
    bool left_known;
    uint8_t left[4];
    char *prefix;
    synack_tap_fn next;
    void *next_ctx;
    ladder_entry *lines;
    size_t n, cap;
    bool last_kept; /* the last SENT packet has a line: fate taps may mark it */
    flow_dir flows[MAX_FLOWS];
    size_t flow_victim; /* round-robin eviction when the table is full */
};

ladder *ladder_new(FILE *out, bool color)
{
    ladder *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->out = out;
    l->color = color;
    return l;
}

void ladder_free(ladder *l)
{
    if (!l) return;
    free(l->lines);
    free(l->prefix);
    free(l);
}

void ladder_set_left(ladder *l, const synack_addr *addr)
{
    memcpy(l->left, addr->bytes, 4);
    l->left_known = true;
}

void ladder_set_prefix(ladder *l, const char *prefix)
{
    free(l->prefix);
    l->prefix = prefix ? strdup(prefix) : NULL;
}

void ladder_chain(ladder *l, synack_tap_fn fn, void *ctx)
{
    l->next = fn;
    l->next_ctx = ctx;
}

void ladder_set_collect(ladder *l, bool on) { l->collect = on; }
size_t ladder_count(const ladder *l) { return l->n; }

void ladder_clear(ladder *l)
{
    l->n = 0;
    l->last_kept = false;
}

void ladder_reset(ladder *l)
{
    ladder_clear(l);
    memset(l->flows, 0, sizeof l->flows);
    l->flow_victim = 0;
    l->left_known = false;
}

/* ---- decoding ---- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static flow_dir *flow_find(ladder *l, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                           uint16_t dport, bool create)
{
    for (size_t i = 0; i < MAX_FLOWS; i++) {
        flow_dir *f = &l->flows[i];
        if (f->used && f->sport == sport && f->dport == dport && !memcmp(f->src, src, 4) &&
            !memcmp(f->dst, dst, 4))
            return f;
    }
    if (!create) return NULL;
    flow_dir *f = NULL;
    for (size_t i = 0; i < MAX_FLOWS && !f; i++)
        if (!l->flows[i].used) f = &l->flows[i];
    if (!f) { /* a long capture with many flows: forget the oldest slot, not the newest */
        f = &l->flows[l->flow_victim];
        l->flow_victim = (l->flow_victim + 1) % MAX_FLOWS;
    }
    memset(f, 0, sizeof *f);
    f->used = true;
    memcpy(f->src, src, 4);
    memcpy(f->dst, dst, 4);
    f->sport = sport;
    f->dport = dport;
    return f;
}

/* Appends printf-style text to buf at *n, never past cap. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (w > 0) *n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

/* The options as tcpdump names them. On a SYN all are shown; later only SACK blocks (made
 * relative to the other direction's ISN, the space they acknowledge), since timestamps on every
 * line would drown the sequence numbers. */
static void decode_options(const uint8_t *o, size_t olen, bool syn, const flow_dir *rev,
                           char *buf, size_t cap, flow_dir *fwd)
{
    size_t n = 0;
    uint32_t rbase = rev && rev->base_known ? rev->base : 0;
    buf[0] = 0;
    for (size_t i = 0; i < olen;) {
        uint8_t kind = o[i];
        if (kind == 0) break;       /* EOL */
        if (kind == 1) {            /* NOP */
            i++;
            continue;
        }
        if (i + 1 >= olen || o[i + 1] < 2 || i + o[i + 1] > olen) {
            append(buf, cap, &n, "%sbad option", n ? "," : "");
            break;
        }
        uint8_t len = o[i + 1];
        const uint8_t *v = o + i + 2;
        switch (kind) {
        case 2:
            if (syn && len == 4) append(buf, cap, &n, "%smss %u", n ? "," : "", rd16(v));
            break;
        case 3:
            if (len == 3) {
                if (syn) append(buf, cap, &n, "%swscale %u", n ? "," : "", v[0]);
                if (syn && fwd) {
                    fwd->wscale_offered = true;
                    fwd->wscale = v[0] > 14 ? 14 : v[0];
                }
            }
            break;
        case 4:
            if (syn) append(buf, cap, &n, "%ssackOK", n ? "," : "");
            break;
        case 5:
            append(buf, cap, &n, "%ssack", n ? "," : "");
            for (size_t b = 0; b + 8 <= (size_t)len - 2; b += 8)
                append(buf, cap, &n, " %u-%u", rd32(v + b) - rbase, rd32(v + b + 4) - rbase);
            break;
        case 8:
            if (syn) append(buf, cap, &n, "%sTS", n ? "," : "");
            break;
        default:
            append(buf, cap, &n, "%sopt %u", n ? "," : "", kind);
            break;
        }
        i += len;
    }
}

static void addr_text(const uint8_t *a, uint16_t port, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], port);
}

/* Fills e from the packet: endpoints placed left or right, and the label. */
static void decode(ladder *l, const uint8_t *pkt, size_t len, ladder_entry *e)
{
    if (len < 20 || (pkt[0] >> 4) != 4) {
        snprintf(e->label, sizeof e->label, "non-IPv4 packet, %zu bytes", len);
        snprintf(e->left, sizeof e->left, "?");
        snprintf(e->right, sizeof e->right, "?");
        e->to_right = true;
        return;
    }
    size_t ihl = (size_t)(pkt[0] & 15) * 4;
    size_t total = rd16(pkt + 2);
    if (total > len) total = len;
    const uint8_t *src = pkt + 12, *dst = pkt + 16;
    if (!l->left_known) {
        memcpy(l->left, src, 4);
        l->left_known = true;
    }
    e->to_right = memcmp(src, l->left, 4) == 0;
    if (pkt[9] != 6 || ihl < 20 || total < ihl + 20) {
        addr_text(src, 0, e->to_right ? e->left : e->right, sizeof e->left);
        addr_text(dst, 0, e->to_right ? e->right : e->left, sizeof e->left);
        snprintf(e->label, sizeof e->label, "IPv4 proto %u, %zu bytes", pkt[9], total);
        return;
    }
    const uint8_t *tcp = pkt + ihl;
    size_t tlen = total - ihl;
    uint16_t sport = rd16(tcp), dport = rd16(tcp + 2);
    uint32_t seq = rd32(tcp + 4), ack = rd32(tcp + 8);
    size_t off = (size_t)(tcp[12] >> 4) * 4;
    uint8_t flags = tcp[13];
    uint16_t win = rd16(tcp + 14);
    if (off < 20 || off > tlen) off = 20; /* malformed: show the fixed header only */
    uint32_t plen = (uint32_t)(tlen - off);
    e->flags = flags;
    e->len = plen;
    addr_text(src, sport, e->to_right ? e->left : e->right, sizeof e->left);
    addr_text(dst, dport, e->to_right ? e->right : e->left, sizeof e->left);

    flow_dir *fwd = flow_find(l, src, sport, dst, dport, true);
    flow_dir *rev = flow_find(l, dst, dport, src, sport, false);
    bool syn = flags & SYNACK_SYN;
    if (syn) { /* a SYN names this direction's ISN; a different one means a new connection */
        if (!fwd->base_known || fwd->base != seq || !fwd->syn_seen) {
            fwd->base = seq;
            fwd->wscale_offered = false;
            fwd->wscale = 0;
        }
        fwd->base_known = true;
        fwd->syn_seen = true;
    } else if (!fwd->base_known) {
        /* Mid-stream (or an RST reply to a SYN): as Wireshark (packet-tcp.c), the first number
         * seen stands for ISN + 1, so it reads as relative 1. */
        fwd->base = seq - 1;
        fwd->base_known = true;
    }
    char opts[96];
    decode_options(tcp + 20, off - 20, syn, rev, opts, sizeof opts, syn ? fwd : NULL);

    char f[32];
    size_t n = 0;
    append(e->label, sizeof e->label, &n, "%s seq=%u", synack_flags_format(flags, f, sizeof f),
           seq - fwd->base);
    if (flags & SYNACK_ACK)
        append(e->label, sizeof e->label, &n, " ack=%u", ack - (rev && rev->base_known ? rev->base : 0));
    if (!(flags & SYNACK_RST)) {
        /* Scaled as Wireshark's "calculated window": only when both SYNs agreed on scaling. */
        uint32_t w = win;
        if (!syn && fwd->wscale_offered && rev && rev->wscale_offered) w = (uint32_t)win << fwd->wscale;
        append(e->label, sizeof e->label, &n, " win=%u", w);
    }
    if (plen) append(e->label, sizeof e->label, &n, " len=%u", plen);
    if (opts[0]) append(e->label, sizeof e->label, &n, " [%s]", opts);
}

/* ---- drawing ---- */

static const char *fate_text(uint8_t fate)
{
    switch (fate) {
    case FATE_LOST: return "lost";
    case FATE_NO_ROUTE: return "no route";
    case FATE_TOO_BIG: return "too big";
    case FATE_QUEUE: return "queue full";
    default: return "";
    }
}

/* The arrow, exactly ARROW_WIDTH wide unless the label is longer. col_on/col_off wrap the label
 * and shaft; the fate mark gets its own color. */
static void draw_arrow(const ladder_entry *e, char *buf, size_t cap, const char *col_on,
                       const char *col_off, const char *mark_on)
{
    size_t n = 0, lab = strlen(e->label);
    buf[0] = 0;
    if (e->fate == FATE_OK) {
        size_t dashes = ARROW_WIDTH >= lab + 9 ? ARROW_WIDTH - lab - 5 : 4;
        if (e->to_right) {
            append(buf, cap, &n, "%s----%s", col_on, e->label);
            for (size_t i = 0; i < dashes; i++) append(buf, cap, &n, "-");
            append(buf, cap, &n, ">%s", col_off);
        } else {
            append(buf, cap, &n, "%s<---%s", col_on, e->label);
            for (size_t i = 0; i < dashes + 1; i++) append(buf, cap, &n, "-");
            append(buf, cap, &n, "%s", col_off);
        }
        return;
    }
    const char *why = fate_text(e->fate);
    size_t used = 4 + lab + 3 + 1 + strlen(why); /* "----" label "--X" " " why */
    size_t pad = ARROW_WIDTH > used ? ARROW_WIDTH - used : 0;
    if (e->to_right) {
        append(buf, cap, &n, "%s----%s--%s%sX %s%s", col_on, e->label, col_off, mark_on, why, col_off);
        append(buf, cap, &n, "%*s", (int)pad, "");
    } else {
        append(buf, cap, &n, "%*s%s%s X%s%s--%s----%s", (int)pad, "", mark_on, why, col_off, col_on,
               e->label, col_off);
    }
}

static const char *entry_color(const ladder_entry *e)
{
    if (e->flags & SYNACK_RST) return "\033[31m";
    if (e->flags & SYNACK_SYN) return "\033[32m";
    if (e->flags & SYNACK_FIN) return "\033[33m";
    if (e->len) return "\033[1m";
    return "";
}

static void time_text(synack_time_us t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%06lu", (unsigned long long)(t / 1000000u), (unsigned long)(t % 1000000u));
}

static void render(const ladder_entry *e, char *buf, size_t cap, bool color)
{
    char arrow[512], tm[32];
    const char *on = color ? entry_color(e) : "";
    const char *off = color ? "\033[0m" : "";
    draw_arrow(e, arrow, sizeof arrow, on, off, color ? "\033[1;31m" : "");
    time_text(e->t, tm, sizeof tm);
    size_t n = 0;
    buf[0] = 0;
    append(buf, cap, &n, "%10s  %*s %s %s", tm, EP_WIDTH, e->left, arrow, e->right);
    if (e->duplicated) append(buf, cap, &n, "  (duplicated)");
    if (e->corrupted) append(buf, cap, &n, "  (corrupted)");
}

char *ladder_format(const ladder *l, size_t i, char *buf, size_t cap)
{
    if (cap) buf[0] = 0;
    if (i < l->n) render(&l->lines[i], buf, cap, false);
    return buf;
}

static void print_all(ladder *l)
{
    if (!l->out) return;
    char buf[1024];
    for (size_t i = 0; i < l->n; i++) {
        render(&l->lines[i], buf, sizeof buf, l->color);
        fprintf(l->out, "%s%s\n", l->prefix ? l->prefix : "", buf);
    }
}

void ladder_flush(ladder *l)
{
    print_all(l);
    ladder_clear(l);
}

void ladder_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                size_t len)
{
    ladder *l = ctx;
    if (what == SYNACK_TAP_SENT) {
        /* The fate of earlier packets is known by now: each is reported right after its SENT. */
        if (!l->collect) ladder_flush(l);
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            ladder_entry *p = realloc(l->lines, cap * sizeof *p);
            if (p) {
                l->lines = p;
                l->cap = cap;
            }
        }
        l->last_kept = l->n < l->cap; /* no memory for a line: draw nothing, mark nothing */
        if (l->last_kept) {
            ladder_entry *e = &l->lines[l->n++];
            memset(e, 0, sizeof *e);
            e->t = t;
            decode(l, pkt, len, e);
        }
    } else if (l->last_kept && l->n > 0) {
        ladder_entry *e = &l->lines[l->n - 1];
        switch (what) {
        case SYNACK_TAP_LOST: e->fate = FATE_LOST; break;
        case SYNACK_TAP_NO_ROUTE: e->fate = FATE_NO_ROUTE; break;
        case SYNACK_TAP_MTU_DROP: e->fate = FATE_TOO_BIG; break;
        case SYNACK_TAP_QUEUE_DROP: e->fate = FATE_QUEUE; break;
        case SYNACK_TAP_DUPLICATED: e->duplicated = true; break;
        case SYNACK_TAP_CORRUPTED: e->corrupted = true; break;
        default: break; /* DELIVERED: the line was drawn when it was sent */
        }
    }
    if (l->next) l->next(l->next_ctx, t, what, from, to, pkt, len);
}
