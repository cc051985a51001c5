/* run.c: `synack run [options] -- PROG ARGS`: runs an unmodified program with its TCP sockets on
 * synack. It only finds libsynack-preload.so, puts it in LD_PRELOAD, passes the stack's
 * configuration in SYNACK_* environment variables (the library's whole interface: see
 * src/preload/runtime.c) and execs the program. The stack starts inside the program, on its
 * first TCP socket. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"

#define PRELOAD_NAME "libsynack-preload.so"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack run [options] [--] PROG [ARGS...]\n"
            "  runs PROG with its TCP sockets (AF_INET/AF_INET6 SOCK_STREAM) on a synack stack\n"
            "  on a TUN device; files, pipes, UDP and Unix sockets stay with the kernel.\n"
            "  --dev NAME         TUN device (default " NET_DEFAULT_DEV "; created when missing)\n"
            "  --no-create        fail instead of creating the device\n"
            "  --addr A.B.C.D     synack's IPv4 address (default 198.18.0.2)\n"
            "  --addr6 X::Y       synack's IPv6 address (default 2001:db8::2)\n"
            "                     (giving only one of --addr/--addr6 leaves the other family off)\n"
            "  --mtu N            set the device's MTU\n"
            "  --sndbuf N, --rcvbuf N  default socket buffers in bytes\n"
            "  --control PATH     control socket for `synack netstat` (default " NET_CONTROL_DIR
            "/<dev>.ctl)\n"
            "  --linger MS        at exit, wait up to MS for data and FINs to be acknowledged\n"
            "                     (default 10000)\n"
            "  --seed N           reproducible ISNs and ports (default: a random secret)\n"
            "  --lib PATH         the preload library (default: next to this program, or\n"
            "                     $SYNACK_PRELOAD_LIB)\n"
            "  -v, --verbose      log the stack's start (-vv more, -vvv every core event)\n"
            "  -h, --help         this text\n"
            "  Same as: LD_PRELOAD=" PRELOAD_NAME " SYNACK_DEV=... SYNACK_ADDR=... PROG ARGS\n"
            "  A forked child without exec has no synack sockets (EBADF) and makes none\n"
            "  (ENETDOWN); after exec a program may start its own stack once the device is free.\n");
}

/* The library: --lib, $SYNACK_PRELOAD_LIB, next to the synack binary, or ../lib of it. */
static bool find_lib(const char *given, char *out, size_t cap)
{
    const char *cands[4] = {given, getenv("SYNACK_PRELOAD_LIB"), NULL, NULL};
    char self[PATH_MAX], here[PATH_MAX + 64], lib[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) *slash = 0;
        snprintf(here, sizeof here, "%s/" PRELOAD_NAME, self);
        snprintf(lib, sizeof lib, "%s/../lib/" PRELOAD_NAME, self);
        cands[2] = here;
        cands[3] = lib;
    }
    for (int i = 0; i < 4; i++) {
        if (!cands[i] || !*cands[i]) continue;
        char real[PATH_MAX];
        if (realpath(cands[i], real) && access(real, R_OK) == 0 && strlen(real) < cap) {
            strcpy(out, real);
            return true;
        }
        if (i < 2) {
            fprintf(stderr, "synack run: %s: %s\n", cands[i], strerror(errno ? errno : ENOENT));
            return false;
        }
    }
    fprintf(stderr, "synack run: cannot find " PRELOAD_NAME " (give --lib PATH)\n");
    return false;
}

static int bad(const char *opt, const char *v)
{
    fprintf(stderr, "synack run: bad value '%s' for --%s\n", v, opt);
    return 2;
}

static bool number(const char *v, unsigned long long lo, unsigned long long hi)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    return *v && *v != '-' && !*end && !errno && x >= lo && x <= hi;
}

