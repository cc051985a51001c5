/* preload_api.c: run under `synack run` (tests/interop/preload_api.sh) in a namespace where the
 * kernel side (198.18.0.1, 2001:db8::1) runs an echo server on port 7007 (socat). Checks the
 * preload library call by call as a program sees it: which sockets go where, non-blocking and
 * blocking connect, poll/select/epoll (level and edge triggered), data calls, dup/fcntl/ioctl,
 * options, errors for what is not supported, threads, a listener that a kernel client reaches,
 * IPv6 and IPv4-mapped addresses, and fork. Prints one line per check; exits 1 on any failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok: ");                                                                        \
        } else {                                                                                   \
            printf("FAIL (%s:%d, errno %s): ", __FILE__, __LINE__, strerror(errno));               \
            failures++;                                                                            \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        fflush(stdout);                                                                            \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in v4(const char *a, int port)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, a, &s.sin_addr);
    return s;
}

static struct sockaddr_in6 v6(const char *a, int port)
{
    struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    inet_pton(AF_INET6, a, &s.sin6_addr);
    return s;
}

static int echo_connect_nb(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = v4("198.18.0.1", 7007);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    CHECK(r == -1 && errno == EINPROGRESS, "non-blocking connect says EINPROGRESS");
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT), "poll: writable once connected");
    int err = -1;
    socklen_t len = sizeof err;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "SO_ERROR 0");
    return fd;
}

/* Reads exactly n bytes (blocking or not), waiting with poll; false on EOF or error. */
static bool read_n(int fd, void *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    double end = now_s() + timeout_ms / 1000.0;
    while (got < n && now_s() < end) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            return false;
        } else if (errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, 100);
        } else {
            return false;
        }
    }
    return got == n;
}

static void test_routing(void)
{
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct stat sb;
    CHECK(t >= 0 && fstat(t, &sb) == 0 && S_ISSOCK(sb.st_mode), "TCP socket is a socket to fstat");
    int v = 0;
    socklen_t len = sizeof v;
    CHECK(getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM, "SO_TYPE stream");
    len = sizeof v;
    CHECK(getsockopt(t, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET, "SO_DOMAIN AF_INET");
    CHECK(getsockopt(t, IPPROTO_IP, IP_TOS, &v, &len) == -1 && errno == ENOPROTOOPT,
          "IP_TOS: ENOPROTOOPT (not supported, not ignored)");
    CHECK(ioctl(t, SIOCATMARK, &v) == -1 && errno == ENOTTY, "unknown ioctl: ENOTTY");
    CHECK(fcntl(t, F_SETFL, O_ASYNC) == -1 && errno == EINVAL, "O_ASYNC: EINVAL");
    close(t);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    len = sizeof v;
    CHECK(u >= 0 && getsockopt(u, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_DGRAM,
          "UDP socket goes to the kernel");
    struct sockaddr_in lo = v4("127.0.0.1", 0);
    CHECK(bind(u, (struct sockaddr *)&lo, sizeof lo) == 0, "kernel UDP binds loopback");
    close(u);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && write(sv[0], "x", 1) == 1 &&
              read(sv[1], &v, 1) == 1,
          "Unix socketpair read/write through the kernel");
    close(sv[0]);
    close(sv[1]);
    int lt = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(lt, (struct sockaddr *)&lo, sizeof lo) == -1 && errno == ENETUNREACH,
          "connect to loopback: ENETUNREACH (synack has no loopback)");
    close(lt);
}

