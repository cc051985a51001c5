/* syncookie.c: SYN cookies (RFC 4987 3.6). A listener whose SYN queue is full (cfg.syncookies =
 * auto) or every listener (always) answers a SYN with a SYN-ACK whose ISN encodes what the
 * connection needs, and keeps no state; the peer's ACK of it is checked here and input.c makes the
 * connection from what the cookie carried. Also the short memory of cookie connections that ended,
 * so that a replay of their final ACK does not open them again. Time is st->now; no clock, no I/O.
 *
 * The cookie (our ISS), after Linux's and FreeBSD's:
 *
 *     ISS = H1 xor ( MAC[26 bits] << 6 | (T mod 16) << 2 | MSS index )
 *
 *   T    = st->now in 64-second units (COOKIE_PERIOD_US);
 *   H1   = SipHash-2-4(keys.cookie, 4-tuple, peer ISN): hides the low fields, and makes cookies of
 *          different tuples unrelated, as RFC 6528's F() does for ordinary ISNs;
 *   MAC  = SipHash-2-4(keys.cookie, 4-tuple, peer ISN, T, MSS index), 26 bits of it.
 *
 * A cookie is valid while T is this period or the one before (64 to 128 seconds, as Linux's
 * MAX_SYNCOOKIE_AGE): the 4 clear bits of T name the candidate, one MAC decides. A blind attacker
 * must guess 26 bits per try. When the SYN had timestamps (and cfg.timestamps), the options ride in
 * the low 6 bits of our TSval as in Linux's cookie_init_timestamp(): bits 0-3 the peer's window
 * scale (15 = none), bit 4 SACK-permitted, bit 5 ECN (synack has no ECN: always 0). Without
 * timestamps the connection has no window scaling and no SACK, as in Linux. */
#include <string.h>

#include "stack_impl.h"

#include "ip/ip.h"

#define COOKIE_PERIOD_US SYNACK_SEC(64)
#define COOKIE_MAX_AGE 1u  /* periods before the current one that still validate */
#define COOKIE_TS_BITS 6
#define COOKIE_TS_WS_NONE 0xfu
#define COOKIE_TS_SACK 0x10u
#define COOKIE_TS_ECN 0x20u

/* MSS classes: the common values on today's paths, largest last. The IPv4 floor is RFC 9293's
 * default 536, IPv6's RFC 8200's minimum link MTU less headers (1220). */
static const uint16_t mss_v4[4] = {536, 1300, 1440, 1460};
static const uint16_t mss_v6[4] = {1220, 1340, 1440, 1460};

