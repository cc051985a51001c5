/* peer.c: the scripted peer behind peer.h: packet building and parsing through the wire layer,
 * the virtual clock, and the exchanges that bring a connection into each RFC 9293 state. */
#include "peer.h"

#include <stdlib.h>
#include <string.h>

#include "util/seq.h"

static const uint8_t stack_ip[4] = {198, 18, 0, 1};
static const uint8_t peer_ip[4] = {198, 18, 0, 2};

void peer_config(synack_config *cfg)
{
    synack_config_default(cfg);
    cfg->addr = synack_addr_v4(198, 18, 0, 1);
    cfg->seed = 7;
    /* Plain segments by default: no TS/SACK options to account for in every expectation. */
    cfg->timestamps = false;
    cfg->sack = false;
}

peer *peer_new(const synack_config *cfg)
{
    peer *p = calloc(1, sizeof *p);
    if (!p) abort();
    if (cfg) p->cfg = *cfg;
    else peer_config(&p->cfg);
    p->st = synack_stack_new(&p->cfg);
    if (!p->st) abort();
    p->now = SYNACK_SEC(1);
    synack_poll(p->st, p->now);
    p->iss = 100000;
    p->snd_nxt = p->iss;
    p->wnd = 65535;
    p->mss = 1460;
    p->wscale = -1;
    p->ts = p->cfg.timestamps;
    p->sack = p->cfg.sack;
    p->ts_val = 5000;
    p->lsd = p->sd = -1;
    return p;
}

void peer_free(peer *p)
{
    synack_stack_free(p->st);
    free(p);
}

/* ---- output side: what the stack sent ---- */

size_t peer_collect(peer *p)
{
    static uint8_t buf[65536];
    size_t n;
    while ((n = synack_output(p->st, buf, sizeof buf)) > 0) {
        ip4_hdr ip;
        const uint8_t *payload;
        size_t plen;
        tcp_seg s;
        if (ip4_parse(buf, n, &ip, &payload, &plen) != WIRE_OK ||
            tcp_parse(payload, plen, ip.src, ip.dst, &s) != WIRE_OK) {
            test_fail(__FILE__, __LINE__, "the stack sent a malformed packet (%zu bytes)", n);
            continue;
        }
        if (memcmp(ip.src, stack_ip, 4) != 0 || memcmp(ip.dst, peer_ip, 4) != 0)
            test_fail(__FILE__, __LINE__, "packet with unexpected addresses");
        /* Sequence tracking follows the connection to PEER_PORT only; segments to other ports
         * (a second remote endpoint) are collected but do not disturb it. */
        bool mine = s.dport == PEER_PORT;
        if (mine && p->stack_port == 0) p->stack_port = s.sport;
        uint32_t seglen = s.len + !!(s.flags & F_SYN) + !!(s.flags & F_FIN);
        if (mine && (s.flags & F_SYN)) {
            if (!p->have_stack_iss || s.seq != p->stack_iss) {
                p->stack_iss = s.seq;
                p->rcv_nxt = s.seq;
                p->have_stack_iss = true;
            }
        }
        /* The peer acknowledges what arrives in order; RSTs carry no sequence space. */
        if (mine && !(s.flags & F_RST) && seq_leq(s.seq, p->rcv_nxt) &&
            seq_gt(s.seq + seglen, p->rcv_nxt))
            p->rcv_nxt = s.seq + seglen;
        if (s.opts.has_ts) p->ts_recent = s.opts.ts_val;
        if (p->nseg >= PEER_MAX_SEGS) {
            test_fail(__FILE__, __LINE__, "more than %d segments collected", PEER_MAX_SEGS);
            continue;
        }
        peer_seg *g = &p->seg[p->nseg++];
        g->t = p->now;
        g->flags = s.flags;
        g->seq = s.seq;
        g->ack = s.ack;
        g->wnd = s.wnd;
        g->sport = s.sport;
        g->dport = s.dport;
        g->len = s.len;
        g->opts = s.opts;
        memcpy(g->data, s.data, s.len < PEER_DATA_MAX ? s.len : PEER_DATA_MAX);
    }
    return p->nseg;
}

void peer_clear(peer *p)
{
    peer_collect(p); /* what is still queued in the stack is discarded too */
    p->nseg = 0;
}

