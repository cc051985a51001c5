/* ladder_cli.c: `synack ladder [--list] [--conn N|A:P,B:P] [--svg OUT] FILE.pcap` and
 * `synack ladder --scenario N`: reads the segments (two passes over a file: connections first,
 * then the chosen one's segments, so memory follows one connection), then draws them. */
#include "ladder_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conv.h"
#include "demo.h"
#include "ladder_draw.h"
#include "ladder_model.h"
#include "pcap_read.h"

bool seg_vec_push(seg_vec *sv, const tcp_seg *s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 64;
        tcp_seg *v = realloc(sv->v, cap * sizeof *v);
        if (!v) return false;
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = *s;
    return true;
}

void seg_vec_free(seg_vec *sv)
{
    free(sv->v);
    memset(sv, 0, sizeof *sv);
}

long seg_vec_pick(const seg_vec *sv, long conn, seg_vec *out)
{
    conv_table t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < sv->n; i++) {
        long k = conv_add(&t, &sv->v[i]);
        if (k < 0 || (k + 1 == conn && !seg_vec_push(out, &sv->v[i]))) {
            conv_free(&t);
            return -1;
        }
    }
    long n = (long)t.n;
    conv_free(&t);
    return n;
}

/* ---- which connection ---- */

typedef struct choice {
    long number;                 /* 1-based; 0: by tuple */
    tcp_seg tuple;               /* src/sport and dst/dport (either direction matches) */
} choice;

/* "198.18.0.1:80" or "[2001:db8::1]:80" */
static bool parse_endpoint(const char *text, uint8_t *addr, uint8_t *family, uint16_t *port)
{
    char host[64];
    const char *colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host) return false;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = 0;
        colon = close + 1;
        *family = 6;
    } else {
        colon = strrchr(text, ':');
        if (!colon || (size_t)(colon - text) >= sizeof host) return false;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = 0;
        *family = 4;
    }
    memset(addr, 0, 16);
    if (inet_pton(*family == 6 ? AF_INET6 : AF_INET, host, addr) != 1) return false;
    uint32_t p;
    if (!cli_parse_u32(colon + 1, 0, 65535, &p)) return false;
    *port = (uint16_t)p;
    return true;
}

static bool parse_choice(const char *arg, choice *c)
{
    memset(c, 0, sizeof *c);
    uint32_t n;
    if (cli_parse_u32(arg, 1, 1000000000u, &n)) {
        c->number = n;
        return true;
    }
    const char *comma = strchr(arg, ',');
    char a[80];
    if (!comma || (size_t)(comma - arg) >= sizeof a) return false;
    memcpy(a, arg, (size_t)(comma - arg));
    a[comma - arg] = 0;
    uint8_t fb;
    return parse_endpoint(a, c->tuple.src, &c->tuple.family, &c->tuple.sport) &&
           parse_endpoint(comma + 1, c->tuple.dst, &fb, &c->tuple.dport) && fb == c->tuple.family;
}

/* The 1-based number of the first connection with the choice's tuple, or 0. */
static long find_tuple(const conv_table *t, const choice *c)
{
    for (size_t i = 0; i < t->n; i++)
        if (conv_same_tuple(&t->v[i], &c->tuple)) return (long)i + 1;
    return 0;
}

/* ---- sources ---- */

/* Pass 1 (list) or pass 2 (collect connection `want`, or every segment when want is 0) over a
 * file. 0, or an exit status. */
static int read_file(const char *path, conv_table *t, long want, seg_vec *out, synack_time_us *first)
{
    pcap_reader r;
    char err[512];
    if (!pcap_reader_open(&r, path, err, sizeof err)) {
        fprintf(stderr, "synack ladder: %s\n", err);
        return 1;
    }
    synack_time_us ts;
    const uint8_t *pkt;
    size_t len;
    uint64_t not_tcp = 0;
    bool any = false;
    while (pcap_reader_next(&r, &ts, &pkt, &len) == 1) {
        if (!any && first) *first = ts;
        any = true;
        tcp_seg s;
        const char *why;
        if (!tcp_seg_decode(pkt, len, ts, &s, &why)) {
            not_tcp++;
            continue;
        }
        long k = conv_add(t, &s);
        if (k < 0 || (out && (k + 1 == want || !want) && !seg_vec_push(out, &s))) {
            fprintf(stderr, "synack ladder: out of memory\n");
            pcap_reader_close(&r);
            return 1;
        }
    }
    if (r.truncated && !out) fprintf(stderr, "synack ladder: %s ends inside a record (truncated capture)\n", path);
    pcap_reader_close(&r);
    (void)not_tcp;
    return 0;
}

static void scenario_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                         size_t len)
{
    (void)from;
    (void)to;
    if (what != SYNACK_TAP_SENT) return;
    tcp_seg s;
    const char *why;
    if (tcp_seg_decode(pkt, len, t, &s, &why)) seg_vec_push(ctx, &s);
}

