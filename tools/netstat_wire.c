/* netstat_wire.c: how a running synack hands its connection table to `synack netstat`. The
 * control socket answers "conns" with one line per connection of key=value words (unknown keys
 * are skipped, so either side may grow), between "synack-conns 1" and "end N". The client
 * renders; the server only lists. Times are sent as time left, so the two clocks never meet. */
#include "netstat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define WIRE_MAGIC "synack-conns 1"

static void put_addr(FILE *out, const char *key, const synack_addr *a)
{
    char t[INET6_ADDRSTRLEN];
    if (!inet_ntop(a->family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, a->bytes, t, sizeof t)) t[0] = 0;
    fprintf(out, " %s=%s", key, t);
}

static uint64_t left(synack_time_us deadline, synack_time_us shown_left, synack_time_us shown_abs)
{
    /* deadline and shown_abs are on the stack's clock; shown_left is shown_abs - now. */
    if (deadline == SYNACK_TIME_NEVER) return NS_UNKNOWN;
    if (deadline + shown_left < shown_abs) return 0;
    return deadline + shown_left - shown_abs;
}

void ns_wire_write(FILE *out, const synack_stack *st)
{
    size_t n = synack_conn_list(st, NULL, 0);
    synack_conn_info *list = n ? calloc(n, sizeof *list) : NULL;
    if (n && !list) n = 0;
    n = synack_conn_list(st, list, n);
    fprintf(out, WIRE_MAGIC "\n");
    for (size_t i = 0; i < n; i++) {
        const synack_conn_info *c = &list[i];
        fprintf(out, "c id=%" PRIu32 " sd=%d st=%u ds=%d", c->conn_id, c->socket, c->state, c->dual_stack);
        put_addr(out, "la", &c->local.addr);
        fprintf(out, " lp=%u", c->local.port);
        put_addr(out, "ra", &c->remote.addr);
        fprintf(out, " rp=%u rq=%" PRIu32 " sq=%" PRIu32 " tm=%u tl=%" PRIu64 " tr=%" PRIu32 " tp=%" PRIu32,
                c->remote.port, c->recv_q, c->send_q, c->nt_timer, c->nt_remaining_us,
                c->nt_retransmits, c->nt_probes);
        /* The establishment deadline as time left: the -o timer is the earlier of it and the
         * retransmission, so that timer's absolute time anchors both. */
        synack_time_us rex = c->deadline_us[SYNACK_TIMER_REXMT], est = c->deadline_us[SYNACK_TIMER_CONN_EST];
        if (c->nt_timer == SYNACK_NT_ON && est != SYNACK_TIME_NEVER) {
            synack_time_us shown = rex < est ? rex : est;
            fprintf(out, " est=%" PRIu64, left(est, c->nt_remaining_us, shown));
        }
        fprintf(out, " srtt=%" PRIu64 " rttvar=%" PRIu64 " rto=%" PRIu64 " mss=%u cwnd=%" PRIu32
                     " ssth=%" PRIu32 " swnd=%" PRIu32 " rwnd=%" PRIu32 " rtx=%" PRIu32 " ba=%" PRIu64
                     " br=%" PRIu64 " age=%" PRIu64 " ts=%d sack=%d ws=%d sws=%u rws=%u cc=%s ccp=%s",
                c->srtt_us, c->rttvar_us, c->rto_us, c->snd_mss, c->cwnd, c->ssthresh, c->snd_wnd,
                c->rcv_wnd, c->retransmits_total, c->bytes_acked, c->bytes_received, c->state_age_us,
                c->ts_ok, c->sack_ok, c->ws_ok, c->snd_wscale, c->rcv_wscale,
                c->cc_name && c->cc_name[0] ? c->cc_name : "-",
                c->cc_phase && c->cc_phase[0] ? c->cc_phase : "-");
        /* Congestion control details (netstat -e): the response-aware phase by name, the rest
         * as numbers (rates in bytes per second). A record has none. */
        if (c->cc_name && c->cc_name[0])
            fprintf(out, " ccs=%s mrtt=%" PRIu32 " dr=%" PRIu64 " dral=%d pr=%" PRIu64
                         " ecn=%d ce=%" PRIu32 " eee=%d cwrp=%d tlp=%" PRIu32 " undo=%" PRIu32,
                    synack_cc_phase_name(c->cc_state), c->min_rtt_us, c->delivery_rate,
                    c->delivery_rate_app_limited, c->pacing_rate, c->ecn_ok, c->ecn_ce_rcvd,
                    c->ecn_ece_echo, c->ecn_cwr_pending, c->tlp_total, c->undo_total);
        fputc('\n', out);
    }
    fprintf(out, "end %zu\n", n);
    free(list);
}

