/* trace_cli.c: `synack trace`: subscribes to a running synack's events through its control
 * socket and prints them as they come, like bcc's tcpstates: state transitions with the time
 * spent in the state left, retransmissions with their reason, dropped segments with the counter
 * they were counted under, errors (and timers with --timers). Text or JSON lines; filtered by
 * --port, --addr and ss-style words (netstat.h's filter). Ends at Ctrl-C, at --count events, or
 * when the server goes away. Lines from the server are untrusted input (trace_wire.c checks). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "control.h"
#include "format.h"
#include "netstat.h"
#include "trace_live.h"

#define CMD "synack trace"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack trace [--json] [--port N] [--addr A] [--timers] [--count N]\n"
            "                    [--buffer BYTES] [--control NAME|PATH | --dev NAME] [FILTER...]\n"
            "  A live stream of a running synack's events (serve, or get/connect with --control), as\n"
            "  bcc's tcpstates prints the kernel's: time, connection, 4-tuple, then\n"
            "    OLD -> NEW  ms in OLD (cause)   a state transition (RFC 9293 names)\n"
            "    retransmit seq N len N (reason) timeout, fast-retransmit, partial-ack, sack-recovery,\n"
            "                                    duplicate-syn\n"
            "    drop seq N len N: why            the counter it was counted under (netstat -s)\n"
            "    cc ALGO OLD -> NEW (reason) cwnd B ssthresh B pacing B/s\n"
            "                                     congestion control: slow-start, congestion-avoidance,\n"
            "                                     recovery, loss, cwr, startup, drain, probe-bw,\n"
            "                                     probe-rtt...; reasons ack, recovered, dupack, rack,\n"
            "                                     ecn, rto, tlp, dsack-undo, frto-undo\n"
            "    error ...                        what the application is told\n"
            "  Ends at Ctrl-C, after --count events, or when the synack stops.\n"
            "  --json             one JSON object per line\n"
            "  --port N           only connections with N as local or remote port\n"
            "  --addr A           only connections with A as local or remote address\n"
            "  --timers           timer expirations too (delayed ACKs fire often)\n"
            "  --count N          stop after N events printed (1-%u)\n"
            "  --buffer BYTES     the server's buffer for this subscriber (%u-%u, default %u):\n"
            "                     what does not fit while we read slowly is dropped and counted\n"
            "  --control NAME|PATH  the synack to trace: NAME is " NET_CONTROL_DIR "/NAME.ctl\n"
            "  --dev NAME         the synack on device NAME in this network namespace\n"
            "                     (default: the only one running here, else tun0's)\n"
            "  FILTER words as synack netstat takes them: state NAME, exclude NAME (the new state),\n"
            "    sport OP :PORT, dport OP :PORT, src ADDR, dst ADDR\n"
            "  e.g. synack trace --json sport = :80\n",
            UINT32_MAX, TRACE_BUF_MIN, TRACE_BUF_MAX, TRACE_BUF_DEFAULT);
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct trace_opts {
    bool json, timers;
    bool port_set, addr_set;
    uint16_t port;
    synack_addr addr;
    uint32_t count, buffer;
    ns_filter filter;
} trace_opts;

static bool wanted(const trace_opts *o, const synack_event *ev)
{
    if (ev->type == SYNACK_EV_TIMER && !o->timers) return false;
    if (o->port_set && ev->local.port != o->port && ev->remote.port != o->port) return false;
    if (o->addr_set && !synack_addr_eq(&ev->local.addr, &o->addr) && !synack_addr_eq(&ev->remote.addr, &o->addr))
        return false;
    ns_row r;
    ns_row_init(&r);
    r.state = ev->type == SYNACK_EV_STATE ? ev->to : ev->from;
    r.local = ev->local;
    r.remote = ev->remote;
    return ns_filter_match(&o->filter, &r);
}

/* The stack's clock is CLOCK_MONOTONIC (microseconds): the same clock here, on the same host, so
 * an event's wall-clock time is now's less how long ago it was. */
static void wall_time(synack_time_us t, char *buf, size_t cap, char *iso, size_t icap)
{
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    int64_t now_mono = (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000;
    int64_t now_real = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000;
    int64_t ago = now_mono - (int64_t)t;
    if (ago < 0) ago = 0;
    int64_t when = now_real - ago;
    time_t secs = (time_t)(when / 1000000);
    struct tm tmv;
    localtime_r(&secs, &tmv);
    char hms[16];
    strftime(hms, sizeof hms, "%H:%M:%S", &tmv);
    snprintf(buf, cap, "%s.%06ld", hms, (long)(when % 1000000));
    char date[32];
    gmtime_r(&secs, &tmv);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tmv);
    snprintf(iso, icap, "%s.%06ldZ", date, (long)(when % 1000000));
}

