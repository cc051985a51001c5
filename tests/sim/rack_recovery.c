/* rack_recovery.c: loss detection and recovery in virtual time with exact impairments: RACK
 * (RFC 8985) for single, burst and lost-retransmission losses; the tail loss probe; reordering
 * inside RACK's window; D-SACK (RFC 2883) sent and acted on (undo, RFC 3708); a spurious
 * timeout undone by F-RTO (RFC 5682); PRR's sending pattern (RFC 6937); the congestion control
 * events `synack trace` shows for each of them (SYNACK_TRACE_CC). The link is this
 * file's own: a verdict per packet chosen by its TCP sequence number and how often that
 * sequence was sent, so a test says "lose the first transmission of segment 20" exactly. */
#include <stdlib.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>

#include "test.h"

enum { MSS_DATA = 1448, QMAX = 8192, PKT_MAX = 2048 };

typedef struct lpkt {
    synack_time_us at;
    uint64_t order;
    int to;
    size_t len;
    uint8_t data[PKT_MAX];
} lpkt;

/* What happens to a packet: dropped, or delivered after extra_us more delay. */
typedef struct verdict { bool drop; synack_time_us extra_us; bool ce; } verdict;
/* dir 0: client -> server. seg: data segment number (sequence offset / MSS) or -1 for no data;
 * nth: how many times this sequence number was sent before (0: first transmission); idx: the
 * packet's index in its direction. */
typedef verdict (*policy_fn)(int dir, long seg, int nth, uint64_t idx, synack_time_us now);

typedef struct lab {
    synack_stack *st[2];
    synack_time_us now, delay_us, busy_until[2];
    uint64_t rate_bps, sent[2], order;
    lpkt *q;
    int qn;
    policy_fn policy;
    uint8_t seen[4096];      /* transmissions per client data segment */
    /* Sender-side trace: per ACK arriving at the client, the data segments it sent in reply. */
    int acks_in_recovery, sent_after_ack[4096];
    bool trace, trace_armed;
    int retransmits;         /* client data segments sent below the highest sent */
    uint32_t highest;
    /* ECN as seen on the wire: data packets with ECT(0), CE marks made, ACKs with ECE, CWRs;
     * the time of the first CE mark, the last ECE. */
    int ect_data, ce_marked, ece_acks, cwr_segs;
    synack_time_us first_ce, last_ece;
} lab;

static uint8_t ecn_client = SYNACK_ECN_PASSIVE, ecn_server = SYNACK_ECN_PASSIVE;
static const char *cc_client = "cubic";

/* The client's congestion control events (SYNACK_EV_CC), when cc_traced subscribes to them. */
enum { CC_LOG_MAX = 512 };
static bool cc_traced;
static synack_event cc_log[CC_LOG_MAX];
static int cc_log_n, cc_log_all; /* kept, and seen (events of the client stack of any type) */

static lab L;

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void enqueue(int from, const uint8_t *pkt, size_t len)
{
    const uint8_t *tcp = pkt + 20;
    uint32_t seq = rd32(tcp + 4);
    size_t data = len - 20 - (size_t)(tcp[12] >> 4) * 4;
    long seg = -1;
    int nth = 0;
    if (from == 0 && data) {
        seg = (long)((seq - 2) / MSS_DATA); /* ISN 1: the first data octet is 2 */
        if (seg >= 0 && seg < 4096) nth = L.seen[seg] < 255 ? L.seen[seg]++ : 255;
        if (L.highest && (int32_t)(seq - L.highest) < 0) L.retransmits++;
        else L.highest = seq + (uint32_t)data;
        if (L.trace && L.acks_in_recovery < 4096) L.sent_after_ack[L.acks_in_recovery]++;
    }
    verdict v = L.policy ? L.policy(from, seg, nth, L.sent[from], L.now) : (verdict){false, 0, false};
    L.sent[from]++;
    uint8_t flags = tcp[13];
    if (from == 0 && data && (pkt[1] & 3) == 2) L.ect_data++;
    if (from == 1 && (flags & SYNACK_ECE) && !(flags & SYNACK_SYN)) {
        L.ece_acks++;
        L.last_ece = L.now;
    }
    if (from == 0 && (flags & SYNACK_CWR) && !(flags & SYNACK_SYN)) L.cwr_segs++;
    /* Serialisation at the link rate, then the propagation delay. */
    synack_time_us start = L.busy_until[from] > L.now ? L.busy_until[from] : L.now;
    synack_time_us ser = L.rate_bps ? (synack_time_us)(len * 8 * 1000000ull / L.rate_bps) : 0;
    L.busy_until[from] = start + ser;
    if (v.drop) return;
    if (L.qn >= QMAX) abort();
    lpkt *p = &L.q[L.qn++];
    p->at = start + ser + L.delay_us + v.extra_us;
    p->order = L.order++;
    p->to = 1 - from;
    p->len = len;
    memcpy(p->data, pkt, len);
    /* A router's CE mark (RFC 3168 5): only on ECN-capable packets; the header checksum
     * computed again. */
    if (v.ce && (p->data[1] & 3) != 0) {
        p->data[1] |= 3;
        p->data[10] = p->data[11] = 0;
        uint32_t sum = 0;
        for (int i = 0; i < 20; i += 2) sum += (uint32_t)p->data[i] << 8 | p->data[i + 1];
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        p->data[10] = (uint8_t)(~sum >> 8);
        p->data[11] = (uint8_t)~sum;
        if (!L.ce_marked++) L.first_ce = L.now;
    }
}

