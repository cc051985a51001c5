/* bulk.c (issue 11, item 2): bulk throughput in process, one core for both ends. Two synack
 * stacks joined by an in-memory wire move data one way through the public socket API; the
 * receiver gets its segments two at a time and answers each pair at once, so there is one ACK
 * per two segments (as a delayed-ACK receiver sends them). Output is taken with
 * synack_output_iov(): the data goes from the sender's send ring into the wire in one copy (the
 * link's), and the receiver copies it into its receive ring and out to the application.
 * --csum-link on (the default) gives the wire a checksum offload both ends agree on, as a NIC
 * would: senders leave TCP checksums partial and the wire hands packets up as verified
 * (synack_input_flags SYNACK_IN_CSUM_VALID); off, every checksum is computed and checked in
 * software. The receiver checks every byte it reads against the sender's pattern.
 * Virtual clock: 10 us per round; stops after --bytes received or --cap wall seconds.
 *   bulk [--mtu N] [--bytes N] [--cap S] [--csum-link on|off] [--buf-kb K] [--name NAME]
 * K: send and receive buffers (default 256 KiB, the stack's default: the data in flight stays in the caches). */
#include "support/bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PATTERN = 251, CHUNK = 64 << 10 };

/* CPU time of this process: the figure's clock. On a machine shared with other work, wall time
 * also counts the slices the scheduler gave to others; both are printed. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct wire {
    uint8_t *buf;
    size_t len, cap, head;
    uint64_t pkts, bytes, bad_meta;
} wire;

static void wire_reserve(wire *w, size_t more)
{
    if (w->len + more <= w->cap) return;
    size_t cap = w->cap ? w->cap * 2 : 4u << 20;
    while (cap < w->len + more) cap *= 2;
    uint8_t *nb = realloc(w->buf, cap);
    if (!nb) {
        fprintf(stderr, "bulk: out of memory for the wire\n");
        exit(1);
    }
    w->buf = nb;
    w->cap = cap;
}

/* Takes every packet the stack has, headers and data gathered into the wire (one copy). */
static void wire_take(synack_stack *st, wire *w, bool csum_link)
{
    for (;;) {
        wire_reserve(w, 2 + 65536);
        uint8_t *dst = w->buf + w->len + 2;
        synack_out_meta m;
        synack_out_piece pc[SYNACK_OUT_PIECES];
        unsigned np;
        size_t n = synack_output_iov(st, dst, 65536, &m, pc, &np);
        if (!n) return;
        for (unsigned i = 0; i < np; i++) {
            memcpy(dst + n, pc[i].data, pc[i].len);
            n += pc[i].len;
        }
        /* No TSO on this link; a partial checksum only where the link offers the offload. */
        if (m.gso_size || (m.csum_start && !csum_link) || n > 65535) {
            w->bad_meta++;
            continue;
        }
        w->buf[w->len] = (uint8_t)(n >> 8);
        w->buf[w->len + 1] = (uint8_t)n;
        w->len += 2 + n;
        w->pkts++;
        w->bytes += n;
    }
}

/* Hands up to max packets to st; returns how many. */
static size_t wire_deliver(wire *w, synack_stack *st, synack_time_us now, size_t max, bool csum_link)
{
    size_t k = 0;
    while (k < max && w->head < w->len) {
        size_t n = (size_t)w->buf[w->head] << 8 | w->buf[w->head + 1];
        synack_input_flags(st, now, w->buf + w->head + 2, n, csum_link ? SYNACK_IN_CSUM_VALID : 0);
        w->head += 2 + n;
        k++;
    }
    if (w->head == w->len) w->head = w->len = 0;
    return k;
}

static void drain_events(synack_stack *st)
{
    synack_event ev;
    while (synack_event_next(st, &ev)) {
    }
}

