/* syn_flood.c: a SYN flood from spoofed sources against a listener with the default
 * configuration (SYN cookies auto, SYN queue 256), while a second stack opens real connections
 * over the simulated link: nearly all of them must succeed, the SYN queue must never pass its
 * limit, and memory must stay bounded. Virtual time; the flood is injected straight into the
 * server stack and its SYN-ACKs to the spoofed sources have no route on the link.
 *
 * 1,000,000 SYNs over 10 s of virtual time (about 4 s of CPU under ASan, 0.3 s without);
 * SYNACK_FLOOD_SYNS=n changes the count. */
#include <errno.h>
#include <stdlib.h>

#include "pair.h"
#include "test.h"
#include "wire/wire.h"

enum { LEGIT_MAX = 400, REQ_LEN = 100 };

typedef struct legit {
    int sd;
    bool sent, done;
    size_t got;
} legit;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* One spoofed SYN from a random unicast IPv4 source (never the client's 198.18/15). */
static size_t spoofed_syn(uint8_t *buf)
{
    uint8_t src[4], dst[4] = {198, 18, 0, 2};
    do {
        uint32_t a = rnd();
        src[0] = (uint8_t)(1 + a % 223), src[1] = (uint8_t)(a >> 8), src[2] = (uint8_t)(a >> 16),
        src[3] = (uint8_t)(1 + (a >> 24) % 254);
    } while (src[0] == 127 || src[0] == 198);
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.has_ts = rnd() & 1; /* half of them as Linux sends them */
    o.ts_val = rnd();
    o.sack_ok = o.has_ts;
    o.has_wscale = o.has_ts;
    o.wscale = 7;
    uint8_t *tcp = buf + IP4_HDR_LEN;
    size_t opt_len = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, true);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = (uint16_t)(1024 + rnd() % 64000);
    h.dport = 80;
    h.seq = rnd();
    h.flags = SYNACK_SYN;
    h.wnd = 64240;
    size_t hl = tcp_hdr_emit(tcp, 60, &h, opt_len);
    tcp_cksum_set(tcp, hl, src, dst);
    ip4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = IP_PROTO_TCP;
    memcpy(ip.src, src, 4);
    memcpy(ip.dst, dst, 4);
    ip4_emit(buf, IP4_HDR_LEN, &ip, hl);
    return IP4_HDR_LEN + hl;
}