const char *peer_dump(peer *p)
{
    static char out[4096];
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < p->nseg && o + 128 < sizeof out; i++) {
        char fl[32];
        const peer_seg *g = &p->seg[i];
        synack_flags_format(g->flags, fl, sizeof fl);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s[t=%.6f %s seq=%u ack=%u wnd=%u len=%u]",
                              i ? " " : "", (double)g->t / 1e6, fl, g->seq, g->ack, g->wnd, g->len);
    }
    if (p->nseg == 0) snprintf(out, sizeof out, "(nothing)");
    return out;
}

/* ---- the clock ---- */

void peer_advance(peer *p, synack_time_us us)
{
    synack_time_us target = p->now + us;
    for (int guard = 0; guard < 1000000; guard++) {
        synack_time_us d = synack_next_deadline(p->st);
        if (d == SYNACK_TIME_NEVER || d > target) break;
        if (d > p->now) p->now = d;
        synack_poll(p->st, p->now);
        peer_collect(p);
    }
    p->now = target;
    synack_poll(p->st, p->now);
    peer_collect(p);
}

synack_time_us peer_advance_to_deadline(peer *p, synack_time_us max_us)
{
    synack_time_us d = synack_next_deadline(p->st);
    if (d == SYNACK_TIME_NEVER || d > p->now + max_us) return 0;
    synack_time_us wait = d > p->now ? d - p->now : 0;
    peer_advance(p, wait);
    return wait;
}

/* ---- input side: what the peer sends ---- */

static void default_opts(peer *p, uint8_t flags, tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    if (flags & F_SYN) {
        o->has_mss = true;
        o->mss = p->mss;
        o->sack_ok = p->sack;
        o->has_wscale = p->wscale >= 0;
        o->wscale = (uint8_t)(p->wscale >= 0 ? p->wscale : 0);
    }
    o->has_ts = p->ts;
    o->ts_val = p->ts_val + (uint32_t)(p->now / 1000u);
    o->ts_ecr = (flags & F_ACK) ? p->ts_recent : 0;
}

void peer_inject(peer *p, const peer_tx *tx)
{
    static uint8_t buf[IP4_HDR_LEN + 60 + 65536];
    tcp_opts o;
    if (tx->opts) o = *tx->opts;
    else default_opts(p, tx->flags, &o);
    uint8_t *tcp = buf + IP4_HDR_LEN;
    size_t opt_len = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, tx->flags & F_SYN);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = tx->sport ? tx->sport : PEER_PORT;
    h.dport = p->stack_port ? p->stack_port : PEER_STACK_PORT;
    h.seq = tx->seq;
    h.ack = tx->ack;
    h.flags = tx->flags;
    h.wnd = (uint16_t)(tx->wnd < 0 ? p->wnd : tx->wnd);
    size_t hl = tcp_hdr_emit(tcp, 60, &h, opt_len);
    uint32_t len = tx->len < 65000 ? tx->len : 65000;
    if (len) {
        if (tx->data) memcpy(tcp + hl, tx->data, len);
        else memset(tcp + hl, 'x', len);
    }
    tcp_cksum_set(tcp, hl + len, peer_ip, stack_ip);
    ip4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.id = 1;
    ip.df = true;
    ip.ttl = 64;
    ip.proto = IP_PROTO_TCP;
    memcpy(ip.src, peer_ip, 4);
    memcpy(ip.dst, stack_ip, 4);
    ip4_emit(buf, IP4_HDR_LEN, &ip, hl + len);
    synack_input(p->st, p->now, buf, IP4_HDR_LEN + hl + len);
    peer_collect(p);
}

void peer_send(peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len)
{
    peer_tx tx = {flags, seq, ack, -1, data, len, NULL, 0};
    peer_inject(p, &tx);
}

void peer_send_data(peer *p, const void *data, uint32_t len)
{
    peer_send(p, F_ACK | F_PSH, p->snd_nxt, p->rcv_nxt, data, len);
    p->snd_nxt += len;
}

void peer_send_fin(peer *p)
{
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    p->snd_nxt++;
}

void peer_send_ack(peer *p) { peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0); }

/* ---- inspection ---- */

int peer_last_error(peer *p)
{
    synack_event ev;
    int err = 0;
    while (synack_event_next(p->st, &ev))
        if (ev.type == SYNACK_EV_ERROR) err = ev.err;
    return err;
}

