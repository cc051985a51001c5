/* netstat_host.c: `synack netstat --host`: the Linux host's own TCP sockets in the current
 * network namespace, read as ss reads them (NETLINK_SOCK_DIAG, inet_diag with tcp_info), or from
 * /proc/net/tcp and tcp6 as netstat does when netlink is refused (or with --proc); the owning
 * processes from /proc/PID/fd where permissions allow; and the sysctls and counters the diagnosis
 * weighs. Kernel states map onto RFC 9293's (TCP_NEW_SYN_RECV, a request socket, is SYN_RECV). */
#include "netstat.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux's TCP_* state numbers (include/net/tcp_states.h) to ours. */
static int state_from_kernel(unsigned k)
{
    static const int map[] = {
        [1] = SYNACK_ESTABLISHED, [2] = SYNACK_SYN_SENT,   [3] = SYNACK_SYN_RECEIVED,
        [4] = SYNACK_FIN_WAIT_1,  [5] = SYNACK_FIN_WAIT_2, [6] = SYNACK_TIME_WAIT,
        [7] = SYNACK_CLOSED,      [8] = SYNACK_CLOSE_WAIT, [9] = SYNACK_LAST_ACK,
        [10] = SYNACK_LISTEN,     [11] = SYNACK_CLOSING,   [12] = SYNACK_SYN_RECEIVED};
    return k >= 1 && k <= 12 ? map[k] : -1;
}

static void set_addr(synack_addr *a, int family, const void *bytes)
{
    memset(a, 0, sizeof *a);
    a->family = family == AF_INET6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
    memcpy(a->bytes, bytes, family == AF_INET6 ? 16 : 4);
}

/* ---- netlink ---- */

static void row_from_diag(ns_row *r, const struct inet_diag_msg *m, size_t attr_len)
{
    r->state = (uint8_t)state_from_kernel(m->idiag_state);
    set_addr(&r->local.addr, m->idiag_family, m->id.idiag_src);
    set_addr(&r->remote.addr, m->idiag_family, m->id.idiag_dst);
    r->local.port = ntohs(m->id.idiag_sport);
    r->remote.port = ntohs(m->id.idiag_dport);
    r->recv_q = m->idiag_rqueue;
    r->send_q = m->idiag_wqueue;
    r->timer = m->idiag_timer < 5 ? m->idiag_timer : 0;
    r->timer_us = (uint64_t)m->idiag_expires * 1000u;
    r->timer_retrans = m->idiag_retrans;
    r->uid = m->idiag_uid;
    r->inode = m->idiag_inode;
    const struct rtattr *a = (const struct rtattr *)(m + 1);
    size_t left = attr_len;
    for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
        if (a->rta_type == INET_DIAG_INFO) {
            struct tcp_info ti;
            memset(&ti, 0, sizeof ti);
            size_t n = RTA_PAYLOAD(a);
            memcpy(&ti, RTA_DATA(a), n < sizeof ti ? n : sizeof ti);
            r->has_info = true;
            r->rto_us = ti.tcpi_rto;
            r->srtt_us = ti.tcpi_rtt;
            r->rttvar_us = ti.tcpi_rttvar;
            r->mss = ti.tcpi_snd_mss;
            r->cwnd = ti.tcpi_snd_cwnd;
            r->ssthresh = ti.tcpi_snd_ssthresh >= 0xffff ? UINT32_MAX : ti.tcpi_snd_ssthresh;
            r->retrans_total = ti.tcpi_total_retrans;
            r->timer_probes = ti.tcpi_probes;
            r->ts_ok = ti.tcpi_options & TCPI_OPT_TIMESTAMPS;
            r->sack_ok = ti.tcpi_options & TCPI_OPT_SACK;
            r->ws_ok = ti.tcpi_options & TCPI_OPT_WSCALE;
            r->snd_wscale = ti.tcpi_snd_wscale;
            r->rcv_wscale = ti.tcpi_rcv_wscale;
            if (n >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received) {
                r->bytes_acked = ti.tcpi_bytes_acked;
                r->bytes_received = ti.tcpi_bytes_received;
            }
            if (n >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd) r->snd_wnd = ti.tcpi_snd_wnd;
        } else if (a->rta_type == INET_DIAG_CONG) {
            size_t n = RTA_PAYLOAD(a);
            if (n >= sizeof r->cc) n = sizeof r->cc - 1;
            memcpy(r->cc, RTA_DATA(a), n);
            r->cc[n] = 0;
        }
    }
}

