/* synack/event.h: TCP states, timers, and the events the core reports.
 * The state list is written once here (X-macro) with the RFC 9293 name and the netstat name. */
#ifndef SYNACK_EVENT_H
#define SYNACK_EVENT_H

#include "types.h"

/* Ordered as in FreeBSD's tcp_fsm.h so that predicates are comparisons:
 * states >= ESTABLISHED have been synchronized; states > CLOSE_WAIT have sent (or are
 * sending) a FIN. */
#define SYNACK_TCP_STATES(X)                        \
    X(CLOSED, "CLOSED", "CLOSE")                    \
    X(LISTEN, "LISTEN", "LISTEN")                   \
    X(SYN_SENT, "SYN-SENT", "SYN_SENT")             \
    X(SYN_RECEIVED, "SYN-RECEIVED", "SYN_RECV")     \
    X(ESTABLISHED, "ESTABLISHED", "ESTABLISHED")    \
    X(CLOSE_WAIT, "CLOSE-WAIT", "CLOSE_WAIT")       \
    X(FIN_WAIT_1, "FIN-WAIT-1", "FIN_WAIT1")        \
    X(CLOSING, "CLOSING", "CLOSING")                \
    X(LAST_ACK, "LAST-ACK", "LAST_ACK")             \
    X(FIN_WAIT_2, "FIN-WAIT-2", "FIN_WAIT2")        \
    X(TIME_WAIT, "TIME-WAIT", "TIME_WAIT")

enum synack_tcp_state {
#define SYNACK_X(id, rfc, ns) SYNACK_##id,
    SYNACK_TCP_STATES(SYNACK_X)
#undef SYNACK_X
    SYNACK_STATE_COUNT
};

const char *synack_state_rfc_name(int state);     /* "SYN-RECEIVED" */
const char *synack_state_netstat_name(int state); /* "SYN_RECV" */

/* Per-connection timers. Each is an independent deadline (not one exclusive timer). */
#define SYNACK_TIMERS(X)                                   \
    X(REXMT, "retransmit")        /* RFC 6298 RTO; SYN/FIN too */ \
    X(PERSIST, "persist")         /* zero-window probes, RFC 9293 3.8.6.1 */ \
    X(KEEPALIVE, "keepalive")     /* RFC 1122 4.2.3.6 */    \
    X(DELACK, "delayed-ack")      /* RFC 1122 4.2.3.2 */    \
    X(CONN_EST, "connection-establishment") /* 75 s BSD tradition */ \
    X(FIN_WAIT_2, "fin-wait-2")   /* 10 min BSD tradition */ \
    X(TIME_WAIT, "2msl")          /* RFC 9293 3.6 */        \
    X(USER_TIMEOUT, "user-timeout") /* RFC 9293 3.10.8 */ \
    X(PACING, "pacing")           /* next permitted send time at the pacing rate */ \
    X(RACK, "rack-reorder")       /* RFC 8985 6.3 reordering timeout */ \
    X(TLP, "loss-probe")          /* RFC 8985 7 tail loss probe (PTO) */

enum synack_timer {
#define SYNACK_X(id, name) SYNACK_TIMER_##id,
    SYNACK_TIMERS(SYNACK_X)
#undef SYNACK_X
    SYNACK_TIMER_COUNT
};
const char *synack_timer_name(int timer);

/* User calls, as causes of transitions. */
#define SYNACK_CALLS(X) \
    X(OPEN_ACTIVE, "connect") X(OPEN_PASSIVE, "listen") X(SEND, "send") X(RECV, "recv") \
    X(CLOSE, "close") X(SHUTDOWN, "shutdown") X(ABORT, "abort")
enum synack_call {
#define SYNACK_X(id, name) SYNACK_CALL_##id,
    SYNACK_CALLS(SYNACK_X)
#undef SYNACK_X
    SYNACK_CALL_COUNT
};
const char *synack_call_name(int call);

