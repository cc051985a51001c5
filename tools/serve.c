/* serve.c: `synack serve`: a stack on a TUN device with echo (7), discard (9), chargen (19) and an
 * HTTP/1.1 static file server (80). Owns the services and their connections (device, loop and
 * control are control.c's); must never buffer whole files: bodies stream in 64 KiB reads. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <synack/inspect.h>
#include <synack/socket.h>

#include "control.h"

enum svc { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_HTTP, SVC_COUNT };
static const char *const svc_name[SVC_COUNT] = {"echo", "discard", "chargen", "http"};
static const uint16_t svc_default_port[SVC_COUNT] = {7, 9, 19, 80};

#define BUF_CAP 65536       /* per-connection output buffer: echo data, HTTP headers and body */
#define REQ_CAP 8192        /* an HTTP request head larger than this is refused */
#define LINGER_US SYNACK_SEC(10)      /* after our FIN: how long we drain before closing anyway */
#define KEEPALIVE_IDLE_US SYNACK_SEC(60) /* idle HTTP keep-alive connections are closed */
#define MAX_LISTENERS (SVC_COUNT * 2)

enum http_phase { H_READ, H_SEND, H_LINGER };

typedef struct conn {
    struct conn *next;
    int sd;
    uint32_t conn_id;
    int svc;
    char peer[64];
    synack_time_us t_open, t_active;
    synack_time_us close_at;   /* --close-delay: when to close after the peer's FIN */
    bool eof, closing;
    uint64_t in, out;
    uint8_t *buf;              /* pending output: buf[off..len) */
    size_t off, len;
    uint32_t cg_pos;           /* chargen: position in the pattern */
    /* HTTP */
    enum http_phase phase;
    char req[REQ_CAP];
    size_t req_len;
    int file_fd;
    uint64_t file_off, file_left;
    bool keep_alive;
    synack_time_us linger_until;
    char log_line[300];        /* "GET /x 200": completed when the response ends */
    uint64_t body_sent, body_total;
    synack_time_us t_req;
} conn;

typedef struct server {
    net_runtime rt;
    synack_stack *st;
    int listeners[MAX_LISTENERS], listener_svc[MAX_LISTENERS], n_listeners;
    conn *conns;
    int root_fd;
    synack_time_us close_delay_us;
    char tag[24];              /* "core 1: " with --cores N > 1, else "" */
    uint8_t chargen[95 * 74];
} server;

/* ---- connections ---- */

static void endpoint_text(const synack_endpoint *ep, char *buf, size_t cap)
{
    char a[48];
    synack_addr_format(&ep->addr, a, sizeof a);
    if (ep->addr.family == SYNACK_AF_INET6) snprintf(buf, cap, "[%s]:%u", a, ep->port);
    else snprintf(buf, cap, "%s:%u", a, ep->port);
}

static conn *conn_new(server *sv, int sd, int svc, const synack_endpoint *remote)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (svc != SVC_DISCARD && svc != SVC_CHARGEN) {
        c->buf = malloc(BUF_CAP);
        if (!c->buf) {
            free(c);
            return NULL;
        }
    }
    synack_conn_info ci;
    c->sd = sd;
    c->conn_id = synack_socket_info(sv->st, sd, &ci) ? ci.conn_id : 0;
    c->svc = svc;
    c->file_fd = -1;
    c->keep_alive = true;
    c->close_at = SYNACK_TIME_NEVER;
    c->linger_until = SYNACK_TIME_NEVER;
    c->t_open = c->t_active = synack_now(sv->st);
    endpoint_text(remote, c->peer, sizeof c->peer);
    c->next = sv->conns;
    sv->conns = c;
    synack_log(SYNACK_LOG_INFO, "%s%s: conn %u from %s", sv->tag, svc_name[svc], (unsigned)c->conn_id, c->peer);
    return c;
}

static double secs(synack_time_us us) { return (double)us / 1e6; }

/* Closes the descriptor (the core finishes the FIN exchange or TIME-WAIT on its own) and frees
 * the connection; the caller unlinks it. */
