/* preload_pingpong.c: the per-call cost of send() and recv() on a TCP socket, as a program sees
 * it: N one-byte round trips to an echo server, timing only the calls themselves (recv runs once
 * poll() said readable, so no waiting is counted). Run it on the kernel and under `synack run`
 * (bench/preload.sh) to compare the preload layer with the kernel's system calls.
 * usage: preload_pingpong HOST PORT [ROUNDS]   prints "send_ns recv_ns rtt_us" */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 20000;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, 5000);
    }
    long long t_send = 0, t_recv = 0, t0 = ns_now();
    int done = 0;
    for (int i = 0; i < rounds; i++) {
        char c = (char)i, d;
        long long a = ns_now();
        if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
        t_send += ns_now() - a;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1) break;
        a = ns_now();
        ssize_t r = recv(fd, &d, 1, 0);
        t_recv += ns_now() - a;
        if (r != 1 || d != c) break;
        done++;
    }
    long long total = ns_now() - t0;
    close(fd);
    if (done != rounds) {
        fprintf(stderr, "preload_pingpong: only %d of %d round trips\n", done, rounds);
        return 1;
    }
    printf("%lld %lld %.1f\n", t_send / rounds, t_recv / rounds, (double)total / rounds / 1000.0);
    return 0;
}
