/* control.c: what the network commands share: stack + TUN + loop setup and teardown,
 * the Unix control socket and `synack netstat` (its client). No service or protocol logic:
 * serve.c and client.c own what runs on the stack; the core is read only through inspect.h. */
#include "control.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <synack/inspect.h>
#include <synack/secret.h>

#include "impair_text.h"
#include "netstat.h"
#include "trace_live.h"

unsigned long net_netns_id(void)
{
    struct stat sb;
    return stat("/proc/self/ns/net", &sb) == 0 ? (unsigned long)sb.st_ino : 0;
}

void net_control_default(const char *dev, char *buf, size_t cap)
{
    /* /run is shared by every network namespace (ip netns exec keeps it), so the name carries
     * the namespace: two serves on tun0 in two namespaces get two sockets, and netstat in one
     * namespace never reads another's table. */
    snprintf(buf, cap, NET_CONTROL_DIR "/net%lu-%s.ctl", net_netns_id(), dev);
}

void net_control_resolve(const char *name, char *buf, size_t cap)
{
    if (strchr(name, '/')) snprintf(buf, cap, "%s", name);
    else snprintf(buf, cap, NET_CONTROL_DIR "/%s.ctl", name);
}

/* Finds this namespace's control socket when neither --control nor --dev was given: the tun0
 * one if it exists, else the only one there is. */
int net_control_find(const char *prog, char *buf, size_t cap)
{
    net_control_default(NET_DEFAULT_DEV, buf, cap);
    struct stat sb;
    if (stat(buf, &sb) == 0) return 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "net%lu-", net_netns_id());
    DIR *d = opendir(NET_CONTROL_DIR);
    int found = 0;
    char names[4][256];
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) { /* bounded by the directory's entries */
            size_t n = strlen(e->d_name);
            if (strncmp(e->d_name, prefix, strlen(prefix)) || n < 5 || strcmp(e->d_name + n - 4, ".ctl"))
                continue;
            if (found < 4) snprintf(names[found], sizeof names[found], "%s", e->d_name);
            found++;
        }
        closedir(d);
    }
    if (found == 1) {
        if ((size_t)snprintf(buf, cap, NET_CONTROL_DIR "/%s", names[0]) >= cap) {
            fprintf(stderr, "%s: control socket path too long: %s\n", prog, names[0]);
            return 2;
        }
        return 0;
    }
    if (found > 1) {
        fprintf(stderr, "%s: %d synack instances run in this network namespace; "
                        "choose one with --dev NAME or --control PATH:\n", prog, found);
        for (int i = 0; i < found && i < 4; i++) fprintf(stderr, "  " NET_CONTROL_DIR "/%s\n", names[i]);
        return 2;
    }
    fprintf(stderr,
            "%s: no synack is running in this network namespace (net:[%lu]): no control "
            "socket " NET_CONTROL_DIR "/%s*.ctl.\n"
            "  Start one here (synack serve), name another with --control NAME|PATH, or read the "
            "host's own sockets with --host.\n",
            prog, net_netns_id(), prefix);
    return 1;
}

/* ---- bringing a stack up ---- */

int64_t net_wall_minus_monotonic_us(void)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t w = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;
    return w - (int64_t)synack_clock_us();
}

