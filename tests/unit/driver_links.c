/* driver_links.c: the link interface (synack/driver.h) run by the real-time loop over three links
 * and both wrappers: two stacks on two threads joined by an in-memory pair, one end impaired
 * (seeded loss and reordering) and the other captured, move 1 MiB byte-exact; the capture is a
 * pcap whose packet count matches what crossed; a pcap replay link injects the client's side of
 * a simulated session into a fresh server stack, and the server's answers (SYN-ACK, RSTs) come
 * out of a capture wrapped around the replay; busy-poll on one end of a pair spins and finds
 * packets, the other end never spins. Real time, bounded to seconds. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <synack/driver.h>
#include <synack/inspect.h>
#include <synack/loop.h>
#include <synack/socket.h>

#include "test.h"

#define TRANSFER_BYTES (1u << 20)
#define TIME_LIMIT_US SYNACK_SEC(30)

static uint8_t pattern_byte(uint64_t i) { return (uint8_t)(i * 131 + (i >> 9)); }

static synack_stack *new_stack(uint8_t host, uint64_t seed)
{
    synack_config c;
    synack_config_default(&c);
    c.addr = synack_addr_v4(198, 18, 0, host);
    c.seed = seed;
    c.rto_min_us = SYNACK_MS(20); /* losses repaired quickly in real time */
    return synack_stack_new(&c);
}

/* ---- two loops over a memory pair ---- */

typedef struct end {
    synack_stack *st;
    synack_loop *lp;
    synack_link *link;
    int sd, conn;
    uint64_t done_bytes;  /* sent (client) or received and checked (server) */
    bool mismatch, finished, failed;
    synack_time_us t0;
    struct end *peer;
} end;

static void server_app(synack_loop *lp, void *ctx)
{
    end *e = ctx;
    synack_time_us now = synack_loop_now(lp);
    if (!e->t0) e->t0 = now;
    if (now - e->t0 > TIME_LIMIT_US) {
        e->failed = true;
        synack_loop_stop(lp, 1);
        return;
    }
    if (e->conn < 0) e->conn = synack_accept(e->st, e->sd, NULL);
    if (e->conn < 0) return;
    uint8_t buf[16384];
    ssize_t n;
    while ((n = synack_recv(e->st, e->conn, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern_byte(e->done_bytes + (uint64_t)i)) e->mismatch = true;
        e->done_bytes += (uint64_t)n;
    }
    if (n == 0) { /* the client's FIN: all is in */
        synack_close(e->st, e->conn);
        e->finished = true;
        synack_loop_stop(lp, 0);
    }
}

static void client_app(synack_loop *lp, void *ctx)
{
    end *e = ctx;
    synack_time_us now = synack_loop_now(lp);
    if (!e->t0) {
        e->t0 = now;
        synack_endpoint to = {synack_addr_v4(198, 18, 0, 2), 9};
        e->conn = synack_socket(e->st);
        CHECK_EQ(synack_connect(e->st, e->conn, &to), -EINPROGRESS);
    }
    if (now - e->t0 > TIME_LIMIT_US || e->peer->failed) {
        e->failed = true;
        synack_loop_stop(lp, 1);
        return;
    }
    uint8_t buf[16384];
    while (e->done_bytes < TRANSFER_BYTES) {
        size_t want = TRANSFER_BYTES - e->done_bytes < sizeof buf ? TRANSFER_BYTES - e->done_bytes : sizeof buf;
        for (size_t i = 0; i < want; i++) buf[i] = pattern_byte(e->done_bytes + i);
        ssize_t n = synack_send(e->st, e->conn, buf, want);
        if (n <= 0) break;
        e->done_bytes += (uint64_t)n;
    }
    if (e->done_bytes == TRANSFER_BYTES && !e->finished) {
        synack_close(e->st, e->conn); /* FIN after the data */
        e->finished = true;
    }
    /* Stays up until the server has everything (its retransmissions need this side). */
    if (e->peer->finished) synack_loop_stop(lp, 0);
    else synack_loop_wake_at(lp, now + SYNACK_MS(5));
}

static void *run_loop(void *arg)
{
    end *e = arg;
    synack_loop_run(e->lp);
    return NULL;
}

/* The server listens on port 9, both loops run on their threads until the 1 MiB is in (or the
 * time limit); then each end's loop statistics are in *cs and *ss. The loops stay for the caller
 * to free. */
static void transfer_over(end *cl, end *sv, synack_time_us server_busy_poll_us, synack_loop_stats *cs,
                          synack_loop_stats *ss)
{
    sv->sd = synack_socket(sv->st);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 9};
    CHECK_EQ(synack_bind(sv->st, sv->sd, &any), 0);
    CHECK_EQ(synack_listen(sv->st, sv->sd, 8), 0);
    synack_loop_config lc = {.link = cl->link}, ls = {.link = sv->link, .busy_poll_us = server_busy_poll_us};
    cl->lp = synack_loop_new(cl->st, &lc);
    sv->lp = synack_loop_new(sv->st, &ls);
    CHECK(cl->lp && sv->lp);
    synack_loop_set_app(cl->lp, client_app, cl);
    synack_loop_set_app(sv->lp, server_app, sv);
    pthread_t tc, ts;
    CHECK_EQ(pthread_create(&ts, NULL, run_loop, sv), 0);
    CHECK_EQ(pthread_create(&tc, NULL, run_loop, cl), 0);
    pthread_join(tc, NULL);
    pthread_join(ts, NULL);
    CHECK(!cl->failed && !sv->failed);
    CHECK_EQ(sv->done_bytes, TRANSFER_BYTES);
    CHECK(!sv->mismatch);
    synack_loop_get_stats(cl->lp, cs);
    synack_loop_get_stats(sv->lp, ss);
}