static void cause_text(const synack_cause *c, char *buf, size_t cap)
{
    char f[32];
    switch (c->kind) {
    case SYNACK_CAUSE_SEGMENT: snprintf(buf, cap, "rcv %s", synack_flags_format(c->detail, f, sizeof f)); break;
    case SYNACK_CAUSE_TIMER: snprintf(buf, cap, "timer %s", synack_timer_name(c->detail)); break;
    case SYNACK_CAUSE_ICMP: snprintf(buf, cap, "ICMP error: %s", strerror(c->detail)); break;
    default: snprintf(buf, cap, "user %s", synack_call_name(c->detail)); break;
    }
}

static const char *kind_name(int type)
{
    switch (type) {
    case SYNACK_EV_STATE: return "state";
    case SYNACK_EV_TIMER: return "timer";
    case SYNACK_EV_RETRANSMIT: return "retransmit";
    case SYNACK_EV_DROP: return "drop";
    case SYNACK_EV_ERROR: return "error";
    case SYNACK_EV_CC: return "cc";
    default: return "other";
    }
}

static void endpoint_json(json_out *j, const char *key, const synack_endpoint *ep)
{
    char a[INET6_ADDRSTRLEN];
    synack_addr_format(&ep->addr, a, sizeof a);
    json_obj_open(j, key);
    json_str(j, "addr", a);
    json_u64(j, "port", ep->port);
    json_obj_close(j);
}

