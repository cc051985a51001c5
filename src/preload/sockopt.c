/* sockopt.c: the preload library's translations between the kernel's socket vocabulary and
 * synack's: sockaddr_in/sockaddr_in6 (IPv4-mapped IPv6 on AF_INET6 sockets) and the socket
 * options programs set. An option synack does not have fails with ENOPROTOOPT, as the kernel
 * answers for an option it does not know; nothing is accepted and ignored. Holding the lock. */
#include "preload.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include <synack/inspect.h>

static bool v4_mapped(const struct in6_addr *a)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return !memcmp(a->s6_addr, pfx, 12);
}

static bool loopback(const synack_addr *a)
{
    if (a->family == SYNACK_AF_INET) return a->bytes[0] == 127;
    static const uint8_t one[16] = {[15] = 1};
    return a->family == SYNACK_AF_INET6 && !memcmp(a->bytes, one, 16);
}

int pl_addr_in(const psock *s, const struct sockaddr *sa, socklen_t len, synack_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    if (!sa || len < (socklen_t)sizeof(sa_family_t)) return -EINVAL;
    if (sa->sa_family != s->family) return -EAFNOSUPPORT;
    if (s->family == AF_INET) {
        struct sockaddr_in in;
        if (len < (socklen_t)sizeof in) return -EINVAL;
        memcpy(&in, sa, sizeof in);
        ep->addr.family = SYNACK_AF_INET;
        memcpy(ep->addr.bytes, &in.sin_addr, 4);
        ep->port = ntohs(in.sin_port);
    } else {
        struct sockaddr_in6 in6;
        if (len < (socklen_t)sizeof in6) return -EINVAL;
        memcpy(&in6, sa, sizeof in6);
        if (v4_mapped(&in6.sin6_addr)) {
            if (s->v6only) return -ENETUNREACH;
            ep->addr.family = SYNACK_AF_INET;
            memcpy(ep->addr.bytes, in6.sin6_addr.s6_addr + 12, 4);
        } else {
            ep->addr.family = SYNACK_AF_INET6;
            memcpy(ep->addr.bytes, &in6.sin6_addr, 16);
        }
        ep->port = ntohs(in6.sin6_port);
    }
    /* synack has no loopback interface: it cannot reach 127.0.0.0/8 or ::1, nor bind them. */
    if (loopback(&ep->addr)) return -ENETUNREACH;
    return 0;
}

void pl_addr_out(const psock *s, const synack_endpoint *ep, struct sockaddr *sa, socklen_t *len)
{
    if (!sa || !len) return;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t n;
    if (s->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(ep->port);
        if (ep->addr.family == SYNACK_AF_INET) memcpy(&in->sin_addr, ep->addr.bytes, 4);
        n = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(ep->port);
        if (ep->addr.family == SYNACK_AF_INET6) {
            memcpy(&in6->sin6_addr, ep->addr.bytes, 16);
        } else if (!synack_addr_is_any(&ep->addr)) {
            in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
            memcpy(in6->sin6_addr.s6_addr + 12, ep->addr.bytes, 4);
        }
        n = sizeof *in6;
    }
    memcpy(sa, &ss, *len < n ? *len : n);
    *len = n;
}

/* ---- options ---- */

static int get_int(const void *val, socklen_t len, int *out)
{
    if (!val || len < (socklen_t)sizeof(int)) return -EINVAL;
    memcpy(out, val, sizeof *out);
    return 0;
}

static int put(void *val, socklen_t *len, const void *v, socklen_t n)
{
    if (!val || !len) return -EFAULT;
    if (*len < n) n = *len; /* the kernel truncates what does not fit */
    memcpy(val, v, n);
    *len = n;
    return 0;
}

static int put_int(void *val, socklen_t *len, int v) { return put(val, len, &v, sizeof v); }

