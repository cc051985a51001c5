/* client.c: `synack get URL` (HTTP/1.1 GET to stdout or -o FILE) and `synack connect HOST PORT`
 * (nc-like) on a TUN device. Owns the two client state machines; must not exit before what it
 * sent is acknowledged (it waits for TIME-WAIT or CLOSED). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <synack/inspect.h>
#include <synack/socket.h>

#include "control.h"

#define IO_CAP 65536
#define HEAD_CAP 16384
#define CLOSE_WAIT_CAP_US SYNACK_SEC(30) /* longest wait for our FIN to be acknowledged */

enum phase { P_START, P_CONNECTING, P_RUNNING, P_CLOSING };
enum body_mode { B_LENGTH, B_CHUNKED, B_EOF };
enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

typedef struct client {
    const char *cmd;
    net_runtime rt;
    synack_stack *st;
    synack_loop *lp;
    int sd;
    uint32_t conn_id;
    synack_endpoint remote;
    char remote_text[80];
    enum phase phase;
    int rc;
    synack_time_us t_start, t_connected, max_time_deadline, close_deadline;
    bool peer_eof, wr_shut;
    uint8_t io[IO_CAP];
    /* get */
    bool is_get, head_only;
    char request[4096];
    size_t req_len, req_off;
    char head[HEAD_CAP];
    size_t head_len;
    bool head_done;
    int status;
    enum body_mode mode;
    uint64_t body_left, body_bytes;
    enum chunk_state ch;
    char chline[64];
    size_t chline_len;
    int out_fd;
    const char *out_path;
    /* connect */
    int in_fd;
    int in_fl;                  /* stdin's original file status flags, restored at exit */
    bool in_pollable, in_watched, in_eof;
    uint8_t inbuf[IO_CAP];
    size_t in_off, in_len;
    synack_time_us quit_after_us; /* -q: after stdin's EOF, wait this long for the peer's */
    synack_time_us quit_at;
} client;

/* ---- shared ---- */

static void fail(client *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void begin_close(client *c)
{
    if (c->phase == P_CLOSING) return;
    if (c->sd >= 0) {
        synack_close(c->st, c->sd);
        c->sd = -1;
    }
    c->phase = P_CLOSING;
    c->close_deadline = synack_loop_now(c->lp) + CLOSE_WAIT_CAP_US;
}

static void fail(client *c, int rc, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    synack_log(SYNACK_LOG_ERROR, "%s", msg);
    if (!c->rc) c->rc = rc;
    if (c->sd >= 0) {
        synack_abort(c->st, c->sd);
        c->sd = -1;
    }
    synack_loop_stop(c->lp, c->rc);
}

/* Blocking write of everything (stdout may be a slow pipe: TCP's window is our backpressure). */
static bool write_all(int fd, const void *p, size_t len)
{
    const uint8_t *b = p;
    while (len) {
        ssize_t w = write(fd, b, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, 1000);
                continue;
            }
            return false;
        }
        b += w;
        len -= (size_t)w;
    }
    return true;
}

/* Starts the connection on the first iteration; then watches for it to complete. Returns true
 * once it is established. */
static bool connected(client *c)
{
    if (c->phase == P_START) {
        c->sd = synack_socket(c->st);
        if (c->sd < 0) {
            fail(c, 1, "socket: %s", strerror(-c->sd));
            return false;
        }
        int r = synack_connect(c->st, c->sd, &c->remote);
        if (r < 0 && r != -EINPROGRESS) {
            fail(c, 1, "%s: %s", c->remote_text, strerror(-r));
            return false;
        }
        synack_conn_info ci;
        if (synack_socket_info(c->st, c->sd, &ci)) c->conn_id = ci.conn_id;
        c->phase = P_CONNECTING;
        synack_log(SYNACK_LOG_INFO, "connecting to %s", c->remote_text);
    }
    if (c->phase != P_CONNECTING) return c->phase == P_RUNNING;
    int ev = synack_poll_socket(c->st, c->sd);
    if (ev & (SYNACK_POLLERR | SYNACK_POLLHUP)) {
        int e = 0;
        size_t elen = sizeof e;
        synack_getsockopt(c->st, c->sd, SYNACK_SO_ERROR, &e, &elen);
        fail(c, 1, "%s: %s", c->remote_text, strerror(e ? e : ECONNRESET));
        return false;
    }
    if (!(ev & SYNACK_POLLOUT)) return false;
    c->phase = P_RUNNING;
    c->t_connected = synack_loop_now(c->lp);
    synack_log(SYNACK_LOG_INFO, "connected to %s in %.3f ms", c->remote_text,
               (double)(c->t_connected - c->t_start) / 1e3);
    return true;
}

