/* peer.h: a scripted remote peer for state-machine tests. One stack under test (198.18.0.1) talks
 * to a virtual peer (198.18.0.2) whose every segment the test writes by hand, on a virtual clock
 * the test advances; what the stack sends is parsed back for exact checks. */
#ifndef SYNACK_TEST_PEER_H
#define SYNACK_TEST_PEER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>

#include "test.h"
#include "wire/wire.h"

enum { PEER_MAX_SEGS = 128, PEER_DATA_MAX = 1600 };
enum { PEER_PORT = 40000, PEER_STACK_PORT = 80 };

/* Flag shorthands for readable expectations. */
#define F_SYN SYNACK_SYN
#define F_ACK SYNACK_ACK
#define F_FIN SYNACK_FIN
#define F_RST SYNACK_RST
#define F_PSH SYNACK_PSH

/* One segment the stack sent, parsed. */
typedef struct peer_seg {
    synack_time_us t; /* virtual time it left the stack */
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t wnd, sport, dport;
    uint32_t len; /* payload bytes; the first PEER_DATA_MAX are kept in data */
    tcp_opts opts;
    uint8_t data[PEER_DATA_MAX];
} peer_seg;

/* One segment to inject. Zero fields take the peer's defaults where noted. */
typedef struct peer_tx {
    uint8_t flags;
    uint32_t seq, ack;
    int32_t wnd;          /* < 0: the peer's current window (p->wnd) */
    const void *data;
    uint32_t len;
    const tcp_opts *opts; /* NULL: the peer's own (MSS etc. on SYN; TS when the peer uses it) */
    uint16_t sport;       /* 0: PEER_PORT (another port plays a second remote endpoint) */
} peer_tx;

/* How a test leaves ESTABLISHED / CLOSE-WAIT on its side. */
enum peer_how { PEER_BY_CLOSE, PEER_BY_SHUTDOWN };

typedef struct peer {
    synack_stack *st;
    synack_config cfg;
    synack_time_us now;
    uint32_t iss;        /* the peer's ISN */
    uint32_t snd_nxt;    /* the peer's next sequence number (= the stack's RCV.NXT when in sync) */
    uint32_t rcv_nxt;    /* next sequence number the peer expects from the stack */
    uint32_t stack_iss;  /* the stack's ISN, read from its SYN or SYN-ACK */
    bool have_stack_iss;
    uint16_t stack_port; /* the stack's port: 80 for passive opens, ephemeral for active ones */
    uint16_t wnd;        /* window the peer advertises */
    uint16_t mss;        /* MSS the peer announces on its SYN */
    int wscale;          /* window scale the peer offers on its SYN, -1 for none */
    bool ts, sack;       /* the peer offers (and then uses) timestamps / SACK */
    uint32_t ts_recent;  /* last TSval seen from the stack (the peer's TSecr) */
    uint32_t ts_val;     /* the peer's timestamp clock, advanced with the virtual clock */
    int lsd, sd;         /* listening and connection sockets, -1 when none */
    uint32_t conn_id;    /* the connection under test (kept when its socket is closed) */
    size_t nseg;         /* segments collected since the last peer_clear */
    peer_seg seg[PEER_MAX_SEGS];
} peer;

/* Defaults for state tests: the stack's defaults with timestamps and SACK off, so segments carry
 * no options beyond MSS/WS on SYNs; address 198.18.0.1 and a fixed seed. */
void peer_config(synack_config *cfg);
/* A new stack (cfg NULL: peer_config) and a peer that offers what the stack offers (TS, SACK). */
peer *peer_new(const synack_config *cfg);
void peer_free(peer *p);

/* Advances the virtual clock by us, firing every deadline at its own time (so backoff timing is
 * exact) and collecting what the stack sends as it goes. */
void peer_advance(peer *p, synack_time_us us);
/* Advances to the stack's next deadline (if any, and not beyond max_us from now); returns the
 * time waited, or 0 when nothing was due in that span (the clock then does not move). */
synack_time_us peer_advance_to_deadline(peer *p, synack_time_us max_us);

/* Injects one segment with correct checksums, then collects the stack's answer. */
void peer_inject(peer *p, const peer_tx *tx);
/* Shorthand: flags, seq, ack and payload at the peer's window, no extra options. */
void peer_send(peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len);
/* In-sequence helpers that advance p->snd_nxt: data (ACK|PSH), a FIN (FIN|ACK), a bare ACK. */
void peer_send_data(peer *p, const void *data, uint32_t len);
void peer_send_fin(peer *p);
void peer_send_ack(peer *p);