static void test_data(void)
{
    int fd = echo_connect_nb();
    struct sockaddr_in peer, self;
    socklen_t len = sizeof peer;
    CHECK(getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sin_port == htons(7007) &&
              peer.sin_addr.s_addr == inet_addr("198.18.0.1"),
          "getpeername 198.18.0.1:7007");
    len = sizeof self;
    CHECK(getsockname(fd, (struct sockaddr *)&self, &len) == 0 && self.sin_addr.s_addr == inet_addr("198.18.0.2") &&
              ntohs(self.sin_port) >= 1024,
          "getsockname 198.18.0.2:%u", ntohs(self.sin_port));
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "F_GETFL shows O_NONBLOCK");

    /* Edge-triggered epoll: one edge per arrival, none while nothing new comes. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = fd}, out[4];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl ADD (EPOLLET)");
    CHECK(epoll_wait(ep, out, 4, 100) == 0, "epoll: no event before data");
    CHECK(send(fd, "hello", 5, MSG_NOSIGNAL) == 5, "send 5 bytes");
    CHECK(epoll_wait(ep, out, 4, 3000) == 1 && (out[0].events & EPOLLIN), "epoll ET: EPOLLIN edge");
    int avail = 0;
    for (int i = 0; i < 50 && avail < 5; i++) {
        ioctl(fd, FIONREAD, &avail);
        if (avail < 5) usleep(10000);
    }
    CHECK(avail == 5, "FIONREAD 5");
    char buf[64];
    CHECK(recv(fd, buf, 2, MSG_PEEK) == 2 && !memcmp(buf, "he", 2), "MSG_PEEK");
    CHECK(read(fd, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5), "read echo");
    CHECK(read(fd, buf, sizeof buf) == -1 && errno == EAGAIN, "read: EAGAIN when empty");
    CHECK(epoll_wait(ep, out, 4, 200) == 0, "epoll ET: no second edge without new data");
    struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
    CHECK(writev(fd, iov, 3) == 6, "writev 6 bytes");
    CHECK(epoll_wait(ep, out, 4, 3000) == 1, "epoll ET: a new edge for new data");
    char a[2], b[4];
    struct iovec riov[2] = {{a, 2}, {b, 4}};
    struct msghdr mh = {.msg_iov = riov, .msg_iovlen = 2};
    for (int i = 0; i < 300 && (ioctl(fd, FIONREAD, &avail), avail < 6); i++) usleep(10000);
    CHECK(recvmsg(fd, &mh, MSG_WAITALL) == 6 && !memcmp(a, "ab", 2) &&
              !memcmp(b, "cdef", 4),
          "recvmsg MSG_WAITALL into two iovecs");
    struct msghdr sm = {.msg_iov = iov, .msg_iovlen = 3};
    CHECK(sendmsg(fd, &sm, MSG_NOSIGNAL) == 6 && read_n(fd, buf, 6, 3000) && !memcmp(buf, "abcdef", 6),
          "sendmsg and read back");
    CHECK(send(fd, "x", 1, MSG_OOB) == -1 && errno == EOPNOTSUPP, "MSG_OOB: EOPNOTSUPP");

    /* select, level triggered. */
    CHECK(send(fd, "s", 1, 0) == 1, "send for select");
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    struct timeval tv = {3, 0};
    CHECK(select(fd + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &rs), "select: readable");
    CHECK(read(fd, buf, 1) == 1 && buf[0] == 's', "read after select");

    /* dup, dup2, F_DUPFD: one socket, several numbers. */
    int d = dup(fd);
    int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
    int d3 = dup2(fd, 60);
    CHECK(d >= 0 && d2 >= 50 && d3 == 60, "dup, F_DUPFD_CLOEXEC, dup2");
    close(fd);
    CHECK(send(d, "D", 1, 0) == 1 && read_n(d2, buf, 1, 3000) && buf[0] == 'D',
          "after close(fd) the duplicates still name the connection");
    CHECK(fcntl(d3, F_SETFL, 0) == 0 && !(fcntl(d, F_GETFL) & O_NONBLOCK), "O_NONBLOCK is shared by duplicates");

    /* Blocking: SO_RCVTIMEO, then a blocking recv woken by data. */
    struct timeval to = {0, 200000};
    CHECK(setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &to, sizeof to) == 0, "SO_RCVTIMEO 200 ms");
    double t0 = now_s();
    ssize_t r = recv(d, buf, 1, 0);
    double dt = now_s() - t0;
    CHECK(r == -1 && errno == EAGAIN && dt > 0.15 && dt < 2.0, "blocking recv times out after %.3f s", dt);
    CHECK(shutdown(d, SHUT_WR) == 0, "shutdown(SHUT_WR)");
    struct pollfd p = {.fd = d, .events = POLLIN | POLLRDHUP};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLRDHUP), "poll: POLLRDHUP after the echo server's FIN");
    CHECK(read(d, buf, 1) == 0, "read: 0 at end of stream");
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && (out[0].events & EPOLLRDHUP), "epoll: EPOLLRDHUP");
    close(d);
    close(d2);
    close(d3);
    close(ep);
    CHECK(send(d, "x", 1, 0) == -1 && errno == EBADF, "send on a closed descriptor: EBADF");
}

