/* tcb.h: the transmission control block (RFC 9293 3.3.1) and the internal interfaces of the TCP
 * modules. Variable names are the RFC's. Buffers are allocated only while a connection can move
 * data, so LISTEN, SYN-SENT and TIME-WAIT blocks stay small. */
#ifndef SYNACK_TCB_H
#define SYNACK_TCB_H

#include <synack/event.h>
#include <synack/stack.h>

#include "cc/cc.h"
#include "util/rangeset.h"
#include "util/ring.h"
#include "util/seq.h"
#include "util/htable.h"
#include "util/siphash.h"
#include "wire/wire.h"

typedef struct synack_stack synack_stack;

/* One sent segment (or TSO super-segment) in the transmit log (tcp/txlog.c): its sequence
 * range, when it was last sent, and the delivery-rate snapshot taken then
 * (draft-cheng-iccrg-delivery-rate-estimation 3.2). */
/* TXE_RELOST: a retransmission RACK deemed lost again, not yet resent (rack.relost_bytes). */
enum { TXE_RETRANS = 1, TXE_SACKED = 2, TXE_APP_LIMITED = 4, TXE_EVER_RETRANS = 8, TXE_RELOST = 16 };
typedef struct txent {
    uint32_t start, end;          /* [start, end) of sequence space */
    synack_time_us xmit_us;       /* last (re)transmission: RACK's Segment.xmit_ts */
    synack_time_us first_tx_us;   /* C.first_tx_time when sent */
    synack_time_us delivered_us;  /* C.delivered_time when sent */
    uint64_t delivered;           /* C.delivered when sent */
    uint32_t flags;
} txent;

/* The log: a ring of n entries from head in slab memory of class cls, held only while data is
 * outstanding. Entries are in sequence order and cover the outstanding data without gaps. */
typedef struct txlog {
    txent *e;
    uint32_t cap, head, n;
    uint8_t cls;
} txlog;
/* The i-th entry from the oldest (i < n). */
static inline txent *txlog_at(const txlog *l, uint32_t i)
{
    uint32_t k = l->head + i;
    if (k >= l->cap) k -= l->cap;
    return &l->e[k];
}

/* Delivery-rate estimation state (draft-cheng-iccrg-delivery-rate-estimation 3.1). */
typedef struct rate_state {
    uint64_t delivered;           /* C.delivered: bytes delivered over the connection's life */
    synack_time_us delivered_us;  /* C.delivered_time */
    synack_time_us first_tx_us;   /* C.first_tx_time */
    uint64_t app_limited;         /* C.app_limited: delivered mark that ends the phase; 0: none */
    uint64_t last_rate;           /* bytes per second of the last sample (tcp_info) */
    bool last_app_limited;        /* and whether it was application-limited */
} rate_state;

/* The sample being built while one ACK is processed (RS.*, draft-cheng 3.3): per stack, not per
 * connection, since one ACK is processed at a time (tcp_rate_begin starts it). */
typedef struct rate_sample {
    uint64_t prior_delivered;
    synack_time_us prior_us, send_elapsed, ack_elapsed;
    /* RS.rtt: the RTT of the most recently sent segment this ACK delivered that was never
     * resent (Karn), sent at rtt_xmit_us; 0: none. Every ACK that delivers data has one. */
    synack_time_us rtt_us, rtt_xmit_us;
    bool app_limited, valid;
} rate_sample;

/* RACK-TLP (RFC 8985 6.1, 7) per connection. */
typedef struct rack_state {
    synack_time_us xmit_us;       /* RACK.xmit_ts: send time of the latest delivered segment */
    uint32_t end_seq;             /* RACK.end_seq */
    uint32_t rtt_us;              /* RACK.rtt */
    uint32_t fack;                /* RACK.fack: highest sequence delivered (acked or SACKed) */
    uint32_t lost_upto;           /* every unSACKed octet below it, never resent since, is lost */
    uint32_t dsack_round;         /* RACK.dsack_round (valid with dsack_round_on) */
    uint32_t tlp_end_seq;         /* TLP.end_seq (valid with tlp_on) */
    /* Retransmissions lost again (TXE_RELOST entries): their octets, and a sequence number at
     * or below the first of them, where the search for the next one starts. */
    uint32_t relost_bytes, relost_from;
    uint8_t reo_wnd_mult, reo_wnd_persist;
    bool reordering_seen, dsack_round_on, tlp_on, tlp_retrans, advanced;
    bool probe_now;               /* the probe may send one segment beyond cwnd */
} rack_state;

