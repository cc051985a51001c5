/* net_opts.c: the stack options of serve, get and connect, parsed from getopt_long's output into
 * a net_opts and from there into a synack_config. Text only: no device, no stack. */
#include "net_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "impair_text.h"

void net_opts_init(net_opts *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->dev = NET_DEFAULT_DEV;
    o->syncookies = -1;
    o->ecn = -1;
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
    if (*v < '0' || *v > '9') return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno) return false;
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
    if (*v < '0' || *v > '9') return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno) return false;
    if (*end == 'k' || *end == 'K') x <<= 10, end++;
    else if (*end == 'm' || *end == 'M') x <<= 20, end++;
    if (*end || x < 1024 || x > (1ull << 30)) return false;
    *out = (uint32_t)x;
    return true;
}

static int bad(const cli *c, const char *v, const char *want)
{
    cli_bad_value(c, v, want);
    return -1;
}

int net_opts_apply(net_opts *o, const cli *c, int opt, const char *v)
{
    synack_time_us *dst_us = NULL;
    switch (opt) {
    case 'v':
    case NET_OPT_VERBOSE:
        o->verbose++;
        return 1;
    case NET_OPT_NO_CREATE:
        o->no_create = true;
        return 1;
    case NET_OPT_DEV:
        if (!*v || strlen(v) > 15) return bad(c, v, "a device name of 1-15 characters");
        o->dev = v;
        return 1;
    case NET_OPT_ADDR:
        if (!net_addr_parse(v, &o->addr) || o->addr.family != SYNACK_AF_INET)
            return bad(c, v, "an IPv4 address");
        return 1;
    case NET_OPT_ADDR6:
        if (!net_addr_parse(v, &o->addr6) || o->addr6.family != SYNACK_AF_INET6)
            return bad(c, v, "an IPv6 address");
        return 1;
    case NET_OPT_MTU: {
        uint32_t m;
        if (!cli_parse_u32(v, 576, 65535, &m)) return bad(c, v, "576-65535");
        o->mtu = (int)m;
        return 1;
    }
    case NET_OPT_IMPAIR: {
        synack_impair imp;
        uint64_t seed = 0;
        char err[200];
        if (!impair_parse(v, &imp, &seed, err, sizeof err)) {
            fprintf(stderr, "%s: bad value '%s' for --impair: %s\nTry '%s --help'.\n", o->cmd, v, err,
                    o->cmd);
            return -1;
        }
        o->impair = v;
        return 1;
    }
    case NET_OPT_PCAP:
        if (!*v) return bad(c, v, "a file name");
        o->pcap = v;
        return 1;
    case NET_OPT_CONTROL:
        if (!*v || strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return bad(c, v, "a path shorter than 108 bytes");
        o->control = v;
        return 1;
    case NET_OPT_SEED: {
        char *end;
        errno = 0;
        if (*v < '0' || *v > '9') return bad(c, v, "a number");
        o->seed = strtoull(v, &end, 0);
        if (*end || errno) return bad(c, v, "a number");
        o->seed_set = true;
        return 1;
    }
    case NET_OPT_SNDBUF:
    case NET_OPT_RCVBUF:
        if (!parse_bytes(v, opt == NET_OPT_SNDBUF ? &o->sndbuf : &o->rcvbuf))
            return bad(c, v, "bytes from 1024 to 1g, e.g. 256k or 4m");
        return 1;
    case NET_OPT_MAX_CONNS:
        if (!cli_parse_u32(v, 1, UINT32_MAX, &o->max_conns)) return bad(c, v, "1-4294967295");
        return 1;
    case NET_OPT_MAX_SOCKETS:
        if (!cli_parse_u32(v, 1, (1u << 31) - 1, &o->max_sockets)) return bad(c, v, "1-2147483647");
        return 1;
    case NET_OPT_MAX_TIME_WAIT:
        if (!cli_parse_u32(v, 0, UINT32_MAX, &o->max_time_wait)) return bad(c, v, "0-4294967295");
        o->has_max_tw = true;
        return 1;
    case NET_OPT_SYN_QUEUE:
        if (!cli_parse_u32(v, 1, 65535, &o->syn_queue)) return bad(c, v, "1-65535");
        return 1;
    case NET_OPT_CC: {
        for (unsigned i = 0; synack_cc_name(i); i++)
            if (!strcmp(v, synack_cc_name(i))) {
                o->cc = v;
                return 1;
            }
        return bad(c, v, "cubic, newreno or bbr");
    }
    case NET_OPT_BUSY_POLL:
        if (!cli_parse_u32(v, 0, 1000000, &o->busy_poll_us)) return bad(c, v, "0-1000000 microseconds");
        return 1;
    case NET_OPT_OFFLOAD:
        if (!strcmp(v, "on")) o->offload = 1;
        else if (!strcmp(v, "off")) o->offload = -1;
        else return bad(c, v, "on or off");
        return 1;
    case NET_OPT_ECN: /* RFC 3168 negotiation, as Linux's net.ipv4.tcp_ecn 0 / 1 / 2 */
        if (!strcmp(v, "off")) o->ecn = SYNACK_ECN_OFF;
        else if (!strcmp(v, "on")) o->ecn = SYNACK_ECN_ON;
        else if (!strcmp(v, "passive")) o->ecn = SYNACK_ECN_PASSIVE;
        else return bad(c, v, "off, on or passive");
        return 1;
    case NET_OPT_SYNCOOKIES:
        if (!strcmp(v, "off")) o->syncookies = SYNACK_SYNCOOKIES_OFF;
        else if (!strcmp(v, "auto")) o->syncookies = SYNACK_SYNCOOKIES_AUTO;
        else if (!strcmp(v, "always")) o->syncookies = SYNACK_SYNCOOKIES_ALWAYS;
        else return bad(c, v, "off, auto or always");
        return 1;
    case NET_OPT_USER_TIMEOUT: dst_us = &o->user_timeout_us; break;
    case NET_OPT_MSL: dst_us = &o->msl_us; break;
    case NET_OPT_CONNECT_TIMEOUT: dst_us = &o->conn_timeout_us; break;
    case NET_OPT_RTO_MIN: dst_us = &o->rto_min_us; break;
    case NET_OPT_FIN_WAIT_2: dst_us = &o->fin_wait_2_us; break;
    default:
        return 0;
    }
    if (!parse_ms(v, dst_us) || *dst_us == 0) return bad(c, v, "a duration > 0: ms, or 2s, 500us");
    return 1;
}

enum synack_cc_source net_opts_config(const net_opts *o, synack_config *cfg)
{
    if (o->user_timeout_us) cfg->user_timeout_us = o->user_timeout_us;
    if (o->msl_us) cfg->msl_us = o->msl_us;
    if (o->conn_timeout_us) cfg->conn_timeout_us = o->conn_timeout_us;
    if (o->rto_min_us) {
        cfg->rto_min_us = o->rto_min_us;
        if (cfg->rto_max_us < cfg->rto_min_us) cfg->rto_max_us = cfg->rto_min_us;
    }
    if (o->fin_wait_2_us) cfg->fin_wait_2_timeout_us = o->fin_wait_2_us;
    /* 64 KiB super-segments fill a 256 KiB window with four: with offloads the buffers default
     * to 4 MiB, near what Linux autotuning reaches on such a link. Memory is taken only as data
     * arrives (tcp/buffers.h), so an idle connection costs no more. */
    if (cfg->tso_max_bytes) cfg->sndbuf_bytes = cfg->rcvbuf_bytes = 4u << 20;
    if (o->sndbuf) cfg->sndbuf_bytes = o->sndbuf;
    if (o->rcvbuf) cfg->rcvbuf_bytes = o->rcvbuf;
    if (o->max_conns) cfg->max_conns = o->max_conns;
    if (o->max_sockets) cfg->max_sockets = o->max_sockets;
    if (o->has_max_tw) cfg->max_time_wait = o->max_time_wait;
    if (o->syn_queue) cfg->syn_queue_max = o->syn_queue;
    if (o->syncookies >= 0) cfg->syncookies = (uint8_t)o->syncookies;
    if (o->ecn >= 0) cfg->ecn = (uint8_t)o->ecn;
    const char *cc = o->cc, *env = getenv("SYNACK_CC");
    if (!cc && env && *env) cc = env;
    return synack_config_host_cc(cfg, cc);
}

void net_opts_usage(FILE *f)
{
    fprintf(f,
            "stack options (serve, get, connect):\n"
            "  --dev NAME          TUN device (default " NET_DEFAULT_DEV "); attached when it exists,\n"
            "                      else created and brought up (its kernel side then has no address)\n"
            "  --no-create         fail instead of creating the device\n"
            "  --addr A.B.C.D      synack's IPv4 address (default 198.18.0.2)\n"
            "  --addr6 X::Y        synack's IPv6 address (default 2001:db8::2)\n"
            "                      (giving only one of --addr/--addr6 leaves the other family off)\n"
            "  --mtu N             set the device's MTU (default: keep it); MSS = MTU - 40\n"
            "  --offload on|off    virtio-net header offloads: checksums, TSO/GSO super-segments\n"
            "                      of up to 64 KiB both ways (default on where the device has\n"
            "                      them, off with --impair; SYNACK_OFFLOAD=on|off sets it);\n"
            "                      with offloads the socket buffers default to 4m\n"
            "  --impair SPEC       impair both directions inside synack, e.g.\n"
            "                      loss=5%%,delay=20ms,jitter=2ms,reorder=2%%,duplicate=1%%,corrupt=0.5%%\n"
            "                      (also reorder_delay=, rate=100mbit, limit=N, ce=N, seed=N)\n"
            "  --pcap FILE         write every packet crossing the device, both ways, to FILE\n"
            "                      (pcap, raw IP; with offloads super-segments are written whole,\n"
            "                      larger than the MTU, with their checksums completed)\n"
            "  --control PATH      Unix control socket for `synack netstat`\n"
            "  --user-timeout T    RFC 9293 user timeout for every connection (ms, or 2s)\n"
            "  --msl T             maximum segment lifetime: TIME-WAIT lasts 2*MSL (default 30s)\n"
            "  --connect-timeout T give up connection establishment after T (default 75s)\n"
            "  --rto-min T         retransmission timeout >= smoothed RTT + T (default 200ms)\n"
            "  --fin-wait-2-timeout T  orphaned FIN-WAIT-2 lifetime (default 600s)\n"
            "  --sndbuf N, --rcvbuf N  socket buffers in bytes (256k, 4m; default 256k)\n"
            "  --max-conns N       connections at once (default 1048576)\n"
            "  --max-sockets N     socket descriptors (default 1048576)\n"
            "  --max-time-wait N   TIME-WAIT records; beyond, connections close at once (default 262144)\n"
            "  --syn-queue N       half-open connections per listener, 1-65535 (default 2048)\n"
            "  --syncookies MODE   off, auto (when the SYN queue is full; default) or always\n"
            "  --cc NAME           congestion control: cubic (RFC 9438, HyStart++), newreno\n"
            "                      (RFC 5681/6582) or bbr (BBRv1, paced); default: SYNACK_CC,\n"
            "                      else the host's net.ipv4.tcp_congestion_control when synack\n"
            "                      has it, else cubic\n"
            "  --ecn MODE          ECN (RFC 3168): on (ask on our SYNs, accept theirs), passive\n"
            "                      (accept when asked; default, as Linux's tcp_ecn=2) or off\n"
            "  --busy-poll USEC    before blocking, read the device without waiting for up to\n"
            "                      USEC microseconds (a spinning CPU for less latency; default 0)\n"
            "  --seed N            reproducible ISNs, timestamps, ports and impairments: a zero\n"
            "                      secret with N mixed in (default: a secret from getrandom)\n"
            "  -v, --verbose       more logging on stderr; -vv details, -vvv every core event\n"
            "  -h, --help          this text;  --version  the version\n");
}
