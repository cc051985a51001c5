/* loop.c: the real-time loop of one stack on a TUN device: epoll waits (microseconds) for the
 * earliest of core deadline, impaired delivery and app wake-up; batch reads, timers, app, flush.
 * Owns the clock, dispatch and the tools' logger; no protocol decisions, knows no services. */
#include <synack/loop.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <synack/tun.h>

#include "impair_io.h"

/* ---- logging ---- */

/* Process-wide on purpose: one tool, one stderr. The core never logs. */
static const char *log_prog = "synack";
static int log_level;
static synack_time_us log_t0;

void synack_log_setup(const char *prog, int level)
{
    log_prog = prog ? prog : "synack";
    log_level = level;
    log_t0 = synack_clock_us();
}

int synack_log_level(void) { return log_level; }

void synack_log(int level, const char *fmt, ...)
{
    if (level > log_level) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Timestamps only once someone asked for detail: plain errors read better without. */
    if (log_level > 0) {
        synack_time_us t = synack_clock_us() - log_t0;
        fprintf(stderr, "%s: [%4llu.%06llu] %s\n", log_prog, (unsigned long long)(t / 1000000u),
                (unsigned long long)(t % 1000000u), line);
    } else {
        fprintf(stderr, "%s: %s\n", log_prog, line);
    }
}

synack_time_us synack_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (synack_time_us)ts.tv_sec * 1000000u + (synack_time_us)ts.tv_nsec / 1000u;
}

/* ---- the loop ---- */

#define MAX_WATCHERS 32
#define MAX_EVENTS 64
#define PKT_CAP 65536 /* any IPv4 or IPv6 packet without jumbograms */
#define VHDR SYNACK_TUN_VNET_HDR_LEN

/* epoll data: the watcher's slot in the low half, its generation in the high half, so that an
 * event for a descriptor unwatched earlier in the same batch is recognised and skipped. */
#define TAG_TUN UINT64_MAX
#define TAG_SIGNAL (UINT64_MAX - 1)

typedef struct watcher {
    int fd; /* -1: free */
    uint32_t gen;
    uint32_t events;
    synack_loop_fd_fn fn;
    void *ctx;
} watcher;

struct synack_loop {
    synack_stack *st;
    int tun_fd, ep, sig_fd;
    sigset_t old_mask;
    bool signals;
    impair_io *imp;
    unsigned read_batch;
    synack_loop_app_fn app;
    void *app_ctx;
    synack_loop_event_fn on_event;
    void *event_ctx;
    synack_time_us now, app_deadline;
    bool stop, pwait2_missing;
    int code;
    uint32_t idle_spins; /* rounds in a row whose core deadline was already past */
    void (*lock)(void *);
    void (*unlock)(void *);
    void *lock_ctx;
    synack_time_us wait_deadline; /* what the current (or last) wait was computed for */
    bool vnet;           /* virtio-net header in front of every packet on the device */
    watcher w[MAX_WATCHERS];
    synack_loop_stats stats;
    uint8_t buf[VHDR + PKT_CAP]; /* [virtio-net header room][packet] */
};

synack_loop *synack_loop_new(synack_stack *st, const synack_loop_config *cfg)
{
    synack_loop *lp = calloc(1, sizeof *lp);
    if (!lp) return NULL;
    lp->st = st;
    lp->tun_fd = cfg->tun_fd;
    lp->sig_fd = -1;
    lp->read_batch = cfg->read_batch ? cfg->read_batch : 64;
    lp->lock = cfg->lock;
    lp->unlock = cfg->unlock;
    lp->lock_ctx = cfg->lock_ctx;
    lp->app_deadline = SYNACK_TIME_NEVER;
    lp->vnet = cfg->vnet_hdr;
    for (int i = 0; i < MAX_WATCHERS; i++) lp->w[i].fd = -1;
    if (cfg->vnet_hdr && cfg->impair) {
        free(lp);
        errno = EINVAL;
        return NULL;
    }
    lp->ep = epoll_create1(EPOLL_CLOEXEC);
    if (lp->ep < 0) goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_TUN};
    if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->tun_fd, &ev) < 0) goto fail;
    if (cfg->impair) {
        lp->imp = impair_io_new(cfg->impair, cfg->impair, cfg->impair_seed);
        if (!lp->imp) {
            errno = ENOMEM;
            goto fail;
        }
    }
    if (cfg->handle_signals) {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, &lp->old_mask) < 0) goto fail;
        lp->signals = true;
        lp->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (lp->sig_fd < 0) goto fail;
        struct epoll_event sev = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
        if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->sig_fd, &sev) < 0) goto fail;
    }
    lp->now = synack_clock_us();
    return lp;