static void flush(void)
{
    static uint8_t buf[PKT_MAX];
    for (int i = 0; i < 2; i++) {
        size_t n;
        while ((n = synack_output(L.st[i], buf, sizeof buf)) > 0) enqueue(i, buf, n);
    }
}

/* Next event: the earliest packet or deadline. Returns false when nothing is left. */
static bool step(synack_time_us limit)
{
    synack_time_us next = SYNACK_TIME_NEVER;
    int best = -1;
    for (int i = 0; i < L.qn; i++)
        if (best < 0 || L.q[i].at < L.q[best].at || (L.q[i].at == L.q[best].at && L.q[i].order < L.q[best].order))
            best = i;
    if (best >= 0) next = L.q[best].at;
    for (int i = 0; i < 2; i++) {
        synack_time_us d = synack_next_deadline(L.st[i]);
        if (d < next) next = d;
    }
    if (next == SYNACK_TIME_NEVER || next > limit) return false;
    if (next > L.now) L.now = next;
    if (best >= 0 && L.q[best].at <= L.now) {
        lpkt p = L.q[best];
        L.q[best] = L.q[--L.qn];
        if (p.to == 0 && L.trace) L.acks_in_recovery++;
        synack_input(L.st[p.to], L.now, p.data, p.len);
        /* The PRR trace starts with the ACK that starts recovery (its reply counts as #1). */
        if (p.to == 0 && L.trace_armed && synack_counter(L.st[0], SYNACK_CNT_tcp_fast_rexmt)) {
            L.trace_armed = false;
            L.trace = true;
            L.acks_in_recovery = 1;
        }
    }
    for (int i = 0; i < 2; i++) synack_poll(L.st[i], L.now);
    flush();
    synack_event ev;
    while (synack_event_next(L.st[0], &ev)) {
        cc_log_all++;
        if (ev.type == SYNACK_EV_CC && cc_log_n < CC_LOG_MAX) cc_log[cc_log_n++] = ev;
    }
    return true;
}

typedef struct run_result {
    synack_time_us took;
    uint64_t rto, tlp, tlp_repaired, fast, rack_loss, lost_rexmit, undo, frto, dsack_sent, dsack_rcvd, reo_grown, prr;
    int retransmits;
    uint32_t cwnd_end, ssthresh_end;
    uint64_t delivery_rate;
    bool rate_app_limited;
    uint32_t tlp_conn, undo_conn, ce_rcvd_server; /* per connection (netstat -e) */
    synack_conn_info info;  /* the client's connection at the end */
    synack_time_us srtt_max;     /* the largest SRTT the sender had during the transfer */
} run_result;

static synack_time_us delay_default = SYNACK_MS(20);
static uint64_t rate_default = 100000000ull;
static uint32_t receiver_ranges; /* the receiver's out-of-order ranges; 0: the default (32) */
static uint32_t sender_board;    /* the sender's scoreboard ranges; 0: the default (256) */