/* Every segment a demo scenario's link carried (its text output discarded). */
static int read_scenario(int n, seg_vec *all)
{
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull) {
        fprintf(stderr, "synack ladder: /dev/null: %s\n", strerror(errno));
        return 1;
    }
    demo_hooks h = {.ctx = all, .tap = scenario_tap};
    int rc = demo_run_hooked(devnull, n, NULL, false, &h);
    fclose(devnull);
    if (rc) fprintf(stderr, "synack ladder: scenario %d did not run as the demo expects\n", n);
    return rc;
}

/* ---- drawing ---- */

/* --segments: the numbers of every segment sent, tab-separated, as the drawing labels them (for
 * scripts, and for the test that holds them against tshark's dissection). */
static void print_segments(const ladder_model *m, long conn)
{
    for (size_t i = 0; i < m->nrows; i++) {
        const lm_row *r = &m->rows[i];
        if (r->arrival) continue;
        const tcp_seg *s = &m->segs[r->seg];
        printf("%ld\t%llu.%06llu\t0x%04x\t%u\t%u\t%u\t%u\t%s\n", conn, (unsigned long long)((s->t - m->t0) / 1000000u),
               (unsigned long long)((s->t - m->t0) % 1000000u), s->flags, r->rel_seq, r->rel_ack, s->len, r->win,
               m->name[r->from]);
    }
}

static int draw(const seg_vec *segs, synack_time_us t0, const char *title, const char *svg_path, long segments)
{
    ladder_model m;
    if (!ladder_model_build(&m, segs->v, segs->n)) {
        fprintf(stderr, "synack ladder: out of memory\n");
        return 1;
    }
    m.t0 = t0;
    if (segments) {
        print_segments(&m, segments);
    } else {
        printf("%s\n", title);
        ladder_draw_text(stdout, &m);
    }
    int rc = 0;
    if (svg_path) {
        FILE *f = fopen(svg_path, "w");
        if (!f) {
            fprintf(stderr, "synack ladder: cannot write %s: %s\n", svg_path, strerror(errno));
            rc = 1;
        } else {
            ladder_draw_svg(f, &m, title, NULL);
            if (fclose(f) != 0) {
                fprintf(stderr, "synack ladder: cannot write %s: %s\n", svg_path, strerror(errno));
                rc = 1;
            }
        }
    }
    ladder_model_free(&m);
    return rc;
}

/* --segments for every connection: all segments in memory once, grouped by connection with a
 * counting sort (linear, however many connections), each group numbered as its ladder would be. */
static int all_segments(const char *path, seg_vec *all, synack_time_us t0)
{
    conv_table t;
    memset(&t, 0, sizeof t);
    if (path) {
        int rc = read_file(path, &t, 0, all, NULL);
        conv_free(&t);
        memset(&t, 0, sizeof t);
        if (rc) return rc;
    }
    size_t n = all->n;
    long *conn = malloc((n ? n : 1) * sizeof *conn);
    tcp_seg *sorted = malloc((n ? n : 1) * sizeof *sorted);
    size_t *start = NULL;
    int rc = !conn || !sorted;
    for (size_t i = 0; !rc && i < n; i++)
        if ((conn[i] = conv_add(&t, &all->v[i])) < 0) rc = 1;
    if (!rc && !(start = calloc(t.n + 1, sizeof *start))) rc = 1;
    if (!rc) {
        for (size_t i = 0; i < n; i++) start[conn[i] + 1]++;
        for (size_t k = 0; k < t.n; k++) start[k + 1] += start[k];
        size_t *fill = start; /* advances to each group's end, then is rebuilt below */
        for (size_t i = 0; i < n; i++) sorted[fill[conn[i]]++] = all->v[i];
        for (size_t k = t.n; k > 0; k--) start[k] = start[k - 1];
        start[0] = 0;
        for (size_t k = 0; !rc && k < t.n; k++) {
            seg_vec group = {sorted + start[k], start[k + 1] - start[k], 0};
            rc = draw(&group, t0, "", NULL, (long)k + 1);
        }
    }
    if (rc && !conn) fprintf(stderr, "synack ladder: out of memory\n");
    free(conn);
    free(sorted);
    free(start);
    conv_free(&t);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack ladder [options] FILE.pcap\n"
            "       synack ladder [options] --scenario N\n"
            "  the sequence diagram of one TCP connection: flags, seq and ack relative to each\n"
            "  side's ISN (as Wireshark shows them), len and window, and each side's state as the\n"
            "  segments imply it (RFC 9293 3.3.2)\n"
            "  -l, --list          list the capture's connections (numbers for --conn)\n"
            "  -c, --conn N|A:P,B:P  draw connection N of --list, or the first with that 4-tuple\n"
            "                      (IPv6 as [2001:db8::1]:80); default 1\n"
            "  -o, --svg FILE      also write the diagram as a standalone SVG\n"
            "  -S, --segments      instead of the drawing, one tab-separated line per segment:\n"
            "                      connection, time, flags, seq, ack, len, win (as drawn),\n"
            "                      sender; every connection unless --conn picks one\n"
            "  -s, --scenario N    the segments of demo scenario N (1-%d) instead of a file\n"
            "  -h, --help          this text;  --version  the version\n"
            "Reads classic pcap (Ethernet, raw IP, Linux cooked, loopback; IPv4 and IPv6).\n",
            DEMO_SCENARIOS);
}

