/* fuzz_corpus.c: replays the fuzzers' corpora in the normal suite (ASan + UBSan).
 * - tests/fuzz/corpus/{stack,reass,listen} and tests/fuzz/regressions: the seeds and regression
 *   inputs of tests/fuzz/seeds.h must be on disk byte for byte as the builders write them now
 *   (the current script formats), parse whole, end clean (no leak, no illegal transition,
 *   nothing held) and still reach the states and counters they were recorded for. Any other
 *   file there (saved fuzzer findings) must parse and end clean; the saved regression inputs
 *   also reach what they were recorded for.
 * - tests/fuzz/corpus/wire: every packet goes through the wire fuzzer's checks
 *   (tests/fuzz/wire_parse.c), and the generated ones must still parse.
 * - Every file of every corpus and the regressions goes through every target: the three script
 *   players (each must end clean, whether or not the file is its format) and the wire checks.
 * `unit_fuzz_corpus --write` rewrites the generated files (after a change of format). */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "../fuzz/seeds.h"
#include "../fuzz/wire_parse.c"
#include "test.h"

static bool write_mode;

static const char *repo_path(const char *rel)
{
    static char path[1024];
    /* __FILE__ is this file's absolute path in the CMake build: its directory is tests/unit. */
    const char *slash = strrchr(__FILE__, '/');
    int dir_len = slash ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/../%s", dir_len, slash ? __FILE__ : ".", rel);
    return path;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return (size_t)-1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void write_file(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void check_reach(const char *name, const script_result *r, const seed *sd)
{
    if (getenv("SEED_DEBUG")) {
        printf("%s: states", name);
        for (int st = 0; st < SYNACK_STATE_COUNT; st++)
            if (r->states & (1u << st)) printf(" %s", synack_state_rfc_name(st));
        printf("\n  ");
        for (int c = 0; c < SYNACK_COUNTER_COUNT; c++)
            if (r->counters[c]) printf(" %s=%llu", synack_counter_name(c), (unsigned long long)r->counters[c]);
        printf("\n");
    }
    if (!r->parsed || !r->ok || (!sd->saved && !r->whole))
        test_fail(__FILE__, __LINE__, "%s: parsed %d whole %d ok %d", name, r->parsed, r->whole, r->ok);
    uint32_t missing = sd->states & ~r->states;
    for (int st = 0; st < SYNACK_STATE_COUNT; st++)
        if (missing & (1u << st))
            test_fail(__FILE__, __LINE__, "%s: no longer reaches %s", name, synack_state_rfc_name(st));
    for (int i = 0; i < 4 && sd->counters[i]; i++)
        if (!r->counters[sd->counters[i]])
            test_fail(__FILE__, __LINE__, "%s: counter %s stayed 0", name, synack_counter_name(sd->counters[i]));
    test_checks++;
}

/* The directory (under tests/) of a seed's file. */
static const char *seed_dir(const seed *sd)
{
    static char d[64];
    if (sd->regression) return "fuzz/regressions";
    snprintf(d, sizeof d, "fuzz/corpus/%s", seed_target_dir[sd->target]);
    return d;
}

static void seed_file(const seed *sd, int f, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s.bin", sd->both_families ? (f ? "v6_" : "v4_") : "", sd->name);
}

/* Is `file` one of the generated inputs of dir? */
static bool generated(const char *dir, const char *file)
{
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        const seed *sd = &seeds[i];
        if (strcmp(dir, seed_dir(sd))) continue;
        char n[128];
        for (int f = 0; f < (sd->both_families ? 2 : 1); f++) {
            seed_file(sd, f, n, sizeof n);
            if (!strcmp(n, file)) return true;
        }
    }
    return false;
}

static void generated_seeds(void)
{
    static uint8_t disk[65536];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        const seed *sd = &seeds[i];
        for (int f = 0; f < (sd->both_families ? 2 : 1); f++) {
            script_buf b;
            seed_build(sd, f ? 4 : 0, &b);
            char file[128], rel[256];
            seed_file(sd, f, file, sizeof file);
            snprintf(rel, sizeof rel, "%s/%s", seed_dir(sd), file);
            const char *path = repo_path(rel);
            if (write_mode) write_file(path, b.b, b.n);
            size_t n = read_file(path, disk, sizeof disk);
            if (n != b.n || memcmp(disk, b.b, b.n) != 0)
                test_fail(__FILE__, __LINE__, "%s is not what seeds.h builds now: rerun with --write", rel);
            script_result r;
            seed_target_run(sd->target, b.b, b.n, &r);
            check_reach(rel, &r, sd);
        }
    }
}