/* Moves bytes from client to server through the policy; returns what happened. */
static run_result transfer(policy_fn policy, size_t bytes)
{
    memset(&L, 0, sizeof L);
    static lpkt queue[QMAX];
    L.q = queue;
    L.delay_us = delay_default;
    L.rate_bps = rate_default;
    synack_config c, s;
    synack_config_default(&c);
    c.addr = synack_addr_v4(198, 18, 0, 1);
    c.isn_fixed = true;
    c.isn_value = 1;
    c.seed = 11;
    c.ecn = ecn_client;
    snprintf(c.congestion_control, sizeof c.congestion_control, "%s", cc_client);
    if (sender_board) c.sack_max_ranges = sender_board;
    synack_config_default(&s);
    s.ecn = ecn_server;
    if (receiver_ranges) s.reass_max_ranges = receiver_ranges;
    s.addr = synack_addr_v4(198, 18, 0, 2);
    s.seed = 12;
    L.st[0] = synack_stack_new(&c);
    L.st[1] = synack_stack_new(&s);
    cc_log_n = cc_log_all = 0;
    if (cc_traced) synack_trace_set(L.st[0], SYNACK_TRACE_CC);
    int lsd = synack_socket(L.st[1]);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 80}, srv = {synack_addr_v4(198, 18, 0, 2), 80};
    CHECK(synack_bind(L.st[1], lsd, &any) == 0 && synack_listen(L.st[1], lsd, 4) == 0);
    int csd = synack_socket(L.st[0]);
    synack_connect(L.st[0], csd, &srv);
    flush();
    int asd = -1;
    while (asd < 0 && step(SYNACK_SEC(5))) asd = synack_accept(L.st[1], lsd, NULL);
    while (synack_socket_state(L.st[0], csd) != SYNACK_ESTABLISHED && step(SYNACK_SEC(5))) {}
    CHECK(asd >= 0);
    L.policy = policy; /* the handshake goes clean: packet indexes count from here */
    uint8_t *buf = malloc(bytes), *got = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) buf[i] = (uint8_t)(i * 7 + 3);
    size_t sent = 0, rcvd = 0;
    synack_time_us start = L.now, srtt_max = 0;
    while (rcvd < bytes && L.now < start + SYNACK_SEC(30)) {
        synack_conn_info now_ci;
        if (synack_socket_info(L.st[0], csd, &now_ci) && now_ci.srtt_us > srtt_max) srtt_max = now_ci.srtt_us;
        ssize_t w = synack_send(L.st[0], csd, buf + sent, bytes - sent);
        if (w > 0) sent += (size_t)w;
        flush();
        ssize_t r;
        while ((r = synack_recv(L.st[1], asd, got + rcvd, bytes - rcvd)) > 0) rcvd += (size_t)r;
        if (rcvd < bytes && !step(start + SYNACK_SEC(30))) break;
    }
    CHECK_EQ(rcvd, bytes);
    CHECK(memcmp(buf, got, bytes) == 0);
    run_result o;
    memset(&o, 0, sizeof o);
    o.took = L.now - start;
    o.srtt_max = srtt_max;
    /* Let the last ACKs and D-SACKs in (and any undo with them) before reading the counters. */
    synack_time_us settle = L.now + SYNACK_MS(500);
    while (step(settle)) {}
    synack_stack *cs = L.st[0];
    o.rto = synack_counter(cs, SYNACK_CNT_tcp_rto_fired);
    o.tlp = synack_counter(cs, SYNACK_CNT_tcp_tlp);
    o.tlp_repaired = synack_counter(cs, SYNACK_CNT_tcp_tlp_repaired);
    o.fast = synack_counter(cs, SYNACK_CNT_tcp_fast_rexmt);
    o.rack_loss = synack_counter(cs, SYNACK_CNT_tcp_rack_loss);
    o.lost_rexmit = synack_counter(cs, SYNACK_CNT_tcp_rack_lost_rexmit);
    o.undo = synack_counter(cs, SYNACK_CNT_tcp_spurious_undo);
    o.frto = synack_counter(cs, SYNACK_CNT_tcp_frto_spurious);
    o.dsack_rcvd = synack_counter(cs, SYNACK_CNT_tcp_dsack_rcvd);
    o.dsack_sent = synack_counter(L.st[1], SYNACK_CNT_tcp_dsack_sent);
    o.reo_grown = synack_counter(cs, SYNACK_CNT_tcp_rack_reo_wnd_grown);
    o.prr = synack_counter(cs, SYNACK_CNT_tcp_prr_recoveries);
    o.retransmits = L.retransmits;
    synack_conn_info ci;
    if (synack_socket_info(cs, csd, &ci)) {
        o.cwnd_end = ci.cwnd;
        o.ssthresh_end = ci.ssthresh;
        o.delivery_rate = ci.delivery_rate;
        o.rate_app_limited = ci.delivery_rate_app_limited;
        o.tlp_conn = ci.tlp_total;
        o.undo_conn = ci.undo_total;
        o.info = ci;
    }
    if (synack_socket_info(L.st[1], asd, &ci)) o.ce_rcvd_server = ci.ecn_ce_rcvd;
    printf("  %.3f s: rto %llu tlp %llu (repaired %llu) recoveries %llu rack-loss %llu lost-rexmit %llu "
           "retransmits %d undo %llu frto %llu dsack sent %llu rcvd %llu reo-grown %llu prr %llu cwnd %u\n",
           (double)o.took / 1e6, (unsigned long long)o.rto, (unsigned long long)o.tlp,
           (unsigned long long)o.tlp_repaired, (unsigned long long)o.fast, (unsigned long long)o.rack_loss,
           (unsigned long long)o.lost_rexmit, o.retransmits, (unsigned long long)o.undo,
           (unsigned long long)o.frto, (unsigned long long)o.dsack_sent, (unsigned long long)o.dsack_rcvd,
           (unsigned long long)o.reo_grown, (unsigned long long)o.prr, o.cwnd_end);
    synack_close(L.st[0], csd);
    synack_close(L.st[1], asd);
    synack_close(L.st[1], lsd);
    synack_stack_free(L.st[0]);
    synack_stack_free(L.st[1]);
    free(buf);
    free(got);
    return o;
}

static const verdict DELIVER = {false, 0, false}, DROP = {true, 0, false};

/* ---- losses ---- */

static verdict lose_20(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg == 20 && nth == 0 ? DROP : DELIVER;
}