int cmd_ladder(int argc, char **argv)
{
    bool list = false, segments = false;
    const char *svg = NULL, *conn_arg = NULL;
    int scenario = 0;
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'},
        {"conn", required_argument, NULL, 'c'},
        {"svg", required_argument, NULL, 'o'},
        {"segments", no_argument, NULL, 'S'},
        {"scenario", required_argument, NULL, 's'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    cli c;
    cli_init(&c, "synack ladder", argc, argv, "lc:o:Ss:" CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    choice ch = {1, {0}};
    for (int opt; (opt = cli_next(&c, &arg)) != -1;) {
        switch (opt) {
        case 'l': list = true; break;
        case 'c':
            if (!parse_choice(arg, &ch)) return cli_bad_value(&c, arg, "N or ADDR:PORT,ADDR:PORT");
            conn_arg = arg;
            break;
        case 'o': svg = arg; break;
        case 'S': segments = true; break;
        case 's': {
            uint32_t n;
            if (!cli_parse_u32(arg, 1, DEMO_SCENARIOS, &n)) {
                char want[32];
                snprintf(want, sizeof want, "1-%d", DEMO_SCENARIOS);
                return cli_bad_value(&c, arg, want);
            }
            scenario = (int)n;
            break;
        }
        case 'h': usage(stdout); return 0;
        case CLI_OPT_VERSION: cli_version(stdout); return 0;
        default: return CLI_EXIT_USAGE;
        }
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) return cli_usage_error("synack ladder", "unexpected argument '%s'", argv[optind + 1]);
    if (!path == !scenario)
        return cli_usage_error("synack ladder", scenario ? "give a capture file or --scenario, not both"
                                                         : "missing capture file (or --scenario N)");

    conv_table t;
    memset(&t, 0, sizeof t);
    seg_vec all = {0}, one = {0};
    synack_time_us t0 = 0; /* the capture's first IP packet, or the scenario's time 0 */
    int rc;
    char title[256];
    if (scenario) { /* all segments are in memory already: group them in one pass */
        rc = read_scenario(scenario, &all);
        for (size_t i = 0; !rc && i < all.n; i++)
            if (conv_add(&t, &all.v[i]) < 0) rc = 1;
        snprintf(title, sizeof title, "synack demo scenario %d: %s", scenario, demo_scenario_title(scenario));
    } else {
        rc = read_file(path, &t, 0, NULL, &t0);
        snprintf(title, sizeof title, "%s", path);
    }
    if (rc) goto out;
    if (list) {
        conv_print(stdout, &t);
        goto out;
    }
    if (segments && !conn_arg) { /* every connection, in --list's order */
        printf("#conn\ttime\tflags\tseq\tack\tlen\twin\tfrom\n");
        rc = all_segments(scenario ? NULL : path, &all, t0);
        goto out;
    }
    if (segments) printf("#conn\ttime\tflags\tseq\tack\tlen\twin\tfrom\n");
    long want = ch.number ? ch.number : find_tuple(&t, &ch);
    if (want < 1 || (size_t)want > t.n) {
        if (conn_arg) fprintf(stderr, "synack ladder: no connection %s (%zu in all; --list shows them)\n", conn_arg, t.n);
        else fprintf(stderr, "synack ladder: no TCP connection in %s\n", scenario ? "the scenario" : path);
        rc = 1;
        goto out;
    }
    if (!conn_arg && t.n > 1 && !segments)
        fprintf(stderr, "synack ladder: %zu connections; drawing 1 (--list shows them, --conn picks one)\n", t.n);
    if (scenario) {
        if (seg_vec_pick(&all, want, &one) < 0) rc = 1;
    } else {
        conv_table t2;
        memset(&t2, 0, sizeof t2);
        rc = read_file(path, &t2, want, &one, NULL);
        conv_free(&t2);
    }
    if (rc) goto out;
    char a[64], b[64];
    const conv_info *ci = &t.v[want - 1];
    size_t tl = strlen(title);
    snprintf(title + tl, sizeof title - tl, ", connection %ld: %s - %s", want,
             tcp_seg_endpoint(ci->a, ci->family, ci->pa, a, sizeof a),
             tcp_seg_endpoint(ci->b, ci->family, ci->pb, b, sizeof b));
    /* Times count from the capture's first packet (Wireshark's default), or the scenario's 0. */
    rc = draw(&one, t0, title, svg, segments ? want : 0);
out:
    conv_free(&t);
    seg_vec_free(&all);
    seg_vec_free(&one);
    fflush(stdout);
    return rc;
}