/* Inputs the fuzzer found, saved as they were (their last operation may be cut short), with what
 * they reached when recorded. */
static const seed saved[] = {
    /* a zero-window probe before our SYN was acknowledged (tests/regress/persist_before_established.c) */
    {"persist_before_established", true, NULL, false, 0, ST(SYN_SENT) | ST(SYN_RECEIVED) | ST(FIN_WAIT_1),
     {SYNACK_CNT_tcp_rto_fired}, true, T_STACK},
    /* everything in flight SACKed, a timeout under a zero window, the window reopened: no timer
     * was left running (input.c window_update) */
    {"sacked_flight_no_timer", true, NULL, false, 0, ST(ESTABLISHED) | ST(FIN_WAIT_1),
     {SYNACK_CNT_tcp_rto_fired, SYNACK_CNT_tcp_old_ack}, true, T_STACK},
    /* out-of-order data held, shutdown(SHUT_RD), then in-order data past the held range: the
     * range was left behind RCV.NXT (tests/regress/shut_rd_ooo.c) */
    {"shut_rd_ooo", true, NULL, false, 0, ST(SYN_RECEIVED) | ST(ESTABLISHED), {SYNACK_CNT_tcp_ooo, SYNACK_CNT_tcp_challenge_ack}, true, T_STACK},
};

/* The corpus directories (under tests/) of the script targets, and the target of each. */
static const struct { const char *dir; int target; } script_dirs[] = {
    {"fuzz/corpus/stack", T_STACK}, {"fuzz/corpus/reass", T_REASS}, {"fuzz/corpus/listen", T_LISTEN},
    {"fuzz/regressions", T_STACK},
};

/* Every other file in the script corpora: scripts of the current version that end clean; the
 * saved findings above also reach what they were recorded for. */
static void saved_files(void)
{
    static uint8_t data[65536];
    size_t known_seen = 0;
    for (size_t d = 0; d < sizeof script_dirs / sizeof script_dirs[0]; d++) {
        char dirpath[1024];
        snprintf(dirpath, sizeof dirpath, "%s", repo_path(script_dirs[d].dir));
        DIR *dir = opendir(dirpath);
        CHECK(dir != NULL);
        if (!dir) continue;
        struct dirent *e;
        int files = 0;
        while ((e = readdir(dir))) {
            if (e->d_name[0] == '.' || generated(script_dirs[d].dir, e->d_name)) continue;
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", dirpath, e->d_name);
            size_t n = read_file(p, data, sizeof data);
            script_result r;
            seed_target_run(script_dirs[d].target, data, n, &r);
            const seed *known = NULL;
            for (size_t i = 0; i < sizeof saved / sizeof saved[0]; i++) {
                char fn[128];
                snprintf(fn, sizeof fn, "%s.bin", saved[i].name);
                if (!strcmp(fn, e->d_name) && saved[i].target == script_dirs[d].target &&
                    saved[i].regression == !strcmp(script_dirs[d].dir, "fuzz/regressions"))
                    known = &saved[i];
            }
            if (known) {
                check_reach(p, &r, known);
                known_seen++;
            } else if (!r.parsed || !r.ok) {
                test_fail(__FILE__, __LINE__, "%s/%s: parsed %d ok %d", script_dirs[d].dir, e->d_name, r.parsed, r.ok);
            }
            files++;
        }
        closedir(dir);
        printf("%s: %d saved inputs beyond the generated ones\n", script_dirs[d].dir, files);
    }
    CHECK_EQ(known_seen, sizeof saved / sizeof saved[0]); /* none went missing */
}

/* Every file of every corpus through every target: none may break any of them. */
static void every_input_every_target(void)
{
    static const char *const dirs[] = {"fuzz/corpus/stack", "fuzz/corpus/reass", "fuzz/corpus/listen",
                                       "fuzz/regressions", "fuzz/corpus/wire"};
    static uint8_t data[65536];
    int files = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dirpath[1024];
        snprintf(dirpath, sizeof dirpath, "%s", repo_path(dirs[d]));
        DIR *dir = opendir(dirpath);
        CHECK(dir != NULL);
        if (!dir) continue;
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (e->d_name[0] == '.') continue;
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", dirpath, e->d_name);
            size_t n = read_file(p, data, sizeof data);
            for (int t = 0; t < T_COUNT; t++) {
                script_result r;
                seed_target_run(t, data, n, &r);
                if (!r.ok) test_fail(__FILE__, __LINE__, "%s/%s through the %s target: not clean", dirs[d], e->d_name,
                                     seed_target_dir[t]);
                test_checks++;
            }
            LLVMFuzzerTestOneInput(data, n); /* the wire checks abort on a violation */
            files++;
        }
        closedir(dir);
    }
    printf("%d files through %d targets\n", files, T_COUNT + 1);
}