int net_start(const net_opts *o, const char *ctl_path, net_runtime *rt)
{
    memset(rt, 0, sizeof *rt);
    rt->tun_fd = -1;
    synack_log_setup(o->cmd, o->verbose);

    synack_config cfg;
    synack_config_default(&cfg);
    if (o->addr.family == SYNACK_AF_NONE && o->addr6.family == SYNACK_AF_NONE) {
        net_addr_parse("198.18.0.2", &cfg.addr);
        net_addr_parse("2001:db8::2", &cfg.addr6);
    } else {
        cfg.addr = o->addr;
        cfg.addr6 = o->addr6;
    }

    char err[300];
    unsigned tflags = o->no_create ? SYNACK_TUN_NO_CREATE : 0;
    if (o->offload > 0 && o->impair) {
        synack_log(SYNACK_LOG_ERROR, "--offload on and --impair do not mix: the impairments work on "
                                     "wire-sized packets with complete checksums");
        return 2;
    }
    if (o->offload > 0) tflags |= SYNACK_TUN_OFFLOAD | SYNACK_TUN_OFFLOAD_REQUIRED;
    else if (o->offload == 0 && !o->impair) tflags |= SYNACK_TUN_OFFLOAD;
    if (o->queues > 1) tflags |= SYNACK_TUN_MULTI_QUEUE;
    rt->tun_fd = synack_tun_open(o->dev, tflags, o->queue ? 0 : o->mtu, &rt->tun, err, sizeof err);
    if (rt->tun_fd < 0) {
        synack_log(SYNACK_LOG_ERROR, "%s", err);
        return 1;
    }
    /* Many queues: the first steers TCP flows to queues by their ports, so that every stack owns
     * the connections that reach it (tun.h synack_tun_steer_by_ports). */
    if (o->queues > 1 && o->queue == 0 && synack_tun_steer_by_ports(rt->tun_fd, o->queues, err, sizeof err) < 0) {
        synack_log(SYNACK_LOG_ERROR, "%s", err);
        net_stop(rt);
        return 1;
    }
    if (rt->tun.created)
        synack_log(SYNACK_LOG_ERROR, "note: created TUN device %s; its kernel side has no address "
                                     "(scripts/netns.sh up NAME sets one up in a namespace)",
                   rt->tun.name);

    cfg.mtu = (uint32_t)rt->tun.mtu;
    /* The MSS we announce follows the link: MTU less the IPv4 and TCP headers (the core takes
     * 20 more off for IPv6). */
    uint32_t mss = (uint32_t)rt->tun.mtu - 40;
    cfg.mss = (uint16_t)(mss > 65495 ? 65495 : mss);
    /* What the kernel takes from us: partial checksums, and super-segments it cuts itself. */
    cfg.tx_csum_offload = rt->tun.offloads & SYNACK_TUN_F_CSUM;
    if ((rt->tun.offloads & SYNACK_TUN_F_TSO4) && (rt->tun.offloads & SYNACK_TUN_F_TSO6)) cfg.tso_max_bytes = 65535;
    if (o->seed_set) {
        /* A reproducible run: the secret stays zero and the seed alone keys ISNs, timestamp
         * offsets and ports (and seeds the impairments), as in the simulations. */
        rt->seed = o->seed;
    } else {
        /* A real peer: a 128-bit secret from the kernel (RFC 6528 3), and a random seed for the
         * impairments. No weaker fallback: without getrandom() we do not start. */
        int r = synack_secret_random(&cfg);
        if (r == 0) r = synack_random_bytes(&rt->seed, sizeof rt->seed);
        if (r < 0) {
            synack_log(SYNACK_LOG_ERROR, "no random secret from getrandom(): %s (--seed N runs "
                                         "with a fixed, guessable one)", strerror(-r));
            net_stop(rt);
            return 1;
        }
    }
    cfg.seed = rt->seed;
    enum synack_cc_source cc_src = net_opts_config(o, &cfg);
    if (o->queues > 1) {
        /* Active opens take local ports whose replies the steering program hands back to this
         * queue: no other queue's stack sees them. */
        rt->queue = (synack_tun_queue){.index = o->queue, .count = o->queues};
        cfg.port_ok = synack_tun_queue_port_ok;
        cfg.port_ok_ctx = &rt->queue;
    }

    rt->st = synack_stack_new(&cfg);
    if (!rt->st) {
        synack_log(SYNACK_LOG_ERROR, "the stack refused this configuration (an address family the "
                                     "core does not support yet, or no memory)");
        net_stop(rt);
        return 1;
    }

    synack_impair imp;
    uint64_t iseed = rt->seed;
    if (o->impair && !impair_parse(o->impair, &imp, &iseed, err, sizeof err)) {
        synack_log(SYNACK_LOG_ERROR, "--impair: %s", err);
        net_stop(rt);
        return 2;
    }
    /* The link: the device, its capture (what crosses the device, so inside the impairments),
     * then the impairments between it and the stack. */
    rt->link = synack_link_tun(rt->tun_fd, rt->tun.vnet_hdr);
    if (rt->link && o->pcap) {
        rt->link = synack_link_capture(rt->link, o->pcap, net_wall_minus_monotonic_us());
        if (!rt->link) {
            synack_log(SYNACK_LOG_ERROR, "--pcap %s: %s", o->pcap, strerror(errno));
            net_stop(rt);
            return 1;
        }
    }
    if (rt->link && o->impair) rt->link = synack_link_impair(rt->link, &imp, iseed);
    if (!rt->link) {
        synack_log(SYNACK_LOG_ERROR, "cannot set up the link: %s", strerror(errno));
        net_stop(rt);
        return 1;
    }
    /* With many queues the command's main thread takes the signals, not each loop. */
    synack_loop_config lc = {.link = rt->link, .handle_signals = o->queues <= 1,
                             .busy_poll_us = o->busy_poll_us};
    rt->lp = synack_loop_new(rt->st, &lc);
    if (!rt->lp) {
        synack_log(SYNACK_LOG_ERROR, "cannot start the event loop: %s", strerror(errno));
        net_stop(rt);
        return 1;
    }
    if (ctl_path) rt->ctl = control_listen(rt->lp, ctl_path);

    /* The limits as the stack holds them (not as typed): tests read this line. */
    const synack_config *sc = synack_stack_config(rt->st);
    static const char *const cookie_mode[] = {"off", "auto", "always"};
    synack_log(SYNACK_LOG_INFO, "limits: max-conns %u, max-sockets %u, max-time-wait %u, "
                                "syn-queue %u, syncookies %s", (unsigned)sc->max_conns,
               (unsigned)sc->max_sockets, (unsigned)sc->max_time_wait, (unsigned)sc->syn_queue_max,
               sc->syncookies <= SYNACK_SYNCOOKIES_ALWAYS ? cookie_mode[sc->syncookies] : "?");
    synack_log(SYNACK_LOG_INFO, "congestion control: %s (%s)", sc->congestion_control,
               cc_src == SYNACK_CC_FROM_HOST ? "the host's net.ipv4.tcp_congestion_control"
               : cc_src == SYNACK_CC_FROM_USER ? "--cc or SYNACK_CC" : "synack's default");

    char a4[48] = "-", a6[48] = "-", ib[200];
    if (cfg.addr.family) synack_addr_format(&cfg.addr, a4, sizeof a4);
    if (cfg.addr6.family) synack_addr_format(&cfg.addr6, a6, sizeof a6);
    synack_log(SYNACK_LOG_INFO, "on %s (mtu %d, mss %u, offloads %s%s%s): %s %s%s%s", rt->tun.name,
               rt->tun.mtu, (unsigned)cfg.mss, !rt->tun.vnet_hdr ? "off" : rt->tun.offloads ? "csum" : "none",
               rt->tun.offloads & SYNACK_TUN_F_TSO4 ? ",tso4" : "", rt->tun.offloads & SYNACK_TUN_F_TSO6 ? ",tso6" : "",
               a4, a6, o->impair ? ", impaired: " : "",
               o->impair ? impair_format(&imp, ib, sizeof ib) : "");
    return 0;
}