static void memory_pair_impaired_and_captured(void)
{
    const char *cap_path = "driver_links_memory.pcap";
    synack_impair lossy = {.loss = 0.02, .reorder = 0.02, .reorder_delay_us = SYNACK_MS(1)};
    synack_link *a, *b;
    CHECK(synack_link_memory_pair(NULL, NULL, 7, &a, &b));
    end cl = {.st = new_stack(1, 1), .sd = -1, .conn = -1}, sv = {.st = new_stack(2, 2), .sd = -1, .conn = -1};
    cl.peer = &sv;
    sv.peer = &cl;
    cl.link = synack_link_impair(a, &lossy, 99);
    sv.link = synack_link_capture(b, cap_path, 0);
    CHECK(cl.link && sv.link && cl.st && sv.st);
    CHECK(!(cl.link->caps & SYNACK_LINK_TX_OFFLOAD));
    CHECK_STR(cl.link->ops->kind, "impair");
    CHECK_STR(sv.link->ops->kind, "capture");
    synack_loop_stats cs, ss;
    transfer_over(&cl, &sv, 0, &cs, &ss);
    CHECK(cs.impair_lost > 0); /* the impairment wrapper did its work... */
    CHECK(synack_counter(cl.st, SYNACK_CNT_tcp_rexmt) > 0); /* ...and TCP repaired it */
    /* Everything the server side received and sent went into its capture. */
    CHECK_EQ(ss.captured, ss.pkts_in + ss.pkts_out);
    CHECK(ss.captured > TRANSFER_BYTES / 1460);

    synack_loop_free(cl.lp);
    synack_loop_free(sv.lp);
    synack_link_close(cl.link);
    synack_link_close(sv.link); /* flushes the capture */
    synack_stack_free(cl.st);
    synack_stack_free(sv.st);

    /* The capture reads back through the replay link, packet for packet. */
    synack_link *r = synack_link_pcap_replay(cap_path, true);
    CHECK(r != NULL);
    uint64_t total = 0;
    if (r) {
        synack_link_pcap_replay_done(r, &total);
        CHECK_EQ(total, ss.captured);
        synack_link_close(r);
    }
    unlink(cap_path);
}