/* ---- the wire corpus ---- */

static size_t v4_syn(uint8_t *pkt, bool opts, size_t data)
{
    uint8_t *tcp = pkt + 20;
    tcp_opts o;
    memset(&o, 0, sizeof o);
    if (opts) {
        o.has_mss = true, o.mss = 1460, o.has_wscale = true, o.wscale = 7, o.sack_ok = true;
        o.has_ts = true, o.ts_val = 1, o.ts_ecr = 0;
    }
    size_t ol = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, true);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = 40000, h.dport = 80, h.seq = 1000, h.flags = SYNACK_SYN, h.wnd = 65535;
    size_t th = tcp_hdr_emit(tcp, 60, &h, ol);
    memset(tcp + th, 'x', data);
    tcp_cksum_set(tcp, th + data, script_peer4, script_our4);
    ip4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64, ip.proto = IP_PROTO_TCP;
    memcpy(ip.src, script_peer4, 4);
    memcpy(ip.dst, script_our4, 4);
    ip4_emit(pkt, 20, &ip, th + data);
    return 20 + th + data;
}

static size_t v4_sack_ack(uint8_t *pkt)
{
    uint8_t *tcp = pkt + 20;
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true, o.ts_val = 5, o.ts_ecr = 6, o.sack_count = 3;
    for (int i = 0; i < 3; i++) o.sack[i].left = 2000u + 100u * (uint32_t)i, o.sack[i].right = 2050u + 100u * (uint32_t)i;
    size_t ol = tcp_opts_emit(tcp + TCP_HDR_LEN, 40, &o, false);
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = 40000, h.dport = 80, h.seq = 5000, h.ack = 2000, h.flags = SYNACK_ACK, h.wnd = 100;
    size_t th = tcp_hdr_emit(tcp, 60, &h, ol);
    tcp_cksum_set(tcp, th, script_peer4, script_our4);
    ip4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64, ip.proto = IP_PROTO_TCP;
    memcpy(ip.src, script_peer4, 4);
    memcpy(ip.dst, script_our4, 4);
    ip4_emit(pkt, 20, &ip, th);
    return 20 + th;
}

/* IPv6 with a hop-by-hop and a destination options header before TCP; `frag` adds an atomic
 * fragment header too. */
static size_t v6_ext(uint8_t *pkt, bool frag)
{
    uint8_t *p = pkt + 40;
    size_t off = 0;
    p[off] = 60, p[off + 1] = 0, memset(p + off + 2, 0, 6), p[off + 2] = 1, p[off + 3] = 4; /* PadN */
    off += 8;
    p[off] = frag ? 44 : IP_PROTO_TCP, p[off + 1] = 0, memset(p + off + 2, 0, 6), p[off + 2] = 1, p[off + 3] = 4;
    off += 8;
    if (frag) {
        memset(p + off, 0, 8);
        p[off] = IP_PROTO_TCP;
        wr32(p + off + 4, 77);
        off += 8;
    }
    uint8_t *tcp = p + off;
    tcp_seg h;
    memset(&h, 0, sizeof h);
    h.sport = 40000, h.dport = 80, h.seq = 1, h.flags = SYNACK_SYN, h.wnd = 1000;
    size_t th = tcp_hdr_emit(tcp, 60, &h, 0);
    wr16(tcp + 16, 0);
    wr16(tcp + 16, cksum_fold(cksum_add(cksum_pseudo_ip6(script_peer6, script_our6, (uint32_t)th, IP_PROTO_TCP), tcp, th)));
    ip6_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.next = 0, ip.hlim = 64;
    memcpy(ip.src, script_peer6, 16);
    memcpy(ip.dst, script_our6, 16);
    ip6_emit(pkt, 40, &ip, off + th);
    return 40 + off + th;
}

static bool wire_parses(const uint8_t *pkt, size_t n)
{
    ip4_hdr h4;
    ip6_hdr h6;
    const uint8_t *pl;
    size_t pll;
    tcp_seg s;
    if ((pkt[0] >> 4) == 4)
        return ip4_parse(pkt, n, &h4, &pl, &pll) == WIRE_OK && tcp_parse(pl, pll, h4.src, h4.dst, &s) == WIRE_OK;
    return ip6_parse(pkt, n, &h6, &pl, &pll) == WIRE_OK && tcp_parse(pl, pll, NULL, NULL, &s) == WIRE_OK;
}

