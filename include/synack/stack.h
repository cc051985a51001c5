/* synack/stack.h: the sans-I/O stack object.
 * Time and packets go in; packets, events and the next deadline come out. The stack never reads a
 * clock: "now" is always the last time the caller passed to synack_input() or synack_poll(), and
 * socket calls (socket.h) act at that time. */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include "event.h"
#include "types.h"
#include "version.h"

typedef struct synack_stack synack_stack;

/* SYN cookies (cfg.syncookies), as Linux's net.ipv4.tcp_syncookies 0 / 1 / 2. */
enum synack_syncookies {
    SYNACK_SYNCOOKIES_OFF,    /* a full SYN queue drops SYNs (the peer retransmits) */
    SYNACK_SYNCOOKIES_AUTO,   /* a full SYN queue (or connection pool) answers with a cookie */
    SYNACK_SYNCOOKIES_ALWAYS, /* every SYN is answered with a cookie; no half-open state at all */
};

/* Explicit Congestion Notification (cfg.ecn, RFC 3168), as Linux's net.ipv4.tcp_ecn 0 / 1 / 2. */
enum synack_ecn {
    SYNACK_ECN_OFF,     /* never: SYNs asking for ECN are answered without it */
    SYNACK_ECN_ON,      /* ask for it on our SYNs, accept it on theirs */
    SYNACK_ECN_PASSIVE, /* accept it when the peer asks (the default, as Linux's 2) */
};

/* Where the stack's memory comes from. Unset (both NULL), the C library. The stack allocates
 * coarsely (slab chunks of 64 KiB and more, bucket and heap arrays), never per packet. */
typedef struct synack_allocator {
    void *(*alloc)(void *ctx, size_t align, size_t size); /* align 0: any; NULL when exhausted */
    void (*release)(void *ctx, void *p);
    void *ctx;
} synack_allocator;