/* TCP header flag bits, as on the wire. */
enum {
    SYNACK_FIN = 0x01, SYNACK_SYN = 0x02, SYNACK_RST = 0x04, SYNACK_PSH = 0x08,
    SYNACK_ACK = 0x10, SYNACK_URG = 0x20, SYNACK_ECE = 0x40, SYNACK_CWR = 0x80
};
/* Writes "SYN,ACK"-style text; returns buf (needs 32 bytes). */
char *synack_flags_format(uint8_t flags, char *buf, size_t cap);

enum synack_cause_kind { SYNACK_CAUSE_SEGMENT, SYNACK_CAUSE_TIMER, SYNACK_CAUSE_USER, SYNACK_CAUSE_ICMP };
typedef struct synack_cause {
    uint8_t kind;   /* enum synack_cause_kind */
    uint8_t detail; /* segment flags, enum synack_timer, enum synack_call, or errno of an ICMP error */
} synack_cause;

enum synack_event_type {
    SYNACK_EV_STATE,       /* from -> to, with cause */
    SYNACK_EV_ACCEPTABLE,  /* a listener has a connection ready for accept */
    SYNACK_EV_CONNECTED,   /* an active open completed */
    SYNACK_EV_READABLE,    /* data or FIN arrived */
    SYNACK_EV_WRITABLE,    /* send buffer space freed */
    SYNACK_EV_ERROR,       /* connection failed: err is a positive errno */
    SYNACK_EV_TIMER,       /* a timer fired (for traces); detail = enum synack_timer */
    /* Per-segment events, queued only while synack_trace_set() asks for them (nothing is
     * built when nobody subscribes): */
    SYNACK_EV_RETRANSMIT,  /* a segment sent again: seq, len, reason = enum synack_rexmit_reason */
    SYNACK_EV_DROP,        /* an arriving segment dropped: seq, len, reason = enum synack_counter */
    SYNACK_EV_CC           /* congestion control changed phase, or responded to a congestion
                              signal or undid a response: cc_from, cc_to, reason = enum
                              synack_cc_reason, cc_algo, and cwnd, ssthresh, pacing_rate after */
};

/* A connection's congestion control phase as traces and netstat name it: while a congestion
 * response is on (loss recovery, the timeout's go-back, an ECN reduction), that response; else
 * the algorithm's own phase (cc_ops.phase). */
#define SYNACK_CC_PHASES(X)                                                              \
    X(NONE, "none")                       /* not started (before ESTABLISHED) */         \
    X(SLOW_START, "slow-start")           /* RFC 5681 3.1 */                            \
    X(CSS, "conservative-slow-start")     /* HyStart++ (RFC 9406 4.2) */                \
    X(CA, "congestion-avoidance")         /* RFC 5681 3.1, CUBIC's W_cubic region */     \
    X(RENO_FRIENDLY, "reno-friendly")     /* CUBIC on W_est (RFC 9438 4.3) */           \
    X(STARTUP, "startup")                 /* BBR */                                     \
    X(DRAIN, "drain")                                                                   \
    X(PROBE_BW, "probe-bw")                                                             \
    X(PROBE_RTT, "probe-rtt")                                                           \
    X(RECOVERY, "recovery")               /* fast recovery (RFC 6675, RFC 6937, RFC 6582) */ \
    X(LOSS, "loss")                       /* after a timeout, until what was in flight then \
                                             is acknowledged (RFC 6582 4) */               \
    X(CWR, "cwr")                         /* reduced for ECE, for one window (RFC 3168) */ \
    X(OTHER, "other")                     /* a phase this library has no name for */
enum synack_cc_phase {
#define SYNACK_X(id, name) SYNACK_CC_##id,
    SYNACK_CC_PHASES(SYNACK_X)
#undef SYNACK_X
    SYNACK_CC_PHASE_COUNT
};
const char *synack_cc_phase_name(int phase); /* "congestion-avoidance" */