static void print_json(const synack_event *ev)
{
    char hms[32], iso[48], txt[64];
    wall_time(ev->time, hms, sizeof hms, iso, sizeof iso);
    json_out j;
    json_begin(&j, stdout);
    json_obj_open(&j, NULL);
    json_str(&j, "time", iso);
    json_u64(&j, "stack_time_us", ev->time);
    json_str(&j, "event", kind_name(ev->type));
    json_u64(&j, "conn", ev->conn_id);
    endpoint_json(&j, "local", &ev->local);
    endpoint_json(&j, "remote", &ev->remote);
    switch (ev->type) {
    case SYNACK_EV_STATE:
        json_str(&j, "from", synack_state_rfc_name(ev->from));
        json_str(&j, "to", synack_state_rfc_name(ev->to));
        json_str(&j, "from_netstat", synack_state_netstat_name(ev->from));
        json_str(&j, "to_netstat", synack_state_netstat_name(ev->to));
        /* Milliseconds, as tcpstates' MS column (the core keeps a state's start to the ms). */
        if (ev->prev_state_us != SYNACK_TIME_NEVER) json_u64(&j, "ms_in_from", ev->prev_state_us / 1000);
        else json_null(&j, "ms_in_from");
        cause_text(&ev->cause, txt, sizeof txt);
        json_str(&j, "cause", txt);
        break;
    case SYNACK_EV_TIMER:
        json_str(&j, "timer", synack_timer_name(ev->cause.detail));
        json_str(&j, "state", synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_RETRANSMIT:
        json_u64(&j, "seq", ev->seq);
        json_u64(&j, "len", ev->len);
        json_str(&j, "reason", synack_rexmit_reason_name(ev->reason));
        json_str(&j, "state", synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_DROP:
        json_u64(&j, "seq", ev->seq);
        json_u64(&j, "len", ev->len);
        json_str(&j, "flags", synack_flags_format(ev->cause.detail, txt, sizeof txt));
        json_str(&j, "reason", synack_counter_name(ev->reason));
        json_str(&j, "why", synack_counter_text(ev->reason));
        json_str(&j, "state", synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_ERROR:
        json_str(&j, "error", strerror(ev->err));
        break;
    case SYNACK_EV_CC: {
        const char *algo = synack_cc_name(ev->cc_algo);
        json_str(&j, "algorithm", algo ? algo : "?");
        json_str(&j, "from", synack_cc_phase_name(ev->cc_from));
        json_str(&j, "to", synack_cc_phase_name(ev->cc_to));
        json_str(&j, "reason", synack_cc_reason_name(ev->reason));
        json_u64(&j, "cwnd", ev->cwnd);
        json_u64(&j, "ssthresh", ev->ssthresh);
        json_u64(&j, "pacing_rate", ev->pacing_rate);
        json_str(&j, "state", synack_state_rfc_name(ev->from));
        break;
    }
    default: break;
    }
    json_obj_close(&j);
}

static void print_text_header(void)
{
    printf("%-15s %5s %-22s %-22s %s\n", "TIME", "CONN", "LOCAL", "REMOTE", "EVENT");
}

static void print_text(const synack_event *ev)
{
    char hms[32], iso[48], l[64], r[64], txt[64], f[32];
    wall_time(ev->time, hms, sizeof hms, iso, sizeof iso);
    fmt_endpoint(&ev->local, false, l, sizeof l);
    fmt_endpoint(&ev->remote, false, r, sizeof r);
    printf("%-15s %5u %-22s %-22s ", hms, (unsigned)ev->conn_id, l, r);
    switch (ev->type) {
    case SYNACK_EV_STATE:
        cause_text(&ev->cause, txt, sizeof txt);
        printf("%s -> %s", synack_state_rfc_name(ev->from), synack_state_rfc_name(ev->to));
        if (ev->prev_state_us != SYNACK_TIME_NEVER)
            printf("  %llu ms in %s", (unsigned long long)(ev->prev_state_us / 1000),
                   synack_state_rfc_name(ev->from));
        printf(" (%s)\n", txt);
        break;
    case SYNACK_EV_TIMER:
        printf("timer %s fired in %s\n", synack_timer_name(ev->cause.detail), synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_RETRANSMIT:
        printf("retransmit seq %u len %u (%s) in %s\n", (unsigned)ev->seq, (unsigned)ev->len,
               synack_rexmit_reason_name(ev->reason), synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_DROP:
        printf("drop %s seq %u len %u: %s (%s)\n", synack_flags_format(ev->cause.detail, f, sizeof f),
               (unsigned)ev->seq, (unsigned)ev->len, synack_counter_text(ev->reason),
               synack_counter_name(ev->reason));
        break;
    case SYNACK_EV_ERROR: printf("error: %s\n", strerror(ev->err)); break;
    case SYNACK_EV_CC: {
        const char *algo = synack_cc_name(ev->cc_algo);
        printf("cc %s %s -> %s (%s) cwnd %u ssthresh %u pacing %llu\n", algo ? algo : "?",
               synack_cc_phase_name(ev->cc_from), synack_cc_phase_name(ev->cc_to),
               synack_cc_reason_name(ev->reason), (unsigned)ev->cwnd, (unsigned)ev->ssthresh,
               (unsigned long long)ev->pacing_rate);
        break;
    }
    default: printf("event %u\n", ev->type); break;
    }
}

static void print_lost(const trace_opts *o, uint64_t n)
{
    if (o->json) printf("{\"event\":\"lost\",\"count\":%llu}\n", (unsigned long long)n);
    else printf("-- %llu events lost: this reader was slower than the stack (see --buffer) --\n",
                (unsigned long long)n);
}

static int connect_control(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, CMD ": control path too long: %s\n", path);
        return -2;
    }
    memcpy(sa.sun_path, path, strlen(path));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, CMD ": cannot reach %s: %s (is a synack running with that --control?)\n", path,
                strerror(errno));
        if (s >= 0) close(s);
        return -1;
    }
    return s;
}

/* Reads the stream until the end, a signal or --count; returns the exit status. */
static int stream(const trace_opts *o, int s, const char *path)
{
    char req[64];
    int rn = snprintf(req, sizeof req, "trace buf=%u\n", (unsigned)o->buffer);
    if (send(s, req, (size_t)rn, MSG_NOSIGNAL) != rn) {
        fprintf(stderr, CMD ": %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* Lines longer than this are not ours: skipped whole. */
    char buf[64 * 1024];
    size_t have = 0;
    bool started = false, skipping = false;
    uint64_t shown = 0, lost = 0;
    int rc = 0;
    if (!o->json) {
        print_text_header();
        fflush(stdout);
    }
    while (!stop_requested) {
        struct pollfd p = {.fd = s, .events = POLLIN};
        int pr = poll(&p, 1, -1);
        if (pr < 0) {
            if (errno == EINTR) continue;
            rc = 1;
            break;
        }
        ssize_t r = recv(s, buf + have, sizeof buf - 1 - have, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            fprintf(stderr, CMD ": %s closed the stream (the synack stopped)\n", path);
            break;
        }
        have += (size_t)r;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
            *nl = 0;
            if (skipping) {
                skipping = false;
            } else if (!started) {
                if (strcmp(line, TRACE_WIRE_MAGIC)) {
                    fprintf(stderr, CMD ": %s answered '%.200s', not a trace stream\n", path, line);
                    return 1;
                }
                started = true;
            } else {
                trace_item it;
                if (trace_wire_parse(line, &it)) {
                    if (it.lost_line) {
                        lost += it.lost;
                        print_lost(o, it.lost);
                    } else if (wanted(o, &it.ev)) {
                        if (o->json) print_json(&it.ev);
                        else print_text(&it.ev);
                        if (o->count && ++shown >= o->count) {
                            fflush(stdout);
                            goto done;
                        }
                    }
                }
            }
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have == sizeof buf - 1) { /* an endless line: drop it up to its newline */
            have = 0;
            skipping = true;
        }
        fflush(stdout);
    }
done:
    if (lost) fprintf(stderr, CMD ": %llu events lost in all (this reader was too slow)\n", (unsigned long long)lost);
    return rc;
}

int cmd_trace(int argc, char **argv)
{
    enum { O_JSON = CLI_OPT_COMMAND, O_PORT, O_ADDR, O_TIMERS, O_COUNT, O_BUFFER, O_CONTROL, O_DEV };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, O_JSON},          {"port", required_argument, NULL, O_PORT},
        {"addr", required_argument, NULL, O_ADDR},    {"timers", no_argument, NULL, O_TIMERS},
        {"count", required_argument, NULL, O_COUNT},  {"buffer", required_argument, NULL, O_BUFFER},
        {"control", required_argument, NULL, O_CONTROL}, {"dev", required_argument, NULL, O_DEV},
        CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    trace_opts o;
    memset(&o, 0, sizeof o);
    o.buffer = TRACE_BUF_DEFAULT;
    const char *control = NULL, *dev = NULL, *arg;
    cli cl;
    cli_init(&cl, CMD, argc, argv, CLI_COMMON_SHORTOPTS, longopts);
    for (int opt; (opt = cli_next(&cl, &arg)) != -1;) {
        uint32_t v;
        switch (opt) {
        case 'h': usage(stdout); return 0;
        case CLI_OPT_VERSION: cli_version(stdout); return 0;
        case O_JSON: o.json = true; break;
        case O_TIMERS: o.timers = true; break;
        case O_PORT:
            if (!cli_parse_u32(arg, 1, 65535, &v)) return cli_bad_value(&cl, arg, "a port, 1-65535");
            o.port = (uint16_t)v;
            o.port_set = true;
            break;
        case O_ADDR:
            if (!synack_addr_parse(arg, &o.addr)) return cli_bad_value(&cl, arg, "an IPv4 or IPv6 address");
            o.addr_set = true;
            break;
        case O_COUNT:
            if (!cli_parse_u32(arg, 1, UINT32_MAX, &o.count)) return cli_bad_value(&cl, arg, "events, 1 or more");
            break;
        case O_BUFFER:
            if (!cli_parse_u32(arg, TRACE_BUF_MIN, TRACE_BUF_MAX, &o.buffer))
                return cli_bad_value(&cl, arg, "bytes, 4096-4194304");
            break;
        case O_CONTROL: control = arg; break;
        case O_DEV:
            if (!*arg || strlen(arg) > 15) return cli_bad_value(&cl, arg, "a device name of 1-15 characters");
            dev = arg;
            break;
        default: return CLI_EXIT_USAGE;
        }
    }
    char err[300];
    if (!ns_filter_parse(&o.filter, argc - optind, argv + optind, err, sizeof err))
        return cli_usage_error(CMD, "%s", err);
    /* Every state passes unless a state word says otherwise (netstat's default hides LISTEN). */
    o.filter.all = true;
    if (control && dev) return cli_usage_error(CMD, "--control and --dev both name the synack: give one");

    char path[128] = "";
    if (control) net_control_resolve(control, path, sizeof path);
    else if (dev) net_control_default(dev, path, sizeof path);
    else {
        int rc = net_control_find(CMD, path, sizeof path);
        if (rc) return rc;
    }
    int s = connect_control(path);
    if (s < 0) return s == -2 ? 2 : 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, CMD ": tracing %s; Ctrl-C to stop\n", path);
    int rc = stream(&o, s, path);
    close(s);
    return rc;
}