int cmd_run(int argc, char **argv)
{
    enum { O_DEV = 256, O_NO_CREATE, O_ADDR, O_ADDR6, O_MTU, O_SNDBUF, O_RCVBUF, O_CONTROL, O_LINGER,
           O_SEED, O_LIB };
    static const struct option opts[] = {
        {"dev", required_argument, NULL, O_DEV},       {"no-create", no_argument, NULL, O_NO_CREATE},
        {"addr", required_argument, NULL, O_ADDR},     {"addr6", required_argument, NULL, O_ADDR6},
        {"mtu", required_argument, NULL, O_MTU},       {"sndbuf", required_argument, NULL, O_SNDBUF},
        {"rcvbuf", required_argument, NULL, O_RCVBUF}, {"control", required_argument, NULL, O_CONTROL},
        {"linger", required_argument, NULL, O_LINGER}, {"seed", required_argument, NULL, O_SEED},
        {"lib", required_argument, NULL, O_LIB},       {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    const char *dev = NET_DEFAULT_DEV, *addr = NULL, *addr6 = NULL, *mtu = NULL, *sndbuf = NULL,
               *rcvbuf = NULL, *control = NULL, *linger = NULL, *seed = NULL, *lib = NULL;
    bool no_create = false;
    int verbose = 0, c;
    synack_addr a;
    optind = 1;
    opterr = 0;
    /* "+": options end at the program's name, so its own options stay its own. */
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        switch (c) {
        case O_DEV:
            if (!*optarg || strlen(optarg) > 15) return bad("dev", optarg);
            dev = optarg;
            break;
        case O_NO_CREATE: no_create = true; break;
        case O_ADDR:
            if (!net_addr_parse(optarg, &a) || a.family != SYNACK_AF_INET) return bad("addr", optarg);
            addr = optarg;
            break;
        case O_ADDR6:
            if (!net_addr_parse(optarg, &a) || a.family != SYNACK_AF_INET6) return bad("addr6", optarg);
            addr6 = optarg;
            break;
        case O_MTU:
            if (!number(optarg, 576, 65535)) return bad("mtu", optarg);
            mtu = optarg;
            break;
        case O_SNDBUF:
        case O_RCVBUF:
            if (!number(optarg, 1024, 64u << 20)) return bad(c == O_SNDBUF ? "sndbuf" : "rcvbuf", optarg);
            *(c == O_SNDBUF ? &sndbuf : &rcvbuf) = optarg;
            break;
        case O_CONTROL:
            if (strlen(optarg) >= 108) return bad("control", optarg);
            control = optarg;
            break;
        case O_LINGER:
            if (!number(optarg, 0, 3600000)) return bad("linger", optarg);
            linger = optarg;
            break;
        case O_SEED:
            if (!number(optarg, 0, UINT64_MAX)) return bad("seed", optarg);
            seed = optarg;
            break;
        case O_LIB: lib = optarg; break;
        case 'v': verbose++; break;
        case 'h': usage(stdout); return 0;
        default:
            if (optopt && optopt < 256) fprintf(stderr, "synack run: unknown option '-%c'\n", optopt);
            else if (optopt) fprintf(stderr, "synack run: option '%s' needs a value\n", name);
            else fprintf(stderr, "synack run: unknown option '%s'\n", name);
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "synack run: no program to run\n");
        usage(stderr);
        return 2;
    }
    char path[PATH_MAX];
    if (!find_lib(lib, path, sizeof path)) return 1;

    /* LD_PRELOAD: ours first, then whatever was there. */
    const char *old = getenv("LD_PRELOAD");
    size_t need = strlen(path) + (old ? strlen(old) + 2 : 1);
    char *pre = malloc(need);
    if (!pre) return 1;
    snprintf(pre, need, "%s%s%s", path, old && *old ? " " : "", old ? old : "");
    char ctl[128], vb[16];
    if (!control) {
        net_control_default(dev, ctl, sizeof ctl);
        control = ctl;
    }
    snprintf(vb, sizeof vb, "%d", verbose);
    struct {
        const char *name, *value;
    } env[] = {{"LD_PRELOAD", pre},          {"SYNACK_DEV", dev},
               {"SYNACK_NO_CREATE", no_create ? "1" : NULL},
               {"SYNACK_ADDR", addr ? addr : addr6 ? "" : NULL},
               {"SYNACK_ADDR6", addr6 ? addr6 : addr ? "" : NULL},
               {"SYNACK_MTU", mtu},          {"SYNACK_SNDBUF", sndbuf},
               {"SYNACK_RCVBUF", rcvbuf},    {"SYNACK_CONTROL", control},
               {"SYNACK_LINGER_MS", linger}, {"SYNACK_SEED", seed},
               {"SYNACK_VERBOSE", verbose ? vb : NULL}};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        int r = env[i].value ? setenv(env[i].name, env[i].value, 1) : unsetenv(env[i].name);
        if (r < 0) {
            fprintf(stderr, "synack run: %s: %s\n", env[i].name, strerror(errno));
            return 1;
        }
    }
    free(pre);
    execvp(argv[optind], argv + optind);
    int e = errno;
    fprintf(stderr, "synack run: cannot run '%s': %s\n", argv[optind], strerror(e));
    return e == ENOENT ? 127 : 126;
}
