/* adapter.c: drives libsynack-packetdrill.so as packetdrill does (dlopen, init, blocking calls on
 * a second thread, hand-built packets in, packets out checked field by field, virtual time) and
 * checks the netstat_file at each step; packetdrill itself is not needed. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "packetdrill/packetdrill_if.h"
#include "test.h"

/* Sanitizer runtimes refuse RTLD_DEEPBIND (google/sanitizers#611). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

static void *so_handle;
static packetdrill_interface_init_t so_init;
static struct packetdrill_interface ifc;
static char netstat_path[PATH_MAX];

#define HDR                                                                                  \
    "Active Internet connections (servers and established)\n"                               \
    "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"

/* ---- loading and instances ---- */

static bool load(void)
{
    if (so_handle) return true;
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = '\0';
    snprintf(path, sizeof path, "%s/libsynack-packetdrill.so", exe);
    /* packetdrill's flags, but for RTLD_DEEPBIND under a sanitizer. */
    int flags = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE;
#ifndef UNDER_SANITIZER
    flags |= RTLD_DEEPBIND;
#endif
    so_handle = dlopen(path, flags);
    if (!so_handle) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return false;
    }
    so_init = (packetdrill_interface_init_t)dlsym(so_handle, "packetdrill_interface_init");
    return so_init != NULL;
}

/* Starts a fresh instance; as packetdrill does, ifc arrives zeroed. */
static void start(const char *flags)
{
    memset(&ifc, 0, sizeof ifc);
    so_init(flags, &ifc);
}

static void stop(void)
{
    if (ifc.free) ifc.free(ifc.userdata);
    memset(&ifc, 0, sizeof ifc);
}

static char *start_with_netstat(const char *extra)
{
    static char flags[PATH_MAX + 1024];
    snprintf(netstat_path, sizeof netstat_path, "/tmp/synack-pd-netstat-%d.txt", (int)getpid());
    unlink(netstat_path);
    snprintf(flags, sizeof flags, "netstat_file=%s %s", netstat_path, extra);
    start(flags);
    return flags;
}

static const char *netstat_read(void)
{
    static char buf[8192];
    buf[0] = '\0';
    FILE *f = fopen(netstat_path, "r");
    if (!f) return "(no file)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static uint64_t vnow(void)
{
    struct timeval tv;
    ifc.gettimeofday(ifc.userdata, &tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static double real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One `netstat -an` connection line, as Linux net-tools prints it. */
static const char *ns_line(const char *local, const char *remote, const char *state)
{
    static char buf[4][160];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "tcp        0      0 %-23s %-23s %-11s\n", local, remote, state);
    return buf[i];
}

static const char *ep(uint16_t port)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "192.168.0.1:%u", port);
    return buf[i];
}

/* ---- packets ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint16_t tcp_cksum(const uint8_t *ip, const uint8_t *tcp, size_t len)
{
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint32_t)len);
    return fold(sum16(tcp, len, sum16(pseudo, 12, 0)));
}

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

/* The peer (packetdrill's side) of one connection. */
typedef struct peer {
    uint8_t remote_ip[4]; /* the peer: 192.0.2.1 */
    uint8_t local_ip[4];  /* the stack: 192.168.0.1 */
    uint16_t rport, lport;
    uint32_t seq;         /* peer's next sequence number */
    uint32_t ack;         /* what the peer acknowledges (the stack's next byte) */
    uint32_t iss;         /* the stack's ISN */
    bool ts;              /* put a timestamp option on every segment */
    uint32_t tsval, tsecr;
    uint16_t win;
} peer;

static void peer_init(peer *p, uint16_t rport, uint16_t lport, uint32_t peer_isn)
{
    memset(p, 0, sizeof *p);
    memcpy(p->remote_ip, (uint8_t[]){192, 0, 2, 1}, 4);
    memcpy(p->local_ip, (uint8_t[]){192, 168, 0, 1}, 4);
    p->rport = rport;
    p->lport = lport;
    p->seq = peer_isn;
    p->tsval = 1000;
    p->win = 65535;
}

/* Builds and injects one segment. opts are raw option bytes (a multiple of 4). */
static void inject(peer *p, uint8_t flags, const uint8_t *opts, size_t optlen, const void *data,
                   size_t len)
{
    uint8_t pkt[1600];
    uint8_t o[40];
    if (!opts && p->ts && !(flags & F_SYN)) { /* NOP NOP TS, as Linux */
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        put32(o + 4, p->tsval++);
        put32(o + 8, p->tsecr);
        opts = o;
        optlen = 12;
    }
    size_t thl = 20 + optlen, total = 20 + thl + len;
    memset(pkt, 0, 20 + thl);
    pkt[0] = 0x45;
    put16(pkt + 2, (uint32_t)total);
    put16(pkt + 6, 0x4000); /* DF */
    pkt[8] = 64;
    pkt[9] = 6;
    memcpy(pkt + 12, p->remote_ip, 4);
    memcpy(pkt + 16, p->local_ip, 4);
    put16(pkt + 10, fold(sum16(pkt, 20, 0)));
    uint8_t *t = pkt + 20;
    put16(t, p->rport);
    put16(t + 2, p->lport);
    put32(t + 4, p->seq);
    put32(t + 8, (flags & F_ACK) ? p->ack : 0);
    t[12] = (uint8_t)((thl / 4) << 4);
    t[13] = flags;
    put16(t + 14, p->win);
    if (optlen) memcpy(t + 20, opts, optlen);
    if (len) memcpy(t + thl, data, len);
    put16(t + 16, tcp_cksum(pkt, t, thl + len));
    CHECK_EQ(ifc.netdev_send(ifc.userdata, pkt, total), 0);
    p->seq += (uint32_t)len + !!(flags & F_SYN) + !!(flags & F_FIN);
}

/* One packet from the stack, decoded. */
typedef struct seg {
    size_t count;
    long long time;
    uint8_t raw[65536];
    bool ip_ok, tcp_ok; /* checksums */
    uint16_t ip_len, ip_flags;
    uint8_t ttl, proto;
    uint8_t src[4], dst[4];
    uint16_t sport, dport, win;
    uint32_t seq, ack;
    uint8_t flags, doff;
    const uint8_t *opt;
    size_t optlen;
    const uint8_t *data;
    size_t len;
} seg;