/* Predicates as comparisons, thanks to the state order (see event.h). */
#define TCPS_HAVE_RCVD_SYN(s) ((s) >= SYNACK_SYN_RECEIVED)
#define TCPS_HAVE_ESTABLISHED(s) ((s) >= SYNACK_ESTABLISHED)
#define TCPS_HAVE_RCVD_FIN(s) ((s) == SYNACK_CLOSE_WAIT || (s) == SYNACK_CLOSING || \
                               (s) == SYNACK_LAST_ACK || (s) == SYNACK_TIME_WAIT)
#define TCPS_SENT_FIN(s) ((s) >= SYNACK_FIN_WAIT_1)

typedef struct tcb tcb;
/* Laid out without holes (each group: 8-byte members, then 4, 2, 1; `gdb -batch -ex "ptype /o
 * struct tcb" build/libsynack.so` shows it) and without what most connections never use: the
 * congestion control algorithm's state is out of line (cc_state.c) and a listener's accept
 * queue shares its bytes with the delivery-rate state a listener never has. tests/sim/cc_state.c
 * pins the size. */
struct tcb {
    hnode hn;             /* in the stack's connection hash */
    uint32_t id;          /* stable, unique per connection lifetime */
    int sd;               /* owning socket, -1 when orphaned */
    synack_endpoint local, remote;
    uint16_t linger_sec;
    uint8_t state;
    bool in_use;
    uint8_t hashed;       /* HASH_NONE, HASH_TUPLE or HASH_LISTENER: how it was inserted */
    bool ack_now;         /* send an ACK at the next output */
    bool rtt_timing;
    bool in_recovery;     /* loss recovery (tcp/recovery.c) */
    bool cc_ready;        /* congestion control initialised (at ESTABLISHED) */
    bool ooo_fin;         /* a FIN arrived beyond a hole; ooo_fin_seq is its sequence number */
    bool out_pending;     /* on the stack's pending-output list */
    bool fin_rcvd;        /* the peer's FIN was received in order (end of stream) */
    bool force_send;      /* persist override of sender SWS avoidance (RFC 9293 3.8.6.2.1) */
    /* Flags set once or rarely (options, negotiation, the socket's life): one bit each. The
     * ones above change per segment and keep a byte, so that setting them is a plain store. */
    bool passive : 1;     /* reached SYN-RECEIVED from LISTEN (RFC 9293 note 1) */
    bool nodelay : 1, keepalive : 1, linger_on : 1, reuseaddr : 1;
    bool fin_queued : 1;  /* the user closed the send side: FIN follows the data */
    bool rd_shut : 1;     /* the user shut down reading */
    bool ts_ok : 1, sack_ok : 1, ws_ok : 1;
    bool opened : 1;      /* connect() or a passive open happened: the TCB is not reusable */
    bool user_closed : 1; /* the application closed its descriptor: the connection is orphaned */
    bool in_aq : 1;       /* in its listener's accept queue (else, with a parent, embryonic) */
    bool rcv_mss_set : 1; /* SO_MAXSEG chose the MSS we announce */
    bool from_cookie : 1; /* made from a SYN cookie: remembered when it ends (syncookie.c) */
    bool cookie_sent : 1; /* listener: answered a SYN with a cookie, last at cookie_sent_us */
    bool ack_ece;         /* this ACK carried ECE (cc_ack.ece_bytes) */
    uint8_t keepcnt;      /* keepalive probes before the peer is deemed gone (Linux: at most 127) */
    uint8_t persist_probes; /* zero-window probes since the peer last sent anything */