/* After close: done when the connection is gone, CLOSED, or in TIME-WAIT (our FIN is
 * acknowledged, and with it everything we sent). */
static void check_closed(client *c)
{
    synack_conn_info ci;
    synack_time_us now = synack_loop_now(c->lp);
    if (!c->conn_id || !synack_conn_get(c->st, c->conn_id, &ci) || ci.state == SYNACK_CLOSED ||
        ci.state == SYNACK_TIME_WAIT) {
        synack_loop_stop(c->lp, c->rc);
        return;
    }
    if (now >= c->close_deadline) {
        synack_log(SYNACK_LOG_ERROR, "warning: the peer did not acknowledge our FIN in time (state %s)",
                   synack_state_rfc_name(ci.state));
        if (!c->rc) c->rc = 1;
        synack_loop_stop(c->lp, c->rc);
        return;
    }
    synack_loop_wake_at(c->lp, c->close_deadline);
}

static bool check_max_time(client *c)
{
    if (c->max_time_deadline == SYNACK_TIME_NEVER) return false;
    if (synack_loop_now(c->lp) >= c->max_time_deadline) {
        fail(c, 28, "operation timed out (--max-time)");
        return true;
    }
    synack_loop_wake_at(c->lp, c->max_time_deadline);
    return false;
}

/* Parses "HOST" (IPv4 or [IPv6]) and a port. */
static bool parse_host(const char *host, synack_addr *a) { return net_addr_parse(host, a); }

static void remote_text(client *c)
{
    char a[48];
    synack_addr_format(&c->remote.addr, a, sizeof a);
    if (c->remote.addr.family == SYNACK_AF_INET6) snprintf(c->remote_text, sizeof c->remote_text,
                                                           "[%s]:%u", a, c->remote.port);
    else snprintf(c->remote_text, sizeof c->remote_text, "%s:%u", a, c->remote.port);
}

static int run_client(client *c, const net_opts *o, void (*app)(synack_loop *, void *))
{
    c->sd = -1;
    /* A closed stdout pipe is an error to report (and a RST to send), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    char ctl[128];
    if (o->control) net_control_resolve(o->control, ctl, sizeof ctl);
    int rc = net_start(o, o->control ? ctl : NULL, &c->rt);
    if (rc) return rc;
    c->st = c->rt.st;
    c->lp = c->rt.lp;
    c->t_start = synack_loop_now(c->lp);
    synack_loop_set_app(c->lp, app, c);
    rc = synack_loop_run(c->lp);
    if (rc >= 128) {
        synack_log(SYNACK_LOG_ERROR, "interrupted");
        if (c->sd >= 0) synack_abort(c->st, c->sd);
        c->sd = -1;
        /* Let the RST out before the device closes. */
        synack_loop_flush(c->lp);
    } else if (rc < 0) {
        rc = 1;
    } else {
        /* Flush what the final iteration left (the last ACK of a FIN). */
        synack_loop_flush(c->lp);
    }
    net_stop(&c->rt);
    return rc;
}

/* ---- get ---- */

static void get_usage(FILE *f)
{
    fprintf(f, "usage: synack get [options] http://HOST[:PORT]/PATH\n"
               "  downloads with HTTP/1.1 through synack; HOST is an IPv4 or [IPv6] literal.\n"
               "  -o, --output FILE  write the body to FILE (default: stdout)\n"
               "  -I, --head         send HEAD and print the response head\n"
               "  -m, --max-time S   give up after S seconds (exit 28)\n"
               "  exit: 0 ok, 1 network or protocol error, 2 usage, 22 HTTP status >= 400,\n"
               "        28 --max-time reached\n");
    net_opts_usage(f);
}