struct bulk {
    int fd;
    size_t n;
    unsigned char *buf;
    bool ok;
};

static void *bulk_writer(void *arg)
{
    struct bulk *b = arg;
    size_t off = 0;
    while (off < b->n) {
        ssize_t w = write(b->fd, b->buf + off, b->n - off > 100000 ? 100000 : b->n - off);
        if (w <= 0) return NULL;
        off += (size_t)w;
    }
    b->ok = true;
    return NULL;
}

static void test_blocking_threads(void)
{
    /* Blocking connect, then one thread writes 4 MiB while this one reads the echo. */
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int one = 1, v;
    socklen_t len = sizeof v;
    CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
              getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1,
          "TCP_NODELAY set and read back");
    int idle = 30, intvl = 5, cnt = 4, uto = 20000, got[4];
    len = sizeof v;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0 &&
              setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0 &&
              setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) == 0 &&
              setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) == 0 &&
              setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto) == 0,
          "SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT set");
    socklen_t l0 = sizeof(int), l1 = l0, l2 = l0, l3 = l0;
    CHECK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &got[0], &l0) == 0 && got[0] == idle &&
              getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &got[1], &l1) == 0 && got[1] == intvl &&
              getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &got[2], &l2) == 0 && got[2] == cnt &&
              getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &got[3], &l3) == 0 && got[3] == uto,
          "keepalive and user timeout read back");
    int rb = 512 * 1024;
    len = sizeof v;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb) == 0 &&
              getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == rb,
          "SO_RCVBUF before connect");
    struct linger lg = {1, 5}, lgot;
    len = sizeof lgot;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0 &&
              getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len) == 0 && lgot.l_onoff && lgot.l_linger == 5,
          "SO_LINGER");
    struct sockaddr_in sa = v4("198.18.0.1", 7007);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "blocking connect");
    struct tcp_info ti;
    len = sizeof ti;
    CHECK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == 1 && ti.tcpi_snd_mss > 0,
          "TCP_INFO: ESTABLISHED, mss %u", ti.tcpi_snd_mss);
    struct bulk b = {.fd = fd, .n = 4u << 20};
    b.buf = malloc(b.n);
    unsigned char *in = malloc(b.n);
    for (size_t i = 0; i < b.n; i++) b.buf[i] = (unsigned char)(i * 7 + (i >> 13));
    pthread_t th;
    pthread_create(&th, NULL, bulk_writer, &b);
    size_t got_n = 0;
    while (got_n < b.n) {
        ssize_t r = read(fd, in + got_n, b.n - got_n);
        if (r <= 0) break;
        got_n += (size_t)r;
    }
    pthread_join(th, NULL);
    CHECK(b.ok && got_n == b.n && !memcmp(in, b.buf, b.n), "4 MiB written by one thread, echoed, read by another");
    free(in);
    free(b.buf);
    close(fd);

    /* Refused, both ways. */
    int r1 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in closed = v4("198.18.0.1", 9);
    CHECK(connect(r1, (struct sockaddr *)&closed, sizeof closed) == -1 && errno == ECONNREFUSED,
          "blocking connect to a closed port: ECONNREFUSED");
    close(r1);
    int r2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(r2, (struct sockaddr *)&closed, sizeof closed) == -1 && errno == EINPROGRESS, "non-blocking: EINPROGRESS");
    struct pollfd p = {.fd = r2, .events = POLLOUT};
    int e = 0;
    len = sizeof e;
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & (POLLERR | POLLHUP)) &&
              getsockopt(r2, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == ECONNREFUSED,
          "poll: POLLERR|POLLHUP, then SO_ERROR ECONNREFUSED");
    close(r2);
}