    /* Send sequence variables (RFC 9293 3.3.1). snd_max is the highest sequence ever sent. */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t snd_buf_seq; /* sequence number of the first byte in sndbuf */
    uint16_t snd_mss;     /* effective send MSS (RFC 9293 3.7.1) */
    uint16_t rcv_mss;     /* MSS we announce */
    /* Times SND.UNA - ISS wrapped past 2^32: with it the octets acknowledged are a 48-bit count
     * (tcp_bytes_acked) that costs 2 bytes of TCB. Saturates. */
    uint16_t snd_una_wraps;
    uint16_t rcv_nxt_wraps; /* times RCV.NXT - IRS wrapped past 2^32 (see snd_una_wraps) */
    uint8_t snd_wscale, rcv_wscale;
    /* Buffers: bufs_on while the connection can move data; memory comes with the data
     * (tcp/buffers.h). The hints are the size classes the last burst needed. */
    bool bufs_on;
    uint8_t snd_hint, rcv_hint;
    uint8_t rexmt_shift;  /* consecutive RTO backoffs */
    uint8_t keep_probes;  /* keepalive probes unanswered */
    uint8_t persist_shift;
    /* Receive sequence variables. rcv_adv is the right edge we last advertised. */
    uint32_t irs, rcv_nxt, rcv_adv;
    uint32_t ooo_fin_seq;
    uint32_t ts_recent, last_ack_sent;
    uint32_t ts_offset;   /* added to our timestamp clock (RFC 7323 5.4) */

    uint32_t sndbuf_size, rcvbuf_size;
    int so_error;         /* positive errno waiting for the user */
    ring sndbuf, rcvbuf;
    rangeset ooo;
    rangeset scoreboard;  /* SACKed ranges above SND.UNA (sender side, sack.c) */
    txlog txlog;          /* sent segments (tcp/txlog.c) */
    uint32_t rexmit_high; /* RFC 6675 HighRxt: retransmitted up to here in this recovery */
    uint32_t rexmit_mark; /* SND.MAX when the holes were last resent (lost-retransmit check) */
    union {
        rate_state rate;  /* delivery rate (tcp/txlog.c); set up at ESTABLISHED (tcp_cc_init) */
        struct {          /* LISTEN only: the accept queue, its limits, SYN cookies */
            tcb *aq_head, *aq_tail; /* children established, waiting for accept */
            synack_time_us cookie_sent_us; /* when it last sent a cookie */
            uint16_t backlog, aq_len, syn_rcvd_len; /* accept queue limit and lengths */
        };
    };
    rack_state rack;      /* RACK-TLP (tcp/rack.c) */
    /* D-SACK (RFC 2883) to report on our next ACK: [dsack_start, dsack_end) when dsack_on. */
    uint32_t dsack_start, dsack_end;
    bool dsack_on;
    bool dsack_rcvd;      /* the ACK being processed carried a D-SACK block */
    /* ECN (RFC 3168): negotiated; we asked on our SYN; the receiver echoes ECE until it sees
     * CWR; the sender owes a CWR on its next new data; no new reaction before SND.UNA passes
     * ecn_high (once per window, 6.1.2). */
    bool ecn_ok, ecn_asked, ecn_ece_pending, ecn_cwr_pending;
    bool ecn_reduced;     /* reacted to ECE; ends once SND.UNA passes ecn_high (Linux's CWR state) */
    uint8_t delack_segs;  /* full segments received since our last ACK */
    uint8_t cc_phase_seen; /* enum synack_cc_phase last traced (cc_trace.c; kept while traced) */
    uint8_t frto;         /* F-RTO (RFC 5682) step after a timeout: 0 off, 1 or 2 */
    bool undo_on, undo_dsacked; /* see undo_marker below */
    uint32_t ecn_high;
    uint32_t ce_rcvd;     /* segments that arrived CE-marked (netstat -e) */
    uint32_t rexmit_total; /* segments of this connection sent again (ss -i "retrans:N/total") */

    /* RTT estimation (RFC 6298) and retransmission. */
    synack_time_us srtt_us, rttvar_us, rto_us;
    synack_time_us rtt_start;
    uint32_t rtt_seq;
    uint16_t tlp_total;   /* loss probes sent (netstat -e), saturating */
    uint16_t undo_total;  /* congestion responses undone (netstat -e), saturating */