static void single_loss(void)
{
    run_result o = transfer(lose_20, 200 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.fast, 1);
    CHECK(o.rack_loss >= 1);
    CHECK_EQ(o.retransmits, 1); /* the lost segment, nothing else */
    CHECK_EQ(o.undo, 0);
}

static verdict lose_20_to_24(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg >= 20 && seg <= 24 && nth == 0 ? DROP : DELIVER;
}

static void burst_loss(void)
{
    run_result o = transfer(lose_20_to_24, 200 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.fast, 1);
    CHECK(o.rack_loss >= 1);
    CHECK_EQ(o.retransmits, 5);
}

static verdict lose_20_twice(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg == 20 && nth <= 1 ? DROP : DELIVER;
}

static void lost_retransmission(void)
{
    run_result o = transfer(lose_20_twice, 400 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK(o.lost_rexmit >= 1); /* RACK saw the retransmission lost by its send time */
    CHECK_EQ(o.retransmits, 2);
}

/* Four holes in one window and the first one's retransmission lost too: RACK finds that
 * retransmission lost by its send time and it alone goes again (5 retransmissions). Moving the
 * resend point back to it resent the three repaired holes after it as well (8). */
static verdict lose_four_first_twice(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    if (dir != 0) return DELIVER;
    if (seg == 40) return nth <= 1 ? DROP : DELIVER;
    return (seg == 43 || seg == 46 || seg == 49) && nth == 0 ? DROP : DELIVER;
}

static void lost_retransmission_alone(void)
{
    run_result o = transfer(lose_four_first_twice, 400 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK(o.lost_rexmit >= 1);
    CHECK_EQ(o.retransmits, 5);
    CHECK_EQ(o.dsack_sent, 0); /* nothing arrived twice */
}

/* The timed segment SACKed while a hole before it waits (segment 20 lost three times): its RTT
 * is taken when it arrives (RFC 6298 with SACK, as Linux's sack_rtt), so SRTT stays near the
 * 40 ms path. Taken at the cumulative ACK instead, the sample carried the repair's round trips
 * and SRTT grew past 50 ms. */
static verdict lose_20_thrice(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg == 20 && nth <= 2 ? DROP : DELIVER;
}

static void rtt_from_sack(void)
{
    run_result o = transfer(lose_20_thrice, 400 * MSS_DATA);
    printf("  largest SRTT %.1f ms\n", (double)o.srtt_max / 1e3);
    CHECK_EQ(o.retransmits, 3);
    CHECK(o.srtt_max < SYNACK_MS(50));
}

/* SACKed octets are not in the network (RFC 6675 pipe, Linux's tcp_packets_in_flight) also
 * outside recovery: while a reordered segment is awaited within RACK's window, each SACK lets
 * new data go. Segment 10 arrives 250 us late, behind two others (RACK learns that the path
 * reorders: its window becomes min_rtt/4 = 10 ms); segment 150 is held back 8 ms. Counted: new
 * segments sent while the client waits for 150's ACK after the first SACK above it (21 here).
 * Counting the SACKed octets in flight stalled the sender for those 8 ms (2). */
static synack_time_us held_sent_at;
static int sent_while_held;
static verdict hold_150(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx;
    if (dir != 0 || nth != 0) return DELIVER;
    if (seg == 10) return (verdict){false, 250, false};
    if (seg == 150) {
        held_sent_at = now;
        return (verdict){false, SYNACK_MS(8), false};
    }
    /* The first SACK above 150 reaches the client 40 ms after 150 left (no queue at 100 Mbit/s:
     * the window, not the link, limits the sender), 150's ACK 48 ms after. */
    synack_time_us since = now - held_sent_at;
    if (held_sent_at && seg > 150 && since > SYNACK_MS(40) && since < SYNACK_MS(48)) sent_while_held++;
    return DELIVER;
}

static void sacked_not_in_flight(void)
{
    held_sent_at = 0;
    sent_while_held = 0;
    run_result o = transfer(hold_150, 400 * MSS_DATA);
    printf("  new segments sent while 150 was held: %d\n", sent_while_held);
    CHECK_EQ(o.retransmits, 0);
    CHECK_EQ(o.fast, 0);
    CHECK(sent_while_held >= 10);
}

/* Fifty holes in one window (every third segment from 102 to 249 lost once) at a receiver that
 * holds them all (as Linux's does): the sender's scoreboard (sack_max_ranges, 256) holds every
 * SACKed range, and each hole is resent once. A board of 32 ranges (the receiver's default
 * out-of-order limit, which it shared) dropped the SACK blocks beyond it: segments the peer held
 * looked lost and went again (84 retransmissions, 34 of them D-SACKed). */
static verdict fifty_holes(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg >= 100 && seg <= 250 && seg % 3 == 0 && nth == 0 ? DROP : DELIVER;
}

static void many_holes(void)
{
    receiver_ranges = 1024;
    run_result o = transfer(fifty_holes, 1000 * MSS_DATA);
    receiver_ranges = 0;
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.retransmits, 50);
    CHECK_EQ(o.dsack_sent, 0);
    /* The same with the board of 32 ranges it had: what it could not hold went again. */
    sender_board = 32;
    receiver_ranges = 1024;
    o = transfer(fifty_holes, 600 * MSS_DATA);
    receiver_ranges = sender_board = 0;
    CHECK(o.retransmits > 50 && o.dsack_sent > 0);
}

/* ---- the tail ---- */

static long tail_first, tail_last;
static verdict lose_tail(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg >= tail_first && seg <= tail_last && nth == 0 ? DROP : DELIVER;
}

static void tail_loss(void)
{
    /* 60 segments, the last three lost: nothing after them draws an ACK that would show it. */
    tail_first = 57, tail_last = 59;
    run_result o = transfer(lose_tail, 60 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.tlp, 1);
    CHECK_EQ(o.retransmits, 3);
    /* Without the probe the 200 ms RTO (at least) would decide; with it: about two round
     * trips (PTO) plus the repair's round trip. RTT is 40 ms. */
    CHECK(o.took < SYNACK_MS(400));
    /* The last segment alone: the probe fires at the timeout's moment at the latest
     * (RFC 8985 7.2), as a probe: no timeout, no window collapse. */
    tail_first = tail_last = 59;
    o = transfer(lose_tail, 60 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.tlp, 1);
    CHECK_EQ(o.retransmits, 1);
    CHECK(o.cwnd_end >= 10u * MSS_DATA);
}

/* ---- reordering ---- */

static verdict reorder_two(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    if (dir != 0 || nth != 0) return DELIVER;
    /* Segment 20 a little late (two segments overtake it): RACK learns the path reorders.
     * Segment 120 three milliseconds late (25 segments overtake it at 100 Mbit/s): within
     * the window min_rtt / 4 = 10 ms, so no retransmission. */
    if (seg == 20) return (verdict){false, 250, false};
    if (seg == 120) return (verdict){false, SYNACK_MS(3), false};
    return DELIVER;
}

static void reordering_in_window(void)
{
    run_result o = transfer(reorder_two, 200 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.retransmits, 0);
    CHECK_EQ(o.fast, 0);
}

/* ---- D-SACK and undo ---- */

static verdict reorder_far(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    /* Segment 30 arrives 5 ms late the first time: before RACK knows the path reorders, with
     * more than three segments SACKed above it, it is deemed lost and resent. The original
     * then arrives, the resent copy is a duplicate: the receiver reports it (D-SACK), the
     * sender undoes the window cut and widens its reordering window. */
    if (dir == 0 && seg == 30 && nth == 0) return (verdict){false, SYNACK_MS(5), false};
    return DELIVER;
}

static void dsack_undo(void)
{
    run_result o = transfer(reorder_far, 300 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.fast, 1);
    CHECK_EQ(o.retransmits, 1);
    CHECK(o.dsack_sent >= 1);
    CHECK(o.dsack_rcvd >= 1);
    CHECK_EQ(o.undo, 1);
    CHECK(o.reo_grown >= 1);
    /* Undone: the window is not the halved one the loss response set. */
    CHECK(o.cwnd_end > o.ssthresh_end || o.ssthresh_end > 100u * MSS_DATA);
}

/* ---- a spurious timeout ---- */

static verdict ack_stall(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)seg, (void)nth, (void)idx;
    /* Every ACK sent between 200 and 700 ms of the clock is held until 700 ms, then they all
     * arrive in order: a delay spike, no loss. The sender's timeout fires meanwhile. */
    if (dir == 1 && now >= SYNACK_MS(200) && now < SYNACK_MS(700)) return (verdict){false, SYNACK_MS(700) - now, false};
    return DELIVER;
}