/* Why the congestion control phase changed or the window was cut or restored. */
#define SYNACK_CC_REASONS(X)                                                             \
    X(INIT, "init")             /* the connection's algorithm started (or was switched) */ \
    X(ACK, "ack")               /* the algorithm moved on an ACK (slow start ended, ...) */ \
    X(RECOVERED, "recovered")   /* the response ended: what was in flight is acknowledged */ \
    X(DUPACK, "dupack")         /* three duplicate ACKs (RFC 5681 3.2, RFC 6582) */       \
    X(RACK, "rack")             /* RACK deemed a segment lost (RFC 8985 6.2) */           \
    X(ECN, "ecn")               /* the peer echoed CE (RFC 3168 6.1.2) */                 \
    X(RTO, "rto")               /* the retransmission timer fired (RFC 5681 3.1) */       \
    X(TLP, "tlp")               /* a loss probe repaired a loss: reduced (RFC 8985 7.4) */ \
    X(DSACK_UNDO, "dsack-undo") /* every retransmission came back D-SACKed (RFC 3708) */  \
    X(FRTO_UNDO, "frto-undo")   /* F-RTO found the timeout spurious (RFC 5682, RFC 4015) */
enum synack_cc_reason {
#define SYNACK_X(id, name) SYNACK_CC_REASON_##id,
    SYNACK_CC_REASONS(SYNACK_X)
#undef SYNACK_X
    SYNACK_CC_REASON_COUNT
};
const char *synack_cc_reason_name(int reason); /* "dsack-undo" */

/* Why a segment was sent again. */
#define SYNACK_REXMIT_REASONS(X)                                                      \
    X(TIMEOUT, "timeout")         /* the retransmission timer fired (RFC 6298 5.4), or the \
                                     go-back after it */                              \
    X(FAST, "fast-retransmit")    /* duplicate ACKs or SACKs (RFC 5681 3.2, RFC 5827) */ \
    X(PARTIAL_ACK, "partial-ack") /* NewReno recovery, next hole (RFC 6582 3.2) */       \
    X(SACK, "sack-recovery")      /* a hole below the highest SACKed octet (RFC 6675 5) */ \
    X(DUP_SYN, "duplicate-syn")   /* the peer sent its SYN again: our SYN-ACK was lost */ \
    X(RACK, "rack")               /* deemed lost by its send time (RFC 8985 6.2) */      \
    X(TLP, "loss-probe")          /* the tail loss probe (RFC 8985 7.3) */
enum synack_rexmit_reason {
#define SYNACK_X(id, name) SYNACK_REXMIT_##id,
    SYNACK_REXMIT_REASONS(SYNACK_X)
#undef SYNACK_X
    SYNACK_REXMIT_COUNT
};
const char *synack_rexmit_reason_name(int reason); /* "fast-retransmit" */

typedef struct synack_event {
    synack_time_us time;
    uint32_t conn_id;  /* stable id of the connection (tcb) */
    int socket;        /* socket descriptor owning it, or -1 */
    uint8_t type;      /* enum synack_event_type */
    uint8_t from, to;  /* states, for SYNACK_EV_STATE */
    synack_cause cause;
    int err;           /* positive errno for SYNACK_EV_ERROR */
    synack_endpoint local, remote;
    /* SYNACK_EV_STATE: how long the connection was in `from` (TIME-WAIT: since its 2*MSL
     * last (re)started); SYNACK_TIME_NEVER when not known. */
    synack_time_us prev_state_us;
    uint32_t seq, len; /* SYNACK_EV_RETRANSMIT, SYNACK_EV_DROP: the segment's SEG.SEQ and length */
    uint16_t reason;   /* SYNACK_EV_RETRANSMIT: enum synack_rexmit_reason; SYNACK_EV_DROP: the
                        * enum synack_counter it was counted under (synack_counter_name);
                        * SYNACK_EV_CC: enum synack_cc_reason */
    /* SYNACK_EV_CC: the algorithm (synack_cc_name), the phases left and entered (enum
     * synack_cc_phase; equal for a response or undo within one phase), and after the change:
     * the window and threshold in bytes, the pacing rate in bytes per second (0: not paced). */
    uint8_t cc_algo, cc_from, cc_to;
    uint32_t cwnd, ssthresh;
    uint64_t pacing_rate;
} synack_event;

/* Formats one event as a trace line "  12.345678 conn 3 198.18.0.1:5000 ... SYN-SENT -> ESTABLISHED (rcv SYN,ACK)". */
char *synack_event_format(const synack_event *ev, char *buf, size_t cap);

#endif