static bool parse_url(const char *url, synack_endpoint *ep, char *host, size_t hcap, char *path,
                      size_t pcap)
{
    if (strncasecmp(url, "http://", 7)) return false;
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    char hp[128];
    if (hl == 0 || hl >= sizeof hp) return false;
    memcpy(hp, h, hl);
    hp[hl] = 0;
    snprintf(path, pcap, "%s", slash ? slash : "/");
    char *port = NULL;
    if (hp[0] == '[') {
        char *rb = strchr(hp, ']');
        if (!rb) return false;
        if (rb[1] == ':') port = rb + 2;
        else if (rb[1]) return false;
        rb[1] = 0;
    } else {
        port = strchr(hp, ':');
        if (port) *port++ = 0;
    }
    long p = 80;
    if (port) {
        char *end;
        p = strtol(port, &end, 10);
        if (*end || p < 1 || p > 65535) return false;
    }
    memset(ep, 0, sizeof *ep);
    if (!parse_host(hp, &ep->addr)) return false;
    ep->port = (uint16_t)p;
    if (p == 80) snprintf(host, hcap, "%s", hp);
    else snprintf(host, hcap, "%s:%ld", hp, p);
    return true;
}

static bool body_out(client *c, const uint8_t *p, size_t n)
{
    if (!n) return true;
    c->body_bytes += n;
    if (!write_all(c->out_fd, p, n)) {
        fail(c, 1, "writing %s: %s", c->out_path ? c->out_path : "stdout", strerror(errno));
        return false;
    }
    return true;
}

static void get_finished(client *c)
{
    synack_time_us dt = synack_loop_now(c->lp) - c->t_connected;
    synack_log(SYNACK_LOG_INFO, "HTTP %d: %" PRIu64 " body bytes in %.3f s (%.1f Mbit/s)", c->status,
               c->body_bytes, (double)dt / 1e6, dt ? (double)c->body_bytes * 8.0 / (double)dt : 0.0);
    if (c->status >= 400) {
        char *eol = strpbrk(c->head, "\r\n");
        if (eol) *eol = 0;
        synack_log(SYNACK_LOG_ERROR, "%s", c->head);
        c->rc = 22;
    }
    begin_close(c);
}

/* Feeds body bytes through the framing; returns false after a failure. */
static bool body_feed(client *c, const uint8_t *p, size_t n)
{
    while (n) {
        if (c->mode == B_EOF) return body_out(c, p, n);
        if (c->mode == B_LENGTH) {
            size_t take = n < c->body_left ? n : (size_t)c->body_left;
            if (!body_out(c, p, take)) return false;
            c->body_left -= take;
            /* Bytes past the length are the server's mistake: ignore them. */
            return true;
        }
        /* chunked */
        if (c->ch == CH_DATA) {
            size_t take = n < c->body_left ? n : (size_t)c->body_left;
            if (!body_out(c, p, take)) return false;
            c->body_left -= take;
            p += take;
            n -= take;
            if (!c->body_left) c->ch = CH_DATA_END;
            continue;
        }
        if (c->ch == CH_DONE) return true;
        /* A line: chunk size, the CRLF after data, or a trailer line. */
        uint8_t b = *p++;
        n--;
        if (b != '\n') {
            if (c->chline_len < sizeof c->chline - 1) c->chline[c->chline_len++] = (char)b;
            continue;
        }
        c->chline[c->chline_len] = 0;
        if (c->chline_len && c->chline[c->chline_len - 1] == '\r') c->chline[--c->chline_len] = 0;
        c->chline_len = 0;
        if (c->ch == CH_DATA_END) {
            c->ch = CH_SIZE;
        } else if (c->ch == CH_SIZE) {
            char *end;
            unsigned long long sz = strtoull(c->chline, &end, 16);
            if (end == c->chline) {
                fail(c, 1, "bad chunk size line '%s'", c->chline);
                return false;
            }
            c->body_left = sz;
            c->ch = sz ? CH_DATA : CH_TRAILER;
        } else if (c->ch == CH_TRAILER && c->chline[0] == 0) {
            c->ch = CH_DONE;
        }
    }
    return true;
}

