/* lwip_bulk.c (issue 11, item 2): the anchor of bench/bulk.c. lwIP (Debian's liblwip-dev,
 * linked, not vendored) talking to itself in one process on one core: one lwIP instance, two
 * netifs (198.18.0.1 and 198.18.0.2) joined by an in-memory wire, a client pcb bound to the
 * first and a listener bound to the second (so that each side routes out through its own netif
 * and not to lwIP's loopback), the raw API driven from this one thread. Debian builds lwIP with
 * NO_SYS=0, but no tcpip thread is started: lwip_init(), the raw API and sys_check_timeouts()
 * run here, as a NO_SYS port would run them (the core-lock check is inert without that thread).
 * The receiver gets its segments two at a time; lwIP ACKs every second full segment itself.
 * Debian's build fixes TCP_MSS at 1460, the window at 64 KiB << 1 and the send buffer at
 * 64 KiB: at larger MTUs the MSS stays 1460 (printed as mss). Checksums are lwIP's own
 * (software, computed on copy). The receiver checks every byte against the pattern.
 *   lwip_bulk [--mtu N] [--bytes N] [--cap S] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lwip/init.h>
#include <lwip/ip4.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>

enum { PATTERN = 251, CHUNK = 64 << 10 };

typedef struct wire {
    uint8_t *buf;
    size_t len, cap, head;
    uint64_t pkts;
} wire;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t link_mtu = 1500;
static uint8_t *pattern;
static uint64_t rcvd, pattern_errors;
static struct tcp_pcb *server_pcb;

/* netif->output: the packet onto the wire (the link's one copy). */
static err_t wire_output(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
    (void)dst;
    wire *w = nif->state;
    if (w->len + 2 + p->tot_len > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4u << 20;
        while (cap < w->len + 2 + p->tot_len) cap *= 2;
        uint8_t *nb = realloc(w->buf, cap);
        if (!nb) return ERR_MEM;
        w->buf = nb;
        w->cap = cap;
    }
    w->buf[w->len] = (uint8_t)(p->tot_len >> 8);
    w->buf[w->len + 1] = (uint8_t)p->tot_len;
    pbuf_copy_partial(p, w->buf + w->len + 2, p->tot_len, 0);
    w->len += 2 + p->tot_len;
    w->pkts++;
    return ERR_OK;
}

static err_t nif_init(struct netif *nif)
{
    nif->output = wire_output;
    nif->mtu = link_mtu;
    nif->name[0] = 'w';
    nif->name[1] = 'r';
    return ERR_OK;
}

/* Hands up to max packets from w to nif; returns how many. */
static size_t wire_deliver(wire *w, struct netif *nif, size_t max)
{
    size_t k = 0;
    while (k < max && w->head < w->len) {
        uint16_t n = (uint16_t)(w->buf[w->head] << 8 | w->buf[w->head + 1]);
        struct pbuf *p = pbuf_alloc(PBUF_RAW, n, PBUF_RAM);
        if (p) {
            memcpy(p->payload, w->buf + w->head + 2, n);
            if (nif->input(p, nif) != ERR_OK) pbuf_free(p);
        }
        w->head += 2u + n;
        k++;
    }
    if (w->head == w->len) w->head = w->len = 0;
    return k;
}

/* The receiving application: copies each byte out (as recv() would) and checks it. */
static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    static uint8_t app[65536];
    if (!p) return ERR_OK;
    for (struct pbuf *q = p; q; q = q->next) {
        for (uint16_t off = 0; off < q->len;) {
            uint16_t n = (uint16_t)(q->len - off);
            memcpy(app, (uint8_t *)q->payload + off, n);
            pattern_errors += memcmp(app, pattern + rcvd % PATTERN, n) != 0;
            rcvd += n;
            off = (uint16_t)(off + n);
        }
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *npcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !npcb) return ERR_VAL;
    server_pcb = npcb;
    tcp_recv(npcb, on_recv);
    return ERR_OK;
}

static bool connected;
static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)pcb;
    connected = err == ERR_OK;
    return ERR_OK;
}