/* A fragment parses as one: WIRE_IP_FRAGMENT with its payload inside the packet. */
static bool wire_is_fragment(const uint8_t *pkt, size_t n)
{
    ip4_hdr h4;
    ip6_hdr h6;
    const uint8_t *pl;
    size_t pll;
    if ((pkt[0] >> 4) == 4) return ip4_parse(pkt, n, &h4, &pl, &pll) == WIRE_IP_FRAGMENT && pl + pll <= pkt + n;
    return ip6_parse(pkt, n, &h6, &pl, &pll) == WIRE_IP_FRAGMENT && pl + pll <= pkt + n && h6.frag_off == 64;
}

static void wire_corpus(void)
{
    static uint8_t pkt[2048], disk[65536];
    enum { GEN = 8 };
    struct { const char *name; size_t n; } gen[GEN];
    static uint8_t bufs[GEN][2048];
    gen[0].name = "v4_syn_opts.bin", gen[0].n = v4_syn(bufs[0], true, 0);
    gen[1].name = "v4_syn_data.bin", gen[1].n = v4_syn(bufs[1], false, 100);
    gen[2].name = "v4_ack_sack_ts.bin", gen[2].n = v4_sack_ack(bufs[2]);
    gen[3].name = "v6_ext_syn.bin", gen[3].n = v6_ext(bufs[3], false);
    gen[4].name = "v6_atomic_frag_syn.bin", gen[4].n = v6_ext(bufs[4], true);
    gen[5].name = "v4_ip_options.bin";
    { /* an IPv4 header with options (NOPs and end of list) */
        size_t n = v4_syn(pkt, true, 10);
        memcpy(bufs[5], pkt, 20);
        memset(bufs[5] + 20, 1, 7), bufs[5][27] = 0;
        memcpy(bufs[5] + 28, pkt + 20, n - 20);
        bufs[5][0] = 0x47;
        wr16(bufs[5] + 2, (uint16_t)(n + 8));
        wr16(bufs[5] + 10, 0);
        wr16(bufs[5] + 10, cksum_fold(cksum_add(0, bufs[5], 28)));
        gen[5].n = n + 8;
    }
    { /* fragments: IPv4 (MF, offset 0) and IPv6 (offset 64, after a hop-by-hop header) */
        size_t n = v4_syn(pkt, true, 100);
        gen[6].name = "v4_fragment.bin";
        gen[6].n = fz_frag(bufs[6], sizeof bufs[6], false, script_peer4, IP_PROTO_TCP, 7, pkt + 20, n - 20, 0, 64, true, false);
        gen[7].name = "v6_fragment_hbh.bin";
        gen[7].n = fz_frag(bufs[7], sizeof bufs[7], true, script_peer6, IP_PROTO_TCP, 9, pkt + 20, n - 20, 64, n - 84, false, true);
    }
    for (int i = 0; i < GEN; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "fuzz/corpus/wire/%s", gen[i].name);
        const char *path = repo_path(rel);
        if (write_mode) write_file(path, bufs[i], gen[i].n);
        size_t n = read_file(path, disk, sizeof disk);
        if (n != gen[i].n || memcmp(disk, bufs[i], n) != 0)
            test_fail(__FILE__, __LINE__, "%s is not what this test builds now: rerun with --write", rel);
        if (i < 6 ? !wire_parses(bufs[i], gen[i].n) : !wire_is_fragment(bufs[i], gen[i].n))
            test_fail(__FILE__, __LINE__, "%s no longer parses", rel);
        test_checks++;
    }
    /* Every file, generated or saved: the wire fuzzer's own checks (they abort on a violation). */
    char dirpath[1024];
    snprintf(dirpath, sizeof dirpath, "%s", repo_path("fuzz/corpus/wire"));
    DIR *dir = opendir(dirpath);
    CHECK(dir != NULL);
    if (!dir) return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dirpath, e->d_name);
        size_t n = read_file(p, disk, sizeof disk);
        LLVMFuzzerTestOneInput(disk, n);
        test_checks++;
    }
    closedir(dir);
}

int main(int argc, char **argv)
{
    write_mode = argc > 1 && !strcmp(argv[1], "--write");
    if (write_mode) {
        mkdir(repo_path("fuzz/corpus"), 0755);
        mkdir(repo_path("fuzz/corpus/stack"), 0755);
        mkdir(repo_path("fuzz/corpus/wire"), 0755);
        mkdir(repo_path("fuzz/corpus/reass"), 0755);
        mkdir(repo_path("fuzz/corpus/listen"), 0755);
    }
    RUN(generated_seeds);
    RUN(saved_files);
    RUN(wire_corpus);
    RUN(every_input_every_target);
    return test_report();
}