static bool body_complete(const client *c)
{
    if (c->mode == B_LENGTH) return c->body_left == 0;
    if (c->mode == B_CHUNKED) return c->ch == CH_DONE;
    return false;
}

/* Parses the response head in c->head[0..end). Returns false after a failure. */
static bool parse_head(client *c, size_t end)
{
    c->head[end - 1] = 0;
    int major = 0, minor = 0;
    if (sscanf(c->head, "HTTP/%d.%d %d", &major, &minor, &c->status) != 3) {
        fail(c, 1, "not an HTTP response from %s", c->remote_text);
        return false;
    }
    c->mode = B_EOF;
    bool have_len = false;
    char *save = NULL, *copy = strdup(c->head);
    if (!copy) {
        fail(c, 1, "out of memory");
        return false;
    }
    for (char *h = strtok_r(copy, "\n", &save); h; h = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(h, ':');
        if (!colon) continue;
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ') v++;
        if (!strcasecmp(h, "Content-Length") && c->mode != B_CHUNKED) {
            c->body_left = strtoull(v, NULL, 10);
            c->mode = B_LENGTH;
            have_len = true;
        } else if (!strcasecmp(h, "Transfer-Encoding") && strcasestr(v, "chunked")) {
            c->mode = B_CHUNKED;
            c->ch = CH_SIZE;
        }
    }
    free(copy);
    /* No body: HEAD, 1xx, 204 and 304 (RFC 9112 6.3). */
    if (c->head_only || c->status / 100 == 1 || c->status == 204 || c->status == 304) {
        c->mode = B_LENGTH;
        c->body_left = 0;
    }
    (void)have_len;
    if (c->head_only) {
        c->head[end - 1] = '\n';
        if (!write_all(c->out_fd, c->head, end)) {
            fail(c, 1, "writing: %s", strerror(errno));
            return false;
        }
    }
    return true;
}

static void get_app(synack_loop *lp, void *ctx)
{
    client *c = ctx;
    if (c->phase == P_CLOSING) {
        check_closed(c);
        return;
    }
    if (check_max_time(c) || !connected(c)) return;
    while (c->req_off < c->req_len) {
        ssize_t n = synack_send(c->st, c->sd, c->request + c->req_off, c->req_len - c->req_off);
        if (n == -EAGAIN) break;
        if (n < 0) {
            fail(c, 1, "%s: %s", c->remote_text, strerror((int)-n));
            return;
        }
        c->req_off += (size_t)n;
    }
    for (;;) {
        ssize_t n = synack_recv(c->st, c->sd, c->io, sizeof c->io);
        if (n == -EAGAIN) break;
        if (n < 0) {
            fail(c, 1, "%s: %s", c->remote_text, strerror((int)-n));
            return;
        }
        if (n == 0) {
            c->peer_eof = true;
            if (!c->head_done) {
                fail(c, 1, "%s closed the connection before a complete response head", c->remote_text);
                return;
            }
            if (c->mode != B_EOF && !body_complete(c)) {
                fail(c, 1, "%s closed the connection %s", c->remote_text,
                     c->mode == B_LENGTH ? "before Content-Length bytes" : "inside the chunked body");
                return;
            }
            get_finished(c);
            check_closed(c);
            return;
        }
        const uint8_t *p = c->io;
        size_t len = (size_t)n;
        while (!c->head_done && len) {
            size_t take = HEAD_CAP - 1 - c->head_len;
            if (take == 0) {
                fail(c, 1, "response head larger than %d bytes", HEAD_CAP);
                return;
            }
            if (take > len) take = len;
            memcpy(c->head + c->head_len, p, take);
            c->head_len += take;
            c->head[c->head_len] = 0;
            char *e = strstr(c->head, "\r\n\r\n");
            size_t end = e ? (size_t)(e - c->head) + 4 : 0;
            if (!e && (e = strstr(c->head, "\n\n"))) end = (size_t)(e - c->head) + 2;
            if (!e) {
                p += take;
                len -= take;
                continue;
            }
            /* Bytes of this read past the head are body. */
            size_t used = take - (c->head_len - end);
            p += used;
            len -= used;
            c->head_len = end;
            if (!parse_head(c, end)) return;
            if (c->status / 100 == 1) { /* 100 Continue and friends: another head follows */
                c->head_len = 0;
                continue;
            }
            c->head_done = true;
        }
        if (c->head_done && !body_feed(c, p, len)) return;
        if (c->head_done && body_complete(c)) {
            get_finished(c);
            return;
        }
    }
}