static void spurious_rto_frto(void)
{
    run_result o = transfer(ack_stall, 2000 * MSS_DATA);
    CHECK(o.rto >= 1);
    CHECK_EQ(o.frto, 1);
    /* F-RTO sent new data instead of going back over the window: only the first segment. */
    CHECK(o.retransmits <= 2);
}

/* ---- PRR ---- */

static verdict prr_loss(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    /* One loss once the window is about 40 segments (slow start from 10: 10+20 sent, then 40). */
    if (dir == 0 && seg == 40 && nth == 0) {
        L.trace_armed = true;
        return DROP;
    }
    return DELIVER;
}

static void prr_pattern(void)
{
    run_result o = transfer(prr_loss, 400 * MSS_DATA);
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.prr, 1);
    /* RFC 6937 6 (the example with one loss and ssthresh half of the flight): PRR sends one
     * segment for every two delivered, spread over the recovery, instead of RFC 6675's
     * silence for half a window and then one per ACK. Over the first 16 ACKs after the loss
     * (the lost segment's own dupacks start it) the sender sends about 8 segments, and never
     * more than two in reply to one ACK. */
    int first = 0, max_burst = 0;
    for (int i = 1; i <= 16; i++) {
        first += L.sent_after_ack[i];
        if (L.sent_after_ack[i] > max_burst) max_burst = L.sent_after_ack[i];
    }
    printf("  PRR: sent in reply to the first 16 ACKs: %d (max %d per ACK):", first, max_burst);
    for (int i = 1; i <= 24; i++) printf(" %d", L.sent_after_ack[i]);
    printf("\n");
    CHECK(first >= 6 && first <= 10);
    CHECK(max_burst <= 2);
}

