/* kernel_conn_rate.c: the anchor of figure 1, the Linux kernel on loopback on the same core.
 * One process, client and server, epoll, nonblocking: each connection connects to 127.0.0.1,
 * sends 1 byte, gets 1 byte back and closes, the client first (--mode client) or the server first
 * (--mode server), with --outstanding connections in flight. Plain close() (no SO_LINGER, so
 * TIME-WAIT is real); the server listens on 16 ports and the kernel's tcp_tw_reuse (2 = loopback,
 * the default) lets connect() reuse TIME-WAIT ports, so ports do not run out. Bounded by --count
 * and --cap seconds; fds stay below 2*outstanding + 16 (ulimit -n is 20,000). One JSON line.
 *   kernel_conn_rate [--mode client|server] [--count N] [--cap S] [--outstanding K] */
#include "support/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define NPORTS 16
#define MAXFD 65536
enum { F_NONE, F_LISTEN, F_CONNECTING, F_CWAIT, F_CEOF, F_SREQ, F_SEOF };
static uint8_t role[MAXFD];
static int ep;
static uint64_t completed, failed, started, eaddrnotavail;
static unsigned outstanding;

static void watch(int fd, uint32_t evs, int op)
{
    struct epoll_event e = {.events = evs, .data.fd = fd};
    epoll_ctl(ep, op, fd, &e);
}

static void done_fd(int fd) /* close() removes it from epoll */
{
    role[fd] = F_NONE;
    close(fd);
}

int main(int argc, char **argv)
{
    const char *mode = "client";
    uint64_t count = 100000;
    double cap_s = 5;
    unsigned target = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--count")) count = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cap")) cap_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--outstanding")) target = (unsigned)atoi(argv[i + 1]);
        else {
            fprintf(stderr, "kernel_conn_rate: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    bool client_first = strcmp(mode, "server") != 0;
    if (target > 5000) target = 5000;
    ep = epoll_create1(0);
    struct sockaddr_in addr[NPORTS];
    for (int i = 0; i < NPORTS; i++) {
        int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0 ||
            getsockname(l, (struct sockaddr *)&a, &al) < 0) {
            perror("kernel_conn_rate: listen");
            return 1;
        }
        addr[i] = a;
        role[l] = F_LISTEN;
        watch(l, EPOLLIN, EPOLL_CTL_ADD);
    }
    struct epoll_event evs[512];
    char b = 'x', buf[16];
    double t0 = bench_wall_s();
    const char *stopped = "count";
    while (completed + failed < count) {
        while (outstanding < target && started < count) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (fd < 0 || fd >= MAXFD) {
                if (fd >= 0) close(fd);
                break;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            int r = connect(fd, (struct sockaddr *)&addr[started % NPORTS], sizeof addr[0]);
            if (r < 0 && errno != EINPROGRESS) {
                if (errno == EADDRNOTAVAIL) eaddrnotavail++;
                close(fd);
                failed++;
                started++;
                continue;
            }
            role[fd] = F_CONNECTING;
            watch(fd, EPOLLOUT, EPOLL_CTL_ADD);
            outstanding++;
            started++;
        }
        if (bench_wall_s() - t0 > cap_s) {
            stopped = "wall_cap";
            break;
        }
        int n = epoll_wait(ep, evs, 512, 100);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            switch (role[fd]) {
            case F_LISTEN: {
                int c;
                while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXFD) {
                        close(c);
                        continue;
                    }
                    role[c] = F_SREQ;
                    watch(c, EPOLLIN, EPOLL_CTL_ADD);
                }
                break;
            }
            case F_CONNECTING:
                if (evs[i].events & (EPOLLERR | EPOLLHUP) || write(fd, &b, 1) != 1) {
                    done_fd(fd);
                    outstanding--;
                    failed++;
                    break;
                }
                role[fd] = F_CWAIT;
                watch(fd, EPOLLIN, EPOLL_CTL_MOD);
                break;
            case F_CWAIT:
            case F_CEOF: {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r < 0 && errno == EAGAIN) break;
                bool ok = r > 0 || (r == 0 && role[fd] == F_CEOF);
                if (r > 0 && !client_first) {
                    role[fd] = F_CEOF; /* wait for the server's FIN */
                    break;
                }
                done_fd(fd);
                outstanding--;
                if (ok) completed++;
                else failed++;
                break;
            }
            case F_SREQ:
            case F_SEOF: {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r < 0 && errno == EAGAIN) break;
                if (r > 0 && role[fd] == F_SREQ) {
                    if (write(fd, &b, 1) != 1 || !client_first) done_fd(fd);
                    else role[fd] = F_SEOF;
                    break;
                }
                done_fd(fd);
                break;
            }
            default: break;
            }
        }
    }
    double wall = bench_wall_s() - t0;
    printf("{\"bench\":\"kernel_loopback_conn_rate_%s_close\",\"value\":%.1f,\"unit\":\"conn/s\","
           "\"completed\":%llu,\"failed\":%llu,\"eaddrnotavail\":%llu,\"stopped_by\":\"%s\","
           "\"wall_s\":%.3f,\"outstanding\":%u,\"linger\":\"none (plain close, tcp_tw_reuse)\"}\n",
           client_first ? "client" : "server", wall > 0 ? (double)completed / wall : 0.0,
           (unsigned long long)completed, (unsigned long long)failed,
           (unsigned long long)eaddrnotavail, stopped, wall, target);
    return 0;
}