/* Every knob, with its default from synack_config_default(). Durations in microseconds. */
typedef struct synack_config {
    /* The stack's address list: one IPv4 and one IPv6 address (either may be unset, family
     * SYNACK_AF_NONE, but not both). Packets to other addresses are dropped. Everything the stack
     * sends goes out through the one link it has (the TUN device or the simulated link): that
     * is its default route. */
    synack_addr addr;              /* IPv4 */
    synack_addr addr6;             /* IPv6 (SYNACK_AF_INET6), default unset */
    uint32_t mtu;                  /* link MTU, default 1500: bounds the MSS we announce */
    /* The master secret (128 bits) behind every number an attacker must not guess: ISNs,
     * timestamp offsets, ephemeral ports, SYN cookies and the connection hash each use their own
     * key derived from it. Default all zero: tests and simulations vary seed alone (it is mixed
     * into the key) and stay deterministic; real drivers fill secret from getrandom(). */
    uint64_t seed;
    uint8_t secret[16];
    bool isn_fixed;                /* tests: every ISN is isn_value (e.g. near 2^32 to test wrap) */
    uint32_t isn_value;
    /* Limits, not preallocations: the connection table, its hash, the timer heap and the socket
     * table grow with the load (hash: incrementally; the rest: slabs and doubling arrays) and
     * shrink back when it falls. */
    uint32_t max_conns;            /* connections (TCBs) at once, default 1,048,576 */
    uint32_t max_sockets;          /* socket descriptors, default 1,048,576 */
    uint32_t max_time_wait;        /* compact TIME-WAIT records (beyond: close at once), 262,144 */
    bool tw_reuse;                 /* connect() may reuse a TIME-WAIT 4-tuple with timestamps, 1 s
                                      after its last segment (Linux tcp_tw_reuse), default true */
    uint16_t mss;                  /* MSS we announce, default 1460 */
    uint32_t sndbuf_bytes;         /* most bytes a send buffer holds, default 256 KiB (max 64 MiB) */
    uint32_t rcvbuf_bytes;         /* most bytes a receive buffer holds, default 256 KiB; memory is
                                      taken as data arrives and given back when it is read */
    uint8_t wscale;                /* window scale we offer (RFC 7323), default 7; 0 = not offered */
    bool sack;                     /* offer/accept SACK-permitted (RFC 2018), default true */
    bool timestamps;               /* offer/accept timestamps (RFC 7323), default true */
    bool nagle;                    /* default for new sockets (TCP_NODELAY off), default true */
    uint32_t initial_cwnd_segments;/* RFC 6928 IW, default 10 */
    uint32_t reass_max_ranges;     /* out-of-order ranges held, default 32 */
    uint32_t sack_max_ranges;      /* SACKed ranges the sender's scoreboard holds, default 256
                                      (at most 1024): a window of hundreds of segments at a few
                                      percent loss has dozens of holes */
    uint32_t ephemeral_lo, ephemeral_hi; /* default 32768..60999 as Linux */
    /* Which ephemeral ports connect() (and bind to port 0) may take, beyond being free: NULL
     * (the default) takes any. A driver sets it when where a flow's packets arrive depends on
     * its ports: a stack on one queue of a multi-queue TUN device keeps the ports whose flows
     * the kernel steers to its own queue (tun.h synack_tun_queue_port_ok). remote's port is 0
     * for bind(port 0), where the peer is not known yet. Called during the RFC 6056 search: a
     * refused port counts as tried, and the search ends after num_ephemeral tries as before.
     * Must be a pure function of its arguments (no I/O, no clock). */
    bool (*port_ok)(void *ctx, uint16_t local_port, const synack_endpoint *remote);
    void *port_ok_ctx;
    /* Listen queues, separate as in Linux: listen()'s backlog (capped by backlog_max, default
     * 4096 like Linux's somaxconn, at most 65535) bounds the accept queue of established
     * connections; syn_queue_max bounds each listener's half-open (SYN-RECEIVED) children,
     * default 2048 (1..65535), what Linux's tcp_max_syn_backlog (ehash size / 128) comes to on
     * a machine of ours; a half-open child costs one TCB (~530 bytes). Beyond it, cookies
     * answer. */
    uint32_t backlog_max;
    uint32_t syn_queue_max;
    uint8_t syncookies;            /* enum synack_syncookies, default SYNACK_SYNCOOKIES_AUTO */
    uint32_t outq_bytes;           /* outbound packet queue, default 1 MiB */
    synack_allocator allocator;    /* default: the C library */
    /* Link offloads (a TUN device with a virtio-net header; see synack_output_meta). Both off
     * by default: every packet then leaves complete and at most one MSS of data long. */
    bool tx_csum_offload;          /* TCP checksums left partial (the pseudo-header sum in the
                                      field) for the link to complete */
    uint32_t tso_max_bytes;        /* > 0: TCP may build super-segments of up to this many bytes
                                      (IP header included, at most 65535) carrying several MSS of
                                      data, which the link cuts into MSS segments (TSO);
                                      implies partial checksums on them. 0 = off */
    uint32_t eventq_len;           /* event ring, default 4096 */
    /* Timers. */
    synack_time_us conn_timeout_us;     /* connection establishment, default 75 s */
    synack_time_us rto_initial_us;      /* RFC 6298 2.1: 1 s */
    synack_time_us rto_min_us;          /* default 200 ms: floor of the RTO's variance term, RTO >=
                                         * SRTT + rto_min (Linux); RFC 6298 says RTO >= 1 s */
    synack_time_us rto_max_us;          /* default 120 s */
    synack_time_us msl_us;              /* TIME-WAIT = 2*MSL; MSL default 30 s */
    synack_time_us fin_wait_2_timeout_us; /* default 10 min; 0 = wait forever */
    synack_time_us delack_us;           /* default 40 ms */
    synack_time_us persist_min_us;      /* default 200 ms */
    synack_time_us persist_max_us;      /* default 60 s */
    synack_time_us keepalive_idle_us;   /* default 2 h */
    synack_time_us keepalive_intvl_us;  /* default 75 s */
    uint32_t keepalive_probes;          /* default 9; at most 255 */
    bool keepalive;                     /* default for new sockets, default false */
    synack_time_us user_timeout_us;     /* RFC 9293 3.10.8 USER TIMEOUT; 0 = off, default 0 */
    /* (keepalive and user timeout: kept in whole milliseconds, at most 2^32-1 ms) */
    uint32_t max_retransmits;           /* data retransmissions before ETIMEDOUT, default 15 */
    /* Policy. */
    bool rfc5961;                  /* challenge ACKs for in-window RST/SYN (RFC 5961), default true */
    /* RFC 5961 10: challenge ACKs per second for the whole stack, default 1000 (Linux's
     * tcp_challenge_ack_limit). As Linux since CVE-2016-5696, each second's budget is
     * randomised to limit/2 + [0, limit) so that an off-path attacker cannot count it. 0 = none
     * sent. */
    uint32_t challenge_ack_limit;
    bool drop_synfin;              /* drop SYN+FIN at a listener and in SYN-SENT (FreeBSD), default true */
    uint32_t icmp_ratelimit_per_sec; /* ICMP echo replies per second (burst of the same), default 1000 */
    /* IP reassembly (RFC 791, RFC 815, RFC 8200 4.5). Fragments are copied into memory taken
     * when they arrive and given back when their datagram completes, fails or times out. */
    uint32_t frag_max_datagrams;   /* datagrams in reassembly at once, default 256; 0 = no
                                    * reassembly (fragments are dropped and counted) */
    uint32_t frag_max_fragments;   /* fragments per datagram, default 128 (64 KiB at MTU 576) */
    uint32_t frag_mem_bytes;       /* all incomplete datagrams together, default 4 MiB (Linux's
                                    * ipfrag_high_thresh); the oldest is evicted to make room */
    uint32_t frag_src_mem_bytes;   /* one source address's share, default 1 MiB; a source also
                                    * holds at most a quarter of frag_max_datagrams */
    synack_time_us frag_timeout_us;  /* IPv4: default 30 s (Linux); at least 15 s (RFC 791) */
    synack_time_us frag6_timeout_us; /* IPv6: default 60 s (RFC 8200 4.5); at least 15 s */
    /* Congestion control for new connections, by name: "cubic" (the
     * default, RFC 9438 with HyStart++), "newreno" or "bbr" (synack(3));
     * a socket chooses its own with SYNACK_SO_CONGESTION, as TCP_CONGESTION on Linux. */
    char congestion_control[16];
    uint8_t ecn;                   /* enum synack_ecn, default SYNACK_ECN_PASSIVE */
} synack_config;