static const uint16_t *mss_table(const synack_endpoint *remote)
{
    return remote->addr.family == SYNACK_AF_INET6 ? mss_v6 : mss_v4;
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

static uint32_t cookie_h1(const synack_stack *st, const synack_endpoint *local,
                          const synack_endpoint *remote, uint32_t peer_isn)
{
    uint8_t b[4];
    put32(b, peer_isn);
    return (uint32_t)tcp_tuple_prf_with(&st->keys.cookie, local, remote, b, sizeof b);
}

static uint32_t cookie_mac(const synack_stack *st, const synack_endpoint *local,
                           const synack_endpoint *remote, uint32_t peer_isn, uint64_t period,
                           uint32_t mss_idx)
{
    uint8_t b[13];
    put32(b, peer_isn);
    put32(b + 4, (uint32_t)(period >> 32));
    put32(b + 8, (uint32_t)period);
    b[12] = (uint8_t)mss_idx;
    return (uint32_t)tcp_tuple_prf_with(&st->keys.cookie, local, remote, b, sizeof b) & 0x3ffffffu;
}

static uint32_t cookie_make(const synack_stack *st, const synack_endpoint *local,
                            const synack_endpoint *remote, uint32_t peer_isn, uint32_t mss_idx)
{
    uint64_t period = st->now / COOKIE_PERIOD_US;
    uint32_t mac = cookie_mac(st, local, remote, peer_isn, period, mss_idx);
    uint32_t fields = mac << 6 | (uint32_t)(period & 15u) << 2 | mss_idx;
    return cookie_h1(st, local, remote, peer_isn) ^ fields;
}

/* Our timestamp clock for the 4-tuple, as output.c's ts_val() computes it for the connection. */
static uint32_t ts_clock(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote)
{
    return (uint32_t)(st->now / 1000u) + tcp_ts_offset(st, local, remote);
}

bool tcp_syncookie_expected(const synack_stack *st, const tcb *lst)
{
    if (st->cfg.syncookies == SYNACK_SYNCOOKIES_ALWAYS) return true;
    if (st->cfg.syncookies == SYNACK_SYNCOOKIES_OFF || !lst->cookie_sent) return false;
    /* Only while a cookie sent by this listener can still be valid: otherwise an ACK to LISTEN
     * is what RFC 9293 3.10.7.2 says (a reset), and nobody gets to guess MACs for free. */
    return st->now / COOKIE_PERIOD_US <= lst->cookie_sent_us / COOKIE_PERIOD_US + COOKIE_MAX_AGE;
}

void tcp_syncookie_send(synack_stack *st, tcb *lst, const tcp_seg *seg,
                        const synack_endpoint *local, const synack_endpoint *remote)
{
    const tcp_opts *in = &seg->opts;
    const uint16_t *tab = mss_table(remote);
    /* RFC 9293 3.7.1 (MUST-15): no MSS option means 536 (IPv4) or 1220 (IPv6). */
    uint16_t peer_mss = in->has_mss && in->mss >= 64 ? in->mss : tab[0];
    if (peer_mss < tab[0]) { /* a class above the peer's MSS would break MUST-16: drop */
        CNT(st, tcp_syncookie_small_mss);
        return;
    }
    uint32_t idx = 3;
    while (tab[idx] > peer_mss) idx--;
    uint32_t iss = cookie_make(st, local, remote, seg->seq, idx);

    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = lst->rcv_mss_set ? lst->rcv_mss : tcp_announce_mss(st, &remote->addr);
    if (st->cfg.timestamps && in->has_ts) {
        /* Options only where the final ACK will bring them back (in its TSecr). On a SYN-ACK,
         * only what the SYN offered (RFC 7323 1.3, RFC 2018 2). */
        uint32_t bits = COOKIE_TS_WS_NONE;
        o.has_wscale = in->has_wscale && st->cfg.wscale > 0;
        o.wscale = st->cfg.wscale;
        if (o.has_wscale) bits = in->wscale > 14 ? 14 : in->wscale; /* RFC 7323 2.3 */
        o.sack_ok = st->cfg.sack && in->sack_ok;
        if (o.sack_ok) bits |= COOKIE_TS_SACK;
        /* Linux's cookie_init_timestamp(): the clock with its low bits replaced, never ahead
         * of the clock, so that the peer sees our timestamps grow (RFC 7323 5.4). */
        uint32_t now_ts = ts_clock(st, local, remote);
        uint32_t ts = (now_ts & ~((1u << COOKIE_TS_BITS) - 1)) | bits;
        if ((int32_t)(ts - now_ts) > 0) ts -= 1u << COOKIE_TS_BITS;
        o.has_ts = true;
        o.ts_val = ts;
        o.ts_ecr = in->ts_val;
    }

    size_t iph = ip_header_len(&remote->addr);
    uint8_t *p = stack_outq_reserve(st, iph + TCP_HDR_LEN + 40);
    if (!p) { /* no state to retry from: the peer retransmits its SYN */
        CNT(st, out_queue_full);
        return;
    }
    uint8_t *tcp = p + iph;
    size_t opt_len = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, true);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = local->port;
    h.dport = remote->port;
    h.seq = iss;
    h.ack = seg->seq + 1;
    h.flags = SYNACK_SYN | SYNACK_ACK;
    /* The window of a SYN-ACK is never scaled (RFC 7323 2.2): what a child would offer. */
    h.wnd = (uint16_t)(lst->rcvbuf_size < 0xffff ? lst->rcvbuf_size : 0xffff);
    size_t hl = tcp_hdr_emit(tcp, 60, &h, opt_len);
    ip_l4_cksum_set(tcp, hl, 16, &local->addr, &remote->addr, IP_PROTO_TCP);
    ip_header_emit(st, p, &local->addr, &remote->addr, IP_PROTO_TCP, hl);
    stack_outq_commit(st, iph + hl);
    lst->cookie_sent = true;
    lst->cookie_sent_us = st->now;
    CNT(st, tcp_syncookie_sent);
}