/* ---- delivery rate ---- */

static void delivery_rate(void)
{
    /* A clean bulk transfer over a 20 Mbit/s link: the last delivery-rate sample
     * (draft-cheng) is the bottleneck's data rate: 1448 data octets per 1500-octet packet. */
    rate_default = 20000000ull; /* below what the 256 KiB window allows over 40 ms */
    run_result o = transfer(NULL, 1500 * MSS_DATA);
    rate_default = 100000000ull;
    double link = 20e6 / 8 * 1448 / 1500;
    printf("  delivery rate %.2f Mbit/s (link data rate %.2f), app-limited %d\n",
           (double)o.delivery_rate * 8 / 1e6, link * 8 / 1e6, o.rate_app_limited);
    CHECK(o.delivery_rate >= (uint64_t)(0.85 * link));
    CHECK(o.delivery_rate <= (uint64_t)(1.02 * link));
}

/* ---- ECN ---- */

static verdict mark_30(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return (verdict){false, 0, dir == 0 && seg == 30 && nth == 0};
}

static void ecn_echo_and_cwr(void)
{
    ecn_client = SYNACK_ECN_ON;
    ecn_server = SYNACK_ECN_PASSIVE;
    run_result o = transfer(mark_30, 200 * MSS_DATA);
    printf("  ECT data %d, CE marked %d, ECE ACKs %d, CWR %d, echo lasted %.1f ms\n", L.ect_data,
           L.ce_marked, L.ece_acks, L.cwr_segs, (double)(L.last_ece - L.first_ce) / 1e3);
    CHECK(L.ect_data >= 190);       /* new data is ECN-capable; the handshake agreed */
    CHECK_EQ(L.ce_marked, 1);
    CHECK(L.ece_acks >= 1);         /* echoed ... */
    CHECK_EQ(L.cwr_segs, 1);        /* ... until one CWR, sent once */
    /* The echo stops once CWR arrives: the mark reaches the receiver (20 ms), its echo the
     * sender (20 ms), the CWR on the next new data the receiver (20 ms): within two round
     * trips of the mark, not for the rest of the transfer. */
    CHECK(L.last_ece - L.first_ce <= SYNACK_MS(80));
    CHECK_EQ(o.retransmits, 0);     /* a mark is no loss */
    CHECK_EQ(o.rto, 0);
    CHECK(o.ssthresh_end < 1000u * MSS_DATA); /* the window was reduced (RFC 3168 6.1.2) */
    /* Passive on both sides: nobody asks, nothing is ECN-capable, a mark cannot happen. */
    ecn_client = SYNACK_ECN_PASSIVE;
    o = transfer(mark_30, 50 * MSS_DATA);
    CHECK_EQ(L.ect_data, 0);
    CHECK_EQ(L.ce_marked, 0);
    /* Asked, refused: the server is off. */
    ecn_client = SYNACK_ECN_ON;
    ecn_server = SYNACK_ECN_OFF;
    o = transfer(mark_30, 50 * MSS_DATA);
    CHECK_EQ(L.ect_data, 0);
    ecn_client = ecn_server = SYNACK_ECN_PASSIVE;
}

/* A steady 200 ms path: two single losses, late in the transfer when RTTVAR has decayed, are
 * repaired by RACK with no timeout. The RTO is SRTT plus at least the 200 ms floor (as Linux's
 * rto_min); with the floor under the whole RTO it was SRTT + a few ms here, and the timer, left
 * running from the original's send, fired before the repair could be acknowledged. */
static verdict lose_2000_and_3000(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && (seg == 2000 || seg == 3000) && nth == 0 ? DROP : DELIVER;
}

static void long_path_no_rto(void)
{
    delay_default = SYNACK_MS(100);
    rate_default = 1000000000ull;
    run_result o = transfer(lose_2000_and_3000, 4000 * MSS_DATA);
    delay_default = SYNACK_MS(20);
    rate_default = 100000000ull;
    CHECK_EQ(o.rto, 0);
    CHECK_EQ(o.retransmits, 2);
    CHECK(o.rack_loss >= 2);
}

/* ---- the congestion control trace ---- */

static void cc_log_print(void)
{
    for (int i = 0; i < cc_log_n; i++) {
        char line[256];
        printf("    %s\n", synack_event_format(&cc_log[i], line, sizeof line));
    }
}

/* Index of the first logged event from `from` (or any: -1) to `to` for reason at or after
 * index at; -1 when none. */
static int cc_find(int at, int from, int to, int reason)
{
    for (int i = at; i < cc_log_n; i++)
        if ((from < 0 || cc_log[i].cc_from == from) && cc_log[i].cc_to == to && cc_log[i].reason == reason) return i;
    return -1;
}