static void conn_free(server *sv, conn *c, const char *why)
{
    synack_time_us dt = synack_now(sv->st) - c->t_open;
    synack_log(SYNACK_LOG_INFO, "%s%s: conn %u from %s closed (%s): %" PRIu64 " bytes in, %" PRIu64
               " out, %.3f s", sv->tag, svc_name[c->svc], (unsigned)c->conn_id, c->peer, why, c->in, c->out,
               secs(dt));
    synack_close(sv->st, c->sd);
    if (c->file_fd >= 0) close(c->file_fd);
    free(c->buf);
    free(c);
}

/* Sends buf[off..len). Returns false on a connection error. */
static bool flush_buf(server *sv, conn *c)
{
    while (c->off < c->len) {
        ssize_t n = synack_send(sv->st, c->sd, c->buf + c->off, c->len - c->off);
        if (n == -EAGAIN) return true;
        if (n < 0) return false;
        c->off += (size_t)n;
        c->out += (uint64_t)n;
        c->t_active = synack_now(sv->st);
    }
    c->off = c->len = 0;
    return true;
}

/* After the peer's FIN: close now, or after --close-delay (which keeps us in CLOSE-WAIT so that
 * tests can watch both sides of the half-closed connection). Returns true when closed. */
static bool close_after_eof(server *sv, conn *c, synack_loop *lp)
{
    synack_time_us now = synack_now(sv->st);
    if (!c->closing) {
        c->closing = true;
        c->close_at = now + sv->close_delay_us;
        if (sv->close_delay_us)
            synack_log(SYNACK_LOG_DEBUG, "%s: conn %u: peer closed; closing in %.3f s",
                       svc_name[c->svc], (unsigned)c->conn_id, secs(sv->close_delay_us));
    }
    if (now >= c->close_at) return true;
    synack_loop_wake_at(lp, c->close_at);
    return false;
}

/* ---- echo, discard, chargen ---- */

static const char *service_echo(server *sv, conn *c, synack_loop *lp)
{
    for (;;) {
        if (!flush_buf(sv, c)) return "send failed";
        if (c->len) return NULL; /* peer is slow to read: stop reading until we can echo */
        if (c->eof) return close_after_eof(sv, c, lp) ? "peer closed" : NULL;
        ssize_t n = synack_recv(sv->st, c->sd, c->buf, BUF_CAP);
        if (n == -EAGAIN) return NULL;
        if (n < 0) return strerror((int)-n);
        if (n == 0) {
            c->eof = true;
            continue;
        }
        c->in += (uint64_t)n;
        c->off = 0;
        c->len = (size_t)n;
    }
}

static const char *drain_input(server *sv, conn *c)
{
    uint8_t tmp[65536]; /* a super-segment's worth per call */
    for (;;) {
        ssize_t n = synack_recv(sv->st, c->sd, tmp, sizeof tmp);
        if (n == -EAGAIN) return NULL;
        if (n < 0) return strerror((int)-n);
        if (n == 0) {
            c->eof = true;
            return NULL;
        }
        c->in += (uint64_t)n;
        c->t_active = synack_now(sv->st);
    }
}

static const char *service_discard(server *sv, conn *c, synack_loop *lp)
{
    const char *err = drain_input(sv, c);
    if (err) return err;
    if (c->eof) return close_after_eof(sv, c, lp) ? "peer closed" : NULL;
    return NULL;
}

/* RFC 864: lines of 72 printable characters, each starting one further along the 95. */
static void chargen_init(uint8_t *p)
{
    for (int line = 0; line < 95; line++) {
        for (int j = 0; j < 72; j++) p[line * 74 + j] = (uint8_t)(' ' + (line + j) % 95);
        p[line * 74 + 72] = '\r';
        p[line * 74 + 73] = '\n';
    }
}

static const char *service_chargen(server *sv, conn *c, synack_loop *lp)
{
    const char *err = drain_input(sv, c);
    if (err) return err;
    if (c->eof) return close_after_eof(sv, c, lp) ? "peer closed" : NULL;
    const uint32_t period = sizeof sv->chargen;
    for (;;) {
        ssize_t n = synack_send(sv->st, c->sd, sv->chargen + c->cg_pos, period - c->cg_pos);
        if (n == -EAGAIN) return NULL;
        if (n < 0) return strerror((int)-n);
        c->out += (uint64_t)n;
        c->cg_pos = (uint32_t)((c->cg_pos + (uint64_t)n) % period);
    }
}

