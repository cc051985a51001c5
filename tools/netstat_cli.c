/* netstat_cli.c: `synack netstat`: its arguments (getopt_long, so -tan, -tlnp, -ano combine as
 * in netstat and ss; filter words after the options as ss takes them), which source to read (a
 * running synack's control socket, or the host with --host), and the bounded --watch loop.
 * Gathering and rendering are the other netstat_*.c files. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "netstat.h"

#define WATCH_MAX_ITERATIONS 1000000L /* --watch without --count stops here (or at a signal) */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack netstat [-atlnpoe46s] [--json] [--explain [--lang en|zh]]\n"
            "                      [--watch [SECONDS] [--count N]] [--host [--proc]]\n"
            "                      [--control NAME|PATH | --dev NAME] [FILTER...]\n"
            "  The connection table of a running synack (serve, or get/connect with --control),\n"
            "  or with --host the Linux host's own TCP sockets, as `netstat -tan` prints them.\n"
            "  -a, --all          listeners and connections (default: connections only)\n"
            "  -l, --listening    listeners only\n"
            "  -t, --tcp  -n, --numeric   accepted as in netstat (TCP only, always numeric)\n"
            "  -4, -6             only IPv4 or IPv6 rows (tcp or tcp6)\n"
            "  -o, --timers       the timer column: on/keepalive/timewait/probe (left/retries/probes)\n"
            "  -e, --extended     per connection details as ss -i: cc, rto, rtt/rttvar (ms), mss, cwnd,\n"
            "                     ssthresh, windows, retrans (now/total), bytes, time in state\n"
            "  -p, --processes    PID/Program name owning each socket\n"
            "  -s, --statistics   the counters instead of the table\n"
            "  --json             one JSON document (one per line with --watch)\n"
            "  --explain          under the table, what each state present means, who waits for\n"
            "                     what, and which timer ends it when\n"
            "  --lang en|zh       language of --explain (default from LC_ALL/LC_MESSAGES/LANG)\n"
            "  --watch [SECONDS]  print again every SECONDS (default 2) until interrupted\n"
            "  --count N          with --watch: stop after N tables (at most %ld)\n"
            "  --host             the host's sockets (netlink sock_diag, as ss), with a diagnosis\n"
            "  --proc             with --host: read /proc/net/tcp and tcp6 instead of netlink\n"
            "  --control NAME|PATH  the synack to read: NAME is " NET_CONTROL_DIR "/NAME.ctl\n"
            "  --dev NAME         the synack on device NAME in this network namespace\n"
            "                     (default: the only one running here, else tun0's)\n"
            "  FILTER words, all of which must hold (ss's spirit):\n"
            "    state NAME, exclude NAME   established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"
            "                               time-wait, closed, close-wait, last-ack, listening,\n"
            "                               closing; all, connected, synchronized, bucket, big\n"
            "    sport OP :PORT, dport OP :PORT   OP: = != < <= > >= (eq ne lt le gt ge)\n"
            "    src ADDR, dst ADDR\n"
            "  e.g. synack netstat -tno state established dport = :80\n",
            WATCH_MAX_ITERATIONS);
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* -s from a synack: the control socket's "stats" text, as it is. */
static int print_stats(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) return 2;
    memcpy(sa.sun_path, path, strlen(path));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "synack netstat: cannot reach %s: %s (is a synack running with that "
                        "--control?)\n", path, strerror(errno));
        if (s >= 0) close(s);
        return 1;
    }
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (send(s, "stats\n", 6, MSG_NOSIGNAL) < 0) {
        close(s);
        return 1;
    }
    char buf[4096];
    ssize_t r;
    size_t total = 0;
    while ((r = recv(s, buf, sizeof buf, 0)) > 0) {
        fwrite(buf, 1, (size_t)r, stdout);
        total += (size_t)r;
    }
    close(s);
    if (total == 0) {
        fprintf(stderr, "synack netstat: no answer from %s\n", path);
        return 1;
    }
    return 0;
}

/* -s with --host: the kernel's TCP counters (Tcp in /proc/net/snmp, TcpExt in /proc/net/netstat)
 * that are not zero, one per line. */
