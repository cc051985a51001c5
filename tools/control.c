/* control.c: what the network commands share: options, stack + TUN + loop setup and teardown,
 * the Unix control socket and `synack netstat` (its client). No service or protocol logic:
 * serve.c and client.c own what runs on the stack; the core is read only through inspect.h. */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <synack/inspect.h>
#include <synack/secret.h>

#include "drivers/impair_io.h"
#include "netstat.h"

/* ---- options ---- */

void net_opts_init(net_opts *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->dev = NET_DEFAULT_DEV;
    /* SYNACK_OFFLOAD=on|off sets the default of --offload (the interop suite runs plain this
     * way without touching every command line). */
    const char *e = getenv("SYNACK_OFFLOAD");
    if (e && !strcmp(e, "on")) o->offload = 1;
    else if (e && !strcmp(e, "off")) o->offload = -1;
}

bool net_addr_parse(const char *text, synack_addr *out)
{
    char buf[64];
    size_t n = strlen(text);
    if (n >= sizeof buf) return false;
    if (text[0] == '[' && n > 2 && text[n - 1] == ']') {
        memcpy(buf, text + 1, n - 2);
        buf[n - 2] = 0;
    } else {
        memcpy(buf, text, n + 1);
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = SYNACK_AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
        out->family = SYNACK_AF_INET6;
        return true;
    }
    return false;
}

/* "250", "250ms", "2s", "500us" -> microseconds; a bare number is milliseconds. */
static bool parse_ms(const char *v, synack_time_us *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno || *v == '-') return false;
    unsigned long long mult;
    if (!*end || !strcmp(end, "ms")) mult = 1000;
    else if (!strcmp(end, "s")) mult = 1000000;
    else if (!strcmp(end, "us")) mult = 1;
    else return false;
    if (x > UINT64_MAX / mult / 2) return false;
    *out = x * mult;
    return true;
}

/* "262144", "256k", "4m" -> bytes. */
static bool parse_bytes(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno || *v == '-') return false;
    if (*end == 'k' || *end == 'K') x <<= 10, end++;
    else if (*end == 'm' || *end == 'M') x <<= 20, end++;
    if (*end || x < 1024 || x > (1ull << 30)) return false;
    *out = (uint32_t)x;
    return true;
}

static int bad(const net_opts *o, const char *opt, const char *v)
{
    fprintf(stderr, "%s: bad value '%s' for %s\n", o->cmd, v, opt);
    return -1;
}