void synack_config_default(synack_config *cfg);
/* The name of the i-th congestion control algorithm ("newreno", "cubic", "bbr"), for
 * congestion_control and SYNACK_SO_CONGESTION; NULL past the last. */
const char *synack_cc_name(unsigned i);

/* The version of the library that is loaded, e.g. "0.1.0" (SYNACK_VERSION is that of the headers
 * the program was compiled with; version.h). */
const char *synack_version(void);

/* Creates a stack; all memory pools are sized from cfg. Returns NULL on bad config or no memory. */
synack_stack *synack_stack_new(const synack_config *cfg);
void synack_stack_free(synack_stack *st);
const synack_config *synack_stack_config(const synack_stack *st);

/* One inbound IP packet (no link header) arrives at time now. Never fails: bad packets are
 * dropped and counted (see inspect.h). The buffer is only read during the call. */
void synack_input(synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len);

enum synack_input_flags {
    /* The link vouches for the TCP checksum (it checked it, or the packet comes from the local
     * kernel with a checksum still partial: virtio-net DATA_VALID / NEEDS_CSUM). The core
     * skips its own pass over the data. */
    SYNACK_IN_CSUM_VALID = 1
};
/* synack_input with flags (enum synack_input_flags). A TCP segment may be larger than the MSS
 * (a GSO super-segment from a link that coalesces): it is taken whole. */
void synack_input_flags(synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len,
                        unsigned flags);

/* Advances time to now and runs every timer that is due. */
void synack_poll(synack_stack *st, synack_time_us now);

/* The earliest time synack_poll() has work, or SYNACK_TIME_NEVER; the current time while output
 * waits to be taken with synack_output(). O(1). */
synack_time_us synack_next_deadline(const synack_stack *st);

/* The current time of the stack (the last time given). */
synack_time_us synack_now(const synack_stack *st);

/* Takes the next outbound IP packet into buf; returns its length, or 0 when none is queued.
 * A packet larger than cap is dropped and counted (give 64 KiB to be safe). Output caused by
 * input is built here, when the driver takes it: feed a batch of packets with synack_input(),
 * then call synack_output() until it returns 0, and one ACK answers the whole batch. */
size_t synack_output(synack_stack *st, uint8_t *buf, size_t cap);

/* What a link with offloads needs to know of an outbound packet (virtio-net header terms). */
typedef struct synack_out_meta {
    uint16_t gso_size;     /* > 0: a TCP super-segment to cut into segments of this many data
                              bytes (the TCP header, options included, repeated on each) */
    uint16_t hdr_len;      /* IP + TCP header bytes, when gso_size > 0 */
    uint16_t csum_start;   /* > 0: the checksum is partial: the link sums from csum_start */
    uint16_t csum_offset;  /* and stores the result at csum_start + csum_offset */
    bool ipv6;             /* the packet is IPv6 (for the GSO type) */
} synack_out_meta;
/* synack_output with the packet's offload needs. With tx_csum_offload or tso_max_bytes set, a
 * driver must take packets with this call (synack_output completes a partial checksum itself
 * but cannot cut a super-segment: it drops and counts it, out_too_big). */
size_t synack_output_meta(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta);

/* A piece of an outbound packet's data, in place in the stack's memory (synack_output_iov). */
typedef struct synack_out_piece {
    const uint8_t *data;
    size_t len;
} synack_out_piece;
enum { SYNACK_OUT_PIECES = 2 };
/* synack_output_meta without copying the data: the packet is the return value's bytes of buf
 * (its headers, or the whole packet) followed by the *npieces (0..SYNACK_OUT_PIECES) pieces,
 * which point into the stack's send buffers and stay valid until the next call into the stack
 * (any call: a driver writes them out, e.g. with one writev, before it calls again). meta as
 * for synack_output_meta; a partial checksum or super-segment needs a link that finishes it.
 * Returns 0 when nothing is waiting. */
size_t synack_output_iov(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta,
                         synack_out_piece piece[SYNACK_OUT_PIECES], unsigned *npieces);

/* Takes the next event; false when none. Events are traces: missing them changes nothing. */
bool synack_event_next(synack_stack *st, synack_event *ev);

/* Per-segment trace events (SYNACK_EV_RETRANSMIT, SYNACK_EV_DROP) and congestion control
 * events (SYNACK_EV_CC) are queued only for the bits set here; 0 (the default) costs one test of
 * this mask where a segment is retransmitted or dropped or congestion control is consulted.
 * State, timer and socket events are always queued. */
enum { SYNACK_TRACE_RETRANSMITS = 1u << 0, SYNACK_TRACE_DROPS = 1u << 1, SYNACK_TRACE_CC = 1u << 2 };
void synack_trace_set(synack_stack *st, unsigned mask);
unsigned synack_trace_get(const synack_stack *st);

#endif