static int print_host_stats(void)
{
    static const char *const files[] = {"/proc/net/snmp", "/proc/net/netstat"};
    static const char *const groups[] = {"Tcp:", "TcpExt:"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        if (!f) {
            fprintf(stderr, "synack netstat: %s: %s\n", files[k], strerror(errno));
            return 1;
        }
        static char names[8192], values[8192];
        while (fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
            if (strncmp(names, groups[k], strlen(groups[k])) || strncmp(values, groups[k], strlen(groups[k])))
                continue;
            printf("%s\n", groups[k]);
            char *s1 = NULL, *s2 = NULL;
            char *n = strtok_r(names + strlen(groups[k]), " \n", &s1);
            char *v = strtok_r(values + strlen(groups[k]), " \n", &s2);
            for (; n && v; n = strtok_r(NULL, " \n", &s1), v = strtok_r(NULL, " \n", &s2))
                if (strcmp(v, "0")) printf("    %-28s %s\n", n, v);
        }
        fclose(f);
    }
    return 0;
}

static int once(const ns_opts *o, const char *path)
{
    ns_table t;
    memset(&t, 0, sizeof t);
    int rc = o->host ? ns_gather_host(&t, o->proc_only, o->processes || o->explain || true)
                     : ns_gather_control(path, &t);
    if (rc) {
        ns_table_free(&t);
        return rc;
    }
    ns_diag d[NS_DIAG_MAX];
    size_t nd = 0;
    if (o->host) {
        ns_host_facts facts;
        ns_host_facts_read(&facts);
        nd = ns_diagnose(&t, &facts, d, NS_DIAG_MAX);
    }
    if (o->json) {
        ns_render_json(stdout, o, &t, d, nd);
    } else {
        ns_render_table(stdout, o, &t);
        if (o->explain) ns_render_explain(stdout, o, &t);
        if (o->host) ns_render_diag(stdout, d, nd);
    }
    fflush(stdout);
    ns_table_free(&t);
    return ferror(stdout) ? 1 : 0;
}