bool peer_info(peer *p, synack_conn_info *ci)
{
    if (p->sd >= 0 && synack_socket_info(p->st, p->sd, ci)) return true;
    return p->conn_id && synack_conn_get(p->st, p->conn_id, ci);
}

synack_time_us peer_rto(peer *p)
{
    synack_conn_info ci;
    return peer_info(p, &ci) ? ci.rto_us : 0;
}

int peer_state(peer *p)
{
    synack_conn_info ci;
    return peer_info(p, &ci) ? ci.state : SYNACK_CLOSED;
}

uint32_t peer_rcv_wnd(peer *p)
{
    synack_conn_info ci;
    return peer_info(p, &ci) ? ci.rcv_wnd : 0;
}

uint32_t peer_stack_snd_nxt(peer *p)
{
    synack_conn_info ci;
    return peer_info(p, &ci) ? ci.snd_nxt : 0;
}

synack_time_us peer_deadline(peer *p, int timer)
{
    synack_conn_info ci;
    return peer_info(p, &ci) ? ci.deadline_us[timer] : SYNACK_TIME_NEVER;
}

uint32_t peer_conns(peer *p)
{
    synack_mem_info m;
    synack_mem_get(p->st, &m);
    return m.conns_in_use;
}

/* ---- checks ---- */

void peer_expect_at(peer *p, const char *file, int line, uint8_t flags, uint32_t seq, uint32_t ack)
{
    peer_collect(p);
    test_checks++;
    char fl[32];
    synack_flags_format(flags, fl, sizeof fl);
    if (p->nseg != 1) {
        test_fail(file, line, "expected one %s seq=%u ack=%u, got %zu: %s", fl, seq,
                  (flags & F_ACK) ? ack : 0, p->nseg, peer_dump(p));
    } else {
        const peer_seg *g = &p->seg[0];
        if (g->flags != flags || g->seq != seq || ((flags & F_ACK) && g->ack != ack))
            test_fail(file, line, "expected %s seq=%u ack=%u, got %s", fl, seq,
                      (flags & F_ACK) ? ack : 0, peer_dump(p));
    }
    peer_clear(p);
}

void peer_expect_none_at(peer *p, const char *file, int line)
{
    peer_collect(p);
    test_checks++;
    if (p->nseg) test_fail(file, line, "expected no segment, got %zu: %s", p->nseg, peer_dump(p));
    peer_clear(p);
}

void peer_expect_state_at(peer *p, const char *file, int line, int state)
{
    int s = peer_state(p);
    test_checks++;
    if (s != state)
        test_fail(file, line, "state %s, expected %s", s >= 0 ? synack_state_rfc_name(s) : "(none)",
                  synack_state_rfc_name(state));
}

void peer_finish_at(peer *p, const char *file, int line)
{
    test_checks++;
    if (synack_counter(p->st, SYNACK_CNT_tcp_illegal_transition) != 0)
        test_fail(file, line, "illegal transitions: %llu",
                  (unsigned long long)synack_counter(p->st, SYNACK_CNT_tcp_illegal_transition));
    for (int sd = 0; sd < (int)p->cfg.max_sockets && sd < 4096; sd++)
        if (synack_socket_state(p->st, sd) >= 0) synack_close(p->st, sd);
    p->sd = p->lsd = -1;
    /* Run every timer out; the peer stays silent, so closing connections retransmit their FIN
     * until R2 gives up, FIN-WAIT-2 is reaped and TIME-WAIT expires. */
    int guard = 0;
    for (; guard < 100000; guard++) {
        synack_time_us d = synack_next_deadline(p->st);
        if (d == SYNACK_TIME_NEVER) break;
        if (d > p->now) p->now = d;
        synack_poll(p->st, p->now);
        peer_collect(p);
        peer_clear(p);
    }
    test_checks++;
    if (guard == 100000) test_fail(file, line, "timers never ran out");
    synack_mem_info m;
    synack_mem_get(p->st, &m);
    test_checks++;
    if (m.buffer_bytes_in_use || m.conns_in_use || m.sockets_in_use || m.reass_bytes_in_use ||
        m.reass_datagrams)
        test_fail(file, line,
                  "leak after close and timers: %zu buffer bytes, %u conns, %u sockets, %zu reassembly "
                  "bytes, %u reassembly slots",
                  m.buffer_bytes_in_use, m.conns_in_use, m.sockets_in_use, m.reass_bytes_in_use,
                  m.reass_datagrams);
    test_checks++;
    if (synack_counter(p->st, SYNACK_CNT_tcp_illegal_transition) != 0)
        test_fail(file, line, "illegal transitions after run-out: %llu",
                  (unsigned long long)synack_counter(p->st, SYNACK_CNT_tcp_illegal_transition));
    peer_free(p);
}

