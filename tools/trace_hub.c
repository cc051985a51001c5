/* trace_hub.c: the subscribers of `synack trace` on a running synack's control socket. The
 * loop hands every event over once per iteration; each one the stream carries is formatted
 * once and copied into every subscriber's buffer, which is sent without blocking. A subscriber
 * that reads slowly fills its buffer (bounded: TRACE_BUF_DEFAULT, or what it asked for); then its
 * events are dropped and counted, and it is told how many ("lost n=N") where the gap is. The
 * stack never waits for a reader. Per-segment events (retransmissions, drops) and congestion
 * control events are asked of the core only while someone subscribes. */
#include "trace_live.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct subscriber {
    int fd;                 /* -1: a free slot */
    char *buf;
    size_t cap, off, len;   /* unsent bytes are buf[off, off + len) */
    uint64_t lost;          /* dropped since the last "lost" line was queued */
    bool want_out;          /* watching EPOLLOUT: the socket was full */
} subscriber;

struct trace_hub {
    synack_loop *lp;
    subscriber subs[TRACE_SUBSCRIBERS_MAX];
    int count;
};

static void apply_trace_mask(trace_hub *h)
{
    synack_trace_set(synack_loop_stack(h->lp),
                     h->count ? SYNACK_TRACE_RETRANSMITS | SYNACK_TRACE_DROPS | SYNACK_TRACE_CC : 0);
}

static void sub_close(trace_hub *h, subscriber *s)
{
    synack_loop_unwatch(h->lp, s->fd);
    close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    h->count--;
    apply_trace_mask(h);
}

/* Queues text if it fits; a line never goes out in part. */
static bool sub_put(subscriber *s, const char *text, size_t n)
{
    if (s->len + n > s->cap) return false;
    if (s->off + s->len + n > s->cap) { /* room only at the front: move the unsent bytes there */
        memmove(s->buf, s->buf + s->off, s->len);
        s->off = 0;
    }
    memcpy(s->buf + s->off + s->len, text, n);
    s->len += n;
    return true;
}

static void sub_event_fd(synack_loop *lp, int fd, uint32_t events, void *ctx);

/* Sends what the socket takes now; watches for room when it takes less. Returns false when the
 * subscriber is gone (closed here). */
static bool sub_put_lost(subscriber *s, size_t reserve)
{
    char note[48];
    int m = snprintf(note, sizeof note, "lost n=%llu\n", (unsigned long long)s->lost);
    if (s->len + (size_t)m + reserve > s->cap || !sub_put(s, note, (size_t)m)) return false;
    s->lost = 0;
    return true;
}

static bool sub_flush(trace_hub *h, subscriber *s)
{
    /* A reader that caught up learns of its gap now, not only when the next event comes. */
    for (;;) {
        if (s->lost && s->len == 0) sub_put_lost(s, 0);
        if (s->len == 0) break;
        ssize_t w = send(s->fd, s->buf + s->off, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            sub_close(h, s);
            return false;
        }
        s->off += (size_t)w;
        s->len -= (size_t)w;
    }
    if (s->len == 0) s->off = 0;
    bool want = s->len > 0;
    if (want != s->want_out) {
        synack_loop_watch(h->lp, s->fd, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0), sub_event_fd, h);
        s->want_out = want;
    }
    return true;
}

static subscriber *sub_of(trace_hub *h, int fd)
{
    for (int i = 0; i < TRACE_SUBSCRIBERS_MAX; i++)
        if (h->subs[i].fd == fd) return &h->subs[i];
    return NULL;
}

/* Readable: the client closed (it sends nothing after its request) or sent bytes we ignore.
 * Writable: room again for what waits. */
static void sub_event_fd(synack_loop *lp, int fd, uint32_t events, void *ctx)
{
    (void)lp;
    trace_hub *h = ctx;
    subscriber *s = sub_of(h, fd);
    if (!s) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        char junk[256];
        ssize_t r = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
            (events & (EPOLLHUP | EPOLLERR))) {
            sub_close(h, s);
            return;
        }
    }
    if (events & EPOLLOUT) sub_flush(h, s);
}

static void hub_on_event(synack_loop *lp, const synack_event *ev, void *ctx)
{
    (void)lp;
    trace_hub *h = ctx;
    if (!h->count) return;
    if (!ev) { /* end of the batch: send */
        for (int i = 0; i < TRACE_SUBSCRIBERS_MAX; i++)
            if (h->subs[i].fd >= 0 && h->subs[i].len) sub_flush(h, &h->subs[i]);
        return;
    }
    if (!trace_wire_carries(ev)) return;
    char line[TRACE_LINE_MAX];
    size_t n = trace_wire_write(line, sizeof line, ev);
    if (!n) return;
    for (int i = 0; i < TRACE_SUBSCRIBERS_MAX; i++) {
        subscriber *s = &h->subs[i];
        if (s->fd < 0) continue;
        if (s->lost && !sub_put_lost(s, n)) { /* the gap is told before anything after it */
            s->lost++;
            continue;
        }
        if (!sub_put(s, line, n)) s->lost++;
    }
}

trace_hub *trace_hub_new(synack_loop *lp)
{
    trace_hub *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->lp = lp;
    for (int i = 0; i < TRACE_SUBSCRIBERS_MAX; i++) h->subs[i].fd = -1;
    synack_loop_set_events(lp, hub_on_event, h);
    return h;
}

void trace_hub_free(trace_hub *h)
{
    if (!h) return;
    synack_loop_set_events(h->lp, NULL, NULL);
    for (int i = 0; i < TRACE_SUBSCRIBERS_MAX; i++) {
        subscriber *s = &h->subs[i];
        if (s->fd < 0) continue;
        /* The last events (the closes of a stopping server) go out if the socket has room. */
        if (s->len) send(s->fd, s->buf + s->off, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        sub_close(h, s);
    }
    free(h);
}

int trace_hub_count(const trace_hub *h) { return h ? h->count : 0; }

static void say(int fd, const char *text)
{
    if (send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) return;
}

bool trace_hub_add(trace_hub *h, int fd, const char *args)
{
    size_t cap = TRACE_BUF_DEFAULT;
    const char *b = args ? strstr(args, "buf=") : NULL;
    if (b) {
        char *end;
        unsigned long long v = strtoull(b + 4, &end, 10);
        if (end == b + 4 || v < TRACE_BUF_MIN || v > TRACE_BUF_MAX) {
            say(fd, "error: trace buf= takes 4096 to 4194304 bytes\n");
            return false;
        }
        cap = (size_t)v;
    }
    subscriber *s = h ? sub_of(h, -1) : NULL;
    if (!s) {
        say(fd, "error: this synack already streams to its maximum of subscribers\n");
        return false;
    }
    s->buf = malloc(cap);
    if (!s->buf) {
        say(fd, "error: no memory for a trace buffer\n");
        return false;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        synack_loop_watch(h->lp, fd, EPOLLIN | EPOLLRDHUP, sub_event_fd, h) < 0) {
        free(s->buf);
        s->buf = NULL;
        say(fd, "error: cannot watch the trace socket\n");
        return false;
    }
    s->fd = fd;
    s->cap = cap;
    s->off = s->len = s->lost = 0;
    s->want_out = false;
    h->count++;
    apply_trace_mask(h);
    /* The send timeout the control server set applies to blocking sends only; ours never block. */
    sub_put(s, TRACE_WIRE_MAGIC "\n", sizeof TRACE_WIRE_MAGIC);
    sub_flush(h, s);
    return true;
}