int cmd_netstat(int argc, char **argv)
{
    enum { O_JSON = 256, O_EXPLAIN, O_LANG, O_WATCH, O_COUNT, O_HOST, O_PROC, O_CONTROL, O_DEV };
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'},        {"listening", no_argument, NULL, 'l'},
        {"numeric", no_argument, NULL, 'n'},    {"tcp", no_argument, NULL, 't'},
        {"udp", no_argument, NULL, 'u'},        {"timers", no_argument, NULL, 'o'},
        {"extended", no_argument, NULL, 'e'},   {"info", no_argument, NULL, 'i'},
        {"processes", no_argument, NULL, 'p'},  {"program", no_argument, NULL, 'p'},
        {"statistics", no_argument, NULL, 's'}, {"stats", no_argument, NULL, 's'},
        {"json", no_argument, NULL, O_JSON},    {"explain", no_argument, NULL, O_EXPLAIN},
        {"lang", required_argument, NULL, O_LANG}, {"watch", optional_argument, NULL, O_WATCH},
        {"count", required_argument, NULL, O_COUNT}, {"host", no_argument, NULL, O_HOST},
        {"proc", no_argument, NULL, O_PROC},    {"control", required_argument, NULL, O_CONTROL},
        {"dev", required_argument, NULL, O_DEV}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ns_opts o;
    memset(&o, 0, sizeof o);
    o.lang = ns_lang_default();
    const char *control = NULL, *dev = NULL;
    bool watch = false, udp_only = false, tcp = false;
    double interval = 2.0;
    long count = 0;
    optind = 0; /* argv is the subcommand's: start afresh (GNU: 0 also resets its state) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:alntuoeips46h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': o.filter.all = true; break;
        case 'l': o.filter.listening = true; break;
        case 'n': o.numeric = true; break;
        case 't': tcp = true; break;
        case 'u': udp_only = true; break;
        case 'o': o.timers = true; break;
        case 'e': case 'i': o.extended = true; break;
        case 'p': o.processes = true; break;
        case 's': o.stats = true; break;
        case '4': o.filter.family = SYNACK_AF_INET; break;
        case '6': o.filter.family = SYNACK_AF_INET6; break;
        case O_JSON: o.json = true; break;
        case O_EXPLAIN: o.explain = true; break;
        case O_LANG:
            if (!strcmp(optarg, "en")) o.lang = NS_LANG_EN;
            else if (!strcmp(optarg, "zh")) o.lang = NS_LANG_ZH;
            else {
                fprintf(stderr, "synack netstat: --lang takes en or zh, not '%s'\n", optarg);
                return 2;
            }
            break;
        case O_WATCH: {
            watch = true;
            const char *v = optarg;
            /* "--watch 5" as well as "--watch=5": take a following number */
            if (!v && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9') v = argv[optind++];
            if (v) {
                char *end;
                interval = strtod(v, &end);
                if (*end || !(interval >= 0.1 && interval <= 3600)) {
                    fprintf(stderr, "synack netstat: --watch takes seconds from 0.1 to 3600, not '%s'\n", v);
                    return 2;
                }
            }
            break;
        }
        case O_COUNT: {
            char *end;
            count = strtol(optarg, &end, 10);
            if (*end || count < 1 || count > WATCH_MAX_ITERATIONS) {
                fprintf(stderr, "synack netstat: --count takes 1 to %ld, not '%s'\n", WATCH_MAX_ITERATIONS, optarg);
                return 2;
            }
            break;
        }
        case O_HOST: o.host = true; break;
        case O_PROC: o.proc_only = true; break;
        case O_CONTROL: control = optarg; break;
        case O_DEV:
            if (!*optarg || strlen(optarg) > 15) {
                fprintf(stderr, "synack netstat: bad device name '%s'\n", optarg);
                return 2;
            }
            dev = optarg;
            break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "synack netstat: option '%s' needs a value\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        default:
            if (optopt) fprintf(stderr, "synack netstat: unknown option '-%c'\n", optopt);
            else fprintf(stderr, "synack netstat: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    char err[300];
    if (!ns_filter_parse(&o.filter, argc - optind, argv + optind, err, sizeof err)) {
        fprintf(stderr, "synack netstat: %s\n", err);
        return 2;
    }
    if (o.proc_only && !o.host) {
        fprintf(stderr, "synack netstat: --proc goes with --host\n");
        return 2;
    }
    if (o.host && (control || dev)) {
        fprintf(stderr, "synack netstat: --host reads the kernel's sockets; --control/--dev name a synack\n");
        return 2;
    }
    if (count && !watch) {
        fprintf(stderr, "synack netstat: --count goes with --watch\n");
        return 2;
    }
    if (udp_only && !tcp) {
        /* netstat -u: synack speaks TCP only, and --host reads TCP sockets: nothing to list. */
        fprintf(stderr, "synack netstat: no UDP here (synack is TCP only); -t lists TCP\n");
        return 0;
    }
    char path[128] = "";
    if (!o.host) {
        if (control) net_control_resolve(control, path, sizeof path);
        else if (dev) net_control_default(dev, path, sizeof path);
        else {
            int rc = net_control_find("synack netstat", path, sizeof path);
            if (rc) return rc;
        }
    }
    if (o.stats) return o.host ? print_host_stats() : print_stats(path);
    if (!watch) return once(&o, path);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the sleep ends at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    long limit = count ? count : WATCH_MAX_ITERATIONS;
    int rc = 0;
    for (long k = 0; k < limit && !stop_requested; k++) {
        if (k > 0) {
            struct timespec ts = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
            if (nanosleep(&ts, NULL) < 0 && stop_requested) break;
        }
        if (!o.json) {
            time_t now = time(NULL);
            struct tm tmv;
            char when[32];
            strftime(when, sizeof when, "%H:%M:%S", localtime_r(&now, &tmv));
            printf("%s-- every %.1fs, %s (%ld) --\n", k ? "\n" : "", interval, when, k + 1);
        }
        rc = once(&o, path);
        if (rc) break;
    }
    return rc;
}

int ns_lang_default(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return !strncmp(v, "zh", 2) ? NS_LANG_ZH : NS_LANG_EN;
    }
    return NS_LANG_EN;
}
