/* tun_pingpong.c: the round-trip latency a kernel TCP client sees to an echo server: after a few
 * warm-up rounds, N rounds of one byte sent (TCP_NODELAY) and one byte read back with blocking
 * calls, each round timed alone. Prints one line: "rounds p50_us p99_us mean_us max_us".
 * bench/busy_poll.sh runs it against `synack serve` over TUN with and without --busy-poll.
 * usage: tun_pingpong HOST PORT [ROUNDS]   (IPv4; ROUNDS 1..1000000, default 20000) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [ROUNDS]\n", argv[0]);
        return 2;
    }
    long rounds = argc > 3 ? atol(argv[3]) : 20000;
    if (rounds < 1 || rounds > 1000000) return 2;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {5, 0}; /* a lost echo ends the run instead of hanging it */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("connect");
        return 1;
    }
    long long *rtt = malloc((size_t)rounds * sizeof *rtt);
    if (!rtt) return 1;
    char b = 'x';
    for (long i = -100; i < rounds; i++) { /* 100 warm-up rounds, not counted */
        long long t0 = ns_now();
        if (send(fd, &b, 1, 0) != 1 || recv(fd, &b, 1, 0) != 1) {
            perror("round trip");
            return 1;
        }
        if (i >= 0) rtt[i] = ns_now() - t0;
    }
    close(fd);
    long long sum = 0;
    for (long i = 0; i < rounds; i++) sum += rtt[i];
    qsort(rtt, (size_t)rounds, sizeof *rtt, cmp_ll);
    printf("%ld %.2f %.2f %.2f %.2f\n", rounds, rtt[rounds / 2] / 1e3, rtt[rounds * 99 / 100] / 1e3,
           (double)sum / (double)rounds / 1e3, rtt[rounds - 1] / 1e3);
    free(rtt);
    return 0;
}