int net_opts_take(net_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (!strcmp(a, "-v") || !strcmp(a, "-vv") || !strcmp(a, "-vvv")) {
        o->verbose += (int)strlen(a) - 1;
        return 1;
    }
    if (!strcmp(a, "--verbose")) {
        o->verbose++;
        return 1;
    }
    if (!strcmp(a, "--no-create")) {
        o->no_create = true;
        return 1;
    }
    static const char *const with_value[] = {
        "--dev", "--addr", "--addr6", "--mtu", "--impair", "--offload", "--control", "--seed", "--user-timeout",
        "--msl", "--connect-timeout", "--rto-min", "--fin-wait-2-timeout", "--sndbuf", "--rcvbuf"};
    bool known = false;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
        if (!strcmp(a, with_value[k])) known = true;
    if (!known) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", o->cmd, a);
        return -1;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--dev")) {
        if (!*v || strlen(v) > 15) return bad(o, a, v);
        o->dev = v;
    } else if (!strcmp(a, "--addr")) {
        if (!net_addr_parse(v, &o->addr) || o->addr.family != SYNACK_AF_INET) return bad(o, a, v);
    } else if (!strcmp(a, "--addr6")) {
        if (!net_addr_parse(v, &o->addr6) || o->addr6.family != SYNACK_AF_INET6) return bad(o, a, v);
    } else if (!strcmp(a, "--mtu")) {
        char *end;
        long m = strtol(v, &end, 10);
        if (*end || m < 576 || m > 65535) return bad(o, a, v);
        o->mtu = (int)m;
    } else if (!strcmp(a, "--offload")) {
        if (!strcmp(v, "on")) o->offload = 1;
        else if (!strcmp(v, "off")) o->offload = -1;
        else return bad(o, a, v);
    } else if (!strcmp(a, "--impair")) {
        synack_impair imp;
        uint64_t seed = 0;
        char err[200];
        if (!impair_parse(v, &imp, &seed, err, sizeof err)) {
            fprintf(stderr, "%s: --impair: %s\n", o->cmd, err);
            return -1;
        }
        o->impair = v;
    } else if (!strcmp(a, "--control")) {
        if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path)) return bad(o, a, v);
        o->control = v;
    } else if (!strcmp(a, "--seed")) {
        char *end;
        errno = 0;
        o->seed = strtoull(v, &end, 0);
        if (*end || errno) return bad(o, a, v);
        o->seed_set = true;
    } else if (!strcmp(a, "--sndbuf") || !strcmp(a, "--rcvbuf")) {
        if (!parse_bytes(v, a[2] == 's' ? &o->sndbuf : &o->rcvbuf)) return bad(o, a, v);
    } else {
        synack_time_us *dst = !strcmp(a, "--user-timeout")      ? &o->user_timeout_us
                              : !strcmp(a, "--msl")             ? &o->msl_us
                              : !strcmp(a, "--connect-timeout") ? &o->conn_timeout_us
                              : !strcmp(a, "--rto-min")         ? &o->rto_min_us
                                                                : &o->fin_wait_2_us;
        if (!parse_ms(v, dst) || *dst == 0) return bad(o, a, v);
    }
    return 1;
}

void net_opts_usage(FILE *f)
{
    fprintf(f,
            "  stack options (serve, get, connect):\n"
            "    --dev NAME          TUN device (default " NET_DEFAULT_DEV "); attached when it exists,\n"
            "                        else created and brought up (its kernel side then has no address)\n"
            "    --no-create         fail instead of creating the device\n"
            "    --addr A.B.C.D      synack's IPv4 address (default 198.18.0.2)\n"
            "    --addr6 X::Y        synack's IPv6 address (default 2001:db8::2)\n"
            "                        (giving only one of --addr/--addr6 leaves the other family off)\n"
            "    --mtu N             set the device's MTU (default: keep it); MSS = MTU - 40\n"
            "    --offload on|off    virtio-net header offloads: checksums, TSO/GSO super-segments\n"
            "                        of up to 64 KiB both ways (default on where the device has\n"
            "                        them, off with --impair; SYNACK_OFFLOAD=on|off sets it);\n"
            "                        with offloads the socket buffers default to 4m\n"
            "    --impair SPEC       impair both directions inside synack, e.g.\n"
            "                        loss=5%%,delay=20ms,jitter=2ms,reorder=2%%,duplicate=1%%,corrupt=0.5%%\n"
            "                        (also reorder_delay=, rate=100mbit, limit=N, seed=N)\n"
            "    --control PATH      Unix control socket for `synack netstat`\n"
            "    --user-timeout T    RFC 9293 user timeout for every connection (ms, or 2s)\n"
            "    --msl T             maximum segment lifetime: TIME-WAIT lasts 2*MSL (default 30s)\n"
            "    --connect-timeout T give up connection establishment after T (default 75s)\n"
            "    --rto-min T         lower bound of the retransmission timeout (default 200ms)\n"
            "    --fin-wait-2-timeout T  orphaned FIN-WAIT-2 lifetime (default 600s)\n"
            "    --sndbuf N, --rcvbuf N  socket buffers in bytes (256k, 4m; default 256k)\n"
            "    --seed N            reproducible ISNs, timestamps, ports and impairments: a zero\n"
            "                        secret with N mixed in (default: a secret from getrandom)\n"
            "    -v, -vv, -vvv       more logging on stderr (connections, details, every core event)\n");
}

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

