/* adapter.c: libsynack-packetdrill.so's entry point and machinery: instance life, the lock and
 * condition variables, the virtual clock, the outbound packet queue, the netstat file, host
 * descriptors, and packetdrill's netdev and time calls (socket calls are in calls.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"

#define PD_SCRATCH 65536
/* The virtual epoch: any fixed value works (packetdrill only compares times); this one reads as
 * a plausible date in traces. */
#define PD_EPOCH_US (1700000000ull * 1000000ull)
/* Packets held for packetdrill beyond this are left in the stack's own queue (which then makes
 * connections wait), so a script that never reads packets cannot exhaust memory. */
#define PD_QUEUE_MAX (64u * 1024u * 1024u)

/* The instance packetdrill is using; init frees a previous one (RTLD_NODELETE keeps us loaded
 * across scripts, so nothing may leak from one script into the next). */
static pd *current;

/* ---- descriptors ---- */

pd_sock *pd_sock_get(pd *p, int fd)
{
    if (fd < 0 || fd >= p->socks_cap || !p->socks[fd].used) return NULL;
    return &p->socks[fd];
}

int pd_sock_add(pd *p, int sd, int domain)
{
    /* A real descriptor, so that packetdrill's final host close() of leftover sockets works. */
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno == ENFILE ? -ENFILE : -EMFILE;
    if (fd >= p->socks_cap) {
        int cap = p->socks_cap ? p->socks_cap : 64;
        while (cap <= fd) cap *= 2;
        pd_sock *n = realloc(p->socks, (size_t)cap * sizeof *n);
        if (!n) {
            close(fd);
            return -ENOMEM;
        }
        memset(n + p->socks_cap, 0, (size_t)(cap - p->socks_cap) * sizeof *n);
        p->socks = n;
        p->socks_cap = cap;
    }
    pd_sock *s = &p->socks[fd];
    if (s->used) /* packetdrill closed this number on the host behind our back: forget it */
        synack_close(p->st, s->sd);
    memset(s, 0, sizeof *s);
    s->used = true;
    s->sd = sd;
    s->domain = domain;
    return fd;
}

void pd_sock_remove(pd *p, int fd)
{
    pd_sock *s = pd_sock_get(p, fd);
    if (!s) return;
    s->used = false;
    close(fd);
}

/* ---- packets, events, netstat ---- */

void pd_drain(pd *p)
{
    if (!p->st) return;
    while (p->q_bytes < PD_QUEUE_MAX) {
        size_t n = synack_output(p->st, p->scratch, PD_SCRATCH);
        if (!n) break;
        pd_pkt *k = malloc(sizeof *k + n);
        if (!k) break; /* the packet is lost, as on a congested interface */
        k->next = NULL;
        k->time_us = p->now;
        k->len = n;
        memcpy(k->data, p->scratch, n);
        if (p->q_tail) p->q_tail->next = k;
        else p->q_head = k;
        p->q_tail = k;
        p->q_bytes += n;
    }
}

static void drain_events(pd *p)
{
    synack_event ev;
    char line[256];
    while (synack_event_next(p->st, &ev)) {
        if (!p->opt.trace) continue;
        fprintf(stderr, "synack: %s\n", synack_event_format(&ev, line, sizeof line));
    }
}

/* Rewrites the netstat file when the table changed. Writing only changes keeps the cost of
 * packetdrill's gettimeofday spinning low; the file always shows the current table. */
static void netstat_update(pd *p)
{
    if (!p->st || !p->opt.netstat_file || !p->ns_stale) return;
    p->ns_stale = false;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return;
    /* packetdrill's ipv6 and ipv4-mapped-ipv6 modes use AF_INET6 sockets only: "tcp6" rows. */
    if (p->opt.ip_mode == PD_IPV4) synack_netstat_print(p->st, m, false);
    else synack_netstat_print_v6(p->st, m, false);
    if (fclose(m) != 0 || !text) {
        free(text);
        return;
    }
    if (p->netstat_last && len == p->netstat_last_len && !memcmp(text, p->netstat_last, len)) {
        free(text);
        return;
    }
    /* Write then rename, so a shell command reading it never sees half a table. */
    size_t plen = strlen(p->opt.netstat_file);
    char *tmp = malloc(plen + 5);
    if (!tmp) {
        free(text);
        return;
    }
    memcpy(tmp, p->opt.netstat_file, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, p->opt.netstat_file) == 0) {
        free(p->netstat_last);
        p->netstat_last = text;
        p->netstat_last_len = len;
        text = NULL;
    } else {
        fprintf(stderr, "synack-packetdrill: cannot write netstat_file %s\n", p->opt.netstat_file);
        unlink(tmp);
    }
    free(tmp);
    free(text);
}