static bool get_addr(const char *v, synack_addr *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, v, a->bytes) == 1) a->family = SYNACK_AF_INET;
    else if (inet_pton(AF_INET6, v, a->bytes) == 1) a->family = SYNACK_AF_INET6;
    else return false;
    return true;
}

/* One "c ..." line. */
static bool parse_conn(char *line, ns_row *r)
{
    synack_conn_info c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < SYNACK_TIMER_COUNT; i++) c.deadline_us[i] = SYNACK_TIME_NEVER;
    char cc[16] = "", ccp[32] = "", ccs[32] = "";
    uint64_t est = NS_UNKNOWN;
    bool have_state = false, have_la = false, have_ra = false;
    char *save = NULL;
    for (char *w = strtok_r(line + 1, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq) return false;
        *eq = 0;
        const char *k = w, *v = eq + 1;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        bool num = *v && !*end && !errno;
        if (!strcmp(k, "la")) have_la = get_addr(v, &c.local.addr);
        else if (!strcmp(k, "ra")) have_ra = get_addr(v, &c.remote.addr);
        else if (!strcmp(k, "cc")) snprintf(cc, sizeof cc, "%s", strcmp(v, "-") ? v : "");
        else if (!strcmp(k, "ccp")) snprintf(ccp, sizeof ccp, "%s", strcmp(v, "-") ? v : "");
        else if (!strcmp(k, "ccs")) snprintf(ccs, sizeof ccs, "%s", v);
        else if (!strcmp(k, "sd")) c.socket = (int)strtol(v, NULL, 10);
        else if (!num) continue; /* a value this client does not read */
        else if (!strcmp(k, "id")) c.conn_id = (uint32_t)x;
        else if (!strcmp(k, "st")) {
            if (x >= SYNACK_STATE_COUNT) return false;
            c.state = (uint8_t)x;
            have_state = true;
        } else if (!strcmp(k, "ds")) c.dual_stack = x != 0;
        else if (!strcmp(k, "lp")) c.local.port = (uint16_t)x;
        else if (!strcmp(k, "rp")) c.remote.port = (uint16_t)x;
        else if (!strcmp(k, "rq")) c.recv_q = (uint32_t)x;
        else if (!strcmp(k, "sq")) c.send_q = (uint32_t)x;
        else if (!strcmp(k, "tm")) c.nt_timer = x < 5 ? (uint8_t)x : 0;
        else if (!strcmp(k, "tl")) c.nt_remaining_us = x;
        else if (!strcmp(k, "tr")) c.nt_retransmits = (uint32_t)x;
        else if (!strcmp(k, "tp")) c.nt_probes = (uint32_t)x;
        else if (!strcmp(k, "est")) est = x;
        else if (!strcmp(k, "srtt")) c.srtt_us = x;
        else if (!strcmp(k, "rttvar")) c.rttvar_us = x;
        else if (!strcmp(k, "rto")) c.rto_us = x;
        else if (!strcmp(k, "mss")) c.snd_mss = (uint32_t)x;
        else if (!strcmp(k, "cwnd")) c.cwnd = (uint32_t)x;
        else if (!strcmp(k, "ssth")) c.ssthresh = (uint32_t)x;
        else if (!strcmp(k, "swnd")) c.snd_wnd = (uint32_t)x;
        else if (!strcmp(k, "rwnd")) c.rcv_wnd = (uint32_t)x;
        else if (!strcmp(k, "rtx")) c.retransmits_total = (uint32_t)x;
        else if (!strcmp(k, "ba")) c.bytes_acked = x;
        else if (!strcmp(k, "br")) c.bytes_received = x;
        else if (!strcmp(k, "age")) c.state_age_us = x;
        else if (!strcmp(k, "ts")) c.ts_ok = x != 0;
        else if (!strcmp(k, "sack")) c.sack_ok = x != 0;
        else if (!strcmp(k, "ws")) c.ws_ok = x != 0;
        else if (!strcmp(k, "sws")) c.snd_wscale = (uint8_t)x;
        else if (!strcmp(k, "rws")) c.rcv_wscale = (uint8_t)x;
        else if (!strcmp(k, "mrtt")) c.min_rtt_us = (uint32_t)x;
        else if (!strcmp(k, "dr")) c.delivery_rate = x;
        else if (!strcmp(k, "dral")) c.delivery_rate_app_limited = x != 0;
        else if (!strcmp(k, "pr")) c.pacing_rate = x;
        else if (!strcmp(k, "ecn")) c.ecn_ok = x != 0;
        else if (!strcmp(k, "ce")) c.ecn_ce_rcvd = (uint32_t)x;
        else if (!strcmp(k, "eee")) c.ecn_ece_echo = x != 0;
        else if (!strcmp(k, "cwrp")) c.ecn_cwr_pending = x != 0;
        else if (!strcmp(k, "tlp")) c.tlp_total = (uint32_t)x;
        else if (!strcmp(k, "undo")) c.undo_total = (uint32_t)x;
    }
    if (!have_state || !have_la || !have_ra) return false;
    ns_row_from_conn(r, &c);
    snprintf(r->cc, sizeof r->cc, "%s", cc);
    snprintf(r->cc_phase, sizeof r->cc_phase, "%s", ccp);
    r->has_cc_detail = cc[0] && ccs[0]; /* an older synack sends no details */
    snprintf(r->cc_state, sizeof r->cc_state, "%s", ccs);
    r->est_left_us = est;
    if (c.state == SYNACK_TIME_WAIT && c.socket < 0 && !cc[0]) r->has_info = false; /* a record */
    return true;
}

