/* sync_checks.h: RFC 9293 3.10.7.4 steps one, two and four (sequence check, RST, SYN) behave
 * alike in every synchronized state. These checks run them against one state, described by how
 * to reach it and what a reset leaves behind; each state file keeps its CELL tags on thin
 * wrappers that call them. */
#ifndef SYNACK_SYNC_CHECKS_H
#define SYNACK_SYNC_CHECKS_H

#include "peer.h"

typedef struct sync_state {
    int state;                                 /* where enter() leaves the connection */
    peer *(*enter)(const synack_config *cfg);  /* the usual way there */
    /* The way there for the RFC 793 reset runs: one where the application still holds the
     * socket (e.g. after shutdown) when a reset error should be read; NULL: enter. */
    peer *(*enter_open)(const synack_config *cfg);
    int reset_error;   /* errno the application then reads after a reset; 0: not checked */
    bool reset_frees;  /* a reset leaves no connection at all */
    uint32_t rst_off;  /* SND.NXT + rst_off: in the window, not RCV.NXT */
    uint32_t syn_off;  /* SND.NXT + syn_off: a SYN in the window */
} sync_state;

/* In-window RST: RFC 5961 challenge ACK; RFC 793 reset. */
void sync_check_rst_in_window(const sync_state *s);
/* RST beyond the window or below RCV.NXT: dropped, nothing sent. */
void sync_check_rst_oow_and_old(const sync_state *s);
/* RST+ACK is a RST: out of window dropped, exact sequence resets. */
void sync_check_rst_ack(const sync_state *s);
/* SYN and SYN+ACK in the window: RFC 5961 challenge ACK; RFC 793 RST and reset. */
void sync_check_syn_in_window(const sync_state *s);
/* SYN and SYN+ACK beyond the window: ACK, nothing changes. */
void sync_check_syn_oow(const sync_state *s);

#endif