/* ---- bringing a stack up ---- */

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
    rt->tun_fd = synack_tun_open(o->dev, tflags, o->mtu, &rt->tun, err, sizeof err);
    if (rt->tun_fd < 0) {
        synack_log(SYNACK_LOG_ERROR, "%s", err);
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
    if (o->user_timeout_us) cfg.user_timeout_us = o->user_timeout_us;
    if (o->msl_us) cfg.msl_us = o->msl_us;
    if (o->conn_timeout_us) cfg.conn_timeout_us = o->conn_timeout_us;
    if (o->rto_min_us) {
        cfg.rto_min_us = o->rto_min_us;
        if (cfg.rto_max_us < cfg.rto_min_us) cfg.rto_max_us = cfg.rto_min_us;
    }
    if (o->fin_wait_2_us) cfg.fin_wait_2_timeout_us = o->fin_wait_2_us;
    /* 64 KiB super-segments fill a 256 KiB window with four: with offloads the buffers default
     * to 4 MiB, near what Linux autotuning reaches on such a link. Memory is taken only as data
     * arrives (tcp/buffers.h), so an idle connection costs no more. */
    if (cfg.tso_max_bytes) cfg.sndbuf_bytes = cfg.rcvbuf_bytes = 4u << 20;
    if (o->sndbuf) cfg.sndbuf_bytes = o->sndbuf;
    if (o->rcvbuf) cfg.rcvbuf_bytes = o->rcvbuf;

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
    synack_loop_config lc = {.tun_fd = rt->tun_fd, .impair = o->impair ? &imp : NULL,
                             .impair_seed = iseed, .handle_signals = true, .vnet_hdr = rt->tun.vnet_hdr};
    rt->lp = synack_loop_new(rt->st, &lc);
    if (!rt->lp) {
        synack_log(SYNACK_LOG_ERROR, "cannot start the event loop: %s", strerror(errno));
        net_stop(rt);
        return 1;
    }
    if (ctl_path) rt->ctl = control_listen(rt->lp, ctl_path);

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
        if (s.impair_lost || s.impair_duplicated || s.impair_corrupted)
            synack_log(SYNACK_LOG_INFO, "impairment: %llu lost, %llu duplicated, %llu corrupted",
                       (unsigned long long)s.impair_lost, (unsigned long long)s.impair_duplicated,
                       (unsigned long long)s.impair_corrupted);
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
 * receive timeout bounds how long a silent client can hold the loop. */
static void control_client(control_server *cs, int fd)
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

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return;
    synack_stack *st = synack_loop_stack(cs->lp);
    /* The stack's clock moves only when the loop polls it; an idle stack would show the time
     * left as of its last packet. Bring it to the loop's now (due timers run; their segments go
     * out at the loop's next flush) so that two calls a second apart differ by a second. */
    synack_poll(st, synack_loop_now(cs->lp));
    if (!strcmp(line, "conns")) ns_wire_write(out, st);
    else if (!strcmp(line, "netstat")) synack_netstat_print(st, out, false);
    else if (!strcmp(line, "netstat -o")) synack_netstat_print(st, out, true);
    else if (!strcmp(line, "stats")) control_stats(cs->lp, out);
    else fprintf(out, "error: unknown request '%s' (conns, netstat, netstat -o, stats)\n", line);
    fclose(out);
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(text);
}

static void control_ready(synack_loop *lp, int fd, uint32_t events, void *ctx)
{
    control_server *cs = ctx;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) return;
        control_client(cs, c);
        close(c);
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
    synack_log(SYNACK_LOG_INFO, "control socket %s", path);
    return cs;
}

void control_close(control_server *cs)
{
    if (!cs) return;
    synack_loop_unwatch(cs->lp, cs->fd);
    close(cs->fd);
    unlink(cs->path);
    free(cs);
}