/* ---- reaching each state ---- */

#define STEP(cond)                                                                 \
    do {                                                                           \
        if (!(cond)) {                                                             \
            test_fail(__FILE__, __LINE__, "setup: %s (%s)", #cond, peer_dump(p));  \
            return false;                                                          \
        }                                                                          \
    } while (0)

static bool one_seg(peer *p, uint8_t flags, uint32_t seq, uint32_t ack)
{
    peer_collect(p);
    bool ok = p->nseg == 1 && p->seg[0].flags == flags && p->seg[0].seq == seq &&
              (!(flags & F_ACK) || p->seg[0].ack == ack);
    return ok;
}

static bool done(peer *p)
{
    peer_clear(p);
    peer_last_error(p); /* drain setup events */
    return true;
}

bool peer_to_listen(peer *p)
{
    int sd = synack_socket(p->st);
    STEP(sd >= 0);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), PEER_STACK_PORT};
    STEP(synack_bind(p->st, sd, &any) == 0);
    STEP(synack_listen(p->st, sd, 16) == 0);
    synack_conn_info ci;
    STEP(synack_socket_info(p->st, sd, &ci));
    p->lsd = sd;
    p->conn_id = ci.conn_id;
    p->stack_port = PEER_STACK_PORT;
    STEP(peer_state(p) == SYNACK_LISTEN);
    return done(p);
}

bool peer_to_syn_sent(peer *p)
{
    int sd = synack_socket(p->st);
    STEP(sd >= 0);
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), PEER_PORT};
    STEP(synack_connect(p->st, sd, &ep) == -EINPROGRESS);
    p->sd = sd;
    synack_conn_info ci;
    STEP(synack_socket_info(p->st, sd, &ci));
    p->conn_id = ci.conn_id;
    p->stack_port = ci.local.port;
    STEP(one_seg(p, F_SYN, ci.iss, 0));
    STEP(p->rcv_nxt == ci.iss + 1);
    p->snd_nxt = p->iss;
    STEP(peer_state(p) == SYNACK_SYN_SENT);
    return done(p);
}

bool peer_to_syn_received_passive(peer *p)
{
    if (!peer_to_listen(p)) return false;
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    p->snd_nxt = p->iss + 1;
    peer_collect(p);
    STEP(p->nseg == 1 && p->seg[0].flags == (F_SYN | F_ACK) && p->seg[0].ack == p->iss + 1);
    /* The embryonic connection has no socket until accept: find it in the table. */
    synack_conn_info ci[8];
    size_t n = synack_conn_list(p->st, ci, 8);
    uint32_t id = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        if (ci[i].state == SYNACK_SYN_RECEIVED && ci[i].remote.port == PEER_PORT)
            id = ci[i].conn_id;
    STEP(id != 0);
    p->conn_id = id;
    STEP(peer_state(p) == SYNACK_SYN_RECEIVED);
    return done(p);
}

bool peer_to_syn_received_active(peer *p)
{
    if (!peer_to_syn_sent(p)) return false;
    /* Simultaneous open (RFC 9293 Figure 7): the peer's own SYN crosses ours. */
    peer_send(p, F_SYN, p->iss, 0, NULL, 0);
    p->snd_nxt = p->iss + 1;
    STEP(one_seg(p, F_SYN | F_ACK, p->stack_iss, p->iss + 1));
    STEP(peer_state(p) == SYNACK_SYN_RECEIVED);
    return done(p);
}

bool peer_to_established_active(peer *p)
{
    if (!peer_to_syn_sent(p)) return false;
    peer_send(p, F_SYN | F_ACK, p->iss, p->stack_iss + 1, NULL, 0);
    p->snd_nxt = p->iss + 1;
    STEP(one_seg(p, F_ACK, p->stack_iss + 1, p->iss + 1));
    STEP(peer_state(p) == SYNACK_ESTABLISHED);
    return done(p);
}