static int timeo_ms(const void *val, socklen_t len)
{
    struct timeval tv;
    if (!val || len < (socklen_t)sizeof tv) return -EINVAL;
    memcpy(&tv, val, sizeof tv);
    if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
    if (tv.tv_sec == 0 && tv.tv_usec == 0) return -1; /* no timeout */
    long long ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* Linux's TCP_* state numbers (tcpi_state). */
static uint8_t linux_state(int st)
{
    switch (st) {
    case SYNACK_ESTABLISHED: return 1;
    case SYNACK_SYN_SENT: return 2;
    case SYNACK_SYN_RECEIVED: return 3;
    case SYNACK_FIN_WAIT_1: return 4;
    case SYNACK_FIN_WAIT_2: return 5;
    case SYNACK_TIME_WAIT: return 6;
    case SYNACK_CLOSE_WAIT: return 8;
    case SYNACK_LAST_ACK: return 9;
    case SYNACK_LISTEN: return 10;
    case SYNACK_CLOSING: return 11;
    default: return 7; /* CLOSE */
    }
}

/* TCP_INFO from the stack's snapshot: what synack knows; the rest stays zero. */
static int tcp_info_get(synack_stack *st, psock *s, void *val, socklen_t *len)
{
    struct tcp_info ti;
    memset(&ti, 0, sizeof ti);
    synack_conn_info ci;
    if (synack_socket_info(st, s->sd, &ci)) {
        ti.tcpi_state = linux_state(ci.state);
        ti.tcpi_retransmits = (uint8_t)(ci.nt_retransmits > 255 ? 255 : ci.nt_retransmits);
        ti.tcpi_probes = (uint8_t)(ci.nt_probes > 255 ? 255 : ci.nt_probes);
        ti.tcpi_options = (uint8_t)((ci.ts_ok ? TCPI_OPT_TIMESTAMPS : 0) | (ci.sack_ok ? TCPI_OPT_SACK : 0) |
                                    (ci.ws_ok ? TCPI_OPT_WSCALE : 0));
        if (ci.ws_ok) {
            ti.tcpi_snd_wscale = ci.snd_wscale & 15;
            ti.tcpi_rcv_wscale = ci.rcv_wscale & 15;
        }
        ti.tcpi_rto = (uint32_t)ci.rto_us;
        ti.tcpi_snd_mss = ci.snd_mss;
        ti.tcpi_rtt = (uint32_t)ci.srtt_us;
        ti.tcpi_rttvar = (uint32_t)ci.rttvar_us;
        uint32_t mss = ci.snd_mss ? ci.snd_mss : 1;
        ti.tcpi_snd_cwnd = ci.cwnd / mss;
        ti.tcpi_snd_ssthresh = ci.ssthresh / mss;
        ti.tcpi_unacked = (ci.snd_nxt - ci.snd_una + mss - 1) / mss;
        ti.tcpi_rcv_space = ci.rcv_wnd;
    } else {
        ti.tcpi_state = 7;
    }
    return put(val, len, &ti, sizeof ti);
}

int pl_getsockopt(synack_stack *st, psock *s, int level, int name, void *val, socklen_t *len)
{
    int v = 0;
    size_t n = sizeof v;
    uint64_t u = 0;
    size_t un = sizeof u;
    int r;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE: return put_int(val, len, SOCK_STREAM);
        case SO_DOMAIN: return put_int(val, len, s->family);
        case SO_PROTOCOL: return put_int(val, len, IPPROTO_TCP);
        case SO_ACCEPTCONN: return put_int(val, len, synack_socket_state(st, s->sd) == SYNACK_LISTEN);
        case SO_REUSEPORT: return put_int(val, len, s->reuseport);
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            int ms = name == SO_RCVTIMEO ? s->rcvtimeo_ms : s->sndtimeo_ms;
            struct timeval tv = {0, 0};
            if (ms > 0) {
                tv.tv_sec = ms / 1000;
                tv.tv_usec = (ms % 1000) * 1000;
            }
            return put(val, len, &tv, sizeof tv);
        }
        case SO_LINGER: {
            struct synack_linger sl;
            size_t sn = sizeof sl;
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_LINGER, &sl, &sn)) < 0) return r;
            struct linger l = {sl.onoff, sl.seconds};
            return put(val, len, &l, sizeof l);
        }
        case SO_REUSEADDR: name = SYNACK_SO_REUSEADDR; break;
        case SO_KEEPALIVE: name = SYNACK_SO_KEEPALIVE; break;
        case SO_SNDBUF: name = SYNACK_SO_SNDBUF; break;
        case SO_RCVBUF: name = SYNACK_SO_RCVBUF; break;
        case SO_ERROR: name = SYNACK_SO_ERROR; break;
        default: return -ENOPROTOOPT;
        }
        if ((r = synack_getsockopt(st, s->sd, name, &v, &n)) < 0) return r;
        return put_int(val, len, v);
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_NODELAY, &v, &n)) < 0) return r;
            return put_int(val, len, v);
        case TCP_MAXSEG:
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_MAXSEG, &v, &n)) < 0) return r;
            return put_int(val, len, v);
        case TCP_KEEPCNT:
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_KEEPCNT, &v, &n)) < 0) return r;
            return put_int(val, len, v);
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
            r = synack_getsockopt(st, s->sd, name == TCP_KEEPIDLE ? SYNACK_SO_KEEPIDLE : SYNACK_SO_KEEPINTVL,
                                  &u, &un);
            if (r < 0) return r;
            return put_int(val, len, (int)(u / 1000000u));
        case TCP_USER_TIMEOUT:
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_USER_TIMEOUT, &u, &un)) < 0) return r;
            return put_int(val, len, (int)(u / 1000u));
        case TCP_INFO: return tcp_info_get(st, s, val, len);
        case TCP_CONGESTION: {
            /* The socket's algorithm; NewReno by Linux's name for it, "reno". */
            char name16[16] = {0};
            size_t n16 = sizeof name16;
            if ((r = synack_getsockopt(st, s->sd, SYNACK_SO_CONGESTION, name16, &n16)) < 0) return r;
            if (!strcmp(name16, "newreno")) memcpy(name16, "reno", sizeof "reno");
            return put(val, len, name16, sizeof name16);
        }
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IPV6 && s->family == AF_INET6 && name == IPV6_V6ONLY)
        return put_int(val, len, s->v6only);
    return -ENOPROTOOPT;
}