fail: {
    int e = errno;
    synack_loop_free(lp);
    errno = e;
    return NULL;
}
}

void synack_loop_free(synack_loop *lp)
{
    if (!lp) return;
    if (lp->ep >= 0) close(lp->ep);
    if (lp->sig_fd >= 0) close(lp->sig_fd);
    if (lp->signals) sigprocmask(SIG_SETMASK, &lp->old_mask, NULL);
    impair_io_free(lp->imp);
    free(lp);
}

synack_stack *synack_loop_stack(const synack_loop *lp) { return lp->st; }
synack_time_us synack_loop_now(const synack_loop *lp) { return lp->now; }

int synack_loop_watch(synack_loop *lp, int fd, uint32_t events, synack_loop_fd_fn fn, void *ctx)
{
    int slot = -1;
    for (int i = 0; i < MAX_WATCHERS; i++) {
        if (lp->w[i].fd == fd) {
            slot = i;
            break;
        }
        if (slot < 0 && lp->w[i].fd < 0) slot = i;
    }
    if (slot < 0) return -ENOSPC;
    watcher *w = &lp->w[slot];
    bool known = w->fd == fd;
    if (!known) w->gen++;
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)w->gen << 32 | (uint32_t)slot};
    if (epoll_ctl(lp->ep, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->ctx = ctx;
    return 0;
}

void synack_loop_unwatch(synack_loop *lp, int fd)
{
    for (int i = 0; i < MAX_WATCHERS; i++) {
        if (lp->w[i].fd != fd) continue;
        epoll_ctl(lp->ep, EPOLL_CTL_DEL, fd, NULL);
        lp->w[i].fd = -1;
        lp->w[i].gen++;
        return;
    }
}

void synack_loop_set_app(synack_loop *lp, synack_loop_app_fn fn, void *ctx)
{
    lp->app = fn;
    lp->app_ctx = ctx;
}

void synack_loop_set_events(synack_loop *lp, synack_loop_event_fn fn, void *ctx)
{
    lp->on_event = fn;
    lp->event_ctx = ctx;
}

void synack_loop_wake_at(synack_loop *lp, synack_time_us t)
{
    if (t < lp->app_deadline) lp->app_deadline = t;
}

void synack_loop_stop(synack_loop *lp, int code)
{
    lp->stop = true;
    lp->code = code;
}

void synack_loop_get_stats(const synack_loop *lp, synack_loop_stats *out)
{
    *out = lp->stats;
    if (lp->imp) {
        impair_io_stats s;
        impair_io_get_stats(lp->imp, &s);
        out->impair_lost = s.lost[0] + s.lost[1];
        out->impair_duplicated = s.duplicated[0] + s.duplicated[1];
        out->impair_corrupted = s.corrupted[0] + s.corrupted[1];
    }
}

/* ---- packet paths ---- */

static void count_out(synack_loop *lp, int r, size_t len)
{
    /* A TUN write either takes the whole packet or fails; a failed one is a packet lost on the
     * wire, which TCP repairs, so it is counted and not retried. */
    if (r < 0) {
        if (lp->stats.write_errors++ == 0)
            synack_log(SYNACK_LOG_ERROR, "warning: writing to the TUN device: %s (packet dropped)",
                       strerror(-r));
        return;
    }
    lp->stats.pkts_out++;
    lp->stats.bytes_out += len;
}

/* A complete packet (from the impairment queue) to the device. */
static void to_kernel(synack_loop *lp, const uint8_t *pkt, size_t len)
{
    if (!lp->vnet) {
        count_out(lp, synack_tun_write(lp->tun_fd, pkt, len), len);
        return;
    }
    if (len > PKT_CAP) return;
    memmove(lp->buf + VHDR, pkt, len);
    count_out(lp, synack_tun_write_vnet(lp->tun_fd, lp->buf, len, NULL), len);
}

static void flush_output(synack_loop *lp)
{
    size_t len;
    if (lp->vnet) {
        /* The stack builds into the buffer right behind the header room; the header says
         * what the kernel has to finish (checksum) or cut (TSO).
         * The data is not copied here: it goes from the send ring to the kernel in one writev. */
        synack_out_meta m;
        synack_out_piece pc[SYNACK_OUT_PIECES];
        unsigned np;
        while ((len = synack_output_iov(lp->st, lp->buf + VHDR, PKT_CAP, &m, pc, &np)) > 0) {
            synack_tun_tx tx = {.gso_size = m.gso_size, .hdr_len = m.hdr_len, .csum_start = m.csum_start,
                                .csum_offset = m.csum_offset, .ipv6 = m.ipv6};
            if (m.gso_size) lp->stats.tso_out++;
            if (m.csum_start) lp->stats.csum_partial_out++;
            size_t total = len;
            for (unsigned i = 0; i < np; i++) total += pc[i].len;
            count_out(lp, synack_tun_writev_vnet(lp->tun_fd, lp->buf, len, pc, np, &tx), total);
        }
        return;
    }
    if (!lp->imp && !synack_stack_config(lp->st)->tx_csum_offload && !synack_stack_config(lp->st)->tso_max_bytes) {
        /* A plain device and complete packets (checksums summed in place): one writev each. */
        synack_out_meta m;
        synack_out_piece pc[SYNACK_OUT_PIECES];
        unsigned np;
        while ((len = synack_output_iov(lp->st, lp->buf, sizeof lp->buf, &m, pc, &np)) > 0) {
            size_t total = len;
            for (unsigned i = 0; i < np; i++) total += pc[i].len;
            count_out(lp, synack_tun_writev(lp->tun_fd, lp->buf, len, pc, np), total);
        }
        return;
    }
    while ((len = synack_output(lp->st, lp->buf, sizeof lp->buf)) > 0) {
        if (lp->imp) impair_io_from_stack(lp->imp, lp->now, lp->buf, len);
        else count_out(lp, synack_tun_write(lp->tun_fd, lp->buf, len), len);
    }
}

void synack_loop_flush(synack_loop *lp) { flush_output(lp); }

synack_time_us synack_loop_wait_deadline(const synack_loop *lp) { return lp->wait_deadline; }

static void loop_lock(synack_loop *lp)
{
    if (lp->lock) lp->lock(lp->lock_ctx);
}

static void loop_unlock(synack_loop *lp)
{
    if (lp->unlock) lp->unlock(lp->lock_ctx);
}

static void deliver_impaired(synack_loop *lp)
{
    link_pkt p;
    while (impair_io_pop(lp->imp, lp->now, &p)) {
        if (p.to == IMPAIR_NODE_STACK) synack_input(lp->st, lp->now, p.data, p.len);
        else to_kernel(lp, p.data, p.len);
        free(p.data);
    }
}

/* Reads up to read_batch packets (TUN gives one per read; there is no recvmmsg for it), so one
 * wake-up hands the stack a burst and its ACKs go out together after. With offloads each read
 * may be a 64 KiB super-segment. Returns -errno when the device is gone. */
static int read_tun(synack_loop *lp)
{
    unsigned n;
    for (n = 0; n < lp->read_batch; n++) {
        synack_tun_rx rx = {0};
        uint8_t *pkt = lp->buf;
        ssize_t r = lp->vnet ? synack_tun_read_vnet(lp->tun_fd, lp->buf, sizeof lp->buf, &rx)
                             : synack_tun_read(lp->tun_fd, lp->buf, sizeof lp->buf);
        if (r == 0) break;
        if (r == -EPROTO) { /* a header we cannot honour: the packet is dropped */
            lp->stats.read_errors++;
            continue;
        }
        if (r < 0) {
            lp->stats.read_errors++;
            if (r == -EBADFD || r == -EIO || r == -ENXIO || r == -EBADF) return (int)r;
            break;
        }
        if (lp->vnet) pkt += VHDR;
        lp->stats.read_calls++;
        lp->stats.pkts_in++;
        lp->stats.bytes_in += (uint64_t)r;
        if (rx.gso_size) lp->stats.gso_in++;
        if (rx.csum_valid) lp->stats.csum_valid_in++;
        if (lp->imp) impair_io_from_kernel(lp->imp, lp->now, pkt, (size_t)r);
        else synack_input_flags(lp->st, lp->now, pkt, (size_t)r, rx.csum_valid ? SYNACK_IN_CSUM_VALID : 0);
    }
    if (n == lp->read_batch) lp->stats.full_batches++;
    return 0;
}

static void drain_events(synack_loop *lp)
{
    synack_event ev;
    char line[256];
    bool trace = synack_log_level() >= SYNACK_LOG_TRACE;
    bool any = false;
    while (synack_event_next(lp->st, &ev)) {
        if (trace) synack_log(SYNACK_LOG_TRACE, "core: %s", synack_event_format(&ev, line, sizeof line));
        if (lp->on_event) lp->on_event(lp, &ev, lp->event_ctx);
        any = true;
    }
    if (any && lp->on_event) lp->on_event(lp, NULL, lp->event_ctx); /* end of the batch */
}

static synack_time_us min_time(synack_time_us a, synack_time_us b) { return a < b ? a : b; }

static int wait_events(synack_loop *lp, struct epoll_event *evs, synack_time_us deadline)
{
    synack_time_us now = synack_clock_us();
    synack_time_us wait_us = deadline == SYNACK_TIME_NEVER ? SYNACK_TIME_NEVER
                             : deadline > now               ? deadline - now
                                                            : 0;
    if (!lp->pwait2_missing) {
        struct timespec ts, *tp = NULL;
        if (wait_us != SYNACK_TIME_NEVER) {
            ts.tv_sec = (time_t)(wait_us / 1000000u);
            ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;
            tp = &ts;
        }
        int n = epoll_pwait2(lp->ep, evs, MAX_EVENTS, tp, NULL);
        if (n >= 0 || errno != ENOSYS) return n;
        lp->pwait2_missing = true;
    }
    /* Old kernels: milliseconds, rounded up so that we never wake before a deadline. */
    int ms = wait_us == SYNACK_TIME_NEVER ? -1
             : wait_us > 3600000000u      ? 3600000
                                          : (int)((wait_us + 999) / 1000);
    return epoll_wait(lp->ep, evs, MAX_EVENTS, ms);
}

int synack_loop_run(synack_loop *lp)
{
    struct epoll_event evs[MAX_EVENTS];
    int rc = 0;
    loop_lock(lp);
    lp->stop = false;
    while (!lp->stop) {
        lp->stats.iterations++;
        lp->now = synack_clock_us();
        if (lp->imp) deliver_impaired(lp);
        synack_poll(lp->st, lp->now);
        lp->app_deadline = SYNACK_TIME_NEVER;
        if (lp->app) lp->app(lp, lp->app_ctx);
        flush_output(lp);
        /* On an impaired link without delay, what was just sent is due now: deliver it, and
         * flush what that delivery made the stack send (bounded; the rest is due next round). */
        for (int k = 0; k < 4 && lp->imp && impair_io_next_time(lp->imp) <= lp->now; k++) {
            deliver_impaired(lp);
            flush_output(lp);
        }
        drain_events(lp);
        if (lp->stop) break;

        synack_time_us core_deadline = synack_next_deadline(lp->st);
        synack_time_us deadline = min_time(core_deadline, lp->app_deadline);
        if (lp->imp) deadline = min_time(deadline, impair_io_next_time(lp->imp));
        /* A core deadline that stays in the past after synack_poll() ran it would spin a core at
         * 100%: after many such rounds in a row, wait at least 1 ms and say so once (a bug). */
        if (core_deadline > lp->now) {
            lp->idle_spins = 0;
        } else if (++lp->idle_spins >= 100000) {
            if (lp->idle_spins == 100000)
                synack_log(SYNACK_LOG_ERROR, "warning: the stack's deadline does not move past now; "
                                             "waiting 1 ms per round");
            if (deadline < lp->now + 1000) deadline = lp->now + 1000;
        }
        lp->wait_deadline = deadline;
        loop_unlock(lp);
        int n = wait_events(lp, evs, deadline);
        int e = errno;
        loop_lock(lp);
        if (n < 0) {
            if (e == EINTR) continue;
            synack_log(SYNACK_LOG_ERROR, "epoll: %s", strerror(e));
            rc = -e;
            break;
        }
        lp->stats.wakeups++;
        lp->now = synack_clock_us();
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == TAG_TUN) {
                if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                    synack_log(SYNACK_LOG_ERROR, "the TUN device went away");
                    rc = -ENODEV;
                    goto out;
                }
                int r = read_tun(lp);
                if (r < 0) {
                    synack_log(SYNACK_LOG_ERROR, "reading the TUN device: %s", strerror(-r));
                    rc = r;
                    goto out;
                }
            } else if (tag == TAG_SIGNAL) {
                struct signalfd_siginfo si;
                if (read(lp->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
                    synack_log(SYNACK_LOG_INFO, "signal %u: stopping", si.ssi_signo);
                    synack_loop_stop(lp, 128 + (int)si.ssi_signo);
                }
            } else {
                uint32_t slot = (uint32_t)tag, gen = (uint32_t)(tag >> 32);
                if (slot >= MAX_WATCHERS) continue;
                watcher *w = &lp->w[slot];
                if (w->fd < 0 || w->gen != gen) continue; /* unwatched earlier in this batch */
                w->fn(lp, w->fd, evs[i].events, w->ctx);
            }
        }
    }
    if (lp->stop) rc = lp->code;
out:
    lp->wait_deadline = 0;
    loop_unlock(lp);
    return rc;
}
