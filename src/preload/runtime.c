/* runtime.c: the preload library's stack: configuration from the environment (SYNACK_DEV,
 * SYNACK_ADDR...; `synack run` sets them), the TUN device, the stack and its event loop on a
 * thread of their own, the one lock every call takes, the descriptor table, the readiness
 * mirrors, the wait at exit and fork. It decides nothing about TCP (the core does) and knows
 * nothing of the calls' arguments (calls.c, sockopt.c).
 *
 * Readiness mirrors. The program's descriptor for a synack socket is one end (A) of a Unix
 * stream socketpair; the library holds the other end (B) and a private duplicate of A. A is
 * made to show what synack_poll_socket says, so poll/select/epoll (level or edge triggered)
 * and blocking waits work on it unchanged:
 *   readable: a byte from B sits in A's receive queue (another byte per new data arrival, so
 *             that edge-triggered epoll sees an edge, as the kernel's TCP gives one);
 *   not writable: A's send buffer (set to the minimum) is filled with bytes B does not read;
 *   peer's FIN: B shuts down writing, so A shows EPOLLIN|EPOLLRDHUP for good;
 *   connection gone (POLLHUP): B shuts down both ways, so A shows EPOLLHUP, IN and OUT.
 * What A cannot show is EPOLLERR: an error is shown as readable and writable (and HUP once the
 * connection is closed); poll() and select() report POLLERR exactly (calls.c asks the stack).
 * Mirrors change only under the lock: after every call on the socket and whenever the stack's
 * events name it (the loop thread, after input and timers). */
#include "preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <synack/host.h>
#include <synack/inspect.h>
#include <synack/loop.h>
#include <synack/secret.h>
#include <synack/tun.h>

#include "control.h"

/* ---- the real functions ---- */

pl_real pl_libc;

void pl_real_resolve(void)
{
#define RESOLVE(fn) pl_libc.fn = (__typeof__(pl_libc.fn))dlsym(RTLD_NEXT, #fn)
    RESOLVE(socket);
    RESOLVE(bind);
    RESOLVE(listen);
    RESOLVE(accept);
    RESOLVE(accept4);
    RESOLVE(connect);
    RESOLVE(read);
    RESOLVE(write);
    RESOLVE(readv);
    RESOLVE(writev);
    RESOLVE(send);
    RESOLVE(recv);
    RESOLVE(sendto);
    RESOLVE(recvfrom);
    RESOLVE(sendmsg);
    RESOLVE(recvmsg);
    RESOLVE(sendmmsg);
    RESOLVE(recvmmsg);
    RESOLVE(sendfile);
    RESOLVE(shutdown);
    RESOLVE(close);
    RESOLVE(close_range);
    RESOLVE(dup);
    RESOLVE(dup2);
    RESOLVE(dup3);
    RESOLVE(fcntl);
    RESOLVE(ioctl);
    RESOLVE(getsockopt);
    RESOLVE(setsockopt);
    RESOLVE(getsockname);
    RESOLVE(getpeername);
    RESOLVE(poll);
    RESOLVE(ppoll);
    RESOLVE(select);
    RESOLVE(pselect);
    RESOLVE(splice);
#undef RESOLVE
}

__attribute__((constructor)) static void pl_init(void) { pl_real_resolve(); }

/* ---- the descriptor table: two levels, read without the lock ---- */

#define FDT_CHUNK 1024
#define FDT_CHUNKS 1024 /* descriptors up to 2^20 */

static _Atomic(psock *) *_Atomic fdt[FDT_CHUNKS];

psock *pl_fd_get(int fd)
{
    if (fd < 0 || fd >= FDT_CHUNK * FDT_CHUNKS) return NULL;
    _Atomic(psock *) *c = atomic_load_explicit(&fdt[fd / FDT_CHUNK], memory_order_acquire);
    return c ? atomic_load_explicit(&c[fd % FDT_CHUNK], memory_order_acquire) : NULL;
}

bool pl_fd_internal(int fd) { return pl_fd_get(fd) == PL_INTERNAL; }

/* Holding the lock. */
static bool fd_set_entry(int fd, psock *s)
{
    if (fd < 0 || fd >= FDT_CHUNK * FDT_CHUNKS) return false;
    _Atomic(psock *) *c = atomic_load_explicit(&fdt[fd / FDT_CHUNK], memory_order_acquire);
    if (!c) {
        if (!s) return true;
        c = calloc(FDT_CHUNK, sizeof *c);
        if (!c) return false;
        atomic_store_explicit(&fdt[fd / FDT_CHUNK], c, memory_order_release);
    }
    atomic_store_explicit(&c[fd % FDT_CHUNK], s, memory_order_release);
    return true;
}