    /* Loss recovery (tcp/recovery.c) and congestion control (cc/cc.h). */
    uint32_t recover, dupacks;
    /* PRR (RFC 6937 3): per recovery episode. */
    uint32_t prr_delivered, prr_out, recover_fs;
    /* Undo of a spurious congestion response (RFC 3708 / RFC 4015, Linux's undo_marker): data
     * from undo_marker was retransmitted undo_retrans times (segments) in this episode; when
     * D-SACKs account for all of them, the response is undone (undo_on, undo_dsacked above). */
    uint32_t undo_marker, undo_retrans, undo_high; /* undo_high: end of the highest resent */
    uint32_t ack_delivered; /* octets this ACK delivered: cumulatively or newly SACKed (PRR) */
    uint32_t ack_lost;    /* octets this ACK's RACK pass deemed lost (cc_ack.lost) */
    uint32_t frto_high;   /* RFC 5682 "recover": SND.MAX when the timeout fired */
    uint32_t min_rtt_us;  /* smallest RTT sample, saturating; 0: none yet */
    cc_conn cc;
    uint64_t pace_next_ns; /* pacing.c: when the next data may go at cc.pacing_rate */

    /* Timers: one deadline per timer; the earliest keys this tcb in the stack's heap. */
    synack_time_us deadline[SYNACK_TIMER_COUNT];
    synack_time_us next_deadline;
    uint32_t heap_idx;    /* position in the timer heap, UINT32_MAX when absent */
    /* When the state last changed, in milliseconds of st->now modulo 2^32: the age is exact for
     * 49 days (a whole synack_time_us would add 8 bytes to every TCB). */
    uint32_t state_since_ms;
    synack_time_us last_rcv_time;   /* keepalive idle */
    /* User timeout (RFC 9293 3.10.8) and keepalive times (RFC 1122 4.2.3.6) in milliseconds,
     * rounded up (tcp_ms_of_us): 32 bits hold 49 days, more than Linux accepts (TCP_KEEPIDLE
     * 32,767 s, TCP_USER_TIMEOUT INT_MAX ms). */
    uint32_t user_timeout_ms, keepidle_ms, keepintvl_ms;
    int soft_error;       /* last ICMP soft error: reported instead of ETIMEDOUT (RFC 1122 4.2.3.9) */

    /* Lists. */
    tcb *all_prev, *all_next; /* every TCB of the stack */
    tcb *parent;          /* the listener a passive child came from */
    tcb *aq_next;         /* accept queue / child list link */
    tcb *out_next, *out_prev; /* pending-output list (both ways: a connection freed while it
                                 waits leaves it in O(1)) */
    synack_time_us cookie_until;   /* from_cookie: the last moment its cookie could validate */
};

/* Milliseconds of a user-set duration, rounded up (a timeout never fires early); the caller
 * checks TCP_DURATION_US_MAX. */
#define TCP_DURATION_US_MAX ((synack_time_us)UINT32_MAX * 1000u)
static inline uint32_t tcp_ms_of_us(synack_time_us us) { return (uint32_t)((us + 999u) / 1000u); }
static inline synack_time_us tcp_us_of_ms(uint32_t ms) { return (synack_time_us)ms * 1000u; }

/* Octet counters without counters (ss -i bytes_acked / bytes_received): offsets from ISS and IRS,
 * with the wraps past 2^32 counted where SND.UNA and RCV.NXT advance. SYN and FIN take a
 * sequence number each and are not octets of data. */
static inline void tcp_snd_una_set(tcb *t, uint32_t ack)
{
    if (ack - t->iss < t->snd_una - t->iss && t->snd_una_wraps < UINT16_MAX) t->snd_una_wraps++;
    t->snd_una = ack;
}
static inline void tcp_rcv_nxt_set(tcb *t, uint32_t nxt)
{
    if (nxt - t->irs < t->rcv_nxt - t->irs && t->rcv_nxt_wraps < UINT16_MAX) t->rcv_nxt_wraps++;
    t->rcv_nxt = nxt;
}

