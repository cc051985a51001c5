/* synack/inspect.h: read-only views of a stack for tools: connection snapshots (netstat),
 * named counters, and memory use. Tools read the core only through this header and events. */
#ifndef SYNACK_INSPECT_H
#define SYNACK_INSPECT_H

#include <stdio.h>

#include "stack.h"

/* The timer shown in netstat -o's Timer column, as Linux netstat names them. */
enum synack_netstat_timer { SYNACK_NT_OFF, SYNACK_NT_ON, SYNACK_NT_KEEPALIVE, SYNACK_NT_TIMEWAIT,
                            SYNACK_NT_PROBE };

typedef struct synack_conn_info {
    uint32_t conn_id;
    int socket;               /* -1 when orphaned (closed by the application) */
    uint8_t state;            /* enum synack_tcp_state */
    synack_endpoint local, remote;
    uint32_t recv_q;          /* bytes received, not read (LISTEN: accept queue length) */
    uint32_t send_q;          /* bytes sent, not acknowledged, plus unsent (LISTEN: backlog) */
    uint8_t nt_timer;         /* enum synack_netstat_timer */
    synack_time_us nt_remaining_us;
    uint32_t nt_retransmits;  /* consecutive retransmissions of the current segment */
    uint32_t nt_probes;       /* keepalive or zero-window probes sent unanswered */
    synack_time_us deadline_us[SYNACK_TIMER_COUNT]; /* absolute; SYNACK_TIME_NEVER when idle */
    uint32_t iss, irs, snd_una, snd_nxt, snd_wnd, rcv_nxt, rcv_wnd;
    uint32_t cwnd, ssthresh, snd_mss;
    synack_time_us srtt_us, rttvar_us, rto_us;
    /* Negotiated options (as ss -i shows them): timestamps, SACK, window scales. */
    bool ts_ok, sack_ok, ws_ok;
    uint8_t snd_wscale, rcv_wscale;
    uint16_t syn_queue_len;   /* LISTEN: half-open (SYN-RECEIVED) children */
    /* A wildcard listener that takes both IPv4 and IPv6 (the stack has both addresses): Linux
     * shows such a socket as tcp6 ":::80". */
    bool dual_stack;
    /* As ss -i shows them (tcp_info): octets of data acknowledged by the peer and received in
     * order from it (SYN and FIN excluded), segments sent again, and how long ago the state
     * last changed (TIME-WAIT records: since their last FIN, 2*MSL less the time left). */
    uint64_t bytes_acked, bytes_received;
    uint32_t retransmits_total;
    synack_time_us state_age_us;
    const char *cc_name;      /* congestion control, e.g. "newreno" (static text) */
    const char *cc_phase;     /* its phase, e.g. "slow-start" (static text; "" when none) */
    /* As ss -i's delivery_rate (tcp_info tcpi_delivery_rate): the last delivery-rate sample
     * (draft-cheng-iccrg-delivery-rate-estimation), bytes per second; 0: none yet. */
    uint64_t delivery_rate;
    bool delivery_rate_app_limited;
    bool ecn_ok;              /* ECN negotiated (RFC 3168) */
    /* Congestion control as `synack trace` names it: the response on (enum synack_cc_phase:
     * SYNACK_CC_RECOVERY, _LOSS, _CWR), else the algorithm's phase; SYNACK_CC_NONE before. */
    uint8_t cc_state;
    uint32_t min_rtt_us;      /* smallest RTT sample (RACK's and BBR's min_rtt); 0: none yet */
    uint64_t pacing_rate;     /* bytes per second; 0: not paced */
    /* ECN (RFC 3168 6.1): segments that arrived CE-marked; whether we echo ECE until the
     * peer's CWR; whether we owe the peer a CWR on our next new data. */
    uint32_t ecn_ce_rcvd;
    bool ecn_ece_echo, ecn_cwr_pending;
    /* Loss probes sent (RFC 8985 7) and congestion responses undone (D-SACK, F-RTO). */
    uint32_t tlp_total, undo_total;
} synack_conn_info;

/* netstat -o's timer for a connection still opening shows the earlier of the retransmission and
 * the establishment deadline (75 s by default): the SYN's last chance is the latter. */

/* Fills up to cap snapshots (listeners first, then connections by id); returns the total count. */
size_t synack_conn_list(const synack_stack *st, synack_conn_info *out, size_t cap);
bool synack_conn_get(const synack_stack *st, uint32_t conn_id, synack_conn_info *out);
/* State of the connection behind a socket, or -1. */
int synack_socket_state(const synack_stack *st, int sd);
bool synack_socket_info(const synack_stack *st, int sd, synack_conn_info *out);