/* ---- the runtime ---- */

enum { RT_IDLE, RT_RUNNING, RT_FAILED, RT_STOPPED };

static struct {
    pthread_mutex_t mu;
    pthread_mutex_t start_mu;
    _Atomic int state;
    bool child;               /* fork()ed without exec */
    int fd_base;              /* internal descriptors go at or above this number */
    int tun_fd, kick_fd;      /* kick_fd: a timerfd the loop watches (see kick) */
    synack_time_us kick_at;   /* when it is armed for, or SYNACK_TIME_NEVER */
    synack_stack *st;
    synack_loop *lp;
    control_server *ctl;
    pthread_t thread;
    psock **by_sd;            /* synack descriptor -> psock */
    size_t by_sd_cap;
    uint64_t overflow_seen;
    synack_time_us linger_us; /* how long exit waits for connections to finish sending */
} rt = {.mu = PTHREAD_MUTEX_INITIALIZER, .start_mu = PTHREAD_MUTEX_INITIALIZER, .tun_fd = -1,
        .kick_fd = -1};

void pl_lock(void) { pthread_mutex_lock(&rt.mu); }
void pl_unlock(void) { pthread_mutex_unlock(&rt.mu); }
static void lock_cb(void *ctx) { pl_lock(); }
static void unlock_cb(void *ctx) { pl_unlock(); }

bool pl_forked_child(void) { return rt.child; }

/* Moves a descriptor we own out of the program's low numbers (the kernel hands out the lowest
 * free number, and programs dup2 onto small numbers they choose). */
static int fd_high(int fd)
{
    if (fd < 0 || fd >= rt.fd_base) return fd;
    int h = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, rt.fd_base);
    if (h < 0) return fd;
    REAL(close)(fd);
    return h;
}

bool pl_fd_evict_internal(int fd)
{
    /* The loop knows the device and its wake-up descriptor by number: those cannot move. */
    if (fd == rt.tun_fd || fd == rt.kick_fd) return false;
    int h = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, rt.fd_base > fd ? rt.fd_base : fd + 1);
    if (h < 0) return false;
    bool found = false;
    for (size_t i = 0; i < rt.by_sd_cap; i++) {
        psock *s = rt.by_sd[i];
        if (!s) continue;
        if (s->app_fd == fd) s->app_fd = h, found = true;
        if (s->peer_fd == fd) s->peer_fd = h, found = true;
    }
    if (!found) {
        /* A socket already closed at exit (sd -1) or the control socket: keep it. */
        REAL(close)(h);
        return false;
    }
    fd_set_entry(h, PL_INTERNAL);
    fd_set_entry(fd, NULL);
    REAL(close)(fd);
    return true;
}

static void env_time(const char *name, synack_time_us *out, synack_time_us unit)
{
    const char *v = getenv(name);
    if (!v || !*v) return;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x > UINT64_MAX / unit / 2) return;
    *out = x * unit;
}

static void process_events(synack_stack *st)
{
    synack_event ev;
    uint64_t ov = synack_counter(st, SYNACK_CNT_event_overflow);
    bool all = ov != rt.overflow_seen;
    rt.overflow_seen = ov;
    bool trace = synack_log_level() >= SYNACK_LOG_TRACE;
    char line[256];
    while (synack_event_next(st, &ev)) {
        if (trace) synack_log(SYNACK_LOG_TRACE, "core: %s", synack_event_format(&ev, line, sizeof line));
        if (ev.socket < 0 || (size_t)ev.socket >= rt.by_sd_cap) continue;
        psock *s = rt.by_sd[ev.socket];
        if (s) pl_mirror_update(st, s, ev.type == SYNACK_EV_READABLE);
    }
    /* Events lost to a full ring: look at every socket once. */
    if (all)
        for (size_t i = 0; i < rt.by_sd_cap; i++)
            if (rt.by_sd[i]) pl_mirror_update(st, rt.by_sd[i], true);
}

static void app_cb(synack_loop *lp, void *ctx) { process_events(synack_loop_stack(lp)); }

static void kick_cb(synack_loop *lp, int fd, uint32_t events, void *ctx)
{
    uint64_t v;
    while (REAL(read)(fd, &v, sizeof v) == (ssize_t)sizeof v) continue;
    rt.kick_at = SYNACK_TIME_NEVER;
}