static seg *receive(void)
{
    static seg s;
    memset(&s, 0, offsetof(seg, raw));
    s.count = sizeof s.raw;
    CHECK_EQ(ifc.netdev_receive(ifc.userdata, s.raw, &s.count, &s.time), 0);
    if (s.count < 40) return &s;
    const uint8_t *ip = s.raw;
    s.ip_ok = ip[0] == 0x45 && fold(sum16(ip, 20, 0)) == 0;
    s.ip_len = get16(ip + 2);
    s.ip_flags = get16(ip + 6);
    s.ttl = ip[8];
    s.proto = ip[9];
    memcpy(s.src, ip + 12, 4);
    memcpy(s.dst, ip + 16, 4);
    const uint8_t *t = ip + 20;
    size_t tlen = s.count - 20;
    s.tcp_ok = tcp_cksum(ip, t, tlen) == 0;
    s.sport = get16(t);
    s.dport = get16(t + 2);
    s.seq = get32(t + 4);
    s.ack = get32(t + 8);
    s.doff = (uint8_t)((t[12] >> 4) * 4);
    s.flags = t[13];
    s.win = get16(t + 14);
    s.opt = t + 20;
    s.optlen = s.doff > 20 ? s.doff - 20u : 0;
    s.data = t + s.doff;
    s.len = tlen >= s.doff ? tlen - s.doff : 0;
    return &s;
}

/* The checks every packet from the stack must pass, then the TCP fields every caller checks. */
static void check_seg(const seg *s, const peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
                      size_t len)
{
    CHECK(s->count >= 40);
    CHECK(s->ip_ok);
    CHECK(s->tcp_ok);
    CHECK_EQ(s->ip_len, s->count);
    CHECK_EQ(s->ip_flags, 0x4000); /* DF, no fragment */
    CHECK_EQ(s->ttl, 64);
    CHECK_EQ(s->proto, 6);
    CHECK(memcmp(s->src, p->local_ip, 4) == 0);
    CHECK(memcmp(s->dst, p->remote_ip, 4) == 0);
    CHECK_EQ(s->sport, p->lport);
    CHECK_EQ(s->dport, p->rport);
    CHECK_EQ(s->flags, flags);
    CHECK_EQ(s->seq, seq);
    if (flags & F_ACK) CHECK_EQ(s->ack, ack);
    CHECK_EQ(s->len, len);
}

/* Returns the timestamp value when s carries exactly NOP NOP TS(ecr) and records it. */
static void check_ts_opts(const seg *s, peer *p)
{
    CHECK_EQ(s->optlen, 12);
    if (s->optlen != 12) return;
    CHECK(s->opt[0] == 1 && s->opt[1] == 1 && s->opt[2] == 8 && s->opt[3] == 10);
    CHECK_EQ(get32(s->opt + 8), p->tsval - 1); /* echoes the peer's latest */
    p->tsecr = get32(s->opt + 4);
}

/* ---- threads for blocking calls ---- */

enum call_kind { C_ACCEPT, C_CONNECT, C_READ, C_WRITE };

typedef struct call {
    pthread_t th;
    int kind, fd;
    struct sockaddr_in addr;
    socklen_t addrlen;
    char buf[8192];
    size_t len;
    atomic_int tid, done;
    long ret;
    int err;
} call;

static void *call_main(void *arg)
{
    call *c = arg;
    atomic_store(&c->tid, (int)syscall(SYS_gettid));
    switch (c->kind) {
    case C_ACCEPT:
        c->addrlen = sizeof c->addr;
        c->ret = ifc.accept(ifc.userdata, c->fd, (struct sockaddr *)&c->addr, &c->addrlen);
        break;
    case C_CONNECT:
        c->ret = ifc.connect(ifc.userdata, c->fd, (struct sockaddr *)&c->addr, sizeof c->addr);
        break;
    case C_READ:
        c->ret = ifc.read(ifc.userdata, c->fd, c->buf, c->len);
        break;
    case C_WRITE:
        c->ret = ifc.write(ifc.userdata, c->fd, c->buf, c->len);
        break;
    }
    c->err = errno;
    atomic_store(&c->done, 1);
    return NULL;
}

static void call_start(call *c) { pthread_create(&c->th, NULL, call_main, c); }

/* As packetdrill decides a call "has blocked": the thread sleeps in the kernel ('S' in
 * /proc/<pid>/task/<tid>/stat) and has not returned. */
static bool call_blocked(call *c)
{
    double until = real_ms() + 5000;
    while (real_ms() < until) {
        if (atomic_load(&c->done)) return false;
        int tid = atomic_load(&c->tid);
        if (tid) {
            char path[64], st[512];
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
            FILE *f = fopen(path, "r");
            size_t n = f ? fread(st, 1, sizeof st - 1, f) : 0;
            if (f) fclose(f);
            st[n] = '\0';
            char *paren = strrchr(st, ')');
            if (paren && paren[1] == ' ' && paren[2] == 'S' && !atomic_load(&c->done)) return true;
        }
        usleep(1000);
    }
    return false;
}

static void call_join(call *c) { pthread_join(c->th, NULL); }