void net_stop(net_runtime *rt)
{
    if (rt->lp && rt->st && synack_log_level() >= SYNACK_LOG_INFO) {
        synack_loop_stats s;
        synack_loop_get_stats(rt->lp, &s);
        synack_log(SYNACK_LOG_INFO,
                   "device: %llu packets in (%llu bytes), %llu out (%llu bytes), %llu wake-ups, "
                   "%llu full read batches, %llu write errors",
                   (unsigned long long)s.pkts_in, (unsigned long long)s.bytes_in,
                   (unsigned long long)s.pkts_out, (unsigned long long)s.bytes_out,
                   (unsigned long long)s.wakeups, (unsigned long long)s.full_batches,
                   (unsigned long long)s.write_errors);
        synack_log(SYNACK_LOG_INFO,
                   "offload: %llu super-segments in (GSO), %llu checksums vouched for by the kernel, "
                   "%llu super-segments out (TSO), %llu partial checksums out",
                   (unsigned long long)s.gso_in, (unsigned long long)s.csum_valid_in,
                   (unsigned long long)s.tso_out, (unsigned long long)s.csum_partial_out);
        if (s.busy_polls)
            synack_log(SYNACK_LOG_INFO, "busy-poll: %llu spins, %llu reads, %llu found packets",
                       (unsigned long long)s.busy_polls, (unsigned long long)s.busy_poll_reads,
                       (unsigned long long)s.busy_poll_hits);
        if (s.impair_lost || s.impair_duplicated || s.impair_corrupted)
            synack_log(SYNACK_LOG_INFO, "impairment: %llu lost, %llu duplicated, %llu corrupted",
                       (unsigned long long)s.impair_lost, (unsigned long long)s.impair_duplicated,
                       (unsigned long long)s.impair_corrupted);
        if (s.captured) synack_log(SYNACK_LOG_INFO, "capture: %llu packets written", (unsigned long long)s.captured);
        synack_mem_info m;
        synack_mem_get(rt->st, &m);
        synack_log(SYNACK_LOG_INFO, "reassembly: %zu bytes in use (high %zu), %u datagrams",
                   m.reass_bytes_in_use, m.reass_bytes_high, m.reass_datagrams);
        for (int c = 0; c < SYNACK_COUNTER_COUNT; c++) {
            uint64_t v = synack_counter(rt->st, c);
            if (v) synack_log(SYNACK_LOG_DEBUG, "counter %-22s %10llu  %s", synack_counter_name(c),
                              (unsigned long long)v, synack_counter_text(c));
        }
    }
    control_close(rt->ctl);
    synack_loop_free(rt->lp);
    synack_link_close(rt->link); /* flushes a capture */
    synack_stack_free(rt->st);
    if (rt->tun_fd >= 0) close(rt->tun_fd);
    memset(rt, 0, sizeof *rt);
    rt->tun_fd = -1;
}