/* Busy-poll (loop config busy_poll_us) on one end of a clean memory pair: the 1 MiB arrives
 * byte-exact, that end's loop spun before blocking and found packets spinning; the other end,
 * without it, never spun. The spin is long (20 ms): the other end's thread must get a CPU and
 * answer within it on a loaded machine (at 200 us under ASan and load 10 no spin found any). */
static void busy_poll_on_one_end(void)
{
    synack_link *a, *b;
    CHECK(synack_link_memory_pair(NULL, NULL, 8, &a, &b));
    end cl = {.st = new_stack(1, 3), .sd = -1, .conn = -1, .link = a};
    end sv = {.st = new_stack(2, 4), .sd = -1, .conn = -1, .link = b};
    cl.peer = &sv;
    sv.peer = &cl;
    CHECK(cl.st && sv.st);
    synack_loop_stats cs, ss;
    transfer_over(&cl, &sv, 20000, &cs, &ss);
    printf("  busy-poll end: %llu spins, %llu reads, %llu found packets, %llu epoll wake-ups; other end: "
           "%llu spins, %llu wake-ups\n", (unsigned long long)ss.busy_polls,
           (unsigned long long)ss.busy_poll_reads, (unsigned long long)ss.busy_poll_hits,
           (unsigned long long)ss.wakeups, (unsigned long long)cs.busy_polls, (unsigned long long)cs.wakeups);
    CHECK(ss.busy_polls > 0);
    CHECK(ss.busy_poll_hits > 0);
    CHECK(ss.busy_poll_hits <= ss.busy_polls);
    CHECK(ss.busy_poll_reads >= ss.busy_polls);
    CHECK_EQ(cs.busy_polls, 0);
    CHECK_EQ(cs.busy_poll_reads, 0);
    synack_loop_free(cl.lp);
    synack_loop_free(sv.lp);
    synack_link_close(cl.link);
    synack_link_close(sv.link);
    synack_stack_free(cl.st);
    synack_stack_free(sv.st);
}

/* ---- pcap replay into a fresh stack ---- */

typedef struct replay_run {
    synack_link *replay;
    synack_time_us done_at, t0;
} replay_run;

static void replay_app(synack_loop *lp, void *ctx)
{
    replay_run *rr = ctx;
    synack_time_us now = synack_loop_now(lp);
    if (!rr->t0) rr->t0 = now;
    if (!rr->done_at && synack_link_pcap_replay_done(rr->replay, NULL)) rr->done_at = now;
    /* The answers to the last packets go out in the same iteration; one more round to be sure. */
    if ((rr->done_at && now > rr->done_at + SYNACK_MS(20)) || now - rr->t0 > SYNACK_SEC(10)) synack_loop_stop(lp, 0);
    else synack_loop_wake_at(lp, now + SYNACK_MS(5));
}

/* A tap that writes what node 1 (the client) sends: the client's half of the conversation. */
static void client_half(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt, size_t len)
{
    if (what == SYNACK_TAP_SENT && from == 1) synack_pcap_write(ctx, t, pkt, len);
}

typedef struct pcap_counts {
    unsigned packets, syn_ack, rst;
} pcap_counts;

static pcap_counts count_pcap(const char *path)
{
    pcap_counts c = {0};
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return c;
    uint8_t hdr[24], rec[16], pkt[65536];
    CHECK_EQ(fread(hdr, 1, 24, f), 24);
    while (fread(rec, 1, 16, f) == 16) {
        uint32_t incl;
        memcpy(&incl, rec + 8, 4);
        if (incl > sizeof pkt || fread(pkt, 1, incl, f) != incl) break;
        c.packets++;
        if (incl >= 40 && pkt[0] == 0x45 && pkt[9] == 6) {
            uint8_t flags = pkt[20 + 13];
            if ((flags & 0x12) == 0x12) c.syn_ack++;
            if (flags & 0x04) c.rst++;
        }
    }
    fclose(f);
    return c;
}