/* ---- socket helpers ---- */

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static int listen_on(uint16_t port)
{
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(fd >= 0);
    int one = 1;
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    struct sockaddr_in a = sin4("0.0.0.0", port);
    CHECK_EQ(ifc.bind(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(ifc.listen(ifc.userdata, fd, 1), 0);
    return fd;
}

/* Passive open without timestamps or SACK (plain segments): returns the accepted fd. */
static int establish_passive(peer *p, int lfd, uint16_t port, uint32_t iss)
{
    peer_init(p, 40000, port, 5000);
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    inject(p, F_SYN, mss, 4, NULL, 0);
    seg *s = receive();
    check_seg(s, p, F_SYN | F_ACK, iss, 5001, 0);
    p->iss = iss;
    p->ack = iss + 1;
    inject(p, F_ACK, NULL, 0, NULL, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = ifc.accept(ifc.userdata, lfd, (struct sockaddr *)&a, &al);
    CHECK(fd >= 0);
    return fd;
}

/* ---- tests ---- */

static void interface_complete(void)
{
    start(NULL);
    /* All 32 functions, in declaration order. */
    CHECK(ifc.userdata != NULL);
    CHECK(ifc.free && ifc.socket && ifc.bind && ifc.listen && ifc.accept && ifc.connect);
    CHECK(ifc.read && ifc.readv && ifc.recv && ifc.recvfrom && ifc.recvmsg && ifc.write);
    CHECK(ifc.writev && ifc.send && ifc.sendto && ifc.sendmsg && ifc.fcntl && ifc.ioctl);
    CHECK(ifc.close && ifc.shutdown && ifc.getsockopt && ifc.setsockopt && ifc.poll);
    CHECK(ifc.netdev_send && ifc.netdev_receive && ifc.usleep && ifc.gettimeofday);
    CHECK(ifc.epoll_create && ifc.epoll_ctl && ifc.epoll_wait && ifc.pipe && ifc.splice);
    /* Only the entry point is visible. */
    CHECK(dlsym(so_handle, "synack_stack_new") == NULL);
    CHECK(dlsym(so_handle, "pd_enter") == NULL);
    /* Unsupported calls fail cleanly with ENOSYS. */
    int pfd[2];
    errno = 0;
    CHECK_EQ(ifc.epoll_create(ifc.userdata, 1), -1);
    CHECK_EQ(errno, ENOSYS);
    CHECK_EQ(ifc.pipe(ifc.userdata, pfd), -1);
    CHECK_EQ(errno, ENOSYS);
    /* Nothing to send and no timer: no packet, not an error. */
    uint8_t buf[64];
    size_t n = sizeof buf;
    long long t = -1;
    CHECK_EQ(ifc.netdev_receive(ifc.userdata, buf, &n, &t), 0);
    CHECK_EQ(n, 0);
    /* The clock moves by itself, so packetdrill's spin-wait ends. */
    uint64_t a = vnow(), b = vnow();
    CHECK(b > a);
    CHECK_EQ(ifc.usleep(ifc.userdata, 250000), 0);
    CHECK(vnow() >= b + 250000);
    stop();
}

static void passive_open(void)
{
    start_with_netstat("rcvbuf_bytes=32768 isn_fixed=1 isn_value=1000000");
    CHECK_STR(netstat_read(), HDR);
    int lfd = listen_on(8080);
    /* A real host descriptor on /dev/null stands for the socket. */
    char path[64], target[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", lfd);
    ssize_t tn = readlink(path, target, sizeof target - 1);
    if (tn > 0) target[tn] = '\0';
    CHECK_STR(target, "/dev/null");
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n");

    /* accept() blocks on the second thread, as a "+0...x accept" line does. */
    static call acc;
    memset(&acc, 0, sizeof acc);
    acc.kind = C_ACCEPT;
    acc.fd = lfd;
    call_start(&acc);
    CHECK(call_blocked(&acc));

    /* SYN with Linux's options: MSS 1000, SACK-permitted, TS, NOP, window scale 6. */
    peer p;
    peer_init(&p, 40000, 8080, 5000);
    p.ts = true;
    uint8_t syn_opts[20] = {2, 4, 0x03, 0xe8, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 6};
    put32(syn_opts + 8, p.tsval++);
    uint64_t t0 = vnow();
    inject(&p, F_SYN, syn_opts, sizeof syn_opts, NULL, 0);
    seg *s = receive();
    uint64_t t1 = vnow();

    /* The SYN-ACK, field by field. */
    check_seg(s, &p, F_SYN | F_ACK, 1000000, 5001, 0);
    CHECK_EQ(s->win, 32768);        /* rcvbuf_bytes, unscaled on a SYN */
    CHECK_EQ(s->doff, 40);
    CHECK_EQ(s->optlen, 20);        /* MSS, SACK-permitted, TS, NOP, WS: Linux's order */
    const uint8_t *o = s->opt;
    CHECK(o[0] == 2 && o[1] == 4 && get16(o + 2) == 1460);
    CHECK(o[4] == 4 && o[5] == 2);
    CHECK(o[6] == 8 && o[7] == 10);
    CHECK_EQ(get32(o + 12), 1000);  /* TS echo = the SYN's TS value */
    CHECK(o[16] == 1);
    CHECK(o[17] == 3 && o[18] == 3 && o[19] == 7);
    CHECK(s->time >= (long long)t0 && s->time <= (long long)t1);
    p.tsecr = get32(o + 8);
    p.iss = 1000000;
    p.ack = 1000001;
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      0 192.168.0.1:8080        192.0.2.1:40000         SYN_RECV   \n");
    CHECK(!atomic_load(&acc.done)); /* still blocked: the handshake is not over */

    /* The final ACK wakes accept(). */
    p.win = 512; /* << 6 = 32768 */
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    call_join(&acc);
    int fd = (int)acc.ret;
    CHECK(fd >= 0 && fd != lfd);
    CHECK_EQ(acc.addrlen, sizeof(struct sockaddr_in));
    CHECK_EQ(acc.addr.sin_family, AF_INET);
    CHECK_EQ(ntohs(acc.addr.sin_port), 40000);
    CHECK_EQ(ntohl(acc.addr.sin_addr.s_addr), 0xc0000201u);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      0 192.168.0.1:8080        192.0.2.1:40000         ESTABLISHED\n");

    /* Data out: one segment, PSH, timestamps only. */
    CHECK_EQ(ifc.write(ifc.userdata, fd, "hello", 5), 5);
    s = receive();
    check_seg(s, &p, F_ACK | F_PSH, 1000001, 5001, 5);
    CHECK(memcmp(s->data, "hello", 5) == 0);
    CHECK_EQ(s->win, 32768 >> 7);
    check_ts_opts(s, &p);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      5 192.168.0.1:8080        192.0.2.1:40000         ESTABLISHED\n");
    p.ack += 5;
    inject(&p, F_ACK, NULL, 0, NULL, 0);

    /* A blocking read on the second thread; the data arrives; the ACK is delayed 40 ms. */
    static call rd;
    memset(&rd, 0, sizeof rd);
    rd.kind = C_READ;
    rd.fd = fd;
    rd.len = sizeof rd.buf;
    call_start(&rd);
    CHECK(call_blocked(&rd));
    uint64_t td = vnow();
    inject(&p, F_ACK | F_PSH, NULL, 0, "world", 5);
    call_join(&rd);
    CHECK_EQ(rd.ret, 5);
    CHECK(memcmp(rd.buf, "world", 5) == 0);
    s = receive();
    check_seg(s, &p, F_ACK, 1000006, 5006, 0);
    check_ts_opts(s, &p);
    CHECK(s->time >= (long long)(td + 40000) && s->time <= (long long)(td + 40010));

    /* The peer closes first: CLOSE-WAIT, end of stream, then our FIN and LAST-ACK. */
    inject(&p, F_ACK | F_FIN, NULL, 0, NULL, 0);
    s = receive();
    check_seg(s, &p, F_ACK, 1000006, 5007, 0);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      0 192.168.0.1:8080        192.0.2.1:40000         CLOSE_WAIT \n");
    char buf[16];
    CHECK_EQ(ifc.read(ifc.userdata, fd, buf, sizeof buf), 0);
    CHECK_EQ(ifc.close(ifc.userdata, fd), 0);
    s = receive();
    check_seg(s, &p, F_ACK | F_FIN, 1000006, 5007, 0);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      0 192.168.0.1:8080        192.0.2.1:40000         LAST_ACK   \n");
    p.ack += 1;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN     \n");
    /* close() released the host descriptor too. */
    CHECK(fcntl(fd, F_GETFD) == -1 || fd == lfd);
    CHECK_EQ(ifc.close(ifc.userdata, lfd), 0);
    CHECK_STR(netstat_read(), HDR);
    CHECK_EQ(ifc.close(ifc.userdata, lfd), -1);
    CHECK_EQ(errno, EBADF);
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", netstat_path);
    CHECK(access(tmp, F_OK) != 0); /* written by rename: no temporary left behind */
    stop();
    unlink(netstat_path);
}

static void active_open_close(void)
{
    start_with_netstat("isn_fixed=1 isn_value=0xfffffff0 sack=0");
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    /* A blocking connect on the second thread. */
    static call con;
    memset(&con, 0, sizeof con);
    con.kind = C_CONNECT;
    con.fd = fd;
    con.addr = sin4("192.0.2.1", 9090);
    call_start(&con);
    CHECK(call_blocked(&con));
    seg *s = receive();
    peer p;
    peer_init(&p, 9090, s->sport, 7000);
    CHECK(s->sport >= 32768 && s->sport <= 60999);
    check_seg(s, &p, F_SYN, 0xfffffff0u, 0, 0);
    CHECK_EQ(s->ack, 0);
    CHECK_EQ(s->win, 65535);
    /* MSS, NOP NOP TS (no SACK: sack=0), NOP WS. */
    CHECK_EQ(s->optlen, 20);
    const uint8_t *o = s->opt;
    CHECK(o[0] == 2 && o[1] == 4 && get16(o + 2) == 1460);
    CHECK(o[4] == 1 && o[5] == 1 && o[6] == 8 && o[7] == 10 && get32(o + 12) == 0);
    CHECK(o[16] == 1 && o[17] == 3 && o[18] == 3 && o[19] == 7);
    char line[256];
    snprintf(line, sizeof line, HDR "%s", ns_line(ep(p.lport), "192.0.2.1:9090", "SYN_SENT"));
    CHECK_STR(netstat_read(), line);

    /* SYN-ACK without options: no scaling, no timestamps; MSS defaults to 536. */
    p.ack = 0xfffffff1u;
    inject(&p, F_SYN | F_ACK, NULL, 0, NULL, 0);
    s = receive();
    check_seg(s, &p, F_ACK, 0xfffffff1u, 7001, 0);
    CHECK_EQ(s->optlen, 0);
    call_join(&con);
    CHECK_EQ(con.ret, 0);
    snprintf(line, sizeof line, HDR "%s", ns_line(ep(p.lport), "192.0.2.1:9090", "ESTABLISHED"));
    CHECK_STR(netstat_read(), line);

    /* Data across the sequence wrap, then our close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT. */
    CHECK_EQ(ifc.write(ifc.userdata, fd, "0123456789abcdef", 16), 16);
    s = receive();
    check_seg(s, &p, F_ACK | F_PSH, 0xfffffff1u, 7001, 16);
    p.ack += 16;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    CHECK_EQ(ifc.close(ifc.userdata, fd), 0);
    s = receive();
    check_seg(s, &p, F_ACK | F_FIN, 1, 7001, 0);
    snprintf(line, sizeof line, HDR "%s", ns_line(ep(p.lport), "192.0.2.1:9090", "FIN_WAIT1"));
    CHECK_STR(netstat_read(), line);
    p.ack += 1;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    snprintf(line, sizeof line, HDR "%s", ns_line(ep(p.lport), "192.0.2.1:9090", "FIN_WAIT2"));
    CHECK_STR(netstat_read(), line);
    inject(&p, F_ACK | F_FIN, NULL, 0, NULL, 0);
    s = receive();
    check_seg(s, &p, F_ACK, 2, 7002, 0);
    snprintf(line, sizeof line, HDR "%s", ns_line(ep(p.lport), "192.0.2.1:9090", "TIME_WAIT"));
    CHECK_STR(netstat_read(), line);

    /* TIME-WAIT ends through netdev_receive: nothing is queued, so the clock jumps to the 2MSL
     * timer (2 x 30 s), which sends nothing; then no timer is left: no packet. */
    uint64_t tw = vnow();
    double r0 = real_ms();
    s = receive();
    CHECK_EQ(s->count, 0);
    uint64_t after = vnow();
    CHECK(after >= tw + 60000000u && after <= tw + 60000010u);
    CHECK(real_ms() - r0 < 1000);
    CHECK_STR(netstat_read(), HDR);
    stop();
    unlink(netstat_path);
}

static void retransmission(void)
{
    start("isn_fixed=1 isn_value=100 timestamps=0 sack=0 wscale=0");
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = sin4("192.0.2.1", 80);
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    CHECK_EQ(errno, EINPROGRESS);
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    CHECK_EQ(errno, EALREADY);
    seg *s = receive();
    peer p;
    peer_init(&p, 80, s->sport, 9000);
    check_seg(s, &p, F_SYN, 100, 0, 0);
    CHECK_EQ(s->optlen, 4); /* MSS only */
    long long t_syn = s->time;
    /* Unanswered: the SYN comes again after the initial RTO (1 s), produced by the timer. */
    s = receive();
    check_seg(s, &p, F_SYN, 100, 0, 0);
    CHECK_EQ(s->time - t_syn, 1000000);
    p.ack = 101;
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    inject(&p, F_SYN | F_ACK, mss, 4, NULL, 0);
    s = receive();
    check_seg(s, &p, F_ACK, 101, 9001, 0);
    /* Linux: connect() again reports the outcome once (0), then EISCONN. */
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    CHECK_EQ(errno, EISCONN);

    /* Data, unacknowledged: retransmitted once the RTO expires, same bytes, time = RTO. */
    struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
    CHECK_EQ(ifc.poll(ifc.userdata, &pf, 1, 0), 1);
    CHECK_EQ(pf.revents, POLLOUT);
    CHECK_EQ(ifc.write(ifc.userdata, fd, "data", 4), 4);
    s = receive();
    check_seg(s, &p, F_ACK | F_PSH, 101, 9001, 4);
    long long t_data = s->time;
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
    CHECK_EQ(tl, sizeof ti);
    CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
    CHECK(ti.tcpi_rto >= 200000);
    s = receive();
    check_seg(s, &p, F_ACK | F_PSH, 101, 9001, 4);
    CHECK(memcmp(s->data, "data", 4) == 0);
    CHECK_EQ(s->time - t_data, ti.tcpi_rto);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
    CHECK_EQ(ti.tcpi_retransmits, 1);
    p.ack += 4;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    /* Data in: poll reports it, FIONREAD counts it. */
    inject(&p, F_ACK, NULL, 0, "xyz", 3);
    pf.revents = 0;
    CHECK_EQ(ifc.poll(ifc.userdata, &pf, 1, 0), 1);
    CHECK_EQ(pf.revents, POLLIN | POLLOUT);
    int avail = -1;
    CHECK_EQ(ifc.ioctl(ifc.userdata, fd, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 3);
    stop();
}

static void ten_minute_gap(void)
{
    /* An orphaned FIN-WAIT-2 connection is reaped by its 10-minute timer. */
    start_with_netstat("isn_fixed=1 isn_value=500 timestamps=0 sack=0 wscale=0");
    int lfd = listen_on(7000);
    peer p;
    int fd = establish_passive(&p, lfd, 7000, 500);
    CHECK_EQ(ifc.close(ifc.userdata, fd), 0);
    seg *s = receive();
    check_seg(s, &p, F_ACK | F_FIN, 501, 5001, 0);
    p.ack += 1;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:7000            0.0.0.0:*               LISTEN     \n"
                  "tcp        0      0 192.168.0.1:7000        192.0.2.1:40000         FIN_WAIT2  \n");
    uint64_t v0 = vnow();
    double r0 = real_ms();
    CHECK_EQ(ifc.usleep(ifc.userdata, 600u * 1000000u), 0);
    uint64_t v1 = vnow();
    double took = real_ms() - r0;
    CHECK(v1 - v0 >= 600000000u && v1 - v0 < 600000010u);
    CHECK(took < 1000);
    printf("     10 virtual minutes took %.3f ms of real time\n", took);
    CHECK_STR(netstat_read(),
              HDR "tcp        0      0 0.0.0.0:7000            0.0.0.0:*               LISTEN     \n");
    stop();
    unlink(netstat_path);
}

/* RST and SYN in the window of an established connection, under both policies. */
static void rst_syn_policies(void)
{
    for (int rfc5961 = 0; rfc5961 <= 1; rfc5961++) {
        for (int syn = 0; syn <= 1; syn++) {
            char flags[200];
            snprintf(flags, sizeof flags, "rfc5961=%s isn_fixed=1 isn_value=700 timestamps=0 sack=0",
                     rfc5961 ? "true" : "false");
            start_with_netstat(flags);
            int lfd = listen_on(6000);
            peer p;
            int fd = establish_passive(&p, lfd, 6000, 700);
            uint32_t rcv_nxt = p.seq;
            p.seq += 100; /* in the window, not at RCV.NXT */
            inject(&p, syn ? F_SYN : F_RST, NULL, 0, NULL, 0);
            seg *s = receive();
            p.seq = rcv_nxt;
            if (rfc5961) { /* challenge ACK, connection intact */
                check_seg(s, &p, F_ACK, 701, rcv_nxt, 0);
                CHECK_STR(netstat_read(),
                          HDR "tcp        0      0 0.0.0.0:6000            0.0.0.0:*               LISTEN     \n"
                              "tcp        0      0 192.168.0.1:6000        192.0.2.1:40000         ESTABLISHED\n");
            } else if (syn) { /* RFC 793: reset the connection and tell the peer */
                check_seg(s, &p, F_RST | F_ACK, 701, rcv_nxt, 0);
            } else { /* RFC 793: any in-window RST resets; nothing is sent */
                CHECK_EQ(s->count, 0);
            }
            char buf[8];
            long r = ifc.recv(ifc.userdata, fd, buf, sizeof buf, MSG_DONTWAIT);
            if (rfc5961) {
                CHECK_EQ(r, -1);
                CHECK_EQ(errno, EAGAIN);
            } else {
                CHECK_EQ(r, -1);
                CHECK_EQ(errno, ECONNRESET);
            }
            stop();
        }
    }
    unlink(netstat_path);
}

static void synfin_policy(void)
{
    for (int drop = 0; drop <= 1; drop++) {
        start(drop ? "drop_synfin=1 isn_fixed=1 isn_value=1" : "drop_synfin=0 isn_fixed=1 isn_value=1");
        int lfd = listen_on(5000);
        peer p;
        peer_init(&p, 40000, 5000, 100);
        inject(&p, F_SYN | F_FIN, NULL, 0, NULL, 0);
        seg *s = receive();
        if (drop) CHECK_EQ(s->count, 0);
        else CHECK(s->count >= 40 && (s->raw[33] & (F_SYN | F_ACK)) == (F_SYN | F_ACK));
        (void)lfd;
        stop();
    }
}

/* A blocking write larger than the send buffer sleeps until ACKs free room. */
static void blocking_write(void)
{
    start("sndbuf_bytes=2048 isn_fixed=1 isn_value=0 timestamps=0 sack=0 wscale=0 nagle=0");
    int lfd = listen_on(4000);
    peer p;
    int fd = establish_passive(&p, lfd, 4000, 0);
    static call wr;
    memset(&wr, 0, sizeof wr);
    wr.kind = C_WRITE;
    wr.fd = fd;
    wr.len = 6000;
    for (size_t i = 0; i < wr.len; i++) wr.buf[i] = (char)('a' + i % 26);
    call_start(&wr);
    CHECK(call_blocked(&wr));
    size_t got = 0;
    bool ok = true;
    for (int rounds = 0; rounds < 100 && got < 6000; rounds++) {
        seg *s = receive();
        if (s->count == 0) break;
        ok = ok && s->seq == 1 + got && memcmp(s->data, wr.buf + got, s->len) == 0;
        got += s->len;
        p.ack = 1 + (uint32_t)got;
        inject(&p, F_ACK, NULL, 0, NULL, 0);
    }
    call_join(&wr);
    CHECK(ok);
    CHECK_EQ(got, 6000);
    CHECK_EQ(wr.ret, 6000);
    stop();
}

static void sockopts_and_fcntl(void)
{
    start("rcvbuf_bytes=100000 sndbuf_bytes=50000");
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0);
    int v = -1;
    socklen_t l = sizeof v;
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(l, 4);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
    CHECK_EQ(v, 100000);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, SOL_SOCKET, SO_SNDBUF, &v, &l), 0);
    CHECK_EQ(v, 50000);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
    CHECK_EQ(v, 0);
    v = 1;
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v), 0);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
    CHECK_EQ(v, 1);
    v = 1000;
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof v), 0);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_MAXSEG, &v, &l), 0);
    CHECK_EQ(v, 1000);
    v = 5000; /* milliseconds in Linux, microseconds in synack */
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v), 0);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l), 0);
    CHECK_EQ(v, 5000);
    v = 60; /* seconds */
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v), 0);
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l), 0);
    CHECK_EQ(v, 60);
    struct linger lg = {1, 0}, lg2 = {9, 9};
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    l = sizeof lg2;
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, SOL_SOCKET, SO_LINGER, &lg2, &l), 0);
    CHECK(lg2.l_onoff == 1 && lg2.l_linger == 0);
    CHECK_EQ(l, sizeof lg2);
    v = 1;
    CHECK_EQ(ifc.setsockopt(ifc.userdata, fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof v), -1);
    CHECK_EQ(errno, ENOPROTOOPT);
    l = sizeof v;
    CHECK_EQ(ifc.getsockopt(ifc.userdata, fd, SOL_IP, IP_TTL, &v, &l), -1);
    CHECK_EQ(errno, ENOPROTOOPT);

    CHECK_EQ(ifc.fcntl(ifc.userdata, fd, F_GETFL), O_RDWR);
    CHECK_EQ(ifc.fcntl(ifc.userdata, fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
    CHECK_EQ(ifc.fcntl(ifc.userdata, fd, F_GETFL), O_RDWR | O_NONBLOCK);
    struct sockaddr_in a = sin4("0.0.0.0", 3000);
    CHECK_EQ(ifc.bind(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(ifc.listen(ifc.userdata, fd, 4), 0);
    CHECK_EQ(ifc.accept(ifc.userdata, fd, NULL, NULL), -1);
    CHECK_EQ(errno, EAGAIN);
    struct pollfd pf = {fd, POLLIN, 0};
    CHECK_EQ(ifc.poll(ifc.userdata, &pf, 1, 0), 0);
    CHECK_EQ(ifc.close(ifc.userdata, 12345), -1);
    CHECK_EQ(errno, EBADF);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    CHECK_EQ(ifc.bind(ifc.userdata, fd, (struct sockaddr *)&a6, sizeof a6), -1);
    CHECK_EQ(errno, EAFNOSUPPORT); /* an IPv6 address on an AF_INET socket */
    CHECK_EQ(ifc.bind(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    CHECK_EQ(errno, EINVAL); /* already bound */
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET, SOCK_DGRAM, 0), -1);
    CHECK_EQ(errno, EPROTONOSUPPORT);
    stop();
}

static void mapped_ipv6(void)
{
    start("ip_version=ipv4-mapped-ipv6 local_ip=::ffff:192.168.0.1 remote_ip=::ffff:192.0.2.1 "
          "isn_fixed=1 isn_value=42 timestamps=0 sack=0 wscale=0");
    int lfd = ifc.socket(ifc.userdata, AF_INET6, SOCK_STREAM, 0);
    CHECK(lfd >= 0);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(8443);
    a6.sin6_addr = in6addr_any;
    CHECK_EQ(ifc.bind(ifc.userdata, lfd, (struct sockaddr *)&a6, sizeof a6), 0);
    CHECK_EQ(ifc.listen(ifc.userdata, lfd, 2), 0);
    peer p;
    peer_init(&p, 40001, 8443, 1);
    inject(&p, F_SYN, NULL, 0, NULL, 0);
    seg *s = receive();
    check_seg(s, &p, F_SYN | F_ACK, 42, 2, 0); /* IPv4 on the wire */
    p.ack = 43;
    inject(&p, F_ACK, NULL, 0, NULL, 0);
    struct sockaddr_in6 peer6;
    socklen_t pl = sizeof peer6;
    int fd = ifc.accept(ifc.userdata, lfd, (struct sockaddr *)&peer6, &pl);
    CHECK(fd >= 0);
    CHECK_EQ(pl, sizeof peer6);
    CHECK_EQ(peer6.sin6_family, AF_INET6);
    CHECK_EQ(ntohs(peer6.sin6_port), 40001);
    CHECK(IN6_IS_ADDR_V4MAPPED(&peer6.sin6_addr));
    CHECK(memcmp(peer6.sin6_addr.s6_addr + 12, p.remote_ip, 4) == 0);
    stop();
}

/* IPv6 mode: packets on the wire are IPv6, checksums use the IPv6 pseudo-header, accept()
 * returns the peer's IPv6 address, and netstat shows IPv6 endpoints. */
static size_t v6_packet(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
                        uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    memset(pkt, 0, 60);
    pkt[0] = 0x60;
    put16(pkt + 4, 20);
    pkt[6] = 6;
    pkt[7] = 64;
    memcpy(pkt + 8, src, 16);
    memcpy(pkt + 24, dst, 16);
    uint8_t *t = pkt + 40;
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 65535);
    uint8_t pseudo[40];
    memcpy(pseudo, src, 16);
    memcpy(pseudo + 16, dst, 16);
    put32(pseudo + 32, 20);
    put32(pseudo + 36, 6);
    put16(t + 16, fold(sum16(t, 20, sum16(pseudo, 40, 0))));
    return 60;
}

static void ipv6_mode(void)
{
    start_with_netstat("ip_version=ipv6 local_ip=fd3d:fa7b:d17d::1 remote_ip=fd3d:fa7b:d17d:8888::1 "
                       "isn_fixed=1 isn_value=7 timestamps=0 sack=0 wscale=0");
    static const uint8_t self[16] = {0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d, [15] = 1};
    static const uint8_t them[16] = {0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d, 0x88, 0x88, [15] = 1};
    int lfd = ifc.socket(ifc.userdata, AF_INET6, SOCK_STREAM, 0);
    CHECK(lfd >= 0);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(8080);
    a6.sin6_addr = in6addr_any;
    CHECK_EQ(ifc.bind(ifc.userdata, lfd, (struct sockaddr *)&a6, sizeof a6), 0);
    CHECK_EQ(ifc.listen(ifc.userdata, lfd, 2), 0);
    uint8_t pkt[128];
    size_t n = v6_packet(pkt, them, self, 40000, 8080, 1000, 0, F_SYN);
    CHECK_EQ(ifc.netdev_send(ifc.userdata, pkt, n), 0);
    static uint8_t out[65536];
    size_t count = sizeof out;
    long long t;
    CHECK_EQ(ifc.netdev_receive(ifc.userdata, out, &count, &t), 0);
    CHECK(count >= 60);
    CHECK_EQ(out[0] >> 4, 6);
    CHECK_EQ(out[6], 6);                       /* next header: TCP */
    CHECK(memcmp(out + 8, self, 16) == 0);
    CHECK(memcmp(out + 24, them, 16) == 0);
    uint8_t pseudo[40];
    memcpy(pseudo, out + 8, 32);
    put32(pseudo + 32, (uint32_t)(count - 40));
    put32(pseudo + 36, 6);
    CHECK_EQ(fold(sum16(out + 40, count - 40, sum16(pseudo, 40, 0))), 0);
    CHECK_EQ(out[40 + 13], F_SYN | F_ACK);
    CHECK_EQ(get32(out + 40 + 4), 7);          /* our ISN */
    CHECK_EQ(get32(out + 40 + 8), 1001);       /* their ISN + 1 */
    CHECK_EQ(get16(out + 40 + 22), 1440);      /* MSS option: 1500 - 40 - 20 */
    n = v6_packet(pkt, them, self, 40000, 8080, 1001, 8, F_ACK);
    CHECK_EQ(ifc.netdev_send(ifc.userdata, pkt, n), 0);
    struct sockaddr_in6 peer6;
    socklen_t pl = sizeof peer6;
    int fd = ifc.accept(ifc.userdata, lfd, (struct sockaddr *)&peer6, &pl);
    CHECK(fd >= 0);
    CHECK_EQ(peer6.sin6_family, AF_INET6);
    CHECK(memcmp(peer6.sin6_addr.s6_addr, them, 16) == 0);
    CHECK_EQ(ntohs(peer6.sin6_port), 40000);
    CHECK(strstr(netstat_read(), "fd3d:fa7b:d17d::1:8080") != NULL);
    CHECK(strstr(netstat_read(), "fd3d:fa7b:d17d:8888::1:40000 ESTABLISHED") != NULL);
    /* IPv6 rows are "tcp6" (net-tools), the listener's foreign side ":::*". */
    CHECK(strstr(netstat_read(), "\ntcp6       0      0 fd3d:fa7b:d17d::1:8080") != NULL);
    CHECK(strstr(netstat_read(), "\ntcp6       0      0 :::8080                 :::*") != NULL);
    CHECK(strstr(netstat_read(), "\ntcp ") == NULL);
    ifc.close(ifc.userdata, fd);
    ifc.close(ifc.userdata, lfd);
    stop();
}

/* Captures what init prints on stderr. */
static const char *init_stderr(const char *flags)
{
    static char out[4096];
    char path[64];
    snprintf(path, sizeof path, "/tmp/synack-pd-stderr-%d.txt", (int)getpid());
    fflush(stderr);
    int saved = dup(2);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(f, 2);
    start(flags);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(f, 0, SEEK_SET);
    ssize_t n = read(f, out, sizeof out - 1);
    out[n > 0 ? n : 0] = '\0';
    close(f);
    unlink(path);
    return out;
}

static void bad_flags(void)
{
    const char *err = init_stderr("mss=1000 no_such_knob=1");
    CHECK(strstr(err, "unknown key 'no_such_knob'") != NULL);
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EINVAL);
    stop();
    err = init_stderr("mss=lots");
    CHECK(strstr(err, "bad value 'lots' for mss") != NULL);
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EINVAL);
    stop();
    err = init_stderr("sack=maybe");
    CHECK(strstr(err, "bad boolean 'maybe' for sack") != NULL);
    stop();
    err = init_stderr("mss=10"); /* parsed, but the stack refuses it */
    CHECK(strstr(err, "rejected") != NULL);
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EINVAL);
    stop();
    err = init_stderr("ip_version=ipv6 local_ip=10.0.0.1"); /* IPv4 text in IPv6 mode */
    CHECK(strstr(err, "local_ip") != NULL);
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET6, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EINVAL);
    stop();
    err = init_stderr("garbage");
    CHECK(strstr(err, "key=value") != NULL);
    stop();
    /* Every knob by its synack_config name is accepted. */
    err = init_stderr("seed=7 isn_fixed=true isn_value=1 max_conns=64 max_sockets=64 mss=1400 "
                      "sndbuf_bytes=65536 rcvbuf_bytes=65536 wscale=5 sack=false timestamps=0 "
                      "nagle=1 initial_cwnd_segments=4 reass_max_ranges=8 ephemeral_lo=40000 "
                      "ephemeral_hi=40010 backlog_max=8 outq_bytes=200000 eventq_len=64 "
                      "conn_timeout_us=10000000 rto_initial_us=500000 rto_min_us=100000 "
                      "rto_max_us=60000000 msl_us=1000000 fin_wait_2_timeout_us=0 delack_us=20000 "
                      "persist_min_us=100000 persist_max_us=1000000 keepalive_idle_us=1000000 "
                      "keepalive_intvl_us=1000000 keepalive_probes=3 keepalive=1 "
                      "user_timeout_us=0 max_retransmits=5 rfc5961=0 drop_synfin=0 trace=0 "
                      "local_ip=10.0.0.1 remote_ip=10.0.0.2");
    CHECK_STR(err, "");
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = sin4("10.0.0.2", 99);
    ifc.fcntl(ifc.userdata, fd, F_SETFL, O_NONBLOCK);
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    seg *s = receive();
    CHECK(s->count >= 40);
    CHECK(s->src[0] == 10 && s->src[3] == 1 && s->dst[3] == 2);
    CHECK(s->sport >= 40000 && s->sport <= 40010);
    CHECK_EQ(s->seq, 1);
    CHECK_EQ(get16(s->opt + 2), 1400);
    CHECK_EQ(s->optlen, 8); /* MSS, NOP, WS 5: no SACK, no timestamps */
    CHECK_EQ(s->opt[7], 5);
    stop();
}