/* A call made the stack's next deadline t earlier than the sleeping loop's: arm the loop's
 * timerfd for t. A system call, but no wake-up now (an eventfd would wake the loop's thread
 * for every send that arms a retransmission timer). Holding the lock. */
static void kick(synack_time_us t)
{
    if (t == rt.kick_at) return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(t / 1000000u);
    its.it_value.tv_nsec = (long)(t % 1000000u) * 1000;
    if (t == 0) its.it_value.tv_nsec = 1; /* zero would disarm it */
    if (timerfd_settime(rt.kick_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0) rt.kick_at = t;
}

static void *loop_thread(void *arg)
{
    int rc = synack_loop_run(rt.lp);
    pl_lock();
    atomic_store(&rt.state, RT_STOPPED);
    /* Wake every blocked caller: its socket now answers ENETDOWN. */
    for (size_t i = 0; i < rt.by_sd_cap; i++)
        if (rt.by_sd[i]) REAL(shutdown)(rt.by_sd[i]->peer_fd, SHUT_RDWR);
    pl_unlock();
    synack_log(SYNACK_LOG_ERROR, "the stack's loop stopped (%d): TCP sockets now fail with ENETDOWN", rc);
    return NULL;
}

static int start_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int start_fail(const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(stderr, "synack preload: %s; TCP sockets fail with ENETDOWN\n", why);
    atomic_store(&rt.state, RT_FAILED);
    return -ENETDOWN;
}

static void fork_prepare(void)
{
    if (atomic_load(&rt.state) == RT_RUNNING) pl_lock();
}

static void fork_parent(void)
{
    if (atomic_load(&rt.state) == RT_RUNNING) pl_unlock();
}

/* The child of fork() has no stack thread and must not share the parent's device: its
 * inherited synack sockets are dead (EBADF) and it makes no new ones (ENETDOWN). After exec
 * the library starts afresh, and a new stack can attach only once the parent let the device go. */
static void fork_child(void)
{
    rt.child = true;
    pthread_mutex_init(&rt.mu, NULL);
    pthread_mutex_init(&rt.start_mu, NULL);
    for (size_t i = 0; i < rt.by_sd_cap; i++)
        if (rt.by_sd[i]) rt.by_sd[i]->dead = true;
}

int pl_start(void)
{
    int state = atomic_load(&rt.state);
    if (state == RT_RUNNING) return 0;
    if (rt.child) return -ENETDOWN;
    pthread_mutex_lock(&rt.start_mu);
    state = atomic_load(&rt.state);
    if (state != RT_IDLE) {
        pthread_mutex_unlock(&rt.start_mu);
        return state == RT_RUNNING ? 0 : -ENETDOWN;
    }
    int r = 0;
    const char *v;
    int verbose = (v = getenv("SYNACK_VERBOSE")) ? atoi(v) : 0;
    synack_log_setup("synack preload", verbose);

    /* Internal descriptors live high; lift the soft limit to the hard one to make room. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        rt.fd_base = (int)(rl.rlim_cur / 2 > 4096 ? 4096 : rl.rlim_cur / 2);
    } else {
        rt.fd_base = 512;
    }

    synack_config cfg;
    synack_config_default(&cfg);
    const char *a4 = getenv("SYNACK_ADDR"), *a6 = getenv("SYNACK_ADDR6");
    if ((!a4 || !*a4) && (!a6 || !*a6)) {
        a4 = "198.18.0.2";
        a6 = "2001:db8::2";
    }
    if (a4 && *a4 && (!synack_addr_parse(a4, &cfg.addr) || cfg.addr.family != SYNACK_AF_INET)) {
        r = start_fail("SYNACK_ADDR='%s' is not an IPv4 address", a4);
        goto out;
    }
    if (a6 && *a6 && (!synack_addr_parse(a6, &cfg.addr6) || cfg.addr6.family != SYNACK_AF_INET6)) {
        r = start_fail("SYNACK_ADDR6='%s' is not an IPv6 address", a6);
        goto out;
    }
    const char *dev = (v = getenv("SYNACK_DEV")) && *v ? v : "tun0";
    int mtu = (v = getenv("SYNACK_MTU")) ? atoi(v) : 0;
    unsigned tflags = (v = getenv("SYNACK_NO_CREATE")) && *v == '1' ? SYNACK_TUN_NO_CREATE : 0;
    char err[300];
    synack_tun_info info;
    int tfd = synack_tun_open(dev, tflags, mtu, &info, err, sizeof err);
    if (tfd < 0) {
        r = start_fail("%s", err);
        goto out;
    }
    rt.tun_fd = fd_high(tfd);
    cfg.mtu = (uint32_t)info.mtu;
    uint32_t mss = (uint32_t)info.mtu - 40;
    cfg.mss = (uint16_t)(mss > 65495 ? 65495 : mss);
    if ((v = getenv("SYNACK_SEED")) && *v) {
        cfg.seed = strtoull(v, NULL, 0);
    } else if (synack_secret_random(&cfg) < 0 || synack_random_bytes(&cfg.seed, sizeof cfg.seed) < 0) {
        r = start_fail("%s", "no random secret from getrandom()");
        goto out;
    }
    if ((v = getenv("SYNACK_SNDBUF")) && *v) cfg.sndbuf_bytes = (uint32_t)strtoul(v, NULL, 10);
    if ((v = getenv("SYNACK_RCVBUF")) && *v) cfg.rcvbuf_bytes = (uint32_t)strtoul(v, NULL, 10);
    /* A drop-in follows the host's congestion control (synack/host.h) unless SYNACK_CC names
     * one; TCP_CONGESTION on a socket still overrides both. */
    v = getenv("SYNACK_CC");
    enum synack_cc_source cc_src = synack_config_host_cc(&cfg, v && *v ? v : NULL);
    synack_log(SYNACK_LOG_INFO, "congestion control: %s (%s)", cfg.congestion_control,
               cc_src == SYNACK_CC_FROM_HOST ? "the host's net.ipv4.tcp_congestion_control"
               : cc_src == SYNACK_CC_FROM_USER ? "SYNACK_CC" : "synack's default");
    rt.linger_us = SYNACK_SEC(10);
    env_time("SYNACK_LINGER_MS", &rt.linger_us, 1000);
    rt.st = synack_stack_new(&cfg);
    if (!rt.st) {
        r = start_fail("%s", "the stack refused its configuration (SYNACK_SNDBUF/SYNACK_RCVBUF/SYNACK_CC?)");
        goto out;
    }
    rt.kick_fd = fd_high(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    rt.kick_at = SYNACK_TIME_NEVER;
    /* The link lives as long as the process (the stack dies with it). */
    synack_link *link = synack_link_tun(rt.tun_fd, info.vnet_hdr);
    synack_loop_config lc = {.link = link, .lock = lock_cb, .unlock = unlock_cb};
    rt.lp = rt.kick_fd >= 0 && link ? synack_loop_new(rt.st, &lc) : NULL;
    if (!rt.lp || synack_loop_watch(rt.lp, rt.kick_fd, EPOLLIN, kick_cb, NULL) < 0) {
        r = start_fail("cannot start the event loop: %s", strerror(errno));
        goto out;
    }
    fd_set_entry(rt.tun_fd, PL_INTERNAL);
    fd_set_entry(rt.kick_fd, PL_INTERNAL);
    synack_loop_set_app(rt.lp, app_cb, NULL);
    if ((v = getenv("SYNACK_CONTROL")) && *v) rt.ctl = control_listen(rt.lp, v);

    /* The stack's thread takes no signals: they are the program's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&rt.thread, NULL, loop_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        r = start_fail("cannot start the stack's thread: %s", strerror(e));
        goto out;
    }
    pthread_detach(rt.thread);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    char b4[48] = "-", b6[48] = "-";
    if (cfg.addr.family) synack_addr_format(&cfg.addr, b4, sizeof b4);
    if (cfg.addr6.family) synack_addr_format(&cfg.addr6, b6, sizeof b6);
    synack_log(SYNACK_LOG_INFO, "pid %d: TCP on %s (mtu %d): %s %s", (int)getpid(), info.name, info.mtu,
               b4, b6);
    atomic_store(&rt.state, RT_RUNNING);
out:
    pthread_mutex_unlock(&rt.start_mu);
    return r;
}

/* ---- calls ---- */

synack_stack *pl_enter(void)
{
    pl_lock();
    if (rt.child || atomic_load(&rt.state) != RT_RUNNING) {
        pl_unlock();
        return NULL;
    }
    synack_poll(rt.st, synack_clock_us());
    return rt.st;
}

void pl_leave(psock *s)
{
    if (rt.child || atomic_load(&rt.state) != RT_RUNNING) {
        pl_unlock();
        return;
    }
    if (s && !s->dead && s->sd >= 0) pl_mirror_update(rt.st, s, false);
    process_events(rt.st);
    synack_loop_flush(rt.lp);
    synack_time_us next = synack_next_deadline(rt.st);
    if (next < synack_loop_wait_deadline(rt.lp) && next < rt.kick_at) kick(next);
    pl_unlock();
}

/* ---- mirrors ---- */

static void drain(int fd)
{
    char buf[4096];
    for (int i = 0; i < 64; i++)
        if (REAL(recv)(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) return;
}

/* Fills A's send buffer until A stops being writable (one 2 KiB write does it at the
 * minimum buffer size; the loop is bounded in case a kernel counts differently). */
static void fill(psock *s)
{
    static const char junk[2048];
    for (int i = 0; i < 32; i++) {
        if (REAL(send)(s->app_fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return;
        struct pollfd p = {.fd = s->app_fd, .events = POLLOUT};
        if (REAL(poll)(&p, 1, 0) == 1 && !(p.revents & POLLOUT)) return;
    }
}

static void token(psock *s)
{
    if (REAL(send)(s->peer_fd, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) s->tokens++;
}

void pl_mirror_update(synack_stack *st, psock *s, bool pulse)
{
    if (s->dead || s->sd < 0 || (s->mirror & MIRROR_HUP)) return;
    int ev = synack_poll_socket(st, s->sd);
    bool hup = ev & SYNACK_POLLHUP;
    bool r = ev & (SYNACK_POLLIN | SYNACK_POLLERR | SYNACK_POLLHUP);
    bool w = ev & (SYNACK_POLLOUT | SYNACK_POLLERR | SYNACK_POLLHUP);
    if (w && !(s->mirror & MIRROR_W)) {
        drain(s->peer_fd);
        s->mirror |= MIRROR_W;
    } else if (!w && (s->mirror & MIRROR_W)) {
        fill(s);
        s->mirror &= ~(unsigned)MIRROR_W;
    }
    if (hup) {
        REAL(shutdown)(s->peer_fd, SHUT_RDWR);
        s->mirror |= MIRROR_HUP | MIRROR_RDHUP | MIRROR_R;
        return;
    }
    if (ev & SYNACK_POLLRDHUP) {
        if (!(s->mirror & MIRROR_RDHUP)) REAL(shutdown)(s->peer_fd, SHUT_WR);
        s->mirror |= MIRROR_RDHUP | MIRROR_R;
        return;
    }
    if (r && !(s->mirror & MIRROR_R)) {
        s->tokens = 0;
        token(s);
        s->mirror |= MIRROR_R;
    } else if (r && pulse && s->tokens < 8) {
        token(s);
    } else if (!r && (s->mirror & MIRROR_R)) {
        drain(s->app_fd);
        s->tokens = 0;
        s->mirror &= ~(unsigned)MIRROR_R;
    }
}

/* ---- sockets ---- */

static bool by_sd_put(int sd, psock *s)
{
    if ((size_t)sd >= rt.by_sd_cap) {
        size_t cap = rt.by_sd_cap ? rt.by_sd_cap : 64;
        while (cap <= (size_t)sd) cap *= 2;
        psock **n = realloc(rt.by_sd, cap * sizeof *n);
        if (!n) return false;
        memset(n + rt.by_sd_cap, 0, (cap - rt.by_sd_cap) * sizeof *n);
        rt.by_sd = n;
        rt.by_sd_cap = cap;
    }
    rt.by_sd[sd] = s;
    return true;
}

int pl_sock_new(synack_stack *st, int sd, int family, int flags)
{
    int sv[2] = {-1, -1};
    psock *s = calloc(1, sizeof *s);
    if (!s || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = s ? errno : ENOMEM;
        free(s);
        synack_close(st, sd);
        return -e;
    }
    int fd = sv[0];
    if (!(flags & SOCK_CLOEXEC)) REAL(fcntl)(fd, F_SETFD, 0);
    if (flags & SOCK_NONBLOCK) REAL(fcntl)(fd, F_SETFL, O_NONBLOCK);
    int one = 1; /* the kernel raises it to its minimum (about 4.5 KiB) */
    REAL(setsockopt)(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    s->sd = sd;
    s->family = family;
    s->nonblock = (flags & SOCK_NONBLOCK) != 0;
    s->rcvtimeo_ms = s->sndtimeo_ms = -1;
    s->refs = 1;
    s->mirror = MIRROR_W; /* a fresh pair: A is writable, not readable */
    s->app_fd = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, rt.fd_base);
    s->peer_fd = fd_high(sv[1]);
    if (s->app_fd < 0 || !fd_set_entry(fd, s) || !by_sd_put(sd, s)) {
        int e = s->app_fd < 0 ? errno : EMFILE;
        fd_set_entry(fd, NULL);
        if (s->app_fd >= 0) REAL(close)(s->app_fd);
        REAL(close)(s->peer_fd);
        REAL(close)(fd);
        free(s);
        synack_close(st, sd);
        return -e;
    }
    fd_set_entry(s->app_fd, PL_INTERNAL);
    fd_set_entry(s->peer_fd, PL_INTERNAL);
    pl_mirror_update(st, s, false);
    return fd;
}

bool pl_fd_bind(int fd, psock *s)
{
    if (!fd_set_entry(fd, s)) return false;
    s->refs++;
    return true;
}

/* Frees s once no descriptor names it and no blocked call still waits on it. */
static void sock_maybe_free(psock *s)
{
    if (s->refs > 0 || s->busy > 0) return;
    fd_set_entry(s->app_fd, NULL);
    fd_set_entry(s->peer_fd, NULL);
    REAL(close)(s->app_fd);
    REAL(close)(s->peer_fd);
    free(s);
}

/* The synack socket goes (close, or exit); callers blocked on it wake and find sd < 0. */
static void sock_detach(psock *s)
{
    if (!s->dead && s->sd >= 0) {
        synack_close(rt.st, s->sd);
        rt.by_sd[s->sd] = NULL;
    }
    s->sd = -1;
    REAL(shutdown)(s->peer_fd, SHUT_RDWR);
}

void pl_fd_release(int fd)
{
    psock *s = pl_sock(fd);
    if (!s) return;
    fd_set_entry(fd, NULL);
    if (--s->refs > 0) return;
    sock_detach(s);
    sock_maybe_free(s);
}

int pl_wait(psock *s, short events, int timeout_ms)
{
    struct pollfd p = {.fd = s->app_fd, .events = events};
    int r = REAL(poll)(&p, 1, timeout_ms);
    if (r < 0) return -errno;
    return r == 0 ? -EAGAIN : 0;
}

int pl_block(psock *s, short events, int timeout_ms)
{
    s->busy++;
    pl_leave(s);
    int w = pl_wait(s, events, timeout_ms);
    synack_stack *st = pl_enter();
    if (!st) {
        pl_lock();
        s->busy--;
        sock_maybe_free(s);
        pl_unlock();
        return -ENETDOWN;
    }
    s->busy--;
    if (s->sd < 0) {
        sock_maybe_free(s);
        pl_leave(NULL);
        return -EBADF;
    }
    if (w < 0) {
        pl_leave(s);
        return w;
    }
    return 0;
}

/* ---- exit ---- */

static bool conns_busy(synack_stack *st)
{
    synack_conn_info ci[64];
    size_t n = synack_conn_list(st, ci, 64);
    if (n > 64) return true;
    for (size_t i = 0; i < n; i++) {
        int state = ci[i].state;
        /* Our FIN acknowledged (FIN-WAIT-2, TIME-WAIT) or nothing left: done. */
        if (state != SYNACK_CLOSED && state != SYNACK_LISTEN && state != SYNACK_FIN_WAIT_2 &&
            state != SYNACK_TIME_WAIT)
            return true;
    }
    return false;
}

/* When the process exits, the kernel would go on delivering what the program sent and closed;
 * here the stack dies with the process. So exit closes what is still open (as the kernel does)
 * and waits, up to SYNACK_LINGER_MS (default 10 s), until every connection has had its data and
 * FIN acknowledged. _exit() and fatal signals skip this: those connections just vanish. */
__attribute__((destructor)) static void pl_fini(void)
{
    if (rt.child || atomic_load(&rt.state) != RT_RUNNING) return;
    synack_stack *st = pl_enter();
    if (!st) return;
    for (size_t i = 0; i < rt.by_sd_cap; i++) {
        if (rt.by_sd[i]) sock_detach(rt.by_sd[i]);
    }
    pl_leave(NULL);
    synack_time_us end = synack_clock_us() + rt.linger_us;
    for (;;) {
        pl_lock();
        bool busy = atomic_load(&rt.state) == RT_RUNNING && conns_busy(rt.st);
        pl_unlock();
        if (!busy || synack_clock_us() >= end) break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    /* The control socket's file goes with the process. */
    pl_lock();
    control_close(rt.ctl);
    rt.ctl = NULL;
    pl_unlock();
}