/* ---- fsm.c ---- */
bool tcp_transition_legal(int from, int to);
/* The only function that changes tcb->state: checks the legal-next table, runs entry actions,
 * counts, and queues a state event with its cause. */
void tcp_set_state(synack_stack *st, tcb *t, int to, synack_cause cause);
static inline synack_cause cause_seg(uint8_t flags) { synack_cause c = {SYNACK_CAUSE_SEGMENT, flags}; return c; }
static inline synack_cause cause_timer(int tm) { synack_cause c = {SYNACK_CAUSE_TIMER, (uint8_t)tm}; return c; }
static inline synack_cause cause_user(int call) { synack_cause c = {SYNACK_CAUSE_USER, (uint8_t)call}; return c; }

/* ---- input.c ---- */
void tcp_input(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
               const tcp_seg *seg);
/* An ICMP error about a segment we sent from local to remote with sequence number seq. */
void tcp_icmp_error(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                    uint32_t seq, int err, bool hard, uint32_t mtu);

/* ---- output.c ---- */
/* Sends what the window, Nagle and the flags allow, and an ACK if one is owed. */
void tcp_output(synack_stack *st, tcb *t);
/* Sends one segment from the connection: flags, seq, up to len data bytes from seq. */
void tcp_send_segment(synack_stack *st, tcb *t, uint32_t seq, uint8_t flags, uint32_t len);
void tcp_send_ack(synack_stack *st, tcb *t);
/* RST for a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_rst_reply(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                        const tcp_seg *seg);
void tcp_send_rst(synack_stack *st, tcb *t);
/* A segment from no TCB (RST replies, TIME-WAIT records): headers, options o (or none) and no
 * data. False when the output queue is full. */
bool tcp_send_bare(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote,
                   uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const tcp_opts *o);
uint32_t tcp_rcv_window(const tcb *t);
/* Retransmits the first unacknowledged segment. */
/* reason: enum synack_rexmit_reason, for the trace. */
void tcp_retransmit_first(synack_stack *st, tcb *t, int reason);
/* Retransmits the last segment sent (RFC 8985 7.3 tail loss probe); false when none. */
bool tcp_retransmit_last(synack_stack *st, tcb *t);

/* ---- timer.c ---- */
void tcp_timer_arm(synack_stack *st, tcb *t, int timer, synack_time_us at);
void tcp_timer_cancel(synack_stack *st, tcb *t, int timer);
void tcp_timer_cancel_all(synack_stack *st, tcb *t);
static inline bool tcp_timer_armed(const tcb *t, int timer) { return t->deadline[timer] != SYNACK_TIME_NEVER; }
void tcp_timer_fire_due(synack_stack *st, synack_time_us now);
void tcp_rexmt_arm(synack_stack *st, tcb *t);    /* arms REXMT at now + backed-off RTO */
void tcp_keepalive_reset(synack_stack *st, tcb *t);

/* ---- rtt.c ---- */
void tcp_rtt_sample(synack_stack *st, tcb *t, synack_time_us rtt);
synack_time_us tcp_rto_backed_off(const synack_stack *st, const tcb *t);

/* ---- user.c ---- */
tcb *tcp_tcb_alloc(synack_stack *st);
/* Releases a tcb: unhashes, cancels timers, frees buffers, returns it to the pool. */
void tcp_tcb_free(synack_stack *st, tcb *t);
/* From now on the connection can move data (rings with their limits, no memory yet). */
bool tcp_buffers_alloc(synack_stack *st, tcb *t);
/* Gives back all buffer memory; the connection moves no more data. */
void tcp_buffers_free(synack_stack *st, tcb *t);
/* Gives back what holds nothing: an empty send ring, an empty receive ring with no
 * out-of-order data, empty range sets. Called after data leaves a buffer. */