/* Moves everything the stack has queued into p->seg; returns p->nseg. Also tracks p->rcv_nxt over
 * in-order sequence space and p->ts_recent. */
size_t peer_collect(peer *p);
/* Discards everything the stack has sent so far (collected or still queued). */
void peer_clear(peer *p);
/* Text of the collected segments, for failure messages (static buffer). */
const char *peer_dump(peer *p);

/* Drains the stack's events; returns the last SYNACK_EV_ERROR's errno (positive), or 0. */
int peer_last_error(peer *p);

/* State of the connection under test: through its socket if it has one, else by conn_id; a
 * deleted TCB reads as CLOSED (RFC 9293: CLOSED is "no TCB"). */
int peer_state(peer *p);
/* Snapshot of the connection under test; false when its TCB is gone. */
bool peer_info(peer *p, synack_conn_info *ci);
/* The connection's current RTO: SRTT (~0 on the virtual wire) + the 200 ms floor. */
synack_time_us peer_rto(peer *p);
/* The stack's RCV.WND and SND.NXT for the connection under test. */
uint32_t peer_rcv_wnd(peer *p);
/* RCV.NXT + RCV.WND + 100 of the stack: a sequence number beyond its window. */
uint32_t peer_oow(peer *p);
/* peer_config() with RFC 793 behaviour for in-window RST and SYN (rfc5961 off). */
synack_config peer_config_rfc793(void);
/* The generic answer to a segment that must not change anything: <SEQ=SND.NXT><ACK=RCV.NXT>
 * <CTL=ACK> from the stack, and the connection still in `state`. */
void peer_expect_acked_and_stays_at(peer *p, const char *file, int line, int state);
#define EXPECT_ACKED_AND_STAYS(p, state) peer_expect_acked_and_stays_at((p), __FILE__, __LINE__, (state))
uint32_t peer_stack_snd_nxt(peer *p);
/* Absolute deadline of one timer of the connection under test, or SYNACK_TIME_NEVER. */
synack_time_us peer_deadline(peer *p, int timer);
/* Number of TCBs the stack holds (listeners, connections, sockets without connection). */
uint32_t peer_conns(peer *p);

/* ---- bringing a connection into each state by real exchanges ----
 * Each returns true on success, leaves p->seg empty and p->snd_nxt / p->rcv_nxt in sync. */
bool peer_to_listen(peer *p);
bool peer_to_syn_sent(peer *p);
bool peer_to_syn_received_passive(peer *p);
bool peer_to_syn_received_active(peer *p);
bool peer_to_established_active(peer *p);
bool peer_to_established_passive(peer *p);
bool peer_to_fin_wait_1(peer *p, enum peer_how how);
bool peer_to_fin_wait_2(peer *p, enum peer_how how);
bool peer_to_close_wait(peer *p);
bool peer_to_closing(peer *p, enum peer_how how);
bool peer_to_last_ack(peer *p, enum peer_how how);
bool peer_to_time_wait(peer *p, enum peer_how how);
/* CLOSED after a reset: established, then the peer's RST; the socket still holds the TCB. */
bool peer_to_closed_by_reset(peer *p);

/* ---- checks (file:line of the caller) ---- */
void peer_expect_at(peer *p, const char *file, int line, uint8_t flags, uint32_t seq, uint32_t ack);
void peer_expect_none_at(peer *p, const char *file, int line);
void peer_expect_state_at(peer *p, const char *file, int line, int state);
void peer_finish_at(peer *p, const char *file, int line);

/* Exactly one segment was sent, with these flags, seq and (when ACK is set) ack; then clears. */
#define EXPECT_SEG(p, flags, seq, ack) \
    peer_expect_at((p), __FILE__, __LINE__, (flags), (seq), (ack))
/* Nothing was sent; then clears. */
#define EXPECT_NONE(p) peer_expect_none_at((p), __FILE__, __LINE__)
#define EXPECT_STATE(p, state) peer_expect_state_at((p), __FILE__, __LINE__, (state))
/* The end of every state test: no illegal transition happened; then every socket is closed, the
 * timers are run out, and no buffer byte, connection or socket may remain (no leaks). Frees p. */
#define PEER_FINISH(p) peer_finish_at((p), __FILE__, __LINE__)

#endif