bool ns_wire_parse(const char *text, ns_table *t)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (!copy) return false;
    memcpy(copy, text, len + 1);
    bool ok = false, started = false;
    size_t count = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!started) {
            if (strcmp(line, WIRE_MAGIC)) break;
            started = true;
        } else if (line[0] == 'c' && line[1] == ' ') {
            ns_row *r = ns_table_add(t);
            if (!r || !parse_conn(line, r)) break;
            count++;
        } else if (!strncmp(line, "end ", 4)) {
            ok = strtoull(line + 4, NULL, 10) == count;
            break;
        }
    }
    free(copy);
    return ok;
}

/* Reads the process's name for -p from /proc/PID/comm. */
static void comm_of(int pid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    snprintf(buf, cap, "?");
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(buf, (int)cap, f)) buf[strcspn(buf, "\n")] = 0;
    fclose(f);
}

int ns_gather_control(const char *path, ns_table *t)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "synack netstat: control path too long: %s\n", path);
        return 2;
    }
    memcpy(sa.sun_path, path, strlen(path));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "synack netstat: cannot reach %s: %s (is a synack running with that "
                        "--control?)\n", path, strerror(errno));
        if (s >= 0) close(s);
        return 1;
    }
    struct timeval tv = {5, 0}; /* a stuck server cannot hold us for ever */
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cred.pid > 0) {
        t->owner_pid = cred.pid;
        comm_of(cred.pid, t->owner_comm, sizeof t->owner_comm);
    }
    static const char req[] = "conns\n";
    if (send(s, req, sizeof req - 1, MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "synack netstat: %s: %s\n", path, strerror(errno));
        close(s);
        return 1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *p = realloc(text, ncap);
            if (!p) {
                rc = 1;
                break;
            }
            text = p;
            cap = ncap;
        }
        ssize_t r = recv(s, text + len, 4096, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r < 0) rc = 1;
            break;
        }
        len += (size_t)r;
    }
    close(s);
    if (text) text[len] = 0;
    if (rc || !text || !ns_wire_parse(text, t)) {
        fprintf(stderr, "synack netstat: no complete answer from %s%s\n", path,
                text && !strncmp(text, "error:", 6) ? " (an older synack? restart it)" : "");
        free(text);
        return 1;
    }
    free(text);
    snprintf(t->source, sizeof t->source, "synack (pid %d) via %s", t->owner_pid, path);
    return 0;
}
