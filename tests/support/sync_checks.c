/* sync_checks.c: the shared synchronized-state checks of sync_checks.h. */
#include "sync_checks.h"

static peer *enter_open(const sync_state *s, const synack_config *cfg)
{
    return s->enter_open ? s->enter_open(cfg) : s->enter(cfg);
}

static void reset_seen(const sync_state *s, peer *p)
{
    EXPECT_STATE(p, SYNACK_CLOSED);
    if (s->reset_error) CHECK_EQ(peer_last_error(p), s->reset_error);
    if (s->reset_frees) CHECK_EQ(peer_conns(p), 0);
}

void sync_check_rst_in_window(const sync_state *s)
{
    peer *p = s->enter(NULL);
    peer_send(p, F_RST, p->snd_nxt + s->rst_off, 0, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, s->state);
    PEER_FINISH(p);

    synack_config cfg = peer_config_rfc793();
    p = enter_open(s, &cfg);
    peer_send(p, F_RST, p->snd_nxt + s->rst_off, 0, NULL, 0);
    EXPECT_NONE(p);
    reset_seen(s, p);
    PEER_FINISH(p);
}

void sync_check_rst_oow_and_old(const sync_state *s)
{
    peer *p = s->enter(NULL);
    peer_send(p, F_RST, peer_oow(p), 0, NULL, 0);
    EXPECT_NONE(p);
    peer_send(p, F_RST, p->snd_nxt - 1, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, s->state);
    PEER_FINISH(p);
}

void sync_check_rst_ack(const sync_state *s)
{
    peer *p = s->enter(NULL);
    peer_send(p, F_RST | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, s->state);
    peer_send(p, F_RST | F_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

void sync_check_syn_in_window(const sync_state *s)
{
    peer *p = s->enter(NULL);
    peer_send(p, F_SYN, p->snd_nxt + s->syn_off, 0, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, s->state);
    peer_send(p, F_SYN | F_ACK, p->snd_nxt + s->syn_off, p->rcv_nxt, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, s->state);
    PEER_FINISH(p);

    synack_config cfg = peer_config_rfc793();
    p = enter_open(s, &cfg);
    peer_send(p, F_SYN, p->snd_nxt + s->syn_off, 0, NULL, 0);
    EXPECT_SEG(p, F_RST | F_ACK, p->rcv_nxt, p->snd_nxt);
    EXPECT_STATE(p, SYNACK_CLOSED);
    if (s->reset_error) CHECK_EQ(peer_last_error(p), s->reset_error);
    PEER_FINISH(p);
}

void sync_check_syn_oow(const sync_state *s)
{
    peer *p = s->enter(NULL);
    peer_send(p, F_SYN, peer_oow(p), 0, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, s->state);
    peer_send(p, F_SYN | F_ACK, peer_oow(p), p->rcv_nxt, NULL, 0);
    EXPECT_ACKED_AND_STAYS(p, s->state);
    PEER_FINISH(p);
}