bool peer_to_established_passive(peer *p)
{
    if (!peer_to_syn_received_passive(p)) return false;
    peer_send(p, F_ACK, p->snd_nxt, p->stack_iss + 1, NULL, 0);
    peer_collect(p);
    STEP(p->nseg == 0);
    int sd = synack_accept(p->st, p->lsd, NULL);
    STEP(sd >= 0);
    p->sd = sd;
    STEP(peer_state(p) == SYNACK_ESTABLISHED);
    return done(p);
}

static bool user_close(peer *p, enum peer_how how)
{
    if (how == PEER_BY_CLOSE) {
        STEP(synack_close(p->st, p->sd) == 0);
        p->sd = -1; /* the connection goes on, orphaned; peer_state follows it by id */
    } else {
        STEP(synack_shutdown(p->st, p->sd, SYNACK_SHUT_WR) == 0);
    }
    return true;
}

bool peer_to_fin_wait_1(peer *p, enum peer_how how)
{
    if (!peer_to_established_active(p)) return false;
    uint32_t fin_seq = p->rcv_nxt;
    if (!user_close(p, how)) return false;
    STEP(one_seg(p, F_FIN | F_ACK, fin_seq, p->snd_nxt));
    STEP(peer_state(p) == SYNACK_FIN_WAIT_1);
    return done(p);
}

bool peer_to_fin_wait_2(peer *p, enum peer_how how)
{
    if (!peer_to_fin_wait_1(p, how)) return false;
    peer_send_ack(p);
    peer_collect(p);
    STEP(p->nseg == 0);
    STEP(peer_state(p) == SYNACK_FIN_WAIT_2);
    return done(p);
}

bool peer_to_close_wait(peer *p)
{
    if (!peer_to_established_active(p)) return false;
    peer_send_fin(p);
    STEP(one_seg(p, F_ACK, p->rcv_nxt, p->snd_nxt));
    STEP(peer_state(p) == SYNACK_CLOSE_WAIT);
    return done(p);
}

bool peer_to_closing(peer *p, enum peer_how how)
{
    if (!peer_to_fin_wait_1(p, how)) return false;
    /* The peer's FIN crosses ours: it does not acknowledge our FIN (RFC 9293 Figure 13). */
    peer_send(p, F_FIN | F_ACK, p->snd_nxt, p->rcv_nxt - 1, NULL, 0);
    p->snd_nxt++;
    STEP(one_seg(p, F_ACK, p->rcv_nxt, p->snd_nxt));
    STEP(peer_state(p) == SYNACK_CLOSING);
    return done(p);
}

bool peer_to_last_ack(peer *p, enum peer_how how)
{
    if (!peer_to_close_wait(p)) return false;
    uint32_t fin_seq = p->rcv_nxt;
    if (!user_close(p, how)) return false;
    STEP(one_seg(p, F_FIN | F_ACK, fin_seq, p->snd_nxt));
    STEP(peer_state(p) == SYNACK_LAST_ACK);
    return done(p);
}

bool peer_to_time_wait(peer *p, enum peer_how how)
{
    if (!peer_to_fin_wait_2(p, how)) return false;
    peer_send_fin(p);
    STEP(one_seg(p, F_ACK, p->rcv_nxt, p->snd_nxt));
    STEP(peer_state(p) == SYNACK_TIME_WAIT);
    return done(p);
}

bool peer_to_closed_by_reset(peer *p)
{
    if (!peer_to_established_active(p)) return false;
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    peer_collect(p);
    STEP(p->nseg == 0);
    STEP(synack_socket_state(p->st, p->sd) == SYNACK_CLOSED);
    return done(p);
}

uint32_t peer_oow(peer *p) { return p->snd_nxt + peer_rcv_wnd(p) + 100; }

synack_config peer_config_rfc793(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.rfc5961 = false;
    return cfg;
}

void peer_expect_acked_and_stays_at(peer *p, const char *file, int line, int state)
{
    peer_expect_at(p, file, line, F_ACK, p->rcv_nxt, p->snd_nxt);
    peer_expect_state_at(p, file, line, state);
}
