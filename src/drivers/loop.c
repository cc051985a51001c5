/* loop.c: the real-time loop of one stack on any link (driver.h): epoll waits (microseconds) for
 * the earliest of core deadline, the link's own wake-up time (a delayed or replayed packet) and
 * the app's, after an optional busy-poll of the link; batch receives, timers, app, flush in
 * batches. Owns the clock, dispatch and the
 * tools' logger; no protocol decisions, knows no services and no particular link. */
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

#include <synack/driver.h>

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
#define SEND_BATCH 8   /* packets handed to the link per send call */

/* epoll data: the watcher's slot in the low half, its generation in the high half, so that an
 * event for a descriptor unwatched earlier in the same batch is recognised and skipped. */
#define TAG_LINK UINT64_MAX
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
    synack_link *link;
    int link_fd, ep, sig_fd;
    sigset_t old_mask;
    bool signals;
    unsigned read_batch;
    synack_time_us busy_poll_us;
    synack_loop_app_fn app;
    void *app_ctx;
    synack_loop_event_fn on_event;
    void *event_ctx;
    synack_time_us now, app_deadline;
    bool stop, pwait2_missing;
    unsigned warned_write; /* send errors reported so far (the first only) */
    int code;
    uint32_t idle_spins; /* rounds in a row whose core deadline was already past */
    void (*lock)(void *);
    void (*unlock)(void *);
    void *lock_ctx;
    synack_time_us wait_deadline; /* what the current (or last) wait was computed for */
    bool tx_meta;        /* the link takes partial checksums and super-segments */
    bool tx_pieces;      /* output with synack_output_iov: the link writes the data in place */
    synack_out_piece pieces[SYNACK_OUT_PIECES]; /* of the one packet in pieces per batch */
    watcher w[MAX_WATCHERS];
    synack_loop_stats stats;
    synack_link_pkt batch[SEND_BATCH];
    uint8_t out[SEND_BATCH][SYNACK_LINK_HEADROOM + PKT_CAP]; /* [link header room][packet] */
};

synack_loop *synack_loop_new(synack_stack *st, const synack_loop_config *cfg)
{
    if (!cfg->link) {
        errno = EINVAL;
        return NULL;
    }
    synack_loop *lp = calloc(1, sizeof *lp);
    if (!lp) return NULL;
    lp->st = st;
    lp->link = cfg->link;
    lp->link_fd = synack_link_poll_fd(cfg->link);
    lp->sig_fd = -1;
    lp->read_batch = cfg->read_batch ? cfg->read_batch : 64;
    lp->busy_poll_us = cfg->busy_poll_us;
    lp->lock = cfg->lock;
    lp->unlock = cfg->unlock;
    lp->lock_ctx = cfg->lock_ctx;
    lp->app_deadline = SYNACK_TIME_NEVER;
    lp->tx_meta = cfg->link->caps & SYNACK_LINK_TX_OFFLOAD;
    /* Pieces when the link writes them; without offloads only when the stack builds complete
     * packets (synack_output completes partial checksums in a contiguous copy). */
    const synack_config *scfg = synack_stack_config(st);
    lp->tx_pieces = (cfg->link->caps & SYNACK_LINK_TX_PIECES) &&
                    (lp->tx_meta || (!scfg->tx_csum_offload && !scfg->tso_max_bytes));
    for (int i = 0; i < MAX_WATCHERS; i++) lp->w[i].fd = -1;
    lp->ep = epoll_create1(EPOLL_CLOEXEC);
    if (lp->ep < 0) goto fail;
    if (lp->link_fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LINK};
        if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->link_fd, &ev) < 0) goto fail;
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
    synack_link_stats ls;
    synack_link_get_stats(lp->link, &ls);
    out->write_errors = ls.tx_errors;
    out->read_errors = ls.rx_errors;
    out->impair_lost = ls.lost;
    out->impair_duplicated = ls.duplicated;
    out->impair_corrupted = ls.corrupted;
    out->captured = ls.captured;
}

synack_link *synack_loop_link(const synack_loop *lp) { return lp->link; }

/* ---- packet paths ---- */

/* Hands the batch to the link. A packet the link could not take is lost as on a wire: TCP
 * repairs it, so it is counted (by the link) and not retried. */
static void send_batch(synack_loop *lp, unsigned n)
{
    if (!n) return;
    int r = synack_link_send(lp->link, lp->now, lp->batch, n);
    if (r < 0 && !lp->warned_write++)
        synack_log(SYNACK_LOG_ERROR, "warning: sending on the %s link: %s (packets dropped)",
                   lp->link->ops->kind, strerror(-r));
    if (r <= 0) return;
    lp->stats.pkts_out += (uint64_t)r;
    for (int i = 0; i < r; i++) {
        lp->stats.bytes_out += lp->batch[i].len;
        for (unsigned k = 0; k < lp->batch[i].npieces; k++) lp->stats.bytes_out += lp->batch[i].pieces[k].len;
        if (lp->batch[i].meta.gso_size) lp->stats.tso_out++;
        if (lp->batch[i].meta.csum_start) lp->stats.csum_partial_out++;
    }
}