static void flood_with_legit_clients(void)
{
    long total = 1000000;
    const char *env = getenv("SYNACK_FLOOD_SYNS");
    if (env && atol(env) > 0) total = atol(env);
    const synack_time_us flood_us = SYNACK_SEC(10), slice_us = SYNACK_MS(1);
    const long per_slice = total / (long)(flood_us / slice_us);
    pair p;
    pair_open(&p, NULL, NULL, 3); /* both stacks with the default configuration */
    const synack_config *sc = synack_stack_config(p.s);
    CHECK_EQ(sc->syncookies, SYNACK_SYNCOOKIES_AUTO);
    int l = synack_socket(p.s);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 80};
    CHECK_EQ(synack_bind(p.s, l, &any), 0);
    CHECK_EQ(synack_listen(p.s, l, 128), 0);

    static legit cl[LEGIT_MAX];
    static int srv[LEGIT_MAX * 2];
    static size_t srv_got[LEGIT_MAX * 2];
    int nlegit = 0, nsrv = 0, succeeded = 0;
    uint32_t max_synq = 0, max_conns = 0;
    size_t max_buf = 0;
    long injected = 0;
    uint8_t pkt[128], buf[4096];
    synack_endpoint ep = pair_server_ep(80);
    char req[REQ_LEN];
    memset(req, 'q', sizeof req);

    const synack_time_us end = flood_us + SYNACK_SEC(30); /* then let the last ones finish */
    for (synack_time_us t = 0; t < end; t += slice_us) {
        synack_time_us now = synack_sim_now(p.sim);
        if (t < flood_us) {
            for (long i = 0; i < per_slice; i++, injected++) synack_input(p.s, now, pkt, spoofed_syn(pkt));
            /* a legitimate client every 25 ms during the flood */
            if (t % SYNACK_MS(25) == 0 && nlegit < LEGIT_MAX) {
                legit *c = &cl[nlegit++];
                c->sd = synack_socket(p.c);
                CHECK_EQ(synack_connect(p.c, c->sd, &ep), -EINPROGRESS);
            }
        }
        synack_sim_run_until(p.sim, now + slice_us);
        /* The server application: accept, read a request, answer it, close. */
        int a;
        while ((a = synack_accept(p.s, l, NULL)) >= 0 && nsrv < LEGIT_MAX * 2) srv[nsrv++] = a;
        for (int i = 0; i < nsrv; i++) {
            if (srv[i] < 0) continue;
            long r = synack_recv(p.s, srv[i], buf, sizeof buf);
            if (r > 0) srv_got[i] += (size_t)r;
            if (srv_got[i] >= REQ_LEN) {
                CHECK_EQ(synack_send(p.s, srv[i], req, REQ_LEN), REQ_LEN);
                synack_close(p.s, srv[i]);
                srv[i] = -1;
            } else if (r == 0 || (r < 0 && r != -EAGAIN)) {
                synack_close(p.s, srv[i]);
                srv[i] = -1;
            }
        }
        /* The clients: send the request once established, read the answer. */
        for (int i = 0; i < nlegit; i++) {
            legit *c = &cl[i];
            if (c->done) continue;
            int s = synack_socket_state(p.c, c->sd);
            if (!c->sent && s == SYNACK_ESTABLISHED) {
                CHECK_EQ(synack_send(p.c, c->sd, req, REQ_LEN), REQ_LEN);
                c->sent = true;
            }
            long r = synack_recv(p.c, c->sd, buf, sizeof buf);
            if (r > 0) c->got += (size_t)r;
            if (c->got >= REQ_LEN) {
                succeeded++;
                c->done = true;
                synack_close(p.c, c->sd);
            } else if (r == 0 || (r < 0 && r != -EAGAIN)) {
                c->done = true; /* failed: reset, timed out or closed early */
                synack_close(p.c, c->sd);
            }
        }
        synack_conn_info li;
        if (synack_socket_info(p.s, l, &li) && li.syn_queue_len > max_synq) max_synq = li.syn_queue_len;
        synack_mem_info m;
        synack_mem_get(p.s, &m);
        if (m.conns_in_use > max_conns) max_conns = m.conns_in_use;
        if (m.buffer_bytes_in_use > max_buf) max_buf = m.buffer_bytes_in_use;
        synack_event ev;
        while (synack_event_next(p.s, &ev)) {}
        while (synack_event_next(p.c, &ev)) {}
    }
    uint64_t sent = synack_counter(p.s, SYNACK_CNT_tcp_syncookie_sent);
    uint64_t ok = synack_counter(p.s, SYNACK_CNT_tcp_syncookie_ok);
    printf("flood: %ld spoofed SYNs, %d/%d legitimate connections succeeded (%.2f%%); cookies sent "
           "%llu, validated %llu; SYN queue max %u of %u; conns max %u; buffers max %zu bytes\n",
           injected, succeeded, nlegit, 100.0 * succeeded / (nlegit ? nlegit : 1),
           (unsigned long long)sent, (unsigned long long)ok, max_synq, sc->syn_queue_max, max_conns,
           max_buf);
    CHECK(nlegit >= 300);
    CHECK(succeeded * 100 >= nlegit * 99);
    CHECK(max_synq <= sc->syn_queue_max);
    CHECK_EQ(max_synq, sc->syn_queue_max);       /* the flood did fill it */
    CHECK(sent >= (uint64_t)injected - sc->syn_queue_max * 2u); /* the rest got cookies */
    CHECK(ok >= (uint64_t)succeeded * 9 / 10);   /* the legitimate clients came in by cookie */
    /* Bounded: the SYN queue, the listener and the legitimate connections (most of them in
     * TIME-WAIT on the server, which closes first), whatever the number of SYNs; buffers only
     * for the few legitimate connections open at once. */
    CHECK(max_conns <= sc->syn_queue_max + 1 + (uint32_t)nlegit);
    CHECK(max_buf <= 64u * (sc->sndbuf_bytes + sc->rcvbuf_bytes + 4096u));
    CHECK_EQ(synack_counter(p.s, SYNACK_CNT_tcp_illegal_transition), 0);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(200));
    synack_mem_info m;
    synack_mem_get(p.s, &m);
    CHECK_EQ(m.conns_in_use, 0);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    pair_close(&p);
}

int main(void)
{
    RUN(flood_with_legit_clients);
    return test_report();
}