/* ---- control server ---- */

struct control_server {
    synack_loop *lp;
    int fd;
    char path[108];
    trace_hub *hub;     /* `synack trace` subscribers */
};

static void control_stats(synack_loop *lp, FILE *out)
{
    synack_stack *st = synack_loop_stack(lp);
    synack_loop_stats s;
    synack_mem_info m;
    synack_loop_get_stats(lp, &s);
    synack_mem_get(st, &m);
    fprintf(out, "device: %llu packets in (%llu bytes), %llu packets out (%llu bytes)\n",
            (unsigned long long)s.pkts_in, (unsigned long long)s.bytes_in,
            (unsigned long long)s.pkts_out, (unsigned long long)s.bytes_out);
    fprintf(out, "loop: %llu iterations, %llu wake-ups, %llu full read batches, %llu write errors\n",
            (unsigned long long)s.iterations, (unsigned long long)s.wakeups,
            (unsigned long long)s.full_batches, (unsigned long long)s.write_errors);
    fprintf(out, "busy-poll: %llu spins, %llu reads, %llu found packets\n", (unsigned long long)s.busy_polls,
            (unsigned long long)s.busy_poll_reads, (unsigned long long)s.busy_poll_hits);
    fprintf(out, "offload: %llu gso in, %llu csum valid in, %llu tso out, %llu csum partial out\n",
            (unsigned long long)s.gso_in, (unsigned long long)s.csum_valid_in,
            (unsigned long long)s.tso_out, (unsigned long long)s.csum_partial_out);
    fprintf(out, "impairment: %llu lost, %llu duplicated, %llu corrupted\n",
            (unsigned long long)s.impair_lost, (unsigned long long)s.impair_duplicated,
            (unsigned long long)s.impair_corrupted);
    fprintf(out, "memory: %zu buffer bytes in use (high %zu), %u connections (high %u), %u sockets\n",
            m.buffer_bytes_in_use, m.buffer_bytes_high, m.conns_in_use, m.conns_high,
            m.sockets_in_use);
    fprintf(out, "reassembly: %zu bytes in use (high %zu), %u datagrams\n", m.reass_bytes_in_use,
            m.reass_bytes_high, m.reass_datagrams);
    for (int c = 0; c < SYNACK_COUNTER_COUNT; c++) {
        uint64_t v = synack_counter(st, c);
        if (v) fprintf(out, "%-24s %12llu  %s\n", synack_counter_name(c), (unsigned long long)v,
                       synack_counter_text(c));
    }
}