void tcp_buffers_trim(synack_stack *st, tcb *t);
/* Ends a connection with an error for the user (ECONNRESET, ETIMEDOUT, ...): state CLOSED. */
void tcp_drop(synack_stack *st, tcb *t, int err, synack_cause cause);
/* A connection reached CLOSED (or was deleted): free it if nobody holds it. */
void tcp_closed(synack_stack *st, tcb *t);
int tcp_user_connect(synack_stack *st, tcb *t, const synack_endpoint *remote);
int tcp_user_listen(synack_stack *st, tcb *t, int backlog);
int tcp_user_close(synack_stack *st, tcb *t);
int tcp_user_shutdown(synack_stack *st, tcb *t, int how);
int tcp_user_abort(synack_stack *st, tcb *t);
long tcp_user_send(synack_stack *st, tcb *t, const void *buf, size_t len);
long tcp_user_recv(synack_stack *st, tcb *t, void *buf, size_t len, bool peek);
/* After data is read, announce a larger window if it grew enough (RFC 9293 3.8.6.2.2). */
void tcp_window_update(synack_stack *st, tcb *t);

/* ---- isn.c ---- */
/* SipHash-2-4 of the 4-tuple under key. */
uint64_t tcp_tuple_prf(const siphash_key *key, const synack_endpoint *local, const synack_endpoint *remote);
/* The same over the 4-tuple followed by up to TCP_PRF_EXTRA_MAX more bytes (a different length
 * is a different input: uses with different extra lengths never collide). */
enum { TCP_PRF_EXTRA_MAX = 16 };
uint64_t tcp_tuple_prf_with(const siphash_key *key, const synack_endpoint *local,
                            const synack_endpoint *remote, const uint8_t *extra, size_t extra_len);
/* Initial sequence number (RFC 6528: 4 us clock + keyed hash of the 4-tuple). */
uint32_t tcp_isn(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);
/* Offset added to our timestamp clock for this 4-tuple (RFC 7323 5.4). */
uint32_t tcp_ts_offset(synack_stack *st, const synack_endpoint *local, const synack_endpoint *remote);

/* ---- syncookie.c ---- */
/* What a validated cookie (and the timestamp echoed with it) says about the connection. */
typedef struct syncookie_opts {
    uint16_t mss;         /* the peer's MSS, rounded down to the cookie table */
    bool ts_ok, ws_ok, sack_ok;
    uint8_t snd_wscale;   /* the peer's window scale */
    synack_time_us until; /* the last moment this cookie validates */
} syncookie_opts;
/* Answers a SYN to listener lst with a SYN-ACK whose ISN is a cookie; keeps no state. */
void tcp_syncookie_send(synack_stack *st, tcb *lst, const tcp_seg *seg,
                        const synack_endpoint *local, const synack_endpoint *remote);
/* Whether an ACK to lst should be checked as a cookie's: in "always" mode, or when lst sent a
 * cookie recently enough for one to be valid (Linux's tcp_synq_no_recent_overflow()). */
bool tcp_syncookie_expected(const synack_stack *st, const tcb *lst);
/* Checks that seg acknowledges a cookie of ours for this 4-tuple, not expired and not of a
 * connection that already ended; fills out. Counts validated or rejected. */
bool tcp_syncookie_check(synack_stack *st, const tcp_seg *seg, const synack_endpoint *local,
                         const synack_endpoint *remote, syncookie_opts *out);
/* A connection made from a cookie leaves the lookup table: remember it while its cookie lives. */
void tcp_syncookie_ended(synack_stack *st, tcb *t);

/* ---- sack.c ---- */
void tcp_sack_update(synack_stack *st, tcb *t, const tcp_seg *seg);
void tcp_sack_trim(synack_stack *st, tcb *t);
void tcp_sack_reset(synack_stack *st, tcb *t);
uint32_t tcp_sacked_bytes(const tcb *t);
uint32_t tcp_sack_pipe(const tcb *t);
uint32_t tcp_sack_next_hole(const tcb *t, uint32_t *seq);
uint32_t tcp_sack_skip(const tcb *t, uint32_t seq);
uint32_t tcp_sack_run(const tcb *t, uint32_t seq, uint32_t cap);
static inline bool tcp_sack_recovery(const tcb *t) { return t->in_recovery && t->sack_ok && t->bufs_on; }
/* What the congestion window limits: the RFC 6675 pipe during SACK recovery and, for the
 * loss-based algorithms, whenever the peer holds SACKed octets (they left the network; as
 * Linux's tcp_packets_in_flight, which subtracts sacked_out in every state), else everything
 * sent and unacknowledged. After a timeout's go-back (SND.NXT below SND.MAX) what lies beyond
 * SND.NXT is not counted. BBR's window (cc/bbr.c) is computed against everything in flight,
 * SACKed octets included (cc_ack.in_flight), and is held to that: measured over the impaired
 * TUN path, BBR limited by the pipe sent at 6-24 Mbit/s instead of 40. */