int main(int argc, char **argv)
{
    uint64_t target = 2ull << 30;
    double cap_s = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mtu")) link_mtu = (uint16_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bytes")) target = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else {
            fprintf(stderr, "lwip_bulk: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (link_mtu < 576) {
        fprintf(stderr, "lwip_bulk: --mtu must be 576..65535\n");
        return 2;
    }
    pattern = malloc(CHUNK + PATTERN);
    if (!pattern) return 1;
    for (size_t k = 0; k < CHUNK + PATTERN; k++) pattern[k] = (uint8_t)(k % PATTERN);

    lwip_init();
    static wire to_a, to_b;
    static struct netif na, nb;
    ip4_addr_t a, b, mask, gw;
    IP4_ADDR(&a, 198, 18, 0, 1);
    IP4_ADDR(&b, 198, 18, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    ip_addr_t ia, ib; /* the pcbs take dual-stack addresses */
    IP_ADDR4(&ia, 198, 18, 0, 1);
    IP_ADDR4(&ib, 198, 18, 0, 2);
    /* netif A's output is the wire towards B, and the other way round. */
    if (!netif_add(&na, &a, &mask, &gw, &to_b, nif_init, ip4_input) ||
        !netif_add(&nb, &b, &mask, &gw, &to_a, nif_init, ip4_input)) {
        fprintf(stderr, "lwip_bulk: netif_add failed\n");
        return 1;
    }
    netif_set_up(&na);
    netif_set_link_up(&na);
    netif_set_up(&nb);
    netif_set_link_up(&nb);

    struct tcp_pcb *l = tcp_new();
    if (!l || tcp_bind(l, &ib, 5001) != ERR_OK) return 1;
    tcp_bind_netif(l, &nb);
    l = tcp_listen(l);
    if (!l) return 1;
    tcp_accept(l, on_accept);
    struct tcp_pcb *c = tcp_new();
    if (!c || tcp_bind(c, &ia, 0) != ERR_OK) return 1;
    tcp_bind_netif(c, &na);
    tcp_nagle_disable(c);
    if (tcp_connect(c, &ib, 5001, on_connected) != ERR_OK) return 1;
    for (int r = 0; r < 100 && !(connected && server_pcb); r++) {
        wire_deliver(&to_b, &nb, SIZE_MAX);
        wire_deliver(&to_a, &na, SIZE_MAX);
        sys_check_timeouts();
    }
    if (!connected || !server_pcb) {
        fprintf(stderr, "lwip_bulk: no connection\n");
        return 1;
    }
    uint64_t sent = 0, rounds = 0, segs0 = to_b.pkts, acks0 = to_a.pkts;
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    const char *stopped = "bytes";
    while (rcvd < target) {
        for (;;) { /* the sender fills its buffer */
            uint32_t room = tcp_sndbuf(c);
            if (room == 0) break;
            if (room > CHUNK) room = CHUNK;
            if (tcp_write(c, pattern + sent % PATTERN, (uint16_t)room, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
            sent += room;
        }
        tcp_output(c);
        while (wire_deliver(&to_b, &nb, 2)) { /* two segments in; lwIP answers each pair */
        }
        wire_deliver(&to_a, &na, SIZE_MAX);
        sys_check_timeouts();
        rounds++;
        if ((rounds & 63) == 0 && clock_s(CLOCK_MONOTONIC) - t0 > cap_s) {
            stopped = "wall_cap";
            break;
        }
    }
    double wall = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    uint64_t segs = to_b.pkts - segs0, acks = to_a.pkts - acks0;
    printf("{\"bench\":\"bulk_lwip_mtu%u\",\"value\":%.3f,\"unit\":\"Gbit/s\",\"mtu\":%u,\"mss\":%u,"
           "\"lwip\":\"%s\",\"bytes\":%llu,\"stopped_by\":\"%s\",\"cpu_s\":%.3f,\"wall_s\":%.3f,"
           "\"wall_gbit_s\":%.3f,\"segments\":%llu,\"acks\":%llu,\"segments_per_ack\":%.2f,"
           "\"ns_per_segment\":%.1f,\"rounds\":%llu,\"pattern_errors\":%llu}\n",
           link_mtu, cpu > 0 ? (double)rcvd * 8 / cpu / 1e9 : 0.0, link_mtu, tcp_mss(c), LWIP_VERSION_STRING,
           (unsigned long long)rcvd, stopped, cpu, wall, wall > 0 ? (double)rcvd * 8 / wall / 1e9 : 0.0,
           (unsigned long long)segs, (unsigned long long)acks, acks ? (double)segs / (double)acks : 0.0,
           segs ? cpu * 1e9 / (double)segs : 0.0, (unsigned long long)rounds,
           (unsigned long long)pattern_errors);
    return pattern_errors ? 1 : 0;
}
