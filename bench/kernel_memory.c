/* kernel_memory.c: the kernel anchor of figure 2, measured, not quoted. Opens N loopback
 * connections (client in a child process, server in this one: each stays under ulimit -n), reads
 * /proc/slabinfo before and after (active objects x object size of the caches a TCP socket uses:
 * TCP, sock_inode_cache, dentry, filp, tcp_bind_bucket), then the client closes first and the
 * TIME-WAIT cost is the growth of tw_sock_TCP and tcp_bind_bucket per TIME-WAIT socket.
 * Slab caches are machine-wide: other work on the machine is noise (take medians). Needs read
 * access to /proc/slabinfo (root); without it prints the constants marked as such.
 *   kernel_memory [--n N]   (N <= 9,000) */
#include "support/bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *est_caches[] = {"TCP", "sock_inode_cache", "dentry", "filp", "tcp_bind_bucket", NULL};
static const char *tw_caches[] = {"tw_sock_TCP", "tcp_bind_bucket", NULL};

/* Sum of active_objs * objsize over the named caches; -1 if slabinfo is unreadable. */
static long long slab_bytes(const char **names)
{
    FILE *f = fopen("/proc/slabinfo", "r");
    if (!f) return -1;
    char line[512], name[64];
    long long total = 0;
    while (fgets(line, sizeof line, f)) {
        long active, num, size;
        if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &size) != 4) continue;
        for (int i = 0; names[i]; i++)
            if (!strcmp(name, names[i])) total += (long long)active * size;
    }
    fclose(f);
    return total;
}

static int sockstat_tw(void)
{
    FILE *f = fopen("/proc/net/sockstat", "r");
    char line[256];
    int tw = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "TCP:", 4)) {
            char *p = strstr(line, " tw ");
            if (p) tw = atoi(p + 4);
        }
    if (f) fclose(f);
    return tw;
}

int main(int argc, char **argv)
{
    int n = 5000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
    if (n < 100) n = 100;
    if (n > 9000) n = 9000;
    if (slab_bytes(est_caches) < 0) {
        printf("{\"bench\":\"kernel_mem\",\"per_socket\":3700,\"per_time_wait\":400,"
               "\"source\":\"issue-constant\"}\n");
        return 0;
    }
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) < 0) {
        perror("kernel_memory: listen");
        return 1;
    }
    int up[2], down[2];
    if (pipe(up) < 0 || pipe(down) < 0) return 1;
    long long e0 = slab_bytes(est_caches);
    pid_t child = fork();
    if (child == 0) { /* client: connect n, report, wait, close all (first), report */
        int *fds = calloc((size_t)n, sizeof *fds);
        char c = 0;
        for (int i = 0; i < n; i++) {
            fds[i] = socket(AF_INET, SOCK_STREAM, 0);
            if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0) _exit(1);
        }
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1) _exit(1);
        for (int i = 0; i < n; i++) close(fds[i]);
        if (write(up[1], &c, 1) != 1) _exit(1);
        _exit(0);
    }
    int *fds = calloc((size_t)n, sizeof *fds);
    char c = 0;
    int got = 0;
    for (; got < n; got++)
        if ((fds[got] = accept(l, NULL, NULL)) < 0) break;
    if (got < n || read(up[0], &c, 1) != 1) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        fprintf(stderr, "kernel_memory: only %d connections\n", got);
        return 1;
    }
    usleep(200000);
    long long e1 = slab_bytes(est_caches), t1 = slab_bytes(tw_caches);
    int tw1 = sockstat_tw();
    if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1) return 1; /* client closed first */
    for (int i = 0; i < n; i++) close(fds[i]);
    waitpid(child, NULL, 0);
    usleep(500000);
    long long t2 = slab_bytes(tw_caches);
    int tw2 = sockstat_tw();
    int twn = tw2 - tw1 > 0 ? tw2 - tw1 : n;
    printf("{\"bench\":\"kernel_mem\",\"per_socket\":%.0f,\"per_time_wait\":%.0f,\"n\":%d,"
           "\"time_wait_delta\":%d,\"source\":\"slabinfo active_objs*objsize: TCP, sock_inode_cache,"
           " dentry, filp, tcp_bind_bucket / tw_sock_TCP, tcp_bind_bucket\"}\n",
           (double)(e1 - e0) / (2.0 * n), (double)(t2 - t1) / twn, n, tw2 - tw1);
    return 0;
}