static inline uint32_t tcp_in_network(const tcb *t)
{
    bool sacked = t->scoreboard.n && t->snd_nxt == t->snd_max && t->sack_ok && t->bufs_on &&
                  !cc_ops_of(&t->cc)->owns_recovery;
    return tcp_sack_recovery(t) || sacked ? tcp_sack_pipe(t) : t->snd_nxt - t->snd_una;
}

/* ---- txlog.c: the transmit log and the delivery-rate sample ---- */
/* seq..seq+seqlen went out (new data appended, older data marked retransmitted). */
void tcp_txlog_sent(synack_stack *st, tcb *t, uint32_t seq, uint32_t seqlen);
/* SND.UNA advanced to ack: entries wholly below it are delivered and dropped. */
void tcp_txlog_acked(synack_stack *st, tcb *t, uint32_t ack);
/* [l, r) was SACKed: entries wholly inside are delivered. */
void tcp_txlog_sacked(synack_stack *st, tcb *t, uint32_t l, uint32_t r);
/* Frees the log (connection gone, or a timeout's go-back). */
void tcp_txlog_clear(synack_stack *st, tcb *t);
/* RACK deemed the retransmission e lost again: it is to be resent (RFC 8985 6.2 step 4). */
void tcp_txlog_relost_mark(tcb *t, txent *e);
/* Forgets every such mark (a timeout goes back over everything; recovery starts anew). */
void tcp_txlog_relost_forget(tcb *t);
/* The first retransmission lost again, not SACKed: its start (at or above SND.UNA) and
 * length; 0 when none. */
uint32_t tcp_txlog_next_relost(tcb *t, uint32_t *seq);
/* An ACK arrives: no sample yet. */
void tcp_rate_begin(synack_stack *st);
/* The delivery-rate sample of this ACK into a (draft-cheng 3.3). */
void tcp_rate_sample(synack_stack *st, tcb *t, cc_ack *a);
/* The application ran out of data with room in cwnd (draft-cheng 3.4). */
void tcp_rate_check_app_limited(tcb *t);

/* ---- rack.c: RACK-TLP loss detection (RFC 8985) ---- */
static inline bool tcp_rack_on(const tcb *t) { return t->sack_ok && t->bufs_on; }
/* A segment sent at xmit ending at end_seq was delivered (RFC 8985 6.2 step 2). */
void tcp_rack_delivered(synack_stack *st, tcb *t, const txent *e);
/* Marks lost what RACK deems lost and arms the reorder timer (RFC 8985 6.2 steps 4-5).
 * Returns whether new data was deemed lost. */
bool tcp_rack_detect_loss(synack_stack *st, tcb *t);
/* Arms the probe timeout after a send or an ACK (RFC 8985 7.2). */
void tcp_tlp_arm(synack_stack *st, tcb *t);
/* The reorder and probe timers (RFC 8985 6.3, 7.3). */
void tcp_rack_on_timer(synack_stack *st, tcb *t);
void tcp_tlp_on_timer(synack_stack *st, tcb *t);
/* An ACK (dup: a duplicate ACK): whether the probe repaired a loss (RFC 8985 7.4). */
void tcp_tlp_on_ack(synack_stack *st, tcb *t, uint32_t ack, bool dup);