/* Named counters: drops by reason, segments, retransmissions, transitions... */
#define SYNACK_COUNTERS(X)                                                  \
    X(ip_in, "IP packets received") X(ip_bad_short, "IP: shorter than header") \
    X(ip_bad_version, "IP: not IPv4") X(ip_bad_hlen, "IP: bad header length") \
    X(ip_bad_len, "IP: total length beyond packet") X(ip_bad_cksum, "IP: bad checksum") \
    X(ip_fragment, "IP: fragments received") X(ip_not_for_us, "IP: other destination") \
    X(ip_not_tcp, "IP: protocol not TCP or ICMP") X(ip6_bad_ext, "IPv6: bad extension headers") \
    X(ip_bad_src, "IP: impossible source address") X(tcp_bad_short, "TCP: short header") \
    X(tcp_bad_off, "TCP: data offset out of range") X(tcp_bad_opt, "TCP: malformed option") \
    X(tcp_bad_cksum, "TCP: bad checksum") X(tcp_bad_port, "TCP: port 0 or bad address") \
    X(tcp_in, "TCP segments received") X(tcp_out, "TCP segments sent") \
    X(tcp_rst_out, "RSTs sent") X(tcp_no_conn, "segments for no connection") \
    X(tcp_tso_out, "TCP super-segments sent for the link to cut (TSO)") \
    X(tcp_gso_in, "TCP segments received larger than the MSS (GSO from the link)") \
    X(tcp_csum_offloaded, "TCP segments received with the checksum vouched for by the link") \
    X(tcp_unacceptable, "segments outside the window") X(tcp_challenge_ack, "challenge ACKs") \
    X(tcp_synfin, "SYN+FIN dropped") X(tcp_listen_drop, "SYNs dropped: SYN queue full, no cookies") \
    X(tcp_ack_unsent, "ACKs of unsent data") X(tcp_old_ack, "duplicate/old ACKs") \
    X(tcp_rexmt, "retransmitted segments") X(tcp_fast_rexmt, "fast retransmits") \
    X(tcp_rto_fired, "retransmission timeouts") X(tcp_reass_drop, "out-of-order dropped: no room") \
    X(tcp_ooo, "out-of-order segments held") X(tcp_dup_data, "duplicate data") \
    X(tcp_rcv_beyond_wnd, "data trimmed beyond window") X(tcp_persist_probe, "zero-window probes") \
    X(tcp_keepalive_probe, "keepalive probes") X(tcp_conn_drop_timeout, "connections timed out") \
    X(tcp_conn_reset, "connections reset") X(tcp_no_tcb, "SYNs dropped: no free connection") \
    X(out_queue_full, "outbound queue full") X(out_too_big, "outbound packet larger than buffer") \
    X(event_overflow, "events dropped: ring full") X(tcp_state_changes, "state changes") \
    X(tcp_illegal_transition, "transitions outside the legal table (bugs)") \
    X(icmp_in, "ICMP messages received") X(icmp_bad, "ICMP: malformed or bad checksum") \
    X(icmp_echo_reply, "ICMP echo replies sent") X(icmp_rate_limited, "ICMP replies rate-limited") \
    X(icmp_error_ignored, "ICMP errors matching no connection or sequence") \
    X(icmp_pmtu, "ICMP path MTU reductions") X(icmp_hard_error, "ICMP hard errors (connection aborted)") \
    X(icmp_soft_error, "ICMP soft errors recorded") \
    X(tcp_tw_compact, "TIME-WAIT connections made compact records") \
    X(tcp_tw_overflow, "TIME-WAIT records full: connection closed at once") \
    X(tcp_tw_syn_reused, "SYNs that reopened a TIME-WAIT 4-tuple (RFC 6191)") \
    X(tcp_tw_syn_refused, "SYNs to a TIME-WAIT 4-tuple dropped (RFC 6191)") \
    X(tcp_tw_connect_reused, "connect() reused a TIME-WAIT 4-tuple") \
    X(tcp_no_buffer, "data dropped or refused: no buffer memory") \
    X(timer_no_memory, "timers not armed: no memory for the heap") \
    X(tcp_syn_aq_full, "SYNs dropped: accept queue full") \
    X(tcp_listen_overflow, "handshake ACKs dropped: accept queue full") \
    X(tcp_syncookie_sent, "SYN cookies sent") X(tcp_syncookie_ok, "SYN cookies validated") \
    X(tcp_syncookie_bad, "SYN cookie ACKs rejected: bad MAC or expired") \
    X(tcp_syncookie_ended, "SYN cookie ACKs rejected: that connection already ended") \
    X(tcp_syncookie_small_mss, "SYNs dropped: MSS below the cookie table") \
    X(tcp_challenge_ack_limited, "challenge ACKs not sent: rate limit (RFC 5961 10)") \
    X(reass_ok, "IP datagrams reassembled") \
    X(reass_off, "fragments dropped: reassembly disabled (frag_max_datagrams 0)") \
    X(reass_atomic6, "IPv6 atomic fragments processed alone (RFC 6946)") \
    X(reass_dup, "fragments dropped: exact duplicates") \
    X(reass_overlap, "datagrams dropped: overlapping fragments (RFC 5722)") \
    X(reass_bad_end, "datagrams dropped: fragments disagree on the end") \
    X(reass_bad_len, "fragments dropped: empty, or not 8-byte aligned with more to come") \
    X(reass_tiny, "fragments dropped: first fragment without the whole transport header (RFC 1858, RFC 7112)") \
    X(reass_tcp_off1, "fragments dropped: TCP at fragment offset 1 (RFC 1858)") \
    X(reass_too_big, "datagrams dropped: reassembled length over 65535") \
    X(reass_too_many, "datagrams dropped: too many fragments") \
    X(reass_src_budget, "datagrams dropped: source over its reassembly budget") \
    X(reass_mem, "datagrams dropped: reassembly memory exhausted") \
    X(reass_evicted, "datagrams evicted (oldest) for memory or a reassembly slot") \
    X(reass_dead, "fragments dropped: their datagram was already discarded") \
    X(reass_nested, "datagrams dropped: a fragment inside a reassembled datagram") \
    X(reass_timeout, "datagrams dropped: reassembly timeout") \
    X(icmp_time_exceeded_out, "ICMP fragment reassembly time exceeded sent") \
    X(ip_frag_out, "IP fragments sent") \
    X(ip_out_too_big, "datagrams dropped: larger than the MTU and not fragmentable") \
    X(tcp_rack_loss, "RACK: ACKs that marked segments lost (RFC 8985)") \
    X(tcp_rack_lost_rexmit, "RACK: retransmissions deemed lost again") \
    X(tcp_rack_reo_wnd_grown, "RACK: reordering window widened by D-SACK") \
    X(tcp_tlp, "tail loss probes sent (RFC 8985 7)") \
    X(tcp_tlp_repaired, "tail loss probes that repaired a loss") \
    X(tcp_prr_recoveries, "recoveries with proportional rate reduction (RFC 6937)") \
    X(tcp_dsack_sent, "D-SACK blocks sent (RFC 2883)") X(tcp_dsack_rcvd, "D-SACK blocks received") \
    X(tcp_spurious_undo, "congestion responses undone: retransmissions were spurious (D-SACK, RFC 3708)") \
    X(tcp_frto_spurious, "retransmission timeouts found spurious by F-RTO and undone (RFC 5682)") \
    X(tcp_ecn_ce_rcvd, "segments received with CE (RFC 3168)") \
    X(tcp_ecn_ece_rcvd, "ACKs received with ECE: congestion responses (RFC 3168)") \
    X(tcp_ecn_cwr_sent, "segments sent with CWR (RFC 3168)") \
    X(tcp_cc_state_nomem, "sends under stateless NewReno: no memory for the algorithm's state")

