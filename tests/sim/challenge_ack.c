/* challenge_ack.c: RFC 5961 10 rate limit of challenge ACKs. A burst of in-window RSTs (and
 * SYNs, and too-old ACKs, which draw the same answer) gets at most the per-second budget of
 * challenge ACKs; the budget is drawn anew each second in [limit/2, limit/2 + limit), so it is
 * not one fixed number across windows; exact RSTs still reset when the budget is spent. */
#include "peer.h"
#include "test.h"

/* Sends n in-window RSTs one by one (each its own batch, so each could be answered) at the
 * current time; returns how many were answered by an ACK. */
static uint32_t burst(peer *p, uint32_t n, uint8_t kind)
{
    uint32_t acks = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (kind == F_RST) peer_send(p, F_RST, p->snd_nxt + 1 + i % 1000, 0, NULL, 0);
        else if (kind == F_SYN) peer_send(p, F_SYN, p->snd_nxt + 5, 0, NULL, 0);
        else peer_send(p, F_ACK, p->snd_nxt, p->rcv_nxt - 0x40000000u, NULL, 0); /* RFC 5961 5.2 */
        peer_collect(p);
        for (size_t k = 0; k < p->nseg; k++)
            if (p->seg[k].flags == F_ACK && p->seg[k].ack == p->snd_nxt) acks++;
        peer_clear(p);
    }
    return acks;
}

static void challenge_acks_rate_limited(void)
{
    synack_config cfg;
    peer_config(&cfg);
    CHECK_EQ(cfg.challenge_ack_limit, 1000);
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_passive(p));
    peer_advance(p, SYNACK_SEC(1) - p->now % SYNACK_SEC(1)); /* to the start of a second */
    uint32_t budgets[6];
    bool differ = false;
    uint64_t limited = 0;
    for (int w = 0; w < 6; w++) {
        /* Each window: 2000 attempts, of three kinds, within one second of virtual time. */
        uint32_t a = burst(p, 1000, F_RST);
        peer_advance(p, SYNACK_MS(300));
        a += burst(p, 500, F_SYN);
        peer_advance(p, SYNACK_MS(300));
        a += burst(p, 500, F_ACK);
        budgets[w] = a;
        CHECK(a >= 500 && a < 1500);
        limited += 2000 - a;
        CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack_limited), limited);
        if (w && budgets[w] != budgets[0]) differ = true;
        EXPECT_STATE(p, SYNACK_ESTABLISHED);
        peer_advance(p, SYNACK_MS(400)); /* the next second */
    }
    printf("challenge-ACK budgets per second:");
    for (int w = 0; w < 6; w++) printf(" %u", budgets[w]);
    printf("\n");
    CHECK(differ);
    /* The budget is spent (this window), yet an exact RST still resets: the limit applies to
     * the challenge, never to the acceptance test. */
    burst(p, 1500, F_RST);
    peer_send(p, F_RST, p->snd_nxt, 0, NULL, 0);
    EXPECT_NONE(p);
    EXPECT_STATE(p, SYNACK_CLOSED);
    PEER_FINISH(p);
}

/* A limit of 0 sends none; RFC 793 behaviour (rfc5961 off) is not limited at all. */
static void challenge_ack_limit_zero(void)
{
    synack_config cfg;
    peer_config(&cfg);
    cfg.challenge_ack_limit = 0;
    peer *p = peer_new(&cfg);
    CHECK(peer_to_established_passive(p));
    CHECK_EQ(burst(p, 10, F_RST), 0);
    CHECK_EQ(synack_counter(p->st, SYNACK_CNT_tcp_challenge_ack_limited), 10);
    EXPECT_STATE(p, SYNACK_ESTABLISHED);
    PEER_FINISH(p);
}

/* Two stacks with different secrets draw different budgets for the same second. */
static void challenge_budget_keyed(void)
{
    uint32_t got[2];
    for (int i = 0; i < 2; i++) {
        synack_config cfg;
        peer_config(&cfg);
        cfg.secret[0] = (uint8_t)(i + 1);
        peer *p = peer_new(&cfg);
        CHECK(peer_to_established_passive(p));
        got[i] = burst(p, 1600, F_RST);
        PEER_FINISH(p);
    }
    CHECK(got[0] != got[1]);
}

int main(void)
{
    RUN(challenge_acks_rate_limited);
    RUN(challenge_ack_limit_zero);
    RUN(challenge_budget_keyed);
    return test_report();
}