/* ---- lock, wait, clock ---- */

void pd_enter(pd *p)
{
    pthread_mutex_lock(&p->mu);
    p->dirty = true;
}

void pd_enter_clock(pd *p) { pthread_mutex_lock(&p->mu); }

static void settle(pd *p)
{
    if (!p->st) return;
    pd_drain(p);
    drain_events(p);
    netstat_update(p);
}

static void broadcast(pd *p)
{
    p->dirty = false;
    p->wakeups = p->waiters;
    pthread_cond_broadcast(&p->cv);
}

/* Before the virtual clock moves, threads woken by the last change run their retry (a blocked
 * write refilling the send buffer, an accept returning): otherwise netdev_receive could find
 * the queue empty and jump to a retransmission the woken thread would have made unnecessary.
 * Woken threads only need the lock, so this is short; the real-time bound is a safety net. */
static void let_woken_run(pd *p)
{
    if (p->wakeups <= 0) return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    while (p->wakeups > 0 && !p->dying)
        if (pthread_cond_timedwait(&p->quiet, &p->mu, &until) == ETIMEDOUT) break;
    p->wakeups = 0;
}

/* The table is marked stale here, after the call's work, not in pd_enter: a thread woken while
 * the call waited in let_woken_run may have written the file in between. */
void pd_leave(pd *p)
{
    p->ns_stale = true;
    settle(p);
    broadcast(p);
    pthread_mutex_unlock(&p->mu);
}

void pd_leave_clock(pd *p)
{
    settle(p); /* the table is stale only if a timer ran (step) */
    broadcast(p); /* waiters with a virtual timeout (poll) watch the clock */
    pthread_mutex_unlock(&p->mu);
}

bool pd_wait(pd *p)
{
    if (p->dying) return false;
    if (p->dirty) p->ns_stale = true; /* this call changed something before sleeping */
    settle(p);
    /* Wake the others only for a real change: two waiters that each broadcast before sleeping
     * would wake each other forever. */
    if (p->dirty) broadcast(p);
    p->waiters++;
    pthread_cond_wait(&p->cv, &p->mu);
    p->waiters--;
    /* Our turn has come: the lock is ours until we sleep again or leave. */
    if (p->wakeups > 0 && --p->wakeups == 0) pthread_cond_broadcast(&p->quiet);
    if (p->dying) {
        pthread_cond_broadcast(&p->cv); /* free() waits for the last waiter to leave */
        return false;
    }
    return true;
}

/* One step of the clock: run what is due at p->now and let blocked threads react at that time. */
static void step(pd *p)
{
    if (synack_next_deadline(p->st) <= p->now) {
        p->ns_stale = true; /* a timer runs: states and queues may change */
        p->dirty = true;
    }
    synack_poll(p->st, p->now);
    pd_drain(p);
    if (p->waiters > 0 && p->dirty) {
        broadcast(p);
        let_woken_run(p);
    }
}

void pd_advance_to(pd *p, uint64_t target)
{
    let_woken_run(p);
    if (!p->st) {
        if (target > p->now) p->now = target;
        return;
    }
    /* Each timer runs at its own deadline, so packets it sends carry that time. */
    for (int guard = 0; guard < 1000000; guard++) {
        synack_time_us d = synack_next_deadline(p->st);
        if (d > target) break;
        if (d > p->now) p->now = d;
        step(p);
    }
    if (target > p->now) p->now = target;
    step(p);
}

/* ---- packetdrill's netdev and time calls ---- */

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
    pd *p = ud;
    pd_enter(p);
    /* The core validates everything (IPv4 and IPv6) and counts what it drops. */
    if (p->st && count > 0) {
        pd_advance_to(p, p->now);
        synack_input(p->st, p->now, buf, count);
    }
    pd_leave(p);
    return 0; /* even for a drop: anything else fails the script */
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
    pd *p = ud;
    size_t cap = *count;
    *count = 0;
    pd_enter_clock(p);
    pd_advance_to(p, p->now);
    /* Nothing queued: jump to the stack's next timer and run it, which is how retransmissions,
     * delayed ACKs and TIME-WAIT expiry come out. With no timer left, report no packet. The
     * bound only guards against a timer that keeps re-arming without ever sending. */
    for (int i = 0; i < 100000 && !p->q_head && p->st; i++) {
        synack_time_us d = synack_next_deadline(p->st);
        if (d == SYNACK_TIME_NEVER) break;
        pd_advance_to(p, d > p->now ? d : p->now);
    }
    pd_pkt *k = p->q_head;
    if (k) {
        p->q_head = k->next;
        if (!p->q_head) p->q_tail = NULL;
        p->q_bytes -= k->len;
        size_t n = k->len <= cap ? k->len : cap;
        memcpy(buf, k->data, n);
        *count = n;
        *time_usecs = (long long)k->time_us;
        free(k);
    }
    pd_leave_clock(p);
    return 0; /* never -1: packetdrill would retry forever */
}