static uint64_t ended_tag(const synack_stack *st, const synack_endpoint *local,
                          const synack_endpoint *remote, uint32_t iss, uint32_t irs)
{
    uint8_t b[9];
    put32(b, iss);
    put32(b + 4, irs);
    b[8] = 'E';
    return tcp_tuple_prf_with(&st->keys.cookie, local, remote, b, sizeof b);
}

static bool ended_recently(const synack_stack *st, uint64_t tag)
{
    for (uint32_t i = 0; i < COOKIE_ENDED_MAX; i++)
        if (st->cookie_ended[i].tag == tag && st->cookie_ended[i].until >= st->now) return true;
    return false;
}

void tcp_syncookie_ended(synack_stack *st, tcb *t)
{
    if (!t->from_cookie) return;
    t->from_cookie = false;
    if (t->cookie_until < st->now) return; /* the cookie is dead already: nothing to replay */
    cookie_ended *e = &st->cookie_ended[st->cookie_ended_next];
    st->cookie_ended_next = (st->cookie_ended_next + 1) % COOKIE_ENDED_MAX;
    e->tag = ended_tag(st, &t->local, &t->remote, t->iss, t->irs);
    e->until = t->cookie_until;
}

bool tcp_syncookie_check(synack_stack *st, const tcp_seg *seg, const synack_endpoint *local,
                         const synack_endpoint *remote, syncookie_opts *out)
{
    uint32_t iss = seg->ack - 1, irs = seg->seq - 1;
    uint32_t fields = iss ^ cookie_h1(st, local, remote, irs);
    uint32_t idx = fields & 3u;
    uint64_t now_period = st->now / COOKIE_PERIOD_US;
    uint32_t low4 = (fields >> 2) & 15u; /* the period's clear bits name the one candidate */
    uint64_t age = (now_period - low4) & 15u;
    if (age > COOKIE_MAX_AGE || age > now_period ||
        cookie_mac(st, local, remote, irs, now_period - age, idx) != fields >> 6) {
        DROP(st, tcp_syncookie_bad, 0, SYNACK_LISTEN, local, remote, seg);
        return false;
    }
    memset(out, 0, sizeof *out);
    out->mss = mss_table(remote)[idx];
    out->until = (now_period - age + COOKIE_MAX_AGE + 1) * COOKIE_PERIOD_US - 1;
    if (st->cfg.timestamps && seg->opts.has_ts) {
        /* Our TSval came back in TSecr with the options in its low bits. It must be a value of
         * our clock from the cookie's lifetime (within 2 periods of now), and the bits ones we
         * can have written: ECN never, a window scale above 14 never (RFC 7323 2.3). */
        uint32_t ecr = seg->opts.ts_ecr, bits = ecr & ((1u << COOKIE_TS_BITS) - 1);
        uint32_t ws = bits & COOKIE_TS_WS_NONE;
        uint32_t behind = ts_clock(st, local, remote) - ecr;
        if ((bits & COOKIE_TS_ECN) || (ws != COOKIE_TS_WS_NONE && (ws > 14 || !st->cfg.wscale)) ||
            ((bits & COOKIE_TS_SACK) && !st->cfg.sack) ||
            behind > (COOKIE_MAX_AGE + 1) * (COOKIE_PERIOD_US / 1000u) + (1u << COOKIE_TS_BITS)) {
            DROP(st, tcp_syncookie_bad, 0, SYNACK_LISTEN, local, remote, seg);
            return false;
        }
        out->ts_ok = true;
        out->ws_ok = ws != COOKIE_TS_WS_NONE;
        out->snd_wscale = out->ws_ok ? (uint8_t)ws : 0;
        out->sack_ok = bits & COOKIE_TS_SACK;
    }
    if (ended_recently(st, ended_tag(st, local, remote, iss, irs))) {
        CNT(st, tcp_syncookie_ended);
        return false;
    }
    CNT(st, tcp_syncookie_ok);
    return true;
}