enum synack_counter {
#define SYNACK_X(id, text) SYNACK_CNT_##id,
    SYNACK_COUNTERS(SYNACK_X)
#undef SYNACK_X
    SYNACK_COUNTER_COUNT
};
uint64_t synack_counter(const synack_stack *st, int counter);
const char *synack_counter_name(int counter);
const char *synack_counter_text(int counter);
/* Transitions counted per (from, to) pair. */
uint64_t synack_transition_count(const synack_stack *st, int from, int to);

/* Memory the stack holds, and connections in use. */
typedef struct synack_mem_info {
    size_t buffer_bytes_in_use, buffer_bytes_high; /* ring and range-set memory given out */
    uint32_t conns_in_use, conns_high, sockets_in_use; /* conns: TCBs and TIME-WAIT records */
    uint32_t time_wait;            /* of which compact TIME-WAIT records */
    size_t table_bytes;            /* slabs (TCBs, records, buffers), hashes, heap, sockets */
    size_t reass_bytes_in_use, reass_bytes_high; /* fragments held, and a datagram being rebuilt */
    uint32_t reass_datagrams;    /* reassembly slots in use (a discarded datagram keeps its slot,
                                  * with no memory, until its timeout: RFC 5722) */
} synack_mem_info;
void synack_mem_get(const synack_stack *st, synack_mem_info *out);

/* netstat -an [-o] view: header plus one line per connection; IPv6 rows are "tcp6". */
void synack_netstat_print(const synack_stack *st, FILE *out, bool with_timers);
/* The same for a host whose sockets are all AF_INET6 (packetdrill's ipv6 and ipv4-mapped-ipv6
 * modes): every row is "tcp6" and IPv4 addresses read as Linux shows them there, IPv4-mapped
 * (::ffff:192.0.2.1), the wildcard as "::". */
void synack_netstat_print_v6(const synack_stack *st, FILE *out, bool with_timers);
/* Formats the -o timer column, e.g. "timewait (59.12/0/0)"; returns buf. */
char *synack_netstat_timer_format(const synack_conn_info *ci, char *buf, size_t cap);

#endif