static int cc_count(int to, int reason)
{
    int n = 0;
    for (int i = 0; i < cc_log_n; i++) n += cc_log[i].cc_to == to && (reason < 0 || cc_log[i].reason == reason);
    return n;
}

static verdict lose_every_97th(int dir, long seg, int nth, uint64_t idx, synack_time_us now)
{
    (void)idx, (void)now;
    return dir == 0 && seg > 0 && seg % 97 == 0 && nth == 0 ? DROP : DELIVER;
}

/* Each scenario above, traced: the events name the phases and reasons in the order they
 * happen, with the window after each; nothing is queued for a stack nobody subscribed. */
static void cc_trace_events(void)
{
    /* Not subscribed: no congestion control event is built. */
    run_result o = transfer(lose_20, 200 * MSS_DATA);
    CHECK_EQ(cc_log_n, 0);
    CHECK(cc_log_all > 0); /* the state events were read: the log would have seen them */

    cc_traced = true;
    /* One loss: slow start, RACK starts recovery (ssthresh 0.7 of the flight), recovery ends
     * at cwnd = ssthresh, congestion avoidance (CUBIC then moves to its Reno-friendly region
     * on the next ACK: W_est grows faster than W_cubic near the plateau). */
    o = transfer(lose_20, 200 * MSS_DATA);
    printf("  single loss:\n");
    cc_log_print();
    CHECK(cc_log_n >= 3);
    CHECK(cc_log_n >= 1 && cc_log[0].cc_from == SYNACK_CC_NONE && cc_log[0].cc_to == SYNACK_CC_SLOW_START &&
          cc_log[0].reason == SYNACK_CC_REASON_INIT && cc_log[0].cwnd == 10u * MSS_DATA);
    int rec = cc_find(0, SYNACK_CC_SLOW_START, SYNACK_CC_RECOVERY, SYNACK_CC_REASON_RACK);
    CHECK(rec >= 0);
    int end = rec >= 0 ? cc_find(rec, SYNACK_CC_RECOVERY, SYNACK_CC_CA, SYNACK_CC_REASON_RECOVERED) : -1;
    CHECK(end > rec);
    if (rec >= 0 && end > rec) {
        CHECK(cc_log[rec].ssthresh < (1u << 30));
        CHECK_EQ(cc_log[end].cwnd, cc_log[rec].ssthresh); /* RFC 6937: recovery ends at ssthresh */
        CHECK_EQ(end, rec + 1); /* nothing in between */
        CHECK_EQ(cc_log[rec].cc_algo, cc_log[0].cc_algo);
        CHECK_STR(synack_cc_name(cc_log[rec].cc_algo), "cubic");
    }
    CHECK_EQ(cc_count(SYNACK_CC_RECOVERY, -1), 1);
    CHECK(o.info.cc_state == SYNACK_CC_CA || o.info.cc_state == SYNACK_CC_RENO_FRIENDLY);
    CHECK_STR(synack_cc_phase_name(o.info.cc_state), o.info.cc_phase); /* no response on */

    /* A lossy transfer: every recovery the counter saw is one "-> recovery" event, each
     * followed by its end before the next begins. */
    o = transfer(lose_every_97th, 1000 * MSS_DATA);
    int in = 0, enters = 0, bad = 0;
    for (int i = 0; i < cc_log_n; i++) {
        const synack_event *e = &cc_log[i];
        if (e->cc_to == SYNACK_CC_RECOVERY && e->cc_from != SYNACK_CC_RECOVERY) bad += in, in = 1, enters++;
        else if (e->cc_from == SYNACK_CC_RECOVERY && e->cc_to != SYNACK_CC_RECOVERY) bad += !in, in = 0;
    }
    printf("  every 97th segment lost: %d events, %d recoveries (counter %llu)\n", cc_log_n, enters,
           (unsigned long long)o.fast);
    CHECK_EQ(bad, 0);
    CHECK_EQ(in, 0);
    CHECK_EQ((uint64_t)enters, o.fast);
    CHECK(enters >= 5);

    /* A spurious retransmission: recovery, then the D-SACK undoes the cut. */
    o = transfer(reorder_far, 300 * MSS_DATA);
    printf("  D-SACK undo:\n");
    cc_log_print();
    rec = cc_find(0, -1, SYNACK_CC_RECOVERY, SYNACK_CC_REASON_RACK);
    int undo = cc_find(0, -1, cc_log_n ? cc_log[cc_log_n - 1].cc_to : 0, SYNACK_CC_REASON_DSACK_UNDO);
    CHECK(rec >= 0 && undo > rec);
    if (rec >= 0 && undo > rec) CHECK(cc_log[undo].cwnd > cc_log[rec].cwnd || cc_log[undo].ssthresh > cc_log[rec].ssthresh);
    CHECK_EQ(o.undo_conn, 1);

    /* A spurious timeout: the loss phase, then F-RTO's undo. */
    o = transfer(ack_stall, 2000 * MSS_DATA);
    printf("  F-RTO:\n");
    cc_log_print();
    int rto = cc_find(0, -1, SYNACK_CC_LOSS, SYNACK_CC_REASON_RTO);
    CHECK(rto >= 0);
    CHECK(rto >= 0 && cc_log[rto].cwnd == MSS_DATA); /* RFC 5681 3.1: the loss window, one data MSS */
    int frto = rto >= 0 ? cc_find(rto, SYNACK_CC_LOSS, -2, SYNACK_CC_REASON_FRTO_UNDO) : -1;
    for (int i = rto + 1; rto >= 0 && i < cc_log_n && frto < 0; i++)
        if (cc_log[i].reason == SYNACK_CC_REASON_FRTO_UNDO && cc_log[i].cc_from == SYNACK_CC_LOSS &&
            cc_log[i].cc_to != SYNACK_CC_LOSS)
            frto = i;
    CHECK(frto > rto);
    if (frto > rto && rto >= 0) CHECK(cc_log[frto].cwnd > cc_log[rto].cwnd);
    CHECK(o.undo_conn >= 1);

    /* ECN: CE on one segment, the echo: the cwr phase for a window, then back. */
    ecn_client = SYNACK_ECN_ON;
    o = transfer(mark_30, 200 * MSS_DATA);
    ecn_client = SYNACK_ECN_PASSIVE;
    printf("  ECN:\n");
    cc_log_print();
    int cwr = cc_find(0, SYNACK_CC_SLOW_START, SYNACK_CC_CWR, SYNACK_CC_REASON_ECN);
    CHECK(cwr >= 0);
    CHECK(cwr >= 0 && cwr + 1 < cc_log_n && cc_log[cwr + 1].cc_from == SYNACK_CC_CWR &&
          cc_log[cwr + 1].reason == SYNACK_CC_REASON_RECOVERED &&
          (cc_log[cwr + 1].cc_to == SYNACK_CC_CA || cc_log[cwr + 1].cc_to == SYNACK_CC_RENO_FRIENDLY));
    /* One reduction for the mark: cwnd 0.7 of the flight then (RFC 9438 4.6 via RFC 3168). */
    CHECK(cwr >= 0 && cc_log[cwr].cwnd == cc_log[cwr].ssthresh);
    CHECK_EQ(o.ce_rcvd_server, 1);
    CHECK(o.info.ecn_ok);
    CHECK(!o.info.ecn_cwr_pending);

    /* The tail: one probe, counted on the connection. */
    tail_first = tail_last = 59;
    o = transfer(lose_tail, 60 * MSS_DATA);
    CHECK_EQ(o.tlp_conn, 1);
    CHECK_EQ(o.info.tlp_total, 1);
    CHECK(o.info.min_rtt_us >= 40000 && o.info.min_rtt_us < 41000);

    /* BBR on a clean path: startup, then probe-bw, paced. Phases are read after each ACK: when
     * the flight is already below the BDP as startup ends, BBR passes drain within that ACK
     * (as Linux's bbr_check_drain), and the trace shows startup -> probe-bw. */
    cc_client = "bbr";
    o = transfer(NULL, 3000 * MSS_DATA);
    cc_client = "cubic";
    printf("  BBR:\n");
    cc_log_print();
    int st = cc_find(0, SYNACK_CC_NONE, SYNACK_CC_STARTUP, SYNACK_CC_REASON_INIT);
    int dr = cc_find(0, SYNACK_CC_STARTUP, SYNACK_CC_DRAIN, SYNACK_CC_REASON_ACK);
    int bw = cc_find(0, dr >= 0 ? SYNACK_CC_DRAIN : SYNACK_CC_STARTUP, SYNACK_CC_PROBE_BW, SYNACK_CC_REASON_ACK);
    CHECK(st == 0 && bw > st && (dr < 0 || (dr > st && bw > dr)));
    /* The init event comes at ESTABLISHED, before the first send gives BBR its state
     * (tcp/cc_state.c): its pacing rate is set from then on. */
    CHECK(bw > 0 && cc_log[bw].pacing_rate > 0);
    CHECK_EQ(cc_count(SYNACK_CC_STARTUP, -1), 1);
    CHECK_STR(synack_cc_name(cc_log[0].cc_algo), "bbr");
    CHECK(o.info.pacing_rate > 0);
    cc_traced = false;
}

int main(void)
{
    RUN(single_loss);
    RUN(burst_loss);
    RUN(lost_retransmission);
    RUN(lost_retransmission_alone);
    RUN(sacked_not_in_flight);
    RUN(rtt_from_sack);
    RUN(many_holes);
    RUN(tail_loss);
    RUN(reordering_in_window);
    RUN(dsack_undo);
    RUN(spurious_rto_frto);
    RUN(prr_pattern);
    RUN(ecn_echo_and_cwr);
    RUN(delivery_rate);
    RUN(long_path_no_rto);
    RUN(cc_trace_events);
    return test_report();
}