/* One dump of one family. -1 with errno when netlink is refused. */
static int dump_family(int fd, int family, ns_table *t)
{
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.nh.nlmsg_len = sizeof msg;
    msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nh.nlmsg_seq = (uint32_t)family;
    msg.req.sdiag_family = (uint8_t)family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = 0xffffffffu; /* every state, request sockets (NEW_SYN_RECV) too */
    msg.req.idiag_ext = (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1));
    struct sockaddr_nl nladdr = {.nl_family = AF_NETLINK};
    if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&nladdr, sizeof nladdr) < 0) return -1;
    static char buf[65536] __attribute__((aligned(8)));
    for (;;) { /* ends at NLMSG_DONE or an error; the kernel sends a finite dump */
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return -1;
        size_t len = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                errno = e->error ? -e->error : EPROTO;
                return -1;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || state_from_kernel(m->idiag_state) < 0) continue;
            ns_row *r = ns_table_add(t);
            if (!r) {
                errno = ENOMEM;
                return -1;
            }
            row_from_diag(r, m, h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
        }
    }
}

static int gather_netlink(ns_table *t)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = dump_family(fd, AF_INET, t);
    if (rc == 0) rc = dump_family(fd, AF_INET6, t);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* ---- /proc/net/tcp ---- */

/* "0100007F:0050": the address as the kernel's words in host order, then the port in hex. */
static bool proc_endpoint(const char *s, bool v6, synack_endpoint *ep)
{
    size_t hexlen = v6 ? 32 : 8;
    if (strlen(s) < hexlen + 2 || s[hexlen] != ':') return false;
    uint8_t bytes[16];
    for (size_t w = 0; w < hexlen / 8; w++) {
        char word[9];
        memcpy(word, s + w * 8, 8);
        word[8] = 0;
        char *end;
        uint32_t x = (uint32_t)strtoul(word, &end, 16);
        if (*end) return false;
        memcpy(bytes + w * 4, &x, 4); /* host order as printed: back to the bytes in memory */
    }
    set_addr(&ep->addr, v6 ? AF_INET6 : AF_INET, bytes);
    char *end;
    unsigned long port = strtoul(s + hexlen + 1, &end, 16);
    if (*end || port > 65535) return false;
    ep->port = (uint16_t)port;
    return true;
}

bool ns_proc_line(const char *line, bool v6, ns_row *r)
{
    char local[64], remote[64];
    unsigned st, txq, rxq, tr, retr, uid, timeout;
    unsigned long when;
    unsigned long long inode;
    /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
    if (sscanf(line, " %*u: %63s %63s %x %x:%x %x:%lx %x %u %u %llu", local, remote, &st, &txq, &rxq, &tr,
               &when, &retr, &uid, &timeout, &inode) != 11)
        return false;
    ns_row_init(r);
    int s = state_from_kernel(st);
    if (s < 0 || !proc_endpoint(local, v6, &r->local) || !proc_endpoint(remote, v6, &r->remote)) return false;
    r->state = (uint8_t)s;
    r->send_q = txq;
    r->recv_q = rxq;
    /* tr: 1 retransmit, 2 keepalive (or other sk timer), 3 TIME-WAIT, 4 zero-window probe;
     * "when" is in clock ticks (USER_HZ) */
    long hz = sysconf(_SC_CLK_TCK);
    r->timer = tr < 5 ? (uint8_t)tr : 0;
    r->timer_us = (uint64_t)when * 1000000u / (uint64_t)(hz > 0 ? hz : 100);
    r->timer_retrans = retr;
    r->timer_probes = timeout; /* icsk_probes_out, as net-tools reads it */
    r->uid = uid;
    r->inode = inode;
    return true;
}

static int gather_proc(ns_table *t)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int read_any = 0;
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        if (!f) continue; /* no IPv6 in this kernel */
        read_any++;
        char line[512];
        while (fgets(line, sizeof line, f)) {
            ns_row tmp;
            if (!ns_proc_line(line, k == 1, &tmp)) continue;
            ns_row *r = ns_table_add(t);
            if (!r) break;
            *r = tmp;
        }
        fclose(f);
    }
    return read_any ? 0 : -1;
}

/* ---- processes ---- */

typedef struct inode_owner {
    uint64_t inode;
    int pid;
    char comm[32];
} inode_owner;