static int pd_usleep(void *ud, useconds_t usec)
{
    pd *p = ud;
    pd_enter_clock(p);
    pd_advance_to(p, p->now + usec);
    pd_leave_clock(p);
    return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
    pd *p = ud;
    pd_enter_clock(p);
    /* packetdrill spins on this clock to wait for an event: it must move by itself. */
    pd_advance_to(p, p->now + 1);
    uint64_t now = p->now;
    pd_leave_clock(p);
    if (tv) {
        tv->tv_sec = (time_t)(now / 1000000u);
        tv->tv_usec = (suseconds_t)(now % 1000000u);
    }
    if (tz) memset(tz, 0, sizeof *tz);
    return 0;
}

/* epoll, pipes and splice are not provided: scripts using them fail with ENOSYS. */
static int pd_epoll_create(void *ud, int size)
{
    errno = ENOSYS;
    return -1;
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *event)
{
    errno = ENOSYS;
    return -1;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    errno = ENOSYS;
    return -1;
}

static int pd_pipe(void *ud, int pipefd[2])
{
    errno = ENOSYS;
    return -1;
}

static ssize_t pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
                         size_t len, unsigned int flags)
{
    errno = ENOSYS;
    return -1;
}

/* ---- life ---- */

static void instance_free(pd *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    /* A thread still blocked in a call (a script that ended during accept, say) must leave
     * before the memory goes: wake it, it returns EBADF, and it tells us when it is gone. */
    p->dying = true;
    pthread_cond_broadcast(&p->cv);
    while (p->waiters > 0) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    /* Host descriptors are not closed here: packetdrill closes the ones the script left open,
     * and their numbers may already belong to someone else. */
    synack_stack_free(p->st);
    while (p->q_head) {
        pd_pkt *k = p->q_head;
        p->q_head = k->next;
        free(k);
    }
    free(p->socks);
    free(p->netstat_last);
    free(p->scratch);
    pd_options_free(&p->opt);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->quiet);
    pthread_mutex_destroy(&p->mu);
    if (current == p) current = NULL;
    free(p);
}

static void pd_free(void *ud) { instance_free(ud); }

__attribute__((visibility("default"))) void
packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
    instance_free(current);
    pd *p = calloc(1, sizeof *p);
    if (!p) {
        fprintf(stderr, "synack-packetdrill: out of memory\n");
        abort(); /* packetdrill cannot be told: init returns void */
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->quiet, NULL);
    p->now = PD_EPOCH_US;
    p->scratch = malloc(PD_SCRATCH);
    p->init_err = p->scratch ? pd_options_parse(flags, &p->opt) : ENOMEM;
    if (!p->init_err) {
        p->st = synack_stack_new(&p->opt.cfg);
        if (!p->st) {
            fprintf(stderr, "synack-packetdrill: synack_stack_new rejected the configuration "
                            "(a knob out of range?)\n");
            p->init_err = EINVAL;
        }
    }
    if (p->st) {
        synack_poll(p->st, p->now); /* the stack's clock starts at the virtual epoch */
        p->ns_stale = true;
        netstat_update(p);
    }
    current = p;

    memset(ifc, 0, sizeof *ifc);
    ifc->userdata = p;
    ifc->free = pd_free;
    pd_calls_fill(ifc);
    ifc->netdev_send = pd_netdev_send;
    ifc->netdev_receive = pd_netdev_receive;
    ifc->usleep = pd_usleep;
    ifc->gettimeofday = pd_gettimeofday;
    ifc->epoll_create = pd_epoll_create;
    ifc->epoll_ctl = pd_epoll_ctl;
    ifc->epoll_wait = pd_epoll_wait;
    ifc->pipe = pd_pipe;
    ifc->splice = pd_splice;
}