/* The ISN and source port of the SYN a fresh instance with these flags sends to 10.0.0.2:99. */
static void first_syn(const char *flags, uint32_t *seq, uint16_t *sport)
{
    char all[512];
    snprintf(all, sizeof all, "local_ip=10.0.0.1 remote_ip=10.0.0.2 %s", flags);
    CHECK_STR(init_stderr(all), "");
    int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = sin4("10.0.0.2", 99);
    ifc.fcntl(ifc.userdata, fd, F_SETFL, O_NONBLOCK);
    CHECK_EQ(ifc.connect(ifc.userdata, fd, (struct sockaddr *)&a, sizeof a), -1);
    seg *g = receive();
    CHECK(g->count >= 40 && (g->flags & 0x02));
    *seq = g->seq;
    *sport = g->sport;
    stop();
}

/* secret=: without it (or with the same one) a script sees the same ISN and port every run;
 * another secret, or random, gives others; a malformed secret is refused. */
static void secret_flag(void)
{
    static const char *k1 = "secret=000102030405060708090a0b0c0d0e0f";
    static const char *k2 = "secret=000102030405060708090a0b0c0d0e0e";
    uint32_t s0, s0b, s1, s1b, s2, sr;
    uint16_t p0, p0b, p1, p1b, p2, pr;
    first_syn("", &s0, &p0);
    first_syn("", &s0b, &p0b);
    first_syn(k1, &s1, &p1);
    first_syn(k1, &s1b, &p1b);
    first_syn(k2, &s2, &p2);
    first_syn("secret=random", &sr, &pr);
    CHECK(s0 == s0b && p0 == p0b);
    CHECK(s1 == s1b && p1 == p1b);
    CHECK(s1 != s0 && s2 != s1 && sr != s0 && sr != s1);
    const char *err = init_stderr("secret=0011");
    CHECK(strstr(err, "bad secret '0011'") != NULL);
    CHECK_EQ(ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, 0), -1);
    stop();
    err = init_stderr("secret=zz0102030405060708090a0b0c0d0e0f");
    CHECK(strstr(err, "bad secret") != NULL);
    stop();
}

/* A new init forgets everything of the previous script. */
static void reinit_resets(void)
{
    start_with_netstat("");
    int lfd = listen_on(1234);
    CHECK(strstr(netstat_read(), "LISTEN") != NULL);
    /* No free(): packetdrill may skip it; init must still start clean. */
    start_with_netstat("");
    close(lfd); /* packetdrill closes leftover descriptors on the host */
    CHECK_STR(netstat_read(), HDR);
    int fd = listen_on(1234); /* the port is free again */
    CHECK(fd >= 0);
    stop();
    unlink(netstat_path);
}

int main(void)
{
    if (!load()) {
        fprintf(stderr, "cannot load libsynack-packetdrill.so next to the test executable\n");
        return 1;
    }
    RUN(interface_complete);
    RUN(passive_open);
    RUN(active_open_close);
    RUN(retransmission);
    RUN(ten_minute_gap);
    RUN(rst_syn_policies);
    RUN(synfin_policy);
    RUN(blocking_write);
    RUN(sockopts_and_fcntl);
    RUN(mapped_ipv6);
    RUN(ipv6_mode);
    RUN(bad_flags);
    RUN(secret_flag);
    RUN(reinit_resets);
    return test_report();
}