int cmd_get(int argc, char **argv)
{
    net_opts o;
    net_opts_init(&o, "synack get");
    client *c = calloc(1, sizeof *c);
    if (!c) return 1;
    c->cmd = "synack get";
    c->out_fd = STDOUT_FILENO;
    c->max_time_deadline = SYNACK_TIME_NEVER;
    const char *url = NULL;
    double max_time = 0;
    int rc = CLI_EXIT_USAGE;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"head", no_argument, NULL, 'I'},
        {"max-time", required_argument, NULL, 'm'},
        NET_LONGOPTS,
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    cli cl;
    cli_init(&cl, o.cmd, argc, argv, "o:Im:" NET_SHORTOPTS CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    for (int opt; (opt = cli_next(&cl, &arg)) != -1;) {
        switch (opt) {
        case 'h':
            get_usage(stdout);
            rc = 0;
            goto out;
        case CLI_OPT_VERSION:
            cli_version(stdout);
            rc = 0;
            goto out;
        case 'o':
            c->out_path = arg;
            break;
        case 'I':
            c->head_only = true;
            break;
        case 'm':
            if (!cli_parse_seconds(arg, false, &max_time)) {
                cli_bad_value(&cl, arg, "seconds > 0");
                goto out;
            }
            break;
        case '?':
            goto out;
        default:
            if (net_opts_apply(&o, &cl, opt, arg) <= 0) goto out;
        }
    }
    if (optind >= argc) {
        cli_usage_error(o.cmd, "no URL given");
        goto out;
    }
    url = argv[optind];
    if (optind + 1 < argc) {
        cli_usage_error(o.cmd, "unexpected argument '%s' after the URL", argv[optind + 1]);
        goto out;
    }
    char host[160], path[2048];
    if (!parse_url(url, &c->remote, host, sizeof host, path, sizeof path)) {
        cli_usage_error(o.cmd, "'%s' is not http://HOST[:PORT]/PATH with an IPv4 or [IPv6] "
                               "literal HOST", url);
        goto out;
    }
    remote_text(c);
    int n = snprintf(c->request, sizeof c->request,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n", c->head_only ? "HEAD" : "GET", path, host);
    if (n < 0 || (size_t)n >= sizeof c->request) {
        cli_usage_error(o.cmd, "URL too long: '%s'", url);
        goto out;
    }
    c->req_len = (size_t)n;
    if (c->out_path) {
        c->out_fd = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            fprintf(stderr, "synack get: %s: %s\n", c->out_path, strerror(errno));
            rc = 1;
            goto out;
        }
    }
    if (max_time > 0) c->max_time_deadline = synack_clock_us() + (synack_time_us)(max_time * 1e6);
    c->is_get = true;
    rc = run_client(c, &o, get_app);
    if (c->out_path && close(c->out_fd) < 0 && !rc) {
        fprintf(stderr, "synack get: %s: %s\n", c->out_path, strerror(errno));
        rc = 1;
    }
out:
    free(c);
    return rc;
}

/* ---- connect ---- */