/* ---- cc_trace.c: the congestion control phase, for traces and netstat ---- */
/* enum synack_cc_phase: the congestion response on (recovery, loss, cwr), else the algorithm's. */
int tcp_cc_phase(const tcb *t);
/* Queues a SYNACK_EV_CC when the phase changed since the last one, and always for a congestion
 * response or an undo (reason: enum synack_cc_reason). Only while traced (see CC_TRACE). */
void tcp_cc_trace(synack_stack *st, tcb *t, int reason);

/* ---- recovery.c: loss detection and recovery, and the calls into congestion control ---- */
/* The connection became ESTABLISHED: initial window, the algorithm chosen in t->cc.algo. */
void tcp_cc_init(synack_stack *st, tcb *t);
/* ---- cc_state.c: the algorithm's private state, out of line ---- */
/* Attaches a block before the connection's first data (and inits the algorithm if the window
 * is set); false when the slab has none: the connection runs NewReno without state. */
bool tcp_cc_attach(synack_stack *st, tcb *t);
/* Gives the block back (close, TIME-WAIT, free). */
void tcp_cc_release(synack_stack *st, tcb *t);
/* The chosen algorithm's phase ("slow-start", "startup"); for a connection that has not sent
 * (no state), the phase its algorithm starts in. "" when the algorithm names none. */
const char *tcp_cc_algo_phase(const tcb *t);
/* Chooses the algorithm by name (TCP_CONGESTION); a running connection keeps its window. */
int tcp_cc_select(synack_stack *st, tcb *t, const char *name);
/* New data acknowledged: acked octets, what was in flight before, an RTT sample (0: none). */
void tcp_recovery_on_ack(synack_stack *st, tcb *t, uint32_t acked, uint32_t prior_flight, synack_time_us rtt);
void tcp_recovery_on_dupack(synack_stack *st, tcb *t);          /* duplicate ACK (RFC 5681 2) */
/* Any other ACK with data outstanding (SACK blocks on data, window updates): RACK looks. */
void tcp_recovery_on_other_ack(synack_stack *st, tcb *t);
void tcp_recovery_on_rto(synack_stack *st, tcb *t, bool first); /* retransmission timeout */
/* RACK (or TLP's loss check) found new losses: enter recovery if not in it (RFC 8985 6.2). */
void tcp_recovery_on_loss(synack_stack *st, tcb *t, enum cc_event ev);
/* A loss was repaired outside recovery (TLP): the congestion response, once (RFC 8985 7.4). */
void tcp_recovery_reduce(synack_stack *st, tcb *t);
/* An ACK with ECE (RFC 3168 6.1.2): reduce once per window, and send CWR. */
void tcp_recovery_on_ece(synack_stack *st, tcb *t);
/* A D-SACK block [l, r) arrived (RFC 2883 4): spurious retransmissions are undone (RFC 3708). */
void tcp_recovery_on_dsack(synack_stack *st, tcb *t, uint32_t l, uint32_t r);
/* len octets at seq were retransmitted / sent during recovery (PRR's prr_out, undo). */
void tcp_recovery_on_send(tcb *t, uint32_t seq, uint32_t len, bool rexmit);
/* F-RTO (RFC 5682): whether this ACK decided the timeout was spurious, or what to send. */
void tcp_frto_on_ack(synack_stack *st, tcb *t, bool advanced, bool dup);
/* ---- pacing.c: the pacing rate as a deadline (SYNACK_TIMER_PACING) ---- */
bool tcp_pace_allows(const synack_stack *st, const tcb *t); /* data may go now */
void tcp_pace_sent(const synack_stack *st, tcb *t, uint32_t len);  /* len data bytes went */
void tcp_pace_wait(synack_stack *st, tcb *t);               /* arm the timer for the next send */
static inline uint32_t tcp_flight(const tcb *t) { return t->snd_nxt - t->snd_una; }
/* Data octets per full segment: the send MSS less the timestamp option every segment carries. */
static inline uint32_t tcp_data_mss(const tcb *t) { return t->snd_mss - (t->ts_ok ? 12u : 0u); }
/* The MSS we announce: configured, and what fits the link MTU for the peer's family. */
uint16_t tcp_announce_mss(const synack_stack *st, const synack_addr *peer);

#endif