/* One request, answered at once: the client sends its line right after connecting, so a short
 * receive timeout bounds how long a silent client can hold the loop. "trace" is the exception:
 * the connection stays open and the hub streams events on it. Returns true when fd was kept. */
static bool control_client(control_server *cs, int fd)
{
    struct timeval tv = {0, 500000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char line[256];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = recv(fd, line + n, sizeof line - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
        if (memchr(line, '\n', n)) break;
    }
    line[n] = 0;
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;

    if (!strcmp(line, "trace") || !strncmp(line, "trace ", 6)) return trace_hub_add(cs->hub, fd, line + 5);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return false;
    synack_stack *st = synack_loop_stack(cs->lp);
    /* The stack's clock moves only when the loop polls it; an idle stack would show the time
     * left as of its last packet. Bring it to the loop's now (due timers run; their segments go
     * out at the loop's next flush) so that two calls a second apart differ by a second. */
    synack_poll(st, synack_loop_now(cs->lp));
    if (!strcmp(line, "conns")) ns_wire_write(out, st);
    else if (!strcmp(line, "netstat")) synack_netstat_print(st, out, false);
    else if (!strcmp(line, "netstat -o")) synack_netstat_print(st, out, true);
    else if (!strcmp(line, "stats")) control_stats(cs->lp, out);
    else fprintf(out, "error: unknown request '%s' (conns, netstat, netstat -o, stats, trace)\n", line);
    fclose(out);
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(text);
    return false;
}

static void control_ready(synack_loop *lp, int fd, uint32_t events, void *ctx)
{
    control_server *cs = ctx;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) return;
        if (!control_client(cs, c)) close(c);
    }
}

/* A path that answers belongs to a running server; one that refuses is a stale socket file. */
static bool socket_alive(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strnlen(path, sizeof sa.sun_path - 1));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return false;
    bool alive = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(s);
    return alive;
}

control_server *control_listen(synack_loop *lp, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        synack_log(SYNACK_LOG_ERROR, "warning: control path too long: %s", path);
        return NULL;
    }
    if (!strncmp(path, NET_CONTROL_DIR "/", sizeof NET_CONTROL_DIR)) mkdir(NET_CONTROL_DIR, 0755);
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) {
            synack_log(SYNACK_LOG_ERROR, "warning: %s exists and is not a socket; no control socket",
                       path);
            return NULL;
        }
        if (socket_alive(path)) {
            synack_log(SYNACK_LOG_ERROR, "warning: another synack answers on %s; no control socket",
                       path);
            return NULL;
        }
        unlink(path);
    }
    control_server *cs = calloc(1, sizeof *cs);
    if (!cs) return NULL;
    cs->lp = lp;
    snprintf(cs->path, sizeof cs->path, "%s", path);
    memcpy(sa.sun_path, path, strnlen(path, sizeof sa.sun_path - 1));
    cs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cs->fd < 0 || bind(cs->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(cs->fd, 8) < 0 ||
        synack_loop_watch(lp, cs->fd, EPOLLIN, control_ready, cs) < 0) {
        synack_log(SYNACK_LOG_ERROR, "warning: control socket %s: %s", path, strerror(errno));
        if (cs->fd >= 0) close(cs->fd);
        free(cs);
        return NULL;
    }
    cs->hub = trace_hub_new(lp);
    synack_log(SYNACK_LOG_INFO, "control socket %s", path);
    return cs;
}

void control_close(control_server *cs)
{
    if (!cs) return;
    trace_hub_free(cs->hub);
    synack_loop_unwatch(cs->lp, cs->fd);
    close(cs->fd);
    unlink(cs->path);
    free(cs);
}