int pl_setsockopt(synack_stack *st, psock *s, int level, int name, const void *val, socklen_t len)
{
    int v;
    uint64_t u;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
        case SO_KEEPALIVE:
            if (get_int(val, len, &v)) return -EINVAL;
            v = v != 0;
            return synack_setsockopt(st, s->sd, name == SO_REUSEADDR ? SYNACK_SO_REUSEADDR : SYNACK_SO_KEEPALIVE,
                                     &v, sizeof v);
        case SO_REUSEPORT:
            /* Stored and reported back; synack lets no two sockets share a port, so a second
             * bind() still fails with EADDRINUSE. */
            if (get_int(val, len, &v)) return -EINVAL;
            s->reuseport = v != 0;
            return 0;
        case SO_SNDBUF:
        case SO_RCVBUF:
            if (get_int(val, len, &v)) return -EINVAL;
            if (v < 1024) v = 1024; /* the kernel also raises small values to its minimum */
            return synack_setsockopt(st, s->sd, name == SO_SNDBUF ? SYNACK_SO_SNDBUF : SYNACK_SO_RCVBUF, &v,
                                     sizeof v);
        case SO_LINGER: {
            struct linger l;
            if (!val || len < (socklen_t)sizeof l) return -EINVAL;
            memcpy(&l, val, sizeof l);
            struct synack_linger sl = {l.l_onoff, l.l_linger};
            return synack_setsockopt(st, s->sd, SYNACK_SO_LINGER, &sl, sizeof sl);
        }
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            int ms = timeo_ms(val, len);
            if (ms < -1) return ms;
            if (name == SO_RCVTIMEO) s->rcvtimeo_ms = ms;
            else s->sndtimeo_ms = ms;
            return 0;
        }
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            if (get_int(val, len, &v)) return -EINVAL;
            v = v != 0;
            return synack_setsockopt(st, s->sd, SYNACK_SO_NODELAY, &v, sizeof v);
        case TCP_MAXSEG:
            if (get_int(val, len, &v)) return -EINVAL;
            return synack_setsockopt(st, s->sd, SYNACK_SO_MAXSEG, &v, sizeof v);
        case TCP_KEEPCNT:
            if (get_int(val, len, &v) || v < 1 || v > 127) return -EINVAL;
            return synack_setsockopt(st, s->sd, SYNACK_SO_KEEPCNT, &v, sizeof v);
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
            if (get_int(val, len, &v) || v < 1 || v > 32767) return -EINVAL;
            u = (uint64_t)v * 1000000u;
            return synack_setsockopt(st, s->sd, name == TCP_KEEPIDLE ? SYNACK_SO_KEEPIDLE : SYNACK_SO_KEEPINTVL,
                                     &u, sizeof u);
        case TCP_USER_TIMEOUT:
            if (get_int(val, len, &v) || v < 0) return -EINVAL;
            u = (uint64_t)v * 1000u;
            return synack_setsockopt(st, s->sd, SYNACK_SO_USER_TIMEOUT, &u, sizeof u);
        case TCP_CONGESTION: {
            char want[17] = {0};
            if (!val || len < 1) return -EINVAL;
            memcpy(want, val, len < 16 ? len : 16);
            /* synack's algorithms (Linux's "reno" is NewReno); others are unknown, as to a kernel
             * without them. */
            if (!strcmp(want, "reno")) memcpy(want, "newreno", sizeof "newreno");
            return synack_setsockopt(st, s->sd, SYNACK_SO_CONGESTION, want, strlen(want));
        }
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IPV6 && s->family == AF_INET6 && name == IPV6_V6ONLY) {
        if (get_int(val, len, &v)) return -EINVAL;
        synack_endpoint local;
        if (synack_getsockname(st, s->sd, &local) == 0 && local.port) return -EINVAL; /* after bind */
        s->v6only = v != 0;
        return 0;
    }
    return -ENOPROTOOPT;
}