/* The stack builds each packet right behind the link's header room, SEND_BATCH at a time; with
 * offloads the meta says what the link has to finish (checksum) or cut (TSO). A link that takes
 * pieces (SYNACK_LINK_TX_PIECES: TUN, one writev per packet) gets headers here and the data in
 * place in the send ring (synack_output_iov); the others get contiguous copies. */
static void flush_output(synack_loop *lp)
{
    for (;;) {
        unsigned n = 0;
        bool pieces_out = false;
        for (; n < SEND_BATCH && !pieces_out; n++) {
            synack_link_pkt *p = &lp->batch[n];
            memset(p, 0, sizeof *p);
            p->data = lp->out[n] + SYNACK_LINK_HEADROOM;
            if (lp->tx_pieces) {
                /* The data stays in the send ring: the link writes headers and pieces at once. */
                p->len = synack_output_iov(lp->st, p->data, PKT_CAP, &p->meta, lp->pieces, &p->npieces);
                p->pieces = lp->pieces;
                /* The pieces are valid only until the next call into the stack: this packet
                 * ends the batch. */
                pieces_out = p->npieces > 0;
            } else {
                p->len = lp->tx_meta ? synack_output_meta(lp->st, p->data, PKT_CAP, &p->meta)
                                     : synack_output(lp->st, p->data, PKT_CAP);
            }
            if (!p->len) break;
        }
        send_batch(lp, n);
        if (n < SEND_BATCH && !pieces_out) return;
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

static void deliver(void *ctx, const synack_link_pkt *p)
{
    synack_loop *lp = ctx;
    lp->stats.pkts_in++;
    lp->stats.bytes_in += p->len;
    if (p->meta.gso_size) lp->stats.gso_in++;
    if (p->in_flags & SYNACK_IN_CSUM_VALID) lp->stats.csum_valid_in++;
    synack_input_flags(lp->st, lp->now, p->data, p->len, p->in_flags);
}

/* Takes up to read_batch packets from the link (TUN gives one per read; there is no recvmmsg
 * for it), so one wake-up hands the stack a burst and its ACKs go out together after. Returns
 * -errno when the link is gone. */
static int receive(synack_loop *lp)
{
    int r = synack_link_recv(lp->link, lp->now, lp->read_batch, deliver, lp);
    if (r < 0) return r;
    lp->stats.read_calls++;
    if ((unsigned)r == lp->read_batch) lp->stats.full_batches++;
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

/* Busy-poll (loop config busy_poll_us): non-blocking receives until one hands up packets, until
 * busy_poll_us passed, or until the deadline came. Returns 1 when packets came (the caller runs
 * the stack at once), 0 when the spin ended without any (the caller blocks), -errno when the
 * link is gone. A shared stack's lock is released between reads, as it is while waiting. */
static int busy_poll(synack_loop *lp, synack_time_us deadline)
{
    synack_time_us now = synack_clock_us();
    synack_time_us end = min_time(now + lp->busy_poll_us, deadline);
    lp->stats.busy_polls++;
    loop_unlock(lp);
    int r = 0;
    while (r == 0 && now < end) {
        loop_lock(lp);
        lp->now = now;
        lp->stats.busy_poll_reads++;
        r = synack_link_recv(lp->link, now, lp->read_batch, deliver, lp);
        loop_unlock(lp);
        now = synack_clock_us();
    }
    loop_lock(lp);
    if (r > 0) {
        lp->stats.busy_poll_hits++;
        lp->stats.read_calls++;
        if ((unsigned)r == lp->read_batch) lp->stats.full_batches++;
        return 1;
    }
    return r;
}

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
        /* What the link holds for now without a descriptor saying so (delayed, replayed). */
        if (synack_link_next_time(lp->link) <= lp->now && (rc = receive(lp)) < 0) goto link_gone;
        synack_poll(lp->st, lp->now);
        lp->app_deadline = SYNACK_TIME_NEVER;
        if (lp->app) lp->app(lp, lp->app_ctx);
        flush_output(lp);
        /* On an impaired link without delay, what was just sent is due now: deliver it, and
         * flush what that delivery made the stack send (bounded; the rest is due next round). */
        for (int k = 0; k < 4 && synack_link_next_time(lp->link) <= lp->now; k++) {
            if ((rc = receive(lp)) < 0) goto link_gone;
            flush_output(lp);
        }
        drain_events(lp);
        if (lp->stop) break;

        synack_time_us core_deadline = synack_next_deadline(lp->st);
        synack_time_us deadline = min_time(core_deadline, lp->app_deadline);
        deadline = min_time(deadline, synack_link_next_time(lp->link));
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
        if (lp->busy_poll_us && deadline > lp->now) {
            int b = busy_poll(lp, deadline);
            if (b < 0) {
                rc = b;
                goto link_gone;
            }
            if (b > 0) continue; /* packets: run the stack on them without blocking */
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
            if (tag == TAG_LINK) {
                if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                    synack_log(SYNACK_LOG_ERROR, "the %s link went away", lp->link->ops->kind);
                    rc = -ENODEV;
                    goto out;
                }
                if ((rc = receive(lp)) < 0) goto link_gone;
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
    goto out;
link_gone:
    synack_log(SYNACK_LOG_ERROR, "receiving from the %s link: %s", lp->link->ops->kind, strerror(-rc));
out:
    lp->wait_deadline = 0;
    loop_unlock(lp);
    return rc;
}
