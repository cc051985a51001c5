/* cc.h: congestion control as an operations table, as FreeBSD's cc_algo and quicly's cc are. An
 * algorithm sees explicit inputs (what an ACK delivered, what is in flight, an RTT sample, the
 * delivery rate, loss / ECN / RTO events with their time) and answers in its cc_conn with cwnd,
 * ssthresh and a pacing rate. It never reads the TCB and never sends: loss detection and recovery
 * (tcp/recovery.c) decide that a congestion event happened and what is retransmitted, and own the
 * window while recovery lasts (RFC 6675, RFC 6937) unless the algorithm says it owns it (BBR). */
#ifndef SYNACK_CC_H
#define SYNACK_CC_H

#include <stdbool.h>
#include <stdint.h>

#include <synack/types.h>

/* Room for the largest algorithm's own state; each algorithm static-asserts that it fits. The
 * state lives out of line (priv): TCP attaches a block of CC_PRIV_BYTES from a pool when the
 * connection first has data to send (tcp/cc_state.c), so an idle or receive-only connection
 * carries a pointer, not the block. */
enum { CC_PRIV_BYTES = 128 };

typedef struct cc_conn {
    uint32_t cwnd;          /* bytes the sender may have in the network */
    uint32_t ssthresh;      /* slow start threshold (RFC 5681) */
    uint64_t pacing_rate;   /* bytes per second; 0: send as the window allows */
    uint32_t mss;           /* data bytes per full segment (TCP keeps it current) */
    uint32_t prior_cwnd, prior_ssthresh; /* before the last congestion event, for undo */
    uint8_t algo;           /* index in cc_algos[] */
    /* The algorithm's own state, CC_PRIV_BYTES aligned to 16, set before init is called; NULL:
     * none attached, and cc_ops_of() answers with cc_newreno_stateless. */
    void *priv;
} cc_conn;

/* What one acknowledgment told the sender. */
typedef struct cc_ack {
    synack_time_us now;
    uint32_t acked;           /* bytes newly delivered: cumulatively acknowledged or SACKed */
    uint32_t prior_in_flight; /* bytes in the network before this ACK */
    uint32_t in_flight;       /* and after it */
    synack_time_us rtt_us;    /* the RFC 6298 sample (one timed segment per round trip); 0: none */
    /* The RTT of the newest never-resent segment this ACK delivered, from the transmit log:
     * a sample on every ACK that delivers data (RFC 9406 4.2's currRTT); 0: none. */
    synack_time_us ack_rtt_us;
    synack_time_us srtt_us;   /* smoothed RTT (RFC 6298); 0: no sample yet */
    synack_time_us min_rtt_us;/* smallest RTT sample of the connection; 0: none yet */
    bool app_limited;         /* the application, not cwnd, limited what was in flight */
    bool in_recovery;         /* loss recovery is on (tcp/recovery.c) */
    /* Delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation); interval 0: none. */
    uint64_t delivered;       /* bytes delivered over the connection's life */
    uint32_t rate_delivered;  /* bytes delivered during rate_interval_us */
    synack_time_us rate_interval_us;
    bool rate_app_limited;
    uint32_t lost;            /* bytes newly deemed lost on this ACK */
    uint32_t ece_bytes;       /* bytes acknowledged with ECE set (RFC 3168) */
} cc_ack;

enum cc_event {
    CC_EV_LOSS, /* loss detected: recovery starts (RFC 5681 3.2, RFC 6675 5) */
    CC_EV_ECN,  /* CE echoed by the peer (RFC 3168 6.1.2): reduce as for a loss, send CWR */
    CC_EV_RTO,  /* retransmission timeout (RFC 5681 3.1: loss window) */
};

typedef struct cc_ops {
    const char *name;
    /* Recovery leaves the window during recovery to the algorithm (on_ack sees in_recovery). */
    bool owns_recovery;
    /* A new connection, or a switch to this algorithm: c->cwnd and c->mss are set. */
    void (*init)(cc_conn *c, synack_time_us now);
    /* Data delivered. Loss-based algorithms grow the window only outside recovery. */
    void (*on_ack)(cc_conn *c, const cc_ack *a);
    /* A congestion signal: set ssthresh, and cwnd as the algorithm's response says. For
     * CC_EV_RTO first_timeout tells whether this is the first timeout of the data. */
    void (*on_congestion)(cc_conn *c, enum cc_event ev, bool first_timeout, const cc_ack *a);
    /* Recovery ended: everything outstanding when it began is acknowledged. */
    void (*on_recovery_end)(cc_conn *c, const cc_ack *a);
    /* The last congestion event was spurious (D-SACK, F-RTO, Eifel): optional algorithm state
     * to restore; cwnd and ssthresh are restored by the caller (RFC 4015 3.2). */
    void (*undo)(cc_conn *c);
    /* The algorithm's current phase, for netstat -e and traces ("slow-start", "probe-bw"). */
    const char *(*phase)(const cc_conn *c);
} cc_ops;

/* Every algorithm, by index; cc_conn.algo indexes it. */
extern const cc_ops *const cc_algos[];
extern const unsigned cc_algo_count;
/* The index of the algorithm called name, or -1. */
int cc_find(const char *name);
/* The algorithm chosen (its name, what a socket reports). */
static inline const cc_ops *cc_algo_of(const cc_conn *c) { return cc_algos[c->algo]; }
/* The algorithm that runs: the chosen one once its state is attached; until then (and when the
 * pool had no block for it) NewReno without private state. */
extern const cc_ops cc_newreno_stateless;
static inline const cc_ops *cc_ops_of(const cc_conn *c) { return c->priv ? cc_algos[c->algo] : &cc_newreno_stateless; }

/* Helpers the algorithms share. */
#define CC_CWND_MAX (1u << 30)
/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static inline uint32_t cc_half_flight(const cc_conn *c, uint32_t flight)
{
    uint32_t h = flight / 2;
    return h > 2u * c->mss ? h : 2u * c->mss;
}
/* RFC 5681 3.1 slow start with appropriate byte counting, L = 1 (RFC 3465): returns the bytes
 * of acked not used to reach ssthresh. */
uint32_t cc_slow_start(cc_conn *c, uint32_t acked);

extern const cc_ops cc_newreno, cc_cubic, cc_bbr;

/* RFC 9438 Figures 1 and 2, in segments and seconds (cubic.c; tests compare against them). */
double cubic_w(double w_max, double k_s, double t_s);
double cubic_k(double w_max, double cwnd_epoch);

#endif