int main(int argc, char **argv)
{
    uint32_t mtu = 1500;
    uint64_t target = 4ull << 30;
    double cap_s = 5;
    bool csum_link = true;
    const char *name = NULL;
    uint32_t buf_kb = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mtu")) mtu = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bytes")) target = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--csum-link")) csum_link = strcmp(argv[i + 1], "off") != 0;
        else if (!strcmp(argv[i], "--name")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--buf-kb")) buf_kb = (uint32_t)atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bulk: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (mtu < 576 || mtu > 65535) {
        fprintf(stderr, "bulk: --mtu must be 576..65535\n");
        return 2;
    }
    synack_config c[2];
    synack_stack *st[2];
    for (int i = 0; i < 2; i++) {
        synack_config_default(&c[i]);
        c[i].addr = synack_addr_v4(198, 18, 0, (uint8_t)(1 + i));
        c[i].mtu = mtu;
        c[i].mss = (uint16_t)(mtu - 40);
        c[i].sndbuf_bytes = c[i].rcvbuf_bytes = buf_kb << 10;
        c[i].tx_csum_offload = csum_link;
        st[i] = synack_stack_new(&c[i]);
        if (!st[i]) {
            fprintf(stderr, "bulk: stack setup failed\n");
            return 1;
        }
    }
    wire to_b = {0}, to_a = {0};
    synack_time_us now = 1000;
    int l = synack_socket(st[1]);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 5001};
    synack_endpoint srv = {synack_addr_v4(198, 18, 0, 2), 5001};
    int cs = synack_socket(st[0]);
    if (l < 0 || cs < 0 || synack_bind(st[1], l, &any) < 0 || synack_listen(st[1], l, 16) < 0 ||
        synack_connect(st[0], cs, &srv) != -EINPROGRESS) {
        fprintf(stderr, "bulk: socket setup failed\n");
        return 1;
    }
    int ss = -1;
    for (int r = 0; r < 100 && ss < 0; r++) {
        wire_take(st[0], &to_b, csum_link);
        wire_deliver(&to_b, st[1], now, SIZE_MAX, csum_link);
        wire_take(st[1], &to_a, csum_link);
        wire_deliver(&to_a, st[0], now, SIZE_MAX, csum_link);
        ss = synack_accept(st[1], l, NULL);
        now += 10;
    }
    if (ss < 0) {
        fprintf(stderr, "bulk: no connection\n");
        return 1;
    }
    /* The sender's pattern: byte k of the stream is k mod 251; CHUNK + PATTERN bytes of it let
     * any offset start a whole chunk. */
    uint8_t *src = malloc(CHUNK + PATTERN), *dst = malloc(CHUNK);
    if (!src || !dst) return 1;
    for (size_t k = 0; k < CHUNK + PATTERN; k++) src[k] = (uint8_t)(k % PATTERN);
    uint64_t sent = 0, rcvd = 0, bad = 0, rounds = 0, send_calls = 0, recv_calls = 0;
    uint64_t pkts_to_b0 = to_b.pkts, pkts_to_a0 = to_a.pkts;
    synack_time_us v0 = now;
    double t0 = bench_wall_s(), c0 = cpu_s();
    const char *stopped = "bytes";
    while (rcvd < target) {
        for (;;) { /* the sender fills its buffer */
            ssize_t n = synack_send(st[0], cs, src + sent % PATTERN, CHUNK);
            send_calls++;
            if (n <= 0) break;
            sent += (uint64_t)n;
        }
        wire_take(st[0], &to_b, csum_link);
        /* Two segments in, their ACK out. */
        while (wire_deliver(&to_b, st[1], now, 2, csum_link)) wire_take(st[1], &to_a, csum_link);
        for (;;) { /* the receiver reads and checks everything */
            ssize_t n = synack_recv(st[1], ss, dst, CHUNK);
            recv_calls++;
            if (n <= 0) break;
            bad += memcmp(dst, src + rcvd % PATTERN, (size_t)n) != 0;
            rcvd += (uint64_t)n;
        }
        wire_take(st[1], &to_a, csum_link); /* window updates after the reads */
        wire_deliver(&to_a, st[0], now, SIZE_MAX, csum_link);
        drain_events(st[0]);
        drain_events(st[1]);
        now += 10;
        synack_poll(st[0], now);
        synack_poll(st[1], now);
        rounds++;
        if ((rounds & 15) == 0 && bench_wall_s() - t0 > cap_s) {
            stopped = "wall_cap";
            break;
        }
    }
    double wall = bench_wall_s() - t0, cpu = cpu_s() - c0;
    double virt = (double)(now - v0) / 1e6;
    uint64_t segs = to_b.pkts - pkts_to_b0, acks = to_a.pkts - pkts_to_a0;
    char fig[64];
    snprintf(fig, sizeof fig, "%s", name ? name : "");
    if (!name) snprintf(fig, sizeof fig, "bulk_synack_mtu%u", mtu);
    printf("{\"bench\":\"%s\",\"value\":%.3f,\"unit\":\"Gbit/s\",\"mtu\":%u,\"mss\":%u,"
           "\"csum_link\":%s,\"bytes\":%llu,\"stopped_by\":\"%s\",\"cpu_s\":%.3f,\"wall_s\":%.3f,"
           "\"wall_gbit_s\":%.3f,\"virtual_s\":%.4f,"
           "\"segments\":%llu,\"acks\":%llu,\"segments_per_ack\":%.2f,\"ns_per_segment\":%.1f,"
           "\"rounds\":%llu,\"send_calls\":%llu,\"recv_calls\":%llu,\"pattern_errors\":%llu,"
           "\"bad_meta\":%llu,\"rexmt\":%llu}\n",
           fig, cpu > 0 ? (double)rcvd * 8 / cpu / 1e9 : 0.0, mtu, c[0].mss,
           csum_link ? "true" : "false", (unsigned long long)rcvd, stopped, cpu, wall,
           wall > 0 ? (double)rcvd * 8 / wall / 1e9 : 0.0, virt,
           (unsigned long long)segs, (unsigned long long)acks, acks ? (double)segs / (double)acks : 0.0,
           segs ? cpu * 1e9 / (double)segs : 0.0, (unsigned long long)rounds,
           (unsigned long long)send_calls, (unsigned long long)recv_calls, (unsigned long long)bad,
           (unsigned long long)(to_a.bad_meta + to_b.bad_meta),
           (unsigned long long)synack_counter(st[0], SYNACK_CNT_tcp_rexmt));
    synack_close(st[0], cs);
    synack_close(st[1], ss);
    synack_close(st[1], l);
    synack_stack_free(st[0]);
    synack_stack_free(st[1]);
    free(src);
    free(dst);
    free(to_a.buf);
    free(to_b.buf);
    return bad || to_a.bad_meta || to_b.bad_meta ? 1 : 0;
}