static void connect_usage(FILE *f)
{
    fprintf(f, "usage: synack connect [options] HOST PORT\n"
               "  like nc: copies stdin to the connection and the connection to stdout. At the end\n"
               "  of stdin it sends FIN (shutdown), and exits once the peer has closed too.\n"
               "  HOST is an IPv4 or IPv6 literal, PORT 1-65535.\n"
               "  -q, --quit-after S  after the end of stdin, wait at most S seconds for the peer to close\n"
               "  -m, --max-time S    give up after S seconds (exit 28)\n"
               "  exit: 0 ok, 1 network error, 2 usage, 28 --max-time reached\n");
    net_opts_usage(f);
}

static void stdin_ready(synack_loop *lp, int fd, uint32_t events, void *ctx);

static void stdin_watch(client *c, bool on)
{
    if (!c->in_pollable || on == c->in_watched) return;
    if (on) synack_loop_watch(c->lp, c->in_fd, EPOLLIN, stdin_ready, c);
    else synack_loop_unwatch(c->lp, c->in_fd);
    c->in_watched = on;
}

static void stdin_read(client *c)
{
    if (c->in_eof || c->in_len) return;
    ssize_t n = read(c->in_fd, c->inbuf, sizeof c->inbuf);
    if (n > 0) {
        c->in_off = 0;
        c->in_len = (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (n < 0) synack_log(SYNACK_LOG_ERROR, "warning: reading stdin: %s", strerror(errno));
        c->in_eof = true;
    }
}

static void stdin_ready(synack_loop *lp, int fd, uint32_t events, void *ctx)
{
    client *c = ctx;
    stdin_read(c);
    /* Full (or finished): stop watching until the connection has taken the bytes. */
    if (c->in_len || c->in_eof) stdin_watch(c, false);
}

static void connect_app(synack_loop *lp, void *ctx)
{
    client *c = ctx;
    if (c->phase == P_CLOSING) {
        check_closed(c);
        return;
    }
    if (check_max_time(c) || !connected(c)) return;
    synack_time_us now = synack_loop_now(lp);
    /* Peer -> stdout. */
    while (!c->peer_eof) {
        ssize_t n = synack_recv(c->st, c->sd, c->io, sizeof c->io);
        if (n == -EAGAIN) break;
        if (n < 0) {
            fail(c, 1, "%s: %s", c->remote_text, strerror((int)-n));
            return;
        }
        if (n == 0) {
            c->peer_eof = true;
            synack_log(SYNACK_LOG_INFO, "peer closed its side");
            break;
        }
        if (!write_all(STDOUT_FILENO, c->io, (size_t)n)) {
            fail(c, 1, "writing stdout: %s", strerror(errno));
            return;
        }
    }
    /* stdin -> peer. A regular file cannot be polled: it is always readable. */
    for (int rounds = 0; rounds < 64 && !c->wr_shut; rounds++) {
        if (!c->in_len && !c->in_eof) {
            if (!c->in_pollable) stdin_read(c);
            else stdin_watch(c, true);
        }
        if (!c->in_len) break;
        ssize_t n = synack_send(c->st, c->sd, c->inbuf + c->in_off, c->in_len - c->in_off);
        if (n == -EAGAIN) break;
        if (n < 0) {
            fail(c, 1, "%s: %s", c->remote_text, strerror((int)-n));
            return;
        }
        c->in_off += (size_t)n;
        if (c->in_off == c->in_len) c->in_off = c->in_len = 0;
        if (c->in_pollable && !c->in_len) {
            stdin_read(c); /* a pipe often has more at once; saves a trip through epoll */
            if (!c->in_len && !c->in_eof) stdin_watch(c, true);
        }
    }
    if (c->in_eof && !c->in_len && !c->wr_shut) {
        synack_shutdown(c->st, c->sd, SYNACK_SHUT_WR);
        c->wr_shut = true;
        synack_log(SYNACK_LOG_INFO, "end of stdin: FIN sent");
        if (c->quit_after_us != SYNACK_TIME_NEVER) c->quit_at = now + c->quit_after_us;
    }
    if (c->peer_eof && c->wr_shut) {
        begin_close(c);
        check_closed(c);
        return;
    }
    if (c->wr_shut && c->quit_at != SYNACK_TIME_NEVER) {
        if (now >= c->quit_at) {
            synack_log(SYNACK_LOG_INFO, "-q: the peer did not close in time; closing");
            begin_close(c);
            check_closed(c);
            return;
        }
        synack_loop_wake_at(lp, c->quit_at);
    }
    /* Nothing watched on a regular file: come back while we still have stdin to send. */
    if (!c->in_pollable && !c->in_eof && !c->wr_shut && !c->in_len) synack_loop_wake_at(lp, now);
}

int cmd_connect(int argc, char **argv)
{
    net_opts o;
    net_opts_init(&o, "synack connect");
    client *c = calloc(1, sizeof *c);
    if (!c) return 1;
    c->cmd = "synack connect";
    c->max_time_deadline = SYNACK_TIME_NEVER;
    c->quit_after_us = SYNACK_TIME_NEVER;
    c->quit_at = SYNACK_TIME_NEVER;
    c->in_fd = STDIN_FILENO;
    const char *host = NULL, *port = NULL;
    int rc = CLI_EXIT_USAGE;
    static const struct option longopts[] = {
        {"quit-after", required_argument, NULL, 'q'},
        {"max-time", required_argument, NULL, 'm'},
        NET_LONGOPTS,
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    cli cl;
    cli_init(&cl, o.cmd, argc, argv, "q:m:" NET_SHORTOPTS CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    double secs;
    for (int opt; (opt = cli_next(&cl, &arg)) != -1;) {
        switch (opt) {
        case 'h':
            connect_usage(stdout);
            rc = 0;
            goto out;
        case CLI_OPT_VERSION:
            cli_version(stdout);
            rc = 0;
            goto out;
        case 'q':
            if (!cli_parse_seconds(arg, true, &secs)) {
                cli_bad_value(&cl, arg, "seconds >= 0");
                goto out;
            }
            c->quit_after_us = (synack_time_us)(secs * 1e6);
            break;
        case 'm':
            if (!cli_parse_seconds(arg, false, &secs)) {
                cli_bad_value(&cl, arg, "seconds > 0");
                goto out;
            }
            c->max_time_deadline = synack_clock_us() + (synack_time_us)(secs * 1e6);
            break;
        case '?':
            goto out;
        default:
            if (net_opts_apply(&o, &cl, opt, arg) <= 0) goto out;
        }
    }
    if (argc - optind != 2) {
        if (argc - optind < 2) cli_usage_error(o.cmd, "need HOST and PORT");
        else cli_usage_error(o.cmd, "unexpected argument '%s' after HOST PORT", argv[optind + 2]);
        goto out;
    }
    host = argv[optind];
    port = argv[optind + 1];
    uint32_t p;
    if (!parse_host(host, &c->remote.addr)) {
        cli_usage_error(o.cmd, "bad HOST '%s' (an IPv4 or IPv6 literal)", host);
        goto out;
    }
    if (!cli_parse_u32(port, 1, 65535, &p)) {
        cli_usage_error(o.cmd, "bad PORT '%s' (1-65535)", port);
        goto out;
    }
    c->remote.port = (uint16_t)p;
    remote_text(c);

    /* Pipes, terminals and sockets go through epoll; regular files and /dev/null cannot. */
    struct stat sb;
    c->in_pollable = fstat(c->in_fd, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISCHR(sb.st_mode);
    if (fstat(c->in_fd, &sb) == 0 && S_ISCHR(sb.st_mode) && isatty(c->in_fd)) c->in_pollable = true;
    c->in_fl = fcntl(c->in_fd, F_GETFL);
    if (c->in_pollable && c->in_fl >= 0) fcntl(c->in_fd, F_SETFL, c->in_fl | O_NONBLOCK);
    rc = run_client(c, &o, connect_app);
    if (c->in_pollable && c->in_fl >= 0) fcntl(c->in_fd, F_SETFL, c->in_fl);
out:
    free(c);
    return rc;
}