static void test_listener(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in any = v4("0.0.0.0", 7100);
    CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
              bind(l, (struct sockaddr *)&any, sizeof any) == 0 && listen(l, 8) == 0,
          "bind 0.0.0.0:7100 and listen");
    int acc = 0;
    socklen_t len = sizeof acc;
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc == 1, "SO_ACCEPTCONN");
    fcntl(l, F_SETFL, O_NONBLOCK);
    CHECK(accept(l, NULL, NULL) == -1 && errno == EAGAIN, "accept: EAGAIN when none waits");
    /* A kernel client: socat without the preload library in its environment. */
    char *env[64];
    int n = 0;
    for (char **e = environ; *e && n < 63; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11)) env[n++] = *e;
    env[n] = NULL;
    char *argv[] = {"sh", "-c", "printf ping | socat -t 3 - TCP4:198.18.0.2:7100 > /dev/null", NULL};
    pid_t pid;
    CHECK(posix_spawnp(&pid, "sh", NULL, NULL, argv, env) == 0, "spawned a kernel client");
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(l, &rs);
    struct timeval tv = {5, 0};
    CHECK(select(l + 1, &rs, NULL, NULL, &tv) == 1, "select: the listener is readable");
    struct sockaddr_in peer;
    len = sizeof peer;
    int c = accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
    CHECK(c >= 0 && peer.sin_addr.s_addr == inet_addr("198.18.0.1"), "accept4 from 198.18.0.1");
    char buf[8];
    CHECK(read_n(c, buf, 4, 5000) && !memcmp(buf, "ping", 4), "read the client's data");
    CHECK(read_n(c, buf, 1, 5000) == false, "then its FIN");
    close(c);
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kernel client exited 0");
    close(l);
}

static void test_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa = v6("2001:db8::1", 7007);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "IPv6 blocking connect");
    char buf[4];
    CHECK(write(fd, "six", 3) == 3 && read_n(fd, buf, 3, 3000) && !memcmp(buf, "six", 3), "IPv6 echo");
    close(fd);
    int m = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 mapped = v6("::ffff:198.18.0.1", 7007), peer;
    socklen_t len = sizeof peer;
    char txt[64] = "";
    CHECK(connect(m, (struct sockaddr *)&mapped, sizeof mapped) == 0 &&
              getpeername(m, (struct sockaddr *)&peer, &len) == 0 &&
              inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt) && !strcmp(txt, "::ffff:198.18.0.1"),
          "AF_INET6 socket to an IPv4-mapped address: peer %s", txt);
    close(m);
    int o = socket(AF_INET6, SOCK_STREAM, 0), on = 1;
    CHECK(setsockopt(o, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0 &&
              connect(o, (struct sockaddr *)&mapped, sizeof mapped) == -1 && errno == ENETUNREACH,
          "IPV6_V6ONLY: no IPv4-mapped connect");
    close(o);
}

static void test_fork(void)
{
    int fd = echo_connect_nb();
    pid_t pid = fork();
    if (pid == 0) {
        int ok = send(fd, "x", 1, MSG_NOSIGNAL) == -1 && errno == EBADF;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        ok = ok && s == -1 && errno == ENETDOWN;
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forked child: inherited socket EBADF, new TCP socket ENETDOWN");
    char buf[2];
    CHECK(send(fd, "p", 1, 0) == 1 && read_n(fd, buf, 1, 3000) && buf[0] == 'p', "the parent's socket still works");
    close(fd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_routing();
    test_data();
    test_blocking_threads();
    test_listener();
    test_ipv6();
    test_fork();
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