/* ---- HTTP/1.1 ---- */

static const char *status_text(int code)
{
    switch (code) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm"))) return "text/html";
    if (dot && !strcasecmp(dot, ".txt")) return "text/plain";
    return "application/octet-stream";
}

/* Percent-decodes path in place and refuses anything that could leave the root: "..", NUL, or a
 * backslash trick. Returns false when the path is bad. */
static bool clean_path(char *path)
{
    char *w = path;
    for (const char *r = path; *r; r++) {
        if (*r == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
            char hex[3] = {r[1], r[2], 0};
            long v = strtol(hex, NULL, 16);
            if (v == 0) return false;
            *w++ = (char)v;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    if (path[0] != '/') return false;
    for (const char *s = path; *s; s++) {
        if (*s != '/') continue;
        if (s[1] == '.' && s[2] == '.' && (s[3] == '/' || s[3] == 0)) return false;
    }
    return true;
}

/* Parses "bytes=a-b", "bytes=a-", "bytes=-n" for a file of size total. Returns 1 with [*from,
 * *to] inclusive, 0 when the header should be ignored (several ranges, junk), -1 when the range
 * cannot be satisfied. */
static int parse_range(const char *v, uint64_t total, uint64_t *from, uint64_t *to)
{
    while (*v == ' ') v++;
    if (strncasecmp(v, "bytes=", 6)) return 0;
    v += 6;
    if (strchr(v, ',')) return 0;
    char *end;
    if (*v == '-') {
        unsigned long long n = strtoull(v + 1, &end, 10);
        if (end == v + 1) return 0;
        if (n == 0 || total == 0) return -1;
        *from = n >= total ? 0 : total - n;
        *to = total - 1;
        return 1;
    }
    if (!isdigit((unsigned char)*v)) return 0;
    unsigned long long a = strtoull(v, &end, 10);
    if (*end != '-') return 0;
    const char *bs = end + 1;
    unsigned long long b = total ? total - 1 : 0;
    if (isdigit((unsigned char)*bs)) {
        b = strtoull(bs, &end, 10);
        if (b < a) return 0;
        if (b >= total) b = total ? total - 1 : 0;
    }
    if (a >= total) return -1;
    *from = a;
    *to = b;
    return 1;
}

/* Queues a complete short response (errors) into the output buffer. */
static void http_simple(conn *c, int code, bool head, const char *extra)
{
    char body[128];
    int blen = snprintf(body, sizeof body, "%d %s\n", code, status_text(code));
    int n = snprintf((char *)c->buf, BUF_CAP,
                     "HTTP/1.1 %d %s\r\nServer: synack\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\n%sConnection: %s\r\n\r\n%s",
                     code, status_text(code), blen, extra ? extra : "",
                     c->keep_alive ? "keep-alive" : "close", head ? "" : body);
    c->off = 0;
    c->len = n > 0 ? (size_t)n : 0;
    c->file_left = 0;
    c->body_total = 0;
    snprintf(c->log_line + strlen(c->log_line), sizeof c->log_line - strlen(c->log_line), " %d", code);
}

/* Handles the request head in c->req[0..head_len); sets up the response. */
static void http_request(server *sv, conn *c, size_t head_len)
{
    char *req = c->req;
    req[head_len - 1] = 0; /* the last '\n' of "\r\n\r\n" */
    char *save = NULL;
    char *line = strtok_r(req, "\n", &save);
    char method[16] = "", target[2048] = "", version[16] = "";
    c->log_line[0] = 0;
    c->t_req = synack_now(sv->st);
    if (!line || sscanf(line, "%15s %2047s %15s", method, target, version) != 3) {
        c->keep_alive = false;
        snprintf(c->log_line, sizeof c->log_line, "(bad request line)");
        http_simple(c, 400, false, NULL);
        return;
    }
    snprintf(c->log_line, sizeof c->log_line, "%s %.200s", method, target);
    bool http11 = !strcmp(version, "HTTP/1.1");
    if (!http11 && strcmp(version, "HTTP/1.0")) {
        c->keep_alive = false;
        http_simple(c, 505, false, NULL);
        return;
    }
    c->keep_alive = http11;
    char range[128] = "";
    bool has_body = false;
    for (char *h = strtok_r(NULL, "\n", &save); h; h = strtok_r(NULL, "\n", &save)) {
        size_t hl = strlen(h);
        if (hl && h[hl - 1] == '\r') h[--hl] = 0;
        char *colon = strchr(h, ':');
        if (!colon) continue;
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        if (!strcasecmp(h, "Connection")) {
            if (strcasestr(v, "close")) c->keep_alive = false;
            else if (strcasestr(v, "keep-alive")) c->keep_alive = true;
        } else if (!strcasecmp(h, "Range")) {
            snprintf(range, sizeof range, "%s", v);
        } else if ((!strcasecmp(h, "Content-Length") && strtoull(v, NULL, 10) > 0) ||
                   !strcasecmp(h, "Transfer-Encoding")) {
            has_body = true;
        }
    }
    /* We read no request bodies: answer, then close rather than misread the body as a request. */
    if (has_body) c->keep_alive = false;
    bool head = !strcmp(method, "HEAD");
    if (!head && strcmp(method, "GET")) {
        c->keep_alive = false;
        http_simple(c, 501, false, "Allow: GET, HEAD\r\n");
        return;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s", target);
    path[strcspn(path, "?#")] = 0;
    if (!clean_path(path)) {
        http_simple(c, 400, head, NULL);
        return;
    }
    char rel[2100];
    size_t pl = strlen(path);
    snprintf(rel, sizeof rel, "%s%s", path + 1, path[pl - 1] == '/' ? "index.html" : "");
    int fd = openat(sv->root_fd, rel, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        int ifd = openat(fd, "index.html", O_RDONLY | O_CLOEXEC);
        close(fd);
        fd = ifd;
        if (fd >= 0 && fstat(fd, &sb) < 0) {
            close(fd);
            fd = -1;
        }
    } else if (fd >= 0 && fstat(fd, &sb) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        http_simple(c, 404, head, NULL);
        return;
    }
    uint64_t total = (uint64_t)sb.st_size, from = 0, to = total ? total - 1 : 0;
    int code = 200;
    char extra[128] = "";
    if (*range) {
        int r = parse_range(range, total, &from, &to);
        if (r < 0) {
            close(fd);
            snprintf(extra, sizeof extra, "Content-Range: bytes */%" PRIu64 "\r\n", total);
            http_simple(c, 416, head, extra);
            return;
        }
        if (r > 0) {
            code = 206;
            snprintf(extra, sizeof extra, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
                     from, to, total);
        } else {
            from = 0;
        }
    }
    uint64_t len = total ? to - from + 1 : 0;
    int n = snprintf((char *)c->buf, BUF_CAP,
                     "HTTP/1.1 %d %s\r\nServer: synack\r\nContent-Type: %s\r\nContent-Length: %" PRIu64
                     "\r\nAccept-Ranges: bytes\r\n%sConnection: %s\r\n\r\n",
                     code, status_text(code), content_type(rel), len, extra,
                     c->keep_alive ? "keep-alive" : "close");
    c->off = 0;
    c->len = n > 0 ? (size_t)n : 0;
    c->file_fd = head ? -1 : fd;
    if (head) close(fd);
    c->file_off = from;
    c->file_left = head ? 0 : len;
    c->body_total = c->file_left;
    c->body_sent = 0;
    snprintf(c->log_line + strlen(c->log_line), sizeof c->log_line - strlen(c->log_line), " %d", code);
}

/* The response is out (in the send buffer): log it, then keep the connection or start closing. */
static void http_response_done(server *sv, conn *c)
{
    synack_time_us dt = synack_now(sv->st) - c->t_req;
    double mbit = dt ? (double)c->body_sent * 8.0 / (double)dt : 0.0;
    synack_log(SYNACK_LOG_INFO, "http: %s %s %" PRIu64 " bytes in %.3f s (%.1f Mbit/s)", c->peer,
               c->log_line, c->body_sent, secs(dt), mbit);
    if (c->file_fd >= 0) close(c->file_fd);
    c->file_fd = -1;
    if (c->keep_alive) {
        c->phase = H_READ;
        return;
    }
    /* Connection: close. Shut down writing and drain what the peer still sends until its FIN, so
     * that unread data never turns our FIN into a RST (RFC 2525 2.17) before it has our reply. */
    synack_shutdown(sv->st, c->sd, SYNACK_SHUT_WR);
    c->phase = H_LINGER;
    c->linger_until = synack_now(sv->st) + LINGER_US;
}

static const char *service_http(server *sv, conn *c, synack_loop *lp)
{
    synack_time_us now = synack_now(sv->st);
    for (int rounds = 0; rounds < 64; rounds++) {
        if (c->phase == H_SEND) {
            if (!flush_buf(sv, c)) return "send failed";
            if (c->len) return NULL;
            if (c->file_left == 0) {
                http_response_done(sv, c);
                continue;
            }
            size_t want = c->file_left < BUF_CAP ? (size_t)c->file_left : BUF_CAP;
            ssize_t r = pread(c->file_fd, c->buf, want, (off_t)c->file_off);
            if (r <= 0) return r == 0 ? "file shrank while sending" : "file read error";
            c->off = 0;
            c->len = (size_t)r;
            c->file_off += (uint64_t)r;
            c->file_left -= (uint64_t)r;
            c->body_sent += (uint64_t)r;
            continue;
        }
        if (c->phase == H_LINGER) {
            const char *err = drain_input(sv, c);
            if (err) return err;
            if (c->eof) return "closed after response";
            if (now >= c->linger_until) return "linger timeout";
            synack_loop_wake_at(lp, c->linger_until);
            return NULL;
        }
        /* H_READ: a request may already be buffered (pipelining). */
        char *end = c->req_len >= 4 ? memmem(c->req, c->req_len, "\r\n\r\n", 4) : NULL;
        if (!end && c->req_len >= 2) {
            /* Tolerate bare LF line ends, as most servers do. */
            end = memmem(c->req, c->req_len, "\n\n", 2);
            if (end) end -= 2;
        }
        if (end) {
            size_t head_len = (size_t)(end - c->req) + 4;
            char saved[REQ_CAP];
            size_t rest = c->req_len - head_len;
            memcpy(saved, c->req + head_len, rest);
            http_request(sv, c, head_len);
            memcpy(c->req, saved, rest);
            c->req_len = rest;
            c->phase = H_SEND;
            continue;
        }
        if (c->req_len == REQ_CAP) {
            c->keep_alive = false;
            snprintf(c->log_line, sizeof c->log_line, "(request head too large)");
            c->req_len = 0;
            http_simple(c, 431, false, NULL);
            c->phase = H_SEND;
            continue;
        }
        if (c->eof) {
            if (c->req_len) return "peer closed mid-request";
            return close_after_eof(sv, c, lp) ? "peer closed" : NULL;
        }
        ssize_t n = synack_recv(sv->st, c->sd, c->req + c->req_len, REQ_CAP - c->req_len);
        if (n == -EAGAIN) {
            if (now - c->t_active >= KEEPALIVE_IDLE_US) return "idle";
            synack_loop_wake_at(lp, c->t_active + KEEPALIVE_IDLE_US);
            return NULL;
        }
        if (n < 0) return strerror((int)-n);
        if (n == 0) {
            c->eof = true;
            continue;
        }
        c->in += (uint64_t)n;
        c->req_len += (size_t)n;
        c->t_active = now;
    }
    /* Many pipelined requests: come back on the next iteration rather than starve the loop. */
    synack_loop_wake_at(lp, now);
    return NULL;
}

/* ---- the app callback ---- */

static void accept_all(server *sv)
{
    for (int i = 0; i < sv->n_listeners; i++) {
        for (;;) {
            synack_endpoint remote;
            int sd = synack_accept(sv->st, sv->listeners[i], &remote);
            if (sd == -EAGAIN) break;
            if (sd < 0) {
                synack_log(SYNACK_LOG_ERROR, "warning: accept: %s", strerror(-sd));
                break;
            }
            if (!conn_new(sv, sd, sv->listener_svc[i], &remote)) {
                synack_log(SYNACK_LOG_ERROR, "warning: out of memory: connection refused");
                synack_abort(sv->st, sd);
            }
        }
    }
}

static void serve_app(synack_loop *lp, void *ctx)
{
    server *sv = ctx;
    accept_all(sv);
    for (conn **pp = &sv->conns; *pp;) {
        conn *c = *pp;
        const char *done = NULL;
        int ev = synack_poll_socket(sv->st, c->sd);
        if (ev & SYNACK_POLLERR) {
            int e = 0;
            size_t elen = sizeof e;
            synack_getsockopt(sv->st, c->sd, SYNACK_SO_ERROR, &e, &elen);
            done = e ? strerror(e) : "error";
        } else {
            switch (c->svc) {
            case SVC_ECHO: done = service_echo(sv, c, lp); break;
            case SVC_DISCARD: done = service_discard(sv, c, lp); break;
            case SVC_CHARGEN: done = service_chargen(sv, c, lp); break;
            default: done = service_http(sv, c, lp); break;
            }
            if (!done && (ev & SYNACK_POLLHUP) && !(synack_poll_socket(sv->st, c->sd) & SYNACK_POLLIN))
                done = "connection gone";
        }
        if (done) {
            *pp = c->next;
            conn_free(sv, c, done);
        } else {
            pp = &c->next;
        }
    }
}

/* ---- options and main ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack serve [options]\n"
            "  runs synack on a TUN device with built-in services until SIGINT/SIGTERM.\n"
            "  -s, --services LIST  comma list of echo (7), discard (9), chargen (19), http (80);\n"
            "                       name:PORT moves one (default: all four)\n"
            "  -r, --root DIR       what http serves (default: the current directory)\n"
            "  --close-delay T      after a peer's FIN, stay in CLOSE-WAIT for T (ms, or 2s)\n"
            "                       before closing\n"
            "  --control NAME|PATH  control socket for `synack netstat`: a NAME is " NET_CONTROL_DIR
            "/NAME.ctl\n"
            "                       (default " NET_CONTROL_DIR "/net<netns inode>-<dev>.ctl: one per namespace)\n"
            "  --cores N            N stacks on N threads, one per queue of a multi-queue TUN device\n"
            "                       (1-64, default 1); TCP flows are steered to queues by their ports;\n"
            "                       core 0 has the control socket and --pcap FILE, core i\n"
            "                       PATH.i and FILE.i\n");
    net_opts_usage(f);
}

static bool parse_services(const char *list, uint16_t ports[SVC_COUNT])
{
    for (int s = 0; s < SVC_COUNT; s++) ports[s] = 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy) return false;
    bool ok = true;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        long port = -1;
        if (colon) {
            *colon = 0;
            char *end;
            port = strtol(colon + 1, &end, 10);
            if (*end || port < 1 || port > 65535) ok = false;
        }
        int s;
        for (s = 0; s < SVC_COUNT; s++)
            if (!strcmp(tok, svc_name[s])) break;
        if (s == SVC_COUNT) ok = false;
        else ports[s] = (uint16_t)(port > 0 ? port : svc_default_port[s]);
    }
    free(copy);
    return ok;
}

static bool open_listeners(server *sv, const uint16_t ports[SVC_COUNT], bool want_v6)
{
    for (int s = 0; s < SVC_COUNT; s++) {
        if (!ports[s]) continue;
        /* The wildcard first (both families if the core binds it so); then, for IPv6, an IPv6
         * wildcard of its own, which a dual-family listener refuses as in use: both are fine. */
        for (int fam = 0; fam < (want_v6 ? 2 : 1); fam++) {
            int sd = synack_socket(sv->st);
            if (sd < 0) return false;
            int one = 1;
            synack_setsockopt(sv->st, sd, SYNACK_SO_REUSEADDR, &one, sizeof one);
            synack_endpoint ep;
            memset(&ep, 0, sizeof ep);
            ep.addr.family = fam ? SYNACK_AF_INET6 : SYNACK_AF_NONE;
            ep.port = ports[s];
            int r = synack_bind(sv->st, sd, &ep);
            if (r == 0) r = synack_listen(sv->st, sd, 128);
            if (r < 0) {
                synack_close(sv->st, sd);
                if (fam) {
                    synack_log(SYNACK_LOG_DEBUG, "%s: no separate IPv6 listener (%s)", svc_name[s],
                               strerror(-r));
                    continue;
                }
                synack_log(SYNACK_LOG_ERROR, "cannot listen on port %u for %s: %s", ports[s],
                           svc_name[s], strerror(-r));
                return false;
            }
            sv->listeners[sv->n_listeners] = sd;
            sv->listener_svc[sv->n_listeners++] = s;
            synack_log(SYNACK_LOG_INFO, "%s on port %u%s", svc_name[s], ports[s], fam ? " (IPv6)" : "");
        }
    }
    return true;
}

enum { OPT_CLOSE_DELAY = CLI_OPT_COMMAND, OPT_CORES };

#define MAX_CORES 64

/* Brings one server up on its queue: stack, loop, control socket, listeners. 0 or exit status. */
static int server_start(server *sv, const net_opts *o, const char *ctl, const uint16_t ports[SVC_COUNT])
{
    int rc = net_start(o, ctl, &sv->rt);
    if (rc) return rc;
    sv->st = sv->rt.st;
    bool want_v6 = synack_stack_config(sv->st)->addr6.family == SYNACK_AF_INET6;
    if (!open_listeners(sv, ports, want_v6)) {
        net_stop(&sv->rt);
        return 1;
    }
    synack_loop_set_app(sv->rt.lp, serve_app, sv);
    return 0;
}

static void server_finish(server *sv)
{
    while (sv->conns) {
        conn *c = sv->conns;
        sv->conns = c->next;
        conn_free(sv, c, "server stopping");
    }
    net_stop(&sv->rt);
}

/* ---- --cores N: one server per queue, each on its thread ---- */

static void stop_watch(synack_loop *lp, int fd, uint32_t events, void *ctx) { synack_loop_stop(lp, 0); }

static void *core_thread(void *arg)
{
    server *sv = arg;
    int rc = synack_loop_run(sv->rt.lp);
    return (void *)(intptr_t)rc;
}

/* Runs `cores` servers on the queues of one multi-queue device; SIGINT/SIGTERM stop them all. */
static int serve_cores(server *proto, const net_opts *o, const char *ctl, const uint16_t ports[SVC_COUNT],
                       unsigned cores)
{
    server *svs[MAX_CORES] = {0};
    pthread_t threads[MAX_CORES];
    unsigned started = 0, running = 0;
    int rc = 0;
    /* Every thread inherits the blocked signals; this thread takes them with sigwait. */
    sigset_t stop_sigs, old;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, &old);
    /* Never read: once written, it stays readable and stops every loop that watches it. */
    int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) rc = 1;
    for (unsigned q = 0; q < cores && !rc; q++) {
        server *sv = malloc(sizeof *sv);
        if (!sv) {
            rc = 1;
            break;
        }
        *sv = *proto;
        snprintf(sv->tag, sizeof sv->tag, "core %u: ", q);
        net_opts oq = *o;
        oq.queue = q;
        oq.queues = cores;
        char qctl[160], qpcap[4096];
        if (q) snprintf(qctl, sizeof qctl, "%s.%u", ctl, q);
        else snprintf(qctl, sizeof qctl, "%s", ctl);
        /* One capture per queue (each is one thread's view): FILE, FILE.1, ... */
        if (o->pcap && q) {
            snprintf(qpcap, sizeof qpcap, "%s.%u", o->pcap, q);
            oq.pcap = qpcap;
        }
        rc = server_start(sv, &oq, qctl, ports);
        if (rc) {
            free(sv);
            break;
        }
        svs[started++] = sv;
        if (synack_loop_watch(sv->rt.lp, stop_fd, EPOLLIN, stop_watch, NULL) < 0) rc = 1;
    }
    if (!rc) synack_log(SYNACK_LOG_INFO, "serving on %u cores; SIGINT or SIGTERM stops", cores);
    for (unsigned q = 0; q < started && !rc; q++) {
        if (pthread_create(&threads[q], NULL, core_thread, svs[q])) {
            synack_log(SYNACK_LOG_ERROR, "cannot start the thread of core %u", q);
            rc = 1;
            break;
        }
        running++;
    }
    if (!rc) {
        int sig = 0;
        sigwait(&stop_sigs, &sig);
        synack_log(SYNACK_LOG_INFO, "signal %d: stopping %u cores", sig, cores);
    }
    uint64_t one = 1;
    if (stop_fd >= 0 && write(stop_fd, &one, sizeof one) < 0) rc = 1;
    for (unsigned q = 0; q < running; q++) {
        void *ret;
        pthread_join(threads[q], &ret);
        if ((intptr_t)ret < 0) rc = 1;
    }
    for (unsigned q = 0; q < started; q++) {
        server_finish(svs[q]);
        free(svs[q]);
    }
    if (stop_fd >= 0) close(stop_fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    net_opts o;
    net_opts_init(&o, "synack serve");
    const char *services = "echo,discard,chargen,http", *root = ".";
    synack_time_us close_delay = 0;
    unsigned cores = 1;
    static const struct option longopts[] = {
        {"services", required_argument, NULL, 's'},
        {"root", required_argument, NULL, 'r'},
        {"close-delay", required_argument, NULL, OPT_CLOSE_DELAY},
        {"cores", required_argument, NULL, OPT_CORES},
        NET_LONGOPTS,
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    cli cl;
    cli_init(&cl, o.cmd, argc, argv, "s:r:" NET_SHORTOPTS CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    for (int opt; (opt = cli_next(&cl, &arg)) != -1;) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case CLI_OPT_VERSION:
            cli_version(stdout);
            return 0;
        case 's':
            services = arg;
            break;
        case 'r':
            root = arg;
            break;
        case OPT_CLOSE_DELAY: {
            char *end;
            double ms = arg[0] >= '0' && arg[0] <= '9' ? strtod(arg, &end) : -1;
            if (ms >= 0 && !strcmp(end, "s")) ms *= 1000;
            else if (ms >= 0 && *end && strcmp(end, "ms")) ms = -1;
            if (!(ms >= 0 && ms < 3.6e6)) return cli_bad_value(&cl, arg, "0 to 1 hour: ms, or 2s");
            close_delay = (synack_time_us)(ms * 1000);
            break;
        }
        case OPT_CORES: {
            uint32_t n;
            if (!cli_parse_u32(arg, 1, MAX_CORES, &n)) return cli_bad_value(&cl, arg, "1-64");
            cores = n;
            break;
        }
        case '?':
            return CLI_EXIT_USAGE;
        default:
            if (net_opts_apply(&o, &cl, opt, arg) <= 0) return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error(o.cmd, "unexpected argument '%s'", argv[optind]);
    uint16_t ports[SVC_COUNT];
    if (!parse_services(services, ports)) {
        return cli_usage_error(o.cmd, "bad value '%s' for --services (echo, discard, chargen, "
                                      "http[:PORT])", services);
    }

    server *sv = calloc(1, sizeof *sv);
    if (!sv) return 1;
    sv->close_delay_us = close_delay;
    chargen_init(sv->chargen);
    sv->root_fd = -1;
    if (ports[SVC_HTTP]) {
        sv->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sv->root_fd < 0) {
            fprintf(stderr, "synack serve: --root %s: %s\n", root, strerror(errno));
            free(sv);
            return 1;
        }
    }
    char ctl[128];
    if (o.control) net_control_resolve(o.control, ctl, sizeof ctl);
    else net_control_default(o.dev, ctl, sizeof ctl);
    int rc;
    if (cores > 1) {
        rc = serve_cores(sv, &o, ctl, ports, cores);
    } else if (!(rc = server_start(sv, &o, ctl, ports))) {
        synack_log(SYNACK_LOG_INFO, "serving; SIGINT or SIGTERM stops");
        rc = synack_loop_run(sv->rt.lp);
        /* A signal is the normal way to stop a server. */
        if (rc >= 128) rc = 0;
        else if (rc < 0) rc = 1;
        server_finish(sv);
    }
    if (sv->root_fd >= 0) close(sv->root_fd);
    free(sv);
    return rc;
}