static int by_inode(const void *a, const void *b)
{
    const inode_owner *x = a, *y = b;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

void ns_host_processes(ns_table *t)
{
    inode_owner *own = NULL;
    size_t n = 0, cap = 0;
    DIR *proc = opendir("/proc");
    if (!proc) return;
    struct dirent *pe;
    while ((pe = readdir(proc))) { /* bounded by the processes there are */
        if (!isdigit((unsigned char)pe->d_name[0])) continue;
        int pid = atoi(pe->d_name);
        char path[PATH_MAX], comm[32] = "?";
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        FILE *cf = fopen(path, "r");
        if (cf) {
            if (fgets(comm, sizeof comm, cf)) comm[strcspn(comm, "\n")] = 0;
            fclose(cf);
        }
        snprintf(path, sizeof path, "/proc/%d/fd", pid);
        DIR *fds = opendir(path);
        if (!fds) continue; /* not ours to see */
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            char link[PATH_MAX], target[64];
            if (fe->d_name[0] == '.') continue;
            snprintf(link, sizeof link, "/proc/%d/fd/%s", pid, fe->d_name);
            ssize_t k = readlink(link, target, sizeof target - 1);
            if (k <= 0) continue;
            target[k] = 0;
            unsigned long long ino;
            if (sscanf(target, "socket:[%llu]", &ino) != 1) continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                inode_owner *p = realloc(own, ncap * sizeof *p);
                if (!p) break;
                own = p;
                cap = ncap;
            }
            own[n].inode = ino;
            own[n].pid = pid;
            snprintf(own[n].comm, sizeof own[n].comm, "%s", comm);
            n++;
        }
        closedir(fds);
    }
    closedir(proc);
    if (n > 1) qsort(own, n, sizeof *own, by_inode);
    for (size_t i = 0; i < t->n; i++) {
        ns_row *r = &t->rows[i];
        if (!r->inode) continue;
        inode_owner key = {r->inode, 0, ""};
        const inode_owner *o = n ? bsearch(&key, own, n, sizeof *own, by_inode) : NULL;
        if (o) {
            r->pid = o->pid;
            snprintf(r->comm, sizeof r->comm, "%s", o->comm);
        }
    }
    free(own);
}

int ns_gather_host(ns_table *t, bool proc_only, bool processes)
{
    t->host = true;
    const char *how = "netlink sock_diag";
    int rc = -1;
    if (!proc_only) {
        rc = gather_netlink(t);
        if (rc < 0) t->n = 0; /* a partial dump is thrown away: read /proc instead */
    }
    if (rc < 0) {
        int nl_err = errno;
        how = "/proc/net/tcp, tcp6";
        if (gather_proc(t) < 0) {
            fprintf(stderr, "synack netstat: cannot read the host's sockets: netlink: %s; "
                            "/proc/net/tcp: %s\n", strerror(nl_err), strerror(errno));
            return 1;
        }
    }
    if (processes) ns_host_processes(t);
    struct stat sb;
    unsigned long ns = stat("/proc/self/ns/net", &sb) == 0 ? (unsigned long)sb.st_ino : 0;
    snprintf(t->source, sizeof t->source, "host (%s, network namespace net:[%lu])", how, ns);
    return 0;
}

/* ---- facts for the diagnosis ---- */

static int read_int(const char *path, int fallback)
{
    FILE *f = fopen(path, "r");
    if (!f) return fallback;
    int v;
    if (fscanf(f, "%d", &v) != 1) v = fallback;
    fclose(f);
    return v;
}

/* A TcpExt counter from /proc/net/netstat (a names line, then a values line). */
static int64_t tcpext(const char *name)
{
    FILE *f = fopen("/proc/net/netstat", "r");
    if (!f) return -1;
    static char names[8192], values[8192];
    int64_t result = -1;
    while (result < 0 && fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
        if (strncmp(names, "TcpExt:", 7)) continue;
        char *s1 = NULL, *s2 = NULL;
        char *n = strtok_r(names + 7, " \n", &s1), *v = strtok_r(values + 7, " \n", &s2);
        for (; n && v; n = strtok_r(NULL, " \n", &s1), v = strtok_r(NULL, " \n", &s2))
            if (!strcmp(n, name)) {
                result = strtoll(v, NULL, 10);
                break;
            }
    }
    fclose(f);
    return result;
}

void ns_host_facts_read(ns_host_facts *f)
{
    memset(f, 0, sizeof *f);
    f->port_lo = f->port_hi = -1;
    FILE *pr = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (pr) {
        if (fscanf(pr, "%d %d", &f->port_lo, &f->port_hi) != 2) f->port_lo = f->port_hi = -1;
        fclose(pr);
    }
    f->tw_reuse = read_int("/proc/sys/net/ipv4/tcp_tw_reuse", -1);
    f->fin_timeout_s = read_int("/proc/sys/net/ipv4/tcp_fin_timeout", -1);
    f->retries2 = read_int("/proc/sys/net/ipv4/tcp_retries2", -1);
    f->keepalive_time_s = read_int("/proc/sys/net/ipv4/tcp_keepalive_time", -1);
    f->max_syn_backlog = read_int("/proc/sys/net/ipv4/tcp_max_syn_backlog", -1);
    f->syncookies = read_int("/proc/sys/net/ipv4/tcp_syncookies", -1);
    f->listen_overflows = tcpext("ListenOverflows");
    f->listen_drops = tcpext("ListenDrops");
}