static void pcap_replay_into_a_stack(void)
{
    const char *in_path = "driver_links_client.pcap", *out_path = "driver_links_answers.pcap";
    /* A simulated session: the client connects to :80 (listening) and :81 (closed). */
    synack_stack *c = new_stack(1, 5), *s = new_stack(2, 6);
    synack_sim *sim = synack_sim_new(3);
    synack_pcap *pc = synack_pcap_open(in_path);
    CHECK(c && s && sim && pc);
    synack_sim_add(sim, s);
    synack_sim_add(sim, c);
    synack_sim_set_tap(sim, client_half, pc);
    int l = synack_socket(s);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 80};
    CHECK_EQ(synack_bind(s, l, &any), 0);
    CHECK_EQ(synack_listen(s, l, 8), 0);
    int c1 = synack_socket(c), c2 = synack_socket(c);
    synack_endpoint to80 = {synack_addr_v4(198, 18, 0, 2), 80}, to81 = {synack_addr_v4(198, 18, 0, 2), 81};
    synack_connect(c, c1, &to80);
    synack_connect(c, c2, &to81);
    synack_sim_run_until(sim, SYNACK_MS(50));
    synack_pcap_close(pc);
    synack_sim_free(sim);
    synack_stack_free(c);
    synack_stack_free(s);
    pcap_counts sent = count_pcap(in_path);
    CHECK(sent.packets >= 3); /* SYN, SYN, ACK of the SYN-ACK */

    /* The client's packets replayed at their pace into a new server: other ISNs, so its ACK is
     * unacceptable and answered with RST (RFC 9293 3.10.7.3), as is the SYN to the closed port. */
    synack_stack *fresh = new_stack(2, 42);
    int l2 = synack_socket(fresh);
    CHECK_EQ(synack_bind(fresh, l2, &any), 0);
    CHECK_EQ(synack_listen(fresh, l2, 8), 0);
    replay_run rr = {.replay = synack_link_pcap_replay(in_path, false)};
    CHECK(rr.replay != NULL);
    if (!rr.replay) return;
    CHECK_STR(rr.replay->ops->kind, "pcap-replay");
    synack_link *link = synack_link_capture(rr.replay, out_path, 0);
    synack_loop_config lc = {.link = link};
    synack_loop *lp = synack_loop_new(fresh, &lc);
    CHECK(lp != NULL);
    synack_loop_set_app(lp, replay_app, &rr);
    CHECK_EQ(synack_loop_run(lp), 0);
    uint64_t total = 0;
    CHECK(synack_link_pcap_replay_done(rr.replay, &total));
    CHECK_EQ(total, sent.packets);
    synack_loop_stats st;
    synack_loop_get_stats(lp, &st);
    CHECK_EQ(st.pkts_in, sent.packets);
    synack_loop_free(lp);
    synack_link_close(link);
    synack_stack_free(fresh);

    pcap_counts got = count_pcap(out_path);
    CHECK_EQ(got.packets, st.pkts_in + st.pkts_out);
    CHECK_EQ(got.syn_ack, 1);
    CHECK(got.rst >= 2);
    unlink(in_path);
    unlink(out_path);
}

/* A capture wrapper around a TX-offload link keeps its capabilities; impairment refuses one. */
static void wrappers_and_capabilities(void)
{
    synack_link *t = synack_link_tun(-1, true);
    CHECK(t && (t->caps & SYNACK_LINK_TX_OFFLOAD));
    CHECK_STR(t->ops->kind, "tun");
    errno = 0;
    CHECK(synack_link_impair(t, &(synack_impair){.loss = 0.1}, 1) == NULL); /* closes t */
    CHECK_EQ(errno, EINVAL);
    synack_link *cap = synack_link_capture(synack_link_tun(-1, true), "driver_links_caps.pcap", 0);
    CHECK(cap && (cap->caps & SYNACK_LINK_TX_OFFLOAD));
    synack_link_close(cap);
    unlink("driver_links_caps.pcap");
    errno = 0;
    CHECK(synack_link_pcap_replay("/nonexistent/x.pcap", true) == NULL);
    CHECK_EQ(errno, ENOENT);
}

int main(void)
{
    RUN(wrappers_and_capabilities);
    RUN(memory_pair_impaired_and_captured);
    RUN(busy_poll_on_one_end);
    RUN(pcap_replay_into_a_stack);
    return test_report();
}
